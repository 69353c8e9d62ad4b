package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/index/rank"
	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/sampling"
)

func init() {
	c := &command{
		name: "trend",
		usage: "--in FILE [--in FILE ..] [--year-col year] [design flags] [--by V,..] [--base-year Y] [--adjust none|holm|bh] [--alpha A]" +
			" [--seed N] [--draws N] [--year-questionnaire Y=Q ..] [--mapping FILE] [--geography 2025|1997|auto] [--crosswalk FILE] [--questionnaire Q] [--format json|csv|table] [--out FILE]",
		summary: "changes across years, rankings with confidence sets",
	}
	c.run = func(e *env, args []string) error { return runTrend(e, c, args) }
	register(c)
}

// runTrend is `sipas trend` (CLI.md, METHODOLOGY §8): every input file holds
// one year or several (split by --year-col); each year gets its own design
// from the design flags (independent samples), and index.Trend computes the
// indices by the --by domains (default province), province − nation,
// changes, corrections, ranks and breaks.
//
// The JSON "design" block is a list with one entry per year, in year
// order: {"year": Y, "rows": .., "strata": .., ...} (each year is its own
// design, so one block could not describe them all).
//
// --seed seeds both the bootstrap replicates (design flag) and the rank
// simulation (PCG(seed, 0)); --by none gives the national rows only.
func runTrend(e *env, c *command, args []string) error {
	fs := newFlagSet(e, c)
	e.tableFlags(fs)
	var ins listFlag
	fs.Var(&ins, "in", "ballot table (CSV, Parquet, Arrow IPC; - for stdin, any of these); repeat for several files")
	yearCol := fs.String("year-col", "year", "column holding the survey year")
	df := addDesignFlags(fs)
	ixf := addIndexFlags(fs)
	var yearQ listFlag
	fs.Var(&yearQ, "year-questionnaire", "YEAR=Q: the questionnaire (file or built-in id) of one year, when it differs from --questionnaire; repeatable. A different questionnaire id is a break in method: only what --mapping declares comparable is compared")
	var by listFlag
	fs.Var(&by, "by", "domain columns (default province; none for the national rows only)")
	baseYear := fs.Int("base-year", 0, "year the changes \"vs base\" refer to (default: the first year)")
	adjust := fs.String("adjust", "holm", "multiple-comparison correction across the domains of one index, year and comparison: none, holm or bh")
	alpha := fs.Float64("alpha", 0.05, "significance level after the correction")
	draws := fs.Int("draws", 10000, "draws of the rank simulation (seeded by --seed: PCG(seed, 0))")
	mapping := fs.String("mapping", "", "JSON file declaring the comparable criteria across questionnaire versions")
	gf := addGeoFlags(fs)
	format := addFormatFlag(e, fs)
	if err := parseFlags(e, c, fs, args); err != nil {
		return err
	}
	if len(ins) == 0 {
		return usagef("--in is required (repeat it for several files)")
	}
	if *yearCol == "" {
		return usagef("--year-col: name the column holding each ballot's survey year")
	}
	if err := checkFormat(*format); err != nil {
		return err
	}
	if len(by) == 0 {
		by = listFlag{"province"}
	} else if len(by) == 1 && by[0] == "none" {
		by = nil
	}
	adj, err := rank.ParseAdjustment(*adjust)
	if err != nil {
		return usagef("--adjust: %q is not one of none, holm, bh", *adjust)
	}
	if !(*alpha > 0 && *alpha < 1) {
		return usagef("--alpha must lie strictly between 0 and 1, got %v", *alpha)
	}
	if *draws < 100 || *draws > maxDraws {
		return usagef("--draws must be between 100 and %d, got %d", maxDraws, *draws)
	}
	geo, cw, err := gf.resolve()
	if err != nil {
		return err
	}
	spec, ci, level, err := df.resolve(sampling.Logit)
	if err != nil {
		return err
	}
	sc, q, err := ixf.resolve()
	if err != nil {
		return err
	}
	qOf := map[int]*index.Questionnaire{}
	for _, yq := range yearQ {
		ys, qp, ok := strings.Cut(yq, "=")
		y, err := strconv.Atoi(strings.TrimSpace(ys))
		if !ok || err != nil {
			return usagef("--year-questionnaire: %q is not YEAR=Q", yq)
		}
		if _, dup := qOf[y]; dup {
			return usagef("--year-questionnaire: year %d given twice", y)
		}
		if qOf[y], err = loadQuestionnaireFlag(strings.TrimSpace(qp)); err != nil {
			return badInput(fmt.Errorf("--year-questionnaire %s: %w", yq, err))
		}
	}
	var mp *index.Mapping
	if *mapping != "" {
		if mp, err = index.LoadMapping(*mapping); err != nil {
			return badInput(err)
		}
	}

	if err := df.recordedWeight(e, ins, spec, &runNotes{}); err != nil {
		return err
	}
	// Read and split the files by year.
	byYear := yearSet{}
	defer byYear.release()
	for _, in := range ins {
		opts := []arrowio.Option{e.in()}
		if in != "-" {
			if err := requireColumn(e, in, *yearCol); err != nil {
				return err
			}
		}
		if spec.RepWeightsPrefix == "" && in != "-" {
			// The design, domain and year columns must be there; the
			// answer columns of the questionnaires that the file has
			// (a missing one is reported per year by the index).
			qcols := q.Columns()
			for _, yq := range qOf {
				qcols = append(qcols, yq.Columns()...)
			}
			present, err := presentOf(e, in, estUnique(qcols))
			if err != nil {
				return err
			}
			cols := append(append(append(df.columns(), by...), *yearCol), present...)
			opts = append(opts, arrowio.WithColumns(estUnique(cols)...))
		}
		if err := byYear.read(in, *yearCol, false, opts...); err != nil {
			return err
		}
	}
	yearList := byYear.sorted()
	for y := range qOf {
		if !slices.Contains(yearList, y) {
			return usagef("--year-questionnaire: year %d is not among the data's years %v", y, yearList)
		}
	}
	if *baseYear != 0 && !slices.Contains(yearList, *baseYear) {
		return usagef("--base-year %d is not among the data's years %v", *baseYear, yearList)
	}

	years, release, err := byYear.designs(e.ctx, df, spec, yearList, qOf)
	if err != nil {
		return err
	}
	defer release()
	opt := &index.TrendOptions{
		Index:     index.Options{By: by, Score: sc, CI: ci, Level: level, DF: df.dfr},
		Geography: geo,
		Crosswalk: cw,
		Compare: index.CompareOptions{BaseYear: *baseYear, Adjust: adj, Alpha: *alpha, Mapping: mp,
			Rank: rank.Options{Draws: *draws, Rand: rand.New(rand.NewPCG(df.seed, 0))}},
	}
	res, err := index.Trend(e.ctx, years, q, opt)
	if err != nil {
		return badInput(geographyHint(err))
	}
	return writeTrend(e.stdout, *format, res, by)
}

