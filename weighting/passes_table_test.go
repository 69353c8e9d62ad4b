package weighting_test

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/sipas-go/sipas/internal/golden"
	"github.com/sipas-go/sipas/weighting"
)

// sameSolved checks that the record of st (solved from spec), through
// its JSON and back, gives a Streamed with the solve's number of
// calibration variables, earlier steps, cell columns and final weights'
// sum, and the same coefficients to the last bit for random right-hand
// sides; and that the Cholesky factor or the pseudo-inverse it carries is
// the one wanted (pinv: S M S singular).
func sameSolved(t *testing.T, key string, spec *weighting.Spec, st *weighting.Streamed) {
	t.Helper()
	r, err := st.Solved(spec)
	if st.Calibrations() > 1 {
		// a chain of calibrations has no record: refused both ways
		if err == nil {
			t.Errorf("%s: a record of %d calibrations", key, st.Calibrations())
		}
		if _, err := weighting.SolvedStreamed(spec, &weighting.Solved{Version: weighting.SolvedVersion}); err == nil {
			t.Errorf("%s: a chain of calibrations read back", key)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back weighting.Solved
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	got, err := weighting.SolvedStreamed(spec, &back)
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	if got.P() != st.P() || got.EarlierResiduals() != st.EarlierResiduals() || !slices.Equal(got.CellColumns(), st.CellColumns()) ||
		(got.EarlierSpec() == nil) != (st.EarlierSpec() == nil) || got.Result.Final.Sum != st.Result.Final.Sum {
		t.Errorf("%s: read back: p %d, earlier residuals %v, cells %v, sum %v; solved: %d, %v, %v, %v", key,
			got.P(), got.EarlierResiduals(), got.CellColumns(), got.Result.Final.Sum, st.P(), st.EarlierResiduals(), st.CellColumns(), st.Result.Final.Sum)
	}
	rng := rand.New(rand.NewPCG(7, uint64(len(key))))
	for range 3 {
		rhs := make([]float64, st.P())
		for k := range rhs {
			rhs[k] = rng.NormFloat64() * 1e3
		}
		if a, b := st.Coefficients(rhs), got.Coefficients(rhs); !slices.Equal(a, b) {
			t.Errorf("%s: coefficients %v solved, %v read back", key, a, b)
		}
	}
}

// TestSolvedRecord: a record whose factor is given as the (pseudo-)
// inverse of S M S (as when S M S is singular) gives the coefficients of
// the Cholesky factor's at 1e-9; a record of another specification, of
// another version or damaged is refused with ErrSolved. (Every calibration of TestSolveStream, TestSolveStreamCalopts
// and the earlier steps' tests is read back through checkStreamed.)
func TestSolvedRecord(t *testing.T) {
	rec := readCalopts(t, "apiclus1")
	defer rec.Release()
	spec, err := weighting.ParseSpecBytes([]byte(`{"design_weight": "pw", "steps": [{"calibrate": {"margins": [{"by": ["stype"], "totals": {"E": 4421, "H": 755, "M": 1018}}], "numeric": {"enroll": 3404940}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	st, err := weighting.SolveStream(context.Background(), spec, weighting.ScanRecord(rec, 37))
	if err != nil {
		t.Fatal(err)
	}
	r, err := st.Solved(spec)
	if err != nil {
		t.Fatal(err)
	}
	if r.Cholesky == nil {
		t.Fatalf("no Cholesky factor: %+v", r)
	}
	p := r.P
	var m mat.Dense
	u := mat.NewDense(p, p, r.Cholesky)
	m.Mul(u.T(), u)
	var inv mat.Dense
	if err := inv.Inverse(&m); err != nil {
		t.Fatal(err)
	}
	pi := *r
	pi.Cholesky, pi.Pinv = nil, inv.RawMatrix().Data
	got, err := weighting.SolvedStreamed(spec, &pi)
	if err != nil {
		t.Fatal(err)
	}
	rhs := []float64{3, -1, 2, 0.5}[:p]
	for k, c := range got.Coefficients(rhs) {
		if want := st.Coefficients(rhs)[k]; !golden.Close(c, want, 1e-9) {
			t.Errorf("pseudo-inverse: coefficient %d is %v, with the Cholesky factor %v", k, c, want)
		}
	}
	other := *spec
	other.DesignWeight = "pw2"
	for _, c := range []struct {
		name string
		spec *weighting.Spec
		edit func(*weighting.Solved)
		says string
	}{
		{"another spec", &other, func(*weighting.Solved) {}, "another weighting specification"},
		{"version", spec, func(r *weighting.Solved) { r.Version = 9 }, "version 9"},
		{"no factor", spec, func(r *weighting.Solved) { r.Cholesky = nil }, "damaged"},
		{"short scale", spec, func(r *weighting.Solved) { r.Scale = r.Scale[1:] }, "damaged"},
	} {
		bad := *r
		c.edit(&bad)
		_, err := weighting.SolvedStreamed(c.spec, &bad)
		if !errors.Is(err, weighting.ErrSolved) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %v; want ErrSolved saying %q", c.name, err, c.says)
		}
	}
}
