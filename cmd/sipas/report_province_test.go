package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReportProvince: `sipas report --province NAME` writes the report of
// the province NAME denotes (any spelling) into --out; --by another column
// breaks the province down by it; an unknown name exits 2 naming it and
// the nearest provinces, and writes nothing; --province with
// --all-provinces is a usage error.
func TestReportProvince(t *testing.T) {
	dir := t.TempDir()
	files := trendFiles(t, dir, []int{2020, 2021})
	base := append([]string{"report", "--in", files[0]}, trendDesignArgs...)

	out := filepath.Join(dir, "hn")
	code, stdout, errs := vtRun(t, "", append(base, "--out", out, "--province", "ha noi", "--by", "level")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(stdout, "report of Hà Nội") {
		t.Errorf("stdout: %s", stdout)
	}
	page, err := os.ReadFile(filepath.Join(out, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Chỉ số SIPAS của Hà Nội 2021", "Đồng bằng sông Hồng", `<h2 id="within">Cấp</h2>`} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, f := range []string{"tables/province_indices.csv", "tables/province_ranks.csv", "tables/province_within.csv", "charts/province.png", "charts/province.svg", "report.pdf"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}

	bad := filepath.Join(dir, "bad")
	code, _, errs = vtRun(t, "", append(base, "--out", bad, "--province", "Ha Noii")...)
	if code != 2 || !strings.Contains(errs, `"Ha Noii"`) || !strings.Contains(errs, "did you mean Hà Nội") {
		t.Errorf("unknown province: exit %d: %s", code, errs)
	}
	if _, err := os.Stat(bad); !os.IsNotExist(err) {
		t.Errorf("output written for an unknown province: %v", err)
	}
	code, _, errs = vtRun(t, "", append(base, "--out", bad, "--province", "Hà Nội", "--all-provinces")...)
	if code != 2 || !strings.Contains(errs, "not both") {
		t.Errorf("both flags: exit %d: %s", code, errs)
	}
}

// TestReportAllProvinces: --all-provinces writes one folder per province
// (code and ASCII name), 63 in the 1997–2024 geography.
func TestReportAllProvinces(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 63 reports")
	}
	dir := t.TempDir()
	files := trendFiles(t, dir, []int{2020, 2021})
	out := filepath.Join(dir, "all")
	code, stdout, errs := vtRun(t, "", append(append([]string{"report", "--in", files[0]}, trendDesignArgs...), "--out", out, "--all-provinces", "--lang", "en")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(stdout, "reports of 63 provinces") {
		t.Errorf("stdout: %s", stdout)
	}
	ents, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 63 || ents[0].Name() != "01-ha-noi" {
		t.Fatalf("%d folders, first %s", len(ents), ents[0].Name())
	}
	page, err := os.ReadFile(filepath.Join(out, "79-thanh-pho-ho-chi-minh", "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(page, []byte("SIPAS of Thành phố Hồ Chí Minh 2021")) {
		t.Error("Ho Chi Minh City's page is not its report")
	}
	for _, e := range ents {
		if _, err := os.Stat(filepath.Join(out, e.Name(), "report.pdf")); err != nil {
			t.Error(err)
		}
	}
}
