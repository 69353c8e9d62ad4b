package selection

// StageMethod is how a stage selects its units: the "method" of a stage in
// DESIGN.json.
type StageMethod string

// The stage methods. The row stage takes SRS, Systematic or Census.
const (
	SRS           StageMethod = "srs"            // simple random sampling without replacement
	Systematic    StageMethod = "systematic"     // a random start, then every k-th in frame (or sort) order
	PPSSystematic StageMethod = "pps_systematic" // systematic on cumulated size measures (Madow)
	Census        StageMethod = "census"         // every unit
)

// AllocationMethod is how a domain's sample size is shared across its
// strata: the "method" of DESIGN.json's allocation. The zero value is
// Proportional.
type AllocationMethod string

// The allocation methods; the weights n_h ∝ … are those of Allocate.
const (
	Proportional AllocationMethod = "proportional" // N_h
	Equal        AllocationMethod = "equal"        // 1
	Neyman       AllocationMethod = "neyman"       // N_h S_h
	Optimal      AllocationMethod = "optimal"      // N_h S_h / √c_h
	Power        AllocationMethod = "power"        // N_h^q
)

// SizeMethod is the base formula of a domain's sample size.
type SizeMethod string

// The size formulas.
const (
	Yamane SizeMethod = "yamane" // n = N / (1 + N e²)
	MOE    SizeMethod = "moe"    // Cochran's size for a margin of error, with design effect and fpc
)
