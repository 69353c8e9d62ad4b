package index

import (
	"errors"
	"fmt"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"

	"github.com/sipas-go/sipas/index/internal/column"
)

// noAnswer marks item nonresponse (a null cell or a declared missing code)
// in the compact code arrays used by the estimators.
const noAnswer int8 = -128

// InvalidCodeError reports an answer code that is neither on the scale nor
// a declared missing code. Estimation refuses such data; validation
// (package ballot) excludes those ballots with the reason.
type InvalidCodeError struct {
	Column string
	Row    int // 1-based data row
	Value  string
	Count  int // invalid cells in the column
}

func (e *InvalidCodeError) Error() string {
	more := ""
	if e.Count > 1 {
		more = fmt.Sprintf(" (and %d more in this column)", e.Count-1)
	}
	return fmt.Sprintf("column %q, row %d: invalid answer code %q%s: neither on the questionnaire's scale nor a declared missing code; validate the ballots first to exclude such ballots", e.Column, e.Row, e.Value, more)
}

// criterionCodes reads the answer columns of q's criteria with itemCodes:
// codes[c][i] is row i's code for criterion c or noAnswer (one byte per
// answer, the columns sharing one allocation). The columns are independent,
// so two goroutines read them; the errors of every column are joined
// (errors.As finds the first *InvalidCodeError in criterion order).
func criterionCodes(q *Questionnaire, rec arrow.RecordBatch) ([][]int8, error) {
	n := int(rec.NumRows())
	nc := len(q.Criteria)
	codes := make([][]int8, nc)
	buf := make([]int8, n*nc)
	errs := make([]error, nc)
	next := make(chan int, nc)
	for c := range q.Criteria {
		codes[c] = buf[c*n : (c+1)*n : (c+1)*n]
		next <- c
	}
	close(next)
	var wg sync.WaitGroup
	for w := 0; w < min(2, nc); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range next {
				errs[c] = itemCodes(q, rec, q.Criteria[c].Column, codes[c])
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return codes, nil
}

// itemCodes reads one answer column into a compact array: the code for a
// valid answer (on the questionnaire's scale), noAnswer for a null cell or a
// declared missing code. Any other value is an *InvalidCodeError. Int8 and
// Int64 columns (what the generator and the CSV reader produce) are read
// from their raw value slices; other types go through the general reader.
func itemCodes(q *Questionnaire, rec arrow.RecordBatch, col string, dst []int8) error {
	idx := column.Index(rec, col)
	if idx < 0 {
		return &MissingColumnsError{Table: "ballots", Missing: []string{col}, Available: column.Names(rec.Schema())}
	}
	a := rec.Column(idx)
	lo, hi := int64(q.Scale.Min), int64(q.Scale.Max)
	if lo < -127 || hi > 127 {
		panic("index: scale must lie within -127..127")
	}
	var bad *InvalidCodeError
	report := func(i int, v string) {
		if bad == nil {
			bad = &InvalidCodeError{Column: col, Row: i + 1, Value: v}
		}
		bad.Count++
	}
	classify := func(i int, v int64) {
		switch q.CodeKind(v) {
		case Valid:
			dst[i] = int8(v)
		case MissingCode:
			dst[i] = noAnswer
		default:
			report(i, fmt.Sprint(v))
		}
	}
	switch arr := a.(type) {
	case *array.Int8:
		vals := arr.Int8Values()
		bm, off, nulls := arr.NullBitmapBytes(), arr.Data().Offset(), arr.NullN() > 0
		for i, v := range vals {
			if nulls && !bitutil.BitIsSet(bm, off+i) {
				dst[i] = noAnswer
				continue
			}
			if int64(v) >= lo && int64(v) <= hi {
				dst[i] = v
				continue
			}
			classify(i, int64(v))
		}
	case *array.Int64:
		vals := arr.Int64Values()
		for i, v := range vals {
			if arr.IsNull(i) {
				dst[i] = noAnswer
				continue
			}
			if v >= lo && v <= hi {
				dst[i] = int8(v)
				continue
			}
			classify(i, v)
		}
	default:
		cc, err := column.NewCodes(a)
		if err != nil {
			return fmt.Errorf("column %q: %w", col, err)
		}
		for i := 0; i < a.Len(); i++ {
			v, st := cc.At(i)
			switch st {
			case column.Null:
				dst[i] = noAnswer
			case column.Code:
				classify(i, v)
			default:
				report(i, cc.Raw(i))
			}
		}
	}
	if bad != nil {
		return bad
	}
	return nil
}
