package ui

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"liverseg/inference"
	"liverseg/training"
	"liverseg/workspace"
)

// retrainPanel is the dialog that fine-tunes the model on corrected cases: choose the cases,
// follow the job (progress, loss curves, time left, cancel), then see the old and the new model
// side by side on the held-out cases and activate the new one or keep the old. The job is
// training.FineTune: the PyTorch worker runs in a process of its own, so the window stays
// responsive and survives the worker's failure.
type retrainPanel struct {
	r       *review
	d       dialog.Dialog
	cases   []*workspace.Case
	train   map[string]*widget.Check
	heldOut map[string]*widget.Check
	start   *widget.Button
	note    *widget.Label
	bar     *widget.ProgressBar
	chart   *lossChart
	result  *fyne.Container
	kind    *widget.RadioGroup // which kind of model to make (retrainKinds)
	running bool
}

// retrainKinds are the choices of the dialog's kind: the label shown and the model kind.
var retrainKinds = []struct{ label, kind string }{
	{"Automatic model (segments a series)", inference.KindAutomatic},
	{"Interactive model (AI click, from the automatic one)", inference.KindInteractive},
}

// chosenKind is the model kind the dialog's choice stands for (automatic when none is chosen).
func (p *retrainPanel) chosenKind() string {
	for _, k := range retrainKinds {
		if p.kind != nil && p.kind.Selected == k.label {
			return k.kind
		}
	}
	return inference.KindAutomatic
}

// showRetrain opens the retrain dialog with the workspace's cases that have a saved label.
func (r *review) showRetrain() {
	ws, err := r.s.workspace()
	if err != nil {
		r.s.showError(err)
		return
	}
	p := &retrainPanel{r: r, train: map[string]*widget.Check{}, heldOut: map[string]*widget.Check{}}
	cases, err := ws.Cases(r.s.ctx)
	if err != nil {
		r.s.showError(err)
		return
	}
	for _, c := range cases {
		if _, err := ws.LatestLabel(r.s.ctx, c.ID); err == nil {
			p.cases = append(p.cases, c)
		}
	}
	r.retrain = p
	p.show()
}

