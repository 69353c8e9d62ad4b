package weighting

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"

	"gonum.org/v1/gonum/mat"
)

// CalMethod is the calibration distance (R survey's calfun).
type CalMethod int

const (
	// Linear is the chi-square distance: g = 1 + x'λ (GREG). Without bounds
	// it is solved in closed form (R regcalibrate); with bounds g is
	// truncated to [L, U] and solved by Newton's method (R cal.linear).
	Linear CalMethod = iota
	// RakingRatio is the multiplicative distance: g = exp(x'λ) (R cal.raking),
	// optionally truncated to [L, U].
	RakingRatio
	// Logit is the logit distance of Deville & Särndal (1992) with bounds
	// L < 1 < U: g = (L(U−1) + U(1−L)e^{Au}) / (U−1 + (1−L)e^{Au}),
	// A = (U−L)/((U−1)(1−L)) (R cal.logit). It needs finite bounds.
	Logit
)

func (m CalMethod) String() string {
	switch m {
	case Linear:
		return "linear"
	case RakingRatio:
		return "raking"
	case Logit:
		return "logit"
	}
	return fmt.Sprintf("CalMethod(%d)", int(m))
}

// CalSettings controls Calibrate. The zero value is unbounded linear
// calibration with MaxIter 50 and Epsilon 1e-10.
type CalSettings struct {
	Method CalMethod
	Bounds *[2]float64 // bounds [L, U] on g = final/initial weight; nil: none
	// Lower and Upper, when set (both, one value per row), are per-row
	// bounds L_i ≤ g_i ≤ U_i in place of Bounds (R calibrate(bounds =
	// list(lower =, upper =)); bounds on the final weights themselves, R's
	// bounds.const = TRUE, are L/w_i and U/w_i).
	Lower, Upper []float64
	// Variance, when set, is the working-model variance σ²_i > 0 of each
	// row (R calibrate(variance =)): the distance is Σ w_i G(g_i)σ²_i, so
	// g_i = F(x_i'λ/σ²_i), and unbounded linear calibration is the GREG
	// estimator of the model with Var(y_i) ∝ σ²_i, whose residuals the
	// linearized variance uses (R regcalibrate). Calibrating to one
	// numeric x without margins with σ² = x is the ratio estimator. With
	// bounds or another method R's residuals ignore σ², and so do these.
	Variance []float64
	// Aggregate, when set, gives each row's cluster (codes 0..C−1): g is
	// kept constant within clusters by calibrating the cluster means of the
	// calibration variables with the cluster means of the weights (R
	// calibrate(aggregate.stage =)); final weights are w_i g_c(i), and the
	// linearized variance projects on the cluster means as R.
	Aggregate []int32
	// AggregateLabels, when set, name the clusters of Aggregate (one per
	// code) in error messages.
	AggregateLabels []string
	// Trim, after calibrating, sets g below Trim[0] or above Trim[1] to
	// that bound and adds the trimmed weight Σ (g_i − g'_i) w_i to the other
	// rows in proportion to w_i, once (R calibrate(trim =)): totals stay,
	// the calibration equations then hold only approximately.
	Trim    *[2]float64
	MaxIter int     // Newton iterations; 0 means 50
	Epsilon float64 // stop when every |misfit_k|/(1+|total_k|) < Epsilon; 0 means 1e-10
}

// NumericTotal is a numeric calibration variable and its population total.
type NumericTotal struct {
	Name   string
	Values []float64
	Total  float64
}

