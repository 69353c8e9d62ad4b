package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRowOrderTolerance holds the documented tolerance for the same
// ballots in another row order: index gives the same rows with numbers
// within 1e-12 relative (absolute below 1; sums in another order round
// differently).
func TestRowOrderTolerance(t *testing.T) {
	src := filepath.Join("..", "..", "testdata", "index", "sipas_small.csv")
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	rev := []string{lines[0]}
	for i := len(lines) - 1; i >= 1; i-- {
		rev = append(rev, lines[i])
	}
	other := writeFile(t, t.TempDir(), "reversed.csv", strings.Join(rev, "\n")+"\n")
	var outs [2]any
	for k, in := range []string{src, other} {
		code, stdout, stderr := vtRun(t, "", "index", "--in", in, "--weight", "weight", "--strata", "stratum", "--psu", "psu", "--by", "province")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if err := json.Unmarshal([]byte(stdout), &outs[k]); err != nil {
			t.Fatal(err)
		}
	}
	worst, where := 0.0, ""
	var walk func(path string, a, b any)
	walk = func(path string, a, b any) {
		switch x := a.(type) {
		case map[string]any:
			y, ok := b.(map[string]any)
			if !ok || len(x) != len(y) {
				t.Fatalf("%s: %v vs %v", path, a, b)
			}
			for k := range x {
				walk(path+"."+k, x[k], y[k])
			}
		case []any:
			y, ok := b.([]any)
			if !ok || len(x) != len(y) {
				t.Fatalf("%s: %d vs %d elements", path, len(x), len(y))
			}
			for i := range x {
				walk(path, x[i], y[i])
			}
		case float64:
			y, ok := b.(float64)
			if !ok {
				t.Fatalf("%s: %v vs %v", path, a, b)
			}
			if d := math.Abs(x-y) / math.Max(math.Abs(x), 1); d > worst {
				worst, where = d, fmt.Sprintf("%s: %v vs %v", path, x, y)
			}
		default:
			if a != b {
				t.Fatalf("%s: %v vs %v", path, a, b)
			}
		}
	}
	walk("", outs[0], outs[1])
	if worst > 1e-12 {
		t.Errorf("largest relative difference %g (%s), documented below 1e-12", worst, where)
	}
}
