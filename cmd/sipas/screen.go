package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/index/ballot"
	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/report"
)

func init() {
	c := &command{
		name:    "screen",
		usage:   "--in BALLOTS [--questionnaire Q.json | --items V,..] [--id ballot_id] [--by province] [--collector COL] [--match 0.85] --out DIR",
		summary: "screen ballots for fabrication: straight-lining, near-copies (maximum percent match), collectors that stand out",
	}
	c.run = func(e *env, args []string) error { return runScreen(e, c, args) }
	register(c)
}

func runScreen(e *env, c *command, args []string) error {
	fs := newFlagSet(e, c)
	e.tableFlags(fs)
	in := fs.String("in", "", "ballot table (CSV, Parquet, Arrow IPC; - for stdin, any of these)")
	qpath := fs.String("questionnaire", "", questionnaireUsage)
	var items listFlag
	fs.Var(&items, "items", "answer columns to screen, in order (default: the questionnaire's criteria)")
	id := fs.String("id", "ballot_id", "ballot id column")
	by := fs.String("by", "province", "columns whose values form the groups compared within (comma-separated); none: all ballots together")
	collector := fs.String("collector", "", "column naming the collector: per-collector indicators and the cross-collector reference")
	match := fs.Float64("match", ballot.DefaultMatch, "fixed threshold on the maximum percent match, in (0, 1]")
	out := fs.String("out", "", "output directory: ballots.csv, flagged.csv, collectors.csv, summary.json")
	show := fs.Int("show", 10, "print at most N collectors at risk per group (0: none)")
	if err := parseFlags(e, c, fs, args); err != nil {
		return err
	}
	switch {
	case *in == "":
		return usagef("--in is required")
	case *out == "" || *out == "-":
		return usagef("--out is required (a directory)")
	case !(*match > 0 && *match <= 1):
		return usagef("--match %v is outside (0, 1]", *match)
	}
	// With --questionnaire and --items, the questionnaire gives the valid
	// and missing codes and --items the columns.
	var byCols listFlag
	if *by != "none" {
		byCols.Set(*by)
	}
	q, err := loadQuestionnaireFlag(*qpath)
	if err != nil {
		return badInput(err)
	}
	// Ids, groups and collectors are read as text so that "007" stays
	// "007" in the outputs.
	types := map[string]arrow.DataType{*id: arrow.BinaryTypes.String}
	for _, b := range byCols {
		types[b] = arrow.BinaryTypes.String
	}
	if *collector != "" {
		types[*collector] = arrow.BinaryTypes.String
	}
	rec, err := arrowio.ReadAll(*in, e.in(), arrowio.WithTypes(types))
	if err != nil {
		return readError(err)
	}
	defer rec.Release()
	opt := &ballot.ScreenOptions{Questionnaire: q, Items: items, ID: *id, By: byCols, Collector: *collector, Match: *match}
	s, err := ballot.Screen(e.ctx, rec, opt)
	if err != nil {
		if e.ctx.Err() != nil {
			return err
		}
		return badInput(fmt.Errorf("%s: %w", displayName(*in), err))
	}
	meta := screenMeta{Input: displayName(*in), Questionnaire: q.ID, ID: *id, By: byCols, Collector: *collector}
	if err := writeScreenDir(*out, s, meta); err != nil {
		return err
	}
	printScreening(e.stdout, s, meta, *show)
	return nil
}

// writeScreenDir writes ballots.csv, flagged.csv, collectors.csv and
// summary.json into dir as one set.
func writeScreenDir(dir string, s *ballot.Screening, meta screenMeta) error {
	return arrowio.WriteTextSet(dir, []arrowio.TextFile{
		{Name: "ballots.csv", Write: func(w io.Writer) error { return writeScreenBallots(w, s, meta) }},
		{Name: "flagged.csv", Write: func(w io.Writer) error { return writeScreenFlagged(w, s, meta) }},
		{Name: "collectors.csv", Write: func(w io.Writer) error { return writeScreenCollectors(w, s, meta) }},
		{Name: "summary.json", Write: func(w io.Writer) error { return writeScreenSummary(w, s, meta) }},
	})
}

// screenMeta is what the outputs say about the run.
type screenMeta struct {
	Input, Questionnaire, ID string
	By                       []string
	Collector                string
}

