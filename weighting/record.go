package weighting

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/internal/arrowio"
)

// MetadataKey is the schema metadata key under which a Record travels
// with a weighted table (Parquet and Arrow IPC keep schema metadata; CSV
// cannot).
const MetadataKey = "sipas.weighting"

// RecordVersion is the version of the Record format this package reads
// and writes.
const RecordVersion = 1

// Record is the response accounting of a weighting's nonresponse step, by
// survey year, as stored in the schema metadata of the weighted table
// under MetadataKey, in JSON:
//
//	{"version":1,"years":[{"year":2019,"issued":40,"returned":36,"valid":30,
//	  "classes":[{"class":"Hà Nội","issued":20,"returned":18,"valid":15,
//	  "returned_rate":0.9,"valid_rate":0.75,"weighted_returned_rate":0.9,
//	  "weighted_valid_rate":0.75,"factor":1.333}]}]}
//
// The classes are the step's weighting classes in its order; rates are
// fractions, null when undefined (NaN in Go). "year" is absent (0) when
// the table has no integer year column. When the table holds several
// years, the counts are split by year if the year column is one of the
// step's classes (the class labels then leave the year out); otherwise
// one entry has "years": [...] instead of "year", and its counts cannot be
// told apart by year.
type Record struct {
	Version int `json:"version"`
	// Weight is the final weight column the weighting wrote (absent in
	// records written before it was kept), so that a reader of the table
	// can use it without being told.
	Weight string       `json:"weight,omitempty"`
	Years  []RecordYear `json:"years"`
	// Warnings are what a reader of the weights must know (the calibrated
	// totals a trimming broke, Result.Misses); absent when none.
	Warnings []string `json:"warnings,omitempty"`
	// Misses are those calibrated totals as data (Warnings says them in
	// words), largest relative gap first; absent when none.
	Misses []RecordMiss `json:"misses,omitempty"`
}

// RecordMiss is a TargetMiss as recorded, in JSON
//
//	{"step":"steps[0].poststratify","trim":"steps[1].trim","margin":"province",
//	 "class":"Hà Nội","target":125509,"final":50450}
//
// ("class" absent for a numeric total); RecordMiss(m) converts one.
type RecordMiss struct {
	Step     string  `json:"step"`
	Trim     string  `json:"trim"`
	Margin   string  `json:"margin"`
	Class    string  `json:"class,omitempty"`
	Target   float64 `json:"target"`
	Achieved float64 `json:"final"`
}

// Gap is the relative gap (Achieved − Target) / Target.
func (m RecordMiss) Gap() float64 { return TargetMiss(m).Gap() }

// RecordYear is the response accounting of one survey year.
type RecordYear struct {
	Year     int           `json:"year,omitempty"`
	Years    []int         `json:"years,omitempty"` // several years counted together
	Issued   int           `json:"issued"`
	Returned int           `json:"returned"`
	Valid    int           `json:"valid"`
	Classes  []RecordClass `json:"classes"`
}

// RecordClass is the response accounting of one weighting class.
type RecordClass struct {
	Class                string  `json:"class"`
	Issued               int     `json:"issued"`
	Returned             int     `json:"returned"`
	Valid                int     `json:"valid"`
	ReturnedRate         float64 `json:"returned_rate"`
	ValidRate            float64 `json:"valid_rate"`
	WeightedReturnedRate float64 `json:"weighted_returned_rate"`
	WeightedValidRate    float64 `json:"weighted_valid_rate"`
	Factor               float64 `json:"factor"`
}

// recordClassJSON is RecordClass on the wire: NaN and ±Inf are null.
type recordClassJSON struct {
	Class                string   `json:"class"`
	Issued               int      `json:"issued"`
	Returned             int      `json:"returned"`
	Valid                int      `json:"valid"`
	ReturnedRate         *float64 `json:"returned_rate"`
	ValidRate            *float64 `json:"valid_rate"`
	WeightedReturnedRate *float64 `json:"weighted_returned_rate"`
	WeightedValidRate    *float64 `json:"weighted_valid_rate"`
	Factor               *float64 `json:"factor"`
}

