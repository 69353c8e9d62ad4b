package sampling

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/internal/arrowio"
)

// DomainValue is the value of one domain column.
type DomainValue struct {
	Column string
	Value  string
}

// Domains codes rows into the domains formed by the observed combinations
// of one or more columns (R svyby's interaction of the by variables,
// keeping only combinations that occur). Domains are sorted by their
// values: column by column, numbers numerically, text bytewise. Rows with
// a null in any by column are in no domain (code −1), as R svyby drops NA
// groups.
type Domains struct {
	Columns []string
	// Values[g] are the values of domain g, one per column.
	Values [][]string
	// Code is each row's domain, or −1.
	Code []int32
}

// Len returns the number of domains.
func (d *Domains) Len() int { return len(d.Values) }

// Labels returns domain g as column/value pairs.
func (d *Domains) Labels(g int) []DomainValue {
	out := make([]DomainValue, len(d.Columns))
	for c, col := range d.Columns {
		out[c] = DomainValue{Column: col, Value: d.Values[g][c]}
	}
	return out
}

// NewDomains codes the rows of rec by the columns cols. No columns gives a
// single domain of all rows. An unknown column is an error (wrapping
// arrowio.ErrMissingColumn) listing the available ones.
func NewDomains(rec arrow.RecordBatch, cols []string) (*Domains, error) {
	n := int(rec.NumRows())
	dm := &Domains{Columns: append([]string(nil), cols...), Code: make([]int32, n)}
	if len(cols) == 0 {
		dm.Values = [][]string{{}}
		return dm, nil
	}
	// per column: codes by sorted rank
	ranks := make([][]int32, len(cols))
	levels := make([][]string, len(cols))
	missing := make([]bool, n)
	for c, name := range cols {
		col, err := desColumn(rec, "domain", name)
		if err != nil {
			return nil, err
		}
		vals, valid, err := arrowio.Strings(col)
		if err != nil {
			return nil, fmt.Errorf("sampling: domain column %q: %w", name, err)
		}
		numeric := false
		switch col.DataType().ID() {
		case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16,
			arrow.UINT32, arrow.UINT64, arrow.FLOAT32, arrow.FLOAT64:
			numeric = true
		}
		idx := make(map[string]int32)
		var lv []string
		raw := make([]int32, n)
		prev, prevK := "", int32(-1)
		for i, v := range vals {
			if valid != nil && !valid[i] {
				missing[i] = true
				continue
			}
			// rows come grouped (by stratum and PSU): most rows repeat the
			// previous row's value, which a string compare settles
			if prevK >= 0 && v == prev {
				raw[i] = prevK
				continue
			}
			k, ok := idx[v]
			if !ok {
				k = int32(len(lv))
				idx[v] = k
				lv = append(lv, v)
			}
			raw[i] = k
			prev, prevK = v, k
		}
		perm := make([]int, len(lv))
		for i := range perm {
			perm[i] = i
		}
		sort.Slice(perm, func(a, b int) bool {
			va, vb := lv[perm[a]], lv[perm[b]]
			if numeric {
				fa, ea := strconv.ParseFloat(va, 64)
				fb, eb := strconv.ParseFloat(vb, 64)
				if ea == nil && eb == nil && fa != fb {
					return fa < fb
				}
			}
			return va < vb
		})
		rank := make([]int32, len(lv))
		sorted := make([]string, len(lv))
		for r, p := range perm {
			rank[p] = int32(r)
			sorted[r] = lv[p]
		}
		for i := range raw {
			raw[i] = rank[raw[i]]
		}
		ranks[c], levels[c] = raw, sorted
	}
	if len(cols) == 1 {
		// one column: the domains are its observed levels, already sorted
		dm.Values = make([][]string, len(levels[0]))
		for g, v := range levels[0] {
			dm.Values[g] = []string{v}
		}
		for i, r := range ranks[0] {
			if missing[i] {
				dm.Code[i] = -1
			} else {
				dm.Code[i] = r
			}
		}
		return dm, nil
	}
	// combine: observed tuples, sorted lexicographically by rank
	type tuple struct {
		key  string
		rank []int32
	}
	seen := make(map[string]int32)
	var tuples []tuple
	buf := make([]byte, 0, 4*len(cols))
	tmp := make([]int32, n)
	for i := 0; i < n; i++ {
		if missing[i] {
			tmp[i] = -1
			continue
		}
		buf = buf[:0]
		for c := range cols {
			r := ranks[c][i]
			buf = append(buf, byte(r>>24), byte(r>>16), byte(r>>8), byte(r))
		}
		k, ok := seen[string(buf)]
		if !ok {
			k = int32(len(tuples))
			key := string(buf)
			seen[key] = k
			rk := make([]int32, len(cols))
			for c := range cols {
				rk[c] = ranks[c][i]
			}
			tuples = append(tuples, tuple{key, rk})
		}
		tmp[i] = k
	}
	order := make([]int, len(tuples))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return tuples[order[a]].key < tuples[order[b]].key })
	newCode := make([]int32, len(tuples))
	dm.Values = make([][]string, len(tuples))
	for g, t := range order {
		newCode[t] = int32(g)
		v := make([]string, len(cols))
		for c := range cols {
			v[c] = levels[c][tuples[t].rank[c]]
		}
		dm.Values[g] = v
	}
	for i, k := range tmp {
		if k < 0 {
			dm.Code[i] = -1
		} else {
			dm.Code[i] = newCode[k]
		}
	}
	return dm, nil
}
