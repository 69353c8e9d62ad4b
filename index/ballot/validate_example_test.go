package ballot_test

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/index/ballot"
)

func ExampleValidate() {
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

	v, err := ballot.Validate(context.Background(), rec, &ballot.ValidateOptions{Questionnaire: q})
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
