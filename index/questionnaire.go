package index

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
)

//go:embed questionnaires/*.json
var builtinFS embed.FS

// DefaultQuestionnaireID is the id of the embedded default layout.
const DefaultQuestionnaireID = "sipas-2017"

// Labels are the Vietnamese and English texts of an element, criterion or
// expectation item.
type Labels struct {
	VI string `json:"vi"`
	EN string `json:"en"`
}

// Scale is the closed range of valid answer codes, e.g. 1..5 for a 5-point
// Likert item.
type Scale struct {
	Min int `json:"min"`
	Max int `json:"max"`
}

// Element is one element (yếu tố) of the questionnaire. Weight is b_e in
// S = Σ_e b_e E_e (METHODOLOGY §3); the weights of all elements sum to 1.
type Element struct {
	ID     string  `json:"id"`
	Label  Labels  `json:"label"`
	Weight float64 `json:"weight"`
}

// Criterion is one criterion (tiêu chí): a Likert item stored in Column.
// Weight is a_c in E_e = Σ_{c∈e} a_c P_c, the weight within its element; the
// weights of the criteria of one element sum to 1.
//
// Short is a name of a few words for chart labels ("Đủ chỗ ngồi chờ");
// empty means Label.
type Criterion struct {
	Column  string  `json:"column"`
	Label   Labels  `json:"label"`
	Short   Labels  `json:"short,omitzero"`
	Element string  `json:"element"`
	Weight  float64 `json:"weight"`
}

// Expectation is one expectation item: a 0/1 column marking that the
// respondent picked this improvement area.
type Expectation struct {
	Column string `json:"column"`
	Label  Labels `json:"label"`
}

// Questionnaire is a questionnaire layout as data (METHODOLOGY §2): its
// scale, which codes count as satisfied and which as "no answer", its
// elements and criteria with their weights, and its expectation items.
//
// The JSON form uses the field names in the struct tags, e.g.
//
//	{"id": "sipas-2017", "version": "2017-2020",
//	 "scale": {"min": 1, "max": 5},
//	 "satisfied_codes": [4, 5], "missing_codes": [0, 9],
//	 "elements": [{"id": "access", "label": {"vi": "Tiếp cận dịch vụ", "en": "Access"}, "weight": 0.2}, ...],
//	 "criteria": [{"column": "access_1", "element": "access", "label": {...}, "weight": 0.25}, ...],
//	 "expectations": [{"column": "expect_1", "label": {...}}, ...]}
//
// Omitted weights mean equal weights: when every element weight is 0 (or
// omitted), Validate sets each to 1/E for E elements; when every criterion
// weight of an element is 0, Validate sets each to 1/K_e for the element's
// K_e criteria (the published arithmetic means). Weights given for some but
// not all members of a group are an error, as are weights that do not sum
// to 1 within 1e-9.
type Questionnaire struct {
	ID           string        `json:"id"`
	Version      string        `json:"version"`
	Scale        Scale         `json:"scale"`
	Satisfied    []int         `json:"satisfied_codes"`
	Missing      []int         `json:"missing_codes"`
	Elements     []Element     `json:"elements"`
	Criteria     []Criterion   `json:"criteria"`
	Expectations []Expectation `json:"expectations"`
}

// CodeKind classifies an answer code against a questionnaire.
type CodeKind int

const (
	// Invalid is a code outside the scale that is not a declared missing
	// code: bad input, reported by validation, never coerced.
	Invalid CodeKind = iota
	// Valid is a code inside the scale (v_ic = 1 in METHODOLOGY §3).
	Valid
	// MissingCode is a declared "no answer / not applicable" code (item
	// nonresponse).
	MissingCode
)

func (k CodeKind) String() string {
	switch k {
	case Valid:
		return "valid"
	case MissingCode:
		return "missing"
	case Invalid:
		return "invalid"
	}
	return "CodeKind(" + strconv.Itoa(int(k)) + ")"
}

// weightTolerance is the tolerance on weight sums.
const weightTolerance = 1e-9

