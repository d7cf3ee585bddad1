package cli

import (
	"context"
	"encoding/json"
	"math"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"liverseg/assets"
	"liverseg/inference"
	"liverseg/internal/testenv"
	"liverseg/scan"
	"liverseg/scan/labels"
	"liverseg/scan/nifti"
	"liverseg/training"
	"liverseg/viewer"
	"liverseg/workspace"
)

// TestCorrectAndFineTuneIRCAD1 is issue 14's end-to-end test: the built-in model's prediction of
// IRCAD case 1 is corrected toward the reference mask through the viewer's edit tools (the
// script: correctTowardTruth), saved as a manual label version in a workspace, a short fine-tuning
// job runs on the corrected case (training.FineTune, as the GUI's retrain panel calls it, from the
// built-in model's ONNX weights), and `liverseg segment` with the new model and `liverseg eval
// --json` of both predictions show the new model's Dice on case 1 against the IRCAD truth above
// the old model's.
//
// The built-in model was trained on case 1 among others (its card: Dice 0.987 there), so the room
// left is its systematic boundary errors (a pixel or two at 512, under one at the model's 192),
// most of them on the 40 slices the annotator corrects: expect a gain of about 0.001 (0.9869 to
// about 0.988 when this was written), not a leap. About 1.5 minutes on two idle cores: 5 s to
// predict, 20 s of scripted editing, a minute to fine-tune and score, 10 s to segment and eval.
func TestCorrectAndFineTuneIRCAD1(t *testing.T) {
	if testing.Short() {
		t.Skip("fine-tunes a model on the CPU: about a minute and a half")
	}
	py := needTorch(t)
	lib := ortLibrary(t)
	ctx := context.Background()
	t0 := time.Now()
	ort := inference.Options{LibraryPath: lib, Device: inference.DeviceCPU}
	cw := correctedWorkspace(t, t.TempDir(), ort)
	ws, c, v, pred, series, truthDir := cw.ws, cw.caseID, cw.v, cw.pred, cw.series, cw.truthDir
	tPredict, tCorrect := cw.tPredict, cw.tCorrect

	// 4. A short fine-tune on the corrected case, from the built-in model (nothing is active).
	// The defaults, with 25 steps an epoch (of 32): 100 steps of 4 slices, a minute on two
	// unloaded cores.
	p := training.FineTuneParams()
	p.MaxStepsPerEpoch = 25
	var epochs []training.Event
	steps := 0
	res, err := training.FineTune(ctx, training.FineTuneRequest{Workspace: ws, Train: []string{c}, Params: &p,
		Python: py, ORT: ort, Author: "e2e test"}, func(ev training.Event) {
		switch ev.Event {
		case "step":
			steps++
		case "epoch":
			epochs = append(epochs, ev)
			left, _ := ev.ETA()
			t.Logf("epoch %d/%d: train loss %.4f, %.0f s, about %v left", ev.Epoch, ev.Epochs, ev.TrainLoss, ev.Elapsed, left.Round(time.Second))
		case "focus", "init":
			t.Logf("%s", ev.Raw)
		case "stage":
			t.Logf("stage %s: %s", ev.Kind, ev.Message)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	tTrain := time.Since(t0) - tPredict - tCorrect
	if res.Parent != training.BuiltIn || res.Model == nil || res.Model.Active || len(res.TrainScores) != 1 || len(epochs) != p.Epochs {
		t.Fatalf("result %+v, %d epochs", res, len(epochs))
	}
	if a, err := ws.Active(ctx); err == nil {
		t.Errorf("FineTune activated %s", a.Version)
	}
	ts := res.TrainScores[0]
	t.Logf("FineTune: model %s from %s in %v (%d steps); case %s against its label version %d: Dice %.4f -> %.4f",
		res.Version, res.Parent, res.Elapsed.Round(time.Second), steps, ts.CaseID, ts.Label, ts.OldDice, ts.NewDice)

	// 5. liverseg segment with the new model, and liverseg eval of both predictions against the
	// IRCAD truth.
	dir := t.TempDir()
	oldPred, newPred := filepath.Join(dir, "old.nii.gz"), filepath.Join(dir, "new.nii.gz")
	if err := nifti.WriteLabel(oldPred, v, pred); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "segment", "--in", series, "--model", res.Model.Path, "--out", newPred, "--device", "cpu", "--ort-lib", lib)
	eval := func(p string) float64 {
		var r struct {
			Dice float64 `json:"dice"`
		}
		if err := json.Unmarshal([]byte(mustRun(t, "eval", "--series", series, "--truth", truthDir, "--pred", p, "--json")), &r); err != nil {
			t.Fatal(err)
		}
		return r.Dice
	}
	oldDice, newDice := eval(oldPred), eval(newPred)
	t.Logf("liverseg eval on IRCAD case 1 against its reference mask: old model (built-in) Dice %.4f, new model (%s) Dice %.4f (%+.4f)",
		oldDice, res.Version, newDice, newDice-oldDice)
	t.Logf("times: predict %v, correct %v, fine-tune %v, segment and eval %v; total %v", tPredict.Round(time.Second), tCorrect.Round(time.Millisecond),
		tTrain.Round(time.Second), (time.Since(t0) - tPredict - tCorrect - tTrain).Round(time.Second), time.Since(t0).Round(time.Second))
	if !(newDice > oldDice) {
		t.Fatalf("the fine-tuned model's Dice %.4f is not above the old model's %.4f", newDice, oldDice)
	}
	if math.Abs(oldDice-ts.OldDice) > 0.05 {
		t.Errorf("FineTune's old Dice %.4f (against the corrected label) is far from eval's %.4f (against the truth)", ts.OldDice, oldDice)
	}
}

// corrected is the workspace of the end-to-end test once the annotator is done.
type corrected struct {
	ws                 *workspace.Workspace
	caseID             string
	v                  *scan.Volume
	pred, truth        *scan.Mask // the built-in model's prediction, the IRCAD reference
	series, truthDir   string
	tPredict, tCorrect time.Duration
}

// correctedWorkspace makes, in wsDir, a workspace with IRCAD case 1 whose label version 1 is the
// built-in model's prediction and version 2 the scripted annotator's correction of it.
func correctedWorkspace(t *testing.T, wsDir string, ort inference.Options) corrected {
	t.Helper()
	root := testenv.IRCAD(t, 1)
	series, truthDir := filepath.Join(root, "PATIENT_DICOM"), filepath.Join(root, "MASKS_DICOM", "liver")
	ctx := context.Background()
	t0 := time.Now()

	// 1. The built-in model's prediction, as the GUI shows it.
	v, err := scan.LoadVolume(ctx, series, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	truth, err := labels.Load(truthDir, v, labels.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cache, err := inference.CacheDir()
	if err != nil {
		t.Fatal(err)
	}
	builtIn, err := assets.DefaultModelFile(cache)
	if err != nil {
		t.Skipf("no built-in model: %v", err)
	}
	m, err := inference.OpenModel(ctx, builtIn, ort)
	if err != nil {
		t.Fatal(err)
	}
	pred, _, _, err := inference.Segment(ctx, m, v, nil)
	m.Close()
	if err != nil {
		t.Fatal(err)
	}
	tPredict := time.Since(t0)

	// 2. A workspace with the case; the prediction is label version 1 (origin model).
	ws, err := workspace.Open(ctx, wsDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	c, err := ws.EnsureCase(ctx, workspace.SeriesCase(&v.Series))
	if err != nil {
		t.Fatal(err)
	}
	v1, err := ws.SaveLabel(ctx, c.ID, v, pred, workspace.OriginModel, 0, training.BuiltIn, "liverseg")
	if err != nil {
		t.Fatal(err)
	}

	// 3. The scripted annotator corrects it through the edit tools.
	ed, err := viewer.NewEditor(v, pred)
	if err != nil {
		t.Fatal(err)
	}
	sc := correctTowardTruth(t, ed, truth, 40)
	before, after := diceOf(t, truth, pred), diceOf(t, truth, ed.Mask())
	undo, _ := ed.History().Len()
	t.Logf("annotator: %d slices, %d undo steps (%v), %d voxels changed; label Dice against the truth %.4f -> %.4f",
		sc.slices, undo, sc.tools, sc.voxels, before, after)
	if !(after > before) {
		t.Fatalf("the corrections did not bring the label closer to the truth: %.4f -> %.4f", before, after)
	}
	if after > 0.9995 {
		t.Fatalf("label Dice %.4f: the script copied the truth instead of correcting", after)
	}
	if _, err := ws.SaveLabel(ctx, c.ID, v, ed.Mask(), workspace.OriginManual, v1.Version, "", "e2e annotator"); err != nil {
		t.Fatal(err)
	}
	tCorrect := time.Since(t0) - tPredict

	return corrected{ws: ws, caseID: c.ID, v: v, pred: pred, truth: truth, series: series, truthDir: truthDir, tPredict: tPredict, tCorrect: tCorrect}
}

// annotatorStats counts what the scripted annotator did.
type annotatorStats struct {
	slices int
	voxels int
	tools  map[string]int
}

// correctTowardTruth is the scripted annotator. It works on the maxSlices canonical slices where
// the label and the truth disagree most, and there on each 4-connected region of wrong pixels
// (pixels the label has and the truth has not, or the other way round), as a person would:
//   - regions of fewer than 4 pixels are left alone (a speck no one clicks on);
//   - a region of false liver whose bounding box holds no true liver is cut out with the lasso
//     (LassoCut on the box); a region of missed liver whose box is all true liver is filled with
//     the lasso (LassoFill);
//   - a hole in the label that is all true liver is filled with a flood fill (FloodFill clicked
//     inside the hole);
//   - anything else (the thin bands along the boundary where most errors are) is fixed with clicks
//     of the eraser or the brush (Stamp), each with the largest radius (4 mm down to 0.5 mm) whose
//     disc would change only wrong pixels: a careful annotator who shrinks the brush near the
//     edge. A pixel no disc fits is left.
//
// The tools only ever see positions derived from where the label is wrong; the truth decides
// where to click, never what a voxel becomes.
func correctTowardTruth(t *testing.T, ed *viewer.Editor, truth *scan.Mask, maxSlices int) annotatorStats {
	t.Helper()
	st := annotatorStats{tools: map[string]int{}}
	w, h := ed.Size()
	can := ed.Canonical()
	offs := make([]int, w*h)
	// the slices with most disagreement
	type slice struct{ k, wrong int }
	var ss []slice
	for k := 0; k < ed.Slices(); k++ {
		can.SliceOffsets(k, offs)
		n := 0
		for _, o := range offs {
			if (ed.Mask().At(o) != 0) != (truth.At(o) != 0) {
				n++
			}
		}
		if n > 0 {
			ss = append(ss, slice{k, n})
		}
	}
	sort.Slice(ss, func(i, j int) bool { return ss[i].wrong > ss[j].wrong })
	if len(ss) > maxSlices {
		ss = ss[:maxSlices]
	}
	apply := func(e *viewer.Edit, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		if e != nil {
			st.tools[e.Tool]++
			st.voxels += e.Voxels
		}
	}
	radii := []float64{4, 3, 2, 1.5, 1, 0.5}
	for _, s := range ss {
		k := s.k
		st.slices++
		can.SliceOffsets(k, offs)
		lab := func(p int) bool { return ed.Mask().At(offs[p]) != 0 }
		tru := func(p int) bool { return truth.At(offs[p]) != 0 }
		wrong := func(p int) bool { return lab(p) != tru(p) }
		for _, r := range regions(w, h, wrong) {
			if len(r) < 4 {
				continue
			}
			erase := lab(r[0]) // false liver: erase; missed liver: paint
			x0, y0, x1, y1 := w, h, -1, -1
			for _, p := range r {
				x0, y0, x1, y1 = min(x0, p%w), min(y0, p/w), max(x1, p%w), max(y1, p/w)
			}
			box := []viewer.Point{{X: float64(x0), Y: float64(y0)}, {X: float64(x1 + 1), Y: float64(y0)},
				{X: float64(x1 + 1), Y: float64(y1 + 1)}, {X: float64(x0), Y: float64(y1 + 1)}}
			boxAll := func(f func(int) bool) bool {
				for y := y0; y <= y1; y++ {
					for x := x0; x <= x1; x++ {
						if !f(y*w + x) {
							return false
						}
					}
				}
				return true
			}
			switch {
			case erase && boxAll(func(p int) bool { return !tru(p) }):
				apply(ed.LassoCut(k, box))
				continue
			case !erase && boxAll(tru):
				apply(ed.LassoFill(k, box))
				continue
			case !erase:
				// a hole: the background region around the region's first pixel, closed and all
				// true liver
				if hole := regionAt(w, h, r[0], func(p int) bool { return !lab(p) }); hole != nil && allOf(hole, tru) {
					apply(ed.FloodFill(k, r[0]%w, r[0]/w, viewer.FloodOptions{}))
					continue
				}
			}
			for _, p := range r {
				if !wrong(p) {
					continue
				}
				pt := viewer.Point{X: float64(p%w) + 0.5, Y: float64(p/w) + 0.5}
				for _, mm := range radii {
					rx, ry := ed.CursorRadius(mm)
					// the eraser may only clear false liver, the brush only paint missed liver
					fits := func(q int) bool { return !lab(q) || !tru(q) }
					if !erase {
						fits = func(q int) bool { return lab(q) || tru(q) }
					}
					if discFits(w, h, pt, rx, ry, fits) {
						apply(ed.Stamp(k, viewer.Brush{RadiusMM: mm, Erase: erase}, pt))
						break
					}
				}
			}
		}
	}
	return st
}

// regions lists the 4-connected regions of pixels where in holds, each as its pixel indices
// (y*w + x), the first being its first in row order.
func regions(w, h int, in func(int) bool) [][]int {
	seen := make([]bool, w*h)
	var out [][]int
	for p := 0; p < w*h; p++ {
		if seen[p] || !in(p) {
			continue
		}
		r := flood(w, h, p, in, seen)
		out = append(out, r)
	}
	return out
}

// regionAt is the 4-connected region of p where in holds, or nil when it reaches the slice's
// border (not a hole); it stops at the border rather than flood the whole background.
func regionAt(w, h, p int, in func(int) bool) []int {
	seen := map[int]bool{p: true}
	r, stack := []int{}, []int{p}
	for len(stack) > 0 {
		q := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		x, y := q%w, q/w
		if x == 0 || y == 0 || x == w-1 || y == h-1 {
			return nil
		}
		r = append(r, q)
		for _, n := range [4]int{q - 1, q + 1, q - w, q + w} {
			if !seen[n] && in(n) {
				seen[n] = true
				stack = append(stack, n)
			}
		}
	}
	return r
}

func flood(w, h, p int, in func(int) bool, seen []bool) []int {
	var r []int
	stack := []int{p}
	seen[p] = true
	for len(stack) > 0 {
		q := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		r = append(r, q)
		x, y := q%w, q/w
		for _, n := range [4][3]int{{x - 1, y, q - 1}, {x + 1, y, q + 1}, {x, y - 1, q - w}, {x, y + 1, q + w}} {
			if n[0] >= 0 && n[0] < w && n[1] >= 0 && n[1] < h && !seen[n[2]] && in(n[2]) {
				seen[n[2]] = true
				stack = append(stack, n[2])
			}
		}
	}
	sort.Ints(r) // the stamps then go along the region row by row, as a hand would
	return r
}

func allOf(ps []int, f func(int) bool) bool {
	for _, p := range ps {
		if !f(p) {
			return false
		}
	}
	return true
}

// discFits says whether every pixel a stamp at pt with radii rx, ry (pixels) covers satisfies ok:
// the pixels whose centres lie in the ellipse, as viewer's brush paints them, and the pixel under
// pt.
func discFits(w, h int, pt viewer.Point, rx, ry float64, ok func(int) bool) bool {
	for y := int(math.Floor(pt.Y - ry - 1)); y <= int(math.Ceil(pt.Y+ry+1)); y++ {
		for x := int(math.Floor(pt.X - rx - 1)); x <= int(math.Ceil(pt.X+rx+1)); x++ {
			if x < 0 || y < 0 || x >= w || y >= h {
				continue
			}
			dx, dy := (float64(x)+0.5-pt.X)/rx, (float64(y)+0.5-pt.Y)/ry
			under := x == int(math.Floor(pt.X)) && y == int(math.Floor(pt.Y))
			if (dx*dx+dy*dy <= 1 || under) && !ok(y*w+x) {
				return false
			}
		}
	}
	return true
}

func diceOf(t *testing.T, truth, m *scan.Mask) float64 {
	t.Helper()
	met, err := scan.Compare(truth, m, 0)
	if err != nil {
		t.Fatal(err)
	}
	return met.Dice
}
