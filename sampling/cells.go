package sampling

import (
	"fmt"
	"math"
)

// CellSums are the sums of one estimand over the rows of each row of a
// design whose rows are cells: the rows of one stratum, PSU, fpc value and
// domain, summed (each cell weighted 1, or 0 when all its rows weigh 0).
// Over the rows i of a cell where the estimand is observed, with y_i its
// value (the numerator of a ratio) and x_i the denominator (1 for a mean),
// per unit of the cell's weight w_c in the design (w_c = 1: the sums):
//
//	Y = Σ w y/w_c,  X = Σ w x/w_c,  W = Σ w/w_c,  YY = Σ w y²/w_c,
//	XY = Σ w x y/w_c,  XX = Σ w x²/w_c
//
// (all 0 when w_c = 0). A cell weighted other than 1 lets the design's
// replicate weights of a cell, divided by w_c, be those of its rows.
//
// and N and NObs count those rows, and those of them with w ≠ 0. X, XY
// and XX are ignored for a total. Share says whether the estimand is a
// share (EstimateOptions.CI): a mean of values in [0, 1], or a ratio of a
// subpopulation (estSubShare) on every observed row.
//
// For a mean or ratio, y may be taken about a constant Shift c near the
// estimate, y − c·x instead of y in Y, YY and XY: the PSU totals of the
// influence values, (Y − R X)/X̂, are then differences of small numbers
// instead of nearly equal large ones, and keep their digits. The estimate
// is R = c + ΣY/ΣX.
type CellSums struct {
	Y, X, W, YY, XY, XX []float64
	N, NObs             []int64
	Share               bool
	Shift               float64
}

// EstimatesFromCells computes the estimates of Estimates from per-cell sums
// (one CellSums per estimand of est, each cell a row of d; dm the domains of
// the cells). The influence values of a ratio sum over a cell's rows to
// (Y − R X)/X̂ and those of a total to Y, so estimates, SEs and intervals
// are those of the rows (up to the order of the additions); N counts rows,
// and the design effect comes from the cells' second moments: for a ratio
// Σ w r² = (YY − 2R·XY + R²·XX)/X̂², for a total Σ w y² (RatioResult.Deff).
// The likelihood interval (CI Likelihood) needs the rows and is an error.
func (d *Design) EstimatesFromCells(est []Estimand, sums []CellSums, dm *Domains, opt *EstimateOptions) ([]Estimate, error) {
	var o EstimateOptions
	if opt != nil {
		o = *opt
	}
	if o.CI == Likelihood {
		return nil, fmt.Errorf("sampling: the likelihood interval profiles the rows' likelihood, which per-cell sums do not carry")
	}
	r, names, share, err := d.cellRatios(est, sums, dm, o.By)
	if err != nil {
		return nil, err
	}
	fix := func(res *RatioResult) {
		G, K := res.G, res.K
		W, s1, s2 := make([]float64, G*K), make([]float64, G*K), make([]float64, G*K)
		N, NObs := make([]int, G*K), make([]int, G*K)
		Y, X, YY, XY, XX := make([]float64, G*K), make([]float64, G*K), make([]float64, G*K), make([]float64, G*K), make([]float64, G*K)
		for k, s := range sums {
			for c := range s.Y {
				g := 0
				if r.Domain != nil {
					if g = int(r.Domain[c]); g < 0 {
						continue
					}
				}
				i, wc := g*K+k, d.w[c]
				Y[i] += wc * s.Y[c]
				W[i] += wc * s.W[c]
				YY[i] += wc * s.YY[c]
				N[i] += int(s.N[c])
				NObs[i] += int(s.NObs[c])
				if est[k].Statistic != StatTotal {
					X[i] += wc * s.X[c]
					XY[i] += wc * s.XY[c]
					XX[i] += wc * s.XX[c]
				}
			}
		}
		for g := 0; g < G; g++ {
			for k := range est {
				i, at := g*K+k, res.Index(g, k)
				res.N[at] = N[i]
				if math.IsNaN(res.Est[at]) {
					continue
				}
				if est[k].Statistic == StatTotal {
					s1[i], s2[i] = Y[i], YY[i]
				} else {
					rr, x := res.Est[at], X[i]
					s1[i] = (Y[i] - rr*x) / x
					s2[i] = (YY[i] - 2*rr*XY[i] + rr*rr*XX[i]) / (x * x)
				}
				n := NObs[i]
				if d.reps != nil {
					n = N[i]
				}
				res.Deff[at], res.DeffWOR[at] = DesignEffects(res.Var[at], n, W[i], s1[i], s2[i])
				// after the design effect, which needs R − c (res.rep.est is
				// res.Est; its replicates too, for the replicate logit interval)
				res.Est[at] += sums[k].Shift
				if p := res.rep; p != nil {
					for rep := range p.rscales {
						p.theta[rep*p.stride+at] += sums[k].Shift
					}
				}
			}
		}
	}
	return d.estimatesOf(r, dm, est, names, share, &o, fix)
}

// EstimateContrastsFromCells is EstimateContrasts from per-cell sums (see
// EstimatesFromCells): the covariance of the domains' estimates comes from
// the same PSU totals of the influence values.
func (d *Design) EstimateContrastsFromCells(est []Estimand, sums []CellSums, dm *Domains, cs [][]DomainCoef, opt *EstimateOptions) ([]ContrastEstimate, error) {
	var o EstimateOptions
	if opt != nil {
		o = *opt
	}
	r, names, _, err := d.cellRatios(est, sums, dm, o.By)
	if err != nil {
		return nil, err
	}
	shift := make([]float64, len(sums))
	for k, s := range sums {
		shift[k] = s.Shift
	}
	return d.contrastsOf(r, est, names, cs, &o, shift)
}

// cellRatios are the Ratios of est on the cells: numerators Y, denominators
// X (none for a total), observed where N > 0.
func (d *Design) cellRatios(est []Estimand, sums []CellSums, dm *Domains, by []string) (*Ratios, []string, []bool, error) {
	if len(sums) != len(est) {
		panic(fmt.Sprintf("sampling: %d estimands, %d cell sums", len(est), len(sums)))
	}
	K := len(est)
	r := &Ratios{Num: make([][]float64, K), Den: make([][]float64, K), Valid: make([][]bool, K)}
	if len(by) > 0 {
		if dm == nil || len(dm.Code) != d.n {
			return nil, nil, nil, fmt.Errorf("sampling: the domains are not those of the design's %d cells", d.n)
		}
		r.Domain, r.NDomains = dm.Code, dm.Len()
	}
	names, share := make([]string, K), make([]bool, K)
	for k, e := range est {
		s := sums[k]
		if e.Statistic == StatTotal && s.Shift != 0 {
			panic("sampling: a total's sums are not shifted")
		}
		if len(s.Y) != d.n || len(s.N) != d.n {
			return nil, nil, nil, fmt.Errorf("sampling: %s %s: sums of %d cells for a design of %d", e.Statistic, e.name(), len(s.Y), d.n)
		}
		names[k], share[k] = e.name(), s.Share
		r.Num[k] = s.Y
		if e.Statistic != StatTotal {
			r.Den[k] = s.X
		}
		valid := make([]bool, d.n)
		for c, n := range s.N {
			valid[c] = n > 0
		}
		r.Valid[k] = valid
	}
	return r, names, share, nil
}

// ValueLimit is the largest magnitude of a variable's value that Estimates
// accepts when the weights sum to wsum: beyond it, the value times wsum
// squared could overflow the variance's sums of squares.
func ValueLimit(wsum float64) float64 { return maxMagnitude / max(wsum, 1) }
