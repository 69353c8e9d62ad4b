package weighting

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// AdjustInfluence replaces the influence values z of estimators (one vector
// per estimator, one value per row, in the row order of the record that was
// weighted; z_i = w_i y_i for a total, w_i (y_i − ȳ)/Σw for a mean, with w
// the final weights) by their calibration residuals, for every
// post-stratification, raking and calibration step in order, exactly as R
// survey's svyrecvar does with design$postStrata. The linearized variance is
// then computed from the adjusted z as usual
// (Σ_h (1−f_h) n_h/(n_h−1) Σ_j (z_hj − z̄_h)²). Nonresponse adjustment and
// trimming are treated as fixed (as R does). Rows with final weight 0 must
// have z_i = 0 and stay 0.
//
// Several vectors may be passed at once (a block, as the variance engine
// does: sampling.DesignOptions.AdjustInfluence); each is adjusted exactly as if
// it were passed alone, but the work that does not depend on z (the
// operators of the steps) is shared. The adjustment is linear in z.
//
// It is safe for concurrent use once the Result is no longer modified.
func (r *Result) AdjustInfluence(zs ...[]float64) {
	for _, z := range zs {
		if len(z) != len(r.Weights) {
			panic("weighting: AdjustInfluence: length of z differs from the weights")
		}
	}
	for i := range r.Steps {
		if v := r.Steps[i].Variance; v != nil {
			v.Adjust(zs...)
		}
	}
}

// Adjust applies one step's residualization to every vector of zs (see
// VarianceInfo and Result.AdjustInfluence). Rows whose weights are 0 are
// left out.
//
// The residualizations are linear and their corrections lie in a space of
// small dimension (one vector per class, or per calibration variable), so
// they are computed from a few sums over the rows:
//
//   - poststratify: one pass for the class sums a_c = Σ_{i∈c} (w0_i/w_i) z_i
//     / Σ_{i∈c} w0_i, one for z_i −= w_i a_c(i).
//   - rake: R's 10 back-fitting sweeps act on z only through the class sums
//     s_mc = Σ_{i∈c} z_i/W_m,i. Subtracting a·W_m,i over the rows of class
//     (m, c) lowers s_m'c' by a·C[(m',c'),(m,c)], C = Σ_{i∈c∩c'}
//     W_m,i/W_m',i (precomputed once, sparse). The sweeps therefore run on
//     the L class sums (L = number of classes of all margins): per margin
//     m and class c, a = s_mc/n_mc, A_mc += a, s −= a·C[·,(m,c)]; and z is
//     touched twice: once for the initial sums and once for
//     z_i −= Σ_m W_m,i A_m,c_m(i). In exact arithmetic this is R's
//     sequence of sweeps; in floating point it agrees to rounding.
//   - greg: β = (S X'W0Σ⁻¹X S)⁻¹ S Σ_i x_i z_i/(g_i σ²_i) (one Cholesky
//     factor, shared by every vector; σ² = 1 unless Sigma2), z_i −= g_i
//     w0_i x_i'Sβ, which equals R's qr.resid(qr(X√w0/σ), z/(g√w0 σ))·g√w0 σ
//     (the normal equations of the same least-squares problem).
//
// Rows where z is 0 (outside a domain) are skipped when forming the sums.
func (v *VarianceInfo) Adjust(zs ...[]float64) {
	v.once.Do(v.prepare)
	switch v.Kind {
	case "poststratify":
		v.op.post.adjust(zs)
	case "rake":
		if v.op.rake == nil { // too many pairs of classes: R's sweeps
			for _, z := range zs {
				v.adjustRakeSweeps(z)
			}
			return
		}
		v.op.rake.adjust(zs)
	case "greg":
		v.op.greg.adjust(zs)
	default:
		panic("weighting: unknown VarianceInfo kind " + v.Kind)
	}
}

