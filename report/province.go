package report

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/provinces"
	"github.com/sipas-go/sipas/internal/vnmap"
	"github.com/sipas-go/sipas/sampling"
)

// ProvinceReport is the report of one province: a view of the national
// Data centred on it (its indices against the nation and its region, its
// rank across the years, its criteria, strengths and weaknesses, its data
// quality). Its numbers are the national report's numbers for the
// province; nothing is computed again. Get one with (*Data).Province or
// (*Data).Provinces and write it with WriteProvinceDir or WriteProvinceHTML.
type ProvinceReport struct {
	// Name is the province's canonical name (Domain.Name) and Key its
	// domain key.
	Name, Key string
	// Code is its General Statistics Office code in the report's
	// geography, Region its socio-economic region; "" when unknown.
	Code, Region string
	// Folder is the name of its report's folder among all provinces': the
	// code and the name in lower-case ASCII, e.g. "01-ha-noi".
	Folder string
	data   *Data
}

// ErrUnknownProvince is wrapped by the error of (*Data).Province for a
// name that denotes no province of the report.
var ErrUnknownProvince = errors.New("report: unknown province")

// UnknownProvinceError reports a name that denotes no province of the
// report: Near are up to three of the report's provinces whose names come
// closest, and Reason, when set, what the province-name rules said of it
// (e.g. a province absorbed by the 2025 merger).
type UnknownProvinceError struct {
	Name   string
	Near   []string
	Reason string
}

func (e *UnknownProvinceError) Error() string {
	msg := fmt.Sprintf("report: no province %q in the report", e.Name)
	if e.Reason != "" {
		msg += " (" + e.Reason + ")"
	}
	if len(e.Near) > 0 {
		msg += "; closest: " + strings.Join(e.Near, ", ")
	}
	return msg
}

func (e *UnknownProvinceError) Unwrap() error { return ErrUnknownProvince }

// Provinces returns the report of every province of the report's year, in
// the order of their codes (the official order), or in Vietnamese
// collation when the domains are not provinces. Nil for empty Data.
func (d *Data) Provinces() []*ProvinceReport {
	y := d.Latest()
	if y == nil {
		return nil
	}
	out := make([]*ProvinceReport, 0, len(y.Domains))
	for _, dom := range byName(y.Domains) {
		out = append(out, d.provinceReport(dom))
	}
	slices.SortStableFunc(out, func(a, b *ProvinceReport) int { return strings.Compare(a.Code, b.Code) })
	return out
}

// Province returns the report of the province that name denotes, read
// with the project's province-name rules in the report's geography (any
// spelling provinces are matched with: with or without diacritics,
// "TP.HCM", codes, …); a name that is not a province name is matched with
// the domains' names as they are. A name that denotes none of the report's
// domains is an *UnknownProvinceError naming the closest ones.
func (d *Data) Province(name string) (*ProvinceReport, error) {
	y := d.Latest()
	if y == nil {
		return nil, &UnknownProvinceError{Name: name, Reason: "the report has no year"}
	}
	reason := ""
	for _, g := range d.geographies() {
		c, err := provinces.Canonical(name, g)
		if err != nil {
			var ue *provinces.UnknownError
			if reason == "" && errors.As(err, &ue) && (ue.Former != "" || ue.Ambiguous) {
				reason = ue.Error()
			}
			continue
		}
		for _, dom := range y.Domains {
			if dom.Name == c {
				return d.provinceReport(dom), nil
			}
		}
	}
	key := provinces.FoldKey(name)
	for _, dom := range y.Domains {
		if dom.Name == name || (key != "" && provinces.FoldKey(dom.Name) == key) {
			return d.provinceReport(dom), nil
		}
	}
	names := make([]string, len(y.Domains))
	for i, dom := range y.Domains {
		names[i] = dom.Name
	}
	return nil, &UnknownProvinceError{Name: name, Near: nearest(name, names, 3), Reason: reason}
}

