package main

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/arrowio/arrowiotest"
)

// esSame compares two JSON outputs of estimate: the same keys and strings,
// equal integers, and numbers equal to 1e-12 relative to the largest of
// the two, the row's estimate and its SE (so that a contrast or interval
// bound near 0 is judged on the scale of its estimate).
func esSame(t *testing.T, label, a, b string) {
	t.Helper()
	var x, y any
	if err := json.Unmarshal([]byte(a), &x); err != nil {
		t.Fatalf("%s: %v\n%.400s", label, err, a)
	}
	if err := json.Unmarshal([]byte(b), &y); err != nil {
		t.Fatalf("%s: %v\n%.400s", label, err, b)
	}
	n := 0
	var walk func(path string, x, y any, scale float64)
	walk = func(path string, x, y any, scale float64) {
		switch xv := x.(type) {
		case map[string]any:
			yv, ok := y.(map[string]any)
			if !ok || len(xv) != len(yv) {
				t.Errorf("%s %s: %v vs %v", label, path, x, y)
				return
			}
			s := scale
			for _, k := range []string{"estimate", "se"} {
				if f, ok := xv[k].(float64); ok {
					s = math.Max(s, math.Abs(f))
				}
			}
			for k, v := range xv {
				walk(path+"."+k, v, yv[k], s)
			}
		case []any:
			yv, ok := y.([]any)
			if !ok || len(xv) != len(yv) {
				t.Errorf("%s %s: %d vs %v items", label, path, len(xv), y)
				return
			}
			for i := range xv {
				walk(fmt.Sprintf("%s[%d]", path, i), xv[i], yv[i], 0)
			}
		case float64:
			yv, ok := y.(float64)
			n++
			if !ok || math.Abs(xv-yv) > 1e-12*math.Max(scale, math.Max(math.Abs(xv), math.Abs(yv))) {
				t.Errorf("%s %s: %v streamed, %v in memory", label, path, x, y)
			}
		default:
			if x != y {
				t.Errorf("%s %s: %v streamed, %v in memory", label, path, x, y)
			}
		}
	}
	walk("", x, y, 0)
	if n < 10 {
		t.Errorf("%s: only %d numbers compared:\n%.400s", label, n, a)
	}
}

