package main

import (
	"cmp"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/index/ballot"
	"github.com/sipas-go/sipas/internal/arrowio"
)

func init() {
	c := &command{
		name:    "backcheck",
		usage:   "sample --in BALLOTS --collector COL --seed N --out FILE [flags] | compare --survey FILE --backcheck FILE --id ID --t1 V,.. --out DIR [flags]",
		summary: "back-check (phúc tra): draw the ballots to re-contact, and compare the re-contact answers with the ballots",
	}
	c.run = func(e *env, args []string) error { return runBackcheck(e, c, args) }
	register(c)
}

var (
	bcSampleCmd = &command{
		name: "backcheck sample",
		usage: "--in BALLOTS [--id ballot_id] [--by province] --collector COL [--unit commune] [--rate 0.10] [--min-collector 2] [--min-unit 1]\n" +
			"    [--targeted FILE] [--keep COL,..] --seed N --out FILE",
		summary: "draw the ballots to re-contact: every collector and unit covered, a seeded random share per group, plus targeted ballots",
	}
	bcCompareCmd = &command{
		name: "backcheck compare",
		usage: "--survey FILE --backcheck FILE --id ID [--t1 V,..] [--t2 V,..] [--t3 V,..]\n" +
			"    [--enumerator COL] [--enumteam COL] [--backchecker COL] [--bcteam COL]\n" +
			"    [--okrate 0.1] [--okrange V=LO:HI,..] [--nodiff V=VAL,..] [--exclude V=VAL,..] [--exclude-missing]\n" +
			"    [--lower] [--upper] [--nosymbol] [--trim] [--ttest V,..] [--signrank V,..] [--reliability V,..]\n" +
			"    [--allow-unmatched] [--full] --out DIR",
		summary: "compare back-check answers with the survey (IPA bcstats): error rates by collector, team, back-checker and variable; stability tests",
	}
)

func runBackcheck(e *env, c *command, args []string) error {
	if len(args) == 0 {
		return usagef("name a subcommand: sample or compare")
	}
	switch args[0] {
	case "sample":
		return runBCSample(e, bcSampleCmd, args[1:])
	case "compare":
		return runBCCompare(e, bcCompareCmd, args[1:])
	case "-h", "--help", "help":
		fmt.Fprintf(e.stdout, "sipas backcheck — %s\n\nusage:\n  sipas %s %s\n  sipas %s %s\n", c.summary,
			bcSampleCmd.name, bcSampleCmd.usage, bcCompareCmd.name, bcCompareCmd.usage)
		fmt.Fprintln(e.stdout, "\nflags: sipas help backcheck sample, sipas help backcheck compare.\nMore in docs/cli.md (the section on sipas backcheck) in the sipas source tree.")
		return flag.ErrHelp
	}
	return usagef("unknown subcommand %q: use sample or compare", args[0])
}

// bcSeedStream is the PCG stream of `sipas backcheck sample`: the
// generator is rand.NewPCG(seed, bcSeedStream).
const bcSeedStream = 0x70687563747261 // "phuctra"

