package training

// The interactive model's job end: its report is the Dice against the number of simulated clicks
// on the validation cases (the worker's "clicks" event), beside the check that without clicks it
// keeps the automatic model's mask.

import (
	"context"
	"encoding/json"
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"liverseg/inference"
	"liverseg/scan"
)

// ClickCurve is the Dice against the number of simulated clicks, as the worker measured it
// (worker.py, click_curve): every slice of each case corrected one at a time from the automatic
// model's mask, each click on the largest error region the model's previous output leaves.
type ClickCurve struct {
	Counts   []int                 `json:"counts"` // the numbers of clicks, 0 first
	Cases    []ClickCase           `json:"cases"`
	Splits   map[string]ClickSplit `json:"splits"` // "val" (and "train" where scored): all the cases' voxels at once
	Seconds  float64               `json:"seconds"`
	Encoding string                `json:"click_encoding"`
	RadiusMM float64               `json:"click_radius_mm"`
}

// ClickSplit is the curve of all the cases of one side of the split at once.
type ClickSplit struct {
	Slices int       `json:"slices"`
	Dice   []float64 `json:"dice"` // at Counts clicks, against the truth
	// AutoDice is the automatic model's Dice (the label the clicks start from); NoClickAgreement
	// the Dice of the interactive model without clicks against the automatic mask (1 = it keeps
	// the label it is given, as it must).
	AutoDice         float64 `json:"auto_dice"`
	NoClickAgreement float64 `json:"no_click_agreement"`
	// FirstClick is what one click on the automatic mask does to the error region it is on, as
	// the AI click tool applies it (worker.py, first_click), by the click's sign: "positive"
	// (on missed liver) and "negative" (on a leak).
	FirstClick map[string]ClickFix `json:"first_click,omitempty"`
}

// ClickFix sums the first clicks of one sign: their error regions' pixels, those the click
// corrected, and those it changed outside its region (the click's side, connected to it).
type ClickFix struct {
	Clicks  int `json:"clicks"`
	Region  int `json:"region"`
	Fixed   int `json:"fixed"`
	Outside int `json:"outside"`
}

// FixedShare is the share of the regions' pixels corrected; OutsideShare the pixels changed
// outside them, per pixel of the regions (0 where there was no click).
func (f ClickFix) FixedShare() float64   { return ratio(f.Fixed, f.Region) }
func (f ClickFix) OutsideShare() float64 { return ratio(f.Outside, f.Region) }

func ratio(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}

// ClickCase is one case's curve.
type ClickCase struct {
	Name  string `json:"name"`
	Kind  string `json:"kind"`
	Split string `json:"split"`
	ClickSplit
}

// At is the Dice at n clicks of the split, and whether the curve has that point.
func (c *ClickCurve) At(split string, n int) (float64, bool) {
	s, ok := c.Splits[split]
	if !ok {
		return 0, false
	}
	for i, k := range c.Counts {
		if k == n && i < len(s.Dice) {
			return s.Dice[i], true
		}
	}
	return 0, false
}

// finishInteractive ends Finish for an interactive model, checked in ONNX Runtime against
// PyTorch with guidance in its reference inputs: the report from the worker's click curve (the
// validation figure the model carries is its Dice without clicks).
func finishInteractive(ctx context.Context, dir string, j *JobFile, man *Manifest, events []Event, done *Event, version, parent string, diff float64, n int, m *inference.Model) (*Outcome, error) {
	ev := lastEvent(events, "clicks")
	if ev == nil {
		return nil, fmt.Errorf("%s: the worker measured no click curve (no clicks event in events.jsonl)", dir)
	}
	var curve ClickCurve
	if err := json.Unmarshal(ev.Raw, &curve); err != nil {
		return nil, fmt.Errorf("%s: the clicks event: %w", dir, err)
	}
	if len(curve.Counts) == 0 || curve.Counts[0] != 0 {
		return nil, fmt.Errorf("%s: the click curve does not start at 0 clicks (%v)", dir, curve.Counts)
	}
	for _, c := range curve.Cases {
		if len(c.Dice) != len(curve.Counts) {
			return nil, fmt.Errorf("%s: case %s has %d points of the click curve for %d counts", dir, c.Name, len(c.Dice), len(curve.Counts))
		}
	}
	r := newReport(j, man, events, done, version, parent, diff, n, m.Provider())
	r.Kind, r.Clicks = inference.KindInteractive, &curve
	if val, ok := curve.Splits["val"]; ok {
		r.ValLevel = "slices"
		r.Val = scan.Metrics{Dice: val.Dice[0]}
		if err := inference.StampMetadata(ctx, m.Path(), map[string]string{inference.KeyValDice: strconv.FormatFloat(val.Dice[0], 'f', 4, 64)}); err != nil {
			return nil, err
		}
	}
	if err := r.Write(filepath.Join(dir, "report")); err != nil {
		return nil, err
	}
	return &Outcome{Dir: dir, Model: m.Path(), Report: r}, nil
}