// Calibrate finds weights w'_i = g_i w_i close to w in the distance of
// set.Method such that Σ w'_i x_i = T for the indicator variables of every
// margin category and every numeric variable (Deville & Särndal 1992). It
// reproduces R survey::calibrate(design, ~ margins + numeric, population,
// bounds = c(L, U), calfun = method):
//
//   - unbounded linear: g = 1 + X (X'WX)⁻¹ (T − X'w) (R regcalibrate);
//   - otherwise Newton's method as R's grake: starting from λ = 0,
//     λ ← λ + ginv(Σ w_i F'(x_i'λ) x_i x_i') (T − Σ w_i x_i F(x_i'λ)),
//     halving a step whose g or F' is not finite, until every
//     |misfit_k| / (1 + |T_k|) < Epsilon; if min_k T_k/X̂_k > 20 the weights
//     are first rescaled by the mean of those ratios, as R does (bounds then
//     apply to the rescaled weights).
//
// The model matrix holds the indicators of every category of the first
// margin (they sum to the intercept) and of every category but the first of
// each later margin, then the numeric variables: the column space of R's
// model.matrix(~ m1 + m2 + ... + numeric), so that g is the same. Without
// margins there is no intercept (R's ~ x - 1).
//
// Errors: empty cells and unknown categories as PostStratify; margins whose
// totals differ (ErrMarginsDisagree); bounds that no weights can satisfy in
// some cell (ErrInfeasible); non-convergence after MaxIter (ErrNotConverged,
// with the largest discrepancy and where); collinear variables (ErrSingular);
// linear calibration producing weights ≤ 0 (ErrNegativeWeight: use bounds).
func Calibrate(w []float64, margins []Margin, numeric []NumericTotal, set *CalSettings) ([]float64, *StepResult, error) {
	var cs CalSettings
	if set != nil {
		cs = *set
	}
	if cs.MaxIter <= 0 {
		cs.MaxIter = 50
	}
	if cs.Epsilon <= 0 {
		cs.Epsilon = 1e-10
	}
	lo, hi := math.Inf(-1), math.Inf(1)
	if cs.Bounds != nil {
		lo, hi = cs.Bounds[0], cs.Bounds[1]
		if !(lo < hi) {
			panic(fmt.Sprintf("weighting: Calibrate: bounds [%v, %v] not increasing", lo, hi))
		}
	}
	n := len(w)
	if (cs.Lower == nil) != (cs.Upper == nil) || (cs.Lower != nil && (len(cs.Lower) != n || len(cs.Upper) != n)) {
		panic("weighting: Calibrate: per-row bounds need Lower and Upper of one value per row")
	}
	if cs.Variance != nil && len(cs.Variance) != n {
		panic("weighting: Calibrate: Variance needs one value per row")
	}
	bounded := cs.Bounds != nil || cs.Lower != nil
	L, U := cs.Lower, cs.Upper
	if L == nil {
		L, U = make([]float64, n), make([]float64, n)
		for i := range L {
			L[i], U[i] = lo, hi
		}
	}
	if cs.Method == Logit {
		if !bounded {
			panic("weighting: Calibrate: logit calibration needs finite bounds L < 1 < U")
		}
		for i := range L {
			if math.IsInf(L[i], 0) || math.IsInf(U[i], 0) || !(L[i] < 1 && 1 < U[i]) {
				if cs.Lower == nil {
					panic("weighting: Calibrate: logit calibration needs finite bounds L < 1 < U")
				}
				return nil, nil, &StepError{Err: ErrInfeasible, Msg: fmt.Sprintf("row %d: bounds [%v, %v] on final/initial weight: logit calibration needs finite bounds with lower < 1 < upper in every row", i+1, L[i], U[i])}
			}
		}
	}
	for i := range L {
		if !(L[i] <= U[i]) {
			return nil, nil, &StepError{Err: ErrInfeasible, Msg: fmt.Sprintf("row %d: lower bound %v above upper bound %v", i+1, L[i], U[i])}
		}
	}
	sig := cs.Variance
	for i, v := range sig {
		if !(v > 0) || math.IsInf(v, 0) {
			return nil, nil, &StepError{Err: ErrBadData, Msg: fmt.Sprintf("row %d: working-model variance %v; it must be positive and finite", i+1, v)}
		}
	}
	if len(margins) == 0 && len(numeric) == 0 {
		panic("weighting: Calibrate: nothing to calibrate to")
	}
	if err := checkWeights(w); err != nil {
		return nil, nil, err
	}
	// ---- model matrix -----------------------------------------------------
	type colRef struct {
		margin, cell int // cell < 0: numeric variable margin
	}
	var cols []colRef
	var names []string
	var pop []float64
	before := make([][]float64, len(margins))
	counts := make([][]int, len(margins))
	for j, m := range margins {
		if len(m.Index) != n {
			panic("weighting: Calibrate: margin and weights lengths differ")
		}
		s, c, err := m.check(w)
		if err != nil {
			return nil, nil, err
		}
		before[j], counts[j] = s, c
		first := true
		for k := range m.Labels {
			if c[k] == 0 {
				continue
			}
			if first && j > 0 {
				first = false
				continue
			}
			first = false
			cols = append(cols, colRef{j, k})
			names = append(names, m.Name+"="+m.Labels[k])
			pop = append(pop, m.Totals[k])
		}
	}
	if err := checkAgree(margins); err != nil {
		return nil, nil, err
	}
	for j, v := range numeric {
		if len(v.Values) != n {
			panic("weighting: Calibrate: numeric variable and weights lengths differ")
		}
		for i, x := range v.Values {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, nil, &StepError{Margin: v.Name, Err: ErrBadData, Msg: fmt.Sprintf("row %d is %v; calibration variables must be finite", i+1, x)}
			}
		}
		cols = append(cols, colRef{-1, j})
		names = append(names, v.Name)
		pop = append(pop, v.Total)
	}
	p := len(cols)
	// sparse model matrix: column of (margin, cell), then numeric columns
	colOf := make([][]int32, len(margins))
	for j, m := range margins {
		colOf[j] = make([]int32, len(m.Labels))
		for c := range colOf[j] {
			colOf[j][c] = -1
		}
	}
	var numCols []int32
	for k, c := range cols {
		if c.margin >= 0 {
			colOf[c.margin][c.cell] = int32(k)
		} else {
			numCols = append(numCols, int32(k))
		}
	}
	nnz := n * (len(margins) + len(numeric))
	sx := &csr{ptr: make([]int32, n+1), col: make([]int32, 0, nnz), val: make([]float64, 0, nnz)}
	for i := 0; i < n; i++ {
		for j, m := range margins {
			if k := colOf[j][m.Index[i]]; k >= 0 {
				sx.col = append(sx.col, k)
				sx.val = append(sx.val, 1)
			}
		}
		for q, v := range numeric {
			if x := v.Values[i]; x != 0 {
				sx.col = append(sx.col, numCols[q])
				sx.val = append(sx.val, x)
			}
		}
		sx.ptr[i+1] = int32(len(sx.col))
	}
	xw := w // the weights the calibration equations use
	if cs.Aggregate != nil {
		if len(cs.Aggregate) != n {
			panic("weighting: Calibrate: Aggregate needs one cluster per row")
		}
		sx, xw = aggregateRows(sx, w, cs.Aggregate)
		if sig != nil && cs.Method == Linear && !bounded {
			// R averages the variance in regcalibrate only
			_, sig = aggregateRows(sx, sig, cs.Aggregate)
		}
	}
	sampleTotal := make([]float64, p)
	for i, wi := range xw {
		if wi == 0 {
			continue
		}
		for q := sx.ptr[i]; q < sx.ptr[i+1]; q++ {
			sampleTotal[sx.col[q]] += wi * sx.val[q]
		}
	}
	res := &StepResult{Kind: "calibrate", Before: Describe(w)}

	var g []float64
	closed := cs.Method == Linear && !bounded
	if closed {
		var err error
		g, err = gregClosedForm(xw, sig, sx, p, names, pop, sampleTotal)
		if err != nil {
			return nil, nil, err
		}
	} else {
		// R grake's rescaling: if the smallest ratio population/sample over
		// R's model.matrix columns (intercept, non-reference levels,
		// numeric) exceeds 20, rescale by their mean.
		scale := rScale(sumOf(w), margins, counts, before, numeric, sampleTotal[len(sampleTotal)-len(numeric):], pop[len(pop)-len(numeric):])
		ww := xw
		st := sampleTotal
		if scale != 1 {
			ww = make([]float64, n)
			for i := range xw {
				ww[i] = xw[i] * scale
			}
			st = make([]float64, p)
			for k := range st {
				st[k] = sampleTotal[k] * scale
			}
		}
		if bounded && cs.Aggregate == nil {
			if err := feasible(ww, margins, numeric, L, U, cs.Method == Logit); err != nil {
				return nil, nil, err
			}
		}
		var err error
		g, err = grake(ww, sig, sx, p, names, pop, st, cs, L, U, res)
		if err != nil {
			return nil, res, err
		}
		if scale != 1 {
			for i := range g {
				g[i] *= scale
			}
		}
	}
	if cs.Trim != nil {
		calTrim(w, g, cs.Trim[0], cs.Trim[1])
	}
	out := make([]float64, n)
	for i, wi := range w {
		out[i] = wi * g[i]
		if wi != 0 && !(out[i] > 0) {
			if cs.Aggregate != nil {
				return nil, nil, negativeClusters(cs, w, g)
			}
			cnt, gmin, imin := 0, math.Inf(1), 0
			for i2, w2 := range w {
				if w2 != 0 && !(w2*g[i2] > 0) {
					cnt++
					if g[i2] < gmin {
						gmin, imin = g[i2], i2
					}
				}
			}
			return nil, nil, &StepError{Err: ErrNegativeWeight,
				Msg: fmt.Sprintf("%s calibration made %d weight(s) negative or zero (smallest g = %.4g at row %d); give bounds, e.g. \"bounds\": [0.3, 3], or use method raking or logit", cs.Method, cnt, gmin, imin+1)}
		}
	}
	// ---- record -------------------------------------------------------------
	res.After = Describe(out)
	for j, m := range margins {
		after, _ := classSums(out, m.Index, len(m.Labels), nil)
		for k := range m.Labels {
			res.Cells = append(res.Cells, Cell{Margin: m.Name, Label: m.Labels[k], N: counts[j][k], Target: m.Totals[k],
				Before: before[j][k], After: after[k], Factor: after[k] / before[j][k]})
		}
	}
	for _, v := range numeric {
		var b, a float64
		for i, x := range v.Values {
			b += w[i] * x
			a += out[i] * x
		}
		res.Cells = append(res.Cells, Cell{Margin: v.Name, N: res.After.N, Target: v.Total, Before: b, After: a, Factor: a / b})
	}
	if len(margins) > 0 {
		res.ByClass = DescribeBy(out, margins[0].Classes)
	}
	res.Variance = &VarianceInfo{Kind: "greg", x: sx, P: p, Names: names, W0: append([]float64(nil), xw...), G: g}
	if closed && sig != nil {
		res.Variance.Sigma2 = append([]float64(nil), sig...)
	}
	return out, res, nil
}

