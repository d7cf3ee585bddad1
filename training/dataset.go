package training

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"image"
	"image/color"
	_ "image/jpeg" // slice sets
	_ "image/png"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"liverseg/inference"
	"liverseg/scan"
	"liverseg/scan/labels"
)

// ManifestVersion is the version of manifest.json this code writes and the worker reads.
const ManifestVersion = 1

// Manifest describes an exported dataset (DESIGN.md: manifest.json, and per case images.npy,
// float32 [N, C, H, W] already pre-processed, and masks.npy, uint8 [N, H, W]).
type Manifest struct {
	Version    int              `json:"version"`
	Name       string           `json:"name,omitempty"`
	Created    string           `json:"created"`
	Contract   ManifestContract `json:"contract"`
	ImageDType string           `json:"image_dtype"` // float32, or uint8 (value x 255)
	Cases      []ManifestCase   `json:"cases"`
}

// ManifestContract is the part of the model contract the arrays were made with.
type ManifestContract struct {
	Channels    int        `json:"channels"`
	Window      [2]float64 `json:"window"`
	InputSize   [2]int     `json:"input_size"`
	Orientation string     `json:"orientation"`
}

// Inference is the contract as inference reads it.
func (m ManifestContract) Inference() inference.Contract {
	c := inference.DefaultContract()
	c.Channels, c.WindowLow, c.WindowHigh = m.Channels, m.Window[0], m.Window[1]
	c.InputH, c.InputW, c.Orientation = m.InputSize[0], m.InputSize[1], m.Orientation
	return c
}

// ManifestCase is one volume, or the slices of one slice set on one side of the split.
type ManifestCase struct {
	Name     string   `json:"name"`
	Kind     string   `json:"kind"` // volume or slices
	Split    string   `json:"split"`
	Patients []string `json:"patients"`
	Images   string   `json:"images"` // relative to the dataset folder
	Masks    string   `json:"masks"`
	Slices   int      `json:"slices"`       // rows of the arrays
	Liver    int      `json:"liver_slices"` // rows with liver in the mask
	Repeat   int      `json:"repeat,omitempty"`
	// Volumes: where the case came from, as the config wrote it ($VARIABLES unexpanded), so that
	// another machine with the same data can find it again for the report.
	Series    string `json:"series,omitempty"`
	SeriesUID string `json:"series_uid,omitempty"`
	Label     string `json:"label,omitempty"`
	Reverse   bool   `json:"reverse,omitempty"`
	Segment   int    `json:"segment,omitempty"`
	// Slice sets: the file of each row, and the intensity mapping.
	Files     []string   `json:"files,omitempty"`
	HU        [2]float64 `json:"hu,omitempty"`
	HUAssumed bool       `json:"hu_assumed,omitempty"`
	// InputSpacingMM is the mm of one pixel of the model's input along its columns and rows
	// (the canonical slice's spacing x its size / the input size): where a click's radius is
	// measured. Volumes only: the 2D slice sets carry no spacing.
	InputSpacingMM *[2]float64 `json:"input_spacing_mm,omitempty"`
}

// Progress is told what the export is doing: a stage name and counts.
type Progress func(stage string, done, total int)

// ReadManifest reads dir/manifest.json (at most scan.MaxConfigBytes).
func ReadManifest(ctx context.Context, dir string) (*Manifest, error) {
	b, err := scan.ReadFileLimit(ctx, filepath.Join(dir, "manifest.json"), scan.MaxConfigBytes, "a dataset manifest")
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "manifest.json"), err)
	}
	if m.Version != ManifestVersion {
		return nil, fmt.Errorf("%s: manifest version %d, this liverseg reads %d", dir, m.Version, ManifestVersion)
	}
	return &m, nil
}

