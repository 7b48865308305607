package billed

import (
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/x12"
)

// Claim is one billed professional claim as the practice sent it (837P loop
// 2300, or the rows of a CSV export sharing a practice and patient control
// number). Fields marked PHI must never be logged or put in an error.
type Claim struct {
	// ID is the database id of the stored claim; 0 when not stored.
	ID int64 `json:"id,omitempty"`
	// Source says where the claim was loaded from ("837", "csv", ...).
	Source string `json:"source,omitempty"`

	Practice          string       `json:"practice"`                      // remitq practice key (billing NPI unless the loader maps it)
	PatientControl    string       `json:"patient_control_number"`        // CLM01 (comes back in 835 CLP01)
	PayerID           string       `json:"payer_id,omitempty"`            // 2010BB NM109
	MemberID          string       `json:"member_id,omitempty"`           // PHI: 2010BA NM109
	PatientBirthDate  x12.Date     `json:"patient_birth_date,omitempty"`  // PHI: DMG02 of the patient (subscriber when no 2000C)
	RenderingNPI      string       `json:"rendering_npi,omitempty"`       // 2310B NM109, else the billing NPI
	BillingNPI        string       `json:"billing_npi,omitempty"`         // 2010AA NM109
	BillingTIN        string       `json:"billing_tin,omitempty"`         // 2010AA REF*EI
	PlaceOfService    string       `json:"place_of_service,omitempty"`    // CLM05-1
	FrequencyCode     string       `json:"frequency_code,omitempty"`      // CLM05-3: 1 original, 7 replacement, 8 void
	PriorAuth         string       `json:"prior_authorization,omitempty"` // REF*G1
	PayerClaimControl string       `json:"payer_claim_control,omitempty"` // REF*F8 (original claim of a replacement)
	Diagnoses         []string     `json:"diagnoses,omitempty"`           // HI codes, principal first
	TotalCharge       money.Amount `json:"total_charge"`                  // CLM02
	BilledDate        x12.Date     `json:"billed_date,omitempty"`         // BHT04, or the CSV billed_date
	Lines             []Line       `json:"lines"`                         // 2400 loops in order
}

// Line is one billed service line (837P loop 2400).
type Line struct {
	// ID is the database id of the stored line; 0 when not stored.
	ID                int64        `json:"id,omitempty"`
	Number            int          `json:"number"`                        // LX01, 1-based
	Procedure         string       `json:"procedure"`                     // SV101-2 CPT/HCPCS
	Modifiers         []string     `json:"modifiers,omitempty"`           // SV101-3..6
	Charge            money.Amount `json:"charge"`                        // SV102
	Units             x12.Quantity `json:"units"`                         // SV104 in thousandths (0 read as 1 unit)
	ServiceFrom       x12.Date     `json:"service_from,omitempty"`        // DTP*472
	ServiceTo         x12.Date     `json:"service_to,omitempty"`          // DTP*472 range end
	LineControl       string       `json:"line_control_number,omitempty"` // REF*6R
	PriorAuth         string       `json:"prior_authorization,omitempty"` // REF*G1 of the line
	PlaceOfService    string       `json:"place_of_service,omitempty"`    // SV105, else the claim's
	DiagnosisPointers []int        `json:"diagnosis_pointers,omitempty"`  // SV107
	Note              string       `json:"note,omitempty"`                // NTE02
}

// UnitsOrOne returns the billed units, one unit when none were given.
func (l *Line) UnitsOrOne() x12.Quantity {
	if l.Units <= 0 {
		return 1000
	}
	return l.Units
}

// ServiceDateFrom returns the first service date of the claim's lines.
func (c *Claim) ServiceDateFrom() x12.Date {
	var d x12.Date
	for i := range c.Lines {
		if f := c.Lines[i].ServiceFrom; f != "" && (d == "" || f < d) {
			d = f
		}
	}
	return d
}

// Line returns the line with LX number n, or nil.
func (c *Claim) Line(n int) *Line {
	if n >= 1 && n <= len(c.Lines) && c.Lines[n-1].Number == n {
		return &c.Lines[n-1]
	}
	for i := range c.Lines {
		if c.Lines[i].Number == n {
			return &c.Lines[i]
		}
	}
	return nil
}

// FromX12 converts a decoded 837P claim. practice is the remitq practice key
// the claim belongs to; when empty, the billing provider's NPI (else its TIN)
// is used, which is what the 835 payee loop names.
func FromX12(c *x12.Claim, practice string) *Claim {
	out := &Claim{
		Source:            "837",
		PatientControl:    c.PatientControlNumber,
		PlaceOfService:    c.PlaceOfService,
		FrequencyCode:     c.FrequencyCode,
		PriorAuth:         c.PriorAuthorization,
		PayerClaimControl: c.PayerClaimControlNumber,
		TotalCharge:       c.TotalCharge,
	}
	if b := c.BillingProvider; b != nil {
		out.BillingNPI, out.BillingTIN = b.NPI, b.TIN
	}
	if practice == "" {
		practice = out.BillingNPI
		if practice == "" {
			practice = out.BillingTIN
		}
	}
	out.Practice = practice
	if c.Payer != nil {
		out.PayerID = c.Payer.PayerID
	}
	if s := c.Subscriber; s != nil {
		out.MemberID = s.MemberID
		out.PatientBirthDate = s.BirthDate
	}
	if c.Patient != nil && c.Patient.BirthDate != "" {
		out.PatientBirthDate = c.Patient.BirthDate
	}
	if c.Batch != nil {
		out.BilledDate = c.Batch.Date
	}
	out.RenderingNPI = out.BillingNPI
	if c.Rendering != nil && c.Rendering.NPI != "" {
		out.RenderingNPI = c.Rendering.NPI
	}
	for _, d := range c.Diagnoses {
		switch d.Qualifier {
		case "ABK", "ABF", "BK", "BF":
			out.Diagnoses = append(out.Diagnoses, d.Code)
		}
	}
	out.Lines = make([]Line, 0, len(c.Lines))
	for i, l := range c.Lines {
		n := l.Number
		if n <= 0 {
			n = i + 1
		}
		ln := Line{
			Number:            n,
			Procedure:         l.Procedure.Code,
			Modifiers:         l.Procedure.Modifiers,
			Charge:            l.Charge,
			Units:             l.Units,
			ServiceFrom:       l.ServiceFrom,
			ServiceTo:         l.ServiceTo,
			LineControl:       l.LineControlNumber,
			PriorAuth:         l.PriorAuthorization,
			PlaceOfService:    l.PlaceOfService,
			DiagnosisPointers: l.DiagnosisPointers,
		}
		if ln.PlaceOfService == "" {
			ln.PlaceOfService = c.PlaceOfService
		}
		if ln.ServiceFrom == "" {
			ln.ServiceFrom, ln.ServiceTo = claimServiceDates(c)
		}
		if len(l.Notes) > 0 {
			ln.Note = l.Notes[0].Text
		}
		out.Lines = append(out.Lines, ln)
	}
	return out
}

// claimServiceDates returns the claim-level DTP*472 dates, if any.
func claimServiceDates(c *x12.Claim) (x12.Date, x12.Date) {
	for _, d := range c.Dates {
		if d.Qualifier == "472" {
			return d.From, d.To
		}
	}
	return "", ""
}
