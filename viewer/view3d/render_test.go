package view3d

import (
	"errors"
	"image"
	"image/color"
	"math"
	"testing"

	"liverseg/mesh"
)

var (
	bone  = color.RGBA{R: 230, G: 220, B: 200, A: 255}
	green = color.RGBA{R: 60, G: 200, B: 90, A: 255}
)

// TestGeodesicClosed checks the tests' own spheres: every edge is shared by exactly two
// triangles that run it in opposite directions, and the volume is the sphere's.
func TestGeodesicClosed(t *testing.T) {
	m := sphere(12, [3]float64{}, 10)
	if got, want := len(m.Triangles), 20*12*12; got != want {
		t.Fatalf("%d triangles, want %d", got, want)
	}
	edges := map[[2]int32]int{}
	for _, tr := range m.Triangles {
		for e := 0; e < 3; e++ {
			edges[[2]int32{tr[e], tr[(e+1)%3]}]++
		}
	}
	for e, n := range edges {
		if n != 1 || edges[[2]int32{e[1], e[0]}] != 1 {
			t.Fatalf("edge %v used %d times, reversed %d", e, n, edges[[2]int32{e[1], e[0]}])
		}
	}
	if v, want := m.Volume(), 4*math.Pi*1000/3; math.Abs(v-want) > 0.02*want {
		t.Fatalf("volume %.1f, want about %.1f", v, want)
	}
}

// render draws v into a new w×h image.
func render(v *View, w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	v.Render(img)
	return img
}

func mustSet(t *testing.T, sc *Scene, name string, s Surface) {
	t.Helper()
	if err := sc.Set(name, s); err != nil {
		t.Fatal(err)
	}
}

// diffPixels counts the pixels where a and b differ.
func diffPixels(a, b *image.RGBA) int {
	n := 0
	for i := 0; i < len(a.Pix); i += 4 {
		if a.Pix[i] != b.Pix[i] || a.Pix[i+1] != b.Pix[i+1] || a.Pix[i+2] != b.Pix[i+2] {
			n++
		}
	}
	return n
}

func sphereView(t *testing.T, r float64, c color.RGBA) *View {
	v := NewView(nil)
	mustSet(t, v.Scene, "truth", Surface{Mesh: sphere(24, [3]float64{10, -20, 30}, r), Color: c, Opacity: 1})
	return v
}

func TestProjectUnprojectRoundTrip(t *testing.T) {
	v := sphereView(t, 50, bone)
	if _, _, _, ok := v.Project([3]float64{}); ok {
		t.Fatal("Project before a Render")
	}
	v.Camera.Radius = 80
	v.Camera.Center = [3]float64{10, -20, 30}
	v.Camera.Zoom = 1.7
	v.Camera.Rotate(97, -41)
	img := image.NewRGBA(image.Rect(30, 40, 230, 190)) // an offset, not square image
	v.Render(img)
	for i := 0; i < 200; i++ {
		p := [3]float64{10 + 60*math.Sin(float64(i)), -20 + 60*math.Cos(1.3*float64(i)), 30 + 60*math.Sin(0.7*float64(i)+1)}
		x, y, d, ok := v.Project(p)
		if !ok {
			t.Fatalf("%v not projected", p)
		}
		q, ok := v.Unproject(x, y, d)
		if !ok || math.Abs(q[0]-p[0])+math.Abs(q[1]-p[1])+math.Abs(q[2]-p[2]) > 1e-9 {
			t.Fatalf("%v → (%.3f, %.3f, %.3f) → %v", p, x, y, d, q)
		}
	}
	// the centre lands in the image's centre, whatever the turn
	x, y, _, _ := v.Project(v.Camera.Center)
	if math.Abs(x-130) > 1e-9 || math.Abs(y-115) > 1e-9 {
		t.Fatalf("centre at (%v, %v), want (130, 115)", x, y)
	}
}

