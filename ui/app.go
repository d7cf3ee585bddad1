// Package ui is liverseg's review GUI, built with Fyne: the welcome window, the series list of a
// folder, a DICOMDIR or a file, the background loading of a series and its review (the slice view
// itself is ui/sliceview). It and the packages under it are the only ones of liverseg that import
// Fyne.
package ui

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"

	"liverseg/inference"
	"liverseg/internal/gcpace"
	"liverseg/scan"
	"liverseg/ui/jobs"
	"liverseg/ui/sliceview"
	"liverseg/viewer"
)

// AppID is the application ID, as FyneApp.toml says.
const AppID = "org.liverseg.app"

// SamplePath is where the sample case (IRCAD 3Dircadb1.7) lies in the data folder, and
// SampleTruthPath its liver mask folder, loaded as the truth when the sample opens.
const (
	SamplePath      = "ct/ircad/3Dircadb1.7/PATIENT_DICOM"
	SampleTruthPath = "ct/ircad/3Dircadb1.7/MASKS_DICOM/liver"
)

// Run opens the GUI and returns when its window is closed or ctx is cancelled (then with
// ctx's error). With an empty path it shows the welcome window; with a path (a folder, a
// DICOMDIR or a file) it lists the series found there and loads a lone one.
func Run(ctx context.Context, opts Options) error {
	a := app.NewWithID(AppID)
	a.SetIcon(appIcon())
	s := newSession(ctx, a)
	s.opts = opts
	if opts.FullScreen {
		s.win.SetFullScreen(true)
	}
	if opts.Path == "" {
		s.showWelcome()
	} else {
		s.openPath(opts.Path)
	}
	stop := context.AfterFunc(ctx, func() { fyne.Do(a.Quit) })
	s.win.ShowAndRun()
	stop()
	s.cancelWork()
	s.leaveReview() // cancels its job and ends its autosave
	s.closeResources()
	return ctx.Err()
}

// session is the main window and what it shows: the welcome page, the discovery of a path,
// the series list and the view of the loaded series. Its fields belong to the Fyne goroutine.
type session struct {
	ctx  context.Context // Run's context, ended too when the window closes (the jobs' context)
	app  fyne.App
	win  fyne.Window
	jobs *jobs.Runner // runs every goroutine of the window; closeResources closes it

	opts Options
	next *Options  // the first actions for the next series shown, in place of opts' (once): the sample's
	res  resources // the workspace and the model, opened on first use

	cat        *scan.Catalog
	wantSeries string // the SeriesInstanceUID to load once the catalog of the path opened shows
	table      *widget.Table
	split      *container.Split
	right      *fyne.Container // the pane beside the series list
	view       *sliceview.View
	review     *review            // of the loaded series
	gen        int                // counts loads and discoveries; a result of an older one is dropped
	cancel     context.CancelFunc // of the running discovery or load
	do         func(func())       // runs a function on the Fyne goroutine: fyne.Do (tests queue it)

	// progress is the bar and the Cancel button of the running load (nil when none).
	progress  *widget.ProgressBar
	cancelBtn *widget.Button
	loading   *loadingView // the screen of the series whose slices are still loading, nil when none
	// memAvailable says how much memory a series may take (scan.AvailableMemory; tests set a
	// figure): a series whose review would not fit is refused before it is read.
	memAvailable func() (int64, error)

	hooks hooks // for tests; see hooks
}

func newSession(ctx context.Context, a fyne.App) *session {
	s := &session{jobs: jobs.New(ctx), app: a, do: fyne.Do, memAvailable: scan.AvailableMemory}
	s.ctx = s.jobs.Context()
	s.win = a.NewWindow("liverseg")
	s.win.Resize(fyne.NewSize(1400, 900))
	// Keys typed while nothing has the focus (say after a click on the series list) still move
	// through the slices.
	s.win.Canvas().SetOnTypedKey(func(ev *fyne.KeyEvent) {
		if s.view != nil {
			s.view.TypedKey(ev)
		}
	})
	s.win.Canvas().SetOnTypedRune(func(r rune) {
		if s.view != nil {
			s.view.TypedRune(r)
		}
	})
	s.addEditShortcuts()
	return s
}

