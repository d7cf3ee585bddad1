package training

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"liverseg/internal/atomicfile"
	"liverseg/scan"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"liverseg/inference"
)

//go:embed worker.py
var workerSource []byte

// WorkerSource is the embedded Python worker.
func WorkerSource() []byte { return workerSource }

// Worker exit codes (worker.py).
const (
	exitError     = 2
	exitNoTorch   = 3
	exitCancelled = 4
)

// DefaultCancelGrace is how long a cancelled worker has to save its checkpoint before it is
// killed, where RunOptions.CancelGrace is zero.
const DefaultCancelGrace = 10 * time.Second

// WriteWorker writes the embedded worker into dir (created) as worker.py and returns its path.
func WriteWorker(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	p := filepath.Join(dir, "worker.py")
	if old, err := scan.ReadFileLimit(context.Background(), p, scan.MaxConfigBytes, "the worker"); err == nil && bytes.Equal(old, workerSource) {
		return p, nil
	}
	return p, atomicfile.WriteBytes(p, 0o644, workerSource)
}

// CachedWorker writes the worker into the cache folder, under a name of its content, and returns
// its path.
func CachedWorker() (string, error) {
	cache, err := inference.CacheDir()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(workerSource)
	return WriteWorker(filepath.Join(cache, "worker", hex.EncodeToString(sum[:6])))
}

// Event is one line of the worker's protocol. Fields not used by an event are zero.
type Event struct {
	Event   string  `json:"event"`
	Time    float64 `json:"time"`
	Epoch   int     `json:"epoch"`
	Epochs  int     `json:"epochs"`
	Step    int     `json:"step"`
	Steps   int     `json:"steps"`
	Loss    float64 `json:"loss"`
	LR      float64 `json:"lr"`
	Seconds float64 `json:"seconds"`
	Kind    string  `json:"kind"`
	Message string  `json:"message"`
	Path    string  `json:"path"`
	Device  string  `json:"device"`
	Torch   string  `json:"torch"`
	// start
	DeviceName    string       `json:"device_name"`
	StepsPerEpoch int          `json:"steps_per_epoch"`
	TrainSlices   int          `json:"train_slices"`
	ValSlices     int          `json:"val_slices"`
	Parameters    int          `json:"parameters"`
	Resumed       *ResumePoint `json:"resumed"`
	// epoch
	TrainLoss float64 `json:"train_loss"`
	ValLoss   float64 `json:"val_loss"`
	ValDice   float64 `json:"val_dice"`
	ValIoU    float64 `json:"val_iou"`
	ValMIoU   float64 `json:"val_miou"`
	ValMPA    float64 `json:"val_mpa"`
	BestEpoch int     `json:"best_epoch"`
	// done
	BestLoss  float64       `json:"best_loss"`
	EarlyStop string        `json:"early_stop"`
	History   []EpochRecord `json:"history"`
	// step and epoch: seconds since the worker began training (this run of it)
	Elapsed float64 `json:"elapsed"`
	// init: the largest difference of the initial network's logits from the parent's
	MaxDiff float64 `json:"max_diff"`
	// bench
	WorkerStep float64 `json:"worker_step_s"`
	BareStep   float64 `json:"bare_step_s"`
	Overhead   float64 `json:"overhead"`

	Raw json.RawMessage `json:"-"`
}

// ResumePoint is where a resumed job took up its checkpoint.
type ResumePoint struct {
	Epoch int `json:"epoch"`
	Step  int `json:"step"`
}

// EpochRecord is one epoch of the history.
type EpochRecord struct {
	Epoch     int      `json:"epoch"`
	TrainLoss float64  `json:"train_loss"`
	ValLoss   *float64 `json:"val_loss,omitempty"`
	ValDice   *float64 `json:"val_dice,omitempty"`
	ValIoU    *float64 `json:"val_iou,omitempty"`
	ValMIoU   *float64 `json:"val_miou,omitempty"`
	ValMPA    *float64 `json:"val_mpa,omitempty"`
	Seconds   float64  `json:"seconds"`
	LR        float64  `json:"lr"`
}

// Errors of a run, for errors.Is.
var (
	ErrCancelled = errors.New("training cancelled")
	ErrWorker    = errors.New("training worker failed")
	ErrNaN       = errors.New("training diverged")
)

// WorkerError is a failed worker run: its own error event where it sent one, else its exit status
// and the last lines of its stderr.
type WorkerError struct {
	Kind    string // from the worker's error event: nan, no_torch, config, exception...; "exit" otherwise
	Message string
	Log     string // the job's worker.log
}

func (e *WorkerError) Error() string {
	msg := "training worker: " + e.Message
	if e.Log != "" && e.Kind != "nan" && e.Kind != "config" {
		msg += " (see " + e.Log + ")"
	}
	return msg
}

func (e *WorkerError) Is(target error) bool {
	switch target {
	case ErrWorker:
		return true
	case ErrNoTorch:
		return e.Kind == "no_torch"
	case ErrNaN:
		return e.Kind == "nan"
	}
	return false
}

// RunOptions say how to start the worker.
type RunOptions struct {
	Python  string      // the interpreter; "" = FindPython's choice
	Worker  string      // worker.py to run; "" = the embedded one, written to the cache
	OnEvent func(Event) // every event, in order, from one goroutine
	Stderr  io.Writer   // also gets the worker's stderr (besides worker.log); may be nil
	Bench   int         // run the benchmark of this many steps instead of training
	Env     []string    // extra environment
	// CancelGrace is how long a cancelled worker has to save its checkpoint before it is
	// killed; 0 = DefaultCancelGrace.
	CancelGrace time.Duration
}

