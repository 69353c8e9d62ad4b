package sampling

import (
	"errors"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/catcode"
)

// Errors of Logistic, for errors.Is.
var (
	// ErrNotConverged: the iterations did not converge (often complete or
	// quasi-complete separation: a group in which every response is 0 or 1).
	ErrNotConverged = errors.New("logistic regression did not converge")
	// ErrSingular: the model matrix is not of full rank (a predictor is
	// constant, a factor level has no rows, or predictors are collinear).
	ErrSingular = errors.New("model matrix not of full rank")
)

// GLMOptions are the settings of Logistic. The zero value (and nil) means
// 95 % intervals and R glm.control's defaults.
type GLMOptions struct {
	// Level is the confidence level (0: 0.95).
	Level float64
	// MaxIter bounds the iterations (0: 25, as R glm.control).
	MaxIter int
	// Epsilon is the convergence tolerance on the deviance (0: 1e-8, as R).
	Epsilon float64
}

// Coefficient is one coefficient of a fitted model.
type Coefficient struct {
	// Term is "(Intercept)", a numeric column's name, or a factor's column
	// name followed by the level (R's names, e.g. "genderfemale").
	Term string
	// Estimate and SE are the coefficient and its design-based standard
	// error; T = Estimate/SE, P the two-sided p-value from t with the
	// model's residual degrees of freedom, CILow and CIHigh the interval.
	Estimate, SE, T, P, CILow, CIHigh float64
}

// GLMResult is a fitted design-based generalized linear model.
type GLMResult struct {
	// Formula is the fitted formula.
	Formula string
	// Coef are the coefficients in model-matrix order.
	Coef []Coefficient
	// Cov is the design-based covariance of the coefficients.
	Cov *mat.SymDense
	// DF is the residual degrees of freedom of the t statistics and
	// intervals: the design's (of the rows used; of the whole design for
	// a replicate design) + 1 − number of coefficients (R svyglm's
	// df.residual).
	DF int
	// N is the number of rows used (with the response and every predictor
	// present); Dropped the rows left out for a missing value.
	N, Dropped int
	// Iterations is the number of iterations of the fit.
	Iterations int
	// Deviance is the weighted binomial deviance at the estimate, with the
	// weights scaled to mean 1 over the design's rows (as R svyglm).
	Deviance float64
}