// ErrQuestionnaire is wrapped by every error about the content of a
// questionnaire file (errors.Is(err, ErrQuestionnaire)).
var ErrQuestionnaire = errors.New("invalid questionnaire")

// FieldError is one problem in a questionnaire, at a JSON field path such as
// "criteria[3].element".
type FieldError struct {
	Field string
	Msg   string
}

func (e FieldError) String() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}

// QuestionnaireError lists the problems found in a questionnaire. Name is
// the file (or the questionnaire id when it did not come from a file).
type QuestionnaireError struct {
	Name     string
	Problems []FieldError
}

func (e *QuestionnaireError) Error() string {
	var b strings.Builder
	b.WriteString("questionnaire")
	if e.Name != "" {
		fmt.Fprintf(&b, " %s", e.Name)
	}
	switch len(e.Problems) {
	case 0:
		b.WriteString(": invalid")
	case 1:
		b.WriteString(": ")
		b.WriteString(e.Problems[0].String())
	default:
		fmt.Fprintf(&b, ": %d problems:", len(e.Problems))
		for _, p := range e.Problems {
			b.WriteString("\n  ")
			b.WriteString(p.String())
		}
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrQuestionnaire) true.
func (e *QuestionnaireError) Unwrap() error { return ErrQuestionnaire }

// DefaultQuestionnaire returns the SIPAS 2017–2020 layout (METHODOLOGY §2):
// 5 elements, 22 criteria (access_1..4, procedures_1..5, officials_1..6,
// outcomes_1..3, feedback_1..4), the 1..5 scale with 4 and 5 satisfied, 0
// and 9 as missing codes, expectation items expect_1..expect_7, and equal
// weights (1/5 per element, 1/K_e per criterion). Every call returns a new
// copy that the caller may modify.
func DefaultQuestionnaire() *Questionnaire {
	q, err := BuiltinQuestionnaire(DefaultQuestionnaireID)
	if err != nil {
		panic("index: embedded default questionnaire: " + err.Error())
	}
	return q
}

// BuiltinQuestionnaires returns the ids of the embedded questionnaires,
// sorted.
func BuiltinQuestionnaires() []string {
	ents, err := builtinFS.ReadDir("questionnaires")
	if err != nil {
		panic("index: embedded questionnaires: " + err.Error())
	}
	var ids []string
	for _, e := range ents {
		if n, ok := strings.CutSuffix(e.Name(), ".json"); ok {
			ids = append(ids, n)
		}
	}
	sort.Strings(ids)
	return ids
}

// BuiltinQuestionnaire returns a fresh copy of the embedded questionnaire
// with the given id (see BuiltinQuestionnaires).
func BuiltinQuestionnaire(id string) (*Questionnaire, error) {
	b, err := builtinFS.ReadFile("questionnaires/" + id + ".json")
	if err != nil {
		return nil, fmt.Errorf("index: no built-in questionnaire %q; built-in ones are %s", id, strings.Join(BuiltinQuestionnaires(), ", "))
	}
	return ParseQuestionnaire(bytes.NewReader(b), id+".json")
}

// BuiltinQuestionnaireJSON returns the JSON of the embedded questionnaire
// with the given id as it is stored: a starting point for a questionnaire
// of one's own (edit the columns, labels, codes or weights, then load it
// with LoadQuestionnaire).
func BuiltinQuestionnaireJSON(id string) ([]byte, error) {
	b, err := builtinFS.ReadFile("questionnaires/" + id + ".json")
	if err != nil {
		return nil, fmt.Errorf("index: no built-in questionnaire %q; built-in ones are %s", id, strings.Join(BuiltinQuestionnaires(), ", "))
	}
	return b, nil
}

// LoadQuestionnaire reads and validates a questionnaire JSON file (see
// ParseQuestionnaire).
func LoadQuestionnaire(path string) (*Questionnaire, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseQuestionnaire(f, path)
}

// maxQuestionnaireSize bounds the size of a questionnaire file.
const maxQuestionnaireSize = 16 << 20

// ParseQuestionnaire decodes a questionnaire from JSON and validates it.
// Decoding is strict: unknown fields, trailing data and values of the wrong
// type are errors. name (typically the file path) prefixes error messages.
// Every data error is a *QuestionnaireError (errors.Is(err,
// ErrQuestionnaire)); syntax errors give the line and column.
func ParseQuestionnaire(r io.Reader, name string) (*Questionnaire, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxQuestionnaireSize+1))
	if err != nil {
		return nil, fmt.Errorf("questionnaire %s: %w", name, err)
	}
	fail := func(field, format string, a ...any) error {
		return &QuestionnaireError{Name: name, Problems: []FieldError{{Field: field, Msg: fmt.Sprintf(format, a...)}}}
	}
	if len(data) > maxQuestionnaireSize {
		return nil, fail("", "file larger than %d bytes", maxQuestionnaireSize)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fail("", "empty file; expected a JSON object with id, scale, elements and criteria")
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // UTF-8 BOM
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var q Questionnaire
	if err := dec.Decode(&q); err != nil {
		return nil, jsonError(name, data, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		line, col := lineCol(data, dec.InputOffset())
		return nil, fail("", "line %d, column %d: unexpected data after the JSON object", line, col)
	}
	if err := q.validate(name); err != nil {
		return nil, err
	}
	return &q, nil
}

// jsonError turns an encoding/json error into a *QuestionnaireError with a
// position or field path.
func jsonError(name string, data []byte, err error) error {
	qe := &QuestionnaireError{Name: name}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		line, col := lineCol(data, se.Offset)
		qe.Problems = []FieldError{{Msg: fmt.Sprintf("line %d, column %d: JSON syntax error: %s", line, col, strings.TrimPrefix(se.Error(), "json: "))}}
	case errors.As(err, &te):
		line, col := lineCol(data, te.Offset)
		field := te.Field
		if field == "" {
			field = "(top level)"
		}
		qe.Problems = []FieldError{{Field: field, Msg: fmt.Sprintf("line %d, column %d: expected %s, got JSON %s", line, col, jsonTypeName(te.Type.String()), te.Value)}}
	case errors.Is(err, io.ErrUnexpectedEOF):
		qe.Problems = []FieldError{{Msg: "unexpected end of file (truncated JSON)"}}
	default:
		msg := strings.TrimPrefix(err.Error(), "json: ")
		if f, ok := strings.CutPrefix(msg, "unknown field "); ok {
			msg = "unknown field " + f + "; known fields are id, version, scale, satisfied_codes, missing_codes, elements (id, label, weight), criteria (column, label, short, element, weight), expectations (column, label); labels have vi and en"
		}
		qe.Problems = []FieldError{{Msg: msg}}
	}
	return qe
}

