package weighting

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// The example of CLI.md, verbatim.
const cliExample = `{
  "design_weight": "pw",
  "steps": [
    {"nonresponse": {"classes": ["province", "level"], "responded": "responded"}},
    {"poststratify": {"by": ["stype"], "totals": {"E": 4421, "H": 755, "M": 1018}}},
    {"rake": {"margins": [
        {"by": ["stype"], "totals": {"E": 4421, "H": 755, "M": 1018}},
        {"by": ["sch.wide"], "totals": {"No": 1072, "Yes": 5122}}],
      "max_iter": 100, "epsilon": 1e-7}},
    {"calibrate": {"method": "linear", "bounds": [0.5, 3.0],
      "margins": [{"by": ["stype"], "totals": {"E": 4421, "H": 755, "M": 1018}}],
      "numeric": {"enroll": 3811472}}},
    {"trim": {"max": 3.5, "relative_to": "median"}}
  ],
  "replicates": {"type": "jk1", "psu": "dnum"},
  "output": {"weight": "weight", "replicate_prefix": "repw_"}
}`

func TestParseCLIExample(t *testing.T) {
	s, err := ParseSpecBytes([]byte(cliExample))
	if err != nil {
		t.Fatal(err)
	}
	if s.DesignWeight != "pw" || len(s.Steps) != 5 {
		t.Fatalf("%+v", s)
	}
	kinds := []string{"nonresponse", "poststratify", "rake", "calibrate", "trim"}
	for i, k := range kinds {
		if s.Steps[i].Kind() != k {
			t.Errorf("step %d kind %q want %q", i, s.Steps[i].Kind(), k)
		}
	}
	nr := s.Steps[0].Nonresponse
	if strings.Join(nr.Classes, ",") != "province,level" || nr.Responded != "responded" {
		t.Errorf("nonresponse %+v", nr)
	}
	if s.Steps[1].PostStratify.Totals["H"] != 755 {
		t.Errorf("poststratify %+v", s.Steps[1].PostStratify)
	}
	r := s.Steps[2].Rake
	if len(r.Margins) != 2 || r.MaxIter != 100 || r.Epsilon != 1e-7 || r.Margins[1].By[0] != "sch.wide" || r.Margins[1].Totals["Yes"] != 5122 {
		t.Errorf("rake %+v", r)
	}
	c := s.Steps[3].Calibrate
	if c.Method != "linear" || *c.Bounds != [2]float64{0.5, 3} || c.Numeric["enroll"] != 3811472 || c.MaxIter != 0 {
		t.Errorf("calibrate %+v", c)
	}
	tr := s.Steps[4].Trim
	if tr.Max != 3.5 || tr.RelativeTo != "median" || tr.Redistribute != "proportional" {
		t.Errorf("trim %+v", tr)
	}
	if s.Replicates.Type != "jk1" || s.Replicates.PSU != "dnum" || s.Output.Weight != "weight" || s.Output.ReplicatePrefix != "repw_" {
		t.Errorf("replicates %+v output %+v", s.Replicates, s.Output)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		js, path string
		err      error
	}{
		{`{"design_weigth": "pw"}`, "design_weigth", ErrUnknownField},
		{`{"steps": [{"rake": {"margins": [{"by": ["a"], "totals": {"x": 1}, "weights": 2}]}}]}`, "steps[0].rake.margins[0].weights", ErrUnknownField},
		{`{"steps": [{"calibrate": {"method": "linear", "numeric": {"x": 1}, "bound": [0, 2]}}]}`, "steps[0].calibrate.bound", ErrUnknownField},
		{`{"steps": [{"reweight": {}}]}`, "steps[0].reweight", ErrUnknownField},
		{`{"steps": [{"trim": {"max": 3}, "rake": {}}]}`, "steps[0]", ErrSpec},
		{`{"steps": [{"calibrate": {"method": "logit", "numeric": {"x": 1}}}]}`, "steps[0].calibrate.bounds", ErrSpec},
		{`{"steps": [{"calibrate": {"method": "gREG", "numeric": {"x": 1}}}]}`, "steps[0].calibrate.method", ErrSpec},
		{`{"steps": [{"calibrate": {"bounds": [1.2, 3], "numeric": {"x": 1}}}]}`, "steps[0].calibrate.bounds", ErrSpec},
		{`{"steps": [{"rake": {"margins": [{"by": ["a", "b"], "totals": {"x": 1}}]}}]}`, "steps[0].rake.margins[0].totals", ErrSpec},
		{`{"steps": [{"rake": {"margins": [{"by": ["a"], "totals": {"x": -1}}]}}]}`, "steps[0].rake.margins[0].totals.x", ErrSpec},
		{`{"steps": [{"rake": {"max_iter": 0.5, "margins": [{"by": ["a"], "totals": {"x": 1}}]}}]}`, "steps[0].rake.max_iter", ErrSpec},
		{`{"steps": [{"poststratify": {"by": "a", "totals": {"x": 1}}}]}`, "steps[0].poststratify.by", ErrSpec},
		{`{"steps": [{"nonresponse": {"classes": []}}]}`, "steps[0].nonresponse.responded", ErrSpec},
		{`{"steps": [{"trim": {"relative_to": "mean", "max": 2}}]}`, "steps[0].trim.relative_to", ErrSpec},
		{`{"steps": [{"trim": {"max": 2, "min": 3}}]}`, "steps[0].trim.min", ErrSpec},
		{`{"replicates": {"type": "jk2", "psu": "p"}}`, "replicates.type", ErrSpec},
		{`{"replicates": {"type": "fay", "psu": "p", "strata": "s"}}`, "replicates.rho", ErrSpec},
		{`{"replicates": {"type": "jk1", "psu": "p", "repeats": 3}}`, "replicates.repeats", ErrUnknownField},
		{`{"output": {"weight": "w", "prefix": "r"}}`, "output.prefix", ErrUnknownField},
		{`{"design_weight": "a", "design_weight": "b"}`, "design_weight", ErrSpec},
		{`{"design_weight": 3}`, "design_weight", ErrSpec},
		{`[1]`, "", ErrSpec},
		{`{"design_weight": "pw"} {}`, "", ErrSpec},
	}
	for _, c := range cases {
		_, err := ParseSpecBytes([]byte(c.js))
		var se *SpecError
		if !errors.As(err, &se) {
			t.Errorf("%s: got %v, want a *SpecError", c.js, err)
			continue
		}
		if se.Path != c.path || !errors.Is(err, c.err) {
			t.Errorf("%s: path %q err %v; want path %q, %v", c.js, se.Path, err, c.path, c.err)
		}
		if c.path != "" && !strings.Contains(err.Error(), c.path) {
			t.Errorf("message %q does not name %q", err, c.path)
		}
	}
}