func (p *retrainPanel) show() {
	r := p.r
	rows := container.NewGridWithColumns(3,
		widget.NewLabelWithStyle("Case", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		widget.NewLabelWithStyle("Train on it", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		widget.NewLabelWithStyle("Compare on it", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	current := ""
	if r.editor != nil {
		current = r.editor.caseID
	}
	for _, c := range p.cases {
		tc := widget.NewCheck("", nil)
		hc := widget.NewCheck("", nil)
		tc.Checked = c.ID == current
		hc.Checked = c.ID != current
		id := c.ID
		tc.OnChanged = func(on bool) {
			if on {
				p.heldOut[id].SetChecked(false)
			}
		}
		hc.OnChanged = func(on bool) {
			if on {
				p.train[id].SetChecked(false)
			}
		}
		p.train[id], p.heldOut[id] = tc, hc
		rows.Add(widget.NewLabel(c.ID))
		rows.Add(tc)
		rows.Add(hc)
	}
	p.note = widget.NewLabel("")
	p.note.Wrapping = fyne.TextWrapWord
	if len(p.cases) == 0 {
		p.note.SetText("No case has a saved label yet: correct a label and save it (Ctrl+S) first.")
	} else {
		p.note.SetText("Fine-tunes the active model (else the built-in one) on the cases ticked to train on, then compares the old and the new model on the others.")
	}
	p.bar = widget.NewProgressBar()
	p.chart = newLossChart()
	p.result = container.NewVBox()
	p.start = widget.NewButton("Start fine-tuning", p.run)
	if len(p.cases) == 0 {
		p.start.Disable()
	}
	labels := make([]string, len(retrainKinds))
	for i, k := range retrainKinds {
		labels[i] = k.label
	}
	p.kind = widget.NewRadioGroup(labels, nil)
	p.kind.Horizontal = true
	p.kind.Required = true
	p.kind.SetSelected(labels[0])
	content := container.NewBorder(
		container.NewVBox(p.note, p.kind, container.NewVScroll(rows)),
		container.NewVBox(p.bar, p.result, p.start), nil, nil, p.chart.img)
	p.d = dialog.NewCustom("Retrain on corrected cases", "Close", content, r.s.win)
	p.d.SetOnClosed(func() {
		if p.running && r.work != nil {
			r.work.cancel()
		}
	})
	p.d.Resize(fyne.NewSize(720, 640))
	p.d.Show()
}

// selected are the case IDs ticked in one column.
func (p *retrainPanel) selected(m map[string]*widget.Check) []string {
	var ids []string
	for _, c := range p.cases {
		if m[c.ID].Checked {
			ids = append(ids, c.ID)
		}
	}
	return ids
}

// run starts the fine-tuning job in the review's background work (the work bar's Cancel, or
// closing the dialog, stops it: the worker saves a checkpoint and ends).
func (p *retrainPanel) run() {
	r := p.r
	train, held := p.selected(p.train), p.selected(p.heldOut)
	if len(train) == 0 {
		r.s.showError(errors.New("tick at least one case to train on"))
		return
	}
	ws, err := r.s.workspace()
	if err != nil {
		r.s.showError(err)
		return
	}
	if r.work != nil {
		r.s.showError(fmt.Errorf("%s is running: wait for it or cancel it first", r.work.what))
		return
	}
	p.start.Disable()
	p.running = true
	p.result.RemoveAll()
	started := time.Now()
	params := r.s.hooks.retrainParams // nil: training.FineTuneParams, or InteractiveParams
	kind := p.chosenKind()
	var res *training.FineTuneResult
	var mu sync.Mutex
	lastNote := time.Time{}
	r.start("fine-tuning", func(ctx context.Context, progress func(int, int)) error {
		var err error
		res, err = training.FineTune(ctx, training.FineTuneRequest{
			Workspace: ws, Train: train, HeldOut: held, Author: author(), Params: params, Kind: kind,
		}, func(ev training.Event) {
			mu.Lock()
			defer mu.Unlock()
			if f := ev.Progress(); f > 0 {
				progress(int(f*1000), 1000)
			}
			chartChanged := p.chart.add(ev)
			if !chartChanged && time.Since(lastNote) < 500*time.Millisecond {
				return
			}
			lastNote = time.Now()
			text := eventText(ev, time.Since(started))
			r.s.do(func() {
				if chartChanged {
					p.chart.redraw()
				}
				if text != "" {
					p.note.SetText(text)
				}
			})
		})
		return err
	}, func() {
		p.showResult(res)
	})
	r.afterWork = func() {
		p.running = false
		p.start.Enable()
	}
}

// eventText is the line the dialog shows for a worker event.
func eventText(ev training.Event, elapsed time.Duration) string {
	left := ""
	if eta, ok := ev.ETA(); ok {
		left = fmt.Sprintf(", about %s left", eta.Round(time.Second))
	}
	switch ev.Event {
	case "start":
		return fmt.Sprintf("training on %s: %d slices, %d to validate", ev.Device, ev.TrainSlices, ev.ValSlices)
	case "step":
		return fmt.Sprintf("epoch %d/%d, step %d/%d, loss %.4f%s", ev.Epoch, ev.Epochs, ev.Step, ev.Steps, ev.Loss, left)
	case "epoch":
		return fmt.Sprintf("epoch %d/%d: train loss %.4f, validation loss %.4f, Dice %.4f%s", ev.Epoch, ev.Epochs, ev.TrainLoss, ev.ValLoss, ev.ValDice, left)
	case "error":
		return "worker error: " + ev.Message
	case "cancelled":
		return "cancelled: the worker saved a checkpoint"
	case "done", "exported":
		return fmt.Sprintf("%s after %s; checking and scoring the new model…", ev.Event, elapsed.Round(time.Second))
	}
	return ""
}

// showResult shows the old and the new model on each case, and the choice to activate.
func (p *retrainPanel) showResult(res *training.FineTuneResult) {
	r := p.r
	bold := func(s string) fyne.CanvasObject {
		return widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	grid := container.NewGridWithColumns(5, bold("Case"), bold("Figure"), bold(res.Parent), bold(res.Version), bold("Difference"))
	var notes []string
	add := func(s training.CaseScore, what string) {
		rows, n := scoreRows(s, what, res.Parent, res.Version)
		for _, row := range rows {
			for _, cell := range []string{row.Case, row.Figure, row.Old, row.New, row.Change} {
				grid.Add(widget.NewLabel(cell))
			}
		}
		notes = append(notes, n...)
	}
	for _, s := range res.Scores {
		add(s, " (held out)")
	}
	for _, s := range res.TrainScores {
		add(s, " (trained on)")
	}
	var table fyne.CanvasObject = grid
	made, usedBy := "fine-tuned", "the next model run (M)"
	if res.Report != nil && res.Report.Clicks != nil {
		table = clickCurveTable(res.Report.Clicks)
		made, usedBy = "an interactive model trained", "the AI click tool (Q) of the next label editing (E)"
	}
	p.note.SetText(fmt.Sprintf("Model %s registered (not active), %s from %s in %s.", res.Version, made, res.Parent, res.Elapsed.Round(time.Second)))
	activate := widget.NewButton("Activate "+res.Version, func() {
		ws, err := r.s.workspace()
		if err == nil {
			err = ws.Activate(r.s.ctx, res.Version)
		}
		if err != nil {
			r.s.showError(err)
			return
		}
		p.note.SetText("Model " + res.Version + " is active: " + usedBy + " uses it.")
	})
	keep := widget.NewButton("Keep "+res.Parent, func() { p.note.SetText("Kept " + res.Parent + "; " + res.Version + " stays in the registry.") })
	p.result.Objects = []fyne.CanvasObject{table, container.NewGridWithColumns(2, activate, keep)}
	if len(notes) > 0 {
		p.result.Objects = append(p.result.Objects, widget.NewLabel(strings.Join(notes, "\n")))
	}
	p.result.Refresh()
	if h := p.r.s.hooks.onRetrained; h != nil {
		h(res)
	}
}

// clickCurveTable is an interactive model's result: the Dice on the held-out cases after 0, 1,
// 2 ... simulated clicks, beside the automatic model's Dice the clicks start from, and how well
// the model keeps the automatic mask without clicks (it must: 1 is exact).
func clickCurveTable(c *training.ClickCurve) fyne.CanvasObject {
	grid := container.NewGridWithColumns(2,
		widget.NewLabelWithStyle("Clicks", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		widget.NewLabelWithStyle("Dice (held out)", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	val, ok := c.Splits["val"]
	if !ok {
		return widget.NewLabel("No held-out case: the Dice against clicks was not measured.")
	}
	for _, n := range c.Counts {
		if d, ok := c.At("val", n); ok {
			grid.Add(widget.NewLabel(strconv.Itoa(n)))
			grid.Add(widget.NewLabel(fmt.Sprintf("%.4f", d)))
		}
	}
	note := widget.NewLabel(fmt.Sprintf("The automatic model's Dice, where the clicks start: %.4f. Without clicks the interactive model keeps the automatic mask at Dice %.4f (%d held-out slices; clicks drawn as %s of %g mm).",
		val.AutoDice, val.NoClickAgreement, val.Slices, c.Encoding, c.RadiusMM))
	note.Wrapping = fyne.TextWrapWord
	return container.NewVBox(grid, note)
}

// lossChart draws the losses of a job as it runs: each step's loss (grey), each epoch's
// training (orange) and validation (blue) loss.
type lossChart struct {
	mu                 sync.Mutex
	steps              []float64
	trainLoss, valLoss []float64
	img                *canvas.Raster
}

func newLossChart() *lossChart {
	c := &lossChart{}
	c.img = canvas.NewRaster(c.draw)
	c.img.SetMinSize(fyne.NewSize(640, 220))
	return c
}

// add records an event's losses; it says whether the chart changed.
func (c *lossChart) add(ev training.Event) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch ev.Event {
	case "step":
		c.steps = append(c.steps, ev.Loss)
	case "epoch":
		c.trainLoss = append(c.trainLoss, ev.TrainLoss)
		c.valLoss = append(c.valLoss, ev.ValLoss)
	default:
		return false
	}
	return true
}

func (c *lossChart) redraw() { c.img.Refresh() }

// draw paints the curves on a w x h image, losses scaled to the largest seen.
func (c *lossChart) draw(w, h int) image.Image {
	c.mu.Lock()
	defer c.mu.Unlock()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	bg := color.RGBA{24, 24, 24, 255}
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = bg.R, bg.G, bg.B, bg.A
	}
	top := 0.0
	for _, s := range [][]float64{c.steps, c.trainLoss, c.valLoss} {
		for _, v := range s {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				top = math.Max(top, v)
			}
		}
	}
	if top <= 0 || w < 4 || h < 4 {
		return img
	}
	plot := func(vals []float64, col color.RGBA) {
		n := len(vals)
		if n == 0 {
			return
		}
		px, py := -1, -1
		for i, v := range vals {
			x := 0
			if n > 1 {
				x = i * (w - 1) / (n - 1)
			}
			y := h - 1 - int(v/top*float64(h-1))
			if px >= 0 {
				line(img, px, py, x, y, col)
			}
			px, py = x, y
		}
	}
	plot(c.steps, color.RGBA{120, 120, 120, 255})
	plot(c.trainLoss, color.RGBA{255, 160, 40, 255})
	plot(c.valLoss, color.RGBA{60, 160, 255, 255})
	return img
}

// line draws a straight line (Bresenham).
func line(img *image.RGBA, x0, y0, x1, y1 int, c color.RGBA) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := 1, 1
	if x0 > x1 {
		sx = -1
	}
	if y0 > y1 {
		sy = -1
	}
	e := dx + dy
	for {
		if image.Pt(x0, y0).In(img.Rect) {
			img.SetRGBA(x0, y0, c)
		}
		if x0 == x1 && y0 == y1 {
			return
		}
		if e2 := 2 * e; e2 >= dy {
			e += dy
			x0 += sx
		} else {
			e += dx
			y0 += sy
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
