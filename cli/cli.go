// Package cli holds liverseg's commands, one file each. Every command has the signature of
// Command: it parses its own flags, writes its result to stdout (JSON with --json) and its errors
// to stderr as "liverseg: FILE: reason", and returns the exit code: 0 success, 1 failure,
// 2 bad usage.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strings"
	"sync"
)

// Command runs one verb.
type Command func(ctx context.Context, args []string, stdout, stderr io.Writer) int

// Exit codes.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

type verb struct {
	run     Command
	summary string
}

func verbs() map[string]verb {
	return map[string]verb{
		"info":    {Info, "each series found under a path: patient, slices, matrix, spacing, HU range, transfer syntax, warnings"},
		"eval":    {Eval, "Dice, IoU, mIoU, mPA of a predicted label against a truth"},
		"convert": {Convert, "a label from one format to another, or the CT itself to NIfTI"},
		"mesh":    {Mesh, "the closed surface of a label as STL, OBJ or PLY in LPS mm, for 3D Slicer or a printer"},
		"segment": {Segment, "the liver inferred by the U-Net (CPU or CUDA), written as NIfTI, DICOM SEG or PNG"},
		"train":   {Train, "train a model: one job, --search N trials, --from MODEL; --export-only / --import to train elsewhere"},
		"models":  {Models, "the model registry of the workspace: list, show, activate, active"},
		"doctor":  {Doctor, "what is installed and usable: ONNX Runtime, python and torch, display, workspace"},
		"pacs":    {Pacs, "DICOMweb: search a PACS, get a series into the cache, put a SEG; servers add, list, remove"},
	}
}

// IsVerb says whether name is a command (or help) rather than a path to open; a file or folder
// with such a name is reached as ./NAME.
func IsVerb(name string) bool {
	switch name {
	case "help", "-h", "--help":
		return true
	}
	_, ok := verbs()[name]
	return ok
}

// Run dispatches args (without the program name) to a command.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		return ExitOK
	}
	v, ok := verbs()[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "liverseg: unknown command %q\n", args[0])
		usage(stderr)
		return ExitUsage
	}
	return v.run(ctx, args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: liverseg COMMAND [flags]   (liverseg COMMAND -h for its flags)")
	fmt.Fprintln(w, "\ncommands:")
	vs := verbs()
	names := make([]string, 0, len(vs))
	for n := range vs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, vs[n].summary)
	}
}

// newFlags makes a flag set that reports errors instead of exiting.
func newFlags(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: liverseg %s %s\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args; it returns an exit code and false when the command should stop.
// Flags may come after positional arguments (liverseg info PATH --json).
func parseFlags(fs *flag.FlagSet, args []string) ([]string, int, bool) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, ExitOK, false
			}
			return nil, ExitUsage, false
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, 0, true
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// parseOnlyFlags is parseFlags for a command that takes no positional argument: one is a usage
// error naming it.
func parseOnlyFlags(fs *flag.FlagSet, args []string, stderr io.Writer) (int, bool) {
	rest, code, ok := parseFlags(fs, args)
	if !ok {
		return code, false
	}
	if len(rest) > 0 {
		return usageError(stderr, fs, "unexpected argument %q", rest[0]), false
	}
	return 0, true
}

// fail prints err as "liverseg: FILE: reason" and returns the failure code.
func fail(stderr io.Writer, err error) int {
	msg := err.Error()
	var pe *fs.PathError
	if errors.As(err, &pe) {
		// "open FILE: reason" reads better as "FILE: reason", like every other error here.
		msg = strings.Replace(msg, pe.Op+" "+pe.Path, pe.Path, 1)
	}
	if errors.Is(err, context.Canceled) {
		msg = "cancelled"
	}
	fmt.Fprintf(stderr, "liverseg: %s\n", Printable(msg))
	return ExitFailure
}

// warn prints a warning as "liverseg: warning: ..." (what a series' warnings become in a command
// that reads one).
func warn(stderr io.Writer, msg string) {
	fmt.Fprintf(stderr, "liverseg: warning: %s\n", Printable(msg))
}

// usageError prints a bad-usage message and returns the usage code.
func usageError(stderr io.Writer, fs *flag.FlagSet, format string, args ...any) int {
	fmt.Fprintf(stderr, "liverseg %s: %s\n", fs.Name(), Printable(fmt.Sprintf(format, args...)))
	fs.Usage()
	return ExitUsage
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// isTerminal says whether w is a character device, where a progress bar belongs.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progressBar draws "label [=====     ] 45%" on a terminal and nothing elsewhere.
type progressBar struct {
	w     io.Writer
	label string
	on    bool
	last  int
}

func newProgress(w io.Writer, label string) *progressBar {
	return &progressBar{w: w, label: Printable(label), on: isTerminal(w), last: -1}
}

// update draws the bar; call it from one goroutine at a time (report serialises).
func (p *progressBar) update(done, total int) {
	if !p.on || total <= 0 {
		return
	}
	pct := done * 100 / total
	if pct == p.last {
		return
	}
	p.last = pct
	const width = 30
	n := pct * width / 100
	fmt.Fprintf(p.w, "\r%s [%s%s] %3d%% %d/%d", p.label, strings.Repeat("=", n), strings.Repeat(" ", width-n), pct, done, total)
	if done >= total {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

// report returns a scan.Progress-compatible function that serialises updates.
func (p *progressBar) report() func(done, total int) {
	var mu sync.Mutex
	return func(done, total int) {
		mu.Lock()
		defer mu.Unlock()
		p.update(done, total)
	}
}
