package ballot_test

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/index/ballot"
)

func ExampleCompareBackcheck() {
	table := func(fields []arrow.Field, rows string) arrow.RecordBatch {
		rec, _, err := array.RecordFromJSON(memory.DefaultAllocator, arrow.NewSchema(fields, nil), strings.NewReader(rows))
		if err != nil {
			panic(err)
		}
		return rec
	}
	survey := table([]arrow.Field{
		{Name: "ballot_id", Type: arrow.BinaryTypes.String}, {Name: "collector", Type: arrow.BinaryTypes.String},
		{Name: "received", Type: arrow.BinaryTypes.String, Nullable: true}, {Name: "rating", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	}, `[{"ballot_id": "1", "collector": "An", "received": "có", "rating": 4},
	     {"ballot_id": "2", "collector": "An", "received": "có", "rating": 5},
	     {"ballot_id": "3", "collector": "Bình", "received": "có", "rating": 3},
	     {"ballot_id": "4", "collector": "Bình", "received": "có", "rating": 4}]`)
	defer survey.Release()
	bc := table([]arrow.Field{
		{Name: "ballot_id", Type: arrow.BinaryTypes.String},
		{Name: "received", Type: arrow.BinaryTypes.String, Nullable: true}, {Name: "rating", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	}, `[{"ballot_id": "1", "received": "Có ", "rating": 4},
	     {"ballot_id": "3", "received": "không", "rating": 4},
	     {"ballot_id": "4", "received": "không", "rating": 4}]`)
	defer bc.Release()

	r, err := ballot.CompareBackcheck(survey, bc, ballot.BackcheckOptions{
		ID: "ballot_id", T1: []string{"received"}, T3: []string{"rating"}, Enumerator: "collector",
		OKRate: 0.1, Text: ballot.TextOptions{Lower: true, Trim: true},
	})
	if err != nil {
		panic(err)
	}
	for _, e := range r.Enumerators {
		fmt.Printf("%s type %s: %d of %d differ, flagged %v\n", e.Name, e.Type, e.Differences, e.Comparisons, e.Flagged)
	}
	for _, row := range r.Rows {
		fmt.Printf("ballot %s %s: %q vs %q\n", row.ID, row.Variable, row.Survey, row.Backcheck)
	}
	// Output:
	// Bình type 1: 2 of 2 differ, flagged true
	// An type 1: 0 of 1 differ, flagged false
	// ballot 3 received: "có" vs "không"
	// ballot 4 received: "có" vs "không"
	// ballot 3 rating: "3" vs "4"
}
