package ballot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/internal/arrowio"
)

var nan = math.NaN()

// DefaultMatch is Kuriakose and Robbins' fixed threshold on the maximum
// percent match: a ballot that agrees with another on 85% or more of the
// items answered on both is suspect.
const DefaultMatch = 0.85

// RefQuantile is the quantile of the cross-collector best matches that
// serves as a group's reference for chance agreement.
const RefQuantile = 0.99

// StraightlineMin is the least number of valid answers, all equal, that
// make a straight-lined ballot.
const StraightlineMin = 5

// ScreenOptions configures Screen. The zero value screens the criteria of
// the default questionnaire, ballots identified by the column "ballot_id",
// all ballots as one group, without collectors, with DefaultMatch.
type ScreenOptions struct {
	// Questionnaire gives the valid codes (its scale) and the missing
	// codes, and, unless Items is set, the items: its criteria in order.
	// Nil means index.DefaultQuestionnaire().
	Questionnaire *index.Questionnaire
	// Items are the answer columns screened, in order (nil: the
	// questionnaire's criteria).
	Items []string
	// ID is the column identifying a ballot; "" means "ballot_id". Ids
	// must be unique and not empty; ids that are integers are ordered as
	// numbers (before any other text, which is ordered bytewise).
	ID string
	// By are the columns whose value combinations form the groups (e.g.
	// the province): ballots are compared within their group only.
	By []string
	// Collector is the column naming who collected the ballot; "" means
	// none (no per-collector indicators and no chance reference).
	Collector string
	// Match is the fixed threshold on the maximum percent match, in
	// (0, 1]; 0 means DefaultMatch.
	Match float64
	// Workers bounds the goroutines of the pairwise comparison
	// (GOMAXPROCS when ≤ 0). The results do not depend on it.
	Workers int
}

// Screening is the result of Screen.
type Screening struct {
	Items []string
	// Match is the fixed threshold used; MinBoth the least number of items
	// answered on both ballots for a pair to count (half the items,
	// rounded up); Quantile is RefQuantile.
	Match    float64
	MinBoth  int
	Quantile float64
	// Ballots are in input row order.
	Ballots []BallotScreen
	// Groups are ordered by their key (numbers as numbers).
	Groups []GroupScreen
	// Collectors are ordered by group, then by rank (empty without a
	// collector column).
	Collectors []CollectorScreen
}

// GroupScreen is one group of ballots and its chance reference.
type GroupScreen struct {
	Key        []string // the values of the By columns
	Ballots    int
	Collectors int
	// MatchRef is the RefQuantile-quantile of the group's cross-collector
	// best matches (NaN without collectors or values); RefN is the number
	// of values it was computed from.
	MatchRef float64
	RefN     int
	// Ballots flagged, by flag.
	FlagMatch, FlagStraightline, FlagDuplicate int
}

// BallotScreen holds the screening indicators of one ballot.
type BallotScreen struct {
	Row       int // 0-based row in the input
	ID        string
	Group     int // index into Screening.Groups
	Collector string
	// Answered is the number of valid answers; Nonresponse the share of
	// items without one.
	Answered    int
	Nonresponse float64
	// Longstring is the longest run of identical consecutive valid
	// answers (a missing answer ends a run); 0 when nothing is answered.
	Longstring int
	// IRV is the sample standard deviation of the valid answers (NaN
	// with fewer than 2).
	IRV float64
	// Straightline: at least StraightlineMin valid answers, all equal.
	Straightline bool
	// MaxMatch is the highest share of identical answers among the items
	// answered on both this ballot and another of its group, over the
	// pairs answered on both for at least MinBoth items; MatchID is that
	// other ballot (the smallest id on ties). NaN and "" when no pair
	// qualifies.
	MaxMatch float64
	MatchID  string
	// FlagMatch: MaxMatch ≥ max(Match, the group's MatchRef).
	// FlagDuplicate: another ballot of the group has, item by item, the
	// same valid answer or, like this one, none.
	FlagMatch, FlagDuplicate bool
}

// Indicator is one of the per-collector screening indicators.
type Indicator int

const (
	// Nonresponse is the mean share of items without a valid answer.
	Nonresponse Indicator = iota
	// Straightlined is the share of straight-lined ballots.
	Straightlined
	// MeanMaxMatch is the mean maximum percent match.
	MeanMaxMatch
	// FlaggedMatch is the share of ballots with FlagMatch.
	FlaggedMatch
	// MeanIRV is the mean intra-individual response variability.
	MeanIRV
	// NumIndicators is the number of indicators.
	NumIndicators
)

