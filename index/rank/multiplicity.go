package rank

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Adjustment is a multiple-comparison correction of p-values across a family
// of tests (METHODOLOGY §8: the domains of one index, one year and one
// comparison). The zero value is AdjustNone.
type Adjustment int

const (
	// AdjustNone leaves p-values as they are.
	AdjustNone Adjustment = iota
	// AdjustHolm is Holm's (1979) step-down Bonferroni correction, which
	// controls the family-wise error rate under any dependence
	// (R p.adjust(method = "holm")).
	AdjustHolm
	// AdjustBH is the Benjamini & Hochberg (1995) step-up correction, which
	// controls the false discovery rate for independent or positively
	// dependent tests (R p.adjust(method = "BH")).
	AdjustBH
)

// String returns the name ParseAdjustment accepts: "none", "holm" or "bh".
func (a Adjustment) String() string {
	switch a {
	case AdjustNone:
		return "none"
	case AdjustHolm:
		return "holm"
	case AdjustBH:
		return "bh"
	}
	return fmt.Sprintf("Adjustment(%d)", int(a))
}

// MarshalText implements encoding.TextMarshaler with the names of String.
func (a Adjustment) MarshalText() ([]byte, error) {
	switch a {
	case AdjustNone, AdjustHolm, AdjustBH:
		return []byte(a.String()), nil
	}
	return nil, fmt.Errorf("rank: unknown adjustment %d", int(a))
}

// UnmarshalText implements encoding.TextUnmarshaler with ParseAdjustment.
func (a *Adjustment) UnmarshalText(b []byte) error {
	v, err := ParseAdjustment(string(b))
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// ParseAdjustment reads "none", "holm" or "bh" (case-insensitive; "BH",
// "fdr" and "bonferroni-holm" are accepted as R and common usage spell them).
func ParseAdjustment(s string) (Adjustment, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "none":
		return AdjustNone, nil
	case "holm", "bonferroni-holm":
		return AdjustHolm, nil
	case "bh", "fdr", "benjamini-hochberg":
		return AdjustBH, nil
	}
	return AdjustNone, fmt.Errorf("rank: unknown p-value adjustment %q: use none, holm or bh", s)
}

// AdjustPValues returns the adjusted p-values of p under method, in the order
// of p; p is not modified. NaN entries stay NaN and are left out of the
// family, so n below counts the non-NaN p-values (as R p.adjust with its
// default n does for NA).
//
// With p₍₁₎ ≤ … ≤ p₍ₙ₎ the sorted p-values (ties keep their input order,
// which does not change the result):
//
//	holm: p̃₍ᵢ₎ = min(1, max_{k≤i} (n−k+1)·p₍ₖ₎)
//	bh:   p̃₍ᵢ₎ = min(1, min_{k≥i} n/k·p₍ₖ₎)
//
// exactly as R's p.adjust computes them (stats package, R 4.2). References:
// Holm, S. (1979), A simple sequentially rejective multiple test procedure,
// Scand. J. Statist. 6, 65–70; Benjamini, Y. & Hochberg, Y. (1995),
// Controlling the false discovery rate, JRSS B 57, 289–300.
//
// A hypothesis is rejected at family level α when its adjusted p-value is
// below α. AdjustPValues panics on an unknown method.
func AdjustPValues(p []float64, method Adjustment) []float64 {
	out := make([]float64, len(p))
	copy(out, p)
	switch method {
	case AdjustNone:
		return out
	case AdjustHolm, AdjustBH:
	default:
		panic(fmt.Sprintf("rank: AdjustPValues: unknown adjustment %d", int(method)))
	}
	idx := make([]int, 0, len(p))
	for i, v := range p {
		if !math.IsNaN(v) {
			idx = append(idx, i)
		}
	}
	n := len(idx)
	if n == 0 {
		return out
	}
	sort.SliceStable(idx, func(a, b int) bool { return p[idx[a]] < p[idx[b]] })
	fn := float64(n)
	switch method {
	case AdjustHolm:
		run := math.Inf(-1)
		for k, i := range idx {
			v := (fn - float64(k)) * p[i] // (n − k + 1)·p₍ₖ₎ with 1-based k
			run = math.Max(run, v)
			out[i] = math.Min(1, run)
		}
	case AdjustBH:
		run := math.Inf(1)
		for k := n - 1; k >= 0; k-- {
			i := idx[k]
			v := fn / float64(k+1) * p[i]
			run = math.Min(run, v)
			out[i] = math.Min(1, run)
		}
	}
	return out
}