func finiteOrNil(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func nanIfNil(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// MarshalJSON writes NaN and ±Inf rates as null.
func (c RecordClass) MarshalJSON() ([]byte, error) {
	return json.Marshal(recordClassJSON{Class: c.Class, Issued: c.Issued, Returned: c.Returned, Valid: c.Valid,
		ReturnedRate: finiteOrNil(c.ReturnedRate), ValidRate: finiteOrNil(c.ValidRate),
		WeightedReturnedRate: finiteOrNil(c.WeightedReturnedRate), WeightedValidRate: finiteOrNil(c.WeightedValidRate),
		Factor: finiteOrNil(c.Factor)})
}

// UnmarshalJSON reads null rates as NaN.
func (c *RecordClass) UnmarshalJSON(b []byte) error {
	var w recordClassJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*c = RecordClass{Class: w.Class, Issued: w.Issued, Returned: w.Returned, Valid: w.Valid,
		ReturnedRate: nanIfNil(w.ReturnedRate), ValidRate: nanIfNil(w.ValidRate),
		WeightedReturnedRate: nanIfNil(w.WeightedReturnedRate), WeightedValidRate: nanIfNil(w.WeightedValidRate),
		Factor: nanIfNil(w.Factor)}
	return nil
}

// NewRecord returns the Record of the first nonresponse step of res, the
// result of spec's steps over rec (Apply), with the survey years of rec's
// integer column yearColumn; nil when the spec has no nonresponse step.
func NewRecord(rec arrow.RecordBatch, spec *Spec, res *Result, yearColumn string) *Record {
	var st *StepResult
	var classes []string
	for i := range res.Steps {
		if res.Steps[i].Kind == "nonresponse" {
			st = &res.Steps[i]
			if i < len(spec.Steps) && spec.Steps[i].Nonresponse != nil {
				classes = spec.Steps[i].Nonresponse.Classes
			}
			break
		}
	}
	if st == nil {
		return nil
	}
	var distinct []int
	if idx := rec.Schema().FieldIndices(yearColumn); len(idx) > 0 {
		if ys, valid, err := arrowio.Ints(rec.Column(idx[0])); err == nil {
			for i, y := range ys {
				if (valid == nil || valid[i]) && !slices.Contains(distinct, int(y)) {
					distinct = append(distinct, int(y))
				}
			}
			slices.Sort(distinct)
		}
	}
	add := func(ry *RecordYear, label string, r ResponseRate) {
		ry.Issued += r.Issued
		ry.Returned += r.Returned
		ry.Valid += r.Valid
		ry.Classes = append(ry.Classes, RecordClass{Class: label, Issued: r.Issued, Returned: r.Returned, Valid: r.Valid,
			ReturnedRate: r.ReturnedRate, ValidRate: r.ValidRate,
			WeightedReturnedRate: r.WeightedReturnedRate, WeightedValidRate: r.WeightedValidRate, Factor: r.Factor})
	}
	if j := slices.Index(classes, yearColumn); len(distinct) > 1 && j >= 0 {
		if years := splitByYear(st.ResponseRates, j, len(classes), add); years != nil {
			return &Record{Version: RecordVersion, Years: years}
		}
	}
	ry := RecordYear{Classes: []RecordClass{}}
	for _, r := range st.ResponseRates {
		add(&ry, r.Class, r)
	}
	switch len(distinct) {
	case 0:
	case 1:
		ry.Year = distinct[0]
	default:
		ry.Years = distinct
	}
	return &Record{Version: RecordVersion, Years: []RecordYear{ry}}
}

// splitByYear splits the response rates by the year in the class column
// j of k; nil when a class has no integer year there.
func splitByYear(rates []ResponseRate, j, k int, add func(*RecordYear, string, ResponseRate)) []RecordYear {
	per := map[int]*RecordYear{}
	for _, r := range rates {
		if len(r.Values) != k {
			return nil
		}
		y, err := strconv.Atoi(r.Values[j])
		if err != nil {
			return nil
		}
		ry := per[y]
		if ry == nil {
			ry = &RecordYear{Year: y, Classes: []RecordClass{}}
			per[y] = ry
		}
		label := strings.Join(slices.Delete(slices.Clone(r.Values), j, j+1), ":")
		if label == "" {
			label = "(all)"
		}
		add(ry, label, r)
	}
	out := make([]RecordYear, 0, len(per))
	for _, y := range slices.Sorted(maps.Keys(per)) {
		out = append(out, *per[y])
	}
	return out
}

// For returns the entry of year y of a table that holds fileYears survey
// years: the entry of that year, else, when the table holds one year, its
// single entry if that entry's year or y (0: unknown) is unknown. An
// entry of several years is never returned; nil when none fits.
func (r *Record) For(y, fileYears int) *RecordYear {
	if r == nil {
		return nil
	}
	for i := range r.Years {
		if r.Years[i].Year == y && len(r.Years[i].Years) == 0 {
			return &r.Years[i]
		}
	}
	if fileYears == 1 && len(r.Years) == 1 && (r.Years[0].Year == 0 || y == 0) && len(r.Years[0].Years) == 0 {
		return &r.Years[0]
	}
	return nil
}

// SetIn returns md with MetadataKey set to the JSON of r (the other keys
// kept in their order).
func (r *Record) SetIn(md arrow.Metadata) arrow.Metadata {
	out, err := arrowio.SetMetadataJSON(md, MetadataKey, r)
	if err != nil {
		panic("weighting: cannot encode the record: " + err.Error()) // integers, strings and finite floats only
	}
	return out
}

// RecordFrom reads the Record of md; nil and no error when md has no
// MetadataKey. Malformed JSON, or a version other than RecordVersion, is
// an error naming the key.
func RecordFrom(md arrow.Metadata) (*Record, error) {
	var r Record
	ok, err := arrowio.MetadataJSON(md, MetadataKey, &r)
	switch {
	case !ok:
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("schema metadata %s is not valid JSON (%v); remove the key or re-run the weighting that wrote it", MetadataKey, err)
	case r.Version != RecordVersion:
		return nil, fmt.Errorf("schema metadata %s has version %d; this program reads version %d", MetadataKey, r.Version, RecordVersion)
	}
	return &r, nil
}
