package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"liverseg/assets"
	"liverseg/inference"
	"liverseg/internal/atomicfile"
	"liverseg/scan"
	"liverseg/training"
	"liverseg/workspace"
)

// Train is `liverseg train`: one job from a config file or flags, --search N random trials,
// --from MODEL to fine-tune, --export-only / --import to train on another machine, --resume.
func Train(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("train", "--config FILE | --case SERIES,LABEL[,SPLIT] ... [flags]\n"+
		"       liverseg train --export-only --config FILE --out DIR    (then: python3 DIR/worker.py --job DIR/job.json)\n"+
		"       liverseg train --import DIR [--assets DIR]\n"+
		"       liverseg train --resume JOB", stderr)
	configPath := fs.String("config", "", "the job: data, contract and hyper-parameters (JSON; see assets/default-model.json)")
	var cases, sets multiFlag
	fs.Var(&cases, "case", "a case SERIES,LABEL[,train|val] (repeatable; any LABEL format)")
	fs.Var(&sets, "slices", "a 2D slice set DIR,LAYOUT,HU0,HU255[,train|val]: LAYOUT images-masks or pairs; pixels 0 and 255 mean HU0 and HU255 (repeatable)")
	out := fs.String("out", "", "the job folder (default: the workspace's jobs/ID)")
	wsDir := addWorkspaceFlag(fs)
	exportOnly := fs.Bool("export-only", false, "write the job folder (dataset, job.json, worker.py) and stop: train it elsewhere")
	importDir := fs.String("import", "", "a job folder a worker finished elsewhere: check, report and register its model")
	assets := fs.String("assets", "", "with --import: also write model.onnx, MODEL_CARD.md and report/ into this folder (the default model: assets)")
	resume := fs.String("resume", "", "take up a cancelled job (its ID or folder) from its checkpoint")
	from := fs.String("from", "", "fine-tune this model, or train an interactive model from it: a registered version, or built-in (default: the config's from)")
	search := fs.Int("search", 0, "run N random trials over the study's grid and rank them")
	activate := fs.Bool("activate", false, "make the new model the active one")
	version := fs.String("version", "", "the new model's version (default: the job ID)")
	python := addPythonFlag(fs)
	ortLib := addORTLibFlag(fs)
	volumes := fs.Bool("volumes", true, "score volume cases with the whole segmentation pipeline on their series")
	asJSON := addJSONFlag(fs)
	// hyper-parameters over the config's
	var hp hyperFlags
	hp.add(fs)
	if code, ok := parseOnlyFlags(fs, args, stderr); !ok {
		return code
	}
	modes := 0
	for _, on := range []bool{*importDir != "", *resume != "", *configPath != "" || len(cases) > 0 || len(sets) > 0} {
		if on {
			modes++
		}
	}
	if modes != 1 {
		return usageError(stderr, fs, "give one of --config (or --case/--slices), --import or --resume")
	}
	if *exportOnly && *out == "" {
		return usageError(stderr, fs, "--export-only needs --out DIR")
	}
	if *assets != "" && *importDir == "" {
		return usageError(stderr, fs, "--assets goes with --import")
	}
	if *search < 0 || (*search > 0 && *exportOnly) {
		return usageError(stderr, fs, "--search N wants N >= 1 and no --export-only")
	}

	tr := &training.Trainer{
		Run: training.RunOptions{Python: *python},
		Finish: training.FinishOptions{Model: inference.Options{LibraryPath: *ortLib, Python: *python, Device: inference.DeviceCPU},
			Version: *version, Volumes: *volumes, TrainCases: true},
	}
	bar := newTrainBar(stderr)
	tr.Run.OnEvent = bar.event
	tr.Finish.Progress = func(stage string, done, total int) { bar.stage(stage) }
	openWS := func() (*workspace.Workspace, error) { return workspace.Open(ctx, *wsDir) }

	switch {
	case *importDir != "":
		ws, err := openWS()
		if err != nil {
			return fail(stderr, err)
		}
		defer ws.Close()
		tr.WS = ws
		res, err := tr.Complete(ctx, *importDir, *activate)
		bar.clear()
		if err != nil {
			return fail(stderr, err)
		}
		if *assets != "" {
			if err := writeAssets(ctx, *assets, *importDir, res.Report.Kind); err != nil {
				return fail(stderr, err)
			}
		}
		return printResult(stdout, stderr, res, *asJSON)
	case *resume != "":
		ws, err := openWS()
		if err != nil {
			return fail(stderr, err)
		}
		defer ws.Close()
		tr.WS = ws
		dir := *resume
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			dir = ws.JobDir(*resume)
		}
		res, err := tr.RunJob(ctx, dir, true, *activate)
		bar.clear()
		if err != nil {
			return jobFailed(stderr, err, dir)
		}
		return printResult(stdout, stderr, res, *asJSON)
	}

	var cfg *training.Config
	if *configPath != "" {
		c, err := training.LoadConfig(ctx, *configPath)
		if err != nil {
			return fail(stderr, err)
		}
		cfg = c
	} else {
		cfg = &training.Config{Train: training.DefaultParams()}
		wd, _ := os.Getwd()
		cfg.SetDir(wd)
	}
	for _, c := range cases {
		p := strings.Split(c, ",")
		if len(p) < 2 || len(p) > 3 {
			return usageError(stderr, fs, "--case %q: want SERIES,LABEL[,train|val]", c)
		}
		cs := training.CaseSource{Series: p[0], Label: p[1]}
		if len(p) == 3 {
			cs.Split = p[2]
		}
		cfg.Cases = append(cfg.Cases, cs)
	}
	for _, s := range sets {
		p := strings.Split(s, ",")
		if len(p) < 4 || len(p) > 5 {
			return usageError(stderr, fs, "--slices %q: want DIR,LAYOUT,HU0,HU255[,train|val]", s)
		}
		lo, err1 := strconv.ParseFloat(p[2], 64)
		hi, err2 := strconv.ParseFloat(p[3], 64)
		if err1 != nil || err2 != nil {
			return usageError(stderr, fs, "--slices %q: HU0 and HU255 must be numbers", s)
		}
		ss := training.SliceSet{Name: filepath.Base(filepath.Clean(p[0])), Dir: p[0], Layout: p[1], HU: [2]float64{lo, hi}}
		if len(p) == 5 {
			ss.Split = p[4]
		}
		cfg.SliceSets = append(cfg.SliceSets, ss)
	}
	hp.apply(cfg)
	if *from == "" {
		*from = cfg.From
	}
	if k := cfg.Contract.Contract(); k.Interactive() && *from == "" {
		return usageError(stderr, fs, "an %s model starts from an %s one: give --from VERSION (or %s), or from in the config",
			inference.KindInteractive, inference.KindAutomatic, training.BuiltIn)
	}
	var ws *workspace.Workspace
	if !*exportOnly || *from != "" {
		w, err := openWS()
		if err != nil {
			return fail(stderr, err)
		}
		defer w.Close()
		ws = w
		tr.WS = ws
	}
	var parent *training.Parent
	if *from != "" {
		// a fine-tuned model keeps its parent's input, and its network
		p, err := training.ResolveParent(ctx, ws, *from)
		if err != nil {
			return fail(stderr, err)
		}
		p.Configure(cfg)
		parent = p
	}
	if err := cfg.Check(); err != nil {
		return fail(stderr, err)
	}
	if *search > 0 {
		return runSearch(ctx, tr, ws, cfg, *search, *out, parent, *activate, bar, stdout, stderr, *asJSON)
	}
	dir := *out
	if dir == "" {
		dir = ws.JobDir(training.NewID())
	}
	bar.stage("exporting the dataset")
	j, man, err := training.Prepare(ctx, cfg, dir, "", func(stage string, done, total int) { bar.stage(stage) })
	bar.clear()
	if err != nil {
		return fail(stderr, err)
	}
	if parent != nil {
		if err := parent.InitJob(ctx, dir, j, tr.Finish.Model); err != nil {
			return fail(stderr, err)
		}
		if err := training.WriteJob(dir, j); err != nil {
			return fail(stderr, err)
		}
	}
	if *exportOnly {
		return printExport(stdout, dir, man, *asJSON)
	}
	res, err := tr.RunJob(ctx, dir, false, *activate)
	bar.clear()
	if err != nil {
		return jobFailed(stderr, err, dir)
	}
	return printResult(stdout, stderr, res, *asJSON)
}

