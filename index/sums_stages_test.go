package index

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/sampling"
)

// withStages returns the fixture with a generated second and third stage:
// the j-th ballot of a PSU (in file order) is in SSU "s{j mod 3}" and, in
// it, in third-stage unit "e{(j div 3) mod 4}"; fpc2 (SSUs in the PSU,
// 5..11) is constant within the PSU and fpc3 (units in the SSU, 8..18)
// within the SSU, frac2 is the sampling fraction of the SSUs (n2/fpc2), and
// fpc0 the PSU count of a design without strata. Some PSUs hold a single
// SSU and some SSUs a single third-stage unit (lonely at their stage). pi
// is a first-stage inclusion probability per PSU, min(0.95, n_h/N_h·f)
// with f in 0.6..1.4 by the PSU's size (n_h its stratum's PSUs, N_h its
// fpc).
func withStages(t testing.TB, rec arrow.RecordBatch) arrow.RecordBatch {
	t.Helper()
	n := int(rec.NumRows())
	psu := stringColumn(t, rec, "psu")
	stratum := stringColumn(t, rec, "stratum")
	fpc := floatColumn(t, rec, "fpc")
	rows := map[string]int{}
	psus := map[string]map[string]bool{}
	for i, p := range psu {
		rows[p]++
		if psus[stratum[i]] == nil {
			psus[stratum[i]] = map[string]bool{}
		}
		psus[stratum[i]][p] = true
	}
	pi := make([]float64, n)
	for i, p := range psu {
		f := 0.6 + 0.2*float64(rows[p]%5)
		pi[i] = min(0.95, float64(len(psus[stratum[i]]))/fpc[i]*f)
	}
	ssu, el := make([]string, n), make([]string, n)
	fpc2, fpc3, frac2, fpc0 := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	seen := map[string]int{}
	for i, p := range psu {
		j := seen[p]
		seen[p]++
		ssu[i] = fmt.Sprintf("s%d", j%3)
		el[i] = fmt.Sprintf("e%d", (j/3)%4)
		fpc2[i] = float64(5 + rows[p]%7)
		fpc3[i] = float64(8 + 3*(j%3) + rows[p]%5)
		frac2[i] = float64(min(rows[p], 3)) / fpc2[i]
		fpc0[i] = float64(2 * len(rows))
	}
	return withColumns(rec, map[string][]float64{"fpc2": fpc2, "fpc3": fpc3, "frac2": frac2, "fpc0": fpc0, "pi": pi},
		map[string][]string{"ssu": ssu, "el": el})
}

// stringColumn returns the values of rec's string column name.
func stringColumn(t testing.TB, rec arrow.RecordBatch, name string) []string {
	t.Helper()
	col, err := arrowio.Column(rec, name)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, col.Len())
	for i := range out {
		out[i] = col.ValueStr(i)
	}
	return out
}

// stageSpecs are the multistage designs of the streaming tests: two and
// three stages with an fpc at every stage (counts, or a fraction at stage
// 2), with and without strata, under the lonely-unit policies remove and
// adjust, a stratified jackknife (which uses the first stage only) and the
// ultimate-cluster variance (no fpc: the later stages do not enter it).
func stageSpecs() map[string]*sampling.DesignOptions {
	s2 := []sampling.Stage{{Unit: "ssu", FPC: "fpc2"}}
	s3 := []sampling.Stage{{Unit: "ssu", FPC: "fpc2"}, {Unit: "el", FPC: "fpc3"}}
	return map[string]*sampling.DesignOptions{
		"2-stage strata":           {Weight: "weight", Strata: "stratum", PSU: "psu", FPC: "fpc", Stages: s2, Lonely: sampling.LonelyRemove},
		"2-stage fraction":         {Weight: "weight", Strata: "stratum", PSU: "psu", FPC: "fpc", Stages: []sampling.Stage{{Unit: "ssu", FPC: "frac2"}}, Lonely: sampling.LonelyAdjust},
		"2-stage no strata":        {Weight: "weight", PSU: "psu", FPC: "fpc0", Stages: s2, Lonely: sampling.LonelyRemove},
		"3-stage strata":           {Weight: "weight", Strata: "stratum", PSU: "psu", FPC: "fpc", Stages: s3, Lonely: sampling.LonelyAdjust},
		"3-stage no strata":        {Weight: "weight", PSU: "psu", FPC: "fpc0", Stages: s3, Lonely: sampling.LonelyRemove},
		"3-stage jackknife":        {Weight: "weight", Strata: "stratum", PSU: "psu", FPC: "fpc", Stages: s3, Lonely: sampling.LonelyRemove, Variance: sampling.JKn},
		"3-stage ultimate-cluster": {Weight: "weight", Strata: "stratum", PSU: "psu", Stages: []sampling.Stage{{Unit: "ssu"}, {Unit: "el"}}, Lonely: sampling.LonelyRemove},
	}
}

