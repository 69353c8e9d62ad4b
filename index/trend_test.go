package index

import (
	"errors"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/gonum/floats/scalar"
	"gonum.org/v1/gonum/mat"

	"github.com/sipas-go/sipas/index/rank"
	"github.com/sipas-go/sipas/internal/golden"
)

// TestCompareIndependent checks the closed forms by hand:
//   - est 70 (SE 1.2) → 73 (SE 1.6): SE = sqrt(1.44 + 2.56) = 2, z = 1.5,
//     p = 2Φ(−1.5) = 0.13361440253771614 (R: 2*pnorm(-1.5));
//   - a 3-4-5 triangle: SEs 3 and 4 give SE 5; a change of −9.8 gives
//     z = −1.96, p = 2Φ(−1.96) = 0.049995790296440856 (R: 2*pnorm(-1.96)).
func TestCompareIndependent(t *testing.T) {
	cases := []struct {
		e1, s1, e2, s2   float64
		change, se, z, p float64
	}{
		{70, 1.2, 73, 1.6, 3, 2, 1.5, 0.13361440253771614},
		{80, 3, 70.2, 4, -9.8, 5, -1.96, 0.049995790296440856},
	}
	for _, c := range cases {
		g := CompareIndependent(c.e1, c.s1, c.e2, c.s2)
		for _, x := range [][2]float64{{g.Change, c.change}, {g.SE, c.se}, {g.Z, c.z}, {g.P, c.p}} {
			if !scalar.EqualWithinAbsOrRel(x[0], x[1], 1e-12, 1e-9) {
				t.Errorf("%+v: got %+v", c, g)
			}
		}
	}
	// SE 0: a real difference is certain, no difference is undefined.
	if g := CompareIndependent(50, 0, 51, 0); g.P != 0 || !math.IsInf(g.Z, 1) {
		t.Errorf("SE 0, change 1: %+v", g)
	}
	if g := CompareIndependent(50, 0, 50, 0); !math.IsNaN(g.P) {
		t.Errorf("SE 0, change 0: %+v", g)
	}
	if g := CompareIndependent(math.NaN(), 1, 50, 1); !math.IsNaN(g.P) || !math.IsNaN(g.Change) {
		t.Errorf("NaN: %+v", g)
	}
}

func trendGoldenPoints(t *testing.T) ([]TrendPoint, []map[string]string) {
	t.Helper()
	rows := golden.Rows(t, "../testdata/trend/changes.csv")
	pts := make([]TrendPoint, len(rows))
	for i, r := range rows {
		y, err := strconv.Atoi(r["year"])
		if err != nil {
			t.Fatal(err)
		}
		pts[i] = TrendPoint{
			Domain: r["domain"], National: r["national"] == "true",
			Kind: r["kind"], ID: r["id"], Year: y,
			Estimate: golden.Float(t, r["estimate"]), SE: golden.Float(t, r["se"]),
			VsNation: golden.Float(t, r["vs_nation"]), SEVsNation: golden.Float(t, r["se_vs_nation"]),
		}
	}
	return pts, rows
}

func trendSame(got, want float64) bool {
	if math.IsNaN(want) || math.IsNaN(got) {
		return math.IsNaN(want) && math.IsNaN(got)
	}
	return scalar.EqualWithinAbsOrRel(got, want, 1e-13, 1e-9)
}

