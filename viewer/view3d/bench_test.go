package view3d

import (
	"image"
	"image/color"
	"testing"
)

// caseSevenScene is a scene the size of IRCAD case 7's review: a translucent truth and a
// prediction coloured by distance, each about 100 000 triangles (geodesic frequency 71: 100 820),
// liver-sized (200 × 150 × 160 mm).
func caseSevenScene(tb testing.TB) *View {
	c, radii := [3]float64{-60, 20, -120}, [3]float64{100, 75, 80}
	truth := blob(71, c, radii, 0.12, 0)
	pred := blob(71, c, radii, 0.13, 0.3)
	dist := make([]float32, len(pred.Vertices))
	for i, p := range pred.Vertices {
		// a stand-in for mesh.SignedDistance: how far the rippled radius moved, roughly
		q, r := truth.Vertices[i], [3]float64{}
		for a := 0; a < 3; a++ {
			r[a] = float64(p[a]) - c[a]
			q[a] -= float32(c[a])
		}
		dist[i] = float32(dot(r, r)-float64(q[0]*q[0]+q[1]*q[1]+q[2]*q[2])) / 200
	}
	v := NewView(nil)
	if err := v.Scene.Set("truth", Surface{Mesh: truth, Color: color.RGBA{R: 235, G: 225, B: 205, A: 255}, Opacity: 0.35}); err != nil {
		tb.Fatal(err)
	}
	if err := v.Scene.Set("prediction", Surface{Mesh: pred, Colors: DistanceScale{}.Colors(nil, dist), Opacity: 1}); err != nil {
		tb.Fatal(err)
	}
	return v
}

// BenchmarkRender800Rotating draws the case-7-sized scene at 800 × 800, turning it a little
// every frame, as a drag does (the target: 20 frames a second, 50 ms, on one core).
func BenchmarkRender800Rotating(b *testing.B) { benchRotating(b, caseSevenScene(b)) }

// benchRotating renders v at 800 x 800, turning it a little every frame.
func benchRotating(b *testing.B, v *View) {
	img := image.NewRGBA(image.Rect(0, 0, 800, 800))
	v.Render(img)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		v.Camera.Rotate(7, 3)
		v.Render(img)
	}
}

// BenchmarkPick800 is a click on the case-7-sized scene: a ray against its 200 000 triangles.
func BenchmarkPick800(b *testing.B) {
	v := caseSevenScene(b)
	v.Render(image.NewRGBA(image.Rect(0, 0, 800, 800)))
	if _, ok := v.Pick(400, 400); !ok {
		b.Fatal("the centre pixel shows no surface")
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		v.Pick(300+i%200, 400)
	}
}
