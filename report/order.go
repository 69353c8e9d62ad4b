package report

import (
	"slices"
	"sync"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

// The orders of the report's domains (provinces):
//
//   - ranking tables and charts (the ranking, the heatmap and its
//     "elements" table, the radars, the province trend) follow the rank of
//     the SIPAS index (Year.Domains), ties and unranked domains in
//     Vietnamese collation;
//   - lists a reader looks a province up in (the "estimates", "strengths"
//     and "ipa" tables, the strengths and weaknesses section) follow
//     Vietnamese collation (byName): "Bạc Liêu" before "Bình Dương",
//     "Đ…" after every "D…" and before "E…", never byte order.

var (
	viCollatorMu sync.Mutex
	viCollator   = collate.New(language.Vietnamese)
)

// compareVi compares two names in Vietnamese collation (golang.org/x/text
// with the Vietnamese tailoring); a collator is not safe for concurrent
// use, hence the lock.
func compareVi(a, b string) int {
	viCollatorMu.Lock()
	defer viCollatorMu.Unlock()
	return viCollator.CompareString(a, b)
}

// byName returns ds in Vietnamese collation of their names (then keys).
func byName(ds []Domain) []Domain {
	out := slices.Clone(ds)
	slices.SortStableFunc(out, func(a, b Domain) int {
		if c := compareVi(a.Name, b.Name); c != 0 {
			return c
		}
		return compareVi(a.Key, b.Key)
	})
	return out
}
