// Package onnxtest builds small, exactly known ONNX models for the tests of the packages that run
// an interactive model (inference, viewer, ui, the click benchmark), without PyTorch: ONNX Runtime
// runs them like any model, so that the whole path from a click to the label is exercised with
// a network whose answer the test can compute.
package onnxtest

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"liverseg/inference"
	"liverseg/internal/testenv"
)

// Open writes a model built here into t's temporary folder and opens it on the CPU with one
// thread, in the ONNX Runtime library of $ONNXRUNTIME_SHARED_LIBRARY_PATH (skipped without it,
// failed in CI); it is closed when the test ends.
func Open(t testing.TB, data []byte) *inference.Model {
	t.Helper()
	lib := testenv.ORTLibrary(t)
	path := filepath.Join(t.TempDir(), "model.onnx")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := inference.OpenModel(t.Context(), path, inference.Options{LibraryPath: lib, Device: inference.DeviceCPU, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// RuleGain is the logit scale of Rules: a pixel's logit is ±RuleGain/2 (or 3/2 of it).
const RuleGain = 12

// Rules is an interactive model of contract c (c.Kind is made interactive) that ignores the image
// and follows its guidance literally: one 1x1 convolution whose logit is
// RuleGain*(label + positive - negative - 1/2). With the disk encoding it keeps the label
// channel, adds liver inside a positive click's disk and removes it inside a negative one's; the
// image channels' weights are zero. c must have an InputH and InputW; its click encoding and
// radius are kept when set, else a disk of 5 mm.
func Rules(c inference.Contract) ([]byte, inference.Contract) {
	c.Kind = inference.KindInteractive
	if c.ClickEncoding == "" {
		c.ClickEncoding = inference.ClickDisk
	}
	if c.ClickRadiusMM == 0 {
		c.ClickRadiusMM = 5
	}
	w := make([]float32, c.InputChannels())
	w[c.Channels], w[c.Channels+1], w[c.Channels+2] = RuleGain, RuleGain, -RuleGain
	return conv1x1(c, w, -RuleGain/2), c
}

// Bright is an automatic model of contract c (c.Kind is made automatic): liver wherever the
// middle image channel, windowed to 0..1, is above one half (logit RuleGain*(image - 1/2)).
func Bright(c inference.Contract) ([]byte, inference.Contract) {
	c.Kind, c.ClickEncoding, c.ClickRadiusMM = inference.KindAutomatic, "", 0
	w := make([]float32, c.InputChannels())
	w[c.Channels/2] = RuleGain
	return conv1x1(c, w, -RuleGain/2), c
}

// conv1x1 is a model of one 1x1 convolution of the input channels to the logit, with metadata c.
func conv1x1(c inference.Contract, w []float32, bias float32) []byte {
	ch := c.InputChannels()
	var g []byte
	g = bytesField(g, 1, node("Conv", []string{inference.InputName, "w", "b"}, []string{inference.OutputName}))
	g = bytesField(g, 2, []byte("conv1x1"))
	g = bytesField(g, 5, tensor("w", []int64{1, int64(ch), 1, 1}, w))
	g = bytesField(g, 5, tensor("b", []int64{1}, []float32{bias}))
	g = bytesField(g, 11, valueInfo(inference.InputName, ch, c.InputH, c.InputW))
	g = bytesField(g, 12, valueInfo(inference.OutputName, 1, c.InputH, c.InputW))
	return model(g, c.Metadata())
}

// model wraps a graph: IR version 8, the default opset 13, metadata_props.
func model(graph []byte, meta map[string]string) []byte {
	var m []byte
	m = varintField(m, 1, 8)
	var op []byte
	op = bytesField(op, 1, nil)
	op = varintField(op, 2, 13)
	m = bytesField(m, 8, op)
	m = bytesField(m, 7, graph)
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		var e []byte
		e = bytesField(e, 1, []byte(k))
		e = bytesField(e, 2, []byte(meta[k]))
		m = bytesField(m, 14, e)
	}
	return m
}

// node is a NodeProto {input = 1, output = 2, op_type = 4}.
func node(op string, in, out []string) []byte {
	var n []byte
	for _, s := range in {
		n = bytesField(n, 1, []byte(s))
	}
	for _, s := range out {
		n = bytesField(n, 2, []byte(s))
	}
	return bytesField(n, 4, []byte(op))
}

// tensor is a float TensorProto {dims = 1, data_type = 2 (FLOAT = 1), name = 8, raw_data = 9}.
func tensor(name string, dims []int64, data []float32) []byte {
	var t []byte
	for _, d := range dims {
		t = varintField(t, 1, uint64(d))
	}
	t = varintField(t, 2, 1)
	t = bytesField(t, 8, []byte(name))
	raw := make([]byte, 4*len(data))
	for i, f := range data {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(f))
	}
	return bytesField(t, 9, raw)
}

// valueInfo is a ValueInfoProto {name = 1, type = 2: {tensor_type = 1: {elem_type = 1, shape = 2:
// {dim = 1: {dim_value = 1 | dim_param = 2}}}}} of a float [N, ch, h, w] tensor, N symbolic.
func valueInfo(name string, ch, h, w int) []byte {
	var shape []byte
	shape = bytesField(shape, 1, bytesField(nil, 2, []byte("N")))
	for _, d := range []int{ch, h, w} {
		shape = bytesField(shape, 1, varintField(nil, 1, uint64(d)))
	}
	var tt []byte
	tt = varintField(tt, 1, 1)
	tt = bytesField(tt, 2, shape)
	var v []byte
	v = bytesField(v, 1, []byte(name))
	return bytesField(v, 2, bytesField(nil, 1, tt))
}

func varint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func varintField(b []byte, num int, v uint64) []byte {
	return varint(varint(b, uint64(num)<<3), v)
}

func bytesField(b []byte, num int, val []byte) []byte {
	b = varint(b, uint64(num)<<3|2)
	b = varint(b, uint64(len(val)))
	return append(b, val...)
}