// adjOp holds the precomputed operator of a VarianceInfo (one of the three).
type adjOp struct {
	post *postOp
	rake *rakeOp
	greg *gregOp
}

func (v *VarianceInfo) prepare() {
	v.op = new(adjOp)
	switch v.Kind {
	case "poststratify":
		v.op.post = newPostOp(v)
	case "rake":
		v.op.rake = newRakeOp(v)
	case "greg":
		v.op.greg = newGregOp(v)
	}
}

// postOp is the post-stratification residualization (R postStratify:
// psmeans = rowsum(x·oldw/psw)/Σ oldw by post-stratum; x − psmeans·psw).
type postOp struct {
	cls   []int32
	ratio []float64 // w0_i / w_i (0 where w_i = 0)
	neww  []float64 // w_i
	inv   []float64 // 1/Σ_{i∈c, w_i≠0} w0_i (0 for an empty class)
	k     int
}

func newPostOp(v *VarianceInfo) *postOp {
	k := int(maxClass(v.Classes)) + 1
	op := &postOp{cls: v.Classes[:len(v.NewWeights)], neww: v.NewWeights, ratio: make([]float64, len(v.NewWeights)), inv: make([]float64, k), k: k}
	for i, w := range v.NewWeights {
		if w != 0 {
			op.ratio[i] = v.OldWeights[i] / w
			op.inv[op.cls[i]] += v.OldWeights[i]
		}
	}
	for c, d := range op.inv {
		if d != 0 {
			op.inv[c] = 1 / d
		}
	}
	return op
}

func (op *postOp) adjust(zs [][]float64) {
	a := make([]float64, op.k)
	cls, ratio, neww := op.cls, op.ratio, op.neww
	for _, z := range zs {
		z = z[:len(cls)]
		clear(a)
		for i, zi := range z {
			if zi != 0 {
				a[cls[i]] += ratio[i] * zi
			}
		}
		for c := range a {
			a[c] *= op.inv[c]
		}
		for i := range z {
			z[i] -= neww[i] * a[cls[i]]
		}
	}
}

// rakeOp is the raking residualization run on the class sums (see Adjust).
// The rows' classes and weights of every margin are interleaved (row i's M
// entries are contiguous) so that one pass over the rows serves all
// margins.
type rakeOp struct {
	M    int
	L    int
	rc   []int32   // rc[i*M+m]: class of row i in margin m, numbered 0..L−1 over all margins
	rw   []float64 // rw[i*M+m]: W_m,i
	off  []int     // offset of margin m's classes in the L class sums
	cnt  []float64 // rows with non-zero weight, per class
	xptr []int32   // C in compressed columns: column l = (m, c) holds
	xidx []int32   // the rows l' = (m', c') with C[l', l] ≠ 0
	xval []float64
	rn   []float64 // rows each entry stands for (VarianceInfo.Counts; nil: 1)
}

// count is the number of rows entry i stands for.
func (op *rakeOp) count(i int) float64 {
	if op.rn == nil {
		return 1
	}
	return op.rn[i]
}

// rakeMaxPairs bounds the dense work of building C (pairs of classes of two
// margins); beyond it Adjust runs R's sweeps on every vector.
const rakeMaxPairs = 1 << 24

