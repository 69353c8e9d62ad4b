package weighting

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// SolvedKey is the schema metadata key under which a table of per-cell
// sums of a weighting solved by passes over the rows carries the Solved
// record of that solve (Parquet and Arrow IPC keep schema metadata; CSV
// cannot).
const SolvedKey = "sipas.calibration"

// SolvedVersion is the version of the Solved record this package reads
// and writes.
const SolvedVersion = 1

// ErrSolved marks a Solved record that cannot stand for the weighting it
// is read with: absent, of another version or specification, or damaged.
var ErrSolved = errors.New("calibration record")

// Solved is what the linearized variance of a weighting solved by passes
// over the rows (Streamed) needs from the solve beyond the rows' own terms:
// the factor of the normal equations of the calibration residuals, M =
// X'W0Σ⁻¹X scaled as S M S with S = diag(Scale), as the upper Cholesky
// factor U (S M S = U'U, row-major p×p, zeros below the diagonal) or, when
// S M S is singular, as its pseudo-inverse Pinv; the final weights' sum;
// and the SHA-256 of the specification it solved (SpecHash). In JSON:
//
//	{"version":1,"spec":"9f2c…","p":3,"scale":[0.01,…],"cholesky":[…],
//	 "weights_sum":28443265}
//
// Floats are written in the shortest form that reads back to the same
// bits, so a Streamed read back (Streamed.Solved, SolvedStreamed) gives
// the same coefficients to the last bit.
type Solved struct {
	Version    int       `json:"version"`
	Spec       string    `json:"spec"`
	P          int       `json:"p"`
	Scale      []float64 `json:"scale"`
	Cholesky   []float64 `json:"cholesky,omitempty"`
	Pinv       []float64 `json:"pinv,omitempty"`
	WeightsSum float64   `json:"weights_sum"`
}

// errNoChainRecord refuses a record of a weighting with a second
// calibration solved row by row.
var errNoChainRecord = errors.New("a table of sums carries the solve of one calibration that needs every row; a weighting with a second one (or a calibration bounding the final weights after it) is finished from the rows, not from a table")

// SolvedSupport says whether a Solved record can stand for the solve of
// spec (which StreamSupport accepts) or why not: it carries one
// calibration solved row by row.
func SolvedSupport(spec *Spec) error {
	if k := calibrationStep(spec); k >= 0 && segmentEnd(spec, k) < len(spec.Steps) {
		return errNoChainRecord
	}
	return nil
}

// SpecHash is the hex SHA-256 of the JSON encoding of spec (its steps,
// targets, columns and options as parsed): two specifications with the
// same hash weight the same rows the same way.
func SpecHash(spec *Spec) (string, error) {
	b, err := json.Marshal(spec)
	if err != nil {
		return "", fmt.Errorf("weighting: hashing the specification: %w", err)
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:]), nil
}

// Solved returns the record of s, solved from spec.
func (s *Streamed) Solved(spec *Spec) (*Solved, error) {
	if s.next != nil {
		return nil, errNoChainRecord
	}
	h, err := SpecHash(spec)
	if err != nil {
		return nil, err
	}
	r := &Solved{Version: SolvedVersion, Spec: h, P: s.p, Scale: append([]float64(nil), s.proj.scl...), WeightsSum: s.Result.Final.Sum}
	if s.proj.chol != nil {
		var u mat.TriDense
		s.proj.chol.UTo(&u)
		r.Cholesky = make([]float64, s.p*s.p)
		for a := 0; a < s.p; a++ {
			for b := a; b < s.p; b++ {
				r.Cholesky[a*s.p+b] = u.At(a, b)
			}
		}
	} else {
		r.Pinv = append([]float64(nil), s.proj.pinv.RawMatrix().Data...)
	}
	return r, nil
}