func runBCSample(e *env, c *command, args []string) error {
	fs := newFlagSet(e, c)
	e.tableFlags(fs)
	in := fs.String("in", "", "ballot table (CSV, Parquet, Arrow IPC; - for stdin, any of these)")
	id := fs.String("id", "ballot_id", "ballot id column")
	var by listFlag
	fs.Var(&by, "by", "group columns, each drawn on its own (default province; \"none\" for one group)")
	collector := fs.String("collector", "", "collector (distributor) column: every collector is covered")
	unit := fs.String("unit", "", "unit column (e.g. commune): every unit is covered")
	rate := fs.Float64("rate", 0.10, "random share of each group, in (0, 1]")
	minCollector := fs.Int("min-collector", 2, "ballots drawn at least per collector (all if it has fewer)")
	minUnit := fs.Int("min-unit", 1, "ballots drawn at least per unit (all if it has fewer)")
	targeted := fs.String("targeted", "", "table with the id column: ballots to add as targeted (e.g. flagged by sipas screen)")
	var keep listFlag
	fs.Var(&keep, "keep", "further columns to copy (address, phone)")
	seed := fs.Uint64("seed", 0, "random seed (required): the same inputs and seed give the same sample")
	out := fs.String("out", "", "output: the ballots to re-contact (format by extension; - for CSV on stdout)")
	if err := parseFlags(e, c, fs, args); err != nil {
		return err
	}
	seedSet := false
	fs.Visit(func(f *flag.Flag) { seedSet = seedSet || f.Name == "seed" })
	switch {
	case *in == "":
		return usagef("--in is required")
	case *out == "":
		return usagef("--out is required")
	case *collector == "":
		return usagef("--collector is required (every collector must be covered)")
	case !seedSet:
		return usagef("--seed is required, so that the draw can be repeated")
	case !(*rate > 0 && *rate <= 1):
		return usagef("--rate %v is outside (0, 1]", *rate)
	case *minCollector < 0 || *minUnit < 0:
		return usagef("--min-collector and --min-unit must not be negative")
	case sameFile(*out, *in) || (*targeted != "" && sameFile(*out, *targeted)):
		return usagef("--out would overwrite an input")
	}
	if len(by) == 0 {
		by = listFlag{"province"}
	}
	if len(by) == 1 && by[0] == "none" {
		by = nil
	}
	if *out != "-" {
		if _, err := arrowio.FormatOf(*out); err != nil {
			return usagef("%v", err)
		}
	}
	types := map[string]arrow.DataType{*id: arrow.BinaryTypes.String, *collector: arrow.BinaryTypes.String}
	if *unit != "" {
		types[*unit] = arrow.BinaryTypes.String
	}
	for _, b := range by {
		types[b] = arrow.BinaryTypes.String
	}
	rec, err := arrowio.ReadAll(*in, e.in(), arrowio.WithTypes(types))
	if err != nil {
		return readError(err)
	}
	defer rec.Release()
	var tids []string
	if *targeted != "" {
		if tids, err = readIDs(e, *targeted, *id); err != nil {
			return err
		}
	}
	s, err := ballot.BackcheckSample(rec, ballot.BackcheckSampleOptions{
		ID: *id, By: by, Collector: *collector, Unit: *unit, Rate: *rate,
		MinCollector: *minCollector, MinUnit: *minUnit, Targeted: tids, Keep: keep,
	}, rand.NewPCG(*seed, bcSeedStream))
	if err != nil {
		var ie *ballot.BackcheckIDError
		if errors.As(err, &ie) && ie.File == "targeted" {
			return badInput(fmt.Errorf("%s: %w", displayName(*targeted), err))
		}
		return badInput(fmt.Errorf("%s: %w", displayName(*in), err))
	}
	defer s.Release()
	inputs, err := arrowio.DescribeInputs(*in, *targeted)
	if err != nil {
		return readError(err)
	}
	if err := e.ctx.Err(); err != nil {
		return err // interrupted: write nothing
	}
	if err := arrowio.WriteRecord(*out, s.Table, arrowio.WithStdout(e.stdout), arrowio.WithInputs(inputs)); err != nil {
		return writeError(err)
	}
	w := e.stdout
	if *out == "-" {
		w = e.stderr
	}
	printBCSample(w, s, by, *unit != "", *seed)
	return nil
}

func printBCSample(w io.Writer, s *ballot.BackcheckSampleResult, by []string, units bool, seed uint64) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := "group\tballots\ttarget\trandom\ttargeted\tcollectors covered\t"
	if units {
		head += "units covered\t"
	}
	fmt.Fprintln(tw, head)
	var tot [4]int
	for _, g := range s.Groups {
		name := strings.Join(g.Key, " / ")
		if len(by) == 0 {
			name = "(all)"
		}
		line := fmt.Sprintf("%s\t%d\t%d\t%d\t%d\t%d / %d\t", name, g.Ballots, g.Target, g.Random, g.Targeted, g.CollectorsCovered, g.Collectors)
		if units {
			line += fmt.Sprintf("%d / %d\t", g.UnitsCovered, g.Units)
		}
		fmt.Fprintln(tw, line)
		tot[0] += g.Ballots
		tot[1] += g.Target
		tot[2] += g.Random
		tot[3] += g.Targeted
	}
	tw.Flush()
	fmt.Fprintf(w, "selected %d ballots of %d (%d random, target %d; %d targeted), seed %d\n", tot[2]+tot[3], tot[0], tot[2], tot[1], tot[3], seed)
}

