package synth

import (
	"math"
	"math/rand/v2"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// The answer model. A respondent i served in commune k answers criterion c
// through a latent standard normal
//
//	Z_ic = √ρ_k·U_k + √ρ_r·V_i + √(1−ρ_k−ρ_r)·ε_ic,   U, V, ε iid N(0,1),
//
// with U_k a commune effect (a fixed function of seed, year and commune id),
// V_i a respondent factor and ρ_k = 0.06, ρ_r = 0.35. Z_ic is N(0,1) for
// every i, so with the cell's p = Φ(η) (effects.go):
//
//	answer 5 if Z < Φ⁻¹(0.35p)                4 if Z < η = Φ⁻¹(p)
//	       3 if Z < Φ⁻¹(p + 0.55(1−p))         2 if Z < Φ⁻¹(p + 0.85(1−p))   else 1
//
// so P(answer ∈ {4,5}) = p exactly, answers within a ballot are correlated
// (through V) and ballots of one commune are clustered (through U: design
// effects above 1). Item nonresponse is independent of Z (missing completely
// at random), so the satisfied share among valid answers stays p:
// code 9 ("no answer") with the per-criterion rates missRate; code 0 ("not
// applicable") for feedback_2..4 when the respondent gave no feedback
// (probability 0.30) and for procedures_4 (fees) when the procedure has no
// fee (0.08).
//
// Expectation items: 8% skip the question (expect_1..7 all null); the others
// pick 1, 2 or 3 areas (probabilities 0.25, 0.30, 0.45), drawn without
// replacement with propensities expectWeight.

const (
	rhoCommune    = 0.06
	rhoRespondent = 0.35
	noFeedback    = 0.30
	noFee         = 0.08
	skipExpect    = 0.08
)

// missRate[c] is the probability of code 9 for criterion c.
var missRate = [nCrit]float64{
	0.015, 0.015, 0.030, 0.030, // access
	0.010, 0.010, 0.015, 0.040, 0.015, // procedures
	0.010, 0.010, 0.010, 0.010, 0.010, 0.010, // officials
	0.015, 0.015, 0.015, // outcomes
	0.050, 0.020, 0.020, 0.020, // feedback
}

// missCut16[c] = round(65536·missRate[c]) (procedures_4: plus the no-fee
// cut): a 16-bit uniform below it means code 9, so the realised rates are
// missRate rounded to multiples of 1/65536.
var missCut16 = func() (m [nCrit]uint32) {
	for c, r := range missRate {
		m[c] = uint32(math.Round(r * 65536))
	}
	m[critProcedures4] += noFee16
	return
}()

var noFee16 = uint32(math.Round(noFee * 65536))

var (
	critScale = [3]float64{math.Sqrt(rhoCommune), math.Sqrt(rhoRespondent), math.Sqrt(1 - rhoCommune - rhoRespondent)}
	kExpectP  = []float64{0.25, 0.30, 0.45}
)

const (
	critProcedures4 = 7
	critFeedback2   = 19
)

// ballots holds generated answers in column slices, one row per ballot.
type ballots struct {
	mem      memory.Allocator
	crit     [nCrit]fixed[int8]
	expect   [7]fixed[int8]
	expValid []bool
	gender   []uint8
	age      []uint8
	edu      []uint8
	eth      []uint8
}

func newBallots(mem memory.Allocator, n int) *ballots {
	b := &ballots{mem: mem, expValid: make([]bool, n), gender: make([]uint8, n), age: make([]uint8, n),
		edu: make([]uint8, n), eth: make([]uint8, n)}
	for c := range b.crit {
		b.crit[c] = newFixed[int8](mem, n)
	}
	for k := range b.expect {
		b.expect[k] = newFixed[int8](mem, n)
	}
	return b
}

// gen fills row i: thr are the cell's thresholds (nCrit×4), u the commune
// effect, minority the region's non-Kinh share.
func (b *ballots) gen(r *rand.Rand, i int, thr []float64, u, minority float64) {
	base := float64(critScale[0] * u)
	base += float64(critScale[1] * r.NormFloat64())
	gaveFeedback := r.Float64() >= noFeedback
	var bits uint64
	th := (*[nCrit * 4]float64)(thr)
	for c := 0; c < nCrit; c++ {
		z := base + float64(critScale[2]*r.NormFloat64())
		// Branch-free thresholding (the comparisons are unpredictable).
		y := int8(1)
		if z < th[4*c+3] {
			y = 2
		}
		if z < th[4*c+2] {
			y = 3
		}
		if z < th[4*c+1] {
			y = 4
		}
		if z < th[4*c] {
			y = 5
		}
		// Item nonresponse from 16-bit uniforms, four per Uint64.
		if c%4 == 0 {
			bits = r.Uint64()
		}
		v := uint32(bits & 0xffff)
		bits >>= 16
		switch {
		case c >= critFeedback2 && !gaveFeedback:
			y = 0
		case c == critProcedures4 && v < noFee16:
			y = 0
		case v < missCut16[c]:
			y = 9
		}
		b.crit[c].v[i] = y
	}
	if r.Float64() < skipExpect {
		b.expValid[i] = false
		for k := range b.expect {
			b.expect[k].v[i] = 0
		}
	} else {
		b.expValid[i] = true
		for k := range b.expect {
			b.expect[k].v[i] = 0
		}
		kk := 1 + pick(r, kExpectP)
		var rem float64 = 1
		var taken [7]bool
		for j := 0; j < kk; j++ {
			u := r.Float64() * rem
			sel := 6
			for k, w := range expectWeight {
				if taken[k] {
					continue
				}
				if u < w {
					sel = k
					break
				}
				u -= w
				sel = k
			}
			taken[sel] = true
			rem -= expectWeight[sel]
			b.expect[sel].v[i] = 1
		}
	}
	b.gender[i] = uint8(pick(r, genderP))
	b.age[i] = uint8(pick(r, ageP))
	b.edu[i] = uint8(pick(r, educationP))
	if r.Float64() < minority {
		b.eth[i] = uint8(1 + r.IntN(len(ethnicities)-1))
	} else {
		b.eth[i] = 0
	}
}

// BallotColumns are the generated columns of a ballot, after the design and
// carried columns: the 22 criteria (int8, 1..5, 9 no answer, 0 not
// applicable), expect_1..7 (int8 0/1, null when the question was skipped),
// gender, age_group, education, ethnicity (utf8).
var BallotColumns = func() []string {
	c := append([]string(nil), Criteria...)
	c = append(c, Expectations...)
	return append(c, "gender", "age_group", "education", "ethnicity")
}()

// arrays builds the ballot columns for rows idx (in that order; repeated
// indices repeat rows), or for all rows in order when idx is nil, and
// releases b's buffers.
func (b *ballots) arrays(idx []int) []arrow.Array {
	mem := b.mem
	n := len(b.expValid)
	if idx != nil {
		n = len(idx)
	}
	out := make([]arrow.Array, 0, len(BallotColumns))
	valid := make([]bool, n)
	nulls := 0
	for j := range valid {
		i := j
		if idx != nil {
			i = idx[j]
		}
		valid[j] = b.expValid[i]
		if !valid[j] {
			nulls++
		}
	}
	take := func(src fixed[int8], v []bool, nulls int) arrow.Array {
		if idx == nil {
			return src.array(mem, arrow.PrimitiveTypes.Int8, v, nulls)
		}
		dst := newFixed[int8](mem, n)
		for j, i := range idx {
			dst.v[j] = src.v[i]
		}
		src.release()
		return dst.array(mem, arrow.PrimitiveTypes.Int8, v, nulls)
	}
	for c := range b.crit {
		out = append(out, take(b.crit[c], nil, 0))
	}
	for k := range b.expect {
		out = append(out, take(b.expect[k], valid, nulls))
	}
	for _, cat := range []struct {
		codes []uint8
		names []string
	}{{b.gender, genders}, {b.age, ageGroups}, {b.edu, educations}, {b.eth, ethnicities}} {
		size := 0
		for j := 0; j < n; j++ {
			i := j
			if idx != nil {
				i = idx[j]
			}
			size += len(cat.names[cat.codes[i]])
		}
		s := newStrCol(mem, n, size)
		for j := 0; j < n; j++ {
			i := j
			if idx != nil {
				i = idx[j]
			}
			s.add(cat.names[cat.codes[i]])
		}
		out = append(out, s.array(false))
	}
	return out
}