// sampleData is the data folder (inference.DataDir: $LIVERSEG_DATA, else what the setup
// unpacked) when it holds the sample case, else "".
func sampleData() string {
	root, _ := inference.DataDir()
	if root == "" {
		return ""
	}
	if st, err := os.Stat(filepath.Join(root, filepath.FromSlash(SamplePath))); err != nil || !st.IsDir() {
		return ""
	}
	return root
}

// openSample opens the sample case of data folder root with its truth loaded and the model run,
// so that a newcomer sees the main job (the model's mask beside the truth, the figures, the worst
// slice) in one click. Without the truth in the data folder the model runs alone.
func (s *session) openSample(root string) {
	o := Options{Infer: true, Layout: s.opts.Layout}
	truth := filepath.Join(root, filepath.FromSlash(SampleTruthPath))
	if st, err := os.Stat(truth); err == nil && st.IsDir() {
		o.Truth = truth
	}
	s.next = &o
	s.openPath(filepath.Join(root, filepath.FromSlash(SamplePath)))
}

// showWelcome puts the welcome page in the window: open a folder or a file, or the sample.
func (s *session) showWelcome() {
	s.cancelWork()
	s.leaveReview()
	s.win.SetTitle("liverseg")
	title := widget.NewLabelWithStyle("liverseg", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	sub := widget.NewLabelWithStyle("Liver CT review: open a DICOM series to look through it.", fyne.TextAlignCenter, fyne.TextStyle{})
	openFolder := widget.NewButton("Open a folder…", s.chooseFolder)
	openFile := widget.NewButton("Open a file or DICOMDIR…", s.chooseFile)
	openPACS := widget.NewButton("Open from PACS…", s.openFromPACS)
	cases := widget.NewButton("Cases of the workspace…", s.showWorkList)
	items := []fyne.CanvasObject{title, sub, openFolder, openFile, openPACS, cases}
	if root := sampleData(); root != "" {
		items = append(items, widget.NewButton("Open the sample (IRCAD 3Dircadb1.7, with its truth and the model)", func() { s.openSample(root) }))
	}
	if recent := s.recent(); len(recent) > 0 {
		items = append(items, widget.NewLabelWithStyle("Recent", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
		statuses := make([]*widget.Label, len(recent))
		for i, p := range recent {
			b := widget.NewButton(p, func() { s.openPath(p) })
			b.Alignment = widget.ButtonAlignLeading
			statuses[i] = widget.NewLabel("")
			statuses[i].Importance = widget.LowImportance
			statuses[i].Hide()
			items = append(items, b, statuses[i])
		}
		s.fillRecent(recent, statuses)
	}
	s.win.SetContent(container.NewCenter(container.NewVBox(items...)))
}

func (s *session) chooseFolder() {
	d := dialog.NewFolderOpen(func(u fyne.ListableURI, err error) {
		if err != nil {
			s.showError(err)
			return
		}
		if u != nil {
			s.openPath(u.Path())
		}
	}, s.win)
	s.startIn(d)
	d.Resize(s.dialogSize())
	d.Show()
}

func (s *session) chooseFile() {
	d := dialog.NewFileOpen(func(rc fyne.URIReadCloser, err error) {
		if err != nil {
			s.showError(err)
			return
		}
		if rc != nil {
			p := rc.URI().Path()
			rc.Close()
			s.openPath(p)
		}
	}, s.win)
	s.startIn(d)
	d.Resize(s.dialogSize())
	d.Show()
}

// startIn starts a file dialog in the data folder when there is one.
func (s *session) startIn(d *dialog.FileDialog) {
	root, _ := inference.DataDir()
	if root == "" {
		return
	}
	if u, err := storage.ListerForURI(storage.NewFileURI(root)); err == nil {
		d.SetLocation(u)
	}
}

func (s *session) dialogSize() fyne.Size {
	sz := s.win.Canvas().Size()
	return fyne.NewSize(max(sz.Width*0.85, 600), max(sz.Height*0.85, 400))
}

// cancelWork cancels the running discovery or load, whose result is then dropped.
func (s *session) cancelWork() {
	s.gen++
	if s.cancel != nil {
		s.cancel()
		s.cancel = nil
	}
	s.progress, s.cancelBtn = nil, nil
}

// begin starts a new piece of background work and returns its context and generation.
func (s *session) begin() (context.Context, int) {
	s.cancelWork()
	ctx, cancel := context.WithCancel(s.ctx)
	s.cancel = cancel
	return ctx, s.gen
}

// background runs work off the Fyne goroutine and then done on it, unless a newer piece of
// work has started meanwhile. A panic in work becomes an error.
func (s *session) background(gen int, work func() error, done func(error)) {
	s.jobs.Go(func(context.Context) {
		err := guarded(work)
		s.do(func() {
			if gen != s.gen {
				return
			}
			if s.cancel != nil {
				s.cancel()
				s.cancel = nil
			}
			done(err)
		})
	})
}

// guarded runs f and turns a panic in it into an error: a bug in a background job becomes a
// dialog, not the end of the application and its unsaved work.
func guarded(f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("internal error: %v", p)
		}
	}()
	return f()
}

// openPath discovers the series under path in the background and lists them.
func (s *session) openPath(path string) {
	ctx, gen := s.begin()
	s.leaveReview()
	s.win.SetTitle("liverseg — " + path)
	bar := widget.NewProgressBarInfinite()
	cancel := widget.NewButton("Cancel", func() {
		bar.Stop()
		s.showWelcome()
	})
	s.win.SetContent(container.NewCenter(container.NewVBox(
		widget.NewLabel("Looking for DICOM series in "+path+" …"), bar, container.NewCenter(cancel))))
	var cat *scan.Catalog
	s.background(gen, func() (err error) {
		cat, err = scan.Discover(ctx, path)
		return err
	}, func(err error) {
		bar.Stop()
		if err == nil && len(cat.Series) == 0 {
			err = noSeriesError(path, cat)
		}
		if err != nil {
			s.showWelcome()
			if !errors.Is(err, context.Canceled) {
				s.showError(err)
			}
			return
		}
		s.remember(path)
		s.showCatalog(cat)
	})
}

// noSeriesError says why a path held no series, naming the first file that failed.
func noSeriesError(path string, cat *scan.Catalog) error {
	switch {
	case len(cat.Problems) > 0:
		return fmt.Errorf("%s: no image series found (%s could not be read; the first: %v)", path, files(len(cat.Problems)), cat.Problems[0])
	case len(cat.Labels) > 0:
		return fmt.Errorf("%s: no image series found, only label objects (DICOM SEG) in %s", path, files(len(cat.Labels)))
	case len(cat.NotDICOM) > 0:
		return fmt.Errorf("%s: no image series found (%s not DICOM, such as %s)", path, files(len(cat.NotDICOM)), cat.NotDICOM[0])
	}
	return fmt.Errorf("%s: no image series found", path)
}

// files is "1 file" or "N files".
func files(n int) string {
	if n == 1 {
		return "1 file"
	}
	return fmt.Sprintf("%d files", n)
}

var seriesColumns = []struct {
	title string
	width float32
}{
	{"Patient", 120}, {"Study date", 95}, {"Description", 130}, {"Slices", 55}, {"Matrix", 80},
}

// personName is a DICOM person name (FAMILY^GIVEN^...) as people write it.
func personName(pn string) string { return strings.ReplaceAll(strings.TrimSpace(pn), "^", " ") }

// seriesCell is the text of column col for series e.
func seriesCell(e *scan.SeriesEntry, col int) string {
	s := e.Series
	switch col {
	case 0:
		name := personName(s.PatientName)
		if name == "" {
			name = s.PatientID
		}
		return orDash(name)
	case 1:
		return orDash(formatDate(s.StudyDate))
	case 2:
		d := s.SeriesDescription
		if d == "" {
			d = s.StudyDescription
		}
		if d == "" && s.SeriesNumber != 0 {
			d = fmt.Sprintf("series %d", s.SeriesNumber)
		}
		return orDash(d)
	case 3:
		return fmt.Sprint(e.Slices())
	case 4:
		return fmt.Sprintf("%d×%d", e.Dims[0], e.Dims[1])
	}
	return ""
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return s
}

// formatDate writes a DICOM date (YYYYMMDD) as YYYY-MM-DD; anything else is left as it is.
func formatDate(d string) string {
	d = strings.TrimSpace(d)
	if len(d) == 8 && strings.Trim(d, "0123456789") == "" {
		return d[:4] + "-" + d[4:6] + "-" + d[6:]
	}
	return d
}

// showCatalog shows the series list of cat beside an empty pane; a lone series starts loading.
func (s *session) showCatalog(cat *scan.Catalog) {
	s.cat = cat
	t := widget.NewTable(
		func() (int, int) { return len(cat.Series), len(seriesColumns) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(id widget.TableCellID, o fyne.CanvasObject) {
			o.(*widget.Label).SetText(seriesCell(cat.Series[id.Row], id.Col))
		})
	t.ShowHeaderRow = true
	t.CreateHeader = func() fyne.CanvasObject {
		return widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	t.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		if id.Col >= 0 && id.Col < len(seriesColumns) {
			o.(*widget.Label).SetText(seriesColumns[id.Col].title)
		}
	}
	for i, c := range seriesColumns {
		t.SetColumnWidth(i, c.width)
	}
	t.OnSelected = func(id widget.TableCellID) {
		if id.Row >= 0 && id.Row < len(cat.Series) {
			s.loadSeries(id.Row)
		}
	}
	s.table = t

	head := widget.NewLabel(fmt.Sprintf("%s — %d series", cat.Root, len(cat.Series)))
	head.Truncation = fyne.TextTruncateEllipsis
	var foot fyne.CanvasObject = layout.NewSpacer()
	if n := len(cat.Problems); n > 0 {
		foot = widget.NewButton(files(n)+" could not be read…", func() { s.showProblems(cat) })
	}
	back := widget.NewButton("Open another…", s.showWelcome)
	left := container.NewBorder(container.NewBorder(nil, nil, nil, back, head), foot, nil, nil, t)
	s.right = container.NewStack(container.NewCenter(widget.NewLabel("Choose a series to load it.")))
	split := container.NewHSplit(left, s.right)
	split.Offset = 0.42
	s.split = split
	s.win.SetContent(split)
	if s.hooks.onCatalog != nil {
		s.hooks.onCatalog(cat)
	}
	if !s.pickWanted(t) && len(cat.Series) == 1 {
		t.Select(widget.TableCellID{Row: 0, Col: 0})
	}
}

// showProblems lists the files of cat that could not be read, each with its reason.
func (s *session) showProblems(cat *scan.Catalog) {
	var b strings.Builder
	for i, p := range cat.Problems {
		if i == 200 {
			fmt.Fprintf(&b, "… and %d more\n", len(cat.Problems)-i)
			break
		}
		b.WriteString(errorText(p) + "\n")
	}
	e := widget.NewMultiLineEntry()
	e.SetText(b.String())
	e.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustom("Files that could not be read", "Close", e, s.win)
	d.Resize(s.dialogSize())
	d.Show()
}

func (s *session) setRight(o fyne.CanvasObject) {
	s.right.Objects = []fyne.CanvasObject{o}
	s.right.Refresh()
}

// loadSeries loads series i of the catalog in the background, with a progress bar and a Cancel
// button. The first slice shows as soon as it is read (the slices follow outward from it), and
// the review starts once every slice is in. Choosing another series cancels it.
func (s *session) loadSeries(i int) {
	e := s.cat.Series[i]
	ctx, gen := s.begin()
	s.leaveReview()
	name := seriesCell(e, 2)
	label := widget.NewLabel(fmt.Sprintf("Loading %s: 0 of %d slices", name, e.Slices()))
	bar := widget.NewProgressBar()
	cancel := s.cancel
	btn := widget.NewButton("Cancel", func() { cancel() })
	s.progress, s.cancelBtn = bar, btn
	box := container.NewVBox(label, bar, container.NewCenter(btn))
	s.setRight(container.NewPadded(container.NewVBox(layout.NewSpacer(), box, layout.NewSpacer())))

	progress := s.percentProgress(func(done, total int) {
		if gen != s.gen {
			return
		}
		bar.SetValue(float64(done) / float64(max(total, 1)))
		label.SetText(fmt.Sprintf("Loading %s: %d of %d slices", name, done, total))
	})
	first := firstSlice(e)
	shown := make(chan struct{}) // closed once the first slice is done
	var once sync.Once
	arrived := func(k int) {
		if k == first {
			once.Do(func() { close(shown) })
		}
		s.do(func() {
			if gen == s.gen && s.loading != nil {
				s.loading.sv.SliceArrived(k)
			}
		})
	}
	avail := s.memAvailable
	s.background(gen, func() error {
		v, l, err := e.LoadProgressive(ctx, scan.LoadOptions{First: first, Progress: progress, Arrived: arrived, Available: avail})
		if err != nil {
			return namePath(e.Series.Path, err)
		}
		gcpace.ForVolume(2 * int64(len(v.Voxels)))
		select {
		case <-shown:
		case <-l.Done():
		}
		r, err := viewer.NewRenderer(v)
		if err != nil {
			l.Cancel()
			return fmt.Errorf("%s: %w", e.Series.Path, err)
		}
		s.do(func() {
			if gen == s.gen {
				s.showLoading(e, r, l, label, bar, btn)
			}
		})
		if err := l.Wait(ctx); err != nil {
			return err
		}
		debug.FreeOSMemory() // the load's scratch, before the review's jobs add to the volume
		return nil
	}, func(err error) {
		s.progress, s.cancelBtn = nil, nil
		lv := s.loading
		se, someFailed := errSlices(err)
		switch {
		case err == nil && lv != nil:
			s.loading = nil
			lv.sv.SetLoading(nil)
			s.showView(e, lv.sv)
		case someFailed && lv != nil:
			// The slices read stay on show; what needs every slice does not start.
			s.showError(fmt.Errorf("%s: %s", e.Series.Path, lv.failed(se)))
		case errors.Is(err, context.Canceled):
			s.loading, s.view = nil, nil
			s.table.UnselectAll()
			s.setRight(container.NewCenter(widget.NewLabel("Loading cancelled. Choose a series to load it.")))
			if s.hooks.onCancel != nil {
				s.hooks.onCancel()
			}
		default:
			if err == nil {
				err = fmt.Errorf("%s: the series loaded but its view was not shown", e.Series.Path)
			}
			s.loading, s.view = nil, nil
			s.table.UnselectAll()
			s.setRight(container.NewCenter(widget.NewLabel("The series could not be loaded.")))
			s.showError(err)
		}
	})
}

// percentProgress makes a progress callback for work that reports from several goroutines:
// it passes on only the reports that change the whole percentage, in order, to update on the
// Fyne goroutine.
func (s *session) percentProgress(update func(done, total int)) func(done, total int) {
	var mu sync.Mutex
	last := -1
	return func(done, total int) {
		mu.Lock()
		defer mu.Unlock()
		pct := done * 100 / max(total, 1)
		if pct == last {
			return
		}
		last = pct
		s.do(func() { update(done, total) })
	}
}

// showView puts the review of a loaded series beside the list (made narrow) and gives the view
// the keyboard, then runs the first actions the options ask for.
func (s *session) showView(e *scan.SeriesEntry, sv *sliceview.View) {
	s.view = sv
	r := newReview(s, e, sv)
	s.review = r
	s.setRight(r.content())
	if s.split != nil {
		s.split.SetOffset(0.14)
	}
	s.win.SetTitle(fmt.Sprintf("liverseg — %s — %s", seriesCell(e, 0), seriesCell(e, 2)))
	s.win.Canvas().Focus(sv)
	if s.hooks.onView != nil {
		s.hooks.onView(sv)
	}
	o := s.opts
	if s.next != nil {
		o, s.next = *s.next, nil
	}
	r.startup(o)
}

// leaveReview cancels the review's work before another series or page is shown.
func (s *session) leaveReview() {
	if s.review != nil {
		s.review.close()
	}
	s.review, s.view, s.loading = nil, nil, nil
}

// errorText is err as "FILE: reason", like the command line says it.
func errorText(err error) string {
	msg := err.Error()
	var pe *fs.PathError
	if errors.As(err, &pe) {
		msg = strings.Replace(msg, pe.Op+" "+pe.Path, pe.Path, 1)
	}
	return msg
}

// showError shows err in a dialog (never a crash); the text names the file and the reason.
func (s *session) showError(err error) {
	if s.hooks.onError != nil {
		s.hooks.onError(err)
	}
	dialog.ShowError(errors.New(errorText(err)), s.win)
}
