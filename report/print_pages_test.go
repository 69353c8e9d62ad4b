package report

import (
	"bytes"
	"fmt"
	"image/color"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/plot/vg"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/index/rank"
	"github.com/sipas-go/sipas/internal/heappeak"
)

func TestPageRanges(t *testing.T) {
	for _, c := range []struct {
		n, per int
		want   string
	}{
		{0, 44, "[]"},
		{5, 44, "[[0 5]]"},
		{44, 44, "[[0 44]]"},
		{45, 44, "[[0 23] [23 45]]"},
		{63, 44, "[[0 32] [32 63]]"},
		{133, 44, "[[0 34] [34 67] [67 100] [100 133]]"},
	} {
		if got := fmt.Sprint(pageRanges(c.n, c.per)); got != c.want {
			t.Errorf("pageRanges(%d, %d) = %s, want %s", c.n, c.per, got, c.want)
		}
	}
	if pageName("ranking", 0, 1) != "ranking" || pageName("ranking", 1, 3) != "ranking-02" {
		t.Error("page names")
	}
}

// withRates gives the latest year n weighting classes with response rates
// spread over 62–98%.
func withRates(d *Data, n int) *Data {
	q := &Quality{}
	for i := range n {
		issued := 160
		returned := 100 + (i*37)%57
		q.ResponseRates = append(q.ResponseRates, ResponseRate{Class: fmt.Sprintf("Tỉnh %02d/D%02d", i/2+1, i%2+1),
			Issued: issued, Returned: returned, Valid: returned, ResponseRate: float64(returned) / float64(issued),
			ValidRate: float64(returned) / float64(issued)})
	}
	d.Latest().Quality = q
	return d
}

// A4 is 16 × 24 cm of text area: no print figure may be larger, and the
// figures that take pages hold every domain once, in rank order.
func TestPrintFiguresFitA4(t *testing.T) {
	d := withRates(buildIPAData(t, fixtureNames(100), []int{2020, 2021}), 126)
	figs := Figures(d, &Options{Lang: LangEN})
	seen := map[string]bool{}
	var ranking, heat []string
	for _, f := range figs {
		if seen[f.Name] {
			t.Errorf("two figures named %s", f.Name)
		}
		seen[f.Name] = true
		if f.Width > printWidth+1e-9 || f.Height > printMaxHeight+1e-9 {
			t.Errorf("%s: %.1f × %.1f cm, larger than the 16 × 24 cm of an A4 page's text", f.Name, f.Width/vg.Centimeter, f.Height/vg.Centimeter)
		}
		switch {
		case strings.HasPrefix(f.Name, "ranking-table"):
		case strings.HasPrefix(f.Name, "ranking"):
			ranking = append(ranking, f.Name)
		case strings.HasPrefix(f.Name, "heatmap"):
			heat = append(heat, f.Name)
		}
	}
	// 100 domains: 3 pages of ranking (44 rows at most: 34, 33, 33), 3 of
	// heatmap (42 at most: 34, 33, 33).
	if fmt.Sprint(ranking) != "[ranking-01 ranking-02 ranking-03]" || fmt.Sprint(heat) != "[heatmap-01 heatmap-02 heatmap-03]" {
		t.Fatalf("ranking pages %v, heatmap pages %v", ranking, heat)
	}
	for _, want := range []string{"trend", "trend-domains", "expectations", "response-rates", "ipa", "radars-09"} {
		if !seen[want] {
			t.Errorf("no figure %s: the page's chart has no print twin", want)
		}
	}
	svg := func(name string) string {
		for _, f := range figs {
			if f.Name == name {
				var b bytes.Buffer
				if err := f.writeSVG(&b, false); err != nil {
					t.Fatal(err)
				}
				return b.String()
			}
		}
		t.Fatalf("no figure %s", name)
		return ""
	}
	y := d.Latest()
	for _, prefix := range []string{"ranking", "heatmap"} {
		pages := []string{svg(prefix + "-01"), svg(prefix + "-02"), svg(prefix + "-03")}
		p := 0
		for i, dom := range y.Domains {
			for p < 3 && !strings.Contains(pages[p], ">"+dom.Name+"<") {
				p++
			}
			if p == 3 {
				t.Errorf("%s: domain %d (%s) missing or out of rank order", prefix, i+1, dom.Name)
				break
			}
		}
	}
	// The ranking shows the national SIPAS and names the tiers it colours
	// by, on every page.
	nat := "Nation " + LangEN.dec(y.National.SIPAS.Estimate, 1)
	for _, n := range ranking {
		s := svg(n)
		if !strings.Contains(s, ">"+nat+"<") || !strings.Contains(s, ">Tier 1<") {
			t.Errorf("%s: no key with %q and the tiers", n, nat)
		}
	}
	// The domains' trend names every line it draws in colour.
	s := svg("trend-domains")
	for i, dom := range y.Domains {
		if named := strings.Contains(s, ">"+dom.Name+"<"); named != (i < domainTrendShown || i >= len(y.Domains)-domainTrendShown) {
			t.Errorf("trend-domains: %s named %v", dom.Name, named)
		}
	}
}

