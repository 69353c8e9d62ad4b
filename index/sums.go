package index

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/index/internal/column"
	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/catcode"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// Columns of a sums table besides the design and domain columns (see Sums).
const (
	SumsRows    = "n_rows" // ballots in the cell
	SumsWeights = "sum_w"  // Σ w over them
)

// SumsColumn returns the name of a sums-table column: part "y" (Σ w·y),
// "x" (Σ w·x), "n" (valid answers), "yy" (Σ w·y²) or "u" (Σ y, unweighted:
// a raking's) of an item (a criterion or expectation column), or part "nc" (ballots with a valid answer to at
// least one of its criteria) or "wc" (Σ w over those ballots) of an element
// id or "sipas".
func SumsColumn(part, item string) string { return part + "_" + item }

// SumsPairColumn returns the name of the sums-table column holding part
// "yy" (Σ w·y_a·y_b), "yx" (Σ w·y_a·x_b), "xy" (Σ w·x_a·y_b) or "xx"
// (Σ w·x_a·x_b) of two criteria a before b in the questionnaire that share
// an element or SIPAS (for the design effects of the composites).
func SumsPairColumn(part, a, b string) string { return part + "_" + a + "_" + b }

// ErrSums is wrapped by the errors of FromSums about a sums table that
// lacks a column or holds an impossible value.
var ErrSums = errors.New("bad sums table")

// SumsSupport says whether the indices under spec can be computed from the
// per-(stratum, PSU, domain) sums (nil) or why not. Linearization and the
// replicate methods generated from the design (jackknife, bootstrap, BRR,
// Fay) can: both need only each PSU's weighted totals. Replicate weights
// given as columns can too, with per-domain replicate sums besides the
// cells' (Sums.Replicates), with or without a PSU column. A design without
// PSU column (every ballot its own PSU) can under linearization: its cells
// are per (stratum, fpc, domain) and also carry the ballots' squared-weight
// moments, from which each stratum's sum of squares of the influence
// values is finished (sampling.UnitMoments). Later sampling stages can
// too: with an fpc at every stage the cells are also keyed by every later
// stage's unit and fpc, whose unit totals the multistage variance needs
// (without a first-stage fpc the later stages do not enter the variance).
// So can a first stage sampled with probability proportional to size
// without replacement, given a PSU column: Brewer's and Overton's
// variances need each PSU's total and inclusion probability (the fpc, a
// cell key), the Horvitz–Thompson one the PSUs' joint probabilities.
// A design with an fpc but no weight column, whose ballots weigh the
// product g of sampling.FPCWeight over the stages (N_h/n_h, 1/f_h for a
// sampling fraction; n_h the stratum's PSUs, or ballots without PSU
// column; 1/π_i under PPS; N/n of every later stage), can: g is constant
// in a cell, so the ballots are summed with weight 1 and Sums.Table
// scales each cell's sums by g (the squared-weight moments by g²), also
// for the replicates generated from the design, whose factors are per PSU.
// So can a Horvitz–Thompson design without weight column, whose ballots
// weigh 1/π_i of their PSU, π_i the joint probabilities' diagonal.
// Calibration needs row-level data; so do replicates generated from a
// design without PSU column (every ballot its own replicate unit).
func SumsSupport(spec *sampling.DesignOptions) error {
	if unitMoments(spec) && spec.Variance != sampling.Linearization {
		return errNoPSUReplicates
	}
	switch {
	case spec == nil:
		return errors.New("the design has no PSU column, so every ballot is its own PSU and the sums would be as many as the ballots")
	case spec.PPS != sampling.PPSNone && spec.PSU == "":
		return errors.New("a PPS design without a PSU column gives every ballot its own inclusion probability, so the sums would be as many as the ballots")
	case spec.AdjustInfluence != nil:
		return errors.New("calibration needs every ballot's residual")
	case spec.Weight == "" && (spec.FPC != "" || spec.PPS == sampling.PPSJoint) && !fpcWeighted(spec):
		return errors.New("without a weight column the weights come from the fpc or the joint probabilities' diagonal, which replicate weight columns do not follow (give the weight as a column)")
	}
	return nil
}

// Sums accumulates, over record batches of ballots, the weighted sums from
// which the indices of Compute are finished (FromSums): per cell (stratum,
// PSU, fpc value, domain) the number of ballots n and Σ w, and per item k
// (the expectation shares, then the criteria)
//
//	Y_k = Σ w·y_k,  X_k = Σ w·x_k,  n_k = Σ x_k,  Q_k = Σ w·y_k²
//
// with x_k = 1 for a valid answer (0 otherwise) and y_k its value in
// percent (0 for no answer); per element and SIPAS the number of ballots
// with at least one valid answer among its criteria; and both counts over
// the ballots of nonzero weight (the design effect's n). The ratio of item k
// in a domain is ΣY/ΣX and its linearized variance needs only the PSU
// totals of its influence values, Σ_psu w(y − R x)/X = (Y_psu − R X_psu)/X,
// so FromSums gives Compute's estimates and SEs (up to the order of the
// additions). Q_k gives the design effects of the criteria and the
// expectation shares; those of an element and SIPAS, whose influence value
// Σ_k c_k (y_k − R_k x_k)/X_k is a combination of criteria, need per pair
// of its criteria k < l the cross-products
//
//	Σ w·y_k·y_l,  Σ w·y_k·x_l,  Σ w·x_k·y_l,  Σ w·x_k·x_l
//
// and Σ w over the ballots with a valid answer to one of its criteria.
//
// A Sums is not safe for concurrent use; accumulate batches in several
// Sums and Merge them.
type Sums struct {
	q      *Questionnaire
	weight string
	// positive: the weights are design weights to be adjusted, which must
	// be > 0 (not only ≥ 0)
	positive bool
	keys     []*sumsKey // strata, PSU, fpc, by columns, weighting classes (unique names)
	// the SHA-256 of the weighting whose design weights are summed
	// (weighting.SpecHash), recorded in the table's metadata; "" without
	wspec  string
	ne, nc int
	ytab   []*[256]float64
	xtab   []*[256]float64
	valid  [][]uint8 // per item: the codes of a valid answer
	used   [][]uint8 // and those plus noAnswer, the only codes it holds
	combos [][]int   // criteria (0-based) with a nonzero coefficient
	pairs  []sumsPair

	cells map[string]int32
	cell  [][]int32 // per cell: the key codes
	first []int64   // per cell: the input row (0-based) of its first ballot
	n     []int64
	w     []float64
	y, x  []float64 // [cell*K+k]
	yy    []float64
	uy    []float64 // [cell*K+k]: Σ y unweighted (SumsColumn "u", when unw)
	nk    []int64
	nz    []int64     // [cell*K+k]: of nk, the answers of ballots of weight 0
	ncomb []int64     // [cell*C+c]
	ncz   []int64     // [cell*C+c]: of ncomb, the ballots of weight 0
	wcomb []float64   // [cell*C+c]
	pm    [][]float64 // per cell [4p + part]: the pair sums (sums_pairs.go)
	// adopt, when set, is the pair sums slice cellAt gives a new cell
	// (merge moving a merged cell's)
	adopt []float64
	pt    *pairTabs

	allowed [256]uint8 // 1 for the criteria's valid and declared missing codes
	// allowedRanges: those codes as byte ranges, if they are (rangesOf)
	allowedRanges *codeRanges

	vals *valueSums  // the estimands of NewEstimandSums, or nil
	cal  *calSums    // a calibration's residual sums (SumCalibratedFile), or nil
	rcal *rowRepSums // and its replicates' sums (a replicate variance), or nil
	rep  *repSums    // the replicate sums of replicate weight columns, or nil
	// a design without PSU column (unitMoments): per cell the ballots of
	// nonzero weight, and the sums of the squared weights (nil when every
	// weight is 1: the sums themselves)
	pos []int64
	sq  *Sums
	// the keys of a design weighted by its fpc (fpcWeighted), whose
	// ballots are summed with weight 1 and scaled by Table, or nil
	fpcw *fpcKeys
	// w2: the table carries each cell's Σ w² (SumsWeightsSquared: a
	// weighting of a design without PSU column)
	w2 bool
	// unw: the table carries per item the unweighted Σ y (SumsColumn
	// "u": a raking under linearization, weightingUnweighted)
	unw bool
	// shard of shards > 1: the accumulator adds the rows of the cells of
	// its shard only (cellShard), and reads every batch: the shards' Sums
	// hold disjoint cells, merged at the end (sumShards)
	shard, shards int

	// grow, when set, is called with the rows of the batch read so far
	// whenever a cell is made; its error stops the batch (a bound of the
	// cells' memory, cellLimit.watch)
	grow func(rows int) error

	// scratch
	keyBuf   []byte
	codes    [][]int8 // per item: the batch's codes (bufs, or the column's values)
	bufs     [][]int8
	exKind   *[256]uint8    // exKinds
	exRanges *[2]codeRanges // the answers and the allowed codes, if ranges
	exBufs   [][]int8       // the expectation items' codes
	answered []uint64       // byte i: row i answered an expectation item
	change   []int32
}

