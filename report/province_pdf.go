package report

import (
	"io"
	"strconv"
)

// WriteProvincePDF writes the province's report as an A4 PDF, laid out as
// WritePDF lays out the national one (the same fonts, embedded; the same
// tables and page numbers): a title page naming the province, its region
// and the year(s), then the province against its region and the nation
// (the print chart of ProvinceFigures and its table), its rank across the
// years (with the trend chart), its criteria against the nation, its breakdown by a second
// column when computed, its strengths, weaknesses and what to fix first,
// its data quality, and the methods note at the end. The same data and
// options give the same bytes.
func WriteProvincePDF(w io.Writer, p *ProvinceReport, opt *Options) error {
	if p == nil {
		panic("report: WriteProvincePDF with a nil province")
	}
	if err := opt.check(); err != nil {
		return err
	}
	return writeProvincePDF(w, p, opt, ProvinceFigures(p, opt))
}

// writeProvincePDF writes the PDF of the province p with its print
// figures figs (ProvinceFigures(p, opt)).
func writeProvincePDF(w io.Writer, p *ProvinceReport, opt *Options, figs []Figure) error {
	l := opt.lang()
	pg := buildProvincePage(p, opt)
	d := newPDFDoc(l, pg.Title, pdfDate(p.data, opt), figs)
	d.titlePage(pg.Title, pg.Subtitle, d.yearLine(p.data), "", pg.Generated)

	d.section(l.text("pr.sec.compare"))
	d.figure("province")
	cmp := pdfTable{head: []string{l.text("col.index"), l.text("col.estimate"), l.text("col.ci"), l.text("col.n")}, align: "LRRR"}
	if pg.RegionName != "" {
		cmp.head = append(cmp.head, pg.RegionName, l.text("col.ci"))
		cmp.align += "RR"
	}
	cmp.head = append(cmp.head, l.text("national"), l.text("col.ci"), l.text("col.vs_nation"))
	cmp.align += "RRL"
	for _, r := range pg.Compare {
		row := []string{r.Label, r.Est, r.CI, r.N}
		if pg.RegionName != "" {
			row = append(row, r.Region, r.RegionCI)
		}
		cmp.rows = append(cmp.rows, append(row, r.Nation, r.NationCI, r.VsNat))
	}
	d.table(cmp)

	d.section(l.text("pr.sec.ranks"))
	d.figure("province-trend")
	rk := pdfTable{head: []string{l.text("col.year"), "SIPAS (%)", l.text("col.ci")}, align: "R"}
	if pg.HasRanks {
		rk.head = append(rk.head, l.text("col.rank"), l.text("col.rank_ci"), l.text("col.tier"))
	}
	rk.head = append(rk.head, l.text("col.change"))
	for _, r := range pg.Ranks {
		row := []string{r.Year, r.Est, r.CI}
		if pg.HasRanks {
			row = append(row, r.Rank, r.RankSet, r.Tier)
		}
		rk.rows = append(rk.rows, append(row, r.Change))
	}
	d.table(rk)
	d.note(pg.RanksNote)

	if len(pg.Criteria) > 0 {
		d.section(l.text("pr.sec.criteria"))
		// each element's criteria under its name, a heading across the
		// table, so the criteria's long wording has the width
		cr := pdfTable{head: []string{l.text("col.criterion"), l.text("col.estimate"), l.text("col.ci"),
			l.text("national"), l.text("pr.diff")}, align: "LRRRR"}
		if pg.HasStandings {
			cr.head = append(cr.head, l.text("pr.standing"))
			cr.align += "L"
		}
		if pg.HasIPA {
			cr.head = append(cr.head, l.text("col.quadrant"))
			cr.align += "L"
		}
		for i, r := range pg.Criteria {
			if i == 0 || r.Element != pg.Criteria[i-1].Element {
				cr.rows = append(cr.rows, []string{r.Element})
				cr.span = append(cr.span, make([]bool, len(cr.rows)-len(cr.span)-1)...)
				cr.span = append(cr.span, true)
			}
			row := []string{r.Label, r.Est, r.CI, r.Nation, r.Diff}
			if pg.HasStandings {
				row = append(row, r.Standing)
			}
			if pg.HasIPA {
				row = append(row, r.Quadrant)
			}
			cr.rows = append(cr.rows, row)
		}
		d.table(cr)
	}

	if len(pg.Within) > 0 {
		d.section(pg.WithinLabel)
		wt := pdfTable{head: append([]string{pg.WithinLabel, "SIPAS (%)", l.text("col.ci"), l.text("col.n")}, pg.WithinHead...), align: "L"}
		for _, r := range pg.Within {
			wt.rows = append(wt.rows, append([]string{r.Name, r.Est, r.CI, r.N}, r.Elements...))
		}
		d.table(wt)
	}

	d.section(l.text("sec.strengths"))
	if pg.HasStandings {
		d.note(l.text("sw.note"))
	}
	list := func(title string, items []string, numbered bool) {
		d.subsection(title)
		if len(items) == 0 {
			d.para(l.text("pr.none"))
			return
		}
		for i, s := range items {
			mark := "•"
			if numbered {
				mark = strconv.Itoa(i+1) + "."
			}
			d.para(mark + " " + s)
		}
	}
	list(l.text("col.strengths"), pg.Strengths, false)
	list(l.text("col.weaknesses"), pg.Weaknesses, false)
	if pg.HasIPA {
		list(l.text("pr.fix_first"), pg.FixFirst, true)
	}

	d.section(l.text("sec.quality"))
	q := pdfTable{head: []string{l.text("col.year"), l.text("col.n"), l.text("col.deff"), l.text("col.flag")}, align: "RRRL"}
	for _, r := range pg.Quality {
		q.rows = append(q.rows, []string{r.Year, r.N, r.Deff, r.PSUFlag})
	}
	d.table(q)
	if len(pg.Rates) > 0 {
		t := pdfTable{head: []string{l.text("col.class"), l.text("col.issued"), l.text("col.returned"), l.text("col.valid"),
			l.text("col.rr") + " (%)", l.text("col.vr") + " (%)"}, align: "L"}
		for _, r := range pg.Rates {
			t.rows = append(t.rows, []string{r.Class, r.Issued, r.Returned, r.Valid, r.RR, r.VR})
		}
		d.table(t)
	}
	if len(pg.Screening) > 0 {
		d.subsection(l.text("fw.screening"))
		t := pdfTable{align: "LR"}
		for _, c := range pg.Screening {
			t.rows = append(t.rows, []string{c.K, c.V})
		}
		d.table(t)
	}
	return d.finish(w, p.data)
}
