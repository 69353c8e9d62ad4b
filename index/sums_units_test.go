package index

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/internal/synth"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

func constant(n int, v float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// TestFromSumsNoPSUEqualsCompute: the indices of designs without PSU
// column (every ballot its own PSU: stratified or not, weighted or not,
// with and without fpc) from the per-(stratum, fpc, domain) sums with
// their squared-weight moments, accumulated in batches by two Sums and
// merged, equal those computed from the ballots at 1e-12 (estimates, SEs,
// intervals, design effects, n, PSUs, df, differences to the nation), on
// the R-golden fixture nationally and by domains that are strata, cut
// across strata or combine two columns.
func TestFromSumsNoPSUEqualsCompute(t *testing.T) {
	base := loadFixture(t)
	defer base.Release()
	rec := withColumns(base, map[string][]float64{"frac": constant(int(base.NumRows()), 0.25)}, nil)
	defer rec.Release()
	specs := map[string]*sampling.DesignOptions{
		"strat":      {Weight: "weight", Strata: "stratum"},
		"strat_fpc":  {Weight: "weight", Strata: "stratum", FPC: "frac"},
		"weighted":   {Weight: "weight"},
		"unweighted": {},
	}
	bys := [][]string{nil, {"province"}, {"level"}, {"region", "field"}}
	if testing.Short() {
		delete(specs, "strat")
		delete(specs, "weighted")
		delete(specs, "unweighted")
		bys = [][]string{nil, {"region", "field"}}
	}
	for name, spec := range specs {
		d, err := sampling.NewDesign(rec, spec)
		if err != nil {
			t.Fatal(err)
		}
		for _, by := range bys {
			for _, opt := range []*Options{
				{By: by, VsNation: by != nil},
				{By: by, Score: ScoreMean, DF: sampling.DFDomain, NoExpectations: true},
			} {
				sameFromSums(t, fmt.Sprintf("%s by %v score %d", name, by, opt.Score), d, rec, spec, opt)
			}
		}
	}
}

// TestFromSumsNoPSULonely: generated ballots without PSU column, strata the
// regions plus a stratum of one ballot, domains the provinces (each in one
// stratum: absent from the others) and the levels (across strata), a
// sampling fraction, some ballots of weight 0: the sums give the ballots'
// indices at 1e-12 under every lonely-unit policy, with and without the
// domain adjustment.
func TestFromSumsNoPSULonely(t *testing.T) {
	n := 5000
	if testing.Short() {
		n = 2000
	}
	rec0, _, err := synth.Survey(synth.SurveyConfig{Seed: 5, Ballots: n}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	defer rec0.Release()
	region := rec0.Column(rec0.Schema().FieldIndices("region")[0])
	strata := make([]string, n)
	for i := range strata {
		strata[i] = region.ValueStr(i)
	}
	strata[n/2] = "lonely"
	rec := withColumns(rec0, map[string][]float64{"frac": constant(n, 0.1)}, map[string][]string{"h": strata})
	defer rec.Release()
	policies := []sampling.LonelyPSU{sampling.LonelyRemove, sampling.LonelyAdjust, sampling.LonelyAverage, sampling.LonelyCertainty}
	if testing.Short() {
		policies = policies[1:3]
	}
	for _, lonely := range policies {
		for _, adj := range []bool{false, true} {
			spec := &sampling.DesignOptions{Weight: "weight", Strata: "h", FPC: "frac", Lonely: lonely, AdjustDomainLonely: adj}
			d, err := sampling.NewDesign(rec, spec)
			if err != nil {
				t.Fatal(err)
			}
			for _, by := range [][]string{nil, {"province"}, {"level"}} {
				opt := &Options{By: by, VsNation: by != nil}
				where := fmt.Sprintf("%v adjust %v by %v", lonely, adj, by)
				want, err := Compute(context.Background(), d, rec, nil, opt)
				if err != nil {
					t.Fatal(err)
				}
				tab := sumsOf(t, rec, nil, spec, opt, 1500)
				got, _, err := FromSums(context.Background(), tab, nil, spec, opt)
				tab.Release()
				if err != nil {
					t.Fatalf("%s: %v", where, err)
				}
				sameRows(t, where, want, got, 1e-12)
			}
		}
	}
}

// TestSumsNoPSURefusals: a design without PSU column does not stream with
// generated replicates (indices or estimands), weighted by its fpc or not
// (with PSUs such a design streams them), and a sums table
// without the squared-weight moments is refused, each saying why; the
// estimands' sums stream under linearization.
func TestSumsNoPSURefusals(t *testing.T) {
	if err := SumsSupport(&sampling.DesignOptions{Weight: "w", Variance: sampling.JK1}); err == nil || !strings.Contains(err.Error(), "replicate unit") {
		t.Errorf("replicates without PSU: %v", err)
	}
	if err := SumsSupport(&sampling.DesignOptions{FPC: "f"}); err != nil {
		t.Errorf("fpc without weight, linearization (weights scaled per stratum): %v", err)
	}
	if err := SumsSupport(&sampling.DesignOptions{FPC: "f", Variance: sampling.JK1}); err == nil || !strings.Contains(err.Error(), "replicate unit") {
		t.Errorf("fpc without weight and PSU, replicates: %v", err)
	}
	if err := SumsSupport(&sampling.DesignOptions{PSU: "p", FPC: "f", Variance: sampling.JK1}); err != nil {
		t.Errorf("fpc without weight, replicates with PSUs (factors per PSU of the scaled sums): %v", err)
	}
	if err := SumsSupport(&sampling.DesignOptions{Weight: "w", Strata: "h"}); err != nil {
		t.Errorf("linearization without PSU: %v", err)
	}
	if err := EstimandSumsSupport(&sampling.DesignOptions{Weight: "w"}, nil); err != nil {
		t.Errorf("estimands without PSU under linearization: %v", err)
	}
	if err := EstimandSumsSupport(&sampling.DesignOptions{Weight: "w", Variance: sampling.Bootstrap}, nil); err == nil || !strings.Contains(err.Error(), "replicate unit") {
		t.Errorf("estimands' replicates without PSU: %v", err)
	}
	ws, err := weighting.ParseSpecBytes([]byte(`{"design_weight": "pw", "steps": [{"poststratify": {"by": ["stype"], "totals": {"E": 4421, "H": 755, "M": 1018}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	// a weighting on classes streams under linearization
	// (TestWeightedEstimandSumsNoPSUEqualMemory), not with replicates
	if err := EstimandSumsSupport(&sampling.DesignOptions{Strata: "stype"}, ws); err != nil {
		t.Errorf("estimands of a weighting without PSU: %v", err)
	}
	if err := EstimandSumsSupport(&sampling.DesignOptions{Strata: "stype", Variance: sampling.JKn}, ws); err == nil || !strings.Contains(err.Error(), "replicate unit") {
		t.Errorf("estimands' replicates of a weighting without PSU: %v", err)
	}
	rec := loadFixture(t)
	defer rec.Release()
	// a table of a design with PSUs finished as one without
	tab := sumsOf(t, rec, nil, &sampling.DesignOptions{Weight: "weight", Strata: "stratum", PSU: "psu"}, nil, 1000)
	defer tab.Release()
	if _, _, err := FromSums(context.Background(), tab, nil, &sampling.DesignOptions{Strata: "stratum"}, nil); err == nil || !strings.Contains(err.Error(), SumsPositive) {
		t.Errorf("table without moments: %v", err)
	}
}

// smallQuestionnaire is the default questionnaire with its first two
// elements only (nine criteria), for a query within SQLite's 2,000 columns.
func smallQuestionnaire(t *testing.T) *Questionnaire {
	q := *DefaultQuestionnaire()
	q.Elements = append([]Element(nil), q.Elements[:2]...)
	for i := range q.Elements {
		q.Elements[i].Weight = 0.5
	}
	var cr []Criterion
	for _, c := range q.Criteria {
		if c.Element == q.Elements[0].ID || c.Element == q.Elements[1].ID {
			cr = append(cr, c)
		}
	}
	q.Criteria = cr
	if err := q.Validate(); err != nil {
		t.Fatal(err)
	}
	return &q
}

// TestSumsSQLNoPSUOnSQLite runs the query of SumsSQL without PSU column
// (with the squared weights' moments) in SQLite on the R-golden fixture:
// the indices from its table equal those from the ballots at 1e-12.
func TestSumsSQLNoPSUOnSQLite(t *testing.T) {
	if _, err := exec.LookPath("sqlite3"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("sqlite3 is not installed (Debian package sqlite3; .ci/run installs it)")
		}
		t.Skip("sqlite3 is not installed (apt-get install sqlite3); CI runs this test")
	}
	rec, abs := zeroWeightCSV(t)
	defer rec.Release()
	q := smallQuestionnaire(t)
	dir := t.TempDir()
	cases := []struct {
		spec *sampling.DesignOptions
		opt  *Options
	}{
		{&sampling.DesignOptions{Weight: "wz", Strata: "stratum", FPC: "fpc"}, &Options{By: []string{"level"}, VsNation: true}},
		{&sampling.DesignOptions{Weight: "weight", Strata: "stratum", FPC: "fpc"}, &Options{By: []string{"level"}, VsNation: true}},
		{&sampling.DesignOptions{Strata: "stratum"}, &Options{}},
	}
	if testing.Short() {
		cases = cases[:1]
	}
	for _, tc := range cases {
		where := fmt.Sprintf("strata %s weight %q fpc %q", tc.spec.Strata, tc.spec.Weight, tc.spec.FPC)
		query := DesignSumsSQL(q, tc.opt, "ballots", tc.spec)
		out := runSQLite(t, where, dir, abs, sqliteColumns(rec), query)
		mine := sumsOf(t, rec, q, tc.spec, tc.opt, 1000)
		sqlTab := jsonTable(t, out, mine.Schema())
		sameCounts(t, where, mine, sqlTab)
		mine.Release()
		got, _, err := FromSums(context.Background(), sqlTab, q, tc.spec, tc.opt)
		sqlTab.Release()
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		d, err := sampling.NewDesign(rec, tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		want, err := Compute(context.Background(), d, rec, q, tc.opt)
		if err != nil {
			t.Fatal(err)
		}
		sameRows(t, where+" SQL vs Compute", want, got, 1e-12)
	}
}
