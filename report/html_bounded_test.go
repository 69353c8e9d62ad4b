package report

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sipas-go/sipas/internal/heappeak"
)

// TestHTMLBounded: the page of 2,000 domains (as `--by unit` gives) holds
// what the page of 250 holds: the same charts (the ranking and the
// heatmap at most pageDomains rows, radars at most DefaultMaxRadars), no
// chart taller than a few screens, and its size, time and heap grow no
// faster than the domains (the tables of every domain stay in tables/).
func TestHTMLBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("renders pages of 2,000 domains")
	}
	type m struct {
		bytes, charts, tallest int
		peak                   uint64
		took                   time.Duration
	}
	got := map[int]m{}
	heights := regexp.MustCompile(`<div class="chart" id="chart-\d+" data-chart="1" style="height:(\d+)px"`)
	for _, n := range []int{250, 2000} {
		d := bigData(t, n)
		var b bytes.Buffer
		start := time.Now()
		peak := heappeak.Peak(func() {
			if err := WriteHTML(&b, d, nil); err != nil {
				t.Fatal(err)
			}
		})
		r := m{bytes: b.Len(), peak: peak, took: time.Since(start)}
		for _, h := range heights.FindAllSubmatch(b.Bytes(), -1) {
			px, _ := strconv.Atoi(string(h[1]))
			r.charts++
			r.tallest = max(r.tallest, px)
		}
		got[n] = r
		// The page says what it leaves out and shows the top and the
		// bottom of the ranking, not the middle.
		page := b.String()
		for _, w := range []string{LangVI.textf("page.capped", LangVI.count(n), LangVI.byLabel(d), 50, 50),
			LangVI.textf("page.radars", DefaultMaxRadars, LangVI.count(n)), ">Đơn vị 0001<", fmt.Sprintf(">Đơn vị %04d<", n)} {
			if !strings.Contains(page, w) {
				t.Errorf("%d domains: the page lacks %q", n, w)
			}
		}
		if strings.Contains(page, fmt.Sprintf(">Đơn vị %04d<", n/2)) {
			t.Errorf("%d domains: the page shows the middle of the ranking", n)
		}
		t.Logf("%d domains: page %d KB, %d charts, tallest %d px, peak heap +%.1f MB, %v",
			n, r.bytes>>10, r.charts, r.tallest, float64(r.peak)/(1<<20), r.took.Round(time.Millisecond))
	}
	a, z := got[250], got[2000]
	if z.charts != a.charts {
		t.Errorf("%d charts for 2,000 domains, %d for 250: the page grows with the domains", z.charts, a.charts)
	}
	if z.tallest > 4000 {
		t.Errorf("a chart of 2,000 domains is %d px tall", z.tallest)
	}
	if z.bytes > 3*a.bytes {
		t.Errorf("page of 2,000 domains %d KB, of 250 %d KB: more than 3 times", z.bytes>>10, a.bytes>>10)
	}
	if float64(z.peak) > 3*float64(a.peak) {
		t.Errorf("peak heap of 2,000 domains %.0f MB, of 250 %.0f MB: more than 3 times", float64(z.peak)/(1<<20), float64(a.peak)/(1<<20))
	}
}

// BenchmarkWriteHTMLDomains writes the page of 250 and of 2,000 domains:
// time, allocations and peak heap grow far slower than the domains (the
// page holds at most pageDomains domains' rows and DefaultMaxRadars
// radars).
func BenchmarkWriteHTMLDomains(b *testing.B) {
	for _, n := range []int{250, 2000} {
		b.Run(fmt.Sprintf("domains=%d", n), func(b *testing.B) {
			d := bigData(b, n)
			b.ReportAllocs()
			var peak uint64
			for b.Loop() {
				peak = max(peak, heappeak.Peak(func() {
					if err := WriteHTML(io.Discard, d, nil); err != nil {
						b.Fatal(err)
					}
				}))
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-MB")
		})
	}
}
