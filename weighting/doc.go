// Package weighting turns design weights into final survey weights: nonresponse
// adjustment in weighting classes, post-stratification, raking (iterative
// proportional fitting), calibration (linear/GREG, raking-ratio and logit with
// bounds, Deville & Särndal 1992) and trimming, as described in METHODOLOGY §6
// and run from a WEIGHTING.json specification (CLI.md).
//
// Every step is a pure function over a weight slice (Nonresponse, PostStratify,
// Rake, Calibrate, Trim) that returns new weights and a StepResult recording
// what was done (cells, factors, convergence history, weight diagnostics, and
// the quantities a linearized variance needs to account for the calibration).
// Apply runs the steps of a Spec over the columns of an Arrow record batch;
// Compile binds a Spec to the columns once and Plan.Run re-runs the steps on
// any weight vector, which Plan.Replicate does for every replicate of a
// sampling.Design (JK1, JKn, bootstrap, BRR, Fay built from the design
// weights), as R re-weights each replicate of an svyrep.design.
// AppendWeights writes the final and replicate weights next to the input
// columns (the output of `sipas weight`). RunCells runs the steps on cells
// of rows that share their classes (CellKeysOf), from the cells' weight
// totals, for estimation from per-cell sums without the rows.
//
// Trimming on replicates uses each replicate's own median for
// "relative_to": "median" (R's trimWeights for svyrep designs is not a
// usable reference: survey 4.1.1 discards the trimmed sampling weights).
//
// Additions to the WEIGHTING.json schema of CLI.md: nonresponse.returned
// (a column marking returned ballots, for the response rates), trim.min,
// trim.redistribute ("proportional" or "equal" as R trimWeights) and
// trim.strict.
//
// Conventions follow R package survey (Lumley) so that results can be compared
// with it: PostStratify is survey::postStratify, Rake converges to the fixed
// point of survey::rake, Calibrate reproduces survey::calibrate (regcalibrate
// for unbounded linear calibration, grake's Newton iterations otherwise) and
// Trim with Redistribute "equal" is survey::trimWeights.
//
// Rows whose weight is zero are "dropped" rows (nonrespondents after a
// nonresponse step): they keep weight zero through every later step, are
// ignored when checking categories against totals, and are left out of the
// diagnostics. Callers that estimate should drop them (R: subset to
// respondents) or keep them with weight zero; totals are the same.
package weighting
