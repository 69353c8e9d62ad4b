// Package golden reads the golden files that the R scripts in testdata/
// write (CSV with a header row, numbers with sprintf("%.17g"), NA for
// missing), for the tests that compare the library with R.
package golden

import (
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
)

// Table reads a CSV file into its header and rows, failing the test on any
// error.
func Table(t testing.TB, path string) (header []string, rows [][]string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(recs) == 0 {
		t.Fatalf("%s: empty golden file", path)
	}
	return recs[0], recs[1:]
}

// Rows reads a CSV file into one column → value map per row.
func Rows(t testing.TB, path string) []map[string]string {
	t.Helper()
	header, rows := Table(t, path)
	out := make([]map[string]string, 0, len(rows))
	for _, r := range rows {
		m := make(map[string]string, len(header))
		for i, h := range header {
			m[h] = r[i]
		}
		out = append(out, m)
	}
	return out
}

// Float parses a number as R writes it: "NA", "NaN" and "" are NaN, "Inf"
// and "-Inf" infinities.
func Float(t testing.TB, s string) float64 {
	t.Helper()
	switch s {
	case "NA", "NaN", "":
		return math.NaN()
	case "Inf":
		return math.Inf(1)
	case "-Inf":
		return math.Inf(-1)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("golden value %q: %v", s, err)
	}
	return v
}

// Close reports whether a and b agree to the relative tolerance tol
// (|a − b| ≤ tol·max(|a|, |b|)), or are both NaN, or are equal.
func Close(a, b, tol float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	if a == b {
		return true
	}
	return math.Abs(a-b) <= tol*math.Max(math.Abs(a), math.Abs(b))
}

// Steps reads a JSON object of weighting steps lists by case (as the R
// scripts' cases: {"case": [step, …]}) and returns each case's steps as
// the text inside its brackets, for a spec's "steps": [ … ].
func Steps(t testing.TB, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	out := map[string]string{}
	for k, v := range raw {
		s := strings.TrimSpace(string(v))
		if !strings.HasPrefix(s, "[") || !strings.HasSuffix(s, "]") {
			t.Fatalf("%s: case %q is not a list of steps", path, k)
		}
		out[k] = s[1 : len(s)-1]
	}
	return out
}