// requireColumn checks that the file at path has column col, so that a
// missing year column gets its own message.
func requireColumn(e *env, path, col string) error {
	r, err := arrowio.Open(path, e.in())
	if err != nil {
		return readError(err)
	}
	defer r.Close()
	if err := nearMiss(r.Schema(), path, col, "--year-col"); err != nil {
		return err
	}
	if len(r.Schema().FieldIndices(col)) == 0 {
		names := make([]string, 0, r.Schema().NumFields())
		for _, f := range r.Schema().Fields() {
			names = append(names, f.Name)
		}
		return badInput(fmt.Errorf("%s: no year column %q (columns: %s); name the column holding the survey year with --year-col", displayName(path), col, strings.Join(names, ", ")))
	}
	return nil
}

// trendDesignJSON is one year's entry of the "design" list.
type trendDesignJSON struct {
	Year int `json:"year"`
	designJSON
}

// trendValueJSON writes one Fields value: null for nil, numbers in Go's
// shortest round-trip form.
func trendValueJSON(v any) json.RawMessage {
	switch x := v.(type) {
	case nil:
		return json.RawMessage("null")
	case float64:
		b, _ := jsonNum(x).MarshalJSON()
		return b
	}
	b, _ := json.Marshal(v)
	return b
}

// trendRowJSON is one row of the "estimates" list with CLI.md's fields in
// order: "domain" and then index.TrendFieldNames, nulls written as null.
type trendRowJSON struct{ r *index.TrendRow }