// negativeClusters is the error of a calibration with g constant within
// clusters that made weights negative or zero: it names the clusters, the
// one with the smallest g first.
func negativeClusters(cs CalSettings, w, g []float64) error {
	nc := &negClusters{bad: map[int32]bool{}, cmin: -1, gmin: math.Inf(1)}
	for i, wi := range w {
		if wi != 0 && !(wi*g[i] > 0) {
			nc.add(cs.Aggregate[i], g[i])
		}
	}
	return nc.err(cs.Method, func(c int32) string {
		if int(c) < len(cs.AggregateLabels) {
			return strconv.Quote(cs.AggregateLabels[c])
		}
		return strconv.Itoa(int(c))
	})
}

// negClusters gathers the rows whose weight a calibration with g constant
// within clusters made negative or zero.
type negClusters struct {
	rows int
	bad  map[int32]bool
	cmin int32
	gmin float64
}

func (nc *negClusters) add(c int32, g float64) {
	nc.rows++
	nc.bad[c] = true
	if g < nc.gmin || nc.cmin < 0 {
		nc.gmin, nc.cmin = g, c
	}
}

// err names the clusters (name gives a cluster's name; codes in the order
// of the names).
func (nc *negClusters) err(m CalMethod, name func(int32) string) error {
	codes := make([]int32, 0, len(nc.bad))
	for c := range nc.bad {
		if c != nc.cmin {
			codes = append(codes, c)
		}
	}
	slices.Sort(codes)
	list := fmt.Sprintf("%s (smallest g = %.4g)", name(nc.cmin), nc.gmin)
	for k, c := range codes {
		if k == 10 {
			list += fmt.Sprintf(", … (%d more)", len(codes)-k)
			break
		}
		list += ", " + name(c)
	}
	return &StepError{Err: ErrNegativeWeight,
		Msg: fmt.Sprintf("%s calibration with g constant within clusters made the weights of %d cluster(s) negative or zero (%d rows): %s; give bounds, e.g. \"bounds\": [0.3, 3], or use method raking or logit",
			m, len(nc.bad), nc.rows, list)}
}

