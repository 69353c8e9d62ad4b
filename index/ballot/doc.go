// Package ballot processes SIPAS ballots before estimation (METHODOLOGY §6
// and §7): Validate splits a table of ballots into the rows used and the
// rows excluded, each exclusion with its reason, and its counts reconcile
// (rows in = rows used + rows excluded); Reconcile compares two keyings of
// the same ballots field by field (double data entry); ResponseRates and
// ResponseRatesFromSample give issued, returned and valid ballots and the
// response rates by stratum; Screen looks for ballots a collector may have
// filled himself (straight-lining, near-copies by the maximum percent
// match against a cross-collector reference, collectors that stand out);
// BackcheckSample draws the ballots to re-contact in the back-check and
// CompareBackcheck compares the re-contact answers with the ballots (IPA
// bcstats: error rates by collector, team, back-checker and variable, and
// stability tests), whose verdict Validate takes as BackcheckFailed.
package ballot