// writeClickPlot draws clicks.png: the Dice against the number of clicks, a line a case.
func (r *Report) writeClickPlot(dir string) error {
	c := r.Clicks
	p := plot.New()
	p.Title.Text = "Dice against the number of simulated clicks"
	p.X.Label.Text = "clicks on each slice"
	p.Y.Label.Text = "Dice"
	colors := []color.Color{color.RGBA{31, 119, 180, 255}, color.RGBA{214, 39, 40, 255}, color.RGBA{44, 160, 44, 255}, color.RGBA{148, 103, 189, 255}}
	for i, cs := range c.Cases {
		var pts plotter.XYs
		for k, n := range c.Counts {
			pts = append(pts, plotter.XY{X: float64(n), Y: cs.Dice[k]})
		}
		if err := addLine(p, pts, colors[i%len(colors)], cs.Name+" ("+cs.Split+")"); err != nil {
			return err
		}
	}
	p.Legend.Top, p.Legend.Left = false, false
	p.Legend.YOffs = vg.Points(-60)
	p.Add(plotter.NewGrid())
	return p.Save(6*vg.Inch, 3.5*vg.Inch, filepath.Join(dir, "clicks.png"))
}

// HasFirstClicks says whether the curve has first-click figures (a curve from an older worker
// has none).
func (c *ClickCurve) HasFirstClicks() bool {
	for _, s := range c.Splits {
		if s.FirstClick != nil {
			return true
		}
	}
	for _, cs := range c.Cases {
		if cs.FirstClick != nil {
			return true
		}
	}
	return false
}

// writeFirstClicks writes the table of what one click on the automatic mask does (ClickFix),
// for the splits and the cases that have it.
func writeFirstClicks(p func(string, ...any), c *ClickCurve) {
	if !c.HasFirstClicks() {
		return
	}
	type row struct {
		name, split string
		f           map[string]ClickFix
	}
	var rows []row
	for _, split := range []string{"val", "train"} {
		if s, ok := c.Splits[split]; ok && s.FirstClick != nil {
			rows = append(rows, row{"all " + split, split, s.FirstClick})
		}
	}
	for _, cs := range c.Cases {
		if cs.FirstClick != nil {
			rows = append(rows, row{cs.Name, cs.Split, cs.FirstClick})
		}
	}
	p("\nOne click on each slice's automatic mask, at the centre of its largest error region, applied as the AI click tool applies it (its own disk stamped, then only the connected change under the click kept): the share of the regions' pixels corrected, and the pixels changed outside them per pixel of the regions.\n\n")
	p("| case | split | click | clicks | region pixels | corrected | changed outside |\n|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		for _, sign := range []string{"positive", "negative"} {
			if f, ok := r.f[sign]; ok {
				p("| %s | %s | %s | %d | %d | %.3f | %.3f |\n", r.name, r.split, sign, f.Clicks, f.Region, f.FixedShare(), f.OutsideShare())
			}
		}
	}
}

