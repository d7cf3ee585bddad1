// Package training builds datasets for the PyTorch worker, runs and resumes its jobs, checks the
// models it exports in ONNX Runtime, and writes the reports (DESIGN.md, "Training runs in PyTorch,
// orchestrated from Go").
package training

import (
	"context"
	"encoding/json"
	"fmt"
	"liverseg/scan"
	"os"
	"path/filepath"
	"strings"

	"liverseg/inference"
)

// Config is a training job as a file describes it: the data, the contract the model is trained
// for, and the hyper-parameters. Paths may use $VARIABLES (say $LIVERSEG_DATA) and are relative to
// the config file.
type Config struct {
	Name      string         `json:"name,omitempty"`
	Contract  ContractConfig `json:"contract"`
	Cases     []CaseSource   `json:"cases,omitempty"`
	SliceSets []SliceSet     `json:"slice_sets,omitempty"`
	// ValFraction is the share of patients, in cases and slice sets without an explicit split,
	// that go to validation (0.2 when unset).
	ValFraction float64 `json:"val_fraction,omitempty"`
	// Quantize stores images as uint8 (value x 255) instead of float32: a quarter of the size, for
	// carrying a dataset to another machine; the worker turns them back into floats.
	Quantize bool   `json:"quantize,omitempty"`
	Train    Params `json:"train"`
	// From is the model the job starts from (`liverseg train --from` says the same and wins): a
	// registered version, or built-in. An interactive model needs one: it starts from an
	// automatic model's weights.
	From string `json:"from,omitempty"`

	dir string // of the config file, for relative paths
}

// ContractConfig is the part of the model contract a job chooses; the rest is DefaultContract.
type ContractConfig struct {
	Channels  int        `json:"channels,omitempty"`
	Window    [2]float64 `json:"window,omitempty"`
	InputSize [2]int     `json:"input_size,omitempty"`
	// Kind is automatic ("" too) or interactive: a model that redraws a slice from its image,
	// its current label and the annotator's clicks, drawn with ClickEncoding (disk or gaussian)
	// at ClickRadiusMM (DESIGN.md, the model contract). An interactive job trains from an
	// automatic model (Config.From).
	Kind          string  `json:"kind,omitempty"`
	ClickEncoding string  `json:"click_encoding,omitempty"`  // default DefaultClickEncoding
	ClickRadiusMM float64 `json:"click_radius_mm,omitempty"` // default DefaultClickRadiusMM
}

// The click drawing of an interactive model unless its config says otherwise: disks of 5 mm.
// Disks, because RITM (Sofiiuk et al. 2022) measured them above distance maps and Gaussians of
// the same size; 5 mm, because on the default model's 192x192 input of an abdomen (about 2 mm a
// pixel) that is RITM's 5 px radius on its 400-500 px images in proportion to the object: a
// click marks a spot of the liver's edge without covering a vessel or the gap to the kidney.
const (
	DefaultClickEncoding = inference.ClickDisk
	DefaultClickRadiusMM = 5
)

// Contract is the inference contract the dataset is exported through.
func (c ContractConfig) Contract() inference.Contract {
	k := inference.DefaultContract()
	if c.Channels > 0 {
		k.Channels = c.Channels
	}
	if c.Window[1] > c.Window[0] {
		k.WindowLow, k.WindowHigh = c.Window[0], c.Window[1]
	}
	if c.InputSize[0] > 0 && c.InputSize[1] > 0 {
		k.InputH, k.InputW = c.InputSize[0], c.InputSize[1]
	}
	if c.Kind != "" {
		k.Kind = c.Kind
	}
	if k.Interactive() {
		k.ClickEncoding, k.ClickRadiusMM = c.ClickEncoding, c.ClickRadiusMM
		if k.ClickEncoding == "" {
			k.ClickEncoding = DefaultClickEncoding
		}
		if k.ClickRadiusMM == 0 {
			k.ClickRadiusMM = DefaultClickRadiusMM
		}
	}
	return k
}

// CaseSource is a CT series with a label in any LABEL format.
type CaseSource struct {
	Name    string `json:"name,omitempty"`    // default: the series folder's name
	Patient string `json:"patient,omitempty"` // default: the series' PatientID, else its name
	Series  string `json:"series"`
	UID     string `json:"series_uid,omitempty"`
	Label   string `json:"label"`
	Reverse bool   `json:"reverse,omitempty"` // PNG stack labels
	Segment int    `json:"segment,omitempty"` // DICOM SEG labels
	Split   string `json:"split,omitempty"`   // train, val, or "" (by patient, ValFraction)
	Repeat  int    `json:"repeat,omitempty"`  // training: visit its slices this many times an epoch (1)
}

