package training

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"liverseg/scan"
)

// Report is what a finished job shows: report/metrics.json, and report/index.html with its plots
// and panels.
type Report struct {
	Version  string           `json:"version"`
	Parent   string           `json:"parent,omitempty"`
	Job      string           `json:"job"`
	Name     string           `json:"name,omitempty"`
	Created  string           `json:"created"`
	Params   Params           `json:"params"`
	Contract ManifestContract `json:"contract"`
	Dataset  []DatasetEntry   `json:"dataset"`

	Torch        string        `json:"torch"`
	Device       string        `json:"device"`
	Epochs       int           `json:"epochs"`
	BestEpoch    int           `json:"best_epoch"`
	EarlyStop    string        `json:"early_stop,omitempty"`
	TrainSeconds float64       `json:"train_seconds"`
	History      []EpochRecord `json:"history"`

	ORTMaxDiff  float64 `json:"ort_max_diff"` // largest |ONNX Runtime - PyTorch| logit on the reference slices
	ORTSlices   int     `json:"ort_slices"`
	ORTProvider string  `json:"ort_provider"`

	// ValLevel says what Val scored: "volume" where the whole pipeline ran on the series, else
	// "slices" (the dataset's arrays at the model's input size).
	ValLevel string `json:"val_level"`
	// Val are the validation cases' figures (summarise). Val.Dice is the figure the model
	// carries (liverseg.val_dice): the Dice of all validation voxels at once. At the "volume"
	// level Val has the surface distances too, the mean over the validation series.
	Val scan.Metrics `json:"val"`

	Cases   []*CaseEval `json:"cases"`             // at the model's input size, every slice
	Volumes []*CaseEval `json:"volumes,omitempty"` // whole pipeline on the original series

	Panels []Panel `json:"panels"`

	// Kind is the model's kind: "" (automatic) or interactive, whose report is Clicks, the Dice
	// against the number of simulated clicks on the validation cases (Cases and Volumes stay
	// empty: an interactive model scores only with guidance).
	Kind   string      `json:"kind,omitempty"`
	Clicks *ClickCurve `json:"clicks,omitempty"`
}

// DatasetEntry is one case of the dataset, as the report lists it.
type DatasetEntry struct {
	Name      string     `json:"name"`
	Kind      string     `json:"kind"`
	Split     string     `json:"split"`
	Slices    int        `json:"slices"`
	Liver     int        `json:"liver_slices"`
	Patients  int        `json:"patients"`
	HU        [2]float64 `json:"hu,omitempty"`
	HUAssumed bool       `json:"hu_assumed,omitempty"`
}

// Panel is an image | truth | prediction picture of one slice.
type Panel struct {
	Case  string  `json:"case"`
	Slice int     `json:"slice"`
	Dice  float64 `json:"dice"`
	File  string  `json:"file"`
	Why   string  `json:"why"`
}

func newReport(j *JobFile, man *Manifest, events []Event, done *Event, version, parent string, diff float64, n int, provider string) *Report {
	r := &Report{Version: version, Parent: parent, Job: j.ID, Name: j.Name, Created: j.Created, Params: j.Params,
		Contract: man.Contract, Epochs: done.Epochs, BestEpoch: done.BestEpoch, EarlyStop: done.EarlyStop,
		History: done.History, ORTMaxDiff: diff, ORTSlices: n, ORTProvider: provider}
	for _, c := range man.Cases {
		r.Dataset = append(r.Dataset, DatasetEntry{Name: c.Name, Kind: c.Kind, Split: c.Split, Slices: c.Slices, Liver: c.Liver,
			Patients: len(c.Patients), HU: c.HU, HUAssumed: c.HUAssumed})
	}
	if s := lastEvent(events, "start"); s != nil {
		r.Torch, r.Device = s.Torch, s.Device
		if s.DeviceName != "" && s.DeviceName != "cpu" {
			r.Device += " (" + s.DeviceName + ")"
		}
	}
	for _, h := range r.History {
		r.TrainSeconds += h.Seconds
	}
	return r
}

