package main

import (
	"cmp"
	"flag"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/internal/arrowio"
)

// aliasesUsage is the help of --aliases.
const aliasesUsage = "CSV file of local spellings of province names: columns alias and province (see docs/cli.md)"

// provinceFlags is --aliases and the province column of the commands that
// read province names (validate, index, estimate).
type provinceFlags struct {
	aliases string
	col     string
}

func addProvinceFlags(fs *flag.FlagSet) *provinceFlags {
	p := &provinceFlags{col: "province"}
	fs.StringVar(&p.aliases, "aliases", "", aliasesUsage)
	return p
}

// load reads --aliases (nil when not given); a bad file is bad input.
func (p *provinceFlags) load() (index.Aliases, error) {
	if p.aliases == "" {
		return nil, nil
	}
	a, err := index.LoadAliases(p.aliases)
	if err != nil {
		return nil, badInput(fmt.Errorf("--aliases: %w", err))
	}
	return a, nil
}

// canonical returns rec with its province column in canonical names
// when a domain or stratum column of the run is that column (so that one
// province is one domain, as validate, trend and report read it), with
// the recodes as notes. The names are read in the geography of the
// data's year column, or without one in the 63 provinces, else the 34.
// rec is returned retained when nothing applies; the caller releases the
// result.
func (p *provinceFlags) canonical(e *env, path string, rec arrow.RecordBatch, used []string, notes *runNotes) (arrow.RecordBatch, error) {
	if !slices.Contains(used, p.col) {
		rec.Retain()
		return rec, nil
	}
	if has, err := hasColumn(rec.Schema(), path, p.col, "--province-col"); err != nil || !has {
		if err != nil {
			return nil, err
		}
		rec.Retain()
		return rec, nil
	}
	aliases, err := p.load()
	if err != nil {
		return nil, err
	}
	if _, err := hasColumn(rec.Schema(), path, "year", ""); err != nil {
		return nil, err
	}
	readers, err := p.readers(aliases)
	if err != nil {
		return nil, err
	}
	out, recodes, err := p.canonicalBatch(rec, readers, aliases, 0)
	if err != nil {
		return nil, dataError(path, err)
	}
	notes.recoded(e.stderr, p.col, recodes)
	return out, nil
}

// readers returns the province name readers of both geographies with the
// aliases.
func (p *provinceFlags) readers(aliases index.Aliases) (map[index.Geography]func(string) (string, error), error) {
	readers := map[index.Geography]func(string) (string, error){}
	for _, g := range []index.Geography{index.Geo1997, index.Geo2025} {
		var err error
		if readers[g], err = index.ProvinceReader(g, aliases); err != nil {
			return nil, badInput(fmt.Errorf("--aliases %s: %w", p.aliases, err))
		}
	}
	return readers, nil
}

// canonicalBatch returns rec (whose first row is row first+1 of its
// input) with its province column in canonical names and the recodes:
// the names are read in the geography of its year column, or without one
// in the 63 provinces, else the 34; a column holding no province name at
// all (codes of a survey of its own, such as "P01") is left as plain
// labels (rec, retained). The caller releases the result.
func (p *provinceFlags) canonicalBatch(rec arrow.RecordBatch, readers map[index.Geography]func(string) (string, error), aliases index.Aliases, first int64) (arrow.RecordBatch, []index.Recode, error) {
	geos := []index.Geography{index.Geo1997, index.Geo2025}
	if schemaHas(rec.Schema(), "year") {
		g, _, err := dataGeography(rec, index.GeoAuto, 0)
		if err != nil {
			return nil, nil, err
		}
		geos = []index.Geography{g}
	}
	var firstErr error
	for _, g := range geos {
		out, recodes, err := index.CanonicalProvincesAt(rec, p.col, readers[g], nil, first)
		if err == nil {
			return out, recodes, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if !anyProvince(rec.Column(rec.Schema().FieldIndices(p.col)[0]), aliases) {
		rec.Retain()
		return rec, nil, nil
	}
	return nil, nil, fmt.Errorf("%w; fix the name, add the spelling to an --aliases file, or run sipas validate to exclude such ballots", firstErr)
}

// streamCanonical is canonical for a file read batch by batch: it returns
// the function that makes each batch's province names canonical (for
// index.StreamOptions.Transform), the columns it reads besides (year),
// and finish, which prints the recodes of all batches as one note each
// (an error of a batch does not name the file: the caller does);
// a nil function when the province column is not a domain or stratum
// column of the run. The names of a batch are read in the geography of
// its year column, as canonical reads a whole file's.
func (p *provinceFlags) streamCanonical(e *env, path string, used []string, notes *runNotes) (func(arrow.RecordBatch, int64) (arrow.RecordBatch, error), []string, func(), error) {
	if !slices.Contains(used, p.col) {
		return nil, nil, func() {}, nil
	}
	aliases, err := p.load()
	if err != nil {
		return nil, nil, nil, err
	}
	readers, err := p.readers(aliases)
	if err != nil {
		return nil, nil, nil, err
	}
	var mu sync.Mutex
	rows := map[index.Recode]int{} // From, To → rows
	transform := func(rec arrow.RecordBatch, first int64) (arrow.RecordBatch, error) {
		if !schemaHas(rec.Schema(), p.col) {
			rec.Retain()
			return rec, nil
		}
		out, recodes, err := p.canonicalBatch(rec, readers, aliases, first)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		for _, r := range recodes {
			rows[index.Recode{From: r.From, To: r.To}] += r.Rows
		}
		mu.Unlock()
		return out, nil
	}
	finish := func() {
		var rs []index.Recode
		for r, n := range rows {
			rs = append(rs, index.Recode{From: r.From, To: r.To, Rows: n})
		}
		slices.SortFunc(rs, func(a, b index.Recode) int {
			return cmp.Or(strings.Compare(a.To, b.To), strings.Compare(a.From, b.From))
		})
		notes.recoded(e.stderr, p.col, rs)
	}
	yc, err := presentOf(e, path, []string{"year"})
	if err != nil {
		return nil, nil, nil, err
	}
	return transform, yc, finish, nil
}

// anyProvince reports whether some value of col is a province name of
// either geography.
func anyProvince(col arrow.Array, aliases index.Aliases) bool {
	vals, valid, err := arrowio.Strings(col)
	if err != nil {
		return false
	}
	seen := map[string]bool{}
	for _, g := range []index.Geography{index.Geo1997, index.Geo2025} {
		read, err := index.ProvinceReader(g, aliases)
		if err != nil {
			return false
		}
		for i, v := range vals {
			if (valid != nil && !valid[i]) || seen[v] {
				continue
			}
			seen[v] = true
			if _, err := read(v); err == nil {
				return true
			}
		}
		clear(seen)
	}
	return false
}

// recoded keeps the recodes of column col and prints them on w.
func (n *runNotes) recoded(w interface{ Write([]byte) (int, error) }, col string, rs []index.Recode) {
	for _, r := range rs {
		fmt.Fprintf(w, "sipas: note: %s %q read as %q (%d rows)\n", col, r.From, r.To, r.Rows)
		n.Recoded = append(n.Recoded, recodeJSON{Column: col, From: r.From, To: r.To, Rows: r.Rows})
	}
}

// yearColumn returns the year column to read along with the others when
// the province column is a domain or stratum column (its geography
// depends on the year), if the file has it; a near miss of it is an
// error (nearMiss).
func (p *provinceFlags) yearColumn(path string, by []string, strata string) ([]string, error) {
	if !slices.Contains(by, p.col) && strata != p.col {
		return nil, nil
	}
	return presentOf(nil, path, []string{"year"})
}
