// Package index holds the questionnaire side of SIPAS and the ballot
// processing that precedes estimation (METHODOLOGY §2, §3 and §7):
//
//   - Questionnaires as data: a Questionnaire (elements, criteria, scale,
//     satisfied and missing codes, weights, labels in Vietnamese and English,
//     expectation items) is read from JSON by ParseQuestionnaire /
//     LoadQuestionnaire and checked by Validate. DefaultQuestionnaire is the
//     embedded SIPAS 2017–2020 layout (5 elements, 22 criteria).
//
//   - Ballot validation: ValidateBallots splits an Arrow record batch of
//     ballots into a clean table and an exclusion table with one reason per
//     problem, and its counts reconcile (rows in = rows used + rows
//     excluded).
//
//   - Double-entry reconciliation: Reconcile compares two keyings of the same
//     ballots field by field.
//
//   - Response tracking: ResponseRates and ResponseRatesFromSample give
//     issued, returned and valid ballots and the response rate by stratum.
//
//   - The indices: Compute gives the criterion, element and SIPAS indices
//     and the expectation shares, nationally and by domains, with
//     design-based standard errors, intervals, n and design effects, through
//     the one variance engine of package sampling (checked against R survey
//     in testdata/index.R).
//
//   - Trends: Trend runs Compute per year, each domain against the nation
//     (VsNationDiff), and CompareYears: changes with Holm or
//     Benjamini–Hochberg correction, rank confidence sets (RankDomains,
//     Mogstad, Romano, Shaikh & Wilhelm 2024), tiers, breaks in method
//     (Mapping) and the 2025 geography (ProvincesIn). StrengthsWeaknesses
//     and ImportancePerformance tell a province what to fix first.
package index
