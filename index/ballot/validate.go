package ballot

import (
	"cmp"
	"context"
	"fmt"
	"hash/maphash"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"golang.org/x/text/unicode/norm"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/index/internal/column"
)

// Exclusion reasons: the values of the reason column of the exclusion table.
const (
	// ReasonMissingID: the ballot id is null or blank.
	ReasonMissingID = "missing_ballot_id"
	// ReasonDuplicateID: the ballot id was already used by an earlier row;
	// the value is the 1-based row of the first occurrence.
	ReasonDuplicateID = "duplicate_ballot_id"
	// ReasonBackcheckFailed: the back-check confirmed that the ballot was
	// not filled in by its respondent (an id of
	// ValidateOptions.BackcheckFailed).
	ReasonBackcheckFailed = "backcheck_failed"
	// ReasonMissingProvince: the province is null or blank.
	ReasonMissingProvince = "missing_province"
	// ReasonUnknownProvince: the province matcher did not recognise the name;
	// the detail carries the matcher's message.
	ReasonUnknownProvince = "unknown_province"
	// ReasonInvalidCode: an answer code outside the scale that is not a
	// declared missing code, or a value that is not an integer; one
	// exclusion per offending cell, naming its column.
	ReasonInvalidCode = "invalid_code"
	// ReasonAllMissing: no criterion has a valid answer.
	ReasonAllMissing = "all_criteria_missing"
)

// reasonOrder is the order in which reasons are checked and reported.
var reasonOrder = []string{ReasonMissingID, ReasonDuplicateID, ReasonBackcheckFailed, ReasonMissingProvince, ReasonUnknownProvince, ReasonInvalidCode, ReasonAllMissing}

// Reasons returns the exclusion reasons in the order Validate checks
// them.
func Reasons() []string { return append([]string(nil), reasonOrder...) }

// ValidateOptions are the settings of Validate. The zero value (or nil)
// validates against index.DefaultQuestionnaire with ballot ids in
// "ballot_id" and an optional "province" column.
type ValidateOptions struct {
	// Questionnaire gives the criterion columns, the scale and the missing
	// codes; nil means index.DefaultQuestionnaire().
	Questionnaire *index.Questionnaire
	// IDColumn is the ballot id column (default "ballot_id"); required.
	IDColumn string
	// ProvinceColumn is the province column (default "province").
	ProvinceColumn string
	// RequireProvince makes a missing province column an error. Without it
	// the province checks run only when the column exists.
	RequireProvince bool
	// Province, when set, canonicalises a non-blank province value: it
	// returns the canonical name or an error whose message becomes the
	// detail of an unknown_province exclusion. The clean table then holds
	// the canonical names (as a string column, whatever the input type).
	// nil: a province is only required to be non-blank.
	Province func(raw string) (string, error)
	// BackcheckFailed are the ids of ballots the back-check confirmed as
	// not filled in by their respondent; each must be an id of the table
	// (compared as text with surrounding spaces removed).
	BackcheckFailed []string
	// Mem allocates the output tables; nil means memory.DefaultAllocator.
	Mem memory.Allocator
}

// Exclusion is one reason why one input row was excluded. A row may have
// several (one per invalid cell, for instance); it is counted once.
type Exclusion struct {
	Row      int    // 1-based data row (for a CSV file with a header: line Row+1)
	BallotID string // the row's ballot id as text ("" if missing)
	Reason   string // one of the Reason* constants
	Column   string // the offending column
	Value    string // the offending value as text; for duplicates the row of the first occurrence
	Detail   string // a sentence for people: what is wrong and what would be right
}

// Validation is the result of Validate. The caller must call Release.
type Validation struct {
	// Clean holds the rows that passed, with every input column and type
	// (the province column canonicalised when ValidateOptions.Province is
	// set), in input order. When no row is excluded it shares the input's
	// buffers.
	Clean arrow.RecordBatch
	// Excluded has one row per Exclusion, with the columns row (int64),
	// ballot_id, reason, column, value and detail (strings; null when not
	// applicable), ordered by row.
	Excluded arrow.RecordBatch
	// Exclusions is the same list as Excluded, as Go values.
	Exclusions []Exclusion
	// RowsIn = RowsUsed + RowsExcluded.
	RowsIn, RowsUsed, RowsExcluded int
	// ByReason counts excluded rows by their first reason (in the order of
	// Reasons), so that its values sum to RowsExcluded.
	ByReason map[string]int
	// Entries counts exclusion entries (rows of Excluded) by reason; a row
	// with three invalid cells adds 3 to Entries[ReasonInvalidCode].
	Entries map[string]int
	// Used marks, for every input row, whether it is in Clean.
	Used []bool
}