// TestSumFileMultistageEqualsCompute streams multistage designs from a
// Parquet file of 8 row groups (read by 1 and 2 workers) and compares the
// indices finished from the sums (FromSums on Sums.Table, and on that table
// written to Parquet and read back, as --sums-out and --from-sums do) with
// Compute on the whole table at 1e-12 relative: every estimate, SE,
// interval, design effect, n, PSU count and df, nationally, by province (the
// strata) and by level (across strata), with the differences from the
// nation. The full multistage variance needs each later-stage unit's totals,
// so the sums table carries the stage columns.
func TestSumFileMultistageEqualsCompute(t *testing.T) {
	rec, pq, read := stagesParquet(t)
	defer rec.Release()
	for name, spec := range stageSpecs() {
		streamEqualsCompute(t, rec, pq, read, name, spec, []int{1, 2}, func(where string, tab arrow.RecordBatch) {
			for _, st := range spec.Stages {
				if st.FPC != "" && (tab.Schema().FieldIndices(st.Unit) == nil || tab.Schema().FieldIndices(st.FPC) == nil) {
					t.Errorf("%s: the sums table lacks the stage columns %s, %s", where, st.Unit, st.FPC)
				}
			}
		})
	}
}

// stagesParquet returns the fixture with the stage and PPS columns
// (withStages), written to a Parquet file of 500-row groups, and the
// options that read it.
func stagesParquet(t *testing.T) (arrow.RecordBatch, string, []arrowio.Option) {
	base := loadFixture(t)
	defer base.Release()
	rec := withStages(t, base)
	pq := filepath.Join(t.TempDir(), "b.parquet")
	if err := arrowio.Write(pq, rec.Schema(), []arrow.RecordBatch{rec}, arrowio.WithRowGroupRows(500)); err != nil {
		rec.Release()
		t.Fatal(err)
	}
	return rec, pq, []arrowio.Option{arrowio.WithTypes(map[string]arrow.DataType{"psu": arrow.BinaryTypes.String, "province_code": arrow.BinaryTypes.String})}
}

// streamEqualsCompute checks that the indices of spec finished from the
// sums of the file pq (SumFile with each number of workers, then FromSums)
// equal Compute on rec at 1e-12, nationally, by province (the strata) and
// by level (across strata), with the differences from the nation; and so
// does the sums table written to Parquet and read back (--sums-out,
// --from-sums). check, if not nil, sees each sums table. In short mode
// each domain option is streamed with one of workers in turn, and only
// the last (by level) goes through the Parquet file: the wide sums tables'
// write and read took most of the time under the race detector.
func streamEqualsCompute(t *testing.T, rec arrow.RecordBatch, pq string, read []arrowio.Option, name string, spec *sampling.DesignOptions, workers []int, check func(where string, tab arrow.RecordBatch)) {
	t.Helper()
	if err := SumsSupport(spec); err != nil {
		t.Fatalf("%s: SumsSupport: %v", name, err)
	}
	d, err := sampling.NewDesign(rec, spec)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	opts := []*Options{{}, {By: []string{"province"}, VsNation: true}, {By: []string{"level"}, VsNation: true}}
	for i, opt := range opts {
		want, err := Compute(context.Background(), d, rec, nil, opt)
		if err != nil {
			t.Fatal(err)
		}
		if r := want.Rows[0]; !(r.SE > 0) || !(r.Deff > 0) {
			t.Fatalf("%s by %v: in memory SE %v, deff %v of %s %s: not a variance to compare", name, opt.By, r.SE, r.Deff, r.Kind, r.ID)
		}
		ws, file := workers, workers[0]
		if testing.Short() {
			ws = workers[i%len(workers) : i%len(workers)+1]
			file = -1
			if i == len(opts)-1 {
				file = ws[0]
			}
		}
		for _, w := range ws {
			where := fmt.Sprintf("%s by %v, %d workers", name, opt.By, w)
			s, err := SumFile(context.Background(), pq, nil, spec, opt, &StreamOptions{Workers: w, Read: read})
			if err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			tab, err := s.Table(nil)
			if err != nil {
				t.Fatal(err)
			}
			if check != nil {
				check(where, tab)
			}
			got, _, err := FromSums(context.Background(), tab, nil, spec, opt)
			if err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			sameRows(t, where, want, got, 1e-12)
			if w == file {
				// the table through a file, as --sums-out and --from-sums
				out := filepath.Join(t.TempDir(), "sums.parquet")
				if err := arrowio.WriteRecord(out, tab); err != nil {
					t.Fatal(err)
				}
				back, err := arrowio.ReadAll(out)
				if err != nil {
					t.Fatal(err)
				}
				got, _, err := FromSums(context.Background(), back, nil, spec, opt)
				back.Release()
				if err != nil {
					t.Fatalf("%s from the file: %v", where, err)
				}
				sameRows(t, where+" from the file", want, got, 1e-12)
			}
			tab.Release()
		}
	}
}

