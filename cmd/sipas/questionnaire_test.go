package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sipas-go/sipas/index"
)

// TestQuestionnaireCommand: the template is the built-in questionnaire; a
// file whose answer columns have Vietnamese headers gives the same indices
// with a questionnaire that maps them, and without it the error says how
// to describe the layout.
func TestQuestionnaireCommand(t *testing.T) {
	dir := t.TempDir()
	qPath := filepath.Join(dir, "q.json")
	if code, _, stderr := vtRun(t, "", "questionnaire", "template", "--out", qPath); code != 0 {
		t.Fatalf("template: exit %d %s", code, stderr)
	}
	got, _ := os.ReadFile(qPath)
	want, _ := index.BuiltinQuestionnaireJSON(index.DefaultQuestionnaireID)
	if string(got) != string(want) {
		t.Error("template --out differs from the built-in questionnaire")
	}
	if _, stdout, _ := vtRun(t, "", "questionnaire", "template"); stdout != string(want) {
		t.Error("template to stdout differs from the built-in questionnaire")
	}

	// the fixture with Vietnamese answer headers, and a questionnaire for it
	f, err := os.Open(indexFixture)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	q := index.DefaultQuestionnaire()
	viName := map[string]string{}
	for i := range q.Criteria {
		vi := "câu " + strings.NewReplacer("access", "tiếp cận", "procedures", "thủ tục", "officials", "công chức", "outcomes", "kết quả", "feedback", "góp ý", "_", " ").Replace(q.Criteria[i].Column)
		viName[q.Criteria[i].Column] = vi
		q.Criteria[i].Column = vi
	}
	for i, h := range rows[0] {
		if v, ok := viName[h]; ok {
			rows[0][i] = v
		}
	}
	viCSV := filepath.Join(dir, "phieu.csv")
	vf, _ := os.Create(viCSV)
	w := csv.NewWriter(vf)
	w.WriteAll(rows)
	vf.Close()
	qb, _ := json.Marshal(q)
	qVI := filepath.Join(dir, "q_vi.json")
	os.WriteFile(qVI, qb, 0o644)

	if code, stdout, stderr := vtRun(t, "", "questionnaire", "check", qVI); code != 0 || !strings.Contains(stdout, "câu tiếp cận 1") {
		t.Errorf("check: exit %d %s\n%s", code, stderr, stdout)
	}
	design := []string{"--weight", "weight", "--strata", "stratum", "--psu", "psu", "--by", "level", "--format", "csv"}
	_, base, _ := vtRun(t, "", append([]string{"index", "--in", indexFixture}, design...)...)
	code, vi, stderr := vtRun(t, "", append([]string{"index", "--in", viCSV, "--questionnaire", qVI}, design...)...)
	if code != 0 {
		t.Fatalf("index with the mapping questionnaire: exit %d %s", code, stderr)
	}
	for k, v := range viName {
		base = strings.ReplaceAll(base, ","+k+",", ","+v+",")
	}
	if vi != base {
		t.Error("the indices of the renamed file differ from the original's")
	}
	for _, cmd := range [][]string{
		append([]string{"index", "--in", viCSV}, design...),
		{"validate", "--in", viCSV, "--out", filepath.Join(dir, "c.parquet"), "--excluded", filepath.Join(dir, "x.csv")},
	} {
		code, _, stderr := vtRun(t, "", cmd...)
		if code != 2 || !strings.Contains(stderr, "--questionnaire") || !strings.Contains(stderr, "sipas questionnaire template") {
			t.Errorf("%s without the questionnaire: exit %d, stderr %q", cmd[0], code, stderr)
		}
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"id": "x", "scale": {"min": 1, "max": 5}, "unknown": 1}`), 0o644)
	if code, _, stderr := vtRun(t, "", "questionnaire", "check", bad); code != 2 || !strings.Contains(stderr, "bad.json") {
		t.Errorf("check of a bad file: exit %d %s", code, stderr)
	}
	if code, _, _ := vtRun(t, "", "questionnaire", "template", "--id", "nosuch"); code != 2 {
		t.Errorf("template --id nosuch: exit %d", code)
	}
}