func jsonTypeName(goType string) string {
	switch goType {
	case "int", "float64":
		return "a number"
	case "string":
		return "a string"
	case "[]int":
		return "an array of integers"
	}
	if strings.HasPrefix(goType, "[]") {
		return "an array"
	}
	return "an object"
}

// lineCol converts a byte offset into a 1-based line and column.
func lineCol(data []byte, off int64) (line, col int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	if off < 0 {
		off = 0
	}
	pre := data[:off]
	line = 1 + bytes.Count(pre, []byte("\n"))
	col = int(off) - (bytes.LastIndexByte(pre, '\n') + 1) + 1
	return line, col
}

// Validate checks the questionnaire and fills omitted (all-zero) weights
// with equal weights. It reports every problem it finds, each at its JSON
// field path, in a *QuestionnaireError: empty or duplicate ids and columns,
// an element without criteria, a criterion naming an unknown element,
// negative weights, weights that do not sum to 1 (within 1e-9), an empty or
// reversed scale or one reaching outside -127..127 (answers are stored as
// int8 by the estimators), satisfied codes outside the scale, missing codes inside
// it, and duplicate codes.
func (q *Questionnaire) Validate() error { return q.validate(q.ID) }

func (q *Questionnaire) validate(name string) error {
	var probs []FieldError
	add := func(field, format string, a ...any) {
		probs = append(probs, FieldError{Field: field, Msg: fmt.Sprintf(format, a...)})
	}
	if strings.TrimSpace(q.ID) == "" {
		add("id", "empty; give the questionnaire an id such as \"sipas-2017\"")
	}
	sc := q.Scale
	if sc.Min >= sc.Max {
		add("scale", "min %d must be less than max %d (e.g. {\"min\": 1, \"max\": 5})", sc.Min, sc.Max)
	} else if sc.Min < -127 || sc.Max > 127 {
		add("scale", "range %d..%d: scale codes must lie within -127..127 (answer scales are short, e.g. 1..5 or 0..10)", sc.Min, sc.Max)
	}
	inScale := func(c int) bool { return c >= sc.Min && c <= sc.Max }
	if len(q.Satisfied) == 0 {
		add("satisfied_codes", "empty; list the codes that count as satisfied (e.g. [4, 5])")
	}
	seen := map[int]string{}
	for i, c := range q.Satisfied {
		f := fmt.Sprintf("satisfied_codes[%d]", i)
		if !inScale(c) {
			add(f, "code %d is outside the scale %d..%d", c, sc.Min, sc.Max)
		}
		if prev, dup := seen[c]; dup {
			add(f, "code %d listed twice (also %s)", c, prev)
		}
		seen[c] = f
	}
	for i, c := range q.Missing {
		f := fmt.Sprintf("missing_codes[%d]", i)
		if inScale(c) {
			add(f, "code %d is inside the scale %d..%d; a missing code must be outside it (e.g. 0 or 9 for 1..5)", c, sc.Min, sc.Max)
		}
		if prev, dup := seen[c]; dup {
			add(f, "code %d listed twice (also %s)", c, prev)
		}
		seen[c] = f
	}

	// Elements.
	if len(q.Elements) == 0 {
		add("elements", "empty; a questionnaire needs at least one element")
	}
	elemIdx := map[string]int{}
	var elemIDs []string
	for i, e := range q.Elements {
		f := fmt.Sprintf("elements[%d]", i)
		if strings.TrimSpace(e.ID) == "" {
			add(f+".id", "empty")
			continue
		}
		if j, dup := elemIdx[e.ID]; dup {
			add(f+".id", "duplicate element id %q (also elements[%d])", e.ID, j)
			continue
		}
		elemIdx[e.ID] = i
		elemIDs = append(elemIDs, e.ID)
		if e.Label.VI == "" && e.Label.EN == "" {
			add(f+".label", "no label; give label.vi and/or label.en")
		}
	}
	probs = append(probs, fillWeights(len(q.Elements),
		func(i int) *float64 { return &q.Elements[i].Weight },
		func(i int) string { return fmt.Sprintf("elements[%d].weight", i) },
		"elements")...)

	// Criteria.
	cols := map[string]string{}
	members := make([][]int, len(q.Elements))
	for i, c := range q.Criteria {
		f := fmt.Sprintf("criteria[%d]", i)
		if strings.TrimSpace(c.Column) == "" {
			add(f+".column", "empty; name the data column that holds this criterion")
		} else if prev, dup := cols[c.Column]; dup {
			add(f+".column", "duplicate column %q (also %s)", c.Column, prev)
		} else {
			cols[c.Column] = f + ".column"
		}
		if c.Label.VI == "" && c.Label.EN == "" {
			add(f+".label", "no label; give label.vi and/or label.en")
		}
		j, ok := elemIdx[c.Element]
		if !ok {
			if c.Element == "" {
				add(f+".element", "empty; elements are %s", strings.Join(elemIDs, ", "))
			} else {
				add(f+".element", "unknown element %q; elements are %s", c.Element, strings.Join(elemIDs, ", "))
			}
			continue
		}
		members[j] = append(members[j], i)
	}
	for j, e := range q.Elements {
		if e.ID == "" || elemIdx[e.ID] != j {
			continue
		}
		m := members[j]
		if len(m) == 0 {
			add(fmt.Sprintf("elements[%d]", j), "element %q has no criteria; add criteria with \"element\": %q or remove the element", e.ID, e.ID)
			continue
		}
		probs = append(probs, fillWeights(len(m),
			func(k int) *float64 { return &q.Criteria[m[k]].Weight },
			func(k int) string { return fmt.Sprintf("criteria[%d].weight", m[k]) },
			fmt.Sprintf("criteria of element %q", e.ID))...)
	}

	// Expectations.
	for i, x := range q.Expectations {
		f := fmt.Sprintf("expectations[%d].column", i)
		if strings.TrimSpace(x.Column) == "" {
			add(f, "empty")
			continue
		}
		if prev, dup := cols[x.Column]; dup {
			add(f, "duplicate column %q (also %s)", x.Column, prev)
			continue
		}
		cols[x.Column] = f
	}
	if len(probs) > 0 {
		return &QuestionnaireError{Name: name, Problems: probs}
	}
	return nil
}

