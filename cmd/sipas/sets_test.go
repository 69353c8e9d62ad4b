package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sipas-go/sipas/internal/fsutil"
)

// The outputs of one run are one set: killed (kill -9) at any moment,
// validate, report and demo leave either the complete previous outputs or
// the complete new ones, byte for byte, never a mix; interrupted
// (SIGINT), they leave the previous outputs and no temporary file; after a
// clean run nothing temporary is left, and staging a killed run left
// behind is removed by the next one. The built command is killed at random
// moments of its run (the old and new outputs differ by their input, so
// each file says which run wrote it).
func TestOutputSetsKilled(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("kills a child process; the atomic directory swap is Linux's")
	}
	bin := buildSipas(t)
	// Kills and interrupts per command: the race run's few, the default
	// run's (every command still killed early and late, every other kill
	// near the end where the outputs are written, and interrupted), or
	// with SIPAS_FULL_TESTS=1 the full count (each kill of a report or
	// demo run costs most of a run's CPU).
	short := testing.Short()
	full := os.Getenv("SIPAS_FULL_TESTS") == "1"
	n := func(fullN, short_ int) int {
		switch {
		case full:
			return fullN
		case short:
			return short_
		}
		return max(short_, (2*fullN+4)/5)
	}
	// The clean and the excluded table are one set; a CSV table's sidecar
	// (the clean table's validation record, either table's inputs) is
	// part of it.
	for _, c := range []struct{ name, clean string }{{"validate", "clean.parquet"}, {"validate-csv", "clean.csv"}} {
		t.Run(c.name, func(t *testing.T) {
			tmp := t.TempDir()
			in := filepath.Join(tmp, "in", "ballots.csv")
			os.Mkdir(filepath.Dir(in), 0o755)
			root := filepath.Join(tmp, "out")
			os.Mkdir(root, 0o755)
			reps := n(20, 5)
			clean, exc := filepath.Join(root, c.clean), filepath.Join(root, "excluded.csv")
			recover := []string{clean, exc, exc + ".sipas.json"}
			kills, sigints := n(30, 6), n(4, 2)
			if filepath.Ext(clean) == ".csv" {
				recover = []string{clean, clean + ".sipas.json", exc, exc + ".sipas.json"}
				kills, sigints = n(12, 3), n(2, 1)
			}
			killSet(t, bin, setRun{
				root:  root,
				old:   func() { writeBallots(t, in, reps, 5) },
				new:   func() { writeBallots(t, in, reps, 7) },
				args:  []string{"validate", "--in", in, "--out", clean, "--excluded", exc, "--show", "0"},
				kills: kills, sigints: sigints,
				recover: recover,
			})
		})
	}
	t.Run("weight", func(t *testing.T) {
		// a CSV and its sidecar (the weighting record) are one set
		tmp := t.TempDir()
		in, _ := filepath.Abs(filepath.Join(etAPI, "apistrat.csv"))
		spec := filepath.Join(tmp, "w.json")
		root := filepath.Join(tmp, "out")
		os.Mkdir(root, 0o755)
		out := filepath.Join(root, "w.csv")
		trim := func(max string) func() {
			return func() {
				writeFile(t, tmp, "w.json", `{"design_weight": "pw", "steps": [
					{"poststratify": {"by": ["stype"], "totals": {"E": 4421, "H": 755, "M": 1018}}},
					{"trim": {"max": `+max+`, "relative_to": "median"}}]}`)
			}
		}
		killSet(t, bin, setRun{
			root:  root,
			old:   trim("1.05"),
			new:   trim("1.1"),
			args:  []string{"weight", "--in", in, "--spec", spec, "--out", out},
			kills: n(12, 3), sigints: n(2, 1),
			recover: []string{out, out + ".sipas.json"},
		})
	})
	t.Run("report", func(t *testing.T) {
		tmp := t.TempDir()
		in, _ := filepath.Abs(filepath.Join("..", "..", "testdata", "index", "sipas_small.csv"))
		root := filepath.Join(tmp, "reports")
		os.Mkdir(root, 0o755)
		args := []string{"report", "--in", in, "--strata", "stratum", "--psu", "psu", "--weight", "weight", "--out", filepath.Join(root, "national")}
		lang := ""
		killSet(t, bin, setRun{
			root:    root,
			old:     func() { lang = "en" },
			new:     func() { lang = "vi" },
			argsFn:  func() []string { return append(args, "--lang", lang) },
			kills:   n(16, 3),
			sigints: n(3, 1),
		})
	})
	t.Run("demo", func(t *testing.T) {
		tmp := t.TempDir()
		root := filepath.Join(tmp, "demos")
		os.Mkdir(root, 0o755)
		args := []string{"demo", "--out", filepath.Join(root, "demo"), "--years", "2021", "--register-rows", "1000000"}
		seed := ""
		killSet(t, bin, setRun{
			root:    root,
			old:     func() { seed = "1" },
			new:     func() { seed = "2" },
			argsFn:  func() []string { return append(args, "--seed", seed) },
			kills:   n(4, 1),
			sigints: n(1, 1),
			late:    true,
		})
	})
}

