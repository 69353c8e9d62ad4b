package sampling

// The fast paths of the variance engine. Each computes what the plain
// row-by-row code of variance.go computes, only faster on the shapes SIPAS
// runs (a few dozen coded items and their combinations, by province, over
// 40k ballots a year and 1M in the benchmarks); tests check each against
// the plain path on the R-golden data:
//
//   - vrItemTotals: the totals Σ w y, Σ w x of a coded item (Ratios.Items)
//     from per-domain code histograms and the item's 256-entry value
//     tables instead of decoded Num/Den columns (TestItemsEqualNumDen
//     compares with the same estimands given as columns);
//   - vrBlockFused: the influence values of a block of rows of one domain
//     added for that domain and the overall at once, reading the columns
//     once (TestOverallFused compares with separate calls);
//   - vrRunTotals: the totals of a numerator/denominator estimand without
//     validity masks in tight loops over runs of rows of one domain (the
//     estimators' columns, which carry masks, take the general row loop;
//     both meet the same R goldens, and TestItemsEqualNumDen gives it the
//     items as columns);
//   - vrMaskOnly: only the observation masks of the combinations beyond
//     the first 64, the totals being done.
//
// Two references check the whole engine: TestEngineMatchesReference
// (reference_test.go) computes the linearized variance as the methodology
// writes it — every row's influence value z_i, the PSU totals, the
// stratum sums of squares with fpc and the lonely-PSU rules — in a few
// dozen plain lines, and compares estimates, variances, covariances and
// domain − overall differences on random stratified cluster samples; and
// TestInfluenceIdentityHookMatchesEngine compares the one-pass engine with
// the explicit-z path of influence.go (the one calibration, multistage and
// PPS designs take).

// vrBlockFused is vrBlockPass for a contiguous block [lo, lo+m) whose rows
// are all in domain g1, done at once for g1 and the whole population g2
// (Overall): the columns are read once for both.
func (d *Design) vrBlockFused(r *Ratios, t *vrTotals, wk *vrWorker, lo, m, g1, g2 int) {
	K, J := t.K, t.J
	ww := d.w[lo : lo+m]
	for k := 0; k < K; k++ {
		yy := r.Num[k][lo : lo+m]
		xx := r.Den[k][lo : lo+m]
		xx = xx[:len(yy)]
		ww := ww[:len(yy)]
		rb1 := wk.rbuf[k*vrBlock : k*vrBlock+len(yy)]
		rb2 := wk.rbuf2[k*vrBlock : k*vrBlock+len(yy)]
		a1, b1 := t.a[g1*K+k], t.b[g1*K+k]
		a2, b2 := t.a[g2*K+k], t.b[g2*K+k]
		var tz1, ts1, tz2, ts2 float64
		for j, yv := range yy {
			xv, wv := xx[j], ww[j]
			r1 := yv*a1 - xv*b1
			r2 := yv*a2 - xv*b2
			z1, z2 := wv*r1, wv*r2
			tz1 += z1
			ts1 += z1 * r1
			tz2 += z2
			ts2 += z2 * r2
			rb1[j], rb2[j] = r1, r2
		}
		wk.cell[g1*J+k] += tz1
		wk.s2[g1*J+k] += ts1
		wk.cell[g2*J+k] += tz2
		wk.s2[g2*J+k] += ts2
	}
	rc1, rc2 := wk.rc[:m], wk.rc2[:m]
	for c, terms := range t.combos {
		clear(rc1)
		clear(rc2)
		for _, tm := range terms {
			rb1 := wk.rbuf[tm.k*vrBlock : tm.k*vrBlock+m]
			rb2 := wk.rbuf2[tm.k*vrBlock : tm.k*vrBlock+m]
			co := tm.coef
			for j := range rc1 {
				rc1[j] += co * rb1[j]
				rc2[j] += co * rb2[j]
			}
		}
		var s1, s2 float64
		for j, wv := range ww {
			s1 += wv * rc1[j] * rc1[j]
			s2 += wv * rc2[j] * rc2[j]
		}
		wk.s2[g1*J+K+c] += s1
		wk.s2[g2*J+K+c] += s2
	}
}

