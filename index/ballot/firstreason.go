package ballot

// FirstReasons returns the first reason of every row named in ex: among
// the row's exclusion entries, the reason earliest in the order of
// Reasons() — the rule by which Validation.ByReason counts each excluded
// row once. Keys are the entries' Row values (1-based data rows); entries
// whose reason is not one of Reasons() are left out.
//
// It serves callers that hold only the list of exclusions (a Validation's
// Exclusions split by another column, or an excluded table read back from
// a file) and must count rows as ByReason does.
func FirstReasons(ex []Exclusion) map[int]string {
	rank := make(map[string]int, len(reasonOrder))
	for k, r := range reasonOrder {
		rank[r] = k
	}
	first := map[int]string{}
	for _, e := range ex {
		k, ok := rank[e.Reason]
		if !ok {
			continue
		}
		if f, seen := first[e.Row]; !seen || k < rank[f] {
			first[e.Row] = e.Reason
		}
	}
	return first
}
