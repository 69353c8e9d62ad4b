// Package synth generates synthetic SIPAS data with a known truth,
// deterministically from a seed: a register of administrative transactions
// (the sampling frame of METHODOLOGY §5), the ballots returned from a sample
// of it with unit and item nonresponse and planted data-quality faults
// (§7), and — for tests and benchmarks that need many ballots fast — a
// ready-drawn stratified two-stage survey. Used by `sipas demo`, tests,
// benchmarks and examples.
//
// # API
//
//	cfg := synth.Config{Seed: 1}                      // zero value works: years 2019–2021, 300k rows/year
//	reg, err := synth.Register(cfg, 2021, mem)         // one batch: RegisterColumns
//	err = synth.RegisterBatches(cfg, 2021, mem, fn)    // streamed batches (30M rows in constant memory)
//	truth := synth.NewTruth(cfg)                       // Truth.P / Element / SIPAS / Share / CellP / Count /
//	                                                   // ResponseRate / ExpectationShare / Trend
//	res, err := synth.Respond(cfg, 2021, sample, truth, rnd, mem)
//	                                                   // res.Issued (responded 0/1), res.Ballots, res.Faults
//	rb, truth, err := synth.Survey(synth.SurveyConfig{Seed: 1, Ballots: 1_000_000}, mem)
//
// All batches are owned by the caller, who Releases them; every buffer comes
// from the given allocator.
//
// # Determinism
//
// Every random stream is a math/rand/v2 PCG generator seeded from
// Config.Seed, a purpose tag and the unit it belongs to (province, commune,
// PSU) through SplitMix64; nothing reads a global generator or depends on
// map iteration order, batch size or goroutine scheduling. The same seed
// gives byte-identical output (see rng.go for the floating-point caveat
// across architectures, which can matter only with probability ~1e-16 per
// draw). Respond draws from the *rand.Rand it is given, row by row.
//
// # The population
//
// The geography (geo.go) depends on the seed only: 63 provinces (up to
// 2024) with 8–15 districts each, one of them the provincial capital, and
// 8–20 communes per district; from 2025 the same communes are regrouped
// into the 34 merged provinces and the district level is gone (METHODOLOGY
// §8). A year's register has Config.TotalRows transactions apportioned to
// provinces in proportion to population (with a fixed ±10% factor and a
// yearly growth of −2%…+6%), to communes by size, and to level × field
// cells by a fixed mix (vocab.go) — all by largest remainder, so Truth knows
// the register's exact transaction mix.
//
// # The truth
//
// The probability of a satisfied answer (4 or 5) is Φ(η) with η a sum of a
// national baseline (82%), provincial effects and trends (21 provinces
// improving, 21 stable, 21 declining), element and criterion effects, a
// province × element interaction and level and field effects (effects.go).
// Truth.P is its transaction-weighted share per province (or nation),
// criterion and year; Element and SIPAS are the equal-weight means, as the
// indices are defined (METHODOLOGY §3). Answers come from a latent normal
// with a commune random effect and a respondent factor, thresholded so that
// P(4 or 5) equals the cell's probability exactly (ballots.go): design
// effects exceed 1 and criteria within a ballot correlate, yet weighted
// estimates converge to the truth.
package synth