// Export writes the dataset of cfg into dir: every case and slice set through the inference
// pre-processing (Preprocessor.Input and MaskSlice), split by patient, never by slice.
func Export(ctx context.Context, cfg *Config, dir string, progress Progress) (*Manifest, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	if progress == nil {
		progress = func(string, int, int) {}
	}
	k := cfg.Contract.Contract()
	m := &Manifest{Version: ManifestVersion, Name: cfg.Name, Created: time.Now().UTC().Format(time.RFC3339),
		Contract: ManifestContract{Channels: k.Channels, Window: [2]float64{k.WindowLow, k.WindowHigh},
			InputSize: [2]int{k.InputH, k.InputW}, Orientation: k.Orientation},
		ImageDType: "float32"}
	if cfg.Quantize {
		m.ImageDType = "uint8"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	frac := cfg.ValFraction
	if frac <= 0 {
		frac = 0.2
	}
	seed := int64(cfg.Train.Seed)

	// Volumes: load first (for the patient), then split, then write.
	type loaded struct {
		src  CaseSource
		name string
		pat  string
		vol  *scan.Volume
		mask *scan.Mask
	}
	var vols []loaded
	names := map[string]bool{}
	for i, cs := range cfg.Cases {
		progress("reading "+cs.Series, i, len(cfg.Cases))
		v, err := scan.LoadVolume(ctx, cfg.Path(cs.Series), cs.UID, nil)
		if err != nil {
			return nil, err
		}
		mask, err := labels.Load(cfg.Path(cs.Label), v, labels.Options{Reverse: cs.Reverse, Segment: cs.Segment})
		if err != nil {
			return nil, err
		}
		name := cs.Name
		if name == "" {
			name = filepath.Base(filepath.Clean(cfg.Path(cs.Series)))
		}
		if names[name] {
			return nil, fmt.Errorf("two cases are named %q: give them names", name)
		}
		names[name] = true
		pat := cs.Patient
		if pat == "" {
			pat = v.Series.PatientID
		}
		if pat == "" {
			pat = v.Series.PatientName
		}
		if pat == "" {
			pat = name
		}
		vols = append(vols, loaded{cs, name, pat, v, mask})
	}
	split := newSplitter(frac, seed)
	for _, l := range vols {
		if err := split.fix(l.pat, l.src.Split); err != nil {
			return nil, err
		}
	}
	var free []string
	for _, l := range vols {
		if l.src.Split == "" {
			free = append(free, l.pat)
		}
	}
	split.assign("cases", free)
	for _, l := range vols {
		mc := ManifestCase{Name: l.name, Kind: "volume", Split: split.of(l.pat), Patients: []string{l.pat},
			Series: portable(cfg, l.src.Series), SeriesUID: l.src.UID, Label: portable(cfg, l.src.Label), Reverse: l.src.Reverse, Segment: l.src.Segment,
			Repeat: l.src.Repeat}
		if err := writeVolumeCase(ctx, dir, k, l.vol, l.mask, &mc, cfg.Quantize); err != nil {
			return nil, err
		}
		progress("wrote "+l.name, mc.Slices, mc.Slices)
		m.Cases = append(m.Cases, mc)
	}

	// Slice sets.
	for _, s := range cfg.SliceSets {
		pairs, err := listPairs(cfg.Path(s.Dir), s)
		if err != nil {
			return nil, err
		}
		if len(pairs) == 0 {
			return nil, fmt.Errorf("slice set %s: no image and mask pairs in %s", s.Name, cfg.Path(s.Dir))
		}
		var pats []string
		seen := map[string]bool{}
		for _, p := range pairs {
			key := s.Name + ":" + p.patient
			if !seen[key] {
				seen[key] = true
				pats = append(pats, key)
				if err := split.fix(key, s.Split); err != nil {
					return nil, err
				}
			}
		}
		if s.Split == "" {
			split.assign(s.Name, pats)
		}
		for _, side := range []string{"train", "val"} {
			var rows []pair
			var patients []string
			pseen := map[string]bool{}
			for _, p := range pairs {
				if split.of(s.Name+":"+p.patient) == side {
					rows = append(rows, p)
					if !pseen[p.patient] {
						pseen[p.patient] = true
						patients = append(patients, p.patient)
					}
				}
			}
			if len(rows) == 0 {
				continue
			}
			mc := ManifestCase{Name: s.Name + "-" + side, Kind: "slices", Split: side, Patients: patients, HU: s.HU, HUAssumed: s.HUAssumed, Repeat: s.Repeat}
			if err := writeSliceCase(ctx, dir, k, s, rows, &mc, cfg.Quantize, progress); err != nil {
				return nil, err
			}
			m.Cases = append(m.Cases, mc)
		}
	}
	ntrain := 0
	for _, c := range m.Cases {
		if c.Split == "train" {
			ntrain += c.Slices
		}
	}
	if ntrain == 0 {
		return nil, fmt.Errorf("every patient went to validation: nothing to train on (set split: train on some, or lower val_fraction)")
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), append(b, '\n'), 0o644); err != nil {
		return nil, err
	}
	return m, nil
}

