package sampling

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/catcode"
)

// LonelyPSU says what to do with a stratum that has a single PSU, with the
// meanings of R survey's options("survey.lonely.psu") (survey 4.1,
// onestrat/jknweights):
//
//	LonelyFail       error naming the strata (the default, as R)
//	LonelyRemove     the stratum contributes nothing to the variance
//	LonelyCertainty  the stratum contributes nothing (treated as sampled with certainty)
//	LonelyAdjust     the PSU total is centred at the mean PSU total over all
//	                 strata instead of the stratum mean: f_h·(t_h − Σz/Σ_h n_h)²
//	                 (current survey, 4.4 on; 0 for a mean or ratio, whose z sum to 0)
//	LonelyAverage    the stratum is left out and the variance is scaled up by
//	                 H/(H − #lonely strata), the average of the other strata
//
// Under linearization LonelyRemove and LonelyCertainty give the same
// variance, as in R.
type LonelyPSU int

const (
	LonelyFail LonelyPSU = iota
	LonelyRemove
	LonelyCertainty
	LonelyAdjust
	LonelyAverage
)

var desLonelyNames = [...]string{"fail", "remove", "certainty", "adjust", "average"}

func (l LonelyPSU) String() string {
	if l >= 0 && int(l) < len(desLonelyNames) {
		return desLonelyNames[l]
	}
	return "LonelyPSU(" + strconv.Itoa(int(l)) + ")"
}

// ParseLonelyPSU parses "fail", "remove", "certainty", "adjust" or
// "average" ("" is fail).
func ParseLonelyPSU(s string) (LonelyPSU, error) {
	if s == "" {
		return LonelyFail, nil
	}
	for i, n := range desLonelyNames {
		if strings.EqualFold(s, n) {
			return LonelyPSU(i), nil
		}
	}
	return 0, fmt.Errorf("sampling: unknown lonely-PSU mode %q (want one of %s)", s, strings.Join(desLonelyNames[:], ", "))
}

// VarianceMethod chooses how variances are estimated.
type VarianceMethod int

const (
	// Linearization is Taylor linearization with the ultimate-cluster,
	// with-replacement approximation at the first stage (R svydesign).
	Linearization VarianceMethod = iota
	// JK1 is the delete-one-PSU jackknife of an unstratified design (R
	// as.svrepdesign(type="JK1")).
	JK1
	// JKn is the stratified delete-one-PSU jackknife (type="JKn").
	JKn
	// Bootstrap is the Canty–Davison rescaled bootstrap (type="bootstrap").
	Bootstrap
	// SubBootstrap is the Rao–Wu bootstrap with m_h = n_h − 1 (type="subbootstrap").
	SubBootstrap
	// BRR is balanced repeated replication for 2 PSUs per stratum (type="BRR").
	BRR
	// Fay is Fay's BRR with DesignOptions.FayRho (type="Fay").
	Fay
	// SuppliedReplicates uses replicate weight columns in the data
	// (DesignOptions.RepWeightsPrefix; R svrepdesign).
	SuppliedReplicates
)

var desVarianceNames = [...]string{"linearization", "jk1", "jkn", "bootstrap", "subbootstrap", "brr", "fay", "replicates"}

func (v VarianceMethod) String() string {
	if v >= 0 && int(v) < len(desVarianceNames) {
		return desVarianceNames[v]
	}
	return "VarianceMethod(" + strconv.Itoa(int(v)) + ")"
}

// ParseVarianceMethod parses the names of String ("" is linearization).
func ParseVarianceMethod(s string) (VarianceMethod, error) {
	if s == "" {
		return Linearization, nil
	}
	for i, n := range desVarianceNames {
		if strings.EqualFold(s, n) {
			return VarianceMethod(i), nil
		}
	}
	return 0, fmt.Errorf("sampling: unknown variance method %q (want one of %s)", s, strings.Join(desVarianceNames[:], ", "))
}

