package ui

// The retrain dialog's table of the old and the new model on each case: Dice and the surface
// distances, each with its change and whether that change is for the better (higher Dice and
// NSD, lower HD95 and ASSD). No Fyne here: showResult lays the rows out.

import (
	"fmt"
	"math"

	"liverseg/scan"
	"liverseg/training"
)

// scoreRow is one row of the table: a case's figure by the old and by the new model.
type scoreRow struct {
	Case, Figure, Old, New, Change string
}

// scoreRows are the rows of case s (what says how it took part: held out, trained on): Dice, HD95,
// ASSD and NSD at 2 mm. Where a model's mask or the label is empty the surface figures are
// "none" and notes say why, naming the case and the model.
func scoreRows(s training.CaseScore, what, oldModel, newModel string) (rows []scoreRow, notes []string) {
	type figure struct {
		name         string
		old, new     *float64
		digits       int // shown after the point
		unit         string
		higherBetter bool
	}
	oldS, newS := s.OldSurface, s.NewSurface
	figures := []figure{
		{"Dice", &s.OldDice, &s.NewDice, 4, "", true},
		{"HD95", oldS.HD95, newS.HD95, 2, " mm", false},
		{"ASSD", oldS.ASSD, newS.ASSD, 2, " mm", false},
		{fmt.Sprintf("NSD %g mm", scan.NSDTolerance), oldS.NSD2mm, newS.NSD2mm, 4, "", true},
	}
	for i, f := range figures {
		row := scoreRow{Figure: f.name, Old: "none", New: "none", Change: "–"}
		if i == 0 {
			row.Case = s.CaseID + what
		}
		if f.old != nil {
			row.Old = fmt.Sprintf("%.*f%s", f.digits, *f.old, f.unit)
		}
		if f.new != nil {
			row.New = fmt.Sprintf("%.*f%s", f.digits, *f.new, f.unit)
		}
		if f.old != nil && f.new != nil {
			// The change as shown: one too small to show is no change.
			d := math.Round((*f.new-*f.old)*math.Pow10(f.digits)) / math.Pow10(f.digits)
			row.Change = fmt.Sprintf("%+.*f%s %s", f.digits, d, f.unit, verdict(d, f.higherBetter))
		}
		rows = append(rows, row)
	}
	for _, m := range []struct {
		model string
		sf    scan.SurfaceFigures
	}{{oldModel, oldS}, {newModel, newS}} {
		if m.sf.HD95 == nil {
			notes = append(notes, fmt.Sprintf("%s, %s: no surface distances: %s", s.CaseID, m.model, m.sf.Reason))
		}
	}
	return rows, notes
}

// verdict says whether a change d of a figure is for the better.
func verdict(d float64, higherBetter bool) string {
	switch {
	case d == 0:
		return "(same)"
	case (d > 0) == higherBetter:
		return "(better)"
	}
	return "(worse)"
}