// estimandsEqualStreamed checks that the means, totals and ratios of each
// named design of specs, finished from the streamed cell sums of pq, equal
// sampling's Estimates on rec at 1e-12 (estimate, SE, interval, design
// effects, df), nationally and by level.
func estimandsEqualStreamed(t *testing.T, rec arrow.RecordBatch, pq string, read []arrowio.Option, specs map[string]*sampling.DesignOptions, names ...string) {
	t.Helper()
	est := []sampling.Estimand{{Statistic: sampling.StatMean, Num: "access_1"}, {Statistic: sampling.StatTotal, Num: "access_2"},
		{Statistic: sampling.StatRatio, Num: "access_3", Den: "access_4"}}
	for _, name := range names {
		spec := specs[name]
		if err := EstimandSumsSupport(spec, nil); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		d, err := sampling.NewDesign(rec, spec)
		if err != nil {
			t.Fatal(err)
		}
		for _, by := range [][]string{nil, {"level"}} {
			want, err := d.Estimates(rec, est, &sampling.EstimateOptions{By: by})
			if err != nil {
				t.Fatal(err)
			}
			sameEstimates(t, fmt.Sprintf("%s by %v", name, by), want, streamedEstimates(t, pq, read, spec, est, by), false)
		}
	}
}

// TestEstimandSumsMultistage: the means, totals and ratios of 2- and
// 3-stage designs finished from streamed cell sums equal sampling's
// Estimates on the ballots.
func TestEstimandSumsMultistage(t *testing.T) {
	rec, pq, read := stagesParquet(t)
	defer rec.Release()
	estimandsEqualStreamed(t, rec, pq, read, stageSpecs(), "3-stage strata", "2-stage no strata")
}

// TestSumFileMultistageBadStageFPC: a stage-2 fpc that varies within a PSU
// is the in-memory design's error, naming the same input row; a
// calibration of such a design that needs every ballot is read into
// memory, saying why.
func TestSumFileMultistageBadStageFPC(t *testing.T) {
	base := loadFixture(t)
	defer base.Release()
	good := withStages(t, base)
	defer good.Release()
	// the 3001st ballot gets another fpc2 than the rest of its PSU
	fpc2 := floatColumn(t, good, "fpc2")
	fpc2[3000]++
	rec := withColumns(base, map[string][]float64{"fpc2": fpc2},
		map[string][]string{"ssu": stringColumn(t, good, "ssu")})
	defer rec.Release()
	spec := &sampling.DesignOptions{Weight: "weight", Strata: "stratum", PSU: "psu", FPC: "fpc", Stages: []sampling.Stage{{Unit: "ssu", FPC: "fpc2"}}, Lonely: sampling.LonelyRemove}
	_, memErr := sampling.NewDesign(rec, spec)
	if memErr == nil {
		t.Fatal("in memory: no error")
	}
	pq := filepath.Join(t.TempDir(), "b.parquet")
	if err := arrowio.Write(pq, rec.Schema(), []arrow.RecordBatch{rec}, arrowio.WithRowGroupRows(500)); err != nil {
		t.Fatal(err)
	}
	read := []arrowio.Option{arrowio.WithTypes(map[string]arrow.DataType{"psu": arrow.BinaryTypes.String, "province_code": arrow.BinaryTypes.String})}
	s, err := SumFile(context.Background(), pq, nil, spec, nil, &StreamOptions{Read: read})
	if s != nil || !errors.Is(err, sampling.ErrBadFPC) || err.Error() != memErr.Error() {
		t.Errorf("streamed: %v\nin memory: %v", err, memErr)
	}
	if !strings.Contains(memErr.Error(), "row 3001") {
		t.Errorf("in memory: %v, want row 3001", memErr)
	}
	// a calibration that needs every ballot streams on such a design
	// (cmd/sipas TestCalibrationOfStagesOrPPSStreams, and against R
	// TestEstimateCalibratedPPSStagesMatchR)
	if err := CalibratedSumsSupport(&sampling.DesignOptions{Strata: "stratum", PSU: "psu", FPC: "fpc", Stages: spec.Stages}, numericCalibration(t)); err != nil {
		t.Errorf("numeric calibration of a multistage design: %v, want it streamed", err)
	}
}

// floatColumn returns a copy of the values of rec's numeric column name.
func floatColumn(t testing.TB, rec arrow.RecordBatch, name string) []float64 {
	t.Helper()
	col, err := arrowio.Column(rec, name)
	if err != nil {
		t.Fatal(err)
	}
	v, _, err := arrowio.Float64s(col)
	if err != nil {
		t.Fatal(err)
	}
	return append([]float64(nil), v...)
}