// DesignOptions describes a survey design by column names. The zero value is
// an unweighted simple random sample with replacement (every row weighs 1,
// one stratum, each row its own PSU, no fpc, linearization).
type DesignOptions struct {
	// Weight, Strata, PSU and FPC are column names; "" means absent:
	// weights 1 (or, with an fpc, the inverse of the sampling fractions of
	// every stage, Π N/n, or 1/π under PPS, as R svydesign without
	// weights), one stratum, each row its own PSU, no finite population
	// correction. FPC holds the first-stage number of PSUs in the stratum
	// N_h (all values > 1) or the sampling fraction n_h/N_h (all ≤ 1), as R
	// svydesign(fpc=); it must be constant within a stratum.
	Weight, Strata, PSU, FPC string
	// Stages are the sampling stages after the first (the PSU), in order,
	// each with its unit column and fpc, as R svydesign(id = ~psu + ssu,
	// fpc = ~fpc1 + fpc2). With an fpc at every stage (FPC and each
	// Stage.FPC), linearized variances are R's full multistage variance;
	// without fpc they are the ultimate-cluster variance, which later stages
	// do not change. Replicate designs use the first stage only (as R
	// as.svrepdesign).
	Stages []Stage
	// PPS is the variance of a first stage sampled with probability
	// proportional to size without replacement (R svydesign(pps =)); FPC
	// then holds each PSU's inclusion probability. JointProb gives the
	// joint inclusion probabilities for PPSJoint.
	PPS       PPSMethod
	JointProb *JointProb
	// Nest says PSU ids are unique only within a stratum (R nest = TRUE).
	Nest bool
	// Lonely is the lonely-PSU policy.
	Lonely LonelyPSU
	// AdjustDomainLonely applies the lonely-PSU policy to a domain in a
	// stratum of several PSUs of which only one holds rows of the domain,
	// as R options(survey.adjust.domain.lonely = TRUE): under LonelyAdjust
	// the stratum's n_h PSU totals (that PSU's t and n_h − 1 zeros) are
	// centred at the mean PSU total c over all strata of the domain,
	// (1 − f_h) n_h/(n_h − 1) [(t − c)² + (n_h − 1) c²], as current R
	// survey (c = 0 for a mean or ratio; survey 4.1 centred totals at 0
	// too), under LonelyAverage the stratum is left out of the domain's
	// variance and counted as lonely in its rescaling; the other policies
	// are unchanged.
	// Linearization of one-stage designs without calibration or PPS only
	// (an error otherwise). Differences from the whole population
	// (Ratios.VsOverall) and contrasts between domains are estimands on the
	// whole design and keep the usual rule. The PSUs of a domain are those
	// holding a row of it (R's subset, where a missing value of the
	// variable also drops the row: with missing values R may find more
	// domain-lonely strata).
	AdjustDomainLonely bool

	// Variance is the variance method.
	Variance VarianceMethod
	// Replicates is the number of bootstrap replicates (0: 50, as R).
	Replicates int
	// Seed seeds the bootstrap's PCG generator (math/rand/v2).
	Seed uint64
	// FayRho is Fay's ρ for Fay (0 < ρ < 1) and for supplied "fay" weights.
	FayRho float64

	// RepWeightsPrefix names supplied replicate weight columns
	// PREFIX1..PREFIXR (full analysis weights, R's combined.weights = TRUE);
	// it implies SuppliedReplicates.
	RepWeightsPrefix string
	// RepType is the type of the supplied weights: "jk1", "jkn",
	// "bootstrap", "brr", "fay" or "other" (default "other"). It sets the
	// default scale as R svrepdesign: jk1 (R−1)/R, bootstrap 1/(R−1),
	// brr 1/R, fay 1/(R(1−ρ)²), other 1; jkn needs RepRScales.
	RepType string
	// RepDF sets the degrees of freedom of a replicate design (0: the rank
	// of the replicate weights minus 1, R's degf), as R's design$degf.
	RepDF int
	// RepScale overrides the overall scale (0: the RepType default).
	RepScale float64
	// RepRScales are per-replicate scales (nil: all 1).
	RepRScales []float64
	// MSE centres replicate variances on the full-sample estimate (nil or
	// true) or on the mean of the replicates (false, R's
	// default).
	MSE *bool

	// AdjustInfluence, when set, makes linearized variances
	// calibration-aware: for every domain and estimand the engine builds
	// the influence values z of all rows in row order (zero outside the
	// domain), calls AdjustInfluence with a block of such vectors (one or
	// more, each of length Rows()), which replaces each in place by its
	// calibration residuals, and takes the PSU totals of the adjusted z
	// (R svyrecvar with design$postStrata after postStratify, rake or
	// calibrate). weighting.Result.AdjustInfluence is such a function. It
	// must treat every vector of the block alone, be linear in z (a linear
	// combination of estimands is adjusted through its terms) and be safe
	// for concurrent use. It is ignored by replicate designs (their
	// replicate weights carry the calibration) and by the design effect's
	// v_srs (R's svyvar under the calibrated weights).
	AdjustInfluence func(zs ...[]float64)

	// RowNumbers, when set, are the numbers by which NewDesign's errors
	// name the rows of the table (one per row), when they stand for other
	// rows: a table of cells named by the input row of each cell's first
	// ballot. Nil: 1, 2, …
	RowNumbers []int64 `json:"-"`

	// AdjustInfluenceTerms is AdjustInfluence for a hook that needs to
	// know what each vector is (sums of a calibration's variables over
	// the rows that a row of this design stands for): terms[b] says how
	// zs[b] was formed, z_i = w_i (y_i A − x_i B) over the rows of domain
	// Domain (−1: every row) for the numerator y and denominator x of
	// estimand Item of EstimateRatios. It is called instead of
	// AdjustInfluence (set one of them) by EstimateRatios and Contrasts.
	AdjustInfluenceTerms func(terms []InfluenceTerm, zs ...[]float64)

	// Units, when set, makes each row a cell that sums the rows of one
	// stratum, fpc value and domain of a design without PSU column (every
	// unit its own PSU), with their second moments: see UnitMoments.
	Units *UnitMoments `json:"-"`
}

