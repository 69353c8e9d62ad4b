package report

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sipas-go/sipas/internal/demo"
)

// chromium returns the headless browser, or fails (CI=true) or skips the
// test when there is none.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{os.Getenv("SIPAS_CHROMIUM"), "chromium", "chromium-browser"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "headless Chromium not found: install it with `apt-get install -y chromium` (Debian/Ubuntu), or set SIPAS_CHROMIUM to a Chromium binary"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// runChromium runs the headless browser on a local file with networking
// cut (every host name resolves to nothing, no background traffic) and
// returns stdout and stderr.
func runChromium(t *testing.T, bin, file string, extra ...string) (stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-default-apps", "--disable-extensions", "--no-default-browser-check",
		"--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
		"--user-data-dir=" + t.TempDir(), "--enable-logging=stderr", "--v=0",
		"--hide-scrollbars"}
	args = append(args, extra...) // each call sets --virtual-time-budget
	args = append(args, "file://"+file)
	cmd := exec.CommandContext(ctx, bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, errb.String())
	}
	return out.String(), errb.String()
}

// consoleLines returns the page's console messages (errors, warnings,
// logs, uncaught exceptions, failed resource loads): the report writes
// none when every chart renders.
func consoleLines(stderr string) []string {
	var out []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.Contains(l, ":CONSOLE") || strings.Contains(l, "Uncaught") {
			out = append(out, l)
		}
	}
	return out
}

var renderedAttr = regexp.MustCompile(`<body[^>]*\bdata-rendered="(\d+)"[^>]*\bdata-chart-errors="(\d+)"`)

// checkPage loads page headless and checks that all charts charts
// rendered (the init script's marker and one canvas per chart), that the
// console is silent, and that no injected script ran (title unchanged).
// The page and, with screenshot, a screenshot are saved under
// testdata/out (gitignored) as test artifacts.
func checkPage(t *testing.T, bin string, page []byte, name string, screenshot bool) {
	t.Helper()
	out, err := filepath.Abs(filepath.Join("testdata", "out"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(out, name+".html")
	if err := os.WriteFile(file, page, 0o644); err != nil {
		t.Fatal(err)
	}
	charts := len(regexp.MustCompile(`<div class="chart" id="chart-\d+"`).FindAll(page, -1))
	title := regexp.MustCompile(`<title>[^<]*</title>`).Find(page)
	dom, stderr := runChromium(t, bin, file, "--virtual-time-budget=1000", "--dump-dom")
	if c := consoleLines(stderr); len(c) > 0 {
		t.Errorf("%s: console messages:\n%s", name, strings.Join(c, "\n"))
	}
	m := renderedAttr.FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("%s: the init script did not mark <body> (charts not initialised)", name)
	}
	if n, _ := strconv.Atoi(m[1]); n != charts || m[2] != "0" {
		t.Errorf("%s: %s of %d charts rendered, %s failed", name, m[1], charts, m[2])
	}
	if n := strings.Count(dom, "<canvas"); n < charts {
		t.Errorf("%s: %d canvases for %d charts", name, n, charts)
	}
	if got := regexp.MustCompile(`<title>[^<]*</title>`).FindString(dom); got != string(title) {
		t.Errorf("%s: the page's title changed to %s: an injected script ran", name, got)
	}
	if !screenshot {
		return
	}
	shot := filepath.Join(out, name+".png")
	_, stderr = runChromium(t, bin, file, "--virtual-time-budget=2000", "--window-size=1200,4000", "--screenshot="+shot)
	if fi, err := os.Stat(shot); err != nil || fi.Size() < 10_000 {
		t.Errorf("%s: no screenshot (%v)\n%s", name, err, stderr)
	} else {
		t.Logf("%s: %d charts rendered; screenshot %s", name, charts, shot)
	}
}

// TestBrowserDemoReport renders the demo pipeline's report (two years of
// the synthetic survey, 63 provinces, with validation and response rates)
// and loads it in headless Chromium with the network cut.
func TestBrowserDemoReport(t *testing.T) {
	bin := chromium(t)
	if testing.Short() {
		t.Skip("the demo pipeline takes a few seconds")
	}
	res, err := demo.Run(context.Background(), demo.Config{Years: []int{2020, 2021}})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	var ys []YearInput
	for _, y := range res.Years {
		ys = append(ys, YearInput{Year: y.Year, Result: y.Index, Validation: y.Validation,
			Nonresponse: y.Nonresponse, Issued: y.Issued, Returned: y.Returned})
	}
	d, err := FromYears(ys, &BuildOptions{Methods: Methods{Weighted: true, Variance: "linearization", CI: "logit",
		Design: "strata: province; PSU: district or commune; nonresponse adjustment by stratum"}})
	if err != nil {
		t.Fatal(err)
	}
	checkPage(t, bin, render(t, d, nil), "demo-vi", true)
}

// TestBrowserHostileLabels loads a page (in English; the demo page is in
// Vietnamese) whose domain names try to inject script: nothing runs (the
// title stays), every chart renders.
func TestBrowserHostileLabels(t *testing.T) {
	bin := chromium(t)
	names := append([]string{`</script><script>document.title="PWNED"</script>`,
		`"__f__function(){document.title='PWNED'}__f__"`, `<img src=x onerror="document.title='PWNED'">`}, hostile...)
	checkPage(t, bin, render(t, buildData(t, names, []int{2020, 2021}), &Options{Lang: LangEN}), "hostile-en", true)
}

// TestBrowserMap loads a page whose domains are three provinces of 2025
// with markup characters in their names (hostileProvinces): the map of the
// 34 is registered and drawn — its canvas is there and the screenshot
// holds the grey (#e6e6e6) of the 31 provinces without data, a colour no
// other chart uses — no console message, no script ran.
func TestBrowserMap(t *testing.T) {
	bin := chromium(t)
	d := buildData(t, hostileProvinces, []int{2025})
	page := render(t, d, &Options{Lang: LangEN})
	id, _ := mapOption(t, page)
	checkPage(t, bin, page, "map-2025-en", true)
	f, err := os.Open(filepath.Join("testdata", "out", "map-2025-en.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	grey := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r>>8 == 0xe6 && g>>8 == 0xe6 && bl>>8 == 0xe6 {
				grey++
			}
		}
	}
	// The 31 grey provinces cover most of a map some 450 px tall and
	// 350 px wide: tens of thousands of pixels.
	if grey < 10000 {
		t.Errorf("%d pixels of the no-data grey: the map of %s was not drawn", grey, id)
	}
	t.Logf("map %s: %d no-data pixels", id, grey)
}
