package main

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/cmd/sipas/internal/demo"
	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/index/ballot"
	"github.com/sipas-go/sipas/index/rank"
	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/report"
	"github.com/sipas-go/sipas/sampling/selection"
)

func init() {
	c := &command{
		name:    "demo",
		usage:   "--out DIR [--years 2019,2020,2021] [--seed N] [--lang vi|en]",
		summary: "run the whole pipeline on the embedded synthetic survey and write its outputs to DIR",
	}
	c.run = func(e *env, args []string) error { return runDemo(e, c, args) }
	register(c)
}

func runDemo(e *env, c *command, args []string) error {
	fs := newFlagSet(e, c)
	out := fs.String("out", "", "output directory (created if needed)")
	yearsFlag := fs.String("years", "2019,2020,2021", "survey years, comma-separated")
	seed := fs.Uint64("seed", 1, "seed of the synthetic survey (same seed, same outputs)")
	rows := fs.Int("register-rows", demo.DefaultRegisterRows, "transactions in each year's synthetic register")
	lang := fs.String("lang", "vi", "report language: vi or en")
	if err := parseFlags(e, c, fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usagef("--out is required")
	}
	var years []int
	for _, s := range strings.Split(*yearsFlag, ",") {
		y, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || y < 2000 || y > 2100 {
			return usagef("--years: %q is not a year", s)
		}
		years = append(years, y)
	}
	l, err := report.ParseLang(*lang)
	if err != nil {
		return usagef("--lang: %v", err)
	}
	if *rows < 1_000_000 {
		// The demo's design (about 40,000 ballots a year, 20 communes in
		// 4 districts per province) needs the selected communes to hold
		// its sample; below about a million transactions small provinces
		// cannot.
		return usagef("--register-rows: at least 1000000 transactions are needed for the demo's sample of every province")
	}
	if *rows > maxRegister {
		return usagef("--register-rows: at most %d transactions (the register is held in memory), got %d", maxRegister, *rows)
	}
	if err := arrowio.CheckOutputDir(*out); err != nil {
		return badInput(err)
	}
	fmt.Fprintf(e.stderr, "sipas demo: synthetic survey for %s (seed %d)\n", *yearsFlag, *seed)
	res, err := demo.Run(e.ctx, demo.Config{Years: years, Seed: *seed, RegisterRows: *rows, Cycle: true,
		Progress: func(msg string) { fmt.Fprintln(e.stderr, "  "+msg) }})
	if err != nil {
		return err
	}
	defer res.Release()

	// Every output is written into a staging directory that replaces --out
	// as a whole at the end: a run stopped at any moment leaves the
	// previous outputs or the new ones, never a mix.
	stage, err := arrowio.NewOutputDir(*out)
	if err != nil {
		return err
	}
	defer stage.Abort() // after the per-year files are written (deferred below)
	// The per-year files are written while the trend and the report are
	// computed (both only read the years' data); waited for before any
	// return, so before res.Release.
	written := make(chan error, 1)
	go func() { written <- writeDemoYears(stage.Path(), res) }()
	waitWritten := sync.OnceValue(func() error { return <-written })
	defer waitWritten()
	// Years on both sides of the 2025 merger are reported in the 34
	// provinces: the years up to 2024 are re-aggregated with their weights
	// (METHODOLOGY §8), so that every series compares the same territory.
	geo := index.GeoAuto
	if first, last := res.Years[0].Year, res.Years[len(res.Years)-1].Year; index.GeographyOf(first) != index.GeographyOf(last) {
		geo = index.Geo2025
		fmt.Fprintf(e.stderr, "  years %d–%d straddle the 2025 merger: every year is reported in the 34 provinces of 2025\n", first, last)
	}
	// Changes, ranks with confidence sets and the difference to the nation
	// (for strengths and weaknesses), as `sipas trend` computes them, with
	// each year's indices in the reported geography, and the
	// importance–performance of the criteria; 4,000 draws for the rank
	// sets keep the demo quick.
	t0 := time.Now()
	var surveys []report.Survey
	for _, y := range res.Years {
		surveys = append(surveys, report.Survey{Year: y.Year, Design: y.Design, Ballots: y.Ballots, Validation: y.Validation,
			Nonresponse: y.Nonresponse, Issued: y.Issued, Returned: y.Returned, Fieldwork: fieldworkOf(y)})
	}
	data, err := report.FromSurveys(e.ctx, surveys, &report.SurveyOptions{Title: "SIPAS — synthetic demo survey",
		Trend: index.TrendOptions{Index: index.Options{By: []string{"province"}}, Geography: geo,
			Compare: index.CompareOptions{Adjust: rank.AdjustHolm, Rank: rank.Options{Draws: 4000}}}})
	if err != nil {
		return err
	}
	if err := e.ctx.Err(); err != nil {
		return err // interrupted: write nothing
	}
	if err := report.WriteDir(stage.Path(), data, &report.Options{Lang: l}); err != nil {
		return stage.Unstaged(err)
	}
	if d := time.Since(t0); d > time.Second {
		fmt.Fprintf(e.stderr, "  trends, ranks, importance–performance and the report (%.1fs)\n", d.Seconds())
	}
	if err := waitWritten(); err != nil {
		return stage.Unstaged(err)
	}
	if err := stage.Commit(e.ctx); err != nil {
		return err
	}
	printDemo(e.stdout, res)
	fmt.Fprintf(e.stdout, "\nreport: %s\nalso in %s: report.pdf, tables/*.csv, charts/, ballots_<year>.parquet (clean ballots with final weights), excluded_<year>.csv, index_<year>.csv/json, screen_<year>/ (sipas screen's outputs)\n",
		filepath.Join(*out, "index.html"), *out)
	fmt.Fprintf(e.stdout, "and, to run the yearly cycle of the README on %d: register.parquet, DESIGN.json, ballots_raw.csv, keying1.csv, keying2.csv, WEIGHTING.json\n", res.Cycle.Year)
	return nil
}