// geographies are the province geographies the report's domain names can
// be read in: the one of its map when the domains are provinces, else the
// latest year's, then the other.
func (d *Data) geographies() []provinces.Geography {
	if m, ok := provinceDomains(d); ok {
		return []provinces.Geography{m.geo}
	}
	first := provinces.GeographyForYear(d.Latest().Year)
	if first == provinces.Geo2025 {
		return []provinces.Geography{first, provinces.Geo1997}
	}
	return []provinces.Geography{first, provinces.Geo2025}
}

func (d *Data) provinceReport(dom Domain) *ProvinceReport {
	p := &ProvinceReport{Name: dom.Name, Key: dom.Key, data: d}
	if m, ok := provinceDomains(d); ok {
		if code, err := vnmap.Code(dom.Name, m.geo); err == nil {
			p.Code = code
			p.Region = regionOf(dom.Name, m.geo)
		}
	}
	slug := asciiSlug(dom.Name)
	if p.Code != "" {
		p.Folder = p.Code + "-" + slug
	} else {
		p.Folder = slug
	}
	return p
}

// asciiSlug is name in lower-case ASCII words joined by "-" ("Đắk Lắk" →
// "dak-lak"); "x" when nothing is left.
func asciiSlug(name string) string {
	var b strings.Builder
	dash := false
	for _, w := range strings.Fields(name) {
		k := provinces.FoldKey(w)
		if k == "" {
			continue
		}
		if dash {
			b.WriteByte('-')
		}
		for _, r := range k {
			if r < 0x80 && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
				b.WriteRune(r)
			}
		}
		dash = true
	}
	s := strings.Trim(b.String(), "-")
	for strings.Contains(s, "--") {
		s = strings.ReplaceAll(s, "--", "-")
	}
	if s == "" {
		return "x"
	}
	return s
}

// nearest returns up to k of names closest to name (Levenshtein distance
// of their folded keys), nearest first, only those within half the
// longer key's length.
func nearest(name string, names []string, k int) []string {
	key := []rune(provinces.FoldKey(name))
	type cand struct {
		name string
		d    int
	}
	var cs []cand
	for _, n := range names {
		nk := []rune(provinces.FoldKey(n))
		d := levenshtein(key, nk)
		if 2*d <= max(len(key), len(nk)) {
			cs = append(cs, cand{n, d})
		}
	}
	slices.SortStableFunc(cs, func(a, b cand) int {
		if a.d != b.d {
			return a.d - b.d
		}
		return compareVi(a.name, b.name)
	})
	var out []string
	for i := 0; i < len(cs) && i < k; i++ {
		out = append(out, cs[i].name)
	}
	return out
}

func levenshtein(a, b []rune) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// regionOf is the socio-economic region of the province name in geography
// g; a province of 2025 is in the region of the member province whose code
// it took (where its administrative centre is). "" when unknown.
func regionOf(name string, g provinces.Geography) string {
	code, err := vnmap.Code(name, g)
	if err != nil {
		return ""
	}
	p, ok := provinces.ByCode(code)
	if !ok {
		return ""
	}
	return p.Region
}

// regionColumn is the column regionIndices adds to the ballots.
const regionColumn = "sipas:region"

// regionIndices estimates the indices of q by the region of each ballot's
// province (column provCol, canonical names of geography g) on design d,
// with the index settings opt (its By and VsNation replaced).
func regionIndices(ctx context.Context, d *sampling.Design, rec arrow.RecordBatch, provCol string, g provinces.Geography, q *index.Questionnaire, opt index.Options) (*index.Result, error) {
	idx := rec.Schema().FieldIndices(provCol)
	if len(idx) == 0 {
		return nil, fmt.Errorf("no column %q", provCol)
	}
	vals, valid, err := arrowio.Strings(rec.Column(idx[0]))
	if err != nil {
		return nil, fmt.Errorf("column %q: %w", provCol, err)
	}
	b := array.NewStringBuilder(memory.DefaultAllocator)
	defer b.Release()
	b.Reserve(len(vals))
	seen := map[string]string{}
	for i, v := range vals {
		if valid != nil && !valid[i] {
			b.AppendNull()
			continue
		}
		r, ok := seen[v]
		if !ok {
			r = regionOf(v, g)
			seen[v] = r
		}
		if r == "" {
			b.AppendNull()
		} else {
			b.Append(r)
		}
	}
	arr := b.NewArray()
	defer arr.Release()
	fields := append(slices.Clone(rec.Schema().Fields()), arrow.Field{Name: regionColumn, Type: arrow.BinaryTypes.String, Nullable: true})
	cols := append(slices.Clone(rec.Columns()), arr)
	md := rec.Schema().Metadata()
	withRegion := array.NewRecordBatch(arrow.NewSchema(fields, &md), cols, rec.NumRows())
	defer withRegion.Release()
	opt.By = []string{regionColumn}
	opt.VsNation = false
	opt.NoExpectations = true
	return index.Compute(ctx, d, withRegion, q, &opt)
}

