package training

import (
	"encoding/json"
	"fmt"
	"html/template"
	"liverseg/scan"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Grid is the search space of random trials.
type Grid struct {
	Batch     []int     `json:"batch"`
	LR        []float64 `json:"lr"`
	Dropout   []float64 `json:"dropout"`
	Optimizer []string  `json:"optimizer"`
	Epochs    []int     `json:"epochs"`
}

// StudyGrid is the original study's grid.
func StudyGrid() Grid {
	return Grid{Batch: []int{4, 8, 16}, LR: []float64{1e-3, 1e-4, 1e-5}, Dropout: []float64{0.1, 0.2, 0.3, 0.4, 0.5},
		Optimizer: []string{"adam", "sgd"}, Epochs: []int{10, 15, 20}}
}

// Size is the number of distinct points of the grid.
func (g Grid) Size() int {
	return len(g.Batch) * len(g.LR) * len(g.Dropout) * len(g.Optimizer) * len(g.Epochs)
}

// Sample draws n distinct points of the grid (all of them when n is larger), over base.
func (g Grid) Sample(n int, seed int64, base Params) []Params {
	r := rand.New(rand.NewSource(seed))
	perm := r.Perm(g.Size())
	if n > len(perm) {
		n = len(perm)
	}
	out := make([]Params, 0, n)
	for _, i := range perm[:n] {
		p := base
		p.Batch = g.Batch[i%len(g.Batch)]
		i /= len(g.Batch)
		p.LR = g.LR[i%len(g.LR)]
		i /= len(g.LR)
		p.Dropout = g.Dropout[i%len(g.Dropout)]
		i /= len(g.Dropout)
		p.Optimizer = g.Optimizer[i%len(g.Optimizer)]
		i /= len(g.Optimizer)
		p.Epochs = g.Epochs[i%len(g.Epochs)]
		out = append(out, p)
	}
	return out
}

// Trial is one job of a search.
type Trial struct {
	N         int          `json:"n"`
	Dir       string       `json:"dir"`
	Params    Params       `json:"params"`
	Status    string       `json:"status"` // done, failed, cancelled, pending
	Error     string       `json:"error,omitempty"`
	Val       scan.Metrics `json:"val"` // the validation figures of its report (Report.Val)
	BestEpoch int          `json:"best_epoch"`
	Epochs    int          `json:"epochs_run"`
	Seconds   float64      `json:"seconds"`
	Rank      int          `json:"rank,omitempty"`
}

// Fill takes a finished trial's figures from its report.
func (t *Trial) Fill(r *Report) {
	t.Status = "done"
	t.Val = r.Val
	t.BestEpoch, t.Epochs, t.Seconds = r.BestEpoch, r.Epochs, r.TrainSeconds
}

// Rank orders the trials by validation Dice, best first (failed ones last) and numbers them.
func Rank(trials []Trial) {
	sort.SliceStable(trials, func(i, j int) bool {
		a, b := trials[i], trials[j]
		if (a.Status == "done") != (b.Status == "done") {
			return a.Status == "done"
		}
		return a.Val.Dice > b.Val.Dice
	})
	for i := range trials {
		if trials[i].Status == "done" {
			trials[i].Rank = i + 1
		}
	}
}

// WriteSearchSummary writes summary.json and summary.html (a table of all trials, ranked) into dir.
func WriteSearchSummary(dir string, trials []Trial) error {
	b, err := json.MarshalIndent(trials, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "summary.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	var h strings.Builder
	rel := func(p string) string {
		if r, err := filepath.Rel(dir, p); err == nil {
			return r
		}
		return p
	}
	err = searchHTML.Execute(&h, map[string]any{"Trials": trials, "Rel": rel})
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "summary.html"), []byte(h.String()), 0o644)
}

var searchHTML = template.Must(template.New("search").Funcs(template.FuncMap{
	"f4":  func(v float64) string { return fmt.Sprintf("%.4f", v) },
	"rel": func(f func(string) string, p string) string { return f(p) },
}).Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>liverseg search</title>
<style>body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}th{background:#f3f3f3}</style></head><body>
<h1>Random search: {{len .Trials}} trials over the original study's grid</h1>
<p>Ranked by validation Dice (the whole pipeline on the validation series where it ran, else at the model's input size).</p>
<table><tr><th>rank</th><th>trial</th><th>optimizer</th><th>lr</th><th>batch</th><th>dropout</th><th>epochs</th><th>run / best</th><th>val Dice</th><th>mIoU</th><th>mPA</th><th>study mIoU</th><th>study mPA</th><th>seconds</th><th>report</th></tr>
{{range .Trials}}<tr><td>{{if .Rank}}{{.Rank}}{{else}}–{{end}}</td><td>{{.N}}</td><td>{{.Params.Optimizer}}</td><td>{{.Params.LR}}</td><td>{{.Params.Batch}}</td><td>{{.Params.Dropout}}</td><td>{{.Params.Epochs}}</td>
{{if eq .Status "done"}}<td>{{.Epochs}} / {{.BestEpoch}}</td><td>{{f4 .Val.Dice}}</td><td>{{f4 .Val.MIoU}}</td><td>{{f4 .Val.MPA}}</td><td>{{f4 .Val.StudyMIoU}}</td><td>{{f4 .Val.StudyMPA}}</td><td>{{printf "%.0f" .Seconds}}</td><td><a href="{{rel $.Rel .Dir}}/report/index.html">report</a></td>
{{else}}<td colspan="8" style="text-align:left">{{.Status}} {{.Error}}</td>{{end}}</tr>
{{end}}</table></body></html>
`))