// SliceSet is a folder of 2D image and mask pairs, with the intensity mapping it was stored with.
type SliceSet struct {
	Name string `json:"name"`
	Dir  string `json:"dir"`
	// Layout: "images-masks" (images/X and masks/X, same names) or "pairs" (X.png beside
	// X_mask.png, in the folder or its subfolders).
	Layout string `json:"layout"`
	// HU says what the pixel values mean: pixel 0 is HU[0] and 255 is HU[1], linearly (values
	// outside were clipped when the set was made). msd_liver_jpg: 0,255 (HU clipped to 0..255).
	HU [2]float64 `json:"hu"`
	// HUAssumed marks a mapping that is a guess (an unknown soft-tissue window), for the report.
	HUAssumed bool `json:"hu_assumed,omitempty"`
	// Patient is a regular expression whose first group is the patient in a file's name; unset,
	// each pair is its own patient.
	Patient string `json:"patient,omitempty"`
	// Rotate gives, by file-name prefix, the quarter turns counter-clockwise that bring an image to
	// the canonical orientation (anterior up, the patient's right on the left).
	Rotate map[string]int `json:"rotate,omitempty"`
	// Flip, after the rotation: "vertical" (rows upside down, as unet_liver stores them) or
	// "horizontal".
	Flip          string `json:"flip,omitempty"`
	MaskThreshold int    `json:"mask_threshold,omitempty"` // nonzero by default
	Split         string `json:"split,omitempty"`
	Limit         int    `json:"limit,omitempty"`  // at most this many pairs (tests)
	Repeat        int    `json:"repeat,omitempty"` // training: visit its slices this many times an epoch (1)
}

// Params are the hyper-parameters and run options the worker reads (job.json).
type Params struct {
	Base             int     `json:"base,omitempty"`  // channels of the first level (16)
	Depth            int     `json:"depth,omitempty"` // levels (4)
	Dropout          float64 `json:"dropout"`
	Optimizer        string  `json:"optimizer,omitempty"` // adam, adamw, sgd
	LR               float64 `json:"lr,omitempty"`
	WeightDecay      float64 `json:"weight_decay,omitempty"`
	Momentum         float64 `json:"momentum,omitempty"`
	Schedule         string  `json:"schedule,omitempty"` // cosine, step, none
	WarmupEpochs     float64 `json:"warmup_epochs,omitempty"`
	Batch            int     `json:"batch,omitempty"`
	Epochs           int     `json:"epochs,omitempty"`
	Patience         int     `json:"patience"` // epochs without a better validation loss; 0 = never stop early (always written: the worker's default is 3)
	Augment          Augment `json:"augment"`
	Seed             int     `json:"seed,omitempty"`
	Device           string  `json:"device,omitempty"` // auto, cpu, cuda
	Threads          int     `json:"threads,omitempty"`
	MaxStepsPerEpoch int     `json:"max_steps_per_epoch,omitempty"`
	MaxSeconds       float64 `json:"max_seconds,omitempty"` // stop training (and export the best epoch) after this long
	ReferenceSlices  int     `json:"reference_slices,omitempty"`
	Debug            any     `json:"debug,omitempty"` // test hooks: nan_at_step, crash_at_step, sleep_per_step
	// FreezeBN keeps batch norm in eval mode while training (its scale and shift still learn):
	// for fine-tuning on a few cases with small batches (FineTuneParams).
	FreezeBN bool `json:"freeze_bn,omitempty"`
	// Focus is the share (0..1) of each epoch's draws taken in proportion to the pixels where the
	// starting network disagrees with the labels, the rest drawn as usual: a fine-tune on corrected
	// labels then spends its few steps on the corrections rather than on slices it already knows.
	Focus float64 `json:"focus,omitempty"`
	// Interactive: how an interactive model learns from simulated clicks (nil for an automatic
	// model). Prepare sets its encoding and radius from the contract.
	Interactive *ClickTraining `json:"interactive,omitempty"`
	// SliceSpacingMM is the mm of one input pixel assumed for the 2D slice sets, which carry no
	// spacing, where a click's radius is drawn (2 when unset: a 0.75 mm pixel of a 512-pixel
	// slice at a 192-pixel input).
	SliceSpacingMM float64 `json:"slice_spacing_mm,omitempty"`
}

