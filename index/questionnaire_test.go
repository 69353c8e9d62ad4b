package index

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDefaultQuestionnaire(t *testing.T) {
	q := DefaultQuestionnaire()
	if q.ID != "sipas-2017" {
		t.Errorf("id = %q", q.ID)
	}
	// METHODOLOGY §2: the column names are the contract.
	want := map[string][]string{
		"access":     {"access_1", "access_2", "access_3", "access_4"},
		"procedures": {"procedures_1", "procedures_2", "procedures_3", "procedures_4", "procedures_5"},
		"officials":  {"officials_1", "officials_2", "officials_3", "officials_4", "officials_5", "officials_6"},
		"outcomes":   {"outcomes_1", "outcomes_2", "outcomes_3"},
		"feedback":   {"feedback_1", "feedback_2", "feedback_3", "feedback_4"},
	}
	order := []string{"access", "procedures", "officials", "outcomes", "feedback"}
	if len(q.Elements) != 5 || len(q.Criteria) != 22 {
		t.Fatalf("%d elements, %d criteria; want 5, 22", len(q.Elements), len(q.Criteria))
	}
	var allCols []string
	for i, e := range q.Elements {
		if e.ID != order[i] {
			t.Errorf("elements[%d] = %q, want %q", i, e.ID, order[i])
		}
		if e.Weight != 0.2 {
			t.Errorf("element %s weight %v, want 0.2", e.ID, e.Weight)
		}
		if e.Label.VI == "" || e.Label.EN == "" {
			t.Errorf("element %s lacks a label: %+v", e.ID, e.Label)
		}
		cs := q.CriteriaOf(e.ID)
		if len(cs) != len(want[e.ID]) {
			t.Fatalf("element %s: %d criteria, want %d", e.ID, len(cs), len(want[e.ID]))
		}
		for k, c := range cs {
			if c.Column != want[e.ID][k] {
				t.Errorf("element %s criterion %d = %q, want %q", e.ID, k, c.Column, want[e.ID][k])
			}
			// a_c = 1/K_e (equal weights, filled by Validate from omitted weights).
			if c.Weight != 1/float64(len(cs)) {
				t.Errorf("%s weight %v, want 1/%d", c.Column, c.Weight, len(cs))
			}
			if c.Label.VI == "" || c.Label.EN == "" {
				t.Errorf("%s lacks a label", c.Column)
			}
		}
		allCols = append(allCols, want[e.ID]...)
	}
	if got := strings.Join(q.Columns(), ","); got != strings.Join(allCols, ",") {
		t.Errorf("Columns() = %s", got)
	}
	if len(q.Expectations) != 7 {
		t.Errorf("%d expectation items, want 7", len(q.Expectations))
	}
	for i, x := range q.Expectations {
		if x.Column != "expect_"+string(rune('1'+i)) || x.Label.VI == "" || x.Label.EN == "" {
			t.Errorf("expectations[%d] = %+v", i, x)
		}
	}
	for code, kind := range map[int64]CodeKind{1: Valid, 3: Valid, 5: Valid, 0: MissingCode, 9: MissingCode, 6: Invalid, -1: Invalid, 8: Invalid, 99: Invalid} {
		if got := q.CodeKind(code); got != kind {
			t.Errorf("CodeKind(%d) = %v, want %v", code, got, kind)
		}
	}
	for code, sat := range map[int64]bool{1: false, 3: false, 4: true, 5: true, 9: false} {
		if q.IsSatisfied(code) != sat {
			t.Errorf("IsSatisfied(%d) != %v", code, sat)
		}
	}
	// A fresh copy each time.
	q.Criteria[0].Column = "x"
	if DefaultQuestionnaire().Criteria[0].Column != "access_1" {
		t.Error("DefaultQuestionnaire shares state between calls")
	}
}

// The default questionnaire round-trips through JSON and validates.
func TestQuestionnaireRoundTrip(t *testing.T) {
	q := DefaultQuestionnaire()
	b, err := json.Marshal(q)
	if err != nil {
		t.Fatal(err)
	}
	q2, err := ParseQuestionnaire(strings.NewReader(string(b)), "rt.json")
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := json.Marshal(q2)
	if string(b) != string(b2) {
		t.Errorf("round trip differs:\n%s\n%s", b, b2)
	}
}