// TestDefaultViewRadiological: the default is the anterior view, as a radiologist reads a
// coronal image: patient's right on the screen's left, head up, the front nearest.
func TestDefaultViewRadiological(t *testing.T) {
	v := sphereView(t, 50, bone)
	render(v, 100, 100)
	c := v.Camera.Center
	at := func(d [3]float64) (float64, float64, float64) {
		x, y, depth, ok := v.Project(add(c, d))
		if !ok {
			t.Fatalf("%v not projected", d)
		}
		return x, y, depth
	}
	rx, _, _ := at([3]float64{-40, 0, 0}) // patient's right: -x in LPS
	lx, _, _ := at([3]float64{40, 0, 0})
	_, sy, _ := at([3]float64{0, 0, 40})
	_, iy, _ := at([3]float64{0, 0, -40})
	_, _, ad := at([3]float64{0, -40, 0})
	_, _, pd := at([3]float64{0, 40, 0})
	if !(rx < 50 && lx > 50) {
		t.Errorf("right at x %.1f, left at %.1f: right must be on the screen's left", rx, lx)
	}
	if !(sy < 50 && iy > 50) {
		t.Errorf("superior at y %.1f, inferior at %.1f: the head must be up", sy, iy)
	}
	if !(ad < pd) {
		t.Errorf("anterior %.1f mm from the eye, posterior %.1f: the front must face the reader", ad, pd)
	}
	// the marker's letters say the same
	ends := map[string][3]float64{}
	for _, e := range markerEnds(image.Rect(0, 0, 400, 400), &v.last) {
		ends[axisEnds[e.i].letter] = [3]float64{e.x, e.y, e.z}
	}
	if !(ends["R"][0] < ends["L"][0]) || !(ends["S"][1] < ends["I"][1]) || !(ends["A"][2] > ends["P"][2]) {
		t.Errorf("marker ends %v", ends)
	}
}

// TestPickSphere: a click on a sphere gives a point on it (within a voxel), on the near side,
// under the pixel clicked, at the depth the render drew there.
func TestPickSphere(t *testing.T) {
	c, r := [3]float64{10, -20, 30}, 50.0
	v := sphereView(t, r, bone)
	if _, ok := v.Pick(50, 50); ok {
		t.Fatal("Pick before a Render")
	}
	v.Camera.Rotate(60, 30)
	render(v, 200, 200)
	hits := 0
	for y := 0; y < 200; y += 7 {
		for x := 0; x < 200; x += 7 {
			p, ok := v.Pick(x, y)
			if !ok {
				if v.depth[y*200+x] != 0 {
					t.Fatalf("pixel (%d,%d) shows the sphere, Pick missed it", x, y)
				}
				continue
			}
			hits++
			if d := math.Sqrt(dot(sub(p, c), sub(p, c))); math.Abs(d-r) > 0.5 {
				t.Fatalf("pixel (%d,%d): %v is %.3f mm from the centre, radius %.0f", x, y, p, d, r)
			}
			px, py, depth, _ := v.Project(p)
			if math.Abs(px-float64(x)-0.5) > 1e-6 || math.Abs(py-float64(y)-0.5) > 1e-6 {
				t.Fatalf("pixel (%d,%d): picked %v projects to (%.4f, %.4f)", x, y, p, px, py)
			}
			if _, _, cd, _ := v.Project(c); depth > cd {
				t.Fatalf("pixel (%d,%d): picked the far side (%.1f mm, centre %.1f)", x, y, depth, cd)
			}
			// the render snaps vertices to 1/16 pixel (here 0.06 mm), which a surface seen at a
			// grazing angle turns into more depth
			if zb := v.depth[y*200+x]; zb == 0 || math.Abs(1/float64(zb)-depth) > 0.5 {
				t.Fatalf("pixel (%d,%d): picked at %.3f mm, rendered at %.3f", x, y, depth, 1/float64(zb))
			}
		}
	}
	// the sphere fills fitMargin of the view: about π(0.46·29)² of the 29² samples
	if want := math.Pi * math.Pow(fitMargin/2*29, 2); math.Abs(float64(hits)-want) > 0.1*want {
		t.Fatalf("%d pixels hit, want about %.0f", hits, want)
	}
	if _, ok := v.Pick(2, 2); ok {
		t.Fatal("a corner pixel picked the sphere")
	}
	if _, ok := v.Pick(-1, 100); ok {
		t.Fatal("a pixel off the image picked")
	}
}