func newRakeOp(v *VarianceInfo) *rakeOp {
	M := len(v.Margins)
	op := &rakeOp{M: M, off: make([]int, M+1)}
	if M == 0 {
		return op
	}
	k := make([]int, M)
	for j, m := range v.Margins {
		k[j] = int(maxClass(m.Classes)) + 1
		op.off[j+1] = op.off[j] + k[j]
	}
	L := op.off[M]
	op.L = L
	pairs := 0
	for a := 0; a < M; a++ {
		for b := 0; b < M; b++ {
			if a != b {
				pairs += k[a] * k[b]
			}
		}
	}
	if pairs > rakeMaxPairs {
		return nil
	}
	n := len(v.Margins[0].Weights)
	op.cnt = make([]float64, L)
	op.rc = make([]int32, n*M)
	op.rw = make([]float64, n*M)
	if v.Counts != nil {
		op.rn = v.Counts[:n]
	}
	for j, m := range v.Margins {
		cls, w := m.Classes[:n], m.Weights[:n]
		o := int32(op.off[j])
		for i, wi := range w {
			op.rc[i*M+j] = o + cls[i]
			op.rw[i*M+j] = wi
			if wi != 0 {
				op.cnt[o+cls[i]] += op.count(i)
			}
		}
	}
	// blocks[a][b][c*k[b]+c'] = Σ_{i: c_a(i)=c, c_b(i)=c'} W_a,i/W_b,i for
	// a ≠ b (the effect on s_b,c' of a unit step in class (a, c)).
	blocks := make([][][]float64, M)
	for a := 0; a < M; a++ {
		blocks[a] = make([][]float64, M)
		for b := 0; b < M; b++ {
			if a == b {
				continue
			}
			blk := make([]float64, k[a]*k[b])
			ca, wa := v.Margins[a].Classes[:n], v.Margins[a].Weights[:n]
			cb, wb := v.Margins[b].Classes[:n], v.Margins[b].Weights[:n]
			kb := int32(k[b])
			for i, x := range wa {
				if x != 0 && wb[i] != 0 {
					blk[ca[i]*kb+cb[i]] += op.count(i) * x / wb[i]
				}
			}
			blocks[a][b] = blk
		}
	}
	op.xptr = make([]int32, L+1)
	for a := 0; a < M; a++ {
		for c := 0; c < k[a]; c++ {
			l := op.off[a] + c
			// the diagonal: a step in (a, c) lowers s_a,c by n_ac·step
			op.xidx = append(op.xidx, int32(l))
			op.xval = append(op.xval, op.cnt[l])
			for b := 0; b < M; b++ {
				if b == a {
					continue
				}
				row := blocks[a][b][c*k[b] : (c+1)*k[b]]
				for cb, x := range row {
					if x != 0 {
						op.xidx = append(op.xidx, int32(op.off[b]+cb))
						op.xval = append(op.xval, x)
					}
				}
			}
			op.xptr[l+1] = int32(len(op.xidx))
		}
	}
	return op
}

// rakeSweeps is R's number of back-fitting sweeps (survey:::svyrecvar:
// for (iterations in 1:10)).
const rakeSweeps = 10

// rakeGroup is the number of vectors whose corrections are applied in one
// pass over the rows.
const rakeGroup = 4

func (op *rakeOp) adjust(zs [][]float64) {
	L, M := op.L, op.M
	if M == 0 {
		return
	}
	s := make([]float64, L)
	A := make([]float64, L*rakeGroup) // A[l*rakeGroup+j]: vector j of the group
	for g0 := 0; g0 < len(zs); g0 += rakeGroup {
		grp := zs[g0:min(len(zs), g0+rakeGroup)]
		clear(A)
		for j, z := range grp {
			op.coefficients(z, s, A, j)
		}
		n := len(op.rw) / M
		rc, rw := op.rc[:n*M], op.rw[:n*M]
		switch len(grp) {
		case rakeGroup:
			z0, z1, z2, z3 := grp[0][:n], grp[1][:n], grp[2][:n], grp[3][:n]
			for i := range z0 {
				var a0, a1, a2, a3 float64
				for q := i * M; q < (i+1)*M; q++ {
					w := rw[q]
					l := int(rc[q]) * rakeGroup
					a := A[l : l+rakeGroup : l+rakeGroup]
					a0 += w * a[0]
					a1 += w * a[1]
					a2 += w * a[2]
					a3 += w * a[3]
				}
				z0[i] -= a0
				z1[i] -= a1
				z2[i] -= a2
				z3[i] -= a3
			}
		default:
			for j, z := range grp {
				z = z[:n]
				for i := range z {
					var a float64
					for q := i * M; q < (i+1)*M; q++ {
						a += rw[q] * A[int(rc[q])*rakeGroup+j]
					}
					z[i] -= a
				}
			}
		}
	}
}

