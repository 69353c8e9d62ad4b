package synth

import "math"

// The satisfaction model. For a transaction of year y (t = y − 2019) in
// province p at level l in field f, the probability that criterion c (of
// element e) is answered 4 or 5 is Φ(η) with
//
//	η = μ + a_p + (τ_p + 0.02)·t + E_e + T_e·t + δ_pe + C_c + λ_l + φ_f
//
// where
//
//	μ    = Φ⁻¹(0.82)             national baseline (published SIPAS values are 80–90%)
//	a_p  ~ N(0, 0.25²)           provincial effect
//	τ_p  ∈ {+0.10, 0, −0.10}     provincial trend per year: a seeded permutation of
//	                             the 63 provinces makes 21 improving, 21 stable, 21 declining
//	0.02                         national trend per year
//	E_e  = access +0.05, procedures +0.10, officials 0, outcomes +0.15, feedback −0.25
//	T_e  = access +0.02, feedback +0.04 per year, others 0
//	δ_pe ~ N(0, 0.12²)           province × element interaction (strengths, weaknesses)
//	C_c  ~ N(0, 0.10²)           criterion effect
//	λ_l  = province −0.05, district 0, commune +0.08
//	φ_f  = land −0.20, civil_status +0.10, construction −0.10, business +0.05,
//	       certification +0.15, labour_social 0, transport −0.05
//
// all random terms drawn once per Config.Seed. A 2025 province takes the
// population-weighted means of its members' a_p, τ_p and δ_pe.
//
// Unit response rates (issued → returned) are r_pl = clamp(b_p + ρ_l, 0.6,
// 0.95) with b_p ~ U(0.65, 0.92) per province (2025: population-weighted
// member mean) and ρ_l = province −0.05, district 0, commune +0.03.

var (
	elemEffect  = [5]float64{0.05, 0.10, 0, 0.15, -0.25}
	elemTrend   = [5]float64{0.02, 0, 0, 0, 0.04}
	levelEffect = [nLevels]float64{-0.05, 0, 0.08}
	fieldEffect = [nFields]float64{-0.20, 0.10, -0.10, 0.05, 0.15, 0, -0.05}
	levelResp   = [nLevels]float64{-0.05, 0, 0.03}
)

const (
	nationalTrend = 0.02
	baseYear      = 2019
	trendUp       = 0.10
	trendDown     = -0.10
)

// provEffects are one province's random terms.
type provEffects struct {
	a, tau float64
	delta  [5]float64
	resp   float64
}

type effects struct {
	mu   float64
	crit [22]float64
	prov [2][]provEffects // by era, indexed like geography.provs
}

func makeEffects(seed uint64, g63, g34 *geography) effects {
	r := stream(seed, tagEffects, 0, 0)
	var e effects
	e.mu = probit(0.82)
	for c := range e.crit {
		e.crit[c] = 0.10 * r.NormFloat64()
	}
	n := len(g63.provs)
	e.prov[0] = make([]provEffects, n)
	for i := range e.prov[0] {
		pe := &e.prov[0][i]
		pe.a = 0.25 * r.NormFloat64()
		for k := range pe.delta {
			pe.delta[k] = 0.12 * r.NormFloat64()
		}
		pe.resp = 0.65 + 0.27*r.Float64()
	}
	perm := r.Perm(n)
	for rank, i := range perm {
		switch {
		case rank < n/3:
			e.prov[0][i].tau = trendUp
		case rank < 2*n/3:
			e.prov[0][i].tau = trendDown
		}
	}
	e.prov[1] = make([]provEffects, len(g34.provs))
	for i, p := range g34.provs {
		var pe provEffects
		var tot float64
		for _, m := range p.members {
			w := float64(g63.provs[m].pop)
			o := e.prov[0][m]
			pe.a += w * o.a
			pe.tau += w * o.tau
			pe.resp += w * o.resp
			for k := range pe.delta {
				pe.delta[k] += w * o.delta[k]
			}
			tot += w
		}
		pe.a /= tot
		pe.tau /= tot
		pe.resp /= tot
		for k := range pe.delta {
			pe.delta[k] /= tot
		}
		e.prov[1][i] = pe
	}
	return e
}

// eta is the probit-scale linear predictor of the model above.
func (e *effects) eta(era int, prov, year, level, field, crit int) float64 {
	t := float64(year - baseYear)
	pe := &e.prov[era][prov]
	el := criterionElement[crit]
	return e.mu + pe.a + float64((pe.tau+nationalTrend)*t) + elemEffect[el] + float64(elemTrend[el]*t) +
		pe.delta[el] + e.crit[crit] + levelEffect[level] + fieldEffect[field]
}

func (e *effects) responseRate(era, prov, level int) float64 {
	return math.Min(0.95, math.Max(0.6, e.prov[era][prov].resp+levelResp[level]))
}