// aggregateRows returns the model matrix whose row i is the mean of the
// rows of i's cluster, and the cluster means of v per row (R's ave).
func aggregateRows(sx *csr, v []float64, cl []int32) (*csr, []float64) {
	C := 0
	for _, c := range cl {
		C = max(C, int(c)+1)
	}
	cnt := make([]float64, C)
	vs := make([]float64, C)
	for i, c := range cl {
		cnt[c]++
		vs[c] += v[i]
	}
	vm := make([]float64, len(v))
	for i, c := range cl {
		vm[i] = vs[c] / cnt[c]
	}
	// per cluster: column → sum, in first-seen column order
	type ent struct {
		col int32
		sum float64
	}
	rows := make([][]ent, C)
	for i, c := range cl {
		for q := sx.ptr[i]; q < sx.ptr[i+1]; q++ {
			k := sx.col[q]
			found := false
			for e := range rows[c] {
				if rows[c][e].col == k {
					rows[c][e].sum += sx.val[q]
					found = true
					break
				}
			}
			if !found {
				rows[c] = append(rows[c], ent{k, sx.val[q]})
			}
		}
	}
	out := &csr{ptr: make([]int32, len(cl)+1)}
	for i, c := range cl {
		for _, e := range rows[c] {
			out.col = append(out.col, e.col)
			out.val = append(out.val, e.sum/cnt[c])
		}
		out.ptr[i+1] = int32(len(out.col))
	}
	return out, vm
}

