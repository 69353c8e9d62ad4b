package sampling_test

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/sampling"
)

// A stratified sample of 6 ballots in 2 provinces: the weighted share of
// satisfied respondents by province, with SE, Korn–Graubard interval and
// design effect.
func ExampleDesign_Mean() {
	mem := memory.NewGoAllocator()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "province", Type: arrow.BinaryTypes.String},
		{Name: "weight", Type: arrow.PrimitiveTypes.Float64},
		{Name: "satisfied", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).AppendValues([]string{"Hà Nội", "Hà Nội", "Hà Nội", "Huế", "Huế", "Huế"}, nil)
	b.Field(1).(*array.Float64Builder).AppendValues([]float64{100, 100, 200, 50, 50, 50}, nil)
	// the last ballot did not answer (null): it drops out of this criterion only
	b.Field(2).(*array.Float64Builder).AppendValues([]float64{1, 0, 1, 1, 1, 0}, []bool{true, true, true, true, true, false})
	rec := b.NewRecordBatch()
	defer rec.Release()

	d, err := sampling.NewDesign(rec, &sampling.DesignOptions{Weight: "weight", Strata: "province"})
	if err != nil {
		fmt.Println(err)
		return
	}
	est, err := d.Mean(rec, []string{"satisfied"}, &sampling.EstimateOptions{By: []string{"province"}, CI: sampling.Beta})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("df %d\n", d.DF())
	for _, e := range est {
		fmt.Printf("%s: %.3f (SE %.3f) [%.3f, %.3f] n=%d %s\n", e.Domain[0].Value, e.Estimate, e.SE, e.CILow, e.CIHigh, e.N, e.Flag)
	}
	// By hand: Hà Nội 300/400 = 0.75 with influence values w(y − 0.75)/400 =
	// 0.0625, −0.1875, 0.125 (mean 0), V = 3/2 · 0.0546875, SE 0.286; Huế
	// 100/100 = 1, SE 0: a boundary share, Clopper–Pearson lower bound
	// 0.025^(1/2) = 0.158.

	// Output:
	// df 4
	// Huế: 1.000 (SE 0.000) [0.158, 1.000] n=2 boundary
	// Hà Nội: 0.750 (SE 0.286) [0.266, 0.985] n=3 low_psu
}
