package index_test

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/index"
)

// A questionnaire of a province's own survey: two elements on a 1..4 scale,
// equal weights by omission.
func ExampleParseQuestionnaire() {
	q, err := index.ParseQuestionnaire(strings.NewReader(`{
	  "id": "tinh-2024", "version": "1",
	  "scale": {"min": 1, "max": 4}, "satisfied_codes": [3, 4], "missing_codes": [9],
	  "elements": [
	    {"id": "access", "label": {"vi": "Tiếp cận", "en": "Access"}},
	    {"id": "staff", "label": {"vi": "Công chức", "en": "Staff"}}
	  ],
	  "criteria": [
	    {"column": "q1", "element": "access", "label": {"vi": "Chỗ ngồi"}},
	    {"column": "q2", "element": "access", "label": {"vi": "Thiết bị"}},
	    {"column": "q3", "element": "staff", "label": {"vi": "Lịch sự"}}
	  ]
	}`), "tinh-2024.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range q.Criteria {
		fmt.Printf("%s %s %.2f\n", c.Column, c.Element, c.Weight)
	}
	fmt.Println(q.CodeKind(4), q.CodeKind(9), q.CodeKind(5))

	// A typo in an element id is reported at its field path.
	_, err = index.ParseQuestionnaire(strings.NewReader(`{"id": "x", "scale": {"min": 1, "max": 5},
	  "satisfied_codes": [4, 5], "elements": [{"id": "access", "label": {"vi": "A"}}],
	  "criteria": [{"column": "q1", "element": "acess", "label": {"vi": "q"}}]}`), "x.json")
	fmt.Println(err)
	// Output:
	// q1 access 0.50
	// q2 access 0.50
	// q3 staff 1.00
	// valid missing invalid
	// questionnaire x.json: 2 problems:
	//   criteria[0].element: unknown element "acess"; elements are access
	//   elements[0]: element "access" has no criteria; add criteria with "element": "access" or remove the element
}

func ExampleValidateBallots() {
	q := index.DefaultQuestionnaire()
	fields := []arrow.Field{{Name: "ballot_id", Type: arrow.BinaryTypes.String}}
	for _, c := range q.Columns() {
		fields = append(fields, arrow.Field{Name: c, Type: arrow.PrimitiveTypes.Int8, Nullable: true})
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, arrow.NewSchema(fields, nil))
	defer b.Release()
	for i, id := range []string{"B1", "B2", "B1"} {
		b.Field(0).(*array.StringBuilder).Append(id)
		for k := range q.Columns() {
			code := int8(4)
			if i == 1 && k == 3 {
				code = 7 // out of range
			}
			b.Field(1 + k).(*array.Int8Builder).Append(code)
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()

	v, err := index.ValidateBallots(rec, index.ValidateOptions{Questionnaire: q}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer v.Release()
	fmt.Printf("in %d = used %d + excluded %d\n", v.RowsIn, v.RowsUsed, v.RowsExcluded)
	for _, x := range v.Exclusions {
		fmt.Printf("row %d %s %s %s %s\n", x.Row, x.BallotID, x.Reason, x.Column, x.Value)
	}
	// Output:
	// in 3 = used 1 + excluded 2
	// row 2 B2 invalid_code access_4 7
	// row 3 B1 duplicate_ballot_id ballot_id 1
}