func bit(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// writeRowsCSV writes header and n rows as CSV in UTF-8 with a byte order
// mark (report's table format, which spreadsheets read as UTF-8).
func writeRowsCSV(w io.Writer, header []string, n int, row func(i int) []string) error {
	t := report.Table{Header: header, Rows: make([][]string, n)}
	for i := range t.Rows {
		t.Rows[i] = row(i)
	}
	return report.WriteCSV(w, t)
}

// writeScreenBallots writes ballots.csv: one row per input row, in input
// order.
func writeScreenBallots(w io.Writer, s *ballot.Screening, m screenMeta) error {
	return writeScreenRows(w, s, m, nil)
}

// writeScreenFlagged writes flagged.csv: the rows of ballots.csv with a
// flag, the targeted ballots for a back-check (sipas backcheck sample
// --targeted).
func writeScreenFlagged(w io.Writer, s *ballot.Screening, m screenMeta) error {
	rows := []int{}
	for i, b := range s.Ballots {
		if b.FlagMatch || b.Straightline || b.FlagDuplicate {
			rows = append(rows, i)
		}
	}
	return writeScreenRows(w, s, m, rows)
}

// writeScreenRows writes the ballots rows (all of them when nil) in the
// columns of ballots.csv.
func writeScreenRows(w io.Writer, s *ballot.Screening, m screenMeta, rows []int) error {
	header := append(append([]string{m.ID}, m.By...), "collector", "answered", "nonresponse", "longstring", "irv",
		"straightline", "max_match", "match_id", "match_ref", "flag_match", "flag_straightline", "flag_duplicate")
	n := len(s.Ballots)
	if rows != nil {
		n = len(rows)
	}
	return writeRowsCSV(w, header, n, func(i int) []string {
		if rows != nil {
			i = rows[i]
		}
		b := &s.Ballots[i]
		g := &s.Groups[b.Group]
		row := append(append([]string{b.ID}, g.Key...), b.Collector, strconv.Itoa(b.Answered), csvFloat(b.Nonresponse),
			strconv.Itoa(b.Longstring), csvFloat(b.IRV), bit(b.Straightline), csvFloat(b.MaxMatch), b.MatchID,
			csvFloat(g.MatchRef), bit(b.FlagMatch), bit(b.Straightline), bit(b.FlagDuplicate))
		return row
	})
}

// writeScreenCollectors writes collectors.csv: by group, then rank.
func writeScreenCollectors(w io.Writer, s *ballot.Screening, m screenMeta) error {
	header := append(append([]string{}, m.By...), "collector", "ballots")
	for t := ballot.Indicator(0); t < ballot.NumIndicators; t++ {
		header = append(header, t.String())
	}
	for t := ballot.Indicator(0); t < ballot.NumIndicators; t++ {
		header = append(header, "z_"+t.String())
	}
	header = append(header, "risk", "risk_sum", "rank")
	return writeRowsCSV(w, header, len(s.Collectors), func(i int) []string {
		c := &s.Collectors[i]
		row := append(append([]string{}, s.Groups[c.Group].Key...), c.Collector, strconv.Itoa(c.Ballots))
		for _, v := range c.Value {
			row = append(row, csvFloat(v))
		}
		for _, z := range c.Z {
			row = append(row, csvFloat(z))
		}
		return append(row, strconv.Itoa(c.Risk), csvFloat(c.RiskSum), strconv.Itoa(c.Rank))
	})
}

type screenGroupJSON struct {
	Key              map[string]string `json:"key"`
	Ballots          int               `json:"ballots"`
	Collectors       int               `json:"collectors"`
	MatchRef         jsonNum           `json:"match_ref"`
	RefN             int               `json:"match_ref_n"`
	FlagMatch        int               `json:"flag_match"`
	FlagStraightline int               `json:"flag_straightline"`
	FlagDuplicate    int               `json:"flag_duplicate"`
}

type screenCollectorJSON struct {
	Key       map[string]string  `json:"key"`
	Collector string             `json:"collector"`
	Ballots   int                `json:"ballots"`
	Value     map[string]jsonNum `json:"value"`
	Z         map[string]jsonNum `json:"z"`
	Risk      int                `json:"risk"`
	RiskSum   jsonNum            `json:"risk_sum"`
	Rank      int                `json:"rank"`
}

type screenBallotJSON struct {
	ID               string  `json:"id"`
	Group            int     `json:"group"`
	Collector        string  `json:"collector,omitempty"`
	Answered         int     `json:"answered"`
	Nonresponse      jsonNum `json:"nonresponse"`
	Longstring       int     `json:"longstring"`
	IRV              jsonNum `json:"irv"`
	MaxMatch         jsonNum `json:"max_match"`
	MatchID          string  `json:"match_id"`
	FlagMatch        bool    `json:"flag_match"`
	FlagStraightline bool    `json:"flag_straightline"`
	FlagDuplicate    bool    `json:"flag_duplicate"`
}

type screenSummaryJSON struct {
	Input         string   `json:"input"`
	Questionnaire string   `json:"questionnaire"`
	Items         []string `json:"items"`
	ID            string   `json:"id"`
	By            []string `json:"by"`
	Collector     string   `json:"collector"`
	Thresholds    struct {
		Match            float64 `json:"match"`
		MatchRefQuantile float64 `json:"match_ref_quantile"`
		MinBoth          int     `json:"min_items_answered_on_both"`
		StraightlineMin  int     `json:"straightline_min_answers"`
		RiskZ            float64 `json:"risk_abs_z"`
	} `json:"thresholds"`
	Ballots    int                   `json:"ballots"`
	Groups     []screenGroupJSON     `json:"groups"`
	Collectors []screenCollectorJSON `json:"collectors"`
	BallotRows []screenBallotJSON    `json:"ballot_rows"`
}

// writeScreenSummary writes summary.json: the thresholds, the groups, the
// collectors and the ballots (group is an index into groups).
func writeScreenSummary(w io.Writer, s *ballot.Screening, m screenMeta) error {
	out := screenSummaryJSON{Input: m.Input, Questionnaire: m.Questionnaire, Items: s.Items, ID: m.ID, By: m.By,
		Collector: m.Collector, Ballots: len(s.Ballots)}
	if out.By == nil {
		out.By = []string{}
	}
	out.Thresholds.Match, out.Thresholds.MatchRefQuantile = s.Match, s.Quantile
	out.Thresholds.MinBoth, out.Thresholds.StraightlineMin, out.Thresholds.RiskZ = s.MinBoth, ballot.StraightlineMin, 2
	key := func(g int) map[string]string {
		k := map[string]string{}
		for i, c := range m.By {
			k[c] = s.Groups[g].Key[i]
		}
		return k
	}
	out.Groups = make([]screenGroupJSON, len(s.Groups))
	for i, g := range s.Groups {
		out.Groups[i] = screenGroupJSON{Key: key(i), Ballots: g.Ballots, Collectors: g.Collectors, MatchRef: jsonNum(g.MatchRef),
			RefN: g.RefN, FlagMatch: g.FlagMatch, FlagStraightline: g.FlagStraightline, FlagDuplicate: g.FlagDuplicate}
	}
	out.Collectors = make([]screenCollectorJSON, len(s.Collectors))
	for i, c := range s.Collectors {
		cj := screenCollectorJSON{Key: key(c.Group), Collector: c.Collector, Ballots: c.Ballots, Value: map[string]jsonNum{},
			Z: map[string]jsonNum{}, Risk: c.Risk, RiskSum: jsonNum(c.RiskSum), Rank: c.Rank}
		for t := ballot.Indicator(0); t < ballot.NumIndicators; t++ {
			cj.Value[t.String()], cj.Z[t.String()] = jsonNum(c.Value[t]), jsonNum(c.Z[t])
		}
		out.Collectors[i] = cj
	}
	out.BallotRows = make([]screenBallotJSON, len(s.Ballots))
	for i, b := range s.Ballots {
		out.BallotRows[i] = screenBallotJSON{ID: b.ID, Group: b.Group, Collector: b.Collector, Answered: b.Answered,
			Nonresponse: jsonNum(b.Nonresponse), Longstring: b.Longstring, IRV: jsonNum(b.IRV), MaxMatch: jsonNum(b.MaxMatch),
			MatchID: b.MatchID, FlagMatch: b.FlagMatch, FlagStraightline: b.Straightline, FlagDuplicate: b.FlagDuplicate}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// printScreening prints per group the flagged ballots and the chance
// reference, then the collectors at risk (risk > 0), worst first.
func printScreening(w io.Writer, s *ballot.Screening, m screenMeta, show int) {
	fmt.Fprintf(w, "screened %d ballots on %d items (questionnaire %s), %d groups; a pair counts when both answered ≥ %d items\n",
		len(s.Ballots), len(s.Items), m.Questionnaire, len(s.Groups), s.MinBoth)
	var fm, fs, fd int
	for _, g := range s.Groups {
		fm, fs, fd = fm+g.FlagMatch, fs+g.FlagStraightline, fd+g.FlagDuplicate
	}
	fmt.Fprintf(w, "flagged: %d near-copies (max_match ≥ max(%.2f, match_ref)), %d straight-lined, %d duplicates\n", fm, s.Match, fs, fd)
	if len(m.By) > 0 {
		fmt.Fprintf(w, "\n%-24s %8s %10s %9s %10s %12s %10s\n", strings.Join(m.By, "/"), "ballots", "collectors", "match_ref", "near-copy", "straightline", "duplicate")
		for _, g := range s.Groups {
			fmt.Fprintf(w, "%-24s %8d %10d %9s %10d %12d %10d\n", strings.Join(g.Key, "/"), g.Ballots, g.Collectors, fmt2(g.MatchRef),
				g.FlagMatch, g.FlagStraightline, g.FlagDuplicate)
		}
	}
	if len(s.Collectors) == 0 || show == 0 {
		return
	}
	fmt.Fprintf(w, "\ncollectors at risk (indicators with |z| > 2), worst first in each group:\n")
	fmt.Fprintf(w, "%-24s %-16s %4s %5s %8s %7s", "group", "collector", "rank", "risk", "risk_sum", "ballots")
	for t := ballot.Indicator(0); t < ballot.NumIndicators; t++ {
		fmt.Fprintf(w, " %12s", "z_"+t.String())
	}
	fmt.Fprintln(w)
	any := false
	for _, c := range s.Collectors {
		if c.Risk == 0 || c.Rank > show {
			continue
		}
		any = true
		fmt.Fprintf(w, "%-24s %-16s %4d %5d %8s %7d", strings.Join(s.Groups[c.Group].Key, "/"), c.Collector, c.Rank, c.Risk, fmt2(c.RiskSum), c.Ballots)
		for _, z := range c.Z {
			fmt.Fprintf(w, " %12s", fmt2(z))
		}
		fmt.Fprintln(w)
	}
	if !any {
		fmt.Fprintln(w, "(none)")
	}
}
