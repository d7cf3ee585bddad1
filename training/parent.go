package training

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"liverseg/assets"
	"liverseg/inference"
	"liverseg/internal/atomicfile"
	"liverseg/workspace"
)

// BuiltIn names the model built into liverseg (assets/model.onnx) where a model version is
// expected: as a parent to fine-tune, and in the lineage of the models made from it. The GUI
// shows the built-in model under the same name.
const BuiltIn = workspace.BuiltInModel

// Parent is a model to fine-tune: where it is, the input it was trained for, the shape of its
// network, and the weights the worker starts from. `liverseg train --from` and FineTune both
// resolve their parent here.
type Parent struct {
	Version  string // its registry version, or BuiltIn
	Path     string // its model.onnx
	Contract inference.Contract
	Base     int // U-Net channels of the first level
	Depth    int // U-Net levels
	// Weights is the parent's weights.pt (a model trained by liverseg and registered with it), or
	// "" when its weights exist only in the ONNX file (the built-in model: the repository keeps
	// no weights.pt for it), which InitWeights then extracts.
	Weights string
}

// ResolveParent finds the model to fine-tune: version in ws's registry, BuiltIn for the built-in
// model, or "" for ws's active model (the built-in one where none is active, or ws is nil).
func ResolveParent(ctx context.Context, ws *workspace.Workspace, version string) (*Parent, error) {
	if version == "" && ws != nil {
		m, err := ws.Active(ctx)
		switch {
		case err == nil:
			version = m.Version
		case errors.Is(err, workspace.ErrNotFound):
			version = BuiltIn
		default:
			return nil, err
		}
	}
	if version == "" || version == BuiltIn {
		cache, err := inference.CacheDir()
		if err != nil {
			return nil, fmt.Errorf("built-in model: no cache folder: %w", err)
		}
		path, err := assets.DefaultModelFile(cache)
		if err != nil {
			return nil, err
		}
		return newParent(ctx, BuiltIn, path, "", nil)
	}
	if ws == nil {
		return nil, fmt.Errorf("model %s: no workspace to find it in", version)
	}
	m, err := ws.Model(ctx, version)
	if err != nil {
		return nil, err
	}
	weights := filepath.Join(m.Dir, "weights.pt")
	if _, err := os.Stat(weights); err != nil {
		// a model registered without its PyTorch weights (imported, say) still has them in ONNX
		weights = ""
	}
	return newParent(ctx, m.Version, m.Path, weights, m.Params)
}

func newParent(ctx context.Context, version, path, weights string, params json.RawMessage) (*Parent, error) {
	meta, err := inference.ReadMetadata(ctx, path)
	if err != nil {
		return nil, err
	}
	k, err := inference.ParseContract(meta)
	if err != nil {
		return nil, fmt.Errorf("model %s (%s): %w", version, path, err)
	}
	p := &Parent{Version: version, Path: path, Contract: k, Weights: weights}
	var hp Params
	if len(params) > 0 && json.Unmarshal(params, &hp) == nil && hp.Base > 0 && hp.Depth > 0 {
		p.Base, p.Depth = hp.Base, hp.Depth
		return p, nil
	}
	// No hyper-parameters recorded (the built-in model is not in any registry): the network's
	// shape is in its weights.
	inits, err := inference.ReadInitializers(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", version, err)
	}
	if p.Base, p.Depth, err = unetShape(inits); err != nil {
		return nil, fmt.Errorf("model %s (%s): %w", version, path, err)
	}
	return p, nil
}

// unetShape reads the worker's U-Net's base width and depth from its weights: one transposed
// convolution (up.N) per level, and the head's input channels are the base.
func unetShape(inits []inference.Initializer) (base, depth int, err error) {
	for _, t := range inits {
		if strings.HasPrefix(t.Name, "up.") && strings.HasSuffix(t.Name, ".weight") {
			depth++
		}
		if t.Name == "head.weight" && len(t.Dims) == 4 {
			base = t.Dims[1]
		}
	}
	if base == 0 || depth == 0 {
		return 0, 0, fmt.Errorf("not a liverseg U-Net (no head.weight or up.N.weight among its weights)")
	}
	return base, depth, nil
}

