package synth

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/sipas-go/sipas/internal/provinces"
)

func ipcHash(t testing.TB, rbs ...arrow.RecordBatch) string {
	t.Helper()
	var buf bytes.Buffer
	w := ipc.NewWriter(&buf, ipc.WithSchema(rbs[0].Schema()))
	for _, rb := range rbs {
		if err := w.Write(rb); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", sha256.Sum256(buf.Bytes()))
}

func col[T arrow.Array](t testing.TB, rb arrow.RecordBatch, name string) T {
	t.Helper()
	idx := rb.Schema().FieldIndices(name)
	if len(idx) != 1 {
		t.Fatalf("column %s: found %d", name, len(idx))
	}
	c, ok := rb.Column(idx[0]).(T)
	if !ok {
		t.Fatalf("column %s has type %s", name, rb.Column(idx[0]).DataType())
	}
	return c
}

func TestSurveyDeterministic(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	cfg := SurveyConfig{Seed: 7, Ballots: 5000}
	a, _, err := Survey(cfg, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	cfg.Workers = 1 // the output must not depend on parallelism
	b, _, err := Survey(cfg, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Release()
	cfg.Seed = 8
	c, _, err := Survey(cfg, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Release()
	ha, hb, hc := ipcHash(t, a), ipcHash(t, b), ipcHash(t, c)
	if ha != hb {
		t.Errorf("same seed, different output: %s vs %s", ha, hb)
	}
	if ha == hc {
		t.Errorf("different seeds, same output")
	}
	if a.NumRows() != 5000 {
		t.Errorf("rows = %d, want 5000", a.NumRows())
	}
	wantCols := append(append([]string(nil), SurveyDesignColumns...), BallotColumns...)
	for i, f := range a.Schema().Fields() {
		if f.Name != wantCols[i] {
			t.Fatalf("column %d = %s, want %s", i, f.Name, wantCols[i])
		}
	}
}

func TestRegisterDeterministicAndBatchInvariant(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	cfg := Config{Seed: 3, TotalRows: 20_000}
	whole, err := Register(cfg, 2020, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer whole.Release()
	if whole.NumRows() != 20_000 {
		t.Fatalf("rows = %d", whole.NumRows())
	}
	// Same rows in 7 uneven batches: compare column values.
	cfg.BatchRows = 3001
	var parts []arrow.RecordBatch
	err = RegisterBatches(cfg, 2020, mem, func(rb arrow.RecordBatch) error {
		rb.Retain()
		parts = append(parts, rb)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tbl := array.NewTableFromRecords(parts[0].Schema(), parts)
	for _, p := range parts {
		p.Release()
	}
	defer tbl.Release()
	if len(parts) != 7 || tbl.NumRows() != 20_000 {
		t.Fatalf("%d batches, %d rows", len(parts), tbl.NumRows())
	}
	for c := 0; c < int(whole.NumCols()); c++ {
		chunks := tbl.Column(c).Data().Chunks()
		row := 0
		for _, ch := range chunks {
			for i := 0; i < ch.Len(); i++ {
				if ch.ValueStr(i) != whole.Column(c).ValueStr(row) || ch.IsNull(i) != whole.Column(c).IsNull(row) {
					t.Fatalf("column %s row %d differs between batchings", whole.ColumnName(c), row)
				}
				row++
			}
		}
	}
	again, err := Register(cfg, 2020, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Release()
	other, err := Register(Config{Seed: 4, TotalRows: 20_000}, 2020, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Release()
	if ipcHash(t, whole) != ipcHash(t, again) {
		t.Error("same seed, different register")
	}
	if ipcHash(t, whole) == ipcHash(t, other) {
		t.Error("different seed, same register")
	}
}

// corr is the Pearson correlation.
func corr(x, y []float64) float64 {
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= float64(len(x))
	my /= float64(len(y))
	var sxy, sxx, syy float64
	for i := range x {
		sxy += (x[i] - mx) * (y[i] - my)
		sxx += (x[i] - mx) * (x[i] - mx)
		syy += (y[i] - my) * (y[i] - my)
	}
	return sxy / math.Sqrt(sxx*syy)
}

func TestRegisterStructure(t *testing.T) {
	cfg := Config{Seed: 11}
	rb, err := Register(cfg, 2021, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	defer rb.Release()
	if rb.NumRows() != defaultTotalRows {
		t.Fatalf("rows = %d, want %d", rb.NumRows(), defaultTotalRows)
	}
	prov := col[*array.String](t, rb, "province")
	code := col[*array.String](t, rb, "province_code")
	dist := col[*array.String](t, rb, "district")
	capital := col[*array.Boolean](t, rb, "is_capital")
	com := col[*array.String](t, rb, "commune")
	tid := col[*array.String](t, rb, "transaction_id")
	level := col[*array.String](t, rb, "level")
	field := col[*array.String](t, rb, "field")
	unit := col[*array.String](t, rb, "unit")
	tr := col[*array.Int64](t, rb, "transactions")

	counts := map[string]float64{}
	cellCounts := map[[3]string]int64{}
	distProv := map[string]string{}
	comDist := map[string]string{}
	capitals := map[string]map[string]bool{}
	ids := map[string]bool{}
	levels := map[string]int{}
	for i := 0; i < int(rb.NumRows()); i++ {
		p := prov.Value(i)
		counts[p] += float64(tr.Value(i))
		d := dist.Value(i)
		if q, ok := distProv[d]; ok && q != p {
			t.Fatalf("district %s in two provinces %s, %s", d, q, p)
		}
		distProv[d] = p
		if q, ok := comDist[com.Value(i)]; ok && q != d {
			t.Fatalf("commune %s in two districts", com.Value(i))
		}
		comDist[com.Value(i)] = d
		if capital.Value(i) {
			if capitals[p] == nil {
				capitals[p] = map[string]bool{}
			}
			capitals[p][d] = true
		}
		if ids[tid.Value(i)] {
			t.Fatalf("duplicate transaction_id %s", tid.Value(i))
		}
		ids[tid.Value(i)] = true
		if pp, _ := provinces.ByCode(code.Value(i)); pp.Name != p {
			t.Fatalf("row %d: code %s is not %s", i, code.Value(i), p)
		}
		levels[level.Value(i)]++
		cellCounts[[3]string{p, level.Value(i), field.Value(i)}]++
		if !slices.Contains(Fields, field.Value(i)) || unit.Value(i) == "" {
			t.Fatalf("row %d: field %q unit %q", i, field.Value(i), unit.Value(i))
		}
	}
	all := provinces.All()
	var pop, n []float64
	for _, p := range all {
		if len(capitals[p.Name]) != 1 {
			t.Errorf("%s has %d capital districts", p.Name, len(capitals[p.Name]))
		}
		pop = append(pop, float64(p.Population))
		n = append(n, counts[p.Name])
	}
	nd := map[string]int{}
	for _, p := range distProv {
		nd[p]++
	}
	for p, k := range nd {
		if k < 8 || k > 15 {
			t.Errorf("%s has %d districts, want 8..15", p, k)
		}
	}
	if len(counts) != 63 {
		t.Errorf("%d provinces", len(counts))
	}
	if r := corr(pop, n); r < 0.95 {
		t.Errorf("correlation of register size with population = %.3f, want > 0.95", r)
	}
	for _, l := range Levels {
		if levels[l] < 10_000 {
			t.Errorf("level %s: %d rows", l, levels[l])
		}
	}
	// Truth's transaction counts are the register's.
	truth := NewTruth(cfg)
	for _, p := range all[:5] {
		if got := truth.Transactions(2021, p.Name); float64(got) != counts[p.Name] {
			t.Errorf("Transactions(%s) = %d, register has %v", p.Name, got, counts[p.Name])
		}
		for _, l := range Levels {
			for _, f := range Fields {
				if got, want := truth.Count(2021, p.Name, l, f), cellCounts[[3]string{p.Name, l, f}]; got != want {
					t.Errorf("Count(%s, %s, %s) = %d, register has %d", p.Name, l, f, got, want)
				}
			}
		}
	}
	if got := truth.Count(2021, "", "", ""); got != defaultTotalRows {
		t.Errorf("Count of all = %d", got)
	}
}

func TestGeography2025(t *testing.T) {
	rb, err := Register(Config{Seed: 1, TotalRows: 30_000}, 2025, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	defer rb.Release()
	prov := col[*array.String](t, rb, "province")
	dist := col[*array.String](t, rb, "district")
	capital := col[*array.Boolean](t, rb, "is_capital")
	level := col[*array.String](t, rb, "level")
	seen := map[string]bool{}
	for i := 0; i < int(rb.NumRows()); i++ {
		seen[prov.Value(i)] = true
		if !dist.IsNull(i) || !capital.IsNull(i) {
			t.Fatalf("row %d: district/is_capital not null in 2025", i)
		}
		if level.Value(i) == "district" {
			t.Fatalf("row %d: district level in 2025", i)
		}
		if !provinces.IsCanonical(prov.Value(i), provinces.Geo2025) {
			t.Fatalf("row %d: %q is not a 2025 province", i, prov.Value(i))
		}
	}
	if len(seen) != 34 {
		t.Errorf("%d provinces in 2025, want 34", len(seen))
	}
	s, truth, err := Survey(SurveyConfig{Seed: 1, Year: 2026, BallotsPerPSU: 2}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Release()
	if s.NumRows() != 34*20*2 {
		t.Errorf("2026 survey rows = %d, want %d", s.NumRows(), 34*20*2)
	}
	if len(truth.Provinces(2026)) != 34 || len(truth.Provinces(2024)) != 63 {
		t.Error("Truth.Provinces geography")
	}
	if !math.IsNaN(truth.Share(2026, "", "district", "", "access_1")) {
		t.Error("district share in 2026 should be NaN (empty domain)")
	}
	// Phú Thọ 2026 is the merged province; its effect is the member mean, so its
	// truth lies within its members' range in 2024 shifted by two years of trend.
	if p := truth.P(2026, "Phú Thọ", "officials_1"); !(p > 0.3 && p < 1) {
		t.Errorf("P(2026, Phú Thọ) = %v", p)
	}
}

// ratioSE returns the weighted ratio Σw·y/Σw·x and its ultimate-cluster
// linearisation SE (with-replacement PSUs within strata, no fpc): z_i =
// w_i(y_i − R x_i)/Σw x, v = Σ_h n_h/(n_h−1) Σ_k (z_hk − z̄_h)² — the
// formula of R survey's svyratio for a stratified cluster design.
func ratioSE(w, y, x []float64, stratum, psu []string) (float64, float64) {
	var sy, sx float64
	for i := range w {
		sy += w[i] * y[i]
		sx += w[i] * x[i]
	}
	r := sy / sx
	tot := map[string]map[string]float64{}
	for i := range w {
		z := w[i] * (y[i] - r*x[i]) / sx
		if tot[stratum[i]] == nil {
			tot[stratum[i]] = map[string]float64{}
		}
		tot[stratum[i]][psu[i]] += z
	}
	var v float64
	for _, ps := range tot {
		n := float64(len(ps))
		var m float64
		for _, z := range ps {
			m += z
		}
		m /= n
		for _, z := range ps {
			v += n / (n - 1) * (z - m) * (z - m)
		}
	}
	return r, math.Sqrt(v)
}

func TestSurveyRecoversTruth(t *testing.T) {
	rb, truth, err := Survey(SurveyConfig{Seed: 2021, BallotsPerPSU: 40}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	defer rb.Release()
	n := int(rb.NumRows())
	w := col[*array.Float64](t, rb, "weight").Float64Values()
	strat := make([]string, n)
	psu := make([]string, n)
	levels := make([]string, n)
	sc, pc, lc := col[*array.String](t, rb, "stratum"), col[*array.String](t, rb, "psu"), col[*array.String](t, rb, "level")
	for i := 0; i < n; i++ {
		strat[i], psu[i], levels[i] = sc.Value(i), pc.Value(i), lc.Value(i)
	}
	byStratum := map[string][]int{}
	for i, h := range strat {
		byStratum[h] = append(byStratum[h], i)
	}
	// Σ weights estimates the population's transactions.
	var sw float64
	for _, x := range w {
		sw += x
	}
	if rel := sw/float64(defaultPopulation) - 1; math.Abs(rel) > 0.05 {
		t.Errorf("Σw = %.0f, population %d (rel %.3f)", sw, defaultPopulation, rel)
	}
	y := make([]float64, n)
	x := make([]float64, n)
	z := 0.0
	var worst float64
	fails := 0
	sum5, sum45 := 0.0, 0.0
	for _, c := range Criteria {
		v := col[*array.Int8](t, rb, c).Int8Values()
		for i := range v {
			y[i], x[i] = 0, 0
			if v[i] >= 1 && v[i] <= 5 {
				x[i] = 1
			}
			if v[i] >= 4 && v[i] <= 5 {
				y[i] = 1
				sum45++
			}
			if v[i] == 5 {
				sum5++
			}
		}
		r, se := ratioSE(w, y, x, strat, psu)
		z = (r - truth.P(2021, "", c)) / se
		worst = math.Max(worst, math.Abs(z))
		if math.Abs(z) > 4 {
			t.Errorf("%s national: estimate %.4f, truth %.4f, SE %.4f (z = %.1f)", c, r, truth.P(2021, "", c), se, z)
		}
		// By level: domain = zero y and x outside it.
		for _, l := range []string{"province", "commune"} {
			yl := make([]float64, n)
			xl := make([]float64, n)
			for i := range y {
				if levels[i] == l {
					yl[i], xl[i] = y[i], x[i]
				}
			}
			r, se := ratioSE(w, yl, xl, strat, psu)
			if z := (r - truth.Share(2021, "", l, "", c)) / se; math.Abs(z) > 4 {
				t.Errorf("%s level %s: estimate %.4f, truth %.4f, SE %.4f", c, l, r, truth.Share(2021, "", l, "", c), se)
			}
		}
		// Every province (its own 20 PSUs). A domain that is a stratum has
		// zero influence values elsewhere, so its rows alone give the SE.
		for _, p := range truth.Provinces(2021) {
			rows := byStratum[p]
			wp, yp, xp, sp, pp := make([]float64, len(rows)), make([]float64, len(rows)), make([]float64, len(rows)), make([]string, len(rows)), make([]string, len(rows))
			for j, i := range rows {
				wp[j], yp[j], xp[j], sp[j], pp[j] = w[i], y[i], x[i], strat[i], psu[i]
			}
			r, se := ratioSE(wp, yp, xp, sp, pp)
			// The SE has n_h − 1 = 19 degrees of freedom: |t| > 6 has
			// probability ≈ 1e-5 under t(19) (R: 2*pt(-6, 19) = 9e-6).
			if z := (r - truth.P(2021, p, c)) / se; math.Abs(z) > 6 {
				fails++
				t.Logf("%s %s: estimate %.4f, truth %.4f, SE %.4f (t = %.1f)", c, p, r, truth.P(2021, p, c), se, z)
			}
		}
	}
	// 22·63 = 1386 province tests: expected failures ≈ 0.013.
	if fails > 0 {
		t.Errorf("%d province × criterion estimates more than 6 SE from the truth", fails)
	}
	t.Logf("worst national |z| = %.2f", worst)
	if r := sum5 / sum45; math.Abs(r-share5) > 0.01 {
		t.Errorf("share of 5 among 4/5 = %.4f, want %.2f", r, share5)
	}
}

// TestSurveyClustering: the commune effect must give design effects > 1.
func TestSurveyClustering(t *testing.T) {
	rb, _, err := Survey(SurveyConfig{Seed: 5, BallotsPerPSU: 30}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	defer rb.Release()
	n := int(rb.NumRows())
	sc, pc := col[*array.String](t, rb, "stratum"), col[*array.String](t, rb, "psu")
	strat, psu := make([]string, n), make([]string, n)
	for i := range strat {
		strat[i], psu[i] = sc.Value(i), pc.Value(i)
	}
	ones := make([]float64, n)
	for i := range ones {
		ones[i] = 1
	}
	v := col[*array.Int8](t, rb, "officials_1").Int8Values()
	y, x := make([]float64, n), make([]float64, n)
	nv := 0.0
	for i := range v {
		if v[i] >= 1 && v[i] <= 5 {
			x[i] = 1
			nv++
			if v[i] >= 4 {
				y[i] = 1
			}
		}
	}
	r, se := ratioSE(ones, y, x, strat, psu)
	srs := math.Sqrt(r * (1 - r) / nv)
	if deff := se * se / (srs * srs); deff < 1.3 {
		t.Errorf("deff = %.2f, want clustering > 1.3", deff)
	}
	// Within a ballot, criteria correlate through the respondent factor:
	// latent correlation ρ_k + ρ_r = 0.41, so satisfied indicators of two
	// criteria correlate clearly (> 0.15).
	v2 := col[*array.Int8](t, rb, "outcomes_2").Int8Values()
	var a, b []float64
	for i := range v {
		if v[i] >= 1 && v[i] <= 5 && v2[i] >= 1 && v2[i] <= 5 {
			a = append(a, float64(v[i]/4))
			b = append(b, float64(v2[i]/4))
		}
	}
	if r := corr(a, b); r < 0.15 {
		t.Errorf("correlation of satisfied officials_1 and outcomes_2 = %.3f, want > 0.15", r)
	} else {
		t.Logf("within-ballot correlation %.3f", r)
	}
}

func TestTruthAggregates(t *testing.T) {
	truth := NewTruth(Config{Seed: 9})
	p := "Đà Nẵng"
	var s float64
	for _, e := range Elements {
		var m float64
		k := 0
		for c, ce := range criterionElement {
			if Elements[ce] == e {
				m += truth.P(2020, p, Criteria[c])
				k++
			}
		}
		if got := truth.Element(2020, p, e); math.Abs(got-m/float64(k)) > 1e-15 {
			t.Errorf("Element %s = %v, mean of criteria %v", e, got, m/float64(k))
		}
		s += m / float64(k)
	}
	if got := truth.SIPAS(2020, p); math.Abs(got-s/5) > 1e-15 {
		t.Errorf("SIPAS = %v, want %v", got, s/5)
	}
	// National = transaction-weighted mean of provinces.
	var num, den float64
	for _, q := range truth.Provinces(2020) {
		n := float64(truth.Transactions(2020, q))
		num += n * truth.P(2020, q, "feedback_3")
		den += n
	}
	if got := truth.P(2020, "", "feedback_3"); math.Abs(got-num/den) > 1e-12 {
		t.Errorf("national %v, weighted provinces %v", got, num/den)
	}
	// Trends: improving provinces rise, declining ones fall, by construction.
	classes := map[string]int{}
	for _, q := range truth.Provinces(2021) {
		_, class := truth.Trend(2021, q)
		classes[class]++
		d := truth.SIPAS(2021, q) - truth.SIPAS(2019, q)
		if (class == "improving" && d <= 0) || (class == "declining" && d >= 0) {
			t.Errorf("%s is %s but SIPAS changed by %+.4f", q, class, d)
		}
	}
	if classes["improving"] != 21 || classes["declining"] != 21 || classes["stable"] != 21 {
		t.Errorf("trend classes %v", classes)
	}
	// Cell probability is Φ(η): feedback below outcomes (E_e −0.25 vs +0.15).
	if truth.CellP(2020, p, "commune", "land", "feedback_1") >= truth.CellP(2020, p, "commune", "land", "outcomes_1")+0.05 {
		t.Error("feedback should be below outcomes")
	}
	for _, q := range truth.Provinces(2020) {
		for _, l := range Levels {
			r := truth.ResponseRate(2020, q, l)
			if r < 0.6 || r > 0.95 {
				t.Errorf("response rate %s %s = %v", q, l, r)
			}
		}
	}
}

// respondFixture draws a systematic 1-in-k sample of a register and fields it.
func respondFixture(t *testing.T, mem memory.Allocator, cfg Config, year, k int) (arrow.RecordBatch, *Responses, *Truth) {
	t.Helper()
	reg, err := Register(cfg, year, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Release()
	var idx []int64
	for i := int64(3); i < reg.NumRows(); i += int64(k) {
		idx = append(idx, i)
	}
	ib := array.NewInt64Builder(mem)
	ib.AppendValues(idx, nil)
	ia := ib.NewArray()
	ib.Release()
	defer ia.Release()
	cols := make([]arrow.Array, reg.NumCols())
	for c := range cols {
		b := array.NewBuilder(mem, reg.Column(c).DataType())
		for _, i := range idx {
			if reg.Column(c).IsNull(int(i)) {
				b.AppendNull()
			} else if err := b.AppendValueFromString(reg.Column(c).ValueStr(int(i))); err != nil {
				t.Fatal(err)
			}
		}
		cols[c] = b.NewArray()
		b.Release()
	}
	sample := array.NewRecordBatch(reg.Schema(), cols, int64(len(idx)))
	for _, c := range cols {
		c.Release()
	}
	truth := NewTruth(cfg)
	res, err := Respond(cfg, year, sample, truth, rand.New(rand.NewPCG(1, 2)), mem)
	if err != nil {
		t.Fatal(err)
	}
	return sample, res, truth
}

func TestRespond(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	cfg := Config{Seed: 42}
	sample, res, truth := respondFixture(t, mem, cfg, 2020, 8)
	defer sample.Release()
	defer res.Release()
	n := int(sample.NumRows())
	if int(res.Issued.NumRows()) != n {
		t.Fatalf("issued %d rows, sample %d", res.Issued.NumRows(), n)
	}

	// Unit response by stratum (province × level) is binomial with the set rate.
	prov := col[*array.String](t, res.Issued, "province")
	level := col[*array.String](t, res.Issued, "level")
	respd := col[*array.Int8](t, res.Issued, "responded").Int8Values()
	type key struct{ p, l string }
	issued, returned := map[key]float64{}, map[key]float64{}
	nret := 0
	for i := 0; i < n; i++ {
		k := key{prov.Value(i), level.Value(i)}
		issued[k]++
		returned[k] += float64(respd[i])
		nret += int(respd[i])
	}
	var chi2 float64
	for k, ni := range issued {
		r := truth.ResponseRate(2020, k.p, k.l)
		se := math.Sqrt(r * (1 - r) / ni)
		if z := (returned[k]/ni - r) / se; math.Abs(z) > 4.5 {
			t.Errorf("stratum %v: response %.3f of %v, set %.3f (z %.1f)", k, returned[k]/ni, ni, r, z)
		}
		chi2 += (returned[k] - ni*r) * (returned[k] - ni*r) / (ni * r * (1 - r))
	}
	// χ² with len(issued) df: mean df, sd √(2df); allow 4 sd.
	df := float64(len(issued))
	if chi2 > df+4*math.Sqrt(2*df) {
		t.Errorf("response χ² = %.1f on %v df", chi2, df)
	}

	// Faults are exactly the rows an independent checker flags.
	b := res.Ballots
	nb := int(b.NumRows())
	if nb != nret+countKind(res.Faults, FaultDuplicate) {
		t.Fatalf("ballots %d, returned %d", nb, nret)
	}
	ids := col[*array.String](t, b, "ballot_id")
	bprov := col[*array.String](t, b, "province")
	flag := map[int]string{}
	seen := map[string]bool{}
	for i := 0; i < nb; i++ {
		if seen[ids.Value(i)] {
			flag[i] = "duplicate"
		}
		seen[ids.Value(i)] = true
		if bprov.Value(i) == "" {
			flag[i] = "province"
		}
	}
	codes := map[string][10]int{}
	for _, c := range Criteria {
		v := col[*array.Int8](t, b, c).Int8Values()
		var h [10]int
		for i, x := range v {
			if x < 0 || x > 9 {
				t.Fatalf("%s row %d = %d", c, i, x)
			}
			h[x]++
			if x >= 6 && x <= 8 {
				flag[i] = "code " + c
			}
		}
		codes[c] = h
	}
	if len(flag) != len(res.Faults) {
		t.Errorf("checker flags %d rows, Faults lists %d", len(flag), len(res.Faults))
	}
	for _, f := range res.Faults {
		if _, ok := flag[f.Row]; !ok {
			t.Errorf("fault %+v not found by the checker", f)
		}
		if ids.Value(f.Row) != f.BallotID {
			t.Errorf("fault %+v: row has id %s", f, ids.Value(f.Row))
		}
		if f.Kind == FaultInvalidCode {
			if got := col[*array.Int8](t, b, f.Column).Value(f.Row); int(got) != f.Value {
				t.Errorf("fault %+v: value %d", f, got)
			}
		}
	}
	wantFaults := int(math.Round(defaultFaultRate * float64(nret)))
	if len(res.Faults) != wantFaults {
		t.Errorf("%d faults, want %d", len(res.Faults), wantFaults)
	}
	for _, k := range []FaultKind{FaultInvalidCode, FaultDuplicate, FaultEmptyProvince} {
		if countKind(res.Faults, k) == 0 {
			t.Errorf("no %s faults", k)
		}
	}

	// Item nonresponse: 9 in every criterion; 0 only where not applicable.
	for c, h := range codes {
		if h[9] == 0 {
			t.Errorf("%s has no code 9", c)
		}
		na := c == "procedures_4" || c == "feedback_2" || c == "feedback_3" || c == "feedback_4"
		if na != (h[0] > 0) {
			t.Errorf("%s: %d codes 0", c, h[0])
		}
	}
	if h := codes["feedback_3"]; math.Abs(float64(h[0])/float64(nb)-noFeedback) > 0.02 {
		t.Errorf("feedback_3 not applicable share %.3f, want %.2f", float64(h[0])/float64(nb), noFeedback)
	}
	// Expectations: null together, else 1..3 picked.
	skipped := 0
	for i := 0; i < nb; i++ {
		picked, nulls := 0, 0
		for _, e := range Expectations {
			a := col[*array.Int8](t, b, e)
			if a.IsNull(i) {
				nulls++
			} else {
				picked += int(a.Value(i))
			}
		}
		switch {
		case nulls == len(Expectations):
			skipped++
		case nulls != 0 || picked < 1 || picked > 3:
			t.Fatalf("row %d: %d nulls, %d picked", i, nulls, picked)
		}
	}
	if skipped == 0 {
		t.Error("no respondent skipped the expectation question")
	}
	// Expectation shares among those who answered match the enumeration
	// (binomial SE; respondents are independent).
	var sumShares float64
	for _, e := range Expectations {
		a := col[*array.Int8](t, b, e)
		var picked, answered float64
		for i := 0; i < nb; i++ {
			if !a.IsNull(i) {
				answered++
				picked += float64(a.Value(i))
			}
		}
		p := truth.ExpectationShare(e)
		sumShares += p
		if z := (picked/answered - p) / math.Sqrt(p*(1-p)/answered); math.Abs(z) > 4 {
			t.Errorf("%s: picked by %.4f, truth %.4f (z %.1f)", e, picked/answered, p, z)
		}
	}
	// Σ_j P(j picked) = E[K] = 0.25 + 2·0.30 + 3·0.45 = 2.2.
	if math.Abs(sumShares-2.2) > 1e-12 {
		t.Errorf("Σ expectation shares = %v, want E[K] = 2.2", sumShares)
	}
	// Carried columns survive.
	for _, name := range RegisterColumns {
		if name == "year" {
			continue
		}
		if len(b.Schema().FieldIndices(name)) != 1 {
			t.Errorf("ballots lack carried column %s", name)
		}
	}

	// Likert shares: conditional on the respondents' cells, E[Σ s] = Σ p. The
	// variance is estimated cluster-robustly by commune: Σ_k (Σ_{i∈k} s−p)².
	com := col[*array.String](t, b, "commune")
	lev := col[*array.String](t, b, "level")
	fld := col[*array.String](t, b, "field")
	for _, c := range Criteria {
		v := col[*array.Int8](t, b, c).Int8Values()
		dev := map[string]float64{}
		var sum float64
		for i := 0; i < nb; i++ {
			if flag[i] != "" || v[i] < 1 || v[i] > 5 {
				continue
			}
			p := truth.CellP(2020, bprov.Value(i), lev.Value(i), fld.Value(i), c)
			s := 0.0
			if v[i] >= 4 {
				s = 1
			}
			dev[com.Value(i)] += s - p
			sum += s - p
		}
		var vv float64
		for _, d := range dev {
			vv += d * d
		}
		if z := sum / math.Sqrt(vv); math.Abs(z) > 4 {
			t.Errorf("%s: observed − expected satisfied = %.1f (z %.1f)", c, sum, z)
		}
	}
}

func countKind(fs []Fault, k FaultKind) int {
	n := 0
	for _, f := range fs {
		if f.Kind == k {
			n++
		}
	}
	return n
}

func TestRespondDeterministic(t *testing.T) {
	cfg := Config{Seed: 5, TotalRows: 20_000}
	s1, r1, _ := respondFixture(t, memory.DefaultAllocator, cfg, 2021, 4)
	defer s1.Release()
	defer r1.Release()
	s2, r2, _ := respondFixture(t, memory.DefaultAllocator, cfg, 2021, 4)
	defer s2.Release()
	defer r2.Release()
	if ipcHash(t, r1.Ballots) != ipcHash(t, r2.Ballots) || ipcHash(t, r1.Issued) != ipcHash(t, r2.Issued) {
		t.Error("Respond is not deterministic")
	}
	if !slices.Equal(r1.Faults, r2.Faults) {
		t.Error("faults differ")
	}
}

func TestRespondErrors(t *testing.T) {
	b := array.NewRecordBuilder(memory.DefaultAllocator, arrow.NewSchema([]arrow.Field{
		{Name: "province", Type: arrow.BinaryTypes.String},
		{Name: "level", Type: arrow.BinaryTypes.String},
		{Name: "field", Type: arrow.BinaryTypes.String},
		{Name: "commune", Type: arrow.BinaryTypes.String},
	}, nil))
	defer b.Release()
	for _, v := range [][]string{{"TP.HCM", "commune", "land", "x"}, {"Atlantis", "commune", "land", "x"}} {
		for c, s := range v {
			b.Field(c).(*array.StringBuilder).Append(s)
		}
	}
	rb := b.NewRecordBatch()
	defer rb.Release()
	_, err := Respond(Config{}, 2020, rb, nil, nil, memory.DefaultAllocator)
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte(`row 1: province "Atlantis"`)) {
		t.Errorf("unknown province: err = %v", err)
	}
	short := rb.NewSlice(0, 1)
	defer short.Release()
	res, err := Respond(Config{}, 2020, short, nil, nil, memory.DefaultAllocator)
	if err != nil {
		t.Fatalf("alias TP.HCM: %v", err)
	}
	res.Release()
	sch := arrow.NewSchema([]arrow.Field{{Name: "province", Type: arrow.BinaryTypes.String}}, nil)
	noCols := array.NewRecordBatch(sch, []arrow.Array{rb.Column(0)}, 2)
	defer noCols.Release()
	_, err = Respond(Config{}, 2020, noCols, nil, nil, memory.DefaultAllocator)
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("level, field, commune")) {
		t.Errorf("missing columns: err = %v", err)
	}
}

func TestRegisterBatchesStopsOnError(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	stop := fmt.Errorf("enough")
	calls := 0
	err := RegisterBatches(Config{TotalRows: 10_000, BatchRows: 1000}, 2026, mem, func(rb arrow.RecordBatch) error {
		calls++
		if calls == 3 {
			return stop
		}
		return nil
	})
	if err != stop || calls != 3 {
		t.Errorf("err = %v after %d calls, want %v after 3", err, calls, stop)
	}
}

func TestSurveyErrors(t *testing.T) {
	if _, _, err := Survey(SurveyConfig{PSUsPerStratum: 500}, memory.DefaultAllocator); err == nil {
		t.Error("500 PSUs per stratum: want an error (provinces have fewer communes)")
	}
	if _, _, err := Survey(SurveyConfig{Ballots: 100}, memory.DefaultAllocator); err == nil {
		t.Error("100 ballots for 63 strata: want an error (fewer than 2 PSUs each)")
	}
	// 1000 ballots: 15 PSUs in each of the 63 strata, one or two ballots each.
	rb, _, err := Survey(SurveyConfig{Ballots: 1000}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	defer rb.Release()
	psus := map[string]map[string]bool{}
	st, ps := col[*array.String](t, rb, "stratum"), col[*array.String](t, rb, "psu")
	for i := 0; i < st.Len(); i++ {
		if psus[st.Value(i)] == nil {
			psus[st.Value(i)] = map[string]bool{}
		}
		psus[st.Value(i)][ps.Value(i)] = true
	}
	if rb.NumRows() != 1000 || len(psus) != 63 {
		t.Errorf("%d rows in %d strata", rb.NumRows(), len(psus))
	}
	for h, p := range psus {
		if len(p) != 15 {
			t.Errorf("stratum %s has %d PSUs, want 15", h, len(p))
		}
	}
	if _, _, err := Survey(SurveyConfig{Population: 100}, memory.DefaultAllocator); err == nil {
		t.Error("population of 100 transactions: want an error (empty communes)")
	}
}

// valuesHash hashes every cell's string form (independent of the IPC format).
func valuesHash(rb arrow.RecordBatch) string {
	h := sha256.New()
	for c := 0; c < int(rb.NumCols()); c++ {
		fmt.Fprintf(h, "%s\x00", rb.ColumnName(c))
		col := rb.Column(c)
		for i := 0; i < col.Len(); i++ {
			if col.IsNull(i) {
				h.Write([]byte("\x01null\x00"))
			} else {
				fmt.Fprintf(h, "%s\x00", col.ValueStr(i))
			}
		}
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

// TestGoldenOutput pins the generated values, so that a change of output —
// on another architecture, Go release or by an edit — is noticed. Update the
// constants only for a deliberate change of the model (and say so in the
// commit).
func TestGoldenOutput(t *testing.T) {
	s, _, err := Survey(SurveyConfig{Seed: 99, PSUsPerStratum: 2, BallotsPerPSU: 3}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Release()
	r, err := Register(Config{Seed: 99, TotalRows: 2000}, 2019, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	got := []string{valuesHash(s), valuesHash(r)}
	want := []string{
		"fb4c03c9142c3a0bf530c9a7fbc941237745a51faf2fed206d00144d72d2a563",
		"4dda77da88ad2b161ac1848ad8519b3d9e98f9c6e931f9c4241523fcbe038eb6",
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("output %d: hash %s, golden %s", i, got[i], want[i])
		}
	}
}

func TestEdgeSizes(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	reg, err := Register(Config{TotalRows: 10}, 2021, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Release()
	if reg.NumRows() != 10 {
		t.Fatalf("rows = %d", reg.NumRows())
	}
	empty := reg.NewSlice(0, 0)
	defer empty.Release()
	res, err := Respond(Config{}, 2021, empty, nil, nil, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	if res.Issued.NumRows() != 0 || res.Ballots.NumRows() != 0 || len(res.Faults) != 0 {
		t.Errorf("empty sample: %d issued, %d ballots, %d faults", res.Issued.NumRows(), res.Ballots.NumRows(), len(res.Faults))
	}
	one := reg.NewSlice(0, 1)
	defer one.Release()
	res1, err := Respond(Config{FaultRate: -1}, 2021, one, nil, nil, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer res1.Release()
	if res1.Issued.NumRows() != 1 {
		t.Errorf("one-row sample: %d issued", res1.Issued.NumRows())
	}
}