// fieldworkOf is the year's fieldwork record for the report: the
// screening, the back-check and the ballots it excluded.
func fieldworkOf(y *demo.Year) *report.Fieldwork {
	f := report.NewFieldwork(y.Screening)
	if y.Backcheck != nil {
		f.AddBackcheck(y.BackcheckGroups, y.Backcheck, demo.BackcheckOKRate, y.Validation.ByReason[ballot.ReasonBackcheckFailed])
	}
	return f
}

// writeDemoYears writes each year's clean ballots (Parquet), exclusions
// (CSV) and indices (CSV and JSON) to dir, and the files the yearly cycle
// starts from.
func writeDemoYears(dir string, res *demo.Result) error {
	if err := writeDemoCycle(dir, res.Cycle); err != nil {
		return err
	}
	for _, y := range res.Years {
		ys := strconv.Itoa(y.Year)
		if err := arrowio.WriteRecord(filepath.Join(dir, "ballots_"+ys+".parquet"), y.Ballots); err != nil {
			return err
		}
		if err := arrowio.WriteRecord(filepath.Join(dir, "excluded_"+ys+".csv"), y.Validation.Excluded); err != nil {
			return err
		}
		if err := writeScreenDir(filepath.Join(dir, "screen_"+ys), y.Screening,
			screenMeta{Input: "ballots_" + ys, Questionnaire: y.Index.Questionnaire.ID, ID: "ballot_id", By: []string{"province"}, Collector: "collector"}); err != nil {
			return err
		}
		if err := arrowio.WriteText(filepath.Join(dir, "index_"+ys+".csv"), nil, func(w io.Writer) error {
			return writeIndex(w, "csv", y.Design, y.Index, []string{"province"}, nil)
		}); err != nil {
			return err
		}
		if err := arrowio.WriteText(filepath.Join(dir, "index_"+ys+".json"), nil, func(w io.Writer) error {
			return writeIndex(w, "json", y.Design, y.Index, []string{"province"}, nil)
		}); err != nil {
			return err
		}
	}
	return nil
}

