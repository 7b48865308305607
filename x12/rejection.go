package x12

// ClaimRejection is what a 999 or a 277CA says of one claim that was not
// accepted, in the terms the billing work queue needs to find the claim and
// act on it.
type ClaimRejection struct {
	Source string `json:"source"` // "999" or "277CA"
	// Segment and Offset locate the AK2 (999) or the 2200D TRN (277CA).
	Segment int   `json:"segment"`
	Offset  int64 `json:"offset"`

	GroupControl string `json:"group_control,omitempty"` // 999 AK102: GS06 of the 837 group
	SetControl   string `json:"set_control,omitempty"`   // 999 AK202: ST02 of the rejected 837
	// BatchReference is the 277CA's 2200B TRN02, the 837's BHT03 echoed back.
	BatchReference       string `json:"batch_reference,omitempty"`
	PatientControlNumber string `json:"patient_control_number,omitempty"` // CLM01: 999 CTX*CLM01, 277CA 2200D TRN02
	PayerClaimNumber     string `json:"payer_claim_number,omitempty"`     // 277CA REF*1K
	ClearinghouseTrace   string `json:"clearinghouse_trace,omitempty"`    // 277CA REF*D9

	// Category is the 277CA claim status category (STC01-1: A3, A6, A7, A8)
	// or the 999 IK501 status (R, M, W, X).
	Category string `json:"category"`
	// Statuses are the 277CA claim status codes (STC01-2, STC10-2, STC11-2)
	// or the 999 error codes (IK502–IK506, IK304, IK403), in order.
	Statuses []string `json:"statuses,omitempty"`
	Entity   string   `json:"entity,omitempty"` // 277CA STC01-3: 85 billing provider, IL subscriber, QC patient, ...
	// Lines are the line item control numbers (2220D REF*FJ, the 837's
	// REF*6R) of the rejected service lines; empty for a claim-level rejection.
	Lines []string `json:"lines,omitempty"`
}