// Release releases the Clean and Excluded tables.
func (v *Validation) Release() {
	if v.Clean != nil {
		v.Clean.Release()
		v.Clean = nil
	}
	if v.Excluded != nil {
		v.Excluded.Release()
		v.Excluded = nil
	}
}

// Reconciles reports whether RowsIn = RowsUsed + RowsExcluded and the
// reason counts add up; it is true for every Validation that
// Validate returns.
func (v *Validation) Reconciles() bool {
	s := 0
	for _, n := range v.ByReason {
		s += n
	}
	return v.RowsIn == v.RowsUsed+v.RowsExcluded && s == v.RowsExcluded &&
		v.Clean.NumRows() == int64(v.RowsUsed)
}

// Validate checks every ballot (METHODOLOGY §7) and splits rec into
// the rows used and the rows excluded, each exclusion with its reason. Rules,
// in the order they are checked:
//
//   - the ballot id must be present and not blank (missing_ballot_id);
//   - ids must be unique: the first row with an id keeps it, and every later
//     row with the same id (compared after trimming spaces) is excluded as
//     duplicate_ballot_id with the first row's number as the value. The first
//     occurrence keeps the id even when it is excluded for another reason;
//   - every row whose id is in BackcheckFailed is excluded as
//     backcheck_failed (the value is the id);
//   - when the province column exists (or RequireProvince), the province must
//     be non-blank (missing_province) and, with Province set, known
//     (unknown_province);
//   - every criterion cell must be null (or blank text, or NaN), a declared
//     missing code, or a code in the scale; anything else, including a
//     non-integer, is invalid_code, reported once per cell with its column;
//   - expectation columns of the questionnaire that are present must hold 0,
//     1, null or a declared missing code (invalid_code otherwise);
//   - at least one criterion must have a valid answer (all_criteria_missing).
//
// Null criterion cells are item nonresponse, like the missing codes.
// Data problems are exclusions; a missing required column (the id column or
// a criterion column) is an *index.MissingColumnsError, a criterion
// column of a type that cannot hold codes is an error wrapping
// index.ErrColumnType, and an id of BackcheckFailed that no row has is a
// *BackcheckIDError naming it. ctx is passed to the Arrow kernel that filters the
// clean rows.
func Validate(ctx context.Context, rec arrow.RecordBatch, opt *ValidateOptions) (*Validation, error) {
	if rec == nil {
		panic("ballot: Validate: nil record batch")
	}
	var o ValidateOptions
	if opt != nil {
		o = *opt
	}
	mem := o.Mem
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	q := o.Questionnaire
	if q == nil {
		q = index.DefaultQuestionnaire()
	}
	idCol := o.IDColumn
	if idCol == "" {
		idCol = "ballot_id"
	}
	provCol := o.ProvinceColumn
	if provCol == "" {
		provCol = "province"
	}

	required := append([]string{idCol}, q.Columns()...)
	if o.RequireProvince {
		required = append(required, provCol)
	}
	idx, err := requireColumns(rec, "ballots", required)
	if err != nil {
		return nil, err
	}
	n := int(rec.NumRows())
	st := &valState{n: n, firstReason: make([]int8, n)}
	for i := range st.firstReason {
		st.firstReason[i] = -1
	}
	ids := rec.Column(idx[0])

	// 1. Ballot ids, and the back-check's verdict.
	checkIDs(ids, idCol, st)
	if err := checkBackcheckFailed(ids, idCol, o.BackcheckFailed, st); err != nil {
		return nil, err
	}

	// 2. Province.
	provIdx := column.Index(rec, provCol)
	var canon arrow.Array
	if provIdx >= 0 {
		canon = checkProvinces(rec.Column(provIdx), provCol, o.Province, st, mem)
		if canon != nil {
			defer canon.Release()
		}
	}

	// 3. Criteria, column by column.
	validCount := make([]int32, n)
	for k, c := range q.Criteria {
		col := rec.Column(idx[1+k])
		cc, err := column.NewCodes(col)
		if err != nil {
			return nil, fmt.Errorf("ballots: column %q: %w", c.Column, err)
		}
		checkCodes(cc, c.Column, q, false, validCount, st)
	}
	for _, x := range q.Expectations {
		j := column.Index(rec, x.Column)
		if j < 0 {
			continue
		}
		cc, err := column.NewCodes(rec.Column(j))
		if err != nil {
			return nil, fmt.Errorf("ballots: column %q: %w", x.Column, err)
		}
		checkCodes(cc, x.Column, q, true, nil, st)
	}
	for i := 0; i < n; i++ {
		if validCount[i] == 0 && !st.hasInvalid(i) {
			st.add(i, ReasonAllMissing, "", "", fmt.Sprintf("none of the %d criteria has an answer in %d..%d", len(q.Criteria), q.Scale.Min, q.Scale.Max))
		}
	}

	// Order exclusions by row, keeping the order of checks within a row
	// (a counting sort: the checks ran column by column).
	st.ex = sortByRow(st.ex, n)
	for i := range st.ex {
		st.ex[i].BallotID = strings.Clone(column.TextAt(ids, st.ex[i].Row-1))
	}

	v := &Validation{
		Exclusions: st.ex,
		RowsIn:     n,
		ByReason:   map[string]int{},
		Entries:    map[string]int{},
		Used:       make([]bool, n),
	}
	for _, e := range st.ex {
		v.Entries[e.Reason]++
	}
	keep := array.NewBooleanBuilder(mem)
	defer keep.Release()
	keep.Reserve(n)
	for i := 0; i < n; i++ {
		r := st.firstReason[i]
		used := r < 0
		v.Used[i] = used
		keep.UnsafeAppend(used)
		if used {
			v.RowsUsed++
		} else {
			v.RowsExcluded++
			v.ByReason[reasonOrder[r]]++
		}
	}
	mask := keep.NewBooleanArray()
	defer mask.Release()

	src := rec
	if canon != nil {
		cols := append([]arrow.Array(nil), rec.Columns()...)
		cols[provIdx] = canon
		fields := append([]arrow.Field(nil), rec.Schema().Fields()...)
		fields[provIdx].Type = canon.DataType()
		md := rec.Schema().Metadata()
		src = array.NewRecordBatch(arrow.NewSchema(fields, &md), cols, int64(n))
		defer src.Release()
	}
	if v.RowsExcluded == 0 {
		// Every row is used: share the input's buffers, copy nothing.
		src.Retain()
		v.Clean = src
	} else {
		clean, err := compute.FilterRecordBatch(compute.WithAllocator(ctx, mem), src, mask, compute.DefaultFilterOptions())
		if err != nil {
			return nil, fmt.Errorf("ballot: filtering the clean rows: %w", err)
		}
		v.Clean = clean
	}
	v.Excluded = exclusionRecord(st.ex, mem)
	return v, nil
}