// InfluenceTerm says how an influence vector handed to
// DesignOptions.AdjustInfluenceTerms was formed.
type InfluenceTerm struct {
	Domain int     // the domain's code, −1 for every row
	Item   int     // the estimand
	A, B   float64 // z_i = w_i (y_i A − x_i B) in the domain
}

// Errors of NewDesign, for errors.Is.
var (
	// ErrBadWeight: a weight is negative, NaN, infinite or missing.
	ErrBadWeight = errors.New("bad weight")
	// ErrNotNested: a PSU id appears in more than one stratum without Nest.
	ErrNotNested = errors.New("PSU in more than one stratum")
	// ErrLonelyPSU: a stratum has a single PSU under LonelyFail.
	ErrLonelyPSU = errors.New("stratum with a single PSU")
	// ErrBadFPC: the fpc column is inconsistent.
	ErrBadFPC = errors.New("bad fpc")
	// ErrBadDesign: any other problem with the design columns.
	ErrBadDesign = errors.New("bad design")
	// ErrMissingColumn: a named column is not in the record (NewDesign,
	// NewDomains, the estimators). It is the same error value the file
	// reader wraps for a column missing from a file, so one errors.Is test
	// covers both.
	ErrMissingColumn = arrowio.ErrMissingColumn
)

// LonelyPSUError is returned by NewDesign under LonelyFail when strata have
// a single PSU. It matches ErrLonelyPSU with errors.Is.
type LonelyPSUError struct {
	Strata []string // the strata with one PSU, sorted
}

func (e *LonelyPSUError) Error() string {
	if len(e.Strata) == 1 && e.Strata[0] == "" {
		return "sampling: the sample has only one PSU (no strata): no design-based variance; choose the lonely-PSU policy certainty or give more PSUs"
	}
	return fmt.Sprintf("sampling: %d strata have only one PSU (%s); choose a lonely-PSU policy (remove, certainty, adjust or average) or merge strata",
		len(e.Strata), desList(e.Strata, 20))
}

