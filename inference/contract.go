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
)

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

	Version   string
	Parent    string
	Created   string
	TrainedOn string
	ValDice   float64 // from 0 to 1; 0 when unknown
}

// DefaultContract is what new models are trained with unless a job says otherwise.
func DefaultContract() Contract {
	return Contract{Channels: 3, WindowLow: -200, WindowHigh: 300, InputH: 256, InputW: 256, Orientation: "LPS", Threshold: 0.5}
}

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
