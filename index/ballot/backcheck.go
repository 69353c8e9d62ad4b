package ballot

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/apache/arrow-go/v18/arrow"
	"golang.org/x/text/unicode/norm"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/catcode"
)

// BackcheckOptions configures CompareBackcheck. ID and at least one
// variable are required; the zero value of the rest compares text exactly
// (after NFC), flags every enumerator with a nonzero error rate and keeps
// only the differences.
type BackcheckOptions struct {
	// ID is the ballot id column of both tables (matched as text with
	// surrounding spaces removed).
	ID string
	// T1, T2 and T3 are the variables of each type: type 1 must not change
	// (a difference may mean the answer was invented), type 2 are hard to
	// administer (a difference means retraining), type 3 are those whose
	// stability is of interest. A variable may appear in one list once.
	T1, T2, T3 []string
	// Enumerator and EnumTeam are columns of the survey table; BackChecker
	// and BCTeam of the back-check table; "" skips that table of rates.
	Enumerator, EnumTeam, BackChecker, BCTeam string
	// OKRate flags a rate strictly above it.
	OKRate float64
	// OKRange, by variable, counts a numeric difference within the range as
	// no difference.
	OKRange map[string]OKRange
	// NoDiff, by variable, counts a comparison as no difference when the
	// back-check value is one of the values, whatever the survey value.
	NoDiff map[string][]string
	// Exclude, by variable, drops a comparison when either value is one of
	// the values.
	Exclude map[string][]string
	// ExcludeMissing drops a comparison with a value missing on one side
	// (otherwise it is a difference).
	ExcludeMissing bool
	// Text says how text values are made comparable.
	Text TextOptions
	// TTest, SignRank and Reliability are type 2 or 3 numeric variables for
	// the paired t-test, the signed-rank test and the reliability ratio.
	TTest, SignRank, Reliability []string
	// AllowUnmatched lists back-check ids that are not in the survey in
	// BackcheckResult.Unmatched instead of failing.
	AllowUnmatched bool
	// All keeps every comparison in BackcheckResult.Rows, not only the
	// differences.
	All bool
}

// OKRange is a tolerated numeric difference: bc − survey in [Lo, Hi], or,
// with Percent, in [Lo/100·|survey|, Hi/100·|survey|]; bounds included.
type OKRange struct {
	Lo, Hi  float64
	Percent bool
}

// ParseOKRange parses "LO:HI" (e.g. "-2:2") or "LO%:HI%" (e.g.
// "-10%:10%").
func ParseOKRange(s string) (OKRange, error) {
	lo, hi, ok := strings.Cut(s, ":")
	if !ok {
		return OKRange{}, fmt.Errorf("range %q: want LO:HI or LO%%:HI%%", s)
	}
	lo, hi = strings.TrimSpace(lo), strings.TrimSpace(hi)
	pl, ph := strings.HasSuffix(lo, "%"), strings.HasSuffix(hi, "%")
	if pl != ph {
		return OKRange{}, fmt.Errorf("range %q: both bounds or neither must be percentages", s)
	}
	var r OKRange
	var err1, err2 error
	r.Percent = pl
	r.Lo, err1 = strconv.ParseFloat(strings.TrimSuffix(lo, "%"), 64)
	r.Hi, err2 = strconv.ParseFloat(strings.TrimSuffix(hi, "%"), 64)
	if err := errors.Join(err1, err2); err != nil || math.IsNaN(r.Lo) || math.IsNaN(r.Hi) {
		return OKRange{}, fmt.Errorf("range %q: the bounds must be numbers", s)
	}
	if r.Lo > r.Hi {
		return OKRange{}, fmt.Errorf("range %q: the lower bound is above the upper bound", s)
	}
	return r, nil
}

// contains reports whether bc − survey is within the range.
func (r OKRange) contains(survey, bc float64) bool {
	d := bc - survey
	if r.Percent {
		a := math.Abs(survey)
		return r.Lo/100*a <= d && d <= r.Hi/100*a
	}
	return r.Lo <= d && d <= r.Hi
}

// TextOptions make text values comparable. Text is always put in Unicode
// NFC first, so that a precomposed and a decomposed Vietnamese letter are
// equal.
type TextOptions struct {
	// Lower or Upper folds case (not both).
	Lower, Upper bool
	// NoSymbol replaces each Unicode punctuation or symbol character by a
	// space (before trimming).
	NoSymbol bool
	// Trim removes outer white space (U+00A0 included) and collapses inner
	// runs to one space.
	Trim bool
}