// ClickTraining is how the worker simulates an annotator's clicks while it trains an interactive
// model, and scores it (worker.py, Clicker): for each sample a random number of clicks, each on
// the largest error region left by the model's own previous output. Zero values take the defaults.
type ClickTraining struct {
	Encoding string  `json:"click_encoding"`  // disk or gaussian: the contract's
	RadiusMM float64 `json:"click_radius_mm"` // the contract's
	// MaxClicks: a sample with clicks gets 1..MaxClicks of them (5).
	MaxClicks int `json:"max_clicks,omitempty"`
	// NoClickShare of the samples get no click, the automatic model's mask as label and as
	// target, so that without clicks the model keeps the label (0.25).
	NoClickShare float64 `json:"no_click_share,omitempty"`
	// LocalPX: the target is the truth on the error regions clicked on, grown by this many
	// pixels (2), and the label given elsewhere: a click corrects its region, and without
	// clicks the model keeps its label.
	LocalPX int `json:"local_px,omitempty"`
	// RegionWeight: the cross-entropy on those regions, averaged over them alone (they are a few
	// per cent of the pixels), weighs RegionWeight (1) against the mean over the other pixels.
	RegionWeight float64 `json:"region_weight,omitempty"`
	// NoClickWeight weighs their loss against the loss of the samples with clicks (1).
	NoClickWeight float64 `json:"no_click_weight,omitempty"`
	// HeadWidth is the channels of the click head (32): the network that reads the frozen
	// automatic trunk's last features and logits with the guidance and corrects its logits
	// (worker.py, build_click_unet).
	HeadWidth int `json:"head_width,omitempty"`
	// Network is what learns the correction: "head" (the default), the click head above, or
	// "copy", a trainable copy of the whole automatic U-Net (the parent's weights, zeros on the
	// guidance channels' first-layer weights) whose logits replace the frozen parent's on a
	// slice with clicks. The copy costs a full backward pass a step: for a GPU.
	Network string `json:"network,omitempty"`
	// Of the samples with clicks, EmptyShare start from an empty label (0.1) and CorruptShare
	// from the truth grown or shrunk by 1 to 6 pixels (0.2); the others from the automatic mask.
	EmptyShare   float64 `json:"empty_share,omitempty"`
	CorruptShare float64 `json:"corrupt_share,omitempty"`
	// Each epoch's validation: ValClicks clicks (3) on at most ValSlices slices with liver (48).
	ValClicks int `json:"val_clicks,omitempty"`
	ValSlices int `json:"val_slices,omitempty"`
	// ClickCounts are the report's points of the Dice against the clicks (0,1,2,3,5,10,20);
	// CurveTrain scores the training cases too (slow on a CPU: 20 runs of every slice).
	ClickCounts []int `json:"click_counts,omitempty"`
	CurveTrain  bool  `json:"curve_train,omitempty"`
}

// DefaultClickCounts are the report's points of the Dice against the number of clicks.
var DefaultClickCounts = []int{0, 1, 2, 3, 5, 10, 20}

// clickTraining is the job's click simulation for contract k: nil for an automatic model, else
// p's settings with the contract's drawing and the defaults filled in.
func (p Params) clickTraining(k inference.Contract) *ClickTraining {
	if !k.Interactive() {
		return nil
	}
	var c ClickTraining
	if p.Interactive != nil {
		c = *p.Interactive
	}
	c.Encoding, c.RadiusMM = k.ClickEncoding, k.ClickRadiusMM
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	if c.MaxClicks == 0 {
		c.MaxClicks = 5
	}
	if c.LocalPX == 0 {
		c.LocalPX = 2
	}
	def(&c.NoClickShare, 0.25)
	def(&c.NoClickWeight, 1)
	def(&c.RegionWeight, 1)
	if c.HeadWidth == 0 {
		c.HeadWidth = 32
	}
	if c.Network == "" {
		c.Network = "head"
	}
	def(&c.EmptyShare, 0.1)
	def(&c.CorruptShare, 0.2)
	if c.ValClicks == 0 {
		c.ValClicks = 3
	}
	if c.ValSlices == 0 {
		c.ValSlices = 48
	}
	if len(c.ClickCounts) == 0 {
		c.ClickCounts = append([]int(nil), DefaultClickCounts...)
	}
	return &c
}

