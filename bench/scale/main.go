// Command scale measures, in one process, what a review of one series costs as the series grows:
// loading it, reading its truth and prediction, drawing the next slice with both overlays,
// a brush stroke and its undo, the autosave snapshot, saving a label version, and writing and
// reading back the label as DICOM SEG and NIfTI (which must come back voxel-identical).
// bench/scale.sh runs it on IRCAD case 7 and on thin series made from it, beside `segment` and
// the GUI, and prints the table of the issue.
//
// usage: go run ./bench/scale --series DIR --truth LABEL --pred LABEL [--json]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"time"

	"liverseg/internal/gcpace"
	"liverseg/scan"
	"liverseg/scan/labels"
	"liverseg/viewer"
	"liverseg/workspace"
)

// Row is one series' figures; the JSON names are the issue's.
type Row struct {
	Slices       int     `json:"slices"`
	LoadS        float64 `json:"load_s"`
	TruthLoadS   float64 `json:"truth_load_s"`
	NextSliceMS  float64 `json:"next_slice_ms"`
	BrushMS      float64 `json:"brush_ms"`
	UndoMS       float64 `json:"undo_ms"`
	SnapshotMS   float64 `json:"snapshot_ms"`
	SaveVersionS float64 `json:"save_version_s"`
	SEGWriteS    float64 `json:"seg_write_s"`
	NIfTIWriteS  float64 `json:"nifti_write_s"`
	// Undo1000MB is what the undo history holds after 1000 brush strokes.
	Undo1000MB float64 `json:"undo_1000_mb"`
	// LabelsMB is what the truth, the prediction and the edited label hold together.
	LabelsMB   float64 `json:"labels_mb"`
	RoundTrip  bool    `json:"round_trip"` // SEG and NIfTI read back voxel-identical
	HeapPeakMB float64 `json:"heap_peak_mb"`
}

func main() {
	series := flag.String("series", "", "the CT series folder")
	truth := flag.String("truth", "", "its liver truth (mask folder, SEG, NIfTI, PNG stack)")
	pred := flag.String("pred", "", "a prediction of it (any label format); default: the truth")
	asJSON := flag.Bool("json", false, "print JSON")
	flag.Parse()
	if *series == "" || *truth == "" {
		fmt.Fprintln(os.Stderr, "usage: scale --series DIR --truth LABEL [--pred LABEL] [--json]")
		os.Exit(2)
	}
	row, err := measure(context.Background(), *series, *truth, *pred)
	if err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
	if *asJSON {
		json.NewEncoder(os.Stdout).Encode(row)
		return
	}
	fmt.Printf("%+v\n", *row)
}

