package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/index/ballot"
	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/synth"
	"github.com/sipas-go/sipas/weighting"
)

// qtBallots writes a CSV of the synthetic survey of the given years (63
// provinces, 2 PSUs of 4 ballots each per stratum) with two flags added,
// responded (false on every 7th data line) and returned (false on every
// 3rd line that did not respond), and three faulty rows per year: a
// duplicate ballot id, an invalid code (7 in access_1) and an unknown
// province.
func qtBallots(t *testing.T, dir, name string, years ...int) string {
	t.Helper()
	var b strings.Builder
	for k, y := range years {
		rb, _, err := synth.Survey(synth.SurveyConfig{Seed: 11, Year: y, PSUsPerStratum: 2, BallotsPerPSU: 4}, memory.DefaultAllocator)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, fmt.Sprintf("raw%d.csv", y))
		err = arrowio.WriteRecord(p, rb)
		rb.Release()
		if err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
		head := strings.Split(lines[0], ",")
		col := func(name string) int {
			i := slices.Index(head, name)
			if i < 0 {
				t.Fatalf("synthetic survey has no column %q", name)
			}
			return i
		}
		if k == 0 {
			b.WriteString(lines[0] + ",responded,returned\n")
		}
		for i, l := range lines[1:] {
			n := i + 1
			cells := strings.Split(l, ",")
			switch n {
			case 5: // duplicate of line 4's ballot id
				cells[col("ballot_id")] = strings.Split(lines[4], ",")[col("ballot_id")]
			case 10:
				cells[col("access_1")] = "7"
			case 15:
				cells[col("province")] = "Atlantis"
			}
			responded := n%7 != 0
			returned := responded || n%3 != 0
			fmt.Fprintf(&b, "%s,%t,%t\n", strings.Join(cells, ","), responded, returned)
		}
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// qtValidate runs `sipas validate` of in into clean and exc and returns
// the counts it printed.
func qtValidate(t *testing.T, in, clean, exc string) map[string]int {
	t.Helper()
	code, stdout, stderr := vtRun(t, "", "validate", "--in", in, "--out", clean, "--excluded", exc, "--show", "0")
	if code != 0 {
		t.Fatalf("validate: exit %d\n%s\n%s", code, stdout, stderr)
	}
	return qtCounts(t, stdout)
}

// qtCounts reads the counts `sipas validate` printed.
func qtCounts(t *testing.T, stdout string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, label := range []string{"rows in", "rows used", "rows excluded"} {
		m := regexp.MustCompile(`(?m)^` + label + `\s+(\d+)$`).FindStringSubmatch(stdout)
		if m == nil {
			t.Fatalf("no %q count in\n%s", label, stdout)
		}
		out[strings.ReplaceAll(label, " ", "_")], _ = strconv.Atoi(m[1])
	}
	for _, m := range regexp.MustCompile(`(?m)^  ([a-z_]+)\s+(\d+) rows`).FindAllStringSubmatch(stdout, -1) {
		out[m[1]], _ = strconv.Atoi(m[2])
	}
	return out
}

// qtTable reads tables/NAME.csv of a report directory (UTF-8 with BOM).
func qtTable(t *testing.T, dir, name string) [][]string {
	t.Helper()
	return readCSV(t, filepath.Join(dir, "tables", name+".csv"))
}

// qtCheckExclusions: the report's exclusions table (reason key, label,
// rows) has exactly the counts validate printed.
func qtCheckExclusions(t *testing.T, repDir string, want map[string]int) {
	t.Helper()
	got := map[string]int{}
	for _, r := range qtTable(t, repDir, "exclusions")[1:] {
		got[r[0]], _ = strconv.Atoi(r[2])
	}
	if len(got) != len(want) {
		t.Errorf("exclusions table %v, validate printed %v", got, want)
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("exclusions table: %s = %d, validate printed %d", k, got[k], n)
		}
	}
}

var qtDesign = []string{"--year-col", "year", "--strata", "stratum", "--psu", "psu", "--draws", "200", "--weight", "weight"}

