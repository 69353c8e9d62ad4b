package arrowio

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// InputsKey is the schema metadata key under which Write records the files
// an output was computed from (WithInputs): a JSON array of Input.
const InputsKey = "sipas.inputs"

// Input identifies a file an output was computed from: its name as given,
// its size in bytes and the SHA-256 of its content (hex). Standard input
// ("-") is recorded by name only.
type Input struct {
	Name   string `json:"name"`
	Size   int64  `json:"size,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
}

// DescribeInputs returns the name, size and SHA-256 of each file ("-" is
// recorded by name only). Call it on the files as they were read.
func DescribeInputs(paths ...string) ([]Input, error) {
	out := make([]Input, 0, len(paths))
	for _, p := range paths {
		if p == "" {
			continue
		}
		if p == "-" {
			out = append(out, Input{Name: "stdin"})
			continue
		}
		f, err := os.Open(p)
		if err != nil {
			return nil, &Error{File: p, Err: err}
		}
		h := sha256.New()
		n, err := io.Copy(h, f)
		f.Close()
		if err != nil {
			return nil, &Error{File: p, Err: err}
		}
		out = append(out, Input{Name: p, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))})
	}
	return out, nil
}

// WithInputs makes Write record inputs in the schema metadata of Parquet
// and Arrow IPC outputs under InputsKey (CSV has no metadata).
func WithInputs(inputs []Input) Option {
	return func(c *config) { c.inputs = inputs }
}

// ReadInputs returns the inputs recorded in schema metadata by WithInputs;
// ok is false when there are none.
func ReadInputs(md arrow.Metadata) (inputs []Input, ok bool, err error) {
	v, found := md.GetValue(InputsKey)
	if !found {
		return nil, false, nil
	}
	if err := json.Unmarshal([]byte(v), &inputs); err != nil {
		return nil, false, fmt.Errorf("schema metadata %s: %w", InputsKey, err)
	}
	return inputs, true, nil
}

// recordInputs returns schema and batches with the inputs added to the
// schema metadata (the batches share their columns with the originals and
// are owned by the caller).
func recordInputs(schema *arrow.Schema, batches []arrow.RecordBatch, inputs []Input) (*arrow.Schema, []arrow.RecordBatch, error) {
	js, err := json.Marshal(inputs)
	if err != nil {
		return nil, nil, err
	}
	md := schema.Metadata()
	keys, vals := []string{}, []string{}
	for i, k := range md.Keys() {
		if k != InputsKey {
			keys = append(keys, k)
			vals = append(vals, md.Values()[i])
		}
	}
	keys, vals = append(keys, InputsKey), append(vals, string(js))
	m := arrow.NewMetadata(keys, vals)
	out := arrow.NewSchema(schema.Fields(), &m)
	bs := make([]arrow.RecordBatch, len(batches))
	for i, b := range batches {
		bs[i] = array.NewRecordBatch(out, b.Columns(), b.NumRows())
	}
	return out, bs, nil
}