// TestCompareYearsR compares with testdata/trend/changes.csv (R 4.2.2,
// testdata/trend.R): changes against the previous observed year and the
// base year 2019, SEs sqrt(se1² + se2²), p-values 2*pnorm(-|z|), and their
// Holm and BH adjustment (p.adjust) per index, year and comparison with the
// national rows unadjusted. The flags must be adjusted p < 0.05, null
// exactly where R has NA. 1e-9 relative.
func TestCompareYearsR(t *testing.T) {
	pts, want := trendGoldenPoints(t)
	for _, adj := range []struct {
		a      rank.Adjustment
		suffix string
	}{{rank.AdjustHolm, "_holm"}, {rank.AdjustBH, "_bh"}} {
		rows, err := CompareYears(pts, &CompareOptions{Adjust: adj.a, Rank: rank.Options{Draws: 200}})
		if err != nil {
			t.Fatal(err)
		}
		flags := 0
		for i, r := range rows {
			w := want[i]
			for _, c := range []struct {
				name string
				got  float64
				flag *bool
			}{
				{"change_prev", r.ChangePrev, nil}, {"se_change_prev", r.SEChangePrev, nil}, {"p_change_prev", r.PChangePrev, nil},
				{"change_base", r.ChangeBase, nil}, {"se_change_base", r.SEChangeBase, nil}, {"p_change_base", r.PChangeBase, nil},
				{"p_vs_nation", r.PVsNation, nil},
				{"p_change_prev" + adj.suffix, r.PAdjChangePrev, r.SignificantPrev},
				{"p_change_base" + adj.suffix, r.PAdjChangeBase, r.SignificantBase},
				{"p_vs_nation" + adj.suffix, r.PAdjVsNation, r.SignificantVsNation},
			} {
				wv := golden.Float(t, w[c.name])
				if !trendSame(c.got, wv) {
					t.Errorf("%v row %d (%q %s %d) %s: %v, R %v", adj.a, i, r.Domain, r.Kind, r.Year, c.name, c.got, wv)
				}
				if strings.Contains(c.name, adj.suffix) {
					if math.IsNaN(wv) != (c.flag == nil) {
						t.Errorf("row %d %s: flag %v for R %v", i, c.name, c.flag, wv)
					} else if c.flag != nil {
						flags++
						if *c.flag != (wv < 0.05) {
							t.Errorf("row %d %s: flag %v for adjusted p %v", i, c.name, *c.flag, wv)
						}
					}
				}
			}
			// the first year of a domain: no change, no break, PrevYear 0
			if math.IsNaN(golden.Float(t, w["change_prev"])) != (r.PrevYear == 0) {
				t.Errorf("row %d: PrevYear %d, R change_prev %s", i, r.PrevYear, w["change_prev"])
			}
			if r.Domain == "E" && r.Year == 2021 && r.PrevYear != 2019 {
				t.Errorf("E 2021: previous year %d, want 2019 (no 2020 sample)", r.PrevYear)
			}
			if r.Break {
				t.Errorf("row %d: break without a version change", i)
			}
		}
		if flags < 100 {
			t.Errorf("only %d flags compared", flags)
		}
	}
}

// TestCompareYearsRanks: the ranks of CompareYears are those of RankDomains
// on each index and year (same draws: the families are visited in sorted
// order with one generator), national rows and empty domains are not
// ranked, rank change is previous rank − rank, and the results do not
// depend on the order of the points.
func TestCompareYearsRanks(t *testing.T) {
	pts, _ := trendGoldenPoints(t)
	// An empty domain in 2022 (NaN estimate) is not ranked.
	pts = append(pts, TrendPoint{Domain: "G", Kind: "sipas", ID: "sipas", Year: 2022, Estimate: math.NaN(), SE: math.NaN(), VsNation: math.NaN(), SEVsNation: math.NaN()})
	opt := &CompareOptions{Adjust: rank.AdjustHolm, Rank: rank.Options{Draws: 2000, TopK: 2, Rand: rand.New(rand.NewPCG(9, 9))}}
	rows, err := CompareYears(pts, opt)
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]TrendRow{}
	for _, r := range rows {
		byKey[r.Domain+"|"+r.Kind+"|"+strconv.Itoa(r.Year)] = r
		if r.National || r.Domain == "G" {
			if r.Rank != 0 || r.Tier != 0 || r.RankLow != 0 || !math.IsNaN(r.PTop) {
				t.Errorf("%q %d: ranked: %+v", r.Domain, r.Year, r)
			}
			continue
		}
		if r.Rank < r.RankLow || r.Rank > r.RankHigh || r.RankSimulLow > r.RankLow || r.RankSimulHigh < r.RankHigh {
			t.Errorf("%q %s %d: rank %d, marginal [%d, %d], simultaneous [%d, %d]", r.Domain, r.Kind, r.Year, r.Rank, r.RankLow, r.RankHigh, r.RankSimulLow, r.RankSimulHigh)
		}
		if r.Tier != rank.Tier(r.Rank, r.RankedDomains) {
			t.Errorf("tier %d for rank %d of %d", r.Tier, r.Rank, r.RankedDomains)
		}
	}
	// Recompute the families in the sorted order (element < sipas, years up)
	// with the same generator and compare.
	rng := rand.New(rand.NewPCG(9, 9))
	for _, kind := range []string{"element", "sipas"} {
		for y := 2019; y <= 2022; y++ {
			var est, se2 []float64
			var doms []string
			for _, d := range []string{"A", "B", "C", "D", "E", "F"} {
				r, ok := byKey[d+"|"+kind+"|"+strconv.Itoa(y)]
				if !ok {
					continue
				}
				est, se2, doms = append(est, r.Estimate), append(se2, r.SE*r.SE), append(doms, d)
			}
			rk, err := rank.Domains(est, doms, mat.NewDiagDense(len(est), se2), &rank.Options{Draws: 2000, TopK: 2, Rand: rng})
			if err != nil {
				t.Fatal(err)
			}
			sumTop := 0.0
			for n, d := range doms {
				r := byKey[d+"|"+kind+"|"+strconv.Itoa(y)]
				if r.Rank != rk.Rank[n] || r.RankLow != rk.MarginalLow[n] || r.RankHigh != rk.MarginalHigh[n] ||
					r.RankSimulLow != rk.SimultaneousLow[n] || r.RankSimulHigh != rk.SimultaneousHigh[n] || r.PTop != rk.PTop[n] || r.RankedDomains != len(doms) {
					t.Errorf("%s %s %d: row %+v, RankDomains %+v", d, kind, y, r, rk)
				}
				sumTop += r.PTop
				if y > 2019 && r.PrevYear != 0 {
					p := byKey[d+"|"+kind+"|"+strconv.Itoa(r.PrevYear)]
					if r.RankPrev != p.Rank || r.RankChange != p.Rank-r.Rank {
						t.Errorf("%s %s %d: rank change %d (prev %d), want %d − %d", d, kind, y, r.RankChange, r.RankPrev, p.Rank, r.Rank)
					}
				}
			}
			if math.Abs(sumTop-2) > 1e-9 {
				t.Errorf("%s %d: top-2 probabilities sum to %v", kind, y, sumTop)
			}
		}
	}
	// Reversed input order: same rows.
	rev := make([]TrendPoint, len(pts))
	for i := range pts {
		rev[len(pts)-1-i] = pts[i]
	}
	opt.Rank.Rand = rand.New(rand.NewPCG(9, 9))
	rows2, err := CompareYears(rev, opt)
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		a, b := rows[i], rows2[len(rows)-1-i]
		if a.Rank != b.Rank || a.RankLow != b.RankLow || a.RankSimulHigh != b.RankSimulHigh || !trendSame(a.PTop, b.PTop) || !trendSame(a.PAdjChangeBase, b.PAdjChangeBase) {
			t.Errorf("row %d depends on the input order", i)
		}
	}
}

