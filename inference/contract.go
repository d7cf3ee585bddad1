package inference

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
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
	ValDice   float64 // NaN-free; 0 when unknown
}

// DefaultContract is what new models are trained with unless a job says otherwise.
func DefaultContract() Contract {
	return Contract{Channels: 3, WindowLow: -200, WindowHigh: 300, InputH: 256, InputW: 256, Orientation: "LPS", Threshold: 0.5}
}

// ParseContract reads the contract from a model's metadata; every key of the feeding table is
// required, so that the runtime never guesses.
func ParseContract(meta map[string]string) (Contract, error) {
	var c Contract
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
		return c, fmt.Errorf("%w: %s is %q, this liverseg reads %d", ErrContract, KeyContract, v, ContractVersion)
	}
	if v, err = get(KeyChannels); err != nil {
		return c, err
	}
	if c.Channels, err = strconv.Atoi(v); err != nil || c.Channels < 1 || c.Channels > 15 || c.Channels%2 == 0 {
		return c, fmt.Errorf("%w: %s %q is not an odd count from 1 to 15", ErrContract, KeyChannels, v)
	}
	if v, err = get(KeyWindow); err != nil {
		return c, err
	}
	lo, hi, err := pair(v, strconv.ParseFloat)
	if err != nil || !(hi > lo) {
		return c, fmt.Errorf("%w: %s %q is not LOW,HIGH in HU", ErrContract, KeyWindow, v)
	}
	c.WindowLow, c.WindowHigh = lo, hi
	if v, err = get(KeyInputSize); err != nil {
		return c, err
	}
	h, w, err := pair(v, func(s string, _ int) (int64, error) { return strconv.ParseInt(s, 10, 32) })
	if err != nil || h < 8 || w < 8 || h > 4096 || w > 4096 {
		return c, fmt.Errorf("%w: %s %q is not H,W from 8 to 4096", ErrContract, KeyInputSize, v)
	}
	c.InputH, c.InputW = int(h), int(w)
	if v, err = get(KeyOrientation); err != nil {
		return c, err
	}
	if v != "LPS" {
		return c, fmt.Errorf("%w: %s %q (only LPS is defined)", ErrContract, KeyOrientation, v)
	}
	c.Orientation = v
	if v, err = get(KeyThreshold); err != nil {
		return c, err
	}
	if c.Threshold, err = strconv.ParseFloat(v, 64); err != nil || c.Threshold <= 0 || c.Threshold >= 1 {
		return c, fmt.Errorf("%w: %s %q is not between 0 and 1", ErrContract, KeyThreshold, v)
	}
	c.Version, c.Parent, c.Created, c.TrainedOn = meta[KeyVersion], meta[KeyParent], meta[KeyCreated], meta[KeyTrainedOn]
	if d, err := strconv.ParseFloat(meta[KeyValDice], 64); err == nil && d >= 0 && d <= 1 {
		c.ValDice = d
	}
	return c, nil
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
