package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBadInputFiles checks, through the command line, the file-level bad
// inputs of the foundation issue: each exits 2 with a message that names
// the file and, where there is one, the line and column, and no output is
// written.
func TestBadInputFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string { return writeFile(t, dir, name, content) }
	parquetGarbage := append([]byte("PAR1"), []byte(strings.Repeat("\x00\xff garbage ", 40))...)
	parquetGarbage = append(parquetGarbage, []byte("PAR1")...)
	for _, tc := range []struct {
		name, file string
		args       []string
		want       []string
	}{
		{"empty file", write("empty.csv", ""), nil, []string{"empty.csv", "empty"}},
		{"ragged row", write("ragged.csv", "ballot_id,year,province,access_1\nB1,2019,Hà Nội,4\nB2,2019,Hà Nội\n"), nil, []string{"ragged.csv", "line 3"}},
		{"bad value in a forced column", write("badval.csv", "ballot_id,year,province,weight\nB1,2019,Hà Nội,1.5\nB2,2019,Hà Nội,abc\n"),
			[]string{"estimate", "--mean", "weight"}, []string{"badval.csv", "weight", "row 2", "abc"}},
		{"corrupt parquet", write("bad.parquet", string(parquetGarbage)), nil, []string{"bad.parquet"}},
		{"corrupt arrow ipc", write("bad.arrow", "ARROW1\x00\x00garbage that is not a flatbuffer at all"), nil, []string{"bad.arrow"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, exc := filepath.Join(dir, "o.csv"), filepath.Join(dir, "x.csv")
			args := []string{"validate", "--in", tc.file, "--out", out, "--excluded", exc, "--year", "2019"}
			if tc.args != nil {
				args = append([]string{tc.args[0], "--in", tc.file}, tc.args[1:]...)
			}
			code, stdout, stderr := vtRun(t, "", args...)
			if code != 2 {
				t.Fatalf("exit %d, want 2 (stdout %q, stderr %q)", code, stdout, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("message %q lacks %q", stderr, w)
				}
			}
			for _, p := range []string{out, exc} {
				if _, err := os.Stat(p); err == nil {
					t.Errorf("%s written despite the error", p)
					os.Remove(p)
				}
			}
		})
	}
}
