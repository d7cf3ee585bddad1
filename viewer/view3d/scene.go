// Package view3d is the review's 3D view, drawn in pure Go: the surfaces of the truth, the
// prediction and the label being edited (mesh.Mesh, LPS mm), shaded and z-buffered into an
// image.RGBA, orbited by a camera, with the three planes' positions, an orientation marker,
// a diverging colour scale for signed surface distances with its legend, and picking of the
// surface point under a pixel. It imports mesh and scan, never Fyne: the GUI shows the image
// and forwards drags, wheel steps and clicks.
package view3d

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"sync"

	"liverseg/mesh"
)

// ErrMesh is returned for a surface the view cannot draw: no mesh, a triangle index out of
// range, a vertex that is not finite, colours or normals that are not one a vertex.
var ErrMesh = errors.New("view3d: invalid surface")

// Surface is one mesh as the view draws it.
type Surface struct {
	// Mesh is the triangle surface (LPS mm, counter-clockwise seen from outside). The scene
	// keeps it, as it keeps Normals and Colors, without copying: the caller must not change
	// them afterwards (build new ones and Set again instead).
	Mesh *mesh.Mesh
	// Normals are unit vertex normals, one a vertex (a mesh builder's own); nil: the scene
	// computes them, weighting each triangle's normal by its area.
	Normals [][3]float32
	// Color is the surface's colour when Colors is nil (alpha ignored).
	Color color.RGBA
	// Colors, when not nil, holds one colour a vertex (alpha ignored): a prediction coloured by
	// its distance to the truth (DistanceScale.Colors).
	Colors []color.RGBA
	// Opacity is 1 for an opaque surface, between 0 and 1 for a translucent one (drawn after
	// the opaque ones, depth-tested, hiding nothing behind it); 0 is not drawn.
	Opacity float64
	// TwoSided draws back faces too, for an open surface; a closed surface (what mesh builds)
	// leaves it false and its back faces are culled.
	TwoSided bool
}

// Scene holds the named surfaces a view draws ("truth", "prediction", "edit": the names are
// the caller's). It is safe for concurrent use: a surface rebuilt in the background replaces
// its name while the GUI renders, without touching the others.
type Scene struct {
	mu     sync.RWMutex
	layers []*layer        // in the order their names were first set, the order they are drawn
	hidden map[string]bool // names switched off, kept across replacements
}

// layer is a surface ready to draw: validated, with its normals and bounds.
type layer struct {
	name     string
	s        Surface
	normals  [][3]float32
	min, max [3]float64
}

// NewScene returns an empty scene.
func NewScene() *Scene { return &Scene{hidden: map[string]bool{}} }

// Set puts s under name, replacing what was there (a replaced surface keeps its visibility).
// The normals are computed here, outside the lock, so a render is never held up for long;
// when s has the same Mesh as the surface it replaces (a change of colour or opacity) the
// normals already computed are reused.
func (sc *Scene) Set(name string, s Surface) error {
	if err := validate(s); err != nil {
		return fmt.Errorf("surface %q: %w", name, err)
	}
	l := &layer{name: name, s: s, normals: s.Normals}
	if l.normals == nil {
		sc.mu.RLock()
		if old := sc.find(name); old != nil && old.s.Mesh == s.Mesh && old.s.Normals == nil {
			l.normals = old.normals
		}
		sc.mu.RUnlock()
	}
	if l.normals == nil {
		l.normals = s.Mesh.Normals()
	}
	l.min, l.max = bounds(s.Mesh)
	sc.mu.Lock()
	defer sc.mu.Unlock()
	for i, old := range sc.layers {
		if old.name == name {
			sc.layers[i] = l
			return nil
		}
	}
	sc.layers = append(sc.layers, l)
	return nil
}

// Surface returns the surface under name, to change and Set again.
func (sc *Scene) Surface(name string) (Surface, bool) {
	sc.mu.RLock()
	defer sc.mu.RUnlock()
	if l := sc.find(name); l != nil {
		return l.s, true
	}
	return Surface{}, false
}