// summarise sets the validation figures: the whole pipeline's where it ran, else the slices'.
func (r *Report) summarise() {
	sortCases(r.Cases)
	sortCases(r.Volumes)
	pick, level := r.Volumes, "volume"
	if !hasSplit(pick, "val") {
		pick, level = r.Cases, "slices"
	}
	var val []*CaseEval
	for _, c := range pick {
		if c.Split == "val" {
			val = append(val, c)
		}
	}
	if len(val) == 0 {
		return
	}
	r.ValLevel = level
	r.Val = scan.Metrics{Dice: pooledDice(val)}
	for _, c := range val {
		f := 1 / float64(len(val))
		r.Val.IoU += c.IoU * f
		r.Val.MIoU += c.MIoU * f
		r.Val.MPA += c.MPA * f
		r.Val.StudyMIoU += c.StudyMIoU * f
		r.Val.StudyMPA += c.StudyMPA * f
		r.Val.TruthML += c.TruthML
		r.Val.PredML += c.PredML
	}
	if len(val) == 1 {
		r.Val.IoU = val[0].IoU
	}
	if level == "volume" {
		r.Val.SurfaceFigures = meanSurface(val)
	}
}

// meanSurface is the mean of the cases' surface distances, as the Decathlon averages them over
// cases. A case without them (an empty mask) leaves the mean without figures, its reason naming
// the case: a mean over the other cases would hide the worst one. nil when a case was not
// measured at all.
func meanSurface(cases []*CaseEval) *scan.SurfaceFigures {
	var hd95, assd, nsd float64
	for _, c := range cases {
		sf := c.SurfaceFigures
		switch {
		case sf == nil:
			return nil
		case sf.HD95 == nil || sf.ASSD == nil || sf.NSD2mm == nil:
			return &scan.SurfaceFigures{Reason: c.Name + ": " + sf.Reason}
		}
		hd95 += *sf.HD95
		assd += *sf.ASSD
		nsd += *sf.NSD2mm
	}
	if len(cases) == 0 {
		return nil
	}
	n := float64(len(cases))
	hd95, assd, nsd = hd95/n, assd/n, nsd/n
	return &scan.SurfaceFigures{HD95: &hd95, ASSD: &assd, NSD2mm: &nsd}
}

// surfaceCells are the report's cells of the surface distances: HD95 and ASSD in mm, NSD at
// 2 mm, each "–" where there are none (reason, if any, says why).
type surfaceCells struct {
	HD95, ASSD, NSD, Reason string
}

func cellsOf(sf *scan.SurfaceFigures) surfaceCells {
	if sf == nil || sf.HD95 == nil || sf.ASSD == nil || sf.NSD2mm == nil {
		c := surfaceCells{HD95: "–", ASSD: "–", NSD: "–"}
		if sf != nil {
			c.Reason = sf.Reason
		}
		return c
	}
	return surfaceCells{HD95: fmt.Sprintf("%.2f", *sf.HD95), ASSD: fmt.Sprintf("%.2f", *sf.ASSD), NSD: fmt.Sprintf("%.4f", *sf.NSD2mm)}
}

func hasSplit(cs []*CaseEval, split string) bool {
	for _, c := range cs {
		if c.Split == split {
			return true
		}
	}
	return false
}

// Write writes metrics.json, index.html, loss.png, dice.png and panels/ into dir.
func (r *Report) Write(dir string) error {
	if err := os.MkdirAll(filepath.Join(dir, "panels"), 0o755); err != nil {
		return err
	}
	if err := r.writePanels(dir); err != nil {
		return err
	}
	if err := r.writePlots(dir); err != nil {
		return err
	}
	if r.Clicks != nil {
		if err := r.writeClickPlot(dir); err != nil {
			return err
		}
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "metrics.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	var h bytes.Buffer
	if err := reportHTML.Execute(&h, r); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "index.html"), h.Bytes(), 0o644)
}

