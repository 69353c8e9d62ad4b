package index

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const trendMappingJSON = `{"mappings": [
  {"from_version": "sipas-2017", "to_version": "sipas-2023",
   "criteria": {"access_1": "a1", "access_2": "a2"},
   "elements": {"access": "access", "procedure": "proc"},
   "sipas": true, "note": "new questionnaire"},
  {"from_version": "sipas-2024", "to_version": "sipas-2023",
   "criteria": {"x1": "a1"}}
]}`

func TestMappingCounterpart(t *testing.T) {
	m, err := ParseMapping(strings.NewReader(trendMappingJSON), "m.json")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		kind, id, ver, other string
		want                 string
		ok                   bool
	}{
		{"criterion", "access_1", "sipas-2017", "sipas-2017", "access_1", true}, // same version
		{"criterion", "a1", "sipas-2023", "sipas-2017", "access_1", true},       // new → old (reverse)
		{"criterion", "access_2", "sipas-2017", "sipas-2023", "a2", true},       // old → new (forward)
		{"criterion", "access_3", "sipas-2017", "sipas-2023", "", false},        // not listed
		{"element", "proc", "sipas-2023", "sipas-2017", "procedure", true},
		{"sipas", "sipas", "sipas-2023", "sipas-2017", "sipas", true},
		{"sipas", "sipas", "sipas-2023", "sipas-2024", "sipas", false}, // entry without sipas
		{"criterion", "a1", "sipas-2023", "sipas-2024", "x1", true},
		{"expectation", "e1", "sipas-2017", "sipas-2023", "", false},     // kind not mappable
		{"criterion", "access_1", "sipas-2017", "sipas-2024", "", false}, // no entry (no chaining)
	}
	for _, c := range cases {
		got, ok := m.Counterpart(c.kind, c.id, c.ver, c.other)
		if got != c.want || ok != c.ok {
			t.Errorf("Counterpart(%s, %s, %s, %s) = %q, %v; want %q, %v", c.kind, c.id, c.ver, c.other, got, ok, c.want, c.ok)
		}
	}
	var nilMap *Mapping
	if id, ok := nilMap.Counterpart("criterion", "c", "v", "v"); !ok || id != "c" {
		t.Error("nil mapping: same version not comparable")
	}
	if _, ok := nilMap.Counterpart("criterion", "c", "v", "w"); ok {
		t.Error("nil mapping: different versions comparable")
	}
	ids, ok := m.Comparable("criterion", "sipas-2023", "sipas-2017")
	if !ok || len(ids) != 2 || ids["a1"] != "access_1" || ids["a2"] != "access_2" {
		t.Errorf("Comparable reverse: %v %v", ids, ok)
	}
	ids, ok = m.Comparable("element", "sipas-2017", "sipas-2023")
	if !ok || ids["procedure"] != "proc" {
		t.Errorf("Comparable forward: %v %v", ids, ok)
	}
	if ids, ok := m.Comparable("criterion", "sipas-2017", "sipas-2017"); !ok || ids != nil {
		t.Errorf("Comparable same: %v %v", ids, ok)
	}
	if _, ok := m.Comparable("criterion", "sipas-2017", "sipas-2030"); ok {
		t.Error("Comparable without an entry")
	}
}

func TestParseMappingErrors(t *testing.T) {
	cases := []struct{ name, json, want string }{
		{"unknown field", `{"mappings": [{"from": "a"}]}`, "unknown field"},
		{"missing version", `{"mappings": [{"from_version": "a"}]}`, "mappings[0]: from_version and to_version are required"},
		{"same version", `{"mappings": [{"from_version": "a", "to_version": "a"}]}`, "always comparable with itself"},
		{"duplicate pair", `{"mappings": [{"from_version": "a", "to_version": "b"}, {"from_version": "b", "to_version": "a"}]}`, "already mapped in mappings[0]"},
		{"not one-to-one", `{"mappings": [{"from_version": "a", "to_version": "b", "criteria": {"x": "n", "y": "n"}}]}`, `mappings[0].criteria: "n" is the counterpart of both "x" and "y"`},
		{"empty id", `{"mappings": [{"from_version": "a", "to_version": "b", "elements": {"x": ""}}]}`, `mappings[0].elements["x"]: empty id`},
		{"trailing", `{"mappings": []} {}`, "trailing data"},
		{"not json", `[`, "m.json"},
	}
	for _, c := range cases {
		_, err := ParseMapping(strings.NewReader(c.json), "m.json")
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, ErrMapping) || !strings.HasPrefix(err.Error(), "m.json") {
			t.Errorf("%s: err %v, want it to contain %q and wrap ErrMapping", c.name, err, c.want)
		}
	}
}

func TestLoadMapping(t *testing.T) {
	p := filepath.Join(t.TempDir(), "mapping.json")
	if err := os.WriteFile(p, []byte(trendMappingJSON), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := LoadMapping(p)
	if err != nil || len(m.Mappings) != 2 || m.Mappings[0].Note != "new questionnaire" {
		t.Fatalf("%+v %v", m, err)
	}
	if _, err := LoadMapping(filepath.Join(t.TempDir(), "none.json")); err == nil {
		t.Error("missing file accepted")
	}
}

// FuzzParseMapping: ParseMapping never panics, and what it accepts passes
// Validate and answers Counterpart without panicking.
func FuzzParseMapping(f *testing.F) {
	f.Add(trendMappingJSON)
	f.Add(`{"mappings": [{"from_version": "a", "to_version": "b", "criteria": {"x": "n", "y": "n"}}]}`)
	f.Add(`{}`)
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMapping(strings.NewReader(s), "fuzz.json")
		if err != nil {
			return
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("accepted but invalid: %v", err)
		}
		for _, v := range m.Mappings {
			for old, nw := range v.Criteria {
				if got, ok := m.Counterpart("criterion", old, v.From, v.To); !ok || got != nw {
					t.Fatalf("forward %q: %q %v", old, got, ok)
				}
				if got, ok := m.Counterpart("criterion", nw, v.To, v.From); !ok || got != old {
					t.Fatalf("reverse %q: %q %v", nw, got, ok)
				}
			}
		}
	})
}
