package report

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/index/rank"
	"github.com/sipas-go/sipas/internal/provinces"
	"gonum.org/v1/plot/vg"
)

// provinceData is the report of surveysFixture (63 provinces, two years)
// in geography g.
func provinceData(t *testing.T, g index.Geography) *Data {
	t.Helper()
	d, err := FromSurveys(context.Background(), surveysFixture(t), &SurveyOptions{Trend: index.TrendOptions{
		Index: index.Options{By: []string{"province"}}, Geography: g,
		Compare: index.CompareOptions{Adjust: rank.AdjustHolm, Rank: rank.Options{Draws: 500}}}})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestProvinceNumbersAreTheNations: every number of a province's tables
// is the national report's number for that province (the "estimates"
// table: estimate, SE, interval, n, difference to the nation), the
// nation's columns are the nation's, and the ranks are the ranking's.
func TestProvinceNumbersAreTheNations(t *testing.T) {
	d := provinceData(t, index.GeoAuto)
	var est, ranking Table
	for _, tb := range Tables(d, &Options{Lang: LangEN}) {
		switch tb.Name {
		case "estimates":
			est = tb
		case "ranking":
			ranking = tb
		}
	}
	// year|domain|kind|id → the row of the national table.
	nat := map[string][]string{}
	for _, r := range est.Rows {
		nat[r[0]+"|"+r[1]+"|"+r[2]+"|"+r[3]] = r
	}
	rankOf := map[string][]string{}
	for _, r := range ranking.Rows {
		rankOf[r[4]] = r
	}
	ps := d.Provinces()
	if len(ps) != 63 {
		t.Fatalf("%d provinces", len(ps))
	}
	for _, p := range ps {
		tabs := ProvinceTables(p, &Options{Lang: LangEN})
		if tabs[0].Name != "province_indices" || tabs[1].Name != "province_ranks" {
			t.Fatalf("tables %s, %s", tabs[0].Name, tabs[1].Name)
		}
		n := 0
		for _, r := range tabs[0].Rows {
			w, ok := nat[r[0]+"|"+p.Name+"|"+r[1]+"|"+r[2]]
			wn, ok2 := nat[r[0]+"|Nation|"+r[1]+"|"+r[2]]
			if !ok || !ok2 {
				t.Fatalf("%s %v: not in the national estimates", p.Name, r[:3])
			}
			// estimate, SE, lower, upper, n; vs nation, its SE, p, flag.
			if strings.Join(r[4:9], ",") != strings.Join(w[5:10], ",") || strings.Join(r[15:19], ",") != strings.Join(w[20:24], ",") {
				t.Errorf("%s %v: %v, national report %v", p.Name, r[:3], r, w)
			}
			if r[12] != wn[5] || r[13] != wn[7] || r[14] != wn[8] {
				t.Errorf("%s %v: nation %v, national report %v", p.Name, r[:3], r[12:15], wn[5:9])
			}
			n++
		}
		if n != 2*(1+5+len(d.Questionnaire.Criteria)) {
			t.Errorf("%s: %d index rows", p.Name, n)
		}
		last := tabs[1].Rows[len(tabs[1].Rows)-1]
		rr := rankOf[p.Name]
		if last[5] != rr[0] || last[6] != rr[1] || last[7] != rr[2] || last[8] != rr[3] || last[1] != rr[5] {
			t.Errorf("%s: rank row %v, ranking %v", p.Name, last, rr)
		}
		if p.Region == "" || !strings.HasPrefix(p.Folder, p.Code+"-") {
			t.Errorf("%s: region %q folder %q", p.Name, p.Region, p.Folder)
		}
	}
}

// TestProvinceRegion: a region's criterion share is a weighted mean of its
// provinces' shares (Σw·s / Σw·v over the provinces), so it lies within
// their range; the region of each province is the one of the reference
// table, and every region of the reference table is estimated.
func TestProvinceRegion(t *testing.T) {
	d := provinceData(t, index.GeoAuto)
	y := d.Latest()
	if len(y.Regions) != 6 {
		t.Fatalf("%d regions", len(y.Regions))
	}
	for _, reg := range y.Regions {
		var members []*Domain
		for i := range y.Domains {
			p, err := provinces.Lookup(y.Domains[i].Name)
			if err != nil {
				t.Fatal(err)
			}
			if p.Region == reg.Name {
				members = append(members, &y.Domains[i])
			}
		}
		if len(members) == 0 {
			t.Fatalf("region %s has no province", reg.Name)
		}
		for k, c := range reg.Criteria {
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, m := range members {
				lo, hi = math.Min(lo, m.Criteria[k].Estimate), math.Max(hi, m.Criteria[k].Estimate)
			}
			if !(c.Estimate >= lo-1e-9 && c.Estimate <= hi+1e-9) || !(c.SE > 0) {
				t.Errorf("%s %s: %.3f (SE %.3f) outside its provinces' %.3f–%.3f", reg.Name, c.ID, c.Estimate, c.SE, lo, hi)
			}
		}
	}
	p, err := d.Province("Hà Nội")
	if err != nil {
		t.Fatal(err)
	}
	if p.Region != "Đồng bằng sông Hồng" || p.Code != "01" || p.Folder != "01-ha-noi" {
		t.Errorf("Hà Nội: %+v", p)
	}
}

// TestProvinceByName: names are read with the province-name rules; an
// unknown one is an error naming it and the nearest provinces.
func TestProvinceByName(t *testing.T) {
	d := provinceData(t, index.GeoAuto)
	for in, want := range map[string]string{"ha noi": "Hà Nội", "HÀ NỘI": "Hà Nội", "TP.HCM": "Thành phố Hồ Chí Minh",
		"79": "Thành phố Hồ Chí Minh", "Thừa Thiên - Huế": "Thừa Thiên Huế", "dak lak": "Đắk Lắk"} {
		p, err := d.Province(in)
		if err != nil || p.Name != want {
			t.Errorf("Province(%q) = %v, %v; want %s", in, p, err, want)
		}
	}
	_, err := d.Province("Ha Noii")
	var ue *UnknownProvinceError
	if !errors.Is(err, ErrUnknownProvince) || !errors.As(err, &ue) || len(ue.Near) == 0 || ue.Near[0] != "Hà Nội" {
		t.Errorf("Ha Noii: %v", err)
	}
	if !strings.Contains(err.Error(), `"Ha Noii"`) || !strings.Contains(err.Error(), "Hà Nội") {
		t.Errorf("message %q", err)
	}
	// The 2025 geography: an absorbed province says what it became.
	d25 := provinceData(t, index.Geo2025)
	_, err = d25.Province("Vĩnh Phúc")
	if !errors.Is(err, ErrUnknownProvince) || !strings.Contains(err.Error(), "Phú Thọ") {
		t.Errorf("Vĩnh Phúc in 2025: %v", err)
	}
	if p, err := d25.Province("Phú Thọ"); err != nil || p.Code != "25" {
		t.Errorf("Phú Thọ in 2025: %+v %v", p, err)
	}
}

// TestWriteProvincesDir: one folder per province (63 in the 1997–2024
// geography, 34 in the 2025 one), each a complete report; no temporary
// file is left.
func TestWriteProvincesDir(t *testing.T) {
	for _, c := range []struct {
		g    index.Geography
		n    int
		some string
	}{{index.GeoAuto, 63, "01-ha-noi"}, {index.Geo2025, 34, "25-phu-tho"}} {
		d := provinceData(t, c.g)
		dir := t.TempDir()
		folders, err := WriteProvincesDir(dir, d, &Options{NoPrint: true})
		if err != nil {
			t.Fatal(err)
		}
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(ents) != c.n || len(folders) != c.n {
			t.Errorf("%v: %d folders, want %d", c.g, len(ents), c.n)
		}
		for _, f := range folders {
			for _, file := range []string{"index.html", "tables/province_indices.csv", "tables/province_ranks.csv", "tables/province_criteria.csv"} {
				if _, err := os.Stat(filepath.Join(dir, f, file)); err != nil {
					t.Errorf("%v: %v", c.g, err)
				}
			}
		}
		page, err := os.ReadFile(filepath.Join(dir, c.some, "index.html"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(page, []byte("Phú Thọ")) && c.g == index.Geo2025 {
			t.Errorf("%s: no province name", c.some)
		}
		filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
			if strings.Contains(e.Name(), ".tmp") {
				t.Errorf("temporary file left: %s", p)
			}
			return err
		})
	}
}

// TestWriteProvinceDirPrint: the print charts of a province fit the A4
// text area, and the page has its sections and charts.
func TestWriteProvinceDirPrint(t *testing.T) {
	d := provinceData(t, index.GeoAuto)
	p, err := d.Province("Đà Nẵng")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range ProvinceFigures(p, nil) {
		if f.Width > 16*vg.Centimeter+1e-9 || f.Height > 24*vg.Centimeter {
			t.Errorf("%s: %.1f × %.1f cm", f.Name, f.Width/vg.Centimeter, f.Height/vg.Centimeter)
		}
	}
	dir := t.TempDir()
	if err := WriteProvinceDir(dir, p, nil); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"charts/province.png", "charts/province.svg", "charts/province-trend.png", "charts/province-trend.svg"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	page, _ := os.ReadFile(filepath.Join(dir, "index.html"))
	s := string(page)
	for _, want := range []string{"<h1>Chỉ số SIPAS của Đà Nẵng 2021</h1>", "Bắc Trung Bộ và duyên hải miền Trung", `id="compare"`, `id="ranks"`,
		`id="criteria"`, `id="strengths"`, `id="quality"`, `id="methods"`, `data-chart="1"`, "echarts.init"} {
		if !strings.Contains(s, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

// provinceDataWithin is provinceData (1997–2024 geography) with each
// province broken down by the level of its offices (SurveyOptions.Within).
func provinceDataWithin(t *testing.T) *Data {
	t.Helper()
	d, err := FromSurveys(context.Background(), surveysFixture(t), &SurveyOptions{Within: "level", Trend: index.TrendOptions{
		Index:   index.Options{By: []string{"province"}},
		Compare: index.CompareOptions{Adjust: rank.AdjustHolm, Rank: rank.Options{Draws: 500}}}})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestProvincePageGolden compares the tables of a province's page
// (Vietnamese: from the comparison with the region and the nation to the
// data quality, with the breakdown by level) and its tables/ CSVs
// (English) with the committed goldens (-update rewrites them).
func TestProvincePageGolden(t *testing.T) {
	d := provinceDataWithin(t)
	p, err := d.Province("Thừa Thiên Huế")
	if err != nil {
		t.Fatal(err)
	}
	var page bytes.Buffer
	if err := WriteProvinceHTML(&page, p, nil); err != nil {
		t.Fatal(err)
	}
	s := page.String()
	i, j := strings.Index(s, `<h2 id="compare">`), strings.Index(s, `<h2 id="methods">`)
	if i < 0 || j < i {
		t.Fatal("no sections from compare to methods in the page")
	}
	for _, want := range []string{`<h2 id="within">`, "Bắc Trung Bộ"} {
		if !strings.Contains(s[i:j], want) {
			t.Errorf("the tables lack %q", want)
		}
	}
	checkGolden(t, "province_tables.html", []byte(s[i:j]))

	var csvb bytes.Buffer
	for _, tb := range ProvinceTables(p, &Options{Lang: LangEN}) {
		csvb.WriteString("# " + tb.Name + "\n")
		if err := WriteCSV(&csvb, tb); err != nil {
			t.Fatal(err)
		}
	}
	checkGolden(t, "province_tables.csv", csvb.Bytes())
}