// bcPairs parses V=VAL flag values into a map of values by variable.
func bcPairs(flagName string, l listFlag) (map[string][]string, error) {
	m := map[string][]string{}
	for _, p := range l {
		v, val, ok := strings.Cut(p, "=")
		if !ok || strings.TrimSpace(v) == "" {
			return nil, usagef("--%s %q: want VARIABLE=VALUE", flagName, p)
		}
		v = strings.TrimSpace(v)
		m[v] = append(m[v], val)
	}
	return m, nil
}

func runBCCompare(e *env, c *command, args []string) error {
	fs := newFlagSet(e, c)
	e.tableFlags(fs)
	surveyPath := fs.String("survey", "", "survey table: the keyed ballots (CSV, Parquet, Arrow IPC)")
	bcPath := fs.String("backcheck", "", "back-check table: the re-contact answers")
	id := fs.String("id", "ballot_id", "ballot id column of both tables")
	var t1, t2, t3, okrange, nodiff, exclude, ttest, signrank, reliab listFlag
	fs.Var(&t1, "t1", "type 1 variables: must not change (received a ballot, who filled it in, sex, age group)")
	fs.Var(&t2, "t2", "type 2 variables: hard to administer (differences mean retraining)")
	fs.Var(&t3, "t3", "type 3 variables: stability of interest (ratings)")
	enum := fs.String("enumerator", "", "survey column: the enumerator (collector)")
	enumteam := fs.String("enumteam", "", "survey column: the enumerator's team")
	bcer := fs.String("backchecker", "", "back-check column: the back-checker")
	bcteam := fs.String("bcteam", "", "back-check column: the back-checker's team")
	okrate := fs.Float64("okrate", 0.1, "flag error rates strictly above this")
	fs.Var(&okrange, "okrange", "V=LO:HI or V=LO%:HI%: a numeric difference bc − survey within it (bounds included) is no difference")
	fs.Var(&nodiff, "nodiff", "V=VAL: a back-check value VAL (e.g. don't know) is no difference")
	fs.Var(&exclude, "exclude", "V=VAL: drop comparisons where either value is VAL")
	exclMissing := fs.Bool("exclude-missing", false, "drop comparisons with a value missing on one side (otherwise a difference)")
	lower := fs.Bool("lower", false, "compare text in lower case")
	upper := fs.Bool("upper", false, "compare text in upper case")
	nosymbol := fs.Bool("nosymbol", false, "replace punctuation and symbols in text by spaces")
	trim := fs.Bool("trim", false, "remove outer white space of text and collapse inner runs")
	fs.Var(&ttest, "ttest", "type 2/3 numeric variables: paired t-test of survey against back-check")
	fs.Var(&signrank, "signrank", "type 2/3 numeric variables: Wilcoxon signed-rank test (as Stata's signrank)")
	fs.Var(&reliab, "reliability", "type 2/3 numeric variables: simple response variance and reliability ratio")
	allowUnmatched := fs.Bool("allow-unmatched", false, "list back-check ids that are not in the survey in summary.json instead of failing")
	full := fs.Bool("full", false, "differences.csv lists every comparison, not only the differences")
	out := fs.String("out", "", "output directory: differences.csv, enumerators.csv, enumteams.csv, backcheckers.csv, bcteams.csv, variables.csv, stability.csv, summary.json")
	if err := parseFlags(e, c, fs, args); err != nil {
		return err
	}
	switch {
	case *surveyPath == "" || *bcPath == "":
		return usagef("--survey and --backcheck are required")
	case *surveyPath == "-" && *bcPath == "-":
		return usagef("--survey and --backcheck cannot both be standard input")
	case *out == "" || *out == "-":
		return usagef("--out must name a directory")
	case len(t1)+len(t2)+len(t3) == 0:
		return usagef("give the variables to compare: --t1, --t2 and/or --t3")
	case *lower && *upper:
		return usagef("--lower and --upper cannot both be given")
	case math.IsNaN(*okrate) || *okrate < 0 || *okrate > 1:
		return usagef("--okrate %v is outside [0, 1]", *okrate)
	}
	opt := ballot.BackcheckOptions{
		ID: *id, T1: t1, T2: t2, T3: t3, Enumerator: *enum, EnumTeam: *enumteam, BackChecker: *bcer, BCTeam: *bcteam,
		OKRate: *okrate, ExcludeMissing: *exclMissing,
		Text:  ballot.TextOptions{Lower: *lower, Upper: *upper, NoSymbol: *nosymbol, Trim: *trim},
		TTest: ttest, SignRank: signrank, Reliability: reliab, AllowUnmatched: *allowUnmatched, All: *full,
	}
	var err error
	if opt.NoDiff, err = bcPairs("nodiff", nodiff); err != nil {
		return err
	}
	if opt.Exclude, err = bcPairs("exclude", exclude); err != nil {
		return err
	}
	ranges, err := bcPairs("okrange", okrange)
	if err != nil {
		return err
	}
	opt.OKRange = map[string]ballot.OKRange{}
	for v, rs := range ranges {
		if len(rs) > 1 {
			return usagef("--okrange: variable %q has %d ranges; give one", v, len(rs))
		}
		r, err := ballot.ParseOKRange(rs[0])
		if err != nil {
			return usagef("--okrange %s: %v", v, err)
		}
		opt.OKRange[v] = r
	}

	types := map[string]arrow.DataType{*id: arrow.BinaryTypes.String}
	survey, err := arrowio.ReadAll(*surveyPath, e.in(), arrowio.WithTypes(types))
	if err != nil {
		return readError(err)
	}
	defer survey.Release()
	bc, err := arrowio.ReadAll(*bcPath, e.in(), arrowio.WithTypes(types))
	if err != nil {
		return readError(err)
	}
	defer bc.Release()

	r, err := ballot.CompareBackcheck(survey, bc, opt)
	if err != nil {
		var ie *ballot.BackcheckIDError
		var ce *ballot.BackcheckColumnsError
		switch {
		case errors.As(err, &ce):
			err = fmt.Errorf("%w (survey %s, back-check %s)", err, displayName(*surveyPath), displayName(*bcPath))
		case errors.As(err, &ie) && ie.File == "survey":
			err = fmt.Errorf("%s: %w", displayName(*surveyPath), err)
		case errors.As(err, &ie):
			err = fmt.Errorf("%s: %w", displayName(*bcPath), err)
		}
		return badInput(err)
	}
	inputs, err := arrowio.DescribeInputs(*surveyPath, *bcPath)
	if err != nil {
		return readError(err)
	}
	if err := e.ctx.Err(); err != nil {
		return err // interrupted: write nothing
	}
	if err := arrowio.WriteTextSet(*out, bcFiles(r, opt, inputs)); err != nil {
		return err
	}
	printBCCompare(e.stdout, r, opt, *out)
	return nil
}

