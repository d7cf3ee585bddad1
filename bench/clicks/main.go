// Command clicks is the robot annotator benchmark of the AI click tool (bench/clicks.sh runs it).
// It corrects the automatic model's mask of a series with the interactive model through the very
// calls of the GUI's tool (inference.Interactive.Redraw and Propagate, viewer.Editor.ApplySlice
// and ExtendStep, a viewer.Renderer render of the slice), one click at a time: each at the centre
// (the largest distance-transform value) of the largest error region of the axial slice with
// the most error, positive where that region is missed liver, negative where it is a leak. The
// same robot then makes brush or eraser stamps (10 mm across: a 5 mm radius) at the points it
// picks on its own label, the baseline the clicks must beat.
//
//	go run ./bench/clicks --series S --truth LABEL [--model M] [--auto-model A] [--json]
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"io"
	"os"
	"slices"
	"strconv"
	"time"

	"liverseg/assets"
	"liverseg/inference"
	"liverseg/scan"
	"liverseg/scan/labels"
	"liverseg/viewer"
)

// checkpoints are the click counts the report gives the Dice at.
var checkpoints = []int{5, 10, 20, 50}

// brushRadiusMM is the baseline's brush: 10 mm across.
const brushRadiusMM = 5

// Report is the benchmark's JSON (the keys issue 23 lists, then the run's settings).
type Report struct {
	Series          string             `json:"series"`
	StartDice       float64            `json:"start_dice"`
	DiceAt          map[string]float64 `json:"dice_at"`
	NoC98           *int               `json:"noc_98"`
	NoC99           *int               `json:"noc_99"`
	SliceNoC90Mean  float64            `json:"slice_noc90_mean"`
	LatencyP50      float64            `json:"latency_ms_p50"`
	LatencyP95      float64            `json:"latency_ms_p95"`
	PropagationP95  float64            `json:"propagation_ms_p95"`
	BrushDiceAt     map[string]float64 `json:"brush_dice_at"`
	Model           string             `json:"model"`
	AutoModel       string             `json:"auto_model"`
	Clicks          int                `json:"clicks"`
	Threads         int                `json:"threads"`
	PropagatedSlice int                `json:"propagated_slices"`
}

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("clicks", flag.ContinueOnError)
	fs.SetOutput(stderr)
	series := fs.String("series", "", "the CT series (folder, DICOMDIR or file)")
	truthPath := fs.String("truth", "", "its reference liver label (any format liverseg reads)")
	modelPath := fs.String("model", os.Getenv("LIVERSEG_INTERACTIVE_MODEL"), "the interactive model (.onnx); default $LIVERSEG_INTERACTIVE_MODEL")
	autoPath := fs.String("auto-model", "", "the automatic model the clicks start from; default the built-in one")
	maxClicks := fs.Int("clicks", 100, "clicks at most")
	threads := fs.Int("threads", 2, "CPU threads of the models")
	sliceNoC := fs.Bool("slice-noc", true, "measure slice_noc90_mean (every liver slice corrected on its own: the longest part)")
	asJSON := fs.Bool("json", false, "print the JSON report only")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *series == "" || *truthPath == "" || *modelPath == "" {
		fmt.Fprintln(stderr, "clicks: --series, --truth and --model (or $LIVERSEG_INTERACTIVE_MODEL) are needed")
		return 2
	}
	rep, err := bench(ctx, *series, *truthPath, *modelPath, *autoPath, *maxClicks, *threads, *sliceNoC, stderr, !*asJSON)
	if err != nil {
		fmt.Fprintln(stderr, "clicks:", err)
		return 1
	}
	out, _ := json.MarshalIndent(rep, "", "  ")
	fmt.Fprintln(stdout, string(out))
	return 0
}