var indicatorNames = [NumIndicators]string{"nonresponse", "straightline", "max_match", "flag_match", "irv"}

// String returns the indicator's column name, e.g. "max_match".
func (t Indicator) String() string {
	if t >= 0 && t < NumIndicators {
		return indicatorNames[t]
	}
	return "Indicator(" + strconv.Itoa(int(t)) + ")"
}

// CollectorScreen holds the screening indicators of one collector within
// its group.
type CollectorScreen struct {
	Group     int
	Collector string
	Ballots   int
	// Value holds the indicators (means over the ballots where the value
	// is defined; NaN when it is defined for none).
	Value [NumIndicators]float64
	// Z is each indicator's z-score against the group's other collectors
	// (see Screen); NaN when undefined.
	Z [NumIndicators]float64
	// Risk is the number of indicators with |z| > 2, RiskSum the sum of
	// the defined |z|; Rank is 1 for the highest risk in the group.
	Risk    int
	RiskSum float64
	Rank    int
}

// DataError is a problem with the values of a column: Reason says what and
// Values/Rows (1-based data rows) where, listing at most a few.
type DataError struct {
	Column string
	Reason string
	Values []string
	Rows   []int
}

func (e *DataError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "column %q: %s", e.Column, e.Reason)
	if len(e.Values) > 0 {
		q := make([]string, len(e.Values))
		for i, v := range e.Values {
			q[i] = strconv.Quote(v)
		}
		fmt.Fprintf(&b, " %s", strings.Join(q, ", "))
	}
	if len(e.Rows) > 0 {
		r := make([]string, len(e.Rows))
		for i, v := range e.Rows {
			r[i] = strconv.Itoa(v)
		}
		word := "row"
		if len(e.Rows) > 1 {
			word = "rows"
		}
		fmt.Fprintf(&b, " (%s %s)", word, strings.Join(r, ", "))
	}
	return b.String()
}

