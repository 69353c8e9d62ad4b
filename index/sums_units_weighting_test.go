package index

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// TestWeightedSumsNoPSUEqualsCompute: a design without PSU column (every
// ballot its own PSU; stratified or not, with and without fpc) after
// post-stratification, raking (to three margins, and with a design weight
// that varies within strata), nonresponse then post-stratification and
// linear calibration to category margins, finished from the per-(stratum,
// fpc, domain, weighting class) sums with their squared-weight moments,
// equals weighting.NewDesign + Compute on the ballots at 1e-12: estimates,
// SEs with the calibration residuals (which are not zero outside a
// domain), intervals, design effects, n, df, differences to the nation,
// nationally and by domains that cut across the classes. The sums are
// accumulated in batches by two Sums and merged, and read from a Parquet
// file of several row groups (SumFile).
func TestWeightedSumsNoPSUEqualsCompute(t *testing.T) {
	base, level, gender, region, read := weightingFixture(t)
	defer base.Release()
	n := int(base.NumRows())
	rec := withColumns(base, map[string][]float64{"frac": constant(n, 0.25)}, nil)
	defer rec.Release()
	pq := filepath.Join(t.TempDir(), "b.parquet")
	if err := arrowio.Write(pq, rec.Schema(), []arrow.RecordBatch{rec}, arrowio.WithRowGroupRows(500)); err != nil {
		t.Fatal(err)
	}
	specs := map[string]string{
		"ps":         read("sipas_ps.json"),
		"rake":       read("sipas_rake.json"),
		"cal_linear": read("sipas_cal_linear.json"),
		"nonresponse_ps": `{"design_weight": "weight", "steps": [{"nonresponse": {"classes": ["region"], "responded": "responded"}},
			{"poststratify": ` + level + `}]}`,
		"w_ps":   `{"design_weight": "weight2", "steps": [{"poststratify": ` + region + `}]}`,
		"w_rake": `{"design_weight": "weight2", "steps": [{"rake": {"margins": [` + level + `, ` + gender + `, ` + region + `]}}]}`,
	}
	designs := map[string]*sampling.DesignOptions{
		"strata_fpc": {Strata: "stratum", FPC: "frac"},
		"strata":     {Strata: "stratum"},
		"none":       {},
	}
	for name, js := range specs {
		ws, err := weighting.ParseSpecBytes([]byte(js))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for dname, design := range designs {
			if err := WeightingSumsSupport(design, ws); err != nil {
				t.Fatalf("%s %s: %v", name, dname, err)
			}
			for _, opt := range []*Options{
				{},
				{By: []string{"level"}, VsNation: true},
				{By: []string{"province"}, VsNation: true, Score: ScoreMean, NoExpectations: true, DF: sampling.DFDomain},
			} {
				where := fmt.Sprintf("%s %s by %v", name, dname, opt.By)
				want, wsum := weightedInMemory(t, rec, design, ws, opt)
				got, wres, _ := weightedStreamed(t, rec, design, ws, opt, 333)
				sameRows(t, where, want, got, 1e-12)
				if math.Abs(wres.Final.Sum-wsum) > 1e-12*wsum {
					t.Errorf("%s: final weights sum to %.17g from the cells, %.17g from the rows", where, wres.Final.Sum, wsum)
				}
				if opt.By == nil || name == "ps" || name == "w_rake" {
					sameRows(t, where+" (Parquet)", want, weightedFile(t, pq, design, ws, opt), 1e-12)
				}
			}
		}
	}
}

