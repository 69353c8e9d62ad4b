// Package browsertest loads report pages in headless Chromium with the
// network cut, for the tests of the packages that write them.
package browsertest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Chromium returns the headless browser, or fails (CI=true) or skips the
// test when there is none.
func Chromium(t *testing.T) string {
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

// Run runs the headless browser on a local file with networking
// cut (every host name resolves to nothing, no background traffic) and
// returns stdout and stderr.
func Run(t *testing.T, bin, file string, extra ...string) (stdout, stderr string) {
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

// CheckPage loads page headless and checks that all charts charts
// rendered (the init script's marker and one canvas per chart), that the
// console is silent, and that no injected script ran (title unchanged).
// The page and, with screenshot, a screenshot are saved under
// testdata/out (gitignored) as test artifacts.
func CheckPage(t *testing.T, bin string, page []byte, name string, screenshot bool) {
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
	dom, stderr := Run(t, bin, file, "--virtual-time-budget=1000", "--dump-dom")
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
	_, stderr = Run(t, bin, file, "--virtual-time-budget=2000", "--window-size=1200,4000", "--screenshot="+shot)
	if fi, err := os.Stat(shot); err != nil || fi.Size() < 10_000 {
		t.Errorf("%s: no screenshot (%v)\n%s", name, err, stderr)
	} else {
		t.Logf("%s: %d charts rendered; screenshot %s", name, charts, shot)
	}
}

// Layout is the page as laid out at one viewport width, measured by a
// script added to a copy of the page (Measure).
type Layout struct {
	// Width is the viewport width asked for; InnerWidth what the page
	// saw (window.innerWidth) and ScrollWidth the width of its content
	// (document.documentElement.scrollWidth): the page scrolls sideways
	// when ScrollWidth > InnerWidth.
	Width, InnerWidth, ScrollWidth, ScrollHeight int
	// Rendered and ChartErrors are the init script's marks on <body>;
	// Canvases counts the canvas elements and WidestChart is the widest
	// chart canvas in CSS pixels (a chart that did not follow the width
	// is wider than InnerWidth).
	Rendered, ChartErrors, Canvases, WidestChart int
	// Sections are the heights in CSS pixels of the page's sections: from
	// each <h2 id=…> to the next (or the end), keyed by the id.
	Sections map[string]int
	// Overflow lists the elements that stick out of the viewport while
	// their parent does not (tag, id, class, right edge, start of text).
	Overflow []string
	// Console are the console messages of the page.
	Console []string
}

// measureJS answers a "measure" message of the parent frame with the
// layout of the page as JSON.
const measureJS = `<script>
window.addEventListener("message", function (e) {
  if (e.data !== "measure") { return; }
  var d = document.documentElement, b = document.body, out = [], sec = {};
  var all = b.querySelectorAll("*");
  for (var i = 0; i < all.length; i++) {
    var el = all[i], r = el.getBoundingClientRect(), p = el.parentElement.getBoundingClientRect();
    if (r.right > innerWidth + 1 && p.right <= innerWidth + 1) {
      out.push(el.tagName + "#" + el.id + "." + el.className + " right " + Math.round(r.right) + ": " + (el.textContent || "").slice(0, 60));
    }
  }
  var hs = b.querySelectorAll("h2[id]");
  for (var k = 0; k < hs.length; k++) {
    var top = hs[k].getBoundingClientRect().top + scrollY;
    var end = k + 1 < hs.length ? hs[k + 1].getBoundingClientRect().top + scrollY : d.scrollHeight;
    sec[hs[k].id] = Math.round(end - top);
  }
  var cv = b.querySelectorAll("div[data-chart] canvas"), widest = 0;
  for (var c = 0; c < cv.length; c++) { widest = Math.max(widest, Math.round(cv[c].getBoundingClientRect().width)); }
  parent.postMessage(JSON.stringify({InnerWidth: innerWidth, ScrollWidth: d.scrollWidth, ScrollHeight: d.scrollHeight,
    Rendered: +(b.getAttribute("data-rendered") || -1), ChartErrors: +(b.getAttribute("data-chart-errors") || -1),
    Canvases: b.querySelectorAll("canvas").length, WidestChart: widest, Sections: sec, Overflow: out}), "*");
});
</script>
`

// frameHTML shows the page in an iframe of the first width, sets it to
// the second once loaded (so that the page has to follow a resize), asks
// the page to measure itself and writes the answer to <body data-layout>.
const frameHTML = `<!DOCTYPE html>
<html><head><meta charset="utf-8"></head><body style="margin:0">
<iframe id="f" src="%s" style="width:%dpx;height:%dpx;border:0;display:block"></iframe>
<script>
var f = document.getElementById("f");
window.addEventListener("message", function (e) { document.body.setAttribute("data-layout", String(e.data)); });
f.addEventListener("load", function () {
  f.style.width = "%dpx";
  setTimeout(function () { f.contentWindow.postMessage("measure", "*"); }, 300);
});
</script>
</body></html>
`

var layoutAttr = regexp.MustCompile(`(?s)<body[^>]*\bdata-layout="([^"]*)"`)

// Measure loads page inside an iframe width pixels wide (a headless window
// cannot be narrower than about 500 px; the iframe is the page's viewport)
// after loading it at 1400 px, so that the page has to follow a resize,
// and returns its layout. With screenshot the top height pixels are saved
// as testdata/out/<name>.png; the page is saved as testdata/out/<name>.html.
func Measure(t *testing.T, bin string, page []byte, name string, width, height int, screenshot bool) Layout {
	t.Helper()
	out, err := filepath.Abs(filepath.Join("testdata", "out"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	i := bytes.LastIndex(page, []byte("</body>"))
	if i < 0 {
		t.Fatalf("%s: no </body>", name)
	}
	var inner bytes.Buffer
	inner.Write(page[:i])
	inner.WriteString(measureJS)
	inner.Write(page[i:])
	file := filepath.Join(out, name+".html")
	if err := os.WriteFile(file, inner.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	frame := filepath.Join(out, name+"-frame.html")
	if err := os.WriteFile(frame, []byte(fmt.Sprintf(frameHTML, filepath.Base(file), 1400, height, width)), 0o644); err != nil {
		t.Fatal(err)
	}
	win := fmt.Sprintf("--window-size=%d,%d", max(width, 1400), height)
	dom, stderr := Run(t, bin, frame, "--virtual-time-budget=5000", win, "--dump-dom")
	m := layoutAttr.FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("%s: the page did not answer the measure message\n%s", name, stderr)
	}
	var l Layout
	if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &l); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	l.Width = width
	l.Console = consoleLines(stderr)
	if screenshot {
		shot := filepath.Join(out, name+".png")
		_, stderr = Run(t, bin, frame, "--virtual-time-budget=5000", fmt.Sprintf("--window-size=%d,%d", width, height), "--screenshot="+shot)
		if fi, err := os.Stat(shot); err != nil || fi.Size() < 10_000 {
			t.Errorf("%s: no screenshot (%v)\n%s", name, err, stderr)
		}
	}
	return l
}

// CheckLayout checks a measured page: every chart rendered, no console
// message, and no sideways scrolling of the page nor a chart wider than
// the viewport.
func CheckLayout(t *testing.T, name string, l Layout, charts int) {
	t.Helper()
	if len(l.Console) > 0 {
		t.Errorf("%s: console messages:\n%s", name, strings.Join(l.Console, "\n"))
	}
	if l.Rendered != charts || l.ChartErrors != 0 || l.Canvases < charts {
		t.Errorf("%s: %d of %d charts rendered (%d canvases), %d failed", name, l.Rendered, charts, l.Canvases, l.ChartErrors)
	}
	if l.InnerWidth != l.Width {
		t.Errorf("%s: viewport %d px, want %d", name, l.InnerWidth, l.Width)
	}
	if l.ScrollWidth > l.InnerWidth {
		t.Errorf("%s: the page scrolls sideways at %d px (content %d px wide): %s", name, l.InnerWidth, l.ScrollWidth, strings.Join(l.Overflow, "; "))
	}
	if l.WidestChart > l.InnerWidth {
		t.Errorf("%s: a chart is %d px wide in a %d px viewport: charts do not follow the width", name, l.WidestChart, l.InnerWidth)
	}
}

// Charts is the number of charts of a report page.
func Charts(page []byte) int {
	return len(regexp.MustCompile(`<div class="chart" id="chart-\d+"`).FindAll(page, -1))
}
