package workspace

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"liverseg/scan"
)

// ErrLocked says that a case's label is being edited by another liverseg (another window, or
// another user of a shared workspace).
var ErrLocked = errors.New("being edited elsewhere")

// caseLock is an exclusive lock on a case's autosave: autosave/CASE.lock, flock'ed for as long as
// an Autosave is open, so that a second editor cannot append its strokes into the same journal
// between ours, or discard it under us. The kernel drops a flock when its process ends, so a crash
// never leaves a case locked. The file stays when unlocked: removing it would let a process that
// opened it just before lock a file nobody else can find.
type caseLock struct{ f *os.File }

func (w *Workspace) lockPath(caseID string) string {
	return filepath.Join(w.Dir, "autosave", caseID+".lock")
}

// lockCase takes the lock of a case without waiting: held elsewhere is ErrLocked, naming the
// holder as it wrote itself into the file.
func (w *Workspace) lockCase(caseID string) (*caseLock, error) {
	path := w.lockPath(caseID)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("case %s: %w", caseID, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err // *PathError names the file
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := scan.ReadFileLimit(context.Background(), path, 4<<10, "a lock file") // one line: who holds it
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			who := strings.TrimSpace(string(holder))
			if who == "" {
				who = "another liverseg"
			}
			return nil, fmt.Errorf("%s: case %s is %w (%s): save or close it there first", path, caseID, ErrLocked, who)
		}
		return nil, fmt.Errorf("%s: locking: %w", path, err)
	}
	host, _ := os.Hostname()
	who := fmt.Sprintf("liverseg, process %d on %s", os.Getpid(), host)
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(who+"\n"), 0) // only for the message of whoever finds it locked
	}
	return &caseLock{f: f}, nil
}

// unlock gives the lock back (closing the file drops the flock). Unlocking twice is harmless.
func (l *caseLock) unlock() {
	if l != nil && l.f != nil {
		l.f.Close()
		l.f = nil
	}
}
