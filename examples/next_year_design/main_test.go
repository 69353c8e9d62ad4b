package main

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/internal/synth"
	"github.com/sipas-go/sipas/sampling/selection"
)

// The plan of 2022 over a synthetic register of 63 provinces, with the
// design effects of the 2021 ballots of testdata/index/sipas_small.csv.
func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a register of 1.5 million transactions")
	}
	ballots, err := readCSV(filepath.Join("..", "..", "testdata", "index", "sipas_small.csv"), map[string]arrow.DataType{"ballot_id": arrow.BinaryTypes.String, "psu": arrow.BinaryTypes.String})
	if err != nil {
		t.Fatal(err)
	}
	defer ballots.Release()
	reg, err := synth.Register(synth.Config{Seed: 1, TotalRows: 1_500_000}, 2022, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Release()
	design, err := selection.ParseSampleDesign(bytes.NewReader(defaultDesign))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := run(&buf, ballots, selection.NewRecordFrame(reg), design); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	// 63 provinces + the total, and the note on Yamane's margin.
	if n := strings.Count(out, "±"); n != 64 {
		t.Errorf("%d plan rows, want 64:\n%s", n, out)
	}
	if !strings.Contains(out, "Yamane") {
		t.Errorf("no note on Yamane's margin:\n%s", out)
	}
	// Every province has this year's design effect, not the default 1,
	// unless that was below 1: then it is planned with 1 and a warning
	// names the province (Yên Bái's 2021 design effect is 0.0055, from
	// few PSUs).
	warned := strings.Count(out, "warning: design effect")
	if n := strings.Count(out, " 1.00  "); n > 1+warned {
		t.Errorf("%d rows with design effect 1.00, %d warned:\n%s", n, warned, out)
	}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 6 || !strings.Contains(line, " 1.00  ") || f[0] == "all" {
			continue
		}
		prov := strings.Join(f[:len(f)-5], " ")
		if !strings.Contains(out, fmt.Sprintf("plan.deff_by[%q]) is below 1; planned with 1", prov)) {
			t.Errorf("%s planned at deff 1.00 without a warning", prov)
		}
	}
	if !strings.Contains(out, `warning: design effect 0.00546 (plan.deff_by["Yên Bái"]) is below 1; planned with 1 in stratum "Yên Bái"`) {
		t.Errorf("no warning on Yên Bái's design effect 0.0055:\n%s", out)
	}
}