// portable is a source path as the manifest keeps it: with its $VARIABLES (say $LIVERSEG_DATA)
// where it has them, so that another machine finds its own copy, else absolute.
func portable(cfg *Config, p string) string {
	if strings.Contains(p, "$") {
		return p
	}
	return cfg.Path(p)
}

// splitter assigns patients to train or validation, never a patient to both.
type splitter struct {
	frac float64
	seed int64
	side map[string]string
}

func newSplitter(frac float64, seed int64) *splitter {
	return &splitter{frac: frac, seed: seed, side: map[string]string{}}
}

// fix records an explicit split; a patient named on both sides is an error.
func (s *splitter) fix(patient, split string) error {
	if split == "" {
		return nil
	}
	if old, ok := s.side[patient]; ok && old != split {
		return fmt.Errorf("patient %q is in both %s and %s: a patient must stay on one side of the split", patient, old, split)
	}
	s.side[patient] = split
	return nil
}

// assign splits the patients not yet placed: a deterministic shuffle, then the first
// round(frac x n) (at least one where there are two or more) go to validation.
func (s *splitter) assign(group string, patients []string) {
	var todo []string
	seen := map[string]bool{}
	for _, p := range patients {
		if _, ok := s.side[p]; !ok && !seen[p] {
			seen[p] = true
			todo = append(todo, p)
		}
	}
	sort.Strings(todo)
	h := fnv.New64a()
	h.Write([]byte(group))
	r := rand.New(rand.NewSource(s.seed ^ int64(h.Sum64())))
	r.Shuffle(len(todo), func(i, j int) { todo[i], todo[j] = todo[j], todo[i] })
	nval := int(math.Round(s.frac * float64(len(todo))))
	if nval == 0 && len(todo) >= 2 && s.frac > 0 {
		nval = 1
	}
	for i, p := range todo {
		if i < nval {
			s.side[p] = "val"
		} else {
			s.side[p] = "train"
		}
	}
}

func (s *splitter) of(patient string) string {
	if v, ok := s.side[patient]; ok {
		return v
	}
	return "train"
}

// caseWriter writes the two arrays of one case.
type caseWriter struct {
	img, msk *npyWriter
	quantize bool
	q        []uint8
}

func newCaseWriter(dir, name string, k inference.Contract, quantize bool, mc *ManifestCase) (*caseWriter, error) {
	sub := safeName(name)
	if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
		return nil, err
	}
	mc.Images, mc.Masks = sub+"/images.npy", sub+"/masks.npy"
	descr := "<f4"
	if quantize {
		descr = "|u1"
	}
	img, err := createNPY(filepath.Join(dir, mc.Images), descr, k.Channels, k.InputH, k.InputW)
	if err != nil {
		return nil, err
	}
	msk, err := createNPY(filepath.Join(dir, mc.Masks), "|u1", k.InputH, k.InputW)
	if err != nil {
		img.Close()
		return nil, err
	}
	return &caseWriter{img: img, msk: msk, quantize: quantize}, nil
}

func (w *caseWriter) write(in []float32, mask []uint8) error {
	if w.quantize {
		if len(w.q) != len(in) {
			w.q = make([]uint8, len(in))
		}
		for i, v := range in {
			w.q[i] = uint8(math.Round(float64(min(max(v, 0), 1)) * 255))
		}
		if err := w.img.writeU8(w.q); err != nil {
			return err
		}
	} else if err := w.img.writeF32(in); err != nil {
		return err
	}
	return w.msk.writeU8(mask)
}

func (w *caseWriter) close() error {
	err1 := w.img.Close()
	err2 := w.msk.Close()
	if err1 != nil {
		return err1
	}
	return err2
}