func jobFailed(stderr io.Writer, err error, dir string) int {
	if errors.Is(err, training.ErrCancelled) {
		fmt.Fprintf(stderr, "liverseg: training cancelled; the checkpoint is in %s: resume with liverseg train --resume %s\n", dir, dir)
		return ExitFailure
	}
	return fail(stderr, err)
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, " ") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// hyperFlags override the config's hyper-parameters where given: a flag set on the command line
// queues its change, and apply makes the changes once the config is read.
type hyperFlags struct{ set []func(*training.Config) }

func (h *hyperFlags) add(fs *flag.FlagSet) {
	whole := plainly(strconv.Atoi, "want a whole number")
	number := plainly(func(s string) (float64, error) { return strconv.ParseFloat(s, 64) }, "want a number")
	text := func(s string) (string, error) { return s, nil }
	flagTo(h, fs, "epochs", "epochs (default: the config's, else 15)", whole, func(c *training.Config, n int) { c.Train.Epochs = n })
	flagTo(h, fs, "batch", "batch size (default 4)", whole, func(c *training.Config, n int) { c.Train.Batch = n })
	flagTo(h, fs, "patience", "stop after this many epochs without a better validation loss; 0 = never (default 3)", whole, func(c *training.Config, n int) { c.Train.Patience = n })
	flagTo(h, fs, "base", "U-Net channels of the first level (default 16)", whole, func(c *training.Config, n int) { c.Train.Base = n })
	flagTo(h, fs, "depth", "U-Net levels (default 4)", whole, func(c *training.Config, n int) { c.Train.Depth = n })
	flagTo(h, fs, "seed", "random seed", whole, func(c *training.Config, n int) { c.Train.Seed = n })
	flagTo(h, fs, "size", "input size H = W (default: the config's, else 256)", whole, func(c *training.Config, n int) { c.Contract.InputSize = [2]int{n, n} })
	flagTo(h, fs, "lr", "learning rate (default 1e-3)", number, func(c *training.Config, x float64) { c.Train.LR = x })
	flagTo(h, fs, "dropout", "dropout (default 0.1)", number, func(c *training.Config, x float64) { c.Train.Dropout = x })
	flagTo(h, fs, "max-seconds", "stop training after this long (the best epoch so far is exported)", number, func(c *training.Config, x float64) { c.Train.MaxSeconds = x })
	flagTo(h, fs, "optimizer", "adam, adamw or sgd (default adam)", text, func(c *training.Config, s string) { c.Train.Optimizer = s })
	flagTo(h, fs, "schedule", "learning-rate schedule: cosine, step or none", text, func(c *training.Config, s string) { c.Train.Schedule = s })
	flagTo(h, fs, "device", "where torch trains: auto, cpu or cuda", text, func(c *training.Config, s string) { c.Train.Device = s })
	fs.BoolFunc("no-augment", "no augmentation", func(s string) error {
		off, err := strconv.ParseBool(s)
		if err != nil {
			return errors.New("want true or false")
		}
		h.set = append(h.set, func(c *training.Config) { c.Train.Augment.Disabled = off })
		return nil
	})
}