// writePanels draws, for each validation case (and the largest training volume), the slice with
// the most liver, the liver slice with the lowest Dice and one from the middle of the liver.
func (r *Report) writePanels(dir string) error {
	r.Panels = nil
	done := map[string]bool{}
	for _, c := range r.Cases {
		if c.images == nil || (c.Split != "val" && c.Kind != "volume") || done[c.Name] {
			continue
		}
		done[c.Name] = true
		var liver []int
		for k, s := range c.Slices {
			if s.TruthVoxel > 0 {
				liver = append(liver, k)
			}
		}
		if len(liver) == 0 {
			continue
		}
		most, worst := liver[0], liver[0]
		for _, k := range liver {
			if c.Slices[k].TruthVoxel > c.Slices[most].TruthVoxel {
				most = k
			}
			if c.Slices[k].Dice < c.Slices[worst].Dice {
				worst = k
			}
		}
		picks := []struct {
			k   int
			why string
		}{{most, "most liver"}, {liver[len(liver)/4], "upper quarter of the liver"}, {worst, "lowest Dice"}}
		if c.Split != "val" {
			picks = picks[:1]
		}
		seen := map[int]bool{}
		for _, p := range picks {
			if seen[p.k] {
				continue
			}
			seen[p.k] = true
			name := fmt.Sprintf("%s_%03d.png", safeName(c.Name), p.k)
			if err := writePanel(filepath.Join(dir, "panels", name), c, p.k); err != nil {
				return err
			}
			r.Panels = append(r.Panels, Panel{Case: c.Name, Slice: p.k, Dice: c.Slices[p.k].Dice, File: "panels/" + name, Why: p.why})
		}
	}
	return nil
}