func (e *LonelyPSUError) Is(target error) bool { return target == ErrLonelyPSU }

// Design is a survey design read from Arrow columns: weights, dense
// stratum and PSU codes, first-stage fpc and, for replicate methods, the
// replicate weights. It is immutable and safe for concurrent use.
type Design struct {
	spec DesignOptions
	n    int
	w    []float64
	// stratum[i], psu[i]: dense codes in the sorted order of the labels
	// (catcode); PSU codes are global (unique across strata).
	stratum []int32
	psu     []int32
	// per stratum
	strataNames []string
	nh          []int     // number of PSUs in the stratum (R fpc$sampsize)
	fh          []float64 // 1 − f_h (R onestrat's f): (N_h − n_h)/N_h, 1 without fpc
	popN        []float64 // N_h, +Inf without fpc
	fpcG        []float64 // N_h/n_h (FPCWeight), the rows' weight without weight column
	lonely      []bool    // n_h == 1 and not a certainty stratum
	// per PSU
	psuStratum []int32
	// rows in (stratum, PSU) order: order[psuStart[p]:psuStart[p+1]] are
	// the rows of PSU p; PSUs are numbered stratum by stratum, so
	// strataPSU[h]..strataPSU[h+1]-1 are the PSUs of stratum h. order is
	// nil when the rows are already in that order.
	order     []int32
	psuStart  []int32
	strataPSU []int32

	df       int
	wsum     float64
	zeroW    bool // some weight is 0
	okStrata int  // strata that are not lonely (for LonelyAverage)
	reps     *desReplicates
	// later sampling stages with fpc (multistage variance), and the length
	// of a totals vector: the PSU totals, then each stage's unit totals
	stages []*desStage
	totLen int
	pps    *desPPS // PPS without replacement at the first stage
	// rsums are the replicate sums of a design built by
	// NewReplicateSumsDesign (nil otherwise)
	rsums *ReplicateSums
}

// Rows returns the number of rows.
func (d *Design) Rows() int { return d.n }

// DF returns the design degrees of freedom: PSUs minus strata among rows
// with a nonzero weight (R degf for svydesign), or for replicate designs
// the rank of the replicate weights minus 1 (R degf for svrepdesign).
func (d *Design) DF() int { return d.df }

// Weights returns the full-sample weights. Do not modify.
func (d *Design) Weights() []float64 { return d.w }

// WeightsSum returns Σ w_i.
func (d *Design) WeightsSum() float64 { return d.wsum }

// NStrata returns the number of strata.
func (d *Design) NStrata() int { return len(d.nh) }

// NPSU returns the number of PSUs.
func (d *Design) NPSU() int {
	if d.rsums != nil && d.rsums.RowPSUs != nil {
		return int(d.rsums.Rows) // every summed row its own PSU
	}
	if d.spec.Units != nil {
		n := 0
		for _, nh := range d.nh {
			n += nh
		}
		return n // every unit its own PSU
	}
	return len(d.psuStratum)
}

// StrataNames returns the stratum labels by dense code, in sorted order
// (numbers numerically, text bytewise; see internal/catcode), whatever the
// row order (do not modify).
func (d *Design) StrataNames() []string { return d.strataNames }

// Stratum returns the dense stratum code of every row (do not modify).
func (d *Design) Stratum() []int32 { return d.stratum }

// PSU returns the dense PSU code of every row (do not modify).
func (d *Design) PSU() []int32 { return d.psu }

// Spec returns a copy of the spec the design was built from.
func (d *Design) Spec() DesignOptions { return d.spec }

// Variance returns the variance method.
func (d *Design) Variance() VarianceMethod { return d.spec.Variance }

// Replicates returns the number of replicates (0 for linearization).
func (d *Design) Replicates() int {
	if d.reps == nil {
		return 0
	}
	return d.reps.r
}

