package inference

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// defaultModelFile is the model built into liverseg (assets/model.onnx), the real model whose
// metadata the contract tests rewrite.
func defaultModelFile(t *testing.T) string {
	t.Helper()
	p := filepath.Join("..", "assets", "model.onnx")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("the built-in model: %v", err)
	}
	return p
}

// TestOpenModelValidatesContract (issue 20, item 5): a copy of the built-in model with one
// contract value made NaN, infinite, out of range or disordered is refused when it opens, with
// an error naming the file, the key and the value (before, threshold=NaN ran and gave 552 ml
// for 270, window=-Inf,Inf gave 0 ml, both without a word).
func TestOpenModelValidatesContract(t *testing.T) {
	lib := testLibrary(t)
	ctx := context.Background()
	src := defaultModelFile(t)
	opt := Options{LibraryPath: lib, Device: DeviceCPU, Threads: 1}

	// The model as it is opens, with the contract its metadata states.
	m, err := OpenModel(ctx, src, opt)
	if err != nil {
		t.Fatal(err)
	}
	if c := m.Contract(); c.Threshold != 0.5 || c.WindowLow != -200 || c.WindowHigh != 300 || c.Channels != 3 || c.ValDice <= 0 {
		t.Errorf("built-in model's contract %+v", c)
	}
	m.Close()

	bad := map[string][]string{
		KeyContract:    {"2", "0", "NaN", "1.0"},
		KeyChannels:    {"NaN", "Inf", "0", "2", "-3", "17", "3.0"},
		KeyWindow:      {"NaN,300", "-200,NaN", "-Inf,Inf", "-Inf,300", "-200,+Inf", "300,-200", "100,100", "100,100.5", "-40000,300", "-200,1e9", "-200", "-200,300,400", "a,b"},
		KeyInputSize:   {"NaN,192", "Inf,192", "0,192", "192,-1", "192,5000", "192", "192.5,192", "7,192"},
		KeyOrientation: {"RAS", "lps"},
		KeyThreshold:   {"NaN", "nan", "Inf", "+Inf", "-Inf", "infinity", "0", "1", "-0.5", "1.5", "half"},
		KeyValDice:     {"NaN", "Inf", "-0.1", "1.5", "good"},
		KeyCreated:     {"yesterday", "2026-11-26"},
		KeyVersion:     {"v1\x1b[31m", "a\x00b", "\xff\xfe"},
		KeyParent:      {"p\x07"},
		KeyTrainedOn:   {strings.Repeat("x", 1<<16+1)},
	}
	required := []string{KeyContract, KeyChannels, KeyWindow, KeyInputSize, KeyOrientation, KeyThreshold}
	dir := t.TempDir()
	n := 0
	check := func(name, key string, meta map[string]string, want string) {
		t.Run(name, func(t *testing.T) {
			n++
			p := filepath.Join(dir, "m"+itoa(n)+".onnx")
			copyTo(t, src, p)
			if err := StampMetadata(ctx, p, meta); err != nil {
				t.Fatal(err)
			}
			m, err := OpenModel(ctx, p, opt)
			if err == nil {
				c := m.Contract()
				m.Close()
				t.Fatalf("opened with %s=%q: contract %+v", key, meta[key], c)
			}
			if !errors.Is(err, ErrContract) || !strings.HasPrefix(err.Error(), p+": ") || !strings.Contains(err.Error(), want) {
				t.Fatalf("error %q, want %s: ...%s...", err, p, want)
			}
		})
	}
	for key, values := range bad {
		for _, v := range values {
			name := key + "=" + v
			if len(v) > maxShown {
				name = key + "=" + v[:20] + "..."
			}
			check(name, key, map[string]string{key: v}, shownAs(key, v))
		}
	}
	for _, key := range required {
		check("no "+key, key, map[string]string{key: ""}, "no "+key)
	}
}

