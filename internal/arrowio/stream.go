package arrowio

// WithRowGroups restricts a Parquet read to the row groups g (0-based) for
// which keep(g) is true, so that several readers of one file can share its
// row groups (each decoding only its own). Other formats ignore it.
func WithRowGroups(keep func(g int) bool) Option {
	return func(c *config) { c.groups = keep }
}

// RowGroups returns the number of rows of each row group of a Parquet
// reader (from the file's metadata; ok is false for other formats). A
// batch never spans two row groups, so a reader of some of them knows the
// input row number of every batch.
func RowGroups(r Reader) (rows []int64, ok bool) {
	if cr, isCR := r.(*closingReader); isCR {
		r = cr.Reader
	}
	pr, isPR := r.(*parquetReader)
	if !isPR {
		return nil, false
	}
	md := pr.pf.MetaData()
	rows = make([]int64, md.NumRowGroups())
	for g := range rows {
		rows[g] = md.RowGroup(g).NumRows()
	}
	return rows, true
}

// BatchPosition returns, for the current batch of a Parquet reader, its row
// group (0-based) and the 0-based input row of its first row (ok is false
// for other formats or before the first batch).
func BatchPosition(r Reader) (group int, first int64, ok bool) {
	if cr, isCR := r.(*closingReader); isCR {
		r = cr.Reader
	}
	pr, isPR := r.(*parquetReader)
	if !isPR || pr.cur == nil {
		return 0, 0, false
	}
	return pr.group, pr.start + pr.got - pr.cur.NumRows(), true
}

// WithRowGroupRows sets the number of rows per Parquet row group that Write
// writes (default ParquetRowGroupRows).
func WithRowGroupRows(n int64) Option { return withRowGroupRows(n) }