// coefficients runs the sweeps on the class sums of z (s is scratch) and
// stores the accumulated class coefficients A_l in A[l*rakeGroup+j].
func (op *rakeOp) coefficients(z, s, A []float64, j int) {
	M := op.M
	clear(s)
	rc, rw := op.rc[:len(z)*M], op.rw[:len(z)*M]
	for i, zi := range z {
		if zi == 0 {
			continue
		}
		if op.rn != nil {
			zi *= op.rn[i] // Σ over the entry's rows of z_row/W_row
		}
		for q := i * M; q < (i+1)*M; q++ {
			if w := rw[q]; w != 0 {
				s[rc[q]] += zi / w
			}
		}
	}
	op.sweep(s, A, j)
}

// sweep runs R's sweeps on the class sums s and accumulates the class
// coefficients A_l in A[l*rakeGroup+j].
func (op *rakeOp) sweep(s, A []float64, j int) {
	M := op.M
	for it := 0; it < rakeSweeps; it++ {
		for m := 0; m < M; m++ {
			for l := op.off[m]; l < op.off[m+1]; l++ {
				if op.cnt[l] == 0 {
					continue
				}
				a := s[l] / op.cnt[l]
				if a == 0 {
					continue
				}
				A[l*rakeGroup+j] += a
				lo, hi := op.xptr[l], op.xptr[l+1]
				idx, val := op.xidx[lo:hi], op.xval[lo:hi:hi]
				for q, x := range val {
					s[idx[q]] -= x * a
				}
			}
		}
	}
}

// rakeMargin holds a raking margin's class sums (scratch) and its classes'
// counts of rows (or cells' rows) of nonzero weight.
type rakeMargin struct{ sum, cnt []float64 }

// rakeClassCounts returns, per margin of v, the counts of its classes'
// rows of nonzero weight, each row i counting count(i), and a scratch
// sum per class: the unweighted class means of R's rake residuals.
func (v *VarianceInfo) rakeClassCounts(count func(i int) float64) []rakeMargin {
	ms := make([]rakeMargin, len(v.Margins))
	for j, m := range v.Margins {
		k := maxClass(m.Classes) + 1
		ms[j] = rakeMargin{make([]float64, k), make([]float64, k)}
		for i, c := range m.Classes[:len(m.Weights)] {
			if m.Weights[i] != 0 {
				ms[j].cnt[c] += count(i)
			}
		}
	}
	return ms
}

// adjustRakeSweeps is R's residualization after rake done literally:
// for (iterations in 1:10) for (margin in psvar)
// x <- x − psw · ave(x/psw, margin) (unweighted class means), one vector
// at a time. Adjust uses it when the classes are too many for the reduced
// form.
func (v *VarianceInfo) adjustRakeSweeps(z []float64) {
	count := func(i int) float64 {
		if v.Counts == nil {
			return 1
		}
		return v.Counts[i]
	}
	ms := v.rakeClassCounts(count)
	for it := 0; it < rakeSweeps; it++ {
		for j, m := range v.Margins {
			s, cnt := ms[j].sum, ms[j].cnt
			clear(s)
			for i, zi := range z {
				if m.Weights[i] != 0 {
					s[m.Classes[i]] += count(i) * zi / m.Weights[i]
				}
			}
			for i := range z {
				if m.Weights[i] != 0 {
					c := m.Classes[i]
					z[i] -= m.Weights[i] * s[c] / cnt[c]
				}
			}
		}
	}
}