func writeVolumeCase(ctx context.Context, dir string, k inference.Contract, v *scan.Volume, mask *scan.Mask, mc *ManifestCase, quantize bool) error {
	p, err := inference.NewPreprocessor(k, v)
	if err != nil {
		return err
	}
	can := p.Canonical
	mc.InputSpacingMM = &[2]float64{can.Spacing[0] * float64(can.Dims[0]) / float64(k.InputW), can.Spacing[1] * float64(can.Dims[1]) / float64(k.InputH)}
	w, err := newCaseWriter(dir, mc.Name, k, quantize, mc)
	if err != nil {
		return err
	}
	in := make([]float32, p.InputLen())
	ms := make([]uint8, k.InputH*k.InputW)
	for s := 0; s < p.Slices(); s++ {
		if err := ctx.Err(); err != nil {
			w.close()
			return err
		}
		p.Input(s, in)
		p.MaskSlice(mask, s, ms)
		if hasLiver(ms) {
			mc.Liver++
		}
		if err := w.write(in, ms); err != nil {
			w.close()
			return err
		}
		mc.Slices++
	}
	return w.close()
}

func hasLiver(m []uint8) bool {
	for _, v := range m {
		if v != 0 {
			return true
		}
	}
	return false
}

type pair struct {
	image, mask, patient, rel string
}

var nonName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func safeName(s string) string { return nonName.ReplaceAllString(s, "_") }

// listPairs finds the image and mask pairs of a slice set, sorted by name.
func listPairs(dir string, s SliceSet) ([]pair, error) {
	var re *regexp.Regexp
	if s.Patient != "" {
		var err error
		if re, err = regexp.Compile(s.Patient); err != nil {
			return nil, fmt.Errorf("slice set %s: patient: %w", s.Name, err)
		}
	}
	isImage := func(n string) bool {
		e := strings.ToLower(filepath.Ext(n))
		return e == ".png" || e == ".jpg" || e == ".jpeg"
	}
	var out []pair
	switch s.Layout {
	case "images-masks":
		entries, err := os.ReadDir(filepath.Join(dir, "images"))
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if e.IsDir() || !isImage(e.Name()) {
				continue
			}
			m := filepath.Join(dir, "masks", e.Name())
			if _, err := os.Stat(m); err != nil {
				return nil, fmt.Errorf("slice set %s: %s has no mask (%s)", s.Name, e.Name(), m)
			}
			out = append(out, pair{image: filepath.Join(dir, "images", e.Name()), mask: m, rel: e.Name()})
		}
	case "pairs":
		err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !isImage(d.Name()) {
				return err
			}
			ext := filepath.Ext(d.Name())
			stem := strings.TrimSuffix(d.Name(), ext)
			if strings.HasSuffix(stem, "_mask") {
				return nil
			}
			m := filepath.Join(filepath.Dir(path), stem+"_mask"+ext)
			if _, err := os.Stat(m); err != nil {
				return fmt.Errorf("slice set %s: %s has no mask %s", s.Name, path, m)
			}
			rel, _ := filepath.Rel(dir, path)
			out = append(out, pair{image: path, mask: m, rel: rel})
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].rel < out[j].rel })
	for i := range out {
		out[i].patient = out[i].rel
		if re != nil {
			if g := re.FindStringSubmatch(filepath.Base(out[i].rel)); len(g) > 1 {
				out[i].patient = g[1]
			}
		}
	}
	if s.Limit > 0 && len(out) > s.Limit {
		// spread the pairs kept over the set, so that a small limit still has several patients
		kept := make([]pair, 0, s.Limit)
		for i := 0; i < s.Limit; i++ {
			kept = append(kept, out[i*len(out)/s.Limit])
		}
		out = kept
	}
	return out, nil
}

// readGray decodes an image as 8-bit grey.
func readGray(path string) (*image.Gray, error) {
	f, _, err := scan.OpenRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	b := img.Bounds()
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			g.SetGray(x, y, color.GrayModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.Gray))
		}
	}
	return g, nil
}

// rotate turns g by quarter turns counter-clockwise (as numpy.rot90).
func rotate(g *image.Gray, quarters int) *image.Gray {
	q := ((quarters % 4) + 4) % 4
	w, h := g.Rect.Dx(), g.Rect.Dy()
	if q == 0 {
		return g
	}
	ow, oh := w, h
	if q%2 == 1 {
		ow, oh = h, w
	}
	out := image.NewGray(image.Rect(0, 0, ow, oh))
	for y := 0; y < oh; y++ {
		for x := 0; x < ow; x++ {
			var sx, sy int
			switch q {
			case 1: // out[y][x] = in[x][w-1-y]
				sx, sy = w-1-y, x
			case 2:
				sx, sy = w-1-x, h-1-y
			case 3: // out[y][x] = in[h-1-x][y]
				sx, sy = y, h-1-x
			}
			out.Pix[y*out.Stride+x] = g.Pix[sy*g.Stride+sx]
		}
	}
	return out
}