// gregClosedForm is R regcalibrate: g = 1 + X solve(X'WΣ⁻¹X, T − X'w)/σ²
// (σ² = 1 when sig is nil).
func gregClosedForm(w, sig []float64, sx *csr, p int, names []string, pop, sampleTotal []float64) ([]float64, error) {
	n := len(w)
	td := make([]float64, p*p)
	for i, wi := range w {
		if wi == 0 {
			continue
		}
		if sig != nil {
			wi /= sig[i]
		}
		sx.addOuter(td, p, i, wi)
	}
	lam, err := gregLambda(td, p, names, pop, sampleTotal)
	if err != nil {
		return nil, err
	}
	g := make([]float64, n)
	for i := range g {
		u := sx.dot(i, lam)
		if sig != nil {
			u /= sig[i]
		}
		g[i] = 1 + u
	}
	return g, nil
}

// gregLambda solves X'WΣ⁻¹X λ = T − X'w, X'WΣ⁻¹X given as the p×p td.
func gregLambda(td []float64, p int, names []string, pop, sampleTotal []float64) ([]float64, error) {
	T := mat.NewSymDense(p, td)
	rhs := mat.NewVecDense(p, nil)
	for k := range pop {
		rhs.SetVec(k, pop[k]-sampleTotal[k])
	}
	var lambda mat.VecDense
	var lu mat.LU
	lu.Factorize(T)
	if c := lu.Cond(); c > 1e14 || math.IsInf(c, 0) || math.IsNaN(c) {
		return nil, &StepError{Err: ErrSingular, Msg: fmt.Sprintf("calibration variables %v are collinear (condition number %.3g); drop or merge one", names, c)}
	}
	if err := lu.SolveVecTo(&lambda, false, rhs); err != nil {
		return nil, &StepError{Err: ErrSingular, Msg: fmt.Sprintf("calibration variables %v are collinear: %v", names, err)}
	}
	return lambda.RawVector().Data, nil
}

// calfun returns F(u) − 1 and F'(u) as R's calfun objects Fm1 and dF.
func calfun(m CalMethod, u, L, U float64) (fm1, df float64) {
	switch m {
	case Linear: // cal.linear
		fm1 = math.Min(math.Max(u+1, L), U) - 1
		if u < U-1 && u > L-1 {
			df = 1
		}
	case RakingRatio: // cal.raking (note: R tests u, not exp(u), against the bounds in dF)
		e := math.Exp(u)
		fm1 = math.Min(math.Max(e, L), U) - 1
		if u < U-1 && u > L-1 {
			df = e
		}
	case Logit: // cal.logit
		A := (U - L) / ((U - 1) * (1 - L))
		eAu := math.Exp(A * u)
		num := L*(U-1) + U*(1-L)*eAu
		den := U - 1 + (1-L)*eAu
		fm1 = num/den - 1
		df = U*(1-L)*eAu*A/den - num*((1-L)*eAu*A)/(den*den)
	default:
		panic(fmt.Sprintf("weighting: unknown calibration method %d", int(m)))
	}
	return
}

