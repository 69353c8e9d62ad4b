package index

import (
	"encoding/csv"
	"errors"
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

// Geography is a province geography of Vietnam: the one in which province
// names are read and domains reported (METHODOLOGY §8).
type Geography int

const (
	// GeoAuto is the geography of the data's year: Geo1997 up to 2024,
	// Geo2025 from 2025 on.
	GeoAuto Geography = iota
	// Geo1997 is the 63 provinces in force from 1997 to 2024.
	Geo1997
	// Geo2025 is the 34 provinces formed in 2025.
	Geo2025
)

// GeographyOf returns the geography of the data of year: Geo1997 up to
// 2024, Geo2025 from 2025 on.
func GeographyOf(year int) Geography { return Geography(provinces.GeographyForYear(year)) }

// String returns "auto", "1997" or "2025", the spelling ParseGeography reads.
func (g Geography) String() string { return provinces.Geography(g).String() }

// ParseGeography reads "auto", "1997" or "2025" (case and surrounding spaces
// ignored).
func ParseGeography(s string) (Geography, error) {
	g, err := provinces.ParseGeography(s)
	if err != nil {
		return GeoAuto, fmt.Errorf("index: unknown geography %q: want auto, 1997 (the 63 provinces) or 2025 (the 34)", s)
	}
	return Geography(g), nil
}

// ProvinceNames returns the function that reads a province name of
// geography g (Geo1997 or Geo2025; resolve GeoAuto with GeographyOf) in
// any spelling the built-in province list accepts and returns its
// canonical name, or an error naming the closest names. It is what
// ballot.ValidateOptions.Province takes. The function caches its answers
// and is not safe for concurrent use.
func ProvinceNames(g Geography) func(string) (string, error) {
	if g != Geo1997 && g != Geo2025 {
		panic(fmt.Sprintf("index: ProvinceNames: geography %v is not a list of names (Geo1997 or Geo2025)", g))
	}
	return provinces.NewMatcher(provinces.Geography(g)).Canonical
}

// forYear resolves GeoAuto to the geography of year.
func (g Geography) forYear(year int) Geography {
	if g == GeoAuto {
		return GeographyOf(year)
	}
	return g
}

// ErrGeography is wrapped by the errors of ProvincesIn and of Trend about
// geographies that cannot be used together (2025 data in the 63 provinces,
// or years on both sides of the 2025 merger read each in its own geography).
var ErrGeography = errors.New("incompatible province geography")

// ProvincesIn returns a copy of rec whose column col holds the canonical
// province names of geography target (METHODOLOGY §8). The data's names
// are read in the geography of its year (GeographyOf: the 63 provinces up
// to 2024, the 34 from 2025); target GeoAuto means that same geography (the
// names are only made canonical).
//
// With target Geo2025 on data of a year up to 2024 each ballot's province
// is mapped to the 2025 province it became part of (the crosswalk):
// this re-aggregates old-year microdata to the new provinces. Only the
// domain variable changes; the weights, strata and PSUs stay as they are,
// so the domain estimates of a merged province are weighted by the old
// provinces' weights (Σ w over the merged old provinces), which is what
// makes them estimates of the merged population. (An unweighted merge of
// equal samples per old province would over-represent the small ones; see
// TestGeographyWeightedMerge.) rec's rows are unchanged, so a
// sampling.Design built on rec serves the result as well.
//
// Target Geo1997 on data from 2025 on is an error wrapping ErrGeography (a
// merged province cannot be split without a finer geography). Null cells
// stay null (no domain). A name that is not a province of the year's
// geography is an error naming the column, 1-based row, year and the
// closest names. The caller releases the
// result; columns other than col are shared with rec.
//
// cw, when not nil, replaces the built-in crosswalk for the mapping to 2025
// (see LoadCrosswalk).
func ProvincesIn(rec arrow.RecordBatch, col string, year int, target Geography, cw Crosswalk, mem memory.Allocator) (arrow.RecordBatch, error) {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	if target < GeoAuto || target > Geo2025 {
		panic(fmt.Sprintf("index: ProvincesIn: unknown geography %d", int(target)))
	}
	src := GeographyOf(year)
	dst := target.forYear(year)
	if src == Geo2025 && dst == Geo1997 {
		return nil, fmt.Errorf("year %d: %w: data from 2025 on names the 34 merged provinces, which cannot be split into the 63 of 1997–2024; report them in the 2025 geography (old years re-aggregated to the 34) or in each year's own", year, ErrGeography)
	}
	idx := rec.Schema().FieldIndices(col)
	if len(idx) == 0 {
		return nil, &MissingColumnsError{Table: "ballots", Missing: []string{col}, Available: column.Names(rec.Schema()),
			Hint: "the province column is needed to read the geography"}
	}
	vals, valid, err := arrowio.Strings(rec.Column(idx[0]))
	if err != nil {
		return nil, fmt.Errorf("column %q: %w", col, err)
	}
	m := provinces.NewMatcher(provinces.Geography(src))
	seen := map[string]string{}
	b := array.NewStringBuilder(mem)
	defer b.Release()
	b.Reserve(len(vals))
	for i, v := range vals {
		if valid != nil && !valid[i] {
			b.AppendNull()
			continue
		}
		out, ok := seen[v]
		if !ok {
			c, err := m.Canonical(v)
			if err == nil && src != dst {
				c, err = cw.To2025(c)
			}
			if err != nil {
				return nil, fmt.Errorf("column %q, row %d (year %d, read in the %s geography): %w", col, i+1, year, src, err)
			}
			out = c
			seen[v] = c
		}
		b.Append(out)
	}
	arr := b.NewArray()
	defer arr.Release()
	return withColumn(rec, idx[0], arr), nil
}

// Crosswalk maps the canonical names of the 63 provinces of 1997–2024 to
// the canonical names of the 2025 provinces they became part of. A nil
// Crosswalk is the built-in one (from the shared provinces reference
// table).
type Crosswalk map[string]string

// To2025 maps a canonical 1997–2024 province name to its 2025 province;
// an old province the crosswalk does not list is an error wrapping
// ErrGeography.
func (cw Crosswalk) To2025(old string) (string, error) {
	if cw == nil {
		return provinces.To2025(old)
	}
	if n, ok := cw[old]; ok {
		return n, nil
	}
	return "", fmt.Errorf("%w: the crosswalk does not say which 2025 province %q became part of; add it to the crosswalk file", ErrGeography, old)
}

// LoadCrosswalk reads a crosswalk file in the format of the shared
// provinces.csv (CSV with a header; the columns "name" — a 1997–2024
// province — and "province_2025" — the 2025 province it became part of;
// other columns are ignored). Names may be spelled any way the province
// matcher reads (accents, codes, "TP.HCM"); they are stored canonical. A
// missing column, an unknown name or an old province listed twice with
// different targets is an error naming the file and row.
func LoadCrosswalk(path string) (Crosswalk, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseCrosswalk(f, path)
}

// ParseCrosswalk reads a crosswalk (see LoadCrosswalk); name labels the
// errors.
func ParseCrosswalk(r io.Reader, name string) (Crosswalk, error) {
	cr := csv.NewReader(r)
	head, err := csvHeader(cr)
	if err != nil {
		return nil, fmt.Errorf("%s: crosswalk header: %w", name, err)
	}
	oi, ni := slices.Index(head, "name"), slices.Index(head, "province_2025")
	if oi < 0 || ni < 0 {
		return nil, fmt.Errorf("%s: crosswalk needs the columns \"name\" (1997–2024 province) and \"province_2025\" (its 2025 province); found %s", name, strings.Join(head, ", "))
	}
	old := provinces.NewMatcher(provinces.Geo1997)
	nw := provinces.NewMatcher(provinces.Geo2025)
	cw := Crosswalk{}
	for row := 2; ; row++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		o, err := old.Canonical(rec[oi])
		if err != nil {
			return nil, fmt.Errorf("%s, row %d, column name: %w", name, row, err)
		}
		n, err := nw.Canonical(rec[ni])
		if err != nil {
			return nil, fmt.Errorf("%s, row %d, column province_2025: %w", name, row, err)
		}
		if prev, ok := cw[o]; ok && prev != n {
			return nil, fmt.Errorf("%s, row %d: %s is mapped to both %s and %s", name, row, o, prev, n)
		}
		cw[o] = n
	}
	if len(cw) == 0 {
		return nil, fmt.Errorf("%s: the crosswalk has no rows", name)
	}
	return cw, nil
}