// Screen computes the screening indicators of ballots that may have been
// filled by their collector rather than a respondent (Kuriakose and Robbins
// 2016; Curran 2016). Over the items in order, counting only valid answers
// (codes on the scale), it gives per ballot the answered count, the share
// of nonresponse, the longest string of identical answers, the IRV, the
// straight-line flag, and the maximum percent match
//
//	max_j  #{c : x_ic = x_jc, both answered} / #{c : both answered}
//
// over the other ballots j of the group answered on both for at least half
// the items. A group's chance reference MatchRef is the type-7 quantile
// (R's default) at RefQuantile of the cross-collector best matches, the
// same maximum over the ballots of other collectors, of its ballots that
// have one and are not straight-lined.
//
// Per collector and group it gives the indicators (see Indicator) and
// their z-scores z = (v − m)/s, m and s the mean and sample standard
// deviation of the group's other collectors' values (those defined). With
// fewer than two such values z is NaN. When s is 0, z is 0 if v = m, and
// otherwise the deviation is scaled by the sample standard deviation of all
// the collectors' values, v included (so one collector apart from m − 1
// equal ones gets |z| = √m). Collectors are ranked in their group by Risk,
// then RiskSum, both descending, then by name.
//
// Screening is advisory: it says which ballots to back-check first.
// Errors: missing columns (*index.MissingColumnsError), a code that is
// neither valid nor a missing code (*index.InvalidCodeError), an empty or
// duplicate id and an empty group or collector value (*DataError).
func Screen(ctx context.Context, rec arrow.RecordBatch, opt *ScreenOptions) (*Screening, error) {
	var o ScreenOptions
	if opt != nil {
		o = *opt
	}
	q := o.Questionnaire
	if q == nil {
		q = index.DefaultQuestionnaire()
	}
	if o.ID == "" {
		o.ID = "ballot_id"
	}
	if o.Match == 0 {
		o.Match = DefaultMatch
	}
	if !(o.Match > 0 && o.Match <= 1) {
		return nil, fmt.Errorf("ballot: match threshold %v is outside (0, 1]", o.Match)
	}
	items := o.Items
	if items == nil {
		items = q.Columns()
	}
	if len(items) == 0 {
		return nil, errors.New("ballot: no items to screen")
	}
	if err := checkColumns(rec, items, o); err != nil {
		return nil, err
	}
	n, k := int(rec.NumRows()), len(items)

	ids, err := readKey(rec, o.ID)
	if err != nil {
		return nil, err
	}
	if err := uniqueIDs(ids, o.ID); err != nil {
		return nil, err
	}
	by := make([]keyColumn, len(o.By))
	for c, name := range o.By {
		if by[c], err = readKey(rec, name); err != nil {
			return nil, err
		}
	}
	var coll keyColumn
	if o.Collector != "" {
		if coll, err = readKey(rec, o.Collector); err != nil {
			return nil, err
		}
	}
	// val[i*k+c] is ballot i's answer to item c as code−min+1, 0 for none.
	val := make([]uint8, n*k)
	for c, name := range items {
		if err := readItem(rec, q, name, c, k, val); err != nil {
			return nil, err
		}
	}

	s := &Screening{Items: slices.Clone(items), Match: o.Match, MinBoth: (k + 1) / 2, Quantile: RefQuantile,
		Ballots: make([]BallotScreen, n)}
	for i := range s.Ballots {
		b := &s.Ballots[i]
		b.Row, b.ID = i, ids.s[i]
		if o.Collector != "" {
			b.Collector = coll.s[i]
		}
		ballotStats(b, val[i*k:(i+1)*k], q.Scale.Min)
	}

	// Positions: the rows sorted by group, then id.
	rows := make([]int32, n)
	for i := range rows {
		rows[i] = int32(i)
	}
	cmpGroup := func(a, b int32) int {
		for _, c := range by {
			if r := c.compare(int(a), int(b)); r != 0 {
				return r
			}
		}
		return 0
	}
	slices.SortFunc(rows, func(a, b int32) int {
		if r := cmpGroup(a, b); r != 0 {
			return r
		}
		return ids.compare(int(a), int(b))
	})
	var spans []span
	for p := 0; p < n; {
		e := p + 1
		for e < n && cmpGroup(rows[p], rows[e]) == 0 {
			e++
		}
		g := GroupScreen{Ballots: e - p, MatchRef: nan}
		for _, c := range by {
			g.Key = append(g.Key, c.s[rows[p]])
		}
		for _, r := range rows[p:e] {
			s.Ballots[r].Group = len(spans)
		}
		s.Groups = append(s.Groups, g)
		spans = append(spans, span{p, e})
		p = e
	}

	// Collector numbers by position, for the cross-collector matches.
	var collAt []int32
	if o.Collector != "" {
		num := map[string]int32{}
		collAt = make([]int32, n)
		for p, r := range rows {
			c, ok := num[coll.s[r]]
			if !ok {
				c = int32(len(num))
				num[coll.s[r]] = c
			}
			collAt[p] = c
		}
	}
	p := pack(val, k, rows, lanesFor(q.Scale.Max-q.Scale.Min+1))
	all, other, err := matchAll(ctx, p, spans, collAt, s.MinBoth, o.Workers)
	if err != nil {
		return nil, err
	}
	for pos, r := range rows {
		b := &s.Ballots[r]
		b.MaxMatch = all[pos].share()
		if all[pos].j >= 0 {
			b.MatchID = ids.s[rows[all[pos].j]]
		}
	}

	// Chance reference, flags and duplicates, group by group.
	seen := map[string]int{}
	for gi, sp := range spans {
		g := &s.Groups[gi]
		if other != nil {
			var ref []float64
			for pos := sp.lo; pos < sp.hi; pos++ {
				if other[pos].j >= 0 && !s.Ballots[rows[pos]].Straightline {
					ref = append(ref, other[pos].share())
				}
			}
			slices.Sort(ref)
			g.MatchRef, g.RefN = Quantile7(ref, RefQuantile), len(ref)
		}
		thr := o.Match
		if g.MatchRef > thr {
			thr = g.MatchRef
		}
		clear(seen)
		for pos := sp.lo; pos < sp.hi; pos++ {
			r := rows[pos]
			seen[string(val[int(r)*k:int(r+1)*k])]++
		}
		for pos := sp.lo; pos < sp.hi; pos++ {
			r := rows[pos]
			b := &s.Ballots[r]
			b.FlagMatch = b.MaxMatch >= thr
			b.FlagDuplicate = seen[string(val[int(r)*k:int(r+1)*k])] > 1
			if b.FlagMatch {
				g.FlagMatch++
			}
			if b.Straightline {
				g.FlagStraightline++
			}
			if b.FlagDuplicate {
				g.FlagDuplicate++
			}
		}
	}
	if o.Collector != "" {
		s.Collectors = collectors(s, rows, spans)
	}
	return s, nil
}

