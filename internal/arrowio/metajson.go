package arrowio

import (
	"encoding/json"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
)

// SetMetadataJSON returns md with key set to the JSON of v, the other keys
// kept in their order (the records that travel with a table in its schema
// metadata).
func SetMetadataJSON(md arrow.Metadata, key string, v any) (arrow.Metadata, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return md, err
	}
	keys, vals := slices.Clone(md.Keys()), slices.Clone(md.Values())
	if i := md.FindKey(key); i >= 0 {
		vals[i] = string(b)
	} else {
		keys, vals = append(keys, key), append(vals, string(b))
	}
	return arrow.NewMetadata(keys, vals), nil
}

// MetadataJSON decodes the JSON under key into dst; ok is false (and dst
// untouched) when md has no such key.
func MetadataJSON(md arrow.Metadata, key string, dst any) (ok bool, err error) {
	s, ok := md.GetValue(key)
	if !ok {
		return false, nil
	}
	return true, json.Unmarshal([]byte(s), dst)
}