// Logistic fits the design-weighted logistic regression of f's response (a
// 0/1 or proportion column) on its terms, as R svyglm(f, design, family =
// quasibinomial()) (survey 4.1):
//
//	logit P(y = 1 | x) = xᵀβ,  Σ_i w_i x_i (y_i − μ_i) = 0,
//
// solved by iteratively reweighted least squares exactly as R glm.fit
// (same start, same deviance criterion |D − D_old|/(|D| + 0.1) < ε). The
// covariance is the linearization (sandwich) estimator of R svy.varcoef:
// the influence values
//
//	z_i = w_i A⁻¹ x_i (y_i − μ_i),  A = Σ_i w_i μ_i(1 − μ_i) x_i x_iᵀ,
//
// (R evaluates μ_i(1 − μ_i) in A at the last iteration's start) are handed
// to the design's variance engine as the totals of p variables, so strata,
// PSUs, fpc, lonely-PSU rules and a calibration hook apply as to any
// estimate. Rows with a missing response or predictor keep their place in
// the design with influence 0 (R's design[-nas, ]), and the degrees of
// freedom are those of the rows used, plus 1, minus p. Replicate designs
// refit the model on every replicate's weights, started at the estimate
// (R svyglm.svyrep.design), and take the replicate covariance of the
// coefficients (R svrVar); their df is the design's + 1 − p.
//
// Data errors: a column that is absent or of the wrong type, a response
// outside [0, 1], a rank-deficient model matrix (ErrSingular), no
// convergence (ErrNotConverged).
func (d *Design) Logistic(rec arrow.RecordBatch, f *Formula, opt *GLMOptions) (*GLMResult, error) {
	var o GLMOptions
	if opt != nil {
		o = *opt
	}
	if o.Level == 0 {
		o.Level = 0.95
	}
	if o.MaxIter == 0 {
		o.MaxIter = 25
	}
	if o.Epsilon == 0 {
		o.Epsilon = 1e-8
	}
	if int(rec.NumRows()) != d.n {
		panic(fmt.Sprintf("sampling: Logistic: table has %d rows, design %d", rec.NumRows(), d.n))
	}
	mm, err := glmModelMatrix(rec, f, d.n)
	if err != nil {
		return nil, err
	}
	scale := d.wsum / float64(d.n) // R svyglm: weights/mean(weights)
	if !(scale > 0) {
		return nil, fmt.Errorf("sampling: %w: every weight is zero", ErrBadDesign)
	}
	ws := make([]float64, d.n)
	for i, w := range d.w {
		ws[i] = w / scale
	}
	fit, err := glmIRLS(mm, ws, nil, o.MaxIter, o.Epsilon)
	if err != nil {
		return nil, err
	}
	p := len(mm.names)
	var cov *mat.SymDense
	if d.reps != nil {
		if cov, err = d.glmReplicateCov(mm, fit.beta, o); err != nil {
			return nil, err
		}
	} else if cov, err = d.glmLinearizedCov(mm, fit, scale); err != nil {
		return nil, err
	}
	df := d.df
	if mm.dropped > 0 && d.reps == nil {
		// R svyglm on a replicate design keeps the whole design's degf
		// when it drops rows with missing values
		dom := make([]int32, d.n)
		for i, u := range mm.use {
			if !u {
				dom[i] = -1
			}
		}
		df = d.DomainDF(dom, 1)[0]
	}
	df += 1 - p
	out := &GLMResult{Formula: f.String(), Coef: make([]Coefficient, p), Cov: cov, DF: df,
		N: d.n - mm.dropped, Dropped: mm.dropped, Iterations: fit.iter, Deviance: fit.dev}
	q := ciQuantileT(1-(1-o.Level)/2, df)
	for j := range out.Coef {
		b := fit.beta[j]
		se := math.Sqrt(out.Cov.At(j, j))
		t := b / se
		out.Coef[j] = Coefficient{Term: mm.names[j], Estimate: b, SE: se, T: t, P: glmPValue(t, df),
			CILow: b - q*se, CIHigh: b + q*se}
	}
	return out, nil
}

// glmLinearizedCov is the sandwich covariance of the coefficients from the
// one variance engine (see Logistic).
func (d *Design) glmLinearizedCov(mm *glmMatrix, fit *glmFit, scale float64) (*mat.SymDense, error) {
	p := len(mm.names)
	// the influence values per unit weight, u_i = A⁻¹ x_i r_i with
	// r_i = (y_i − μ_i)/(μ_i(1 − μ_i)) · μ'_i(1 − μ'_i) (μ' from the last
	// iteration's start), scaled back from the weights of the fit
	num := make([][]float64, p)
	for j := range num {
		num[j] = make([]float64, d.n)
	}
	ainv := fit.ainv.RawMatrix().Data
	for i := 0; i < d.n; i++ {
		if !mm.use[i] {
			continue
		}
		ri := fit.resid[i] / scale
		xi := mm.x[i*p : (i+1)*p]
		for j := 0; j < p; j++ {
			row := ainv[j*p : (j+1)*p]
			var s float64
			for l, xl := range xi {
				s += row[l] * xl
			}
			num[j][i] = s * ri
		}
	}
	valid := make([][]bool, p)
	for j := range valid {
		valid[j] = mm.use
	}
	res, err := d.EstimateRatios(&Ratios{Num: num, Valid: valid, Cov: true})
	if err != nil {
		return nil, err
	}
	return res.Cov[0], nil
}