// NewDesign reads the design columns of rec once and returns the design.
// Errors (all data-dependent, none panics): a weight that is negative, NaN,
// infinite or null (ErrBadWeight, naming rows; zero weights are allowed, as
// in R: such rows count in n but not in estimates), a null stratum or PSU, a
// PSU id in two strata without Nest (ErrNotNested), an
// inconsistent fpc (ErrBadFPC), a single-PSU stratum under LonelyFail
// (*LonelyPSUError), an unknown column (wrapping ErrMissingColumn,
// listing the available ones).
func NewDesign(rec arrow.RecordBatch, spec *DesignOptions) (*Design, error) {
	return newDesign(rec, spec, nil)
}

// newDesign is NewDesign; rs, when set, are the replicate sums of a
// supplied-replicates design (NewReplicateSumsDesign).
func newDesign(rec arrow.RecordBatch, spec *DesignOptions, rs *ReplicateSums) (*Design, error) {
	var s DesignOptions
	if spec != nil {
		s = *spec
		s.RepRScales = append([]float64(nil), spec.RepRScales...)
		s.Stages = append([]Stage(nil), spec.Stages...)
	}
	if s.RepWeightsPrefix != "" {
		s.Variance = SuppliedReplicates
	}
	n := int(rec.NumRows())
	if s.RowNumbers != nil && len(s.RowNumbers) != n {
		return nil, fmt.Errorf("sampling: %w: %d row numbers for %d rows", ErrBadDesign, len(s.RowNumbers), n)
	}
	d := &Design{spec: s, n: n, rsums: rs}
	if err := d.checkUnits(); err != nil {
		return nil, err
	}
	if err := d.readWeights(rec); err != nil {
		return nil, err
	}
	if err := d.readStrataPSU(rec); err != nil {
		return nil, err
	}
	if err := d.readFPC(rec); err != nil {
		return nil, err
	}
	d.sortRows()
	d.totLen = len(d.psuStratum)
	if s.PPS != PPSNone {
		if err := d.readPPS(rec); err != nil {
			return nil, err
		}
	}
	if err := d.readStages(rec); err != nil {
		return nil, err
	}
	if s.Weight == "" && (s.FPC != "" || s.PPS == PPSJoint) {
		d.fpcWeights()
	}
	d.computeDF()
	var lonely []string
	for h := range d.nh {
		if d.lonely[h] {
			lonely = append(lonely, d.strataNames[h])
		} else {
			d.okStrata++
		}
	}
	if len(lonely) > 0 && s.Lonely == LonelyFail && s.Variance != SuppliedReplicates {
		sort.Strings(lonely)
		return nil, &LonelyPSUError{Strata: lonely}
	}
	if s.Variance != Linearization {
		if err := d.buildReplicates(rec); err != nil {
			return nil, err
		}
	}
	if s.AdjustDomainLonely && (s.AdjustInfluence != nil || s.AdjustInfluenceTerms != nil || d.stages != nil || d.pps != nil) {
		return nil, fmt.Errorf("sampling: %w: the domain lonely-PSU adjustment is supported for one-stage designs without calibration or PPS", ErrBadDesign)
	}
	if s.RepDF != 0 {
		if d.reps == nil || s.RepDF < 0 {
			return nil, fmt.Errorf("sampling: %w: degrees of freedom %d set for a %s design; they can be set (> 0) for replicate designs only", ErrBadDesign, s.RepDF, s.Variance)
		}
		d.df = s.RepDF
	}
	return d, nil
}

func desColumn(rec arrow.RecordBatch, role, name string) (arrow.Array, error) {
	col, err := arrowio.Column(rec, name)
	if err != nil {
		return nil, fmt.Errorf("sampling: %s column %q: %w", role, name, err)
	}
	return col, nil
}

// row returns the number of row i in messages (RowNumbers, or i+1).
func (d *Design) row(i int) int {
	if d.spec.RowNumbers != nil {
		return int(d.spec.RowNumbers[i])
	}
	return i + 1
}

