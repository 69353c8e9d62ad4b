package index

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"

	"github.com/sipas-go/sipas/index/internal/column"
	"github.com/sipas-go/sipas/sampling"
)

// Score says how a criterion's answers become its index (METHODOLOGY §3).
type Score int

const (
	// ScoreShare (default): the weighted share of satisfied answers among
	// the valid ones, P_c = 100 · Σ w d s / Σ w d v.
	ScoreShare Score = iota
	// ScoreMean: the weighted mean answer rescaled to 0–100,
	// 100 · (ȳ_c − min)/(max − min) (an ACSI-style index; on the 1–5 scale
	// 100·(ȳ_c − 1)/4).
	ScoreMean
)

// ParseScore reads "share" or "mean".
func ParseScore(s string) (Score, error) {
	switch s {
	case "", "share":
		return ScoreShare, nil
	case "mean":
		return ScoreMean, nil
	}
	return 0, fmt.Errorf("unknown score %q: use share or mean", s)
}

// Kinds of index rows.
const (
	KindCriterion   = "criterion"
	KindElement     = "element"
	KindSIPAS       = "sipas"
	KindExpectation = "expectation"
)

// Options are the settings of Compute. The zero value (or nil) computes the
// share indices nationally, with logit intervals at the 95% level.
type Options struct {
	// By names the columns whose values define domains (e.g. province). The
	// national rows are always computed as well.
	By []string
	// Score selects satisfied share (default) or rescaled mean score.
	Score Score
	// CI is the interval method for criterion and composite rows; the zero
	// value means logit (sampling.Logit). Under sampling.Likelihood the
	// criteria and expectations get the profile likelihood interval (from
	// the ballots; FromSums refuses it), the elements and SIPAS, which are
	// no mean of one variable, the logit interval.
	CI sampling.CIMethod
	// Level is the confidence level; 0 means 0.95.
	Level float64
	// NoExpectations leaves out the expectation shares.
	NoExpectations bool
	// DF selects the degrees of freedom of the domains' intervals: the
	// design's (the zero value, METHODOLOGY §4) or each domain's own,
	// PSUs minus strata with a row of the domain (sampling.DFDomain, R's
	// degf(subset(design, domain))). The national rows always use the
	// design's.
	DF sampling.DFRule
	// VsNation also estimates, for every domain row, the difference to the
	// national row of the same index and its design-based SE
	// (Row.VsNation, Row.SEVsNation), in the same pass over the data.
	VsNation bool
}

// Row is one index estimate: a criterion, element, SIPAS or expectation
// share in one domain. Estimates, SEs and bounds are in percent (0–100).
type Row struct {
	Domain   []sampling.DomainValue // empty for the national rows
	Kind     string                 // criterion, element, sipas or expectation
	ID       string                 // criterion column, element id, "sipas", or expectation column
	Element  string                 // the criterion's element (criterion rows)
	Estimate float64
	SE       float64
	CILow    float64
	CIHigh   float64
	// N is the number of valid answers (criterion rows), of ballots with at
	// least one valid answer in the element or the questionnaire (element
	// and SIPAS rows), or of ballots that answered the expectation question.
	N int
	// Deff is the design effect; NaN for a boundary row (0/0).
	Deff float64
	// Flag is "few_psu" (see PSUs), "boundary" for an estimate of exactly 0
	// or 100 (its SE of 0 claims a certainty that the sample does not
	// give), or "low_psu" (see PSUs), the first that applies.
	Flag string
	// DF is the degrees of freedom of the interval (Options.DF).
	DF int
	// PSUs is the number of PSUs holding a ballot of the domain. With fewer
	// than 2 the SE is undefined: SE, interval and design effect are NaN
	// and Flag is "few_psu"; with fewer than sampling.LowPSU, Flag is
	// "low_psu" when no other flag applies.
	PSUs int
	// VsNation is the domain's estimate minus the national estimate of the
	// same index, and SEVsNation its design-based SE, which accounts for
	// the domain being part of the nation (see Compute); NaN for the
	// national rows, for an estimate that is NaN, and without
	// Options.VsNation.
	VsNation, SEVsNation float64
	// Undefined says why Estimate is NaN (empty when it is a number): no
	// valid answer in the domain, or, for an element or SIPAS, a criterion
	// of it without one (its weight in the average has nothing to apply
	// to).
	Undefined string
}