const qtSpec = `{"design_weight": "weight",
 "steps": [{"nonresponse": {"classes": ["region"], "responded": "responded", "returned": "returned"}}],
 "output": {"weight": "final_weight"}}`

// TestQualityParquetPipeline: validate → weight → report on Parquet. The
// report's data-quality tables show the counts validate printed and the
// response rates by class counted here from the clean table's flags; the
// validation record survives weight (which rebuilds the batch).
func TestQualityParquetPipeline(t *testing.T) {
	dir := t.TempDir()
	in := qtBallots(t, dir, "ballots.csv", 2020)
	clean, exc := filepath.Join(dir, "clean.parquet"), filepath.Join(dir, "excluded.csv")
	counts := qtValidate(t, in, clean, exc)
	if counts["rows_excluded"] != 3 || counts["duplicate_ballot_id"] != 1 || counts["invalid_code"] != 1 || counts["unknown_province"] != 1 {
		t.Fatalf("validate did not exclude the three faulty rows: counts %v", counts)
	}

	spec := writeFile(t, dir, "WEIGHTING.json", qtSpec)
	weighted := filepath.Join(dir, "weighted.parquet")
	if code, stdout, stderr := vtRun(t, "", "weight", "--in", clean, "--spec", spec, "--out", weighted); code != 0 {
		t.Fatalf("weight: exit %d\n%s\n%s", code, stdout, stderr)
	}
	// Both records in the weighted file, the validation one unchanged.
	md := qtMetadata(t, weighted)
	var vm ballot.Record
	if err := json.Unmarshal([]byte(md[ballot.MetadataKey]), &vm); err != nil {
		t.Fatalf("weighted file: %s: %v (%q)", ballot.MetadataKey, err, md[ballot.MetadataKey])
	}
	if len(vm.Years) != 1 || vm.Years[0].Year != 2020 || vm.Years[0].RowsIn != counts["rows_in"] ||
		vm.Years[0].RowsUsed != counts["rows_used"] || vm.Years[0].RowsExcluded != 3 {
		t.Errorf("%s after weight: %+v, validate printed %v", ballot.MetadataKey, vm, counts)
	}
	if cm := qtMetadata(t, clean); cm[ballot.MetadataKey] != md[ballot.MetadataKey] {
		t.Errorf("weight changed %s:\n%s\n%s", ballot.MetadataKey, cm[ballot.MetadataKey], md[ballot.MetadataKey])
	}

	// Response rates by region, counted from the clean table's flags.
	type cnt struct{ issued, returned, valid int }
	want := map[string]*cnt{}
	ct, err := arrowio.ReadAll(clean, arrowio.WithColumns("region", "responded", "returned"))
	if err != nil {
		t.Fatal(err)
	}
	regions, _, _ := arrowio.Strings(ct.Column(0))
	for i, r := range regions {
		c := want[r]
		if c == nil {
			c = &cnt{}
			want[r] = c
		}
		c.issued++
		if ct.Column(1).(*array.Boolean).Value(i) {
			c.valid++
		}
		if ct.Column(2).(*array.Boolean).Value(i) {
			c.returned++
		}
	}
	ct.Release()
	var wm weighting.Record
	if err := json.Unmarshal([]byte(md[weighting.MetadataKey]), &wm); err != nil {
		t.Fatalf("%s: %v (%q)", weighting.MetadataKey, err, md[weighting.MetadataKey])
	}
	if len(wm.Years) != 1 || wm.Years[0].Year != 2020 || wm.Years[0].Issued != counts["rows_used"] {
		t.Errorf("%s: %s", weighting.MetadataKey, md[weighting.MetadataKey])
	}

	// validate keeps the other keys of its input (weight, then validate)
	// and replaces its own.
	again := filepath.Join(dir, "again.parquet")
	if code, stdout, stderr := vtRun(t, "", "validate", "--in", weighted, "--out", again, "--excluded", filepath.Join(dir, "x2.csv")); code != 0 {
		t.Fatalf("validate again: exit %d\n%s\n%s", code, stdout, stderr)
	}
	am := qtMetadata(t, again)
	if am[weighting.MetadataKey] != md[weighting.MetadataKey] || !strings.Contains(am[ballot.MetadataKey], `"rows_excluded":0`) {
		t.Errorf("validate of a weighted file: metadata %v", am)
	}

	rep := filepath.Join(dir, "rep")
	args := append([]string{"report", "--in", weighted, "--out", rep, "--weight", "final_weight"}, qtDesign...)
	code, stdout, stderr := vtRun(t, "", args...)
	if code != 0 {
		t.Fatalf("report: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if stderr != "" {
		t.Errorf("report warned: %s", stderr)
	}
	qtCheckExclusions(t, rep, counts)

	rates := qtTable(t, rep, "response_rates")[1:]
	if len(rates) != len(want) || len(want) < 2 {
		t.Errorf("response_rates.csv has %d classes, the data %d", len(rates), len(want))
	}
	issued, returned := 0, 0
	for _, r := range rates {
		c := want[r[0]]
		if c == nil {
			t.Errorf("response_rates.csv: unknown class %q", r[0])
			continue
		}
		issued += c.issued
		returned += c.returned
		wantRow := []string{r[0], strconv.Itoa(c.issued), strconv.Itoa(c.returned), strconv.Itoa(c.valid),
			strconv.FormatFloat(100*float64(c.returned)/float64(c.issued), 'f', 2, 64),
			strconv.FormatFloat(100*float64(c.valid)/float64(c.issued), 'f', 2, 64)}
		if !slices.Equal(r, wantRow) {
			t.Errorf("response_rates.csv row %v, want %v", r, wantRow)
		}
	}
	page, err := os.ReadFile(filepath.Join(rep, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(page, []byte("Không có thông tin về chất lượng dữ liệu.")) {
		t.Error("the page says there is no data-quality record")
	}
	for _, s := range []string{
		fmt.Sprintf("<tr><td class=\"l\">Phiếu nhận về</td><td>%d</td></tr>", counts["rows_in"]),
		fmt.Sprintf("<tr><td class=\"l\">Phiếu phát ra</td><td>%d</td></tr>", issued),
		fmt.Sprintf("<tr><td class=\"l\">Phiếu thu về</td><td>%d</td></tr>", returned),
		fmt.Sprintf("<tr><td class=\"l\">Phiếu sử dụng</td><td>%d</td></tr>", counts["rows_used"]),
		"<tr><td class=\"l\">Trùng mã phiếu</td><td>1</td></tr>",
	} {
		if !bytes.Contains(page, []byte(s)) {
			t.Errorf("the page lacks %q", s)
		}
	}
}

// qtMetadata returns the schema metadata of a table file.
func qtMetadata(t *testing.T, path string) map[string]string {
	t.Helper()
	r, err := arrowio.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	md := r.Schema().Metadata()
	out := map[string]string{}
	for i, k := range md.Keys() {
		out[k] = md.Values()[i]
	}
	return out
}

// TestQualityIPCByYear: one Arrow IPC file of two years; validate records
// each year's counts apart and the report's ballot accounting by year
// shows them (rows used = the year's rows in the clean file).
func TestQualityIPCByYear(t *testing.T) {
	dir := t.TempDir()
	in := qtBallots(t, dir, "ballots.csv", 2019, 2020)
	clean, exc := filepath.Join(dir, "clean.arrow"), filepath.Join(dir, "excluded.csv")
	counts := qtValidate(t, in, clean, exc)
	var vm ballot.Record
	if err := json.Unmarshal([]byte(qtMetadata(t, clean)[ballot.MetadataKey]), &vm); err != nil {
		t.Fatal(err)
	}
	if len(vm.Years) != 2 || vm.Years[0].Year != 2019 || vm.Years[1].Year != 2020 {
		t.Fatalf("%s: %+v, want one entry per year", ballot.MetadataKey, vm)
	}
	sum := map[string]int{}
	for _, y := range vm.Years {
		sum["rows_in"] += y.RowsIn
		sum["rows_used"] += y.RowsUsed
		sum["rows_excluded"] += y.RowsExcluded
		for _, r := range y.Excluded {
			sum[r.Reason] += r.Rows
		}
		if y.RowsExcluded != 3 { // the three faulty rows of each year
			t.Errorf("year %d: %d rows excluded, want 3", y.Year, y.RowsExcluded)
		}
	}
	if fmt.Sprint(sum) != fmt.Sprint(counts) {
		t.Errorf("years sum to %v, validate printed %v", sum, counts)
	}
	// the excluded CSV's sidecar names the same inputs (a Parquet excluded
	// table has them in its metadata), so its rows trace to the ballots
	emd, ok, err := arrowio.ReadSidecar(exc)
	if err != nil || !ok {
		t.Fatalf("sidecar of %s: ok %v, %v", exc, ok, err)
	}
	if ins, ok, err := arrowio.ReadInputs(emd); !ok || err != nil || len(ins) == 0 || ins[0].Name != in {
		t.Errorf("excluded sidecar inputs %v (%v, %v), want the ballots first", ins, ok, err)
	}
	rep := filepath.Join(dir, "rep")
	args := append([]string{"report", "--in", clean, "--out", rep, "--lang", "en"}, qtDesign...)
	if code, stdout, stderr := vtRun(t, "", args...); code != 0 || stderr != "" {
		t.Fatalf("report: exit %d\n%s\n%s", code, stdout, stderr)
	}
	page, err := os.ReadFile(filepath.Join(rep, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, y := range vm.Years {
		row := fmt.Sprintf("<tr><td>%d</td><td>–</td><td>–</td><td>–</td><td>%d</td><td>%d</td><td>%d</td></tr>", y.Year, y.RowsIn, y.RowsUsed, y.RowsExcluded)
		if !bytes.Contains(page, []byte(row)) {
			t.Errorf("the page lacks the accounting row %s", row)
		}
	}
	qtCheckExclusions(t, rep, map[string]int{"rows_in": vm.Years[1].RowsIn, "rows_used": vm.Years[1].RowsUsed,
		"rows_excluded": 3, "duplicate_ballot_id": 1, "invalid_code": 1, "unknown_province": 1})

	// Weighting both years at once: with the year among the nonresponse
	// classes the rates are split by year (labels without the year);
	// without it the report cannot split them and warns.
	returnedBy := map[int]int{}
	ct, err := arrowio.ReadAll(clean, arrowio.WithColumns("year", "returned"))
	if err != nil {
		t.Fatal(err)
	}
	ys, _, _ := arrowio.Ints(ct.Column(0))
	for i, y := range ys {
		if ct.Column(1).(*array.Boolean).Value(i) {
			returnedBy[int(y)]++
		}
	}
	ct.Release()
	for _, c := range []struct {
		classes string
		split   bool
	}{{`["year", "region"]`, true}, {`["region"]`, false}} {
		spec := writeFile(t, dir, "W.json", strings.Replace(qtSpec, `["region"]`, c.classes, 1))
		weighted := filepath.Join(dir, "weighted.arrow")
		if code, stdout, stderr := vtRun(t, "", "weight", "--in", clean, "--spec", spec, "--out", weighted); code != 0 {
			t.Fatalf("weight: exit %d\n%s\n%s", code, stdout, stderr)
		}
		args := append([]string{"report", "--in", weighted, "--out", rep, "--lang", "en", "--weight", "final_weight"}, qtDesign...)
		code, stdout, stderr := vtRun(t, "", args...)
		if code != 0 {
			t.Fatalf("report: exit %d\n%s\n%s", code, stdout, stderr)
		}
		page, err := os.ReadFile(filepath.Join(rep, "index.html"))
		if err != nil {
			t.Fatal(err)
		}
		for _, y := range vm.Years {
			issued, returned := "–", "–"
			if c.split {
				issued, returned = strconv.Itoa(y.RowsUsed), strconv.Itoa(returnedBy[y.Year])
			}
			row := fmt.Sprintf("<tr><td>%d</td><td>%s</td><td>%s</td>", y.Year, issued, returned)
			if !bytes.Contains(page, []byte(row)) {
				t.Errorf("classes %s: the page lacks the accounting row %s", c.classes, row)
			}
		}
		if warned := strings.Contains(stderr, "no response rates for year"); warned == c.split {
			t.Errorf("classes %s: stderr %q", c.classes, stderr)
		}
		if c.split {
			rates := qtTable(t, rep, "response_rates")
			if len(rates) < 3 || strings.Contains(rates[1][0], "2020") {
				t.Errorf("classes %s: response_rates.csv %v: want the regions of 2020 without the year", c.classes, rates)
			}
		}
	}
}

// TestQualityCSVExcluded: --excluded gives the exclusion counts, rows
// used being the rows of --in.
func TestQualityCSVExcluded(t *testing.T) {
	dir := t.TempDir()
	in := qtBallots(t, dir, "ballots.csv", 2020)
	clean, exc := filepath.Join(dir, "clean.csv"), filepath.Join(dir, "excluded.csv")
	counts := qtValidate(t, in, clean, exc)
	rep := filepath.Join(dir, "rep")
	args := append([]string{"report", "--in", clean, "--excluded", exc, "--out", rep}, qtDesign...)
	if code, stdout, stderr := vtRun(t, "", args...); code != 0 {
		t.Fatalf("report: exit %d\n%s\n%s", code, stdout, stderr)
	}
	qtCheckExclusions(t, rep, counts)

	// one --excluded per --in
	args = append([]string{"report", "--in", clean, "--excluded", exc, "--excluded", exc, "--out", rep}, qtDesign...)
	if code, _, stderr := vtRun(t, "", args...); code != 2 || !strings.Contains(stderr, "one per --in") {
		t.Errorf("two --excluded for one --in: exit %d, %s", code, stderr)
	}
	// without --excluded and without its sidecar the CSV has no record
	if err := os.Remove(clean + ".sipas.json"); err != nil {
		t.Fatal(err)
	}
	rep2 := filepath.Join(dir, "rep2")
	args = append([]string{"report", "--in", clean, "--out", rep2}, qtDesign...)
	if code, _, stderr := vtRun(t, "", args...); code != 0 {
		t.Fatalf("report: exit %d: %s", code, stderr)
	}
	if page, _ := os.ReadFile(filepath.Join(rep2, "index.html")); !bytes.Contains(page, []byte("Không có thông tin về chất lượng dữ liệu.")) {
		t.Error("a CSV without --excluded: the page does not say there is no data-quality record")
	}
}

// TestQualityCSVSidecar: a CSV clean table has its sipas.validation
// record in its sidecar, written with the clean and excluded tables (whose
// CSV has a sidecar of its inputs) as one set; sipas weight keeps it, and sipas report reads it without
// --excluded. A failed run writes none of the three.
func TestQualityCSVSidecar(t *testing.T) {
	dir := t.TempDir()
	in := qtBallots(t, dir, "ballots.csv", 2020)
	clean, exc := filepath.Join(dir, "clean.csv"), filepath.Join(dir, "excluded.csv")
	counts := qtValidate(t, in, clean, exc)
	md, ok, err := arrowio.ReadSidecar(clean)
	if err != nil || !ok {
		t.Fatalf("sidecar of %s: ok %v, %v", clean, ok, err)
	}
	r, err := ballot.RecordFrom(md)
	if err != nil || r == nil || r.For(2020, 1) == nil || r.For(2020, 1).RowsIn != counts["rows_in"] {
		t.Fatalf("sidecar record %+v, %v; want the counts %v", r, err, counts)
	}
	if ins, ok, err := arrowio.ReadInputs(md); !ok || err != nil || len(ins) == 0 || ins[0].Name != in {
		t.Errorf("sidecar inputs %v (%v, %v), want the ballots first", ins, ok, err)
	}
	// the excluded CSV's sidecar names the same inputs (a Parquet excluded
	// table has them in its metadata), so its rows trace to the ballots
	emd, ok, err := arrowio.ReadSidecar(exc)
	if err != nil || !ok {
		t.Fatalf("sidecar of %s: ok %v, %v", exc, ok, err)
	}
	if ins, ok, err := arrowio.ReadInputs(emd); !ok || err != nil || len(ins) == 0 || ins[0].Name != in {
		t.Errorf("excluded sidecar inputs %v (%v, %v), want the ballots first", ins, ok, err)
	}
	rep := filepath.Join(dir, "rep")
	args := append([]string{"report", "--in", clean, "--out", rep, "--lang", "en"}, qtDesign...)
	if code, stdout, stderr := vtRun(t, "", args...); code != 0 {
		t.Fatalf("report: exit %d\n%s\n%s", code, stdout, stderr)
	}
	qtCheckExclusions(t, rep, counts)

	// sipas weight keeps the record in its CSV output's sidecar, and adds
	// the calibrated totals its trimming broke, which the report shows
	// (the regions' mean weights 10, 14, 18, ...; trimmed at 5 times the
	// median)
	tab, err := arrowio.ReadAll(clean, arrowio.WithColumns("region"), arrowio.WithTypes(map[string]arrow.DataType{"region": arrow.BinaryTypes.String}))
	if err != nil {
		t.Fatal(err)
	}
	regions, _, _ := arrowio.Strings(tab.Column(0))
	tab.Release()
	var order []string
	n := map[string]int{}
	for _, r := range regions {
		if n[r]++; n[r] == 1 {
			order = append(order, r)
		}
	}
	var totals []string
	for i, r := range order {
		totals = append(totals, fmt.Sprintf("%q: %d", r, n[r]*(10+4*i)))
	}
	spec := writeFile(t, dir, "W.json", `{"design_weight": "weight", "steps": [
		{"poststratify": {"by": ["region"], "totals": {`+strings.Join(totals, ", ")+`}}},
		{"trim": {"max": 5, "relative_to": "median"}}], "output": {"weight": "final_weight"}}`)
	weighted := filepath.Join(dir, "weighted.csv")
	if code, stdout, stderr := vtRun(t, "", "weight", "--in", clean, "--spec", spec, "--out", weighted); code != 0 {
		t.Fatalf("weight: exit %d\n%s\n%s", code, stdout, stderr)
	}
	wmd, _, err := arrowio.ReadSidecar(weighted)
	if r2, _ := ballot.RecordFrom(wmd); err != nil || r2 == nil || r2.For(2020, 1).RowsIn != counts["rows_in"] {
		t.Errorf("weighted sidecar record %+v, %v", r2, err)
	}
	wr, err := weighting.RecordFrom(wmd)
	if err != nil || wr == nil || len(wr.Misses) == 0 || len(wr.Misses) != len(wr.Warnings) || wr.Misses[0].Step != "steps[0].poststratify" {
		t.Fatalf("weighting record %+v, %v; want the missed totals", wr, err)
	}
	rep = filepath.Join(dir, "rep-w")
	args = append([]string{"report", "--in", weighted, "--out", rep}, qtDesign...)
	args[len(args)-1] = "final_weight"
	if code, stdout, stderr := vtRun(t, "", args...); code != 0 {
		t.Fatalf("report: exit %d\n%s\n%s", code, stdout, stderr)
	}
	page, _ := os.ReadFile(filepath.Join(rep, "index.html"))
	m := wr.Misses[0]
	for _, want := range []string{"Cảnh báo về quyền số", "bước 1 (hậu phân tầng)", "bước 2 (cắt quyền số)", "“region”",
		"<td class=\"l\">" + m.Class + "</td>"} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("the report of the weighted CSV lacks %q", want)
		}
	}

	// a failed run (an unknown questionnaire) writes none of the set
	out2, exc2 := filepath.Join(dir, "c2.csv"), filepath.Join(dir, "e2.csv")
	if code, _, _ := vtRun(t, "", "validate", "--in", in, "--questionnaire", "nope", "--out", out2, "--excluded", exc2); code != 2 {
		t.Errorf("unknown questionnaire: exit %d, want 2", code)
	}
	for _, p := range []string{out2, out2 + ".sipas.json", exc2, exc2 + ".sipas.json"} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("a failed run left %s", p)
		}
	}
}

// TestQualityMetadataMissingOrBad: a Parquet file without the keys gives
// the "no information" note; malformed JSON under sipas.validation is bad
// input (exit 2) naming the file and the key.
func TestQualityMetadataMissingOrBad(t *testing.T) {
	dir := t.TempDir()
	rec, _, err := synth.Survey(synth.SurveyConfig{Seed: 11, Year: 2020, PSUsPerStratum: 2, BallotsPerPSU: 4}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	plain := filepath.Join(dir, "plain.parquet")
	if err := arrowio.WriteRecord(plain, rec); err != nil {
		t.Fatal(err)
	}
	rep := filepath.Join(dir, "rep")
	args := append([]string{"report", "--in", plain, "--out", rep, "--lang", "en"}, qtDesign...)
	if code, _, stderr := vtRun(t, "", args...); code != 0 {
		t.Fatalf("report: exit %d: %s", code, stderr)
	}
	if page, _ := os.ReadFile(filepath.Join(rep, "index.html")); !bytes.Contains(page, []byte("No data quality record.")) {
		t.Error("a file without metadata: the page does not say there is no data-quality record")
	}

	for _, c := range []struct{ key, val, want string }{
		{ballot.MetadataKey, `{"version":1,"years":[{"year":2020,"rows_in":`, "is not valid JSON"},
		{weighting.MetadataKey, `{"version":2,"years":[]}`, "has version 2"},
	} {
		md := arrow.NewMetadata([]string{c.key}, []string{c.val})
		bad := withMetadata(rec, md)
		p := filepath.Join(dir, "bad.parquet")
		err := arrowio.WriteRecord(p, bad)
		bad.Release()
		if err != nil {
			t.Fatal(err)
		}
		args := append([]string{"report", "--in", p, "--out", filepath.Join(dir, "rep3")}, qtDesign...)
		code, _, stderr := vtRun(t, "", args...)
		if code != 2 || !strings.Contains(stderr, p) || !strings.Contains(stderr, c.key) || !strings.Contains(stderr, c.want) {
			t.Errorf("%s = %s: exit %d, stderr %q; want exit 2 naming the file and the key", c.key, c.val, code, stderr)
		}
	}
}

// TestQualityNoYearColumn: ballots without a year column validated with
// --year record that year; the report, which then sees one survey of
// unknown year, still takes the file's single entry.
func TestQualityNoYearColumn(t *testing.T) {
	dir := t.TempDir()
	in := qtBallots(t, dir, "ballots.csv", 2020)
	rec, err := arrowio.ReadAll(in, arrowio.WithTypes(map[string]arrow.DataType{"ballot_id": arrow.BinaryTypes.String}))
	if err != nil {
		t.Fatal(err)
	}
	yi := rec.Schema().FieldIndices("year")[0]
	fields := slices.Delete(slices.Clone(rec.Schema().Fields()), yi, yi+1)
	cols := slices.Delete(slices.Clone(rec.Columns()), yi, yi+1)
	noYear := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, rec.NumRows())
	rec.Release()
	src := filepath.Join(dir, "noyear.parquet")
	err = arrowio.WriteRecord(src, noYear)
	noYear.Release()
	if err != nil {
		t.Fatal(err)
	}
	clean := filepath.Join(dir, "clean.parquet")
	code, stdout, stderr := vtRun(t, "", "validate", "--in", src, "--year", "2020", "--out", clean, "--excluded", filepath.Join(dir, "x.csv"), "--show", "0")
	if code != 0 {
		t.Fatalf("validate: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if m := qtMetadata(t, clean)[ballot.MetadataKey]; !strings.Contains(m, `"year":2020`) {
		t.Errorf("%s = %s: want year 2020 from --year", ballot.MetadataKey, m)
	}
	rep := filepath.Join(dir, "rep")
	args := []string{"report", "--in", clean, "--out", rep, "--strata", "stratum", "--psu", "psu", "--draws", "200", "--weight", "weight"}
	if code, stdout, stderr := vtRun(t, "", args...); code != 0 || stderr != "" {
		t.Fatalf("report: exit %d\n%s\n%s", code, stdout, stderr)
	}
	qtCheckExclusions(t, rep, qtCounts(t, stdout))
}