func TestParseDefaults(t *testing.T) {
	s, err := ParseSpecBytes([]byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	if s.DesignWeight != "" || len(s.Steps) != 0 || s.Replicates != nil || s.Output.Weight != "weight" {
		t.Errorf("%+v", s)
	}
	s, err = ParseSpecBytes([]byte(`{"replicates": {"type": "bootstrap", "strata": "s", "psu": "p", "seed": 7}}`))
	if err != nil || s.Replicates.N != 200 || s.Replicates.Seed != 7 {
		t.Errorf("%+v %v", s.Replicates, err)
	}
}

// TestSpecColumns: every column a spec reads, once each, in the order the
// doc gives (design weight, classes and margins, response flags, sorted
// calibration variables, replicate design).
func TestSpecColumns(t *testing.T) {
	spec, err := ParseSpecBytes([]byte(`{
  "design_weight": "pw",
  "steps": [
    {"nonresponse": {"classes": ["province", "level"], "responded": "responded", "returned": "returned"}},
    {"poststratify": {"by": ["stype"], "totals": {"E": 4421, "H": 755, "M": 1018}}},
    {"rake": {"margins": [
        {"by": ["stype"], "totals": {"E": 4421, "H": 755, "M": 1018}},
        {"by": ["sch.wide"], "totals": {"No": 1072, "Yes": 5122}}]}},
    {"calibrate": {"method": "linear", "margins": [{"by": ["level", "stype"], "totals": {"a:E": 1}}],
      "numeric": {"enroll": 3811472, "api00": 1}}}],
  "replicates": {"type": "jkn", "strata": "stratum", "psu": "dnum", "fpc": "fpc"}}`))
	if err != nil {
		t.Fatal(err)
	}
	wantSets := [][]string{{"province", "level"}, {"stype"}, {"stype"}, {"sch.wide"}, {"level", "stype"}}
	if got := spec.ClassSets(); !slices.EqualFunc(got, wantSets, slices.Equal) {
		t.Errorf("ClassSets %q, want %q", got, wantSets)
	}
	want := []string{"pw", "province", "level", "stype", "sch.wide", "responded", "returned", "api00", "enroll", "stratum", "dnum", "fpc"}
	if got := spec.Columns(); !slices.Equal(got, want) {
		t.Errorf("Columns %q, want %q", got, want)
	}
	if got := (&Spec{}).Columns(); len(got) != 0 {
		t.Errorf("empty spec: Columns %q", got)
	}
}
