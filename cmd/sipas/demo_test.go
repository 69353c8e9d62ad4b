package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sipas-go/sipas/cmd/sipas/internal/demo"
)

// TestDemoCommand runs the README's first command on one year and checks
// what it writes: the report, its tables, the clean ballots and the
// exclusions, and no temporary file left behind.
func TestDemoCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the synthetic pipeline")
	}
	out := filepath.Join(t.TempDir(), "demo")
	code, stdout, stderr := vtRun(t, "", "demo", "--out", out, "--years", "2020,2021")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, f := range []string{"index.html", "report.pdf", "tables/ranking.csv", "tables/estimates.csv", "tables/ipa.csv", "charts/ipa.png", "ballots_2021.parquet", "excluded_2021.csv", "index_2021.json",
		"screen_2021/ballots.csv", "screen_2021/collectors.csv", "screen_2021/summary.json", "tables/fieldwork_screening.csv"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	// The methods note tells the demo's settings: weighted (the design
	// weights adjusted for nonresponse by stratum), Holm's correction. It
	// said "unweighted" and "correction none".
	page, err := os.ReadFile(filepath.Join(out, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	note := methodsNote(t, string(page))
	for _, w := range []string{"có gia quyền theo quyền số cuối cùng: quyền số thiết kế, điều chỉnh cho phiếu không thu về hoặc không hợp lệ trong từng nhóm theo “stratum”",
		"phân tầng theo cột “stratum” (", "hiệu chỉnh Holm"} {
		if !strings.Contains(note, w) {
			t.Errorf("the note lacks %q:\n%s", w, note)
		}
	}
	if strings.Contains(note, "không gia quyền") {
		t.Errorf("the note says the weighted estimates are unweighted:\n%s", note)
	}
	// report.pdf: the Vietnamese title, a province with stacked
	// diacritics, and the same methods note.
	checkReportPDF(t, filepath.Join(out, "report.pdf"), "Chỉ số hài lòng", "Đắk Lắk",
		"phân tầng theo cột “stratum” (", "hiệu chỉnh Holm")
	if m := codeWords.FindString(note); m != "" {
		t.Errorf("code word %q in the Vietnamese note:\n%s", m, note)
	}
	ents, _ := os.ReadDir(out)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
	if !strings.Contains(stdout, "(national)") || !strings.Contains(stdout, "Hà Nội") || !strings.Contains(stdout, "used +") || !strings.Contains(stdout, "screening: ") {
		t.Errorf("stdout lacks the accounting or the index table:\n%s", stdout[:min(len(stdout), 600)])
	}
	t.Run("README cycle", func(t *testing.T) { readmeCycle(t, out) })
}

// readmeCycle runs every line of the README's yearly cycle, as printed,
// in the demo's output folder (the README's "cd sipas-demo"), and the
// sample plan of its "# or --plan"; each must exit 0 and write its output,
// and reconcile must find exactly the three cells the second keying
// changed.
func readmeCycle(t *testing.T, dir string) {
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "the yearly cycle is")
	if i < 0 {
		t.Fatal("README: no yearly cycle")
	}
	s = s[i:]
	s = s[strings.Index(s, "```sh\n")+6:]
	s = s[:strings.Index(s, "```")]
	t.Chdir(dir)
	var lines [][]string
	for _, ln := range strings.Split(strings.TrimSpace(s), "\n") {
		plan := strings.Contains(ln, "# or --plan")
		if k := strings.Index(ln, "#"); k >= 0 {
			ln = ln[:k]
		}
		f := strings.Fields(ln)
		if f[0] == "cd" {
			if f[1] != "sipas-demo" {
				t.Fatalf("README cycle: cd %s, want the demo's folder", f[1])
			}
			continue
		}
		if f[0] != "sipas" {
			t.Fatalf("README cycle: %q is not a sipas command", ln)
		}
		lines = append(lines, f[1:])
		if plan {
			p := []string{"sample", "--plan"}
			for j := 2; j+1 < len(f); j += 2 {
				if f[j] == "--frame" || f[j] == "--design" {
					p = append(p, f[j], f[j+1])
				}
			}
			lines = append(lines, p)
		}
	}
	if len(lines) != 8 {
		t.Fatalf("README cycle: %d commands, want the 7 of the cycle and the plan", len(lines))
	}
	for _, args := range lines {
		code, stdout, stderr := vtRun(t, "", args...)
		if code != 0 {
			t.Fatalf("sipas %s: exit %d\n%s", strings.Join(args, " "), code, stderr)
		}
		for j := 0; j+1 < len(args); j++ {
			if args[j] == "--out" || args[j] == "--excluded" {
				if _, err := os.Stat(args[j+1]); err != nil {
					t.Errorf("sipas %s: %v", args[0], err)
				}
			}
		}
		if args[0] == "index" && !strings.Contains(stdout, "Hà Nội") {
			t.Errorf("sipas index: no province in the table:\n%s", stdout[:min(len(stdout), 400)])
		}
	}
	d := readCSV(t, "discrepancies.csv")
	if len(d) != 1+len(demo.KeyingChanges) {
		t.Fatalf("discrepancies: %d rows, want %d:\n%v", len(d)-1, len(demo.KeyingChanges), d)
	}
	for k, ch := range demo.KeyingChanges {
		if d[k+1][1] != ch.Column {
			t.Errorf("discrepancy %d in column %s, want %s", k+1, d[k+1][1], ch.Column)
		}
	}
}

// TestDemoAcrossMerger: years on both sides of the 2025 merger are
// reported in the 34 provinces (the 2024 ballots re-aggregated with their
// weights): the ranking has 34 provinces, the map is the 2025 one, and the
// trend has both years for a merged province. (It used to fail: the trend
// refused the two geographies, and the 2025 design could not place its
// sample in the selected communes.)
func TestDemoAcrossMerger(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the synthetic pipeline")
	}
	out := filepath.Join(t.TempDir(), "demo")
	code, _, stderr := vtRun(t, "", "demo", "--out", out, "--years", "2024,2025", "--register-rows", "1000000")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "34 provinces of 2025") {
		t.Errorf("stderr does not say the years are reported in the 34 provinces:\n%s", stderr)
	}
	page, err := os.ReadFile(filepath.Join(out, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(page), `<tr class="tier`); n != 34 {
		t.Errorf("ranking has %d provinces, want 34", n)
	}
	if !strings.Contains(string(page), `id="geo-vn-2025"`) {
		t.Error("no map of the 34 provinces")
	}
	rank, err := os.ReadFile(filepath.Join(out, "tables", "ranking.csv"))
	if err != nil {
		t.Fatal(err)
	}
	// Phú Thọ of 2025 = old Phú Thọ + Vĩnh Phúc + Hòa Bình: ranked, with a
	// change against 2024 (the re-aggregated old provinces).
	var line string
	for _, l := range strings.Split(string(rank), "\n") {
		if strings.Contains(l, ",Phú Thọ,") {
			line = l
		}
	}
	if f := strings.Split(line, ","); len(f) < 11 || f[10] == "" {
		t.Errorf("Phú Thọ has no change against 2024 in ranking.csv: %q", line)
	}

	// sipas report on the demo's ballots: refused in geography auto (with
	// the flag to use), and with --geography 2025 the same SIPAS estimates
	// per province as the demo's report.
	b24, b25 := filepath.Join(out, "ballots_2024.parquet"), filepath.Join(out, "ballots_2025.parquet")
	args := []string{"report", "--in", b24, "--in", b25, "--weight", "weight", "--strata", "stratum", "--psu", "psu", "--draws", "200"}
	rep := filepath.Join(t.TempDir(), "rep")
	code, _, stderr = vtRun(t, "", append(args, "--out", rep)...)
	if code != 2 || !strings.Contains(stderr, "--geography 2025") {
		t.Errorf("report across the merger in geography auto: exit %d, %q; want 2 naming --geography 2025", code, stderr)
	}
	code, _, stderr = vtRun(t, "", append(args, "--geography", "2025", "--out", rep)...)
	if code != 0 {
		t.Fatalf("report --geography 2025: exit %d: %s", code, stderr)
	}
	sipasOf := func(path string) map[string]string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, l := range strings.Split(string(b), "\n")[1:] {
			if f := strings.Split(l, ","); len(f) > 5 {
				m[f[4]] = f[5]
			}
		}
		return m
	}
	want, got := sipasOf(filepath.Join(out, "tables", "ranking.csv")), sipasOf(filepath.Join(rep, "tables", "ranking.csv"))
	if len(want) != 34 || len(got) != 34 {
		t.Fatalf("%d and %d provinces ranked, want 34", len(want), len(got))
	}
	for p, v := range want {
		if got[p] != v {
			t.Errorf("%s: SIPAS %s in sipas report, %s in the demo", p, got[p], v)
		}
	}
}

func TestDemoCommandUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // the message names the flag and the value
	}{
		{[]string{"demo"}, "--out is required"},
		{[]string{"demo", "--out", t.TempDir(), "--years", "20x1"}, `--years: "20x1" is not a year`},
		{[]string{"demo", "--out", t.TempDir(), "--lang", "fr"}, `--lang: report: language "fr" is not one of vi, en`},
		{[]string{"demo", "--out", t.TempDir(), "--register-rows", "500000"}, "--register-rows: at least 1000000"},
	} {
		if code, _, stderr := vtRun(t, "", tc.args...); code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
}