// glmReplicateCov refits the model on every replicate's weights w_r
// (rescaled to sum 1 over the rows used, started at the full-sample
// estimate, as R svyglm.svyrep.design) and returns the replicate
// covariance of the coefficients (R svrVar).
func (d *Design) glmReplicateCov(mm *glmMatrix, beta []float64, o GLMOptions) (*mat.SymDense, error) {
	R, p := d.reps.r, len(beta)
	theta := make([]float64, R*p)
	ws := make([]float64, d.n)
	for r := 0; r < R; r++ {
		wr := d.ReplicateWeights(r)
		var sum float64
		for i, u := range mm.use {
			if u {
				sum += wr[i]
			}
		}
		for i := range ws {
			ws[i] = wr[i] / sum
		}
		fit, err := glmIRLS(mm, ws, beta, o.MaxIter, o.Epsilon)
		if err != nil {
			return nil, fmt.Errorf("replicate %d: %w", r+1, err)
		}
		copy(theta[r*p:], fit.beta)
	}
	re := &repEstimates{theta: theta, est: beta, stride: p, scale: d.reps.scale, rscales: d.reps.rscales, mse: d.reps.mse}
	return mat.NewSymDense(p, re.cov(0, p)), nil
}

// glmPValue is 2·P(T > |t|) for T ~ t(df) (the normal when df < 1).
func glmPValue(t float64, df int) float64 {
	if math.IsNaN(t) {
		return math.NaN()
	}
	if df < 1 {
		return 2 * distuv.UnitNormal.CDF(-math.Abs(t))
	}
	return 2 * distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(df)}.CDF(-math.Abs(t))
}

// glmMatrix is a model matrix: n rows of p columns (row-major), the
// response, and the rows used (no missing value).
type glmMatrix struct {
	names   []string
	x       []float64
	y       []float64
	use     []bool
	dropped int
}

// glmModelMatrix builds the model matrix of f over rec (see Formula).
func glmModelMatrix(rec arrow.RecordBatch, f *Formula, n int) (*glmMatrix, error) {
	mm := &glmMatrix{use: make([]bool, n)}
	for i := range mm.use {
		mm.use[i] = true
	}
	y, vy, err := estColumn(rec, f.Response, 1)
	if err != nil {
		return nil, fmt.Errorf("sampling: response: %w", err)
	}
	var bad []int
	for i, v := range y {
		if vy != nil && !vy[i] {
			mm.use[i] = false
		} else if v < 0 || v > 1 {
			bad = append(bad, i+1)
		}
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("sampling: response column %q: %w: values outside [0, 1] at %s; the response of a logistic regression is 0/1 (or a proportion)", f.Response, ErrBadDesign, desRows(bad))
	}
	mm.y = y
	// the columns of each term
	type block struct {
		num   []float64 // numeric term
		codes []int32   // factor term
		first int32     // first level coded (0, or 1 for a reference level)
		L     int
	}
	var blocks []block
	if !f.NoIntercept {
		mm.names = append(mm.names, "(Intercept)")
		blocks = append(blocks, block{})
	}
	fullFactor := f.NoIntercept // the first factor of a model without intercept keeps every level
	for _, t := range f.Terms {
		col, err := desColumn(rec, "predictor", t.Column)
		if err != nil {
			return nil, err
		}
		isFactor := t.Factor
		switch col.DataType().ID() {
		case arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW, arrow.BOOL, arrow.DICTIONARY, arrow.BINARY, arrow.LARGE_BINARY:
			isFactor = true
		}
		if !isFactor {
			v, valid, err := arrowio.Float64s(col)
			if err != nil {
				return nil, fmt.Errorf("sampling: predictor column %q: %w", t.Column, err)
			}
			for i, x := range v {
				if (valid != nil && !valid[i]) || math.IsNaN(x) {
					mm.use[i] = false
				}
			}
			mm.names = append(mm.names, t.Column)
			blocks = append(blocks, block{num: v})
			continue
		}
		c, err := catcode.Code(col, catcode.NullMissing)
		if err != nil {
			return nil, fmt.Errorf("sampling: predictor column %q: %w", t.Column, err)
		}
		for i, k := range c.Codes {
			if k < 0 {
				mm.use[i] = false
			}
		}
		b := block{codes: c.Codes, first: 1, L: len(c.Levels)}
		if fullFactor {
			b.first, fullFactor = 0, false
		}
		for _, lv := range c.Levels[b.first:] {
			mm.names = append(mm.names, t.Column+lv)
		}
		blocks = append(blocks, b)
	}
	p := len(mm.names)
	mm.x = make([]float64, n*p)
	for i := 0; i < n; i++ {
		if !mm.use[i] {
			mm.dropped++
			continue
		}
		row := mm.x[i*p : (i+1)*p]
		j := 0
		for _, b := range blocks {
			switch {
			case b.num != nil:
				row[j] = b.num[i]
				j++
			case b.codes != nil:
				if k := b.codes[i] - b.first; k >= 0 {
					row[j+int(k)] = 1
				}
				j += b.L - int(b.first)
			default:
				row[j] = 1
				j++
			}
		}
	}
	return mm, nil
}