// Normalize returns s as it is compared.
func (t TextOptions) Normalize(s string) string {
	s = norm.NFC.String(s)
	switch {
	case t.Lower:
		s = norm.NFC.String(strings.ToLower(s))
	case t.Upper:
		s = norm.NFC.String(strings.ToUpper(s))
	}
	if t.NoSymbol {
		s = strings.Map(func(r rune) rune {
			if unicode.IsPunct(r) || unicode.IsSymbol(r) {
				return ' '
			}
			return r
		}, s)
	}
	if t.Trim {
		s = strings.Join(strings.Fields(s), " ")
	}
	return s
}

// Rate types of BackcheckRate.Type besides "1", "2" and "3".
const RateAllTypes = "all"

// BackcheckRate is an error rate: differences / comparisons of one
// enumerator, team, back-checker or variable over the variables of one type
// (or all types pooled).
type BackcheckRate struct {
	Name        string
	Type        string // "1", "2", "3" or RateAllTypes
	Differences int
	Comparisons int
	ErrorRate   float64 // NaN without comparisons
	Flagged     bool    // ErrorRate > OKRate
}

// BackcheckRow is one comparison of a variable on a ballot.
type BackcheckRow struct {
	ID       string
	Type     int
	Variable string
	// Survey and Backcheck are the values as read (numbers formatted in
	// the shortest form that reads back), "" when missing.
	Survey, Backcheck                         string
	Differ                                    bool
	Enumerator, EnumTeam, BackChecker, BCTeam string
}

// BackcheckStability is one stability test of a variable: the paired
// t-test ("ttest", statistic t), the signed-rank test ("signrank",
// statistic z) or the reliability ratio ("reliability", SRV and RR).
type BackcheckStability struct {
	Variable    string
	Type        int
	Test        string
	N           int
	Statistic   float64
	PValue      float64
	SRV, RR     float64
	TTest       *TTestResult       // for "ttest"
	SignRank    *SignRankResult    // for "signrank"
	Reliability *ReliabilityResult // for "reliability"
}

// BackcheckResult is the result of CompareBackcheck.
type BackcheckResult struct {
	// SurveyBallots and BackcheckBallots are the rows of the tables;
	// Matched the back-checked ballots found in the survey.
	SurveyBallots, BackcheckBallots, Matched int
	// Unmatched are the back-check ids not in the survey (with
	// AllowUnmatched), in back-check order.
	Unmatched []string
	// Comparisons and Differences over every variable.
	Comparisons, Differences int
	// Numeric tells, by variable, whether it was compared as numbers.
	Numeric map[string]bool
	// Rows are the differences (every comparison with All), by variable in
	// the order T1, T2, T3, then back-check row.
	Rows []BackcheckRow
	// Enumerators and EnumTeams are by type 1 then 2; BackCheckers and
	// BCTeams by type all, 1, 2, 3; Variables by type. Within a type:
	// worst error rate first (no rate last), then by name.
	Enumerators, EnumTeams, BackCheckers, BCTeams, Variables []BackcheckRate
	// Stability are the tests in the order TTest, SignRank, Reliability.
	Stability []BackcheckStability
}

// Kinds of BackcheckIDError.
const (
	BackcheckDuplicateID = "duplicate"
	BackcheckMissingID   = "missing"
	BackcheckUnmatchedID = "not in the survey"
	BackcheckUnknownID   = "not a ballot"
)

// BackcheckIDError is a ballot id problem: ids repeated or missing in one
// table, back-check ids not in the survey, or targeted ids that are not
// ballots.
type BackcheckIDError struct {
	Kind   string // one of the Backcheck*ID constants
	File   string // "survey", "back-check", "ballots" or "targeted"
	Column string
	IDs    []string // the ids (for missing ids: the 1-based rows)
}

func (e *BackcheckIDError) Error() string {
	list := bcList(e.IDs)
	switch e.Kind {
	case BackcheckDuplicateID:
		return fmt.Sprintf("%s: ballot id column %q repeats %d id(s): %s; each ballot must appear once", e.File, e.Column, len(e.IDs), list)
	case BackcheckMissingID:
		return fmt.Sprintf("%s: ballot id column %q is empty in row(s) %s; every ballot needs its id", e.File, e.Column, list)
	case BackcheckUnmatchedID:
		return fmt.Sprintf("%s: %d ballot id(s) are not in the survey: %s; fix the ids or drop those rows", e.File, len(e.IDs), list)
	default:
		return fmt.Sprintf("%s: %d id(s) are not ballots of the table: %s", e.File, len(e.IDs), list)
	}
}