// ballotStats fills the per-ballot indicators from the lane values v
// (code−min+1, 0 for no answer).
func ballotStats(b *BallotScreen, v []uint8, min int) {
	k := len(v)
	run, first := 0, uint8(0)
	var sum float64
	same := true
	for c, x := range v {
		if x == 0 {
			run = 0
			continue
		}
		if b.Answered == 0 {
			first = x
		} else if x != first {
			same = false
		}
		b.Answered++
		if c > 0 && run > 0 && v[c-1] == x {
			run++
		} else {
			run = 1
		}
		b.Longstring = max(b.Longstring, run)
		sum += float64(int(x) - 1 + min)
	}
	b.Nonresponse = float64(k-b.Answered) / float64(k)
	b.Straightline = same && b.Answered >= StraightlineMin
	b.IRV = nan
	if b.Answered >= 2 {
		mean := sum / float64(b.Answered)
		var ss float64
		for _, x := range v {
			if x != 0 {
				d := float64(int(x)-1+min) - mean
				ss += d * d
			}
		}
		b.IRV = math.Sqrt(ss / float64(b.Answered-1))
	}
}

// Quantile7 returns the p-quantile of the sorted values x by R's default
// (type 7) definition: with h = (n−1)p, x[⌊h⌋] + (h − ⌊h⌋)(x[⌊h⌋+1] − x[⌊h⌋])
// (0-based). It is NaN for no values.
func Quantile7(x []float64, p float64) float64 {
	n := len(x)
	if n == 0 {
		return nan
	}
	h := float64(n-1) * p
	lo := int(math.Floor(h))
	if lo >= n-1 {
		return x[n-1]
	}
	return x[lo] + (h-float64(lo))*(x[lo+1]-x[lo])
}

// collectors computes the per-collector indicators, z-scores, risks and
// ranks, group by group.
func collectors(s *Screening, rows []int32, spans []span) []CollectorScreen {
	var out []CollectorScreen
	for gi, sp := range spans {
		byName := map[string]int{}
		var cs []CollectorScreen
		var defined [][NumIndicators]int
		for pos := sp.lo; pos < sp.hi; pos++ {
			b := &s.Ballots[rows[pos]]
			c, ok := byName[b.Collector]
			if !ok {
				c = len(cs)
				byName[b.Collector] = c
				cs = append(cs, CollectorScreen{Group: gi, Collector: b.Collector})
				defined = append(defined, [NumIndicators]int{})
			}
			x := &cs[c]
			x.Ballots++
			// The shares are counted as integers and divided once, so
			// collectors with the same counts get identical values.
			vals := [NumIndicators]float64{float64(len(s.Items) - b.Answered), b2f(b.Straightline), b.MaxMatch, b2f(b.FlagMatch), b.IRV}
			for t, v := range vals {
				if !math.IsNaN(v) {
					x.Value[t] += v
					defined[c][t]++
				}
			}
		}
		for c := range cs {
			for t := range cs[c].Value {
				d := float64(defined[c][t])
				if Indicator(t) == Nonresponse {
					d *= float64(len(s.Items))
				}
				if d == 0 {
					cs[c].Value[t] = nan
				} else {
					cs[c].Value[t] /= d
				}
			}
		}
		s.Groups[gi].Collectors = len(cs)
		others := make([]float64, 0, len(cs))
		for c := range cs {
			x := &cs[c]
			for t := range x.Value {
				others = others[:0]
				for d := range cs {
					if d != c && !math.IsNaN(cs[d].Value[t]) {
						others = append(others, cs[d].Value[t])
					}
				}
				x.Z[t] = zOthers(x.Value[t], others)
				if z := math.Abs(x.Z[t]); !math.IsNaN(z) {
					x.RiskSum += z
					if z > 2 {
						x.Risk++
					}
				}
			}
		}
		slices.SortFunc(cs, func(a, b CollectorScreen) int {
			if r := cmp.Compare(b.Risk, a.Risk); r != 0 {
				return r
			}
			if r := cmp.Compare(b.RiskSum, a.RiskSum); r != 0 {
				return r
			}
			return strings.Compare(a.Collector, b.Collector)
		})
		for c := range cs {
			cs[c].Rank = c + 1
		}
		out = append(out, cs...)
	}
	return out
}

// zOthers is v's z-score against others (see Screen for the zero-deviation
// rule).
func zOthers(v float64, others []float64) float64 {
	if math.IsNaN(v) || len(others) < 2 {
		return nan
	}
	m, sd := meanSD(others)
	if sd > 0 {
		return (v - m) / sd
	}
	if v == m {
		return 0
	}
	_, sdAll := meanSD(append(others, v))
	return (v - m) / sdAll
}

