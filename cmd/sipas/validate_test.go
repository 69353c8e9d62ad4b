package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/synth"
)

// vtBallots writes a CSV of ballots for the default questionnaire: a header
// with ballot_id, year, province, the 22 criteria and weight, and one row
// per entry of rows, each "id|province|codes" where codes is 22 comma-free
// digits, or a full override with "=" + the raw CSV line.
func vtBallots(t *testing.T, dir, name string, rows ...string) string {
	t.Helper()
	q := index.DefaultQuestionnaire()
	var b strings.Builder
	b.WriteString("ballot_id,year,province," + strings.Join(q.Columns(), ",") + ",weight\n")
	for _, r := range rows {
		if raw, ok := strings.CutPrefix(r, "="); ok {
			b.WriteString(raw + "\n")
			continue
		}
		p := strings.Split(r, "|")
		codes := p[2]
		if len(codes) != 22 {
			t.Fatalf("row %q: need 22 codes", r)
		}
		cells := strings.Split(codes, "")
		fmt.Fprintf(&b, "%s,2019,%s,%s,1.5\n", p[0], p[1], strings.Join(cells, ","))
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const good = "4455443322554433221145"

func TestValidateCommand(t *testing.T) {
	dir := t.TempDir()
	in := vtBallots(t, dir, "ballots.csv",
		"B001|Hà Nội|"+good,
		"B002|TP.HCM|"+good,
		"B001|Huế|"+good,                       // duplicate id (row 3)
		"B004|Hà Nội|4455443322554433221175",   // code 7 in feedback_3 (row 4)
		"B005|Atlantis|"+good,                  // unknown province (row 5)
		"B006|Hoà Bình|0000000000000000000099", // all criteria missing (row 6)
		"B007||"+good,                          // missing province (row 7)
	)
	out := filepath.Join(dir, "clean.parquet")
	exc := filepath.Join(dir, "excluded.csv")
	code, stdout, stderr := vtRun(t, "", "validate", "--in", in, "--out", out, "--excluded", exc)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{
		"provinces read in the 1997 geography (year 2019)",
		"rows in               7\n",
		"rows used             2\n",
		"rows excluded         5\n",
		"check: 7 rows in = 2 used + 5 excluded",
		"duplicate_ballot_id         1 rows",
		`row 3 (ballot B001): duplicate_ballot_id, column "ballot_id": ballot id "B001" was first used in row 1`,
		`row 4 (ballot B004): invalid_code, column "feedback_3": code 7 in column "feedback_3" is outside 1..5`,
		`row 5 (ballot B005): unknown_province, column "province": unknown province "Atlantis"`,
		`row 6 (ballot B006): all_criteria_missing`,
		`row 7 (ballot B007): missing_province`,
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	vtCheckAccounting(t, stdout, out, exc)

	clean, err := arrowio.ReadAll(out)
	if err != nil {
		t.Fatal(err)
	}
	defer clean.Release()
	ids, _, _ := arrowio.Strings(clean.Column(0))
	prov, _, _ := arrowio.Strings(clean.Column(2))
	if strings.Join(ids, ",") != "B001,B002" {
		t.Errorf("clean ids %v", ids)
	}
	if prov[0] != "Hà Nội" || prov[1] != "Thành phố Hồ Chí Minh" {
		t.Errorf("provinces not canonical: %v", prov)
	}
	if int(clean.NumCols()) != 26 {
		t.Errorf("clean table has %d columns, want all 26", clean.NumCols())
	}
}

// vtCheckAccounting checks that the printed counts reconcile with each
// other and with the files written.
func vtCheckAccounting(t *testing.T, stdout, cleanPath, excPath string) {
	t.Helper()
	num := func(label string) int {
		m := regexp.MustCompile(`(?m)^` + label + `\s+(\d+)$`).FindStringSubmatch(stdout)
		if m == nil {
			t.Fatalf("no %q count in\n%s", label, stdout)
		}
		n, _ := strconv.Atoi(m[1])
		return n
	}
	in, used, excl := num("rows in"), num("rows used"), num("rows excluded")
	if in != used+excl {
		t.Errorf("printed counts do not reconcile: %d != %d + %d", in, used, excl)
	}
	byReason := 0
	for _, m := range regexp.MustCompile(`(?m)^  [a-z_]+\s+(\d+) rows`).FindAllStringSubmatch(stdout, -1) {
		n, _ := strconv.Atoi(m[1])
		byReason += n
	}
	if byReason != excl {
		t.Errorf("reasons sum to %d, excluded %d", byReason, excl)
	}
	clean, err := arrowio.ReadAll(cleanPath)
	if err != nil {
		t.Fatal(err)
	}
	defer clean.Release()
	if int(clean.NumRows()) != used {
		t.Errorf("clean file has %d rows, printed used %d", clean.NumRows(), used)
	}
	x, err := arrowio.ReadAll(excPath)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Release()
	rows, _, err := arrowio.Ints(x.Column(0))
	if err != nil {
		t.Fatal(err)
	}
	distinct := map[int64]bool{}
	for _, r := range rows {
		distinct[r] = true
	}
	if len(distinct) != excl {
		t.Errorf("excluded file covers %d rows, printed %d", len(distinct), excl)
	}
}

func TestValidateCommandErrors(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "clean.csv")
	exc := filepath.Join(dir, "excluded.csv")
	noFiles := func(t *testing.T) {
		t.Helper()
		for _, p := range []string{out, exc} {
			if _, err := os.Stat(p); err == nil {
				t.Errorf("%s written despite the error", p)
				os.Remove(p)
			}
		}
	}

	t.Run("missing file", func(t *testing.T) {
		code, _, stderr := vtRun(t, "", "validate", "--in", filepath.Join(dir, "nope.csv"), "--out", out, "--excluded", exc)
		if code != 2 || !strings.Contains(stderr, "nope.csv") || !strings.Contains(stderr, "does not exist") {
			t.Errorf("exit %d, stderr %s", code, stderr)
		}
		noFiles(t)
	})
	t.Run("missing required column", func(t *testing.T) {
		p := filepath.Join(dir, "nocol.csv")
		os.WriteFile(p, []byte("ballot_id,province,access_1\nB1,Hà Nội,4\n"), 0o644)
		code, _, stderr := vtRun(t, "", "validate", "--in", p, "--out", out, "--excluded", exc, "--year", "2019")
		if code != 2 || !strings.Contains(stderr, `missing required columns "access_2", "access_3"`) || !strings.Contains(stderr, "available columns are ballot_id, province, access_1") {
			t.Errorf("exit %d, stderr %s", code, stderr)
		}
		noFiles(t)
	})
	t.Run("bad questionnaire", func(t *testing.T) {
		in := vtBallots(t, dir, "b.csv", "B1|Hà Nội|"+good)
		qp := filepath.Join(dir, "q.json")
		os.WriteFile(qp, []byte(`{"id": "x", "scale": {"min": 1, "max": 5}, "satisfied_codes": [4,5], "elements": [{"id": "a", "label": {"vi": "A"}}], "criteria": [{"column": "access_1", "element": "acess", "label": {"vi": "x"}}]}`), 0o644)
		code, _, stderr := vtRun(t, "", "validate", "--in", in, "--questionnaire", qp, "--out", out, "--excluded", exc)
		if code != 2 || !strings.Contains(stderr, `criteria[0].element: unknown element "acess"; elements are a`) {
			t.Errorf("exit %d, stderr %s", code, stderr)
		}
		noFiles(t)
	})
	t.Run("usage", func(t *testing.T) {
		code, _, stderr := vtRun(t, "", "validate", "--in", "x.csv", "--out", out)
		if code != 2 || !strings.Contains(stderr, "--excluded is required") {
			t.Errorf("exit %d, stderr %s", code, stderr)
		}
		code, _, stderr = vtRun(t, "", "validate", "--in", "x.csv", "--out", filepath.Join(dir, "c.ods"), "--excluded", exc)
		if code != 2 || !strings.Contains(stderr, "ods") {
			t.Errorf("bad extension: exit %d, stderr %s", code, stderr)
		}
		noFiles(t)
	})
	t.Run("no year", func(t *testing.T) {
		p := filepath.Join(dir, "noyear.csv")
		q := index.DefaultQuestionnaire()
		os.WriteFile(p, []byte("ballot_id,province,"+strings.Join(q.Columns(), ",")+"\nB1,Hà Nội,"+strings.Repeat("4,", 21)+"4\n"), 0o644)
		code, _, stderr := vtRun(t, "", "validate", "--in", p, "--out", out, "--excluded", exc)
		if code != 2 || !strings.Contains(stderr, "pass --year N or --geography") {
			t.Errorf("exit %d, stderr %s", code, stderr)
		}
		noFiles(t)
		code, stdout, stderr := vtRun(t, "", "validate", "--in", p, "--out", out, "--excluded", exc, "--year", "2026")
		if code != 0 || !strings.Contains(stdout, "rows used             1") || !strings.Contains(stdout, "2025 geography (--year 2026)") {
			t.Errorf("with --year: exit %d, stdout %s stderr %s", code, stdout, stderr)
		}
		vtCheckAccounting(t, stdout, out, exc)
	})
}

// The synthetic survey with planted faults, through Parquet and IPC.
func TestValidateCommandSynthetic(t *testing.T) {
	dir := t.TempDir()
	cfg := synth.Config{Seed: 5, TotalRows: 30_000, FaultRate: 0.02}
	reg, err := synth.Register(cfg, 2021, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Release()
	sample := reg.NewSlice(0, 3000)
	defer sample.Release()
	res, err := synth.Respond(cfg, 2021, sample, nil, nil, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	in := filepath.Join(dir, "ballots.parquet")
	if err := arrowio.WriteRecord(in, res.Ballots); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "clean.arrow")
	exc := filepath.Join(dir, "excluded.parquet")
	code, stdout, stderr := vtRun(t, "", "validate", "--in", in, "--out", out, "--excluded", exc, "--show", "0")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	vtCheckAccounting(t, stdout, out, exc)
	if want := fmt.Sprintf("rows excluded  %8d\n", len(res.Faults)); !strings.Contains(stdout, want) {
		t.Errorf("stdout lacks %q (one row per planted fault):\n%s", want, stdout)
	}
}

// A Likert code out of range is reported with its column and row, in the
// excluded file as well as on stdout; stdin input works.
func TestValidateCommandInvalidCode(t *testing.T) {
	dir := t.TempDir()
	q := index.DefaultQuestionnaire()
	csv := "ballot_id,year,province," + strings.Join(q.Columns(), ",") + "\n" +
		"7,2020,Hà Nội," + strings.Repeat("4,", 21) + "4\n" +
		"8,2020,Hà Nội,4,4,4,6," + strings.Repeat("4,", 17) + "x\n"
	out := filepath.Join(dir, "clean.arrow")
	exc := filepath.Join(dir, "excluded.csv")
	code, stdout, stderr := vtRun(t, csv, "validate", "--in", "-", "--out", out, "--excluded", exc)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, `row 2 (ballot 8): invalid_code, column "access_4": code 6 in column "access_4" is outside 1..5 or a missing code (0, 9)`) ||
		!strings.Contains(stdout, `row 2 (ballot 8): invalid_code, column "feedback_4": value "x"`) ||
		!strings.Contains(stdout, "invalid_code                1 rows  (2 entries in all)") {
		t.Errorf("stdout:\n%s", stdout)
	}
	vtCheckAccounting(t, stdout, out, exc)
	b, _ := os.ReadFile(exc)
	if !strings.Contains(string(b), "2,8,invalid_code,access_4,6,") {
		t.Errorf("excluded file:\n%s", b)
	}
}

// A CSV saved by Excel: UTF-8 BOM and CRLF line ends.
func TestValidateCommandBOMCRLF(t *testing.T) {
	dir := t.TempDir()
	q := index.DefaultQuestionnaire()
	csv := "\ufeffballot_id,year,province," + strings.Join(q.Columns(), ",") + "\r\n" +
		"A1,2019,Thừa Thiên Huế," + strings.Repeat("5,", 21) + "5\r\n" +
		"A2,2019,Hoà Bình," + strings.Repeat("4,", 21) + "9\r\n"
	in := filepath.Join(dir, "excel.csv")
	os.WriteFile(in, []byte(csv), 0o644)
	out := filepath.Join(dir, "clean.csv")
	exc := filepath.Join(dir, "excluded.csv")
	code, stdout, stderr := vtRun(t, "", "validate", "--in", in, "--out", out, "--excluded", exc)
	if code != 0 || !strings.Contains(stdout, "rows used             2") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	vtCheckAccounting(t, stdout, out, exc)
	b, _ := os.ReadFile(out)
	if !strings.Contains(string(b), "A2,2019,Hòa Bình,") {
		t.Errorf("province not canonical (NFC, new-style tone):\n%s", b)
	}
}