// plainly is parse with its error said as want (the flag package adds the flag and the value).
func plainly[T any](parse func(string) (T, error), want string) func(string) (T, error) {
	return func(s string) (T, error) {
		v, err := parse(s)
		if err != nil {
			return v, errors.New(want)
		}
		return v, nil
	}
}

// flagTo registers a flag whose value, parsed, queues the change to makes.
func flagTo[T any](h *hyperFlags, fs *flag.FlagSet, name, usage string, parse func(string) (T, error), to func(*training.Config, T)) {
	fs.Func(name, usage, func(s string) error {
		v, err := parse(s)
		if err != nil {
			return err
		}
		h.set = append(h.set, func(c *training.Config) { to(c, v) })
		return nil
	})
}

// apply makes the changes of the flags given, in their order on the command line.
func (h *hyperFlags) apply(cfg *training.Config) {
	for _, f := range h.set {
		f(cfg)
	}
}

// writeAssets writes a job's model, card and report into the assets folder dir: model.onnx,
// MODEL_CARD.md and report/ for an automatic model; interactive.onnx, INTERACTIVE_MODEL_CARD.md
// and interactive-report/ for an interactive one (kind), which sits beside it.
func writeAssets(ctx context.Context, dir, job, kind string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	model, card, report := assets.DefaultModelName, "MODEL_CARD.md", "report"
	if kind == inference.KindInteractive {
		model, card, report = assets.InteractiveModelName, "INTERACTIVE_MODEL_CARD.md", "interactive-report"
	}
	for _, f := range []struct {
		from, to string
		read     func(context.Context, string) ([]byte, error)
	}{
		{"model.onnx", model, inference.ReadModel},
		{"MODEL_CARD.md", card, func(ctx context.Context, p string) ([]byte, error) {
			return scan.ReadFileLimit(ctx, p, scan.MaxConfigBytes, "a model card")
		}},
	} {
		b, err := f.read(ctx, filepath.Join(job, f.from))
		if err != nil {
			return err
		}
		if err := atomicfile.WriteBytes(filepath.Join(dir, f.to), 0o644, b); err != nil {
			return err
		}
	}
	rep := filepath.Join(dir, report)
	if err := os.RemoveAll(rep); err != nil {
		return err
	}
	return copyDir(ctx, filepath.Join(job, "report"), rep)
}

