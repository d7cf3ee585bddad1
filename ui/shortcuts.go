package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// shortcut is one line of the help dialog: the keys, what they do and, for the review's keys,
// the action. The slice view's own keys and mouse gestures (do nil) are handled by
// sliceview.View and listed here so that the help lists everything in one place.
type shortcut struct {
	keys  string // as the help shows them
	what  string
	runes string                   // typed runes that trigger it
	names []fyne.KeyName           // keys by name that trigger it
	do    func(r *review, ru rune) // ru: the typed rune, 0 for a key by name
}

// on makes an action that ignores which of its keys was typed.
func on(f func(*review)) func(*review, rune) { return func(r *review, _ rune) { f(r) } }

// shortcuts is every key and gesture of the review, in the order the help lists them. (A
// function, not a variable: the actions refer back to handleKey, which reads the table.)
func shortcuts() []shortcut {
	return []shortcut{
		{keys: "Wheel, Up/Down", what: "next / previous slice (Up: toward the head)"},
		{keys: "PgUp/PgDn, Home/End", what: "10 slices, first / last slice"},
		{keys: "Ctrl+wheel, + / -", what: "zoom in / out"},
		{keys: "0", what: "show the whole slice"},
		{keys: "Left or middle drag", what: "pan"},
		{keys: "Right drag", what: "window: horizontal width, vertical level"},
		{keys: "1, 2, 3", what: "liver 150/90, abdomen 400/40, the series' own window"},
		{keys: "C", what: "cross-hair (four-up: the point the planes go through) on / off"},
		{keys: "Click (Ctrl+click while editing)", what: "four-up: move the cross-hair there; the other planes follow"},
		{keys: "M or F5", what: "run the model on this series", runes: "mM", names: []fyne.KeyName{fyne.KeyF5}, do: on((*review).runModel)},
		{keys: "L", what: "load a truth or another reader's label", runes: "lL", do: on((*review).chooseTruth)},
		{keys: "T", what: "truth overlay on / off", runes: "t", do: on(func(r *review) { r.toggle(&r.showTruth) })},
		{keys: "Shift+T", what: "truth as fill / outline", runes: "T", do: on(func(r *review) { r.cycleMode(&r.truthMode) })},
		{keys: "P", what: "prediction overlay on / off", runes: "p", do: on(func(r *review) { r.toggle(&r.showPred) })},
		{keys: "Shift+P", what: "prediction as fill / outline", runes: "P", do: on(func(r *review) { r.cycleMode(&r.predMode) })},
		{keys: "[ / ]", what: "overlays more transparent / more opaque", runes: "[]", do: (*review).opacityKey},
		{keys: "D", what: "difference view: agreement, false positive, false negative", runes: "dD", do: on(func(r *review) { r.toggle(&r.difference) })},
		{keys: "U", what: "uncertainty: off, band (0.25 < p < 0.75), heat", runes: "uU", do: on((*review).cycleUncertainty)},
		{keys: "S", what: "side by side: image | truth | prediction", runes: "sS", do: on((*review).toggleSideBySide)},
		{keys: "O", what: "maximise the pane under the pointer / back to the four panes", runes: "oO", do: on((*review).toggleMaximise)},
		{keys: "N / Shift+N", what: "next / previous slice of the disagreement list (worst first)", runes: "nN", do: (*review).disagreementKey},
		{keys: "W", what: "the cases of the workspace with their review status; open one", runes: "wW", do: on(func(r *review) { r.s.showWorkList() })},
		{keys: "J / Shift+J", what: "the next case to review (the workspace's next not completed); Shift: mark this one completed first", runes: "jJ", do: (*review).nextCaseKey},
		{keys: "E", what: "edit the label (the workspace's latest version, else the truth or the prediction) / stop", runes: "eE", do: on((*review).openEditor)},
		{keys: "B, X, G", what: "edit: brush, eraser, brush within the HU range", runes: "bxXgG", do: (*review).toolKey},
		{keys: "F / Shift+F", what: "edit: flood fill / flood erase of the region clicked", runes: "fF", do: (*review).toolKey},
		{keys: "A / Shift+A", what: "edit: lasso fill / lasso cut (drag around the region)", runes: "aA", do: (*review).toolKey},
		{keys: "Q", what: "edit: AI click (axial): click liver here, right click or Shift+click not liver; the interactive model redraws the slice", runes: "qQ", do: (*review).toolKey},
		{keys: ", / .", what: "edit: brush radius smaller / larger", runes: ",.", do: (*review).toolKey},
		{keys: "K, I", what: "edit: keep the largest component; interpolate between edited slices", runes: "kKiI", do: (*review).toolKey},
		{keys: "V / Shift+V", what: "edit: accept the prediction on this slice / everywhere", runes: "vV", do: (*review).toolKey},
		{keys: "Ctrl+Z, Ctrl+Shift+Z", what: "edit: undo, redo"},
		{keys: "Ctrl+S", what: "edit: save the label as a new version in the workspace"},
		{keys: "H or F1", what: "this help", runes: "hH?", names: []fyne.KeyName{fyne.KeyF1}, do: on((*review).showHelp)},
	}
}

// handleKey runs the review's shortcut for a key the slice view did not use.
func (r *review) handleKey(name fyne.KeyName, ru rune) bool {
	for _, s := range shortcuts() {
		if s.do == nil {
			continue
		}
		if ru != 0 && strings.ContainsRune(s.runes, ru) {
			s.do(r, ru)
			return true
		}
		for _, n := range s.names {
			if name != "" && n == name {
				s.do(r, 0)
				return true
			}
		}
	}
	return false
}

// helpText is the shortcut table as text, one line a shortcut.
func helpText() string {
	var b strings.Builder
	for _, s := range shortcuts() {
		b.WriteString(s.keys + "\t" + s.what + "\n")
	}
	return b.String()
}

// showHelp lists every shortcut in a dialog.
func (r *review) showHelp() {
	grid := container.NewGridWithColumns(2)
	for _, s := range shortcuts() {
		k := widget.NewLabelWithStyle(s.keys, fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})
		grid.Add(k)
		grid.Add(widget.NewLabel(s.what))
	}
	d := dialog.NewCustom("Keyboard and mouse", "Close", container.NewVScroll(grid), r.s.win)
	d.Resize(fyne.NewSize(760, 620))
	r.help = d
	d.Show()
}
