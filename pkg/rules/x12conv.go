package rules

import (
	"errors"
	"fmt"
	"strings"

	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/x12"
)

// FromX12 converts an 837P claim to a Claim. The patient key is made with
// k from the subscriber's member ID (2010BA NM109; a dependent shares it)
// and the patient's birth date and name (2000C when present, else the
// subscriber's). The practice is the billing provider (NPI, else its ID;
// TIN from REF*EI); the rendering provider is the line's 2420A, else the
// claim's 2310B, else the billing provider. A line's date is its DTP*472,
// else the claim's; its auth is its REF*G1, else the claim's; its spinal
// level is the first level range written in its notes (NTE) or
// description (SV101-7). A line with 2430 adjudications is Paid when one
// paid more than zero, else Denied; without any it is Billed.
func FromX12(c *x12.Claim, k *Keyer) (*Claim, error) {
	if c == nil {
		return nil, errors.New("rules: nil claim")
	}
	if k == nil {
		return nil, errors.New("rules: FromX12 needs a Keyer")
	}
	var per Person
	if c.Subscriber != nil {
		per = Person{MemberID: c.Subscriber.MemberID, BirthDate: string(c.Subscriber.BirthDate),
			LastName: c.Subscriber.LastName, FirstName: c.Subscriber.FirstName}
	}
	if c.Patient != nil {
		per.BirthDate, per.LastName, per.FirstName = string(c.Patient.BirthDate), c.Patient.LastName, c.Patient.FirstName
	}
	key, err := k.Key(per)
	if err != nil {
		return nil, fmt.Errorf("rules: claim %s: %w", c.PatientControlNumber, err)
	}
	var practice, tin, billNPI string
	if b := c.BillingProvider; b != nil {
		billNPI = b.NPI
		practice = cmpOr(b.NPI, b.ID)
		tin = b.TIN
	}
	payer := ""
	if c.Payer != nil {
		payer = c.Payer.PayerID
	}
	filing, state, taxonomy := "", "", ""
	if c.Subscriber != nil {
		filing = c.Subscriber.FilingIndicator
	}
	if b := c.BillingProvider; b != nil {
		taxonomy = b.Taxonomy
		if b.Address != nil {
			state = b.Address.State
		}
	}
	if f := c.ServiceFacility; f != nil && f.Address != nil && f.Address.State != "" {
		state = f.Address.State
	}
	claimDate := ""
	for _, d := range c.Dates {
		if d.Qualifier == "472" {
			claimDate = string(d.From)
			break
		}
	}
	out := &Claim{ID: c.PatientControlNumber, Lines: make([]Line, 0, len(c.Lines))}
	for _, sl := range c.Lines {
		l := Line{
			Claim: c.PatientControlNumber, Number: sl.Number, Patient: key, Practice: practice, TIN: tin,
			Payer: payer, Filing: filing, State: strings.ToUpper(state), Taxonomy: taxonomy, Procedure: strings.ToUpper(sl.Procedure.Code), Units: sl.Units,
			POS: cmpOr(sl.PlaceOfService, c.PlaceOfService), Auth: cmpOr(sl.PriorAuthorization, c.PriorAuthorization),
		}
		for _, m := range sl.Procedure.Modifiers {
			l.Modifiers = append(l.Modifiers, strings.ToUpper(m))
		}
		switch {
		case sl.Rendering != nil && sl.Rendering.NPI != "":
			l.Rendering = sl.Rendering.NPI
		case c.Rendering != nil && c.Rendering.NPI != "":
			l.Rendering = c.Rendering.NPI
		default:
			l.Rendering = billNPI
		}
		if d := cmpOr(string(sl.ServiceFrom), claimDate); d != "" {
			if l.Date, err = day.ParseSet(d); err != nil {
				return nil, fmt.Errorf("rules: claim %s line %d: %w", c.PatientControlNumber, sl.Number, err)
			}
		} else {
			return nil, fmt.Errorf("rules: claim %s line %d: no date of service", c.PatientControlNumber, sl.Number)
		}
		for _, ptr := range sl.DiagnosisPointers {
			if ptr >= 1 && ptr <= len(c.Diagnoses) {
				l.Diagnoses = append(l.Diagnoses, c.Diagnoses[ptr-1].Code)
			}
		}
		for _, n := range sl.Notes {
			if l.Level = FindLevel(n.Text); l.Level != "" {
				break
			}
		}
		if l.Level == "" {
			l.Level = FindLevel(sl.Procedure.Description)
		}
		if len(sl.Adjudications) > 0 {
			l.Status = Denied
			for _, a := range sl.Adjudications {
				if a.Paid > 0 {
					l.Status = Paid
				}
			}
		}
		out.Lines = append(out.Lines, l)
	}
	return out, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// FromX12File converts every claim of an 837P file. A replacement claim
// (CLM05-3 = 7) replaces the earlier claim of the practice with the same
// CLM01 and a void (8) removes it. Claims that cannot be converted (no
// member ID, birth date or name; no date of service) are left out and
// reported in the error, by CLM01; the others are returned.
func FromX12File(f *x12.ClaimFile, k *Keyer) ([]*Claim, error) {
	var out []*Claim
	var errs []error
	for _, b := range f.Batches {
		for _, xc := range b.Claims {
			c, err := FromX12(xc, k)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			practice := ""
			if xc.BillingProvider != nil {
				practice = cmpOr(xc.BillingProvider.NPI, xc.BillingProvider.ID)
			}
			if xc.FrequencyCode == "7" || xc.FrequencyCode == "8" {
				for i, o := range out {
					if o.ID == c.ID && len(o.Lines) > 0 && o.Lines[0].Practice == practice {
						out = append(out[:i], out[i+1:]...)
						break
					}
				}
				if xc.FrequencyCode == "8" {
					continue
				}
			}
			out = append(out, c)
		}
	}
	return out, errors.Join(errs...)
}

// CheckX12 checks the claims of an 837P file against the claims of history
// 837P files (and rec's history, auths, relief and sharing), as one batch:
// what `remitq check` prints. Claims that cannot be converted are reported
// in the error; the findings of the others are still returned.
func (s *Set) CheckX12(claims *x12.ClaimFile, history []*x12.ClaimFile, k *Keyer, rec *Records) ([]Finding, error) {
	var r Records
	if rec != nil {
		r = *rec
	}
	var errs []error
	cs, err := FromX12File(claims, k)
	if err != nil {
		errs = append(errs, err)
	}
	if len(history) > 0 {
		x := NewIndex(0)
		for _, h := range history {
			hc, err := FromX12File(h, k)
			if err != nil {
				errs = append(errs, fmt.Errorf("history: %w", err))
			}
			x.AddClaims(hc...)
		}
		if r.History != nil {
			r.History = overlay{base: r.History, extra: x}
		} else {
			r.History = x
		}
	}
	return s.CheckClaims(cs, &r), errors.Join(errs...)
}