// gregOp is the calibration residualization: the Cholesky factor of
// S X'W0Σ⁻¹X S over the rows with a non-zero final weight,
// S = diag(1/√(X'W0Σ⁻¹X)_kk) (or, for collinear variables, its
// pseudo-inverse), Σ = diag(σ²) the working-model variance (1 unless
// VarianceInfo.Sigma2), and per row 1/(g_i σ²_i) and g_i w0_i (0 for the
// rows left out).
type gregOp struct {
	x *csr
	p int
	*gregSolve
	invg []float64
	gw0  []float64
}

// gregSolve solves the normal equations of the calibration residuals:
// the Cholesky factor of S M S, M = X'W0Σ⁻¹X (or its pseudo-inverse when M
// is singular), S = diag(1/√M_kk).
type gregSolve struct {
	scl  []float64
	chol *mat.Cholesky // nil when S M S is singular: pinv instead
	pinv *mat.Dense
}

func newGregOp(v *VarianceInfo) *gregOp {
	p := v.P
	n := len(v.W0)
	op := &gregOp{x: v.x, p: p, invg: make([]float64, n), gw0: make([]float64, n)}
	t := make([]float64, p*p)
	for i := range v.W0 {
		if v.W0[i] != 0 && v.G[i] != 0 {
			s2 := 1.0
			if v.Sigma2 != nil {
				s2 = v.Sigma2[i]
			}
			v.x.addOuter(t, p, i, v.W0[i]/s2)
			op.invg[i] = 1 / (v.G[i] * s2)
			op.gw0[i] = v.G[i] * v.W0[i]
		}
	}
	op.gregSolve = newGregSolve(t, p)
	return op
}

// newGregSolve factors M, given as the p×p row-major t (overwritten).
func newGregSolve(t []float64, p int) *gregSolve {
	op := &gregSolve{scl: make([]float64, p)}
	for k := 0; k < p; k++ {
		op.scl[k] = 1
		if d := t[k*p+k]; d > 0 {
			op.scl[k] = 1 / math.Sqrt(d)
		}
	}
	for a := 0; a < p; a++ {
		for b := 0; b < p; b++ {
			t[a*p+b] *= op.scl[a] * op.scl[b]
		}
	}
	sym := mat.NewSymDense(p, t)
	op.chol = new(mat.Cholesky)
	if !op.chol.Factorize(sym) {
		// Collinear calibration variables (a margin nested in another, a
		// numeric variable equal to a sum of indicators): the calibration
		// itself solved its Newton steps with a generalized inverse
		// (ginvSolve), and R's qr.resid projects on the column space of
		// X√w0 whatever its rank. The residual of a least-squares fit is
		// the same for every solution of the normal equations, so solve
		// them with the pseudo-inverse, dropping the directions ginvSolve
		// drops.
		op.chol = nil
		op.pinv = pinvSym(sym)
	}
	return op
}

// solve returns Sβ, β = (S M S)⁻¹ S rhs, for the p×k right-hand sides
// rhs (whose rows it scales in place).
func (op *gregSolve) solve(rhs *mat.Dense) *mat.Dense {
	p, k := rhs.Dims()
	rd := rhs.RawMatrix().Data
	for c := 0; c < p; c++ {
		for j := 0; j < k; j++ {
			rd[c*k+j] *= op.scl[c]
		}
	}
	var beta mat.Dense
	if op.chol == nil {
		beta.Mul(op.pinv, rhs)
	} else if err := op.chol.SolveTo(&beta, rhs); err != nil {
		panic("weighting: AdjustInfluence: " + err.Error())
	}
	for c := 0; c < p; c++ {
		for j := 0; j < k; j++ {
			beta.Set(c, j, beta.At(c, j)*op.scl[c])
		}
	}
	return &beta
}

