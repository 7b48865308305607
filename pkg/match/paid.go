package match

import (
	"strconv"

	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/x12"
)

// PaidClaim is one claim payment (an 835 CLP loop) with all its service
// lines: the unit the matcher works on, because lines with the same code and
// date can only be told apart with the whole claim in view.
type PaidClaim struct {
	// Ref identifies the paid claim wherever it is stored, e.g.
	// "<file sha256>:<CLP segment>"; it keys prior payments and the pending
	// queue, so it must be unique.
	Ref string `json:"ref"`
	// File names the remittance file, for people (the offline command prints it).
	File string `json:"file,omitempty"`

	PatientControl  string       `json:"patient_control"`            // CLP01 trimmed (x12.MatchKey) = 837 CLM01
	Status          string       `json:"status"`                     // CLP02
	Charge          money.Amount `json:"charge"`                     // CLP03
	Paid            money.Amount `json:"paid"`                       // CLP04
	PatientResp     money.Amount `json:"patient_responsibility"`     // CLP05
	FilingIndicator string       `json:"filing_indicator,omitempty"` // CLP06
	PayerControl    string       `json:"payer_control,omitempty"`    // CLP07
	Frequency       string       `json:"frequency,omitempty"`        // CLP09
	MemberID        string       `json:"-"`                          // PHI: NM1*IL NM109, else NM1*QC
	PatientID       string       `json:"-"`                          // PHI: NM1*QC NM109
	RenderingNPI    string       `json:"rendering_npi,omitempty"`    // NM1*82 NM109 when XX
	Crossover       string       `json:"crossover,omitempty"`        // NM1*TT: the payer the claim was forwarded to
	StatementFrom   x12.Date     `json:"statement_from,omitempty"`   // DTM*232
	StatementTo     x12.Date     `json:"statement_to,omitempty"`     // DTM*233
	Adjustments     []Adjustment `json:"adjustments,omitempty"`      // claim-level CAS
	Remarks         []string     `json:"remarks,omitempty"`          // MOA/MIA remark codes
	// AfterReversal is the payer claim control number (CLP07) of the
	// reversal (CLP02 = 22) that immediately precedes this claim in its
	// transaction set with the same CLP01: this claim is then the correction
	// that replaces the reversed payment. FromRemittance sets it.
	AfterReversal string      `json:"after_reversal,omitempty"`
	Lines         []*PaidLine `json:"lines,omitempty"`
}

// Adjustment is one CAS triplet.
type Adjustment struct {
	Group    string       `json:"group"`
	Reason   string       `json:"reason"`
	Amount   money.Amount `json:"amount"`
	Quantity x12.Quantity `json:"quantity,omitempty"`
}

// PaidLine is one service payment (SVC loop 2110).
type PaidLine struct {
	Index             int          `json:"index"`                        // 1-based position of the SVC in its claim
	Segment           int          `json:"segment,omitempty"`            // SVC segment number in the file
	Procedure         string       `json:"procedure"`                    // SVC01-2 as adjudicated
	Modifiers         []string     `json:"modifiers,omitempty"`          // SVC01-3..6
	OriginalProcedure string       `json:"original_procedure,omitempty"` // SVC06-2: the code as submitted, when the payer changed it
	OriginalModifiers []string     `json:"original_modifiers,omitempty"` // SVC06-3..6
	HasOriginal       bool         `json:"has_original,omitempty"`       // SVC06 was sent
	Charge            money.Amount `json:"charge"`                       // SVC02
	Paid              money.Amount `json:"paid"`                         // SVC03
	Allowed           money.Amount `json:"allowed,omitempty"`            // AMT*B6
	HasAllowed        bool         `json:"has_allowed,omitempty"`
	Units             x12.Quantity `json:"units,omitempty"`          // SVC05 units paid; 0 when absent (one unit)
	OriginalUnits     x12.Quantity `json:"original_units,omitempty"` // SVC07 units billed; 0 when absent (= Units)
	DateFrom          x12.Date     `json:"date_from,omitempty"`      // DTM*472 / DTM*150
	DateTo            x12.Date     `json:"date_to,omitempty"`        // DTM*472 / DTM*151
	LineControl       string       `json:"line_control,omitempty"`   // REF*6R
	Adjustments       []Adjustment `json:"adjustments,omitempty"`    // CAS
	Remarks           []string     `json:"remarks,omitempty"`        // LQ*HE
}