// Augment is the worker's augmentation, applied on the device a batch at a time.
type Augment struct {
	Disabled  bool    `json:"-"`
	Flip      float64 `json:"flip"`       // probability of a left-right flip
	RotateDeg float64 `json:"rotate_deg"` // uniform in +-RotateDeg
	Scale     float64 `json:"scale"`      // uniform in 1 +- Scale
	Intensity float64 `json:"intensity"`  // gain 1 +- Intensity, offset +- Intensity/2
}

// MarshalJSON writes enabled, the worker's switch.
func (a Augment) MarshalJSON() ([]byte, error) {
	type plain Augment
	return json.Marshal(struct {
		Enabled bool `json:"enabled"`
		plain
	}{!a.Disabled, plain(a)})
}

// UnmarshalJSON reads enabled (default true).
func (a *Augment) UnmarshalJSON(b []byte) error {
	type plain Augment
	v := struct {
		Enabled *bool `json:"enabled"`
		*plain
	}{plain: (*plain)(a)}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	a.Disabled = v.Enabled != nil && !*v.Enabled
	return nil
}

// DefaultParams are the original study's best trial (Adam, lr 1e-3, batch 4, dropout 0.1,
// 15 epochs, patience 3) on a 16-channel, 4-level U-Net, with moderate augmentation.
func DefaultParams() Params {
	return Params{Base: 16, Depth: 4, Dropout: 0.1, Optimizer: "adam", LR: 1e-3, Schedule: "cosine", Batch: 4,
		Epochs: 15, Patience: 3, Seed: 1, Device: "auto", ReferenceSlices: 8,
		Augment: Augment{Flip: 0.5, RotateDeg: 10, Scale: 0.1, Intensity: 0.1}}
}

// LoadConfig reads a config file (a regular file of at most scan.MaxConfigBytes: a FIFO, a device
// or a huge file is refused before it is read); missing hyper-parameters take DefaultParams.
func LoadConfig(ctx context.Context, path string) (*Config, error) {
	b, err := scan.ReadFileLimit(ctx, path, scan.MaxConfigBytes, "a configuration")
	if err != nil {
		return nil, err
	}
	c := &Config{Train: DefaultParams()}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(c); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	c.dir = filepath.Dir(abs)
	return c, c.Check()
}

// SetDir sets the folder relative paths are read from (a config built in code).
func (c *Config) SetDir(dir string) { c.dir = dir }

// Path expands $VARIABLES and makes p absolute against the config's folder.
func (c *Config) Path(p string) string {
	p = os.ExpandEnv(p)
	if p == "" || filepath.IsAbs(p) || c.dir == "" {
		return p
	}
	return filepath.Join(c.dir, p)
}

// Check reports what is wrong with a config before any work starts.
func (c *Config) Check() error {
	if len(c.Cases) == 0 && len(c.SliceSets) == 0 {
		return fmt.Errorf("no cases and no slice sets: nothing to train on")
	}
	for i, cs := range c.Cases {
		if cs.Series == "" || cs.Label == "" {
			return fmt.Errorf("case %d: series and label are both required", i+1)
		}
		if err := checkSplit(cs.Split); err != nil {
			return fmt.Errorf("case %d: %w", i+1, err)
		}
	}
	for i, s := range c.SliceSets {
		if s.Dir == "" || s.Name == "" {
			return fmt.Errorf("slice set %d: name and dir are both required", i+1)
		}
		if s.Layout != "images-masks" && s.Layout != "pairs" {
			return fmt.Errorf("slice set %s: layout %q (want images-masks or pairs)", s.Name, s.Layout)
		}
		if !(s.HU[1] > s.HU[0]) {
			return fmt.Errorf("slice set %s: hu %v must say what pixels 0 and 255 mean (LOW < HIGH)", s.Name, s.HU)
		}
		if err := checkSplit(s.Split); err != nil {
			return fmt.Errorf("slice set %s: %w", s.Name, err)
		}
		if s.Flip != "" && s.Flip != "vertical" && s.Flip != "horizontal" {
			return fmt.Errorf("slice set %s: flip %q (want vertical, horizontal or nothing)", s.Name, s.Flip)
		}
	}
	switch c.Contract.Kind {
	case "", inference.KindAutomatic, inference.KindInteractive:
	default:
		return fmt.Errorf("contract kind %q: want %s or %s", c.Contract.Kind, inference.KindAutomatic, inference.KindInteractive)
	}
	if c.Contract.Kind != inference.KindInteractive && (c.Contract.ClickEncoding != "" || c.Contract.ClickRadiusMM != 0) {
		return fmt.Errorf("click_encoding and click_radius_mm belong to an %s model: set the contract's kind to %s", inference.KindInteractive, inference.KindInteractive)
	}
	k := c.Contract.Contract()
	if _, err := inference.ParseContract(k.Metadata()); err != nil {
		return err
	}
	return c.Train.Check(k)
}

