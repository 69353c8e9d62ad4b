// Package pdftest reads PDF files with poppler's command-line tools
// (pdfinfo, pdftotext, pdffonts, pdfimages) for the tests of the packages that write
// them.
package pdftest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Poppler fails (CI=true) or skips the test when poppler's tools are not
// installed.
func Poppler(t *testing.T) {
	t.Helper()
	if msg := missing(); msg != "" {
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
}

// Have says whether poppler's tools are installed, for a test that reads a
// PDF among other checks: false (with a log line) when they are not, a
// failure under CI=true.
func Have(t *testing.T) bool {
	t.Helper()
	if msg := missing(); msg != "" {
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Log(msg + "; the PDF is not checked")
		return false
	}
	return true
}

func missing() string {
	for _, tool := range []string{"pdfinfo", "pdftotext", "pdffonts", "pdfimages"} {
		if _, err := exec.LookPath(tool); err != nil {
			return tool + " not found: install poppler with `apt-get install -y poppler-utils` (Debian/Ubuntu) to check the PDF report"
		}
	}
	return ""
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, errb.String())
	}
	if s := strings.TrimSpace(errb.String()); s != "" {
		// poppler reports damaged files on stderr and carries on.
		t.Errorf("%s %s wrote to stderr:\n%s", name, strings.Join(args, " "), s)
	}
	return out.String()
}

// Info is what pdfinfo says of a file: the number of pages and the size
// of each page in points.
type Info struct {
	Pages int
	// Sizes are "W x H" in points as pdfinfo writes them ("595.28 x 841.89").
	Sizes []string
	// Fields are pdfinfo's other lines by their name ("Title", ...).
	Fields map[string]string
}

// ReadInfo runs pdfinfo on file, on every page.
func ReadInfo(t *testing.T, file string) Info {
	t.Helper()
	info := Info{Fields: map[string]string{}}
	for _, line := range strings.Split(run(t, "pdfinfo", file), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok {
			info.Fields[k] = strings.TrimSpace(v)
		}
	}
	n, err := strconv.Atoi(info.Fields["Pages"])
	if err != nil {
		t.Fatalf("pdfinfo %s: no page count: %v", file, err)
	}
	info.Pages = n
	out := run(t, "pdfinfo", "-f", "1", "-l", strconv.Itoa(n), file)
	for _, line := range strings.Split(out, "\n") {
		// "Page    1 size: 595.28 x 841.89 pts (A4)"
		if !strings.HasPrefix(line, "Page ") || !strings.Contains(line, " size:") {
			continue
		}
		_, v, _ := strings.Cut(line, "size:")
		v, _, _ = strings.Cut(strings.TrimSpace(v), " pts")
		info.Sizes = append(info.Sizes, v)
	}
	if len(info.Sizes) != n {
		t.Fatalf("pdfinfo %s: %d page sizes for %d pages", file, len(info.Sizes), n)
	}
	return info
}

// Text runs pdftotext on file and returns the text of each page (in
// reading order, not the layout).
func Text(t *testing.T, file string) []string {
	t.Helper()
	out := run(t, "pdftotext", "-enc", "UTF-8", file, "-")
	pages := strings.Split(out, "\f")
	if n := len(pages); n > 0 && strings.TrimSpace(pages[n-1]) == "" {
		pages = pages[:n-1] // pdftotext ends every page with a form feed
	}
	return pages
}

// Font is one line of pdffonts.
type Font struct {
	Name, Type                   string
	Embedded, Subset, HasUnicode bool
}

// Fonts runs pdffonts on file.
func Fonts(t *testing.T, file string) []Font {
	t.Helper()
	var out []Font
	lines := strings.Split(run(t, "pdffonts", file), "\n")
	for _, line := range lines[min(2, len(lines)):] { // a header and a rule
		f := strings.Fields(line)
		if len(f) < 6 {
			continue
		}
		// name type... encoding emb sub uni object ID: read from the end.
		n := len(f)
		out = append(out, Font{Name: f[0], Type: strings.Join(f[1:n-6], " "),
			Embedded: f[n-5] == "yes", Subset: f[n-4] == "yes", HasUnicode: f[n-3] == "yes"})
	}
	return out
}

// Images runs pdfimages -list on file and returns the number of images on
// each page (index 0 is page 1).
func Images(t *testing.T, file string, pages int) []int {
	t.Helper()
	out := make([]int, pages)
	lines := strings.Split(run(t, "pdfimages", "-list", file), "\n")
	for _, line := range lines[min(2, len(lines)):] {
		f := strings.Fields(line)
		if len(f) < 3 || f[2] != "image" { // smask rows are not images of their own
			continue
		}
		p, err := strconv.Atoi(f[0])
		if err != nil || p < 1 || p > pages {
			t.Fatalf("pdfimages %s: bad line %q", file, line)
		}
		out[p-1]++
	}
	return out
}