// fillWeights checks the n weights of one group: all zero means equal
// weights 1/n (filled in); otherwise every weight must be positive and
// finite and the sum 1 within weightTolerance.
func fillWeights(n int, w func(int) *float64, field func(int) string, group string) []FieldError {
	if n == 0 {
		return nil
	}
	var probs []FieldError
	zeros := 0
	sum := 0.0
	for i := 0; i < n; i++ {
		v := *w(i)
		switch {
		case v == 0:
			zeros++
		case v < 0 || math.IsNaN(v) || math.IsInf(v, 0):
			probs = append(probs, FieldError{field(i), fmt.Sprintf("weight %v must be positive", v)})
		}
		sum += v
	}
	if len(probs) > 0 {
		return probs
	}
	if zeros == n {
		for i := 0; i < n; i++ {
			*w(i) = 1 / float64(n)
		}
		return nil
	}
	if zeros > 0 {
		for i := 0; i < n; i++ {
			if *w(i) == 0 {
				return []FieldError{{field(i), fmt.Sprintf("weight is 0 (or omitted) while other %s have weights; give every one a weight or omit them all for equal weights", group)}}
			}
		}
	}
	if math.Abs(sum-1) > weightTolerance {
		return []FieldError{{group, fmt.Sprintf("weights sum to %v, not 1; divide each by %v, or omit them all for equal weights", sum, sum)}}
	}
	return nil
}

