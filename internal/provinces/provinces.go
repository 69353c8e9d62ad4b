// Package provinces embeds Vietnam's provincial reference data: the 63
// provinces in force from 2008 to mid-2025 (codes, names, regions, approximate
// 2019 population) and the 2025 merger into 34 provinces (Resolution
// 202/2025/QH15), as shipped in provinces.csv.
//
// Names in survey data are matched with Canonical, CanonicalForYear or, for
// whole columns, a Matcher: they survive NFC/NFD, old- and new-style tone
// placement, case, stray spaces, missing diacritics, administrative prefixes
// ("Tỉnh", "TP.") and common aliases ("TP.HCM", "Huế"), and are read in the
// geography of the data's year (Geo1997: the 63 up to 2024; Geo2025: the 34
// from 2025; METHODOLOGY §8). To2025 is the crosswalk from old to new.
package provinces

import (
	_ "embed"
	"encoding/csv"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

//go:embed provinces.csv
var provincesCSV string

// Province is one of the 63 provinces of the 1997–2024 geography (strictly,
// the geography in force from 2008 to the 2025 merger).
type Province struct {
	Code        string // two-digit General Statistics Office code, e.g. "01"
	Name        string // canonical Vietnamese name, NFC, e.g. "Hà Nội"
	NameASCII   string // name without diacritics, e.g. "Ha Noi"
	Region      string // socio-economic region (vi)
	Population  int    // approximate population, 2019 census
	Merged      string // the 2025 province it belongs to, e.g. "Phú Thọ"
	MergedASCII string
}

// Merged2025 is one of the 34 provinces formed in 2025.
type Merged2025 struct {
	Name       string   // canonical Vietnamese name, NFC
	NameASCII  string   // without diacritics
	Members    []string // canonical names of the old provinces merged into it, in code order
	Population int      // sum of the members' approximate 2019 populations
}

var (
	all    []Province
	merged []Merged2025
	byCode map[string]int
)

func init() {
	r := csv.NewReader(strings.NewReader(provincesCSV))
	recs, err := r.ReadAll()
	if err != nil {
		panic("provinces: embedded provinces.csv: " + err.Error())
	}
	byCode = make(map[string]int)
	mi := map[string]int{}
	for i, rec := range recs[1:] {
		pop, err := strconv.Atoi(rec[4])
		if err != nil {
			panic(fmt.Sprintf("provinces: embedded provinces.csv line %d: %v", i+2, err))
		}
		p := Province{Code: rec[0], Name: rec[1], NameASCII: rec[2], Region: rec[3], Population: pop, Merged: rec[5], MergedASCII: rec[6]}
		byCode[p.Code] = len(all)
		all = append(all, p)
		k, ok := mi[p.Merged]
		if !ok {
			k = len(merged)
			mi[p.Merged] = k
			merged = append(merged, Merged2025{Name: p.Merged, NameASCII: p.MergedASCII})
		}
		merged[k].Members = append(merged[k].Members, p.Name)
		merged[k].Population += pop
	}
	sort.Slice(merged, func(i, j int) bool { return merged[i].NameASCII < merged[j].NameASCII })
	buildIndexes()
}

// All returns the 63 provinces in code order. The slice is a copy.
func All() []Province { return append([]Province(nil), all...) }

// All2025 returns the 34 provinces of the 2025 geography, sorted by their
// ASCII name. The slice is a copy (Members slices are shared; do not modify).
func All2025() []Merged2025 { return append([]Merged2025(nil), merged...) }

// ByCode returns the province with the given two-digit code.
func ByCode(code string) (Province, bool) {
	i, ok := byCode[code]
	if !ok {
		return Province{}, false
	}
	return all[i], true
}

// Lookup returns the 1997–2024 province that name denotes, in any spelling
// Canonical accepts for Geo1997 (codes included).
func Lookup(name string) (Province, error) {
	c, err := Canonical(name, Geo1997)
	if err != nil {
		return Province{}, err
	}
	return all[byName[c]], nil
}

// Lookup2025 returns the 2025 province that name denotes, in any spelling
// Canonical accepts for Geo2025 (codes included).
func Lookup2025(name string) (Merged2025, error) {
	c, err := Canonical(name, Geo2025)
	if err != nil {
		return Merged2025{}, err
	}
	return merged[byName2025[c]], nil
}
