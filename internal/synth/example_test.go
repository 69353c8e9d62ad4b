package synth_test

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/sipas-go/sipas/internal/synth"
)

// A ready-drawn survey of 63 provinces × 20 communes with its truth.
func ExampleSurvey() {
	rb, truth, err := synth.Survey(synth.SurveyConfig{Seed: 1, BallotsPerPSU: 10}, memory.DefaultAllocator)
	if err != nil {
		panic(err)
	}
	defer rb.Release()
	ids := rb.Column(0).(*array.String)
	fmt.Println(rb.NumRows(), "ballots, first", ids.Value(0))
	fmt.Printf("true national SIPAS 2021: %.1f%%\n", 100*truth.SIPAS(2021, ""))
	_, class := truth.Trend(2021, "Hà Nội")
	fmt.Println("Hà Nội is", class)
	// Output:
	// 12600 ballots, first 2021-01-000001
	// true national SIPAS 2021: 82.5%
	// Hà Nội is improving
}