// sumsPair is two criteria (0-based, k < l) that share a composite.
type sumsPair struct{ k, l int }

// compositePairs returns the pairs of criteria k < l with nonzero
// coefficients in a common element or SIPAS, in questionnaire order.
func compositePairs(q *Questionnaire) []sumsPair {
	coef := compositeCoefficients(q)
	var out []sumsPair
	for k := range q.Criteria {
		for l := k + 1; l < len(q.Criteria); l++ {
			for _, co := range coef {
				if co[k] != 0 && co[l] != 0 {
					out = append(out, sumsPair{k, l})
					break
				}
			}
		}
	}
	return out
}

// sumsKey is a column of the cell key: its levels in first-seen order.
type sumsKey struct {
	name   string
	role   string // stratum, PSU, fpc or domain (for messages)
	float  bool   // fpc: keyed by the float64 value, not by its text
	typ    arrow.DataType
	levels []string
	fvals  []float64
	index  map[string]int32
	findex map[uint64]int32
	// dictCodes: the last dictionary (its offsets and bytes) and its
	// values' codes; buf holds a batch's codes
	dictOffs []int32
	dictVals []byte
	dictMap  []int32
	buf      []int32
}

// NewSums returns an empty accumulator for the indices of questionnaire q
// (nil: the default) with opt's domains, score and expectations, under
// the design columns of spec (which SumsSupport must accept). schema is
// that of the batches that will be added.
func NewSums(q *Questionnaire, spec *sampling.DesignOptions, opt *Options, schema *arrow.Schema) (*Sums, error) {
	return newSums(q, spec, opt, schema, nil)
}

// newSums is NewSums; with ws, the sums are of the design weights
// ws.DesignWeight and the cells are also keyed by the weighting's classes
// (WeightingSumsSupport).
func newSums(q *Questionnaire, spec *sampling.DesignOptions, opt *Options, schema *arrow.Schema, ws *weighting.Spec) (*Sums, error) {
	if err := weightingSumsSupport(spec, ws); err != nil {
		return nil, err
	}
	s, err := newCellSums(q, spec, opt, schema, ws)
	if err != nil || !unitMoments(spec) {
		return s, err
	}
	s.pos = []int64{}
	s.w2 = ws != nil
	if s.weight != "" {
		// with a weighting, keyed by its classes too (the same cells)
		s.sq, err = newCellSums(q, spec, opt, schema, ws)
	}
	return s, err
}

// newCellSums is newSums without the squared-weight moments.
func newCellSums(q *Questionnaire, spec *sampling.DesignOptions, opt *Options, schema *arrow.Schema, ws *weighting.Spec) (*Sums, error) {
	if opt == nil {
		opt = &Options{}
	}
	if q == nil {
		q = DefaultQuestionnaire()
	}
	s := &Sums{q: q, weight: spec.Weight, nc: len(q.Criteria), cells: map[string]int32{}}
	if err := s.setWeighting(ws); err != nil {
		return nil, err
	}
	add := s.keyAdder(schema)
	if err := addDesignKeys(add, spec, opt.By); err != nil {
		return nil, err
	}
	if ws != nil {
		if err := addWeightingKeys(add, spec, ws, true); err != nil {
			return nil, err
		}
		s.unw = weightingUnweighted(spec, ws)
	}
	if !opt.NoExpectations {
		s.ne = len(q.Expectations)
		for range q.Expectations {
			y, x := new([256]float64), new([256]float64)
			y[1], x[0], x[1] = 100, 1, 1
			s.ytab, s.xtab = append(s.ytab, y), append(s.xtab, x)
		}
	}
	sat := satisfiedTable(q, opt.Score)
	for range q.Criteria {
		y, x := new([256]float64), new([256]float64)
		for j, v := range sat {
			c := uint8(int8(q.Scale.Min + j))
			y[c], x[c] = v, 1
		}
		s.ytab, s.xtab = append(s.ytab, y), append(s.xtab, x)
	}
	for c := -128; c < 128; c++ {
		if q.CodeKind(int64(c)) != Invalid {
			s.allowed[uint8(int8(c))] = 1
		}
	}
	if r, ok := rangesOf(func(c int) bool { return s.allowed[c] == 1 }); ok {
		s.allowedRanges = &r
	}
	// the codes an item can hold: valid ones (x = 1) and noAnswer
	for k := range s.ytab {
		var valid []uint8
		for c := 0; c < 256; c++ {
			if s.xtab[k][c] != 0 {
				valid = append(valid, uint8(c))
			}
		}
		s.valid = append(s.valid, valid)
		used := append([]uint8(nil), 0x80) // noAnswer
		for c := 0; c < 256; c++ {
			if s.allowed[c] == 1 || s.xtab[k][c] != 0 {
				used = append(used, uint8(c)) // valid, or a missing code
			}
		}
		s.used = append(s.used, used)
	}
	for _, co := range compositeCoefficients(q) {
		var terms []int
		for c, v := range co {
			if v != 0 {
				terms = append(terms, c)
			}
		}
		s.combos = append(s.combos, terms)
	}
	s.pairs = compositePairs(q)
	s.pt = newPairTabs(s)
	if err := s.initReplicates(spec, opt.By, schema, s.ne+s.nc); err != nil {
		return nil, err
	}
	if ws == nil {
		s.setFPCWeights(spec)
	}
	return s, nil
}

// keyAdder returns the function that adds a column of schema as a cell
// key with its role (in messages); float keys by the float64 value (fpc).
// A name is added once; "" adds nothing.
func (s *Sums) keyAdder(schema *arrow.Schema) func(name, role string, float bool) error {
	seen := map[string]bool{}
	return func(name, role string, float bool) error {
		if name == "" || seen[name] {
			return nil
		}
		seen[name] = true
		i := schema.FieldIndices(name)
		if len(i) == 0 {
			return &MissingColumnsError{Table: "ballots", Missing: []string{name}, Available: column.Names(schema)}
		}
		typ := schema.Field(i[0]).Type
		if d, ok := typ.(*arrow.DictionaryType); ok {
			typ = d.ValueType
		}
		s.keys = append(s.keys, &sumsKey{name: name, role: role, float: float, typ: typ,
			index: map[string]int32{}, findex: map[uint64]int32{}})
		return nil
	}
}

// addDesignKeys adds spec's strata, PSU and fpc columns and the domain
// columns by with add.
func addDesignKeys(add func(name, role string, float bool) error, spec *sampling.DesignOptions, by []string) error {
	if err := add(spec.Strata, "stratum", false); err != nil {
		return err
	}
	if err := add(spec.PSU, "PSU", false); err != nil {
		return err
	}
	if err := add(spec.FPC, "fpc", true); err != nil {
		return err
	}
	for i, st := range varianceStages(spec) {
		if err := add(st.Unit, fmt.Sprintf("stage-%d unit", i+2), false); err != nil {
			return err
		}
		if err := add(st.FPC, fmt.Sprintf("stage-%d fpc", i+2), true); err != nil {
			return err
		}
	}
	for _, b := range by {
		if err := add(b, "domain", false); err != nil {
			return err
		}
	}
	return nil
}

// varianceStages are the later stages of spec that enter its linearized
// variance: all of them when the first stage has an fpc (R's full
// multistage variance, whose terms need every stage's unit totals), none
// otherwise (the ultimate-cluster variance, which needs only the PSUs').
func varianceStages(spec *sampling.DesignOptions) []sampling.Stage {
	if spec.FPC == "" {
		return nil
	}
	return spec.Stages
}

// addWeightingKeys adds with add the cell keys of the weighting ws: its
// classes and respondent flags, and its design weight when a step needs
// each row's weight (weighting.CellKeysOf), spec's variance is by
// replicates, or a raking's linearized variance needs its rows'
// unweighted sums (weightingUnweighted) and the caller's cells do not
// carry them (unweighted false).
func addWeightingKeys(add func(name, role string, float bool) error, spec *sampling.DesignOptions, ws *weighting.Spec, unweighted bool) error {
	keys, err := addClassKeys(add, ws)
	if err != nil {
		return err
	}
	// a replicate variance takes the rank of the ballots' replicate
	// weights: cells of one design weight give it (fromSums)
	if keys.DesignWeight || spec.Variance != sampling.Linearization || (keys.Unweighted && !unweighted) {
		return add(ws.DesignWeight, "design weight", true)
	}
	return nil
}

