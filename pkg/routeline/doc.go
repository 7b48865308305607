// Package routeline feeds the denial router (pkg/route) with the matcher's
// messages: it converts a LineMatch (proto/remitq/v1/match.proto, one per
// paid line or claim-level-only CLP on match.v1.line.<practice>) to the
// router's input, and decides it (Decide). The router service and the
// offline `remitq route` command share it.
//
// Conversion: the paid line's codes and amounts as received; the service
// date from DTM*472, else the claim's statement date; the remit date (the
// start of the appeal clock) from BPR16, else DTM*405; the match status
// from the method (unmatched → the unmatched remittance queue); the
// expected payment as the expected allowed amount less the patient's share;
// the billed code and modifiers when the payer changed them; siblings on the
// same date for the pain rules ("77003 next to 64483").
//
// Replay and Offline build LineMatch messages without a database: the pure
// matcher (pkg/match) over 837P claims in memory and 835 files, with the paid
// lines encoded as the ingest publishes them. Offline adds the router with
// the pain rules (pkg/painroute) over the 837 claims as history.
//
// It does no I/O beyond the bytes it is handed.
package routeline