// Remove takes the surface under name out of the scene.
func (sc *Scene) Remove(name string) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	for i, l := range sc.layers {
		if l.name == name {
			sc.layers = append(sc.layers[:i], sc.layers[i+1:]...)
			return
		}
	}
}

// SetVisible shows or hides the surface under name; the choice holds for a surface set under
// that name later.
func (sc *Scene) SetVisible(name string, visible bool) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if visible {
		delete(sc.hidden, name)
	} else {
		sc.hidden[name] = true
	}
}

// Visible reports whether the surface under name is shown (true for a name not hidden).
func (sc *Scene) Visible(name string) bool {
	sc.mu.RLock()
	defer sc.mu.RUnlock()
	return !sc.hidden[name]
}

// Empty reports whether the scene has nothing to draw: no visible surface with a triangle and
// an opacity above 0. The GUI then says there is no liver.
func (sc *Scene) Empty() bool {
	sc.mu.RLock()
	defer sc.mu.RUnlock()
	for _, l := range sc.layers {
		if sc.drawn(l) {
			return false
		}
	}
	return true
}

// Bounds is the box (LPS mm) around the visible surfaces; ok is false when there are none.
func (sc *Scene) Bounds() (lo, hi [3]float64, ok bool) {
	sc.mu.RLock()
	defer sc.mu.RUnlock()
	return sc.bounds()
}

func (sc *Scene) bounds() (lo, hi [3]float64, ok bool) {
	for _, l := range sc.layers {
		if !sc.drawn(l) {
			continue
		}
		if !ok {
			lo, hi, ok = l.min, l.max, true
			continue
		}
		for a := 0; a < 3; a++ {
			lo[a] = math.Min(lo[a], l.min[a])
			hi[a] = math.Max(hi[a], l.max[a])
		}
	}
	return lo, hi, ok
}

func (sc *Scene) find(name string) *layer {
	for _, l := range sc.layers {
		if l.name == name {
			return l
		}
	}
	return nil
}

// drawn reports whether l is shown and has something to show.
func (sc *Scene) drawn(l *layer) bool {
	return !sc.hidden[l.name] && l.s.Opacity > 0 && len(l.s.Mesh.Triangles) > 0
}

func validate(s Surface) error {
	m := s.Mesh
	if m == nil {
		return fmt.Errorf("%w: no mesh", ErrMesh)
	}
	if math.IsNaN(s.Opacity) {
		return fmt.Errorf("%w: opacity is NaN", ErrMesh)
	}
	n := len(m.Vertices)
	if s.Colors != nil && len(s.Colors) != n {
		return fmt.Errorf("%w: %d colours for %d vertices", ErrMesh, len(s.Colors), n)
	}
	if s.Normals != nil && len(s.Normals) != n {
		return fmt.Errorf("%w: %d normals for %d vertices", ErrMesh, len(s.Normals), n)
	}
	for i, v := range m.Vertices {
		for _, c := range v {
			if math.IsNaN(float64(c)) || math.IsInf(float64(c), 0) {
				return fmt.Errorf("%w: vertex %d is %v", ErrMesh, i, v)
			}
		}
	}
	for i, t := range m.Triangles {
		for _, x := range t {
			if x < 0 || int(x) >= n {
				return fmt.Errorf("%w: triangle %d has vertex %d of %d", ErrMesh, i, x, n)
			}
		}
	}
	for i, v := range s.Normals {
		for _, c := range v {
			if math.IsNaN(float64(c)) || math.IsInf(float64(c), 0) {
				return fmt.Errorf("%w: normal %d is %v", ErrMesh, i, v)
			}
		}
	}
	return nil
}

// bounds is the box around the vertices of m's triangles ((0,0,0) twice when it has none).
func bounds(m *mesh.Mesh) (lo, hi [3]float64) {
	first := true
	for _, t := range m.Triangles {
		for _, i := range t {
			v := m.Vertices[i]
			for a := 0; a < 3; a++ {
				c := float64(v[a])
				if first || c < lo[a] {
					lo[a] = c
				}
				if first || c > hi[a] {
					hi[a] = c
				}
			}
			first = false
		}
	}
	return lo, hi
}