// grake is R survey's grake (Newton's method with step halving) with the
// working-model variance sig (nil: 1) and per-row bounds L, U, returning g
// (before undoing any rescaling).
func grake(ww, sig []float64, sx *csr, p int, names []string, pop, sampleTotal []float64, cs CalSettings, L, U []float64, res *StepResult) ([]float64, error) {
	n := len(ww)
	eta := make([]float64, p)
	xeta := make([]float64, n)
	fm1 := make([]float64, n)
	df := make([]float64, n)
	update := func() bool { // xeta, fm1, df from eta; false if not finite
		ok := true
		for i := 0; i < n; i++ {
			u := sx.dot(i, eta)
			if sig != nil {
				u /= sig[i]
			}
			xeta[i] = u
			fm1[i], df[i] = calfun(cs.Method, u, L[i], U[i])
			if math.IsNaN(fm1[i]) || math.IsInf(fm1[i], 0) || math.IsNaN(df[i]) || math.IsInf(df[i], 0) {
				ok = false
			}
		}
		return ok
	}
	misfit := make([]float64, p)
	computeMisfit := func() {
		copy(misfit, pop)
		for k := range misfit {
			misfit[k] -= sampleTotal[k]
		}
		for i, wi := range ww {
			if wi == 0 {
				continue
			}
			c := wi * fm1[i]
			for q := sx.ptr[i]; q < sx.ptr[i+1]; q++ {
				misfit[sx.col[q]] -= c * sx.val[q]
			}
		}
	}
	T := mat.NewDense(p, p, nil)
	eval := func() (bool, error) {
		ok := update()
		computeMisfit()
		T.Zero()
		td := T.RawMatrix().Data
		for i, wi := range ww {
			if wi == 0 || df[i] == 0 {
				continue
			}
			c := wi * df[i]
			if sig != nil {
				c /= sig[i]
			}
			sx.addOuter(td, p, i, c)
		}
		return ok, nil
	}
	if err := newton(eval, eta, misfit, T, pop, names, cs, res); err != nil {
		return nil, err
	}
	g := make([]float64, n)
	for i := range g {
		g[i] = 1 + fm1[i]
	}
	return g, nil
}

// newton runs grake's Newton iterations on eta (from its value on
// entry): eval sets the misfit pop − Σ w g x (g = F(x'η)) and T = Σ w F'(x'η) x x'/σ²
// at eta and says whether every g and F' is finite. Each step solves
// ginv(T) misfit, halves a step whose g or F' is not finite, and stops
// when every |misfit_k|/(1+|T_k|) < Epsilon (ErrNotConverged after
// MaxIter); res gets the history.
func newton(eval func() (bool, error), eta, misfit []float64, T *mat.Dense, pop []float64, names []string, cs CalSettings, res *StepResult) error {
	p := len(eta)
	if _, err := eval(); err != nil {
		return err
	}
	rhs := mat.NewVecDense(p, nil)
	deta := make([]float64, p)
	iter := 1
	for {
		for k := range misfit {
			rhs.SetVec(k, misfit[k])
		}
		ginvSolve(T, rhs, deta)
		for k := range eta {
			eta[k] += deta[k]
		}
		ok, err := eval()
		if err != nil {
			return err
		}
		for iter < cs.MaxIter && !ok {
			iter++
			for k := range eta {
				deta[k] /= 2
				eta[k] -= deta[k]
			}
			if ok, err = eval(); err != nil {
				return err
			}
		}
		worst, wk := 0.0, 0
		for k := range misfit {
			d := math.Abs(misfit[k]) / (1 + math.Abs(pop[k]))
			if d > worst || math.IsNaN(d) {
				worst, wk = d, k
			}
		}
		res.History = append(res.History, Iteration{Iter: iter, MaxDiscrepancy: worst, Margin: names[wk]})
		res.Iterations = iter
		if worst < cs.Epsilon {
			return nil
		}
		iter++
		if iter > cs.MaxIter {
			return notConverged(cs, iter, worst, names[wk])
		}
	}
}

