package inference

// A minimal reader and writer of the parts of an ONNX ModelProto that liverseg needs without
// ONNX Runtime: metadata_props (to stamp the contract into a file torch exported) and the graph's
// inputs and outputs (to check a model's shapes before a session is made). Protobuf wire format:
// each field is a varint tag (number<<3 | wire type) and a value; repeated fields concatenate.

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"

	"liverseg/internal/atomicfile"
	"liverseg/scan"
)

// ModelProto and GraphProto field numbers (onnx/onnx.proto).
const (
	modelGraph         = 7
	modelMetadataProps = 14
	graphInput         = 11
	graphOutput        = 12
)

var errProto = errors.New("not an ONNX model (protobuf parse failed)")

type protoField struct {
	num   int
	wire  int
	start int // offset of the tag
	end   int // offset after the value
	val   []byte
	n     uint64 // varint value
}

func readVarint(b []byte, i int) (uint64, int, error) {
	var v uint64
	for s := 0; s < 64; s += 7 {
		if i >= len(b) {
			return 0, 0, errProto
		}
		c := b[i]
		i++
		v |= uint64(c&0x7f) << s
		if c < 0x80 {
			return v, i, nil
		}
	}
	return 0, 0, errProto
}

// protoFields splits a serialized message into its top-level fields.
func protoFields(b []byte) ([]protoField, error) {
	var out []protoField
	for i := 0; i < len(b); {
		start := i
		tag, j, err := readVarint(b, i)
		if err != nil {
			return nil, err
		}
		i = j
		f := protoField{num: int(tag >> 3), wire: int(tag & 7), start: start}
		if f.num == 0 {
			return nil, errProto
		}
		switch f.wire {
		case 0:
			f.n, i, err = readVarint(b, i)
			if err != nil {
				return nil, err
			}
		case 1:
			i += 8
		case 5:
			i += 4
		case 2:
			n, j, err := readVarint(b, i)
			if err != nil {
				return nil, err
			}
			if n > uint64(len(b)-j) {
				return nil, errProto
			}
			f.val = b[j : j+int(n)]
			i = j + int(n)
		default:
			return nil, errProto
		}
		if i > len(b) {
			return nil, errProto
		}
		f.end = i
		out = append(out, f)
	}
	return out, nil
}

func appendVarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func appendBytesField(b []byte, num int, val []byte) []byte {
	b = appendVarint(b, uint64(num)<<3|2)
	b = appendVarint(b, uint64(len(val)))
	return append(b, val...)
}

// metadataEntry encodes a StringStringEntryProto {key = 1, value = 2}.
func metadataEntry(k, v string) []byte {
	var e []byte
	e = appendBytesField(e, 1, []byte(k))
	return appendBytesField(e, 2, []byte(v))
}

func parseEntry(b []byte) (k, v string, err error) {
	fs, err := protoFields(b)
	if err != nil {
		return "", "", err
	}
	for _, f := range fs {
		switch {
		case f.num == 1 && f.wire == 2:
			k = string(f.val)
		case f.num == 2 && f.wire == 2:
			v = string(f.val)
		}
	}
	return k, v, nil
}

// checkModelProto rejects bytes that parse as protobuf by chance but hold no graph.
func modelFields(data []byte) ([]protoField, error) {
	if len(data) == 0 {
		return nil, errors.New("empty file, not an ONNX model")
	}
	fs, err := protoFields(data)
	if err != nil {
		return nil, err
	}
	for _, f := range fs {
		if f.num == modelGraph && f.wire == 2 {
			return fs, nil
		}
	}
	return nil, errors.New("not an ONNX model (no graph)")
}

// ReadMetadata returns the metadata_props of an ONNX file, without ONNX Runtime. Where a key
// appears twice the last value counts, as in ONNX Runtime.
func ReadMetadata(ctx context.Context, onnxPath string) (map[string]string, error) {
	return parseFile(ctx, onnxPath, metadataOf)
}

// ReadModel reads the ONNX file at path whole, as every reader of a model does: a regular file
// only (a FIFO would block, /dev/zero never end), refused before reading when it is larger than
// scan.MaxModelBytes (a sparse 3 GB file), the read stopping with ctx. Errors name the path.
func ReadModel(ctx context.Context, path string) ([]byte, error) {
	data, err := scan.ReadFileLimit(ctx, path, scan.MaxModelBytes, "a model")
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == path {
		return nil, pathErr(path, pe) // "PATH: no such file or directory", not "open PATH: ..."
	}
	return data, err
}