// desRows formats 1-based row numbers, at most max of them.
func desRows(rows []int) string {
	const max = 10
	parts := make([]string, 0, max)
	for i, r := range rows {
		if i == max {
			break
		}
		parts = append(parts, strconv.Itoa(r))
	}
	s := strings.Join(parts, ", ")
	if len(rows) > max {
		s += fmt.Sprintf(", ... (%d rows)", len(rows))
	}
	if len(rows) == 1 {
		return "row " + s
	}
	return "rows " + s
}

func desList(s []string, max int) string {
	if len(s) <= max {
		return strings.Join(s, ", ")
	}
	return strings.Join(s[:max], ", ") + fmt.Sprintf(", ... (%d in all)", len(s))
}

func (d *Design) readWeights(rec arrow.RecordBatch) error {
	if d.spec.Weight == "" {
		d.w = make([]float64, d.n)
		for i := range d.w {
			d.w[i] = 1
		}
		d.wsum = float64(d.n)
		return nil
	}
	col, err := desColumn(rec, "weight", d.spec.Weight)
	if err != nil {
		return err
	}
	w, valid, err := arrowio.Float64s(col)
	if err != nil {
		return fmt.Errorf("sampling: weight column %q: %w", d.spec.Weight, err)
	}
	var missing, neg, nan, inf []int
	for i, v := range w {
		switch {
		case valid != nil && !valid[i]:
			missing = append(missing, d.row(i))
		case math.IsNaN(v):
			nan = append(nan, d.row(i))
		case math.IsInf(v, 0):
			inf = append(inf, d.row(i))
		case v < 0:
			neg = append(neg, d.row(i))
		}
		d.wsum += v
	}
	var msgs []string
	if len(missing) > 0 {
		msgs = append(msgs, "missing at "+desRows(missing))
	}
	if len(neg) > 0 {
		msgs = append(msgs, "negative at "+desRows(neg))
	}
	if len(nan) > 0 {
		msgs = append(msgs, "NaN at "+desRows(nan))
	}
	if len(inf) > 0 {
		msgs = append(msgs, "infinite at "+desRows(inf))
	}
	if len(msgs) > 0 {
		return fmt.Errorf("sampling: weight column %q: %w: %s; weights must be finite and ≥ 0 (zero is allowed)",
			d.spec.Weight, ErrBadWeight, strings.Join(msgs, "; "))
	}
	if !(d.wsum <= maxMagnitude) {
		top := 0
		for i, v := range w {
			if v > w[top] {
				top = i
			}
		}
		return fmt.Errorf("sampling: weight column %q: %w: the weights sum to %g (row %d holds %g); sums of their squares would overflow, so weights must sum to at most %.3g",
			d.spec.Weight, ErrBadWeight, d.wsum, d.row(top), w[top], maxMagnitude)
	}
	d.w = w
	return nil
}

// maxMagnitude bounds the sum of the weights and a variable's weighted
// values: √MaxFloat64, so that the sums of squares in the variance stay
// finite.
var maxMagnitude = math.Sqrt(math.MaxFloat64)

// desCodes codes a stratum or PSU column (catcode: levels in sorted
// order, so that codes do not depend on the row order); a null is an error
// naming the rows.
func desCodes(rec arrow.RecordBatch, role, name string) (codes []int32, levels []string, err error) {
	return desCodesAt(rec, role, name, nil)
}

// desCodesAt is desCodes naming row i of rec by rows[i] (nil: i+1).
func desCodesAt(rec arrow.RecordBatch, role, name string, rows []int64) (codes []int32, levels []string, err error) {
	col, err := desColumn(rec, role, name)
	if err != nil {
		return nil, nil, err
	}
	c, err := catcode.Code(col, catcode.NullFail)
	var ne *catcode.NullError
	if errors.As(err, &ne) {
		at := ne.Rows
		if rows != nil {
			at = make([]int, len(ne.Rows))
			for j, r := range ne.Rows {
				at[j] = int(rows[r-1])
			}
		}
		return nil, nil, fmt.Errorf("sampling: %s column %q: %w: missing value at %s; every row needs a %s", role, name, ErrBadDesign, desRows(at), role)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("sampling: %s column %q: %w", role, name, err)
	}
	return c.Codes, c.Levels, nil
}

