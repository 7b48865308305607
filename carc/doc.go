// Package carc holds the X12 code lists an 835 speaks in — claim adjustment
// reason codes (CARC), remittance advice remark codes (RARC), claim
// adjustment group codes, CLP02 claim status codes and PLB reason codes —
// embedded from data files that keep their source and date
// (data/SOURCES.md), with remitq's plain-language reading of each code.
//
// Every CARC has a class (denial, contractual, patient, info), a root-cause
// category (DESIGN.md keys: authorization, eligibility_coverage, ...), a
// short reason, a sentence a biller understands, a recommended action and
// whether it is usually appealable. The RARCs that matter in interventional
// pain billing, and the CARC + RARC pairs that mean something of their own
// (CO-16 + N54 is an authorization problem, CO-16 + N290 a missing rendering
// NPI), have the same.
//
// Lookups are map accesses on tables built once, on first use:
//
//	c, ok := carc.CARC("197")
//	e := carc.Explain("CO", "16", []string{"N290"})
//
// Unknown codes are normal — payers use new codes before any list has them —
// so Explain gives an "unknown code" reading with a warning instead of an
// error.
package carc
