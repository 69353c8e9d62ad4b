package main

import (
	"bytes"
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
	// Every province has this year's design effect, not the default 1.
	if n := strings.Count(out, " 1.00  "); n > 1 {
		t.Errorf("%d rows with design effect 1.00:\n%s", n, out)
	}
}
