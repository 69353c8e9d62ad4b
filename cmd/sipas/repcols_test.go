package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/sampling"
)

// rcPaste writes the CSV fixture src with the columns of the CSV rw (as
// many rows) appended, and returns its path.
func rcPaste(t *testing.T, dir, src, rw string) string {
	t.Helper()
	a, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(rw)
	if err != nil {
		t.Fatal(err)
	}
	la := strings.Split(strings.TrimRight(string(a), "\n"), "\n")
	lb := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(la) != len(lb) {
		t.Fatalf("%s: %d lines, %s: %d", src, len(la), rw, len(lb))
	}
	for i := range la {
		la[i] += "," + lb[i]
	}
	p := filepath.Join(dir, strings.TrimSuffix(filepath.Base(src), ".csv")+"_"+filepath.Base(rw))
	if err := os.WriteFile(p, []byte(strings.Join(la, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// rcMeta returns the --rep-scale and --rep-rscales flags of R's replicate
// design name (testdata/estimation.R: scale, then rscales).
func rcMeta(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "estimation", "repw_"+name+".txt"))
	if err != nil {
		t.Fatal(err)
	}
	l := strings.Split(string(b), "\n")
	return []string{"--rep-scale", l[0], "--rep-rscales", strings.Join(strings.Fields(l[1]), ",")}
}

// rcRun runs cmd in memory and streamed (--stream, with the file counted
// as large so that the run says it streams), requires the streamed run to
// say so on standard error, and compares the two outputs to 1e-12.
func rcRun(t *testing.T, label, cmd string, args ...string) {
	t.Helper()
	defer func(a, b int64) { bigInput, streamMin = a, b }(bigInput, streamMin)
	streamMin = 1 << 62
	code, mem, errs := vtRun(t, "", append([]string{cmd}, args...)...)
	if code != 0 {
		t.Fatalf("%s: in memory: exit %d: %s", label, code, errs)
	}
	bigInput, streamMin = 0, 0
	code, str, errs := vtRun(t, "", append([]string{cmd, "--stream", "--progress"}, args...)...)
	if code != 0 || strings.Contains(errs, "into memory") {
		t.Fatalf("%s: streamed: exit %d: %s", label, code, errs)
	}
	if want := map[string]string{"estimate": "streaming", "index": "rows read"}[cmd]; !strings.Contains(errs, want) {
		t.Errorf("%s: the streamed run's standard error does not say it streams (%q): %q", label, want, errs)
	}
	esSame(t, label, str, mem)
}

// TestEstimateStreamReplicateColumns: means, totals and ratios by domain
// and their contrasts with R's replicate weights given as columns (the
// R-golden designs of testdata/estimation.R and testdata/domaindf_rep.R:
// bootstrap and JK1 of apiclus1, JKn, stratified bootstrap and BRR of
// apistrat), streamed from the per-(domain, replicate) sums of CSV,
// Parquet in row groups of 30 rows and Arrow IPC, equal the in-memory
// estimates, SEs, degrees of freedom (the domains' rank of the replicate
// weights) and intervals (Wald and the replicate logit) to 1e-12, centred
// on the estimate and on the replicates' mean.
func TestEstimateStreamReplicateColumns(t *testing.T) {
	defer func(v time.Duration) { progressEvery = v }(progressEvery)
	progressEvery = 0
	dir := t.TempDir()
	ests := []string{"--mean", "api00,yes", "--total", "enroll", "--ratio", "api00/api99,yes/comp.one"}
	for _, c := range []struct {
		data, reps string
		by         string
	}{
		{"apiclus1", "boot", "stype"},
		{"apiclus1", "jk1", "stype,comp.imp"},
		{"apistrat", "jkn", "comp.imp"},
		{"apistrat", "bootstrat", "stype"},
		{"apistrat", "brr", "sch.wide"},
	} {
		src := rcPaste(t, dir, filepath.Join(etAPI, c.data+".csv"), filepath.Join("..", "..", "testdata", "estimation", "repw_"+c.reps+".csv"))
		files := esFiles(t, dir, src, 30)
		for _, f := range files {
			for _, mse := range []string{"true", "false"} {
				args := append([]string{"--in", f, "--weight", "pw", "--repweights", "rw", "--mse=" + mse, "--by", c.by, "--df", "domain", "--ci", "logit"}, rcMeta(t, c.reps)...)
				rcRun(t, fmt.Sprintf("%s %s mse %s %s", c.data, c.reps, mse, filepath.Ext(f)), "estimate", append(args, ests...)...)
			}
		}
		args := append([]string{"--in", files[1], "--weight", "pw", "--repweights", "rw", "--by", "stype"}, rcMeta(t, c.reps)...)
		rcRun(t, c.data+" "+c.reps+" contrasts", "estimate", append(args, "--mean", "api00,yes", "--ratio", "api00/api99", "--contrast", "pairs")...)
	}
}

// rcBallots writes the index fixture with replicate weight columns rw1..
// (R's JKn weights of its stratified cluster design, each row's w made
// set(row, replicate, w)) as CSV and as Parquet in row groups of 500
// ballots, and returns the paths and the replicate type flags.
func rcBallots(t *testing.T, dir string, set func(i, r int, w float64) float64) (csv, pq string, rflags []string) {
	t.Helper()
	rec, err := arrowio.ReadAll(indexFixture)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	d, err := sampling.NewDesign(rec, &sampling.DesignOptions{Weight: "weight", Strata: "stratum", PSU: "psu", Variance: sampling.JKn})
	if err != nil {
		t.Fatal(err)
	}
	fields := append([]arrow.Field(nil), rec.Schema().Fields()...)
	cols := append([]arrow.Array(nil), rec.Columns()...)
	for r := 0; r < d.Replicates(); r++ {
		w := d.ReplicateWeights(r)
		for i := range w {
			w[i] = set(i, r, w[i])
		}
		b := array.NewFloat64Builder(memory.DefaultAllocator)
		b.AppendValues(w, nil)
		a := b.NewArray()
		b.Release()
		defer a.Release()
		fields = append(fields, arrow.Field{Name: "rw" + strconv.Itoa(r+1), Type: arrow.PrimitiveTypes.Float64})
		cols = append(cols, a)
	}
	out := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, rec.NumRows())
	defer out.Release()
	csv, pq = filepath.Join(dir, "reps.csv"), filepath.Join(dir, "reps.parquet")
	for _, p := range []string{csv, pq} {
		if err := arrowio.Write(p, out.Schema(), []arrow.RecordBatch{out}, arrowio.WithRowGroupRows(500)); err != nil {
			t.Fatal(err)
		}
	}
	_, rs := d.ReplicateScales()
	var rscales []string
	for _, v := range rs {
		rscales = append(rscales, strconv.FormatFloat(v, 'g', -1, 64))
	}
	return csv, pq, []string{"--rep-type", "jkn", "--rep-rscales", strings.Join(rscales, ",")}
}

// TestIndexStreamReplicateColumns: sipas index with replicate weight
// columns streams (its progress report says so) and prints what the
// in-memory run prints to 1e-12 (estimates, SEs, intervals, design
// effects, differences to the nation, degrees of freedom of the design and
// of every domain), from CSV and from Parquet in 8 row groups, by a
// stratum column and by one that cuts across strata, with the replicate
// weights of R's JKn design of the fixture and with weights that differ
// from ballot to ballot; --sums-out writes the cells' and the replicate
// sums tables and --from-sums on them prints the same (sameFromRepSums).
func TestIndexStreamReplicateColumns(t *testing.T) {
	defer func(v time.Duration) { progressEvery = v }(progressEvery)
	progressEvery = 0
	for si, c := range []struct {
		name string
		set  func(i, r int, w float64) float64
	}{
		{"jkn", func(i, r int, w float64) float64 { return w }},
		{"perturbed", func(i, r int, w float64) float64 { return w * (1 + 0.01*float64((3*i+r)%5)) }},
	} {
		name := c.name
		dir := t.TempDir()
		csv, pq, rflags := rcBallots(t, dir, c.set)
		for fi, f := range []string{csv, pq} {
			for bi, by := range []string{"province", "level"} {
				// half of the 2×2×2 runs: every weight set, format and
				// domain column, and every pair of them, once (the JKn
				// weights from CSV by province and from Parquet by
				// level, the perturbed ones the other way round);
				// SIPAS_FULL_TESTS=1 runs all eight
				if (si+fi+bi)%2 != 0 && os.Getenv("SIPAS_FULL_TESTS") != "1" {
					continue
				}
				args := append([]string{"--in", f, "--weight", "weight", "--strata", "stratum", "--psu", "psu", "--repweights", "rw", "--by", by, "--df", "domain"}, rflags...)
				rcRun(t, name+" "+filepath.Ext(f)+" by "+by, "index", args...)
			}
		}
		if name != "jkn" {
			continue
		}
		sameFromRepSums(t, dir, pq, rflags)
	}
}

// TestStreamReplicateColumnsBadWeightLate: a negative or missing
// replicate weight at ballot 3,900 of 4,000 stops a streamed index or
// estimate with exit status 2 naming the column and the row, and nothing
// is written.
func TestStreamReplicateColumnsBadWeightLate(t *testing.T) {
	dir := t.TempDir()
	for _, bad := range []string{"-1", "NaN"} {
		csv, pq, rflags := rcBallots(t, dir, func(i, r int, w float64) float64 {
			if i == 3899 && r == 6 {
				v, _ := strconv.ParseFloat(bad, 64)
				return v
			}
			return w
		})
		out := filepath.Join(dir, "out.csv")
		for _, f := range []string{csv, pq} {
			for _, cmd := range [][]string{
				{"index", "--by", "province"},
				{"estimate", "--mean", "access_1", "--by", "level"},
			} {
				args := append(append(cmd, "--in", f, "--stream", "--out", out, "--weight", "weight", "--strata", "stratum", "--psu", "psu", "--repweights", "rw"), rflags...)
				code, stdout, errs := vtRun(t, "", args...)
				if code != 2 || stdout != "" || !strings.Contains(errs, `"rw7", row 3900`) {
					t.Errorf("%s %s, rw7 = %s at row 3900: exit %d, stdout %.80q, stderr %q; want 2 naming rw7 and row 3900", cmd[0], filepath.Ext(f), bad, code, stdout, errs)
				}
				if _, err := os.Stat(out); err == nil {
					t.Errorf("%s %s: a bad replicate weight left an output file", cmd[0], filepath.Ext(f))
					os.Remove(out)
				}
			}
		}
	}
}

// TestRepScaleRun runs sipas index on the replicate-columns benchmark file
// (index.TestWriteRepScaleFile) named by SIPAS_REPSCALE_FILE, streamed or
// in memory as SIPAS_REPSCALE_PATH says, for /usr/bin/time (docs/sums.md):
//
//	go test -c -o /tmp/sipas.test ./cmd/sipas
//	SIPAS_REPSCALE_FILE=/tmp/rep1m.parquet SIPAS_REPSCALE_PATH=memory \
//	  /usr/bin/time -v /tmp/sipas.test -test.run TestRepScaleRun
func TestRepScaleRun(t *testing.T) {
	path, how := os.Getenv("SIPAS_REPSCALE_FILE"), os.Getenv("SIPAS_REPSCALE_PATH")
	if path == "" {
		t.Skip("set SIPAS_REPSCALE_FILE to run the replicate-columns benchmark")
	}
	defer func(v int64) { streamMin = v }(streamMin)
	streamMin = 0
	if how == "memory" {
		streamMin = 1 << 62
	}
	// the peak of the live heap, sampled every 10 ms
	var peak uint64
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	start := time.Now()
	code, out, errs := vtRun(t, "", "index", "--in", path, "--weight", "weight", "--strata", "stratum", "--psu", "psu", "--repweights", "rw",
		"--rep-scale", "0.013324450366422385", "--by", "province", "--df", "domain", "--format", "csv")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	el := time.Since(start)
	close(stop)
	<-done
	t.Logf("%s: %v, peak heap %d MB, %d bytes of output", how, el, peak>>20, len(out))
	if o := os.Getenv("SIPAS_REPSCALE_OUT"); o != "" {
		if err := os.WriteFile(o, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
