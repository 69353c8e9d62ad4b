package sampling

// vrLonelyAdjust moves, under LonelyAdjust, the centre of every lonely
// stratum's PSU total from 0 to the mean PSU total over all strata, as R
// survey ≥ 4.2 (onestage's recentering; survey 4.1 centred at 0):
//
//	V += Σ_{h lonely} (1 − f_h) [(t_h − c)² − t_h²],  c = Σ_i z_i / Σ_h n_h
//
// where the sums over h run over the strata with a row of the domain where
// the estimand is observed (R drops the other rows before onestage: svyby
// and na.rm subset the design). For a mean or a ratio Σ z = 0, so c = 0 and
// nothing changes; only totals, and combinations with a total, move. With
// Cov the cross terms get (t_j − c_j)(t_l − c_l) − t_j t_l likewise. s1 are
// the Σ z of the linearization pass. The differences of Ratios.VsOverall,
// estimands on the whole design, are centred over the overall's strata.
func (d *Design) vrLonelyAdjust(r *Ratios, t *vrTotals, V []float64, cov [][]float64, s1 []float64) {
	K, J, G := t.K, t.J, t.G
	tot := make([]bool, J)
	anyTot := false
	for k := 0; k < t.nNum; k++ {
		if vrDen(r, k) == nil {
			tot[k], anyTot = true, true
		}
	}
	if !anyTot {
		return
	}
	var lone []int
	for h, l := range d.lonely {
		if l {
			lone = append(lone, h)
		}
	}
	if len(lone) == 0 {
		return
	}
	for c, terms := range t.combos {
		for _, tm := range terms {
			tot[K+c] = tot[K+c] || tot[tm.k]
		}
	}
	P := make([]float64, G*J)      // Σ n_h over the strata where (g, j) is observed
	seen := make([]int32, G*J)     // stratum+1 that last counted (g, j)
	L := len(lone)                 // per lonely stratum: PSU totals and presence
	th := make([]float64, L*G*J)   // [l*G*J + g*J + j]
	present := make([]bool, L*G*J) // [l*G*J + g*J + j]
	obs := make([]bool, K)
	li := -1
	for h := range d.nh {
		isLone := d.lonely[h]
		if isLone {
			li++
		}
		for pos := d.psuStart[d.strataPSU[h]]; pos < d.psuStart[d.strataPSU[h+1]]; pos++ {
			i := int(pos)
			if d.order != nil {
				i = int(d.order[pos])
			}
			for k := 0; k < K; k++ {
				if k < t.nNum {
					obs[k] = vrObserved(r, k, i)
				} else {
					obs[k] = t.xtab[k-t.nNum][uint8(r.Items[k-t.nNum].Codes[i])] != 0
				}
			}
			for pass := 0; pass < 2; pass++ {
				g := 0
				if pass == 1 {
					if t.overall < 0 {
						break
					}
					g = t.overall
				} else if r.Domain != nil {
					if g = int(r.Domain[i]); g < 0 {
						continue
					}
				}
				mark := func(j int) {
					if seen[g*J+j] != int32(h)+1 {
						seen[g*J+j] = int32(h) + 1
						P[g*J+j] += float64(d.nh[h])
						if isLone {
							present[li*G*J+g*J+j] = true
						}
					}
				}
				for k := 0; k < K; k++ {
					if obs[k] && tot[k] {
						mark(k)
					}
					if isLone {
						var y, x float64
						if k < t.nNum {
							y = r.Num[k][i]
							if xx := vrDen(r, k); xx != nil {
								x = xx[i]
							}
						} else {
							c := uint8(r.Items[k-t.nNum].Codes[i])
							y, x = t.ytab[k-t.nNum][c], t.xtab[k-t.nNum][c]
						}
						th[li*G*J+g*J+k] += d.w[i] * (y*t.a[g*K+k] - x*t.b[g*K+k])
					}
				}
				for c, terms := range t.combos {
					if !tot[K+c] {
						continue
					}
					for _, tm := range terms {
						if obs[tm.k] {
							mark(K + c)
							break
						}
					}
				}
			}
		}
	}
	// centres, and the combinations' lonely PSU totals
	cen := make([]float64, G*J)
	for gj := range cen {
		if tot[gj%J] && P[gj] > 0 {
			cen[gj] = s1[gj] / P[gj]
		}
	}
	for l := 0; l < L; l++ {
		for g := 0; g < G; g++ {
			tl := th[l*G*J+g*J : l*G*J+g*J+J]
			for c, terms := range t.combos {
				v := 0.0
				for _, tm := range terms {
					v += tm.coef * tl[tm.k]
				}
				tl[K+c] = v
			}
		}
	}
	for l, h := range lone {
		f := d.fh[h]
		if f < 1e-7 {
			continue
		}
		for g := 0; g < G; g++ {
			base := l*G*J + g*J
			// c_j π_j: the centre where (g, j) has rows in the stratum
			cp := func(j int) float64 {
				if present[base+j] {
					return cen[g*J+j]
				}
				return 0
			}
			for j := 0; j < J; j++ {
				if c := cp(j); c != 0 {
					V[g*J+j] += f * (c*c - 2*c*th[base+j])
				}
			}
			if t.vs && g < t.overall {
				// domain − overall (Ratios.VsOverall): one estimand on the
				// whole design, so the strata of the overall count
				ba := l*G*J + t.overall*J
				for j := 0; j < J; j++ {
					if !tot[j] || !present[ba+j] {
						continue
					}
					gj, aj := g*J+j, t.overall*J+j
					c := (s1[gj] - s1[aj]) / P[aj]
					td := th[base+j] - th[ba+j]
					t.vsV[gj] += f * (c*c - 2*c*td)
				}
			}
			if cov == nil {
				continue
			}
			cv := cov[g]
			for j := 0; j < J; j++ {
				cj := cp(j)
				for q := 0; q < J; q++ {
					cq := cp(q)
					if cj != 0 || cq != 0 {
						cv[j*J+q] += f * (cj*cq - cj*th[base+q] - cq*th[base+j])
					}
				}
			}
		}
	}
}