// triangleView is one triangle in the plane y = 0 whose front (counter-clockwise side) faces
// the anterior view's reader, or its back when flipped.
func triangleView(t *testing.T, flipped, twoSided bool) *View {
	m := &mesh.Mesh{Vertices: [][3]float32{{0, 0, 0}, {40, 0, 0}, {0, 0, 40}}, Triangles: [][3]int32{{0, 1, 2}}}
	if flipped {
		m.Triangles[0] = [3]int32{0, 2, 1}
	}
	v := NewView(nil)
	mustSet(t, v.Scene, "t", Surface{Mesh: m, Color: bone, Opacity: 1, TwoSided: twoSided})
	v.Camera = FrameBox([3]float64{0, -20, 0}, [3]float64{40, 20, 40})
	return v
}

func TestBackFacesCulled(t *testing.T) {
	empty := NewView(nil)
	empty.Camera = triangleView(t, false, false).Camera
	bg := render(empty, 120, 120)
	front := diffPixels(bg, render(triangleView(t, false, false), 120, 120))
	back := diffPixels(bg, render(triangleView(t, true, false), 120, 120))
	twoSided := diffPixels(bg, render(triangleView(t, true, true), 120, 120))
	// the triangle is half of a 40 mm square framed in a sphere of radius 40·√3/2 mm
	if front < 1000 || back != 0 || twoSided != front {
		t.Fatalf("pixels drawn: front %d, back %d (culled: want 0), two-sided back %d (want %d)", front, back, twoSided, front)
	}
}

func TestRotateResetZoom(t *testing.T) {
	v := NewView(nil)
	mustSet(t, v.Scene, "truth", Surface{Mesh: blob(20, [3]float64{0, 0, 0}, [3]float64{80, 60, 70}, 0.15, 0), Color: bone, Opacity: 1})
	first := render(v, 160, 120)
	v.Camera.Rotate(40, 25)
	turned := render(v, 160, 120)
	if n := diffPixels(first, turned); n < 1000 {
		t.Fatalf("a drag changed %d pixels", n)
	}
	v.Camera.ZoomBy(3)
	if n := diffPixels(turned, render(v, 160, 120)); n < 1000 {
		t.Fatalf("zooming changed %d pixels", n)
	}
	v.Reset()
	if n := diffPixels(first, render(v, 160, 120)); n != 0 {
		t.Fatalf("after Reset %d pixels differ from the first view", n)
	}
	// a drag straight up from the default can turn no further than looking from below
	v.Camera.Rotate(0, -10000)
	if v.Camera.Pitch != -math.Pi/2 {
		t.Fatalf("pitch %v", v.Camera.Pitch)
	}
	v.Camera.ZoomBy(1000)
	if v.Camera.Zoom != maxZoom {
		t.Fatalf("zoom %v", v.Camera.Zoom)
	}
	v.Camera.Rotate(math.NaN(), 1)
	v.Camera.ZoomBy(math.Inf(1))
	if math.IsNaN(v.Camera.Yaw) || v.Camera.Zoom != maxZoom {
		t.Fatalf("camera after NaN/Inf input: %+v", v.Camera)
	}
}

