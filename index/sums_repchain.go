package index

// ClosedForm says whether the replicates' calibration is unbounded linear
// (with trimming of g), solved in closed form in one pass and trimmed in
// another, rather than by Newton iterations.
func (nr *NewtonReplicates) ClosedForm() bool { return nr.nr.ClosedForm() }

// Trims says whether the replicates' g is trimmed (one more pass).
func (nr *NewtonReplicates) Trims() bool { return nr.nr.Trims() }