// printDemo prints, per year, the ballot accounting and the national and
// provincial SIPAS indices with their standard errors and intervals.
func printDemo(w io.Writer, res *demo.Result) {
	for _, y := range res.Years {
		v := y.Validation
		fmt.Fprintf(w, "\n%d: register %d transactions; %d ballots issued, %d returned; %d used + %d excluded (", y.Year,
			y.RegisterRows, y.Issued, y.Returned, v.RowsUsed, v.RowsExcluded)
		first := true
		for _, r := range ballot.Reasons() {
			if n := v.ByReason[r]; n > 0 {
				if !first {
					fmt.Fprint(w, ", ")
				}
				fmt.Fprintf(w, "%s %d", r, n)
				first = false
			}
		}
		fmt.Fprintln(w, ")")
		if s := y.Screening; s != nil {
			var fm, fs, fd, top int
			for _, g := range s.Groups {
				fm, fs, fd = fm+g.FlagMatch, fs+g.FlagStraightline, fd+g.FlagDuplicate
			}
			for _, c := range s.Collectors {
				if c.Rank == 1 && c.Risk >= 2 {
					top++
				}
			}
			fmt.Fprintf(w, "screening: %d near-copies, %d straight-lined, %d duplicates; %d provinces with a collector at risk (screen_%d/)\n", fm, fs, fd, top, y.Year)
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "province\tSIPAS\tse\t95% CI\tn\tdeff\ttrue\t")
		for _, r := range y.Index.Rows {
			if r.Kind != index.KindSIPAS {
				continue
			}
			name, prov := "(national)", ""
			if len(r.Domain) > 0 {
				name, prov = r.Domain[0].Value, r.Domain[0].Value
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s–%s\t%d\t%s\t%s\t\n", name, fmt2(r.Estimate), fmt2(r.SE), fmt2(r.CILow), fmt2(r.CIHigh),
				r.N, fmt2(r.Deff), fmt2(100*res.Truth.SIPAS(y.Year, prov)))
		}
		tw.Flush()
	}
}

// writeDemoCycle writes what the README's yearly cycle starts from, for
// the last year: the register (register.parquet) and the DESIGN.json the
// sample was drawn with, the returned ballots before validation
// (ballots_raw.csv), two keyings of the first 300 of them that differ in
// three cells (keying1.csv, keying2.csv), and a WEIGHTING.json that
// post-stratifies the design weights to the register's transactions per
// province.
func writeDemoCycle(dir string, c *demo.Cycle) error {
	if err := arrowio.WriteRecord(filepath.Join(dir, "register.parquet"), c.Register); err != nil {
		return err
	}
	if err := arrowio.WriteRecord(filepath.Join(dir, "ballots_raw.csv"), c.Returned); err != nil {
		return err
	}
	k1, k2, err := demo.Keyings(c.Returned, 300, memory.DefaultAllocator)
	if err != nil {
		return err
	}
	defer k1.Release()
	defer k2.Release()
	if err := arrowio.WriteRecord(filepath.Join(dir, "keying1.csv"), k1); err != nil {
		return err
	}
	if err := arrowio.WriteRecord(filepath.Join(dir, "keying2.csv"), k2); err != nil {
		return err
	}
	type step struct {
		PostStratify struct {
			By     []string           `json:"by"`
			Totals map[string]float64 `json:"totals"`
		} `json:"poststratify"`
	}
	var ps step
	ps.PostStratify.By = []string{"province"}
	ps.PostStratify.Totals = c.ProvinceTotals
	spec := struct {
		DesignWeight string            `json:"design_weight"`
		Steps        []step            `json:"steps"`
		Output       map[string]string `json:"output"`
	}{selection.SampleWeightColumn, []step{ps}, map[string]string{"weight": "weight"}}
	wj, err := json.MarshalIndent(spec, "", "  ")
	if err != nil {
		return err
	}
	return arrowio.WriteTextSet(dir, []arrowio.TextFile{
		{Name: "DESIGN.json", Write: func(w io.Writer) error { _, err := w.Write(c.Design); return err }},
		{Name: "WEIGHTING.json", Write: func(w io.Writer) error { _, err := w.Write(append(wj, '\n')); return err }},
	})
}
