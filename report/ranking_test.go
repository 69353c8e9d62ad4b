package report

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/index/rank"
	"gonum.org/v1/plot/vg"
)

// arrowYears are two years of six domains whose SIPAS (SE 1.2 each year,
// so the change has SE 1.2·√2 = 1.697) moves by +6, −5, +3.6, +0.5, −0.3
// and 0 points: two-sided normal p = 0.00041, 0.0032, 0.034, 0.77, 0.86,
// 1. Holm over the six: 0.0024, 0.016, 0.136, … so only the first two are
// significant after the correction; without it the third is too.
func arrowYears(names []string) []YearInput {
	delta := []float64{6, -5, 3.6, 0.5, -0.3, 0}
	var ys []YearInput
	for _, y := range []int{2020, 2021} {
		res := fixtureResult(2020, names) // the same base both years
		for i := range res.Rows {
			r := &res.Rows[i]
			if len(r.Domain) == 0 || r.Kind != index.KindSIPAS {
				continue
			}
			// Distinct levels, so the ranks do not tie.
			for k, n := range names {
				if r.Domain[0].Value != n {
					continue
				}
				r.Estimate = 60 + 3*float64(k)
				if y == 2021 {
					r.Estimate += delta[k]
				}
				r.CILow, r.CIHigh = r.Estimate-2.4, r.Estimate+2.4
			}
		}
		ys = append(ys, YearInput{Year: y, Result: res})
	}
	return ys
}

// TestRankingTableArrows: the arrows of the ranking table are the trend
// rows' significance after the correction actually used, not the raw
// p-values: +3.6 (p = 0.034) has no arrow under Holm and has one without a
// correction; the note names the correction.
func TestRankingTableArrows(t *testing.T) {
	names := []string{"A", "B", "C", "D", "E", "F"}
	for _, c := range []struct {
		adj  rank.Adjustment
		want map[string]int
		note string
	}{
		{rank.AdjustHolm, map[string]int{"A": 1, "B": -1}, "sau hiệu chỉnh so sánh bội Holm"},
		{rank.AdjustNone, map[string]int{"A": 1, "B": -1, "C": 1}, "không hiệu chỉnh so sánh bội"},
		{rank.AdjustBH, map[string]int{"A": 1, "B": -1}, "Benjamini–Hochberg"},
	} {
		d, err := FromYears(arrowYears(names), &BuildOptions{TrendOptions: &index.CompareOptions{Adjust: c.adj, Rank: rank.Options{Draws: 500}}})
		if err != nil {
			t.Fatal(err)
		}
		rows := RankingTable(d)
		if len(rows) != 6 {
			t.Fatalf("%d rows", len(rows))
		}
		for i, r := range rows {
			if r.Direction != c.want[r.Name] {
				t.Errorf("%v: %s change %.2f direction %d, want %d", c.adj, r.Name, r.Change, r.Direction, c.want[r.Name])
			}
			// The same as the trend row of the domain's SIPAS.
			tr := d.Latest().Domains[i].SIPAS.Trend
			sig := tr.SignificantPrev != nil && *tr.SignificantPrev
			if (r.Direction != 0) != sig || r.Change != tr.ChangePrev || r.Rank != tr.Rank || r.Tier != tr.Tier || r.PrevRank != tr.RankPrev {
				t.Errorf("%v: %s row %+v disagrees with its trend row", c.adj, r.Name, r)
			}
			if r.PrevYear != 2020 || math.Abs(r.SIPAS-r.PrevSIPAS-r.Change) > 1e-9 {
				t.Errorf("%s: previous %d %.2f, change %.2f", r.Name, r.PrevYear, r.PrevSIPAS, r.Change)
			}
		}
		cells := rankingCellsOf(LangVI, d)
		if !strings.Contains(cells.Note, c.note) {
			t.Errorf("%v: note %q does not name the correction", c.adj, cells.Note)
		}
		for i, r := range rows {
			ch := cells.Rows[i][len(cells.Rows[i])-2]
			if has := strings.ContainsAny(ch, "▲▼"); has != (r.Direction != 0) {
				t.Errorf("%v: %s change cell %q", c.adj, r.Name, ch)
			}
		}
	}
	// Ranks by the 2021 estimate: F 75, E 71.7, C 69.6, D 69.5, A 66, B 58.
	d, _ := FromYears(arrowYears(names), nil)
	var order []string
	for _, r := range RankingTable(d) {
		order = append(order, r.Name)
	}
	if got := strings.Join(order, ""); got != "FECDAB" {
		t.Errorf("order %s, want FECDAB", got)
	}
}

// TestRankingTableCells: Vietnamese numbers (decimal comma), the sign and
// the arrow in the change; English with a decimal point.
func TestRankingTableCells(t *testing.T) {
	if got := LangVI.changeText(2.345, 1); got != "▲ +2,3" {
		t.Errorf("vi change %q", got)
	}
	if got := LangVI.changeText(-0.44, 0); got != "−0,4" {
		t.Errorf("vi change %q", got)
	}
	if got := LangEN.changeText(-12.25, -1); got != "▼ −12.3" && got != "▼ −12.2" {
		t.Errorf("en change %q", got)
	}
	if got := LangEN.changeText(math.NaN(), 0); got != "–" {
		t.Errorf("missing change %q", got)
	}
}

