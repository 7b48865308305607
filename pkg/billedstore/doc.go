// Package billedstore stores billed claims (837P files and CSV exports, read
// by pkg/billed) and payers' fee schedules in PostgreSQL, and reads them
// back for the matcher.
//
// Loading is idempotent: a billed claim is keyed by practice, CLM01,
// source and frequency code, so loading a file twice changes nothing. A
// claim loaded again under its key with other content is refused with a
// row-numbered error (a corrected claim is sent as a replacement,
// frequency 7, which is stored beside the original: history is kept and
// both stay candidates for the matcher, which prefers the version whose
// lines fit and, on a tie, the newest). Bad rows are reported by row (CSV)
// or segment (837) and the good ones load.
//
// The loading transaction also marks the paid claims that wait in the
// matcher's retry queue for these claims (same practice and CLM01, or a
// line's REF*6R), so a matcher re-matches them even if this process dies
// right after the commit; a message on RetrySubject only wakes it sooner.
//
// Each claim gets its patient key (billed_claims.patient_key, 0009): HMAC
// under the server's secret of the patient's member ID, birth date and
// name (rules.Keyer; Store.Keyer, else rulesstore.DefaultKeyer), by which the
// pain rules find the patient's history at every practice. A CSV claim
// needs the optional patient_last_name (and patient_first_name) columns
// for a key. A claim stored without a key gets it when the same claim is
// loaded again.
//
// A claim loaded from an 837P is also kept as the file sent it (the parsed
// x12.Claim and its transaction set's header, billed_claim_x12, 0023), so
// pkg/correct can regenerate it as a corrected, void or secondary claim;
// Claim837 reads it back (PHI: callers audit). A CSV-loaded claim has no
// such row and cannot be regenerated (ErrNotRegenerable).
//
// Service is the HTTP component: POST /v1/claims and POST /v1/fee-schedules.
package billedstore
