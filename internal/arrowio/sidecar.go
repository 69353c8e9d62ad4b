package arrowio

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
)

// SidecarSuffix names the file that holds a CSV table's schema metadata,
// which CSV cannot carry: "w.csv" has its records in "w.csv.sipas.json".
const SidecarSuffix = ".sipas.json"

// SidecarPath is the sidecar of the CSV table at path.
func SidecarPath(path string) string { return path + SidecarSuffix }

// sidecar is the JSON of a sidecar file: the table it belongs to (its base
// name, size and SHA-256 when written) and the schema metadata, each
// value (JSON itself) kept as JSON.
type sidecar struct {
	Table    Input                      `json:"table"`
	Metadata map[string]json.RawMessage `json:"metadata"`
}

// WriteSidecar writes to path the sidecar of the CSV table written at
// table (staged, perhaps: name is the table's final name): the keys of md
// whose values are JSON (the records that travel with a Parquet or IPC
// table), with the table's size and SHA-256 so that a reader can tell the
// table was changed since. Keys whose values are not JSON are left out.
func WriteSidecar(path, table, name string, md arrow.Metadata) error {
	in, err := DescribeInputs(table)
	if err != nil {
		return err
	}
	sc := sidecar{Table: in[0], Metadata: map[string]json.RawMessage{}}
	sc.Table.Name = filepath.Base(name)
	for i, k := range md.Keys() {
		if v := md.Values()[i]; json.Valid([]byte(v)) {
			sc.Metadata[k] = json.RawMessage(v)
		}
	}
	b, err := json.MarshalIndent(sc, "", "  ")
	if err != nil {
		return &Error{File: path, Err: err}
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// ReadSidecar returns the schema metadata recorded in the sidecar of the
// CSV table at path (SidecarPath); ok is false when there is none. A
// sidecar that is not valid JSON, or that was written for other content
// of the table (its size or SHA-256 differ: the table was changed after
// it was written), is an error naming both files.
func ReadSidecar(path string) (md arrow.Metadata, ok bool, err error) {
	sp := SidecarPath(path)
	b, err := os.ReadFile(sp)
	if os.IsNotExist(err) {
		return md, false, nil
	}
	if err != nil {
		return md, false, &Error{File: sp, Err: err}
	}
	var sc sidecar
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sc); err != nil {
		return md, false, &Error{File: sp, Err: fmt.Errorf("%w: not a sidecar of %s (%v); remove it or write the table again", ErrCorrupt, path, err)}
	}
	in, err := DescribeInputs(path)
	if err != nil {
		return md, false, err
	}
	if in[0].Size != sc.Table.Size || in[0].SHA256 != sc.Table.SHA256 {
		return md, false, &Error{File: sp, Err: fmt.Errorf("%w: written for %s of %d bytes, now %d (SHA-256 differs): the table was changed after the program wrote it; remove the sidecar if the change is meant, or write the table again", ErrStale, path, sc.Table.Size, in[0].Size)}
	}
	keys := make([]string, 0, len(sc.Metadata))
	for k := range sc.Metadata {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	vals := make([]string, len(keys))
	for i, k := range keys {
		var c bytes.Buffer
		if err := json.Compact(&c, sc.Metadata[k]); err != nil {
			return md, false, &Error{File: sp, Err: fmt.Errorf("%w: key %s: %v", ErrCorrupt, k, err)}
		}
		vals[i] = c.String() // as the schema metadata holds it
	}
	return arrow.NewMetadata(keys, vals), true, nil
}