// sortByRow orders exclusions by row, stably, in O(len(ex) + n).
func sortByRow(ex []Exclusion, n int) []Exclusion {
	start := make([]int32, n+1)
	for _, e := range ex {
		start[e.Row]++ // Row is 1-based: counts land one slot to the right
	}
	for i := 1; i <= n; i++ {
		start[i] += start[i-1]
	}
	out := make([]Exclusion, len(ex))
	for _, e := range ex {
		out[start[e.Row-1]] = e
		start[e.Row-1]++
	}
	return out
}

// valState collects exclusions while the checks run.
type valState struct {
	n           int
	ex          []Exclusion
	firstReason []int8 // index into reasonOrder of the row's first reason, -1 if none
	invalid     []bool // lazily: row has an invalid code
}

func (s *valState) add(row int, reason, column, value, detail string) {
	// Clone the value: it may alias an Arrow buffer that the caller releases.
	s.ex = append(s.ex, Exclusion{Row: row + 1, Reason: reason, Column: column, Value: strings.Clone(value), Detail: detail})
	r := int8(0)
	for k, x := range reasonOrder {
		if x == reason {
			r = int8(k)
		}
	}
	if s.firstReason[row] < 0 || r < s.firstReason[row] {
		s.firstReason[row] = r
	}
	if reason == ReasonInvalidCode {
		if s.invalid == nil {
			s.invalid = make([]bool, s.n)
		}
		s.invalid[row] = true
	}
}

func (s *valState) hasInvalid(row int) bool { return s.invalid != nil && s.invalid[row] }

// idHash hashes ballot ids; a variable so that tests can force collisions.
var idHash = maphash.String