// BackcheckColumnsError names the columns missing from each table.
type BackcheckColumnsError struct {
	Survey, Backcheck []string // missing columns (for a sample: Survey holds the ballot table's)
	Table             string   // name of the first table ("survey" or "ballots")
	// Near holds, for a missing column that a table has under a spelling
	// differing only in case, Unicode normalisation, invisible characters
	// or outer spaces (arrowio.NearMissOf), that header.
	Near map[string]string
}

func (e *BackcheckColumnsError) Error() string {
	var parts []string
	if len(e.Survey) > 0 {
		parts = append(parts, fmt.Sprintf("%s has no column %s", e.Table, bcQuoted(e.Survey)))
	}
	if len(e.Backcheck) > 0 {
		parts = append(parts, fmt.Sprintf("back-check has no column %s", bcQuoted(e.Backcheck)))
	}
	for _, c := range append(slices.Clone(e.Survey), e.Backcheck...) {
		if near, ok := e.Near[c]; ok {
			parts = append(parts, fmt.Sprintf("a column %q differs from %q only in case, Unicode normalisation, invisible characters or outer spaces: rename it to %q, or ask for %q by its exact name", near, c, c, near))
		}
	}
	return strings.Join(parts, "; ")
}

// BackcheckVariableError is a variable list problem: a variable named twice,
// a stability test on a variable that is not type 2 or 3 or not numeric,
// or a value of an option that does not fit the variable.
type BackcheckVariableError struct {
	Variable string
	Problem  string
}

func (e *BackcheckVariableError) Error() string {
	return fmt.Sprintf("variable %q: %s", e.Variable, e.Problem)
}

func bcList(ids []string) string {
	const show = 20
	if len(ids) > show {
		return strings.Join(ids[:show], ", ") + fmt.Sprintf(", ... (%d more)", len(ids)-show)
	}
	return strings.Join(ids, ", ")
}

func bcQuoted(cols []string) string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = strconv.Quote(c)
	}
	return strings.Join(q, ", ")
}

// bcColumn returns the first column called name (which must exist).
func bcColumn(rec arrow.RecordBatch, name string) arrow.Array {
	return rec.Column(rec.Schema().FieldIndices(name)[0])
}

// bcMissing returns the names in cols that rec lacks, each once, and
// records their near misses in near.
func bcMissing(rec arrow.RecordBatch, cols []string, near map[string]string) []string {
	var miss []string
	names := make([]string, rec.NumCols())
	for i, f := range rec.Schema().Fields() {
		names[i] = f.Name
	}
	for _, c := range cols {
		if c != "" && len(rec.Schema().FieldIndices(c)) == 0 && !slices.Contains(miss, c) {
			miss = append(miss, c)
			if n := arrowio.NearMissOf(c, names); n != "" {
				near[c] = n
			}
		}
	}
	return miss
}

func bcRequire(rec arrow.RecordBatch, table string, cols []string) error {
	near := map[string]string{}
	if miss := bcMissing(rec, cols, near); len(miss) > 0 {
		return &BackcheckColumnsError{Survey: miss, Table: table, Near: near}
	}
	return nil
}

// bcIDs reads the id column as trimmed text: a missing or repeated id is a
// *BackcheckIDError naming every one.
func bcIDs(rec arrow.RecordBatch, col, file string) ([]string, error) {
	ids, valid, err := arrowio.Strings(bcColumn(rec, col))
	if err != nil {
		return nil, fmt.Errorf("%s: column %q: %w", file, col, err)
	}
	var missing, dup []string
	seen := make(map[string]int, len(ids))
	for i := range ids {
		ids[i] = strings.TrimSpace(ids[i])
		if (valid != nil && !valid[i]) || ids[i] == "" {
			missing = append(missing, strconv.Itoa(i+1))
			continue
		}
		seen[ids[i]]++
		if seen[ids[i]] == 2 {
			dup = append(dup, ids[i])
		}
	}
	if len(missing) > 0 {
		return nil, &BackcheckIDError{Kind: BackcheckMissingID, File: file, Column: col, IDs: missing}
	}
	if len(dup) > 0 {
		return nil, &BackcheckIDError{Kind: BackcheckDuplicateID, File: file, Column: col, IDs: dup}
	}
	return ids, nil
}

