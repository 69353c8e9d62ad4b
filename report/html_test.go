package report

import (
	"bytes"
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/index/rank"
)

// hostile are domain names that try to break out of the page or to become
// code: a closing script tag, quotes, go-echarts' function marker, and a
// bare function text.
var hostile = []string{
	`</script><script>alert(1)</script>`,
	`"'><img src=x onerror=alert(2)>`,
	`"__f__function(){alert(3)}__f__"`,
	`__f__function(){alert(4)}__f__`,
	`function(){alert(5)}`,
	`<!-- {{.}} & &amp; \u003c`,
}

func buildData(t *testing.T, names []string, years []int) *Data {
	t.Helper()
	var ys []YearInput
	for _, y := range years {
		// The strata column's name is hostile too: the methods note names it.
		ys = append(ys, YearInput{Year: y, Result: withDesign(t, fixtureResult(y, names), `"</script>"`, index.Options{})})
	}
	d, err := FromYears(ys, &BuildOptions{
		// 2,000 draws for the rank sets keep the tests fast.
		TrendOptions: &index.CompareOptions{Adjust: rank.AdjustHolm, Rank: rank.Options{Draws: 2000}}})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func render(t *testing.T, d *Data, opt *Options) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteHTML(&b, d, opt); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// outsideECharts returns the page without the inlined ECharts script, so
// that checks on the page's own markup are not confused by the library's
// text (which holds, e.g., the SVG namespace URL).
func outsideECharts(t *testing.T, page []byte) string {
	t.Helper()
	i := bytes.Index(page, echartsJS)
	if i < 0 {
		t.Fatal("ECharts is not inlined verbatim")
	}
	if bytes.Count(page, echartsJS[:200]) != 1 {
		t.Fatal("ECharts is inlined more than once")
	}
	return string(page[:i]) + string(page[i+len(echartsJS):])
}

var optBlock = regexp.MustCompile(`<script type="application/json" id="opt-(chart-\d+)">([^<]*)</script>`)

// collectStrings gathers every string value of a decoded JSON value.
func collectStrings(v interface{}, out map[string]bool) {
	switch x := v.(type) {
	case string:
		out[x] = true
	case []interface{}:
		for _, e := range x {
			collectStrings(e, out)
		}
	case map[string]interface{}:
		for _, e := range x {
			collectStrings(e, out)
		}
	}
}

func TestHostileLabelsRenderAsText(t *testing.T) {
	names := append(append([]string{}, hostile...), "Hà Nội")
	for _, lang := range []Lang{LangVI, LangEN} {
		page := render(t, buildData(t, names, []int{2020, 2021}), &Options{Lang: lang})
		rest := outsideECharts(t, page)
		low := strings.ToLower(rest)
		// The names appear in the tables as escaped text ("&lt;img ...");
		// raw markup from them must not.
		for _, bad := range []string{"<script>alert", "</script><script", "<img", "<!-- {{"} {
			if strings.Contains(low, strings.ToLower(bad)) {
				i := strings.Index(low, strings.ToLower(bad))
				t.Errorf("%s: page contains %q: ...%s...", lang, bad, rest[max(0, i-80):min(len(rest), i+80)])
			}
		}
		// Exactly the page's own script elements: the JSON blocks, ECharts
		// and the init script.
		blocks := optBlock.FindAllStringSubmatch(rest, -1)
		if n := strings.Count(low, "<script"); n != len(blocks)+2 {
			t.Errorf("%s: %d <script elements, want %d JSON blocks + 2", lang, n, len(blocks))
		}
		// Outside the JSON blocks (which JSON.parse reads as data), the
		// function marker never appears inside a script element.
		for _, sc := range regexp.MustCompile(`(?s)<script>(.*?)</script>`).FindAllStringSubmatch(rest, -1) {
			if strings.Contains(sc[1], "__f__") || strings.Contains(sc[1], "alert(") {
				t.Errorf("%s: a data string reached a script element", lang)
			}
		}
		// Every chart option parses back, and the hostile names come back
		// unchanged as JSON strings (never as code: JSON has no functions).
		seen := map[string]bool{}
		for _, m := range blocks {
			var v interface{}
			if err := json.Unmarshal([]byte(m[2]), &v); err != nil {
				t.Fatalf("%s: option %s does not parse: %v", lang, m[1], err)
			}
			collectStrings(v, seen)
		}
		for _, h := range names {
			if !seen[h] {
				t.Errorf("%s: label %q is not a string of any chart option", lang, h)
			}
		}
		// In the HTML tables the names are escaped text: the escaped form of
		// the closing script tag is there, the raw one is not.
		if !strings.Contains(rest, "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("%s: escaped hostile name not found in the tables", lang)
		}
	}
}

func TestNoExternalReferences(t *testing.T) {
	page := render(t, buildData(t, fixtureNames(5), []int{2021}), nil)
	rest := outsideECharts(t, page)
	attr := regexp.MustCompile(`(?i)\b(src|href|action|data|poster|srcset)\s*=\s*["']?\s*(https?:|//|ftp:)`)
	if m := attr.FindString(rest); m != "" {
		t.Errorf("page refers to a host: %s", m)
	}
	css := regexp.MustCompile(`(?i)(url\(|@import)`)
	if m := css.FindString(rest); m != "" {
		t.Errorf("page loads CSS resources: %s", m)
	}
	// Nothing in the page (outside the library's own source) mentions a URL.
	if strings.Contains(rest, "http://") || strings.Contains(rest, "https://") {
		t.Errorf("page mentions a URL outside the ECharts source")
	}
	// The library itself never sets src/href to a host either.
	if m := attr.Find(echartsJS); m != nil {
		t.Errorf("ECharts source has %s", m)
	}
}

func TestDeterministic(t *testing.T) {
	names := append(fixtureNames(12), hostile...)
	a := render(t, buildData(t, names, []int{2019, 2020, 2021}), &Options{Lang: LangEN})
	b := render(t, buildData(t, names, []int{2021, 2019, 2020}), &Options{Lang: LangEN})
	if !bytes.Equal(a, b) {
		t.Fatal("two runs differ")
	}
	ids := regexp.MustCompile(`<div class="chart" id="(chart-\d+)"`).FindAllSubmatch(a, -1)
	for i, m := range ids {
		if want := "chart-" + itoa(i+1); string(m[1]) != want {
			t.Fatalf("chart %d has id %s, want %s", i, m[1], want)
		}
	}
	// 1 national + 1 ranking + 1 heatmap + one radar per domain + trend +
	// domain trend +
	// expectations.
	if want := 3 + len(names) + 3; len(ids) != want {
		t.Errorf("%d charts, want %d", len(ids), want)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestRanksFromCompareYears checks that the ranking of the page follows
// index.CompareYears: with SEs of 1.2 and estimates 3 points apart
// (fixtureResult), neighbours' rank sets overlap, and the order is by
// estimate.
func TestRanksFromCompareYears(t *testing.T) {
	names := fixtureNames(7)
	d := buildData(t, names, []int{2020, 2021})
	y := d.Latest()
	if y.Year != 2021 || len(y.Domains) != 7 {
		t.Fatalf("latest year %d with %d domains", y.Year, len(y.Domains))
	}
	prev := math.Inf(1)
	for i, dom := range y.Domains {
		tr := dom.SIPAS.Trend
		if tr == nil {
			t.Fatalf("%s: no trend row", dom.Name)
		}
		if tr.Rank != i+1 || tr.Tier != rank.Tier(i+1, 7) {
			t.Errorf("%s: rank %d tier %d at position %d", dom.Name, tr.Rank, tr.Tier, i+1)
		}
		if !(tr.RankLow <= tr.Rank && tr.Rank <= tr.RankHigh) {
			t.Errorf("%s: rank %d outside its set %d–%d", dom.Name, tr.Rank, tr.RankLow, tr.RankHigh)
		}
		if dom.SIPAS.Estimate > prev {
			t.Errorf("%s: estimate %.2f above the previous domain's %.2f", dom.Name, dom.SIPAS.Estimate, prev)
		}
		prev = dom.SIPAS.Estimate
		// The fixture raises every estimate by 0.5 a year with SE 1.2: the
		// change is 0.5 and not significant.
		if math.Abs(tr.ChangePrev-0.5) > 1e-9 || tr.SignificantPrev == nil || *tr.SignificantPrev {
			t.Errorf("%s: change %v significant %v", dom.Name, tr.ChangePrev, tr.SignificantPrev)
		}
	}
	if y.National.SIPAS.Trend == nil || y.National.SIPAS.Trend.Rank != 0 {
		t.Errorf("national row ranked: %+v", y.National.SIPAS.Trend)
	}
}

func TestRadarMin(t *testing.T) {
	for _, c := range []struct {
		v    []float64
		want float64
	}{{[]float64{85, 92}, 70}, {[]float64{80, math.NaN()}, 70}, {[]float64{5}, 0}, {[]float64{math.NaN()}, 0}, {[]float64{100}, 90}} {
		if got := radarMin(c.v); got != c.want {
			t.Errorf("radarMin(%v) = %v, want %v", c.v, got, c.want)
		}
	}
}

// TestSignificantChanges: one domain jumps by 10 points in 2021 (SE 1.2
// for SIPAS, 1.5 for the elements: z ≥ 4.7, significant after Holm across
// the 4 domains); the others move by the fixture's 0.5 (not significant).
func TestSignificantChanges(t *testing.T) {
	names := fixtureNames(4)
	var ys []YearInput
	for _, y := range []int{2020, 2021} {
		res := fixtureResult(y, names)
		if y == 2021 {
			for i := range res.Rows {
				r := &res.Rows[i]
				if len(r.Domain) > 0 && r.Domain[0].Value == names[1] && r.Kind != index.KindExpectation {
					r.Estimate += 10
					r.CILow += 10
					r.CIHigh += 10
				}
			}
		}
		ys = append(ys, YearInput{Year: y, Result: res})
	}
	d, err := FromYears(ys, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := buildPage(d, &Options{Lang: LangEN})
	// SIPAS and the 5 elements of names[1]; criteria have no trend rows
	// when FromYears compares years itself.
	if len(p.Changes) != 6 {
		t.Fatalf("%d significant changes, want 6: %+v", len(p.Changes), p.Changes)
	}
	for _, c := range p.Changes {
		if c.Name != names[1] || c.Change != "10.5" || c.Dir != "up" || c.Year != "2020→2021" {
			t.Errorf("change %+v", c)
		}
	}
}
