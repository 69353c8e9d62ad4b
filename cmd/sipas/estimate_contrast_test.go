package main

import (
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/gonum/floats/scalar"
)

// estimate --contrast: R svycontrast on svyby(covmat = TRUE)
// (testdata/stats.R) for the stype domains of apistrat, with p-values and
// intervals on the design df; pairs gives every pair once.
func TestEstimateContrastCommand(t *testing.T) {
	recs := readCSV(t, filepath.Join("..", "..", "testdata", "stats", "contrasts.csv"))
	want := map[string][2]float64{}
	for _, r := range recs[1:] {
		if r[0] == "strat" {
			est, _ := strconv.ParseFloat(r[4], 64)
			se, _ := strconv.ParseFloat(r[5], 64)
			want[r[1]+" "+r[2]+" "+r[3]] = [2]float64{est, se}
		}
	}
	code, stdout, stderr := vtRun(t, "", "estimate", "--in", filepath.Join(etAPI, "apistrat.csv"), "--weight", "pw", "--strata", "stype",
		"--mean", "api00", "--total", "enroll", "--ratio", "api00/api99", "--by", "stype",
		"--contrast", "E-H", "--contrast", "0.5*E + 0.5*H - M", "--contrast", "pairs")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var out struct {
		Contrasts []struct {
			Statistic, Variable, Contrast string
			Estimate, SE                  float64
			CILow                         float64 `json:"ci_low"`
			CIHigh                        float64 `json:"ci_high"`
			P                             float64 `json:"p_value"`
			DF                            int
		} `json:"contrasts"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if len(out.Contrasts) != 3*(2+3) {
		t.Fatalf("%d contrasts, want 15", len(out.Contrasts))
	}
	names := map[string]string{"E-H": "E-H", "0.5*E + 0.5*H - M": "(E+H)/2-M", "E - H": "E-H", "E - M": "E-M", "H - M": "H-M"}
	for _, c := range out.Contrasts {
		w, ok := want[c.Statistic+" "+c.Variable+" "+names[c.Contrast]]
		if !ok {
			t.Errorf("no golden for %+v", c)
			continue
		}
		if !scalar.EqualWithinAbsOrRel(c.Estimate, w[0], 0, 1e-9) || !scalar.EqualWithinAbsOrRel(c.SE, w[1], 0, 1e-9) || c.DF != 197 || !(c.CILow < c.Estimate && c.Estimate < c.CIHigh) || !(c.P >= 0 && c.P <= 1) {
			t.Errorf("%+v, R %v", c, w)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--mean", "api00", "--contrast", "E-H"}, "--contrast needs --by"},
		{[]string{"--mean", "api00", "--by", "stype", "--contrast", "E-X"}, `no --by domain "X"`},
		{[]string{"--mean", "api00", "--by", "stype", "--contrast", "E H"}, `no --by domain "E H"`},
		{[]string{"--mean", "api00", "--by", "stype", "--contrast", "E -"}, "a domain is missing"},
	} {
		code, _, stderr := vtRun(t, "", append([]string{"estimate", "--in", filepath.Join(etAPI, "apistrat.csv"), "--weight", "pw", "--strata", "stype"}, c.args...)...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, code, stderr, c.want)
		}
	}
}

func TestParseContrast(t *testing.T) {
	labels := []string{"Bà Rịa - Vũng Tàu", "Bà Rịa", "Hà Nội", "2024", "2025"}
	for _, c := range []struct {
		in   string
		want string // domain:coef ...
	}{
		{"Bà Rịa - Vũng Tàu - Hà Nội", "0:1 2:-1"},
		{"Bà Rịa - Hà Nội", "1:1 2:-1"},
		{"2025-2024", "4:1 3:-1"},
		{`0.5*"Bà Rịa" + 0.5 * Hà Nội - 2024`, "1:0.5 2:0.5 3:-1"},
		{"-Hà Nội + 2024 + 2024", "2:-1 3:2"},
	} {
		got, err := parseContrast(c.in, labels)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		var s []string
		for _, d := range got {
			s = append(s, strconv.Itoa(d.Domain)+":"+strconv.FormatFloat(d.Coef, 'g', -1, 64))
		}
		if strings.Join(s, " ") != c.want {
			t.Errorf("%q: %v, want %s", c.in, s, c.want)
		}
	}
}

func FuzzParseContrast(f *testing.F) {
	for _, s := range []string{"A - B", `0.5*"A B" + 2e1*C`, "-A+", "A -", `"`, "1.*A", "A B"} {
		f.Add(s)
	}
	labels := []string{"A", "A B", "C", "A-B", "2024"}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseContrast(s, labels)
		if err == nil && len(got) == 0 {
			t.Errorf("%q: no terms and no error", s)
		}
		for _, d := range got {
			if d.Domain < 0 || d.Domain >= len(labels) {
				t.Errorf("%q: domain %d", s, d.Domain)
			}
		}
	})
}

// A domain in one PSU prints null SE and interval and flag few_psu.
func TestEstimateFewPSUJSON(t *testing.T) {
	code, stdout, stderr := vtRun(t, "", "estimate", "--in", filepath.Join(etAPI, "apiclus1.csv"), "--weight", "pw", "--psu", "dnum",
		"--mean", "api00", "--by", "dnum")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var out struct {
		Estimates []struct {
			SE    *float64
			CILow *float64 `json:"ci_low"`
			Flag  string
			PSUs  int
		} `json:"estimates"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Estimates) == 0 {
		t.Fatal("no estimates")
	}
	for _, e := range out.Estimates {
		if e.SE != nil || e.CILow != nil || e.Flag != "few_psu" || e.PSUs != 1 {
			t.Errorf("%+v", e)
		}
	}
}