// esFiles writes the CSV fixture at src with a column comp.one (esWithOne)
// as CSV, Parquet (row groups of rg rows) and Arrow IPC in dir and returns
// the three paths.
func esFiles(t *testing.T, dir, src string, rg int64) []string {
	t.Helper()
	src = esWithOne(t, dir, src)
	rec, err := arrowio.ReadAll(src)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	base := strings.TrimSuffix(filepath.Base(src), ".csv")
	out := []string{src}
	for _, ext := range []string{".parquet", ".arrow"} {
		p := filepath.Join(dir, base+ext)
		if err := arrowio.Write(p, rec.Schema(), []arrow.RecordBatch{rec}, arrowio.WithRowGroupRows(rg)); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// esRun runs estimate in memory and streamed (--stream) and compares the
// outputs; the streamed run must say nothing about memory.
func esRun(t *testing.T, label string, args ...string) {
	t.Helper()
	code, mem, errs := vtRun(t, "", append([]string{"estimate"}, args...)...)
	if code != 0 {
		t.Fatalf("%s: in memory: exit %d: %s", label, code, errs)
	}
	code, str, errs := vtRun(t, "", append([]string{"estimate", "--stream"}, args...)...)
	if code != 0 || strings.Contains(errs, "into memory") {
		t.Fatalf("%s: streamed: exit %d: %s", label, code, errs)
	}
	esSame(t, label, str, mem)
}

// TestEstimateStreamEqualsMemory: means (of values and of 0/1 shares),
// totals, ratios (a subpopulation share among them), by one or two domain
// columns, and contrasts between domains, streamed from the per-(stratum,
// PSU, fpc, domain) sums of CSV, Parquet (small row groups, two workers)
// and Arrow IPC, equal the in-memory estimates to 1e-12 on every number,
// under linearization (PSUs with and without fpc, strata with PSUs, lonely
// PSUs adjusted and averaged, domain df, SRSWOR design effects) and
// generated replicates (JK1, JKn, bootstrap).
func TestEstimateStreamEqualsMemory(t *testing.T) {
	dir := t.TempDir()
	clus1 := esFiles(t, dir, filepath.Join(etAPI, "apiclus1.csv"), 40)
	strat := esFiles(t, dir, filepath.Join(etAPI, "apistrat.csv"), 30)
	clus2 := esFiles(t, dir, filepath.Join(etAPI, "apiclus2.csv"), 25)
	ests := []string{"--mean", "api00,yes,acs.k3", "--total", "enroll,yes", "--ratio", "api00/api99,yes/yes,yes/comp.one"}
	type tc struct {
		name  string
		files []string
		args  []string
	}
	cases := []tc{
		{"clus1 fpc by stype", clus1, []string{"--weight", "pw", "--psu", "dnum", "--fpc", "fpc", "--by", "stype", "--ci", "logit"}},
		{"clus1 no fpc national", clus1, []string{"--weight", "pw", "--psu", "dnum"}},
		{"clus1 lonely adjust by two", clus1, []string{"--weight", "pw", "--strata", "lstrat", "--psu", "dnum", "--lonely-psu", "adjust", "--by", "stype,comp.imp"}},
		{"clus1 lonely average", clus1, []string{"--weight", "pw", "--strata", "lstrat", "--psu", "dnum", "--lonely-psu", "average", "--by", "stype", "--df", "domain"}},
		{"strat psu fpc srswor", strat, []string{"--weight", "pw", "--strata", "stype", "--psu", "snum", "--fpc", "fpc", "--by", "comp.imp", "--deff", "srswor"}},
		{"clus2 first stage", clus2, []string{"--weight", "pw", "--psu", "dnum", "--fpc", "fpc1", "--by", "stype"}},
		{"clus1 jk1", clus1, []string{"--weight", "pw", "--psu", "dnum", "--variance", "jk1", "--by", "stype"}},
		{"strat jkn", strat, []string{"--weight", "pw", "--strata", "stype", "--psu", "snum", "--variance", "jkn"}},
		{"strat bootstrap", strat, []string{"--weight", "pw", "--strata", "stype", "--psu", "snum", "--variance", "bootstrap", "--replicates", "60", "--seed", "7", "--by", "comp.imp"}},
	}
	for _, c := range cases {
		for _, f := range c.files {
			label := c.name + " " + filepath.Ext(f)
			esRun(t, label, append(append([]string{"--in", f}, c.args...), ests...)...)
		}
	}
	// contrasts: every pair of domains, and a weighted one
	for _, v := range []string{"linearization", "jk1"} {
		esRun(t, "contrasts "+v, "--in", clus1[1], "--weight", "pw", "--psu", "dnum", "--fpc", "fpc", "--variance", v, "--by", "stype",
			"--mean", "api00,yes", "--total", "enroll", "--ratio", "api00/api99", "--contrast", "pairs", "--contrast", "0.5*E + 0.5*H - M")
	}
}

// TestEstimateStreamsWithoutPSU: a design without --psu (every ballot its
// own PSU; with and without --strata, --fpc and --weight, weighted by the
// fpc) streams from CSV,
// Parquet (row groups of 30 rows) and Arrow IPC, saying so on standard
// error, and prints what the in-memory run prints (every number within
// 1e-12): means (of values, of 0/1 shares, with missing values), totals,
// ratios, nationally, by one and two domain columns, with domain df, and
// contrasts between domains.
func TestEstimateStreamsWithoutPSU(t *testing.T) {
	dir := t.TempDir()
	strat := esFiles(t, dir, filepath.Join(etAPI, "apistrat.csv"), 30)
	ests := []string{"--mean", "api00,yes,acs.k3", "--total", "enroll,acs.k3", "--ratio", "api00/api99,yes/comp.one,acs.k3/enroll"}
	cases := []struct {
		name string
		args []string
	}{
		{"strata fpc by stype", []string{"--weight", "pw", "--strata", "stype", "--fpc", "fpc", "--by", "stype", "--ci", "logit"}},
		{"strata by two, domain df", []string{"--weight", "pw", "--strata", "stype", "--by", "comp.imp,sch.wide", "--df", "domain"}},
		{"weight national", []string{"--weight", "pw"}},
		{"unweighted by comp.imp", []string{"--by", "comp.imp", "--deff", "srswor"}},
		{"weights from the fpc", []string{"--strata", "stype", "--fpc", "fpc", "--by", "comp.imp"}},
		{"contrasts", []string{"--weight", "pw", "--strata", "stype", "--fpc", "fpc", "--by", "stype", "--contrast", "pairs", "--contrast", "0.5*E + 0.5*H - M"}},
	}
	for _, c := range cases {
		files := strat
		if c.name != "strata fpc by stype" {
			files = strat[1:2] // Parquet
		}
		for _, f := range files {
			label := c.name + " " + filepath.Ext(f)
			args := append(append([]string{"estimate", "--in", f, "--format", "json"}, c.args...), ests...)
			code, mem, errs := vtRun(t, "", args...)
			if code != 0 || strings.Contains(errs, "streaming") {
				t.Fatalf("%s in memory: exit %d, stderr %q", label, code, errs)
			}
			code, str, errs := vtRun(t, "", append(args, "--stream")...)
			if code != 0 || !strings.Contains(errs, "sipas estimate: streaming") || !strings.Contains(errs, "every ballot is its own PSU") || strings.Contains(errs, "into memory") {
				t.Fatalf("%s streamed: exit %d, stderr %q", label, code, errs)
			}
			esSame(t, label, str, mem)
		}
	}
}

// esWithOne copies the CSV fixture at src with a column comp.one of 1s (the
// denominator of a share of the whole) and returns its path.
func esWithOne(t *testing.T, dir, src string) string {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	for i := range lines {
		if i == 0 {
			lines[i] += `,"comp.one"`
		} else {
			lines[i] += ",1"
		}
	}
	p := filepath.Join(dir, "one_"+filepath.Base(src))
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// esSynth writes n generated rows to dir/name (Parquet in row groups of
// 8,192 rows, or CSV): 6 strata of 25 PSUs with an fpc, weights, a
// province domain cutting across strata, a value y with some missing
// values, a 0/1 indicator and a positive x.
func esSynth(t *testing.T, dir, name string, n int) string {
	t.Helper()
	mem := memory.DefaultAllocator
	rng := rand.New(rand.NewPCG(17, 1))
	str, psu, prov := array.NewStringBuilder(mem), array.NewInt64Builder(mem), array.NewStringBuilder(mem)
	fpc, w, y, yes, x := array.NewFloat64Builder(mem), array.NewFloat64Builder(mem), array.NewFloat64Builder(mem), array.NewInt64Builder(mem), array.NewFloat64Builder(mem)
	for i := 0; i < n; i++ {
		h := rng.IntN(6)
		str.Append("S" + strconv.Itoa(h))
		psu.Append(int64(h*100 + rng.IntN(25)))
		fpc.Append(float64(200 + 50*h))
		prov.Append("P" + strconv.Itoa(rng.IntN(9)))
		w.Append(10 + 90*rng.Float64())
		if rng.IntN(20) == 0 {
			y.AppendNull()
		} else {
			y.Append(50 + 10*rng.NormFloat64() + float64(h))
		}
		yes.Append(int64(rng.IntN(2)))
		x.Append(1 + rng.Float64())
	}
	names := []string{"stratum", "psu", "fpc", "province", "weight", "y", "yes", "x"}
	var fields []arrow.Field
	var cols []arrow.Array
	for i, b := range []array.Builder{str, psu, fpc, prov, w, y, yes, x} {
		a := b.NewArray()
		b.Release()
		defer a.Release()
		fields = append(fields, arrow.Field{Name: names[i], Type: a.DataType(), Nullable: true})
		cols = append(cols, a)
	}
	rec := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, int64(n))
	defer rec.Release()
	p := filepath.Join(dir, name)
	if err := arrowio.Write(p, rec.Schema(), []arrow.RecordBatch{rec}, arrowio.WithRowGroupRows(8192)); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestEstimateStreamSynthetic: 100,000 generated rows (13 Parquet row
// groups read by two workers; the same rows as CSV), streamed and in
// memory, agree to 1e-12 under linearization with fpc and the bootstrap.
func TestEstimateStreamSynthetic(t *testing.T) {
	if testing.Short() {
		t.Skip("100,000 rows")
	}
	dir := t.TempDir()
	for _, in := range []string{esSynth(t, dir, "s.parquet", 100_000), esSynth(t, dir, "s.csv", 100_000)} {
		esRun(t, "fpc "+filepath.Ext(in), "--in", in, "--weight", "weight", "--strata", "stratum", "--psu", "psu", "--fpc", "fpc",
			"--by", "province", "--mean", "y,yes", "--total", "y", "--ratio", "y/x")
		esRun(t, "bootstrap "+filepath.Ext(in), "--in", in, "--weight", "weight", "--strata", "stratum", "--psu", "psu",
			"--variance", "bootstrap", "--replicates", "50", "--seed", "3", "--by", "province", "--mean", "y,yes", "--ratio", "yes/yes")
	}
}

// TestEstimateStreamFallsBack: what cannot stream is read into memory and
// the run says why on standard error: quantiles, population variances, a
// regression, replicates of a design without PSUs, and a calibration to a
// numeric variable after a post-stratification of a design without PSUs
// (a weighting on classes streams: TestEstimateWeightingStreamsWithoutPSU;
// a calibration to numeric variables alone:
// TestEstimateCalibratedStreamedWithoutPSU).
func TestEstimateStreamFallsBack(t *testing.T) {
	strat := filepath.Join(etAPI, "apistrat.csv")
	for _, c := range []struct {
		args []string
		why  string
	}{
		{[]string{"--weight", "pw", "--psu", "snum", "--quantile", "api00"}, "quantile"},
		{[]string{"--weight", "pw", "--psu", "snum", "--var", "api00"}, "population variance"},
		{[]string{"--weight", "pw", "--psu", "snum", "--glm", "yes ~ api99"}, "regression"},
		{[]string{"--weight", "pw", "--strata", "stype", "--variance", "jkn", "--mean", "api00"}, "replicate unit"},
		{[]string{"--weighting", esNoPSUNumeric(t), "--strata", "stype", "--mean", "api00"}, "post-stratification, raking or another calibration"},
		{[]string{"--weight", "pw", "--psu", "snum", "--mean", "yes", "--ci", "likelihood"}, "likelihood"},
	} {
		args := append([]string{"estimate", "--in", strat}, c.args...)
		code, mem, errs := vtRun(t, "", args...)
		if code != 0 || strings.Contains(errs, "into memory") {
			t.Fatalf("%v: exit %d, %s", c.args, code, errs)
		}
		code, str, errs := vtRun(t, "", append(args, "--stream")...)
		if code != 0 || !strings.Contains(errs, "reading "+strat+" into memory (not streamed: ") || !strings.Contains(errs, c.why) {
			t.Errorf("%v --stream: exit %d, stderr %q; want it read into memory because of %s", c.args, code, errs, c.why)
		}
		if str != mem {
			t.Errorf("%v: the fallback printed another output", c.args)
		}
	}
}

// esNoPSUNumeric writes a weighting spec of apistrat (a
// post-stratification, then a calibration to the total of the numeric
// enroll) and returns its path.
func esNoPSUNumeric(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "num.json")
	if err := os.WriteFile(p, []byte(`{"design_weight": "pw", "steps": [{"poststratify": {"by": ["stype"], "totals": `+popStypeW+`}}, {"calibrate": {"numeric": {"enroll": 3811472}}}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestEstimateStreamBadInputMidStream: a corrupt Parquet row group at 80 %
// of the file, and a value that is not a number near the end of a CSV
// file, exit 2 naming the row group or the line, with no --out file.
func TestEstimateStreamBadInputMidStream(t *testing.T) {
	dir := t.TempDir()
	pq := esSynth(t, dir, "s.parquet", 10*8192)
	arrowiotest.CorruptColumnChunk(t, pq, 7, "y")
	out := filepath.Join(dir, "out.csv")
	design := []string{"--weight", "weight", "--strata", "stratum", "--psu", "psu", "--by", "province", "--mean", "y", "--stream", "--out", out}
	code, stdout, errs := vtRun(t, "", append([]string{"estimate", "--in", pq}, design...)...)
	if code != 2 || stdout != "" || !strings.Contains(errs, "row group 8") {
		t.Errorf("corrupt row group: exit %d, stdout %.80q, stderr %q; want 2 naming row group 8", code, stdout, errs)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a corrupt row group left an output file")
	}

	csvPath := esSynth(t, dir, "s.csv", 30_000)
	b, err := os.ReadFile(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	cells := strings.Split(lines[27_000], ",") // line 27,001
	cells[5] = "abc"                           // y
	lines[27_000] = strings.Join(cells, ",")
	if err := os.WriteFile(csvPath, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, errs = vtRun(t, "", append([]string{"estimate", "--in", csvPath}, design...)...)
	if code != 2 || stdout != "" || !strings.Contains(errs, "row 27000") || !strings.Contains(errs, "abc") {
		t.Errorf("bad CSV value: exit %d, stdout %.80q, stderr %q; want 2 naming data row 27000 (line 27001)", code, stdout, errs)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a bad CSV value left an output file")
	}
}