// bcIsNumeric reports whether a column holds numbers.
func bcIsNumeric(t arrow.DataType) bool {
	if d, ok := t.(*arrow.DictionaryType); ok {
		t = d.ValueType
	}
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
		arrow.FLOAT16, arrow.FLOAT32, arrow.FLOAT64:
		return t.ID() != arrow.FLOAT16
	}
	return false
}

// bcNumeric reports whether a variable is compared as numbers: both
// columns numeric, or one numeric and the other without any value (an
// empty CSV column reads as text).
func bcNumeric(a, b arrow.Array) bool {
	na, nb := bcIsNumeric(a.DataType()), bcIsNumeric(b.DataType())
	empty := func(c arrow.Array) bool { return c.NullN() == c.Len() }
	return (na && nb) || (na && empty(b)) || (nb && empty(a))
}

// bcVar is one compared variable, read from both tables.
type bcVar struct {
	name    string
	typ     int
	numeric bool
	sNum    []float64 // numeric: values, NaN when missing
	bNum    []float64
	sText   []string // text: normalised values, "" when missing
	bText   []string
	sRaw    func() []string // the values as read, for the rows
	bRaw    func() []string
}

func (v *bcVar) missing(survey bool, i int) bool {
	switch {
	case v.numeric && survey:
		return math.IsNaN(v.sNum[i])
	case v.numeric:
		return math.IsNaN(v.bNum[i])
	case survey:
		return v.sText[i] == ""
	default:
		return v.bText[i] == ""
	}
}

// readVar reads one variable of a table as numbers or as normalised text.
func readVar(col arrow.Array, numeric bool, t TextOptions) ([]float64, []string, error) {
	if numeric {
		f, valid, err := arrowio.Float64s(col)
		if err != nil {
			return nil, nil, err
		}
		for i := range f {
			if valid != nil && !valid[i] {
				f[i] = math.NaN()
			}
		}
		return f, nil, nil
	}
	s, valid, err := arrowio.Strings(col)
	if err != nil {
		return nil, nil, err
	}
	for i := range s {
		if valid != nil && !valid[i] {
			s[i] = ""
			continue
		}
		s[i] = t.Normalize(s[i])
	}
	return nil, s, nil
}

// rawStrings returns a function giving the column's values as text, read
// once on first use.
func rawStrings(col arrow.Array) func() []string {
	var s []string
	return func() []string {
		if s == nil {
			s, _, _ = arrowio.Strings(col)
			if s == nil {
				s = make([]string, col.Len())
			}
		}
		return s
	}
}

// bcValueSet holds the values of an Exclude or NoDiff option for one
// variable, as numbers or normalised text.
type bcValueSet struct {
	num  []float64
	text []string
}

func (s *bcValueSet) has(v *bcVar, survey bool, i int) bool {
	if s == nil {
		return false
	}
	switch {
	case v.numeric:
		x := v.sNum[i]
		if !survey {
			x = v.bNum[i]
		}
		return slices.Contains(s.num, x)
	case survey:
		return slices.Contains(s.text, v.sText[i])
	default:
		return slices.Contains(s.text, v.bText[i])
	}
}

func valueSet(v *bcVar, vals []string, t TextOptions, option string) (*bcValueSet, error) {
	if len(vals) == 0 {
		return nil, nil
	}
	s := &bcValueSet{}
	for _, x := range vals {
		if v.numeric {
			f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
			if err != nil {
				return nil, &BackcheckVariableError{Variable: v.name, Problem: fmt.Sprintf("%s value %q is not a number, and the variable is compared as numbers", option, x)}
			}
			s.num = append(s.num, f)
		} else {
			s.text = append(s.text, t.Normalize(x))
		}
	}
	return s, nil
}

