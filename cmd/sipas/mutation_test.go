package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/synth"
)

// TestMutatedInputs damages a small synthetic survey's ballots, written
// as Parquet, Arrow IPC file, Arrow IPC stream and CSV, 320 times with a
// fixed seed (truncations, bit flips, inserted bytes) and runs sipas
// validate on each damaged file. Every run must either
//
//   - exit 0 having counted every row the file holds: for Parquet the rows
//     its footer gives, every row written and the same clean table as the
//     undamaged file (a damaged page fails its checksum), for CSV the records an independent parser
//     (encoding/csv) finds, for IPC the rows of its batches; or
//   - exit 2 with a message that names the file and carries no panic text
//     (no "panic", "goroutine", "runtime error"), and write no output;
//
// each within 10 s and 256 MB of allocation.
func TestMutatedInputs(t *testing.T) {
	dir := t.TempDir()
	cfg := synth.Config{Seed: 11, TotalRows: 3000}
	reg, err := synth.Register(cfg, 2021, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Release()
	sample := reg.NewSlice(0, 300)
	defer sample.Release()
	res, err := synth.Respond(cfg, 2021, sample, nil, nil, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	rows := int(res.Ballots.NumRows()) // the responding ballots
	rng := rand.New(rand.NewPCG(16, 13))
	rowsIn := regexp.MustCompile(`rows in +(\d+)`)
	outcomes := map[string]int{}
	for _, ext := range []string{".parquet", ".arrow", ".arrows", ".csv"} {
		base := filepath.Join(dir, "base"+ext)
		if err := arrowio.WriteRecord(base, res.Ballots); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(base)
		if err != nil {
			t.Fatal(err)
		}
		out, exc := filepath.Join(dir, "clean.parquet"), filepath.Join(dir, "excluded.arrow")
		if code, _, stderr, _ := runBounded(t, "validate", "--in", base, "--out", out, "--excluded", exc, "--show", "0"); code != 0 {
			t.Fatalf("%s: exit %d: %s", base, code, stderr)
		}
		baseline, err := arrowio.ReadAll(out)
		if err != nil {
			t.Fatal(err)
		}
		defer baseline.Release()
		os.Remove(out)
		os.Remove(exc)
		for k := 0; k < 80; k++ {
			d, how := mutate(rng, data)
			in := filepath.Join(dir, fmt.Sprintf("m%03d%s", k, ext))
			if err := os.WriteFile(in, d, 0o644); err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr, alloc := runBounded(t, "validate", "--in", in, "--out", out, "--excluded", exc, "--show", "0")
			name := fmt.Sprintf("%s %s", filepath.Base(in), how)
			if alloc > 256<<20 {
				t.Errorf("%s: allocated %d MB", name, alloc>>20)
			}
			for _, bad := range []string{"panic", "goroutine", "runtime error", "runtime."} {
				if strings.Contains(stderr, bad) {
					t.Errorf("%s: panic text %q in %q", name, bad, stderr)
				}
			}
			if code != 0 {
				outcomes[ext+" exit 2"]++
				if code != 2 || !strings.Contains(stderr, in) {
					t.Errorf("%s: exit %d, stderr %q (want exit 2 naming the file)", name, code, stderr)
				}
				for _, p := range []string{out, exc} {
					if _, err := os.Stat(p); err == nil {
						t.Errorf("%s: %s written despite exit %d", name, filepath.Base(p), code)
					}
				}
				continue
			}
			outcomes[ext+" exit 0"]++
			m := rowsIn.FindStringSubmatch(stdout)
			if m == nil {
				t.Fatalf("%s: no row count in %q", name, stdout)
			}
			got, _ := strconv.Atoi(m[1])
			want, err := holds(in, ext, d)
			switch {
			case err != nil:
				t.Errorf("%s: exit 0, but %v", name, err)
			case got != want:
				t.Errorf("%s: exit 0 with %d rows; the file holds %d", name, got, want)
			case ext == ".parquet" && got != rows:
				t.Errorf("%s: exit 0 with %d rows; %d were written", name, got, rows)
			case ext == ".parquet" && !sameColumns(t, baseline, out):
				t.Errorf("%s: exit 0 with another clean table than the undamaged file's", name)
			}
			os.Remove(out)
			os.Remove(exc)
		}
		left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*"))
		if len(left) > 0 {
			t.Errorf("temporary files left: %v", left)
		}
	}
	t.Logf("outcomes: %v", outcomes)
}

// sameColumns reports whether the table in path has the columns of want
// (metadata aside).
func sameColumns(t *testing.T, want arrow.RecordBatch, path string) bool {
	got, err := arrowio.ReadAll(path)
	if err != nil {
		t.Error(err)
		return false
	}
	defer got.Release()
	if got.NumCols() != want.NumCols() || got.NumRows() != want.NumRows() {
		return false
	}
	for j := range want.Columns() {
		if got.ColumnName(j) != want.ColumnName(j) || !array.Equal(got.Column(j), want.Column(j)) {
			return false
		}
	}
	return true
}

// mutate returns a damaged copy of data and says how it was damaged.
func mutate(rng *rand.Rand, data []byte) ([]byte, string) {
	d := bytes.Clone(data)
	switch rng.IntN(3) {
	case 0:
		n := rng.IntN(len(d))
		return d[:n], fmt.Sprintf("truncated to %d bytes", n)
	case 1:
		var at []string
		for f := 0; f < 1+rng.IntN(3); f++ {
			i, b := rng.IntN(len(d)), rng.IntN(8)
			d[i] ^= 1 << b
			at = append(at, fmt.Sprintf("%d.%d", i, b))
		}
		return d, "bits flipped at " + strings.Join(at, ", ")
	default:
		i, n := rng.IntN(len(d)+1), 1+rng.IntN(8)
		ins := make([]byte, n)
		for j := range ins {
			ins[j] = byte(rng.Uint32())
		}
		return append(d[:i:i], append(ins, data[i:]...)...), fmt.Sprintf("%d bytes inserted at %d", n, i)
	}
}

// holds is the number of rows a file holds by a count that does not go
// through the reader under test where the format allows: the Parquet
// footer's count, the records encoding/csv finds; for IPC the rows of the
// batches as read.
func holds(path, ext string, data []byte) (int, error) {
	switch ext {
	case ".csv":
		r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))))
		r.FieldsPerRecord = -1
		n := 0
		for {
			_, err := r.Read()
			if errors.Is(err, io.EOF) {
				return n - 1, nil // less the header
			}
			if err != nil {
				return 0, fmt.Errorf("encoding/csv: %v", err)
			}
			n++
		}
	}
	rd, err := arrowio.Open(path)
	if err != nil {
		return 0, err
	}
	defer rd.Close()
	if n, ok := arrowio.Rows(rd); ok {
		return int(n), nil
	}
	n := 0
	for rd.Next() {
		n += int(rd.RecordBatch().NumRows())
	}
	return n, rd.Err()
}

// runBounded runs the command in process and fails the test if it takes
// more than 10 s; it returns the bytes allocated during the run.
func runBounded(t *testing.T, args ...string) (code int, stdout, stderr string, alloc uint64) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	type result struct {
		code           int
		stdout, stderr string
	}
	done := make(chan result, 1)
	go func() {
		var out, errb bytes.Buffer
		c := run(context.Background(), args, strings.NewReader(""), &out, &errb)
		done <- result{c, out.String(), errb.String()}
	}()
	select {
	case r := <-done:
		runtime.ReadMemStats(&after)
		return r.code, r.stdout, r.stderr, after.TotalAlloc - before.TotalAlloc
	case <-time.After(10 * time.Second):
		t.Fatalf("%v: still running after 10 s", args)
	}
	return
}
