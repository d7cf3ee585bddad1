package ui

import (
	"image"
	"math"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"

	"liverseg/scan"
	"liverseg/ui/sliceview"
)

// openFourUp is openReview in the four-up layout, with the synthetic truth and prediction.
func openFourUp(t *testing.T) (*session, *review, chan func()) {
	t.Helper()
	s, r, q := openReview(t)
	r.fourUp = true
	r.showLayout(false)
	if r.planes == nil || r.planeViews[0] == nil || r.planeViews[1] == nil {
		t.Fatal("no coronal and sagittal views in the four-up layout")
	}
	s.win.Resize(fyne.NewSize(1200, 800))
	return s, r, q
}

// tapAt clicks display pixel (x, y) of sv.
func tapAt(sv *sliceview.View, x, y int) {
	sv.Tapped(&fyne.PointEvent{Position: screenAt(sv, float64(x), float64(y))})
}

// TestFourUpClickInCoronalMovesOthers: a click in the coronal pane moves the axial and the
// sagittal panes to the slices through the voxel clicked, and the cross-hair is on it.
func TestFourUpClickInCoronalMovesOthers(t *testing.T) {
	_, r, _ := openFourUp(t)
	if r.layout() != LayoutFour {
		t.Fatalf("layout %q", r.layout())
	}
	cor, sag := r.planeViews[0], r.planeViews[1]
	c := r.main.Renderer().AxialCanonical()
	x, y := 9, 4
	tapAt(cor, x, y)
	i, j, k := c.FromPlane(scan.Coronal, x, y, cor.Slice())
	if got := r.planes.Point(); got != [3]int{i, j, k} {
		t.Fatalf("cross-hair at %v after a click on coronal pixel (%d, %d), want %v", got, x, y, [3]int{i, j, k})
	}
	if r.main.Slice() != k {
		t.Errorf("axial pane on slice %d, want %d", r.main.Slice(), k)
	}
	if _, _, s := c.ToPlane(scan.Sagittal, i, j, k); sag.Slice() != s {
		t.Errorf("sagittal pane on slice %d, want %d", sag.Slice(), s)
	}
	// The voxel: its volume index, as the axial pane probes it, is the one clicked.
	vi, vj, vk, _, ok := cor.Renderer().Probe(cor.Slice(), x, y)
	ai, aj, ak, _, ok2 := r.main.Renderer().Probe(r.main.Slice(), i, j)
	if !ok || !ok2 || [3]int{vi, vj, vk} != [3]int{ai, aj, ak} {
		t.Errorf("coronal pixel is voxel %v, the axial pane's cross-hair voxel %v", [3]int{vi, vj, vk}, [3]int{ai, aj, ak})
	}
}

// TestFourUpSagittalBrushUndo: a brush stroke in the sagittal pane changes exactly the voxels
// within the radius (in mm) of its path on that sagittal slice, and one undo restores them.
func TestFourUpSagittalBrushUndo(t *testing.T) {
	_, r, q := openFourUp(t)
	drain(t, q, 10*time.Second, "the case", func() bool { return r.caseID != "" })
	typeRune(r.main, 'e')
	drain(t, q, 10*time.Second, "the editor", func() bool { return r.editor != nil })
	le := r.editor
	typeRune(r.main, 'b')
	le.radiusMM = 2
	sag := r.planeViews[1]
	before := le.ed.Mask().Clone()
	from, to := screenAt(sag, 8, 4), screenAt(sag, 20, 4)
	drag(sag, from, to)
	if le.ed.Plane() != scan.Sagittal {
		t.Fatalf("the editor is in the %v plane after a sagittal stroke", le.ed.Plane())
	}
	// What the stroke covers: sagittal pixels within 2 mm of the segment between the display
	// positions the screen points map to, on the sagittal slice shown.
	rd := sag.Renderer()
	dx, dy := rd.PixelSpacing()
	w, h := rd.Size()
	pos, size := sag.ImageRect()
	toPix := func(p fyne.Position) (float64, float64) {
		return float64(p.X-pos.X) / float64(size.Width) * float64(w), float64(p.Y-pos.Y) / float64(size.Height) * float64(h)
	}
	ax, ay := toPix(from)
	bx, by := toPix(to)
	changed, want := 0, 0
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			// Distance in mm from the pixel's centre to the segment.
			px, py := (float64(x)+0.5-ax)*dx, (float64(y)+0.5-ay)*dy
			sx, sy := (bx-ax)*dx, (by-ay)*dy
			u := math.Max(0, math.Min(1, (px*sx+py*sy)/(sx*sx+sy*sy)))
			d := math.Hypot(px-u*sx, py-u*sy)
			vi, vj, vk, _, _ := rd.Probe(sag.Slice(), x, y)
			o := r.vol.Index(vi, vj, vk)
			on := le.ed.Mask().At(o) != 0
			if d <= 2-1e-6 && !on {
				t.Errorf("sagittal pixel (%d, %d), %.2f mm from the stroke, not painted", x, y, d)
			}
			if d > 2+1e-6 && on != (before.At(o) != 0) {
				t.Errorf("sagittal pixel (%d, %d), %.2f mm from the stroke, changed", x, y, d)
			}
			if on != (before.At(o) != 0) {
				changed++
			}
			if d <= 2-1e-6 && before.At(o) == 0 {
				want++
			}
		}
	}
	// Nothing outside the sagittal slice changed.
	total := 0
	for o := range before.Len() {
		if before.At(o) != le.ed.Mask().At(o) {
			total++
		}
	}
	if changed == 0 || total != changed || changed < want {
		t.Fatalf("the stroke changed %d voxels, %d on its sagittal slice, %d within 2 mm", total, changed, want)
	}
	if u, _ := le.ed.History().Len(); u != 1 {
		t.Fatalf("one stroke made %d steps", u)
	}
	le.undo()
	for o := range before.Len() {
		if before.At(o) != le.ed.Mask().At(o) {
			t.Fatalf("after one undo voxel %d is %d, was %d", o, le.ed.Mask().At(o), before.At(o))
		}
	}
	// The axial pane shows the label as it is: its image is what a fresh render gives.
	img, err := r.main.Renderer().Render(r.main.Slice())
	if err != nil {
		t.Fatal(err)
	}
	if !sameImage(img, r.main.Image()) {
		t.Error("the axial pane does not show the label after the sagittal stroke's undo")
	}
}

