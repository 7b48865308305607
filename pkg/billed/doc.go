// Package billed holds the billed side of reconciliation: professional
// claims as the practice sent them, loaded from decoded 837P files (FromX12)
// or from a billing system's CSV export (Reader, ReadAll), and the payers'
// fee schedules (ReadFeeSchedule) that say what a line should have been
// allowed.
//
// Readers never put a value in an error: a bad CSV row is reported by row
// number, column and what was expected, since the values may be PHI (member
// ids, birth dates). Good rows load even when others are bad.
package billed