// PaidUnits returns the units paid (SVC05), one unit when absent.
func (l *PaidLine) PaidUnits() x12.Quantity {
	if l.Units <= 0 {
		return 1000
	}
	return l.Units
}

// BilledUnits returns the units the payer says were billed: SVC07, else SVC05.
func (l *PaidLine) BilledUnits() x12.Quantity {
	if l.OriginalUnits > 0 {
		return l.OriginalUnits
	}
	return l.PaidUnits()
}

// SubmittedProcedure returns the code as the payer received it: SVC06 when
// sent, else SVC01.
func (l *PaidLine) SubmittedProcedure() (string, []string) {
	if l.HasOriginal && l.OriginalProcedure != "" {
		return l.OriginalProcedure, l.OriginalModifiers
	}
	return l.Procedure, l.Modifiers
}

// PatientResp returns the sum of the line's patient-responsibility (PR)
// adjustments.
func (l *PaidLine) PatientResp() money.Amount { return sumGroup(l.Adjustments, "PR") }

func sumGroup(adj []Adjustment, group string) money.Amount {
	var t money.Amount
	for _, a := range adj {
		if a.Group == group {
			t += a.Amount
		}
	}
	return t
}

func hasReason(adj []Adjustment, reason string) bool {
	for _, a := range adj {
		if a.Reason == reason {
			return true
		}
	}
	return false
}

// ServiceDate returns the line's first date of service, else the claim's
// statement start.
func (c *PaidClaim) ServiceDate(l *PaidLine) x12.Date {
	if l != nil && l.DateFrom != "" {
		return l.DateFrom
	}
	return c.StatementFrom
}

// FirstServiceDate returns the earliest service date of the claim's lines,
// else its statement start.
func (c *PaidClaim) FirstServiceDate() x12.Date {
	var d x12.Date
	for _, l := range c.Lines {
		if l.DateFrom != "" && (d == "" || l.DateFrom < d) {
			d = l.DateFrom
		}
	}
	if d == "" {
		d = c.StatementFrom
	}
	return d
}

// IsReversal reports CLP02 = 22.
func (c *PaidClaim) IsReversal() bool { return c.Status == "22" }

// FromX12 converts a decoded claim payment. ref identifies it (see
// PaidClaim.Ref); when empty, "<ISA13>:<CLP segment>" is used.
func FromX12(c *x12.ClaimPayment, ref string) *PaidClaim {
	if ref == "" {
		isa := ""
		if c.Remittance != nil {
			isa = c.Remittance.ISAControl
		}
		ref = isa + ":" + strconv.Itoa(c.Segment)
	}
	pc := &PaidClaim{
		Ref: ref, PatientControl: c.MatchKey(), Status: c.Status, Charge: c.Charge, Paid: c.Paid,
		PatientResp: c.PatientResp, FilingIndicator: c.FilingIndicator, PayerControl: c.PayerControl,
		Frequency: c.Frequency, StatementFrom: c.StatementFrom, StatementTo: c.StatementTo,
		Adjustments: adjustments(c.Adjustments),
	}
	for _, n := range c.Names {
		switch n.Entity {
		case "IL":
			pc.MemberID = n.ID
		case "QC":
			pc.PatientID = n.ID
		case "82":
			if n.IDQualifier == "XX" {
				pc.RenderingNPI = n.ID
			}
		case "TT":
			pc.Crossover = n.Last
			if pc.Crossover == "" {
				pc.Crossover = n.ID
			}
		}
	}
	if pc.MemberID == "" {
		pc.MemberID = pc.PatientID
	}
	if o := c.Outpatient; o != nil {
		pc.Remarks = append(pc.Remarks, o.Remarks...)
	}
	if i := c.Inpatient; i != nil {
		pc.Remarks = append(pc.Remarks, i.Remarks...)
	}
	pc.Lines = make([]*PaidLine, len(c.Lines))
	buf := make([]PaidLine, len(c.Lines))
	for i, s := range c.Lines {
		l := &buf[i]
		*l = PaidLine{Index: i + 1, Segment: s.Segment, Procedure: s.Procedure.Code, Modifiers: s.Procedure.Modifiers,
			Charge: s.Charge, Paid: s.Paid, DateFrom: s.DateFrom, DateTo: s.DateTo, LineControl: x12.MatchKey(s.LineControl()),
			Adjustments: adjustments(s.Adjustments)}
		if s.Original != nil {
			l.HasOriginal, l.OriginalProcedure, l.OriginalModifiers = true, s.Original.Code, s.Original.Modifiers
		}
		if s.Units != nil {
			l.Units = *s.Units
		}
		if s.OriginalUnits != nil {
			l.OriginalUnits = *s.OriginalUnits
		}
		l.Allowed, l.HasAllowed = s.Allowed()
		for _, r := range s.Remarks {
			if r.Qualifier == "HE" {
				l.Remarks = append(l.Remarks, r.Code)
			}
		}
		pc.Lines[i] = l
	}
	return pc
}

