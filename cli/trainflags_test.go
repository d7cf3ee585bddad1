package cli

import (
	"flag"
	"io"
	"strings"
	"testing"

	"liverseg/training"
)

// TestHyperFlags: only the flags given change the config, in their order; a bad value names its
// flag.
func TestHyperFlags(t *testing.T) {
	parse := func(args ...string) (*hyperFlags, error) {
		fs := flag.NewFlagSet("train", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		var h hyperFlags
		h.add(fs)
		return &h, fs.Parse(args)
	}
	h, err := parse("--epochs", "7", "--lr", "3e-4", "--size", "192", "--optimizer", "sgd", "--no-augment", "--patience", "0", "--epochs", "9")
	if err != nil {
		t.Fatal(err)
	}
	var cfg training.Config
	cfg.Train.Batch, cfg.Train.Dropout, cfg.Train.Patience = 4, 0.1, 3
	h.apply(&cfg)
	p := cfg.Train
	if p.Epochs != 9 || p.LR != 3e-4 || cfg.Contract.InputSize != [2]int{192, 192} || p.Optimizer != "sgd" || !p.Augment.Disabled || p.Patience != 0 {
		t.Errorf("given flags: %+v, input %v", p, cfg.Contract.InputSize)
	}
	if p.Batch != 4 || p.Dropout != 0.1 || p.Schedule != "" {
		t.Errorf("flags not given changed the config: %+v", p)
	}
	for _, bad := range [][]string{{"--epochs", "ten"}, {"--lr", "fast"}, {"--no-augment=maybe"}} {
		if _, err := parse(bad...); err == nil || !strings.Contains(err.Error(), strings.SplitN(strings.TrimPrefix(bad[0], "--"), "=", 2)[0]) {
			t.Errorf("%q: %v, want an error naming the flag", bad, err)
		}
	}
}
