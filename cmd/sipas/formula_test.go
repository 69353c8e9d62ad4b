package main

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/internal/csvsafe"
	"github.com/sipas-go/sipas/report"
)

// TestCSVOutputsHaveNoFormulas writes hostile text (a "level" value, a
// ballot id, a column name and keyer names that are formulas) through
// every CSV the command writes: index --format csv, validate --excluded,
// reconcile --out and the report's tables. No cell of any of them may
// start like a formula unless it is a plain number.
func TestCSVOutputsHaveNoFormulas(t *testing.T) {
	dir := t.TempDir()
	q := index.DefaultQuestionnaire()
	var b strings.Builder
	b.WriteString("ballot_id,year,province,level,@note," + strings.Join(q.Columns(), ",") + "\n")
	for i, row := range []string{"=HYPERLINK(\"http://x\";\"y\")", "+cmd|' /C calc'!A0", "-2+3", "-3.5"} {
		id := []string{"B1", "=1+1", "B3", "B4"}[i]
		b.WriteString(id + ",2019,Hà Nội,\"" + strings.ReplaceAll(row, `"`, `""`) + "\",@x," + strings.Repeat("4,", 21) + "4\n")
	}
	b.WriteString("B5,2019,Hà Nội,x,@x," + strings.Repeat("9,", 21) + "9\n") // excluded: every answer invalid
	in := writeFile(t, dir, "ballots.csv", b.String())

	var cells [][]string
	read := func(name string, data []byte) {
		r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
		r.FieldsPerRecord = -1
		recs, err := r.ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, rec := range recs {
			cells = append(cells, append([]string{name}, rec...))
		}
	}
	code, stdout, stderr := vtRun(t, "", "index", "--in", in, "--by", "level", "--format", "csv")
	if code != 0 {
		t.Fatalf("index: exit %d: %s", code, stderr)
	}
	read("index", []byte(stdout))
	out, exc := filepath.Join(dir, "clean.csv"), filepath.Join(dir, "excluded.csv")
	if code, _, stderr := vtRun(t, "", "validate", "--in", in, "--out", out, "--excluded", exc); code != 0 {
		t.Fatalf("validate: exit %d: %s", code, stderr)
	}
	for _, p := range []string{out, exc} {
		data, _ := os.ReadFile(p)
		read(filepath.Base(p), data)
	}
	first := writeFile(t, dir, "first.csv", "ballot_id,keyer,=x\n=1,@k,1\nB2,k,2\n")
	second := writeFile(t, dir, "second.csv", "ballot_id,keyer,=x\n=1,-k,2\nB2,k,2\n")
	rec := filepath.Join(dir, "rec.csv")
	if code, _, stderr := vtRun(t, "", "reconcile", "--first", first, "--second", second, "--key", "ballot_id", "--out", rec); code != 0 {
		t.Fatalf("reconcile: exit %d: %s", code, stderr)
	}
	data, _ := os.ReadFile(rec)
	read("reconcile", data)
	var buf bytes.Buffer
	if err := report.WriteCSV(&buf, report.Table{Name: "t", Header: []string{"=label", "id"},
		Rows: [][]string{{"@criterion", "-1.5"}, {"-x", "+cmd"}}}); err != nil {
		t.Fatal(err)
	}
	read("report", buf.Bytes())

	live := 0
	for _, row := range cells {
		for _, c := range row[1:] {
			if csvsafe.NeedsGuard(c) {
				live++
				if live <= 5 {
					t.Errorf("%s: cell %q would run as a formula", row[0], c)
				}
			}
		}
	}
	if live > 0 {
		t.Errorf("%d live formula cells", live)
	}
	for _, want := range []string{"'=HYPERLINK(", "'@note", "'=1+1", "'-2+3"} {
		if !strings.Contains(strings.Join(flatten(cells), "\n"), want) {
			t.Errorf("no cell %q: the hostile text was not written as text", want)
		}
	}
}

func flatten(rows [][]string) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r...)
	}
	return out
}
