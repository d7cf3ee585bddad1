package scan

import "fmt"

// MaskRun is a stretch of consecutive voxels of a Mask: Values[n] belongs at volume offset
// Offset+n (k*cols*rows + j*cols + i). An edit is a list of them:
// the viewer's undo history gives them, the workspace's autosave journal stores them, and
// recovery replays them with ApplyRuns.
type MaskRun struct {
	Offset int
	Values []uint8
}

// CheckRuns says whether every run lies inside a mask of n voxels; the error names the first
// that does not.
func CheckRuns(runs []MaskRun, n int) error {
	for i, r := range runs {
		if r.Offset < 0 || r.Offset > n || len(r.Values) > n-r.Offset {
			return fmt.Errorf("run %d: voxels %d..%d outside the volume's %d", i+1, r.Offset, r.Offset+len(r.Values), n)
		}
	}
	return nil
}

// ApplyRuns writes runs into m in order (a later run overwrites an earlier one). Every run is
// checked against m before any voxel is written, so a bad run (a damaged journal) changes nothing.
func ApplyRuns(m *Mask, runs []MaskRun) error {
	if m == nil {
		return fmt.Errorf("mask: none to apply the edit to")
	}
	if !m.Valid() {
		return fmt.Errorf("mask: not a mask of %dx%dx%d", m.Dims[0], m.Dims[1], m.Dims[2])
	}
	n := m.Len()
	if err := CheckRuns(runs, n); err != nil {
		return err
	}
	for _, r := range runs {
		m.Write(r.Offset, r.Values)
	}
	return nil
}
