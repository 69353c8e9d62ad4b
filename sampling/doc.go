// Package sampling is survey design and analysis for SIPAS: the survey
// Design (strata, PSUs, weights, first-stage fpc, lonely-PSU policy,
// replicate weights) and design-based estimators with one variance engine.
// Sample size, allocation and selection are in package selection
// (sampling/selection).
//
// # Design and estimation
//
// NewDesign reads the design columns of an Arrow record once (weights,
// dense stratum and PSU codes). Every estimator is a Ratios handed to
// Design.EstimateRatios, the one variance routine of the package: K ratios
// Σ w y / Σ w x (or totals Σ w y) in G domains at once, plus linear
// combinations of them (the element and SIPAS indices), with
//
//   - linearization (R svyrecvar, ultimate cluster, with replacement at the
//     first stage): influence values z_i = w_i (y_i − R̂ x_i)/X̂ for a ratio,
//     w_i y_i for a total, Σ_k c_k z_ik for a combination, zero outside the
//     domain (every PSU kept: R's subset semantics), and
//     V = Σ_h (1 − f_h) n_h/(n_h − 1) Σ_j (z_hj − z̄_h)²;
//   - replicate weights (JK1, JKn, bootstrap and subbootstrap, BRR, Fay, or
//     columns supplied in the data): θ̂_r from the same Ratios with w_ri and
//     V = scale Σ_r rscale_r (θ̂_r − θ̄)² (R svrVar, mse or not).
//
// Ratios.Overall adds the all-rows domain to a by-domain call, in the same
// passes over the data (national and provincial indices at once). The
// difference between a domain and the whole population (a province against
// the nation, METHODOLOGY §8), with the covariance that comes from the
// province being part of the nation, is a combination of two estimands on
// the whole design: numerator y·d and denominator x·d (the domain's ratio)
// and y, x (the nation's), with coefficients (1, −1).
//
// Mean, Total, Ratio and Estimates build Ratios from columns (each variable
// drops only its own missing rows, as separate R svymean(~v, na.rm = TRUE)
// calls), by domains of one or more columns (NewDomains), with confidence
// intervals (ConfidenceInterval: Wald with t on the design df, logit and
// Korn–Graubard beta as R svyciprop, Clopper–Pearson with the unweighted n
// at a boundary share of 0 or 1), the unweighted n and the design effect
// (R's deff = "replace").
//
// Quantiles estimates quantiles (R svyquantile: the math and hf7 rules)
// with Woodruff intervals, whose CDF at the quantile is the mean of an
// indicator given to the same engine, or with the quantile recomputed on
// every replicate.
//
// Conventions follow R survey 4.1 so that results agree with it to 1e-9
// relative; testdata/estimation.R writes the goldens the tests compare
// with (the api data: stratified, one-stage and two-stage cluster designs
// with and without fpc, domains, every lonely-PSU mode, replicate designs
// with the replicate weights exported, confidence intervals).
//
// Known differences from R, on purpose: an empty domain (no observed row)
// has a NaN estimate where R svyby reports 0; linearization covers the
// first stage only (R's survey.ultimate.cluster = TRUE); the fpc must be
// constant within a stratum; BRR uses Sylvester Hadamard matrices (orders
// 2^k; R also uses other constructions for some numbers of strata) and
// needs exactly 2 PSUs per stratum.
package sampling
