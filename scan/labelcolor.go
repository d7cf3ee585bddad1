package scan

import (
	"image/color"
	"math"
)

// The colours the GUI draws labels in unless the user picks others: viewer's defaults are these,
// so that a SEG recommends the colour a reader saw.
var (
	ColorTruth      = color.RGBA{0, 200, 255, 255} // a reference label (truth, a corrected label)
	ColorPrediction = color.RGBA{255, 64, 64, 255} // the model's prediction
)

// displayColor is the colour a label written with meta is shown in: the one meta names, else the
// GUI's default for what made it (a model's output is shown as the prediction).
func displayColor(meta LabelMeta, algType string) color.RGBA {
	switch {
	case meta.Color.A != 0:
		return meta.Color
	case algType == AlgorithmAutomatic:
		return ColorPrediction
	}
	return ColorTruth
}

// DICOMLab converts an sRGB colour to CIELab (D65 white) in DICOM's encoding of
// RecommendedDisplayCIELabValue (PS3.3 C.10.7.1.1): L* 0..100 and a*, b* -128..127 scaled to
// 0..65535.
func DICOMLab(c color.RGBA) [3]int {
	L, a, b := cieLab(c)
	scale := func(v, lo, hi float64) int {
		return int(math.Round(math.Min(math.Max((v-lo)/(hi-lo), 0), 1) * 65535))
	}
	return [3]int{scale(L, 0, 100), scale(a, -128, 127), scale(b, -128, 127)}
}

// cieLab is the CIELab colour (D65) of an sRGB colour (IEC 61966-2-1), the alpha ignored.
func cieLab(c color.RGBA) (L, a, b float64) {
	lin := func(v uint8) float64 {
		s := float64(v) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	r, g, bl := lin(c.R), lin(c.G), lin(c.B)
	// sRGB to XYZ, relative to the D65 white (0.95047, 1, 1.08883).
	x := (0.4124564*r + 0.3575761*g + 0.1804375*bl) / 0.95047
	y := 0.2126729*r + 0.7151522*g + 0.0721750*bl
	z := (0.0193339*r + 0.1191920*g + 0.9503041*bl) / 1.08883
	f := func(t float64) float64 {
		const d = 6.0 / 29
		if t > d*d*d {
			return math.Cbrt(t)
		}
		return t/(3*d*d) + 4.0/29
	}
	fx, fy, fz := f(x), f(y), f(z)
	return 116*fy - 16, 500 * (fx - fy), 200 * (fy - fz)
}
