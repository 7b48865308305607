package correct

import (
	"encoding/json"
	"errors"
	"slices"

	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/x12"
)

// clone deep-copies a claim (its batch header is shared).
func clone(c *x12.Claim) *x12.Claim {
	b, err := json.Marshal(c)
	if err != nil {
		panic("correct: a claim that does not encode: " + err.Error())
	}
	out := &x12.Claim{}
	if err := json.Unmarshal(b, out); err != nil {
		panic("correct: a claim that does not decode: " + err.Error())
	}
	out.Batch = c.Batch
	return out
}

// Errors of Secondary.
var (
	// ErrNoOtherPayer: the billed claim names no other payer (2320/2330).
	ErrNoOtherPayer = errors.New("correct: the billed claim names no other payer (2320/2330)")
	// ErrCrossedOver: the primary payer forwarded the claim itself.
	ErrCrossedOver = errors.New("correct: the primary payer forwarded the claim to the other payer (crossover)")
	// ErrNotAdjudicated: the 835 claim is a reversal, or adjudicates the
	// claim without its lines (no 2430 loops to carry over).
	ErrNotAdjudicated = errors.New("correct: the primary 835 holds no adjudication to carry to the secondary payer")
)

// CrossedOver reports whether the primary's 835 says it forwarded the claim
// to the next payer: CLP02 19, 20 or 21 (processed and forwarded), an
// NM1*TT crossover carrier, or the remarks MA18 / N89.
func CrossedOver(cp *x12.ClaimPayment) bool {
	switch cp.Status {
	case "19", "20", "21":
		return true
	}
	for _, n := range cp.Names {
		if n.Entity == "TT" {
			return true
		}
	}
	fwd := func(code string) bool { return code == "MA18" || code == "N89" }
	if cp.Outpatient != nil && slices.ContainsFunc(cp.Outpatient.Remarks, fwd) {
		return true
	}
	if cp.Inpatient != nil && slices.ContainsFunc(cp.Inpatient.Remarks, fwd) {
		return true
	}
	for _, l := range cp.Lines {
		for _, r := range l.Remarks {
			if fwd(r.Code) {
				return true
			}
		}
	}
	return false
}

// Primary is the primary payer's adjudication of a claim: its 835 claim
// payment and the date it was paid (BPR16).
type Primary struct {
	Payment *x12.ClaimPayment
	Paid    x12.Date
}

