package index

import "math"

// TrendField is one named value of a `trend` output row. Value is nil for a
// null (NaN, an absent rank, a null flag), else a float64, int, bool or
// string.
type TrendField struct {
	Name  string
	Value any
}

// TrendFieldNames are the CLI.md `trend` row fields after "domain", in
// order.
var TrendFieldNames = []string{
	"kind", "id", "year", "estimate", "se",
	"change_prev", "se_change_prev", "p_change_prev", "significant_prev",
	"change_base", "se_change_base", "p_change_base", "significant_base",
	"rank", "rank_low", "rank_high", "tier",
	"vs_nation", "se_vs_nation", "p_vs_nation", "break", "flag",
}

// Fields returns the row's CLI.md `trend` fields after "domain" (see
// TrendFieldNames), with nil for every null: NaN numbers, the change fields
// and flags in a domain's first year, and rank, rank_low, rank_high, tier
// and vs_nation* on national rows, and an empty flag. p-values are before the correction,
// flags after it (CLI.md). The CLI writes a nil as JSON null or an empty
// CSV cell, never omitting the field.
func (r *TrendRow) Fields() []TrendField {
	num := func(v float64) any {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
		return v
	}
	rank := func(v int) any {
		if v == 0 || r.National {
			return nil
		}
		return v
	}
	flag := func(b *bool) any {
		if b == nil {
			return nil
		}
		return *b
	}
	str := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	vs, sevs, pvs := r.VsNation, r.SEVsNation, r.PVsNation
	if r.National {
		vs, sevs, pvs = math.NaN(), math.NaN(), math.NaN()
	}
	vals := []any{
		r.Kind, r.ID, r.Year, num(r.Estimate), num(r.SE),
		num(r.ChangePrev), num(r.SEChangePrev), num(r.PChangePrev), flag(r.SignificantPrev),
		num(r.ChangeBase), num(r.SEChangeBase), num(r.PChangeBase), flag(r.SignificantBase),
		rank(r.Rank), rank(r.RankLow), rank(r.RankHigh), rank(r.Tier),
		num(vs), num(sevs), num(pvs), r.Break, str(r.Flag),
	}
	out := make([]TrendField, len(vals))
	for i, v := range vals {
		out[i] = TrendField{TrendFieldNames[i], v}
	}
	return out
}
