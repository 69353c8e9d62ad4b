package report

import (
	"math"
	"sort"
	"strings"

	"github.com/sipas-go/sipas/index"
)

// swMaxItems is the most indices one cell of the strengths table names;
// the others are counted ("+ 17 more"), and tables/strengths.csv lists
// them all.
const swMaxItems = 5

// swMessages are the strengths table's own labels, merged into messages
// at init.
var swMessages = map[string]msg{
	"sw.more": {"và %d chỉ số khác", "and %d more"},
	"sw.rule": {"Mỗi ô nêu tối đa 5 chỉ số khác biệt nhiều nhất (yếu tố trước, tiêu chí sau); danh sách đầy đủ trong tables/strengths.csv. Một tiêu chí là điểm mạnh (cao hơn cả nước có ý nghĩa) không được xếp vào “ưu tiên cải thiện”, dù nằm trong nhóm đó của phân tích tầm quan trọng – mức độ hài lòng của đơn vị.",
		"Each cell names at most the 5 indices that differ most (elements first, then criteria); tables/strengths.csv lists them all. A criterion that is a strength (significantly above the nation) is not listed under “fix first”, even when the domain's importance–performance analysis puts it in that quadrant."},
}

func init() { addMessages(swMessages) }

// strengthsRow is the row of domain d in the strengths table: its
// strengths and weaknesses (elements first, then criteria, each by the
// size of the difference to the nation), and the criteria to fix first —
// the importance–performance "fix first" quadrant less the domain's
// strengths (a criterion significantly above the nation is the domain's
// strength, not its priority) — each cell at most swMaxItems names.
func strengthsRow(l Lang, q *index.Questionnaire, d *Domain) swRow {
	var st, wk []index.StrengthResult
	strength := map[string]bool{}
	for _, r := range d.Standings {
		switch r.Standing {
		case index.StandingStrength:
			st = append(st, r)
			if r.Kind == index.KindCriterion {
				strength[r.ID] = true
			}
		case index.StandingWeakness:
			wk = append(wk, r)
		}
	}
	names := func(rs []index.StrengthResult) []string {
		sort.SliceStable(rs, func(i, j int) bool {
			ei, ej := rs[i].Kind == index.KindElement, rs[j].Kind == index.KindElement
			if ei != ej {
				return ei
			}
			return math.Abs(rs[i].Diff) > math.Abs(rs[j].Diff)
		})
		out := make([]string, len(rs))
		for i, r := range rs {
			out[i] = l.indexLabel(q, r.Kind, r.ID)
			if r.Kind == index.KindElement {
				out[i] += " (" + strings.ToLower(l.text("col.element")) + ")"
			}
		}
		return out
	}
	var fix []string
	for _, r := range ipaSorted(d.IPA) {
		if r.Quadrant == index.QuadrantFixFirst && !strength[r.Criterion] {
			fix = append(fix, l.indexLabel(q, index.KindCriterion, r.Criterion))
		}
	}
	return swRow{Name: d.Name, Strengths: l.capList(names(st)), Weaknesses: l.capList(names(wk)), FixFirst: l.capList(fix)}
}

// capList joins at most swMaxItems names and counts the others.
func (l Lang) capList(s []string) string {
	if len(s) <= swMaxItems {
		return strings.Join(s, "; ")
	}
	return strings.Join(s[:swMaxItems], "; ") + " " + l.textf("sw.more", len(s)-swMaxItems)
}
