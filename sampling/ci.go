package sampling

import (
	"fmt"
	"math"
	"strings"
	"sync"

	"gonum.org/v1/gonum/stat/distuv"
)

// CIMethod chooses the confidence interval. The zero value means the
// default of whoever computes the interval: Wald for ConfidenceInterval and
// the estimators of this package.
type CIMethod int

const (
	// Wald is est ± t_{df, 1−α/2}·SE (R confint(svymean(...), df = degf(design))).
	Wald CIMethod = iota + 1
	// Logit is the Wald interval on the logit scale, back-transformed, for
	// a share in (0, 1): expit(logit(p) ± t_{df,1−α/2}·s), as R
	// svyciprop(method = "logit"), which fits the intercept-only
	// quasibinomial svyglm. Under linearization s = SE(p̂)/(p̂(1−p̂)), the
	// svyglm standard error exactly. Under replicate weights svyglm refits
	// the model per replicate, so s is the replicate standard error of
	// logit(p̂_r) (RatioResult.ShareInterval); ConfidenceInterval, given
	// only SE(p̂), uses the delta method.
	Logit
	// Beta is the Korn–Graubard (1998) interval, as R svyciprop(method =
	// "beta"): with the effective sample size n* = p(1−p)/SE², scaled by
	// (t_{n−1, α/2}/t_{df, α/2})²,
	//
	//	lo = qbeta(α/2, n*p, n*(1−p)+1),  hi = qbeta(1−α/2, n*p+1, n*(1−p)).
	//
	// n is the number of rows with a value. R uses nrow(design), which also
	// counts rows where the variable is missing; the rows with a value are
	// the sample behind the estimate, so they are used on purpose, with the
	// interval's own df (R: degf of the design, or of the domain's subset).
	Beta
)

var ciNames = [...]string{0: "default", Wald: "wald", Logit: "logit", Beta: "beta", XLogit: "xlogit", Asin: "asin", Wilson: "wilson", Likelihood: "likelihood"}

// String returns the method's name ("wald", "logit", ...), or "default"
// for the zero value.
func (m CIMethod) String() string {
	if m >= 0 && int(m) < len(ciNames) {
		return ciNames[m]
	}
	return fmt.Sprintf("CIMethod(%d)", int(m))
}

// ParseCIMethod parses "wald", "logit", "beta", "xlogit", "asin", "wilson"
// or "likelihood"; "" is the zero value (the default).
func ParseCIMethod(s string) (CIMethod, error) {
	if s == "" {
		return 0, nil
	}
	for i, n := range ciNames[Wald:] {
		if strings.EqualFold(s, n) {
			return Wald + CIMethod(i), nil
		}
	}
	return 0, fmt.Errorf("sampling: unknown confidence interval method %q (want wald, logit, beta, xlogit, asin, wilson or likelihood)", s)
}

// FlagBoundary marks an estimate of exactly 0 or 1 (0 or 100 %) with SE 0,
// whose interval is Korn–Graubard with the unweighted n (METHODOLOGY §4).
const FlagBoundary = "boundary"

// ciQuantileT returns the t quantile with df degrees of freedom, or the
// normal one when df < 1 (a design with as many strata as PSUs has no
// degrees of freedom; R would return NaN).
func ciQuantileT(p float64, df int) float64 {
	if df < 1 {
		return distuv.UnitNormal.Quantile(p)
	}
	key := ciKey{p, df}
	ciCache.Lock()
	q, ok := ciCache.m[key]
	ciCache.Unlock()
	if ok {
		return q
	}
	q = distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(df)}.Quantile(p)
	ciCache.Lock()
	if len(ciCache.m) > 1024 {
		clear(ciCache.m)
	}
	ciCache.m[key] = q
	ciCache.Unlock()
	return q
}

// ciCache memoises t quantiles: every estimate of a design shares its df
// and level, and the quantile (an inverse incomplete beta) costs more than
// the estimate.
type ciKey struct {
	p  float64
	df int
}

var ciCache = struct {
	sync.Mutex
	m map[ciKey]float64
}{m: map[ciKey]float64{}}

func ciQBeta(p, a, b float64) float64 {
	if a <= 0 {
		return 0
	}
	if b <= 0 {
		return 1
	}
	return distuv.Beta{Alpha: a, Beta: b}.Quantile(p)
}

// ConfidenceInterval returns the interval of the given method (the zero
// value is Wald) at the given level (0 means 0.95) for an estimate est with
// standard error se, n observations with a value (used by Beta and at the
// boundary) and df design degrees of freedom (below 1: the normal quantile
// instead of t). Likelihood needs the rows behind the share
// (LikelihoodInterval): here it gives NaN, except at the boundary.
//
// Wald is est ± t·se for any estimate. Logit and Beta are intervals for a
// share in [0, 1] (the mean of a variable with values in [0, 1]); for an
// estimate outside [0, 1] they fall back to Wald. A share of exactly 0 or 1
// with SE 0 (a boundary estimate) gets, under Logit and Beta, the
// Korn–Graubard (Clopper–Pearson) interval with the unweighted n:
// [0, qbeta(1−α/2, 1, n)] or [qbeta(α/2, n, 1), 1]; see IsBoundary. Wald
// never applies that rule: an estimate that is not a share (a ratio x/x)
// keeps [est, est], as R's confint. NaN inputs give NaN bounds. It panics
// for an unknown method.
func ConfidenceInterval(method CIMethod, est, se float64, n int, df int, level float64) (lo, hi float64) {
	if method == 0 {
		method = Wald
	}
	if method < Wald || method > Likelihood {
		panic(fmt.Sprintf("sampling: ConfidenceInterval: unknown method %d", int(method)))
	}
	if level == 0 {
		level = 0.95
	}
	if math.IsNaN(est) || math.IsNaN(se) || level <= 0 || level >= 1 {
		return math.NaN(), math.NaN()
	}
	alpha := 1 - level
	if method != Wald && IsBoundary(est, se) {
		if n < 1 {
			return math.NaN(), math.NaN()
		}
		fn := float64(n)
		if est == 0 {
			return 0, ciQBeta(1-alpha/2, 1, fn)
		}
		return ciQBeta(alpha/2, fn, 1), 1
	}
	if method != Wald && (est <= 0 || est >= 1) {
		method = Wald
	}
	switch method {
	case Logit:
		return ciLogit(est, se/(est*(1-est)), df, alpha)
	case XLogit, Asin, Wilson:
		return ciProp(method, est, se, df, alpha)
	case Likelihood:
		return math.NaN(), math.NaN() // needs the rows: LikelihoodInterval
	case Beta:
		neff := est * (1 - est) / (se * se)
		if n > 1 {
			r := ciQuantileT(alpha/2, n-1) / ciQuantileT(alpha/2, df)
			neff *= r * r
		}
		return ciQBeta(alpha/2, neff*est, neff*(1-est)+1), ciQBeta(1-alpha/2, neff*est+1, neff*(1-est))
	default: // Wald
		q := ciQuantileT(1-alpha/2, df)
		return est - q*se, est + q*se
	}
}

// IsBoundary reports whether a share estimate is exactly 0 or 1 with SE 0.
func IsBoundary(est, se float64) bool {
	return (est == 0 || est == 1) && se == 0
}

func ciExpit(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// ciLogit is expit(logit(p) ± t_{df,1−α/2}·s) for the standard error s of
// logit(p).
func ciLogit(p, s float64, df int, alpha float64) (lo, hi float64) {
	q := ciQuantileT(1-alpha/2, df)
	l := math.Log(p / (1 - p))
	return ciExpit(l - q*s), ciExpit(l + q*s)
}