// CompareBackcheck compares the back-check answers with the survey answers
// of the same ballots, with the semantics of Innovations for Poverty
// Action's bcstats. A comparison is a (ballot in both tables, variable)
// pair; a value is missing when null, NaN, or text that is empty after
// normalisation. For each comparison, in this order:
//
//   - missing on both sides: no comparison;
//   - either value in Exclude: no comparison;
//   - missing on one side: no comparison with ExcludeMissing; else no
//     difference when the back-check value is in NoDiff, a difference
//     otherwise;
//   - equal values (numbers when both columns are numeric, or one is and
//     the other has no value at all; else text after TextOptions): no
//     difference;
//   - within OKRange (numbers), or back-check value in NoDiff: no
//     difference; otherwise a difference.
//
// Error rate = differences / comparisons, flagged when > OKRate: per
// enumerator and enumerator team (survey columns; types 1 and 2
// separately; every enumerator of the survey is listed, with no rate when
// none of its ballots was back-checked), per back-checker and back-check
// team (back-check columns; all types pooled, then each type), and per
// variable. Stability tests (PairedTTest, SignRank, Reliability) use the
// comparisons of the variable, missing values left out as those functions
// say.
//
// Errors: a missing column is a *BackcheckColumnsError naming the columns
// of each table; a missing or repeated id in either table, or a back-check
// id not in the survey (unless AllowUnmatched), a *BackcheckIDError naming
// the ids; a variable listed twice, a stability test on a variable that is
// not type 2 or 3 or not numeric, or an option value that is not a number
// for a numeric variable, a *BackcheckVariableError.
func CompareBackcheck(survey, bc arrow.RecordBatch, opt BackcheckOptions) (*BackcheckResult, error) {
	if survey == nil || bc == nil {
		panic("ballot: CompareBackcheck: nil record batch")
	}
	if opt.Text.Lower && opt.Text.Upper {
		return nil, errors.New("text can be folded to lower or to upper case, not both")
	}
	// Variables and their types.
	typeOf := map[string]int{}
	var order []string
	for t, list := range [][]string{opt.T1, opt.T2, opt.T3} {
		for _, v := range list {
			if prev, ok := typeOf[v]; ok {
				p := "is listed twice as type " + strconv.Itoa(prev)
				if prev != t+1 {
					p = fmt.Sprintf("is listed as type %d and as type %d", prev, t+1)
				}
				return nil, &BackcheckVariableError{Variable: v, Problem: p + "; list each variable once"}
			}
			typeOf[v] = t + 1
			order = append(order, v)
		}
	}
	if len(order) == 0 {
		return nil, errors.New("no variable to compare: give type 1, 2 or 3 variables")
	}
	for name, list := range map[string][]string{"t-test": opt.TTest, "signed-rank test": opt.SignRank, "reliability ratio": opt.Reliability} {
		seen := map[string]bool{}
		for _, v := range list {
			if seen[v] {
				return nil, &BackcheckVariableError{Variable: v, Problem: "is listed twice for the " + name}
			}
			seen[v] = true
			if t := typeOf[v]; t != 2 && t != 3 {
				return nil, &BackcheckVariableError{Variable: v, Problem: "the " + name + " needs a type 2 or type 3 variable"}
			}
		}
	}
	for _, m := range []map[string][]string{opt.Exclude, opt.NoDiff} {
		for v := range m {
			if typeOf[v] == 0 {
				return nil, &BackcheckVariableError{Variable: v, Problem: "has a value to exclude or to count as no difference, but is not a type 1, 2 or 3 variable"}
			}
		}
	}
	for v := range opt.OKRange {
		if typeOf[v] == 0 {
			return nil, &BackcheckVariableError{Variable: v, Problem: "has an accepted range but is not a type 1, 2 or 3 variable"}
		}
	}

	// Columns.
	near := map[string]string{}
	missS := bcMissing(survey, append(append([]string{opt.ID}, order...), opt.Enumerator, opt.EnumTeam), near)
	missB := bcMissing(bc, append(append([]string{opt.ID}, order...), opt.BackChecker, opt.BCTeam), near)
	if len(missS)+len(missB) > 0 {
		return nil, &BackcheckColumnsError{Survey: missS, Backcheck: missB, Table: "survey", Near: near}
	}

	// Ids.
	sIDs, err := bcIDs(survey, opt.ID, "survey")
	if err != nil {
		return nil, err
	}
	bIDs, err := bcIDs(bc, opt.ID, "back-check")
	if err != nil {
		return nil, err
	}
	res := &BackcheckResult{SurveyBallots: len(sIDs), BackcheckBallots: len(bIDs), Numeric: map[string]bool{}}
	sRow := make(map[string]int, len(sIDs))
	for i, id := range sIDs {
		sRow[id] = i
	}
	// pairs[k] = (survey row, back-check row) of the k-th matched ballot.
	var ps, pb []int
	for j, id := range bIDs {
		i, ok := sRow[id]
		if !ok {
			res.Unmatched = append(res.Unmatched, id)
			continue
		}
		ps, pb = append(ps, i), append(pb, j)
	}
	if len(res.Unmatched) > 0 && !opt.AllowUnmatched {
		return nil, &BackcheckIDError{Kind: BackcheckUnmatchedID, File: "back-check", Column: opt.ID, IDs: res.Unmatched}
	}
	res.Matched = len(ps)

	// Who: enumerator and team from the survey, back-checker and team
	// from the back-check, coded (a missing name is the level "").
	// Tallies by table, name code and type (0: all types).
	type tally struct{ diff, comp int }
	var who [4]catcode.Coded
	var tabs [4][][4]tally
	for k, c := range []struct {
		rec        arrow.RecordBatch
		file, name string
	}{{survey, "survey", opt.Enumerator}, {survey, "survey", opt.EnumTeam}, {bc, "back-check", opt.BackChecker}, {bc, "back-check", opt.BCTeam}} {
		if c.name == "" {
			continue
		}
		if who[k], err = catcode.Code(bcColumn(c.rec, c.name), catcode.NullLevel); err != nil {
			return nil, fmt.Errorf("%s: column %q: %w", c.file, c.name, err)
		}
		tabs[k] = make([][4]tally, len(who[k].Levels))
	}
	enum, eteam, bcer, bteam := who[0].Codes, who[1].Codes, who[2].Codes, who[3].Codes
	at := func(k, i int) string {
		if who[k].Codes == nil {
			return ""
		}
		return who[k].Levels[who[k].Codes[i]]
	}
	add := func(k int, row int, typ int, differ bool) {
		t := &tabs[k][who[k].Codes[row]]
		t[typ].comp++
		t[0].comp++
		if differ {
			t[typ].diff++
			t[0].diff++
		}
	}
	varTally := map[string]*tally{}
	typesUsed := [4]bool{}

	stabVals := map[string][2][]float64{}
	needStab := map[string]bool{}
	for _, v := range slices.Concat(opt.TTest, opt.SignRank, opt.Reliability) {
		needStab[v] = true
	}

	for _, name := range order {
		sc, bcc := bcColumn(survey, name), bcColumn(bc, name)
		v := &bcVar{name: name, typ: typeOf[name], numeric: bcNumeric(sc, bcc)}
		res.Numeric[name] = v.numeric
		typesUsed[v.typ] = true
		if v.sNum, v.sText, err = readVar(sc, v.numeric, opt.Text); err != nil {
			return nil, fmt.Errorf("survey: column %q: %w", name, err)
		}
		if v.bNum, v.bText, err = readVar(bcc, v.numeric, opt.Text); err != nil {
			return nil, fmt.Errorf("back-check: column %q: %w", name, err)
		}
		v.sRaw, v.bRaw = rawStrings(sc), rawStrings(bcc)
		if needStab[name] && !v.numeric {
			return nil, &BackcheckVariableError{Variable: name, Problem: "a stability test needs a numeric variable, but it is text in the survey or the back-check"}
		}
		rng, hasRange := opt.OKRange[name]
		if hasRange && !v.numeric {
			return nil, &BackcheckVariableError{Variable: name, Problem: "an accepted range needs a numeric variable, but it is text in the survey or the back-check"}
		}
		excl, err := valueSet(v, opt.Exclude[name], opt.Text, "exclude")
		if err != nil {
			return nil, err
		}
		nodiff, err := valueSet(v, opt.NoDiff[name], opt.Text, "no-difference")
		if err != nil {
			return nil, err
		}
		vt := &tally{}
		varTally[name] = vt
		var sx, bx []float64
		for k := range ps {
			i, j := ps[k], pb[k]
			sm, bm := v.missing(true, i), v.missing(false, j)
			if sm && bm {
				continue
			}
			if (!sm && excl.has(v, true, i)) || (!bm && excl.has(v, false, j)) {
				continue
			}
			var differ bool
			switch {
			case sm || bm:
				if opt.ExcludeMissing {
					continue
				}
				differ = !(!bm && nodiff.has(v, false, j))
			case v.numeric:
				differ = v.sNum[i] != v.bNum[j] && !(hasRange && rng.contains(v.sNum[i], v.bNum[j])) && !nodiff.has(v, false, j)
			default:
				differ = v.sText[i] != v.bText[j] && !nodiff.has(v, false, j)
			}
			vt.comp++
			if differ {
				vt.diff++
			}
			if v.typ <= 2 {
				if enum != nil {
					add(0, i, v.typ, differ)
				}
				if eteam != nil {
					add(1, i, v.typ, differ)
				}
			}
			if bcer != nil {
				add(2, j, v.typ, differ)
			}
			if bteam != nil {
				add(3, j, v.typ, differ)
			}
			if needStab[name] {
				sx, bx = append(sx, v.sNum[i]), append(bx, v.bNum[j])
			}
			if differ || opt.All {
				row := BackcheckRow{ID: sIDs[i], Type: v.typ, Variable: name, Differ: differ,
					Enumerator: at(0, i), EnumTeam: at(1, i), BackChecker: at(2, j), BCTeam: at(3, j)}
				if !sm {
					row.Survey = v.sRaw()[i]
				}
				if !bm {
					row.Backcheck = v.bRaw()[j]
				}
				res.Rows = append(res.Rows, row)
			}
		}
		res.Comparisons += vt.comp
		res.Differences += vt.diff
		if needStab[name] {
			stabVals[name] = [2][]float64{sx, bx}
		}
	}

	rate := func(name, typ string, t tally) BackcheckRate {
		r := BackcheckRate{Name: name, Type: typ, Differences: t.diff, Comparisons: t.comp, ErrorRate: math.NaN()}
		if t.comp > 0 {
			r.ErrorRate = float64(t.diff) / float64(t.comp)
			r.Flagged = r.ErrorRate > opt.OKRate
		}
		return r
	}
	table := func(k int, types []int) []BackcheckRate {
		var out []BackcheckRate
		for _, typ := range types {
			if typ > 0 && !typesUsed[typ] {
				continue
			}
			label := RateAllTypes
			if typ > 0 {
				label = strconv.Itoa(typ)
			}
			start := len(out)
			for c, name := range who[k].Levels {
				out = append(out, rate(name, label, tabs[k][c][typ]))
			}
			sortRates(out[start:])
		}
		return out
	}
	if enum != nil {
		res.Enumerators = table(0, []int{1, 2})
	}
	if eteam != nil {
		res.EnumTeams = table(1, []int{1, 2})
	}
	if bcer != nil {
		res.BackCheckers = table(2, []int{0, 1, 2, 3})
	}
	if bteam != nil {
		res.BCTeams = table(3, []int{0, 1, 2, 3})
	}
	for typ := 1; typ <= 3; typ++ {
		start := len(res.Variables)
		for _, name := range order {
			if typeOf[name] == typ {
				res.Variables = append(res.Variables, rate(name, strconv.Itoa(typ), *varTally[name]))
			}
		}
		sortRates(res.Variables[start:])
	}

	for _, name := range opt.TTest {
		x := stabVals[name]
		t := PairedTTest(x[0], x[1])
		res.Stability = append(res.Stability, BackcheckStability{Variable: name, Type: typeOf[name], Test: "ttest", N: t.N,
			Statistic: t.Statistic, PValue: t.PValue, SRV: math.NaN(), RR: math.NaN(), TTest: &t})
	}
	for _, name := range opt.SignRank {
		x := stabVals[name]
		s := SignRank(x[0], x[1])
		res.Stability = append(res.Stability, BackcheckStability{Variable: name, Type: typeOf[name], Test: "signrank", N: s.N,
			Statistic: s.Statistic, PValue: s.PValue, SRV: math.NaN(), RR: math.NaN(), SignRank: &s})
	}
	for _, name := range opt.Reliability {
		x := stabVals[name]
		r := Reliability(x[0], x[1])
		res.Stability = append(res.Stability, BackcheckStability{Variable: name, Type: typeOf[name], Test: "reliability", N: r.N,
			Statistic: math.NaN(), PValue: math.NaN(), SRV: r.SRV, RR: r.RR, Reliability: &r})
	}
	return res, nil
}

// sortRates orders rates worst first (no rate last), then by name.
func sortRates(r []BackcheckRate) {
	slices.SortFunc(r, func(a, b BackcheckRate) int {
		an, bn := math.IsNaN(a.ErrorRate), math.IsNaN(b.ErrorRate)
		switch {
		case an != bn:
			if an {
				return 1
			}
			return -1
		case !an && a.ErrorRate != b.ErrorRate:
			if a.ErrorRate > b.ErrorRate {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
}