func copyDir(ctx context.Context, src, dst string) error {
	return filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		t := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(t, 0o755)
		}
		b, err := scan.ReadFileLimit(ctx, p, scan.MaxReportBytes, "a report's file")
		if err != nil {
			return err
		}
		return os.WriteFile(t, b, 0o644)
	})
}

func printExport(stdout io.Writer, dir string, man *training.Manifest, asJSON bool) int {
	if asJSON {
		if err := writeJSON(stdout, map[string]any{"dir": dir, "manifest": man}); err != nil {
			return ExitFailure
		}
		return ExitOK
	}
	fmt.Fprintf(stdout, "job folder  %s\n", dir)
	for _, c := range man.Cases {
		fmt.Fprintf(stdout, "  %-22s %-6s %-5s %5d slices (%d with liver), %d patient(s)\n", c.Name, c.Kind, c.Split, c.Slices, c.Liver, len(c.Patients))
	}
	fmt.Fprintf(stdout, "train it:   python3 %s --job %s\n", filepath.Join(dir, "worker.py"), filepath.Join(dir, "job.json"))
	fmt.Fprintf(stdout, "then:       liverseg train --import %s\n", dir)
	return ExitOK
}

func printResult(stdout, stderr io.Writer, res *training.Result, asJSON bool) int {
	r := res.Report
	if asJSON {
		v := map[string]any{"dir": res.Dir, "model": res.Model, "report": filepath.Join(res.Dir, "report", "index.html"),
			"version": r.Version, "val_dice": r.Val.Dice, "val_level": r.ValLevel, "ort_max_diff": r.ORTMaxDiff,
			"epochs": r.Epochs, "best_epoch": r.BestEpoch, "volumes": r.Volumes, "cases": summaries(r.Cases)}
		if err := writeJSON(stdout, v); err != nil {
			return fail(stderr, err)
		}
		return ExitOK
	}
	fmt.Fprintf(stdout, "model       %s\n", r.Version)
	if res.Model != nil {
		fmt.Fprintf(stdout, "registered  %s%s\n", res.Model.Dir, map[bool]string{true: " (active)", false: ""}[res.Model.Active])
	}
	fmt.Fprintf(stdout, "val dice    %.4f (%s)\n", r.Val.Dice, r.ValLevel)
	fmt.Fprintf(stdout, "epochs      %d, best %d%s\n", r.Epochs, r.BestEpoch, map[bool]string{true: ", stopped early", false: ""}[r.EarlyStop != ""])
	fmt.Fprintf(stdout, "ort check   max |ONNX Runtime - PyTorch| = %.2g on %d slices\n", r.ORTMaxDiff, r.ORTSlices)
	for _, c := range r.Volumes {
		fmt.Fprintf(stdout, "  %-22s %-5s dice %.4f (whole series)\n", c.Name, c.Split, c.Dice)
	}
	for _, c := range r.Cases {
		fmt.Fprintf(stdout, "  %-22s %-5s dice %.4f (%d slices at %dx%d)\n", c.Name, c.Split, c.Dice, len(c.Slices), r.Contract.InputSize[0], r.Contract.InputSize[1])
	}
	fmt.Fprintf(stdout, "report      %s\n", filepath.Join(res.Dir, "report", "index.html"))
	return ExitOK
}

