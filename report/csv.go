package report

import (
	"encoding/csv"
	"io"
	"math"
	"strconv"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/csvsafe"
)

// Table is one table of the report, as report authors paste it: a file
// name stem, a header in the report's language and rows of text.
type Table struct {
	Name   string
	Header []string
	Rows   [][]string
}

// bom is the UTF-8 byte order mark: spreadsheet programs read a CSV file
// that starts with it as UTF-8 (so Vietnamese text shows correctly).
const bom = "\ufeff"

// WriteCSV writes t as CSV (RFC 4180, comma-separated, CRLF line ends as
// spreadsheet programs expect) in UTF-8 with a byte order mark. Every cell
// that a spreadsheet would run as a formula (labels, ids, column names) is
// written as text (csvsafe.Cell).
func WriteCSV(w io.Writer, t Table) error {
	if _, err := io.WriteString(w, bom); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(csvsafe.Row(append([]string(nil), t.Header...))); err != nil {
		return err
	}
	for _, r := range t.Rows {
		if err := cw.Write(csvsafe.Row(append([]string(nil), r...))); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// textCell makes a label from data safe to open in a spreadsheet
// (csvsafe.Text: a name that looks like a number stays the name).
func textCell(s string) string { return csvsafe.Text(s) }

// The number formats of the tables and the page: one formatter,
// arrowio.NumberFormat, with each place's settings.
var (
	f2 = arrowio.NumberFormat{Verb: 'f', Prec: 2}.Format // CSV: two decimals, "" when missing
	f4 = arrowio.NumberFormat{Verb: 'f', Prec: 4}.Format // CSV: p-values and importance
)

func iOrEmpty(i int) string {
	if i == 0 {
		return ""
	}
	return strconv.Itoa(i)
}

func boolPtr(b *bool) string {
	if b == nil {
		return ""
	}
	return strconv.FormatBool(*b)
}

// Tables returns the report's tables in the language of opt:
//
//   - "estimates": every estimate of every year and domain (nation first),
//     with rank, rank set, tier, the change against the previous year and
//     the difference to the nation where they were computed;
//   - "ranking": the domains of the latest year by rank (SIPAS);
//   - "ranking_table": the ranking table as published (RankingTable):
//     SIPAS and the elements, last year's SIPAS and rank, the change and
//     its significant direction (▲/▼), the tier;
//   - "elements": domain × element indices of the latest year (the heatmap);
//   - "strengths": each domain's criteria and elements against the nation
//     (difference, SE, p before and after Benjamini–Hochberg, standing
//     "strength", "weakness" or empty), when the trend rows carry them;
//   - "ipa": the importance–performance analysis of every criterion of
//     the nation and each domain (importance, performance, quadrant), when
//     it was given (YearInput.IPA);
//   - "response_rates" and "exclusions" of the latest year, when known.
//
// Numbers are in percent with two decimals (p-values four); empty cells
// are missing values. Labels from data are written as text (a leading
// apostrophe keeps a cell starting with =, +, - or @ from being read as a
// formula).
func Tables(data *Data, opt *Options) []Table {
	l := opt.lang()
	q := data.Questionnaire
	byLabel := l.byLabel(data)
	var out []Table

	est := Table{Name: "estimates", Header: []string{l.text("col.year"), byLabel, l.text("col.kind"), "id",
		l.text("col.index"), l.text("col.estimate"), l.text("col.se"), l.text("col.ci_low"), l.text("col.ci_high"),
		l.text("col.n"), l.text("col.deff"), l.text("col.flag"), l.text("col.rank"), l.text("col.rank_low"), l.text("col.rank_high"),
		l.text("col.tier"), l.text("col.change"), l.text("col.se_change"), l.text("col.p"), l.text("col.significant"),
		l.text("col.vs_nation"), l.text("col.se_vs_nation"), l.text("col.p_vs_nation"), l.text("col.significant_vs_nation")}}
	for _, y := range data.Years {
		doms := append([]Domain{y.National}, byName(y.Domains)...) // a list: collation
		for gi, d := range doms {
			name := textCell(d.Name)
			if gi == 0 {
				name = l.text("national")
			}
			all := append(append(append([]Estimate{d.SIPAS}, d.Elements...), d.Criteria...), d.Expectations...)
			for _, e := range all {
				if math.IsNaN(e.Estimate) && e.N == 0 {
					continue
				}
				r := []string{strconv.Itoa(y.Year), name, e.Kind, e.ID, l.indexLabel(q, e.Kind, e.ID),
					f2(e.Estimate), f2(e.SE), f2(e.CILow), f2(e.CIHigh), strconv.Itoa(e.N), f2(e.Deff), e.Flag,
					"", "", "", "", "", "", "", "", "", "", "", ""}
				if t := e.Trend; t != nil {
					r[12], r[13], r[14], r[15] = iOrEmpty(t.Rank), iOrEmpty(t.RankLow), iOrEmpty(t.RankHigh), iOrEmpty(t.Tier)
					r[16], r[17], r[18], r[19] = f2(t.ChangePrev), f2(t.SEChangePrev), f4(t.PAdjChangePrev), boolPtr(t.SignificantPrev)
					if gi > 0 {
						r[20], r[21], r[22], r[23] = f2(t.VsNation), f2(t.SEVsNation), f4(t.PAdjVsNation), boolPtr(t.SignificantVsNation)
					}
				}
				est.Rows = append(est.Rows, r)
			}
		}
	}
	out = append(out, est)

	y := data.Latest()
	if y == nil {
		return out
	}
	rank := Table{Name: "ranking", Header: []string{l.text("col.rank"), l.text("col.rank_low"), l.text("col.rank_high"), l.text("col.tier"),
		byLabel, "SIPAS", l.text("col.se"), l.text("col.ci_low"), l.text("col.ci_high"), l.text("col.n"),
		l.text("col.change"), l.text("col.significant")}}
	for i, d := range y.Domains {
		e := d.SIPAS
		r := []string{positionRank(i, e.Estimate, ""), "", "", "", textCell(d.Name), f2(e.Estimate), f2(e.SE), f2(e.CILow),
			f2(e.CIHigh), strconv.Itoa(e.N), "", ""}
		if t := e.Trend; t != nil && t.Rank > 0 {
			r[0], r[1], r[2], r[3] = strconv.Itoa(t.Rank), iOrEmpty(t.RankLow), iOrEmpty(t.RankHigh), iOrEmpty(t.Tier)
			r[10], r[11] = f2(t.ChangePrev), boolPtr(t.SignificantPrev)
		}
		rank.Rows = append(rank.Rows, r)
	}
	out = append(out, rank)
	if t, ok := rankingTableCSV(l, data); ok {
		out = append(out, t)
	}

	el := Table{Name: "elements", Header: []string{byLabel}}
	for _, e := range y.National.Elements {
		el.Header = append(el.Header, l.indexLabel(q, e.Kind, e.ID))
	}
	el.Header = append(el.Header, "SIPAS")
	for gi, d := range append([]Domain{y.National}, y.Domains...) {
		name := textCell(d.Name)
		if gi == 0 {
			name = l.text("national")
		}
		r := []string{name}
		for _, e := range d.Elements {
			r = append(r, f2(e.Estimate))
		}
		el.Rows = append(el.Rows, append(r, f2(d.SIPAS.Estimate)))
	}
	out = append(out, el)

	sw := Table{Name: "strengths", Header: []string{byLabel, l.text("col.kind"), "id", l.text("col.index"),
		l.text("col.vs_nation"), l.text("col.se"), "p", l.text("col.p"), "standing"}}
	for _, d := range byName(y.Domains) { // a list: collation
		for _, r := range d.Standings {
			sw.Rows = append(sw.Rows, []string{textCell(d.Name), r.Kind, r.ID, l.indexLabel(q, r.Kind, r.ID),
				f2(r.Diff), f2(r.SE), f4(r.P), f4(r.PAdj), r.Standing.String()})
		}
	}
	if len(sw.Rows) > 0 {
		out = append(out, sw)
	}
	if t, ok := ipaTable(l, q, y, byLabel); ok {
		out = append(out, t)
	}

	if qy := y.Quality; qy != nil {
		if len(qy.ResponseRates) > 0 {
			rr := Table{Name: "response_rates", Header: []string{l.text("col.class"), l.text("col.issued"),
				l.text("col.returned"), l.text("col.valid"), l.text("col.rr") + " (%)", l.text("col.vr") + " (%)"}}
			for _, r := range qy.ResponseRates {
				rr.Rows = append(rr.Rows, []string{textCell(r.Class), strconv.Itoa(r.Issued), strconv.Itoa(r.Returned),
					strconv.Itoa(r.Valid), f2(100 * r.ResponseRate), f2(100 * r.ValidRate)})
			}
			out = append(out, rr)
		}
		if qy.RowsIn > 0 {
			ex := Table{Name: "exclusions", Header: []string{"reason", l.text("col.reason"), l.text("col.rows")}}
			ex.Rows = append(ex.Rows, []string{"rows_in", l.text("q.rows_in"), strconv.Itoa(qy.RowsIn)},
				[]string{"rows_used", l.text("q.rows_used"), strconv.Itoa(qy.RowsUsed)},
				[]string{"rows_excluded", l.text("q.rows_excluded"), strconv.Itoa(qy.RowsExcluded)})
			for _, r := range qy.Excluded {
				ex.Rows = append(ex.Rows, []string{r.Reason, l.textOr("reason."+r.Reason, r.Reason), strconv.Itoa(r.Rows)})
			}
			out = append(out, ex)
		}
		if len(qy.Misses) > 0 {
			out = append(out, missTable(l, qy.Misses))
		}
	}
	out = append(out, fieldworkTables(l, y.Fieldwork, byLabel)...)
	return out
}