// TestRRHistogram: classes counted in 5-point bins from the lowest rate's
// bin to the highest's; 100% falls in the last bin; the overall rate is
// returned over issued.
func TestRRHistogram(t *testing.T) {
	rr := func(issued, returned int) ResponseRate {
		return ResponseRate{Issued: issued, Returned: returned, ResponseRate: float64(returned) / float64(issued)}
	}
	edges, counts, overall := rrHistogram([]ResponseRate{rr(100, 62), rr(100, 64), rr(100, 85), rr(100, 100), {ResponseRate: math.NaN()}})
	if fmt.Sprint(edges) != "[60 65 70 75 80 85 90 95]" || fmt.Sprint(counts) != "[2 0 0 0 0 1 0 1]" {
		t.Errorf("edges %v counts %v", edges, counts)
	}
	if math.Abs(overall-(62+64+85+100)/4.0) > 1e-12 {
		t.Errorf("overall %v", overall)
	}
	if e, c, o := rrHistogram(nil); e != nil || c != nil || !math.IsNaN(o) {
		t.Error("no classes")
	}
}

// bigData is a report of n domains of one year with n weighting classes:
// the domains of a 7-domain report repeated under new names (the print
// charts do not depend on how the ranks were made; computing rank sets of
// 2,000 domains would take minutes).
func bigData(t testing.TB, n int) *Data {
	d, err := FromYears([]YearInput{{Year: 2021, Result: fixtureResult(2021, fixtureNames(7))}},
		&BuildOptions{TrendOptions: &index.CompareOptions{Rank: rank.Options{Draws: 200}}})
	if err != nil {
		t.Fatal(err)
	}
	y := d.Latest()
	base := y.Domains
	y.Domains = make([]Domain, n)
	for i := range y.Domains {
		y.Domains[i] = base[i%len(base)]
		y.Domains[i].Name = fmt.Sprintf("Đơn vị %04d", i+1)
		y.Domains[i].Key = "unit=" + y.Domains[i].Name
	}
	return withRates(d, n)
}

// TestPrintMemoryBounded: a report's print charts take memory for one
// page, not for all domains. With 2,000 domains (as `--by unit` gives) no
// figure exceeds an A4 page, and drawing the largest figure of each kind
// at 300 dpi takes about the heap of 250 domains' (the image of one page,
// 1890 × 2835 pixels, 21 MB): the one-image heatmap of 2,000 domains was
// 1890 × 96,975 pixels (733 MB).
func TestPrintMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("draws pages at 300 dpi")
	}
	peaks := map[int]uint64{}
	for _, n := range []int{250, 2000} {
		d := bigData(t, n)
		var figs []Figure
		alloc := heappeak.Peak(func() { figs = Figures(d, nil) })
		// One of each kind: the first page and the tallest figure.
		pick := map[string]Figure{}
		for _, f := range figs {
			if f.Width > printWidth+1e-9 || f.Height > printMaxHeight+1e-9 {
				t.Fatalf("%d domains: %s is %.1f × %.1f cm", n, f.Name, f.Width/vg.Centimeter, f.Height/vg.Centimeter)
			}
			kind := strings.TrimSuffix(strings.TrimRight(f.Name, "0123456789"), "-")
			if g, ok := pick[kind]; !ok || f.Height > g.Height {
				pick[kind] = f
			}
		}
		start := time.Now()
		peak := heappeak.Peak(func() {
			for _, f := range pick {
				if err := f.WritePNG(io.Discard, PrintDPI); err != nil {
					t.Fatal(err)
				}
			}
		})
		peaks[n] = peak
		t.Logf("%d domains: %d figures (%d KB to build them); %d kinds drawn at 300 dpi in %v, peak heap +%.1f MB",
			n, len(figs), alloc>>10, len(pick), time.Since(start).Round(time.Millisecond), float64(peak)/(1<<20))
	}
	// One A4 page at 300 dpi is a 21.4 MB RGBA image; drawing it takes a
	// few times that (gonum/plot's canvas, the PNG encoder's buffers): the
	// peak must not grow with the domains (eight times as many here) and
	// stay within six page images.
	const page = 1890 * 2835 * 4
	if float64(peaks[2000]) > 1.5*float64(peaks[250]) || peaks[2000] > 6*page {
		t.Errorf("drawing a page of 2,000 domains peaks at %.0f MB, of 250 domains at %.0f MB (bound: 1.5 times, and %.0f MB)",
			float64(peaks[2000])/(1<<20), float64(peaks[250])/(1<<20), 6*float64(page)/(1<<20))
	}
}