// setRun is a command whose outputs make one set, run by killSet.
type setRun struct {
	root     string   // the directory holding the outputs (and their staging)
	old, new func()   // prepare the old run and the new one (inputs, flags)
	args     []string // the command line (or argsFn's)
	argsFn   func() []string
	kills    int      // kill -9 this many new runs
	sigints  int      // interrupt this many new runs
	recover  []string // outputs whose unfinished commit the next run finishes
	late     bool     // kill in the last two thirds of the run (the first is computation)
}

// killSet runs the old command to completion, then the new one over its
// outputs (both must leave nothing temporary), then kills new runs started
// over the old outputs at random moments and checks that root holds the
// old set or the new one; then interrupts new runs the same way.
func killSet(t *testing.T, bin string, r setRun) {
	t.Helper()
	args := func() []string {
		if r.argsFn != nil {
			return r.argsFn()
		}
		return r.args
	}
	cwd := t.TempDir()
	clean := func(what string) {
		t.Helper()
		if h := hidden(t, r.root); len(h) > 0 {
			t.Fatalf("%s: temporary files left: %v", what, h)
		}
	}
	r.old()
	if _, err := runBin(t, bin, cwd, args()); err != nil {
		t.Fatal(err)
	}
	clean("after a clean run")
	oldSet := snapshot(t, r.root)
	r.new()
	t0 := time.Now()
	if _, err := runBin(t, bin, cwd, args()); err != nil {
		t.Fatal(err)
	}
	dur := time.Since(t0)
	clean("after a clean run over earlier outputs")
	newSet := snapshot(t, r.root)
	if maps.Equal(oldSet, newSet) {
		t.Fatal("the old and the new run wrote the same files: the test cannot tell them apart")
	}
	which := func(got map[string]string) string {
		switch {
		case maps.Equal(got, oldSet):
			return "old"
		case maps.Equal(got, newSet):
			return "new"
		}
		return ""
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 16))
	// Every other kill comes near the end, where the outputs are written.
	delay := func(i int) time.Duration {
		lo := time.Duration(0)
		if r.late || i%2 == 1 {
			lo = dur / 2
		}
		return lo + time.Duration(rng.Int64N(int64(dur*23/20-lo)+1))
	}
	counts := map[string]int{}
	for i := range r.kills {
		restore(t, r.root, oldSet)
		d := delay(i)
		cmd := startBin(t, bin, cwd, args(), nil)
		time.Sleep(d)
		cmd.Process.Kill()
		cmd.Wait()
		got := snapshot(t, r.root)
		w := which(got)
		if w == "" && len(r.recover) > 0 {
			// Killed between the point of commit and the last rename:
			// the next run into the outputs finishes the commit.
			for _, p := range r.recover {
				if err := fsutil.Recover(p); err != nil {
					t.Fatal(err)
				}
			}
			if w = which(snapshot(t, r.root)); w != "" {
				w += " (after recovery)"
			}
		}
		if w == "" {
			t.Fatalf("kill %d after %v: the outputs are neither the old nor the new set:\n%s", i, d, setDiff(got, oldSet, newSet))
		}
		counts[w]++
	}
	t.Logf("%d kills over a run of %v: %v", r.kills, dur.Round(time.Millisecond), counts)

	// The next clean run removes what the killed ones left.
	restore(t, r.root, oldSet)
	if _, err := runBin(t, bin, cwd, args()); err != nil {
		t.Fatal(err)
	}
	clean("after a clean run following kills")
	if got := snapshot(t, r.root); which(got) != "new" {
		t.Fatalf("a clean run after kills did not write the new set:\n%s", setDiff(got, oldSet, newSet))
	}

	// Ctrl-C: the run stops, says so, and leaves the old set and nothing
	// temporary (or, interrupted after its outputs were in place, the
	// new set and exit 0).
	for i := range r.sigints {
		restore(t, r.root, oldSet)
		d := delay(i)
		var stderr bytes.Buffer
		cmd := startBin(t, bin, cwd, args(), &stderr)
		time.Sleep(d)
		cmd.Process.Signal(syscall.SIGINT)
		err := cmd.Wait()
		clean(fmt.Sprintf("SIGINT %d after %v (%v, %s)", i, d, err, stderr.String()))
		w := which(snapshot(t, r.root))
		var ee *exec.ExitError
		switch {
		case err == nil:
			if w != "new" {
				t.Errorf("SIGINT %d after %v: exit 0 with the %q set", i, d, w)
			}
		case errors.As(err, &ee) && ee.ExitCode() == 1:
			if w != "old" || !strings.Contains(stderr.String(), "interrupted") {
				t.Errorf("SIGINT %d after %v: exit 1 with the %q set, stderr %q", i, d, w, stderr.String())
			}
		case errors.As(err, &ee) && ee.ExitCode() == -1 && w == "old":
			// the signal came before the handler was installed
		default:
			t.Errorf("SIGINT %d after %v: %v with the %q set, stderr %q", i, d, err, w, stderr.String())
		}
	}
}