// resultDomains are the domains of an index.Result (by region, or by
// province and a second column), in Vietnamese collation; nil for a nil
// result.
func resultDomains(res *index.Result) []Domain {
	if res == nil {
		return nil
	}
	byKey := map[string]*Domain{}
	var order []string
	for _, row := range res.Rows {
		if len(row.Domain) == 0 {
			continue
		}
		key := row.DomainKey()
		d, ok := byKey[key]
		if !ok {
			d = newDomain(res.Questionnaire, key, domainName(row))
			byKey[key] = d
			order = append(order, key)
		}
		d.set(Estimate{Kind: row.Kind, ID: row.ID, Estimate: row.Estimate, SE: row.SE,
			CILow: row.CILow, CIHigh: row.CIHigh, N: row.N, Deff: row.Deff, Flag: row.Flag, DF: row.DF})
	}
	out := make([]Domain, len(order))
	for i, k := range order {
		out[i] = *byKey[k]
	}
	return byName(out)
}

// provinceYear is the province in one year of the report: its domain, its
// region's and the nation; nil fields when the year lacks them.
type provinceYear struct {
	Year             *Year
	Dom, Region, Nat *Domain
}

// years returns the province in every year of the report (years without
// it left out), oldest first.
func (p *ProvinceReport) years() []provinceYear {
	var out []provinceYear
	for i := range p.data.Years {
		y := &p.data.Years[i]
		dom := y.domain(p.Key)
		if dom == nil {
			continue
		}
		py := provinceYear{Year: y, Dom: dom, Nat: &y.National}
		for k := range y.Regions {
			if y.Regions[k].Name == p.Region && p.Region != "" {
				py.Region = &y.Regions[k]
			}
		}
		out = append(out, py)
	}
	return out
}

// Domain returns the province's domain in the report's year (its
// estimates, trend rows, standings and importance–performance: the
// national report's for the province).
func (p *ProvinceReport) Domain() *Domain {
	ys := p.years()
	if len(ys) == 0 || ys[len(ys)-1].Year != p.data.Latest() {
		return nil
	}
	return ys[len(ys)-1].Dom
}

// within returns the province broken down by the second column of
// Year.Within in the report's year, by SIPAS (highest first, ties and
// missing estimates in Vietnamese collation), with the column's name and
// each part's value; nil when not computed.
func (p *ProvinceReport) within() (col string, parts []Domain, values []string) {
	y := p.data.Latest()
	prefix := p.Key + ", "
	for _, d := range y.Within {
		if strings.HasPrefix(d.Key, prefix) {
			parts = append(parts, d)
		}
	}
	slices.SortStableFunc(parts, func(a, b Domain) int {
		ea, eb := a.SIPAS.Estimate, b.SIPAS.Estimate
		switch {
		case math.IsNaN(ea) != math.IsNaN(eb):
			if math.IsNaN(ea) {
				return 1
			}
			return -1
		case ea > eb:
			return -1
		case ea < eb:
			return 1
		}
		return compareVi(a.Name, b.Name)
	})
	for _, d := range parts {
		c, v, _ := strings.Cut(strings.TrimPrefix(d.Key, prefix), "=")
		col = c
		values = append(values, v)
	}
	return col, parts, values
}