// weightedFile is the streamed path on a file: SumFile with the weighting
// and FromWeightedSums.
func weightedFile(t *testing.T, path string, spec *sampling.DesignOptions, ws *weighting.Spec, opt *Options) *Result {
	t.Helper()
	s, err := SumFile(context.Background(), path, nil, spec, opt, &StreamOptions{Weighting: ws})
	if err != nil {
		t.Fatal(err)
	}
	tab, err := s.Table(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Release()
	got, _, _, err := FromWeightedSums(context.Background(), tab, nil, spec, ws, opt)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestWeightedSumsNoPSULonely: post-stratification and raking of a design
// without PSU column with a stratum of one ballot and a certainty stratum
// (fpc 1), under every lonely-unit policy: the streamed indices equal the
// ballots' at 1e-12 (a lonely ballot centred at the mean unit residual
// under the adjustment, the average policy's rescaling).
func TestWeightedSumsNoPSULonely(t *testing.T) {
	base, level, gender, _, read := weightingFixture(t)
	defer base.Release()
	n := int(base.NumRows())
	h := make([]string, n)
	frac := constant(n, 0.1)
	for i := range h {
		h[i] = []string{"a", "b", "c"}[i%3]
		if i%10 == 0 {
			h[i], frac[i] = "cert", 1
		}
	}
	h[7] = "alone"
	rec := withColumns(base, map[string][]float64{"frac": frac}, map[string][]string{"h": h})
	defer rec.Release()
	for name, js := range map[string]string{
		"ps":   read("sipas_ps.json"),
		"rake": `{"design_weight": "weight2", "steps": [{"rake": {"margins": [` + level + `, ` + gender + `]}}]}`,
	} {
		ws, err := weighting.ParseSpecBytes([]byte(js))
		if err != nil {
			t.Fatal(err)
		}
		for _, lonely := range []sampling.LonelyPSU{sampling.LonelyAdjust, sampling.LonelyAverage, sampling.LonelyRemove, sampling.LonelyCertainty} {
			design := &sampling.DesignOptions{Strata: "h", FPC: "frac", Lonely: lonely}
			for _, opt := range []*Options{{}, {By: []string{"level"}, VsNation: true}} {
				where := fmt.Sprintf("%s lonely %v by %v", name, lonely, opt.By)
				want, _ := weightedInMemory(t, rec, design, ws, opt)
				got, _, _ := weightedStreamed(t, rec, design, ws, opt, 500)
				sameRows(t, where, want, got, 1e-12)
			}
		}
	}
}

// TestWeightedSumsNoPSURefusals: a weighting of a design without PSU
// column with a replicate variance, or a table written without the
// weighting, is refused saying why.
func TestWeightedSumsNoPSURefusals(t *testing.T) {
	ws, err := weighting.ParseSpecBytes([]byte(`{"design_weight": "weight", "steps": [{"poststratify": {"by": ["level"], "totals": {"a": 1}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := WeightingSumsSupport(&sampling.DesignOptions{Variance: sampling.JKn}, ws); err == nil {
		t.Error("a replicate variance of a design without PSU column was accepted")
	}
	base, _, _, _, read := weightingFixture(t)
	defer base.Release()
	ws, _ = weighting.ParseSpecBytes([]byte(read("sipas_ps.json")))
	spec := &sampling.DesignOptions{Strata: "stratum", Weight: "weight"}
	s, err := NewSums(nil, spec, nil, base.Schema())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Add(base, 0); err != nil {
		t.Fatal(err)
	}
	tab, err := s.Table(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Release()
	_, _, _, err = FromWeightedSums(context.Background(), tab, nil, &sampling.DesignOptions{Strata: "stratum"}, ws, nil)
	if err == nil || !strings.Contains(err.Error(), SumsWeightsSquared) {
		t.Errorf("a table without the weighting: %v", err)
	}
}

// TestWeightedSumsSQLNoPSUOnSQLite runs the query of WeightedSumsSQL for a
// post-stratification and a raking of a design without PSU column (with
// the squared weights' moments and Σ w²) in SQLite: the indices from its
// table equal weighting.NewDesign + Compute on the ballots at 1e-12.
func TestWeightedSumsSQLNoPSUOnSQLite(t *testing.T) {
	if _, err := exec.LookPath("sqlite3"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("sqlite3 is not installed (Debian package sqlite3; .ci/run installs it)")
		}
		t.Skip("sqlite3 is not installed (apt-get install sqlite3); CI runs this test")
	}
	rec, level, gender, _, read := weightingFixture(t)
	defer rec.Release()
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "ballots.csv")
	if err := arrowio.Write(csvPath, rec.Schema(), []arrow.RecordBatch{rec}); err != nil {
		t.Fatal(err)
	}
	q := smallQuestionnaire(t)
	spec := &sampling.DesignOptions{Strata: "stratum", FPC: "fpc"}
	opt := &Options{By: []string{"level"}, VsNation: true}
	for name, js := range map[string]string{
		"ps":     read("sipas_ps.json"),
		"rake":   `{"design_weight": "weight", "steps": [{"rake": {"margins": [` + level + `, ` + gender + `]}}]}`,
		"w_rake": `{"design_weight": "weight2", "steps": [{"rake": {"margins": [` + level + `, ` + gender + `]}}]}`,
	} {
		ws, err := weighting.ParseSpecBytes([]byte(js))
		if err != nil {
			t.Fatal(err)
		}
		query, err := WeightedSumsSQL(q, opt, "ballots", spec, ws)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out := runSQLite(t, name, dir, csvPath, sqliteColumns(rec), query)
		s, err := newSums(q, spec, opt, rec.Schema(), ws)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Add(rec, 0); err != nil {
			t.Fatal(err)
		}
		mine, err := s.Table(nil)
		if err != nil {
			t.Fatal(err)
		}
		sqlTab := jsonTable(t, out, mine.Schema())
		sameCounts(t, name, mine, sqlTab)
		mine.Release()
		got, _, _, err := FromWeightedSums(context.Background(), sqlTab, q, spec, ws, opt)
		sqlTab.Release()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		d, out2, err := weighting.NewDesign(context.Background(), rec, ws, spec)
		if err != nil {
			t.Fatal(err)
		}
		want, err := Compute(context.Background(), d, out2, q, opt)
		out2.Release()
		if err != nil {
			t.Fatal(err)
		}
		sameRows(t, name+": SQL sums vs the ballots", want, got, 1e-12)
	}
}
