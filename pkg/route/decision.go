package route

import (
	"github.com/remitq/remitq/carc"
	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/money"
)

// Disposition is what happened to a line, from the practice's side.
type Disposition string

// Dispositions.
const (
	// Denied: nothing paid and a denial code took the money.
	Denied Disposition = "denied"
	// PartiallyDenied: something paid, and a denial code took part of it.
	PartiallyDenied Disposition = "partially_denied"
	// UnderpaidLine: paid without denial codes but below the contracted amount.
	UnderpaidLine Disposition = "underpaid"
	// PatientResponsibility: nothing paid by the payer; the balance is the
	// patient's (deductible, coinsurance, copay).
	PatientResponsibility Disposition = "patient_responsibility"
	// Contractual: nothing paid; the whole balance is a contractual or other
	// non-denial adjustment (write-down, capitation, prior payer paid it).
	Contractual Disposition = "contractual"
	// Paid: paid, nothing denied, nothing short.
	Paid Disposition = "paid"
	// Reversed: the payer takes back an earlier payment (CLP02 = 22); the
	// correcting claim that follows carries the new decision.
	Reversed Disposition = "reversed"
)

// WorkKind says which queue a line's work item goes to; "" means none.
type WorkKind string

// Work item kinds.
const (
	NoWork              WorkKind = ""
	DenialWork          WorkKind = "denial"
	UnderpaymentWork    WorkKind = "underpayment"
	UnmatchedRemittance WorkKind = "unmatched_remittance"
)

// Decision is the router's verdict on one line (or one claim, LineIndex 0).
// Its JSON form is the per-line object of the offline command:
//
//	{"clp01": "...", "svc_index": N, "procedure": "...", "disposition": "denied",
//	 "category": "authorization", "carc": ["CO-197"], "rarc": ["N54"], "text": "...",
//	 "action": "...", "amount_at_risk": "0.00", "appeal_deadline": "YYYY-MM-DD",
//	 "priority": N, ...}
type Decision struct {
	ClaimID     string      `json:"clp01"`
	LineIndex   int         `json:"svc_index"`
	Procedure   string      `json:"procedure"` // code, with modifiers after "-" ("64493-50")
	Disposition Disposition `json:"disposition"`
	// Category is the root cause for denials and underpayments ("" otherwise).
	Category carc.Category `json:"category"`
	CARC     []string      `json:"carc"` // every CAS of the line as "CO-45"
	RARC     []string      `json:"rarc"` // the remark codes that were read
	Text     string        `json:"text"` // the work item's sentence
	Action   string        `json:"action"`
	// AmountAtRisk is the money the work item can recover; see the package doc.
	AmountAtRisk   money.Amount `json:"amount_at_risk"`
	AppealDeadline day.Day      `json:"appeal_deadline"`
	Priority       int          `json:"priority"`

	WorkItem   WorkKind `json:"work_item,omitempty"`
	Reason     string   `json:"reason,omitempty"`        // short phrase inside Text
	Detail     string   `json:"detail,omitempty"`        // plain-language reading of the codes
	Decisive   string   `json:"decisive_carc,omitempty"` // the adjustment that decided ("CO-197")
	Appealable bool     `json:"appealable"`
	// PatientLiable: the payer put the denied amount on the patient (group PR).
	PatientLiable bool `json:"patient_liable,omitempty"`
	// Rule names what sharpened the category beyond the codes
	// ("pain/imaging-included", a Sharpener's rule id, "match/...").
	Rule     string   `json:"rule,omitempty"`
	Warnings []string `json:"warnings,omitempty"`

	// Profile names the payer profile that gave the deadline, the route and
	// the bilateral form ("" without one: remitq's defaults).
	Profile string `json:"profile,omitempty"`
	// Route is how the work item is worked, from the profile: appeal,
	// reopening, corrected_claim, new_claim, bill_patient, dispute or
	// write_off ("" without a profile).
	Route string `json:"route,omitempty"`
	// TimelyFiling is the end of the payer's filing limit (date of service
	// + the profile's days), shown beside the appeal deadline.
	TimelyFiling day.Day `json:"timely_filing,omitzero"`
	// DeadlineSource says where the deadline comes from ("42 CFR 405.942(a)").
	DeadlineSource string `json:"deadline_source,omitempty"`

	recoverability int    // percent; 0 = the category's
	appealName     string // the profile's first appeal level, for the text
}

// Work routes (Decision.Route).
const (
	RouteAppeal         = "appeal"
	RouteReopening      = "reopening"
	RouteCorrectedClaim = "corrected_claim"
	RouteNewClaim       = "new_claim"
	RouteBillPatient    = "bill_patient"
	RouteDispute        = "dispute"
	RouteWriteOff       = "write_off"
)
