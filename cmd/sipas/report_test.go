package main

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestReportCommand runs `sipas report` on two years of the synthetic
// survey (63 provinces) and checks the outputs: index.html with one chart
// per section and province radar, the tables as CSV with a BOM, 63 ranked
// provinces in canonical spelling, Vietnamese by default.
func TestReportCommand(t *testing.T) {
	dir := t.TempDir()
	files := trendFiles(t, dir, []int{2020}, []int{2021})
	out := filepath.Join(dir, "rep")
	args := append([]string{"report", "--in", files[0], "--in", files[1], "--out", out}, trendDesignArgs...)
	code, stdout, errs := vtRun(t, "", args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(stdout, "2020, 2021") {
		t.Errorf("stdout: %s", stdout)
	}
	page, err := os.ReadFile(filepath.Join(out, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(page, []byte(`<html lang="vi">`)) || !bytes.Contains(page, []byte("Xếp hạng")) {
		t.Error("the page is not in Vietnamese")
	}
	// index.Trend's vs-nation differences give the strengths and weaknesses.
	if !bytes.Contains(page, []byte("Điểm mạnh, điểm yếu")) || !bytes.Contains(page, []byte("So với cả nước")) {
		t.Error("no strengths and weaknesses section")
	}
	// national, ranking, heatmap, map, 63 radars, importance–performance,
	// trend, domain trend, expectations.
	charts := len(regexp.MustCompile(`<div class="chart" id="chart-\d+"`).FindAll(page, -1))
	if want := 4 + 63 + 1 + 3; charts != want {
		t.Errorf("%d charts, want %d", charts, want)
	}
	if !bytes.Contains(page, []byte(`<h2 id="ipa">`)) || !bytes.Contains(page, []byte("Ưu tiên cải thiện (IPA)")) {
		t.Error("no importance–performance section or fix-first column")
	}
	// The analysis of every criterion of the nation and the 63 provinces
	// (the domains of index.Trend: canonical names).
	if ipa, err := os.ReadFile(filepath.Join(out, "tables", "ipa.csv")); err != nil {
		t.Error(err)
	} else if rows, err := csv.NewReader(bytes.NewReader(ipa[3:])).ReadAll(); err != nil || len(rows) != 1+64*22 {
		t.Errorf("ipa.csv: %d rows (%v), want %d", len(rows), err, 1+64*22)
	}
	b, err := os.ReadFile(filepath.Join(out, "tables", "ranking.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("\ufeff")) {
		t.Error("ranking.csv has no BOM")
	}
	recs, err := csv.NewReader(bytes.NewReader(b[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1+63 {
		t.Fatalf("ranking.csv: %d rows, want 64", len(recs))
	}
	seen := map[string]bool{}
	for i, r := range recs[1:] {
		if r[0] != itoaT(i+1) || r[1] == "" || r[2] == "" || r[3] == "" {
			t.Errorf("row %d: rank, rank set, tier %v", i+1, r[:4])
		}
		seen[r[4]] = true
	}
	if !seen["Hà Nội"] || !seen["Thành phố Hồ Chí Minh"] && !seen["Hồ Chí Minh"] {
		t.Errorf("provinces not canonical: %v", recs[1:4])
	}
	for _, f := range []string{"tables/estimates.csv", "tables/elements.csv", "tables/strengths.csv",
		"charts/national.png", "charts/ranking-01.svg", "charts/ranking-02.svg", "charts/heatmap-01.png", "charts/heatmap-02.png", "charts/radars-06.png", "charts/trend.png",
		"charts/trend-domains.png", "charts/expectations.svg",
		"tables/ipa.csv", "charts/ipa.png", "charts/ipa.svg"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
}

func itoaT(i int) string { return strconv.Itoa(i) }

// TestReportHostileDomain runs the report by a column whose values are
// hostile (script tags, go-echarts' function marker) in English: the page
// holds them only as escaped text or JSON strings.
func TestReportHostileDomain(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(indexFixture)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(src)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := -1
	for j, h := range recs[0] {
		if h == "field" {
			col = j
		}
	}
	hostile := []string{`</script><script>alert(1)</script>`, `"__f__function(){alert(2)}__f__"`, `function(){alert(3)}`, `=1+1`}
	for i := range recs[1:] {
		recs[i+1][col] = hostile[i%len(hostile)]
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.WriteAll(recs)
	in := filepath.Join(dir, "hostile.csv")
	if err := os.WriteFile(in, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "rep")
	code, _, errs := vtRun(t, "", "report", "--in", in, "--by", "field", "--lang", "en", "--draws", "200", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	page, err := os.ReadFile(filepath.Join(out, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(page, []byte("<script>alert")) || bytes.Contains(page, []byte("</script><script>")) {
		t.Error("a hostile label broke out of its element")
	}
	if !bytes.Contains(page, []byte("&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;")) {
		t.Error("the hostile label is not in the tables as escaped text")
	}
	if !bytes.Contains(page, []byte(`<html lang="en">`)) {
		t.Error("not English")
	}
	rank, err := os.ReadFile(filepath.Join(out, "tables", "ranking.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(rank, []byte("'=1+1")) {
		t.Error("formula-like label not neutralised in the CSV")
	}
}

func TestReportCommandErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"no --in", []string{"report", "--out", dir}, "--in is required"},
		{"no --out", []string{"report", "--in", indexFixture}, "--out is required"},
		{"bad lang", []string{"report", "--in", indexFixture, "--out", dir, "--lang", "fr"}, "--lang"},
		{"no by column", []string{"report", "--in", indexFixture, "--out", dir, "--by", "nope"}, `"nope"`},
		{"bad geography", []string{"report", "--in", indexFixture, "--out", dir, "--geography", "1990"}, `--geography: "1990" is not one of`},
		{"missing crosswalk", []string{"report", "--in", indexFixture, "--out", dir, "--geography", "2025", "--crosswalk", filepath.Join(dir, "cw.csv")}, "--crosswalk"},
		{"bad df", []string{"report", "--in", indexFixture, "--out", dir, "--df", "psu"}, `--df: "psu" is not one of design, domain`},
	} {
		code, _, errs := vtRun(t, "", c.args...)
		if code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("%s: exit %d, stderr %q (want 2 and %q)", c.name, code, errs, c.want)
		}
		if _, err := os.Stat(filepath.Join(dir, "index.html")); err == nil {
			t.Fatalf("%s: index.html written despite the error", c.name)
		}
	}
}