// RunWorker runs the worker on jobDir/job.json until it ends, and returns its last event
// ("done" or "bench"). Cancelling ctx sends SIGINT: the worker ends its step, saves a checkpoint
// and exits; after opt.CancelGrace it is killed. The error is ErrCancelled after a cancel, a
// *WorkerError when the worker failed.
func RunWorker(ctx context.Context, jobDir string, opt RunOptions) (*Event, error) {
	python := opt.Python
	if python == "" {
		info, err := FindPython(ctx, "", nil)
		if err != nil {
			return nil, err
		}
		python = info.Path
	}
	script := opt.Worker
	if script == "" {
		var err error
		if script, err = CachedWorker(); err != nil {
			return nil, err
		}
	}
	args := []string{"-u", script, "--job", filepath.Join(jobDir, "job.json")}
	if opt.Bench > 0 {
		args = append(args, "--bench", fmt.Sprint(opt.Bench))
	}
	logPath := filepath.Join(jobDir, "worker.log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	fmt.Fprintf(logf, "--- %s %s %s\n", time.Now().Format(time.RFC3339), python, strings.Join(args, " "))

	cmd := exec.Command(python, args...)
	cmd.Dir = jobDir
	cmd.Env = append(append(os.Environ(), "PYTHONUNBUFFERED=1"), opt.Env...)
	// Its own process group: a Ctrl+C on the terminal reaches liverseg alone, which then asks the
	// worker to stop once, in the protocol's way.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	tail := &tailBuffer{max: 4096}
	var errw io.Writer = io.MultiWriter(logf, tail)
	if opt.Stderr != nil {
		errw = io.MultiWriter(errw, opt.Stderr)
	}
	cmd.Stderr = errw
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		var ee *exec.Error
		if errors.As(err, &ee) {
			err = ee.Err
		}
		return nil, fmt.Errorf("%s: %w", python, err)
	}
	grace := opt.CancelGrace
	if grace <= 0 {
		grace = DefaultCancelGrace
	}
	waitDone := make(chan struct{})
	var cancelled bool
	var cmu sync.Mutex
	go func() {
		select {
		case <-ctx.Done():
			cmu.Lock()
			cancelled = true
			cmu.Unlock()
			_ = cmd.Process.Signal(os.Interrupt)
			select {
			case <-waitDone:
			case <-time.After(grace):
				_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			}
		case <-waitDone:
		}
	}()

	var last, errEv *Event
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] != '{' {
			fmt.Fprintf(logf, "stdout: %s\n", line)
			continue
		}
		var ev Event
		if err := json.Unmarshal(line, &ev); err != nil || ev.Event == "" {
			fmt.Fprintf(logf, "stdout: %s\n", line)
			continue
		}
		ev.Raw = append(json.RawMessage(nil), line...)
		switch ev.Event {
		case "error":
			e := ev
			errEv = &e
		case "done", "bench", "cancelled":
			e := ev
			last = &e
		}
		if opt.OnEvent != nil {
			opt.OnEvent(ev)
		}
	}
	_, _ = io.Copy(io.Discard, stdout)
	werr := cmd.Wait()
	close(waitDone)
	cmu.Lock()
	wasCancelled := cancelled
	cmu.Unlock()
	switch {
	case last != nil && (last.Event == "done" || last.Event == "bench") && werr == nil:
		return last, nil
	case last != nil && last.Event == "cancelled":
		return last, ErrCancelled
	case errEv != nil && errEv.Kind == "cancelled":
		return nil, ErrCancelled
	case errEv != nil:
		return nil, &WorkerError{Kind: errEv.Kind, Message: errEv.Message, Log: logPath}
	case wasCancelled:
		return nil, fmt.Errorf("%w: the worker did not save a checkpoint in %s and was killed", ErrCancelled, grace)
	}
	msg := "exited without finishing"
	if werr != nil {
		msg = werr.Error()
	}
	if t := strings.TrimSpace(tail.String()); t != "" {
		lines := strings.Split(t, "\n")
		if len(lines) > 3 {
			lines = lines[len(lines)-3:]
		}
		msg += ": " + strings.Join(lines, " | ")
	}
	return nil, &WorkerError{Kind: "exit", Message: msg, Log: logPath}
}

// tailBuffer keeps the last max bytes written.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append([]byte(nil), t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// Progress is the share of the job's steps done by a step or epoch event (0..1), from its epoch,
// step and totals; 0 for other events. A job that stops early (patience, MaxSeconds) ends before 1.
func (e Event) Progress() float64 {
	if e.Epochs <= 0 {
		return 0
	}
	switch e.Event {
	case "step":
		if e.Steps <= 0 {
			return 0
		}
		return math.Min(1, (float64(e.Epoch-1)+float64(e.Step)/float64(e.Steps))/float64(e.Epochs))
	case "epoch":
		return math.Min(1, float64(e.Epoch)/float64(e.Epochs))
	}
	return 0
}

// ETA is the training time left after a step or epoch event, extrapolated from the time spent so
// far (Elapsed) and Progress; ok is false before there is anything to extrapolate from. It is an
// upper bound where the job stops early, and too low for a resumed job (Elapsed restarts, the
// progress does not). The time Go spends after the worker (the check in ONNX Runtime, scoring)
// is not in it.
func (e Event) ETA() (left time.Duration, ok bool) {
	p := e.Progress()
	if p <= 0 || e.Elapsed <= 0 {
		return 0, false
	}
	return time.Duration(e.Elapsed * (1 - p) / p * float64(time.Second)), true
}