// BenchmarkPrintFiguresDomains draws every print chart of n domains at
// 300 dpi, one after the other (as WriteDir does on one core): time and
// memory grow with the pages, the peak heap stays that of one page.
func BenchmarkPrintFiguresDomains(b *testing.B) {
	for _, n := range []int{250, 2000} {
		b.Run(fmt.Sprintf("domains=%d", n), func(b *testing.B) {
			d := bigData(b, n)
			b.ReportAllocs()
			var peak uint64
			for b.Loop() {
				peak = max(peak, heappeak.Peak(func() {
					for _, f := range Figures(d, nil) {
						if err := f.WritePNG(io.Discard, PrintDPI); err != nil {
							b.Fatal(err)
						}
					}
				}))
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-MB")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/domain")
		})
	}
}

// linearRGB is an 8-bit sRGB channel in linear light (IEC 61966-2-1).
func linearRGB(v uint8) float64 {
	x := float64(v) / 255
	if x <= 0.04045 {
		return x / 12.92
	}
	return math.Pow((x+0.055)/1.055, 2.4)
}

// luminance is the relative luminance (WCAG 2) of a #rrggbb colour.
func luminance(hex string) float64 {
	c := hexColor(hex).(color.RGBA)
	return 0.2126*linearRGB(c.R) + 0.7152*linearRGB(c.G) + 0.0722*linearRGB(c.B)
}

// TestColourScalesSequential: the scales that encode an order (the
// heatmaps' and the map's values, the tiers) change lightness steadily,
// so a reader who cannot tell red from green still reads them; the
// categorical quadrant colours hold no red–green pair (they are told apart
// by lightness by more than 0.05).
func TestColourScalesSequential(t *testing.T) {
	for i := 1; i < len(seqStops); i++ {
		if luminance(seqStops[i]) >= luminance(seqStops[i-1])-0.05 {
			t.Errorf("scale step %d (%s after %s) is not clearly darker", i, seqStops[i], seqStops[i-1])
		}
	}
	pal := seqPalette{}.Colors()
	prev := math.Inf(1)
	for i, c := range pal {
		r := c.(color.RGBA)
		y := luminance(fmt.Sprintf("#%02x%02x%02x", r.R, r.G, r.B))
		if y >= prev {
			t.Errorf("print palette colour %d is not darker than the one before", i)
		}
		prev = y
	}
	for tier := 2; tier <= 4; tier++ {
		if luminance(tierColor(tier)) <= luminance(tierColor(tier-1))+0.05 {
			t.Errorf("tier %d (%s) is not clearly lighter than tier %d (%s)", tier, tierColor(tier), tier-1, tierColor(tier-1))
		}
	}
	// The HTML heatmap and map use the same stops.
	d := buildData(t, provinceNames[:5], []int{2021})
	page := string(render(t, d, nil))
	want := `"inRange":{"color":["` + strings.Join(seqStops, `","`) + `"]}`
	if n := strings.Count(page, want); n != 2 {
		t.Errorf("%d charts (want the heatmap and the map) use the sequential scale %s", n, want)
	}
	// The quadrants, as a deuteranope sees them (Viénot, Brettel & Mollon
	// 1999, in linear RGB), stay apart: the former red (#d73027) and green
	// (#1a9850) were 0.08 apart.
	for _, q := range quadrants {
		for _, o := range quadrants {
			if d := deuteranDistance(quadrantColor(q), quadrantColor(o)); q < o && d < 0.15 {
				t.Errorf("quadrants %v and %v look alike without red–green (%s, %s: %.3f)", q, o, quadrantColor(q), quadrantColor(o), d)
			}
		}
	}
	if d := deuteranDistance("#d73027", "#1a9850"); d > 0.15 {
		t.Errorf("the check passes red against green: %.3f", d)
	}
}

// deuteranDistance is the distance in linear RGB between two colours as
// simulated for deuteranopia (Viénot, Brettel & Mollon 1999).
func deuteranDistance(a, b string) float64 {
	sim := func(hex string) [3]float64 {
		c := hexColor(hex).(color.RGBA)
		r, g, bl := linearRGB(c.R), linearRGB(c.G), linearRGB(c.B)
		rg := 0.29275*r + 0.70725*g
		return [3]float64{rg, rg, -0.02234*r + 0.02234*g + bl}
	}
	x, y := sim(a), sim(b)
	return math.Sqrt((x[0]-y[0])*(x[0]-y[0]) + (x[1]-y[1])*(x[1]-y[1]) + (x[2]-y[2])*(x[2]-y[2]))
}
