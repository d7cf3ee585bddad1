package inference

// The weights of an ONNX model, read without ONNX Runtime, so that a model that exists only as
// ONNX (the built-in one: the repository keeps no weights.pt for it) can still be fine-tuned: the
// training worker starts its U-Net from these tensors (training/parent.go).

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
)

// GraphProto, NodeProto and TensorProto field numbers (onnx/onnx.proto).
const (
	graphNode        = 1
	graphInitializer = 5

	nodeInput  = 1
	nodeOutput = 2
	nodeName   = 3
	nodeOpType = 4

	tensorDims         = 1
	tensorDataType     = 2
	tensorFloatData    = 4
	tensorName         = 8
	tensorRawData      = 9
	tensorDataLocation = 14

	tensorFloat = 1 // TensorProto.DataType FLOAT
)

// Initializer is one float32 weight tensor of an ONNX graph.
type Initializer struct {
	// Name is the PyTorch state-dict name of the tensor ("down.0.0.weight"): the initializer's own
	// name where the exporter kept it, else derived from the node that consumes it (see
	// ReadInitializers).
	Name string
	// ONNXName is the name in the file ("onnx::Conv_187" for a convolution whose batch norm the
	// exporter folded into it).
	ONNXName string
	Dims     []int
	Data     []float32
	// Op is the operator of the node that consumes the tensor (Conv, ConvTranspose...).
	Op string
}

// ReadInitializers returns the float initializers of the ONNX model at path, in file order.
//
// torch.onnx.export in eval mode folds each batch norm into the convolution before it and names
// the folded weight and bias "onnx::Conv_N"; those get the name of the convolution module that
// the consuming node's name carries ("/down.0/down.0.0/Conv" gives "down.0.0.weight" for input 1
// and "down.0.0.bias" for input 2), so that the worker can match them to its own modules and undo
// the folding. A renamed initializer whose module cannot be told is an error naming it: a silently
// skipped weight would start fine-tuning from noise.
func ReadInitializers(ctx context.Context, path string) ([]Initializer, error) {
	return parseFile(ctx, path, initializersOf)
}

type nodeInfo struct {
	name, op string
	inputs   []string
	outputs  []string
}

func initializersOf(data []byte) ([]Initializer, error) {
	gfs, err := graphFields(data)
	if err != nil {
		return nil, err
	}
	var inits []Initializer
	consumer := map[string]struct {
		node  nodeInfo
		index int
	}{}
	for _, f := range gfs {
		if f.wire != 2 {
			continue
		}
		switch f.num {
		case graphInitializer:
			t, err := parseTensor(f.val)
			if err != nil {
				return nil, err
			}
			if t != nil {
				inits = append(inits, *t)
			}
		case graphNode:
			n, err := parseNode(f.val)
			if err != nil {
				return nil, err
			}
			for i, in := range n.inputs {
				if _, seen := consumer[in]; !seen {
					consumer[in] = struct {
						node  nodeInfo
						index int
					}{n, i}
				}
			}
		}
	}
	if len(inits) == 0 {
		return nil, fmt.Errorf("no float initializers (weights) in the graph")
	}
	names := map[string]string{}
	for i := range inits {
		t := &inits[i]
		t.ONNXName = t.Name
		c, ok := consumer[t.Name]
		if ok {
			t.Op = c.node.op
		}
		if !strings.HasPrefix(t.Name, "onnx::") {
			continue
		}
		if !ok {
			return nil, fmt.Errorf("initializer %s: no node uses it, so its module is unknown", t.Name)
		}
		module := moduleOf(c.node)
		suffix := map[int]string{1: ".weight", 2: ".bias"}[c.index]
		if module == "" || suffix == "" {
			return nil, fmt.Errorf("initializer %s: input %d of node %q (%s): cannot tell which module's weight it is", t.Name, c.index, c.node.name, c.node.op)
		}
		t.Name = module + suffix
	}
	for _, t := range inits {
		if prev, dup := names[t.Name]; dup {
			return nil, fmt.Errorf("initializers %s and %s both map to %s", prev, t.ONNXName, t.Name)
		}
		names[t.Name] = t.ONNXName
	}
	return inits, nil
}

// moduleOf is the PyTorch module a node came from, from its scoped name ("/down.0/down.0.0/Conv")
// or, for nodes without a name, its first output ("/down.0/down.0.0/Conv_output_0"); "" when the
// name has no scope.
func moduleOf(n nodeInfo) string {
	s := n.name
	if s == "" && len(n.outputs) > 0 {
		s = n.outputs[0]
	}
	parts := strings.Split(strings.Trim(s, "/"), "/")
	if len(parts) < 2 {
		return ""
	}
	return parts[len(parts)-2]
}

func parseNode(b []byte) (nodeInfo, error) {
	var n nodeInfo
	fs, err := protoFields(b)
	if err != nil {
		return n, err
	}
	for _, f := range fs {
		if f.wire != 2 {
			continue
		}
		switch f.num {
		case nodeInput:
			n.inputs = append(n.inputs, string(f.val))
		case nodeOutput:
			n.outputs = append(n.outputs, string(f.val))
		case nodeName:
			n.name = string(f.val)
		case nodeOpType:
			n.op = string(f.val)
		}
	}
	return n, nil
}

// parseTensor reads a float TensorProto; nil for other element types (shapes of Reshape, say),
// which hold no weights. Weights stored outside the file are an error.
func parseTensor(b []byte) (*Initializer, error) {
	fs, err := protoFields(b)
	if err != nil {
		return nil, err
	}
	t := &Initializer{}
	dtype := 0
	var raw []byte
	var floats []float32
	for _, f := range fs {
		switch {
		case f.num == tensorDims && f.wire == 0:
			t.Dims = append(t.Dims, int(f.n))
		case f.num == tensorDims && f.wire == 2: // packed
			for i := 0; i < len(f.val); {
				v, j, err := readVarint(f.val, i)
				if err != nil {
					return nil, err
				}
				t.Dims = append(t.Dims, int(v))
				i = j
			}
		case f.num == tensorDataType && f.wire == 0:
			dtype = int(f.n)
		case f.num == tensorName && f.wire == 2:
			t.Name = string(f.val)
		case f.num == tensorRawData && f.wire == 2:
			raw = f.val
		case f.num == tensorFloatData && f.wire == 2: // packed
			for i := 0; i+4 <= len(f.val); i += 4 {
				floats = append(floats, math.Float32frombits(binary.LittleEndian.Uint32(f.val[i:])))
			}
		case f.num == tensorFloatData && f.wire == 5:
			// protoFields skips fixed32 values; they are the field's last 4 bytes
			floats = append(floats, math.Float32frombits(binary.LittleEndian.Uint32(b[f.end-4:f.end])))
		case f.num == tensorDataLocation && f.wire == 0 && f.n == 1:
			return nil, fmt.Errorf("initializer %s: weights stored in an external file are not supported", t.Name)
		}
	}
	if dtype != tensorFloat {
		return nil, nil
	}
	n := 1
	for _, d := range t.Dims {
		n *= d
	}
	switch {
	case raw != nil:
		if len(raw) != 4*n {
			return nil, fmt.Errorf("initializer %s: %d bytes for shape %v", t.Name, len(raw), t.Dims)
		}
		t.Data = make([]float32, n)
		for i := range t.Data {
			t.Data[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
	case len(floats) == n:
		t.Data = floats
	default:
		return nil, fmt.Errorf("initializer %s: %d values for shape %v", t.Name, len(floats), t.Dims)
	}
	return t, nil
}
