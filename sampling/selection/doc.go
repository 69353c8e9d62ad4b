// Package selection is sample size, allocation and selection for SIPAS: how
// many ballots, how they are spread over strata, and which units of a
// population frame are drawn.
//
//   - Size: Yamane's n = N/(1 + N e²) (YamaneSize), Cochran's
//     n₀ = z² p(1−p) deff/e² with the finite population correction
//     n = n₀/(1 + (n₀ − 1)/N) (CochranSize), the margin of error of a share
//     (MarginOfError), and SizeRule for a per-stratum rule.
//   - Allocation of n over strata (Allocate): equal, proportional, Neyman
//     (N_h S_h), optimal with costs (N_h S_h/√c_h) and power allocation
//     (N_h^q), with minimum and maximum counts and largest-remainder
//     rounding.
//   - Selection: simple random sampling (SelectSRS), systematic
//     (SelectSystematic) and systematic probability proportional to size
//     (SelectPPSSystematic) with inclusion probabilities capped at 1 as
//     R sampling::inclusionprobabilities (InclusionProbabilities).
//
// A whole multi-stage design (the DESIGN.json format, ParseSampleDesign)
// is drawn from a frame of Arrow records or a file (NewRecordFrame,
// NewFileFrame) by SelectSample, which returns the selected rows with their
// stratum, inclusion probability, design weight, PSU and fpc columns, ready
// for sampling.NewDesign; Plan reports the expected counts, margins and
// cost before drawing.
//
// Results agree with R sampling (inclusionprobabilities, UPsystematic) and
// with the formulas written out in testdata/sampling.R, whose goldens the
// tests compare with.
package selection
