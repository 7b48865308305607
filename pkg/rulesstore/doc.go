// Package rulesstore keeps in PostgreSQL (0009_rules.sql) what the pain rules
// (pkg/rules) read beside their data files, and runs the pre-bill check
// over it.
//
// # Patients
//
// A billed claim carries a patient key (billed_claims.patient_key):
// HMAC-SHA256 under a server secret of the normalised member ID, birth date
// and name (rules.Keyer), filled by pkg/billedstore when claims load. The
// secret never reaches the database: KeyConfig reads it from
// REMITQ_PATIENT_KEY or REMITQ_PATIENT_KEY_FILE, and the all-in-one remitq
// keeps one in <data>/patient.key (created on first use, as the API's
// jwt.key). DefaultKeyer is the process's; every process that stores or
// compares keys must share it.
//
// LoadHistory reads a batch of patients' billed lines at every practice
// (a rules.History): claims with the patient's key, and claims stored
// without a key (before 0009, or a CSV without names) by member ID and
// birth date. Loading the same 837 again fills a missing key. Lines of
// voided and replaced claims are left out; a line is paid when a remit paid
// it, denied when remits only denied it.
//
// # Sharing
//
// Policy is the sharing policy in the tables: a switch for cross-practice
// counting, a switch for practices billing under one tax ID
// (practices.tin), and groups of practices an administrator declared
// (PutGroup). Practices are keyed by their database id in decimal.
//
// # Records
//
// StoreAuths and StoreRelief store prior authorizations and block relief
// read by rules.ReadAuths / ReadRelief (CSV) or ReadAuthsJSON /
// ReadReliefJSON, idempotently (a record is keyed by practice and its
// natural key; storing it again updates it). A practice's checks read its
// own records and those of the practices whose history it may see (Books).
//
// # Check
//
// Checker.CheckX12 checks the claims of an 837P file as one batch against
// all of it: the findings of `POST /v1/claims/check` and `remitq check
// --db`.
package rulesstore
