package weighting

import "sync"

// StepResult records what one weighting step did.
type StepResult struct {
	Kind   string      // "nonresponse", "poststratify", "rake", "calibrate", "trim"
	Before Diagnostics // weights entering the step
	After  Diagnostics // weights leaving the step

	// Cells lists every category of every margin (or weighting class):
	// target, weighted totals before and after, and the factor applied
	// (After/Before; for raking and calibration the mean factor in the cell).
	Cells []Cell
	// ByClass gives the diagnostics of the final weights within each class
	// of the step's classes (the first margin for rake and calibrate).
	ByClass []ClassDiagnostics

	ResponseRates []ResponseRate // nonresponse only

	// Iterations is the number of raking sweeps or Newton steps (0 for the
	// closed-form steps); History has one entry per iteration with the
	// largest relative discrepancy after it.
	Iterations int
	History    []Iteration

	Trim *TrimInfo // trim only

	// Variance holds what a linearized variance needs to account for this
	// step (nil for nonresponse and trimming, which R treats as fixed).
	Variance *VarianceInfo `json:"-"`
}

// Cell is one category of a margin.
type Cell struct {
	Margin string  // columns joined by "*", or a numeric calibration variable
	Label  string  // category (values joined by ":"), "" for a numeric variable
	N      int     // sample rows with non-zero weight
	Target float64 // population total (NaN for a nonresponse class)
	Before float64 // weighted total entering the step
	After  float64 // weighted total leaving the step
	Factor float64 // After / Before
}

// Iteration is one raking sweep or Newton step.
type Iteration struct {
	Iter int
	// MaxDiscrepancy is the largest |achieved − target| / target over the
	// margin cells (raking), or R's |misfit| / (1 + |target|) (calibrate).
	MaxDiscrepancy float64
	Margin         string // where the largest discrepancy is
	Cell           string
}

// ResponseRate describes one nonresponse weighting class. Counts are of rows
// with non-zero weight entering the step; Rates are unweighted, Weighted
// rates use the entering weights.
type ResponseRate struct {
	Class string // label of the class (Classes.Labels)
	// Values are the class's values in the class columns (Classes.Values;
	// nil when the classes have none).
	Values                  []string
	Issued, Returned, Valid int
	IssuedWeight            float64
	ReturnedWeight          float64
	ValidWeight             float64
	ReturnedRate, ValidRate float64
	WeightedReturnedRate    float64
	WeightedValidRate       float64
	Factor                  float64 // IssuedWeight / ValidWeight
}

// TrimInfo describes a trimming step.
type TrimInfo struct {
	Median  float64 // median of the entering non-zero weights
	Upper   float64 // absolute cap used (+Inf if none)
	Lower   float64 // absolute floor used (0 if none)
	Trimmed int     // weights set to a bound
	Passes  int     // redistribution passes
	Excess  float64 // Σ(w−Upper) over entering weights above Upper plus Σ(w−Lower) over those below Lower
}

// VarianceInfo is what the linearized variance needs after calibration, in R
// survey's terms (svyrecvar's handling of design$postStrata). With z the
// influence values (z_i = w_i y_i for a total, w the final weights):
//
//   - "poststratify" (postStratify): with c(i) = Classes[i],
//     z_i ← z_i − NewWeights_i · Σ_{j∈c(i)} OldWeights_j z_j/NewWeights_j / Σ_{j∈c(i)} OldWeights_j.
//   - "rake" (rake): repeat 10 times (R's fixed count), for each margin m in
//     order: z_i ← z_i − W_m,i · mean_{j∈c_m(i)} (z_j / W_m,j), an UNWEIGHTED
//     mean over the rows of the class, W_m the weights right after margin m
//     in the last sweep.
//   - "greg" (calibrate): z ← g√w0 ∘ resid(√w0 X, z / (g√w0)), the residual of
//     the least-squares regression of z_i/(g_i√w0_i) on the rows √w0_i x_i,
//     i.e. R's qr.resid(cal$qr, z/cal$w) * cal$w with cal$qr = qr(X√w0) and
//     cal$w = g√w0.
//
// Rows with zero weight (dropped nonrespondents) must be left out of these
// regressions/means (R would have subset them away).
type VarianceInfo struct {
	Kind string

	Classes    []int32   // poststratify
	OldWeights []float64 // poststratify
	NewWeights []float64 // poststratify

	Margins []RakeMargin // rake
	// Counts (rake), when set, is the number of rows each entry stands
	// for, all of weight Weights/Counts: z holds their sums, and the
	// class means are over the rows (nil: 1).
	Counts []float64

	P     int       // greg: columns of the model matrix X (see ModelRow)
	Names []string  // greg: column names
	W0    []float64 // greg: weights entering the calibration
	G     []float64 // greg: g = final / entering weight
	// Sigma2 is the working-model variance of each row of a greg step
	// whose residuals weigh by it (unbounded linear calibration with
	// CalSettings.Variance); nil: 1.
	Sigma2 []float64

	x    *csr      // greg: model matrix, sparse rows
	once sync.Once // op is built on first use (influence.go)
	op   *adjOp
}

// ModelRow returns the non-zero entries of row i of a greg step's model
// matrix X: column indices (into Names) and values. The slices alias
// internal storage.
func (v *VarianceInfo) ModelRow(i int) (cols []int32, vals []float64) {
	lo, hi := v.x.ptr[i], v.x.ptr[i+1]
	return v.x.col[lo:hi], v.x.val[lo:hi]
}

// RakeMargin is one margin of a raking step for the variance.
type RakeMargin struct {
	Classes []int32
	Weights []float64
}