// Secondary returns the claim to send to the billed claim's other payer
// (its first 2320/2330 loop): the same lines, the other payer as the payer
// (SBR01 S), and the primary payer in 2320/2330 with its adjudication from
// the 835: the claim-level CAS, AMT*D (paid) and AMT*EAF (patient
// responsibility), and per line a 2430 SVD (paid, code, units), the line's
// CAS, DTP*573 and AMT*EAF. Lines the 835 does not name are carried with a
// zero payment and an OA-23 adjustment of their whole charge, so every line
// balances: charge = SVD02 + its CAS.
func Secondary(c *x12.Claim, prim Primary) (*Result, error) {
	if len(c.OtherSubscribers) == 0 || c.OtherSubscribers[0].Payer == nil {
		return nil, ErrNoOtherPayer
	}
	cp := prim.Payment
	if CrossedOver(cp) {
		return nil, ErrCrossedOver
	}
	if cp.Status == "22" || len(cp.Lines) == 0 {
		return nil, ErrNotAdjudicated
	}
	out := clone(c)
	other := out.OtherSubscribers[0]
	var changes []Change
	// The primary moves to 2320/2330, the other payer to 2000B/2010BB.
	primCov := out.Subscriber.Coverage
	primCov.Responsibility = "P"
	if primCov.Relationship == "" {
		primCov.Relationship = "18"
	}
	primIns := out.Subscriber.Insured
	primPayer := out.Payer
	if primPayer == nil {
		primPayer = &x12.Payer{}
	}
	secCov := other.Coverage
	secCov.Responsibility = "S"
	if out.Patient != nil {
		secCov.Relationship = ""
	} else {
		secCov.Relationship = "18"
	}
	ins := primIns
	if other.Insured != nil {
		ins = *other.Insured
	}
	out.Subscriber = &x12.Subscriber{Coverage: secCov, Insured: ins}
	sp := *other.Payer
	sp.Refs = nil
	out.Payer = &sp
	changes = append(changes, Change{Field: "payer", From: "primary", To: "secondary", Why: "the claim goes to the next payer (2320/2330 of the billed claim)"})

	pp := *primPayer
	pp.Refs = nil
	adjDate := prim.Paid
	if adjDate == "" {
		adjDate = cp.ReceivedDate
	}
	paid, pr := cp.Paid, cp.PatientResp
	cob := &x12.OtherSubscriber{Coverage: primCov, Insured: &primIns, Payer: &pp, AdjudicationDate: adjDate,
		BenefitsAssignment: other.BenefitsAssignment, PatientSignatureSource: other.PatientSignatureSource,
		ReleaseOfInformation: other.ReleaseOfInformation, PayerPaid: &paid, RemainingPatientLiability: &pr}
	if cob.BenefitsAssignment == "" {
		cob.BenefitsAssignment = out.BenefitsAssignment
	}
	if cob.ReleaseOfInformation == "" {
		cob.ReleaseOfInformation = out.ReleaseOfInformation
	}
	cob.Insured.Address = nil
	cob.Insured.BirthDate, cob.Insured.Gender = "", ""
	for _, a := range cp.Adjustments {
		cob.Adjustments = append(cob.Adjustments, x12.Adjustment{Group: a.Group, Reason: a.Reason, Amount: a.Amount, Quantity: a.Quantity})
	}
	out.OtherSubscribers = append([]*x12.OtherSubscriber{cob}, out.OtherSubscribers[1:]...)
	if pp.PayerID == "" {
		return nil, errors.New("correct: the billed claim's primary payer has no payer ID (2010BB NM109) for SVD01")
	}
	used := map[*x12.ServicePayment]bool{}
	for _, l := range out.Lines {
		l.Adjudications = nil
		sv := matchLine(cp, l, used)
		la := &x12.LineAdjudication{PayerID: pp.PayerID, Procedure: l.Procedure, PaidUnits: l.Units, AdjudicationDate: adjDate}
		if la.PaidUnits == 0 {
			la.PaidUnits = 1000
		}
		var lpr money.Amount
		if sv == nil {
			la.Adjustments = []x12.Adjustment{{Group: "OA", Reason: "23", Amount: l.Charge}}
		} else {
			used[sv] = true
			la.Paid = sv.Paid
			if sv.Units != nil {
				la.PaidUnits = *sv.Units
			}
			la.Procedure = sv.Procedure
			for _, a := range sv.Adjustments {
				la.Adjustments = append(la.Adjustments, x12.Adjustment{Group: a.Group, Reason: a.Reason, Amount: a.Amount, Quantity: a.Quantity})
				if a.Group == "PR" {
					lpr += a.Amount
				}
			}
			// The 835 line's charge is the billed one; a difference (a
			// line the payer rebilled in part) goes on as OA-23.
			if d := l.Charge - sv.Paid - sumCAS(la.Adjustments); d != 0 {
				la.Adjustments = append(la.Adjustments, x12.Adjustment{Group: "OA", Reason: "23", Amount: d})
			}
		}
		la.RemainingPatientLiability = &lpr
		l.Adjudications = []*x12.LineAdjudication{la}
		changes = append(changes, Change{Line: l.Number, Field: "adjudication", To: "2430 SVD " + la.Paid.String(),
			Why: "the primary payer's adjudication of the line"})
	}
	out.FrequencyCode = "1"
	out.PayerClaimControlNumber = ""
	if out.Subscriber.FilingIndicator == "" {
		out.Subscriber.FilingIndicator = "CI"
	}
	return &Result{Claim: out, Changes: changes}, nil
}

func sumCAS(adj []x12.Adjustment) money.Amount {
	var t money.Amount
	for _, a := range adj {
		t += a.Amount
	}
	return t
}

// matchLine finds the 835 line of a billed line: by REF*6R, else code and
// date.
func matchLine(cp *x12.ClaimPayment, l *x12.ServiceLine, used map[*x12.ServicePayment]bool) *x12.ServicePayment {
	for _, sv := range cp.Lines {
		if !used[sv] && l.LineControlNumber != "" && sv.LineControl() == l.LineControlNumber {
			return sv
		}
	}
	for _, sv := range cp.Lines {
		code := sv.Procedure.Code
		if sv.Original != nil {
			code = sv.Original.Code
		}
		if !used[sv] && sv.LineControl() == "" && code == l.Procedure.Code && (sv.DateFrom == "" || sv.DateFrom == l.ServiceFrom) {
			return sv
		}
	}
	return nil
}

// COBBalanced checks a secondary claim's 2430 loops against its lines:
// each line's charge is its SVD02 plus its CAS; the 2320 AMT*D is the sum
// of the lines' SVD02 (claim-level CAS aside). It returns what does not
// balance (line numbers; 0 for the claim).
func COBBalanced(c *x12.Claim) []int {
	var bad []int
	var paid money.Amount
	for _, l := range c.Lines {
		for _, a := range l.Adjudications {
			if l.Charge != a.Paid+sumCAS(a.Adjustments) {
				bad = append(bad, l.Number)
			}
			paid += a.Paid
		}
	}
	if len(c.OtherSubscribers) > 0 && c.OtherSubscribers[0].PayerPaid != nil && *c.OtherSubscribers[0].PayerPaid != paid {
		bad = append(bad, 0)
	}
	return bad
}