// parseFile reads the ONNX file at path and parses it; its errors name the file.
func parseFile[T any](ctx context.Context, path string, parse func([]byte) (T, error)) (T, error) {
	var zero T
	data, err := ReadModel(ctx, path)
	if err != nil {
		return zero, err
	}
	v, err := parse(data)
	if err != nil {
		return zero, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}

func metadataOf(data []byte) (map[string]string, error) {
	fs, err := modelFields(data)
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for _, f := range fs {
		if f.num == modelMetadataProps && f.wire == 2 {
			k, v, err := parseEntry(f.val)
			if err != nil {
				return nil, err
			}
			m[k] = v
		}
	}
	return m, nil
}

// StampMetadata writes meta into the metadata_props of the ONNX file at onnxPath, so that the
// PyTorch worker can export with torch alone and Go adds the contract (Contract.Metadata()).
// Entries whose key is in meta are replaced (old copies dropped), an empty value deletes the key,
// every other entry and the rest of the file are kept byte for byte. The file is replaced
// atomically.
func StampMetadata(ctx context.Context, onnxPath string, meta map[string]string) error {
	data, err := ReadModel(ctx, onnxPath)
	if err != nil {
		return err
	}
	out, err := stamp(data, meta)
	if err != nil {
		return fmt.Errorf("%s: %w", onnxPath, err)
	}
	perm := os.FileMode(0o644)
	if st, err := os.Stat(onnxPath); err == nil {
		perm = st.Mode().Perm() // the model keeps its mode
	}
	return atomicfile.WriteBytes(onnxPath, perm, out)
}

func stamp(data []byte, meta map[string]string) ([]byte, error) {
	fs, err := modelFields(data)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(data)+256)
	for _, f := range fs {
		if f.num == modelMetadataProps && f.wire == 2 {
			k, _, err := parseEntry(f.val)
			if err != nil {
				return nil, err
			}
			if _, replaced := meta[k]; replaced {
				continue
			}
		}
		out = append(out, data[f.start:f.end]...)
	}
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if meta[k] == "" {
			continue
		}
		out = appendBytesField(out, modelMetadataProps, metadataEntry(k, meta[k]))
	}
	return out, nil
}

// tensorIO is a graph input or output as the file declares it: a float tensor has elemType 1;
// a dimension is its size, or -1 when symbolic (dim_param) or unknown.
type tensorIO struct {
	name     string
	elemType int
	dims     []int64
	isTensor bool
}

func (t tensorIO) shapeString() string {
	parts := make([]string, len(t.dims))
	for i, d := range t.dims {
		if d < 0 {
			parts[i] = "?"
		} else {
			parts[i] = fmt.Sprint(d)
		}
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// graphFields are the fields of the model's graph (the last graph field, as protobuf merges).
func graphFields(data []byte) ([]protoField, error) {
	fs, err := modelFields(data)
	if err != nil {
		return nil, err
	}
	var graph []byte
	for _, f := range fs {
		if f.num == modelGraph && f.wire == 2 {
			graph = f.val
		}
	}
	return protoFields(graph)
}

// graphIO lists the inputs and outputs of the model's graph. Inputs that are also initializers
// (older exporters list weights as inputs) are left to the caller to ignore by name.
func graphIO(data []byte) (inputs, outputs []tensorIO, err error) {
	gfs, err := graphFields(data)
	if err != nil {
		return nil, nil, err
	}
	for _, f := range gfs {
		if f.wire != 2 || (f.num != graphInput && f.num != graphOutput) {
			continue
		}
		t, err := parseValueInfo(f.val)
		if err != nil {
			return nil, nil, err
		}
		if f.num == graphInput {
			inputs = append(inputs, t)
		} else {
			outputs = append(outputs, t)
		}
	}
	return inputs, outputs, nil
}

// parseValueInfo reads ValueInfoProto {name = 1, type = 2: TypeProto {tensor_type = 1:
// Tensor {elem_type = 1, shape = 2: TensorShapeProto {dim = 1: {dim_value = 1, dim_param = 2}}}}}.
func parseValueInfo(b []byte) (tensorIO, error) {
	var t tensorIO
	fs, err := protoFields(b)
	if err != nil {
		return t, err
	}
	for _, f := range fs {
		switch {
		case f.num == 1 && f.wire == 2:
			t.name = string(f.val)
		case f.num == 2 && f.wire == 2:
			tfs, err := protoFields(f.val)
			if err != nil {
				return t, err
			}
			for _, tf := range tfs {
				if tf.num != 1 || tf.wire != 2 {
					continue
				}
				t.isTensor = true
				ttf, err := protoFields(tf.val)
				if err != nil {
					return t, err
				}
				for _, x := range ttf {
					switch {
					case x.num == 1 && x.wire == 0:
						t.elemType = int(x.n)
					case x.num == 2 && x.wire == 2:
						dims, err := protoFields(x.val)
						if err != nil {
							return t, err
						}
						for _, d := range dims {
							if d.num != 1 || d.wire != 2 {
								continue
							}
							size := int64(-1)
							dfs, err := protoFields(d.val)
							if err != nil {
								return t, err
							}
							for _, df := range dfs {
								if df.num == 1 && df.wire == 0 {
									size = int64(df.n)
								}
							}
							t.dims = append(t.dims, size)
						}
					}
				}
			}
		}
	}
	return t, nil
}