// bcFiles are the output files of backcheck compare.
func bcFiles(r *ballot.BackcheckResult, opt ballot.BackcheckOptions, inputs []arrowio.Input) []arrowio.TextFile {
	flag01 := func(b bool) string {
		if b {
			return "1"
		}
		return "0"
	}
	rates := func(first string, rs []ballot.BackcheckRate) func(io.Writer) error {
		return bcCSV([]string{first, "type", "differences", "comparisons", "error_rate", "flagged"}, len(rs), func(i int) []string {
			x := rs[i]
			return []string{x.Name, x.Type, strconv.Itoa(x.Differences), strconv.Itoa(x.Comparisons), csvFloat(x.ErrorRate), flag01(x.Flagged)}
		})
	}
	return []arrowio.TextFile{
		{Name: "differences.csv", Write: bcCSV([]string{opt.ID, "type", "variable", "survey", "backcheck", "differ", "enumerator", "enumteam", "backchecker", "bcteam"},
			len(r.Rows), func(i int) []string {
				x := r.Rows[i]
				return []string{x.ID, strconv.Itoa(x.Type), x.Variable, x.Survey, x.Backcheck, flag01(x.Differ), x.Enumerator, x.EnumTeam, x.BackChecker, x.BCTeam}
			})},
		{Name: "enumerators.csv", Write: rates("enumerator", r.Enumerators)},
		{Name: "enumteams.csv", Write: rates("enumteam", r.EnumTeams)},
		{Name: "backcheckers.csv", Write: rates("name", r.BackCheckers)},
		{Name: "bcteams.csv", Write: rates("name", r.BCTeams)},
		{Name: "variables.csv", Write: rates("variable", r.Variables)},
		{Name: "stability.csv", Write: bcCSV([]string{"variable", "type", "test", "n", "statistic", "p_value", "srv", "rr"}, len(r.Stability), func(i int) []string {
			x := r.Stability[i]
			return []string{x.Variable, strconv.Itoa(x.Type), x.Test, strconv.Itoa(x.N), csvFloat(x.Statistic), csvFloat(x.PValue), csvFloat(x.SRV), csvFloat(x.RR)}
		})},
		{Name: "summary.json", Write: func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(bcSummary(r, opt, inputs))
		}},
	}
}