// TestCompareYearsVersions: a questionnaire change between 2020 and 2021
// sets Break in 2021 (not later); criteria that the Mapping declares
// equivalent are compared under their old id, others get null changes; the
// overall index is compared when the entry says sipas; the base-year
// comparison follows the same rule.
func TestCompareYearsVersions(t *testing.T) {
	m, err := ParseMapping(strings.NewReader(`{"mappings": [
	  {"from_version": "v2017", "to_version": "v2023",
	   "criteria": {"c1": "n1"}, "sipas": true}]}`), "mapping.json")
	if err != nil {
		t.Fatal(err)
	}
	var pts []TrendPoint
	add := func(year int, ver, kind, id string, est float64) {
		pts = append(pts, TrendPoint{Domain: "A", Kind: kind, ID: id, Year: year, Estimate: est, SE: 1, Version: ver, VsNation: math.NaN(), SEVsNation: math.NaN()})
	}
	for y := 2019; y <= 2022; y++ {
		if y <= 2020 {
			add(y, "v2017", "criterion", "c1", 70+float64(y-2019))
			add(y, "v2017", "criterion", "c2", 60)
			add(y, "v2017", "sipas", "sipas", 65)
		} else {
			add(y, "v2023", "criterion", "n1", 75+float64(y-2021))
			add(y, "v2023", "criterion", "n2", 50)
			add(y, "v2023", "sipas", "sipas", 67)
		}
	}
	rows, err := CompareYears(pts, &CompareOptions{Mapping: m})
	if err != nil {
		t.Fatal(err)
	}
	get := func(id string, y int) TrendRow {
		for _, r := range rows {
			if r.ID == id && r.Year == y {
				return r
			}
		}
		t.Fatalf("no row %s %d", id, y)
		return TrendRow{}
	}
	if r := get("n1", 2021); !r.Break || r.ChangePrev != 75-71 || r.ChangeBase != 75-70 || r.SEChangePrev != math.Sqrt2 {
		t.Errorf("n1 2021: %+v", r)
	}
	if r := get("n1", 2022); r.Break || r.ChangePrev != 1 || r.ChangeBase != 76-70 {
		t.Errorf("n1 2022: %+v", r)
	}
	if r := get("n2", 2021); !r.Break || !math.IsNaN(r.ChangePrev) || r.SignificantPrev != nil || !math.IsNaN(r.ChangeBase) {
		t.Errorf("n2 2021 (not comparable): %+v", r)
	}
	if r := get("n2", 2022); r.ChangePrev != 0 || !math.IsNaN(r.ChangeBase) {
		t.Errorf("n2 2022: %+v", r)
	}
	if r := get("sipas", 2021); !r.Break || r.ChangePrev != 2 {
		t.Errorf("sipas 2021: %+v", r)
	}
	if r := get("c1", 2020); r.Break || r.ChangePrev != 1 {
		t.Errorf("c1 2020: %+v", r)
	}
	// Without a mapping nothing is compared across the break.
	rows, err = CompareYears(pts, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Year == 2021 && (!math.IsNaN(r.ChangePrev) || !r.Break) {
			t.Errorf("no mapping: %s 2021 compared: %+v", r.ID, r)
		}
	}
	// A base year after the row's year: change = est(year) − est(base).
	rows, err = CompareYears(pts, &CompareOptions{Mapping: m, BaseYear: 2022})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.ID == "c1" && r.Year == 2019 && r.ChangeBase != 70-76 {
			t.Errorf("c1 2019 vs base 2022: %+v", r)
		}
		if r.Year == 2022 && (r.BaseYear != 0 || !math.IsNaN(r.ChangeBase)) {
			t.Errorf("base year row has a base change: %+v", r)
		}
	}
}

