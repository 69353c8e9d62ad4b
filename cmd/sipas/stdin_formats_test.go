package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/internal/arrowio"
)

// TestStdinFormats: standard input in Parquet, Arrow IPC (file and
// stream) and Excel is read in the format its first bytes tell, not as
// CSV: index (streamed and in memory), estimate, validate and inspect
// print on it what they print on the same file, and the temporary
// directory is empty afterwards. A bad weight at row 3900 of Parquet on
// standard input exits 2 naming stdin, the row and its row group, as the
// file run names the file's.
func TestStdinFormats(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	dir := t.TempDir()
	lines, col := fixtureLines(t)
	types := map[string]arrow.DataType{
		"psu": arrow.BinaryTypes.String, "province_code": arrow.BinaryTypes.String, "stratum": arrow.BinaryTypes.String,
		"province": arrow.BinaryTypes.String, "fpc": arrow.PrimitiveTypes.Float64, "weight": arrow.PrimitiveTypes.Float64}
	csvPath, pq := writeCSVParquet(t, dir, "ballots", lines, types)
	rec, err := arrowio.ReadAll(csvPath, arrowio.WithTypes(types))
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	files := []string{pq}
	for _, ext := range []string{".arrow", ".arrows", ".xlsx"} {
		p := filepath.Join(dir, "ballots"+ext)
		if err := arrowio.Write(p, rec.Schema(), []arrow.RecordBatch{rec}); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	design := []string{"--weight", "weight", "--strata", "stratum", "--psu", "psu", "--fpc", "fpc", "--by", "province"}
	cases := map[string][]string{
		"index streamed":  append([]string{"index", "--stream"}, design...),
		"index in memory": append([]string{"index"}, design...),
		"estimate":        append([]string{"estimate", "--stream", "--mean", "access_1", "--ratio", "access_1/access_2"}, design...),
		"validate":        {"validate", "--out", "OUT.csv", "--excluded", "EXCLUDED.csv"},
		"inspect":         {"inspect"},
	}
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for name, args := range cases {
			// the validated tables of the file and of stdin
			outs := func(in string) (clean, excluded string) {
				tag := "file"
				if in == "-" {
					tag = "stdin"
				}
				return filepath.Join(dir, tag+".clean.csv"), filepath.Join(dir, tag+".excluded.csv")
			}
			with := func(in string) []string {
				if args[0] == "inspect" {
					return []string{"inspect", in}
				}
				a := []string{args[0], "--in", in}
				clean, excluded := outs(in)
				for _, x := range args[1:] {
					a = append(a, strings.NewReplacer("OUT.csv", clean, "EXCLUDED.csv", excluded).Replace(x))
				}
				return a
			}
			label := name + " " + filepath.Ext(path)
			code, want, wantErr := vtRun(t, "", with(path)...)
			if code != 0 {
				t.Fatalf("%s on the file: exit %d: %s", label, code, wantErr)
			}
			code, got, gotErr := vtRun(t, string(data), with("-")...)
			if code != 0 {
				t.Fatalf("%s on stdin: exit %d: %s", label, code, gotErr)
			}
			if args[0] == "inspect" || args[0] == "validate" {
				want = strings.ReplaceAll(want, path, "stdin")
			}
			if got != want {
				t.Errorf("%s: stdin prints\n%.600s\nthe file\n%.600s", label, got, want)
			}
			if args[0] == "validate" {
				fc, fe := outs(path)
				sc, se := outs("-")
				for _, pair := range [][2]string{{fc, sc}, {fe, se}} {
					a, errA := os.ReadFile(pair[0])
					b, errB := os.ReadFile(pair[1])
					if errA != nil || errB != nil || string(a) != string(b) {
						t.Errorf("%s: %s and %s differ (%v, %v)", label, pair[0], pair[1], errA, errB)
					}
				}
			}
			if strings.Contains(gotErr, tmp) {
				t.Errorf("%s: stderr names the temporary copy: %s", label, gotErr)
			}
			emptyDir(t, label, tmp)
		}
	}

	// a bad weight at data row 3900 (row group 8 of 8)
	bad := slices.Clone(lines)
	cs := strings.Split(bad[3900], ",")
	cs[col("weight")] = "-1"
	bad[3900] = strings.Join(cs, ",")
	_, badPq := writeCSVParquet(t, dir, "bad", bad, types)
	data, err := os.ReadFile(badPq)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.json")
	for _, args := range [][]string{
		append([]string{"index", "--in", "-", "--stream", "--out", out}, design...),
		append([]string{"index", "--in", "-", "--out", out}, design...),
		append([]string{"estimate", "--in", "-", "--stream", "--mean", "access_1", "--out", out}, design...),
	} {
		code, stdout, stderr := vtRun(t, string(data), args...)
		if code != 2 || stdout != "" || !strings.Contains(stderr, "stdin") || !strings.Contains(stderr, "negative at row 3900, row group 8 of 8") {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 2 naming stdin, row 3900 and its row group 8 of 8", strings.Join(args[:4], " "), code, stdout, stderr)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: wrote %s", strings.Join(args[:4], " "), out)
		}
		emptyDir(t, "bad Parquet", tmp)
	}
}
