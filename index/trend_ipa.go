package index

import (
	"fmt"
	"math"
)

// Quadrant is the importance–performance class of a criterion (Martilla &
// James 1977, "Importance-Performance Analysis", Journal of Marketing
// 41(1), 77–79), split at the mean importance and the mean performance of
// the criteria.
type Quadrant int

const (
	// QuadrantUnknown: importance or performance undefined.
	QuadrantUnknown Quadrant = iota
	// QuadrantFixFirst: important and below the average level —
	// "concentrate here".
	QuadrantFixFirst
	// QuadrantKeepUp: important and above the average level.
	QuadrantKeepUp
	// QuadrantLowPriority: less important and below the average level.
	QuadrantLowPriority
	// QuadrantOverkill: less important and above the average level
	// ("possible overkill").
	QuadrantOverkill
)

// String returns "fix_first", "keep_up", "low_priority", "overkill" or "".
func (q Quadrant) String() string {
	switch q {
	case QuadrantFixFirst:
		return "fix_first"
	case QuadrantKeepUp:
		return "keep_up"
	case QuadrantLowPriority:
		return "low_priority"
	case QuadrantOverkill:
		return "overkill"
	}
	return ""
}

// IPA is the importance–performance result of one criterion.
type IPA struct {
	// Importance is the weighted Pearson correlation between the
	// criterion's satisfied indicator and the respondent's overall
	// satisfaction without that criterion (derived importance).
	Importance float64
	// Performance is the weighted satisfied share in percent,
	// 100 · Σ w s_c / Σ w v_c (the criterion index).
	Performance float64
	Quadrant    Quadrant
}

// ImportancePerformance computes, for the C criteria of one domain, the
// derived importance and the performance of each criterion and its
// importance–performance quadrant (METHODOLOGY §8: what to
// fix first). sat[c][i] is 1 when respondent i is satisfied with criterion
// c, 0 when not, NaN when the answer is not valid; w[i] ≥ 0 are the
// weights (rows with weight 0 do not count).
//
// The overall satisfaction of respondent i without criterion c is the mean
// of its valid indicators of the other criteria, o_i^(−c) (leaving c out
// avoids the part–whole inflation of correlating a criterion with a total
// that contains it). Importance is the weighted correlation over the rows
// where both are defined,
//
//	r_c = Σ w (s − s̄)(o − ō) / sqrt(Σ w (s − s̄)² · Σ w (o − ō)²),
//
// with weighted means s̄, ō over those rows (R:
// cov.wt(cbind(s, o), wt = w / sum(w), cor = TRUE)$cor[1, 2]); NaN when a
// variance is 0. Quadrants split at the means of the defined importances
// and performances. Lengths that disagree panic.
func ImportancePerformance(sat [][]float64, w []float64) []IPA {
	n := len(w)
	for c, s := range sat {
		if len(s) != n {
			panic(fmt.Sprintf("index: ImportancePerformance: criterion %d has %d values for %d weights", c, len(s), n))
		}
	}
	nc := len(sat)
	sum := make([]float64, n)
	cnt := make([]float64, n)
	for _, s := range sat {
		for i, v := range s {
			if !math.IsNaN(v) {
				sum[i] += v
				cnt[i]++
			}
		}
	}
	out := make([]IPA, nc)
	for c, s := range sat {
		var sw, sws, swo, swv, sws1 float64
		for i, v := range s {
			if w[i] == 0 || math.IsNaN(v) {
				continue
			}
			swv += w[i]
			sws1 += w[i] * v
			if cnt[i] < 2 {
				continue
			}
			o := (sum[i] - v) / (cnt[i] - 1)
			sw += w[i]
			sws += w[i] * v
			swo += w[i] * o
		}
		out[c].Performance = 100 * sws1 / swv
		ms, mo := sws/sw, swo/sw
		var cso, css, coo float64
		for i, v := range s {
			if w[i] == 0 || math.IsNaN(v) || cnt[i] < 2 {
				continue
			}
			o := (sum[i] - v) / (cnt[i] - 1)
			ds, do := v-ms, o-mo
			cso += w[i] * ds * do
			css += w[i] * ds * ds
			coo += w[i] * do * do
		}
		out[c].Importance = math.NaN()
		if css > 0 && coo > 0 {
			out[c].Importance = cso / math.Sqrt(css*coo)
		}
	}
	ipaQuadrants(out)
	return out
}
