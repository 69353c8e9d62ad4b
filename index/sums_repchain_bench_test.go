package index

import (
	"testing"

	"github.com/sipas-go/sipas/weighting"
)

// BenchmarkTrimmedLinearReplicatesStream is
// BenchmarkCalibratedReplicatesStream with trimming of g to [0.98, 1.02]:
// "streamed" solves the 126 replicates' closed forms in one pass and their
// trimming in another (SolveNewtonReplicates) and sums the ballots with
// their replicate weights; "in-memory" calibrates and trims the rows 126
// times (weighting.NewDesign):
//
//	SIPAS_CAL_BALLOTS=300000 go test ./index -run '^$' -bench TrimmedLinearReplicatesStream -benchtime 1x
func BenchmarkTrimmedLinearReplicatesStream(b *testing.B) {
	benchCalibratedReplicates(b, "", func(c *weighting.CalibrateStep) { c.Trim = &[2]float64{0.98, 1.02} })
}

// BenchmarkAggregateReplicatesStream is
// BenchmarkCalibratedReplicatesStream with the calibration of the PSUs'
// means (aggregate): "streamed" sums every replicate's clusters' mean
// weights with its margins and solves its closed form in one more pass;
// "in-memory" calibrates the rows' cluster means 126 times:
//
//	SIPAS_CAL_BALLOTS=300000 go test ./index -run '^$' -bench AggregateReplicatesStream -benchtime 1x
func BenchmarkAggregateReplicatesStream(b *testing.B) {
	benchCalibratedReplicates(b, "", func(c *weighting.CalibrateStep) { c.Aggregate = "psu" })
}
