package weighting

import (
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sipas-go/sipas/internal/golden"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// readCSV reads a CSV written by R's write.csv into a header and rows.
func readCSV(t testing.TB, path string) ([]string, [][]string) {
	t.Helper()
	return golden.Table(t, path)
}

// apiRecord builds an Arrow record of R's api data (testdata/api/NAME.csv)
// with the columns the goldens use: stype, sch.wide (strings), enroll,
// api00 (int64), pw (float64), dnum (int64).
func apiRecord(t testing.TB, mem memory.Allocator, name string) arrow.RecordBatch {
	t.Helper()
	hdr, rows := readCSV(t, filepath.Join("..", "testdata", "api", name+".csv"))
	col := map[string]int{}
	for i, h := range hdr {
		col[h] = i
	}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "stype", Type: arrow.BinaryTypes.String},
		{Name: "sch.wide", Type: arrow.BinaryTypes.String},
		{Name: "enroll", Type: arrow.PrimitiveTypes.Int64},
		{Name: "api00", Type: arrow.PrimitiveTypes.Int64},
		{Name: "pw", Type: arrow.PrimitiveTypes.Float64},
		{Name: "dnum", Type: arrow.PrimitiveTypes.Int64},
		{Name: "fpc", Type: arrow.PrimitiveTypes.Float64},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for _, r := range rows {
		b.Field(0).(*array.StringBuilder).Append(r[col["stype"]])
		b.Field(1).(*array.StringBuilder).Append(r[col["sch.wide"]])
		for j, c := range []string{"enroll", "api00"} {
			v, err := strconv.ParseInt(r[col[c]], 10, 64)
			if err != nil {
				t.Fatalf("%s %s: %v", name, c, err)
			}
			b.Field(2 + j).(*array.Int64Builder).Append(v)
		}
		pw, err := strconv.ParseFloat(r[col["pw"]], 64)
		if err != nil {
			t.Fatal(err)
		}
		b.Field(4).(*array.Float64Builder).Append(pw)
		dn, _ := strconv.ParseInt(r[col["dnum"]], 10, 64)
		b.Field(5).(*array.Int64Builder).Append(dn)
		fpc, err := strconv.ParseFloat(r[col["fpc"]], 64)
		if err != nil {
			t.Fatal(err)
		}
		b.Field(6).(*array.Float64Builder).Append(fpc)
	}
	return b.NewRecordBatch()
}

// goldenWeights reads testdata/weighting/weights_NAME.csv: case -> weights.
func goldenWeights(t testing.TB, name string) map[string][]float64 {
	hdr, rows := readCSV(t, filepath.Join("..", "testdata", "weighting", "weights_"+name+".csv"))
	out := map[string][]float64{}
	for j, h := range hdr[1:] {
		v := make([]float64, len(rows))
		for i, r := range rows {
			x, err := strconv.ParseFloat(r[j+1], 64)
			if err != nil {
				t.Fatal(err)
			}
			v[i] = x
		}
		out[h] = v
	}
	return out
}

const (
	popStype   = `{"E": 4421, "H": 755, "M": 1018}`
	popSchWide = `{"No": 1072, "Yes": 5122}`
)