// notConverged is the error of a Newton calibration that stopped at
// iteration iter with the largest discrepancy worst at variable name.
func notConverged(cs CalSettings, iter int, worst float64, name string) error {
	hint := "raise max_iter or check the totals"
	if cs.Bounds != nil {
		hint = fmt.Sprintf("the bounds [%v, %v] may be infeasible: widen them", cs.Bounds[0], cs.Bounds[1])
	} else if cs.Lower != nil {
		hint = "the per-row bounds may be infeasible: widen them"
	}
	what := fmt.Sprintf("largest discrepancy |misfit|/(1+|total|) = %.3g (epsilon %g)", worst, cs.Epsilon)
	if math.IsNaN(worst) {
		what = "the iterations diverged (the distance function overflowed)"
	}
	return &StepError{Margin: name, Err: ErrNotConverged,
		Msg: fmt.Sprintf("%s calibration did not converge after %d iterations: %s; %s", cs.Method, iter-1, what, hint)}
}

// ginvSolve sets x = ginv(T) b with MASS::ginv's tolerance (singular values
// below 256·eps·d_max are dropped).
func ginvSolve(T *mat.Dense, b *mat.VecDense, x []float64) {
	p, _ := T.Dims()
	var svd mat.SVD
	if !svd.Factorize(T, mat.SVDThin) {
		for k := range x {
			x[k] = math.NaN()
		}
		return
	}
	d := svd.Values(nil)
	var u, v mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	tol := 256 * 2.220446049250313e-16 * d[0]
	clear(x)
	for j, dj := range d {
		if !(dj > tol) {
			continue
		}
		var ub float64
		for i := 0; i < p; i++ {
			ub += u.At(i, j) * b.AtVec(i)
		}
		ub /= dj
		for i := 0; i < p; i++ {
			x[i] += v.At(i, j) * ub
		}
	}
}

// rScale is grake's rescaling factor over R's model.matrix columns.
func rScale(sw float64, margins []Margin, counts [][]int, before [][]float64, numeric []NumericTotal, numSample, numPop []float64) float64 {
	var scales []float64
	if len(margins) > 0 {
		scales = append(scales, margins[0].grand()/sw)
		for j, m := range margins {
			// R's reference level is the first in sorted order
			var present []int
			for k := range m.Labels {
				if counts[j][k] > 0 {
					present = append(present, k)
				}
			}
			sort.Slice(present, func(a, b int) bool { return m.Labels[present[a]] < m.Labels[present[b]] })
			if len(present) == 0 {
				continue
			}
			for _, k := range present[1:] {
				scales = append(scales, m.Totals[k]/before[j][k])
			}
		}
	}
	for k := range numSample {
		scales = append(scales, numPop[k]/numSample[k])
	}
	min, mean := math.Inf(1), 0.0
	for _, s := range scales {
		min = math.Min(min, s)
		mean += s
	}
	if min > 20 {
		return mean / float64(len(scales))
	}
	return 1
}

// sumOf is Σ v.
func sumOf(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s
}

// feasible checks necessary conditions for the bounds L_i ≤ g_i ≤ U_i
// (open for logit): every margin cell and numeric total must lie between
// Σ ww_i min(L_i x_i, U_i x_i) and Σ ww_i max(L_i x_i, U_i x_i) over its rows.
func feasible(ww []float64, margins []Margin, numeric []NumericTotal, L, U []float64, open bool) error {
	f := newFeasSums(margins, len(numeric))
	cls := make([]int32, len(margins))
	xs := make([]float64, len(numeric))
	for i := range ww {
		for j, m := range margins {
			cls[j] = m.Index[i]
		}
		for k, v := range numeric {
			xs[k] = v.Values[i]
		}
		f.add(ww[i], cls, xs, L[i], U[i])
	}
	return f.check(margins, numeric, open)
}

// feasSums accumulates feasible's ranges row by row.
type feasSums struct {
	a, b, s [][]float64 // per margin and class: Σ ww L, Σ ww U, Σ ww
	cnt     [][]int
	na, nb  []float64 // per numeric variable
	l0, u0  float64   // the first row's bounds
	rows    int
	scalar  bool // every row has the bounds l0, u0
}

func newFeasSums(margins []Margin, numeric int) *feasSums {
	f := &feasSums{scalar: true, na: make([]float64, numeric), nb: make([]float64, numeric)}
	for _, m := range margins {
		k := len(m.Labels)
		f.a, f.b, f.s = append(f.a, make([]float64, k)), append(f.b, make([]float64, k)), append(f.s, make([]float64, k))
		f.cnt = append(f.cnt, make([]int, k))
	}
	return f
}