func TestTranslucent(t *testing.T) {
	c := [3]float64{0, 0, 0}
	inner := sphere(16, c, 30)
	outer := sphere(16, c, 50)
	only := func(layers ...Surface) *image.RGBA {
		v := NewView(nil)
		for i, s := range layers {
			mustSet(t, v.Scene, string(rune('a'+i)), s)
		}
		v.Camera = DefaultCamera(c, 60)
		return render(v, 100, 100)
	}
	opaqueInner := only(Surface{Mesh: inner, Color: bone, Opacity: 1})
	opaqueOuter := only(Surface{Mesh: outer, Color: green, Opacity: 1})
	both := only(Surface{Mesh: outer, Color: green, Opacity: 0.5}, Surface{Mesh: inner, Color: bone, Opacity: 1})
	// over the inner sphere: half its colour, half the outer's front (one layer: the outer's
	// back faces are culled)
	for _, p := range []image.Point{{50, 50}, {40, 45}, {60, 58}} {
		a, o, b := opaqueInner.RGBAAt(p.X, p.Y), opaqueOuter.RGBAAt(p.X, p.Y), both.RGBAAt(p.X, p.Y)
		for k, pair := range [3][3]uint8{{a.R, o.R, b.R}, {a.G, o.G, b.G}, {a.B, o.B, b.B}} {
			want := float64(pair[0]) + (float64(pair[1])-float64(pair[0]))*0.5
			if math.Abs(float64(pair[2])-want) > 1.01 {
				t.Fatalf("pixel %v channel %d: %d, want %.1f (inner %d, outer %d)", p, k, pair[2], want, pair[0], pair[1])
			}
		}
	}
	// a translucent surface hidden inside an opaque one changes nothing (depth-tested)
	hidden := only(Surface{Mesh: outer, Color: green, Opacity: 1}, Surface{Mesh: inner, Color: bone, Opacity: 0.5})
	if n := diffPixels(hidden, opaqueOuter); n != 0 {
		t.Fatalf("a translucent surface inside an opaque one changed %d pixels", n)
	}
	// a translucent surface writes no depth: one inside it, translucent too, still shows
	outerOnly := only(Surface{Mesh: outer, Color: green, Opacity: 0.5})
	twoLayers := only(Surface{Mesh: outer, Color: green, Opacity: 0.5}, Surface{Mesh: inner, Color: bone, Opacity: 0.5})
	if a, b := outerOnly.RGBAAt(50, 50), twoLayers.RGBAAt(50, 50); a == b {
		t.Fatalf("the inner translucent sphere does not show through the outer one: %v", a)
	}
}

