package index

// ClosedForm says whether the replicates' calibration is unbounded linear
// (with trimming of g), solved in closed form in one pass and trimmed in
// another, rather than by Newton iterations.
func (nr *NewtonReplicates) ClosedForm() bool { return nr.nr.ClosedForm() }

// Trims says whether the replicates' g is trimmed (one more pass).
func (nr *NewtonReplicates) Trims() bool { return nr.nr.Trims() }

// LaterPasses is the number of passes (among Passes) that re-ran the
// steps after the calibration on every replicate's class totals (one per
// step; 0: none).
func (nr *NewtonReplicates) LaterPasses() int { return nr.nr.LaterPasses() }