func adjustments(in []x12.Adjustment) []Adjustment {
	if len(in) == 0 {
		return nil
	}
	out := make([]Adjustment, len(in))
	for i, a := range in {
		out[i] = Adjustment{Group: a.Group, Reason: a.Reason, Amount: a.Amount}
		if a.Quantity != nil {
			out[i].Quantity = *a.Quantity
		}
	}
	return out
}

// FromRemittance converts every claim of a decoded transaction set (its
// Claims must be filled, as ReadRemittances does), in order, setting
// AfterReversal on corrections. ref names each claim (see PaidClaim.Ref);
// nil uses "<ISA13>:<CLP segment>".
func FromRemittance(rem *x12.Remittance, ref func(*x12.ClaimPayment) string) []*PaidClaim {
	out := make([]*PaidClaim, 0, len(rem.Claims))
	var prev *PaidClaim
	for _, c := range rem.Claims {
		r := ""
		if ref != nil {
			r = ref(c)
		}
		pc := FromX12(c, r)
		LinkCorrection(prev, pc)
		out = append(out, pc)
		prev = pc
	}
	return out
}

// LinkCorrection sets pc.AfterReversal when prev, the claim before it in
// the same transaction set, is a reversal of the same CLP01: pc is then the
// correction. For readers that stream claims one at a time.
func LinkCorrection(prev, pc *PaidClaim) {
	if prev != nil && prev.IsReversal() && !pc.IsReversal() && prev.PatientControl == pc.PatientControl {
		pc.AfterReversal = prev.PayerControl
	}
}

// PLB is one provider-level adjustment (a PLB reason/amount pair).
type PLB struct {
	Ref          string       `json:"ref"`                     // e.g. "<sha256>:<PLB segment>:<position>"
	ProviderID   string       `json:"provider_id"`             // PLB01
	FiscalPeriod x12.Date     `json:"fiscal_period,omitempty"` // PLB02
	Reason       string       `json:"reason"`                  // PLB03-1: WO, 72, FB, L6, ...
	Reference    string       `json:"reference,omitempty"`     // PLB03-2: often the CLP07 or CLP01 it concerns
	Amount       money.Amount `json:"amount"`                  // positive reduces the payment
}

// PLBsFromRemittance converts the provider adjustments of a transaction set.
func PLBsFromRemittance(rem *x12.Remittance, refPrefix string) []PLB {
	out := make([]PLB, 0, len(rem.Adjustments))
	for _, a := range rem.Adjustments {
		out = append(out, PLB{Ref: refPrefix + strconv.Itoa(a.Segment) + ":" + strconv.Itoa(a.Position),
			ProviderID: a.ProviderID, FiscalPeriod: a.FiscalPeriod, Reason: a.Reason, Reference: a.Reference, Amount: a.Amount})
	}
	return out
}