// checkIDs flags missing and duplicate ballot ids.
func checkIDs(ids arrow.Array, col string, st *valState) {
	n := ids.Len()
	switch a := ids.(type) {
	case *array.Int64:
		seen := make(map[int64]int, n)
		v := a.Int64Values()
		for i := 0; i < n; i++ {
			if a.IsNull(i) {
				st.add(i, ReasonMissingID, col, "", "the ballot id is empty; give every ballot a unique id")
				continue
			}
			if first, dup := seen[v[i]]; dup {
				st.add(i, ReasonDuplicateID, col, strconv.Itoa(first+1), fmt.Sprintf("ballot id %d was first used in row %d; this later copy is excluded", v[i], first+1))
				continue
			}
			seen[v[i]] = i
		}
	default:
		// Text ids: hash every key, sort (hash, row) pairs and look for
		// equal keys within runs of equal hashes. This touches memory in
		// order and is several times faster than a map of 10^6 strings.
		str := column.IsString(ids.DataType())
		keys := make([]string, n)
		type hashRow struct {
			h   uint64
			row int32
		}
		hs := make([]hashRow, 0, n)
		seed := maphash.MakeSeed()
		for i := 0; i < n; i++ {
			if ids.IsNull(i) {
				st.add(i, ReasonMissingID, col, "", "the ballot id is empty; give every ballot a unique id")
				continue
			}
			var key string
			if str {
				key = strings.TrimSpace(column.StringAt(ids, i))
				if !isASCII(key) {
					// "Đ" typed precomposed or as D + combining stroke
					// is one id: compare in Unicode NFC.
					key = norm.NFC.String(key)
				}
			} else {
				key = ids.ValueStr(i)
			}
			if key == "" {
				st.add(i, ReasonMissingID, col, "", "the ballot id is blank; give every ballot a unique id")
				continue
			}
			keys[i] = key
			hs = append(hs, hashRow{idHash(seed, key), int32(i)})
		}
		slices.SortFunc(hs, func(a, b hashRow) int {
			if c := cmp.Compare(a.h, b.h); c != 0 {
				return c
			}
			return cmp.Compare(a.row, b.row)
		})
		for lo := 0; lo < len(hs); {
			hi := lo + 1
			for hi < len(hs) && hs[hi].h == hs[lo].h {
				hi++
			}
			// Rows lo..hi-1 share a hash, in row order: a row is a
			// duplicate of the first earlier row with the same key.
			for j := lo + 1; j < hi; j++ {
				i := int(hs[j].row)
				for k := lo; k < j; k++ {
					first := int(hs[k].row)
					if keys[first] == keys[i] {
						st.add(i, ReasonDuplicateID, col, strconv.Itoa(first+1), fmt.Sprintf("ballot id %q was first used in row %d; this later copy is excluded", keys[i], first+1))
						break
					}
				}
			}
			lo = hi
		}
	}
}

// checkBackcheckFailed excludes the rows whose id is in failed; an id of
// failed that no row has is a *BackcheckIDError.
func checkBackcheckFailed(ids arrow.Array, col string, failed []string, st *valState) error {
	if len(failed) == 0 {
		return nil
	}
	found := make(map[string]bool, len(failed))
	for _, id := range failed {
		if id = strings.TrimSpace(id); id != "" {
			found[id] = false
		}
	}
	for i := 0; i < ids.Len(); i++ {
		key := strings.TrimSpace(column.TextAt(ids, i))
		if seen, ok := found[key]; ok && key != "" {
			if !seen {
				found[key] = true
			}
			st.add(i, ReasonBackcheckFailed, col, key, "the back-check found that this ballot was not filled in by its respondent")
		}
	}
	var unknown []string
	for _, id := range failed {
		if id = strings.TrimSpace(id); id != "" && !found[id] && !slices.Contains(unknown, id) {
			unknown = append(unknown, id)
		}
	}
	if len(unknown) > 0 {
		return &BackcheckIDError{Kind: BackcheckUnknownID, File: "back-check verdict", Column: col, IDs: unknown}
	}
	return nil
}

// checkProvinces flags missing and unknown provinces and, with canon set,
// returns the column of canonical names (nil otherwise).
func checkProvinces(col arrow.Array, name string, canon func(string) (string, error), st *valState, mem memory.Allocator) arrow.Array {
	n := col.Len()
	str := column.IsString(col.DataType())
	type result struct {
		name string
		err  error
	}
	cache := map[string]result{}
	var b *array.StringBuilder
	if canon != nil {
		b = array.NewStringBuilder(mem)
		defer b.Release()
		b.Reserve(n)
	}
	for i := 0; i < n; i++ {
		var raw string
		if !col.IsNull(i) {
			if str {
				raw = column.StringAt(col, i)
			} else {
				raw = col.ValueStr(i)
			}
		}
		if strings.TrimSpace(raw) == "" {
			st.add(i, ReasonMissingProvince, name, "", "the province is empty")
			if b != nil {
				b.AppendNull()
			}
			continue
		}
		if canon == nil {
			continue
		}
		r, ok := cache[raw]
		if !ok {
			c, err := canon(raw)
			r = result{c, err}
			cache[strings.Clone(raw)] = r
		}
		if r.err != nil {
			st.add(i, ReasonUnknownProvince, name, raw, r.err.Error())
			b.Append(raw)
			continue
		}
		b.Append(r.name)
	}
	if b == nil {
		return nil
	}
	return b.NewArray()
}