// glmFit is the result of glmIRLS.
type glmFit struct {
	beta  []float64
	ainv  *mat.Dense // (Σ ws μ'(1 − μ') x xᵀ)⁻¹ at the last iteration
	resid []float64  // (y_i − μ_i) μ'_i(1 − μ'_i)/(μ_i(1 − μ_i)), 0 for unused rows
	dev   float64
	iter  int
}

// R's logit link (family.c): μ = expit(η) kept in [ε, 1 − ε], dμ/dη = ε
// beyond |η| > 30.
const glmThresh = 30

func glmLinkinv(eta float64) float64 {
	const eps = 2.220446049250313e-16
	var t float64
	switch {
	case eta < -glmThresh:
		t = eps
	case eta > glmThresh:
		t = 1 / eps
	default:
		t = math.Exp(eta)
	}
	return t / (1 + t)
}

// glmMuEta is dμ/dη = e^η/(1 + e^η)² = μ(1 − μ) at μ = glmLinkinv(η).
func glmMuEta(eta, mu float64) float64 {
	const eps = 2.220446049250313e-16
	if eta > glmThresh || eta < -glmThresh {
		return eps
	}
	return mu * (1 - mu)
}

// glmYLogY is y·log(y/μ), 0 for y = 0 (R binomial_dev_resids).
func glmYLogY(y, mu float64) float64 {
	if y == 0 {
		return 0
	}
	return y * math.Log(y/mu)
}