func TestLoadQuestionnaire(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "q.json")
	if err := os.WriteFile(p, []byte("\xef\xbb\xbf"+minimalQ), 0o644); err != nil {
		t.Fatal(err)
	}
	q, err := LoadQuestionnaire(p)
	if err != nil {
		t.Fatal(err)
	}
	// Omitted weights: 1/2 per element, 1/2 and 1 per criterion.
	if q.Elements[0].Weight != 0.5 || q.Elements[1].Weight != 0.5 {
		t.Errorf("element weights %v %v", q.Elements[0].Weight, q.Elements[1].Weight)
	}
	if q.Criteria[0].Weight != 0.5 || q.Criteria[1].Weight != 0.5 || q.Criteria[2].Weight != 1 {
		t.Errorf("criterion weights %+v", q.Criteria)
	}
	_, err = LoadQuestionnaire(filepath.Join(dir, "nope.json"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// minimalQ is testdata/mini.json (shared with package ballot's tests): two
// elements, three criteria on a 1..5 scale, missing codes 0 and 9, one
// expectation item.
var minimalQ = func() string {
	b, err := os.ReadFile("testdata/mini.json")
	if err != nil {
		panic(err)
	}
	return string(b)
}()

// edit applies a JSON edit to minimalQ by decoding into a generic map.
func editQ(t *testing.T, f func(m map[string]any)) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(minimalQ), &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseQuestionnaireErrors(t *testing.T) {
	crit := func(m map[string]any, i int) map[string]any { return m["criteria"].([]any)[i].(map[string]any) }
	elem := func(m map[string]any, i int) map[string]any { return m["elements"].([]any)[i].(map[string]any) }
	cases := []struct {
		name string
		json string
		want []string // substrings of the message
	}{
		{"empty", "  \n", []string{"empty file"}},
		{"syntax", "{\n  \"id\": \"x\",,\n}", []string{"line 2, column", "syntax error"}},
		{"truncated", `{"id": "x", "scale": {`, []string{"truncated"}},
		{"trailing", minimalQ + " {}", []string{"unexpected data after"}},
		{"unknown field", editQ(t, func(m map[string]any) { m["weights"] = 1 }), []string{`unknown field "weights"`, "known fields are"}},
		{"unknown nested field", editQ(t, func(m map[string]any) { crit(m, 0)["colum"] = "z" }), []string{`unknown field "colum"`}},
		{"wrong type", editQ(t, func(m map[string]any) { crit(m, 1)["weight"] = "half" }), []string{"criteria.weight", "expected a number, got JSON string"}},
		{"empty id", editQ(t, func(m map[string]any) { m["id"] = "" }), []string{"id: empty"}},
		{"scale reversed", editQ(t, func(m map[string]any) { m["scale"] = map[string]any{"min": 5, "max": 1} }), []string{"scale: min 5 must be less than max 1"}},
		{"scale too wide", editQ(t, func(m map[string]any) { m["scale"] = map[string]any{"min": 1, "max": 200} }), []string{"scale: range 1..200: scale codes must lie within -127..127"}},
		{"no satisfied", editQ(t, func(m map[string]any) { m["satisfied_codes"] = []int{} }), []string{"satisfied_codes: empty"}},
		{"satisfied outside", editQ(t, func(m map[string]any) { m["satisfied_codes"] = []int{5, 6} }), []string{"satisfied_codes[1]: code 6 is outside the scale 1..5"}},
		{"missing inside", editQ(t, func(m map[string]any) { m["missing_codes"] = []int{0, 3} }), []string{"missing_codes[1]: code 3 is inside the scale 1..5"}},
		{"duplicate code", editQ(t, func(m map[string]any) { m["missing_codes"] = []int{9, 9} }), []string{"missing_codes[1]: code 9 listed twice (also missing_codes[0])"}},
		{"no elements", editQ(t, func(m map[string]any) { m["elements"] = []any{}; m["criteria"] = []any{} }), []string{"elements: empty"}},
		{"duplicate element", editQ(t, func(m map[string]any) { elem(m, 1)["id"] = "a" }), []string{`elements[1].id: duplicate element id "a" (also elements[0])`}},
		{"empty element", editQ(t, func(m map[string]any) { crit(m, 2)["element"] = "a" }), []string{`elements[1]: element "b" has no criteria`}},
		{"unknown element", editQ(t, func(m map[string]any) { crit(m, 2)["element"] = "bb" }), []string{`criteria[2].element: unknown element "bb"; elements are a, b`}},
		{"duplicate column", editQ(t, func(m map[string]any) { crit(m, 1)["column"] = "a_1" }), []string{`criteria[1].column: duplicate column "a_1" (also criteria[0].column)`}},
		{"expectation collides", editQ(t, func(m map[string]any) { m["expectations"].([]any)[0].(map[string]any)["column"] = "b_1" }), []string{`expectations[0].column: duplicate column "b_1"`}},
		{"empty column", editQ(t, func(m map[string]any) { crit(m, 0)["column"] = " " }), []string{"criteria[0].column: empty"}},
		{"no label", editQ(t, func(m map[string]any) { crit(m, 0)["label"] = map[string]any{} }), []string{"criteria[0].label: no label"}},
		{"element weights sum", editQ(t, func(m map[string]any) { elem(m, 0)["weight"] = 0.6; elem(m, 1)["weight"] = 0.6 }),
			[]string{"elements: weights sum to 1.2", "divide each by 1.2"}},
		{"criterion weights sum", editQ(t, func(m map[string]any) { crit(m, 0)["weight"] = 0.5; crit(m, 1)["weight"] = 0.4 }),
			[]string{`criteria of element "a": weights sum to 0.9`}},
		{"partial weights", editQ(t, func(m map[string]any) { crit(m, 0)["weight"] = 1 }),
			[]string{"criteria[1].weight: weight is 0 (or omitted) while other criteria"}},
		{"negative weight", editQ(t, func(m map[string]any) { elem(m, 0)["weight"] = -0.5; elem(m, 1)["weight"] = 1.5 }),
			[]string{"elements[0].weight: weight -0.5 must be positive"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q, err := ParseQuestionnaire(strings.NewReader(c.json), "q.json")
			if err == nil {
				t.Fatalf("no error; got %+v", q)
			}
			if !errors.Is(err, ErrQuestionnaire) {
				t.Errorf("error does not wrap ErrQuestionnaire: %v", err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "questionnaire q.json") {
				t.Errorf("message does not name the file: %s", msg)
			}
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q lacks %q", msg, w)
				}
			}
		})
	}
}

// Several problems are all reported.
func TestValidateReportsAll(t *testing.T) {
	q := DefaultQuestionnaire()
	q.ID = ""
	q.Criteria[3].Element = "acess"
	q.Missing = append(q.Missing, 2)
	err := q.Validate()
	var qe *QuestionnaireError
	if !errors.As(err, &qe) {
		t.Fatalf("got %v", err)
	}
	// The fourth: access has lost a criterion, so its 1/4 weights sum to 3/4.
	if len(qe.Problems) != 4 || !strings.Contains(err.Error(), `criteria of element "access": weights sum to 0.75`) {
		t.Errorf("%d problems, want 4: %v", len(qe.Problems), err)
	}
	if !strings.Contains(err.Error(), `criteria[3].element: unknown element "acess"; elements are access, procedures, officials, outcomes, feedback`) {
		t.Errorf("message: %v", err)
	}
}

// Weights that sum to 1 within 1e-9 are accepted (thirds written with 17
// digits sum to 1 - 1.1e-16).
func TestWeightTolerance(t *testing.T) {
	q := DefaultQuestionnaire()
	for i := range q.Elements {
		q.Elements[i].Weight = 0.2
	}
	q.Elements[0].Weight = 0.2 + 5e-10
	if err := q.Validate(); err != nil {
		t.Errorf("within tolerance: %v", err)
	}
	q.Elements[0].Weight = 0.2 + 2e-9
	if err := q.Validate(); err == nil {
		t.Error("outside tolerance accepted")
	}
	sum := 0.0
	for _, c := range DefaultQuestionnaire().CriteriaOf("officials") {
		sum += c.Weight
	}
	if math.Abs(sum-1) > 1e-15 {
		t.Errorf("officials weights sum to %v", sum)
	}
}

func TestBuiltinQuestionnaire(t *testing.T) {
	ids := BuiltinQuestionnaires()
	if len(ids) == 0 || ids[0] != "sipas-2017" {
		t.Errorf("built-ins %v", ids)
	}
	if _, err := BuiltinQuestionnaire("nope"); err == nil || !strings.Contains(err.Error(), "sipas-2017") {
		t.Errorf("unknown built-in: %v", err)
	}
}