func sameImage(a, b *image.RGBA) bool {
	if a.Rect.Size() != b.Rect.Size() {
		return false
	}
	for y := 0; y < a.Rect.Dy(); y++ {
		ra := a.Pix[a.PixOffset(a.Rect.Min.X, a.Rect.Min.Y+y):][:4*a.Rect.Dx()]
		rb := b.Pix[b.PixOffset(b.Rect.Min.X, b.Rect.Min.Y+y):][:4*b.Rect.Dx()]
		if string(ra) != string(rb) {
			return false
		}
	}
	return true
}

// TestFourUpMaximise: O fills the centre with the pane under the pointer and brings the four
// panes back; Ctrl+click in a pane moves the cross-hair even with an edit tool on.
func TestFourUpMaximise(t *testing.T) {
	s, r, _ := openFourUp(t)
	cor := r.planeViews[0]
	cor.MouseIn(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: screenAt(cor, 3, 3)}})
	typeRune(cor, 'o')
	if r.maximised != paneCoronal || r.centre.Objects[0] != r.paneObjects[paneCoronal] {
		t.Fatalf("after O over the coronal pane: maximised %d, centre %T", r.maximised, r.centre.Objects[0])
	}
	if s.win.Canvas().Focused() != cor {
		t.Error("the maximised coronal view has not the keyboard")
	}
	typeRune(cor, 'o')
	if r.maximised != noPane || r.centre.Objects[0] == r.paneObjects[paneCoronal] {
		t.Fatalf("a second O: maximised %d", r.maximised)
	}
	cor.MouseOut()
	r.view3D.MouseIn(nil)
	typeRune(r.main, 'o')
	if r.maximised != pane3D || r.centre.Objects[0] != r.paneObjects[pane3D] {
		t.Fatalf("O over the 3D pane: maximised %d", r.maximised)
	}
	typeRune(r.main, 'o')
	r.view3D.MouseOut()
	// From the single layout, O goes to four panes.
	r.fourUp = false
	r.showLayout(false)
	typeRune(r.main, 'o')
	if !r.fourUp || r.maximised != noPane {
		t.Fatalf("O in the single layout: four-up %v, maximised %d", r.fourUp, r.maximised)
	}
}

