package index_test

import (
	"fmt"
	"strings"

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