// goldenSpecs mirror the calls of testdata/weighting.R (bounds per data set
// as in testdata/weighting/meta.json).
func goldenSpecs(name string) map[string]string {
	b := map[string]string{"apistrat": "[0.8, 1.3]", "apiclus1": "[0.85, 1.7]"}[name]
	cal := func(method, bounds string) string {
		s := `{"design_weight": "pw", "steps": [{"calibrate": {"method": "` + method + `", `
		if bounds != "" {
			s += `"bounds": ` + bounds + `, `
		}
		return s + `"margins": [{"by": ["stype"], "totals": ` + popStype + `}], "numeric": {"enroll": 3811472}}}]}`
	}
	rake := `{"rake": {"margins": [{"by": ["stype"], "totals": ` + popStype + `}, {"by": ["sch.wide"], "totals": ` + popSchWide + `}]}}`
	trim := func(extra string) string {
		return `{"design_weight": "pw", "steps": [` + rake + `, {"trim": {"max": 1.3, ` + extra + `"redistribute": "equal"}}]}`
	}
	return map[string]string{
		"none":               `{"design_weight": "pw", "steps": []}`,
		"ps":                 `{"design_weight": "pw", "steps": [{"poststratify": {"by": ["stype"], "totals": ` + popStype + `}}]}`,
		"rake":               `{"design_weight": "pw", "steps": [` + rake + `]}`,
		"cal_linear":         cal("linear", ""),
		"cal_linear_bounded": cal("linear", b),
		"cal_raking":         cal("raking", ""),
		"cal_raking_bounded": cal("raking", b),
		"cal_logit":          cal("logit", b),
		"trim_equal":         trim(`"min": 0.6, `),
		"trim_upper":         trim(``),
		"trim_upper_strict":  trim(`"strict": true, `),
	}
}

func relErr(a, b float64) float64 {
	if a == b {
		return 0
	}
	return math.Abs(a-b) / math.Max(math.Abs(a), math.Abs(b))
}

// TestGoldenR compares final weights with R survey (testdata/weighting.R) at
// 1e-8 relative.
func TestGoldenR(t *testing.T) {
	for _, name := range []string{"apistrat", "apiclus1"} {
		mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
		rec := apiRecord(t, mem, name)
		want := goldenWeights(t, name)
		specs := goldenSpecs(name)
		if len(specs) != len(want) {
			t.Errorf("%s: %d specs for %d golden cases", name, len(specs), len(want))
		}
		for cs, js := range specs {
			t.Run(name+"/"+cs, func(t *testing.T) {
				spec, err := ParseSpecBytes([]byte(js))
				if err != nil {
					t.Fatal(err)
				}
				res, err := Apply(spec, rec, nil)
				if err != nil {
					t.Fatal(err)
				}
				w, ok := want[cs]
				if !ok {
					t.Fatalf("no golden column %q", cs)
				}
				worst, at := 0.0, 0
				for i := range w {
					if e := relErr(res.Weights[i], w[i]); e > worst {
						worst, at = e, i
					}
				}
				t.Logf("max rel err %.3g; steps %d", worst, len(res.Steps))
				if worst > 1e-8 {
					t.Errorf("row %d: got %.17g, R %.17g (rel %.3g)", at+1, res.Weights[at], w[at], worst)
				}
			})
		}
		rec.Release()
		mem.AssertSize(t, 0)
	}
}

// ensure fmt/strings are used by helpers in other test files
var _ = fmt.Sprint
var _ = strings.Join

// TestGoldenRescaled: with equal weights 1 every population/sample ratio of
// apiclus1 exceeds 20, so grake rescales the weights first and the bounds
// apply to the rescaled weights (testdata/weighting/weights_apiclus1_rescaled.csv).
func TestGoldenRescaled(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	rec := apiRecord(t, mem, "apiclus1")
	defer rec.Release()
	hdr, rows := readCSV(t, filepath.Join("..", "testdata", "weighting", "weights_apiclus1_rescaled.csv"))
	for j, cs := range hdr[1:] {
		method := strings.TrimSuffix(strings.TrimPrefix(cs, "cal_"), "_bounded")
		spec := mustSpec(t, `{"steps": [{"calibrate": {"method": "`+method+`", "bounds": [0.5, 2], "margins": [{"by": ["stype"], "totals": `+popStype+`}], "numeric": {"enroll": 3811472}}}]}`)
		res, err := Apply(spec, rec, nil)
		if err != nil {
			t.Fatalf("%s: %v", cs, err)
		}
		for i, r := range rows {
			want, _ := strconv.ParseFloat(r[j+1], 64)
			if e := relErr(res.Weights[i], want); e > 1e-8 {
				t.Errorf("%s row %d: %.17g, R %.17g", cs, i+1, res.Weights[i], want)
				break
			}
		}
	}
}