// TestRankingTableGolden compares the ranking table of six provinces
// (arrowYears: one significantly up, one down) in the CSV (English), the
// HTML page (Vietnamese) and the print page with the committed goldens
// (-update rewrites them).
func TestRankingTableGolden(t *testing.T) {
	names := []string{"Hà Nội", "Thừa Thiên Huế", "Đắk Lắk", "Bà Rịa - Vũng Tàu", "Hồ Chí Minh", "Bạc Liêu"}
	d, err := FromYears(arrowYears(names), &BuildOptions{TrendOptions: &index.CompareOptions{Adjust: rank.AdjustHolm, Rank: rank.Options{Draws: 500}}})
	if err != nil {
		t.Fatal(err)
	}
	var csvb bytes.Buffer
	var found bool
	for _, tb := range Tables(d, &Options{Lang: LangEN}) {
		if tb.Name == "ranking_table" {
			found = true
			if err := WriteCSV(&csvb, tb); err != nil {
				t.Fatal(err)
			}
		}
	}
	if !found {
		t.Fatal("no ranking_table")
	}
	page := string(render(t, d, nil))
	i := strings.Index(page, `<h3 id="ranking-table">`)
	j := strings.Index(page[max(i, 0):], "</p>")
	if i < 0 || j < 0 {
		t.Fatal("no ranking table in the page")
	}
	var svg bytes.Buffer
	figs := rankingFigures(LangVI, d)
	if len(figs) != 1 || figs[0].Name != "ranking-table" {
		t.Fatalf("%d ranking pages", len(figs))
	}
	if err := figs[0].writeSVG(&svg, false); err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string][]byte{"ranking_table.csv": csvb.Bytes(), "ranking_table.html": []byte(page[i : i+j+4]),
		"ranking-table-arrows.svg": svg.Bytes()} {
		checkGolden(t, name, got)
	}
}

// checkGolden compares got with testdata/golden/name (rewritten with
// -update).
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create the goldens)", err)
	}
	if !bytes.Equal(got, want) {
		out := filepath.Join("testdata", "out", name)
		os.WriteFile(out, got, 0o644)
		t.Errorf("%s differs from %s (written to %s; -update if intended)", name, path, out)
	}
}

// TestRankingTablePages: 63 provinces fill two print pages (32 + 31 rows)
// that fit the 16 × 24 cm text area, each province once, in rank order.
func TestRankingTablePages(t *testing.T) {
	d := buildData(t, fixtureNames(63), []int{2020, 2021})
	figs := rankingFigures(LangEN, d)
	if len(figs) != 2 || figs[0].Name != "ranking-table-01" || figs[1].Name != "ranking-table-02" {
		t.Fatalf("%d pages", len(figs))
	}
	var all string
	for _, f := range figs {
		if f.Width > 16*vg.Centimeter+1e-9 || f.Height > 24*vg.Centimeter {
			t.Errorf("%s: %.1f × %.1f cm, over 16 × 24", f.Name, f.Width/vg.Centimeter, f.Height/vg.Centimeter)
		}
		var b bytes.Buffer
		if err := f.writeSVG(&b, false); err != nil {
			t.Fatal(err)
		}
		all += b.String()
	}
	last := -1
	for _, dom := range d.Latest().Domains {
		k := strings.Index(all, ">"+dom.Name+"<")
		if k < 0 || strings.Count(all, ">"+dom.Name+"<") != 1 {
			t.Errorf("%s: not printed once", dom.Name)
		}
		if k < last {
			t.Errorf("%s: out of rank order", dom.Name)
		}
		last = k
	}
	for _, w := range []string{"(page 1 of 2)", "(page 2 of 2)"} {
		if !strings.Contains(all, w) {
			t.Errorf("no %q", w)
		}
	}
}

// unrankedYears are arrowYears with, in 2021, the first domain inside a
// single PSU (SIPAS with no SE, flag few_psu) and the second without a
// SIPAS estimate: neither is ranked.
func unrankedYears(names []string) []YearInput {
	ys := arrowYears(names)
	for i := range ys[1].Result.Rows {
		r := &ys[1].Result.Rows[i]
		if len(r.Domain) == 0 || r.Kind != index.KindSIPAS {
			continue
		}
		switch r.Domain[0].Value {
		case names[0]:
			r.SE, r.CILow, r.CIHigh, r.Flag = math.NaN(), math.NaN(), math.NaN(), "few_psu"
		case names[1]:
			r.Estimate, r.SE, r.CILow, r.CIHigh = math.NaN(), math.NaN(), math.NaN(), math.NaN()
		}
	}
	return ys
}

