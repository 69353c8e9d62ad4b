package report

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteCSVBOMAndQuoting(t *testing.T) {
	tb := Table{Name: "x", Header: []string{"Tỉnh", "SIPAS"}, Rows: [][]string{
		{`Hà Nội, "thủ đô"`, "82.50"}, {textCell("=HYPERLINK(\"http://x\")"), "-1.00"}}}
	var b bytes.Buffer
	if err := WriteCSV(&b, tb); err != nil {
		t.Fatal(err)
	}
	raw := b.Bytes()
	if !bytes.HasPrefix(raw, []byte{0xEF, 0xBB, 0xBF}) {
		t.Fatalf("no UTF-8 BOM: % x", raw[:3])
	}
	want := "\ufeffTỉnh,SIPAS\r\n\"Hà Nội, \"\"thủ đô\"\"\",82.50\r\n\"'=HYPERLINK(\"\"http://x\"\")\",-1.00\r\n"
	if string(raw) != want {
		t.Errorf("got %q\nwant %q", raw, want)
	}
	recs, err := csv.NewReader(bytes.NewReader(raw[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if recs[1][0] != `Hà Nội, "thủ đô"` {
		t.Errorf("round trip: %q", recs[1][0])
	}
}

func TestTextCell(t *testing.T) {
	for in, want := range map[string]string{"": "", "Hà Nội": "Hà Nội", "=1+1": "'=1+1", "+1": "'+1",
		"-x": "'-x", "@SUM(A1)": "'@SUM(A1)", "\tx": "'\tx", "a=b": "a=b"} {
		if got := textCell(in); got != want {
			t.Errorf("textCell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTablesContent(t *testing.T) {
	names := append(fixtureNames(5), "=cmd|' /C calc'!A0")
	d := buildData(t, names, []int{2020, 2021})
	tabs := Tables(d, &Options{Lang: LangEN})
	byName := map[string]Table{}
	for _, tb := range tabs {
		byName[tb.Name] = tb
		for i, r := range tb.Rows {
			if len(r) != len(tb.Header) {
				t.Fatalf("%s row %d: %d cells, header %d", tb.Name, i, len(r), len(tb.Header))
			}
		}
	}
	est := byName["estimates"]
	// 2 years × (nation + 6 domains) × (1 + 5 + 22 + 7) indices.
	if want := 2 * 7 * 35; len(est.Rows) != want {
		t.Errorf("estimates: %d rows, want %d", len(est.Rows), want)
	}
	rank := byName["ranking"]
	if len(rank.Rows) != 6 {
		t.Fatalf("ranking: %d rows", len(rank.Rows))
	}
	y := d.Latest()
	for i, r := range rank.Rows {
		dom := y.Domains[i]
		if r[0] != itoa(i+1) || r[5] != f2(dom.SIPAS.Estimate) || r[4] != textCell(dom.Name) {
			t.Errorf("ranking row %d = %v, domain %s %.2f", i, r, dom.Name, dom.SIPAS.Estimate)
		}
		if strings.HasPrefix(r[4], "=") {
			t.Errorf("formula cell %q", r[4])
		}
	}
	el := byName["elements"]
	if el.Rows[0][0] != "Nation" || len(el.Header) != 1+5+1 {
		t.Errorf("elements: header %v first row %v", el.Header, el.Rows[0])
	}
	// The national SIPAS of the fixture: the mean of the elements.
	if el.Rows[0][6] != f2(y.National.SIPAS.Estimate) {
		t.Errorf("national SIPAS %s, want %s", el.Rows[0][6], f2(y.National.SIPAS.Estimate))
	}
}

func TestWriteDir(t *testing.T) {
	dir := t.TempDir()
	d := buildData(t, fixtureNames(4), []int{2021})
	if err := WriteDir(dir, d, nil); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"index.html", "tables/estimates.csv", "tables/ranking.csv", "tables/elements.csv",
		"charts/national.png", "charts/national.svg", "charts/ranking.png", "charts/ranking.svg"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(f, ".csv") && !bytes.HasPrefix(b, []byte(bom)) {
			t.Errorf("%s: no BOM", f)
		}
	}
}

// TestWriteDirDeterministic: two runs write byte-identical files (HTML,
// PDF, CSV, PNG and SVG), the print charts being drawn concurrently.
func TestWriteDirDeterministic(t *testing.T) {
	d := buildData(t, fixtureNames(5), []int{2020, 2021})
	a, b := t.TempDir(), t.TempDir()
	for _, dir := range []string{a, b} {
		if err := WriteDir(dir, d, &Options{Lang: LangEN}); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	err := filepath.WalkDir(a, func(p string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(a, p)
		x, _ := os.ReadFile(p)
		y, err := os.ReadFile(filepath.Join(b, rel))
		if err != nil {
			return err
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between runs", rel)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// index.html, report.pdf, 4 tables, tables.xlsx, 8 figures × 2 formats
	// (national, ranking, ranking-table, heatmap, radars-01, trend,
	// trend-domains, expectations).
	if n != 1+1+4+1+16 {
		t.Errorf("%d files", n)
	}
}