// bcCSV writes a CSV file in UTF-8 with a byte order mark (spreadsheet
// programs then read Vietnamese text right).
func bcCSV(header []string, n int, row func(i int) []string) func(io.Writer) error {
	return func(w io.Writer) error {
		if _, err := io.WriteString(w, "\ufeff"); err != nil {
			return err
		}
		return writeCSV(w, header, n, row)
	}
}

type bcRateJSON struct {
	Name        string  `json:"name"`
	Type        string  `json:"type"`
	Differences int     `json:"differences"`
	Comparisons int     `json:"comparisons"`
	ErrorRate   jsonNum `json:"error_rate"`
	Flagged     bool    `json:"flagged"`
}

type bcStabilityJSON struct {
	Variable  string  `json:"variable"`
	Type      int     `json:"type"`
	Test      string  `json:"test"`
	N         int     `json:"n"`
	Statistic jsonNum `json:"statistic"`
	PValue    jsonNum `json:"p_value"`
	SRV       jsonNum `json:"srv"`
	RR        jsonNum `json:"rr"`
	// t-test: means over the pairs and degrees of freedom.
	MeanSurvey    *jsonNum `json:"mean_survey,omitempty"`
	MeanBackcheck *jsonNum `json:"mean_backcheck,omitempty"`
	DF            *jsonNum `json:"df,omitempty"`
	// signrank: counts and rank sums by sign, expected sum, variance.
	Positive    *int     `json:"positive,omitempty"`
	Negative    *int     `json:"negative,omitempty"`
	Zero        *int     `json:"zero,omitempty"`
	SumPositive *jsonNum `json:"sum_positive,omitempty"`
	SumNegative *jsonNum `json:"sum_negative,omitempty"`
	Expected    *jsonNum `json:"expected,omitempty"`
	Variance    *jsonNum `json:"variance,omitempty"`
	// reliability: the variance of the back-check values.
	BackcheckVariance *jsonNum `json:"backcheck_variance,omitempty"`
}

type bcRowJSON struct {
	ID          string `json:"id"`
	Type        int    `json:"type"`
	Variable    string `json:"variable"`
	Survey      string `json:"survey"`
	Backcheck   string `json:"backcheck"`
	Differ      bool   `json:"differ"`
	Enumerator  string `json:"enumerator"`
	EnumTeam    string `json:"enumteam"`
	BackChecker string `json:"backchecker"`
	BCTeam      string `json:"bcteam"`
}

