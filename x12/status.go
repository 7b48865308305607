package x12

import "github.com/remitq/remitq/pkg/money"

// The typed 277CA health care claim acknowledgment (005010X214): which
// claims of an 837 a payer or clearinghouse accepted into adjudication and
// which it rejected, and why. Field comments give the segment and element.

// StatusReport is the header of one 277CA transaction set (ST and BHT).
type StatusReport struct {
	// Segment and Offset locate the ST segment in the file.
	Segment int   `json:"segment"`
	Offset  int64 `json:"offset"`

	Control        string `json:"control"`                  // ST02
	Implementation string `json:"implementation,omitempty"` // ST03, else GS08
	ISAControl     string `json:"isa_control,omitempty"`    // ISA13
	GSControl      string `json:"gs_control,omitempty"`     // GS06

	Structure string `json:"structure,omitempty"` // BHT01: 0085
	Purpose   string `json:"purpose,omitempty"`   // BHT02: 08 status
	Reference string `json:"reference,omitempty"` // BHT03: originator's reference
	Date      Date   `json:"date,omitempty"`      // BHT04
	Time      string `json:"time,omitempty"`      // BHT05
	Type      string `json:"type,omitempty"`      // BHT06: TH receipt acknowledgment

	// Errors are the problems found in the header.
	Errors []*Error `json:"errors,omitempty"`
}

// StatusEntity is one level of the 277CA hierarchy above the claims: 2000A
// information source (the payer or clearinghouse, HL03 20), 2000B
// information receiver (the submitter, 21) or 2000C billing provider (19),
// with its name (2100), trace, dates and statuses (2200).
type StatusEntity struct {
	// Segment and Offset locate the HL segment in the file.
	Segment int   `json:"segment"`
	Offset  int64 `json:"offset"`

	Level  string        `json:"level"`   // HL03: 20, 21 or 19
	Parent *StatusEntity `json:"-"`       // the level above (nil for 2000A)
	Name   Name          `json:"name"`    // NM1: PR/AY source, 41 receiver, 85 provider
	Trace  string        `json:"trace"`   // TRN02: 2200A batch trace, 2200B the 837's BHT03, 2200C provider trace
	TraceQ string        `json:"trace_q"` // TRN01: 1 current, 2 referenced

	ReceivedDate Date `json:"received_date,omitempty"` // DTP*050 (2200A)
	ProcessDate  Date `json:"process_date,omitempty"`  // DTP*009 (2200A)

	Statuses   []StatusInfo `json:"statuses,omitempty"`   // STC (2200B, 2200C)
	Refs       []Ref        `json:"refs,omitempty"`       // REF (2200C: TJ, PQ, SY)
	Quantities []Qty        `json:"quantities,omitempty"` // QTY*90 accepted, QTY*AA rejected
	Amounts    []Amount     `json:"amounts,omitempty"`    // AMT*YU accepted, AMT*YY rejected

	Report *StatusReport `json:"-"` // the transaction set header
	// Errors are the problems found in this level.
	Errors []*Error `json:"errors,omitempty"`
}

// StatusCode is one claim status composite (STC01, STC10, STC11).
type StatusCode struct {
	Category string `json:"category"`         // -1: claim status category code (code source 507: A1, A2, A3, A6, A7, A8, ...)
	Code     string `json:"code"`             // -2: claim status code (code source 508: 20, 21, 562, ...)
	Entity   string `json:"entity,omitempty"` // -3: entity identifier code (85 billing provider, IL, QC, PR, 41, ...)
}

// StatusInfo is an STC segment.
type StatusInfo struct {
	Codes    []StatusCode  `json:"codes"`               // STC01, then STC10 and STC11 when present
	Date     Date          `json:"date,omitempty"`      // STC02: status information effective date
	Action   string        `json:"action,omitempty"`    // STC03: WQ accepted, U rejected
	Charge   *money.Amount `json:"charge,omitempty"`    // STC04: total claim (or line) charge
	FreeText string        `json:"free_text,omitempty"` // STC12
}