// writeInteractiveCard writes the model card of an interactive model's report.
func writeInteractiveCard(path string, r *Report) error {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	c := r.Clicks
	p("# liverseg interactive model %s\n\n", r.Version)
	p("A 2.5D U-Net that redraws the liver on an axial CT slice from the slice, its current label and the annotator's clicks (\"liver here\", \"not liver here\"): the AI click tool (DESIGN.md, the model contract).")
	if r.Parent != "" {
		p(" Trained from the automatic model %s: its weights, with zero weights for the guidance channels, so that it started as that model.", r.Parent)
	}
	p("\n\n## Figures\n\nDice against the number of clicks on each slice, every slice of the validation cases corrected one at a time from the automatic model's mask (the simulation is in the report):\n\n")
	p("| case | split | slices | automatic | agreement, 0 clicks |")
	for _, n := range c.Counts {
		p(" %d clicks |", n)
	}
	p("\n|---|---|---|---|---|%s\n", strings.Repeat("---|", len(c.Counts)))
	row := func(name, split string, s ClickSplit) {
		p("| %s | %s | %d | %.4f | %.4f |", name, split, s.Slices, s.AutoDice, s.NoClickAgreement)
		for _, d := range s.Dice {
			p(" %.4f |", d)
		}
		p("\n")
	}
	for _, split := range []string{"val", "train"} {
		if s, ok := c.Splits[split]; ok {
			row("all "+split, split, s)
		}
	}
	for _, cs := range c.Cases {
		row(cs.Name, cs.Split, cs.ClickSplit)
	}
	p("\n\"agreement, 0 clicks\" is the Dice of the model without clicks, given the automatic mask as label, against that mask: it keeps the label it is given.\n")
	writeFirstClicks(p, c)
	p("\nONNX Runtime (%s) reproduces PyTorch's logits on %d validation slices with simulated guidance within %.2g.\n", r.ORTProvider, r.ORTSlices, r.ORTMaxDiff)
	p("\n## Input (the contract in the model's metadata)\n\n")
	p("%d image channels (slices k-1, k, k+1), window %g..%g HU scaled to 0..1, resized to %dx%d (bilinear), orientation %s; then 3 guidance channels: the slice's current label (0/1, resized as the image is, bilinear, then >= 0.5), the positive clicks' map and the negative clicks' map, each click a %s of %g mm (the distance in mm through the input's pixel spacing per axis). Output: the slice's logits; threshold 0.5 on the sigmoid.\n",
		r.Contract.Channels, r.Contract.Window[0], r.Contract.Window[1], r.Contract.InputSize[0], r.Contract.InputSize[1], r.Contract.Orientation, c.Encoding, c.RadiusMM)
	p("\n## Training\n\n")
	ct := r.Params.Interactive
	p("Simulated clicks (RITM, DeepEdit): per sample, ")
	if ct != nil {
		p("%.0f%% without a click (the automatic mask as label and as target, loss weight %g), the others 1 to %d clicks placed one at a time on the largest error region of the model's own previous output (fed back as the label), starting from the automatic mask, an empty label (%.0f%%) or the truth grown or shrunk by 1 to 6 pixels (%.0f%%). ",
			100*ct.NoClickShare, ct.NoClickWeight, ct.MaxClicks, 100*ct.EmptyShare, 100*ct.CorruptShare)
		if ct.Network == "copy" {
			p("The network is the automatic parent, frozen, and a trainable copy of it (the parent's weights, zeros on the guidance channels of its first layer) whose logits replace the parent's on a slice with clicks; only the copy trains. ")
		} else {
			p("The network is the automatic parent, frozen, with a click head of %d channels (dilated convolutions over the parent's last features and logits and the guidance) that adds a correction to the parent's logits; only the head trains, from zero. ", ct.HeadWidth)
		}
		p("Loss: the cross-entropy on the clicked error regions (the truth there), averaged over them alone, at weight %g, plus the mean over the other pixels (the label there); ", ct.RegionWeight)
	}
	p("%s, lr %g, schedule %s, batch %d, batch norm frozen: %v; %d epochs of at most %d steps run, the weights of epoch %d (lowest validation loss) kept",
		r.Params.Optimizer, r.Params.LR, r.Params.Schedule, r.Params.Batch, r.Params.FreezeBN, r.Epochs, r.Params.MaxStepsPerEpoch, r.BestEpoch)
	if r.EarlyStop != "" {
		p(" (stopped early: %s)", r.EarlyStop)
	}
	p("; torch %s on %s, %.0f s of training, %.0f s for the click curve.\n\n", r.Torch, r.Device, r.TrainSeconds, c.Seconds)
	p("| data | kind | split | slices | patients |\n| --- | --- | --- | --- | --- |\n")
	for _, d := range r.Dataset {
		p("| %s | %s | %s | %d | %d |\n", d.Name, d.Kind, d.Split, d.Slices, d.Patients)
	}
	p("\nSplit by patient, never by slice. The 2D slice sets carry no spacing: their clicks are drawn at an assumed %g mm a pixel of the input.\n", sliceSpacing(r.Params))
	p("\n## Limits\n\n")
	p("- The clicks are simulated (the largest error region's interior-most point); an annotator clicks elsewhere, and the figures of bench/clicks.sh on whole series are the ones to quote.\n")
	p("- Few patients; a click far from what the model learnt (a lesion, another contrast phase) may change less than wanted.\n")
	p("- Data licences: 3D-IRCADb-01 is CC BY-NC-ND 4.0 (research only), the MSD liver slices CC BY-SA 4.0. For research and review assistance, not for diagnosis.\n")
	p("\nThe full report: report/index.html and report/metrics.json.\n")
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// sliceSpacing is the mm of an input pixel assumed for the slice sets (the worker's default).
func sliceSpacing(p Params) float64 {
	if p.SliceSpacingMM > 0 {
		return p.SliceSpacingMM
	}
	return 2
}
