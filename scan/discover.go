package scan

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/suyashkumar/dicom/pkg/tag"
)

var (
	tagDirectoryRecordSeq = tag.Tag{Group: 0x0004, Element: 0x1220}
	tagReferencedFileID   = tag.Tag{Group: 0x0004, Element: 0x1500}
)

// Catalog is what a folder, a DICOMDIR or a file holds: its image series, the label objects
// (DICOM SEG) beside them, and the files that could not be used, each with its reason.
type Catalog struct {
	Root     string
	Series   []*SeriesEntry
	Labels   []string // DICOM SEG files
	Problems []error  // DICOM files that could not be read; each error names its file
	NotDICOM []string // files that are not DICOM at all
}

// Discover finds the image series under path: a folder (searched recursively, files with or
// without .dcm), a DICOMDIR (its records are honoured), or a single file. A file that cannot be
// read is listed in Problems and does not stop the others.
func Discover(ctx context.Context, path string) (*Catalog, error) {
	st, err := CheckPath(path)
	if err != nil {
		return nil, err
	}
	cat := &Catalog{Root: path}
	var files []string
	switch {
	case st.IsDir():
		if dd := filepath.Join(path, "DICOMDIR"); fileExists(dd) {
			files, err = dicomdirFiles(dd)
			if err != nil {
				cat.Problems = append(cat.Problems, fmt.Errorf("%w (searching the folder instead)", err))
				files = nil
			}
		}
		if files == nil {
			var skipped []error
			files, skipped, err = walkFiles(ctx, path)
			if err != nil {
				return nil, err
			}
			cat.Problems = append(cat.Problems, skipped...)
		}
	case strings.EqualFold(filepath.Base(path), "DICOMDIR"):
		files, err = dicomdirFiles(path)
		if err != nil {
			return nil, err
		}
	default:
		files = []string{path}
	}
	if err := cat.readAll(ctx, files); err != nil {
		return nil, err
	}
	if !st.IsDir() && len(cat.Series) == 0 && len(cat.Labels) == 0 {
		if len(cat.Problems) > 0 {
			return nil, cat.Problems[0]
		}
		if len(cat.NotDICOM) > 0 {
			return nil, fmt.Errorf("%s: %w", path, ErrNotDICOM)
		}
	}
	return cat, nil
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// walkFiles lists the regular files under root, leaving out hidden ones. A FIFO, a device or a
// socket is never opened (reading it would block or never end): it is skipped, with an error
// wrapping ErrNotRegular that names it. Symbolic links are not followed.
func walkFiles(ctx context.Context, root string) (files []string, skipped []error, err error) {
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root {
				return err
			}
			return nil // an unreadable subfolder does not stop the rest
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if d.IsDir() {
			if p != root && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		switch {
		case strings.HasPrefix(d.Name(), "."):
		case d.Type().IsRegular():
			files = append(files, p)
		case d.Type()&(fs.ModeNamedPipe|fs.ModeSocket|fs.ModeDevice|fs.ModeCharDevice|fs.ModeIrregular) != 0:
			skipped = append(skipped, fmt.Errorf("%s: %w: it is %s, skipped", p, ErrNotRegular, kindOf(d.Type())))
		}
		return nil
	})
	return files, skipped, err
}