func (d *Design) readStrataPSU(rec arrow.RecordBatch) error {
	n := d.n
	if d.spec.Strata == "" {
		d.stratum = make([]int32, n)
		d.strataNames = []string{""}
	} else {
		var err error
		d.stratum, d.strataNames, err = desCodesAt(rec, "stratum", d.spec.Strata, d.spec.RowNumbers)
		if err != nil {
			return err
		}
	}
	if n == 0 {
		d.strataNames = nil
	}
	H := len(d.strataNames)
	d.nh = make([]int, H)
	d.psu = make([]int32, n)
	if d.spec.PSU == "" {
		for i := range d.psu {
			d.psu[i] = int32(i)
			d.nh[d.stratum[i]] += d.unitsAt(i)
		}
		d.psuStratum = append([]int32(nil), d.stratum...)
		return nil
	}
	raw, levels, err := desCodesAt(rec, "PSU", d.spec.PSU, d.spec.RowNumbers)
	if err != nil {
		return err
	}
	if d.spec.Nest {
		// (stratum, raw) pairs get their own codes, in sorted order.
		var first []int32
		d.psu, first = catcode.Combine(d.stratum, raw)
		d.psuStratum = make([]int32, len(first))
		for p, i := range first {
			d.psuStratum[p] = d.stratum[i]
			d.nh[d.stratum[i]]++
		}
		return nil
	}
	d.psuStratum = make([]int32, len(levels))
	for i := range d.psuStratum {
		d.psuStratum[i] = -1
	}
	var bad []string
	for i, r := range raw {
		h := d.stratum[i]
		switch d.psuStratum[r] {
		case -1:
			d.psuStratum[r] = h
			d.nh[h]++
		case h:
		default:
			if len(bad) < 5 {
				bad = append(bad, fmt.Sprintf("PSU %q in strata %q and %q (row %d)", levels[r], d.strataNames[d.psuStratum[r]], d.strataNames[h], d.row(i)))
			}
		}
		d.psu[i] = r
	}
	if len(bad) > 0 {
		return fmt.Errorf("sampling: PSU column %q: %w: %s; if PSU ids are only unique within a stratum, nest the PSUs in the strata",
			d.spec.PSU, ErrNotNested, strings.Join(bad, "; "))
	}
	return nil
}

