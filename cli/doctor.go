package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"liverseg/inference"
	"liverseg/training"
	"liverseg/workspace"
)

// DoctorReport is what `liverseg doctor --json` prints. Every part is there, found or not; a
// part that is missing says why in its error.
type DoctorReport struct {
	ONNXRuntime doctorORT       `json:"onnxruntime"`
	Python      doctorPython    `json:"python"`
	Display     doctorDisplay   `json:"display"`
	Workspace   doctorWorkspace `json:"workspace"`
	TestData    doctorData      `json:"test_data"`
}

type doctorORT struct {
	OK          bool     `json:"ok"`
	Path        string   `json:"path"`
	Source      string   `json:"source"`
	Version     string   `json:"version"`
	Providers   []string `json:"providers"`
	CUDAUsable  bool     `json:"cuda_usable"`
	CUDAReasons []string `json:"cuda_reasons"`
	Error       string   `json:"error,omitempty"`
}

type doctorPython struct {
	OK           bool   `json:"ok"`
	Path         string `json:"path"`
	Source       string `json:"source"`
	Version      string `json:"version"`
	TorchVersion string `json:"torch_version"`
	NumpyVersion string `json:"numpy_version"`
	TorchCUDA    bool   `json:"torch_cuda"`
	CUDADevice   string `json:"cuda_device"`
	Error        string `json:"error,omitempty"`
}

type doctorDisplay struct {
	OK             bool   `json:"ok"` // a GUI can open: a display, or xvfb-run for a virtual one
	Display        string `json:"display"`
	WaylandDisplay string `json:"wayland_display"`
	XvfbRun        string `json:"xvfb_run"`
	Note           string `json:"note"`
}

type doctorWorkspace struct {
	OK       bool   `json:"ok"` // exists and is writable, or can be created
	Path     string `json:"path"`
	Source   string `json:"source"` // "--workspace" or "default"
	Exists   bool   `json:"exists"`
	Writable bool   `json:"writable"`
	Note     string `json:"note,omitempty"`
	Index    string `json:"index,omitempty"` // what is wrong with workspace.db, and how to rebuild it
	Error    string `json:"error,omitempty"`
}

type doctorData struct {
	OK     bool   `json:"ok"`
	Path   string `json:"path"`
	Source string `json:"source"` // inference.DataFromEnv or inference.DataFromCache
	Exists bool   `json:"exists"`
	Error  string `json:"error,omitempty"`
}

// Doctor is `liverseg doctor [--json] [--ort-lib PATH] [--python PATH] [--workspace DIR]`: what
// is installed and usable. It exits 0 when parts are missing too (it says which and why); 2 on
// bad usage; 1 when the report cannot be written. `liverseg doctor --rebuild` rebuilds a lost
// workspace index instead (doctor_rebuild.go).
func Doctor(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fset := newFlags("doctor", "[--json] [--ort-lib PATH] [--python PATH] [--workspace DIR] | --rebuild [--workspace DIR] [--json]", stderr)
	asJSON := addJSONFlag(fset)
	ortLib := addORTLibFlag(fset)
	python := addPythonFlag(fset)
	wsDir := addWorkspaceFlag(fset)
	rebuild := fset.Bool("rebuild", false, "rebuild the workspace's index (workspace.db) from models/, labels/ and jobs/, when it is lost or damaged")
	if code, ok := parseOnlyFlags(fset, args, stderr); !ok {
		return code
	}
	if *rebuild {
		return doctorRebuild(ctx, *wsDir, *asJSON, stdout, stderr)
	}

	r := RunDoctor(ctx, *ortLib, *python, *wsDir)
	var err error
	if *asJSON {
		err = writeJSON(stdout, r)
	} else {
		err = r.writeText(stdout)
	}
	if err != nil {
		return fail(stderr, fmt.Errorf("doctor: writing the report: %w", err))
	}
	return ExitOK
}