type caseSummary struct {
	Name  string  `json:"name"`
	Split string  `json:"split"`
	Dice  float64 `json:"dice"`
	N     int     `json:"slices"`
}

func summaries(cs []*training.CaseEval) []caseSummary {
	out := []caseSummary{}
	for _, c := range cs {
		out = append(out, caseSummary{c.Name, c.Split, c.Dice, len(c.Slices)})
	}
	return out
}

// trainBar draws the job's progress on a terminal: epoch, step, loss and the time left.
type trainBar struct {
	w       io.Writer
	on      bool
	start   time.Time
	first   int // global step at start (a resumed job)
	steps   int
	epochs  int
	label   string
	drawn   bool
	trial   string
	valDice float64
}

func newTrainBar(w io.Writer) *trainBar { return &trainBar{w: w, on: isTerminal(w)} }

func (b *trainBar) stage(s string) {
	if !b.on {
		return
	}
	fmt.Fprintf(b.w, "\r\033[K%s%s", b.trial, s)
	b.drawn = true
}

func (b *trainBar) clear() {
	if b.on && b.drawn {
		fmt.Fprint(b.w, "\r\033[K")
		b.drawn = false
	}
}

func (b *trainBar) event(ev training.Event) {
	switch ev.Event {
	case "start":
		b.start, b.steps, b.epochs = time.Now(), ev.StepsPerEpoch, ev.Epochs
		b.first = 0
		if ev.Resumed != nil {
			b.first = ev.Resumed.Epoch*ev.StepsPerEpoch + ev.Resumed.Step
		}
		b.label = ev.Device
	case "epoch":
		if ev.ValDice > 0 {
			b.valDice = ev.ValDice
		}
	case "step":
		if !b.on || b.steps == 0 {
			return
		}
		done := (ev.Epoch-1)*b.steps + ev.Step
		total := b.epochs * b.steps
		left := ""
		if d := done - b.first; d > 0 {
			rem := time.Duration(float64(time.Since(b.start)) / float64(d) * float64(total-done))
			left = " " + rem.Round(time.Second).String() + " left"
		}
		pct := done * 100 / max(1, total)
		const width = 24
		n := pct * width / 100
		val := ""
		if b.valDice > 0 {
			val = fmt.Sprintf(" val dice %.3f", b.valDice)
		}
		fmt.Fprintf(b.w, "\r\033[K%sepoch %d/%d [%s%s] %3d%% loss %.4f%s%s (%s)", b.trial, ev.Epoch, b.epochs,
			strings.Repeat("=", n), strings.Repeat(" ", width-n), pct, ev.Loss, val, left, b.label)
		b.drawn = true
	case "exported":
		b.stage("checking the model in ONNX Runtime")
	}
}