// pinvSym is the Moore–Penrose inverse of a symmetric matrix, V diag(1/d)
// U' over the singular values d above MASS::ginv's tolerance
// 256·eps·d_max (as ginvSolve).
func pinvSym(a *mat.SymDense) *mat.Dense {
	p := a.SymmetricDim()
	var svd mat.SVD
	if !svd.Factorize(a, mat.SVDThin) {
		panic("weighting: AdjustInfluence: the calibration variables' cross-product has no SVD")
	}
	d := svd.Values(nil)
	var u, v mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	tol := 256 * 2.220446049250313e-16 * d[0]
	out := mat.NewDense(p, p, nil)
	for j, dj := range d {
		if !(dj > tol) {
			continue
		}
		for r := 0; r < p; r++ {
			vr := v.At(r, j) / dj
			for c := 0; c < p; c++ {
				out.Set(r, c, out.At(r, c)+vr*u.At(c, j))
			}
		}
	}
	return out
}

func (op *gregOp) adjust(zs [][]float64) {
	k := len(zs)
	if k == 0 {
		return
	}
	p := op.p
	ptr, col, val := op.x.ptr, op.x.col, op.x.val
	rhs := mat.NewDense(p, k, nil)
	rd := rhs.RawMatrix().Data // row-major p × k
	for j, z := range zs {
		z = z[:len(op.invg)]
		for i, zi := range z {
			if zi == 0 || op.invg[i] == 0 {
				continue
			}
			r := zi * op.invg[i]
			for q := ptr[i]; q < ptr[i+1]; q++ {
				rd[int(col[q])*k+j] += val[q] * r
			}
		}
	}
	beta := op.solve(rhs)
	// z_i −= g_i w0_i x_i'Sβ, for rakeGroup vectors per pass over the rows
	bs := make([]float64, p*rakeGroup) // bs[c*rakeGroup+j] = scl_c β_cj
	n := len(op.gw0)
	for g0 := 0; g0 < k; g0 += rakeGroup {
		grp := zs[g0:min(k, g0+rakeGroup)]
		clear(bs)
		for j := range grp {
			for c := 0; c < p; c++ {
				bs[c*rakeGroup+j] = beta.At(c, g0+j)
			}
		}
		if len(grp) == rakeGroup {
			z0, z1, z2, z3 := grp[0][:n], grp[1][:n], grp[2][:n], grp[3][:n]
			for i, g := range op.gw0 {
				if g == 0 {
					continue
				}
				var f0, f1, f2, f3 float64
				lo, hi := ptr[i], ptr[i+1]
				for q, v := range val[lo:hi] {
					c := int(col[lo+int32(q)]) * rakeGroup
					b := bs[c : c+rakeGroup : c+rakeGroup]
					f0 += v * b[0]
					f1 += v * b[1]
					f2 += v * b[2]
					f3 += v * b[3]
				}
				z0[i] -= g * f0
				z1[i] -= g * f1
				z2[i] -= g * f2
				z3[i] -= g * f3
			}
			continue
		}
		for j, z := range grp {
			z = z[:n]
			for i, g := range op.gw0 {
				if g == 0 {
					continue
				}
				fit := 0.0
				for q := ptr[i]; q < ptr[i+1]; q++ {
					fit += val[q] * bs[int(col[q])*rakeGroup+j]
				}
				z[i] -= g * fit
			}
		}
	}
}

func maxClass(c []int32) int32 {
	var m int32
	for _, v := range c {
		if v > m {
			m = v
		}
	}
	return m
}