// weightingUnweighted says whether the linearized variance of the
// weighting ws takes unweighted class means (a raking step), which the
// cells then carry per item (SumsColumn "u": Σ y over the ballots,
// unweighted) instead of being keyed by the design weight: each ballot's
// z/d is its cell's factor times a y − b x (weighting.Result.
// AdjustInfluenceCells).
func weightingUnweighted(spec *sampling.DesignOptions, ws *weighting.Spec) bool {
	if ws == nil || spec.Variance != sampling.Linearization {
		return false
	}
	keys, err := weighting.CellKeysOf(ws)
	return err == nil && keys.Unweighted
}

// addClassKeys keys the cells by the class columns and respondent flags
// of the steps of ws (weighting.CellKeysOf), which it returns.
func addClassKeys(add func(name, role string, float bool) error, ws *weighting.Spec) (*weighting.CellKeys, error) {
	keys, err := weighting.CellKeysOf(ws)
	if err != nil {
		return nil, err
	}
	for _, c := range keys.Columns {
		role := "weighting class"
		if slices.Contains(keys.Flags, c) {
			role = "respondent flag"
		}
		if err := add(c, role, false); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

// weightingColumns returns the columns the weighting ws reads from the
// ballots when its steps run on cells, and those of them that key the
// cells (read as dictionaries).
func weightingColumns(ws *weighting.Spec) (cols, keys []string) {
	if ws == nil {
		return nil, nil
	}
	k, _ := weighting.CellKeysOf(ws)
	cols = append([]string(nil), k.Columns...)
	if ws.DesignWeight != "" {
		cols = append(cols, ws.DesignWeight)
	}
	return cols, k.Columns
}

// runCellWeighting runs the steps of ws on the cells of sums, whose rows
// have the design weight totals w0 and counts cnt, and returns the run
// and each cell's factor final/design weight, by which its
// design-weighted sums scale.
func runCellWeighting(ws *weighting.Spec, sums arrow.RecordBatch, w0, cnt []float64) (*weighting.Result, []float64, error) {
	wres, err := weighting.RunCells(ws, sums, w0, cnt)
	if err != nil {
		return nil, nil, err
	}
	f := make([]float64, len(w0))
	for c, v := range wres.Weights {
		f[c] = v / w0[c]
	}
	return wres, f, nil
}

// scaleCells multiplies every cell c of each of cols by f[c].
func scaleCells(f []float64, cols ...[]float64) {
	for _, col := range cols {
		for c := range col {
			col[c] *= f[c]
		}
	}
}

// Cells returns the number of cells accumulated so far.
func (s *Sums) Cells() int { return len(s.n) }

// Add accumulates the ballots of rec, whose first row is row first+1 of
// the input (for the row numbers of errors). An invalid answer code, a
// missing or invalid weight or a null stratum or PSU is an error naming
// the row; nothing of rec is then added.
func (s *Sums) Add(rec arrow.RecordBatch, first int64) error {
	n := int(rec.NumRows())
	if n == 0 {
		return nil
	}
	K := s.ne + s.nc
	// answer codes, checked before anything is added
	if cap(s.codes) < K {
		s.codes = make([][]int8, K)
	}
	codes := s.codes[:K]
	if s.ne > 0 {
		ex, err := s.expectations(rec, first)
		if err != nil {
			return err
		}
		copy(codes, ex)
	}
	if len(s.bufs) < K {
		s.bufs = make([][]int8, K)
	}
	for c, cr := range s.q.Criteria {
		k := s.ne + c
		// an int8 column without nulls is used as it is once every code
		// is checked to be valid or a declared missing code (the value
		// tables give missing codes x = 0, as noAnswer)
		if i := column.Index(rec, cr.Column); i >= 0 {
			if a8, ok := rec.Column(i).(*array.Int8); ok && a8.NullN() == 0 && s.allowedAll(a8.Int8Values()) {
				codes[k] = a8.Int8Values()
				continue
			}
		}
		if cap(s.bufs[k]) < n {
			s.bufs[k] = make([]int8, n)
		}
		codes[k] = s.bufs[k][:n]
		if err := itemCodes(s.q, rec, cr.Column, codes[k]); err != nil {
			var ic *InvalidCodeError
			if errors.As(err, &ic) {
				ic.Row += int(first)
			}
			return err
		}
	}
	// weights
	var w []float64
	if s.weight != "" {
		col, err := arrowio.Column(rec, s.weight)
		if err != nil {
			return err
		}
		var valid []bool
		if f, ok := col.(*array.Float64); ok && f.NullN() == 0 {
			w = f.Float64Values() // no copy
		} else if w, valid, err = arrowio.Float64s(col); err != nil {
			return fmt.Errorf("weight column %q: %w", s.weight, err)
		}
		if err := s.checkWeights(w, valid, first); err != nil {
			return err
		}
	}
	if s.rep != nil {
		if err := s.rep.read(rec, first); err != nil {
			return err
		}
	}
	if s.vals != nil {
		if err := s.vals.read(rec, first); err != nil {
			return err
		}
	}
	if s.cal != nil {
		if err := s.cal.read(rec); err != nil {
			return err
		}
	}
	if s.rcal != nil {
		if err := s.rcal.read(rec); err != nil {
			return err
		}
	}
	// cell of every row
	kc := make([][]int32, len(s.keys))
	for j, k := range s.keys {
		var err error
		if kc[j], err = k.code(rec, first); err != nil {
			return err
		}
	}
	if s.rep != nil {
		s.rep.item = s.replicateItems(codes)
	}
	if s.sq != nil || (s.vals != nil && s.vals.u[0] != nil) {
		for i, v := range w {
			if math.IsInf(v*v, 0) {
				return fmt.Errorf("weight column %q: %w: %v at row %d is too large to square (the variance of a design without PSU column sums w²)", s.weight, sampling.ErrBadWeight, v, first+int64(i)+1)
			}
		}
	}
	if err := s.addCells(kc, codes, w, n, first); err != nil {
		return err
	}
	return s.addSquared(rec, w, first)
}

// badWeight is the error about weight v (missing unless valid) of input
// row row, in the words of the design's check of a whole table.
func (s *Sums) badWeight(valid bool, v float64, row int64) error {
	what := "missing"
	switch {
	case !valid:
	case math.IsNaN(v):
		what = "NaN"
	case math.IsInf(v, 0):
		what = "infinite"
	case v < 0:
		what = "negative"
	default:
		what = "zero"
	}
	if s.positive {
		return fmt.Errorf("design weight column %q: %w: %s at row %d; design weights must be positive and finite", s.weight, sampling.ErrBadWeight, what, row)
	}
	return fmt.Errorf("weight column %q: %w: %s at row %d; weights must be finite and ≥ 0 (zero is allowed)", s.weight, sampling.ErrBadWeight, what, row)
}

// allowedAll reports whether every code of v is valid or a declared
// missing code.
func (s *Sums) allowedAll(v []int8) bool {
	g := 0
	if r := s.allowedRanges; r != nil {
		g = len(v) &^ 7
		if !inRanges(v[:g], r) {
			return false
		}
	}
	ok := uint8(1)
	for _, c := range v[g:] {
		ok &= s.allowed[uint8(c)]
	}
	return ok == 1
}

// cellAt returns the cell of row i's key codes, creating it if new, with
// row the input row of that first ballot.
func (s *Sums) cellAt(kc [][]int32, i, K, C int, row int64) int32 {
	b := s.keyBuf[:0]
	for j := range kc {
		v := uint32(kc[j][i])
		b = append(b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
	}
	s.keyBuf = b
	if c, ok := s.cells[string(b)]; ok {
		return c
	}
	c := int32(len(s.n))
	s.cells[string(b)] = c
	key := make([]int32, len(kc))
	for j := range kc {
		key[j] = kc[j][i]
	}
	s.cell = append(s.cell, key)
	s.first = append(s.first, row)
	s.n = append(s.n, 0)
	s.w = append(s.w, 0)
	s.y = append(s.y, make([]float64, K)...)
	s.x = append(s.x, make([]float64, K)...)
	s.yy = append(s.yy, make([]float64, K)...)
	s.uy = append(s.uy, make([]float64, K)...)
	s.nk = append(s.nk, make([]int64, K)...)
	s.nz = append(s.nz, make([]int64, K)...)
	s.ncomb = append(s.ncomb, make([]int64, C)...)
	s.ncz = append(s.ncz, make([]int64, C)...)
	s.wcomb = append(s.wcomb, make([]float64, C)...)
	pm := s.adopt
	if pm == nil {
		pm = make([]float64, 4*len(s.pairs))
	} else {
		// a merged cell's sums, as if added to zeros (0 + -0 is 0)
		for j := range pm {
			pm[j] += 0
		}
	}
	s.pm = append(s.pm, pm) // one slice per cell: no copying as cells are added
	if s.vals != nil {
		s.vals.grow()
	}
	if s.cal != nil {
		s.cal.grow(K)
	}
	if s.rcal != nil {
		s.rcal.grow(K)
	}
	return c
}

// addRun adds rows [i0, i1), all in cell c: segments of at least segMin
// rows of one weight (the design weight of a PSU, usually) through bit
// masks (addSegment), the other rows one by one (addRows).
func (s *Sums) addRun(codes [][]int8, w []float64, c, i0, i1 int) {
	const segMin = 32
	r0 := i0 // first row not yet added
	for j := i0; j < i1; {
		w0, e := 1.0, i1
		if w != nil {
			w0, e = w[j], j+1
			for e < i1 && w[e] == w0 {
				e++
			}
		}
		if e-j >= segMin {
			if r0 < j {
				s.addRows(codes, w, c, r0, j)
			}
			s.addSegment(codes, w0, c, j, e)
			r0 = e
		}
		j = e
	}
	if r0 < i1 {
		s.addRows(codes, w, c, r0, i1)
	}
}

// addRows adds rows [i0, i1), all in cell c: per item, weighted and
// unweighted histograms of the codes (two of each, for alternate rows, so
// that runs of one code do not chain dependent additions), turned into
// the sums through the item's value tables.
func (s *Sums) addRows(codes [][]int8, w []float64, c, i0, i1 int) {
	C := len(s.combos)
	s.n[c] += int64(i1 - i0)
	ws := w
	if ws != nil {
		ws = w[i0:i1]
		sw := 0.0
		for _, v := range ws {
			sw += v
		}
		s.w[c] += sw
	} else {
		s.w[c] += float64(i1 - i0)
	}
	if i1-i0 < shortRun {
		s.addItems(codes, w, c, i0, i1)
	} else {
		s.addHist(codes, ws, c, i0, i1)
	}
	for m, terms := range s.combos {
		var cnt int64
		var sw float64
		for i := i0; i < i1; i++ {
			for _, t := range terms {
				if xt := s.xtab[s.ne+t]; xt[uint8(codes[s.ne+t][i])] != 0 {
					cnt++
					if w != nil {
						sw += w[i]
					}
					break
				}
			}
		}
		if w == nil {
			sw = float64(cnt)
		}
		s.ncomb[c*C+m] += cnt
		s.wcomb[c*C+m] += sw
	}
	s.pairRows(codes, w, c, i0, i1)
}

// shortRun is the run length below which addRows adds the items row by
// row: the histograms pay off over longer runs of one cell, rows add
// faster when the cell changes from row to row (cells keyed by weighting
// classes too).
const shortRun = 8

// addItems adds the items of rows [i0, i1), all in cell c, one by one.
func (s *Sums) addItems(codes [][]int8, w []float64, c, i0, i1 int) {
	K := s.ne + s.nc
	y, x, yy, nk := s.y[c*K:(c+1)*K], s.x[c*K:(c+1)*K], s.yy[c*K:(c+1)*K], s.nk[c*K:(c+1)*K]
	uy := s.uy[c*K : (c+1)*K]
	for i := i0; i < i1; i++ {
		wt := 1.0
		if w != nil {
			wt = w[i]
		}
		for k := range K {
			cd := uint8(codes[k][i])
			if s.xtab[k][cd] == 0 {
				continue
			}
			v := s.ytab[k][cd]
			y[k] += wt * v
			x[k] += wt
			yy[k] += wt * v * v
			uy[k] += v
			nk[k]++
		}
	}
}

// addHist adds the items of rows [i0, i1), all in cell c (ws their
// weights, nil: 1), through weighted and unweighted histograms of the
// codes.
func (s *Sums) addHist(codes [][]int8, ws []float64, c, i0, i1 int) {
	K := s.ne + s.nc
	var hw, hw2 [256]float64
	var hn, hn2 [256]int64
	for k := 0; k < K; k++ {
		cs := codes[k][i0:i1]
		if ws == nil {
			for _, cd := range cs {
				hn[uint8(cd)]++
			}
		} else {
			ws := ws[:len(cs)]
			i := 0
			for ; i+1 < len(cs); i += 2 {
				a, b := uint8(cs[i]), uint8(cs[i+1])
				hw[a] += ws[i]
				hn[a]++
				hw2[b] += ws[i+1]
				hn2[b]++
			}
			if i < len(cs) {
				hw[uint8(cs[i])] += ws[i]
				hn[uint8(cs[i])]++
			}
		}
		yt := s.ytab[k]
		var sy, sx, syy, suy float64
		var sn int64
		for _, cd := range s.valid[k] {
			n := hn[cd] + hn2[cd]
			if n == 0 {
				continue
			}
			wt := float64(n)
			if ws != nil {
				wt = hw[cd] + hw2[cd]
			}
			y := yt[cd]
			sy += wt * y
			sx += wt
			syy += wt * y * y
			suy += float64(n) * y
			sn += n
		}
		for _, cd := range s.used[k] {
			hw[cd], hw2[cd], hn[cd], hn2[cd] = 0, 0, 0, 0
		}
		s.y[c*K+k] += sy
		s.x[c*K+k] += sx
		s.yy[c*K+k] += syy
		s.uy[c*K+k] += suy
		s.nk[c*K+k] += sn
	}
}

// code returns the key codes of rec's rows in k's levels (−1: null).
func (k *sumsKey) code(rec arrow.RecordBatch, first int64) ([]int32, error) {
	col, err := arrowio.Column(rec, k.name)
	if err != nil {
		return nil, err
	}
	nullRow := func(i int) error {
		return fmt.Errorf("%s column %q: %w: missing value at row %d; every row needs a %s", k.role, k.name, sampling.ErrBadDesign, int(first)+i+1, k.role)
	}
	if k.float {
		var v []float64
		var valid []bool
		if f, ok := col.(*array.Float64); ok && f.NullN() == 0 {
			v = f.Float64Values() // no copy
		} else if v, valid, err = arrowio.Float64s(col); err != nil {
			return nil, fmt.Errorf("%s column %q: %w", k.role, k.name, err)
		}
		if cap(k.buf) < len(v) {
			k.buf = make([]int32, len(v))
		}
		out := k.buf[:len(v)]
		for i, f := range v {
			if valid != nil && !valid[i] {
				if k.role == "fpc" {
					return nil, fmt.Errorf("fpc column %q: %w: row %d has no value; the fpc must be a population count of PSUs or a sampling fraction", k.name, sampling.ErrBadFPC, int(first)+i+1)
				}
				if stage, ok := strings.CutSuffix(k.role, " fpc"); ok {
					return nil, fmt.Errorf("fpc column %q: %w: row %d has no value; the %s fpc must be a population count of units or a sampling fraction", k.name, sampling.ErrBadFPC, int(first)+i+1, stage)
				}
				return nil, nullRow(i)
			}
			if i > 0 && f == v[i-1] {
				out[i] = out[i-1]
				continue
			}
			b := math.Float64bits(f)
			g, ok := k.findex[b]
			if !ok {
				g = int32(len(k.fvals))
				k.findex[b] = g
				k.fvals = append(k.fvals, f)
			}
			out[i] = g
		}
		return out, nil
	}
	if out, ok := k.dictCodes(col); ok {
		return out, nil
	}
	cd, err := catcode.Code(col, catcode.NullMissing)
	if err != nil {
		return nil, fmt.Errorf("%s column %q: %w", k.role, k.name, err)
	}
	glob := make([]int32, len(cd.Levels))
	for l, v := range cd.Levels {
		g, ok := k.index[v]
		if !ok {
			g = int32(len(k.levels))
			k.index[v] = g
			k.levels = append(k.levels, v)
		}
		glob[l] = g
	}
	out := cd.Codes
	for i, l := range out {
		if l < 0 {
			if k.role != "domain" && k.role != "respondent flag" {
				return nil, nullRow(i)
			}
			continue
		}
		out[i] = glob[l]
	}
	return out, nil
}

// Merge adds the cells of o (built with the same arguments) to s.
func (s *Sums) Merge(o *Sums) { s.merge(o, false) }

// merge is Merge; with consume, o is not used afterwards: its cells' pair
// sums (most of a cell's memory) become those of the cells it adds to s,
// and the others are dropped as they are added, so that the two do not
// hold the pair sums twice.
func (s *Sums) merge(o *Sums, consume bool) {
	K, C := s.ne+s.nc, len(s.combos)
	kc := make([][]int32, len(s.keys))
	for j := range kc {
		kc[j] = []int32{0}
	}
	cellMap := make([]int32, len(o.cell))
	for oc, key := range o.cell {
		for j, k := range o.keys {
			g := key[j]
			if g >= 0 {
				sk := s.keys[j]
				if k.float {
					f := k.fvals[g]
					b := math.Float64bits(f)
					ng, ok := sk.findex[b]
					if !ok {
						ng = int32(len(sk.fvals))
						sk.findex[b] = ng
						sk.fvals = append(sk.fvals, f)
					}
					g = ng
				} else {
					v := k.levels[g]
					ng, ok := sk.index[v]
					if !ok {
						ng = int32(len(sk.levels))
						sk.index[v] = ng
						sk.levels = append(sk.levels, v)
					}
					g = ng
				}
			}
			kc[j][0] = g
		}
		n0 := len(s.n)
		if consume {
			s.adopt = o.pm[oc]
		}
		c := int(s.cellAt(kc, 0, K, C, o.first[oc]))
		s.adopt = nil
		adopted := consume && c == n0
		s.first[c] = min(s.first[c], o.first[oc])
		cellMap[oc] = int32(c)
		s.n[c] += o.n[oc]
		s.w[c] += o.w[oc]
		if s.pos != nil {
			for len(s.pos) <= c {
				s.pos = append(s.pos, 0)
			}
			if oc < len(o.pos) {
				s.pos[c] += o.pos[oc]
			}
		}
		for k := 0; k < K; k++ {
			s.y[c*K+k] += o.y[oc*K+k]
			s.x[c*K+k] += o.x[oc*K+k]
			s.yy[c*K+k] += o.yy[oc*K+k]
			s.uy[c*K+k] += o.uy[oc*K+k]
			s.nk[c*K+k] += o.nk[oc*K+k]
			s.nz[c*K+k] += o.nz[oc*K+k]
		}
		for m := 0; m < C; m++ {
			s.ncomb[c*C+m] += o.ncomb[oc*C+m]
			s.ncz[c*C+m] += o.ncz[oc*C+m]
			s.wcomb[c*C+m] += o.wcomb[oc*C+m]
		}
		if !adopted {
			for j, v := range o.pm[oc] {
				s.pm[c][j] += v
			}
		}
		if consume {
			o.pm[oc] = nil
		}
		if s.vals != nil {
			s.vals.merge(c, o.vals, oc)
		}
		if s.cal != nil {
			s.cal.merge(c, o.cal, oc, K)
		}
		if s.rcal != nil {
			s.rcal.merge(c, o.rcal, oc)
		}
	}
	if s.vals != nil {
		s.vals.mergeFlags(o.vals)
	}
	if s.rep != nil {
		s.rep.merge(s, o.rep, cellMap)
	}
	if s.sq != nil {
		s.sq.merge(o.sq, consume)
	}
}

// Table returns the sums as a table, one row per cell sorted by the key
// columns (the caller releases it): the stratum, PSU, fpc and domain
// columns under their names (integers as int64, numbers as float64, text
// as utf8; a null domain value stays null), SumsRows, SumsWeights, then
// per item SumsColumn "y", "x", "n", "nobs", "yy" (and "u", Σ y
// unweighted, for the linearized variance of a weighting with a raking
// step), per element and SIPAS
// SumsColumn "nc", "ncobs" and "wc", and per pair of criteria that share a
// composite SumsPairColumn "yy", "yx", "xy", "xx". A nil mem is
// memory.DefaultAllocator. Without a weight column and with an fpc the
// ballots weigh g_h = N_h/n_h (1/f_h for a sampling fraction), as in
// sampling.NewDesign: they are summed with weight 1 and every weighted
// sum is written times g_h (the squared-weight moments times g_h²), so
// the table is that of the ballots with those weights.
func (s *Sums) Table(mem memory.Allocator) (arrow.RecordBatch, error) {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	K, C := s.ne+s.nc, len(s.combos)
	nCell := len(s.n)
	order := make([]int, nCell)
	for i := range order {
		order[i] = i
	}
	less := func(a, b int) int {
		for j, k := range s.keys {
			ga, gb := s.cell[a][j], s.cell[b][j]
			if ga == gb {
				continue
			}
			if ga < 0 || gb < 0 {
				if ga < 0 {
					return 1
				}
				return -1
			}
			if k.float {
				if k.fvals[ga] < k.fvals[gb] {
					return -1
				}
				return 1
			}
			return strings.Compare(k.levels[ga], k.levels[gb])
		}
		return 0
	}
	sort.SliceStable(order, func(i, j int) bool { return less(order[i], order[j]) < 0 })
	fields, cols, err := s.keyColumns(mem, order, nil)
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	if err != nil {
		return nil, err
	}
	addInt := func(name string, v func(c int) int64) {
		b := array.NewInt64Builder(mem)
		defer b.Release()
		for _, c := range order {
			b.Append(v(c))
		}
		fields = append(fields, arrow.Field{Name: name, Type: arrow.PrimitiveTypes.Int64})
		cols = append(cols, b.NewArray())
	}
	// the float columns are the slices given (no copy: the table holds
	// one copy of the sums besides the accumulators)
	addValues := func(name string, vals []float64) {
		fields = append(fields, arrow.Field{Name: name, Type: arrow.PrimitiveTypes.Float64})
		cols = append(cols, float64Array(vals))
	}
	addFloat := func(name string, v func(c int) float64) {
		vals := make([]float64, nCell)
		for i, c := range order {
			vals[i] = v(c)
		}
		addValues(name, vals)
	}
	// a design weighted by its fpc: the sums of weight 1 times the
	// cells' weights g (first order), their squares g² (w² moments)
	g := s.fpcScale()
	addInt(SumsRows, func(c int) int64 { return s.n[c] })
	addFloat(SumsWeights, scaled(g, func(c int) float64 { return s.w[c] }))
	for k, name := range s.itemNames() {
		addFloat(SumsColumn("y", name), scaled(g, func(c int) float64 { return s.y[c*K+k] }))
		addFloat(SumsColumn("x", name), scaled(g, func(c int) float64 { return s.x[c*K+k] }))
		addInt(SumsColumn("n", name), func(c int) int64 { return s.nk[c*K+k] })
		addInt(SumsColumn("nobs", name), func(c int) int64 { return s.nk[c*K+k] - s.nz[c*K+k] })
		addFloat(SumsColumn("yy", name), scaled(g, func(c int) float64 { return s.yy[c*K+k] }))
		if s.unw {
			addFloat(SumsColumn("u", name), func(c int) float64 { return s.uy[c*K+k] })
		}
	}
	for m, name := range compositeNames(s.q)[:C] {
		addInt(SumsColumn("nc", name), func(c int) int64 { return s.ncomb[c*C+m] })
	}
	for m, name := range compositeNames(s.q)[:C] {
		addInt(SumsColumn("ncobs", name), func(c int) int64 { return s.ncomb[c*C+m] - s.ncz[c*C+m] })
	}
	for m, name := range compositeNames(s.q)[:C] {
		addFloat(SumsColumn("wc", name), scaled(g, func(c int) float64 { return s.wcomb[c*C+m] }))
	}
	s.pairColumns(s, order, "", g, addValues)
	if s.vals != nil {
		s.vals.columns(order, g, addFloat, addInt)
	}
	if s.cal != nil {
		s.cal.columns(s.itemNames(), addFloat)
	}
	if s.rcal != nil {
		s.rcal.columns(s.itemNames(), addFloat)
	}
	if s.rep != nil {
		grp := s.rep.cellGroups(s)
		addInt(repGroupColumn, func(c int) int64 { return int64(grp[c]) })
	}
	s.unitColumns(order, squares(g), addInt, addFloat, addValues)
	names := make(map[string]bool, len(fields))
	for _, f := range fields {
		if names[f.Name] {
			return nil, fmt.Errorf("index: sums table: column name %q used twice (a design or domain column clashes with a sums column)", f.Name)
		}
		names[f.Name] = true
	}
	var md *arrow.Metadata
	if s.wspec != "" {
		m := arrow.NewMetadata([]string{WeightingKey}, []string{s.wspec})
		md = &m
	}
	return array.NewRecordBatch(arrow.NewSchema(fields, md), cols, int64(nCell)), nil
}

// WeightingKey is the schema metadata key under which a sums table of
// ballots summed with the design weights of a weighting records that
// weighting's SHA-256 (weighting.SpecHash): such a table is finished with
// the same weighting only. A table without it (made by SQL, or kept as
// CSV) is taken to be of the weighting it is finished with.
const WeightingKey = "sipas.sums.weighting"

// setWeighting makes s sum the design weights of ws (nil: none) and
// record ws in its table (WeightingKey).
func (s *Sums) setWeighting(ws *weighting.Spec) error {
	if ws == nil {
		return nil
	}
	h, err := weighting.SpecHash(ws)
	if err != nil {
		return err
	}
	s.weight, s.positive, s.wspec = ws.DesignWeight, true, h
	return nil
}

// weightedTable reports (wrapping ErrSums) a sums table whose metadata
// records a weighting (WeightingKey) other than ws, or any when ws is nil:
// its sums are of the design weights, and finishing it without that
// weighting's steps would give design-weighted numbers.
func weightedTable(sums arrow.RecordBatch, ws *weighting.Spec) error {
	h, ok := sums.Schema().Metadata().GetValue(WeightingKey)
	if !ok {
		return nil
	}
	if ws == nil {
		return fmt.Errorf("%w: the table sums the design weights of a weighting (schema metadata %q, SHA-256 %.12s…): finish it with the same weighting specification", ErrSums, WeightingKey, h)
	}
	want, err := weighting.SpecHash(ws)
	if err != nil {
		return err
	}
	if h != want {
		return fmt.Errorf("%w: the table was made with another weighting specification (SHA-256 %.12s…, this one's %.12s…); give the specification the table was made with", ErrSums, h, want)
	}
	return nil
}

// pairColumns adds the pair columns of the cells in order, named with
// prefix before the part, from the sums of m (s or its squared weights')
// times g per cell (nil: 1).
func (s *Sums) pairColumns(m *Sums, order []int, prefix string, g []float64, addValues func(string, []float64)) {
	pv := make([][]float64, 4*len(s.pairs)) // [4p+part][cell]
	for j := range pv {
		pv[j] = make([]float64, len(order))
	}
	for i, c := range order {
		f := 1.0
		if g != nil {
			f = g[c]
		}
		for p := range s.pairs {
			for j, v := range m.pairMoments(c, p) {
				pv[4*p+j][i] = f * v
			}
		}
	}
	for p, pr := range s.pairs {
		a, b := s.q.Criteria[pr.k].Column, s.q.Criteria[pr.l].Column
		for j, part := range pairParts {
			addValues(SumsPairColumn(prefix+part, a, b), pv[4*p+j])
		}
	}
}

// keyColumns returns the key columns (those that keep accepts; nil: all)
// of the cells in order, with their fields; the caller releases the
// columns, also on error.
func (s *Sums) keyColumns(mem memory.Allocator, order []int, keep func(*sumsKey) bool) ([]arrow.Field, []arrow.Array, error) {
	var fields []arrow.Field
	var cols []arrow.Array
	for j, k := range s.keys {
		if keep != nil && !keep(k) {
			continue
		}
		a, typ, err := k.build(mem, order, s.cell, j)
		if err != nil {
			return nil, cols, err
		}
		fields = append(fields, arrow.Field{Name: k.name, Type: typ, Nullable: true})
		cols = append(cols, a)
	}
	return fields, cols, nil
}

// build returns key column j of the cells in order, with its type.
func (k *sumsKey) build(mem memory.Allocator, order []int, cell [][]int32, j int) (arrow.Array, arrow.DataType, error) {
	switch {
	case k.float:
		b := array.NewFloat64Builder(mem)
		defer b.Release()
		for _, c := range order {
			b.Append(k.fvals[cell[c][j]])
		}
		return b.NewArray(), arrow.PrimitiveTypes.Float64, nil
	case arrow.IsInteger(k.typ.ID()):
		b := array.NewInt64Builder(mem)
		defer b.Release()
		for _, c := range order {
			g := cell[c][j]
			if g < 0 {
				b.AppendNull()
				continue
			}
			v, err := strconv.ParseInt(k.levels[g], 10, 64)
			if err != nil {
				return nil, nil, fmt.Errorf("%s column %q: value %s does not fit in int64", k.role, k.name, k.levels[g])
			}
			b.Append(v)
		}
		return b.NewArray(), arrow.PrimitiveTypes.Int64, nil
	case arrow.IsFloating(k.typ.ID()):
		b := array.NewFloat64Builder(mem)
		defer b.Release()
		for _, c := range order {
			g := cell[c][j]
			if g < 0 {
				b.AppendNull()
				continue
			}
			v, _ := strconv.ParseFloat(k.levels[g], 64)
			b.Append(v)
		}
		return b.NewArray(), arrow.PrimitiveTypes.Float64, nil
	}
	b := array.NewStringBuilder(mem)
	defer b.Release()
	for _, c := range order {
		g := cell[c][j]
		if g < 0 {
			b.AppendNull()
			continue
		}
		b.Append(k.levels[g])
	}
	return b.NewArray(), arrow.BinaryTypes.String, nil
}

// itemNames are the columns of the items in estimand order: the
// expectation items (when kept), then the criteria.
func (s *Sums) itemNames() []string {
	var out []string
	for _, e := range s.q.Expectations[:s.ne] {
		out = append(out, e.Column)
	}
	for _, c := range s.q.Criteria {
		out = append(out, c.Column)
	}
	return out
}

// pairParts are the cross-products of a criteria pair, in Sums.pm order.
var pairParts = [4]string{"yy", "yx", "xy", "xx"}

// compositeNames are the element ids and "sipas", in the order of
// compositeCoefficients.
func compositeNames(q *Questionnaire) []string {
	var out []string
	for _, e := range q.Elements {
		out = append(out, e.ID)
	}
	return append(out, "sipas")
}

// sumsUnitWeight is the weight column FromSums gives the cells.
const sumsUnitWeight = "\x00sipas_cell_weight"

// FromSums finishes the indices of Compute from a sums table (Sums.Table,
// or the same table computed elsewhere, e.g. by a SQL GROUP BY): each cell
// becomes one row of a design with the same strata, PSUs, fpc and
// variance method as spec (whose weight column is ignored: the sums are
// weighted already), with numerators Y and denominators X, and goes through
// the design's one variance engine. Estimates, SEs, intervals, PSU counts
// and differences to the nation equal Compute's on the ballots (up to the
// order of the additions); n is taken from the n columns, and the design
// effect of a criterion or expectation share from Q:
//
//	Σ w r² = (Q − 2R·Y + R²·X)/X²,  r = (y − R x)/X
//
// and that of an element or SIPAS, r = Σ_k c_k (a_k y_k − b_k x_k) with
// a_k = 1/X_k, b_k = R_k/X_k, from the same sums and the pairs'
// cross-products (SumsPairColumn), Σ w r² being the quadratic form
// Σ_k Σ_l c_k c_l (a_k a_l·Σwy_k y_l − a_k b_l·Σwy_k x_l − b_k a_l·Σwx_k y_l
// + b_k b_l·Σwx_k x_l), over Σ w of the composite's ballots ("wc").
// A table without the cross-products (written before they were added) is
// an error wrapping ErrSums. Ballots of weight 0 count in n; under
// linearization the design effect's n is that of the answers of nonzero
// weight (the "nobs" and "ncobs" columns; a table without them is taken
// to have no ballots of weight 0), and a cell of Σ w = 0 is a row of
// weight 0 (out of the degrees of freedom and its domain's PSU count), as
// Compute treats such ballots; a replicate design's n counts them all.
// The returned design is that of the cells (for its strata, PSUs and
// degrees of freedom; its rows are cells).
func FromSums(ctx context.Context, sums arrow.RecordBatch, q *Questionnaire, spec *sampling.DesignOptions, opt *Options) (*Result, *sampling.Design, error) {
	r, d, _, err := fromSums(ctx, sums, q, spec, opt, nil, nil)
	return r, d, err
}

// fromSums is FromSums; with ws, the sums are of the design weights and
// the cells are keyed by ws's classes (FromWeightedSums); with cal, they
// are of the final weights of a calibration solved by passes over the
// ballots, with its residual sums (FromCalibratedSums).
func fromSums(ctx context.Context, sums arrow.RecordBatch, q *Questionnaire, spec *sampling.DesignOptions, opt *Options, ws *weighting.Spec, cal *weighting.Streamed) (*Result, *sampling.Design, *weighting.Result, error) {
	return fromSumsReps(ctx, sums, q, spec, opt, ws, cal, nil)
}

// cellDesign returns spec for a table of cell sums, whose rows weigh 1
// (the weights are in the sums), or why such a table cannot carry it; the
// replicate sums rs must be given when its replicate weights are columns.
func cellDesign(spec *sampling.DesignOptions, rs *sampling.ReplicateSums) (sampling.DesignOptions, error) {
	ds := *spec
	ds.Weight = sumsUnitWeight
	if err := SumsSupport(&ds); err != nil {
		return ds, err
	}
	if suppliedReplicates(spec) && rs == nil {
		return ds, errNoReplicateSums
	}
	return ds, nil
}

// fromSumsReps is fromSums; rs are the replicate sums of a design whose
// replicate weights are columns (FromReplicateSums).
func fromSumsReps(ctx context.Context, sums arrow.RecordBatch, q *Questionnaire, spec *sampling.DesignOptions, opt *Options, ws *weighting.Spec, cal *weighting.Streamed, rs *sampling.ReplicateSums) (*Result, *sampling.Design, *weighting.Result, error) {
	if spec == nil {
		spec = &sampling.DesignOptions{}
	}
	if ws != nil {
		if err := weightingSumsSupport(spec, ws); err != nil {
			return nil, nil, nil, err
		}
	}
	if cal == nil {
		if err := calibratedTable(sums); err != nil {
			return nil, nil, nil, err
		}
		if err := weightedTable(sums, ws); err != nil {
			return nil, nil, nil, err
		}
	}
	ds, err := cellDesign(spec, rs)
	if err != nil {
		return nil, nil, nil, err
	}
	if opt == nil {
		opt = &Options{}
	}
	if q == nil {
		q = DefaultQuestionnaire()
	}
	level, ci, err := levelCI(opt)
	if err != nil {
		return nil, nil, nil, err
	}
	if ci == sampling.Likelihood {
		return nil, nil, nil, fmt.Errorf("index: the likelihood interval profiles the model on the ballots, which sums do not carry; compute the indices from the ballots, or choose another interval")
	}
	n := int(sums.NumRows())
	var names []string
	ne := 0
	if !opt.NoExpectations {
		for _, e := range q.Expectations {
			names = append(names, e.Column)
		}
		ne = len(names)
	}
	for _, c := range q.Criteria {
		names = append(names, c.Column)
	}
	K := len(names)
	num, den := make([][]float64, K), make([][]float64, K)
	qq := make([][]float64, K)
	nk, nobs := make([][]int64, K), make([][]int64, K)
	valid := make([][]bool, K)
	get := func(name string) ([]float64, error) {
		i := column.Index(sums, name)
		if i < 0 {
			return nil, fmt.Errorf("%w: missing column %q (available: %s)", ErrSums, name, listColumns(column.Names(sums.Schema())))
		}
		v, ok, err := arrowio.Float64s(sums.Column(i))
		if err != nil {
			return nil, fmt.Errorf("%w: column %q: %v", ErrSums, name, err)
		}
		for r, x := range v {
			if (ok != nil && !ok[r]) || math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, fmt.Errorf("%w: column %q, row %d: missing or not finite", ErrSums, name, r+1)
			}
		}
		return v, nil
	}
	getInt := func(name string) ([]int64, error) { return sumsCounts(get, name) }
	// getObs reads a count of the answers of ballots of nonzero weight,
	// at most the count n of all answers; a table without it (written
	// before it was added) has no ballots of weight 0
	getObs := func(name string, n []int64) ([]int64, error) {
		if column.Index(sums, name) < 0 {
			return n, nil
		}
		v, err := getInt(name)
		if err != nil {
			return nil, err
		}
		for r, c := range v {
			if c > n[r] {
				return nil, fmt.Errorf("%w: column %q, row %d: %d answers of ballots of nonzero weight, more than the %d of all ballots", ErrSums, name, r+1, c, n[r])
			}
		}
		return v, nil
	}
	for k, name := range names {
		if num[k], err = get(SumsColumn("y", name)); err != nil {
			return nil, nil, nil, err
		}
		if den[k], err = get(SumsColumn("x", name)); err != nil {
			return nil, nil, nil, err
		}
		if qq[k], err = get(SumsColumn("yy", name)); err != nil {
			return nil, nil, nil, err
		}
		if nk[k], err = getInt(SumsColumn("n", name)); err != nil {
			return nil, nil, nil, err
		}
		if nobs[k], err = getObs(SumsColumn("nobs", name), nk[k]); err != nil {
			return nil, nil, nil, err
		}
		valid[k] = make([]bool, n)
		for r, c := range nk[k] {
			valid[k][r] = c > 0
		}
	}
	cnames := compositeNames(q)
	ncomb, ncobs := make([][]int64, len(cnames)), make([][]int64, len(cnames))
	wcomb := make([][]float64, len(cnames))
	for m, name := range cnames {
		if ncomb[m], err = getInt(SumsColumn("nc", name)); err != nil {
			return nil, nil, nil, err
		}
		if ncobs[m], err = getObs(SumsColumn("ncobs", name), ncomb[m]); err != nil {
			return nil, nil, nil, err
		}
	}
	pairs := compositePairs(q)
	if i := column.Index(sums, SumsColumn("wc", cnames[len(cnames)-1])); i < 0 && len(pairs) > 0 {
		return nil, nil, nil, fmt.Errorf("%w: no column %q: the table lacks the cross-products of the criteria that the design effects of the elements and SIPAS need (it was written by an older version, or by an older query); compute it again", ErrSums, SumsColumn("wc", cnames[len(cnames)-1]))
	}
	for m, name := range cnames {
		if wcomb[m], err = get(SumsColumn("wc", name)); err != nil {
			return nil, nil, nil, err
		}
	}
	pcols := make([][4][]float64, len(pairs))
	for p, pr := range pairs {
		for j, part := range pairParts {
			if pcols[p][j], err = get(SumsPairColumn(part, q.Criteria[pr.k].Column, q.Criteria[pr.l].Column)); err != nil {
				return nil, nil, nil, err
			}
		}
	}
	rows, err := getInt(SumsRows)
	if err != nil {
		return nil, nil, nil, err
	}
	var w2 []float64 // Σ w² per cell (a weighting of a design without PSU column)
	if unitMoments(&ds) {
		if cal != nil && rs != nil {
			return nil, nil, nil, errNoPSUReplicates
		}
		has := func(name string) bool { return column.Index(sums, name) >= 0 }
		if ds.Units, err = readUnitMoments(names, ne, pairs, q, rows, get, getInt, has); err != nil {
			return nil, nil, nil, err
		}
		if ws != nil {
			if w2, err = readWeightsSquared(sums, get); err != nil {
				return nil, nil, nil, err
			}
		}
	}
	var wres *weighting.Result
	var reps *weighting.Replicates
	var rh *rakeHook
	if ws != nil {
		// the sums are of the design weights: every cell's rows share the
		// weighting's classes, so the steps run on the cells and each cell's
		// sums scale by its factor final/design weight
		w0, err := get(SumsWeights)
		if err != nil {
			return nil, nil, nil, err
		}
		cnt := make([]float64, n)
		for c, v := range rows {
			cnt[c] = float64(v)
		}
		var f []float64
		if wres, f, err = runCellWeighting(ws, sums, w0, cnt); err != nil {
			return nil, nil, nil, err
		}
		for k := range num {
			scaleCells(f, num[k], den[k], qq[k])
		}
		scaleCells(f, wcomb...)
		for p := range pcols {
			scaleCells(f, pcols[p][:]...)
		}
		if cal == nil && weightingUnweighted(&ds, ws) {
			// a raking: its class means are of the ballots' unweighted
			// influence values, from the cells' unweighted sums
			uy := make([][]float64, K)
			for k, name := range names {
				if uy[k], err = getUnweighted(sums, get, SumsColumn("u", name)); err != nil {
					return nil, nil, nil, err
				}
			}
			ux := make([][]float64, K)
			for k := range ux {
				ux[k] = make([]float64, n)
				for c, v := range nk[k] {
					ux[k][c] = float64(v)
				}
			}
			rh = &rakeHook{wres: wres, f: f, uy: uy, ux: ux}
		}
		switch {
		case ds.Units != nil:
			unitResiduals(ds.Units, wres, f, w2)
			if rh != nil {
				ds.Units.Residuals.Adjust, ds.Units.Residuals.AdjustTerms = nil, rh.adjust
			}
		case rh != nil:
			ds.AdjustInfluenceTerms = rh.adjust
		case ds.Variance == sampling.Linearization:
			ds.AdjustInfluence = wres.AdjustInfluence
		default:
			if reps, err = cellReplicates(ctx, sums, spec, ws, w0, cnt); err != nil {
				return nil, nil, nil, err
			}
		}
	}
	var hook *calHook
	if cal != nil && rs == nil { // the replicates' sums are calibrated already
		if hook, err = newCalHook(sums, cal, names, get, rows); err != nil {
			return nil, nil, nil, err
		}
		if ds.Units != nil {
			// every ballot its own PSU, its own residual: the cells'
			// moments of the calibration's terms
			tm, err := unitTerms(hook, names, get)
			if err != nil {
				return nil, nil, nil, err
			}
			ds.Units.Residuals = &sampling.UnitResiduals{Terms: tm}
		} else {
			ds.AdjustInfluenceTerms = hook.adjust
		}
	}
	// cells of weight 0, as rows of weight 0 in the design of the cells:
	// the weighting's nonrespondents (its classes key the cells), or
	// ballots of weight 0 (Σ w = 0 only when every w is 0), which in
	// memory count in n but not in the degrees of freedom, a domain's PSU
	// count or the design effect's n
	zero := make([]bool, n)
	if wres != nil {
		for i, v := range wres.Weights {
			zero[i] = v == 0
		}
	} else {
		w, err := get(SumsWeights)
		if err != nil {
			return nil, nil, nil, err
		}
		for i, v := range w {
			zero[i] = v == 0
		}
	}
	// the cells as rows of a design weighted 1
	ones := make([]float64, n)
	for i := range ones {
		ones[i] = 1
		if zero != nil && zero[i] {
			ones[i] = 0 // nonrespondents: in no domain's PSU count, as the rows
		}
	}
	fields := append([]arrow.Field(nil), sums.Schema().Fields()...)
	acols := append([]arrow.Array(nil), sums.Columns()...)
	rnum, rden := num, den
	if reps != nil {
		// each cell a row of the replicate design (cellRepRows), its sums
		// per unit of its weight
		m, rf, rc := cellRepRows(wres, reps, rows, &ds)
		for _, a := range rc {
			defer a.Release()
		}
		fields, acols = append(fields, rf...), append(acols, rc...)
		copy(ones, m)
		rnum, rden = make([][]float64, K), make([][]float64, K)
		for k := range num {
			rnum[k], rden[k] = append([]float64(nil), num[k]...), append([]float64(nil), den[k]...)
			perUnit(m, rnum[k], rden[k])
		}
	}
	wcol := array.NewFloat64Builder(memory.DefaultAllocator)
	wcol.AppendValues(ones, nil)
	wa := wcol.NewArray()
	wcol.Release()
	defer wa.Release()
	fields = append(fields, arrow.Field{Name: sumsUnitWeight, Type: arrow.PrimitiveTypes.Float64})
	acols = append(acols, wa)
	prec := array.NewRecordBatch(arrow.NewSchema(fields, nil), acols, int64(n))
	defer prec.Release()
	d, err := cellsDesign(prec, &ds, rs)
	if err != nil {
		return nil, nil, nil, err
	}
	coef := compositeCoefficients(q)
	combos := make([][]float64, len(coef))
	for m, a := range coef {
		combos[m] = make([]float64, K)
		copy(combos[m][ne:], a)
	}
	ratios := &sampling.Ratios{Num: rnum, Den: rden, Valid: valid, Combos: combos}
	var dom *sampling.Domains
	G := 1
	if len(opt.By) > 0 {
		if dom, err = sampling.NewDomains(prec, opt.By); err != nil {
			return nil, nil, nil, err
		}
		ratios.Domain, ratios.NDomains, ratios.Overall = dom.Code, dom.Len(), true
		ratios.VsOverall = opt.VsNation
		G = dom.Len() + 1
	}
	if hook != nil {
		if dom != nil {
			hook.domains(dom.Code, dom.Len())
		} else {
			hook.domains(nil, 0)
		}
	}
	if rh != nil && dom != nil {
		rh.dom = dom.Code
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, nil, err
	}
	r, err := d.EstimateRatios(ratios)
	if err != nil {
		return nil, nil, nil, err
	}
	// counts and design effects from the cells' n and Q
	J := r.K + r.C
	C, P := len(cnames), len(pairs)
	Y, X, Q := make([]float64, G*K), make([]float64, G*K), make([]float64, G*K)
	WC, PM := make([]float64, G*C), make([]float64, G*4*P)
	N := make([]int, G*J)
	// the design effect's n counts the answers of ballots of nonzero
	// weight, as the engine does under linearization: the cells' nobs,
	// none in a cell of weight 0 (the weighting's nonrespondents); a
	// replicate design counts them all, as the engine does
	Nobs, sep := N, d.Replicates() == 0
	if sep {
		Nobs = make([]int, G*J)
	}
	for i := 0; i < n; i++ {
		gs := []int{0}
		if dom != nil {
			gs = gs[:0]
			if g := dom.Code[i]; g >= 0 {
				gs = append(gs, int(g))
			}
			gs = append(gs, G-1)
		}
		for _, g := range gs {
			for k := 0; k < K; k++ {
				Y[g*K+k] += num[k][i]
				X[g*K+k] += den[k][i]
				Q[g*K+k] += qq[k][i]
				N[g*J+k] += int(nk[k][i])
				if sep && !zero[i] {
					Nobs[g*J+k] += int(nobs[k][i])
				}
			}
			for m := range cnames {
				N[g*J+K+m] += int(ncomb[m][i])
				if sep && !zero[i] {
					Nobs[g*J+K+m] += int(ncobs[m][i])
				}
				WC[g*C+m] += wcomb[m][i]
			}
		}
	}
	// the pairs' cross-products column by column (each sum in the cells'
	// order, as above)
	for p := range pairs {
		for j := range pairParts {
			for i, v := range pcols[p][j] {
				if dom == nil {
					PM[p*4+j] += v
					continue
				}
				if g := dom.Code[i]; g >= 0 {
					PM[(int(g)*P+p)*4+j] += v
				}
				PM[((G-1)*P+p)*4+j] += v
			}
		}
	}
	copy(r.N, N)
	for g := 0; g < G; g++ {
		for j := 0; j < J; j++ {
			at := g*J + j
			if math.IsNaN(r.Est[at]) {
				r.Deff[at], r.DeffWOR[at] = math.NaN(), math.NaN()
				continue
			}
			if j >= K {
				m := j - K
				s1, s2 := compositeDeffSums(combos[m], pairs, ne, Y[g*K:g*K+K], X[g*K:g*K+K], Q[g*K:g*K+K], PM[g*4*P:(g+1)*4*P])
				r.Deff[at], r.DeffWOR[at] = sampling.DesignEffects(r.Var[at], Nobs[at], WC[g*C+m], s1, s2)
				continue
			}
			x, y, rr := X[g*K+j], Y[g*K+j], r.Est[at]
			s1 := (y - rr*x) / x
			s2 := (Q[g*K+j] - 2*rr*y + rr*rr*x) / (x * x)
			r.Deff[at], r.DeffWOR[at] = sampling.DesignEffects(r.Var[at], Nobs[at], x, s1, s2)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, nil, err
	}
	return indexRows(q, d, r, dom, opt, ci, level, ne, nil), d, wres, nil
}

// compositeDeffSums returns Σ w r and Σ w r² of the influence values per
// unit weight r = Σ_k c_k (a_k y_k − b_k x_k), a_k = 1/X_k, b_k = Y_k/X_k²,
// of the composite with coefficients co (over the K items; criterion k is
// item ne+k) in one domain, from its items' sums Y, X, Q and the pairs'
// cross-products pm.
func compositeDeffSums(co []float64, pairs []sumsPair, ne int, Y, X, Q, pm []float64) (s1, s2 float64) {
	a := func(k int) float64 { return 1 / X[k] }
	b := func(k int) float64 { return Y[k] / X[k] / X[k] }
	for k, c := range co {
		if c == 0 {
			continue
		}
		ak, bk := a(k), b(k)
		s1 += c * (ak*Y[k] - bk*X[k])
		// the square of term k: y_k x_k = y_k and x_k² = x_k
		s2 += c * c * (ak*ak*Q[k] - 2*ak*bk*Y[k] + bk*bk*X[k])
	}
	for p, pr := range pairs {
		k, l := ne+pr.k, ne+pr.l
		ck, cl := co[k], co[l]
		if ck == 0 || cl == 0 {
			continue
		}
		ak, bk, al, bl := a(k), b(k), a(l), b(l)
		m := pm[4*p : 4*p+4]
		s2 += 2 * ck * cl * (ak*al*m[0] - ak*bl*m[1] - bk*al*m[2] + bk*bl*m[3])
	}
	return s1, s2
}

// sumsCounts reads the column name of a sums table with get and returns
// its values as counts; a negative or fractional value is an error naming
// the column and row.
func sumsCounts(get func(string) ([]float64, error), name string) ([]int64, error) {
	v, err := get(name)
	if err != nil {
		return nil, err
	}
	out := make([]int64, len(v))
	for r, x := range v {
		if x < 0 || x != math.Trunc(x) {
			return nil, fmt.Errorf("%w: column %q, row %d: %v is not a count", ErrSums, name, r+1, x)
		}
		out[r] = int64(x)
	}
	return out, nil
}