func TestDegenerateMeshes(t *testing.T) {
	nan := float32(math.NaN())
	bad := []struct {
		name string
		s    Surface
	}{
		{"no mesh", Surface{Opacity: 1}},
		{"NaN vertex", Surface{Mesh: &mesh.Mesh{Vertices: [][3]float32{{0, 0, 0}, {1, nan, 0}, {0, 1, 0}}, Triangles: [][3]int32{{0, 1, 2}}}, Opacity: 1}},
		{"infinite vertex", Surface{Mesh: &mesh.Mesh{Vertices: [][3]float32{{0, 0, float32(math.Inf(1))}, {1, 0, 0}, {0, 1, 0}}, Triangles: [][3]int32{{0, 1, 2}}}, Opacity: 1}},
		{"index out of range", Surface{Mesh: &mesh.Mesh{Vertices: [][3]float32{{0, 0, 0}, {1, 0, 0}, {0, 1, 0}}, Triangles: [][3]int32{{0, 1, 3}}}, Opacity: 1}},
		{"negative index", Surface{Mesh: &mesh.Mesh{Vertices: [][3]float32{{0, 0, 0}, {1, 0, 0}, {0, 1, 0}}, Triangles: [][3]int32{{0, -1, 2}}}, Opacity: 1}},
		{"colours not one a vertex", Surface{Mesh: sphere(2, [3]float64{}, 10), Colors: make([]color.RGBA, 3), Opacity: 1}},
		{"normals not one a vertex", Surface{Mesh: sphere(2, [3]float64{}, 10), Normals: make([][3]float32, 3), Opacity: 1}},
		{"NaN opacity", Surface{Mesh: sphere(2, [3]float64{}, 10), Opacity: math.NaN()}},
	}
	sc := NewScene()
	for _, b := range bad {
		if err := sc.Set("x", b.s); !errors.Is(err, ErrMesh) {
			t.Errorf("%s: error %v, want ErrMesh", b.name, err)
		}
	}
	if !sc.Empty() {
		t.Fatal("a scene of rejected surfaces is not empty")
	}
	// drawable oddities: no panic, and what has area is drawn
	zeroArea := &mesh.Mesh{
		Vertices:  [][3]float32{{0, 0, 0}, {10, 0, 0}, {20, 0, 0}, {5, 0, 5}},
		Triangles: [][3]int32{{0, 1, 2}, {0, 0, 1}, {3, 3, 3}}, // collinear, repeated vertices
	}
	point := &mesh.Mesh{Vertices: [][3]float32{{7, 7, 7}, {7, 7, 7}, {7, 7, 7}}, Triangles: [][3]int32{{0, 1, 2}}}
	single := &mesh.Mesh{Vertices: [][3]float32{{0, 0, 0}, {40, 0, 0}, {0, 0, 40}}, Triangles: [][3]int32{{0, 1, 2}}}
	far := &mesh.Mesh{Vertices: [][3]float32{{-1e30, 0, 0}, {1e30, 0, 0}, {0, 0, 1e30}}, Triangles: [][3]int32{{0, 1, 2}}}
	for name, m := range map[string]*mesh.Mesh{"zero-area": zeroArea, "point": point, "single": single, "far": far, "empty": {}} {
		v := NewView(nil)
		mustSet(t, v.Scene, "x", Surface{Mesh: m, Color: bone, Opacity: 1})
		for _, zoom := range []float64{0, 20} {
			v.Camera.ZoomBy(zoom)
			img := render(v, 64, 48)
			v.Pick(32, 24)
			if name == "single" && diffPixels(img, render(NewView(nil), 64, 48)) == 0 {
				t.Errorf("%s: nothing drawn", name)
			}
		}
		if got := v.Scene.Empty(); got != (name == "empty") {
			t.Errorf("%s: Empty() = %v", name, got)
		}
		n := m.Normals()
		if len(n) != len(m.Vertices) {
			t.Fatalf("%s: %d normals", name, len(n))
		}
	}
	// the eye inside a surface (a replaced surface far larger than the framing)
	v := sphereView(t, 50, bone)
	v.Camera = DefaultCamera([3]float64{10, -20, 30}, 5)
	render(v, 64, 64)
	// an image of no pixels
	render(v, 0, 0)
	if _, ok := v.Pick(0, 0); ok {
		t.Fatal("Pick on an empty image")
	}
}

func TestEmptyScene(t *testing.T) {
	v := NewView(nil)
	if !v.Scene.Empty() {
		t.Fatal("a new scene is not empty")
	}
	img := render(v, 50, 40)
	for i := 0; i < len(img.Pix); i += 4 {
		if c := (color.RGBA{img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3]}); c != DefaultBackground {
			t.Fatalf("pixel %d is %v, want the background", i/4, c)
		}
	}
	if _, ok := v.Pick(25, 20); ok {
		t.Fatal("Pick in an empty scene")
	}
	// hidden, transparent or removed surfaces leave it empty
	mustSet(t, v.Scene, "truth", Surface{Mesh: sphere(3, [3]float64{}, 10), Color: bone, Opacity: 1})
	if v.Scene.Empty() {
		t.Fatal("a scene with a sphere is empty")
	}
	v.Scene.SetVisible("truth", false)
	if !v.Scene.Empty() || v.Scene.Visible("truth") {
		t.Fatal("a hidden sphere still shows")
	}
	mustSet(t, v.Scene, "truth", Surface{Mesh: sphere(3, [3]float64{}, 20), Color: bone, Opacity: 1})
	if !v.Scene.Empty() {
		t.Fatal("replacing a hidden surface showed it")
	}
	v.Scene.SetVisible("truth", true)
	mustSet(t, v.Scene, "truth", Surface{Mesh: sphere(3, [3]float64{}, 20), Color: bone, Opacity: 0})
	if !v.Scene.Empty() {
		t.Fatal("a surface of opacity 0 shows")
	}
	v.Scene.Remove("truth")
	if _, ok := v.Scene.Surface("truth"); ok || !v.Scene.Empty() {
		t.Fatal("Remove left the surface")
	}
}

