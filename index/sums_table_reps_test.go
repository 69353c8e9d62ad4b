package index

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/sampling"
)

// sameFromRepTables checks that the tables of s (ReplicateSumsTables of
// its Table tab) finish to want, the finish from s's own replicate sums,
// to the last bit: every estimate, SE, interval, design effect and degree
// of freedom.
func sameFromRepTables(t *testing.T, where string, s *Sums, tab arrow.RecordBatch, spec *sampling.DesignOptions, opt *Options, want *Result) {
	t.Helper()
	cells, reps, err := ReplicateSumsTables(s, tab)
	if err != nil {
		t.Fatal(err)
	}
	defer cells.Release()
	defer reps.Release()
	if cells.Schema().HasField(repGroupColumn) {
		t.Errorf("%s: the cells' table keeps the internal group column", where)
	}
	got, _, err := FromReplicateSumsTables(context.Background(), cells, reps, nil, spec, opt)
	if err != nil {
		t.Fatalf("%s: from the tables: %v", where, err)
	}
	if got.DF != want.DF {
		t.Errorf("%s: design df %d from the tables, %d from the sums", where, got.DF, want.DF)
	}
	sameRows(t, where+" from the tables", want, got, 0)
}

// repTablesFixture is the R-golden fixture with 30 bootstrap replicate
// weights of its design as columns rw1…rw30, perturbed ballot by ballot
// (no two ballots' weights proportional), and its replicate design's
// scales.
func repTablesFixture(t *testing.T) (arrow.RecordBatch, float64, []float64) {
	t.Helper()
	rec := loadFixture(t)
	defer rec.Release()
	d, err := sampling.NewDesign(rec, &sampling.DesignOptions{Weight: "weight", Strata: "stratum", PSU: "psu", Variance: sampling.Bootstrap, Replicates: 30, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	scale, rscales := d.ReplicateScales()
	return withRepColumns(t, rec, d, func(i, r int) float64 {
		if r < 0 {
			return 1
		}
		return 1 + 0.01*float64((i*7+r*3)%11)
	}), scale, rscales
}

// TestReplicateSumsSQLOnSQLite runs the queries of SumsSQL and
// ReplicateSumsSQL for real in SQLite (as TestSumsSQLOnSQLite) on the
// fixture with 30 replicate weight columns, with and without a PSU
// column, nationally and by one and two domain columns: the indices
// finished from the two tables equal Compute's on the ballots at 1e-12
// (every estimate, SE, interval, design effect, difference to the nation)
// and the degrees of freedom exactly.
func TestReplicateSumsSQLOnSQLite(t *testing.T) {
	if _, err := exec.LookPath("sqlite3"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("sqlite3 is not installed (Debian package sqlite3; .ci/run installs it)")
		}
		t.Skip("sqlite3 is not installed (apt-get install sqlite3); CI runs this test")
	}
	rec, scale, rscales := repTablesFixture(t)
	defer rec.Release()
	dir := t.TempDir()
	csv := filepath.Join(dir, "ballots.csv")
	if err := arrowio.WriteRecord(csv, rec); err != nil {
		t.Fatal(err)
	}
	cols := sqliteColumns(rec)
	var reps []string
	for _, f := range rec.Schema().Fields() {
		if strings.HasPrefix(f.Name, "rw") {
			reps = append(reps, f.Name)
		}
	}
	sqlite := func(where, query string) []byte {
		script := fmt.Sprintf("CREATE TABLE ballots (%s);\n.import --csv --skip 1 %s ballots\n.mode json\n%s;\n", strings.Join(cols, ", "), csv, strings.TrimSpace(query))
		db := filepath.Join(dir, "b.db")
		defer os.Remove(db)
		cmd := exec.Command("sqlite3", db)
		cmd.Stdin = strings.NewReader(script)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil || stderr.Len() > 0 {
			t.Fatalf("%s: sqlite3: %v\n%s", where, err, stderr.String())
		}
		return out
	}
	for _, tc := range []struct {
		spec *sampling.DesignOptions
		opt  *Options
	}{
		{&sampling.DesignOptions{Weight: "weight", Strata: "stratum", PSU: "psu", RepWeightsPrefix: "rw", RepScale: scale, RepRScales: rscales}, &Options{By: []string{"province"}, VsNation: true, CI: sampling.Wald, DF: sampling.DFDomain}},
		{&sampling.DesignOptions{Weight: "weight", RepWeightsPrefix: "rw", RepScale: scale, RepRScales: rscales}, &Options{By: []string{"region", "field"}, Score: ScoreMean, DF: sampling.DFDomain}},
		{&sampling.DesignOptions{Weight: "weight", PSU: "psu", RepWeightsPrefix: "rw", RepType: "bootstrap"}, &Options{NoExpectations: true}},
	} {
		if testing.Short() && tc.spec.PSU == "" {
			continue // each query takes about a second of SQLite's time
		}
		where := fmt.Sprintf("psu %q by %v", tc.spec.PSU, tc.opt.By)
		s := mergedSums(t, rec, nil, tc.spec, tc.opt, 1000)
		tab, err := s.Table(memory.DefaultAllocator)
		if err != nil {
			t.Fatal(err)
		}
		mineCells, mineReps, err := ReplicateSumsTables(s, tab)
		tab.Release()
		if err != nil {
			t.Fatal(err)
		}
		cells := jsonTable(t, sqlite(where, SumsSQL(nil, tc.opt, "ballots", tc.spec.Weight, tc.spec.Strata, tc.spec.PSU, tc.spec.FPC)), mineCells.Schema())
		repTab := jsonTable(t, sqlite(where, ReplicateSumsSQL(nil, tc.opt, "ballots", tc.spec.Weight, tc.spec.PSU, reps)), mineReps.Schema())
		if repTab.NumRows() != mineReps.NumRows() {
			t.Fatalf("%s: SQL gave %d replicate rows, the ballots %d", where, repTab.NumRows(), mineReps.NumRows())
		}
		got, _, err := FromReplicateSumsTables(context.Background(), cells, repTab, nil, tc.spec, tc.opt)
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		d, err := sampling.NewDesign(rec, tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		want, err := Compute(context.Background(), d, rec, nil, tc.opt)
		if err != nil {
			t.Fatal(err)
		}
		if got.DF != want.DF {
			t.Errorf("%s: df %d from SQL, %d from the ballots", where, got.DF, want.DF)
		}
		sameRows(t, where+" SQL vs Compute", want, got, 1e-12)
		for _, r := range []arrow.RecordBatch{cells, repTab, mineCells, mineReps} {
			r.Release()
		}
	}
}

// TestReplicateSumsTablesErrors: a replicate sums table that does not
// fit its cells' table is refused, naming what is wrong: a missing item
// column, fewer gram_ columns than replicates, a missing replicate row,
// a domain without cells, cells without replicate sums.
func TestReplicateSumsTablesErrors(t *testing.T) {
	rec, scale, rscales := repTablesFixture(t)
	defer rec.Release()
	spec := &sampling.DesignOptions{Weight: "weight", Strata: "stratum", PSU: "psu", RepWeightsPrefix: "rw", RepScale: scale, RepRScales: rscales}
	opt := &Options{By: []string{"region"}}
	s := mergedSums(t, rec, nil, spec, opt, 1000)
	tab, err := s.Table(memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Release()
	cells, reps, err := ReplicateSumsTables(s, tab)
	if err != nil {
		t.Fatal(err)
	}
	defer cells.Release()
	defer reps.Release()
	item := DefaultQuestionnaire().Criteria[3].Column
	for _, c := range []struct {
		name        string
		cells, reps arrow.RecordBatch
		says        string
	}{
		{"missing item", cells, withoutColumn(reps, SumsColumn("x", item)), `missing column "` + SumsColumn("x", item) + `"`},
		{"fewer gram columns", cells, withoutColumn(reps, RepSumsGram(30)), "replicate 30, want 1 … 29"},
		{"missing replicate", cells, reps.NewSlice(1, reps.NumRows()), "has no row of replicate 1 of 30"},
		{"domain without cells", cells.NewSlice(0, 1), reps, "has replicate sums but no cells"},
		{"cells without replicate sums", cells, reps.NewSlice(0, 30), "has no replicate sums"},
	} {
		_, _, err := FromReplicateSumsTables(context.Background(), c.cells, c.reps, nil, spec, opt)
		if !errors.Is(err, ErrSums) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %v; want a bad sums table saying %q", c.name, err, c.says)
		}
	}
}