// RunDoctor gathers the report. ONNX Runtime and Python are probed at the same time: importing
// torch takes a second or more. The workspace is probed first, before any library is loaded, so
// that its probe file is gone whatever loading does to the process.
func RunDoctor(ctx context.Context, ortLib, python, wsDir string) DoctorReport {
	var r DoctorReport
	r.Workspace = checkWorkspace(wsDir)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		r.ONNXRuntime = checkORT(ctx, ortLib, python)
	}()
	go func() {
		defer wg.Done()
		r.Python = checkPython(ctx, python)
	}()
	r.Display = checkDisplay()
	r.TestData = checkData()
	wg.Wait()
	return r
}

func checkORT(ctx context.Context, ortLib, python string) doctorORT {
	info, err := inference.Probe(ctx, inference.LibrarySearch{Explicit: ortLib, Python: python})
	d := doctorORT{Path: info.Path, Source: info.Source, Version: info.Version, Providers: info.Providers,
		CUDAUsable: info.CUDA.Usable, CUDAReasons: info.CUDA.Reasons}
	if d.Providers == nil {
		d.Providers = []string{}
	}
	if d.CUDAReasons == nil {
		d.CUDAReasons = []string{}
	}
	if err != nil {
		d.Error = err.Error()
	} else {
		d.OK = true
	}
	return d
}

func checkPython(ctx context.Context, python string) doctorPython {
	info, err := training.FindPython(ctx, python, nil)
	d := doctorPython{Path: info.Path, Source: info.Source, Version: info.Version, TorchVersion: info.TorchVersion,
		NumpyVersion: info.NumpyVersion, TorchCUDA: info.TorchCUDA, CUDADevice: info.CUDADevice}
	switch {
	case err != nil:
		d.Error = err.Error()
	case info.NumpyVersion == "":
		d.Error = info.Path + ": torch imports, but numpy does not (the training worker needs both)"
	default:
		d.OK = true
	}
	return d
}

func checkDisplay() doctorDisplay {
	d := doctorDisplay{Display: os.Getenv("DISPLAY"), WaylandDisplay: os.Getenv("WAYLAND_DISPLAY")}
	if p, err := exec.LookPath("xvfb-run"); err == nil {
		d.XvfbRun = p
	}
	switch {
	case d.Display != "" || d.WaylandDisplay != "":
		d.OK = true
		d.Note = "the GUI opens on this display"
	case d.XvfbRun != "":
		d.OK = true
		d.Note = "no display (DISPLAY and WAYLAND_DISPLAY are unset); xvfb-run -a gives a virtual one (make run does)"
	default:
		d.Note = "no display (DISPLAY and WAYLAND_DISPLAY are unset) and no xvfb-run: the GUI cannot open; the commands work"
	}
	return d
}

// defaultWorkspaceDir is the user's data folder for liverseg: $XDG_DATA_HOME/liverseg, else
// ~/.local/share/liverseg.
func defaultWorkspaceDir() (string, error) {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "liverseg"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no workspace folder: %w (give --workspace)", err)
	}
	return filepath.Join(home, ".local", "share", "liverseg"), nil
}

func checkWorkspace(dir string) doctorWorkspace {
	d := doctorWorkspace{Path: dir, Source: "--workspace"}
	if dir == "" {
		d.Source = "default"
		p, err := defaultWorkspaceDir()
		if err != nil {
			d.Error = err.Error()
			return d
		}
		d.Path = p
	}
	st, err := os.Stat(d.Path)
	switch {
	case err == nil && !st.IsDir():
		d.Error = d.Path + ": not a folder"
		return d
	case err == nil:
		d.Exists = true
		if err := probeWritable(d.Path); err != nil {
			d.Error = err.Error()
		} else {
			d.Writable = true
		}
		if err := workspace.CheckIndex(d.Path); err != nil {
			d.Index = err.Error()
		}
	case errors.Is(err, fs.ErrNotExist):
		// Not there yet: liverseg creates it on first use, if the nearest existing parent is writable.
		parent := filepath.Dir(d.Path)
		for {
			if _, err := os.Stat(parent); err == nil || parent == filepath.Dir(parent) {
				break
			}
			parent = filepath.Dir(parent)
		}
		if err := probeWritable(parent); err != nil {
			d.Error = fmt.Sprintf("%s: does not exist and cannot be created: %v", d.Path, err)
		} else {
			d.Writable = true
			d.Note = "does not exist yet; liverseg creates it on first use"
		}
	default:
		d.Error = err.Error()
	}
	d.OK = d.Writable && d.Index == ""
	return d
}