// vrItemTotals is vrTotalsRange for a coded item (Ratios.Items): per domain,
// weighted and unweighted histograms of the codes (one increment per row,
// no branches on the values), turned into Σ w·y, Σ w·x, Σ w, n and the
// nonzero-weight n through the item's value tables at the end. The rows'
// observed bits for the combinations (mask) are set in a second tight loop.
// Results equal the general loop's up to the order of floating-point
// additions (sums per code, then over codes).
func (d *Design) vrItemTotals(r *Ratios, t *vrTotals, k, i0, i1 int, codes []int8, yt, xt *[256]float64, bitsK uint64,
	mask []uint64, Y, X, W []float64, N, O []int) {
	K, J, G := t.K, t.J, t.G
	w := d.w[i0:i1]
	codes = codes[:len(w)]
	// histogram slots: G domains, plus one for rows in no domain (counted
	// only in the all-rows domain)
	slots := (G + 1) * 256
	hw := make([]float64, slots)
	hn := make([]int32, slots)
	var ho []int32
	if d.zeroW {
		ho = make([]int32, slots)
	}
	none := G * 256
	// Consecutive rows mostly fall in the same bin (same domain, same
	// code); a second histogram for the odd rows breaks the chain of
	// dependent read-modify-writes on one memory cell. Merged below.
	hw2 := make([]float64, slots)
	hn2 := make([]int32, slots)
	if r.Domain == nil {
		i := 0
		for ; i+1 < len(codes); i += 2 {
			j, j2 := int(uint8(codes[i])), int(uint8(codes[i+1]))
			hw[j] += w[i]
			hn[j]++
			hw2[j2] += w[i+1]
			hn2[j2]++
		}
		for ; i < len(codes); i++ {
			j := int(uint8(codes[i]))
			hw[j] += w[i]
			hn[j]++
		}
	} else {
		dm := r.Domain[i0:i1][:len(w)]
		bin := func(i int) int {
			j := int(uint8(codes[i]))
			if g := dm[i]; g >= 0 {
				return j + int(g)<<8
			}
			return j + none
		}
		i := 0
		for ; i+1 < len(codes); i += 2 {
			j, j2 := bin(i), bin(i+1)
			hw[j] += w[i]
			hn[j]++
			hw2[j2] += w[i+1]
			hn2[j2]++
		}
		for ; i < len(codes); i++ {
			j := bin(i)
			hw[j] += w[i]
			hn[j]++
		}
	}
	for j := range hw {
		hw[j] += hw2[j]
		hn[j] += hn2[j]
	}
	if ho != nil {
		for i, c := range codes {
			if w[i] == 0 {
				continue
			}
			j := int(uint8(c))
			if r.Domain != nil {
				if g := r.Domain[i0+i]; g >= 0 {
					j += int(g) << 8
				} else {
					j += none
				}
			}
			ho[j]++
		}
	}
	all := t.overall >= 0
	add := func(g, slot int) {
		var sy, sx, sw float64
		var sn, so int
		for c := 0; c < 256; c++ {
			cw := hw[slot+c]
			if hn[slot+c] == 0 {
				continue
			}
			sy += yt[c] * cw
			sx += xt[c] * cw
			if xt[c] != 0 {
				sw += cw
				sn += int(hn[slot+c])
				if ho != nil {
					so += int(ho[slot+c])
				}
			}
		}
		if ho == nil {
			so = sn
		}
		Y[g*K+k] += sy
		X[g*K+k] += sx
		W[g*J+k] += sw
		N[g*J+k] += sn
		O[g*J+k] += so
	}
	gDom := G
	if all {
		gDom = G - 1 // the all-rows domain is the last one, not a data domain
	}
	if r.Domain == nil {
		add(0, 0)
	} else {
		for g := 0; g < gDom; g++ {
			add(g, g<<8)
			if all {
				add(t.overall, g<<8)
			}
		}
		if all {
			add(t.overall, none)
		}
	}
	if bitsK != 0 {
		mk := mask[:len(codes)]
		if r.Domain == nil || all {
			for i, c := range codes {
				if xt[uint8(c)] != 0 {
					mk[i] |= bitsK
				}
			}
		} else {
			dm := r.Domain[i0:i1][:len(codes)]
			for i, c := range codes {
				if dm[i] >= 0 && xt[uint8(c)] != 0 {
					mk[i] |= bitsK
				}
			}
		}
	}
}

// vrMaskOnly marks in mask the rows of [i0, i1) where estimand k is observed.
func vrMaskOnly(r *Ratios, k, i0, i1 int, mask []uint64, bitsK uint64) {
	if bitsK == 0 {
		return
	}
	for i := i0; i < i1; i++ {
		if vrObserved(r, k, i) {
			mask[i-i0] |= bitsK
		}
	}
}

// vrRunTotals adds, for numerator/denominator estimand k, the totals
// Σ w y, Σ w x, the weight and counts of the observed rows (x ≠ 0) of every
// run of one domain to that domain and the overall (t.overall ≥ 0), and
// marks the observed rows with bitsK in mask (nil: no combination uses k).
// It is the general row loop of vrTotalsRange for the common case, in
// tight loops over the runs.
func (d *Design) vrRunTotals(runs []vrRun, t *vrTotals, k int, yAll, xAll, w []float64, mask []uint64, bitsK uint64, Y, X, W []float64, N, O []int) {
	K, J := t.K, t.J
	gA := t.overall
	for _, run := range runs {
		var sy, sx, sw float64
		var sn, so int
		ys, xs, ws := yAll[run.s:run.e], xAll[run.s:run.e], w[run.s:run.e]
		var mk []uint64
		if mask != nil {
			mk = mask[run.s:run.e]
		}
		xs = xs[:len(ys)]
		ws = ws[:len(ys)]
		for i, yv := range ys {
			wi, xi := ws[i], xs[i]
			sy += wi * yv
			sx += wi * xi
			if xi != 0 {
				sn++
				sw += wi
				if mk != nil {
					mk[i] |= bitsK
				}
			}
		}
		if d.zeroW {
			for i, wi := range ws {
				if xs[i] != 0 && wi != 0 {
					so++
				}
			}
		} else {
			so = sn
		}
		for _, g := range [2]int{int(run.g), gA} {
			if g < 0 {
				continue
			}
			Y[g*K+k] += sy
			X[g*K+k] += sx
			W[g*J+k] += sw
			N[g*J+k] += sn
			O[g*J+k] += so
		}
	}
}