// TestRankingTableUnranked: a domain inside a single PSU (few_psu) and a
// domain without a SIPAS are not ranked, and the ranking table says why —
// a footnote mark on the rank ("–*", "–**") and the notes, in Vietnamese
// and in English, on the page, the print page and the PDF's cells; the
// CSV (and the workbook, from the same table) has the reason in a column
// of its own. It showed "–" without a word before. Goldens: the English
// CSV, the Vietnamese page.
func TestRankingTableUnranked(t *testing.T) {
	names := []string{"Hà Nội", "Thừa Thiên Huế", "Đắk Lắk", "Bà Rịa - Vũng Tàu", "Hồ Chí Minh", "Bạc Liêu"}
	d, err := FromYears(unrankedYears(names), &BuildOptions{TrendOptions: &index.CompareOptions{Adjust: rank.AdjustHolm, Rank: rank.Options{Draws: 500}}})
	if err != nil {
		t.Fatal(err)
	}
	why := map[string]string{}
	for _, r := range RankingTable(d) {
		why[r.Name] = r.Unranked
		if (r.Rank == 0) != (r.Unranked != "") {
			t.Errorf("%s: rank %d, unranked %q", r.Name, r.Rank, r.Unranked)
		}
	}
	if why[names[0]] != UnrankedFewPSU || why[names[1]] != UnrankedMissing {
		t.Fatalf("reasons %q, want few_psu for %s and missing for %s", why, names[0], names[1])
	}
	for _, c := range []struct {
		l         Lang
		psu, none string
		column    string
	}{
		{LangVI, "* Không xếp hạng vì toàn bộ phiếu khảo sát nằm trong một đơn vị mẫu cấp 1 duy nhất, nên không ước lượng được sai số chuẩn của chỉ số SIPAS.",
			"** Không xếp hạng vì không tính được chỉ số SIPAS.", "Lý do không xếp hạng"},
		{LangEN, "* Not ranked: all its ballots come from a single primary sampling unit (PSU), so its SIPAS has no standard error.",
			"** Not ranked: there is no SIPAS estimate.", "Why not ranked"},
	} {
		cells := rankingCellsOf(c.l, d)
		if !strings.Contains(cells.Note, c.psu) || !strings.Contains(cells.Note, c.none) {
			t.Errorf("%v note %q lacks the reasons", c.l, cells.Note)
		}
		marks := map[string]string{}
		for _, row := range cells.Rows {
			marks[row[1]] = row[0]
		}
		if marks[names[0]] != "–*" || marks[names[1]] != "–**" || marks[names[2]] == "–" {
			t.Errorf("%v rank cells %q, want –* and –**", c.l, marks)
		}
		page := string(render(t, d, &Options{Lang: c.l}))
		if !strings.Contains(page, c.psu) || !strings.Contains(page, ">–*</td>") {
			t.Errorf("%v page lacks the mark or the note", c.l)
		}
		// The ranking with rank intervals (page and PDF) gave the few_psu
		// domain its place in the order as a rank ("5").
		p := buildPage(d, &Options{Lang: c.l})
		for _, r := range rankTable(c.l, p).rows {
			if want := marks[r[3]]; r[0] != want {
				t.Errorf("%v rank section %s: rank %q, want %q", c.l, r[3], r[0], want)
			}
		}
		if !strings.Contains(p.RankNote, c.psu) || !strings.Contains(p.RankNote, c.none) {
			t.Errorf("%v rank section note %q", c.l, p.RankNote)
		}
		var svg bytes.Buffer
		if err := rankingFigures(c.l, d)[0].writeSVG(&svg, false); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(svg.String(), ">–*<") || !strings.Contains(svg.String(), "**") {
			t.Errorf("%v print page lacks the marks", c.l)
		}
		var found bool
		for _, tb := range Tables(d, &Options{Lang: c.l}) {
			if tb.Name != "ranking_table" {
				continue
			}
			found = true
			j := len(tb.Header) - 1
			if tb.Header[j] != c.column {
				t.Errorf("%v: last column %q, want %q", c.l, tb.Header[j], c.column)
			}
			for _, r := range tb.Rows {
				want := ""
				switch r[1] {
				case names[0]:
					want = c.psu[2:]
				case names[1]:
					want = c.none[3:]
				}
				if r[j] != want {
					t.Errorf("%v CSV %s: reason %q, want %q", c.l, r[1], r[j], want)
				}
			}
			if c.l == LangEN {
				var b bytes.Buffer
				if err := WriteCSV(&b, tb); err != nil {
					t.Fatal(err)
				}
				checkGolden(t, "ranking_table_unranked.csv", b.Bytes())
			}
		}
		if !found {
			t.Fatal("no ranking_table")
		}
		if c.l == LangVI {
			i := strings.Index(page, `<h3 id="ranking-table">`)
			j := strings.Index(page[max(i, 0):], "</p>")
			checkGolden(t, "ranking_table_unranked.html", []byte(page[i:i+j+4]))
		}
	}
}