// builtSipas is the command built once for the tests that run it as a
// child process (buildSipas), in a directory TestMain removes.
var builtSipas struct {
	once          sync.Once
	dir, bin, why string // why: the build's error, or why there is none
	skip          bool
}

// buildSipas builds the command once for the test binary (the build and
// its link took seconds of CPU for each test that ran it).
func buildSipas(t *testing.T) string {
	t.Helper()
	b := &builtSipas
	b.once.Do(func() {
		gobin, err := exec.LookPath("go")
		if err != nil {
			b.skip, b.why = true, "no go command to build sipas"
			return
		}
		if b.dir, err = os.MkdirTemp("", "sipas-bin-"); err != nil {
			b.why = err.Error()
			return
		}
		bin := filepath.Join(b.dir, "sipas")
		if out, err := exec.Command(gobin, "build", "-o", bin, ".").CombinedOutput(); err != nil {
			b.why = fmt.Sprintf("go build: %v\n%s", err, out)
			return
		}
		b.bin = bin
	})
	switch {
	case b.skip:
		t.Skip(b.why)
	case b.bin == "":
		t.Fatal(b.why)
	}
	return b.bin
}

// TestMain removes the command buildSipas built.
func TestMain(m *testing.M) {
	code := m.Run()
	if builtSipas.dir != "" {
		os.RemoveAll(builtSipas.dir)
	}
	os.Exit(code)
}

