// Command embed shows how another Go service (a one-stop-shop system, the
// PAR Index system) embeds the SIPAS calculation: it turns the ballots it
// holds into an Arrow record batch, describes the survey design, and asks
// package index for the criterion, element and SIPAS indices with their
// standard errors. Only public packages are used.
//
//	go run ./examples/embed
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/sampling"
)

// Ballot is how the host service keeps a returned questionnaire.
type Ballot struct {
	ID       string
	Province string
	Commune  string // the primary sampling unit
	Weight   float64
	Answers  map[string]int8 // criterion column → code 1..5, 9 = no answer
}

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "embed:", err)
		os.Exit(1)
	}
}

func run(w io.Writer) error {
	q := index.DefaultQuestionnaire()
	ballots := exampleBallots(q, 600)

	rec := toArrow(q, ballots)
	defer rec.Release()

	// Stratified by province, communes as PSUs, final weights.
	design, err := sampling.NewDesign(rec, &sampling.DesignOptions{Weight: "weight", Strata: "province", PSU: "commune"})
	if err != nil {
		return err
	}
	res, err := index.Compute(context.Background(), design, rec, q, &index.Options{By: []string{"province"}, NoExpectations: true})
	if err != nil {
		return err
	}
	// Hand the host the SIPAS rows (national first, then each province).
	type out struct {
		Province string  `json:"province"`
		SIPAS    float64 `json:"sipas"`
		SE       float64 `json:"se"`
		Low      float64 `json:"ci_low"`
		High     float64 `json:"ci_high"`
		N        int     `json:"n"`
	}
	var rows []out
	for _, r := range res.Rows {
		if r.Kind != index.KindSIPAS {
			continue
		}
		p := "national"
		if len(r.Domain) > 0 {
			p = r.Domain[0].Value
		}
		rows = append(rows, out{p, r.Estimate, r.SE, r.CILow, r.CIHigh, r.N})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rows)
}

// toArrow builds the record batch the library reads: one row per ballot,
// one int8 column per criterion.
func toArrow(q *index.Questionnaire, bs []Ballot) arrow.RecordBatch {
	mem := memory.DefaultAllocator
	fields := []arrow.Field{
		{Name: "ballot_id", Type: arrow.BinaryTypes.String},
		{Name: "province", Type: arrow.BinaryTypes.String},
		{Name: "commune", Type: arrow.BinaryTypes.String},
		{Name: "weight", Type: arrow.PrimitiveTypes.Float64},
	}
	for _, c := range q.Criteria {
		fields = append(fields, arrow.Field{Name: c.Column, Type: arrow.PrimitiveTypes.Int8, Nullable: true})
	}
	b := array.NewRecordBuilder(mem, arrow.NewSchema(fields, nil))
	defer b.Release()
	for _, bl := range bs {
		b.Field(0).(*array.StringBuilder).Append(bl.ID)
		b.Field(1).(*array.StringBuilder).Append(bl.Province)
		b.Field(2).(*array.StringBuilder).Append(bl.Commune)
		b.Field(3).(*array.Float64Builder).Append(bl.Weight)
		for i, c := range q.Criteria {
			fb := b.Field(4 + i).(*array.Int8Builder)
			if v, ok := bl.Answers[c.Column]; ok {
				fb.Append(v)
			} else {
				fb.AppendNull()
			}
		}
	}
	return b.NewRecordBatch()
}

// exampleBallots stands in for the host's database: two provinces, four
// communes each, answers drawn at random (seeded, so the output is fixed).
func exampleBallots(q *index.Questionnaire, n int) []Ballot {
	rng := rand.New(rand.NewPCG(1, 2))
	provs := []string{"Hà Nội", "Cần Thơ"}
	out := make([]Ballot, n)
	for i := range out {
		p := provs[i%2]
		b := Ballot{ID: fmt.Sprintf("B%05d", i+1), Province: p, Commune: fmt.Sprintf("%s-%d", p, i%8/2), Weight: 50 + float64(i%7)*10,
			Answers: map[string]int8{}}
		for _, c := range q.Criteria {
			switch u := rng.Float64(); {
			case u < 0.03:
				b.Answers[c.Column] = 9 // no answer
			case u < 0.10:
				b.Answers[c.Column] = 2
			case u < 0.25:
				b.Answers[c.Column] = 3
			case u < 0.70:
				b.Answers[c.Column] = 4
			default:
				b.Answers[c.Column] = 5
			}
		}
		out[i] = b
	}
	return out
}
