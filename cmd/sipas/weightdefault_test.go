package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestForgottenWeight: index, trend and report on a file that carries
// its weights, run without --weight, use them and say so (stderr and the
// JSON "notes"); --weight none is an unweighted run on purpose. They used
// to print unweighted figures without a word.
func TestForgottenWeight(t *testing.T) {
	dir := t.TempDir()
	sat, unsat := strings.Repeat("4,", 21)+"4", strings.Repeat("2,", 21)+"2"
	in := vtBallots(t, dir, "b.csv", "=B1,2019,Hà Nội,"+sat+",3", "=B2,2019,Hà Nội,"+unsat+",1", "=B3,2019,Huế,"+sat+",1", "=B4,2019,Huế,"+unsat+",1")
	sipas := func(args ...string) (float64, string, []string) {
		t.Helper()
		code, stdout, stderr := vtRun(t, "", append([]string{"index", "--in"}, args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		var out struct {
			Notes     []string
			Estimates []struct {
				ID       string
				Estimate float64
			}
		}
		if err := json.Unmarshal([]byte(stdout), &out); err != nil {
			t.Fatal(err)
		}
		for _, r := range out.Estimates {
			if r.ID == "sipas" {
				return r.Estimate, stderr, out.Notes
			}
		}
		t.Fatal("no sipas row")
		return 0, "", nil
	}
	weighted, _, _ := sipas(in, "--weight", "weight")
	unweighted, stderr, notes := sipas(in, "--weight", "none")
	if !near(weighted, 400.0/6) || !near(unweighted, 50) || stderr != "" || len(notes) != 0 {
		t.Fatalf("weighted %v, unweighted %v (%q, %q); want 66.7, 50 and no note", weighted, unweighted, stderr, notes)
	}
	in2 := vtBallots(t, dir, "b2.csv", "=B1,2019,Hà Nội,"+sat+",3", "=B2,2019,Hà Nội,"+unsat+",1", "=B3,2019,Huế,"+unsat+",1")
	got, stderr, notes := sipas(in2)
	want := `weighted by column "weight", the file's weight column (--weight none for an unweighted run)`
	if !near(got, 60) || stderr != "sipas: note: "+want+"\n" || len(notes) != 1 || notes[0] != want {
		t.Errorf("no --weight: SIPAS %v, stderr %q, notes %q; want 60 (weighted), the note", got, stderr, notes)
	}
	// The weight sipas weight wrote (output.weight "final") is recorded
	// in the file and preferred to a column called weight.
	spec := writeFile(t, dir, "w.json", `{"design_weight": "weight", "steps": [{"trim": {"max": 2}}], "output": {"weight": "final"}}`)
	pq := filepath.Join(dir, "w.parquet")
	if code, _, stderr := vtRun(t, "", "weight", "--in", in2, "--spec", spec, "--out", pq); code != 0 {
		t.Fatalf("weight: %s", stderr)
	}
	final, _, _ := sipas(pq, "--weight", "final")
	if got, stderr, _ = sipas(pq); got != final || near(got, 60) || !strings.Contains(stderr, `column "final", the final weight that sipas weight recorded`) {
		t.Errorf("recorded weight: SIPAS %v, stderr %q; want %v (weighted by final)", got, stderr, final)
	}
	// A CSV output carries the record in its sidecar, and index finds it
	// there (it weighted by the column "weight" before, without a word).
	csv := filepath.Join(dir, "w.csv")
	if code, _, stderr := vtRun(t, "", "weight", "--in", in2, "--spec", spec, "--out", csv); code != 0 {
		t.Fatalf("weight: %s", stderr)
	}
	if got, stderr, _ = sipas(csv); got != final || !strings.Contains(stderr, `column "final", the final weight that sipas weight recorded`) {
		t.Errorf("recorded weight of a CSV: SIPAS %v, stderr %q; want %v (weighted by final)", got, stderr, final)
	}
	// A CSV changed after sipas weight no longer matches its sidecar:
	// refused, naming the sidecar, instead of trusting a stale record.
	b, _ := os.ReadFile(csv)
	os.WriteFile(csv, append(b, b[bytes.IndexByte(b, '\n')+1:]...), 0o644)
	if code, _, stderr := vtRun(t, "", "index", "--in", csv); code != 2 || !strings.Contains(stderr, "w.csv.sipas.json") || !strings.Contains(stderr, "sidecar out of date") {
		t.Errorf("changed CSV: exit %d, stderr %q; want 2 naming the sidecar", code, stderr)
	}
	for _, args := range [][]string{
		{"trend", "--in", in2, "--year-col", "year", "--by", "none"},
		{"report", "--in", in2, "--out", filepath.Join(dir, "rep"), "--draws", "100"},
	} {
		code, _, stderr := vtRun(t, "", args...)
		if code != 0 || !strings.Contains(stderr, "sipas: note: "+want) {
			t.Errorf("%s: exit %d, stderr %q; want the note", args[0], code, stderr)
		}
	}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Abs(b) }