func bench(ctx context.Context, series, truthPath, modelPath, autoPath string, maxClicks, threads int, sliceNoC bool, log io.Writer, verbose bool) (*Report, error) {
	say := func(format string, a ...any) {
		if verbose {
			fmt.Fprintf(log, format+"\n", a...)
		}
	}
	vol, err := scan.LoadVolume(ctx, series, "", nil)
	if err != nil {
		return nil, err
	}
	truth, err := labels.Load(truthPath, vol, labels.Options{})
	if err != nil {
		return nil, err
	}
	if autoPath == "" {
		dir, err := inference.CacheDir()
		if err != nil {
			return nil, err
		}
		if autoPath, err = assets.DefaultModelFile(dir); err != nil {
			return nil, err
		}
	}
	opt := inference.Options{Device: inference.DeviceCPU, Threads: threads}
	auto, err := inference.OpenModel(ctx, autoPath, opt)
	if err != nil {
		return nil, err
	}
	start, _, _, err := inference.Segment(ctx, auto, vol, nil)
	auto.Close()
	if err != nil {
		return nil, err
	}
	opt.BatchSize = 1
	m, err := inference.OpenModel(ctx, modelPath, opt)
	if err != nil {
		return nil, err
	}
	defer m.Close()
	sess, err := inference.NewInteractive(m, vol)
	if err != nil {
		return nil, err
	}
	rep := &Report{Series: series, StartDice: maskDice(start, truth), DiceAt: map[string]float64{},
		BrushDiceAt: map[string]float64{}, Model: modelPath, AutoModel: autoPath, Threads: threads}
	say("start Dice %.4f", rep.StartDice)
	if err := clickRun(ctx, sess, vol, start, truth, maxClicks, rep, say); err != nil {
		return nil, err
	}
	if err := brushRun(vol, start, truth, maxClicks, rep); err != nil {
		return nil, err
	}
	if sliceNoC {
		if rep.SliceNoC90Mean, err = sliceNoC90(ctx, sess, start, truth); err != nil {
			return nil, err
		}
	}
	return rep, nil
}

// clickRun is the robot with the AI click tool: its Dice after each click, latencies and
// propagation times.
func clickRun(ctx context.Context, sess *inference.Interactive, vol *scan.Volume, start, truth *scan.Mask, maxClicks int, rep *Report, say func(string, ...any)) error {
	ed, err := viewer.NewEditor(vol, start)
	if err != nil {
		return err
	}
	rd, err := viewer.NewRenderer(vol)
	if err != nil {
		return err
	}
	rd.Truth = viewer.Overlay{Mask: ed.Mask(), Mode: viewer.Fill, Color: viewer.ColorTruth, Opacity: 0.4}
	w, h := rd.Size()
	screen := image.NewRGBA(image.Rect(0, 0, w, h))
	can := sess.Canonical()
	rule := inference.DefaultPropagation()
	clicks := map[int]*inference.Clicks{}
	var latencies, propagation []float64
	for n := 1; n <= maxClicks; n++ {
		t, ok := pick(ed.Mask(), truth, can)
		if !ok {
			fill(rep.DiceAt, 1)
			break
		}
		p := [2]float64{float64(t.i) + 0.5, float64(t.j) + 0.5}
		c := clicks[t.k]
		if c == nil {
			c = &inference.Clicks{}
			clicks[t.k] = c
		}
		c.Add(p, t.positive)
		// The GUI's path: the slice's label, the model, the label replaced, the slice drawn.
		t0 := time.Now()
		before := sess.LabelSlice(ed.Mask(), t.k)
		red, err := sess.Redraw(ctx, t.k, before, *c)
		if err != nil {
			return err
		}
		tool := viewer.ToolAIClickNegative
		if t.positive {
			tool = viewer.ToolAIClickPositive
		}
		step, err := ed.ApplySlice(t.k, red.Mask, tool)
		if err != nil {
			return err
		}
		if err := rd.RenderTo(screen, t.k); err != nil {
			return err
		}
		latencies = append(latencies, ms(time.Since(t0)))
		if ok, _ := rule.Significant(before, red.Mask); ok && step != nil {
			t1 := time.Now()
			current := func(j int) []uint8 { return sess.LabelSlice(ed.Mask(), j) }
			apply := func(j int, mask []uint8) error {
				merged, _, err := ed.ExtendStep(step, j, mask)
				if err != nil {
					return err
				}
				step = merged
				rep.PropagatedSlice++
				if merged == nil {
					return viewer.ErrNotLatest // the click and its propagation cancel out
				}
				return nil
			}
			for _, dir := range []int{1, -1} {
				if step == nil {
					break
				}
				if _, err := sess.Propagate(ctx, t.k, before, red.Mask, dir, rule, current, apply); err != nil && !errors.Is(err, viewer.ErrNotLatest) {
					return err
				}
			}
			propagation = append(propagation, ms(time.Since(t1)))
		}
		d := maskDice(ed.Mask(), truth)
		rep.Clicks = n
		record(rep.DiceAt, n, d)
		if d >= 0.98 && rep.NoC98 == nil {
			rep.NoC98 = ptr(n)
		}
		if d >= 0.99 && rep.NoC99 == nil {
			rep.NoC99 = ptr(n)
		}
		say("click %d on slice %d (%d, %d) positive %v: Dice %.4f, %.0f ms", n, t.k, t.i, t.j, t.positive, d, latencies[len(latencies)-1])
	}
	rep.LatencyP50, rep.LatencyP95 = percentile(latencies, 50), percentile(latencies, 95)
	rep.PropagationP95 = percentile(propagation, 95)
	return nil
}

