package catcode

import (
	"fmt"
	"math/rand/v2"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// BenchRecord has n rows of one categorical column with L levels in
// random order, as a string, a dictionary and an int64 column ("s", "d",
// "i"). It is the shared input of the coder benchmarks of sampling and
// weighting (BenchmarkCoder, BenchmarkClassesOf).
func BenchRecord(n, L int) arrow.RecordBatch {
	mem := memory.DefaultAllocator
	rng := rand.New(rand.NewPCG(1, 2))
	dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	sb, ib := array.NewStringBuilder(mem), array.NewInt64Builder(mem)
	db := array.NewDictionaryBuilder(mem, dt).(*array.BinaryDictionaryBuilder)
	for i := 0; i < n; i++ {
		v := rng.IntN(L)
		s := fmt.Sprintf("P%05d", v)
		sb.Append(s)
		db.AppendString(s)
		ib.Append(int64(v))
	}
	cols := []arrow.Array{sb.NewArray(), db.NewArray(), ib.NewArray()}
	schema := arrow.NewSchema([]arrow.Field{{Name: "s", Type: cols[0].DataType()}, {Name: "d", Type: dt}, {Name: "i", Type: cols[2].DataType()}}, nil)
	return array.NewRecordBatch(schema, cols, int64(n))
}
