package training

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"liverseg/internal/atomicfile"
	"liverseg/scan"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"liverseg/inference"
)

// JobFile is job.json: what the worker reads (Params, the dataset, resume, init) and what liverseg
// keeps about the job.
type JobFile struct {
	Params
	Dataset string `json:"dataset"`          // folder, relative to the job folder or absolute
	Out     string `json:"out,omitempty"`    // where the worker writes; "" = the job folder
	Resume  bool   `json:"resume,omitempty"` // take up checkpoint.pt where there is one
	Init    string `json:"init,omitempty"`   // weights.pt of a parent model to fine-tune, or its ONNX weights (.npz, Parent.InitJob)
	// InitCheck: reference slices and the parent's logits on them (from ONNX Runtime), which the
	// worker's initial network must reproduce before it trains.
	InitCheck *InitCheck `json:"init_check,omitempty"`

	ID      string `json:"id"`
	Name    string `json:"name,omitempty"`
	Parent  string `json:"parent,omitempty"` // version of the model fine-tuned
	Created string `json:"created"`
	Config  string `json:"config,omitempty"` // the config file the job came from
	Author  string `json:"author,omitempty"` // who started it (FineTune)
}

// NewID is a job identifier: the UTC time and a random suffix, sortable by start.
func NewID() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return time.Now().UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b[:])
}

// ReadJob reads dir/job.json (at most scan.MaxConfigBytes).
func ReadJob(ctx context.Context, dir string) (*JobFile, error) {
	b, err := scan.ReadFileLimit(ctx, filepath.Join(dir, "job.json"), scan.MaxConfigBytes, "a job file")
	if err != nil {
		return nil, err
	}
	var j JobFile
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "job.json"), err)
	}
	return &j, nil
}

// WriteJob writes dir/job.json.
func WriteJob(dir string, j *JobFile) error {
	b, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(filepath.Join(dir, "job.json"), 0o644, append(b, '\n'))
}

// Prepare makes a job folder: the dataset exported through the inference pre-processing (unless
// dataset names one already exported, which is shared), job.json and worker.py, so that
// `python3 DIR/worker.py --job DIR/job.json` trains it, here or on another machine.
func Prepare(ctx context.Context, cfg *Config, dir, dataset string, progress Progress) (*JobFile, *Manifest, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, err
	}
	var man *Manifest
	var err error
	if dataset == "" {
		dataset = "dataset"
		man, err = Export(ctx, cfg, filepath.Join(dir, dataset), progress)
	} else {
		man, err = ReadManifest(ctx, resolve(dir, dataset))
	}
	if err != nil {
		return nil, nil, err
	}
	j := &JobFile{Params: cfg.Train, Dataset: dataset, ID: filepath.Base(dir), Name: cfg.Name,
		Created: time.Now().UTC().Format(time.RFC3339)}
	j.Params.Interactive = cfg.Train.clickTraining(cfg.Contract.Contract())
	if err := WriteJob(dir, j); err != nil {
		return nil, nil, err
	}
	if _, err := WriteWorker(dir); err != nil {
		return nil, nil, err
	}
	return j, man, nil
}

