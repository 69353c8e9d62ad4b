// Package browsertest loads report pages in headless Chromium with the
// network cut, for the tests of the packages that write them.
package browsertest

import (
	"bytes"
	"context"
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
