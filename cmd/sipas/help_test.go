package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sipas-go/sipas/internal/arrowio"
)

// TestHelpCommand: `sipas help CMD` shows every flag of CMD with its
// default, `sipas help nosuch` exits 2 naming it, and the command list
// follows the yearly cycle. It also checks that docs/cli.md, which the
// help names, is where it says.
func TestHelpCommand(t *testing.T) {
	for name, c := range commands {
		code, stdout, stderr := vtRun(t, "", "help", name)
		if code != 0 || stderr != "" {
			t.Errorf("help %s: exit %d, stderr %q", name, code, stderr)
			continue
		}
		if !strings.Contains(stdout, c.summary) || !strings.Contains(stdout, "docs/cli.md") {
			t.Errorf("help %s: no summary or no pointer to docs/cli.md:\n%s", name, stdout)
		}
		if subs, ok := map[string][][2]string{
			"backcheck":     {{"sample", "  --id string\n"}, {"compare", "  --id string\n"}},
			"questionnaire": {{"template", "  --id string\n"}},
		}[name]; ok {
			// subcommands: each has its own help
			for _, sub := range subs {
				code, out, errs := vtRun(t, "", "help", name, sub[0])
				if code != 0 || !strings.Contains(out, "usage: sipas "+name+" "+sub[0]) || !strings.Contains(out, sub[1]) {
					t.Errorf("help %s %s: exit %d %s\n%s", name, sub[0], code, errs, out)
				}
			}
			continue
		}
		if !strings.Contains(stdout, "usage: sipas "+name) || !strings.Contains(stdout, "flags:") {
			t.Errorf("help %s: no usage line or flag list:\n%s", name, stdout)
		}
		for _, ln := range strings.Split(stdout, "\n") {
			if strings.HasPrefix(ln, "  --") {
				continue
			}
			if strings.HasPrefix(ln, "    \t") && !strings.Contains(ln, "(default") {
				t.Errorf("help %s: a flag without its default: %q", name, ln)
			}
		}
	}
	_, idx, _ := vtRun(t, "", "help", "index")
	_, tr, _ := vtRun(t, "", "help", "trend")
	if !strings.Contains(tr, "--year-col string\n    \tcolumn holding the survey year (default: year)") {
		t.Errorf("help trend: --year-col does not default to year:\n%s", tr)
	}
	for _, f := range []string{"--in string", "--weight string", "--strata string", "--by value", "--format string", "--out string", "--lonely-psu string"} {
		if !strings.Contains(idx, "  "+f+"\n") {
			t.Errorf("help index lacks %s:\n%s", f, idx)
		}
	}
	if !strings.Contains(idx, "(default: linearization)") || !strings.Contains(idx, "(default: none)") {
		t.Errorf("help index: defaults not shown:\n%s", idx)
	}

	code, _, stderr := vtRun(t, "", "help", "nosuch")
	if code != 2 || !strings.Contains(stderr, `unknown command "nosuch"`) {
		t.Errorf("help nosuch: exit %d, stderr %q", code, stderr)
	}

	_, list, _ := vtRun(t, "", "help")
	last := -1
	for _, n := range cycleOrder {
		i := strings.Index(list, "\n  "+n+" ")
		if i < 0 {
			t.Errorf("help: %s not listed", n)
			continue
		}
		if i < last {
			t.Errorf("help: %s listed out of the cycle's order", n)
		}
		last = i
	}
	if _, err := os.Stat(filepath.Join("..", "..", "docs", "cli.md")); err != nil {
		t.Errorf("the help names docs/cli.md: %v", err)
	}
}

// TestOutFlag: --out writes what standard output would show, in the format
// of the extension (CSV with a BOM), only when the command succeeds.
func TestOutFlag(t *testing.T) {
	dir := t.TempDir()
	args := []string{"index", "--in", indexFixture, "--weight", "weight", "--strata", "stratum", "--psu", "psu", "--by", "level"}
	for _, c := range []struct{ ext, format, bom string }{{".csv", "csv", "\ufeff"}, {".json", "json", ""}, {".txt", "table", ""}} {
		_, want, _ := vtRun(t, "", append(args, "--format", c.format)...)
		path := filepath.Join(dir, "index"+c.ext)
		code, stdout, stderr := vtRun(t, "", append(args, "--out", path)...)
		if code != 0 || stdout != "" {
			t.Fatalf("--out %s: exit %d, stdout %q, stderr %s", path, code, stdout, stderr)
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != c.bom+want {
			t.Errorf("--out %s: the file differs from the %s output (%v)", c.ext, c.format, err)
		}
	}
	// .xlsx: the CSV table as a workbook, with the same cells
	xl := filepath.Join(dir, "index.xlsx")
	if code, _, stderr := vtRun(t, "", append(args, "--out", xl)...); code != 0 {
		t.Fatalf("--out .xlsx: exit %d %s", code, stderr)
	}
	fromCSV, err := arrowio.ReadAll(filepath.Join(dir, "index.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer fromCSV.Release()
	fromXL, err := arrowio.ReadAll(xl)
	if err != nil {
		t.Fatal(err)
	}
	defer fromXL.Release()
	if !array.RecordEqual(fromCSV, fromXL) {
		t.Errorf("--out .xlsx differs from the CSV output:\n%v\n%v", fromCSV.Schema(), fromXL.Schema())
	}
	// estimate and trend take it too; trend's year column defaults to "year"
	path := filepath.Join(dir, "est.json")
	if code, _, stderr := vtRun(t, "", "estimate", "--in", indexFixture, "--weight", "weight", "--mean", "access_1", "--out", path); code != 0 {
		t.Errorf("estimate --out: exit %d %s", code, stderr)
	} else if b, _ := os.ReadFile(path); !strings.Contains(string(b), `"access_1"`) {
		t.Errorf("estimate --out: %s", b)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{append(args, "--out", filepath.Join(dir, "x.pdf")), "the extension does not say the format"},
		{append(args, "--out", filepath.Join(dir, "x.csv"), "--format", "json"), "is a csv file but --format is json"},
		{[]string{"index", "--in", indexFixture, "--by", "no_such", "--out", filepath.Join(dir, "y.csv")}, "no_such"},
	} {
		code, _, stderr := vtRun(t, "", c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args[len(c.args)-2:], code, stderr, c.want)
		}
	}
	for _, f := range []string{"x.pdf", "x.csv", "y.csv"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Errorf("%s written by a failed command", f)
		}
	}
}