// probeWritable creates and removes a file in dir: permission bits do not tell about read-only
// mounts or ACLs.
func probeWritable(dir string) error {
	f, err := os.CreateTemp(dir, ".liverseg-doctor-*")
	if err != nil {
		return doctorPathError(dir, err)
	}
	name := f.Name()
	cerr := f.Close()
	if err := os.Remove(name); err != nil {
		return doctorPathError(dir, err)
	}
	if cerr != nil {
		return doctorPathError(dir, cerr)
	}
	return nil
}

func doctorPathError(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("%s: %w", path, err)
}

func checkData() doctorData {
	var d doctorData
	d.Path, d.Source = inference.DataDir()
	if d.Path == "" {
		d.Error = inference.EnvData + " is unset and the cache holds no data/ (scripts/setup.sh unpacks the test data there)"
		return d
	}
	st, err := os.Stat(d.Path)
	switch {
	case err != nil:
		d.Error = doctorPathError(d.Path, err).Error()
	case !st.IsDir():
		d.Error = d.Path + ": not a folder"
	default:
		d.Exists = true
		sample := filepath.Join(d.Path, "ct", "ircad", "3Dircadb1.7", "PATIENT_DICOM")
		if _, err := os.Stat(sample); err != nil {
			d.Error = fmt.Sprintf("%s: no ct/ircad/3Dircadb1.7/PATIENT_DICOM: not unpacked by ../shared/data/unpack.sh?", d.Path)
		} else {
			d.OK = true
		}
	}
	return d
}

func (r DoctorReport) writeText(w io.Writer) error {
	var b strings.Builder
	line := func(part string, ok bool, format string, a ...any) {
		state := "ok"
		if !ok {
			state = "missing"
		}
		fmt.Fprintf(&b, "%-13s %-8s %s\n", part, state, fmt.Sprintf(format, a...))
	}
	more := func(format string, a ...any) { fmt.Fprintf(&b, "%-13s %-8s %s\n", "", "", fmt.Sprintf(format, a...)) }

	o := r.ONNXRuntime
	if o.OK {
		line("onnxruntime", true, "%s %s (from %s)", o.Version, o.Path, o.Source)
		more("providers: %s", strings.Join(o.Providers, ", "))
		if o.CUDAUsable {
			more("CUDA: usable")
		} else {
			more("CUDA: not used:")
			for _, why := range o.CUDAReasons {
				more("  - %s", why)
			}
		}
	} else {
		line("onnxruntime", false, "%s", o.Error)
	}

	p := r.Python
	if p.OK {
		cuda := "no CUDA"
		if p.TorchCUDA {
			cuda = "CUDA on " + p.CUDADevice
		}
		line("python", true, "%s (Python %s, from %s): torch %s, numpy %s, %s", p.Path, p.Version, p.Source, p.TorchVersion, p.NumpyVersion, cuda)
	} else {
		line("python", false, "%s", p.Error)
	}

	d := r.Display
	switch {
	case d.Display != "":
		line("display", d.OK, "DISPLAY=%s: %s", d.Display, d.Note)
	case d.WaylandDisplay != "":
		line("display", d.OK, "WAYLAND_DISPLAY=%s: %s", d.WaylandDisplay, d.Note)
	default:
		line("display", d.OK, "%s", d.Note)
	}

	ws := r.Workspace
	switch {
	case ws.Index != "":
		line("workspace", false, "%s", ws.Index)
	case ws.Exists && ws.Writable:
		line("workspace", true, "%s (%s), writable", ws.Path, ws.Source)
	case ws.Writable:
		line("workspace", true, "%s (%s) does not exist yet; liverseg creates it on first use", ws.Path, ws.Source)
	default:
		line("workspace", false, "%s", ws.Error)
	}

	td := r.TestData
	if td.OK {
		line("test data", true, "%s (%s)", td.Path, td.Source)
	} else {
		line("test data", false, "%s", td.Error)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
