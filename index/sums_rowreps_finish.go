package index

import (
	"context"
	"slices"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/sampling"
)

// cellGroupsBy returns the group of every cell of the sums table sums:
// its domain of the columns by (one group without), and the number of
// groups.
func cellGroupsBy(sums arrow.RecordBatch, by []string) ([]int32, int, error) {
	n := int(sums.NumRows())
	group := make([]int32, n)
	if len(by) == 0 {
		return group, 1, nil
	}
	keys := make([]string, n)
	for _, b := range by {
		col, err := arrowio.Column(sums, b)
		if err != nil {
			return nil, 0, err
		}
		v, valid, err := arrowio.Strings(col)
		if err != nil {
			return nil, 0, err
		}
		for c := range keys {
			if valid != nil && !valid[c] {
				keys[c] += "\x01\x00"
			} else {
				keys[c] += v[c] + "\x00"
			}
		}
	}
	ids := map[string]int32{}
	for c, k := range keys {
		g, ok := ids[k]
		if !ok {
			g = int32(len(ids))
			ids[k] = g
		}
		group[c] = g
	}
	return group, len(ids), nil
}

// replicateSums returns the replicate sums of the items (estimands) of
// the sums table of the calibration's replicates cr, per group of the
// cells (group, G groups): per replicate r and item k
// Σ_{c∈g} m_rc (Σ_c w0 y_k + λ_r'·Σ_c w0 x y_k/σ²) and likewise for x,
// and the Gram matrix Σ_{c∈g} m_rc m_sc (1, λ_r')Q_c(1, λ_s')' of the
// replicate weights (FromCalibratedReplicateSums).
func (cr *CalibratedReplicates) replicateSums(ctx context.Context, sums arrow.RecordBatch, items []string, group []int32, G int) (*sampling.ReplicateSums, error) {
	st, R := cr.st, cr.R
	p, qd := st.P(), st.P()+1
	n := int(sums.NumRows())
	get := func(name string) ([]float64, error) { return repCalColumn(sums, name) }
	K := len(items)
	rs := &sampling.ReplicateSums{R: R, K: K, Y: make([]float64, G*R*K), X: make([]float64, G*R*K), Gram: make([][]float64, G)}
	rows, err := get(SumsRows)
	if err != nil {
		return nil, err
	}
	for _, v := range rows {
		rs.Rows += int64(v)
	}
	for k := 0; k < K; k++ {
		y0, err := get(SumsColumn("rcy", items[k]))
		if err != nil {
			return nil, err
		}
		x0, err := get(SumsColumn("rcx", items[k]))
		if err != nil {
			return nil, err
		}
		u, v := make([][]float64, p), make([][]float64, p)
		for j := 0; j < p; j++ {
			if u[j], err = get(SumsColumn("calu"+strconv.Itoa(j), items[k])); err != nil {
				return nil, err
			}
			if v[j], err = get(SumsColumn("calv"+strconv.Itoa(j), items[k])); err != nil {
				return nil, err
			}
		}
		for c := 0; c < n; c++ {
			g := int(group[c])
			for r := 0; r < R; r++ {
				a := cr.fac[r][c]
				if a == 0 {
					continue
				}
				yy, xx := y0[c], x0[c]
				for j, l := range cr.lam[r] {
					yy += l * u[j][c]
					xx += l * v[j][c]
				}
				rs.Y[(g*R+r)*K+k] += a * yy
				rs.X[(g*R+r)*K+k] += a * xx
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// the Gram matrices
	Q := make([][]float64, qd*qd)
	for a := 0; a < qd; a++ {
		for b := a; b < qd; b++ {
			if Q[a*qd+b], err = get("rcq_" + strconv.Itoa(a) + "_" + strconv.Itoa(b)); err != nil {
				return nil, err
			}
			Q[b*qd+a] = Q[a*qd+b]
		}
	}
	L := make([]float64, R*qd) // row r: (1, λ_r)
	for r := 0; r < R; r++ {
		L[r*qd] = 1
		copy(L[r*qd+1:(r+1)*qd], cr.lam[r])
	}
	rs.Gram, err = calGram(ctx, cr.fac, L, Q, group, G)
	if err != nil {
		return nil, err
	}
	return rs, nil
}

// calGram returns, per group g of the cells (group, G groups), the packed
// upper triangle of the Gram matrix Σ_{c∈g} D_c L Q_c L' D_c of the
// replicate weights: fac[r][c] the replicates' factors of cell c (D_c
// their diagonal), L the R×qd rows (1, λ_r') row-major, Q[a·qd+b][c] the
// cells' cross-products.
func calGram(ctx context.Context, fac [][]float64, L []float64, Q [][]float64, group []int32, G int) ([][]float64, error) {
	R, n := len(fac), len(group)
	qd := len(L) / R
	// per group Σ_c B_c Q_c B_c' with B_c = D_c L (row r: a_rc (1, λ_r')),
	// a chunk of cells at a time as one product [B_c Q_c]_c [B_c]_c'
	const chunk = 32
	start := make([]int, G+1) // the cells of group g: order[start[g]:start[g+1]]
	for _, g := range group {
		start[g+1]++
	}
	for g := range G {
		start[g+1] += start[g]
	}
	order, next := make([]int, n), slices.Clone(start[:G])
	for c, g := range group {
		order[next[g]] = c
		next[g]++
	}
	full := blas64.General{Rows: R, Cols: R, Stride: R, Data: make([]float64, R*R)}
	B := blas64.General{Rows: R, Stride: chunk * qd, Data: make([]float64, R*chunk*qd)}
	M := B
	M.Data = make([]float64, R*chunk*qd)
	Qc := blas64.General{Rows: qd, Cols: qd, Stride: qd, Data: make([]float64, qd*qd)}
	LQ := blas64.General{Rows: R, Cols: qd, Stride: qd, Data: make([]float64, R*qd)}
	Lm := blas64.General{Rows: R, Cols: qd, Stride: qd, Data: L}
	gram := make([][]float64, G)
	for g := range gram {
		m := make([]float64, R*(R+1)/2)
		gram[g] = m
		clear(full.Data)
		for cells := order[start[g]:start[g+1]]; len(cells) > 0; {
			k := min(chunk, len(cells))
			B.Cols, M.Cols = k*qd, k*qd
			for t, c := range cells[:k] {
				for l := range Qc.Data {
					Qc.Data[l] = Q[l][c]
				}
				blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, Lm, Qc, 0, LQ)
				for r := 0; r < R; r++ {
					a := fac[r][c]
					b, mm := B.Data[r*B.Stride+t*qd:][:qd], M.Data[r*M.Stride+t*qd:][:qd]
					for j := range b {
						b[j] = a * L[r*qd+j]
						mm[j] = a * LQ.Data[r*qd+j]
					}
				}
			}
			blas64.Gemm(blas.NoTrans, blas.Trans, 1, M, B, 1, full)
			cells = cells[k:]
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		at := 0
		for r := 0; r < R; r++ {
			at += copy(m[at:], full.Data[r*R+r:(r+1)*R])
		}
	}
	return gram, nil
}

// suppliedDesign returns the sums table with the cells' groups (the
// caller releases it) and the design that finishes it as supplied
// replicate weights (whose sums replicateSums gives) with the generated
// method's scales, as in memory.
func (cr *CalibratedReplicates) suppliedDesign(sums arrow.RecordBatch, spec *sampling.DesignOptions, group []int32) (arrow.RecordBatch, sampling.DesignOptions) {
	gcol := make([]float64, len(group))
	for c, g := range group {
		gcol[c] = float64(g)
	}
	tab := withFloatColumn(sums, repGroupColumn, gcol)
	ds := *spec
	// the fpc is in the replicate scales, and the replicates are of the
	// first stage's units (as weighting.NewDesign, R as.svrepdesign)
	ds.FPC, ds.Stages = "", nil
	ds.Variance, ds.RepType = sampling.SuppliedReplicates, "other"
	ds.RepScale, ds.RepRScales = cr.scale, cr.rscale
	ds.Replicates, ds.Seed = 0, 0
	return tab, ds
}
