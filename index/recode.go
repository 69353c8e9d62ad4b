package index

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/index/internal/column"
	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/provinces"
)

// Aliases are local spellings of province names ("Hà Thành" for Hà Nội)
// that the built-in list does not know: each spelling, compared as names
// are (accents, case, spaces and punctuation ignored), stands for the
// province it maps to.
type Aliases map[string]string

// LoadAliases reads an aliases CSV file: a header with the columns
// "alias" and "province", then one spelling per row and the province it
// stands for, in any spelling the built-in list reads. A row with an
// empty cell, or an alias given twice for different provinces, is an
// error naming the file and row. The provinces are checked when the
// aliases are used, in the data's geography (ProvinceReader).
func LoadAliases(path string) (Aliases, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cr := csv.NewReader(f)
	head, err := csvHeader(cr)
	if err != nil {
		return nil, fmt.Errorf("%s: aliases header: %w", path, err)
	}
	ai, pi := slices.Index(head, "alias"), slices.Index(head, "province")
	if ai < 0 || pi < 0 {
		return nil, fmt.Errorf("%s: the aliases file needs the columns \"alias\" (the local spelling) and \"province\" (the province it stands for); found %s", path, strings.Join(head, ", "))
	}
	a := Aliases{}
	for row := 2; ; row++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		al, pr := strings.TrimSpace(rec[ai]), strings.TrimSpace(rec[pi])
		if al == "" || pr == "" {
			return nil, fmt.Errorf("%s, row %d: an alias and its province are both needed", path, row)
		}
		k := provinces.FoldKey(al)
		if prev, ok := a[k]; ok && provinces.FoldKey(prev) != provinces.FoldKey(pr) {
			return nil, fmt.Errorf("%s, row %d: alias %q stands for both %s and %s", path, row, al, prev, pr)
		}
		a[k] = pr
	}
	return a, nil
}

// ProvinceReader returns the function that reads a province name of
// geography g (Geo1997 or Geo2025) as ProvinceNames does, and also the
// spellings of a (nil: none). An alias whose province is not one of g is
// an error naming it.
func ProvinceReader(g Geography, a Aliases) (func(string) (string, error), error) {
	names := ProvinceNames(g)
	if len(a) == 0 {
		return names, nil
	}
	resolved := make(map[string]string, len(a))
	for k, p := range a {
		c, err := names(p)
		if err != nil {
			return nil, fmt.Errorf("alias for %s: %w", p, err)
		}
		resolved[k] = c
	}
	return func(s string) (string, error) {
		if c, ok := resolved[provinces.FoldKey(s)]; ok {
			return c, nil
		}
		return names(s)
	}, nil
}

// Recode is a spelling of a province that was read as its canonical name,
// and the number of rows that held it.
type Recode struct {
	From, To string
	Rows     int
}

// Recodes counts the values of a province column that read (the function
// of ProvinceReader) turns into another name, sorted by canonical name,
// then spelling. Values it does not recognise are left out (the caller
// reports them); so are nulls and canonical values.
func Recodes(col arrow.Array, read func(string) (string, error)) ([]Recode, error) {
	vals, valid, err := arrowio.Strings(col)
	if err != nil {
		return nil, err
	}
	count := map[string]int{}
	for i, v := range vals {
		if valid == nil || valid[i] {
			count[v]++
		}
	}
	var out []Recode
	for v, n := range count {
		if c, err := read(v); err == nil && c != v {
			out = append(out, Recode{From: v, To: c, Rows: n})
		}
	}
	slices.SortFunc(out, func(a, b Recode) int {
		return cmp.Or(strings.Compare(a.To, b.To), strings.Compare(a.From, b.From))
	})
	return out, nil
}

// CanonicalProvinces returns a copy of rec whose column col holds the
// canonical names read (ProvinceReader) gives, with the recodes; a value
// it does not recognise is an error naming the column and 1-based row.
// Null and blank cells become null. The caller releases the result;
// columns other than col are shared with rec.
func CanonicalProvinces(rec arrow.RecordBatch, col string, read func(string) (string, error), mem memory.Allocator) (arrow.RecordBatch, []Recode, error) {
	return CanonicalProvincesAt(rec, col, read, mem, 0)
}

// CanonicalProvincesAt is CanonicalProvinces for a batch of a larger
// input whose first row is row first+1 (for the row of an error).
func CanonicalProvincesAt(rec arrow.RecordBatch, col string, read func(string) (string, error), mem memory.Allocator, first int64) (arrow.RecordBatch, []Recode, error) {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	idx := rec.Schema().FieldIndices(col)
	if len(idx) == 0 {
		return nil, nil, &MissingColumnsError{Table: "ballots", Missing: []string{col}, Available: column.Names(rec.Schema())}
	}
	if d, ok := rec.Column(idx[0]).(*array.Dictionary); ok {
		if out, recodes, ok, err := canonicalDict(rec, idx[0], d, col, read, mem, first); ok || err != nil {
			return out, recodes, err
		}
	}
	vals, valid, err := arrowio.Strings(rec.Column(idx[0]))
	if err != nil {
		return nil, nil, fmt.Errorf("column %q: %w", col, err)
	}
	type res struct {
		name string
		rows int
	}
	seen := map[string]*res{}
	b := array.NewStringBuilder(mem)
	defer b.Release()
	b.Reserve(len(vals))
	for i, v := range vals {
		if (valid != nil && !valid[i]) || strings.TrimSpace(v) == "" {
			b.AppendNull()
			continue
		}
		r, ok := seen[v]
		if !ok {
			c, err := read(v)
			if err != nil {
				return nil, nil, fmt.Errorf("column %q, row %d: %w", col, int64(i)+first+1, err)
			}
			r = &res{name: c}
			seen[v] = r
		}
		r.rows++
		b.Append(r.name)
	}
	var recodes []Recode
	for v, r := range seen {
		if r.name != v {
			recodes = append(recodes, Recode{From: strings.Clone(v), To: r.name, Rows: r.rows}) // v may be in the batch's buffer
		}
	}
	slices.SortFunc(recodes, func(a, b Recode) int {
		return cmp.Or(strings.Compare(a.To, b.To), strings.Compare(a.From, b.From))
	})
	arr := b.NewArray()
	defer arr.Release()
	return withColumn(rec, idx[0], arr), recodes, nil
}