// dicomdirFiles lists the files a DICOMDIR references, resolved beside it. DICOMDIR file IDs are
// upper case; the files on a Linux disk often are not, so each component matches case-blind.
func dicomdirFiles(path string) ([]string, error) {
	df, err := readDICOMFileLimit(path, MaxDICOMDIRBytes, "a DICOMDIR")
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(path)
	var files []string
	seen := map[string]bool{}
	for _, rec := range df.Elems.seq(tagDirectoryRecordSeq) {
		parts := rec.strs(tagReferencedFileID)
		if len(parts) == 0 {
			continue
		}
		p, ok := resolveCaseBlind(dir, parts)
		if !ok {
			continue
		}
		if !seen[p] {
			seen[p] = true
			files = append(files, p)
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: DICOMDIR references no file that exists", path)
	}
	return files, nil
}

func resolveCaseBlind(dir string, parts []string) (string, bool) {
	p := dir
	for _, part := range parts {
		part = strings.TrimSpace(part)
		if part == "" || part == "." || part == ".." || strings.ContainsAny(part, `/\`) {
			return "", false
		}
		if _, err := os.Lstat(filepath.Join(p, part)); err == nil {
			p = filepath.Join(p, part)
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			return "", false
		}
		found := false
		for _, e := range entries {
			if strings.EqualFold(e.Name(), part) {
				p, found = filepath.Join(p, e.Name()), true
				break
			}
		}
		if !found {
			return "", false
		}
	}
	return p, fileExists(p)
}

// fileResult is what reading one file's header gave.
type fileResult struct {
	hdr    seriesHeader
	frames []frameInfo
	isSEG  bool
	err    error
}

// readAll reads the headers of files in parallel and groups the images into series.
func (cat *Catalog) readAll(ctx context.Context, files []string) error {
	results := make([]fileResult, len(files))
	jobs := make(chan int)
	var wg sync.WaitGroup
	workers := 2 * runtime.GOMAXPROCS(0)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				results[i] = readImageHeader(files[i])
			}
		}()
	}
	for i := range files {
		if ctx.Err() != nil {
			break
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	groups := map[string]*struct {
		hdr    seriesHeader
		frames []frameInfo
	}{}
	var order []string
	for i, r := range results {
		switch {
		case errors.Is(r.err, ErrNotDICOM):
			cat.NotDICOM = append(cat.NotDICOM, files[i])
		case r.err != nil:
			cat.Problems = append(cat.Problems, r.err)
		case r.isSEG:
			cat.Labels = append(cat.Labels, files[i])
		case len(r.frames) > 0:
			key := r.hdr.SeriesUID
			if key == "" {
				key = "no-uid:" + filepath.Dir(files[i])
			}
			g := groups[key]
			if g == nil {
				g = &struct {
					hdr    seriesHeader
					frames []frameInfo
				}{hdr: r.hdr}
				groups[key] = g
				order = append(order, key)
			}
			g.frames = append(g.frames, r.frames...)
		}
	}
	for _, key := range order {
		g := groups[key]
		entry, err := assemble(g.hdr, g.frames)
		if err != nil {
			cat.Problems = append(cat.Problems, fmt.Errorf("%s: series %s: %w", commonDir(g.frames), g.hdr.SeriesUID, err))
			continue
		}
		cat.Series = append(cat.Series, entry)
	}
	sort.SliceStable(cat.Series, func(a, b int) bool {
		sa, sb := cat.Series[a].Series, cat.Series[b].Series
		if sa.StudyUID != sb.StudyUID {
			return sa.StudyUID < sb.StudyUID
		}
		if sa.SeriesNumber != sb.SeriesNumber {
			return sa.SeriesNumber < sb.SeriesNumber
		}
		return sa.Path < sb.Path
	})
	return nil
}

func readImageHeader(path string) fileResult {
	df, err := readDICOMHeader(path)
	if err != nil {
		return fileResult{err: err}
	}
	hdr := readSeriesHeader(df.Elems)
	if hdr.Modality == "SEG" || df.Elems.get(tagSegmentSequence) != nil {
		return fileResult{hdr: hdr, isSEG: true}
	}
	frames, err := imageFrames(df)
	return fileResult{hdr: hdr, frames: frames, err: err}
}

// OpenSeries discovers path and returns its one image series, or an error that lists what was
// found when there is not exactly one. uid picks one series by SeriesInstanceUID when not empty.
func OpenSeries(ctx context.Context, path, uid string) (*SeriesEntry, error) {
	cat, err := Discover(ctx, path)
	if err != nil {
		return nil, err
	}
	var found []*SeriesEntry
	for _, s := range cat.Series {
		if uid == "" || s.Series.SeriesUID == uid {
			found = append(found, s)
		}
	}
	switch {
	case len(found) == 1:
		// A file that could not be read may be a slice of this series: say so wherever it is used.
		found[0].Warnings = append(found[0].Warnings, leftOut(cat.Problems)...)
		return found[0], nil
	case len(found) == 0 && len(cat.Problems) > 0:
		return nil, cat.Problems[0]
	case len(found) == 0:
		return nil, fmt.Errorf("%s: %w", path, ErrNoSeries)
	}
	var names []string
	for _, s := range found {
		names = append(names, fmt.Sprintf("%s (%d slices, %s)", s.Series.SeriesUID, s.Slices(), s.Series.Path))
	}
	return nil, fmt.Errorf("%s: %d series found, choose one by its UID: %s", path, len(found), strings.Join(names, "; "))
}

// maxLeftOut is how many unreadable files a series' warnings name one by one.
const maxLeftOut = 10

// leftOut is the warning for each file under a series' path that could not be read.
func leftOut(problems []error) []string {
	var w []string
	for i, p := range problems {
		if i == maxLeftOut {
			w = append(w, fmt.Sprintf("left out: %d more files that could not be read", len(problems)-maxLeftOut))
			break
		}
		w = append(w, "left out: "+p.Error())
	}
	return w
}
