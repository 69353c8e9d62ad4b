package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// emptyDir fails the test when dir holds a file: the temporary copy of
// standard input was left behind.
func emptyDir(t *testing.T, label, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		t.Errorf("%s: %s left in the temporary directory", label, e.Name())
	}
}

// TestStdinStreams: `sipas index --in - --stream` and `sipas estimate --in
// - --stream` (index with PSUs and without, with --sums-out, and with a calibration
// solved in passes over the input) stream standard input from a temporary
// copy and print exactly what the same run on the file prints; the
// messages name stdin (not the copy), none says the input is read into
// memory, the --sums-out table is the file run's byte for byte, progress
// is reported, and the temporary directory is empty afterwards.
func TestStdinStreams(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	dir := t.TempDir()
	in, ageTotal := withAge(t, dir)
	text, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	linear := writeFile(t, dir, "linear.json", fmt.Sprintf(`{"design_weight": "weight", "steps": [{"calibrate": {"numeric": {"age": %v}, "margins": [{"by": ["field"], "totals": %s}]}}]}`, ageTotal*1.02, fieldTotals(t, in)))
	design := []string{"--weight", "weight", "--strata", "stratum", "--psu", "psu", "--fpc", "fpc", "--by", "region"}
	cases := map[string][]string{
		"index PSU":              append([]string{"index"}, design...),
		"index no PSU":           {"index", "--weight", "weight", "--strata", "stratum", "--fpc", "fpc", "--by", "level"},
		"index sums-out":         append([]string{"index", "--sums-out", "SUMS"}, design...),
		"index calibrated":       {"index", "--weighting", linear, "--strata", "stratum", "--psu", "psu", "--fpc", "fpc", "--nest", "--by", "level"},
		"estimate PSU":           append([]string{"estimate", "--mean", "access_1", "--total", "access_2", "--ratio", "access_1/access_2"}, design...),
		"estimate contrasts PSU": append([]string{"estimate", "--mean", "access_1", "--contrast", "pairs"}, design...),
	}
	defer func(e time.Duration) { progressEvery = e }(progressEvery)
	progressEvery = 0
	for name, args := range cases {
		run := func(path, sums string, stdin string) (int, string, string) {
			a := []string{args[0], "--in", path, "--stream", "--progress"}
			for _, x := range args[1:] {
				if x == "SUMS" {
					x = sums
				}
				a = append(a, x)
			}
			return vtRun(t, stdin, a...)
		}
		fileSums, stdinSums := filepath.Join(dir, "file.sums.parquet"), filepath.Join(dir, "stdin.sums.parquet")
		code, want, wantErr := run(in, fileSums, "")
		if code != 0 {
			t.Fatalf("%s on the file: exit %d: %s", name, code, wantErr)
		}
		code, got, gotErr := run("-", stdinSums, string(text))
		if code != 0 {
			t.Fatalf("%s on stdin: exit %d: %s", name, code, gotErr)
		}
		if got != want {
			t.Errorf("%s: stdin prints\n%.400s\nthe file\n%.400s", name, got, want)
		}
		if strings.Contains(gotErr, "into memory") || !strings.Contains(gotErr, "rows read") || strings.Contains(gotErr, tmp) {
			t.Errorf("%s on stdin: stderr %q; want it streamed with progress, naming no temporary file", name, gotErr)
		}
		if strings.Contains(wantErr, "streaming "+in) && !strings.Contains(gotErr, "streaming stdin") {
			t.Errorf("%s on stdin: stderr %q does not say stdin is streamed as %q does", name, gotErr, wantErr)
		}
		if strings.Contains(strings.Join(args, " "), "SUMS") {
			a, err := os.ReadFile(fileSums)
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(stdinSums)
			if err != nil {
				t.Fatalf("%s: --sums-out on stdin: %v", name, err)
			}
			if !bytes.Equal(a, b) {
				t.Errorf("%s: the --sums-out tables of stdin and of the file differ", name)
			}
		}
		emptyDir(t, name, tmp)
	}
}

// TestStdinStreamedErrors: bad input on standard input, streamed, exits 2
// with the message of the same run on the file, naming stdin, the row and
// its line (not the temporary copy), writes nothing, and leaves the
// temporary directory empty; an interrupt while standard input is being
// copied (a pipe that never ends) returns at once, exit 1, the copy
// removed.
func TestStdinStreamedErrors(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	dir := t.TempDir()
	lines, col := fixtureLines(t)
	const row = 3900 // data row, line 3901
	out := filepath.Join(dir, "out.json")
	design := []string{"--weight", "weight", "--strata", "stratum", "--psu", "psu", "--fpc", "fpc", "--by", "region", "--out", out, "--stream"}
	for _, c := range []struct{ column, value, want string }{
		{"weight", "-1", "negative at row 3900, line 3901"},
		{"fpc", "NaN", "has NaN"},
		{"access_1", "abc", "row 3900, line 3901"},
	} {
		bad := make([]string, len(lines))
		copy(bad, lines)
		cs := strings.Split(bad[row], ",")
		cs[col(c.column)] = c.value
		bad[row] = strings.Join(cs, ",")
		text := strings.Join(bad, "\n") + "\n"
		file := writeFile(t, dir, "bad.csv", text)
		for _, cmd := range [][]string{{"index"}, {"estimate", "--mean", "access_1"}} {
			label := cmd[0] + " " + c.column + "=" + c.value
			_, _, fileErr := vtRun(t, "", append(append(cmd, "--in", file), design...)...)
			code, stdout, stderr := vtRun(t, text, append(append(cmd, "--in", "-"), design...)...)
			if code != 2 || stdout != "" || strings.Contains(stderr, "into memory") || !strings.Contains(stderr, "stdin: ") || !strings.Contains(stderr, c.want) || strings.Contains(stderr, tmp) {
				t.Errorf("%s: exit %d, stdout %.80q, stderr %q; want 2 naming stdin and %q, streamed", label, code, stdout, stderr, c.want)
			}
			if want := strings.ReplaceAll(fileErr, file, "stdin"); stderr != want {
				t.Errorf("%s: stdin says\n%s\nthe file\n%s", label, stderr, want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s: bad input left %s", label, out)
			}
			emptyDir(t, label, tmp)
		}
	}
	// an interrupt while standard input is still open
	for _, cmd := range [][]string{{"index"}, {"estimate", "--mean", "access_1"}} {
		r, w := io.Pipe()
		go io.WriteString(w, strings.Join(lines[:100], "\n")+"\n") // and then nothing
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan int, 1)
		var stderr bytes.Buffer
		go func() {
			done <- run(ctx, append(append(cmd, "--in", "-"), design...), r, io.Discard, &stderr)
		}()
		time.Sleep(200 * time.Millisecond)
		cancel()
		select {
		case code := <-done:
			if code != 1 || !strings.Contains(stderr.String(), "interrupted") {
				t.Errorf("%s interrupted: exit %d, stderr %q; want 1, interrupted", cmd[0], code, stderr.String())
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: still reading standard input 10 s after the interrupt", cmd[0])
		}
		w.Close()
		emptyDir(t, cmd[0]+" interrupted", tmp)
	}
}
