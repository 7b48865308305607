package match

import (
	"fmt"
	"strings"

	"github.com/remitq/remitq/pkg/money"
)

// PLB link methods: how a provider-level adjustment found its claim.
const (
	PLBByPayerControl   = "payer_claim_control" // PLB03-2 is the CLP07 of an earlier payment
	PLBByPatientControl = "patient_control"     // PLB03-2 is a CLM01 of the practice
	PLBProviderLevel    = "provider_level"      // no reference: it concerns the provider, not a claim
	PLBUnmatched        = "unmatched"           // a reference that names nothing known: queued
)

// PLBResult is what the matcher says of one provider-level adjustment.
type PLBResult struct {
	Ref          string       `json:"ref"`
	Practice     string       `json:"practice"`
	Payer        string       `json:"payer"`
	Reason       string       `json:"reason"`
	Kind         string       `json:"kind"` // recoupment, authorized_return, forward_balance, interest, other
	Reference    string       `json:"reference,omitempty"`
	Amount       money.Amount `json:"amount"`
	Method       string       `json:"method"`
	Confidence   float64      `json:"confidence"`
	Review       bool         `json:"review"`
	PayerControl string       `json:"payer_control,omitempty"` // CLP07 of the payment it recoups
	Prior        string       `json:"prior,omitempty"`         // Ref of that earlier payment
	Billed       *Billed      `json:"billed,omitempty"`        // the billed claim it concerns
}

// PLBKind groups PLB reason codes.
func PLBKind(reason string) string {
	switch reason {
	case "WO":
		return "recoupment"
	case "72":
		return "authorized_return"
	case "FB":
		return "forward_balance"
	case "L6", "50", "51":
		return "interest"
	}
	return "other"
}

// MatchPLB links a provider-level adjustment to the claim PLB03-2 names:
// first as a payer claim control number of an earlier payment of payer,
// then as a CLM01 of practice (the whole reference, then its last word).
func (m *Matcher) MatchPLB(p PLB, practice, payer string) (*PLBResult, error) {
	r := &PLBResult{Ref: p.Ref, Practice: practice, Payer: payer, Reason: p.Reason, Kind: PLBKind(p.Reason),
		Reference: p.Reference, Amount: p.Amount, Method: PLBProviderLevel, Confidence: 1}
	ref := strings.TrimSpace(p.Reference)
	if ref == "" {
		return r, nil
	}
	tries := []string{ref}
	if f := strings.Fields(ref); len(f) > 1 {
		tries = append(tries, f[len(f)-1])
	}
	for _, t := range tries {
		priors, err := m.c.PriorPayments(payer, t)
		if err != nil {
			return nil, fmt.Errorf("match: prior payments: %w", err)
		}
		for i := len(priors) - 1; i >= 0; i-- {
			q := priors[i]
			if q.Practice != practice || q.Status == "22" {
				continue
			}
			r.Method, r.PayerControl, r.Prior = PLBByPayerControl, q.PayerControl, q.Ref
			if q.Billed != nil {
				b := *q.Billed
				b.LineNumber, b.LineID = 0, 0
				r.Billed = &b
			}
			return r, nil
		}
	}
	for _, t := range tries {
		list, err := m.c.ClaimsByControl(practice, t)
		if err != nil {
			return nil, fmt.Errorf("match: claims by control number: %w", err)
		}
		if len(list) > 0 {
			c := list[len(list)-1]
			r.Method, r.Billed, r.Confidence = PLBByPatientControl, &Billed{ClaimID: c.ID, PatientControl: c.PatientControl}, 0.9
			return r, nil
		}
	}
	r.Method, r.Confidence, r.Review = PLBUnmatched, 0, true
	return r, nil
}
