package main

import (
	"bytes"
	"html"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a full report")
	}
	out := filepath.Join(t.TempDir(), "r")
	var buf bytes.Buffer
	if err := run(&buf, "../../testdata/index/sipas_small.csv", out, "level", 2021); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "4000 ballots: 4000 used, 0 excluded") || !strings.Contains(buf.String(), "SIPAS 2021:") {
		t.Errorf("output:\n%s", buf.String())
	}
	for _, f := range []string{"index.html", "tables/estimates.csv", "tables/ipa.csv", "charts/ipa.png"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	// The methods note tells the design the program used — weights of the
	// column "weight", strata "stratum", PSUs "psu" — and the Holm
	// correction of the report's trend step; it said "unweighted" and
	// "correction none".
	page, err := os.ReadFile(filepath.Join(out, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	text := html.UnescapeString(string(page))
	note := text[strings.Index(text, `<h2 id="methods">`):]
	note = note[:strings.Index(note, `<p class="note">`)]
	for _, w := range []string{"có gia quyền theo quyền số trong cột “weight”", "phân tầng theo cột “stratum”", "đơn vị mẫu cấp 1 theo cột “psu”", "Các đơn vị (cấp)"} {
		if !strings.Contains(note, w) {
			t.Errorf("the methods note lacks %q", w)
		}
	}
	if strings.Contains(note, "không gia quyền") || strings.Contains(note, "none") {
		t.Error("the methods note says unweighted or correction none")
	}
}

// TestRunSpreadsheetCSV: Excel's "CSV UTF-8" (a byte-order mark before
// the first column name, CRLF line ends) reads as the plain file does.
func TestRunSpreadsheetCSV(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a full report")
	}
	b, err := os.ReadFile("../../testdata/index/sipas_small.csv")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "ballots.csv")
	if err := os.WriteFile(in, append([]byte("\ufeff"), bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n"))...), 0o644); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := run(&buf, in, filepath.Join(dir, "r"), "level", 2021); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "4000 ballots: 4000 used, 0 excluded") {
		t.Errorf("output:\n%s", buf.String())
	}
}
