package index

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// TestWeightedRakeCellsBoundedByDesign: raking under linearization, alone
// and chained with nonresponse, post-stratification and calibration to
// category margins, with a design weight that differs between the
// ballots of a PSU and of a class (weight2): the cells are keyed by the
// design and the weighting's classes only, not by the design weight (as
// many as the distinct values of those columns among the ballots, while
// the design weight key made about three times as many), and the indices
// finished from them equal weighting.NewDesign + Compute on the ballots at
// 1e-12 (estimates, SEs, intervals, design effects, n, df, differences to
// the nation), nationally and by domains that cut across the classes,
// with PSUs and without PSU column (every ballot its own PSU).
func TestWeightedRakeCellsBoundedByDesign(t *testing.T) {
	rec, level, gender, region, _ := weightingFixture(t)
	defer rec.Release()
	specs, designs := rakeWeightings(level, gender, region)
	opts := []*Options{
		{},
		{By: []string{"level"}, VsNation: true},
		{By: []string{"province"}, VsNation: true, Score: ScoreMean, NoExpectations: true, DF: sampling.DFDomain},
	}
	pair := 0
	for _, name := range slices.Sorted(maps.Keys(specs)) {
		ws, err := weighting.ParseSpecBytes([]byte(specs[name]))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, dname := range slices.Sorted(maps.Keys(designs)) {
			design := designs[dname]
			opts := inTurn(opts, pair) // in short mode one in turn
			pair++
			for _, opt := range opts {
				where := fmt.Sprintf("%s %s by %v", name, dname, opt.By)
				want, _ := weightedInMemory(t, rec, design, ws, opt)
				got, _, cells := weightedStreamed(t, rec, design, ws, opt, 333)
				sameRows(t, where, want, got, 1e-12)
				keys := []string{design.Strata, design.PSU, design.FPC}
				keys = append(keys, opt.By...)
				k, _ := weighting.CellKeysOf(ws)
				keys = append(keys, k.Columns...)
				if d := distinctRows(t, rec, keys); cells != d {
					t.Errorf("%s: %d cells; the ballots hold %d distinct values of the design, domain and class columns", where, cells, d)
				}
			}
		}
	}
}

// rakeWeightings are the raking weightings of the bounded cells tests
// (of design weight weight2, which differs between the ballots of a PSU
// and of a class): a raking to level, gender and region margins (JSON),
// alone and chained with nonresponse, post-stratification (before and
// after) and calibration to category margins; and their designs, with
// PSUs and without PSU column.
func rakeWeightings(level, gender, region string) (map[string]string, map[string]*sampling.DesignOptions) {
	rake := `{"rake": {"margins": [` + level + `, ` + gender + `, ` + region + `]}}`
	return map[string]string{
			"rake":             `{"design_weight": "weight2", "steps": [` + rake + `]}`,
			"nonresponse_rake": `{"design_weight": "weight2", "steps": [{"nonresponse": {"classes": ["level"], "responded": "responded"}}, {"rake": {"margins": [` + gender + `, ` + region + `]}}]}`,
			"ps_rake":          `{"design_weight": "weight2", "steps": [{"poststratify": ` + region + `}, ` + rake + `]}`,
			"rake_ps":          `{"design_weight": "weight2", "steps": [` + rake + `, {"poststratify": ` + gender + `}]}`,
			"rake_cal":         `{"design_weight": "weight2", "steps": [{"rake": {"margins": [` + gender + `, ` + region + `]}}, {"calibrate": {"margins": [` + level + `, ` + gender + `]}}]}`,
		}, map[string]*sampling.DesignOptions{
			"psu":    {Strata: "stratum", PSU: "psu", FPC: "fpc"},
			"no_psu": {Strata: "stratum"},
		}
}

// distinctRows counts the distinct values of the columns names (""
// skipped) among rec's rows.
func distinctRows(t *testing.T, rec arrow.RecordBatch, names []string) int64 {
	t.Helper()
	var cols []arrow.Array
	for _, n := range names {
		if n == "" {
			continue
		}
		c, err := arrowio.Column(rec, n)
		if err != nil {
			t.Fatal(err)
		}
		cols = append(cols, c)
	}
	seen := map[string]bool{}
	for i := 0; i < int(rec.NumRows()); i++ {
		var b strings.Builder
		for _, c := range cols {
			b.WriteString(c.ValueStr(i))
			b.WriteByte(0)
		}
		seen[b.String()] = true
	}
	return int64(len(seen))
}

// TestWeightedRakeOldTable: a sums table of a raking without the
// ballots' unweighted sums (as the versions that keyed the cells by the
// design weight wrote it) is refused, naming the missing column and
// saying to compute it again, with PSUs and without.
func TestWeightedRakeOldTable(t *testing.T) {
	rec, level, gender, _, _ := weightingFixture(t)
	defer rec.Release()
	ws, err := weighting.ParseSpecBytes([]byte(`{"design_weight": "weight2", "steps": [{"rake": {"margins": [` + level + `, ` + gender + `]}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, design := range []*sampling.DesignOptions{{Strata: "stratum", PSU: "psu", FPC: "fpc"}, {Strata: "stratum"}} {
		s, err := newSums(nil, design, nil, rec.Schema(), ws)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Add(rec, 0); err != nil {
			t.Fatal(err)
		}
		tab, err := s.Table(nil)
		if err != nil {
			t.Fatal(err)
		}
		var fields []arrow.Field
		var cols []arrow.Array
		for i, f := range tab.Schema().Fields() {
			if !strings.HasPrefix(f.Name, "u_") {
				fields, cols = append(fields, f), append(cols, tab.Column(i))
			}
		}
		if len(fields) == len(tab.Schema().Fields()) {
			t.Fatal("the table has no unweighted sums")
		}
		old := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, tab.NumRows())
		_, _, _, err = FromWeightedSums(context.Background(), old, nil, design, ws, nil)
		if !errors.Is(err, ErrSums) || !strings.Contains(err.Error(), `"u_`) || !strings.Contains(err.Error(), "compute it again") {
			t.Errorf("%+v: got %v", design, err)
		}
		old.Release()
		tab.Release()
	}
}