// Configure makes cfg train the parent's network on the parent's input: a fine-tuned model keeps
// both, so that it can start from the parent's weights and serve as its replacement.
// The kind and the click drawing stay the config's: an interactive model is trained from an
// automatic one (InitJob checks).
func (p *Parent) Configure(cfg *Config) {
	k := p.Contract
	cc := cfg.Contract
	cfg.Contract = ContractConfig{Channels: k.Channels, Window: [2]float64{k.WindowLow, k.WindowHigh}, InputSize: [2]int{k.InputH, k.InputW},
		Kind: cc.Kind, ClickEncoding: cc.ClickEncoding, ClickRadiusMM: cc.ClickRadiusMM}
	cfg.Train.Base, cfg.Train.Depth = p.Base, p.Depth
}

// InitWeights is the file the worker starts from: the parent's weights.pt, or else its ONNX
// weights written as a NumPy .npz (named as the worker's state dict; see
// inference.ReadInitializers), once per model content, in the cache folder.
func (p *Parent) InitWeights(ctx context.Context) (string, error) {
	if p.Weights != "" {
		return p.Weights, nil
	}
	data, err := inference.ReadModel(ctx, p.Path)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	cache, err := inference.CacheDir()
	if err != nil {
		return "", fmt.Errorf("model %s: no cache folder for its weights: %w", p.Version, err)
	}
	path := filepath.Join(cache, "init", hex.EncodeToString(sum[:8])+".npz")
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	inits, err := inference.ReadInitializers(ctx, p.Path)
	if err != nil {
		return "", err
	}
	if err := writeNPZ(path, inits); err != nil {
		return "", fmt.Errorf("model %s: %w", p.Version, err)
	}
	return path, nil
}

// InitCheck names the reference slices (float32 [N, C, H, W]) and the parent's logits on them
// (float32 [N, 1, H, W]), files of the job folder, and the largest difference allowed, relative
// to the logits' magnitude where that exceeds 1.
type InitCheck struct {
	Inputs    string  `json:"inputs"`
	Logits    string  `json:"logits"`
	Tolerance float64 `json:"tolerance"`
}

// initCheckSlices is how many training slices the initial network is checked on.
const initCheckSlices = 4

// InitJob makes the job j in dir (prepared, its dataset exported) start from the parent: its
// lineage, the weights (InitWeights), and the check that the worker's initial network reproduces
// the parent's logits from ONNX Runtime (opened with opt) on a few training slices. The caller
// writes j.
//
// Both an automatic and an interactive model start from an automatic parent: the interactive one
// with its guidance weights zero (the worker adds them), so that it starts as the parent.
func (p *Parent) InitJob(ctx context.Context, dir string, j *JobFile, opt inference.Options) error {
	if err := p.Contract.CheckKind(inference.KindAutomatic, "model "+p.Version); err != nil {
		return err
	}
	init, err := p.InitWeights(ctx)
	if err != nil {
		return err
	}
	man, err := ReadManifest(ctx, j.DatasetDir(dir))
	if err != nil {
		return err
	}
	in, n, err := referenceSlices(j.DatasetDir(dir), man, initCheckSlices)
	if err != nil {
		return err
	}
	if opt.Device == "" {
		opt.Device = inference.DeviceCPU
	}
	m, err := inference.OpenModel(ctx, p.Path, opt)
	if err != nil {
		return fmt.Errorf("model %s: %w", p.Version, err)
	}
	defer m.Close()
	c := m.Contract()
	if c.Channels != man.Contract.Channels || c.InputH != man.Contract.InputSize[0] || c.InputW != man.Contract.InputSize[1] {
		return fmt.Errorf("model %s wants [%d,%d,%d], the dataset of %s has [%d,%d,%d]: configure the job for its parent (Parent.Configure)",
			p.Version, c.Channels, c.InputH, c.InputW, dir, man.Contract.Channels, man.Contract.InputSize[0], man.Contract.InputSize[1])
	}
	logits, err := m.Run(ctx, in, n)
	if err != nil {
		return fmt.Errorf("model %s: %w", p.Version, err)
	}
	if err := writeArray(filepath.Join(dir, "init_ref_inputs.npy"), in, n, c.Channels, c.InputH, c.InputW); err != nil {
		return err
	}
	if err := writeArray(filepath.Join(dir, "init_ref_logits.npy"), logits, n, 1, c.InputH, c.InputW); err != nil {
		return err
	}
	j.Parent, j.Init = p.Version, init
	j.InitCheck = &InitCheck{Inputs: "init_ref_inputs.npy", Logits: "init_ref_logits.npy", Tolerance: 1e-3}
	return nil
}