// canonicalDict is CanonicalProvinces for a dictionary column of strings
// without blank values: the dictionary's values are read, the indices
// kept (the new dictionary may hold a name twice). ok is false, with
// nothing done, for another dictionary.
func canonicalDict(rec arrow.RecordBatch, j int, d *array.Dictionary, col string, read func(string) (string, error), mem memory.Allocator, first int64) (out arrow.RecordBatch, recodes []Recode, ok bool, err error) {
	dict, isStr := d.Dictionary().(*array.String)
	if !isStr || dict.NullN() > 0 {
		return nil, nil, false, nil
	}
	rows := make([]int, dict.Len())
	at := make([]int, dict.Len()) // first row of each value
	switch ix := d.Indices().(type) {
	case *array.Int32: // what the Parquet reader gives
		countIndices(ix.Int32Values(), d, rows, at)
	case *array.Int8:
		countIndices(ix.Int8Values(), d, rows, at)
	case *array.Int16:
		countIndices(ix.Int16Values(), d, rows, at)
	default:
		for i := 0; i < d.Len(); i++ {
			if d.IsNull(i) {
				continue
			}
			k := d.GetValueIndex(i)
			if rows[k] == 0 {
				at[k] = i
			}
			rows[k]++
		}
	}
	b := array.NewStringBuilder(mem)
	defer b.Release()
	for k := 0; k < dict.Len(); k++ {
		v := dict.Value(k)
		if strings.TrimSpace(v) == "" {
			return nil, nil, false, nil // blank: null, as the plain path does
		}
		name := v
		if rows[k] > 0 {
			if name, err = read(v); err != nil {
				return nil, nil, true, fmt.Errorf("column %q, row %d: %w", col, int64(at[k])+first+1, err)
			}
			if name != v {
				recodes = append(recodes, Recode{From: strings.Clone(v), To: name, Rows: rows[k]}) // v is in the batch's buffer
			}
		}
		b.Append(name)
	}
	nd := b.NewArray()
	defer nd.Release()
	arr := array.NewDictionaryArray(d.DataType().(*arrow.DictionaryType), d.Indices(), nd)
	defer arr.Release()
	slices.SortFunc(recodes, func(a, b Recode) int {
		return cmp.Or(strings.Compare(a.To, b.To), strings.Compare(a.From, b.From))
	})
	return withColumn(rec, j, arr), recodes, true, nil
}

// countIndices adds to rows[k] the rows of d whose dictionary index is k
// (idx: d's indices, of d's offset and length) and sets at[k] to the first
// of them. It reads the raw indices: the per-row index lookup cost about
// 2 % of a streamed index's CPU.
func countIndices[T int8 | int16 | int32](idx []T, d *array.Dictionary, rows, at []int) {
	if d.NullN() == 0 {
		for i, k := range idx {
			if rows[k] == 0 {
				at[k] = i
			}
			rows[k]++
		}
		return
	}
	for i, k := range idx {
		if d.IsNull(i) {
			continue
		}
		if rows[k] == 0 {
			at[k] = i
		}
		rows[k]++
	}
}

// withColumn returns a copy of rec whose column j is the string array arr
// (same name, nullable); the other columns are shared. The caller
// releases the result.
func withColumn(rec arrow.RecordBatch, j int, arr arrow.Array) arrow.RecordBatch {
	cols := make([]arrow.Array, rec.NumCols())
	fields := make([]arrow.Field, rec.NumCols())
	for k := range cols {
		cols[k], fields[k] = rec.Column(k), rec.Schema().Field(k)
	}
	cols[j] = arr
	fields[j] = arrow.Field{Name: fields[j].Name, Type: arr.DataType(), Nullable: true}
	md := rec.Schema().Metadata()
	return array.NewRecordBatch(arrow.NewSchema(fields, &md), cols, rec.NumRows())
}

// csvHeader reads the header line of cr, its names trimmed of spaces and
// of the byte-order mark spreadsheets write.
func csvHeader(cr *csv.Reader) ([]string, error) {
	head, err := cr.Read()
	if err != nil {
		return nil, err
	}
	for i := range head {
		head[i] = strings.TrimPrefix(strings.TrimSpace(head[i]), "\ufeff")
	}
	return head, nil
}