// flip mirrors g upside down ("vertical") or left to right ("horizontal").
func flip(g *image.Gray, how string) *image.Gray {
	if how == "" {
		return g
	}
	w, h := g.Rect.Dx(), g.Rect.Dy()
	out := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			sx, sy := x, y
			if how == "vertical" {
				sy = h - 1 - y
			} else {
				sx = w - 1 - x
			}
			out.Pix[y*out.Stride+x] = g.Pix[sy*g.Stride+sx]
		}
	}
	return out
}

func quartersFor(s SliceSet, name string) int {
	best, q := -1, 0
	for prefix, n := range s.Rotate {
		if strings.HasPrefix(name, prefix) && len(prefix) > best {
			best, q = len(prefix), n
		}
	}
	return q
}

// sliceVolume makes a one-slice HU volume and mask of a 2D pair, in the canonical orientation,
// so that it goes through the same Preprocessor as a CT series.
func sliceVolume(s SliceSet, p pair) (*scan.Volume, *scan.Mask, error) {
	img, err := readGray(p.image)
	if err != nil {
		return nil, nil, err
	}
	msk, err := readGray(p.mask)
	if err != nil {
		return nil, nil, err
	}
	if img.Rect.Dx() != msk.Rect.Dx() || img.Rect.Dy() != msk.Rect.Dy() {
		return nil, nil, fmt.Errorf("%s: image is %dx%d, mask %s is %dx%d", p.image, img.Rect.Dx(), img.Rect.Dy(), p.mask, msk.Rect.Dx(), msk.Rect.Dy())
	}
	q := quartersFor(s, filepath.Base(p.rel))
	img, msk = flip(rotate(img, q), s.Flip), flip(rotate(msk, q), s.Flip)
	w, h := img.Rect.Dx(), img.Rect.Dy()
	v := &scan.Volume{Voxels: make([]int16, w*h), Dims: [3]int{w, h, 1}, Spacing: [3]float64{1, 1, 1},
		Direction: [3][3]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, Series: scan.Series{Path: p.image}}
	m := scan.NewMask(v.Dims)
	var lut [256]int16
	for i := range lut {
		lut[i] = int16(math.Round(s.HU[0] + float64(i)*(s.HU[1]-s.HU[0])/255))
	}
	thr := uint8(s.MaskThreshold)
	plane := make([]uint8, w*h) // the one slice
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v.Voxels[y*w+x] = lut[img.Pix[y*img.Stride+x]]
			mv := msk.Pix[y*msk.Stride+x]
			if (thr == 0 && mv != 0) || (thr > 0 && mv >= thr) {
				plane[y*w+x] = scan.Liver
			}
		}
	}
	m.SetSlice(0, plane)
	return v, m, nil
}

func writeSliceCase(ctx context.Context, dir string, k inference.Contract, s SliceSet, rows []pair, mc *ManifestCase, quantize bool, progress Progress) error {
	w, err := newCaseWriter(dir, mc.Name, k, quantize, mc)
	if err != nil {
		return err
	}
	in := make([]float32, k.Channels*k.InputH*k.InputW)
	ms := make([]uint8, k.InputH*k.InputW)
	for i, p := range rows {
		if err := ctx.Err(); err != nil {
			w.close()
			return err
		}
		v, m, err := sliceVolume(s, p)
		if err != nil {
			w.close()
			return err
		}
		pp, err := inference.NewPreprocessor(k, v)
		if err != nil {
			w.close()
			return err
		}
		pp.Input(0, in)
		pp.MaskSlice(m, 0, ms)
		if hasLiver(ms) {
			mc.Liver++
		}
		if err := w.write(in, ms); err != nil {
			w.close()
			return err
		}
		mc.Slices++
		mc.Files = append(mc.Files, p.rel)
		progress("slices "+s.Name, i+1, len(rows))
	}
	return w.close()
}
