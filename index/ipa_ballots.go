package index

import (
	"context"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/sampling"
)

// IPARow is the importance–performance result of one criterion in one
// domain (ImportancePerformanceOf).
type IPARow struct {
	// Domain is empty for the nation; otherwise the domain's values as in
	// Row.Domain (DomainKey gives Row.DomainKey's key).
	Domain    []sampling.DomainValue
	Criterion string // the criterion's column
	Element   string // its element id
	// N is the number of valid answers to the criterion in the domain (the
	// unweighted n of the criterion index).
	N int
	IPA
}

// DomainKey is the domain key of Row.DomainKey ("province=Hà Nội";
// "" for the nation).
func (r IPARow) DomainKey() string { return Row{Domain: r.Domain}.DomainKey() }

// ImportancePerformanceOf computes the importance–performance analysis of
// ImportancePerformance (derived importance: the weighted correlation of a
// criterion's satisfied indicator with the respondent's mean satisfaction
// over the other criteria; performance: the weighted satisfied share in
// percent; quadrants at the means of the domain's criteria) from ballots,
// nationally and in every domain of opt.By — the same inputs as Compute:
// the answers are read and classified as Compute reads them (valid codes
// on the questionnaire's scale, declared missing codes and nulls are item
// nonresponse, satisfied codes from the questionnaire; any other code is
// an *InvalidCodeError), the weights are d's final weights (d nil:
// unweighted) and the domains those of sampling.NewDomains (rows with a
// null domain value count for the nation only).
//
// The rows come nation first, then the domains sorted as Compute sorts
// them; within a domain the questionnaire's criteria in order. Per domain
// and criterion c, over the rows i of the domain with w_i > 0,
//
//	s_ic   satisfied indicator of a valid answer
//	o_i^c  = (Σ_k s_ik − s_ic) / (m_i − 1), m_i the valid answers of i
//	P_c    = 100 · Σ w s_c / Σ w v_c
//	r_c    = Σ w (s − s̄)(o − ō) / sqrt(Σ w (s − s̄)² · Σ w (o − ō)²)
//
// with s̄, ō weighted means over the rows where s_ic and o_i^c are defined
// (m_i ≥ 2). R: cov.wt(cbind(s, o), wt = w/sum(w), cor = TRUE)$cor[1, 2]
// (testdata/ipa.R). opt.Score, CI and Level are not used: the analysis is
// on the satisfied indicators (Performance equals Compute's share index).
//
// The work is two passes over the criteria's code columns (one byte per
// answer), each row adding to its domain's and the nation's sums; it
// allocates O(rows + criteria × domains). ctx is checked before each
// criterion; a design of other rows than rec is an error.
func ImportancePerformanceOf(ctx context.Context, d *sampling.Design, rec arrow.RecordBatch, q *Questionnaire, opt *Options) ([]IPARow, error) {
	if opt == nil {
		opt = &Options{}
	}
	if q == nil {
		q = DefaultQuestionnaire()
	}
	n := int(rec.NumRows())
	var w []float64
	if d != nil {
		if d.Rows() != n {
			return nil, fmt.Errorf("index: the design has %d rows and the ballots %d: build the design on the same ballots", d.Rows(), n)
		}
		w = d.Weights()
	} else {
		w = make([]float64, n)
		for i := range w {
			w[i] = 1
		}
	}
	nc := len(q.Criteria)
	codes, err := criterionCodes(q, rec)
	if err != nil {
		return nil, err
	}
	// The satisfied indicator of each code on the scale, from the same
	// table as Compute's share index (100 for satisfied codes, else 0).
	lo := int8(q.Scale.Min)
	tab := satisfiedTable(q, ScoreShare)
	sat := make([]float64, len(tab))
	for k, v := range tab {
		if v != 0 {
			sat[k] = 1
		}
	}

	// Per row: satisfied and valid answers over every criterion, and the
	// leave-one-out overall o = (Σ s − s_c)/(m − 1) for s_c = 0 and 1
	// (NaN when m < 2: o undefined).
	sum := make([]float64, n)
	cnt := make([]float64, n)
	for c := range codes {
		for i, v := range codes[c] {
			if v != noAnswer {
				sum[i] += sat[v-lo]
				cnt[i]++
			}
		}
	}
	// oo[2i+k] is row i's o when its s_c is k: looked up by the answer's
	// code (no branch on s).
	oo := make([]float64, 2*n)
	for i := range n {
		if cnt[i] < 2 {
			oo[2*i], oo[2*i+1] = math.NaN(), math.NaN()
			continue
		}
		oo[2*i], oo[2*i+1] = sum[i]/(cnt[i]-1), (sum[i]-1)/(cnt[i]-1)
	}
	si := make([]int, len(sat))
	for k, v := range sat {
		si[k] = int(v)
	}

	// Domains 0..G-1 and the nation G (every row).
	G := 0
	var dom []int32
	var labels func(g int) []sampling.DomainValue
	if len(opt.By) > 0 {
		dm, err := sampling.NewDomains(rec, opt.By)
		if err != nil {
			return nil, err
		}
		G, dom, labels = dm.Len(), dm.Code, dm.Labels
	}
	nat := G

	// acc holds, per criterion and domain, the sums of the two passes.
	// The nation's sums run in local variables; the domains' in arrays
	// (one per sum) reused across criteria.
	type sums struct {
		swv, sws1     float64 // Σw, Σws over valid answers (performance)
		sw, sws, swo  float64 // Σw, Σws, Σwo where o is defined
		cso, css, coo float64 // centred cross products (pass 2)
		n             int
	}
	acc := make([]sums, nc*(G+1))
	dwv, dws1 := make([]float64, G), make([]float64, G)
	dw, dws, dwo := make([]float64, G), make([]float64, G), make([]float64, G)
	dso, dss, doo := make([]float64, G), make([]float64, G), make([]float64, G)
	dn := make([]int, G)
	for c := range codes {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		a := acc[c*(G+1) : (c+1)*(G+1)]
		clear(dwv)
		clear(dws1)
		clear(dw)
		clear(dws)
		clear(dwo)
		clear(dn)
		var wv, ws1, sw, sws, swo float64
		nn := 0
		for i, v := range codes[c] {
			if v == noAnswer {
				continue
			}
			g := int32(-1)
			if dom != nil {
				g = dom[i]
			}
			nn++
			if g >= 0 {
				dn[g]++
			}
			wi := w[i]
			if wi == 0 {
				continue
			}
			s := sat[v-lo]
			o := oo[2*i+si[v-lo]]
			wv += wi
			ws1 += wi * s
			if g >= 0 {
				dwv[g] += wi
				dws1[g] += wi * s
			}
			if o != o { // NaN: fewer than two valid answers
				continue
			}
			sw += wi
			sws += wi * s
			swo += wi * o
			if g >= 0 {
				dw[g] += wi
				dws[g] += wi * s
				dwo[g] += wi * o
			}
		}
		a[nat] = sums{swv: wv, sws1: ws1, sw: sw, sws: sws, swo: swo, n: nn}
		for g := 0; g < G; g++ {
			a[g] = sums{swv: dwv[g], sws1: dws1[g], sw: dw[g], sws: dws[g], swo: dwo[g], n: dn[g]}
		}

		// Pass 2: centred sums around the domain's weighted means.
		ms := make([]float64, G)
		mo := make([]float64, G)
		for g := 0; g < G; g++ {
			ms[g], mo[g] = dws[g]/dw[g], dwo[g]/dw[g]
		}
		nms, nmo := sws/sw, swo/sw
		clear(dso)
		clear(dss)
		clear(doo)
		var cso, css, coo float64
		for i, v := range codes[c] {
			wi := w[i]
			if v == noAnswer || wi == 0 {
				continue
			}
			s := sat[v-lo]
			o := oo[2*i+si[v-lo]]
			if o != o {
				continue
			}
			ds, do := s-nms, o-nmo
			cso += wi * ds * do
			css += wi * ds * ds
			coo += wi * do * do
			if dom != nil {
				if g := dom[i]; g >= 0 {
					ds, do := s-ms[g], o-mo[g]
					dso[g] += wi * ds * do
					dss[g] += wi * ds * ds
					doo[g] += wi * do * do
				}
			}
		}
		a[nat].cso, a[nat].css, a[nat].coo = cso, css, coo
		for g := 0; g < G; g++ {
			a[g].cso, a[g].css, a[g].coo = dso[g], dss[g], doo[g]
		}
	}

	out := make([]IPARow, 0, nc*(G+1))
	res := make([]IPA, nc)
	emit := func(g int, lab []sampling.DomainValue) {
		for c := range codes {
			a := acc[c*(G+1)+g]
			res[c] = IPA{Performance: 100 * a.sws1 / a.swv, Importance: math.NaN()}
			if a.css > 0 && a.coo > 0 {
				res[c].Importance = a.cso / math.Sqrt(a.css*a.coo)
			}
		}
		ipaQuadrants(res)
		for c, cr := range q.Criteria {
			out = append(out, IPARow{Domain: lab, Criterion: cr.Column, Element: cr.Element, N: acc[c*(G+1)+g].n, IPA: res[c]})
		}
	}
	emit(nat, nil)
	for g := 0; g < G; g++ {
		emit(g, labels(g))
	}
	return out, nil
}

// IPAMeans returns the split of the importance–performance quadrants: the
// means of the importances and of the performances over the criteria where
// both are defined (NaN when none is).
func IPAMeans(rows []IPA) (importance, performance float64) {
	var k float64
	for _, r := range rows {
		if !math.IsNaN(r.Importance) && !math.IsNaN(r.Performance) {
			importance += r.Importance
			performance += r.Performance
			k++
		}
	}
	return importance / k, performance / k
}

// ipaQuadrants sets the quadrants of one domain's criteria as
// ImportancePerformance does: split at the means of the defined
// importances and performances, ties going to "important" and "good".
func ipaQuadrants(out []IPA) {
	mi, mp := IPAMeans(out)
	for c := range out {
		r := &out[c]
		r.Quadrant = QuadrantUnknown
		if math.IsNaN(r.Importance) || math.IsNaN(r.Performance) {
			continue
		}
		hi, good := r.Importance >= mi, r.Performance >= mp
		switch {
		case hi && !good:
			r.Quadrant = QuadrantFixFirst
		case hi && good:
			r.Quadrant = QuadrantKeepUp
		case !hi && !good:
			r.Quadrant = QuadrantLowPriority
		default:
			r.Quadrant = QuadrantOverkill
		}
	}
}