// writePanel draws image | truth | prediction of slice k, as the original study's reports do.
func writePanel(path string, c *CaseEval, k int) error {
	w, h := c.truth.Dims[0], c.truth.Dims[1]
	hw := w * h
	chans := 1
	if c.images.Shape != nil && len(c.images.Shape) == 4 {
		chans = c.images.Shape[1]
	}
	mid := (k*chans + chans/2) * hw
	gray := func(i int) uint8 {
		if c.images.F32 != nil {
			return uint8(math.Round(float64(min(max(c.images.F32[mid+i], 0), 1)) * 255))
		}
		return c.images.U8[mid+i]
	}
	const gap = 4
	z := max(1, 256/w) // small inputs drawn larger, pixel for pixel
	W, H := w*z, h*z
	img := image.NewRGBA(image.Rect(0, 0, 3*W+2*gap, H))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	truth, pred := c.truth.SliceInto(k, nil), c.pred.SliceInto(k, nil)
	for y := 0; y < H; y++ {
		for x := 0; x < W; x++ {
			i := (y/z)*w + x/z
			g := gray(i)
			img.Set(x, y, color.RGBA{g, g, g, 255})
			img.Set(W+gap+x, y, tint(g, truth[i] != 0, color.RGBA{40, 220, 60, 255}))
			img.Set(2*(W+gap)+x, y, tint(g, pred[i] != 0, color.RGBA{230, 50, 40, 255}))
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

func tint(g uint8, on bool, c color.RGBA) color.RGBA {
	if !on {
		return color.RGBA{g, g, g, 255}
	}
	mix := func(a, b uint8) uint8 { return uint8((int(a)*45 + int(b)*55) / 100) }
	return color.RGBA{mix(g, c.R), mix(g, c.G), mix(g, c.B), 255}
}

func (r *Report) writePlots(dir string) error {
	if len(r.History) == 0 {
		return nil
	}
	lines := func(title, ylabel string, series map[string]func(EpochRecord) *float64) error {
		p := plot.New()
		p.Title.Text = title
		p.X.Label.Text = "epoch"
		p.Y.Label.Text = ylabel
		names := make([]string, 0, len(series))
		for n := range series {
			names = append(names, n)
		}
		sort.Strings(names)
		colors := []color.Color{color.RGBA{31, 119, 180, 255}, color.RGBA{214, 39, 40, 255}, color.RGBA{44, 160, 44, 255}}
		for i, n := range names {
			var pts plotter.XYs
			for _, h := range r.History {
				if v := series[n](h); v != nil && !math.IsNaN(*v) {
					pts = append(pts, plotter.XY{X: float64(h.Epoch), Y: *v})
				}
			}
			if len(pts) == 0 {
				continue
			}
			if err := addLine(p, pts, colors[i%len(colors)], n); err != nil {
				return err
			}
		}
		p.Legend.Top = true
		p.Add(plotter.NewGrid())
		return p.Save(6*vg.Inch, 3.5*vg.Inch, filepath.Join(dir, map[bool]string{true: "loss.png", false: "dice.png"}[ylabel == "loss"]))
	}
	f := func(v float64) *float64 { return &v }
	title := "Training and validation loss (BCE + Dice)"
	if r.Clicks != nil {
		// worker.py: interactive_loss trains on the clicked regions' cross-entropy, and
		// validate_interactive scores BCE + Dice with clicks and without
		title = "Loss: training (clicked regions' BCE), validation (BCE + Dice)"
	}
	if err := lines(title, "loss", map[string]func(EpochRecord) *float64{
		"train":      func(h EpochRecord) *float64 { return f(h.TrainLoss) },
		"validation": func(h EpochRecord) *float64 { return h.ValLoss },
	}); err != nil {
		return err
	}
	return lines("Validation figures per epoch (model input size)", "value", map[string]func(EpochRecord) *float64{
		"Dice": func(h EpochRecord) *float64 { return h.ValDice },
		"mIoU": func(h EpochRecord) *float64 { return h.ValMIoU },
	})
}

// addLine adds a line with its points to a plot, in a colour, named in the legend.
func addLine(p *plot.Plot, pts plotter.XYs, c color.Color, name string) error {
	l, s, err := plotter.NewLinePoints(pts)
	if err != nil {
		return err
	}
	l.Color, s.Color = c, c
	l.Width = vg.Points(1.5)
	p.Add(l, s)
	p.Legend.Add(name, l, s)
	return nil
}

var reportHTML = template.Must(template.New("report").Funcs(template.FuncMap{
	"f4": func(v float64) string { return fmt.Sprintf("%.4f", v) },
	"pf": func(v *float64) string {
		if v == nil {
			return "–"
		}
		return fmt.Sprintf("%.4f", *v)
	},
	"hasVal":  func(cs []*CaseEval) bool { return hasSplit(cs, "val") },
	"surface": cellsOf,
}).Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>liverseg model {{.Version}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}
td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}
th{background:#f3f3f3} td:first-child,th:first-child{text-align:left}
.val{background:#eef6ff} .big{font-size:1.6em;font-weight:600}
img{max-width:100%} figure{display:inline-block;margin:.5em}
</style></head><body>
<h1>liverseg model {{.Version}}</h1>
<p>Job {{.Job}}{{if .Parent}}, fine-tuned from {{.Parent}}{{end}}; trained with torch {{.Torch}} on {{.Device}},
{{.Epochs}} epochs ({{printf "%.0f" .TrainSeconds}} s){{if .EarlyStop}}, stopped early: {{.EarlyStop}}{{end}}; the weights of epoch {{.BestEpoch}} (lowest validation loss).</p>
{{with .Clicks}}<p>An <b>interactive</b> model: it redraws a slice from its image, its current label and the annotator's clicks ({{.Encoding}}s of {{.RadiusMM}} mm).</p>
<h2>Dice against the number of clicks</h2>
<p>Every slice of each validation case corrected one at a time, as an annotator would: the label starts as the automatic model's mask, each click goes to the interior-most point of the largest error region (false negatives and false positives apart) that the model's previous output leaves, positive on a missed region, negative on a leak, and the model's output becomes the label for the next click; a slice without error gets no more clicks. The Dice of all the case's voxels at once, at the model's input size. At 0 clicks the model runs with the automatic mask as label and no click: its agreement with that mask (Dice) says that it keeps the label it is given. {{printf "%.0f" .Seconds}} s.</p>
<table><tr><th>case</th><th>split</th><th>slices</th><th>automatic</th><th>agreement, 0 clicks</th>{{range .Counts}}<th>{{.}} clicks</th>{{end}}</tr>
{{range $n, $s := .Splits}}<tr class="val"><td>all {{$n}}</td><td>{{$n}}</td><td>{{$s.Slices}}</td><td>{{f4 $s.AutoDice}}</td><td>{{f4 $s.NoClickAgreement}}</td>{{range $s.Dice}}<td>{{f4 .}}</td>{{end}}</tr>
{{end}}{{range .Cases}}<tr><td>{{.Name}}</td><td>{{.Split}}</td><td>{{.Slices}}</td><td>{{f4 .AutoDice}}</td><td>{{f4 .NoClickAgreement}}</td>{{range .Dice}}<td>{{f4 .}}</td>{{end}}</tr>
{{end}}</table>
<img src="clicks.png" alt="Dice against the number of clicks">
{{$c := .}}{{if $c.HasFirstClicks}}<h2>One click</h2>
<p>One click on each slice's automatic mask, at the centre of its largest error region, applied as the AI click tool applies it (its own disk stamped, then only the connected change under the click kept): the share of the regions' pixels corrected, and the pixels changed outside them per pixel of the regions.</p>
<table><tr><th>case</th><th>split</th><th>click</th><th>clicks</th><th>region pixels</th><th>corrected</th><th>changed outside</th></tr>
{{range $n, $s := $c.Splits}}{{range $sign, $f := $s.FirstClick}}<tr class="val"><td>all {{$n}}</td><td>{{$n}}</td><td>{{$sign}}</td><td>{{$f.Clicks}}</td><td>{{$f.Region}}</td><td>{{printf "%.3f" $f.FixedShare}}</td><td>{{printf "%.3f" $f.OutsideShare}}</td></tr>
{{end}}{{end}}{{range $c.Cases}}{{$cs := .}}{{range $sign, $f := .FirstClick}}<tr><td>{{$cs.Name}}</td><td>{{$cs.Split}}</td><td>{{$sign}}</td><td>{{$f.Clicks}}</td><td>{{$f.Region}}</td><td>{{printf "%.3f" $f.FixedShare}}</td><td>{{printf "%.3f" $f.OutsideShare}}</td></tr>
{{end}}{{end}}</table>
{{end}}{{end}}<p class="big">Validation Dice {{f4 .Val.Dice}}{{if .Clicks}} without clicks{{end}}</p>
<p>The Dice of all validation voxels at once, {{if eq .ValLevel "volume"}}by the whole segmentation pipeline (resize back, largest component, holes filled) on the original series against its label{{else}}at the model's input size, threshold only{{end}}.
mIoU {{f4 .Val.MIoU}}, mPA {{f4 .Val.MPA}}; the original study's per-slice figures: mIoU {{f4 .Val.StudyMIoU}}, mPA {{f4 .Val.StudyMPA}}.
ONNX Runtime ({{.ORTProvider}}) against PyTorch on {{.ORTSlices}} validation slices: largest logit difference {{printf "%.2g" .ORTMaxDiff}}.</p>
{{with .Val.SurfaceFigures}}{{$s := surface .}}<p>Surface distances, the mean over the validation series: {{if $s.Reason}}none ({{$s.Reason}}){{else}}HD95 {{$s.HD95}} mm, ASSD {{$s.ASSD}} mm, NSD at 2 mm {{$s.NSD}}{{end}}.</p>
{{end}}
{{if .Volumes}}<h2>Whole series (segmentation pipeline)</h2>
<table><tr><th>case</th><th>split</th><th>Dice</th><th>IoU</th><th>mIoU</th><th>mPA</th><th>study mIoU</th><th>study mPA</th><th>HD95 mm</th><th>ASSD mm</th><th>NSD 2 mm</th><th>truth ml</th><th>predicted ml</th><th>seconds</th></tr>
{{range .Volumes}}{{$s := surface .SurfaceFigures}}<tr{{if eq .Split "val"}} class="val"{{end}}><td>{{.Name}}</td><td>{{.Split}}</td><td>{{f4 .Dice}}</td><td>{{f4 .IoU}}</td><td>{{f4 .MIoU}}</td><td>{{f4 .MPA}}</td><td>{{f4 .StudyMIoU}}</td><td>{{f4 .StudyMPA}}</td><td{{if $s.Reason}} title="{{$s.Reason}}"{{end}}>{{$s.HD95}}</td><td>{{$s.ASSD}}</td><td>{{$s.NSD}}</td><td>{{printf "%.1f" .TruthML}}</td><td>{{printf "%.1f" .PredML}}</td><td>{{printf "%.1f" .Seconds}}</td></tr>
{{end}}</table>
<p>HD95: the larger of the two directed 95th percentiles of the distance between the surfaces; ASSD: the mean distance over both surfaces; NSD 2 mm: the share of both surfaces within 2 mm of the other (exact Euclidean distances through the voxel spacing, as <code>liverseg eval</code> measures them).</p>
<p>Training cases are listed so that overfitting shows: a training Dice far above the validation Dice means the model learnt its cases more than livers.</p>{{end}}

<h2>Slices at the model's input size</h2>
<table><tr><th>case</th><th>split</th><th>slices</th><th>Dice</th><th>IoU</th><th>mIoU</th><th>mPA</th><th>study mIoU</th><th>study mPA</th></tr>
{{range .Cases}}<tr{{if eq .Split "val"}} class="val"{{end}}><td>{{.Name}}</td><td>{{.Split}}</td><td>{{len .Slices}}</td><td>{{f4 .Dice}}</td><td>{{f4 .IoU}}</td><td>{{f4 .MIoU}}</td><td>{{f4 .MPA}}</td><td>{{f4 .StudyMIoU}}</td><td>{{f4 .StudyMPA}}</td></tr>
{{end}}</table>

<h2>Loss and validation curves</h2>
<img src="loss.png" alt="training and validation loss"> <img src="dice.png" alt="validation Dice and mIoU">
<table><tr><th>epoch</th><th>train loss</th><th>val loss</th><th>val Dice</th><th>val mIoU</th><th>val mPA</th><th>lr</th><th>seconds</th></tr>
{{range .History}}<tr><td>{{.Epoch}}</td><td>{{f4 .TrainLoss}}</td><td>{{pf .ValLoss}}</td><td>{{pf .ValDice}}</td><td>{{pf .ValMIoU}}</td><td>{{pf .ValMPA}}</td><td>{{printf "%.2g" .LR}}</td><td>{{printf "%.1f" .Seconds}}</td></tr>
{{end}}</table>

<h2>Image | truth | prediction</h2>
{{range .Panels}}<figure><img src="{{.File}}" alt="{{.Case}} slice {{.Slice}}"><figcaption>{{.Case}} slice {{.Slice}} ({{.Why}}): Dice {{f4 .Dice}}</figcaption></figure>
{{end}}

<h2>Hyper-parameters</h2>
<table>
<tr><td>network</td><td>U-Net, base {{.Params.Base}} channels, depth {{.Params.Depth}}, dropout {{.Params.Dropout}}</td></tr>
<tr><td>optimiser</td><td>{{.Params.Optimizer}}, lr {{.Params.LR}}, schedule {{.Params.Schedule}}, weight decay {{.Params.WeightDecay}}</td></tr>
<tr><td>batch, epochs, patience</td><td>{{.Params.Batch}}, {{.Params.Epochs}}, {{.Params.Patience}}</td></tr>
<tr><td>augmentation</td><td>{{if .Params.Augment.Disabled}}none{{else}}flip {{.Params.Augment.Flip}}, rotation ±{{.Params.Augment.RotateDeg}}°, scale ±{{.Params.Augment.Scale}}, intensity ±{{.Params.Augment.Intensity}}{{end}}</td></tr>
<tr><td>input</td><td>{{.Contract.Channels}} channels (2.5D), window {{index .Contract.Window 0}}..{{index .Contract.Window 1}} HU, {{index .Contract.InputSize 0}}×{{index .Contract.InputSize 1}}, {{.Contract.Orientation}}</td></tr>
</table>

<h2>Data (split by patient)</h2>
<table><tr><th>case</th><th>kind</th><th>split</th><th>slices</th><th>with liver</th><th>patients</th><th>intensity</th></tr>
{{range .Dataset}}<tr{{if eq .Split "val"}} class="val"{{end}}><td>{{.Name}}</td><td>{{.Kind}}</td><td>{{.Split}}</td><td>{{.Slices}}</td><td>{{.Liver}}</td><td>{{.Patients}}</td><td>{{if eq .Kind "slices"}}pixel 0..255 = {{index .HU 0}}..{{index .HU 1}} HU{{if .HUAssumed}} (assumed){{end}}{{else}}HU{{end}}</td></tr>
{{end}}</table>

{{range .Cases}}{{if eq .Split "val"}}<details><summary>Per slice: {{.Name}}</summary>
<table><tr><th>slice</th><th>Dice</th><th>IoU</th><th>mIoU</th><th>mPA</th><th>truth px</th><th>predicted px</th></tr>
{{range .Slices}}<tr><td>{{.Slice}}</td><td>{{f4 .Dice}}</td><td>{{f4 .IoU}}</td><td>{{f4 .MIoU}}</td><td>{{f4 .MPA}}</td><td>{{.TruthVoxel}}</td><td>{{.PredVoxel}}</td></tr>
{{end}}</table></details>{{end}}{{end}}
</body></html>
`))
