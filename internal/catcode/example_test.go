package catcode_test

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/internal/catcode"
)

func ExampleCode() {
	b := array.NewInt32Builder(memory.DefaultAllocator)
	defer b.Release()
	b.AppendValues([]int32{10, 9, 10, 2}, nil)
	b.AppendNull()
	col := b.NewArray()
	defer col.Release()

	c, err := catcode.Code(col, catcode.NullMissing)
	fmt.Println(c.Levels, c.Codes, err)
	_, err = catcode.Code(col, catcode.NullFail)
	fmt.Println(err)
	// Output:
	// [2 9 10] [2 1 2 0 -1] <nil>
	// missing value at row 5
}