// AdjustInfluenceCells is AdjustInfluence for a Result of RunCells whose
// cells' rows may differ in design weight d_i. For every vector b,
// zs[b][c] is Σ_{i∈c} z_i over the rows of cell c and us[b][c] is
// Σ_{i∈c} z_i/d_i; both are replaced by the same sums of the rows'
// residuals. Every step's weights are d_i times a constant of the cell, so
// every step subtracts from z_i d_i times a constant K_c of the cell:
// Σ z −= D_c K_c and Σ z/d −= n_c K_c (D_c the cell's design weight total,
// n_c its rows). Raking's unweighted class means of z_i/W_m,i are
// Σ_c (D_c/W_m,c) Σ_{i∈c} z_i/d_i, from us; the other steps read zs only.
// When every cell's rows share one design weight, us[b][c] =
// zs[b][c]·n_c/D_c and the result is that of AdjustInfluence.
func (r *Result) AdjustInfluenceCells(zs, us [][]float64) {
	n := len(r.Weights)
	if r.cellN == nil {
		panic("weighting: AdjustInfluenceCells: the result is not of a run on cells")
	}
	if len(us) != len(zs) {
		panic("weighting: AdjustInfluenceCells: as many vectors of sums of z/d as of z needed")
	}
	for b, z := range zs {
		if len(z) != n || len(us[b]) != n {
			panic("weighting: AdjustInfluenceCells: length of z differs from the cells")
		}
	}
	// per cell n_c/D_c, by which a change of Σ z is one of Σ z/d
	nd := make([]float64, n)
	for c, d := range r.cellD {
		nd[c] = r.cellN[c] / d
	}
	var old []float64
	for i := range r.Steps {
		v := r.Steps[i].Variance
		if v == nil {
			continue
		}
		if v.Kind == "rake" {
			v.adjustRakeCells(zs, us, r.cellD, nd)
			continue
		}
		for b, z := range zs {
			old = append(old[:0], z...)
			v.Adjust(z)
			u := us[b][:n]
			for c, zc := range z[:n] {
				u[c] -= (old[c] - zc) * nd[c]
			}
		}
	}
}

// adjustRakeCells is the raking residualization of AdjustInfluenceCells:
// R's sweeps (adjustRakeSweeps) with the class sums s_mc = Σ_{i∈c} z_i/W_m,i
// taken from u (Σ_{i∈cell} z_i/W_m,i = u_cell D_cell/W_m,cell), through the
// reduced form of rakeOp when it exists.
func (v *VarianceInfo) adjustRakeCells(zs, us [][]float64, D, nd []float64) {
	v.once.Do(v.prepare)
	op := v.op.rake
	for b, z := range zs {
		u := us[b][:len(z)]
		if op == nil {
			v.adjustRakeSweepsCells(z, u, D, nd)
			continue
		}
		M := op.M
		if M == 0 {
			continue
		}
		s := make([]float64, op.L)
		A := make([]float64, op.L*rakeGroup)
		rc, rw := op.rc[:len(z)*M], op.rw[:len(z)*M]
		for i, ui := range u {
			if ui == 0 {
				continue
			}
			ud := ui * D[i]
			for q := i * M; q < (i+1)*M; q++ {
				if w := rw[q]; w != 0 {
					s[rc[q]] += ud / w
				}
			}
		}
		op.sweep(s, A, 0)
		for i := range z {
			var a float64
			for q := i * M; q < (i+1)*M; q++ {
				a += rw[q] * A[int(rc[q])*rakeGroup]
			}
			z[i] -= a
			u[i] -= a * nd[i]
		}
	}
}

// adjustRakeSweepsCells is adjustRakeSweeps on cells, the class sums from u
// (see adjustRakeCells).
func (v *VarianceInfo) adjustRakeSweepsCells(z, u, D, nd []float64) {
	ms := v.rakeClassCounts(func(i int) float64 { return v.Counts[i] })
	for it := 0; it < rakeSweeps; it++ {
		for j, m := range v.Margins {
			s, cnt := ms[j].sum, ms[j].cnt
			clear(s)
			for i, ui := range u {
				if m.Weights[i] != 0 {
					s[m.Classes[i]] += ui * D[i] / m.Weights[i]
				}
			}
			for i := range z {
				if w := m.Weights[i]; w != 0 {
					a := w * s[m.Classes[i]] / cnt[m.Classes[i]]
					z[i] -= a
					u[i] -= a * nd[i]
				}
			}
		}
	}
}