// StatusClaim is loop 2000D with 2100D, 2200D and its 2220D service lines:
// the acknowledgment of one claim.
type StatusClaim struct {
	// Segment and Offset locate the 2000D HL segment in the file.
	Segment int   `json:"segment"`
	Offset  int64 `json:"offset"`

	Report   *StatusReport `json:"-"` // the transaction set header
	Provider *StatusEntity `json:"-"` // the 2000C billing provider (Parent: 2000B, then 2000A)

	Patient              Name          `json:"patient"`                       // 2100D NM1*QC
	PatientControlNumber string        `json:"patient_control_number"`        // 2200D TRN02: the 837's CLM01
	Statuses             []StatusInfo  `json:"statuses,omitempty"`            // 2200D STC
	PayerClaimNumber     string        `json:"payer_claim_number,omitempty"`  // REF*1K
	ClearinghouseTrace   string        `json:"clearinghouse_trace,omitempty"` // REF*D9
	BillType             string        `json:"bill_type,omitempty"`           // REF*BLT (institutional)
	MedicalRecord        string        `json:"medical_record,omitempty"`      // REF*EA
	Refs                 []Ref         `json:"refs,omitempty"`                // other REF
	ServiceFrom          Date          `json:"service_from,omitempty"`        // DTP*472 (D8, or RD8 start)
	ServiceTo            Date          `json:"service_to,omitempty"`          // DTP*472 (RD8 end; ServiceFrom for D8)
	Lines                []*StatusLine `json:"lines,omitempty"`               // 2220D

	// Errors are the problems found in this claim's loops.
	Errors []*Error `json:"errors,omitempty"`
}

// StatusLine is loop 2220D: the status of one service line.
type StatusLine struct {
	// Segment and Offset locate the SVC segment in the file.
	Segment int   `json:"segment"`
	Offset  int64 `json:"offset"`

	Procedure   Procedure    `json:"procedure"`              // SVC01
	Charge      money.Amount `json:"charge"`                 // SVC02
	RevenueCode string       `json:"revenue_code,omitempty"` // SVC04
	Units       *Quantity    `json:"units,omitempty"`        // SVC07
	Statuses    []StatusInfo `json:"statuses,omitempty"`     // STC
	LineControl string       `json:"line_control,omitempty"` // REF*FJ: the 837's REF*6R
	ServiceFrom Date         `json:"service_from,omitempty"` // DTP*472
	ServiceTo   Date         `json:"service_to,omitempty"`
}

// StatusRecord is what StatusReader.Next returns: *StatusReport,
// *StatusEntity or *StatusClaim.
type StatusRecord interface{ statusRecord() }

func (*StatusReport) statusRecord() {}
func (*StatusEntity) statusRecord() {}
func (*StatusClaim) statusRecord()  {}

// rejectedCategory reports whether a claim status category code says the
// claim (or line) was not accepted into adjudication.
func rejectedCategory(c string) bool {
	switch c {
	case "A3", "A4", "A6", "A7", "A8":
		return true
	}
	return false
}

// rejectedStatus reports whether any composite of the statuses is a rejection.
func rejectedStatus(list []StatusInfo) bool {
	for _, s := range list {
		for _, c := range s.Codes {
			if rejectedCategory(c.Category) {
				return true
			}
		}
	}
	return false
}

// Rejected reports whether the claim, or one of its lines, was rejected
// (category A3, A4, A6, A7 or A8).
func (c *StatusClaim) Rejected() bool {
	if rejectedStatus(c.Statuses) {
		return true
	}
	for _, l := range c.Lines {
		if rejectedStatus(l.Statuses) {
			return true
		}
	}
	return false
}

// Rejected reports whether the level (a whole batch at 2200B, or a
// provider at 2200C) was rejected.
func (e *StatusEntity) Rejected() bool { return rejectedStatus(e.Statuses) }

// Rejection returns what the claim's rejection says, and false when the
// claim was accepted. Category, Entity and the first status codes come from
// the first rejecting STC composite; Statuses lists the codes of every
// rejecting composite of the claim and its lines; Lines the line control
// numbers of the rejected lines.
func (c *StatusClaim) Rejection() (ClaimRejection, bool) {
	if !c.Rejected() {
		return ClaimRejection{}, false
	}
	r := ClaimRejection{Source: "277CA", Segment: c.Segment, Offset: c.Offset,
		PatientControlNumber: c.PatientControlNumber, PayerClaimNumber: c.PayerClaimNumber,
		ClearinghouseTrace: c.ClearinghouseTrace}
	for p := c.Provider; p != nil; p = p.Parent {
		if p.Level == "21" {
			r.BatchReference = p.Trace
		}
	}
	add := func(list []StatusInfo) bool {
		found := false
		for _, s := range list {
			for _, sc := range s.Codes {
				if !rejectedCategory(sc.Category) {
					continue
				}
				found = true
				if r.Category == "" {
					r.Category, r.Entity = sc.Category, sc.Entity
				}
				if sc.Code != "" {
					r.Statuses = append(r.Statuses, sc.Code)
				}
			}
		}
		return found
	}
	add(c.Statuses)
	for _, l := range c.Lines {
		if add(l.Statuses) && l.LineControl != "" {
			r.Lines = append(r.Lines, l.LineControl)
		}
	}
	return r, true
}
