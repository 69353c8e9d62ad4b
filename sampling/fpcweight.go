package sampling

// FPCWeight returns the weight that a design without weight column gives
// each row for one sampling stage, from that stage's fpc value in a unit
// (a stratum at the first stage, a unit of the stage above at a later
// one) in which n units of the stage were sampled:
//
//	N/n,  N = fpc     when the fpc column holds population counts (counts:
//	                  some value of the column is > 1)
//	N/n,  N = n/fpc   when it holds sampling fractions (every value ≤ 1;
//	                  R as.fpc's popsize = sampsize/fpc), about 1/fpc
//
// n counts the stage's sampled units: the first stage's PSUs of the
// stratum, or its rows when the design has no PSU column (every row its
// own PSU). A row's weight is the first stage's FPCWeight (1/π under PPS)
// times that of every later stage, in stage order, as R svydesign without
// weights. The design checks the values (N ≥ n ≥ 1, fpc > 0); FPCWeight
// does not.
func FPCWeight(fpc float64, n int, counts bool) float64 {
	return fpcPopulation(fpc, n, counts) / float64(n)
}

// fpcPopulation is FPCWeight's population size N.
func fpcPopulation(fpc float64, n int, counts bool) float64 {
	if counts {
		return fpc
	}
	return float64(n) / fpc // R: popsize <- sampsize/fpc
}
