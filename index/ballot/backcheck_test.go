package ballot

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"gonum.org/v1/gonum/floats/scalar"

	"github.com/sipas-go/sipas/internal/arrowio"
)

func readFixture(t testing.TB, name string) arrow.RecordBatch {
	t.Helper()
	rec, err := arrowio.ReadAll(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rec.Release)
	return rec
}

// fixtureOptions are the variables of the hand-made fixture
// (testdata/backcheck_survey.csv, backcheck_bc.csv).
func fixtureOptions() BackcheckOptions {
	return BackcheckOptions{
		ID: "ballot_id", T1: []string{"received", "sex"}, T2: []string{"age_group"},
		T3:         []string{"rating_1", "rating_2", "rating_3"},
		Enumerator: "collector", EnumTeam: "team", BackChecker: "bcer", BCTeam: "bcteam",
		OKRate: 0.1,
	}
}

type rateWant struct {
	name, typ  string
	diff, comp int
}

func checkBcRates(t *testing.T, label string, got []BackcheckRate, want []rateWant, okrate float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d rows, want %d: %+v", label, len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Name != w.name || g.Type != w.typ || g.Differences != w.diff || g.Comparisons != w.comp {
			t.Errorf("%s row %d: got %s type %s %d/%d, want %s type %s %d/%d", label, i, g.Name, g.Type, g.Differences, g.Comparisons, w.name, w.typ, w.diff, w.comp)
			continue
		}
		if w.comp == 0 {
			if !math.IsNaN(g.ErrorRate) || g.Flagged {
				t.Errorf("%s %s: no comparison but rate %v flagged %v", label, w.name, g.ErrorRate, g.Flagged)
			}
			continue
		}
		rate := float64(w.diff) / float64(w.comp)
		if g.ErrorRate != rate || g.Flagged != (rate > okrate) {
			t.Errorf("%s %s type %s: rate %v flagged %v, want %v %v", label, w.name, w.typ, g.ErrorRate, g.Flagged, rate, rate > okrate)
		}
	}
}