func (d *Design) readFPC(rec arrow.RecordBatch) error {
	H := len(d.nh)
	d.fh = make([]float64, H)
	d.lonely = make([]bool, H)
	d.popN = make([]float64, H)
	for h := range d.fh {
		d.fh[h] = 1
		d.popN[h] = math.Inf(1)
	}
	if d.spec.FPC != "" && d.spec.PPS == PPSNone { // PPS: inclusion probabilities (readPPS)
		col, err := desColumn(rec, "fpc", d.spec.FPC)
		if err != nil {
			return err
		}
		f, valid, err := arrowio.Float64s(col)
		if err != nil {
			return fmt.Errorf("sampling: fpc column %q: %w", d.spec.FPC, err)
		}
		per := make([]float64, H)
		seen := make([]bool, H)
		anyBig, allGE1 := false, true
		for i, v := range f {
			if (valid != nil && !valid[i]) || math.IsNaN(v) || v < 0 {
				val := fmt.Sprint(v)
				if valid != nil && !valid[i] {
					val = "no value"
				}
				return fmt.Errorf("sampling: fpc column %q: %w: row %d has %s; the fpc must be a population count of PSUs or a sampling fraction", d.spec.FPC, ErrBadFPC, d.row(i), val)
			}
			h := d.stratum[i]
			if !seen[h] {
				seen[h], per[h] = true, v
			} else if per[h] != v {
				return fmt.Errorf("sampling: fpc column %q: %w: the fpc varies within stratum %q (%v and %v at row %d); it must be constant in a stratum", d.spec.FPC, ErrBadFPC, d.strataNames[h], per[h], v, d.row(i))
			}
			if v > 1 {
				anyBig = true
			}
			if v < 1 {
				allGE1 = false
			}
		}
		if anyBig != allGE1 { // R as.fpc: xor(any(df > 1), all(df >= 1))
			return fmt.Errorf("sampling: fpc column %q: %w: mixes population counts (> 1) and sampling fractions (< 1)", d.spec.FPC, ErrBadFPC)
		}
		d.fpcG = make([]float64, H)
		for h := range per {
			nh := float64(d.nh[h])
			N := fpcPopulation(per[h], d.nh[h], anyBig)
			d.fpcG[h] = FPCWeight(per[h], d.nh[h], anyBig)
			if N < nh {
				return fmt.Errorf("sampling: fpc column %q: %w: stratum %q has %d PSUs in the sample but a population of %v", d.spec.FPC, ErrBadFPC, d.strataNames[h], d.nh[h], N)
			}
			d.popN[h] = N
			if math.IsInf(N, 1) {
				d.fh[h] = 1
			} else {
				d.fh[h] = (N - nh) / N
			}
		}
	}
	for h := range d.nh {
		d.lonely[h] = d.nh[h] == 1 && !(d.fh[h] < 1e-7)
	}
	return nil
}

// sortRows orders rows by (stratum, PSU) with PSUs renumbered stratum by
// stratum (a counting sort, O(n)).
func (d *Design) sortRows() {
	H, P := len(d.nh), len(d.psuStratum)
	// renumber PSUs stratum by stratum, in order of their codes (sorted
	// labels: the numbering does not depend on the row order)
	d.strataPSU = make([]int32, H+1)
	for _, h := range d.psuStratum {
		d.strataPSU[h+1]++
	}
	for h := 0; h < H; h++ {
		d.strataPSU[h+1] += d.strataPSU[h]
	}
	next := append([]int32(nil), d.strataPSU[:H]...)
	newID := make([]int32, P)
	for p := range newID {
		newID[p] = -1
	}
	for p, h := range d.psuStratum {
		if h >= 0 {
			newID[p] = next[h]
			next[h]++
		}
	}
	newStratum := make([]int32, P)
	for p, q := range newID {
		if q >= 0 {
			newStratum[q] = d.psuStratum[p]
		}
	}
	d.psuStratum = newStratum
	d.psuStart = make([]int32, P+1)
	sorted := true
	for i := 0; i < d.n; i++ {
		q := newID[d.psu[i]]
		if i > 0 && q < d.psu[i-1] {
			sorted = false
		}
		d.psu[i] = q
		d.psuStart[q+1]++
	}
	for p := 0; p < P; p++ {
		d.psuStart[p+1] += d.psuStart[p]
	}
	if sorted {
		return
	}
	d.order = make([]int32, d.n)
	pos := append([]int32(nil), d.psuStart[:P]...)
	for i := 0; i < d.n; i++ {
		p := d.psu[i]
		d.order[pos[p]] = int32(i)
		pos[p]++
	}
}

// computeDF sets PSUs − strata among rows with nonzero weight (R
// degf.survey.design2).
func (d *Design) computeDF() {
	if u := d.spec.Units; u != nil {
		d.unitsDF()
		return
	}
	psuOK := make([]bool, len(d.psuStratum))
	strOK := make([]bool, len(d.nh))
	np, ns := 0, 0
	for i, w := range d.w {
		if w != 0 {
			if p := d.psu[i]; !psuOK[p] {
				psuOK[p] = true
				np++
			}
			if h := d.stratum[i]; !strOK[h] {
				strOK[h] = true
				ns++
			}
		}
	}
	d.df = np - ns
	for _, w := range d.w {
		if w == 0 {
			d.zeroW = true
			break
		}
	}
}
