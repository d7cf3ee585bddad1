package ui

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"

	"liverseg/scan/labels"
)

// Options say what the GUI opens and does first. `liverseg [flags] [PATH]` fills them; the
// flags let a script (bench/, scripts/screenshot.sh) drive the real application.
type Options struct {
	Path       string         // a folder, a DICOMDIR or a file; "" shows the welcome window
	Truth      string         // a label to load once the series is shown (any LABEL format)
	TruthOpts  labels.Options // how to read it: a PNG stack reversed, a SEG's segment
	Infer      bool           // run the model once the series is shown
	Layout     string         // LayoutFour, LayoutSingle or LayoutSideBySide
	Slice      int            // 1-based slice to show first; 0: the middle, or the worst disagreement once scored
	Device     string         // auto, cpu or cuda
	Workspace  string         // the workspace folder; "" is workspace.DefaultDir
	ReadyFile  string         // written (with the figures) once the series is shown and the first actions are done
	FullScreen bool           // the window fills the screen
	// FirstImageFile is written once the first slice of the series is shown (its load still
	// running), with the time: for scripts that time the start.
	FirstImageFile string
}

// ErrUsage marks a bad command line of the GUI.
var ErrUsage = errors.New("usage")

// ParseArgs reads the GUI's command line: flags, then at most one path.
func ParseArgs(args []string, stderr io.Writer) (Options, error) {
	var o Options
	fs := flag.NewFlagSet("liverseg", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.Truth, "truth", "", "load this label (NIfTI, DICOM SEG, mask folder, PNG stack) as the truth")
	fs.BoolVar(&o.TruthOpts.Reverse, "reverse", false, "PNG stacks: file i is slice n-1-i")
	fs.IntVar(&o.TruthOpts.Segment, "segment", 0, "DICOM SEG: the segment number to read (default: the one labelled liver)")
	fs.BoolVar(&o.Infer, "infer", false, "run the model on the series once it is shown")
	fs.StringVar(&o.Layout, "layout", LayoutFour, "four-up (axial, coronal, sagittal, 3D), single (axial) or side-by-side (image | truth | prediction)")
	fs.IntVar(&o.Slice, "slice", 0, "show this slice first (1-based); default: the middle, or the worst disagreement")
	fs.StringVar(&o.Device, "device", "auto", "auto, cpu or cuda")
	fs.StringVar(&o.Workspace, "workspace", "", "workspace folder (default: the user's data folder)")
	fs.BoolVar(&o.FullScreen, "fullscreen", false, "fill the screen")
	fs.StringVar(&o.ReadyFile, "ready-file", "", "write this file once the series is shown and the first actions are done")
	fs.StringVar(&o.FirstImageFile, "first-image-file", "", "write this file (with the time) once the first slice is shown")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: liverseg [flags] [PATH]   (the GUI; `liverseg help` lists the commands)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, fmt.Errorf("%w: %v", ErrUsage, err)
	}
	switch fs.NArg() {
	case 0:
	case 1:
		o.Path = fs.Arg(0)
		if _, err := os.Stat(o.Path); err != nil {
			return o, err
		}
	default:
		return o, fmt.Errorf("%w: one path at most, got %d", ErrUsage, fs.NArg())
	}
	if o.Layout != LayoutFour && o.Layout != LayoutSingle && o.Layout != LayoutSideBySide {
		return o, fmt.Errorf("%w: --layout %s: four-up, single or side-by-side", ErrUsage, o.Layout)
	}
	switch o.Device {
	case "auto", "cpu", "cuda":
	default:
		return o, fmt.Errorf("%w: --device %s: auto, cpu or cuda", ErrUsage, o.Device)
	}
	if o.TruthOpts.Segment < 0 {
		return o, fmt.Errorf("%w: --segment %d: a segment number is 1 or more (0: the liver)", ErrUsage, o.TruthOpts.Segment)
	}
	if (o.Truth != "" || o.Infer || o.ReadyFile != "" || o.FirstImageFile != "") && o.Path == "" {
		return o, fmt.Errorf("%w: --truth, --infer, --ready-file and --first-image-file need a PATH", ErrUsage)
	}
	return o, nil
}

// author is who the workspace records for a review: the login name.
func author() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return os.Getenv("USER")
}