// Check reports impossible hyper-parameters.
func (p Params) Check(k inference.Contract) error {
	switch {
	case p.Base < 1 || p.Depth < 1 || p.Depth > 7:
		return fmt.Errorf("base %d and depth %d: want base >= 1 and depth 1..7", p.Base, p.Depth)
	case k.InputH%(1<<p.Depth) != 0 || k.InputW%(1<<p.Depth) != 0:
		return fmt.Errorf("input size %dx%d is not divisible by 2^depth = %d", k.InputH, k.InputW, 1<<p.Depth)
	case p.Batch < 1 || p.Epochs < 1:
		return fmt.Errorf("batch %d and epochs %d must be at least 1", p.Batch, p.Epochs)
	case !(p.LR > 0):
		return fmt.Errorf("learning rate %g must be positive", p.LR)
	case p.Dropout < 0 || p.Dropout >= 1:
		return fmt.Errorf("dropout %g: want 0 <= dropout < 1", p.Dropout)
	case p.Focus < 0 || p.Focus > 1:
		return fmt.Errorf("focus %g: want a share from 0 to 1", p.Focus)
	case p.SliceSpacingMM < 0:
		return fmt.Errorf("slice_spacing_mm %g: want a size in mm above 0", p.SliceSpacingMM)
	case p.Interactive != nil && !k.Interactive():
		return fmt.Errorf("interactive click settings on an %s model: set the contract's kind to %s", k.Kind, inference.KindInteractive)
	}
	if c := p.clickTraining(k); c != nil {
		if err := c.check(); err != nil {
			return err
		}
	}
	switch strings.ToLower(p.Optimizer) {
	case "adam", "adamw", "sgd":
	default:
		return fmt.Errorf("optimizer %q: want adam, adamw or sgd", p.Optimizer)
	}
	switch p.Device {
	case "", "auto", "cpu", "cuda":
	default:
		return fmt.Errorf("device %q: want auto, cpu or cuda", p.Device)
	}
	return nil
}

func checkSplit(s string) error {
	switch s {
	case "", "train", "val":
		return nil
	}
	return fmt.Errorf("split %q: want train, val or empty (by patient)", s)
}

// check reports impossible click settings.
func (c *ClickTraining) check() error {
	share := func(name string, v float64) error {
		if v < 0 || v > 1 {
			return fmt.Errorf("interactive %s %g: want a share from 0 to 1", name, v)
		}
		return nil
	}
	for _, s := range []struct {
		name string
		v    float64
	}{{"no_click_share", c.NoClickShare}, {"empty_share", c.EmptyShare}, {"corrupt_share", c.CorruptShare}} {
		if err := share(s.name, s.v); err != nil {
			return err
		}
	}
	switch {
	case c.LocalPX < 0 || c.LocalPX > 64:
		return fmt.Errorf("interactive local_px %d: want 0 to 64 pixels", c.LocalPX)
	case c.RegionWeight < 0:
		return fmt.Errorf("interactive region_weight %g: want at least 0", c.RegionWeight)
	case c.NoClickWeight < 0:
		return fmt.Errorf("interactive no_click_weight %g: want at least 0", c.NoClickWeight)
	case c.HeadWidth < 1 || c.HeadWidth > 256:
		return fmt.Errorf("interactive head_width %d: want 1 to 256 channels", c.HeadWidth)
	case c.Network != "head" && c.Network != "copy":
		return fmt.Errorf("interactive network %q: want head or copy", c.Network)
	case c.EmptyShare+c.CorruptShare > 1:
		return fmt.Errorf("interactive empty_share %g and corrupt_share %g: together at most 1", c.EmptyShare, c.CorruptShare)
	case c.MaxClicks < 1 || c.MaxClicks > 100:
		return fmt.Errorf("interactive max_clicks %d: want 1 to 100", c.MaxClicks)
	case c.ValClicks < 1 || c.ValClicks > 100 || c.ValSlices < 1:
		return fmt.Errorf("interactive val_clicks %d and val_slices %d: want 1 to 100 clicks and at least 1 slice", c.ValClicks, c.ValSlices)
	}
	for _, n := range c.ClickCounts {
		if n < 0 || n > 100 {
			return fmt.Errorf("interactive click_counts: %d is not from 0 to 100", n)
		}
	}
	return nil
}
