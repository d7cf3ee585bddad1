package training

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"liverseg/scan"
)

// box is a mask of dims with the voxels of columns x0..x1, rows y0..y1, slices z0..z1 set.
func box(dims [3]int, x0, x1, y0, y1, z0, z1 int) *scan.Mask {
	m := scan.NewMask(dims)
	for z := z0; z <= z1; z++ {
		for y := y0; y <= y1; y++ {
			for x := x0; x <= x1; x++ {
				m.SetIJK(x, y, z, scan.Liver)
			}
		}
	}
	return m
}

// volumeCase is a "volume" level case scored as evalVolumes scores one: Compare and
// CompareSurfaces of pred against truth.
func volumeCase(t *testing.T, name, split string, truth, pred *scan.Mask, spacing [3]float64) *CaseEval {
	t.Helper()
	m, err := scan.Compare(truth, pred, spacing[0]*spacing[1]*spacing[2]/1000)
	if err != nil {
		t.Fatal(err)
	}
	sf, err := scan.CompareSurfaces(truth, pred, spacing)
	if err != nil {
		t.Fatal(err)
	}
	m.SurfaceFigures = &sf
	return &CaseEval{Name: name, Split: split, Kind: "volume", Level: "volume", Metrics: *m}
}

// TestReportSurfaceFigures: a report scored on whole series carries each series' surface
// distances and their mean over the validation series into metrics.json, index.html and the
// model card; a validation series with an empty prediction leaves the mean without figures, its
// reason naming the case.
func TestReportSurfaceFigures(t *testing.T) {
	dims, sp := [3]int{24, 20, 8}, [3]float64{0.8, 0.8, 2.5}
	truth := box(dims, 4, 15, 3, 14, 1, 6)
	val1 := volumeCase(t, "val-1", "val", truth, box(dims, 6, 17, 3, 14, 1, 6), sp) // 2 columns off
	val2 := volumeCase(t, "val-2", "val", truth, box(dims, 4, 15, 3, 14, 2, 6), sp) // one slice missing
	train := volumeCase(t, "train-1", "train", truth, truth, sp)
	for _, c := range []*CaseEval{val1, val2, train} {
		if c.SurfaceFigures == nil || c.HD95 == nil {
			t.Fatalf("%s: %+v", c.Name, c.SurfaceFigures)
		}
	}
	r := &Report{Version: "v-test", Job: "job-1", Volumes: []*CaseEval{train, val1, val2},
		Contract: ManifestContract{Window: [2]float64{-100, 200}, InputSize: [2]int{64, 64}}}
	r.summarise()
	if r.ValLevel != "volume" || r.Val.SurfaceFigures == nil || r.Val.HD95 == nil {
		t.Fatalf("level %q, validation surface figures %+v", r.ValLevel, r.Val.SurfaceFigures)
	}
	mean := func(a, b *float64) float64 { return (*a + *b) / 2 }
	if got, want := *r.Val.HD95, mean(val1.HD95, val2.HD95); math.Abs(got-want) > 1e-12 {
		t.Errorf("validation HD95 %v, the mean of the validation series %v", got, want)
	}
	if got, want := *r.Val.NSD2mm, mean(val1.NSD2mm, val2.NSD2mm); math.Abs(got-want) > 1e-12 {
		t.Errorf("validation NSD %v, the mean of the validation series %v", got, want)
	}
	if math.Abs(*val1.HD95-1.6) > 1e-6 || *train.HD95 != 0 || *train.NSD2mm != 1 {
		t.Errorf("HD95 %v (2 columns of 0.8 mm off), the perfect case's HD95 %v and NSD %v", *val1.HD95, *train.HD95, *train.NSD2mm)
	}

	dir := t.TempDir()
	if err := r.Write(dir); err != nil {
		t.Fatal(err)
	}
	var mj struct {
		Val struct {
			HD95 *float64 `json:"hd95_mm"`
			ASSD *float64 `json:"assd_mm"`
			NSD  *float64 `json:"nsd_2mm"`
		} `json:"val"`
		Volumes []struct {
			Name string   `json:"name"`
			HD95 *float64 `json:"hd95_mm"`
			ASSD *float64 `json:"assd_mm"`
			NSD  *float64 `json:"nsd_2mm"`
		} `json:"volumes"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "metrics.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &mj); err != nil || mj.Val.HD95 == nil || *mj.Val.HD95 != *r.Val.HD95 || mj.Val.NSD == nil || len(mj.Volumes) != 3 {
		t.Fatalf("metrics.json: %v\n%.600s", err, b)
	}
	for i, v := range mj.Volumes {
		c := r.Volumes[i]
		if v.Name != c.Name || v.HD95 == nil || *v.HD95 != *c.HD95 || v.ASSD == nil || *v.ASSD != *c.ASSD || v.NSD == nil || *v.NSD != *c.NSD2mm {
			t.Errorf("metrics.json volume %d: %+v, want %s's %+v", i, v, c.Name, *c.SurfaceFigures)
		}
	}
	html, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	cells := fmt.Sprintf("<td>%.2f</td><td>%.2f</td><td>%.4f</td>", *val1.HD95, *val1.ASSD, *val1.NSD2mm)
	summary := fmt.Sprintf("HD95 %.2f mm, ASSD %.2f mm, NSD at 2 mm %.4f", *r.Val.HD95, *r.Val.ASSD, *r.Val.NSD2mm)
	for _, want := range []string{"<th>HD95 mm</th><th>ASSD mm</th><th>NSD 2 mm</th>", cells, summary} {
		if !strings.Contains(string(html), want) {
			t.Errorf("index.html lacks %q", want)
		}
	}
	card := filepath.Join(dir, "MODEL_CARD.md")
	if err := WriteModelCard(card, r); err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(card)
	row := fmt.Sprintf("| val-1 | val | %.4f | %.4f | %.2f | %.2f | %.4f |", val1.Dice, val1.IoU, *val1.HD95, *val1.ASSD, *val1.NSD2mm)
	for _, want := range []string{"| HD95 mm | ASSD mm | NSD 2 mm |", row, summary} {
		if !strings.Contains(string(md), want) {
			t.Errorf("the model card lacks %q:\n%s", want, md)
		}
	}

	// An empty prediction on a validation series: no mean, the reason, and "–" in its row.
	empty := volumeCase(t, "val-3", "val", truth, scan.NewMask(dims), sp)
	r.Volumes = append(r.Volumes, empty)
	r.summarise()
	if sf := r.Val.SurfaceFigures; sf == nil || sf.HD95 != nil || sf.ASSD != nil || sf.NSD2mm != nil ||
		sf.Reason != "val-3: no liver in the prediction: no surface to measure" {
		t.Fatalf("validation figures with an empty prediction: %+v", sf)
	}
	if err := r.Write(dir); err != nil {
		t.Fatal(err)
	}
	html, _ = os.ReadFile(filepath.Join(dir, "index.html"))
	for _, want := range []string{
		"none (val-3: no liver in the prediction: no surface to measure)",
		`<td title="no liver in the prediction: no surface to measure">–</td><td>–</td><td>–</td>`,
	} {
		if !strings.Contains(string(html), want) {
			t.Errorf("index.html lacks %q", want)
		}
	}
	b, _ = os.ReadFile(filepath.Join(dir, "metrics.json"))
	if !strings.Contains(string(b), `"hd95_mm": null`) || !strings.Contains(string(b), `"surface_reason": "val-3: no liver in the prediction: no surface to measure"`) {
		t.Errorf("metrics.json with an empty prediction:\n%.800s", b)
	}

	// Scored at the model's input size only: no surface distances anywhere.
	r = &Report{Cases: []*CaseEval{{Name: "s", Split: "val", Kind: "slices", Level: "slices", Metrics: scan.Metrics{Dice: 0.9}}}}
	r.summarise()
	if r.ValLevel != "slices" || r.Val.SurfaceFigures != nil {
		t.Errorf("slices level: %q, %+v", r.ValLevel, r.Val.SurfaceFigures)
	}
}
