// Package match joins 835 paid lines to the billed lines (837P or CSV)
// they pay. It is pure: no database, no NATS, no files; what it knows of
// billed claims and earlier payments comes through the Candidates
// interface, which Memory implements in memory and the matcher service
// implements with batch queries.
//
// The unit of work is a paid claim (one CLP with all its SVC lines),
// because duplicate lines with the same code and date can only be assigned
// deterministically with the whole claim in view. Matcher.Match follows the
// ladder of DESIGN.md:
//
//  1. earlier payments of the same payer claim (payer + CLP07): a reversal
//     (CLP02 = 22) nets line by line against the payment it reverses; the
//     claim after it with the same CLP01 (or a later one with the same
//     CLP07) is the correction and nets against the reversed payment; a
//     claim whose dedupe key (payer + CLP07 + CLP02 + service date) was seen
//     before is a duplicate remittance and posts nothing;
//  2. lines by REF*6R within the payee practice;
//  3. the claim by CLP01 within the practice, its lines by procedure (SVC06
//     when the payer changed the code), modifiers, service date and units,
//     tie-broken by charge, duplicates kept in the payer's order;
//  4. a scored fuzzy match on member id, service date, procedures and amount.
//
// Each line gets its billed claim and line, a method, a confidence in 0..1
// and flags: modifier_dropped, procedure_changed, units_reduced, underpaid
// (against a fee schedule), denied, bundled, split_claim, crossover, ... A
// line below the confidence threshold, or unmatched, is marked for review:
// Session keeps such paid claims in the Pending queue and matches them again
// when billed claims arrive (remits that came before their claims).
// Provider-level adjustments (PLB) link to a claim through PLB03-2 with
// Matcher.MatchPLB.
//
// Same inputs, same outputs: nothing depends on map order or the clock.
package match