type bcSummaryJSON struct {
	// Inputs are the survey and back-check files (name, size, SHA-256).
	Inputs    []arrowio.Input `json:"inputs"`
	ID        string          `json:"id"`
	Variables struct {
		T1 []string `json:"t1"`
		T2 []string `json:"t2"`
		T3 []string `json:"t3"`
	} `json:"variables"`
	Options struct {
		OKRate         float64             `json:"okrate"`
		OKRange        map[string]string   `json:"okrange"`
		NoDiff         map[string][]string `json:"nodiff"`
		Exclude        map[string][]string `json:"exclude"`
		ExcludeMissing bool                `json:"exclude_missing"`
		Lower          bool                `json:"lower"`
		Upper          bool                `json:"upper"`
		NoSymbol       bool                `json:"nosymbol"`
		Trim           bool                `json:"trim"`
		Full           bool                `json:"full"`
	} `json:"options"`
	SurveyBallots    int               `json:"survey_ballots"`
	BackcheckBallots int               `json:"backcheck_ballots"`
	Matched          int               `json:"matched"`
	Unmatched        []string          `json:"unmatched"`
	Comparisons      int               `json:"comparisons"`
	Differences      int               `json:"differences"`
	ErrorRate        jsonNum           `json:"error_rate"`
	Numeric          map[string]bool   `json:"compared_as_numbers"`
	Enumerators      []bcRateJSON      `json:"enumerators"`
	EnumTeams        []bcRateJSON      `json:"enumteams"`
	BackCheckers     []bcRateJSON      `json:"backcheckers"`
	BCTeams          []bcRateJSON      `json:"bcteams"`
	VariableRates    []bcRateJSON      `json:"variable_rates"`
	Stability        []bcStabilityJSON `json:"stability"`
	Rows             []bcRowJSON       `json:"rows"`
}