func TestCompareYearsErrors(t *testing.T) {
	p := TrendPoint{Domain: "A", Kind: "sipas", ID: "sipas", Year: 2020, Estimate: 70, SE: 1}
	if _, err := CompareYears([]TrendPoint{p, p}, nil); err == nil || !strings.Contains(err.Error(), "both domain \"A\"") {
		t.Errorf("duplicate: %v", err)
	}
	if _, err := CompareYears([]TrendPoint{p}, &CompareOptions{BaseYear: 2019}); err == nil || !strings.Contains(err.Error(), "base year 2019") {
		t.Errorf("base year: %v", err)
	}
	q := p
	q.SE = -1
	if _, err := CompareYears([]TrendPoint{q}, nil); err == nil {
		t.Error("negative SE accepted")
	}
	bad := errors.New("no covariance")
	_, err := CompareYears([]TrendPoint{p}, &CompareOptions{Covariance: func(string, string, int, []string) (mat.Symmetric, error) { return nil, bad }})
	if !errors.Is(err, bad) {
		t.Errorf("covariance error: %v", err)
	}
	rows, err := CompareYears(nil, nil)
	if err != nil || len(rows) != 0 {
		t.Errorf("empty: %v %v", rows, err)
	}
}

// TestCompareYearsNational: national rows are outside the families — their
// flags use the raw p-value, they carry no vs_nation, and adding a national
// row does not change the adjusted p-values of the domains.
func TestCompareYearsNational(t *testing.T) {
	mk := func(d string, nat bool, y int, e float64) TrendPoint {
		return TrendPoint{Domain: d, National: nat, Kind: "sipas", ID: "sipas", Year: y, Estimate: e, SE: 1, VsNation: 1, SEVsNation: 0.5}
	}
	pts := []TrendPoint{mk("A", false, 2020, 70), mk("A", false, 2021, 73), mk("B", false, 2020, 60), mk("B", false, 2021, 62.5)}
	// A: z = 3/√2 = 2.1213, p = 0.0339; B: z = 2.5/√2 = 1.7678, p = 0.0771.
	// Holm: 2·0.0339 = 0.0678 (not significant), max(0.0678, 0.0771) = 0.0771.
	rows, err := CompareYears(pts, &CompareOptions{Adjust: rank.AdjustHolm})
	if err != nil {
		t.Fatal(err)
	}
	if !scalar.EqualWithinAbsOrRel(rows[1].PAdjChangePrev, 2*rows[1].PChangePrev, 0, 1e-12) || *rows[1].SignificantPrev {
		t.Errorf("A 2021: %+v", rows[1])
	}
	nat := []TrendPoint{mk("", true, 2020, 70), mk("", true, 2021, 73)}
	rows2, err := CompareYears(append(pts, nat...), &CompareOptions{Adjust: rank.AdjustHolm})
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		if !trendSame(rows[i].PAdjChangePrev, rows2[i].PAdjChangePrev) {
			t.Errorf("row %d: a national row changed the family", i)
		}
	}
	n := rows2[5]
	if !n.National || n.PAdjChangePrev != n.PChangePrev || !*n.SignificantPrev || !math.IsNaN(n.VsNation) || !math.IsNaN(n.PVsNation) || n.SignificantVsNation != nil || n.Rank != 0 {
		t.Errorf("national 2021: %+v", n)
	}
}