// referenceSlices takes up to k rows of the dataset's training cases, spread over them and with
// liver where there is some (where a wrong weight shows most), as float32 inputs.
func referenceSlices(dsDir string, man *Manifest, k int) ([]float32, int, error) {
	chw := man.Contract.Channels * man.Contract.InputSize[0] * man.Contract.InputSize[1]
	for _, mc := range man.Cases {
		if mc.Split != "train" || mc.Slices == 0 {
			continue
		}
		img, err := readNPY(filepath.Join(dsDir, mc.Images))
		if err != nil {
			return nil, 0, err
		}
		msk, err := readNPY(filepath.Join(dsDir, mc.Masks))
		if err != nil {
			return nil, 0, err
		}
		hw := len(msk.U8) / max(1, mc.Slices)
		var rows []int
		for r := 0; r < mc.Slices; r++ {
			if hasLiver(msk.U8[r*hw : (r+1)*hw]) {
				rows = append(rows, r)
			}
		}
		if len(rows) == 0 {
			for r := 0; r < mc.Slices; r++ {
				rows = append(rows, r)
			}
		}
		n := min(k, len(rows))
		out := make([]float32, 0, n*chw)
		for i := 0; i < n; i++ {
			r := rows[(2*i+1)*len(rows)/(2*n)]
			if img.F32 != nil {
				out = append(out, img.F32[r*chw:(r+1)*chw]...)
			} else {
				for _, v := range img.U8[r*chw : (r+1)*chw] {
					out = append(out, float32(v)/255)
				}
			}
		}
		return out, n, nil
	}
	return nil, 0, fmt.Errorf("%s: no training slices", dsDir)
}

// writeArray writes a float32 array of n rows of the given inner shape as .npy.
func writeArray(path string, v []float32, n int, inner ...int) error {
	w, err := createNPY(path, "<f4", inner...)
	if err != nil {
		return err
	}
	row := len(v) / max(1, n)
	for i := 0; i < n; i++ {
		if err := w.writeF32(v[i*row : (i+1)*row]); err != nil {
			w.Close()
			return err
		}
	}
	return w.Close()
}

// writeNPZ writes tensors as a NumPy .npz (a zip of .npy files, one per state-dict name),
// atomically: a half-written cache file would be taken for a whole one.
func writeNPZ(path string, tensors []inference.Initializer) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(path, 0o600, func(w io.Writer) error {
		zw := zip.NewWriter(w)
		for _, t := range tensors {
			f, err := zw.CreateHeader(&zip.FileHeader{Name: t.Name + ".npy", Method: zip.Store})
			if err != nil {
				return err
			}
			h := npyHeader("<f4", t.Dims)
			b := append(make([]byte, 0, len(h)+4*len(t.Data)), h...)
			for _, x := range t.Data {
				b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
			}
			if _, err := f.Write(b); err != nil {
				return err
			}
		}
		return zw.Close()
	})
}

// npyHeader is a .npy (1.0) header for a C-order array of the given shape, padded to 64 bytes as
// NumPy writes it.
func npyHeader(descr string, shape []int) []byte {
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = strconv.Itoa(d)
	}
	s := strings.Join(dims, ", ")
	if len(shape) == 1 {
		s += ","
	}
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, s)
	n := 10 + len(dict) + 1
	pad := (64 - n%64) % 64
	h := []byte("\x93NUMPY\x01\x00")
	h = binary.LittleEndian.AppendUint16(h, uint16(len(dict)+pad+1))
	h = append(h, dict...)
	h = append(h, strings.Repeat(" ", pad)...)
	return append(h, '\n')
}
