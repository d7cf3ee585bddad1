package inference

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// ErrContract: a model's metadata does not say how to feed it (see DESIGN.md, the model contract).
var ErrContract = errors.New("model does not follow the liverseg contract")

// ContractVersion is the version of the metadata table this code reads and writes.
const ContractVersion = 1

// Metadata keys of the model contract, stored in the ONNX file's metadata_props.
const (
	KeyContract    = "liverseg.contract"
	KeyChannels    = "liverseg.channels"
	KeyWindow      = "liverseg.window"
	KeyInputSize   = "liverseg.input_size"
	KeyOrientation = "liverseg.orientation"
	KeyThreshold   = "liverseg.threshold"
	KeyVersion     = "liverseg.version"
	KeyParent      = "liverseg.parent"
	KeyCreated     = "liverseg.created"
	KeyTrainedOn   = "liverseg.trained_on"
	KeyValDice     = "liverseg.val_dice"

	// An interactive model's keys (absent from an automatic one).
	KeyKind          = "liverseg.kind"           // automatic (when absent) or interactive
	KeyGuidance      = "liverseg.guidance"       // the channels after the image's: label,positive,negative
	KeyClickEncoding = "liverseg.click_encoding" // how a click is drawn into its map: disk or gaussian
	KeyClickRadius   = "liverseg.click_radius_mm"
)

// Model kinds. An automatic model segments a series from its image alone; an interactive one
// redraws a slice from its image, the slice's current label and the annotator's clicks.
const (
	KindAutomatic   = "automatic"
	KindInteractive = "interactive"
)

// Guidance channels of an interactive model, in the order they follow the image channels: the
// slice's current label (0 or 1), the map of the positive clicks ("liver here") and the map of
// the negative ones ("not liver here").
var GuidanceChannels = []string{"label", "positive", "negative"}

// Click encodings: how a click at (x, y) is drawn into its map at the model's input size.
const (
	ClickDisk     = "disk"     // 1 within ClickRadiusMM of the click, 0 elsewhere
	ClickGaussian = "gaussian" // exp(-d²/(2σ²)) with σ = ClickRadiusMM, the maximum over the clicks
)

// ErrKind: a model of one kind was given where the other is needed.
var ErrKind = errors.New("model of the wrong kind")

// Contract is how a model wants its input: the same for training (dataset export) and serving,
// so that the two cannot drift.
type Contract struct {
	Channels    int     // 2.5D: 3 means slices k-1, k, k+1; 1 means slice k alone
	WindowLow   float64 // HU clipped to [WindowLow, WindowHigh], then scaled to 0..1
	WindowHigh  float64
	InputH      int // rows the slice is resized to
	InputW      int // columns
	Orientation string
	Threshold   float64 // on the sigmoid of the logits

	// Kind is KindAutomatic or KindInteractive. An interactive model's input has
	// len(GuidanceChannels) more channels after the image's (InputChannels), drawn with
	// ClickEncoding at ClickRadiusMM (mm of the original slice's pixel spacing).
	Kind          string
	ClickEncoding string
	ClickRadiusMM float64

	Version   string
	Parent    string
	Created   string
	TrainedOn string
	ValDice   float64 // from 0 to 1; 0 when unknown
}

// DefaultContract is what new models are trained with unless a job says otherwise.
func DefaultContract() Contract {
	return Contract{Channels: 3, WindowLow: -200, WindowHigh: 300, InputH: 256, InputW: 256, Orientation: "LPS", Threshold: 0.5, Kind: KindAutomatic}
}

// Interactive says whether the model redraws a slice from clicks.
func (c Contract) Interactive() bool { return c.Kind == KindInteractive }

// InputChannels is the channels of the model's input tensor: the image's, then, for an
// interactive model, the guidance channels.
func (c Contract) InputChannels() int {
	if c.Interactive() {
		return c.Channels + len(GuidanceChannels)
	}
	return c.Channels
}

// CheckKind says, as an ErrKind error naming both kinds and the model, when the model is not of
// the kind wanted.
func (c Contract) CheckKind(want, model string) error {
	if c.Kind == want {
		return nil
	}
	return fmt.Errorf("%w: %s is an %s model, an %s one is needed here", ErrKind, model, c.Kind, want)
}

// maxClickRadiusMM bounds a click's radius: a click marks a spot, not the abdomen.
const maxClickRadiusMM = 100