// TestFourUp3DPane: the 3D pane builds the truth's and the prediction's surfaces in the
// background, colours the prediction by distance with a legend, a click on a surface moves the
// planes there, and empty masks leave a note that there is no liver.
func TestFourUp3DPane(t *testing.T) {
	_, r, q := openFourUp(t)
	setLabels(t, r)
	p := r.view3D
	drain(t, q, 20*time.Second, "the surfaces", func() bool { return !p.building && p.built == p.gen })
	if p.err != nil {
		t.Fatal(p.err)
	}
	for _, name := range []string{surfaceTruth, surfacePred} {
		if _, ok := p.view.Scene.Surface(name); !ok {
			t.Fatalf("no %s surface in the 3D scene", name)
		}
	}
	if s, _ := p.view.Scene.Surface(surfacePred); s.Colors == nil || !p.distColour || !p.legend.Visible() {
		t.Error("the prediction is not coloured by its distance to the truth, with a legend")
	}
	if p.note.Text != "" {
		t.Errorf("note %q over the surfaces", p.note.Text)
	}
	if len(p.view.Planes) != 3 {
		t.Errorf("%d plane outlines in 3D, want 3", len(p.view.Planes))
	}
	// A click on the surface at the image's centre moves the cross-hair to the voxel there.
	img := p.draw(300, 300)
	p.Resize(fyne.NewSize(300, 300))
	lps, hit := p.view.Pick(150, 150)
	if !hit {
		t.Fatalf("no surface under the centre of the 3D image (%v)", img.Bounds())
	}
	p.Tapped(&fyne.PointEvent{Position: fyne.NewPos(150.5, 150.5)})
	idx, _ := r.vol.VoxelOf(lps)
	c := r.main.Renderer().AxialCanonical()
	var vox [3]int
	for a := range vox {
		vox[a] = int(math.Round(idx[a]))
	}
	i, j, k := c.FromVolume(vox)
	if got := r.planes.Point(); got != [3]int{i, j, k} {
		t.Errorf("after a click on the surface at %v: cross-hair %v, want %v", lps, got, [3]int{i, j, k})
	}
	if r.main.Slice() != k {
		t.Errorf("axial pane on slice %d, want %d", r.main.Slice(), k)
	}
	// Empty masks: no surface, and a note saying so.
	r.truth, r.pred = scan.NewMask(r.vol.Dims), scan.NewMask(r.vol.Dims)
	r.apply()
	drain(t, q, 20*time.Second, "the empty surfaces", func() bool { return !p.building && p.built == p.gen })
	if !p.view.Scene.Empty() || !strings.Contains(p.note.Text, "no liver") || p.legend.Visible() {
		t.Errorf("empty masks: scene empty %v, note %q, legend %v", p.view.Scene.Empty(), p.note.Text, p.legend.Visible())
	}
}

// TestFourUp3DFollowsEdit: while a label is edited the 3D pane shows it with the reference truth
// beside it, and a brush stroke rebuilds the label's surface (in the background) while the
// prediction's mesh is kept.
func TestFourUp3DFollowsEdit(t *testing.T) {
	_, r, q := openFourUp(t)
	setLabels(t, r)
	drain(t, q, 10*time.Second, "the case", func() bool { return r.caseID != "" })
	p := r.view3D
	upToDate := func() bool { return !p.building && p.built == p.gen && r.work == nil }
	drain(t, q, 20*time.Second, "the surfaces", upToDate)
	typeRune(r.main, 'e')
	drain(t, q, 10*time.Second, "the editor", func() bool { return r.editor != nil })
	drain(t, q, 20*time.Second, "the surfaces of the label", upToDate)
	if _, ok := p.view.Scene.Surface(surfaceRef); !ok {
		t.Fatal("no reference truth in 3D while editing")
	}
	label, _ := p.view.Scene.Surface(surfaceTruth)
	pred, _ := p.view.Scene.Surface(surfacePred)
	typeRune(r.main, 'b')
	r.editor.radiusMM = 3
	cor := r.planeViews[0]
	drag(cor, screenAt(cor, 2, 2), screenAt(cor, 8, 2))
	if p.built == p.gen {
		t.Fatal("the stroke did not ask for a new surface")
	}
	drain(t, q, 20*time.Second, "the surfaces after the stroke", upToDate)
	label2, _ := p.view.Scene.Surface(surfaceTruth)
	pred2, _ := p.view.Scene.Surface(surfacePred)
	if label2.Mesh == label.Mesh || label2.Mesh.Volume() <= label.Mesh.Volume() {
		t.Errorf("the label's surface after painting: %p (was %p), %.0f mm³ (was %.0f)", label2.Mesh, label.Mesh, label2.Mesh.Volume(), label.Mesh.Volume())
	}
	if pred2.Mesh != pred.Mesh {
		t.Error("the prediction's mesh was built again though the prediction did not change")
	}
	typeRune(r.main, 'e') // stop editing: the reference truth is the truth again
	drain(t, q, 20*time.Second, "the surfaces after editing", upToDate)
	if _, ok := p.view.Scene.Surface(surfaceRef); ok {
		t.Error("a reference surface after editing stopped")
	}
}