func startBin(t *testing.T, bin, cwd string, args []string, stderr *bytes.Buffer) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = cwd
	if stderr != nil {
		cmd.Stderr = stderr
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

func runBin(t *testing.T, bin, cwd string, args []string) (string, error) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = cwd
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("sipas %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out), nil
}

// snapshot is every visible file under root (relative path → content,
// directories as "/"); names starting with a dot (staging, journals) are
// left out.
func snapshot(t *testing.T, root string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "." {
			return nil
		}
		if strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		switch {
		case d.IsDir():
			m[rel] = "/"
			return nil
		case d.Type()&fs.ModeSymlink != 0:
			l, err := os.Readlink(p)
			m[rel] = "-> " + l
			return err
		case !d.Type().IsRegular():
			m[rel] = d.Type().String()
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		m[rel] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// hidden lists the entries under root whose name starts with a dot.
func hidden(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), ".") && p != root {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// restore makes root's visible content set (staging left by killed runs
// stays, for the next run to remove).
func restore(t *testing.T, root string, set map[string]string) {
	t.Helper()
	ents, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), ".") {
			if err := os.RemoveAll(filepath.Join(root, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	for p, c := range set {
		p = filepath.Join(root, p)
		if c == "/" {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// setDiff says, for each file, whether it is the old one, the new one,
// missing or neither.
func setDiff(got, oldSet, newSet map[string]string) string {
	var b strings.Builder
	keys := map[string]bool{}
	for _, m := range []map[string]string{got, oldSet, newSet} {
		for k := range m {
			keys[k] = true
		}
	}
	for k := range keys {
		g, ok := got[k]
		switch {
		case !ok:
			fmt.Fprintf(&b, "  %s: missing\n", k)
		case g == oldSet[k] && g == newSet[k]:
		case g == oldSet[k]:
			fmt.Fprintf(&b, "  %s: old\n", k)
		case g == newSet[k]:
			fmt.Fprintf(&b, "  %s: new\n", k)
		default:
			fmt.Fprintf(&b, "  %s: neither\n", k)
		}
	}
	return b.String()
}

// writeBallots writes reps copies of the small survey's ballots to path
// (each copy's ids made unique), with an answer code out of range in every
// bad-th row, so that the clean and the excluded table both depend on bad.
func writeBallots(t *testing.T, path string, reps, bad int) {
	t.Helper()
	recs := readCSV(t, filepath.Join("..", "..", "testdata", "index", "sipas_small.csv"))
	col := -1
	for j, h := range recs[0] {
		if h == "access_1" {
			col = j
		}
	}
	if col < 0 {
		t.Fatal("no access_1 column")
	}
	var b strings.Builder
	b.WriteString(strings.Join(recs[0], ",") + "\n")
	i := 0
	for k := range reps {
		for _, r := range recs[1:] {
			r = append([]string(nil), r...)
			r[0] = fmt.Sprintf("%s-%d", r[0], k)
			if i%bad == 0 {
				r[col] = "7"
			}
			for j, c := range r {
				if strings.ContainsAny(c, ",\"\n") {
					r[j] = `"` + strings.ReplaceAll(c, `"`, `""`) + `"`
				}
			}
			b.WriteString(strings.Join(r, ",") + "\n")
			i++
		}
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestOutputSetFailedWrite runs validate and report with a limit on the
// size of the files they may write (as a full disk would stop them): the
// run fails, the earlier outputs are all still there, byte for byte (the
// validate of old removed its earlier clean table when the excluded table
// could not be written), nothing temporary is left, and a report into a
// new directory leaves no empty folders.
func TestOutputSetFailedWrite(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("limits a child's file size with prlimit")
	}
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		t.Skip("no prlimit")
	}
	bin := buildSipas(t)
	tmp := t.TempDir()
	cwd := t.TempDir()
	limited := func(limit int64, args []string) (string, error) {
		cmd := exec.Command(prlimit, append([]string{fmt.Sprintf("--fsize=%d", limit), "--", bin}, args...)...)
		cmd.Dir = cwd
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	in := filepath.Join(tmp, "ballots.csv")
	root := filepath.Join(tmp, "v")
	os.Mkdir(root, 0o755)
	clean, excl := filepath.Join(root, "clean.parquet"), filepath.Join(root, "excluded.csv")
	args := []string{"validate", "--in", in, "--out", clean, "--excluded", excl}
	writeBallots(t, in, 1, 3)
	if _, err := runBin(t, bin, cwd, args); err != nil {
		t.Fatal(err)
	}
	oldSet := snapshot(t, root)
	// The new run excludes every other row: its excluded table is the
	// larger file, so a limit between the two sizes fails it after the
	// clean table was written.
	writeBallots(t, in, 1, 2)
	probe := filepath.Join(tmp, "probe")
	os.Mkdir(probe, 0o755)
	pargs := []string{"validate", "--in", in, "--out", filepath.Join(probe, "clean.parquet"), "--excluded", filepath.Join(probe, "excluded.csv")}
	if _, err := runBin(t, bin, cwd, pargs); err != nil {
		t.Fatal(err)
	}
	cs, _ := os.Stat(filepath.Join(probe, "clean.parquet"))
	es, _ := os.Stat(filepath.Join(probe, "excluded.csv"))
	if es.Size() <= cs.Size() {
		t.Fatalf("the excluded table (%d bytes) is not larger than the clean one (%d)", es.Size(), cs.Size())
	}
	if out, err := limited((cs.Size()+es.Size())/2, args); err == nil {
		t.Fatalf("validate with a full disk: exit 0\n%s", out)
	}
	if got := snapshot(t, root); !maps.Equal(got, oldSet) {
		t.Errorf("validate that failed to write changed the earlier outputs:\n%s", setDiff(got, oldSet, oldSet))
	}
	if h := hidden(t, root); len(h) > 0 {
		t.Errorf("validate that failed to write left %v", h)
	}

	rin, _ := filepath.Abs(filepath.Join("..", "..", "testdata", "index", "sipas_small.csv"))
	reports := filepath.Join(tmp, "reports")
	os.Mkdir(reports, 0o755)
	rargs := func(out, lang string) []string {
		return []string{"report", "--in", rin, "--strata", "stratum", "--psu", "psu", "--weight", "weight", "--out", out, "--lang", lang}
	}
	if _, err := runBin(t, bin, cwd, rargs(filepath.Join(reports, "national"), "en")); err != nil {
		t.Fatal(err)
	}
	oldSet = snapshot(t, reports)
	const limit = 64 << 10 // below the size of the page and the PDF
	if out, err := limited(limit, rargs(filepath.Join(reports, "national"), "vi")); err == nil {
		t.Fatalf("report with a full disk: exit 0\n%s", out)
	}
	if got := snapshot(t, reports); !maps.Equal(got, oldSet) {
		t.Errorf("report that failed to write changed the earlier report:\n%s", setDiff(got, oldSet, oldSet))
	}
	if h := hidden(t, reports); len(h) > 0 {
		t.Errorf("report that failed to write left %v", h)
	}
	fresh := filepath.Join(tmp, "fresh")
	os.Mkdir(fresh, 0o755)
	if out, err := limited(limit, rargs(filepath.Join(fresh, "a", "b", "national"), "vi")); err == nil {
		t.Fatalf("report with a full disk: exit 0\n%s", out)
	}
	if ents, _ := os.ReadDir(fresh); len(ents) > 0 {
		t.Errorf("report that failed to write into a new directory left %v", ents[0].Name())
	}
}

// TestOutputDirRefused: a report or demo directory that is a symbolic
// link, a FIFO or the current directory is refused (exit 2, before any
// work) and left as it was, since the new output replaces it as a whole.
func TestOutputDirRefused(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	os.Mkdir(target, 0o755)
	writeFile(t, target, "keep.txt", "keep me")
	link := filepath.Join(dir, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	in := filepath.Join("..", "..", "testdata", "index", "sipas_small.csv")
	report := []string{"report", "--in", in, "--strata", "stratum", "--psu", "psu", "--weight", "weight", "--out"}
	before := snapshot(t, dir)
	for _, c := range []struct {
		args []string
		want string
	}{
		{append(report, link), "symbolic link"},
		{append(report, fifo), "not a directory"},
		{append(report, link, "--province", "Hà Nội"), "symbolic link"},
		{append(report, "."), "current directory"},
		{[]string{"demo", "--out", link}, "symbolic link"},
		{[]string{"demo", "--out", ".."}, "current directory"},
	} {
		code, _, stderr := vtRun(t, "", c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, stderr, c.want)
		}
	}
	if got := snapshot(t, dir); !maps.Equal(got, before) {
		t.Errorf("changed: %v, want %v", got, before)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Error("the symbolic link was replaced")
	}
	for _, d := range []string{".", ".."} {
		ents, _ := os.ReadDir(d)
		for _, e := range ents {
			if strings.Contains(e.Name(), ".sipas-") {
				t.Errorf("left in %s: %s", d, e.Name())
			}
		}
	}
}