// Bounds of the contract's values. The window is in HU as WindowTable maps them (int16) and at
// least 1 HU wide (HU are whole numbers: a narrower window is a step, and a width near zero
// divides by it); the input size bounds each side of the slice the model sees.
const (
	windowMinHU    = -32768
	windowMaxHU    = 32767
	windowMinWidth = 1
	minInputSide   = 8
	maxInputSide   = 4096
	maxChannels    = 15
	maxIdentityLen = 1 << 16
	maxShown       = 80 // bytes of a bad value an error quotes
)

// ParseContract reads the contract from a model's metadata; every key of the feeding table is
// required, so that the runtime never guesses, and every value is checked (a number finite and in
// its range, the window ordered), so that no NaN or infinity reaches the pre- and post-processing.
// The identity keys are optional, but what is there must be sound: printable text, an RFC 3339
// creation time, a Dice from 0 to 1. Errors are ErrContract and name the key and its value.
func ParseContract(meta map[string]string) (Contract, error) {
	var c Contract
	bad := func(k, v, why string) error {
		if len(v) > maxShown {
			return fmt.Errorf("%w: %s %q... (%d bytes) %s", ErrContract, k, v[:maxShown], len(v), why)
		}
		return fmt.Errorf("%w: %s %q %s", ErrContract, k, v, why)
	}
	get := func(k string) (string, error) {
		v, ok := meta[k]
		if !ok || strings.TrimSpace(v) == "" {
			return "", fmt.Errorf("%w: no %s", ErrContract, k)
		}
		return strings.TrimSpace(v), nil
	}
	v, err := get(KeyContract)
	if err != nil {
		return c, err
	}
	if n, err := strconv.Atoi(v); err != nil || n != ContractVersion {
		return c, bad(KeyContract, v, fmt.Sprintf("is not %d, the version this liverseg reads", ContractVersion))
	}
	if v, err = get(KeyChannels); err != nil {
		return c, err
	}
	if c.Channels, err = strconv.Atoi(v); err != nil || c.Channels < 1 || c.Channels > maxChannels || c.Channels%2 == 0 {
		return c, bad(KeyChannels, v, fmt.Sprintf("is not an odd count from 1 to %d", maxChannels))
	}
	if v, err = get(KeyWindow); err != nil {
		return c, err
	}
	lo, hi, err := pair(v, strconv.ParseFloat)
	switch {
	case err != nil:
		return c, bad(KeyWindow, v, "is not LOW,HIGH in HU")
	case !finite(lo) || !finite(hi):
		return c, bad(KeyWindow, v, "is not two finite numbers LOW,HIGH in HU")
	case lo < windowMinHU || hi > windowMaxHU:
		return c, bad(KeyWindow, v, fmt.Sprintf("reaches outside the HU a CT stores (%d to %d)", windowMinHU, windowMaxHU))
	case !(hi-lo >= windowMinWidth):
		return c, bad(KeyWindow, v, fmt.Sprintf("is not LOW,HIGH with HIGH at least %d HU above LOW", windowMinWidth))
	}
	c.WindowLow, c.WindowHigh = lo, hi
	if v, err = get(KeyInputSize); err != nil {
		return c, err
	}
	h, w, err := pair(v, func(s string, _ int) (int64, error) { return strconv.ParseInt(s, 10, 32) })
	if err != nil || h < minInputSide || w < minInputSide || h > maxInputSide || w > maxInputSide {
		return c, bad(KeyInputSize, v, fmt.Sprintf("is not H,W from %d to %d", minInputSide, maxInputSide))
	}
	c.InputH, c.InputW = int(h), int(w)
	if v, err = get(KeyOrientation); err != nil {
		return c, err
	}
	if v != "LPS" {
		return c, bad(KeyOrientation, v, "(only LPS is defined)")
	}
	c.Orientation = v
	if v, err = get(KeyThreshold); err != nil {
		return c, err
	}
	if c.Threshold, err = strconv.ParseFloat(v, 64); err != nil || !(c.Threshold > 0 && c.Threshold < 1) {
		return c, bad(KeyThreshold, v, "is not a number between 0 and 1 (both excluded)")
	}
	if err := parseKind(meta, &c, bad); err != nil {
		return c, err
	}
	for _, id := range []struct {
		key string
		to  *string
	}{{KeyVersion, &c.Version}, {KeyParent, &c.Parent}, {KeyCreated, &c.Created}, {KeyTrainedOn, &c.TrainedOn}} {
		v := meta[id.key]
		if !printable(v) {
			return c, bad(id.key, v, fmt.Sprintf("is not printable text of at most %d bytes", maxIdentityLen))
		}
		*id.to = v
	}
	if c.Created != "" {
		if _, err := time.Parse(time.RFC3339, c.Created); err != nil {
			return c, bad(KeyCreated, c.Created, "is not an RFC 3339 time (2006-01-02T15:04:05Z)")
		}
	}
	if v, ok := meta[KeyValDice]; ok && strings.TrimSpace(v) != "" {
		d, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || !(d >= 0 && d <= 1) {
			return c, bad(KeyValDice, v, "is not a Dice from 0 to 1")
		}
		c.ValDice = d
	}
	return c, nil
}