// TestReplaceSurface: replacing one surface leaves the others as they were, keeps its place
// in the drawing order, and reuses the normals when only the colour changes.
func TestReplaceSurface(t *testing.T) {
	sc := NewScene()
	a, b := sphere(6, [3]float64{}, 20), sphere(6, [3]float64{30, 0, 0}, 10)
	mustSet(t, sc, "truth", Surface{Mesh: a, Color: bone, Opacity: 0.4})
	mustSet(t, sc, "prediction", Surface{Mesh: b, Color: green, Opacity: 1})
	before := sc.layers[0]
	mustSet(t, sc, "prediction", Surface{Mesh: b, Color: bone, Opacity: 1})
	after := sc.layers[1]
	if sc.layers[0] != before || after.name != "prediction" || len(sc.layers) != 2 {
		t.Fatalf("layers after replacing: %v, %v", sc.layers[0].name, sc.layers[1].name)
	}
	old := after.normals
	mustSet(t, sc, "prediction", Surface{Mesh: b, Color: green, Opacity: 1})
	if &sc.find("prediction").normals[0] != &old[0] {
		t.Fatal("a change of colour recomputed the normals")
	}
	lo, hi, ok := sc.Bounds()
	if !ok || lo[0] > -19.9 || hi[0] < 39.9 {
		t.Fatalf("bounds %v %v", lo, hi)
	}
}

func TestVertexNormals(t *testing.T) {
	m := sphere(8, [3]float64{5, 5, 5}, 10)
	for i, n := range m.Normals() {
		p := m.Vertices[i]
		radial := [3]float64{(float64(p[0]) - 5) / 10, (float64(p[1]) - 5) / 10, (float64(p[2]) - 5) / 10}
		if d := dot(radial, [3]float64{float64(n[0]), float64(n[1]), float64(n[2])}); d < 0.995 {
			t.Fatalf("vertex %d: normal %v, radial %v", i, n, radial)
		}
	}
}

// TestReplaceWhileRendering: a surface rebuilt in the background replaces its name while the
// view renders and picks (run under -race).
func TestReplaceWhileRendering(t *testing.T) {
	v := NewView(nil)
	mustSet(t, v.Scene, "truth", Surface{Mesh: sphere(8, [3]float64{}, 40), Color: bone, Opacity: 0.4})
	mustSet(t, v.Scene, "edit", Surface{Mesh: sphere(8, [3]float64{}, 20), Color: green, Opacity: 1})
	meshes := []*mesh.Mesh{sphere(8, [3]float64{}, 25), sphere(6, [3]float64{5, 0, 0}, 30)}
	done := make(chan error)
	go func() {
		for i := 0; i < 20; i++ {
			if err := v.Scene.Set("edit", Surface{Mesh: meshes[i%2], Color: green, Opacity: 1}); err != nil {
				done <- err
				return
			}
			v.Scene.SetVisible("truth", i%3 != 0)
		}
		done <- nil
	}()
	img := image.NewRGBA(image.Rect(0, 0, 64, 64))
	for i := 0; i < 20; i++ {
		v.Camera.Rotate(5, 1)
		v.Render(img)
		v.Pick(32, 32)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if s, ok := v.Scene.Surface("edit"); !ok || s.Mesh != meshes[1] {
		t.Fatal("the last replacement is not in the scene")
	}
}
