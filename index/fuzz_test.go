package index

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"testing"
)

// FuzzParseQuestionnaire checks that ParseQuestionnaire never panics, that
// every error it returns for data is a *QuestionnaireError, and that an
// accepted questionnaire satisfies the invariants Validate promises and
// survives a JSON round trip. Seeds: testdata/fuzz/FuzzParseQuestionnaire
// and the embedded questionnaires.
func FuzzParseQuestionnaire(f *testing.F) {
	for _, id := range BuiltinQuestionnaires() {
		b, err := builtinFS.ReadFile("questionnaires/" + id + ".json")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(minimalQ))
	f.Fuzz(func(t *testing.T, data []byte) {
		q, err := ParseQuestionnaire(bytes.NewReader(data), "fuzz.json")
		if err != nil {
			var qe *QuestionnaireError
			if !errors.As(err, &qe) || len(qe.Problems) == 0 {
				t.Fatalf("error is not a *QuestionnaireError with problems: %T %v", err, err)
			}
			_ = err.Error()
			return
		}
		checkInvariants(t, q)
		b, err := json.Marshal(q)
		if err != nil {
			t.Fatalf("marshal accepted questionnaire: %v", err)
		}
		q2, err := ParseQuestionnaire(bytes.NewReader(b), "again.json")
		if err != nil {
			t.Fatalf("accepted questionnaire does not parse again: %v\n%s", err, b)
		}
		b2, _ := json.Marshal(q2)
		if !bytes.Equal(b, b2) {
			t.Fatalf("round trip differs:\n%s\n%s", b, b2)
		}
	})
}

func checkInvariants(t *testing.T, q *Questionnaire) {
	t.Helper()
	if q.ID == "" || q.Scale.Min >= q.Scale.Max || q.Scale.Min < -127 || q.Scale.Max > 127 || len(q.Satisfied) == 0 || len(q.Elements) == 0 {
		t.Fatalf("accepted invalid header: %+v", q)
	}
	for _, s := range q.Satisfied {
		if q.CodeKind(int64(s)) != Valid {
			t.Fatalf("satisfied code %d not valid", s)
		}
	}
	for _, m := range q.Missing {
		if q.CodeKind(int64(m)) != MissingCode {
			t.Fatalf("missing code %d not missing", m)
		}
	}
	sum := 0.0
	for _, e := range q.Elements {
		if !(e.Weight > 0) {
			t.Fatalf("element %q weight %v", e.ID, e.Weight)
		}
		sum += e.Weight
		cs := q.CriteriaOf(e.ID)
		if len(cs) == 0 {
			t.Fatalf("element %q without criteria", e.ID)
		}
		cw := 0.0
		for _, c := range cs {
			cw += c.Weight
		}
		if math.Abs(cw-1) > 2e-9 {
			t.Fatalf("element %q criterion weights sum %v", e.ID, cw)
		}
	}
	if math.Abs(sum-1) > 2e-9 {
		t.Fatalf("element weights sum %v", sum)
	}
	seen := map[string]bool{}
	for _, c := range q.Columns() {
		if c == "" || seen[c] {
			t.Fatalf("bad column %q", c)
		}
		seen[c] = true
		if _, ok := q.Element(q.CriteriaOf(q.Criteria[0].Element)[0].Element); !ok {
			t.Fatal("criterion element unknown")
		}
	}
}