// The fixture's tables were counted by hand from the two CSV files (see the
// comments per variable).
func TestCompareBackcheckFixture(t *testing.T) {
	s, b := readFixture(t, "backcheck_survey.csv"), readFixture(t, "backcheck_bc.csv")
	r, err := CompareBackcheck(s, b, fixtureOptions())
	if err != nil {
		t.Fatal(err)
	}
	if r.SurveyBallots != 14 || r.BackcheckBallots != 12 || r.Matched != 12 || len(r.Unmatched) != 0 {
		t.Errorf("ballots %d/%d matched %d unmatched %v", r.SurveyBallots, r.BackcheckBallots, r.Matched, r.Unmatched)
	}
	// received (text): B02 equal after NFC; B03 "Có\u00a0" vs "có", B05,
	// B07 differ; B09 missing in the back-check. sex: B04, B08 differ, B06
	// missing in the survey. age_group: B03, B05, B09 differ, B12 missing.
	// rating_1: every pair differs. rating_2: B02, B04, B06, B08, B09.
	// rating_3: B03 missing on both sides (no comparison), B02 missing in
	// the back-check, B05, B07, B09, B12 differ.
	checkBcRates(t, "variables", r.Variables, []rateWant{
		{"received", "1", 4, 12}, {"sex", "1", 3, 12}, {"age_group", "2", 4, 12},
		{"rating_1", "3", 12, 12}, {"rating_3", "3", 5, 11}, {"rating_2", "3", 5, 12},
	}, 0.1)
	if r.Comparisons != 71 || r.Differences != 33 {
		t.Errorf("comparisons %d differences %d, want 71 and 33", r.Comparisons, r.Differences)
	}
	if !r.Numeric["sex"] || r.Numeric["received"] {
		t.Errorf("numeric %v", r.Numeric)
	}
	checkBcRates(t, "enumerators", r.Enumerators, []rateWant{
		{"Bình", "1", 3, 6}, {"Chi", "1", 3, 6}, {"An", "1", 1, 6}, {"Dũng", "1", 0, 6}, {"Em", "1", 0, 0},
		{"An", "2", 1, 3}, {"Bình", "2", 1, 3}, {"Chi", "2", 1, 3}, {"Dũng", "2", 1, 3}, {"Em", "2", 0, 0},
	}, 0.1)
	checkBcRates(t, "enumteams", r.EnumTeams, []rateWant{
		{"T1", "1", 4, 12}, {"T2", "1", 3, 12}, {"T1", "2", 2, 6}, {"T2", "2", 2, 6},
	}, 0.1)
	bcers := []rateWant{
		{"Hoa", "all", 17, 35}, {"Lan", "all", 16, 36},
		{"Hoa", "1", 4, 12}, {"Lan", "1", 3, 12},
		{"Hoa", "2", 2, 6}, {"Lan", "2", 2, 6},
		{"Hoa", "3", 11, 17}, {"Lan", "3", 11, 18},
	}
	checkBcRates(t, "backcheckers", r.BackCheckers, bcers, 0.1)
	teams := slices.Clone(bcers)
	for i := range teams {
		teams[i].name = map[string]string{"Hoa": "MT", "Lan": "CCB"}[teams[i].name]
	}
	// Same numbers; on equal rates the names sort CCB before MT.
	teams[4], teams[5] = teams[5], teams[4]
	checkBcRates(t, "bcteams", r.BCTeams, teams, 0.1)

	// The differences list: only differences, by variable, in back-check
	// order, with the values as read.
	var got []string
	for _, row := range r.Rows {
		if !row.Differ {
			t.Fatalf("row %+v is no difference", row)
		}
		if row.Variable == "received" || row.Variable == "rating_3" {
			got = append(got, row.Variable+":"+row.ID+":"+row.Survey+"|"+row.Backcheck+":"+row.Enumerator+"/"+row.BackChecker)
		}
	}
	want := []string{
		"received:B03:Có\u00a0|có:An/Hoa", "received:B05:không|có:Bình/Hoa", "received:B07:có|không:Chi/Lan", "received:B09:có|:Chi/Lan",
		"rating_3:B02:4|:An/Hoa", "rating_3:B05:5|4:Bình/Hoa", "rating_3:B07:4|5:Chi/Lan", "rating_3:B09:4|1:Chi/Lan", "rating_3:B12:1|2:Dũng/Lan",
	}
	if !slices.Equal(got, want) {
		t.Errorf("rows\n got %q\nwant %q", got, want)
	}
	if len(r.Rows) != 33 {
		t.Errorf("%d rows, want the 33 differences", len(r.Rows))
	}

	// All keeps every comparison.
	opt := fixtureOptions()
	opt.All = true
	all, err := CompareBackcheck(s, b, opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Rows) != 71 {
		t.Errorf("All: %d rows, want 71", len(all.Rows))
	}
}

