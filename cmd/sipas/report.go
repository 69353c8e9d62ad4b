package main

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/index/rank"
	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/report"
	"github.com/sipas-go/sipas/sampling"
)

func init() {
	c := &command{
		name:    "report",
		usage:   "--in FILE [--in FILE ..] [design flags] [--by COL] [--province NAME | --all-provinces] --out DIR [--lang vi|en] [--year-col year] [--questionnaire Q] [--adjust holm|bh|none] [--geography auto|2025|1997] [--crosswalk FILE] [--excluded FILE ..]",
		summary: "self-contained offline HTML report with charts and tables",
	}
	c.run = func(e *env, args []string) error { return runReport(e, c, args) }
	register(c)
}

// runReport is `sipas report` (CLI.md, METHODOLOGY §9): the files are
// split by --year-col (each year its own design from the design flags),
// report.FromSurveys gives each year's indices by --by (default province,
// its names made canonical in the report's geography) with every domain
// against the nation, the changes, ranks with confidence sets and tiers,
// and the importance–performance; report.WriteDir writes DIR/index.html,
// DIR/report.pdf, the tables DIR/tables/*.csv and the print charts
// DIR/charts/*.png (300 dpi) and *.svg.
//
// Without the year column, a single file is one survey of unknown year;
// several files then need --year-col.
//
// The data-quality section comes from the sipas.validation and
// sipas.weighting schema metadata of each file, or from --excluded
// (quality.go).
func runReport(e *env, c *command, args []string) error {
	fs := newFlagSet(e, c)
	e.tableFlags(fs)
	var ins listFlag
	fs.Var(&ins, "in", "ballot table (CSV, Parquet, Arrow IPC; - for stdin, any of these); repeat for several years")
	df := addDesignFlags(fs)
	by := fs.String("by", "province", "the domain column of the rankings, heatmap and radars (e.g. province, field, unit)")
	out := fs.String("out", "", "output directory: index.html, report.pdf, tables/*.csv and charts/ (created if needed)")
	lang := fs.String("lang", "vi", "language of the report: vi or en")
	yearCol := fs.String("year-col", "year", "column holding the survey year")
	ixf := addIndexFlags(fs)
	adjust := fs.String("adjust", "holm", "multiple-comparison correction of the significance of changes across domains: none, holm or bh")
	draws := fs.Int("draws", 10000, "draws of the rank simulation (seeded by --seed: PCG(seed, 0))")
	gf := addGeoFlags(fs)
	pf := addProvinceReportFlags(fs)
	var excl listFlag
	fs.Var(&excl, "excluded", "excluded table of sipas validate --excluded, for the data-quality section of a --in without its sipas.validation record (e.g. a CSV without its sidecar); repeat it, one per --in in the same order (overrides the record)")
	if err := parseFlags(e, c, fs, args); err != nil {
		return err
	}
	if len(ins) == 0 {
		return usagef("--in is required (repeat it for several years)")
	}
	if len(excl) > 0 && len(excl) != len(ins) {
		return usagef("--excluded: give one per --in, in the same order (%d --in, %d --excluded)", len(ins), len(excl))
	}
	// Data quality carried by the files (quality.go).
	fileQ := map[string]*fileQuality{}
	exclOf := map[string]string{}
	for i, in := range ins {
		fq, err := readFileQuality(in)
		if err != nil {
			return err
		}
		fileQ[displayName(in)] = fq
		if len(excl) > 0 {
			exclOf[displayName(in)] = excl[i]
		}
	}
	if *out == "" {
		return usagef("--out is required")
	}
	if err := arrowio.CheckOutputDir(*out); err != nil {
		return badInput(err)
	}
	lg, err := report.ParseLang(*lang)
	if err != nil {
		return usagef("--lang: %q is not one of vi, en", *lang)
	}
	if *by == "" {
		return usagef("--by: give a column name (default province)")
	}
	if err := pf.check(); err != nil {
		return err
	}
	adj, err := rank.ParseAdjustment(*adjust)
	if err != nil {
		return usagef("--adjust: %q is not one of none, holm, bh", *adjust)
	}
	if *draws < 100 || *draws > maxDraws {
		return usagef("--draws must be between 100 and %d, got %d", maxDraws, *draws)
	}
	spec, ci, level, err := df.resolve(sampling.Logit)
	if err != nil {
		return err
	}
	geo, cw, err := gf.resolve()
	if err != nil {
		return err
	}
	sc, q, err := ixf.resolve()
	if err != nil {
		return err
	}

	if err := df.recordedWeight(e, ins, spec, &runNotes{}); err != nil {
		return err
	}
	// The province reports rank the provinces and break each one down by
	// --by when it names another column.
	domCol, within := pf.columns(*by)
	byYear := yearSet{}
	defer byYear.release()
	for _, in := range ins {
		yc, err := presentOf(e, in, []string{*yearCol}) // none for stdin
		if err != nil {
			return err
		}
		hasYear := len(yc) > 0
		if !hasYear && len(ins) > 1 {
			return badInput(fmt.Errorf("%s: no year column %q; with several files every ballot needs its survey year: name the column with --year-col", displayName(in), *yearCol))
		}
		opts := []arrowio.Option{e.in()}
		if spec.RepWeightsPrefix == "" && df.weighting == "" {
			cols := append(append(df.columns(), q.Columns()...), *by, domCol)
			present, err := presentOf(e, in, q.ExpectationColumns())
			if err != nil {
				return err
			}
			cols = append(cols, present...)
			if hasYear {
				cols = append(cols, *yearCol)
			}
			opts = append(opts, arrowio.WithColumns(estUnique(cols)...))
		}
		if err := byYear.read(in, *yearCol, !hasYear, opts...); err != nil {
			return err
		}
	}
	years := byYear.sorted()
	fileYears := map[string]int{}
	for _, y := range years {
		fileYears[byYear[y].file]++
	}

	// Each year its own design over its ballots as sampled (the same
	// designs as `trend`: yearSet.designs); report.FromSurveys reads the
	// provinces in the report's geography for the domains only, and runs
	// the trend, the importance–performance and the report data.
	for _, y := range years {
		if yd := byYear[y]; len(yd.rec.Schema().FieldIndices(*by)) == 0 {
			return badInput(fmt.Errorf("%s: no column %q for --by", yd.file, *by))
		}
		if yd := byYear[y]; len(yd.rec.Schema().FieldIndices(domCol)) == 0 {
			return badInput(fmt.Errorf("%s: no column %q: the province reports need each ballot's province", yd.file, domCol))
		}
	}
	tyears, release, err := byYear.designs(e.ctx, df, spec, years, nil)
	if err != nil {
		return err
	}
	defer release()
	var surveys []report.Survey
	for _, ty := range tyears {
		yd := byYear[ty.Year]
		qual, err := reportQuality(e.stderr, yd.file, ty.Year, fileYears[yd.file], yd.rec.NumRows(), fileQ[yd.file], exclOf[yd.file])
		if err != nil {
			return err
		}
		surveys = append(surveys, report.Survey{Year: ty.Year, Design: ty.Design, Ballots: ty.Ballots, Quality: qual, Weighting: df.wspec})
	}
	iopt := index.Options{By: []string{domCol}, Score: sc, CI: ci, Level: level, DF: df.dfr}
	data, err := report.FromSurveys(e.ctx, surveys, &report.SurveyOptions{Questionnaire: q, Within: within,
		Trend: index.TrendOptions{Index: iopt, Geography: geo, Crosswalk: cw,
			Compare: index.CompareOptions{Adjust: adj, Rank: rank.Options{Draws: *draws, Rand: rand.New(rand.NewPCG(df.seed, 0))}}}})
	if err != nil {
		if ctxErr := e.ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		return badInput(geographyHint(err))
	}
	if err := e.ctx.Err(); err != nil {
		return err // interrupted: write nothing
	}
	// Every file of the report is written into a staging directory that
	// replaces --out as a whole at the end: a run stopped at any moment
	// leaves the previous report or the new one, never a mix.
	stage, err := arrowio.NewOutputDir(*out)
	if err != nil {
		return err
	}
	defer stage.Abort()
	if pf.set() {
		return pf.write(e, data, stage, *out, &report.Options{Lang: lg}, yearsText(years))
	}
	if err := report.WriteDir(stage.Path(), data, &report.Options{Lang: lg}); err != nil {
		return stage.Unstaged(err)
	}
	if err := stage.Commit(e.ctx); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "report for %s written to %s (index.html, report.pdf, tables/*.csv, charts/*.png and *.svg)\n", yearsText(years), *out)
	return nil
}

func yearsText(years []int) string {
	if len(years) == 1 && years[0] == 0 {
		return "the survey"
	}
	s := make([]string, len(years))
	for i, y := range years {
		s[i] = fmt.Sprint(y)
	}
	return strings.Join(s, ", ")
}
