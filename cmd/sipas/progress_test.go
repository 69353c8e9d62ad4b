package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"golang.org/x/sys/unix"

	"github.com/sipas-go/sipas/internal/arrowio"
)

// ptyPair opens a pseudo-terminal: the command writes to tty (its
// standard error a terminal), and the test reads what it wrote from out
// after closing tty. The test is skipped where no pty can be opened.
func ptyPair(t *testing.T) (tty *os.File, out func() string) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Skipf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Skipf("ptsname: %v", err)
	}
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("open the pty: %v", err)
	}
	var buf bytes.Buffer
	done := make(chan struct{})
	go func() {
		defer close(done)
		io.Copy(&buf, m) // ends with EIO once tty is closed
	}()
	return tty, func() string {
		tty.Close()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("the pty did not close")
		}
		return buf.String()
	}
}

// pgRun runs the command with standard error on w (a terminal, a pipe)
// and returns its exit code and standard output.
func pgRun(t *testing.T, w *os.File, args ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, w)
	return code, out.String()
}

// TestProgressReport: index and estimate report rows read, the rate and
// (Parquet, whose rows are known) the time left on standard error when the
// input is large and standard error a terminal, or when --progress asks;
// not with --quiet, not when standard error is piped, not for a small
// input. The size from which an input is large and the least time between
// reports are lowered here (64 MB, index's streaming size, and a second
// otherwise).
func TestProgressReport(t *testing.T) {
	dir := t.TempDir()
	rec, err := arrowio.ReadAll(indexFixture)
	if err != nil {
		t.Fatal(err)
	}
	pq := filepath.Join(dir, "b.parquet")
	err = arrowio.Write(pq, rec.Schema(), []arrow.RecordBatch{rec}, arrowio.WithRowGroupRows(500))
	rec.Release()
	if err != nil {
		t.Fatal(err)
	}
	cmds := map[string][]string{
		"index":    {"index", "--in", pq, "--weight", "weight", "--strata", "stratum", "--psu", "psu"},
		"estimate": {"estimate", "--in", pq, "--weight", "weight", "--strata", "stratum", "--psu", "psu", "--mean", "access_1"},
	}
	defer func(b, m int64, e time.Duration) { bigInput, streamMin, progressEvery = b, m, e }(bigInput, streamMin, progressEvery)
	progressEvery = 0
	for name, args := range cmds {
		for _, c := range []struct {
			what  string
			large bool
			term  bool
			flags []string
			want  bool
		}{
			{"large input on a terminal", true, true, nil, true},
			{"--quiet", true, true, []string{"--quiet"}, false},
			{"piped", true, false, nil, false},
			{"small input", false, true, nil, false},
			{"--progress --stream, piped and small", false, false, []string{"--progress", "--stream"}, true},
			{"--progress --quiet", true, true, []string{"--progress", "--quiet"}, false},
		} {
			bigInput, streamMin = 64<<20, 64<<20
			if c.large {
				bigInput, streamMin = 1, 1
			}
			var w *os.File
			var got func() string
			if c.term {
				w, got = ptyPair(t)
			} else {
				r, pw, err := os.Pipe()
				if err != nil {
					t.Fatal(err)
				}
				var buf bytes.Buffer
				done := make(chan struct{})
				go func() { io.Copy(&buf, r); close(done) }()
				w, got = pw, func() string { pw.Close(); <-done; r.Close(); return buf.String() }
			}
			code, out := pgRun(t, w, append(args, c.flags...)...)
			errs := got()
			if code != 0 || out == "" {
				t.Fatalf("%s, %s: exit %d, stderr %q", name, c.what, code, errs)
			}
			shown := strings.Contains(errs, "sipas "+name+": ") && strings.Contains(errs, " rows read, ") &&
				strings.Contains(errs, " rows/s, ") && strings.Contains(errs, " left")
			if shown != c.want {
				t.Errorf("%s, %s: progress shown %v, want %v; stderr %q", name, c.what, shown, c.want, errs)
			}
			if c.want && c.term && !strings.Contains(errs, "\r") {
				t.Errorf("%s, %s: the terminal's report does not rewrite its line: %q", name, c.what, errs)
			}
			if c.want && !c.term && strings.Contains(errs, "\x1b") {
				t.Errorf("%s, %s: terminal codes in piped output: %q", name, c.what, errs)
			}
		}
	}
}
