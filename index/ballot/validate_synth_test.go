package ballot

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/index/internal/column"
	"github.com/sipas-go/sipas/internal/provinces"
	"github.com/sipas-go/sipas/internal/synth"
)

// TestValidateSynthetic fields a synthetic sample with planted faults
// (internal/synth.Respond lists them) and checks that validation excludes
// exactly the faulty rows, with the planted reason, column and value, plus
// any ballot whose criteria are all unanswered; and that response tracking
// from the issued sample agrees with the returned ballots.
func TestValidateSynthetic(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	for _, year := range []int{2020, 2026} {
		t.Run(strconv.Itoa(year), func(t *testing.T) {
			cfg := synth.Config{Seed: 11, TotalRows: 40_000, FaultRate: 0.03}
			reg, err := synth.Register(cfg, year, mem)
			if err != nil {
				t.Fatal(err)
			}
			defer reg.Release()
			mb := array.NewBooleanBuilder(mem)
			for i := 0; i < int(reg.NumRows()); i++ {
				mb.Append(i%7 == 3)
			}
			mask := mb.NewBooleanArray()
			mb.Release()
			defer mask.Release()
			sample, err := compute.FilterRecordBatch(compute.WithAllocator(context.Background(), mem), reg, mask, compute.DefaultFilterOptions())
			if err != nil {
				t.Fatal(err)
			}
			defer sample.Release()
			res, err := synth.Respond(cfg, year, sample, nil, nil, mem)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Release()
			if len(res.Faults) < 20 {
				t.Fatalf("only %d faults planted", len(res.Faults))
			}

			q := index.DefaultQuestionnaire()
			m := provinces.NewMatcher(provinces.GeographyForYear(year))
			v, err := Validate(context.Background(), res.Ballots, &ValidateOptions{Questionnaire: q, Province: m.Canonical, RequireProvince: true, Mem: mem})
			if err != nil {
				t.Fatal(err)
			}
			defer v.Release()
			if !v.Reconciles() || v.RowsIn != int(res.Ballots.NumRows()) {
				t.Fatalf("counts do not reconcile: %d = %d + %d", v.RowsIn, v.RowsUsed, v.RowsExcluded)
			}

			// Expected exclusions: the planted faults ...
			want := map[string]bool{}
			bad := map[int]bool{}
			for _, f := range res.Faults {
				var e string
				switch f.Kind {
				case synth.FaultInvalidCode:
					e = fmt.Sprintf("%d %s %s %d", f.Row+1, ReasonInvalidCode, f.Column, f.Value)
				case synth.FaultDuplicate:
					e = fmt.Sprintf("%d %s ballot_id %d", f.Row+1, ReasonDuplicateID, f.Original+1)
				case synth.FaultEmptyProvince:
					e = fmt.Sprintf("%d %s province ", f.Row+1, ReasonMissingProvince)
				}
				want[e] = true
				bad[f.Row] = true
			}
			// ... and ballots with no valid answer, counted directly.
			nAll := 0
			cols := make([][]int8, 0, len(q.Criteria))
			for _, c := range q.Columns() {
				cols = append(cols, res.Ballots.Column(column.Index(res.Ballots, c)).(*array.Int8).Int8Values())
			}
			for i := 0; i < int(res.Ballots.NumRows()); i++ {
				any := false
				invalid := false
				for k, vals := range cols {
					x := vals[i]
					any = any || (x >= 1 && x <= 5 && res.Ballots.Column(column.Index(res.Ballots, q.Criteria[k].Column)).IsValid(i))
					invalid = invalid || (x >= 6 && x <= 8)
				}
				if !any && !invalid {
					want[fmt.Sprintf("%d %s  ", i+1, ReasonAllMissing)] = true
					bad[i] = true
					nAll++
				}
			}
			got := map[string]bool{}
			for _, e := range v.Exclusions {
				got[fmt.Sprintf("%d %s %s %s", e.Row, e.Reason, e.Column, e.Value)] = true
			}
			for e := range want {
				if !got[e] {
					t.Errorf("planted fault not found: %s", e)
				}
			}
			for e := range got {
				if !want[e] {
					t.Errorf("unexpected exclusion: %s", e)
				}
			}
			if v.RowsExcluded != len(bad) {
				t.Errorf("excluded %d rows, want %d (%d faults, %d all missing)", v.RowsExcluded, len(bad), len(res.Faults), nAll)
			}

			t.Logf("%d ballots, %d faults, %d all missing, %d excluded", v.RowsIn, len(res.Faults), nAll, v.RowsExcluded)

			// Response tracking from the issued sample: the returned total is
			// the number of ballots without the planted duplicate copies.
			rr, err := ResponseRatesFromSample(res.Issued, []string{"province"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			dups := 0
			for _, f := range res.Faults {
				if f.Kind == synth.FaultDuplicate {
					dups++
				}
			}
			if rr[0].Issued != sample.NumRows() || rr[0].Returned != res.Ballots.NumRows()-int64(dups) {
				t.Errorf("response totals %+v; sample %d, ballots %d, duplicates %d", rr[0], sample.NumRows(), res.Ballots.NumRows(), dups)
			}
			var sumI, sumR int64
			for _, r := range rr[1:] {
				sumI += r.Issued
				sumR += r.Returned
			}
			if sumI != rr[0].Issued || sumR != rr[0].Returned || len(rr)-1 != map[int]int{2020: 63, 2026: 34}[year] {
				t.Errorf("strata: %d rows, sums %d %d", len(rr)-1, sumI, sumR)
			}
		})
	}
}