// checkCodes classifies the cells of one answer column. For criteria
// (expect == false) it counts valid answers per row in valid; for
// expectation items the valid codes are 0 and 1.
func checkCodes(c *column.Codes, name string, q *index.Questionnaire, expect bool, valid []int32, st *valState) {
	n := c.Arr.Len()
	lo, hi := int64(q.Scale.Min), int64(q.Scale.Max)
	if expect {
		lo, hi = 0, 1
	}
	isMissing := func(v int64) bool {
		for _, m := range q.Missing {
			if int64(m) == v {
				return true
			}
		}
		return false
	}
	allowed := func() string {
		s := fmt.Sprintf("%d..%d", lo, hi)
		if len(q.Missing) > 0 {
			ms := make([]string, len(q.Missing))
			for i, m := range q.Missing {
				ms[i] = strconv.Itoa(m)
			}
			s += " or a missing code (" + strings.Join(ms, ", ") + ")"
		}
		return s
	}
	invalidCode := func(i int, v int64) {
		st.add(i, ReasonInvalidCode, name, c.Raw(i), fmt.Sprintf("code %d in column %q is outside %s", v, name, allowed()))
	}
	// Fast paths over the raw values of the integer types the readers and
	// the generator produce.
	switch a := c.Arr.(type) {
	case *array.Int8:
		scanInts(a.Int8Values(), a, lo, hi, isMissing, valid, invalidCode)
		return
	case *array.Int16:
		scanInts(a.Int16Values(), a, lo, hi, isMissing, valid, invalidCode)
		return
	case *array.Int32:
		scanInts(a.Int32Values(), a, lo, hi, isMissing, valid, invalidCode)
		return
	case *array.Int64:
		scanInts(a.Int64Values(), a, lo, hi, isMissing, valid, invalidCode)
		return
	}
	for i := 0; i < n; i++ {
		v, state := c.At(i)
		switch state {
		case column.Null:
			continue
		case column.Code:
			if v >= lo && v <= hi {
				if valid != nil {
					valid[i]++
				}
				continue
			}
			if isMissing(v) {
				continue
			}
			invalidCode(i, v)
		case column.NotInt:
			st.add(i, ReasonInvalidCode, name, c.Raw(i), fmt.Sprintf("value %q in column %q is not an integer code; expected %s", c.Raw(i), name, allowed()))
		case column.Overflow:
			st.add(i, ReasonInvalidCode, name, c.Raw(i), fmt.Sprintf("value %q in column %q is out of range; expected %s", c.Raw(i), name, allowed()))
		}
	}
}

// scanInts classifies the cells of a signed integer column from its raw
// values: codes in lo..hi count as valid answers, declared missing codes and
// nulls are skipped, anything else is reported.
func scanInts[T int8 | int16 | int32 | int64](vals []T, a arrow.Array, lo, hi int64, isMissing func(int64) bool, valid []int32, invalid func(int, int64)) {
	nulls := a.NullN() > 0
	for i, x := range vals {
		v := int64(x)
		if v >= lo && v <= hi {
			if nulls && a.IsNull(i) {
				continue
			}
			if valid != nil {
				valid[i]++
			}
			continue
		}
		if (nulls && a.IsNull(i)) || isMissing(v) {
			continue
		}
		invalid(i, v)
	}
}

// exclusionRecord builds the exclusion table.
func exclusionRecord(ex []Exclusion, mem memory.Allocator) arrow.RecordBatch {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "row", Type: arrow.PrimitiveTypes.Int64},
		{Name: "ballot_id", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "reason", Type: arrow.BinaryTypes.String},
		{Name: "column", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "value", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "detail", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	rows := b.Field(0).(*array.Int64Builder)
	strs := func(k int) *array.StringBuilder { return b.Field(k).(*array.StringBuilder) }
	opt := func(sb *array.StringBuilder, s string) {
		if s == "" {
			sb.AppendNull()
		} else {
			sb.Append(s)
		}
	}
	for _, e := range ex {
		rows.Append(int64(e.Row))
		opt(strs(1), e.BallotID)
		strs(2).Append(e.Reason)
		opt(strs(3), e.Column)
		opt(strs(4), e.Value)
		opt(strs(5), e.Detail)
	}
	return b.NewRecordBatch()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