// add adds a row of weight ww, classes cls (one per margin, < 0: none),
// numeric values xs and bounds [L, U].
func (f *feasSums) add(ww float64, cls []int32, xs []float64, L, U float64) {
	f.addN(ww, 1, cls, xs, L, U)
}

// addN adds n rows alike, of weight ww in all.
func (f *feasSums) addN(ww float64, n int, cls []int32, xs []float64, L, U float64) {
	if f.rows == 0 {
		f.l0, f.u0 = L, U
	} else if L != f.l0 || U != f.u0 {
		f.scalar = false
	}
	f.rows += n
	if ww == 0 {
		return
	}
	for j, c := range cls {
		if c < 0 {
			continue
		}
		f.a[j][c] += ww * L
		f.b[j][c] += ww * U
		f.s[j][c] += ww
		f.cnt[j][c] += n
	}
	for k, x := range xs {
		if x == 0 {
			continue
		}
		f.na[k] += ww * math.Min(L*x, U*x)
		f.nb[k] += ww * math.Max(L*x, U*x)
	}
}

func (f *feasSums) check(margins []Margin, numeric []NumericTotal, open bool) error {
	outside := func(t, a, b float64) bool {
		if open {
			return !(t > a && t < b)
		}
		return t < a-1e-12*math.Abs(a) || t > b+1e-12*math.Abs(b)
	}
	for j, m := range margins {
		a, b, s := f.a[j], f.b[j], f.s[j]
		for k := range m.Labels {
			if f.cnt[j][k] == 0 {
				continue
			}
			if outside(m.Totals[k], a[k], b[k]) {
				msg := fmt.Sprintf("total %v is outside [%.6g, %.6g], the range the per-row bounds allow; widen the bounds", m.Totals[k], a[k], b[k])
				if f.scalar {
					msg = fmt.Sprintf("total %v needs a mean ratio final/initial weight of %.4g, outside the bounds [%v, %v]; widen the bounds", m.Totals[k], m.Totals[k]/s[k], f.l0, f.u0)
				}
				return &StepError{Margin: m.Name, Cell: m.Labels[k], Err: ErrInfeasible, Msg: msg}
			}
		}
	}
	for k, v := range numeric {
		if outside(v.Total, f.na[k], f.nb[k]) {
			return &StepError{Margin: v.Name, Err: ErrInfeasible,
				Msg: fmt.Sprintf("total %v is outside [%.6g, %.6g], the range reachable with the bounds; widen the bounds", v.Total, f.na[k], f.nb[k])}
		}
	}
	return nil
}

// csr is a model matrix in compressed sparse rows (indicator columns are
// mostly zero).
type csr struct {
	ptr []int32
	col []int32
	val []float64
}

func (m *csr) dot(i int, v []float64) float64 {
	u := 0.0
	for q := m.ptr[i]; q < m.ptr[i+1]; q++ {
		u += m.val[q] * v[m.col[q]]
	}
	return u
}

// addOuter adds c·x_i x_i' to the p×p row-major matrix t (both triangles).
func (m *csr) addOuter(t []float64, p, i int, c float64) {
	lo, hi := m.ptr[i], m.ptr[i+1]
	for a := lo; a < hi; a++ {
		ca := c * m.val[a]
		ra := int(m.col[a]) * p
		for b := lo; b < hi; b++ {
			t[ra+int(m.col[b])] += ca * m.val[b]
		}
	}
}

// calTrim trims g to [lo, hi] and spreads the trimmed weight over the rows
// inside, as R calibrate(trim = c(lo, hi)): g'_i = g_i + Σ_out (g − g_trim)
// w / Σ_in w for the rows inside.
func calTrim(w, g []float64, lo, hi float64) {
	out := make([]bool, len(g))
	var trimmed, win float64
	any := false
	for i, gi := range g {
		if gi < lo || gi > hi {
			out[i], any = true, true
			gn := math.Max(lo, math.Min(gi, hi))
			trimmed += (gi - gn) * w[i]
			g[i] = gn
		} else {
			win += w[i]
		}
	}
	if !any {
		return
	}
	for i := range g {
		if !out[i] {
			g[i] += trimmed / win
		}
	}
}
