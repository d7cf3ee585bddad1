//go:build ignore

// Draws assets/icon.png, the application icon: a stylised liver on a dark rounded square.
// Run from the repository root: go run assets/icon_gen.go
package main

import (
	"image"
	"image/color"
	"image/png"
	"log"
	"math"
	"os"
)

const size = 256
const ss = 4 // supersamples per axis

// inEllipse reports whether (x, y) lies in the ellipse centred at (cx, cy), radii rx, ry, turned by a radians.
func inEllipse(x, y, cx, cy, rx, ry, a float64) bool {
	dx, dy := x-cx, y-cy
	c, s := math.Cos(a), math.Sin(a)
	u, v := dx*c+dy*s, -dx*s+dy*c
	return u*u/(rx*rx)+v*v/(ry*ry) <= 1
}

// liver: a broad right lobe (left of the picture, as a radiologist sees it) tapering into the
// left lobe, with a notch cut from its lower edge.
func liver(x, y float64) bool {
	body := inEllipse(x, y, 108, 124, 82, 66, -0.25) || inEllipse(x, y, 160, 108, 70, 34, -0.12)
	notch := inEllipse(x, y, 146, 176, 24, 30, 0.3)
	return body && !notch
}

func highlight(x, y float64) bool { return inEllipse(x, y, 96, 98, 44, 22, -0.45) }

func background(x, y float64) bool {
	const r, m = 44.0, 8.0 // corner radius, margin
	cx := math.Max(m+r, math.Min(x, size-m-r))
	cy := math.Max(m+r, math.Min(y, size-m-r))
	return (x-cx)*(x-cx)+(y-cy)*(y-cy) <= r*r
}

func main() {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	bg := [3]float64{0x1d, 0x22, 0x2e}
	red := [3]float64{0xb0, 0x35, 0x2e}
	light := [3]float64{0xd9, 0x5f, 0x4f}
	for py := 0; py < size; py++ {
		for px := 0; px < size; px++ {
			var r, g, b, a float64
			for sy := 0; sy < ss; sy++ {
				for sx := 0; sx < ss; sx++ {
					x := float64(px) + (float64(sx)+0.5)/ss
					y := float64(py) + (float64(sy)+0.5)/ss
					if !background(x, y) {
						continue
					}
					c := bg
					if liver(x, y) {
						c = red
						if highlight(x, y) {
							c = light
						}
					}
					r, g, b, a = r+c[0], g+c[1], b+c[2], a+1
				}
			}
			if a == 0 {
				continue
			}
			img.SetNRGBA(px, py, color.NRGBA{uint8(r / a), uint8(g / a), uint8(b / a), uint8(255 * a / (ss * ss))})
		}
	}
	f, err := os.Create("assets/icon.png")
	if err != nil {
		log.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}
