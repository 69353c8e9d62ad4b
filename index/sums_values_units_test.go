package index

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/sampling"
)

// TestEstimandSumsNoPSUEqualMemory: designs without PSU column (every
// ballot its own PSU: stratified or not, weighted or not, with and
// without fpc, a stratum of one ballot under LonelyAdjust), means (of
// values, of a 0/1 share, of a variable with holes), totals and ratios,
// nationally and by domains (cutting across the strata, the strata, two
// columns), with contrasts between domains: streamed from a Parquet file
// of many row groups in batches and finished from the cells' sums with
// their squared-weight moments, they equal sampling's Estimates and
// EstimateContrasts on the rows at 1e-12 on every estimate, SE, interval,
// design effect and degrees of freedom.
func TestEstimandSumsNoPSUEqualMemory(t *testing.T) {
	ctx := context.Background()
	base := estcalFixture(t, "apistrat.csv")
	defer base.Release()
	n := int(base.NumRows())
	stype, err := arrowio.Column(base, "stype")
	if err != nil {
		t.Fatal(err)
	}
	h := make([]string, n)
	for i := range h {
		h[i] = stype.ValueStr(i)
	}
	h[17] = "L" // a stratum of one ballot
	rec := withColumns(base, nil, map[string][]string{"h": h})
	defer rec.Release()
	pq := filepath.Join(t.TempDir(), "apistrat.parquet")
	if err := arrowio.Write(pq, rec.Schema(), []arrow.RecordBatch{rec}, arrowio.WithRowGroupRows(37)); err != nil {
		t.Fatal(err)
	}
	read := []arrowio.Option{arrowio.WithBatchSize(41)}
	ests := []sampling.Estimand{
		{Statistic: sampling.StatMean, Num: "api00"}, {Statistic: sampling.StatMean, Num: "hi"}, {Statistic: sampling.StatMean, Num: "holes"},
		{Statistic: sampling.StatTotal, Num: "enroll"}, {Statistic: sampling.StatTotal, Num: "holes"},
		{Statistic: sampling.StatRatio, Num: "api00", Den: "enroll"}, {Statistic: sampling.StatRatio, Num: "holes", Den: "pw"},
	}
	specs := map[string]*sampling.DesignOptions{
		"strat_fpc":    {Weight: "pw", Strata: "stype", FPC: "fpc"},
		"strat":        {Weight: "pw", Strata: "stype"},
		"weighted":     {Weight: "pw"},
		"unweighted":   {},
		"strat_unw":    {Strata: "stype"},
		"lonely_adj":   {Weight: "pw", Strata: "h", FPC: "fpc", Lonely: sampling.LonelyAdjust},
		"lonely_avg":   {Weight: "pw", Strata: "h", Lonely: sampling.LonelyAverage},
		"lonely_dfdom": {Weight: "pw", Strata: "h", Lonely: sampling.LonelyRemove},
	}
	bys := [][]string{nil, {"size"}, {"stype"}, {"size", "resp"}}
	for name, spec := range specs {
		if err := EstimandSumsSupport(spec, nil); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		d, err := sampling.NewDesign(rec, spec)
		if err != nil {
			t.Fatal(name, err)
		}
		for _, by := range bys {
			for _, ci := range []sampling.CIMethod{sampling.Wald, sampling.Logit} {
				opt := &sampling.EstimateOptions{By: by, CI: ci}
				if strings.HasSuffix(name, "dfdom") {
					opt.DF = sampling.DFDomain
				}
				where := fmt.Sprintf("%s by %v %s", name, by, ci)
				want, err := d.Estimates(rec, ests, opt)
				if err != nil {
					t.Fatal(where, err)
				}
				var cs [][]sampling.DomainCoef
				var wantC []sampling.ContrastEstimate
				if by != nil {
					cs = [][]sampling.DomainCoef{{{Domain: 0, Coef: 1}, {Domain: 1, Coef: -1}}}
					dm, err := sampling.NewDomains(rec, by)
					if err != nil {
						t.Fatal(err)
					}
					if dm.Len() > 2 {
						cs = append(cs, []sampling.DomainCoef{{Domain: 0, Coef: 0.5}, {Domain: 1, Coef: 0.5}, {Domain: dm.Len() - 1, Coef: -1}})
					}
					if wantC, err = d.EstimateContrasts(rec, ests, cs, opt); err != nil {
						t.Fatal(where, err)
					}
				}
				s, err := SumEstimandsFile(ctx, pq, spec, by, ests, &StreamOptions{Read: read})
				if err != nil {
					t.Fatal(where, err)
				}
				tab, err := s.Table(nil)
				if err != nil {
					t.Fatal(where, err)
				}
				dc, cells, err := EstimandSums(tab, spec, ests, s.Shares())
				if err != nil {
					t.Fatal(where, err)
				}
				got, gotC := cellEstimates(t, tab, dc, cells, ests, opt, cs)
				tab.Release()
				sameEstimates(t, where, want, got, true)
				sameContrasts(t, where, want, wantC, gotC)
			}
		}
	}
}

// TestEstimandSumsNoPSUTableWithoutMoments: a sums table written for a
// design with PSUs, finished as one without, is an error naming the
// column of the moments it lacks; one of a design without PSUs has them.
func TestEstimandSumsNoPSUTableWithoutMoments(t *testing.T) {
	rec := estcalFixture(t, "apistrat.csv")
	defer rec.Release()
	ests := []sampling.Estimand{{Statistic: sampling.StatMean, Num: "api00"}, {Statistic: sampling.StatTotal, Num: "enroll"}}
	withPSU := &sampling.DesignOptions{Weight: "pw", Strata: "stype", PSU: "snum"}
	noPSU := &sampling.DesignOptions{Weight: "pw", Strata: "stype"}
	s := sumBatches(t, rec, 50, func() (*Sums, error) { return NewEstimandSums(withPSU, nil, ests, nil, rec.Schema()) })
	tab, err := s.Table(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Release()
	if _, _, err := EstimandSums(tab, noPSU, ests, nil); !errors.Is(err, ErrSums) || !strings.Contains(err.Error(), SumsPositive) {
		t.Errorf("a table without the moments: %v", err)
	}
	s = sumBatches(t, rec, 50, func() (*Sums, error) { return NewEstimandSums(noPSU, nil, ests, nil, rec.Schema()) })
	tab2, err := s.Table(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tab2.Release()
	for _, c := range []string{SumsPositive, SumsColumn(SumsSquared+"yy", "mean_api00"), SumsColumn(SumsSquared+"xx", "total_enroll")} {
		if len(tab2.Schema().FieldIndices(c)) != 1 {
			t.Errorf("no column %q in the table of a design without PSUs", c)
		}
	}
}