// meanSD returns the mean and sample standard deviation of x (len ≥ 2);
// equal values give exactly their value and 0.
func meanSD(x []float64) (mean, sd float64) {
	if !slices.ContainsFunc(x, func(v float64) bool { return v != x[0] }) {
		return x[0], 0
	}
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	var ss float64
	for _, v := range x {
		ss += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(ss / float64(len(x)-1))
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// keyColumn is a column of ids or group values. Values that are integers
// (an integer column, or text such as "42") are ordered as numbers, before
// any other text; text is ordered bytewise ("007" after "7", equal as
// numbers).
type keyColumn struct {
	s     []string
	num   []int64
	isNum []bool
}

func (c keyColumn) compare(a, b int) int {
	switch na, nb := c.isNum[a], c.isNum[b]; {
	case na && nb:
		if r := cmp.Compare(c.num[a], c.num[b]); r != 0 {
			return r
		}
	case na:
		return -1
	case nb:
		return 1
	}
	return strings.Compare(c.s[a], c.s[b])
}

// readKey reads a column whose every value must be present.
func readKey(rec arrow.RecordBatch, name string) (keyColumn, error) {
	col, err := arrowio.Column(rec, name)
	if err != nil {
		return keyColumn{}, err
	}
	var kc keyColumn
	var valid []bool
	if kc.s, valid, err = arrowio.Strings(col); err != nil {
		return keyColumn{}, fmt.Errorf("column %q: %w", name, err)
	}
	kc.num, kc.isNum = make([]int64, len(kc.s)), make([]bool, len(kc.s))
	var empty []int
	for i, s := range kc.s {
		if (valid != nil && !valid[i]) || strings.TrimSpace(s) == "" {
			empty = append(empty, i+1)
			continue
		}
		v, err := strconv.ParseInt(s, 10, 64)
		kc.num[i], kc.isNum[i] = v, err == nil
	}
	if len(empty) > 0 {
		return keyColumn{}, &DataError{Column: name, Reason: fmt.Sprintf("%d empty values; every ballot needs one", len(empty)), Rows: empty[:min(len(empty), 10)]}
	}
	return kc, nil
}

// uniqueIDs returns a *DataError listing duplicate ids.
func uniqueIDs(ids keyColumn, name string) error {
	first := make(map[string]int, len(ids.s))
	var dupVals []string
	var dupRows []int
	for i, s := range ids.s {
		if j, ok := first[s]; ok {
			if len(dupVals) < 10 {
				dupVals = append(dupVals, s)
				dupRows = append(dupRows, j+1, i+1)
			}
			continue
		}
		first[s] = i
	}
	if dupVals != nil {
		return &DataError{Column: name, Reason: "duplicate ids", Values: dupVals, Rows: dupRows}
	}
	return nil
}

// checkColumns reports every missing column at once, and an item listed
// twice.
func checkColumns(rec arrow.RecordBatch, items []string, o ScreenOptions) error {
	seen := map[string]bool{}
	for _, it := range items {
		if seen[it] {
			return fmt.Errorf("ballot: item %q is listed twice", it)
		}
		seen[it] = true
	}
	names := append(append([]string{o.ID}, o.By...), items...)
	if o.Collector != "" {
		names = append(names, o.Collector)
	}
	schema := rec.Schema()
	var missing []string
	for _, nm := range names {
		if !schema.HasField(nm) && !slices.Contains(missing, nm) {
			missing = append(missing, nm)
		}
	}
	if missing != nil {
		avail := make([]string, schema.NumFields())
		for i, f := range schema.Fields() {
			avail[i] = f.Name
		}
		return &index.MissingColumnsError{Table: "ballots", Missing: missing, Available: avail}
	}
	return nil
}

// readItem stores item c's lane values into val (row-major, k items).
func readItem(rec arrow.RecordBatch, q *index.Questionnaire, name string, c, k int, val []uint8) error {
	col, err := arrowio.Column(rec, name)
	if err != nil {
		return err
	}
	codes, valid, err := arrowio.Ints(col)
	if err != nil {
		var ae *arrowio.Error
		if errors.As(err, &ae) && ae.Row > 0 {
			return &index.InvalidCodeError{Column: name, Row: ae.Row, Value: ae.Value, Count: 1}
		}
		return fmt.Errorf("column %q: %w", name, err)
	}
	var bad *index.InvalidCodeError
	for i, v := range codes {
		if valid != nil && !valid[i] {
			continue
		}
		switch q.CodeKind(v) {
		case index.Valid:
			val[i*k+c] = uint8(v - int64(q.Scale.Min) + 1)
		case index.MissingCode:
		default:
			if bad == nil {
				bad = &index.InvalidCodeError{Column: name, Row: i + 1, Value: strconv.FormatInt(v, 10)}
			}
			bad.Count++
		}
	}
	if bad != nil {
		return bad
	}
	return nil
}