// Result holds the index rows in the CLI contract's order: national rows
// first, then the domains sorted by their values; within a domain the
// questionnaire's criteria, then its elements, then SIPAS, then the
// expectation shares.
type Result struct {
	Questionnaire *Questionnaire
	Rows          []Row
	DF            int
	// Options are the settings Compute ran with, its defaults filled in
	// (CI logit, Level 0.95), and Design the design it estimated under:
	// what a report says of how the numbers were made. Zero for a Result
	// that Compute did not make.
	Options Options
	Design  *sampling.Design
}

// Compute estimates the criterion, element and SIPAS indices (and the
// expectation shares) of questionnaire q from the ballots in rec under
// design d (METHODOLOGY §3–§4):
//
//	P_c = 100 · Σ w_i d_i s_ic / Σ w_i d_i v_ic          (criterion c)
//	E_e = Σ_{c∈e} a_c P_c                                 (element e)
//	S   = Σ_e b_e E_e                                     (SIPAS)
//	X_k = 100 · Σ w_i d_i x_ik / Σ w_i d_i r_i            (expectation k)
//
// All of them go to the design's one variance engine together: criteria and
// expectation shares as ratios, elements and SIPAS as linear combinations of
// the criterion ratios (so their influence values are the same combinations
// of the criteria's). Domains keep every PSU of the design (R's subset
// semantics).
//
// With Options.VsNation, each domain row also gets Δ_g = θ_g − θ with the SE
// of the difference from its influence values z_g,i − z_i (z_g zero outside
// the domain): the variance accounts for the domain being part of the
// nation (R: svyratio on the domain-zeroed and national variables with
// covmat = TRUE, then svycontrast; testdata/trend.R).
//
// d must have one row per ballot of rec (an error otherwise). Codes that are
// neither on the scale nor declared missing are an error
// (*InvalidCodeError): validate the ballots first (package ballot). ctx is
// checked between the steps; its error is returned when it is done.
//
// The unweighted official number is Compute with a design built without
// weights, strata or PSUs; it equals the simple percentage exactly.
func Compute(ctx context.Context, d *sampling.Design, rec arrow.RecordBatch, q *Questionnaire, opt *Options) (*Result, error) {
	if opt == nil {
		opt = &Options{}
	}
	if q == nil {
		q = DefaultQuestionnaire()
	}
	n := int(rec.NumRows())
	if d.Rows() != n {
		return nil, fmt.Errorf("index: the design has %d rows and the ballots %d: build the design on the same ballots, one row each", d.Rows(), n)
	}
	level, ci, err := levelCI(opt)
	if err != nil {
		return nil, err
	}
	nc := len(q.Criteria)
	codes, err := criterionCodes(q, rec)
	if err != nil {
		return nil, err
	}
	var expect [][]int8
	if !opt.NoExpectations && len(q.Expectations) > 0 {
		expect, err = expectationCodes(q, rec, 0)
		if err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	// Estimands: the expectation shares, then the criteria, all as coded
	// items (one byte per row; the engine builds no float columns);
	// combos: one per element, then SIPAS, over the criteria.
	ne := len(expect)
	k := ne + nc
	items := make([]sampling.Item, 0, k)
	for _, x := range expect {
		items = append(items, sampling.Item{Codes: x, Min: 0, Values: []float64{0, 100}})
	}
	sat := satisfiedTable(q, opt.Score)
	for c := 0; c < nc; c++ {
		items = append(items, sampling.Item{Codes: codes[c], Min: int8(q.Scale.Min), Values: sat})
	}
	coef := compositeCoefficients(q)
	combos := make([][]float64, len(coef))
	for m, a := range coef {
		combos[m] = make([]float64, k)
		copy(combos[m][ne:], a)
	}
	ratios := &sampling.Ratios{Items: items, Combos: combos}
	var dom *sampling.Domains
	if len(opt.By) > 0 {
		if dom, err = sampling.NewDomains(rec, opt.By); err != nil {
			return nil, err
		}
		// The domains and the nation in one pass (the nation is the extra
		// last domain), with the differences domain − nation if asked.
		ratios.Domain, ratios.NDomains, ratios.Overall = dom.Code, dom.Len(), true
		ratios.VsOverall = opt.VsNation
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r, err := d.EstimateRatios(ratios)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res := indexRows(q, d, r, dom, opt, ci, level, ne, func(dfs []int) (lo, hi []float64) {
		share := make([]bool, k)
		for i := range share {
			share[i] = true
		}
		return d.LikelihoodIntervals(ratios, r, share, 100, dfs, level)
	})
	return res, nil
}

// levelCI returns opt's confidence level and interval method with their
// defaults (0.95, logit).
func levelCI(opt *Options) (float64, sampling.CIMethod, error) {
	level := opt.Level
	if level == 0 {
		level = 0.95
	}
	if !(level > 0 && level < 1) {
		return 0, 0, fmt.Errorf("confidence level %v: must lie strictly between 0 and 1", level)
	}
	ci := opt.CI
	if ci == 0 {
		ci = sampling.Logit
	}
	return level, ci, nil
}

// indexRows turns the engine's result r under design d (domains dom, nil
// for national only) into the index rows of Compute. Under the Likelihood
// interval, lik gives the intervals of the single shares (at r.Index) for
// the degrees of freedom of every domain of r (nil: not available).
func indexRows(q *Questionnaire, d *sampling.Design, r *sampling.RatioResult, dom *sampling.Domains, opt *Options, ci sampling.CIMethod, level float64, ne int, lik func(dfs []int) (lo, hi []float64)) *Result {
	used := *opt
	used.By, used.CI, used.Level = slices.Clone(opt.By), ci, level
	res := &Result{Questionnaire: q, DF: d.DF(), Options: used, Design: d}
	// the df of every domain of r: the data domains, then the nation
	dfs := make([]int, r.G)
	for g := range dfs {
		dfs[g] = opt.DF.Of(r.DF)
	}
	if dom != nil && opt.DF == sampling.DFDomain {
		copy(dfs, d.DomainDF(dom.Code, dom.Len()))
	}
	var likLo, likHi []float64
	if ci == sampling.Likelihood && lik != nil {
		likLo, likHi = lik(dfs)
	}
	if dom == nil {
		res.appendRows(q, r, 0, nil, ci, level, dfs[0], ne, d.NPSU(), likLo, likHi)
		return res
	}
	res.appendRows(q, r, dom.Len(), nil, ci, level, dfs[dom.Len()], ne, d.NPSU(), likLo, likHi)
	psus := d.DomainPSUs(dom.Code, dom.Len())
	for g := 0; g < dom.Len(); g++ {
		res.appendRows(q, r, g, dom.Labels(g), ci, level, dfs[g], ne, psus[g], likLo, likHi)
	}
	return res
}

// satisfiedTable gives, for each code on the scale, the numerator value of
// a valid answer in percent: 100 for a satisfied code and 0 otherwise
// (ScoreShare), or 100·(code − min)/(max − min) (ScoreMean). Numerators are
// in percent so that the unweighted index is exactly the published
// 100·satisfied/valid (integers in floating point, one rounding).
func satisfiedTable(q *Questionnaire, s Score) []float64 {
	t := make([]float64, q.Scale.Max-q.Scale.Min+1)
	for i := range t {
		code := int64(q.Scale.Min + i)
		if s == ScoreMean {
			t[i] = 100 * float64(i) / float64(q.Scale.Max-q.Scale.Min)
		} else if q.IsSatisfied(code) {
			t[i] = 100
		}
	}
	return t
}

// compositeCoefficients are the element and SIPAS coefficients over the
// criteria of q (METHODOLOGY §3): E_e = Σ_{c∈e} a_c P_c, S = Σ_e b_e E_e,
// in the order elements, then SIPAS (the combos of Compute).
func compositeCoefficients(q *Questionnaire) [][]float64 {
	nc := len(q.Criteria)
	out := make([][]float64, len(q.Elements)+1)
	for i := range out {
		out[i] = make([]float64, nc)
	}
	elem := map[string]int{}
	for e, el := range q.Elements {
		elem[el.ID] = e
	}
	for c, cr := range q.Criteria {
		e := elem[cr.Element]
		out[e][c] = cr.Weight
		out[len(q.Elements)][c] = q.Elements[e].Weight * cr.Weight
	}
	return out
}

// expectationCodes reads the expectation items as codes: for a respondent
// who answered the question (any of its items is 0 or 1), 1 when area k
// was picked and 0 otherwise (a blank item counts as not picked); noAnswer
// when the question was not answered (every item null or a declared
// missing code). So X_k = 100·Σ w x_k / Σ w r. Any other value is an error
// naming its row, counted from first+1.
func expectationCodes(q *Questionnaire, rec arrow.RecordBatch, first int) ([][]int8, error) {
	n := int(rec.NumRows())
	x := make([][]int8, len(q.Expectations))
	answered := make([]bool, n)
	for k, ex := range q.Expectations {
		idx := column.Index(rec, ex.Column)
		if idx < 0 {
			return nil, &MissingColumnsError{Table: "ballots", Missing: []string{ex.Column}, Available: column.Names(rec.Schema()),
				Hint: "expectation items are declared by the questionnaire; drop them from it, or compute without expectations"}
		}
		xk := make([]int8, n)
		x[k] = xk
		a := rec.Column(idx)
		if a8, ok := a.(*array.Int8); ok {
			// the generator's and Parquet's usual type: raw values
			bm, off, nulls := a8.NullBitmapBytes(), a8.Data().Offset(), a8.NullN() > 0
			for i, v := range a8.Int8Values() {
				ok := !nulls || bitutil.BitIsSet(bm, off+i)
				if (v == 0 || v == 1) && ok {
					xk[i] = v
					answered[i] = true
				} else if ok && q.CodeKind(int64(v)) != MissingCode {
					return nil, fmt.Errorf("column %q, row %d: expectation item must be 0 or 1, found %d: validate the ballots first", ex.Column, first+i+1, v)
				}
			}
			continue
		}
		cc, err := column.NewCodes(a)
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", ex.Column, err)
		}
		for i := 0; i < n; i++ {
			v, st := cc.At(i)
			switch {
			case st == column.Null:
			case st == column.Code && (v == 0 || v == 1):
				xk[i] = int8(v)
				answered[i] = true
			case st == column.Code && q.CodeKind(v) == MissingCode:
				// a declared "no answer" code: the item is not answered
			default:
				return nil, fmt.Errorf("column %q, row %d: expectation item must be 0 or 1, found %q: validate the ballots first", ex.Column, first+i+1, cc.Raw(i))
			}
		}
	}
	for i, ok := range answered {
		if !ok {
			for _, xk := range x {
				xk[i] = noAnswer
			}
		}
	}
	return x, nil
}

// boundaryTol is how close (in percentage points) an index must be to 0 or
// 100 to be a boundary estimate: far below any share a survey can estimate
// (1e-10 points is one ballot in 10^12), far above rounding error.
const boundaryTol = 1e-10

// appendRows turns domain g of one engine result (G domains × (K
// estimands + C combos), already in percent) into index rows labelled dom
// (nil for the nation), with intervals on df degrees of freedom (under
// Likelihood, those of likLo and likHi for the single shares). Estimand
// order: the ne expectation shares, then the criteria; combos: the
// elements, then SIPAS.
func (res *Result) appendRows(q *Questionnaire, r *sampling.RatioResult, g int, dom []sampling.DomainValue, ci sampling.CIMethod, level float64, df, ne, psus int, likLo, likHi []float64) {
	nel := len(q.Elements)
	add := func(kind, id, elem string, j int, single bool) {
		at := r.Index(g, j)
		est, se, n := r.Est[at], r.SE[at], r.N[at]
		row := Row{Domain: dom, Kind: kind, ID: id, Element: elem, N: n, Deff: r.Deff[at], DF: df,
			VsNation: math.NaN(), SEVsNation: math.NaN()}
		if r.VsEst != nil && dom != nil {
			row.VsNation, row.SEVsNation = r.VsEst[at], r.VsSE[at]
		}
		// A share whose every valid answer is satisfied (or none is) is 100
		// (or 0) in exact arithmetic; with fractional weights the ratio can
		// come out a rounding error away. Snap it, so that the boundary rule
		// below applies.
		if math.Abs(est-100) <= boundaryTol {
			est = 100
		} else if math.Abs(est) <= boundaryTol {
			est = 0
		}
		row.Estimate, row.SE = est, se
		row.CILow, row.CIHigh = math.NaN(), math.NaN()
		est /= 100 // a share, for the interval
		switch {
		case math.IsNaN(est):
		case row.Estimate == 0 || row.Estimate == 100:
			// A boundary share: linearized SE 0 claims certainty. A
			// single share gets the Korn–Graubard interval with the
			// unweighted n; a composite gets the point.
			row.Flag = sampling.FlagBoundary
			row.SE = 0
			// The design effect is 0/0 (both variances are rounding
			// noise around 0): undefined, not a number to print.
			row.Deff = math.NaN()
			if single {
				lo, hi := sampling.ConfidenceInterval(sampling.Beta, est, 0, n, df, level)
				row.CILow, row.CIHigh = 100*lo, 100*hi
			} else {
				row.CILow, row.CIHigh = row.Estimate, row.Estimate
			}
		case ci == sampling.Likelihood && single:
			row.CILow, row.CIHigh = math.NaN(), math.NaN()
			if likLo != nil {
				row.CILow, row.CIHigh = likLo[at], likHi[at]
			}
		case ci == sampling.Likelihood:
			// a composite is no mean of one variable: no model to
			// profile; the index's default logit interval
			row.CILow, row.CIHigh = r.ShareInterval(at, sampling.Logit, 100, df, level)
		default:
			// logit under replicate weights: the replicates' logits (R)
			row.CILow, row.CIHigh = r.ShareInterval(at, ci, 100, df, level)
		}
		row.PSUs = psus
		switch f := sampling.PSUFlag(psus); {
		case f == sampling.FlagFewPSU: // one PSU: no variance to estimate
			row.SE, row.CILow, row.CIHigh, row.Deff, row.Flag = math.NaN(), math.NaN(), math.NaN(), math.NaN(), f
			// the difference to the nation has the domain's variance in
			// it: undefined too (it was the nation's alone, a p of 1e-20)
			row.SEVsNation = math.NaN()
		case f != "" && row.Flag == "":
			row.Flag = f
		}
		res.Rows = append(res.Rows, row)
	}
	first := len(res.Rows)
	for c, cr := range q.Criteria {
		add(KindCriterion, cr.Column, cr.Element, ne+c, true)
	}
	for e, el := range q.Elements {
		add(KindElement, el.ID, "", r.K+e, false)
	}
	add(KindSIPAS, "sipas", "", r.K+nel, false)
	for e := 0; e < ne; e++ {
		add(KindExpectation, q.Expectations[e].Column, "", e, true)
	}
	explainUndefined(res.Rows[first:])
}

// explainUndefined fills Undefined for the rows of one domain whose
// estimate is NaN: a share without a valid answer, or a composite (element,
// SIPAS) over a criterion without one.
func explainUndefined(rows []Row) {
	why := func(n int) string {
		if n == 0 {
			return "no valid answer"
		}
		return "answers whose weights sum to 0"
	}
	for i := range rows {
		r := &rows[i]
		if !math.IsNaN(r.Estimate) {
			continue
		}
		if r.Kind == KindCriterion || r.Kind == KindExpectation {
			r.Undefined = why(r.N)
			continue
		}
		r.Undefined = why(0)
		for _, c := range rows {
			if c.Kind == KindCriterion && math.IsNaN(c.Estimate) && (r.Kind == KindSIPAS || c.Element == r.ID) {
				r.Undefined = "criterion " + c.ID + " has " + why(c.N)
				break
			}
		}
	}
}
