package inference

import "testing"

// FuzzONNXProto: the ONNX reader never panics on any bytes, and where a file parses, stamping
// it keeps it parseable and its new metadata readable.
func FuzzONNXProto(f *testing.F) {
	var model []byte
	model = append(model, 0x08, 0x07)
	model = appendBytesField(model, modelGraph, appendBytesField(appendBytesField(nil, graphInput,
		appendBytesField(appendBytesField(nil, 1, []byte("image")), 2, appendBytesField(nil, 1, []byte{0x08, 0x01}))), graphOutput, nil))
	model = appendBytesField(model, modelMetadataProps, metadataEntry("liverseg.version", "1"))
	f.Add(model)
	f.Add([]byte{})
	f.Add([]byte("\x0a\x05hello"))
	f.Fuzz(func(t *testing.T, data []byte) {
		meta, err := metadataOf(data)
		graphIO(data)
		if err != nil {
			return
		}
		out, err := stamp(data, map[string]string{"liverseg.fuzz": "yes", "liverseg.version": ""})
		if err != nil {
			t.Fatalf("parsed, but stamping failed: %v", err)
		}
		got, err := metadataOf(out)
		if err != nil || got["liverseg.fuzz"] != "yes" {
			t.Fatalf("stamped file: %v %v", got, err)
		}
		if _, ok := got["liverseg.version"]; ok {
			t.Fatal("an empty value did not delete the key")
		}
		for k, v := range meta {
			if k != "liverseg.version" && k != "liverseg.fuzz" && got[k] != v {
				t.Fatalf("key %q: %q became %q", k, v, got[k])
			}
		}
	})
}