func measure(ctx context.Context, series, truthPath, predPath string) (*Row, error) {
	row := &Row{}
	t0 := time.Now()
	vol, err := scan.LoadVolume(ctx, series, "", nil)
	if err != nil {
		return nil, err
	}
	row.LoadS, row.Slices = time.Since(t0).Seconds(), vol.Dims[2]
	gcpace.ForVolume(2 * int64(len(vol.Voxels))) // as the application does after a load

	t0 = time.Now()
	truth, err := labels.Load(truthPath, vol, labels.Options{})
	if err != nil {
		return nil, err
	}
	row.TruthLoadS = time.Since(t0).Seconds()
	pred := truth
	if predPath != "" {
		if pred, err = labels.Load(predPath, vol, labels.Options{}); err != nil {
			return nil, err
		}
	}
	liver := truth.LiverSlices()
	if len(liver) == 0 {
		return nil, fmt.Errorf("%s: no liver", truthPath)
	}

	if row.NextSliceMS, err = nextSlice(vol, truth, pred, liver); err != nil {
		return nil, err
	}
	ed, err := viewer.NewEditor(vol, pred)
	if err != nil {
		return nil, err
	}
	row.LabelsMB = mb(truth.Bytes() + pred.Bytes() + ed.Mask().Bytes())
	if row.BrushMS, row.UndoMS, row.Undo1000MB, err = brushAndUndo(ed, liver); err != nil {
		return nil, err
	}

	tmp, err := os.MkdirTemp("", "liverseg-scale-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if row.SnapshotMS, row.SaveVersionS, err = workspaceFigures(ctx, tmp, vol, ed.Mask()); err != nil {
		return nil, err
	}
	row.RoundTrip = true
	for _, f := range []struct {
		format labels.Format
		name   string
		secs   *float64
	}{{labels.FormatSEG, "label.dcm", &row.SEGWriteS}, {labels.FormatNIfTI, "label.nii.gz", &row.NIfTIWriteS}} {
		path := filepath.Join(tmp, f.name)
		t0 := time.Now()
		if err := labels.Write(path, f.format, vol, ed.Mask(), scan.LabelMeta{}); err != nil {
			return nil, err
		}
		*f.secs = time.Since(t0).Seconds()
		back, err := labels.LoadAs(path, f.format, vol, labels.Options{})
		if err != nil {
			return nil, err
		}
		if !back.Equal(ed.Mask()) {
			row.RoundTrip = false
			fmt.Fprintf(os.Stderr, "scale: %s does not read back voxel-identical\n", f.name)
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	row.HeapPeakMB = mb(int64(ms.HeapSys))
	return row, nil
}

func mb(b int64) float64 { return float64(b) / 1e6 }

// nextSlice is the mean time to draw a slice of the liver with truth and prediction outlined over
// it, stepping slice by slice as a reader scrolls (after one warm-up pass).
func nextSlice(vol *scan.Volume, truth, pred *scan.Mask, liver []int) (float64, error) {
	r, err := viewer.NewRenderer(vol)
	if err != nil {
		return 0, err
	}
	r.Truth = viewer.Overlay{Mask: truth, Mode: viewer.Outline, Color: viewer.ColorTruth, Opacity: 1}
	r.Prediction = viewer.Overlay{Mask: pred, Mode: viewer.Fill, Color: viewer.ColorPrediction, Opacity: 0.4}
	w, h := r.Size()
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	lo, hi := liver[0], liver[len(liver)-1]
	for k := lo; k <= hi; k++ {
		if err := r.RenderTo(dst, k); err != nil {
			return 0, err
		}
	}
	t0, n := time.Now(), 0
	for pass := 0; pass < 3; pass++ {
		for k := lo; k <= hi; k++ {
			if err := r.RenderTo(dst, k); err != nil {
				return 0, err
			}
			n++
		}
	}
	return float64(time.Since(t0).Microseconds()) / 1000 / float64(n), nil
}

// brushAndUndo times 1000 brush strokes, then their 1000 undos; the history's memory is read
// after the strokes, with no budget. A stroke drags a 5 mm brush across the middle half of a
// slice, through the liver. The strokes go round the 40 middle slices of the liver, one row of
// each, painting and erasing by turns, so that (after the first round) every stroke changes a
// whole band: the same work, on the same number of slices, at every N. What the figure then
// shows is what the issue asks: whether a stroke or an undo costs more in a longer series.
func brushAndUndo(ed *viewer.Editor, liver []int) (brushMS, undoMS, historyMB float64, err error) {
	ed.History().SetBudget(0)
	w, h := ed.Size()
	if len(liver) > 40 {
		mid := len(liver) / 2
		liver = liver[mid-20 : mid+20]
	}
	const strokes = 1000
	var brushT time.Duration
	for s := range strokes {
		k, y := liver[s%len(liver)], float64(h)*0.45
		t0 := time.Now()
		if err := ed.BeginStroke(k, viewer.Brush{RadiusMM: 5, Erase: (s/len(liver))%2 == 1}); err != nil {
			return 0, 0, 0, err
		}
		for x := 0.25; x <= 0.75; x += 0.05 {
			if _, err := ed.StrokeTo(viewer.Point{X: float64(w) * x, Y: y}); err != nil {
				return 0, 0, 0, err
			}
		}
		e := ed.EndStroke()
		brushT += time.Since(t0)
		ed.History().Push(e)
	}
	historyMB = mb(ed.History().Bytes())
	t0 := time.Now()
	undos := 0
	for ed.History().CanUndo() {
		if _, err := ed.Undo(); err != nil {
			return 0, 0, 0, err
		}
		undos++
	}
	undoMS = float64(time.Since(t0).Microseconds()) / 1000 / float64(max(undos, 1))
	return float64(brushT.Microseconds()) / 1000 / strokes, undoMS, historyMB, nil
}

// workspaceFigures times the autosave snapshot (the mean of 5) and saving a label version.
func workspaceFigures(ctx context.Context, dir string, vol *scan.Volume, m *scan.Mask) (snapshotMS, saveS float64, err error) {
	ws, err := workspace.Open(ctx, filepath.Join(dir, "ws"))
	if err != nil {
		return 0, 0, err
	}
	defer ws.Close()
	c, err := ws.EnsureCase(ctx, workspace.SeriesCase(&vol.Series))
	if err != nil {
		return 0, 0, err
	}
	a, err := ws.OpenAutosave(c.ID, 0, vol.Dims)
	if err != nil {
		return 0, 0, err
	}
	defer a.Discard()
	const snaps = 5
	t0 := time.Now()
	for range snaps {
		if err := a.Checkpoint(m); err != nil {
			return 0, 0, err
		}
	}
	snapshotMS = float64(time.Since(t0).Microseconds()) / 1000 / snaps
	debug.FreeOSMemory()
	t0 = time.Now()
	if _, err := ws.SaveLabel(ctx, c.ID, vol, m, workspace.OriginManual, 0, "", "bench"); err != nil {
		return 0, 0, err
	}
	return snapshotMS, time.Since(t0).Seconds(), nil
}
