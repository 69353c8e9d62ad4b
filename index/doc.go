// Package index holds the questionnaire side of SIPAS, the indices and
// their trends (METHODOLOGY §2, §3 and §8):
//
//   - Questionnaires as data: a Questionnaire (elements, criteria, scale,
//     satisfied and missing codes, weights, labels in Vietnamese and English,
//     expectation items) is read from JSON by ParseQuestionnaire /
//     LoadQuestionnaire and checked by Validate. DefaultQuestionnaire is the
//     embedded SIPAS 2017–2020 layout (5 elements, 22 criteria).
//
//   - The indices: Compute gives the criterion, element and SIPAS indices
//     and the expectation shares, nationally and by domains, with
//     design-based standard errors, intervals, n and design effects, through
//     the one variance engine of package sampling (checked against R survey
//     in testdata/index.R).
//
//   - Trends: Trend runs Compute per year, with each domain against the
//     nation, and CompareYears: changes with Holm or Benjamini–Hochberg
//     correction, rank confidence sets and tiers (package rank), breaks in
//     method (Mapping) and the 2025 geography (ProvincesIn).
//     StrengthsWeaknesses and ImportancePerformance tell a province what to
//     fix first.
//
// Ballot validation, double-entry reconciliation and response rates, which
// precede estimation, are in package ballot.
package index