func (t trendRowJSON) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"domain":`)
	dom, _ := domainJSON(t.r.Labels).MarshalJSON()
	b.Write(dom)
	for _, f := range t.r.Fields() {
		b.WriteByte(',')
		k, _ := json.Marshal(f.Name)
		b.Write(k)
		b.WriteByte(':')
		b.Write(trendValueJSON(f.Value))
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// trendCell formats a Fields value for CSV: empty for null.
func trendCell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case float64:
		return csvFloat(x)
	case int:
		return strconv.Itoa(x)
	case bool:
		return strconv.FormatBool(x)
	case string:
		return x
	}
	return fmt.Sprint(v)
}

// writeTrend writes a trend result as json, csv or table (CLI.md).
func writeTrend(w io.Writer, format string, res *index.TrendResult, by []string) error {
	switch format {
	case "json":
		out := struct {
			Design    []trendDesignJSON `json:"design"`
			Estimates []trendRowJSON    `json:"estimates"`
		}{Design: []trendDesignJSON{}, Estimates: make([]trendRowJSON, len(res.Rows))}
		for _, y := range res.Years {
			out.Design = append(out.Design, trendDesignJSON{Year: y.Year, designJSON: describeDesign(y.Design)})
		}
		for i := range res.Rows {
			out.Estimates[i] = trendRowJSON{&res.Rows[i]}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	case "csv":
		return writeCSV(w, append(append([]string{}, by...), index.TrendFieldNames...), len(res.Rows), func(i int) []string {
			r := &res.Rows[i]
			rec := domainCells(r.Labels, by)
			for _, f := range r.Fields() {
				rec = append(rec, trendCell(f.Value))
			}
			return rec
		})
	case "table":
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		header := append(append([]string{}, by...), "kind", "id", "year", "index", "se", "Δ prev", "se", "sig", "Δ base", "se", "sig",
			"rank", "95% rank set", "tier", "vs nation", "se", "p", "break", "flag")
		fmt.Fprintln(tw, strings.Join(header, "\t")+"\t")
		sig := func(b *bool) string {
			switch {
			case b == nil:
				return "–"
			case *b:
				return "*"
			}
			return ""
		}
		for i := range res.Rows {
			r := &res.Rows[i]
			cells := domainCells(r.Labels, by)
			for k := range cells {
				if r.National {
					cells[k] = "(national)"
				}
			}
			rank, set, tier := "–", "–", "–"
			vs, sevs, pvs := math.NaN(), math.NaN(), math.NaN()
			if !r.National {
				vs, sevs, pvs = r.VsNation, r.SEVsNation, r.PVsNation
				if r.Rank > 0 {
					rank, set, tier = strconv.Itoa(r.Rank), fmt.Sprintf("%d–%d", r.RankLow, r.RankHigh), strconv.Itoa(r.Tier)
				}
			}
			brk := ""
			if r.Break {
				brk = "break"
			}
			cells = append(cells, r.Kind, r.ID, strconv.Itoa(r.Year), fmt2(r.Estimate), fmt2(r.SE),
				fmt2(r.ChangePrev), fmt2(r.SEChangePrev), sig(r.SignificantPrev),
				fmt2(r.ChangeBase), fmt2(r.SEChangeBase), sig(r.SignificantBase),
				rank, set, tier, fmt2(vs), fmt2(sevs), fmtP(pvs), brk, r.Flag)
			fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t")
		}
		return tw.Flush()
	}
	return usagef("--format %q: use json, csv or table", format)
}

// fmtP formats a p-value for the table: 4 decimals, "<0.0001" below.
func fmtP(p float64) string {
	switch {
	case math.IsNaN(p):
		return "–"
	case p < 0.0001:
		return "<0.0001"
	}
	return strconv.FormatFloat(p, 'f', 4, 64)
}