// TestParseContractGood: the values the contract allows at its edges parse as they read.
func TestParseContractGood(t *testing.T) {
	base := DefaultContract().Metadata()
	cases := []struct {
		key, value string
		check      func(Contract) bool
	}{
		{KeyThreshold, "0.001", func(c Contract) bool { return c.Threshold == 0.001 }},
		{KeyThreshold, " 0.999 ", func(c Contract) bool { return c.Threshold == 0.999 }},
		{KeyWindow, "-32768,32767", func(c Contract) bool { return c.WindowLow == -32768 && c.WindowHigh == 32767 }},
		{KeyWindow, "40, 41", func(c Contract) bool { return c.WindowLow == 40 && c.WindowHigh == 41 }},
		{KeyInputSize, "8,4096", func(c Contract) bool { return c.InputH == 8 && c.InputW == 4096 }},
		{KeyChannels, "15", func(c Contract) bool { return c.Channels == 15 }},
		{KeyValDice, "0.9641", func(c Contract) bool { return c.ValDice == 0.9641 }},
		{KeyCreated, "2026-11-26T18:09:00Z", func(c Contract) bool { return c.Created == "2026-11-26T18:09:00Z" }},
		{KeyTrainedOn, "ircad-1(129) msd_liver_jpg-train(416) Zürich", func(c Contract) bool { return strings.HasSuffix(c.TrainedOn, "Zürich") }},
	}
	for _, tc := range cases {
		meta := map[string]string{}
		for k, v := range base {
			meta[k] = v
		}
		meta[tc.key] = tc.value
		c, err := ParseContract(meta)
		if err != nil || !tc.check(c) {
			t.Errorf("%s=%q: %+v, %v", tc.key, tc.value, c, err)
		}
	}
}

// copyTo copies the file src to dst.
func copyTo(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// shownAs is the start of the error about key=v: the value quoted, a long one cut.
func shownAs(key, v string) string {
	if len(v) > maxShown {
		return key + " " + strconv.Quote(v[:maxShown])[:maxShown]
	}
	return key + " " + strconv.Quote(v)
}

// TestParseContractKind: an interactive model states its guidance in full and round-trips
// through Metadata; the guidance keys on an automatic model, a missing or bad one on an
// interactive model, and an unknown kind are refused naming the key.
func TestParseContractKind(t *testing.T) {
	inter := DefaultContract()
	inter.Kind, inter.ClickEncoding, inter.ClickRadiusMM = KindInteractive, ClickGaussian, 5
	meta := inter.Metadata()
	c, err := ParseContract(meta)
	if err != nil || !c.Interactive() || c.ClickEncoding != ClickGaussian || c.ClickRadiusMM != 5 || c.InputChannels() != 6 {
		t.Fatalf("interactive round trip: %+v, %v", c, err)
	}
	if a, err := ParseContract(DefaultContract().Metadata()); err != nil || a.Kind != KindAutomatic || a.InputChannels() != 3 {
		t.Fatalf("automatic: %+v, %v", a, err)
	}
	if err := c.CheckKind(KindAutomatic, "click.onnx"); !errors.Is(err, ErrKind) || !strings.Contains(err.Error(), "click.onnx") ||
		!strings.Contains(err.Error(), KindInteractive) || !strings.Contains(err.Error(), KindAutomatic) {
		t.Errorf("CheckKind: %v", err)
	}
	bad := []struct{ key, value, want string }{
		{KeyKind, "semi", KeyKind},
		{KeyGuidance, "positive,negative,label", KeyGuidance},
		{KeyGuidance, "", KeyGuidance},
		{KeyClickEncoding, "square", KeyClickEncoding},
		{KeyClickRadius, "0", KeyClickRadius},
		{KeyClickRadius, "NaN", KeyClickRadius},
		{KeyClickRadius, "1000", KeyClickRadius},
	}
	for _, tc := range bad {
		m := map[string]string{}
		for k, v := range meta {
			m[k] = v
		}
		m[tc.key] = tc.value
		if _, err := ParseContract(m); !errors.Is(err, ErrContract) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s=%q: %v", tc.key, tc.value, err)
		}
	}
	auto := DefaultContract().Metadata()
	auto[KeyClickRadius] = "5"
	if _, err := ParseContract(auto); !errors.Is(err, ErrContract) || !strings.Contains(err.Error(), KeyClickRadius) {
		t.Errorf("guidance key on an automatic model: %v", err)
	}
}