// CriteriaOf returns the criteria of the element with the given id, in
// questionnaire order (nil for an unknown element). The slice is a copy.
func (q *Questionnaire) CriteriaOf(element string) []Criterion {
	var out []Criterion
	for _, c := range q.Criteria {
		if c.Element == element {
			out = append(out, c)
		}
	}
	return out
}

// Columns returns the criterion columns in questionnaire order.
func (q *Questionnaire) Columns() []string {
	out := make([]string, len(q.Criteria))
	for i, c := range q.Criteria {
		out[i] = c.Column
	}
	return out
}

// ExpectationColumns returns the expectation item columns in order.
func (q *Questionnaire) ExpectationColumns() []string {
	out := make([]string, len(q.Expectations))
	for i, x := range q.Expectations {
		out[i] = x.Column
	}
	return out
}

// CodeKind classifies an answer code: Valid inside the scale, MissingCode
// for a declared missing code, Invalid otherwise.
func (q *Questionnaire) CodeKind(code int64) CodeKind {
	if code >= int64(q.Scale.Min) && code <= int64(q.Scale.Max) {
		return Valid
	}
	for _, m := range q.Missing {
		if int64(m) == code {
			return MissingCode
		}
	}
	return Invalid
}

// IsSatisfied reports whether code is one of the satisfied codes (s_ic = 1).
func (q *Questionnaire) IsSatisfied(code int64) bool {
	for _, s := range q.Satisfied {
		if int64(s) == code {
			return true
		}
	}
	return false
}

// Element returns the element with the given id.
func (q *Questionnaire) Element(id string) (Element, bool) {
	for _, e := range q.Elements {
		if e.ID == id {
			return e, true
		}
	}
	return Element{}, false
}
