package ui

import (
	"fmt"
	"image/color"

	"fyne.io/fyne/v2"
)

// The overlay colours and opacity a reviewer chose are kept in the application's preferences, so
// that the next session looks as this one did (a reader with deuteranopia picks other colours
// once, not every morning).
const (
	prefTruthColour = "overlay.truth.colour" // "#rrggbb"
	prefPredColour  = "overlay.prediction.colour"
	prefOpacity     = "overlay.opacity" // 0.1..1
)

// overlayLook is what the preferences keep of the overlays.
type overlayLook struct {
	truth, pred color.RGBA
	opacity     float64
}

// loadOverlayLook reads the preferences over def; a missing or malformed entry keeps def's.
func loadOverlayLook(p fyne.Preferences, def overlayLook) overlayLook {
	l := def
	if c, ok := parseHexColour(p.String(prefTruthColour)); ok {
		l.truth = c
	}
	if c, ok := parseHexColour(p.String(prefPredColour)); ok {
		l.pred = c
	}
	if o := p.FloatWithFallback(prefOpacity, -1); o >= 0.1 && o <= 1 {
		l.opacity = o
	}
	return l
}

// saveOverlayLook writes l to the preferences.
func saveOverlayLook(p fyne.Preferences, l overlayLook) {
	p.SetString(prefTruthColour, hexColour(l.truth))
	p.SetString(prefPredColour, hexColour(l.pred))
	p.SetFloat(prefOpacity, l.opacity)
}

func hexColour(c color.RGBA) string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

// parseHexColour reads "#rrggbb".
func parseHexColour(s string) (color.RGBA, bool) {
	var r, g, b uint8
	if len(s) != 7 || s[0] != '#' {
		return color.RGBA{}, false
	}
	if n, err := fmt.Sscanf(s, "#%02x%02x%02x", &r, &g, &b); n != 3 || err != nil {
		return color.RGBA{}, false
	}
	return color.RGBA{r, g, b, 255}, true
}