// SolvedStreamed returns the Streamed of spec (which StreamSupport must
// accept) from its record r, for the linearized variance of sums of its
// rows' terms: P, Coefficients, EarlierSpec, EarlierResiduals,
// CellColumns and Result.Final.Sum are those of the solve; its rows' own
// terms (Rows, Terms) need the rows, and panic. The error wraps ErrSolved
// when r is of another version or specification, or inconsistent.
func SolvedStreamed(spec *Spec, r *Solved) (*Streamed, error) {
	if err := StreamSupport(spec); err != nil {
		return nil, err
	}
	if err := SolvedSupport(spec); err != nil {
		return nil, err
	}
	if r == nil {
		return nil, fmt.Errorf("%w: none", ErrSolved)
	}
	if r.Version != SolvedVersion {
		return nil, fmt.Errorf("%w: version %d, this program reads version %d", ErrSolved, r.Version, SolvedVersion)
	}
	h, err := SpecHash(spec)
	if err != nil {
		return nil, err
	}
	if r.Spec != h {
		return nil, fmt.Errorf("%w: made with another weighting specification (SHA-256 %.12s…, this one's %.12s…); give the specification the table was made with", ErrSolved, r.Spec, h)
	}
	p := r.P
	finite := func(v []float64) bool {
		for _, x := range v {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return false
			}
		}
		return true
	}
	switch {
	case p < 1 || len(r.Scale) != p || !finite(r.Scale):
		return nil, fmt.Errorf("%w: damaged: %d calibration variables with %d scales", ErrSolved, p, len(r.Scale))
	case (r.Cholesky == nil) == (r.Pinv == nil):
		return nil, fmt.Errorf("%w: damaged: it needs one of a Cholesky factor and a pseudo-inverse", ErrSolved)
	case r.Cholesky != nil && (len(r.Cholesky) != p*p || !finite(r.Cholesky)):
		return nil, fmt.Errorf("%w: damaged: a Cholesky factor of %d values for %d calibration variables", ErrSolved, len(r.Cholesky), p)
	case r.Pinv != nil && (len(r.Pinv) != p*p || !finite(r.Pinv)):
		return nil, fmt.Errorf("%w: damaged: a pseudo-inverse of %d values for %d calibration variables", ErrSolved, len(r.Pinv), p)
	}
	k := calibrationStep(spec)
	s := &Streamed{c: spec.Steps[k].Calibrate, dw: spec.DesignWeight, step: k, p: p, scale: 1,
		Result: &Result{Final: Diagnostics{Sum: r.WeightsSum}}}
	s.proj = &gregSolve{scl: append([]float64(nil), r.Scale...)}
	if r.Cholesky != nil {
		u := mat.NewTriDense(p, mat.Upper, nil)
		for a := 0; a < p; a++ {
			if !(r.Cholesky[a*p+a] > 0) {
				return nil, fmt.Errorf("%w: damaged: the Cholesky factor's diagonal has %v", ErrSolved, r.Cholesky[a*p+a])
			}
			for b := a; b < p; b++ {
				u.SetTri(a, b, r.Cholesky[a*p+b])
			}
		}
		s.proj.chol = new(mat.Cholesky)
		s.proj.chol.SetFromU(u)
	} else {
		s.proj.pinv = mat.NewDense(p, p, append([]float64(nil), r.Pinv...))
	}
	if k > 0 {
		pre := *spec
		pre.Steps = spec.Steps[:k]
		keys, err := CellKeysOf(&pre)
		if err != nil {
			return nil, err
		}
		s.pre = &preCells{cols: keys.Columns}
		s.earlier, s.preVar = &pre, residualSteps(&pre)
	}
	// the later steps' residuals rerun them on the sums' cells
	for j := k + 1; j < len(spec.Steps); j++ {
		s.later = append(s.later, laterStep{spec: &Spec{DesignWeight: spec.DesignWeight, Steps: []Step{spec.Steps[j]}}, step: j})
	}
	s.layout()
	return s, nil
}

// residualSteps says whether some step of spec has a residual in the
// linearized variance (post-stratification, raking, calibration).
func residualSteps(spec *Spec) bool {
	for _, st := range spec.Steps {
		if st.PostStratify != nil || st.Rake != nil || st.Calibrate != nil {
			return true
		}
	}
	return false
}