// Options, each counted by hand on the fixture.
func TestCompareBackcheckOptions(t *testing.T) {
	s, b := readFixture(t, "backcheck_survey.csv"), readFixture(t, "backcheck_bc.csv")
	varRate := func(r *BackcheckResult, name string) (int, int) {
		for _, v := range r.Variables {
			if v.Name == name {
				return v.Differences, v.Comparisons
			}
		}
		t.Fatalf("no variable %s", name)
		return 0, 0
	}
	cases := []struct {
		name string
		set  func(*BackcheckOptions)
		v    string
		diff int
		comp int
	}{
		// "Có\u00a0" vs "có": lower case alone leaves the NBSP.
		{"lower", func(o *BackcheckOptions) { o.Text.Lower = true }, "received", 4, 12},
		{"lower+trim", func(o *BackcheckOptions) { o.Text.Lower, o.Text.Trim = true, true }, "received", 3, 12},
		{"upper+trim", func(o *BackcheckOptions) { o.Text.Upper, o.Text.Trim = true, true }, "received", 3, 12},
		// nodiff: B05 says 9 (don't know) in the back-check.
		{"nodiff", func(o *BackcheckOptions) { o.NoDiff = map[string][]string{"age_group": {"9"}} }, "age_group", 3, 12},
		// nodiff also when the survey value is missing: B09 back-check is
		// missing, so no change; received nodiff "có" makes B03 and B05 no
		// difference (back-check "có"), B07 (back-check "không") stays.
		{"nodiff text", func(o *BackcheckOptions) { o.NoDiff = map[string][]string{"received": {"có"}} }, "received", 2, 12},
		// exclude 5 on either side: B04 (5/4), B06 (3/5), B10 (5/5) dropped.
		{"exclude", func(o *BackcheckOptions) { o.Exclude = map[string][]string{"rating_2": {"5"}} }, "rating_2", 3, 9},
		{"exclude-missing received", func(o *BackcheckOptions) { o.ExcludeMissing = true }, "received", 3, 11},
		{"exclude-missing sex", func(o *BackcheckOptions) { o.ExcludeMissing = true }, "sex", 2, 11},
		{"exclude-missing rating_3", func(o *BackcheckOptions) { o.ExcludeMissing = true }, "rating_3", 4, 10},
		// |bc − survey| ≤ 1 is fine: left B04, B07, B10, B11 (|d| = 2).
		{"okrange", func(o *BackcheckOptions) { o.OKRange = map[string]OKRange{"rating_1": {Lo: -1, Hi: 1}} }, "rating_1", 4, 12},
		// bc − survey in [−1, 0]: the −1 pairs (B01, B02, B06, a bound) are
		// fine; +1 (5 pairs), −2 (B04, B07, B10) and +2 (B11) differ.
		{"okrange one-sided", func(o *BackcheckOptions) { o.OKRange = map[string]OKRange{"rating_1": {Lo: -1, Hi: 0}} }, "rating_1", 9, 12},
		// ±25 % of the survey value: B05 5→4 (−1 ≥ −1.25) and B07 4→5
		// (+1 = 25 % of 4, a bound) are fine; B02 (missing), B09 4→1, B12
		// 1→2 differ.
		{"okrange percent", func(o *BackcheckOptions) {
			o.OKRange = map[string]OKRange{"rating_3": {Lo: -25, Hi: 25, Percent: true}}
		}, "rating_3", 3, 11},
	}
	for _, c := range cases {
		opt := fixtureOptions()
		c.set(&opt)
		r, err := CompareBackcheck(s, b, opt)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if d, n := varRate(r, c.v); d != c.diff || n != c.comp {
			t.Errorf("%s: %s %d/%d, want %d/%d", c.name, c.v, d, n, c.diff, c.comp)
		}
	}
}

// okrate: a rate equal to it is not flagged.
func TestCompareBackcheckOKRateStrict(t *testing.T) {
	s, b := readFixture(t, "backcheck_survey.csv"), readFixture(t, "backcheck_bc.csv")
	opt := fixtureOptions()
	opt.OKRate = 1.0 / 3
	r, err := CompareBackcheck(s, b, opt)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range r.Enumerators {
		if e.Type == "2" && e.Comparisons > 0 && e.Flagged {
			t.Errorf("%s: rate %v = okrate flagged", e.Name, e.ErrorRate)
		}
		if e.Type == "1" && (e.Name == "Bình" || e.Name == "Chi") && !e.Flagged {
			t.Errorf("%s: rate %v > 1/3 not flagged", e.Name, e.ErrorRate)
		}
	}
}