// streamedEstimates are the estimates est by the domains by of the design
// spec finished from the cell sums of the file at path (SumEstimandsFile).
func streamedEstimates(t *testing.T, path string, read []arrowio.Option, spec *sampling.DesignOptions, est []sampling.Estimand, by []string) []sampling.Estimate {
	t.Helper()
	s, err := SumEstimandsFile(context.Background(), path, spec, by, est, &StreamOptions{Read: read})
	if err != nil {
		t.Fatal(err)
	}
	tab, err := s.Table(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Release()
	d, cells, err := EstimandSums(tab, spec, est, s.Shares())
	if err != nil {
		t.Fatal(err)
	}
	got, _ := cellEstimates(t, tab, d, cells, est, &sampling.EstimateOptions{By: by}, nil)
	return got
}

// TestSumsSQLMultistageOnSQLite runs DesignSumsSQL of a 3-stage design with
// an fpc at every stage in SQLite: the query groups by the stage columns
// too, and the indices from its table equal Compute's at 1e-12.
func TestSumsSQLMultistageOnSQLite(t *testing.T) {
	if _, err := exec.LookPath("sqlite3"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("sqlite3 is not installed (Debian package sqlite3; .ci/run installs it)")
		}
		t.Skip("sqlite3 is not installed (apt-get install sqlite3); CI runs this test")
	}
	base := loadFixture(t)
	defer base.Release()
	rec := withStages(t, base)
	defer rec.Release()
	dir := t.TempDir()
	csv := filepath.Join(dir, "b.csv")
	if err := arrowio.Write(csv, rec.Schema(), []arrow.RecordBatch{rec}); err != nil {
		t.Fatal(err)
	}
	q := smallQuestionnaire(t)
	spec := stageSpecs()["3-stage strata"]
	opt := &Options{By: []string{"level"}, VsNation: true}
	query := DesignSumsSQL(q, opt, "ballots", spec)
	if !strings.Contains(query, "GROUP BY stratum, psu, fpc, ssu, fpc2, el, fpc3, level") {
		t.Errorf("the query does not group by the stages:\n%s", query)
	}
	out := runSQLite(t, "3-stage", dir, csv, sqliteColumns(rec), query)
	mine := sumsOf(t, rec, q, spec, opt, 1000)
	sqlTab := jsonTable(t, out, mine.Schema())
	mine.Release()
	defer sqlTab.Release()
	got, _, err := FromSums(context.Background(), sqlTab, q, spec, opt)
	if err != nil {
		t.Fatal(err)
	}
	d, err := sampling.NewDesign(rec, spec)
	if err != nil {
		t.Fatal(err)
	}
	want, err := Compute(context.Background(), d, rec, q, opt)
	if err != nil {
		t.Fatal(err)
	}
	sameRows(t, "3-stage SQL vs Compute", want, got, 1e-12)
}

// TestReplicateColumnsMultistage: replicate weight columns of a 3-stage
// design with an fpc at every stage (the later stages then only split the
// cells: the replicate variance comes from the columns) give from the
// per-(domain, replicate) sums what Compute gives on the ballots, at 1e-12,
// nationally and by domain.
func TestReplicateColumnsMultistage(t *testing.T) {
	base := loadFixture(t)
	defer base.Release()
	staged := withStages(t, base)
	defer staged.Release()
	d0, err := sampling.NewDesign(staged, &sampling.DesignOptions{Weight: "weight", Strata: "stratum", PSU: "psu", Variance: sampling.Bootstrap, Replicates: 20, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	scale, rscales := d0.ReplicateScales()
	rec := withRepColumns(t, staged, d0, func(i, r int) float64 { return 1 })
	defer rec.Release()
	spec := &sampling.DesignOptions{Weight: "weight", Strata: "stratum", PSU: "psu", FPC: "fpc", Stages: stageSpecs()["3-stage strata"].Stages,
		Lonely: sampling.LonelyRemove, RepWeightsPrefix: "rw", RepScale: scale, RepRScales: rscales}
	if err := SumsSupport(spec); err != nil {
		t.Fatal(err)
	}
	d, err := sampling.NewDesign(rec, spec)
	if err != nil {
		t.Fatal(err)
	}
	for _, opt := range []*Options{{}, {By: []string{"level"}, VsNation: true}} {
		want, err := Compute(context.Background(), d, rec, nil, opt)
		if err != nil {
			t.Fatal(err)
		}
		sameRows(t, fmt.Sprintf("replicate columns, 3 stages, by %v", opt.By), want, repSumsResult(t, rec, spec, opt, 700), 1e-12)
	}
}