// parseKind reads the model's kind and, for an interactive model, its guidance: every key is
// required and checked, so that the runtime never guesses how a click is drawn; an automatic
// model carries none of them.
func parseKind(meta map[string]string, c *Contract, bad func(k, v, why string) error) error {
	kind := strings.TrimSpace(meta[KeyKind])
	guidance := []string{KeyGuidance, KeyClickEncoding, KeyClickRadius}
	switch kind {
	case "", KindAutomatic:
		c.Kind = KindAutomatic
		for _, k := range guidance {
			if v, ok := meta[k]; ok {
				return bad(k, v, "is set on an automatic model (the guidance keys belong to "+KeyKind+"="+KindInteractive+")")
			}
		}
		return nil
	case KindInteractive:
		c.Kind = KindInteractive
	default:
		return bad(KeyKind, kind, "is not "+KindAutomatic+" or "+KindInteractive)
	}
	for _, k := range guidance {
		if strings.TrimSpace(meta[k]) == "" {
			return fmt.Errorf("%w: an interactive model without %s", ErrContract, k)
		}
	}
	if v := strings.TrimSpace(meta[KeyGuidance]); v != strings.Join(GuidanceChannels, ",") {
		return bad(KeyGuidance, v, "is not "+strings.Join(GuidanceChannels, ","))
	}
	switch v := strings.TrimSpace(meta[KeyClickEncoding]); v {
	case ClickDisk, ClickGaussian:
		c.ClickEncoding = v
	default:
		return bad(KeyClickEncoding, v, "is not "+ClickDisk+" or "+ClickGaussian)
	}
	v := strings.TrimSpace(meta[KeyClickRadius])
	r, err := strconv.ParseFloat(v, 64)
	if err != nil || !(r > 0 && r <= maxClickRadiusMM) {
		return bad(KeyClickRadius, v, fmt.Sprintf("is not a radius in mm above 0 and at most %d", maxClickRadiusMM))
	}
	c.ClickRadiusMM = r
	return nil
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// printable: valid UTF-8 of at most maxIdentityLen bytes without control characters, so that
// what a model says about itself can be printed and written into reports as it is.
func printable(s string) bool {
	if len(s) > maxIdentityLen || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

func pair[T any](s string, parse func(string, int) (T, error)) (T, T, error) {
	var zero T
	parts := strings.Split(s, ",")
	if len(parts) != 2 {
		return zero, zero, fmt.Errorf("want two values")
	}
	a, err := parse(strings.TrimSpace(parts[0]), 64)
	if err != nil {
		return zero, zero, err
	}
	b, err := parse(strings.TrimSpace(parts[1]), 64)
	return a, b, err
}

// Metadata is the contract as metadata_props, for export; identity keys are written when set.
func (c Contract) Metadata() map[string]string {
	m := map[string]string{
		KeyContract:    strconv.Itoa(ContractVersion),
		KeyChannels:    strconv.Itoa(c.Channels),
		KeyWindow:      fmtFloat(c.WindowLow) + "," + fmtFloat(c.WindowHigh),
		KeyInputSize:   strconv.Itoa(c.InputH) + "," + strconv.Itoa(c.InputW),
		KeyOrientation: c.Orientation,
		KeyThreshold:   fmtFloat(c.Threshold),
	}
	for k, v := range map[string]string{KeyVersion: c.Version, KeyParent: c.Parent, KeyCreated: c.Created, KeyTrainedOn: c.TrainedOn} {
		if v != "" {
			m[k] = v
		}
	}
	if c.ValDice > 0 {
		m[KeyValDice] = strconv.FormatFloat(c.ValDice, 'f', 4, 64)
	}
	if c.Interactive() {
		m[KeyKind] = KindInteractive
		m[KeyGuidance] = strings.Join(GuidanceChannels, ",")
		m[KeyClickEncoding] = c.ClickEncoding
		m[KeyClickRadius] = fmtFloat(c.ClickRadiusMM)
	}
	return m
}

// String lists the feeding keys, for messages and model cards.
func (c Contract) String() string {
	m := c.Metadata()
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(k + "=" + m[k])
	}
	return b.String()
}

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
