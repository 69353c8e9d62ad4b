package index

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
)

// Mapping declares which indices are comparable across questionnaire
// versions (METHODOLOGY §8 "Comparability": only criteria that a mapping
// declares equivalent are compared). It is read from JSON:
//
//	{"mappings": [
//	  {"from_version": "sipas-2017", "to_version": "sipas-2023",
//	   "criteria": {"access_1": "a1", "access_2": "a2"},
//	   "elements": {"access": "access"},
//	   "sipas": true,
//	   "note": "2023 questionnaire (Decision 1001/QĐ-BNV)"}
//	]}
//
// criteria and elements map an id in from_version to the equivalent id in
// to_version (each id at most once on either side); ids not listed are not
// comparable, and neither are kinds other than criterion, element and
// sipas. sipas says whether the overall index is comparable. An entry works
// in both directions. Within one version every index is comparable with
// itself, with or without a Mapping.
//
// The break rule (CompareYears): a domain's row has Break = true when its
// version differs from the version of the domain's previous year; the
// changes are then computed only for indices the Mapping declares
// comparable, and are null otherwise.
type Mapping struct {
	Mappings []VersionMapping `json:"mappings"`
}

// VersionMapping is one pair of versions in a Mapping.
type VersionMapping struct {
	From     string            `json:"from_version"`
	To       string            `json:"to_version"`
	Criteria map[string]string `json:"criteria,omitempty"`
	Elements map[string]string `json:"elements,omitempty"`
	SIPAS    bool              `json:"sipas,omitempty"`
	Note     string            `json:"note,omitempty"`
}

// ErrMapping is wrapped by every error of ParseMapping and LoadMapping.
var ErrMapping = errors.New("invalid comparability mapping")

// LoadMapping reads a Mapping from a JSON file (see Mapping).
func LoadMapping(path string) (*Mapping, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseMapping(bytes.NewReader(b), path)
}

// ParseMapping reads and checks a Mapping; name (a file name) prefixes the
// errors, which give the field path (mappings[1].criteria["a1"]) and wrap
// ErrMapping. Unknown fields are errors.
func ParseMapping(r io.Reader, name string) (*Mapping, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var m Mapping
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%s: %w: %v", name, ErrMapping, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%s: %w: trailing data after the JSON object", name, ErrMapping)
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &m, nil
}

// Validate checks that every entry names two different, non-empty versions,
// that no pair of versions is given twice (in either direction), and that
// the criteria and element maps are one-to-one with non-empty ids. The
// error lists every problem with its field path and wraps ErrMapping.
func (m *Mapping) Validate() error {
	var probs []string
	seen := map[[2]string]int{}
	for i, v := range m.Mappings {
		at := fmt.Sprintf("mappings[%d]", i)
		if v.From == "" || v.To == "" {
			probs = append(probs, at+": from_version and to_version are required")
		} else if v.From == v.To {
			probs = append(probs, fmt.Sprintf("%s: from_version and to_version are both %q: a version is always comparable with itself", at, v.From))
		}
		pair := [2]string{min(v.From, v.To), max(v.From, v.To)}
		if j, dup := seen[pair]; dup {
			probs = append(probs, fmt.Sprintf("%s: versions %q and %q already mapped in mappings[%d]: merge the two entries", at, v.From, v.To, j))
		} else {
			seen[pair] = i
		}
		for _, kv := range []struct {
			field string
			m     map[string]string
		}{{"criteria", v.Criteria}, {"elements", v.Elements}} {
			img := map[string]string{}
			for _, old := range slices.Sorted(maps.Keys(kv.m)) {
				nw := kv.m[old]
				if old == "" || nw == "" {
					probs = append(probs, fmt.Sprintf("%s.%s[%q]: empty id", at, kv.field, old))
					continue
				}
				if o, dup := img[nw]; dup {
					probs = append(probs, fmt.Sprintf("%s.%s: %q is the counterpart of both %q and %q: map each id once", at, kv.field, nw, o, old))
					continue
				}
				img[nw] = old
			}
		}
	}
	if len(probs) > 0 {
		return fmt.Errorf("%w: %s", ErrMapping, strings.Join(probs, "; "))
	}
	return nil
}

// Counterpart returns the id, in questionnaire version other, of the index
// (kind, id) of version version, and whether the two are declared
// comparable. Equal versions are always comparable with the same id (also
// for a nil Mapping); otherwise an entry for the two versions, in either
// direction, must list the id (kind "criterion" or "element") or set sipas
// (kind "sipas", same id).
func (m *Mapping) Counterpart(kind, id, version, other string) (string, bool) {
	if version == other {
		return id, true
	}
	if m == nil {
		return "", false
	}
	for _, v := range m.Mappings {
		var forward bool
		switch {
		case v.From == version && v.To == other:
			forward = true
		case v.From == other && v.To == version:
		default:
			continue
		}
		var ids map[string]string
		switch kind {
		case "sipas":
			return id, v.SIPAS
		case "criterion":
			ids = v.Criteria
		case "element":
			ids = v.Elements
		default:
			return "", false
		}
		if forward {
			n, ok := ids[id]
			return n, ok
		}
		for old, n := range ids {
			if n == id {
				return old, true
			}
		}
		return "", false
	}
	return "", false
}

// Comparable lists the ids of one kind ("criterion" or "element") of
// version from that are comparable in version to, as a map from the id in
// from to the id in to; nil when nothing is comparable. For equal versions
// every id is comparable, which this function cannot list: it returns nil
// and true; otherwise the second result says whether the pair of versions
// has an entry at all.
func (m *Mapping) Comparable(kind, from, to string) (map[string]string, bool) {
	if from == to {
		return nil, true
	}
	if m == nil {
		return nil, false
	}
	for _, v := range m.Mappings {
		var ids map[string]string
		switch kind {
		case "criterion":
			ids = v.Criteria
		case "element":
			ids = v.Elements
		}
		switch {
		case v.From == from && v.To == to:
			out := make(map[string]string, len(ids))
			for a, b := range ids {
				out[a] = b
			}
			return out, true
		case v.From == to && v.To == from:
			out := make(map[string]string, len(ids))
			for a, b := range ids {
				out[b] = a
			}
			return out, true
		}
	}
	return nil, false
}
