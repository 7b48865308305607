// Package route is remitq's denial router: pure logic that takes one paid
// (or denied) service line with the matcher's facts and decides what
// happened to it, why, what it is worth and what a biller should do. It does
// no I/O; services/router feeds it matched lines and stores the decisions.
//
// # Disposition
//
// Each CAS adjustment is classified by group code + CARC (package carc):
// denial, contractual, patient, or other. Then, in order:
//
//   - reversed: CLP02 = 22 (or the matcher's "reversal" flag);
//   - denied / partially_denied: a denial code took money (or nothing was
//     paid and a denial code is present, or CLP02 = 4 with nothing paid);
//     partially when the payer still paid something;
//   - underpaid: no denial, but the matcher's expected payment exceeds the
//     paid amount by more than the tolerance (1.00 by default), or the
//     matcher flagged "underpaid" without an amount;
//   - patient_responsibility: nothing paid and the balance is the
//     patient's (PR-1/2/3 and kin);
//   - contractual: nothing paid and only write-downs or other non-denial
//     adjustments (CO-45, capitation, OA-23 prior payer paid it all);
//   - paid: everything else.
//
// A PR group on a denial code (PR-96, PR-204) is still a denial, with
// PatientLiable set: the payer refused and put the amount on the patient.
//
// # Category, text and action
//
// The category comes from the decisive denial adjustment (the largest one)
// read with the line's remark codes by carc.Explain: the CARC + RARC pair
// when it is curated, else a deciding RARC for a generic CARC, else the
// CARC. Built-in pain facts then sharpen it (77003 next to an injection
// that bundles it is coding_bundling to write off; modifier 50 on an add-on
// is modifier; 119 on an RFA is the regional session cap; ...), and last the
// configured Sharpener (the pain rules package) may override. The work
// item's Text is written from the codes and the line, e.g.
//
//	Denied: prior authorization missing (CARC 197, RARC N54) for 64635 on
//	2026-03-02 — attach the auth number if one was obtained, otherwise
//	request retro-authorization; appeal by 2026-05-31.
//
// # Amount at risk
//
// What working the item can bring in from the payer:
//
//   - denied / partially_denied: the matcher's expected payment minus what
//     was paid, when the contract amount is known; otherwise the sum of the
//     denial adjustments (when they carry no amount, or CLP02 = 4 came
//     without codes: charge − paid − the other adjustments). Contractual
//     write-downs (CO-45) and the patient's
//     share are not at risk: the first is not owed under the contract, the
//     second is collected from the patient. For a whole-line denial without
//     an expected amount this is the billed charge, which overstates the
//     recoverable money by the contractual discount — the best figure the
//     remit alone gives.
//   - underpaid: expected minus paid.
//   - unmatched remittance: at least the paid amount (money received that
//     cannot be posted), or the amount above when larger.
//   - all others: zero.
//
// # Deadline and priority
//
// Without a payer profile the appeal deadline is the remit date plus the
// appeal window (default 90 days). With one (Config.Payers, filled from the
// pain rules' profiles by painroute.RouteProfile), the profile gives the
// work route (Decision.Route), its deadline and the text: an appeal within
// the first appeal window (Medicare redetermination: 120 days from the
// initial determination), a Medicare reopening within a year, a corrected
// claim (frequency 7) or, for an unprocessable claim (CARC 16 + MA130), a
// new claim within timely filing from the date of service, a patient bill
// for PR-204; the timely-filing end is shown beside the deadline and the
// decision names the profile and the source (Decision.Profile,
// DeadlineSource). Priority, for lines that need a work item, is
// whole dollars at risk × recoverability of the category (percent,
// DefaultRecoverability) × urgency of the deadline (percent, Urgency) /
// 10 000; see Priority.
//
// # Pain rules
//
// RulesSharpener (rules.go) plugs the interventional pain-management rules
// (pkg/rules) into the router: it turns a denial's codes into the rule that
// explains it on the patient's history, e.g. CARC 119 on 64635 into "third
// lumbar RFA session in 12 months (2026-01-10, 2026-06-02 at another
// practice)", category frequency_limit. The billed lines and the history
// come through the BilledLookup and rules.History interfaces, which the
// router service fills from PostgreSQL and the offline command from 837
// files; ProfileFromRules and PayersFromRules give the router its view of
// the payer profiles.
package route