// glmIRLS fits the logistic model as R glm.fit with prior weights ws
// (R svyglm rescales them: w/mean(w) for the fit, w_r/Σ w_r for a
// replicate): start μ = (ws·y + 0.5)/(ws + 1), or η = xᵀstart when start
// is given, then weighted least squares of z = η + (y − μ)/μ' on x with
// weights ws·μ'²/(μ(1 − μ)) until the deviance changes by less than eps
// relatively.
func glmIRLS(mm *glmMatrix, ws, start []float64, maxIter int, eps float64) (*glmFit, error) {
	n, p := len(mm.use), len(mm.names)
	eta := make([]float64, n)
	mu := make([]float64, n)
	for i := range ws {
		if !mm.use[i] {
			continue
		}
		if start != nil {
			var e float64
			for j, xj := range mm.x[i*p : (i+1)*p] {
				e += xj * start[j]
			}
			eta[i] = e
		} else {
			m := (ws[i]*mm.y[i] + 0.5) / (ws[i] + 1)
			eta[i] = math.Log(m / (1 - m))
		}
		mu[i] = glmLinkinv(eta[i])
	}
	dev := func() float64 {
		var s float64
		for i, u := range mm.use {
			if u {
				s += 2 * ws[i] * (glmYLogY(mm.y[i], mu[i]) + glmYLogY(1-mm.y[i], 1-mu[i]))
			}
		}
		return s
	}
	devOld := dev()
	A := mat.NewSymDense(p, nil)
	bvec := mat.NewVecDense(p, nil)
	beta := mat.NewVecDense(p, nil)
	wt := make([]float64, n) // working weights of the last iteration
	var chol mat.Cholesky
	a := make([]float64, p*p)
	bb := make([]float64, p)
	conv := false
	it := 0
	for it = 1; it <= maxIter; it++ {
		clear(a)
		clear(bb)
		for i, u := range mm.use {
			wt[i] = 0
			if !u || ws[i] == 0 {
				continue
			}
			me := glmMuEta(eta[i], mu[i])
			if me == 0 {
				continue
			}
			v := mu[i] * (1 - mu[i])
			z := eta[i] + (mm.y[i]-mu[i])/me
			wi := ws[i] * me * me / v
			wt[i] = wi
			xi := mm.x[i*p : (i+1)*p]
			for j, xj := range xi {
				if xj == 0 {
					continue
				}
				wx := wi * xj
				bb[j] += wx * z
				row := a[j*p:]
				for l := j; l < p; l++ {
					row[l] += wx * xi[l]
				}
			}
		}
		for j := 0; j < p; j++ {
			for l := j; l < p; l++ {
				A.SetSym(j, l, a[j*p+l])
			}
			bvec.SetVec(j, bb[j])
		}
		if ok := chol.Factorize(A); !ok || glmIllConditioned(&chol) {
			return nil, fmt.Errorf("sampling: %w: the columns %s are collinear or one of them is constant (a factor level with no rows, a predictor without variation)", ErrSingular, glmNames(mm.names))
		}
		if err := chol.SolveVecTo(beta, bvec); err != nil {
			return nil, fmt.Errorf("sampling: %w: %v", ErrSingular, err)
		}
		for i, u := range mm.use {
			if !u {
				continue
			}
			xi := mm.x[i*p : (i+1)*p]
			var e float64
			for j, xj := range xi {
				e += xj * beta.AtVec(j)
			}
			eta[i] = e
			mu[i] = glmLinkinv(e)
		}
		dv := dev()
		if math.IsNaN(dv) || math.IsInf(dv, 0) {
			return nil, fmt.Errorf("sampling: %w: the deviance is not finite at iteration %d", ErrNotConverged, it)
		}
		if math.Abs(dv-devOld)/(math.Abs(dv)+0.1) < eps {
			conv = true
			devOld = dv
			break
		}
		devOld = dv
	}
	if !conv {
		return nil, fmt.Errorf("sampling: %w after %d iterations; a group whose responses are all 0 or all 1 (separation) makes a coefficient infinite: merge or drop that level", ErrNotConverged, maxIter)
	}
	var ainv mat.Dense
	var inv mat.SymDense
	if err := chol.InverseTo(&inv); err != nil {
		return nil, fmt.Errorf("sampling: %w: %v", ErrSingular, err)
	}
	ainv.CloneFrom(&inv)
	resid := make([]float64, n)
	for i, u := range mm.use {
		if !u || wt[i] == 0 {
			continue
		}
		// R: working residual (y − μ)/μ'(η) times the working weight, per
		// unit prior weight
		resid[i] = (mm.y[i] - mu[i]) / glmMuEta(eta[i], mu[i]) * (wt[i] / ws[i])
	}
	out := &glmFit{beta: make([]float64, p), ainv: &ainv, resid: resid, dev: devOld, iter: it}
	for j := range out.beta {
		out.beta[j] = beta.AtVec(j)
	}
	return out, nil
}

// glmIllConditioned reports a numerically singular Cholesky factor.
func glmIllConditioned(c *mat.Cholesky) bool {
	return c.Cond() > 1e14
}

func glmNames(names []string) string {
	return desList(names, 12)
}