// brushRun is the same robot with a 10 mm brush and eraser stamp at each point it picks.
func brushRun(vol *scan.Volume, start, truth *scan.Mask, maxClicks int, rep *Report) error {
	ed, err := viewer.NewEditor(vol, start)
	if err != nil {
		return err
	}
	can := ed.Canonical()
	for n := 1; n <= maxClicks; n++ {
		t, ok := pick(ed.Mask(), truth, can)
		if !ok {
			fill(rep.BrushDiceAt, 1)
			break
		}
		if _, err := ed.Stamp(t.k, viewer.Brush{RadiusMM: brushRadiusMM, Erase: !t.positive},
			viewer.Point{X: float64(t.i) + 0.5, Y: float64(t.j) + 0.5}); err != nil {
			return err
		}
		record(rep.BrushDiceAt, n, maskDice(ed.Mask(), truth))
	}
	return nil
}

// sliceNoC90 is the mean over the truth's liver slices of the clicks until the slice's Dice
// reaches 0.90, each slice corrected on its own from the automatic mask (no propagation), at
// most 20 clicks a slice (a slice that never gets there counts 20): the usual NoC@90.
func sliceNoC90(ctx context.Context, sess *inference.Interactive, start, truth *scan.Mask) (float64, error) {
	const most = 20
	can := sess.Canonical()
	sx, sy := can.Spacing[0], can.Spacing[1]
	total, slicesN := 0, 0
	for k := 0; k < sess.Slices(); k++ {
		tr := sess.LabelSlice(truth, k)
		if !slices.Contains(tr, 1) {
			continue
		}
		slicesN++
		label := sess.LabelSlice(start, k)
		var c inference.Clicks
		n := 0
		for ; n < most && dice(label, tr) < 0.90; n++ {
			i, j, positive, ok := sliceTarget(label, tr, can.Dims[0], can.Dims[1], sx, sy)
			if !ok {
				break
			}
			c.Add([2]float64{float64(i) + 0.5, float64(j) + 0.5}, positive)
			red, err := sess.Redraw(ctx, k, label, c)
			if err != nil {
				return 0, err
			}
			label = red.Mask
		}
		if dice(label, tr) < 0.90 {
			n = most
		}
		total += n
	}
	if slicesN == 0 {
		return 0, nil
	}
	return float64(total) / float64(slicesN), nil
}

// pick is the robot's next click: on the slice with the most error, the centre of its largest
// error region.
func pick(label, truth *scan.Mask, can scan.Canonical) (target, bool) {
	k, n := worstSlice(label, truth, can)
	if n == 0 {
		return target{}, false
	}
	cols, rows := can.Dims[0], can.Dims[1]
	ls, ts := make([]uint8, cols*rows), make([]uint8, cols*rows)
	for j := 0; j < rows; j++ {
		for i := 0; i < cols; i++ {
			o := can.Offset(i, j, k)
			ls[j*cols+i], ts[j*cols+i] = label.At(o), truth.At(o)
		}
	}
	i, j, positive, ok := sliceTarget(ls, ts, cols, rows, spacingOr1(can.Spacing[0]), spacingOr1(can.Spacing[1]))
	return target{k: k, i: i, j: j, positive: positive}, ok
}

func spacingOr1(s float64) float64 {
	if s > 0 {
		return s
	}
	return 1
}

// record keeps the Dice at a checkpoint click count.
func record(at map[string]float64, n int, d float64) {
	if slices.Contains(checkpoints, n) {
		at[strconv.Itoa(n)] = d
	}
}

// fill gives the checkpoints the robot did not reach because no error was left the Dice d (1):
// the label no longer changes. Checkpoints beyond --clicks stay out of the report.
func fill(at map[string]float64, d float64) {
	for _, n := range checkpoints {
		if _, ok := at[strconv.Itoa(n)]; !ok {
			at[strconv.Itoa(n)] = d
		}
	}
}

func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(float64(len(s)-1)*p/100 + 0.5)
	return s[i]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func ptr(n int) *int { return &n }
