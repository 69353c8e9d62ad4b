package sampling

// vrLonelyAdjust moves, under LonelyAdjust, the centre of every lonely PSU
// total from 0 to the mean PSU total over all strata, as R survey ≥ 4.4
// (onestage's recentering, R and C++ code alike; survey 4.1 centred at 0).
// A stratum is lonely for a domain when it has one PSU (n_h = 1) or, with
// AdjustDomainLonely, when it has n_h > 1 PSUs of which only the one with
// PSU total t_h holds rows of the domain (its n_h − 1 others count as zero
// totals, centred too):
//
//	V += Σ_{h lonely} s_h [(t_h − c)² + (n_h − 1) c² − t_h²]
//	   = Σ_{h lonely} s_h (n_h c² − 2 c t_h),   c = Σ_i z_i / Σ_h n_h
//
// with s_h = (1 − f_h) for n_h = 1 and (1 − f_h) n_h/(n_h − 1) otherwise;
// the sums over h run over the strata with a row of the domain where the
// estimand is observed (R drops the other rows before onestage: svyby and
// na.rm subset the design). For a mean or a ratio Σ z = 0, so c = 0 and
// nothing changes; only totals, and combinations with a total, move. With
// Cov the cross terms get s_h (n_h c_j c_l − c_j t_l − c_l t_j) likewise.
// s1 are the Σ z of the linearization pass. The differences of
// Ratios.VsOverall, estimands on the whole design, are centred over the
// overall's strata and only in strata with one PSU.
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
	domAdj := d.spec.AdjustDomainLonely && r.Domain != nil
	anyLone := domAdj
	for _, l := range d.lonely {
		anyLone = anyLone || l
	}
	if !anyLone {
		return
	}
	for c, terms := range t.combos {
		for _, tm := range terms {
			tot[K+c] = tot[K+c] || tot[tm.k]
		}
	}
	GJ := G * J
	P := make([]float64, GJ)    // Σ n_h over the strata where (g, j) is observed
	seen := make([]int32, GJ)   // stratum+1 that last counted (g, j)
	th := make([]float64, GJ)   // the stratum's lonely PSU totals
	present := make([]bool, GJ) // (g, j) observed in the stratum
	lone := make([]bool, G)     // the stratum is lonely for domain g
	// Over the lonely (stratum, domain) pairs: A = Σ s_h n_h [present],
	// B = Σ s_h t_h [present]; covariances CA = Σ s_h n_h [present_j
	// present_l], CB = Σ s_h t_l [present_j]; VsOverall VA = Σ f_h
	// [present overall], VB = Σ f_h (t_g − t_all) [present overall].
	A, B := make([]float64, GJ), make([]float64, GJ)
	var CA, CB, VA, VB []float64
	if cov != nil {
		CA, CB = make([]float64, GJ*J), make([]float64, GJ*J)
	}
	vs := t.vs && t.overall >= 0
	if vs {
		VA, VB = make([]float64, GJ), make([]float64, GJ)
	}
	var psus []int
	var lastPSU []int32
	if domAdj {
		psus, lastPSU = make([]int, G), make([]int32, G)
	}
	obs := make([]bool, K)
	for h := range d.nh {
		nh := d.nh[h]
		for g := range lone {
			lone[g] = d.lonely[h]
		}
		if domAdj && nh > 1 {
			// PSUs of the stratum holding rows of each domain
			clear(psus)
			for p := d.strataPSU[h]; p < d.strataPSU[h+1]; p++ {
				for pos := d.psuStart[p]; pos < d.psuStart[p+1]; pos++ {
					i := pos
					if d.order != nil {
						i = d.order[pos]
					}
					if g := r.Domain[i]; g >= 0 && (psus[g] == 0 || lastPSU[g] != p) {
						psus[g] += d.unitsAt(int(i)) // a cell of Units: its units
						lastPSU[g] = p
					}
				}
			}
			for g, m := range psus {
				lone[g] = m == 1 && g != t.overall
			}
		}
		anyHere := false
		for _, l := range lone {
			anyHere = anyHere || l
		}
		if anyHere {
			clear(th)
			clear(present)
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
				isLone := lone[g]
				mark := func(j int) {
					if seen[g*J+j] != int32(h)+1 {
						seen[g*J+j] = int32(h) + 1
						P[g*J+j] += float64(nh)
						if isLone {
							present[g*J+j] = true
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
						th[g*J+k] += d.w[i] * (y*t.a[g*K+k] - x*t.b[g*K+k])
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
		f := d.fh[h]
		if !anyHere || f < 1e-7 {
			continue
		}
		s, n := f, 1.0
		if nh > 1 {
			s, n = f*float64(nh)/float64(nh-1), float64(nh)
		}
		for g, l := range lone {
			if !l {
				continue
			}
			tg := th[g*J : g*J+J]
			for c, terms := range t.combos {
				v := 0.0
				for _, tm := range terms {
					v += tm.coef * tg[tm.k]
				}
				tg[K+c] = v
			}
		}
		for g, l := range lone {
			if !l {
				continue
			}
			tg := th[g*J : g*J+J]
			pg := present[g*J : g*J+J]
			for j := 0; j < J; j++ {
				if pg[j] {
					A[g*J+j] += s * n
					B[g*J+j] += s * tg[j]
				}
			}
			if cov != nil {
				ca, cb := CA[g*J*J:(g+1)*J*J], CB[g*J*J:(g+1)*J*J]
				for j := 0; j < J; j++ {
					if !pg[j] {
						continue
					}
					for q := 0; q < J; q++ {
						if pg[q] {
							ca[j*J+q] += s * n
						}
						cb[j*J+q] += s * tg[q]
					}
				}
			}
			if vs && g < t.overall && d.lonely[h] {
				// domain − overall (Ratios.VsOverall): one estimand on the
				// whole design, so the strata of the overall count
				ta := th[t.overall*J : t.overall*J+J]
				pa := present[t.overall*J : t.overall*J+J]
				for j := 0; j < J; j++ {
					if pa[j] {
						VA[g*J+j] += f
						VB[g*J+j] += f * (tg[j] - ta[j])
					}
				}
			}
		}
	}
	// centres c = Σ z / Σ n_h, totals only
	cen := make([]float64, GJ)
	for gj := range cen {
		if tot[gj%J] && P[gj] > 0 {
			cen[gj] = s1[gj] / P[gj]
		}
	}
	for gj, c := range cen {
		if c != 0 {
			V[gj] += c*c*A[gj] - 2*c*B[gj]
		}
	}
	if vs {
		for g := 0; g < t.overall; g++ {
			for j := 0; j < J; j++ {
				gj, aj := g*J+j, t.overall*J+j
				if !tot[j] || P[aj] == 0 {
					continue
				}
				c := (s1[gj] - s1[aj]) / P[aj]
				t.vsV[gj] += c*c*VA[gj] - 2*c*VB[gj]
			}
		}
	}
	if cov != nil {
		for g := 0; g < G; g++ {
			cv := cov[g]
			c := cen[g*J : g*J+J]
			ca, cb := CA[g*J*J:(g+1)*J*J], CB[g*J*J:(g+1)*J*J]
			for j := 0; j < J; j++ {
				for q := 0; q < J; q++ {
					if c[j] != 0 || c[q] != 0 {
						cv[j*J+q] += c[j]*c[q]*ca[j*J+q] - c[j]*cb[j*J+q] - c[q]*cb[q*J+j]
					}
				}
			}
		}
	}
}
