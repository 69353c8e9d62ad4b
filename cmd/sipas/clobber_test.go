package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/sipas-go/sipas/internal/arrowio"
)

// TestOutputsDoNotClobber checks the ways an output used to replace an
// input or another output without a word: two output paths that are the
// same file written differently, a weight output column that already
// exists in the input (also by default), a Parquet or IPC file with two
// columns of one name, and an output path that is a symbolic link or FIFO.
func TestOutputsDoNotClobber(t *testing.T) {
	dir := t.TempDir()
	in := vtBallots(t, dir, "ballots.csv", "B001|Hà Nội|"+good, "B002|Huế|"+good)
	sub := filepath.Join(dir, "d")
	os.Mkdir(sub, 0o755)
	api := filepath.Join(etAPI, "apistrat.csv")
	noOutput := writeFile(t, dir, "noout.json", `{"design_weight": "pw", "steps": [{"trim": {"max": 3.5}}]}`)
	existing := writeFile(t, dir, "existing.json", `{"design_weight": "pw", "steps": [{"trim": {"max": 3.5}}], "output": {"weight": "api00"}}`)
	apiWeight := filepath.Join(dir, "api_with_weight.csv")
	data, _ := os.ReadFile(api)
	lines := strings.SplitAfter(string(data), "\n")
	var b strings.Builder
	for i, l := range lines {
		if l == "" {
			continue
		}
		if i == 0 {
			b.WriteString(strings.TrimRight(l, "\n") + ",weight\n")
		} else {
			b.WriteString(strings.TrimRight(l, "\n") + ",1\n")
		}
	}
	os.WriteFile(apiWeight, []byte(b.String()), 0o644)

	dup := filepath.Join(dir, "dup.parquet")
	dupIPC := filepath.Join(dir, "dup.arrow")
	schema := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Float64}, {Name: "x", Type: arrow.PrimitiveTypes.Float64}}, nil)
	bld := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	bld.Field(0).(*array.Float64Builder).AppendValues([]float64{1, 2, 3}, nil)
	bld.Field(1).(*array.Float64Builder).AppendValues([]float64{7, 8, 9}, nil)
	rec := bld.NewRecordBatch()
	bld.Release()
	for _, p := range []string{dup, dupIPC} {
		if err := arrowio.WriteRecord(p, rec); err != nil {
			t.Fatal(err)
		}
	}
	rec.Release()

	target := writeFile(t, dir, "target.csv", "keep me\n")
	link := filepath.Join(dir, "link.csv")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo.csv")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.csv")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"out and excluded the same file", []string{"validate", "--in", in, "--out", filepath.Join(sub, "x.csv"), "--excluded", filepath.Join(dir, "d", ".", "x.csv")}, "same file"},
		{"weight output by default over an input column", []string{"weight", "--in", apiWeight, "--spec", noOutput, "--out", out}, `output.weight: the input already has a column "weight"`},
		{"weight output over an input column", []string{"weight", "--in", api, "--spec", existing, "--out", out}, `column "api00"`},
		{"Parquet with two columns x", []string{"estimate", "--in", dup, "--mean", "x"}, `column "x": appears twice`},
		{"IPC with two columns x", []string{"estimate", "--in", dupIPC, "--mean", "x"}, `column "x": appears twice`},
		{"output is a symbolic link", []string{"estimate", "--in", api, "--weight", "pw", "--mean", "api00"}, ""},
		{"symlink output", []string{"validate", "--in", in, "--out", link, "--excluded", out}, "symbolic link"},
		{"FIFO output", []string{"validate", "--in", in, "--out", fifo, "--excluded", out}, "named pipe"},
	} {
		if tc.want == "" {
			continue
		}
		code, _, stderr := vtRun(t, "", tc.args...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: exit %d, stderr %q; want 2 and %q", tc.name, code, stderr, tc.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: output written", tc.name)
			os.Remove(out)
		}
	}
	if got, _ := os.ReadFile(target); string(got) != "keep me\n" {
		t.Errorf("the symbolic link's target changed: %q", got)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Error("the symbolic link was replaced")
	}
	if st, err := os.Lstat(fifo); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Error("the FIFO was replaced")
	}
}
