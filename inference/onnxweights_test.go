package inference

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tensorProto encodes a float TensorProto with raw data.
func tensorProto(name string, dims []int, vals []float32) []byte {
	var b []byte
	for _, d := range dims {
		b = appendVarint(b, uint64(tensorDims)<<3)
		b = appendVarint(b, uint64(d))
	}
	b = appendVarint(b, uint64(tensorDataType)<<3)
	b = appendVarint(b, tensorFloat)
	b = appendBytesField(b, tensorName, []byte(name))
	raw := make([]byte, 0, 4*len(vals))
	for _, v := range vals {
		raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(v))
	}
	return appendBytesField(b, tensorRawData, raw)
}

func nodeProto(name, op string, inputs ...string) []byte {
	var b []byte
	for _, in := range inputs {
		b = appendBytesField(b, nodeInput, []byte(in))
	}
	b = appendBytesField(b, nodeOutput, []byte(name+"_output_0"))
	b = appendBytesField(b, nodeName, []byte(name))
	return appendBytesField(b, nodeOpType, []byte(op))
}

func modelWith(graph ...[]byte) []byte {
	var g []byte
	for _, f := range graph {
		g = append(g, f...)
	}
	return appendBytesField(nil, modelGraph, g)
}

// TestReadInitializers: folded weights are named after the module of the node that uses them,
// named ones keep their name, and a renamed weight whose module cannot be told is an error.
func TestReadInitializers(t *testing.T) {
	dir := t.TempDir()
	good := modelWith(
		appendBytesField(nil, graphInitializer, tensorProto("onnx::Conv_7", []int{2, 1, 1, 1}, []float32{1, 2})),
		appendBytesField(nil, graphInitializer, tensorProto("onnx::Conv_8", []int{2}, []float32{3, 4})),
		appendBytesField(nil, graphInitializer, tensorProto("head.weight", []int{1, 2, 1, 1}, []float32{5, 6})),
		appendBytesField(nil, graphNode, nodeProto("/down.0/down.0.0/Conv", "Conv", "image", "onnx::Conv_7", "onnx::Conv_8")),
		appendBytesField(nil, graphNode, nodeProto("/head/Conv", "Conv", "x", "head.weight")),
	)
	p := filepath.Join(dir, "good.onnx")
	if err := os.WriteFile(p, good, 0o644); err != nil {
		t.Fatal(err)
	}
	inits, err := ReadInitializers(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name string
		data []float32
	}{{"down.0.0.weight", []float32{1, 2}}, {"down.0.0.bias", []float32{3, 4}}, {"head.weight", []float32{5, 6}}}
	if len(inits) != len(want) {
		t.Fatalf("%d initializers", len(inits))
	}
	for i, w := range want {
		if inits[i].Name != w.name || inits[i].Data[0] != w.data[0] || inits[i].Data[1] != w.data[1] || inits[i].Op != "Conv" {
			t.Errorf("%d: %+v; want %s %v", i, inits[i], w.name, w.data)
		}
	}
	// a folded weight no node uses
	bad := modelWith(appendBytesField(nil, graphInitializer, tensorProto("onnx::Conv_9", []int{1}, []float32{1})))
	p = filepath.Join(dir, "bad.onnx")
	if err := os.WriteFile(p, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadInitializers(t.Context(), p); err == nil || !strings.Contains(err.Error(), "onnx::Conv_9") || !strings.Contains(err.Error(), p) {
		t.Errorf("got %v; want an error naming the file and onnx::Conv_9", err)
	}
	// not ONNX at all
	p = filepath.Join(dir, "text.onnx")
	os.WriteFile(p, []byte("hello"), 0o644)
	if _, err := ReadInitializers(t.Context(), p); err == nil {
		t.Error("no error for a text file")
	}
}