func bcSummary(r *ballot.BackcheckResult, opt ballot.BackcheckOptions, inputs []arrowio.Input) *bcSummaryJSON {
	s := &bcSummaryJSON{Inputs: inputs, ID: opt.ID,
		SurveyBallots: r.SurveyBallots, BackcheckBallots: r.BackcheckBallots, Matched: r.Matched,
		Unmatched: append([]string{}, r.Unmatched...), Comparisons: r.Comparisons, Differences: r.Differences,
		ErrorRate: jsonNum(math.NaN()), Numeric: r.Numeric}
	if r.Comparisons > 0 {
		s.ErrorRate = jsonNum(float64(r.Differences) / float64(r.Comparisons))
	}
	s.Variables.T1, s.Variables.T2, s.Variables.T3 = nonNil(opt.T1), nonNil(opt.T2), nonNil(opt.T3)
	o := &s.Options
	o.OKRate, o.ExcludeMissing, o.Full = opt.OKRate, opt.ExcludeMissing, opt.All
	o.Lower, o.Upper, o.NoSymbol, o.Trim = opt.Text.Lower, opt.Text.Upper, opt.Text.NoSymbol, opt.Text.Trim
	o.NoDiff, o.Exclude, o.OKRange = opt.NoDiff, opt.Exclude, map[string]string{}
	for v, rg := range opt.OKRange {
		pct := ""
		if rg.Percent {
			pct = "%"
		}
		o.OKRange[v] = fmt.Sprintf("%s%s:%s%s", csvFloat(rg.Lo), pct, csvFloat(rg.Hi), pct)
	}
	rates := func(rs []ballot.BackcheckRate) []bcRateJSON {
		out := make([]bcRateJSON, len(rs))
		for i, x := range rs {
			out[i] = bcRateJSON{x.Name, x.Type, x.Differences, x.Comparisons, jsonNum(x.ErrorRate), x.Flagged}
		}
		return out
	}
	s.Enumerators, s.EnumTeams, s.BackCheckers, s.BCTeams, s.VariableRates =
		rates(r.Enumerators), rates(r.EnumTeams), rates(r.BackCheckers), rates(r.BCTeams), rates(r.Variables)
	num := func(v float64) *jsonNum { j := jsonNum(v); return &j }
	s.Stability = []bcStabilityJSON{}
	for _, x := range r.Stability {
		j := bcStabilityJSON{Variable: x.Variable, Type: x.Type, Test: x.Test, N: x.N, Statistic: jsonNum(x.Statistic),
			PValue: jsonNum(x.PValue), SRV: jsonNum(x.SRV), RR: jsonNum(x.RR)}
		switch {
		case x.TTest != nil:
			j.MeanSurvey, j.MeanBackcheck, j.DF = num(x.TTest.MeanX), num(x.TTest.MeanY), num(x.TTest.DF)
		case x.SignRank != nil:
			sr := x.SignRank
			j.Positive, j.Negative, j.Zero = &sr.NPos, &sr.NNeg, &sr.NZero
			j.SumPositive, j.SumNegative, j.Expected, j.Variance = num(sr.SumPos), num(sr.SumNeg), num(sr.Expected), num(sr.Variance)
		case x.Reliability != nil:
			j.BackcheckVariance = num(x.Reliability.Variance)
		}
		s.Stability = append(s.Stability, j)
	}
	s.Rows = make([]bcRowJSON, len(r.Rows))
	for i, x := range r.Rows {
		s.Rows[i] = bcRowJSON{x.ID, x.Type, x.Variable, x.Survey, x.Backcheck, x.Differ, x.Enumerator, x.EnumTeam, x.BackChecker, x.BCTeam}
	}
	return s
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// printBCCompare prints the counts, the flagged enumerators (worst first)
// and the variables.
func printBCCompare(w io.Writer, r *ballot.BackcheckResult, opt ballot.BackcheckOptions, dir string) {
	fmt.Fprintf(w, "back-check: %d ballots, %d found in the survey of %d", r.BackcheckBallots, r.Matched, r.SurveyBallots)
	if len(r.Unmatched) > 0 {
		fmt.Fprintf(w, "; %d not in the survey (listed in summary.json)", len(r.Unmatched))
	}
	fmt.Fprintf(w, "\n%d comparisons, %d differences (%s)\n", r.Comparisons, r.Differences, pct(float64(r.Differences)/float64(r.Comparisons)))
	if opt.Enumerator != "" {
		var flagged []ballot.BackcheckRate
		for _, x := range r.Enumerators {
			if x.Flagged {
				flagged = append(flagged, x)
			}
		}
		// Worst first across types; the library orders within a type.
		sortFlagged(flagged)
		fmt.Fprintf(w, "\nenumerators with an error rate above %s: %d\n", pct(opt.OKRate), len(flagged))
		if len(flagged) > 0 {
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "  enumerator\ttype\tdifferences\tcomparisons\terror rate")
			for _, x := range flagged {
				fmt.Fprintf(tw, "  %s\t%s\t%d\t%d\t%s\n", x.Name, x.Type, x.Differences, x.Comparisons, pct(x.ErrorRate))
			}
			tw.Flush()
		}
	}
	fmt.Fprintln(w, "\nvariables:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  variable\ttype\tdifferences\tcomparisons\terror rate\t")
	for _, x := range r.Variables {
		mark := ""
		if x.Flagged {
			mark = "flagged"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%d\t%d\t%s\t%s\n", x.Name, x.Type, x.Differences, x.Comparisons, pct(x.ErrorRate), mark)
	}
	tw.Flush()
	for _, x := range r.Stability {
		switch x.Test {
		case "reliability":
			fmt.Fprintf(w, "%s: reliability ratio %s (SRV %s, n %d)\n", x.Variable, fmt3(x.RR), fmt3(x.SRV), x.N)
		default:
			fmt.Fprintf(w, "%s: %s statistic %s, p %s (n %d)\n", x.Variable, x.Test, fmt3(x.Statistic), fmt3(x.PValue), x.N)
		}
	}
	fmt.Fprintf(w, "written to %s\n", dir)
}

func fmt3(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}

// sortFlagged orders rates worst first, then by type and name.
func sortFlagged(r []ballot.BackcheckRate) {
	slices.SortFunc(r, func(a, b ballot.BackcheckRate) int {
		return cmp.Or(cmp.Compare(b.ErrorRate, a.ErrorRate), strings.Compare(a.Type, b.Type), strings.Compare(a.Name, b.Name))
	})
}