func TestTextNormalize(t *testing.T) {
	cases := []struct {
		in   string
		opt  TextOptions
		want string
	}{
		{"co\u0301", TextOptions{}, "có"},                   // NFC always
		{"Ngu\u031bo\u031b\u0300i", TextOptions{}, "Người"}, // ư + grave, ơ
		{"  Có\u00a0 ", TextOptions{Trim: true}, "Có"},      // U+00A0 is white space
		{"a \t\u00a0 b", TextOptions{Trim: true}, "a b"},    // inner runs collapse
		{"ĐỒNG Ý", TextOptions{Lower: true}, "đồng ý"},
		{"đồng ý", TextOptions{Upper: true}, "ĐỒNG Ý"},
		{"a.b,c!", TextOptions{NoSymbol: true}, "a b c "}, // no trim unless asked
		{"«tốt» – 5★", TextOptions{NoSymbol: true, Trim: true}, "tốt 5"},
		{"x+y=z", TextOptions{NoSymbol: true, Trim: true}, "x y z"}, // symbols too
	}
	for _, c := range cases {
		if got := c.opt.Normalize(c.in); got != c.want {
			t.Errorf("Normalize(%q, %+v) = %q, want %q", c.in, c.opt, got, c.want)
		}
	}
}

func TestParseOKRange(t *testing.T) {
	for in, want := range map[string]OKRange{"-2:2": {-2, 2, false}, "-10%:10%": {-10, 10, true}, " 0 : 1.5 ": {0, 1.5, false}} {
		got, err := ParseOKRange(in)
		if err != nil || got != want {
			t.Errorf("ParseOKRange(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"2", "a:b", "-10%:10", "3:1", "NaN:1"} {
		if _, err := ParseOKRange(bad); err == nil {
			t.Errorf("ParseOKRange(%q): no error", bad)
		}
	}
}

// goldenStability reads testdata/backcheck_stability_golden.csv (written by
// backcheck_stability.R with base R).
func goldenStability(t *testing.T) [][]string {
	f, err := os.Open("testdata/backcheck_stability_golden.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	if _, err := br.ReadString('\n'); err != nil { // the R version comment
		t.Fatal(err)
	}
	recs, err := csv.NewReader(br).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs[1:]
}

func TestCompareBackcheckStabilityR(t *testing.T) {
	s, b := readFixture(t, "backcheck_survey.csv"), readFixture(t, "backcheck_bc.csv")
	opt := fixtureOptions()
	opt.TTest = []string{"rating_1"}
	opt.SignRank = []string{"rating_1", "rating_2", "rating_3"}
	opt.Reliability = []string{"rating_1", "rating_3"}
	r, err := CompareBackcheck(s, b, opt)
	if err != nil {
		t.Fatal(err)
	}
	gold := goldenStability(t)
	if len(gold) != len(r.Stability) {
		t.Fatalf("%d tests, golden has %d", len(r.Stability), len(gold))
	}
	num := func(s string) float64 {
		if s == "" {
			return math.NaN()
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	same := func(a, b float64) bool {
		if math.IsNaN(a) || math.IsNaN(b) {
			return math.IsNaN(a) && math.IsNaN(b)
		}
		return scalar.EqualWithinAbsOrRel(a, b, 1e-9, 1e-9)
	}
	for i, g := range gold {
		st := r.Stability[i]
		n, _ := strconv.Atoi(g[2])
		if st.Variable != g[0] || st.Test != g[1] || st.N != n {
			t.Errorf("row %d: %s %s n=%d, golden %v", i, st.Variable, st.Test, st.N, g)
			continue
		}
		for j, v := range []float64{st.Statistic, st.PValue, st.SRV, st.RR} {
			if !same(v, num(g[3+j])) {
				t.Errorf("%s %s column %d: %.17g, R %s", st.Variable, st.Test, 3+j, v, g[3+j])
			}
		}
	}
}

// Stata's signrank output for a known data set: the "cobre = 0.6" example
// quoted on Statalist (Feb 2013) has 28 positive, 12 negative, no zeros,
// and variance 5535.00 − 0.75; here a smaller case worked by hand:
// d = (1, −1, 2, 0, 0, 3): ranks of |d| over all six pairs are 1.5, 1.5
// (the zeros), 3.5, 3.5, 5, 6; T+ = 3.5 + 5 + 6 = 14.5, T− = 3.5,
// E = 9, V = (3.5² + 3.5² + 5² + 6²)/4 = 21.375.
func TestSignRankByHand(t *testing.T) {
	x := []float64{1, -1, 2, 0, 0, 3, math.NaN()}
	y := make([]float64, len(x))
	r := SignRank(x, y)
	if r.N != 6 || r.NPos != 3 || r.NNeg != 1 || r.NZero != 2 || r.SumPos != 14.5 || r.SumNeg != 3.5 || r.Expected != 9 || r.Variance != 21.375 {
		t.Fatalf("%+v", r)
	}
	z := 5.5 / math.Sqrt(21.375)
	if !scalar.EqualWithinAbsOrRel(r.Statistic, z, 1e-15, 1e-15) {
		t.Errorf("z = %v, want %v", r.Statistic, z)
	}
	if all0 := SignRank([]float64{1, 2}, []float64{1, 2}); !math.IsNaN(all0.Statistic) || !math.IsNaN(all0.PValue) {
		t.Errorf("all zero: %+v", all0)
	}
	if tt := PairedTTest([]float64{1, 2, 3}, []float64{0, 1, 2}); !math.IsNaN(tt.Statistic) {
		t.Errorf("constant differences: t = %v, want NaN", tt.Statistic)
	}
}

func TestCompareBackcheckErrors(t *testing.T) {
	s, b := readFixture(t, "backcheck_survey.csv"), readFixture(t, "backcheck_bc.csv")
	mem := memory.DefaultAllocator
	withIDs := func(rec arrow.RecordBatch, ids ...string) arrow.RecordBatch {
		sb := array.NewStringBuilder(mem)
		defer sb.Release()
		old, _, _ := arrowio.Strings(rec.Column(0))
		for i := range old {
			if i < len(ids) {
				sb.Append(ids[i])
			} else {
				sb.Append(old[i])
			}
		}
		col := sb.NewArray()
		defer col.Release()
		cols := append([]arrow.Array{col}, rec.Columns()[1:]...)
		out := array.NewRecordBatch(rec.Schema(), cols, rec.NumRows())
		t.Cleanup(out.Release)
		return out
	}
	var idErr *BackcheckIDError
	var colErr *BackcheckColumnsError
	var varErr *BackcheckVariableError
	cases := []struct {
		name   string
		s, b   arrow.RecordBatch
		set    func(*BackcheckOptions)
		target any
		says   []string
	}{
		{"duplicate in survey", withIDs(s, "B01", "B01", "B02", "B02"), b, nil, &idErr, []string{"survey", "B01, B02"}},
		{"duplicate in back-check", s, withIDs(b, "B03", "B02", "B03"), nil, &idErr, []string{"back-check", "B03"}},
		{"not in survey", s, withIDs(b, "X9", "X8"), nil, &idErr, []string{"not in the survey", "X9, X8"}},
		{"column missing", s, b, func(o *BackcheckOptions) { o.T2 = append(o.T2, "phone", "age_group2") }, &colErr, []string{`"phone"`, `"age_group2"`, "survey", "back-check"}},
		{"listed twice", s, b, func(o *BackcheckOptions) { o.T3 = append(o.T3, "sex") }, &varErr, []string{`"sex"`, "type 1 and as type 3"}},
		{"listed twice same type", s, b, func(o *BackcheckOptions) { o.T1 = append(o.T1, "sex") }, &varErr, []string{`"sex"`, "twice"}},
		{"ttest on type 1", s, b, func(o *BackcheckOptions) { o.TTest = []string{"sex"} }, &varErr, []string{`"sex"`, "type 2 or type 3"}},
		{"ttest on text", s, b, func(o *BackcheckOptions) {
			o.T2 = append(o.T2, "received")
			o.T1 = o.T1[1:]
			o.TTest = []string{"received"}
		}, &varErr, []string{"numeric"}},
		{"nodiff not a number", s, b, func(o *BackcheckOptions) { o.NoDiff = map[string][]string{"sex": {"nam"}} }, &varErr, []string{`"nam"`}},
	}
	for _, c := range cases {
		opt := fixtureOptions()
		if c.set != nil {
			c.set(&opt)
		}
		_, err := CompareBackcheck(c.s, c.b, opt)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		if !errors.As(err, c.target) {
			t.Errorf("%s: error %T %v", c.name, err, err)
		}
		for _, w := range c.says {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q does not say %q", c.name, err, w)
			}
		}
	}
	// Allowed: the unmatched ids are listed.
	opt := fixtureOptions()
	opt.AllowUnmatched = true
	r, err := CompareBackcheck(s, withIDs(b, "X9"), opt)
	if err != nil || !slices.Equal(r.Unmatched, []string{"X9"}) || r.Matched != 11 {
		t.Errorf("allowed unmatched: %v %v", err, r)
	}
}

// The certification data of bcstatsR (J-PAL, MIT licence), when present in
// ../shared/data/bcstats/ beside the repository (or $SIPAS_BCSTATS_DIR):
//
//	survey.csv, bc.csv       bcstatsR's data/survey.rda and data/bc.rda,
//	                         written by write.csv(x, row.names = FALSE, na = "")
//	bc_base.csv              tests/testthat/bc_base.csv (Stata's comparisons)
//	enum1_base.tsv, enum2_base.tsv, enumteam1_base.tsv, enumteam2_base.tsv
//	                         tests/testthat/ (Stata bcstats' r(enum1) ...)
//
// Stata's tables list only the enumerators with a difference; the others
// must have none here. The data has no value missing on both sides, where
// sipas and bcstats differ.
func TestCompareBackcheckBcstatsCertification(t *testing.T) {
	dir := os.Getenv("SIPAS_BCSTATS_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "data", "bcstats")
	}
	if _, err := os.Stat(filepath.Join(dir, "survey.csv")); err != nil {
		t.Skipf("bcstats certification data not in %s", dir)
	}
	read := func(name string) arrow.RecordBatch {
		rec, err := arrowio.ReadAll(filepath.Join(dir, name), arrowio.WithTypes(map[string]arrow.DataType{"id": arrow.BinaryTypes.String}))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(rec.Release)
		return rec
	}
	r, err := CompareBackcheck(read("survey.csv"), read("bc.csv"), BackcheckOptions{
		ID: "id", T1: []string{"gender"}, T2: []string{"gameresult"}, T3: []string{"itemssold"},
		Enumerator: "enum", EnumTeam: "enumteam", BackChecker: "bcer", OKRate: 0.1,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tab := range []struct {
		file string
		got  []BackcheckRate
		typ  string
	}{
		{"enum1_base.tsv", r.Enumerators, "1"}, {"enum2_base.tsv", r.Enumerators, "2"},
		{"enumteam1_base.tsv", r.EnumTeams, "1"}, {"enumteam2_base.tsv", r.EnumTeams, "2"},
	} {
		b, err := os.ReadFile(filepath.Join(dir, tab.file))
		if err != nil {
			t.Fatal(err)
		}
		want := map[string][3]float64{}
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n")[1:] {
			f := strings.Fields(line)
			rate, _ := strconv.ParseFloat(f[1], 64)
			d, _ := strconv.Atoi(f[2])
			n, _ := strconv.Atoi(f[3])
			want[f[0]] = [3]float64{rate, float64(d), float64(n)}
		}
		for _, g := range tab.got {
			if g.Type != tab.typ {
				continue
			}
			w, ok := want[g.Name]
			if !ok {
				if g.Differences != 0 {
					t.Errorf("%s: %s has %d differences, Stata lists none", tab.file, g.Name, g.Differences)
				}
				continue
			}
			delete(want, g.Name)
			// Stata prints the rate to 4 decimals.
			if float64(g.Differences) != w[1] || float64(g.Comparisons) != w[2] || math.Abs(g.ErrorRate-w[0]) > 5e-5 {
				t.Errorf("%s: %s %d/%d = %v, Stata %v", tab.file, g.Name, g.Differences, g.Comparisons, g.ErrorRate, w)
			}
		}
		if len(want) > 0 {
			t.Errorf("%s: Stata lists %v, not found", tab.file, want)
		}
	}
	// Stata's comparisons: every difference (".": missing) appears.
	f, err := os.Open(filepath.Join(dir, "bc_base.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var want, got []string
	for _, rec := range recs[1:] { // id,enum,enumteam,bcer,type,variable,survey,back_check
		v := func(s string) string {
			if s == "." {
				return ""
			}
			return s
		}
		want = append(want, fmt.Sprintf("%s %s %s|%s %s", rec[0], rec[5], v(rec[6]), v(rec[7]), rec[1]))
	}
	for _, row := range r.Rows {
		got = append(got, fmt.Sprintf("%s %s %s|%s %s", row.ID, row.Variable, row.Survey, row.Backcheck, row.Enumerator))
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("differences\n got %q\nwant %q", got, want)
	}
}

// benchTables makes n survey ballots and their back-check with k numeric
// variables, 5 % of the answers changed.
func benchTables(n, k int) (arrow.RecordBatch, arrow.RecordBatch) {
	rng := rand.New(rand.NewPCG(1, 2))
	mem := memory.DefaultAllocator
	fields := []arrow.Field{{Name: "ballot_id", Type: arrow.BinaryTypes.String}, {Name: "collector", Type: arrow.BinaryTypes.String}}
	for j := 0; j < k; j++ {
		fields = append(fields, arrow.Field{Name: fmt.Sprintf("v%d", j), Type: arrow.PrimitiveTypes.Int64, Nullable: true})
	}
	schema := arrow.NewSchema(fields, nil)
	sb, bb := array.NewRecordBuilder(mem, schema), array.NewRecordBuilder(mem, schema)
	defer sb.Release()
	defer bb.Release()
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("%06d", i)
		col := fmt.Sprintf("c%03d", i%400)
		for _, b := range []*array.RecordBuilder{sb, bb} {
			b.Field(0).(*array.StringBuilder).Append(id)
			b.Field(1).(*array.StringBuilder).Append(col)
		}
		for j := 0; j < k; j++ {
			v := int64(1 + rng.IntN(5))
			sb.Field(2 + j).(*array.Int64Builder).Append(v)
			if rng.Float64() < 0.05 {
				v = int64(1 + rng.IntN(5))
			}
			bb.Field(2 + j).(*array.Int64Builder).Append(v)
		}
	}
	return sb.NewRecordBatch(), bb.NewRecordBatch()
}

func BenchmarkCompareBackcheck(b *testing.B) {
	for _, n := range []int{1000, 40000} {
		s, bc := benchTables(n, 10)
		opt := BackcheckOptions{ID: "ballot_id", T1: []string{"v0", "v1"}, T2: []string{"v2", "v3", "v4"},
			T3: []string{"v5", "v6", "v7", "v8", "v9"}, Enumerator: "collector", OKRate: 0.1,
			TTest: []string{"v5"}, SignRank: []string{"v6"}, Reliability: []string{"v7"}}
		b.Run(fmt.Sprintf("ballots=%d/vars=10", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := CompareBackcheck(s, bc, opt); err != nil {
					b.Fatal(err)
				}
			}
		})
		s.Release()
		bc.Release()
	}
}

// Validate with the back-check's verdict: the failed ballots are excluded
// as backcheck_failed, duplicates of a failed id too, and the accounting
// still holds. On miniRows (12 rows): B1 occurs in rows 1 (used) and 3
// (a duplicate); B10 (row 10) has an invalid expectation code.
func TestValidateBackcheckFailed(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	rec := recordFromJSON(t, mem, miniFields, miniRows)
	defer rec.Release()
	base, err := Validate(t.Context(), rec, &ValidateOptions{Questionnaire: miniQ(t), Mem: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer base.Release()
	v, err := Validate(t.Context(), rec, &ValidateOptions{Questionnaire: miniQ(t), Mem: mem, BackcheckFailed: []string{"B10", " B1", "B10"}})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Release()
	var rows []string
	for _, e := range v.Exclusions {
		if e.Reason == ReasonBackcheckFailed {
			rows = append(rows, fmt.Sprintf("%d %s", e.Row, e.Value))
		}
	}
	// Rows 1 and 3 (B1; row 3 also a duplicate) and row 10 (B10).
	if got := strings.Join(rows, ","); got != "1 B1,3 B1,10 B10" {
		t.Errorf("backcheck_failed rows %s", got)
	}
	if !v.Reconciles() || v.RowsIn != 12 {
		t.Errorf("accounting: %d in, %d used, %d excluded, by reason %v", v.RowsIn, v.RowsUsed, v.RowsExcluded, v.ByReason)
	}
	// Row 1 was used and is now excluded; row 10's first reason becomes
	// backcheck_failed (checked before the codes); row 3's stays
	// duplicate_ballot_id.
	if v.RowsUsed != base.RowsUsed-1 || v.ByReason[ReasonBackcheckFailed] != 2 ||
		v.ByReason[ReasonDuplicateID] != base.ByReason[ReasonDuplicateID] || v.ByReason[ReasonInvalidCode] != base.ByReason[ReasonInvalidCode]-1 {
		t.Errorf("used %d (was %d), by reason %v (was %v)", v.RowsUsed, base.RowsUsed, v.ByReason, base.ByReason)
	}
	// An id that is not a ballot is an error naming it.
	_, err = Validate(t.Context(), rec, &ValidateOptions{Questionnaire: miniQ(t), Mem: mem, BackcheckFailed: []string{"B10", "Z9", "Z7"}})
	var ie *BackcheckIDError
	if !errors.As(err, &ie) || !slices.Equal(ie.IDs, []string{"Z9", "Z7"}) || !strings.Contains(err.Error(), "Z9, Z7") {
		t.Errorf("unknown id: %v", err)
	}
}

// A back-check column without any value (an empty CSV column reads as
// text) still lets a numeric variable be compared as numbers: every
// comparison is a difference (missing on one side) and the stability
// tests run on no pairs.
func TestCompareBackcheckEmptyColumn(t *testing.T) {
	s := readFixture(t, "backcheck_survey.csv")
	bc, err := arrowio.ReadAll("testdata/backcheck_bc.csv", arrowio.WithTypes(map[string]arrow.DataType{"rating_1": arrow.BinaryTypes.String}))
	if err != nil {
		t.Fatal(err)
	}
	defer bc.Release()
	mem := memory.DefaultAllocator
	nb := array.NewStringBuilder(mem)
	for i := 0; i < int(bc.NumRows()); i++ {
		nb.AppendNull()
	}
	empty := nb.NewArray()
	nb.Release()
	defer empty.Release()
	j := bc.Schema().FieldIndices("rating_1")[0]
	cols := slices.Clone(bc.Columns())
	cols[j] = empty
	fields := slices.Clone(bc.Schema().Fields())
	fields[j].Nullable = true
	rec := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, bc.NumRows())
	defer rec.Release()
	opt := fixtureOptions()
	opt.TTest, opt.Reliability = []string{"rating_1"}, []string{"rating_1"}
	r, err := CompareBackcheck(s, rec, opt)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Numeric["rating_1"] || r.Stability[0].N != 0 || !math.IsNaN(r.Stability[0].Statistic) {
		t.Errorf("numeric %v, stability %+v", r.Numeric["rating_1"], r.Stability)
	}
	for _, v := range r.Variables {
		if v.Name == "rating_1" && (v.Differences != 12 || v.Comparisons != 12) {
			t.Errorf("rating_1 %d/%d, want 12/12", v.Differences, v.Comparisons)
		}
	}
}
