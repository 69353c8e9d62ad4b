package index

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// sameFromTable checks that the sums table tab of a calibration solved by
// passes (st, of ws), written with its record (CalibratedSumsTable) as
// Parquet and read back, finishes to want (the streamed finish) to the
// last bit: every estimate, SE, interval and design effect, and the final
// weights' sum.
func sameFromTable(t *testing.T, where string, tab arrow.RecordBatch, spec *sampling.DesignOptions, ws *weighting.Spec, st *weighting.Streamed, opt *Options, want *Result) {
	t.Helper()
	back := calibratedTableBack(t, tab, ws, st)
	defer back.Release()
	got, _, rst, err := FromCalibratedSumsTable(context.Background(), back, nil, spec, ws, opt)
	if err != nil {
		t.Fatalf("%s: from the table: %v", where, err)
	}
	sameRows(t, where+" from the table", want, got, 0)
	if rst.Result.Final.Sum != st.Result.Final.Sum {
		t.Errorf("%s: the table's final weights sum to %.17g, the solve's to %.17g", where, rst.Result.Final.Sum, st.Result.Final.Sum)
	}
}

// TestCalibratedSumsTableErrors: a calibrated sums table finishes only
// with its record and the weighting it was made with: without the record
// (as CSV keeps none), with another specification, another record
// version, a record of fewer calibration variables than its columns, a
// missing calibration column, or without the weighting at all, it is an
// error that says so.
func TestCalibratedSumsTableErrors(t *testing.T) {
	ctx := context.Background()
	f := calRepFixture(t, func(arrow.RecordBatch) map[string][]string { return nil })
	path, level, num := f.path, f.level, f.num
	design := &sampling.DesignOptions{Strata: "stratum", PSU: "psu", FPC: "fpc"}
	parse := func(js string) *weighting.Spec {
		ws, err := weighting.ParseSpecBytes([]byte(js))
		if err != nil {
			t.Fatal(err)
		}
		return ws
	}
	ws := parse(`{"design_weight": "weight", "steps": [{"calibrate": {"margins": [` + level + `], "numeric": ` + num + `}}]}`)
	other := parse(`{"design_weight": "weight", "steps": [{"calibrate": {"margins": [` + level + `], "numeric": ` + num + `, "bounds": [0.2, 5]}}]}`)
	st, err := weighting.SolveStream(ctx, ws, ScanFile(path))
	if err != nil {
		t.Fatal(err)
	}
	s, err := SumCalibratedFile(ctx, path, nil, design, nil, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := s.Table(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Release()
	tab, err := CalibratedSumsTable(plain, ws, st)
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Release()
	if _, _, _, err := FromCalibratedSumsTable(ctx, tab, nil, design, ws, nil); err != nil {
		t.Fatal(err)
	}
	withRecord := func(edit func(r *weighting.Solved)) arrow.RecordBatch {
		var r weighting.Solved
		if _, err := arrowio.MetadataJSON(tab.Schema().Metadata(), weighting.SolvedKey, &r); err != nil {
			t.Fatal(err)
		}
		edit(&r)
		md, err := arrowio.SetMetadataJSON(tab.Schema().Metadata(), weighting.SolvedKey, r)
		if err != nil {
			t.Fatal(err)
		}
		return array.NewRecordBatch(arrow.NewSchema(tab.Schema().Fields(), &md), tab.Columns(), tab.NumRows())
	}
	item := DefaultQuestionnaire().Columns()[0]
	for _, c := range []struct {
		name string
		tab  arrow.RecordBatch
		ws   *weighting.Spec
		want error
		says string
	}{
		{"no record", plain, ws, weighting.ErrSolved, "CSV keeps no metadata"},
		{"another spec", tab, other, weighting.ErrSolved, "another weighting specification"},
		{"another version", withRecord(func(r *weighting.Solved) { r.Version = 2 }), ws, weighting.ErrSolved, "version 2"},
		{"fewer variables", withRecord(func(r *weighting.Solved) {
			// the leading block of the factor
			p := r.P - 1
			u := make([]float64, p*p)
			for a := 0; a < p; a++ {
				copy(u[a*p:(a+1)*p], r.Cholesky[a*r.P:a*r.P+p])
			}
			r.P, r.Scale, r.Cholesky = p, r.Scale[:p], u
		}), ws, ErrSums, "calibration record has"},
		{"damaged factor", withRecord(func(r *weighting.Solved) { r.Cholesky = r.Cholesky[1:] }), ws, weighting.ErrSolved, "damaged"},
		{"missing column", withoutColumn(tab, SumsColumn("calv0", item)), ws, ErrSums, `missing column "` + SumsColumn("calv0", item)},
	} {
		_, _, _, err := FromCalibratedSumsTable(ctx, c.tab, nil, design, c.ws, nil)
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %v; want %v saying %q", c.name, err, c.want, c.says)
		}
	}
	// finished as plain sums (no weighting), it is refused
	if _, _, err := FromSums(ctx, tab, nil, design, nil); !errors.Is(err, ErrSums) || !strings.Contains(err.Error(), "same weighting specification") {
		t.Errorf("a calibrated table as plain sums: %v", err)
	}
}

// withoutColumn is rec without its column name (its schema metadata kept);
// the caller releases it.
func withoutColumn(rec arrow.RecordBatch, name string) arrow.RecordBatch {
	var fs []arrow.Field
	var cs []arrow.Array
	for i, f := range rec.Schema().Fields() {
		if f.Name != name {
			fs, cs = append(fs, f), append(cs, rec.Column(i))
		}
	}
	md := rec.Schema().Metadata()
	return array.NewRecordBatch(arrow.NewSchema(fs, &md), cs, rec.NumRows())
}

// calibratedTableBack returns the CalibratedSumsTable of tab (after ws,
// solved as st) written to Parquet and read back; the caller releases it.
func calibratedTableBack(t *testing.T, tab arrow.RecordBatch, ws *weighting.Spec, st *weighting.Streamed) arrow.RecordBatch {
	t.Helper()
	out, err := CalibratedSumsTable(tab, ws, st)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Release()
	path := filepath.Join(t.TempDir(), "sums.parquet")
	if err := arrowio.WriteRecord(path, out); err != nil {
		t.Fatal(err)
	}
	back, err := arrowio.ReadAll(path)
	if err != nil {
		t.Fatal(err)
	}
	return back
}