func resolve(dir, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

// DatasetDir is the job's dataset folder.
func (j *JobFile) DatasetDir(jobDir string) string { return resolve(jobDir, j.Dataset) }

// FinishOptions say how to check and describe a finished job.
type FinishOptions struct {
	Model     inference.Options // ONNX Runtime for the check and the evaluation (CPU by default)
	Version   string            // the model's version; "" = the job ID
	Parent    string
	Tolerance float64 // largest logit difference ONNX Runtime may show against PyTorch; 0 = 1e-3
	// Volumes: score volume cases with the whole segmentation pipeline on their original series
	// (found again through $VARIABLES), not only at the model's input size.
	Volumes bool
	// TrainCases: also score the training cases, so that overfitting shows.
	TrainCases bool
	Progress   Progress
}

// Outcome is a finished, checked job: the stamped model and its report.
type Outcome struct {
	Dir    string
	Model  string // model.onnx, contract stamped
	Report *Report
}

// ErrMismatch: ONNX Runtime does not reproduce the worker's PyTorch outputs.
var ErrMismatch = errors.New("the exported model does not match PyTorch")

// Finish checks a job the worker has finished (in dir: job.json, events.jsonl, model.onnx,
// ref_inputs.npy, ref_logits.npy): it stamps the contract into model.onnx, runs the model in ONNX
// Runtime on the reference slices against PyTorch's outputs, scores it, and writes the report
// (report/metrics.json, report/index.html, plots and panels). Nothing is registered here; a
// model whose check fails gets no report.
func Finish(ctx context.Context, dir string, opt FinishOptions) (*Outcome, error) {
	j, err := ReadJob(ctx, dir)
	if err != nil {
		return nil, err
	}
	man, err := ReadManifest(ctx, j.DatasetDir(dir))
	if err != nil {
		return nil, err
	}
	events, err := ReadEvents(ctx, filepath.Join(dir, "events.jsonl"))
	if err != nil {
		return nil, err
	}
	done := lastEvent(events, "done")
	if done == nil {
		return nil, fmt.Errorf("%s: the job has not finished (no done event in events.jsonl)", dir)
	}
	modelPath := filepath.Join(dir, "model.onnx")
	if _, err := os.Stat(modelPath); err != nil {
		return nil, err
	}
	version := opt.Version
	if version == "" {
		version = j.ID
	}
	if opt.Parent == "" {
		opt.Parent = j.Parent
	}
	k := man.Contract.Inference()
	if c := j.Interactive; c != nil {
		k.Kind, k.ClickEncoding, k.ClickRadiusMM = inference.KindInteractive, c.Encoding, c.RadiusMM
	}
	k.Version, k.Parent = version, opt.Parent
	k.Created = time.Now().UTC().Format(time.RFC3339)
	var trained []string
	for _, c := range man.Cases {
		if c.Split == "train" {
			trained = append(trained, fmt.Sprintf("%s(%d)", c.Name, c.Slices))
		}
	}
	k.TrainedOn = strings.Join(trained, " ")
	if err := inference.StampMetadata(ctx, modelPath, k.Metadata()); err != nil {
		return nil, err
	}
	if opt.Model.Device == "" {
		opt.Model.Device = inference.DeviceCPU
	}
	m, err := inference.OpenModel(ctx, modelPath, opt.Model)
	if err != nil {
		return nil, err
	}
	defer m.Close()
	diff, n, err := verify(ctx, m, dir)
	if err != nil {
		return nil, err
	}
	tol := opt.Tolerance
	if tol == 0 {
		tol = 1e-3
	}
	if diff.abs > tol*math.Max(1, diff.scale) {
		return nil, fmt.Errorf("%s: %w: largest logit difference %.3g on %d reference slices (tolerance %.3g)", modelPath, ErrMismatch, diff.abs, n, tol*math.Max(1, diff.scale))
	}
	if k.Interactive() {
		return finishInteractive(ctx, dir, j, man, events, done, version, opt.Parent, diff.abs, n, m)
	}
	splits := map[string]bool{"val": true}
	if opt.TrainCases {
		splits["train"] = true
	}
	evals, err := evalDataset(ctx, m, j.DatasetDir(dir), man, splits)
	if err != nil {
		return nil, err
	}
	r := newReport(j, man, events, done, version, opt.Parent, diff.abs, n, m.Provider())
	r.Cases = evals
	if opt.Volumes {
		vols, err := evalVolumes(ctx, m, man, splits, opt.Progress)
		if err != nil {
			return nil, err
		}
		r.Volumes = vols
	}
	r.summarise()
	// the figure the report shows goes into the model
	if r.Val.Dice > 0 {
		if err := inference.StampMetadata(ctx, modelPath, map[string]string{inference.KeyValDice: strconv.FormatFloat(r.Val.Dice, 'f', 4, 64)}); err != nil {
			return nil, err
		}
	}
	if err := r.Write(filepath.Join(dir, "report")); err != nil {
		return nil, err
	}
	return &Outcome{Dir: dir, Model: modelPath, Report: r}, nil
}

type difference struct{ abs, scale float64 }

// verify runs the reference inputs in ONNX Runtime and compares with PyTorch's logits.
func verify(ctx context.Context, m *inference.Model, dir string) (difference, int, error) {
	in, err := readNPY(filepath.Join(dir, "ref_inputs.npy"))
	if err != nil {
		return difference{}, 0, err
	}
	want, err := readNPY(filepath.Join(dir, "ref_logits.npy"))
	if err != nil {
		return difference{}, 0, err
	}
	c := m.Contract()
	if len(in.Shape) != 4 || in.F32 == nil || in.Shape[1] != c.InputChannels() || in.Shape[2] != c.InputH || in.Shape[3] != c.InputW {
		return difference{}, 0, fmt.Errorf("%s: reference inputs %v do not fit the model's [N,%d,%d,%d]", dir, in.Shape, c.InputChannels(), c.InputH, c.InputW)
	}
	n := in.Shape[0]
	got, err := m.Run(ctx, in.F32, n)
	if err != nil {
		return difference{}, 0, err
	}
	if len(want.F32) != len(got) {
		return difference{}, 0, fmt.Errorf("%s: %d reference logits, the model gave %d", dir, len(want.F32), len(got))
	}
	var d difference
	for i, v := range got {
		d.abs = math.Max(d.abs, math.Abs(float64(v-want.F32[i])))
		d.scale = math.Max(d.scale, math.Abs(float64(want.F32[i])))
		if math.IsNaN(float64(v)) {
			return d, n, fmt.Errorf("%s: ONNX Runtime gives NaN", m.Path())
		}
	}
	return d, n, nil
}

// ReadEvents reads an events.jsonl file (at most scan.MaxLogBytes).
func ReadEvents(ctx context.Context, path string) ([]Event, error) {
	b, err := scan.ReadFileLimit(ctx, path, scan.MaxLogBytes, "a job's event log")
	if err != nil {
		return nil, err
	}
	var out []Event
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		var ev Event
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			continue
		}
		ev.Raw = json.RawMessage(line)
		out = append(out, ev)
	}
	return out, nil
}

// lastEvent is the last event of a kind after the last start (a resumed job has several).
func lastEvent(events []Event, kind string) *Event {
	for i := len(events) - 1; i >= 0; i-- {
		if events[i].Event == kind {
			e := events[i]
			return &e
		}
	}
	return nil
}

// sortCases puts validation first, then by name.
func sortCases(cs []*CaseEval) {
	sort.SliceStable(cs, func(i, j int) bool {
		if cs[i].Split != cs[j].Split {
			return cs[i].Split == "val"
		}
		return cs[i].Name < cs[j].Name
	})
}
