package correct_test

import (
	"errors"
	"testing"

	"github.com/remitq/remitq/pkg/correct"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/synth"
	"github.com/remitq/remitq/x12"
)

func casSum(adj []x12.Adjustment) money.Amount {
	var t money.Amount
	for _, a := range adj {
		t += a.Amount
	}
	return t
}

// Over the truth set, with a second payer (2320/2330) on every claim:
// claims the primary crossed over get no secondary claim; every other
// claim the primary adjudicated line by line gets one whose COB amounts
// balance with the primary 835 (claim charge = paid + every CAS, line
// charge = SVD02 + its CAS, AMT*D = CLP04), and each file reads back
// without errors and passes the shared checker.
func TestSecondaryOverTheTruthSet(t *testing.T) {
	tr, err := synth.GenerateTruth(synth.TruthOptions{Seed: 21, Lines: 2000})
	if err != nil {
		t.Fatal(err)
	}
	// The primary's first adjudication of each claim (reversals and later
	// corrections aside), and how many CLPs each claim got.
	first := map[string]correct.Primary{}
	clps := map[string]int{}
	payerOf := map[string]string{}
	for _, f := range tr.Files {
		for _, r := range f.Remittances {
			for _, cp := range r.Claims {
				clps[cp.PatientControl+"|"+f.Payer]++
				if _, ok := first[cp.PatientControl]; !ok && cp.Status != "22" {
					first[cp.PatientControl] = correct.Primary{Payment: cp, Paid: r.Payment.Date}
					payerOf[cp.PatientControl] = f.Payer
				}
			}
		}
	}
	counts := map[string]int{}
	var files [][]byte
	for i, c0 := range tr.Claims {
		prim, ok := first[c0.PatientControlNumber]
		if !ok || payerOf[c0.PatientControlNumber] != c0.Payer.PayerID || clps[c0.PatientControlNumber+"|"+c0.Payer.PayerID] != 1 {
			continue // never paid, paid first by the secondary, or split/corrected by the payer
		}
		c := readBack(t, write(t, 200000+i, c0))[0]
		sec := tr.Payers[4]
		c.OtherSubscribers = []*x12.OtherSubscriber{{
			Coverage:           x12.Coverage{Responsibility: "S", Relationship: "18", FilingIndicator: sec.Filing},
			BenefitsAssignment: "Y", ReleaseOfInformation: "Y",
			Insured: &x12.Insured{EntityType: "1", LastName: c.Subscriber.LastName, FirstName: c.Subscriber.FirstName, MemberIDQualifier: "MI", MemberID: "S" + c.Subscriber.MemberID},
			Payer:   &x12.Payer{Name: sec.Name, IDQualifier: "PI", PayerID: sec.ID},
		}}
		res, err := correct.Secondary(c, prim)
		cp := prim.Payment
		switch {
		case correct.CrossedOver(cp):
			if !errors.Is(err, correct.ErrCrossedOver) {
				t.Fatalf("%s crossed over (CLP02 %s) but: %v", c.PatientControlNumber, cp.Status, err)
			}
			counts["crossed_over"]++
			continue
		case len(cp.Lines) == 0:
			if !errors.Is(err, correct.ErrNotAdjudicated) {
				t.Fatalf("%s claim-level 835: %v", c.PatientControlNumber, err)
			}
			counts["claim_level"]++
			continue
		case err != nil:
			t.Fatalf("%s: %v", c.PatientControlNumber, err)
		}
		// The primary 835 itself balances.
		var lineCAS money.Amount
		for _, l := range cp.Lines {
			lineCAS += casSum(l.Adjustments)
		}
		if cp.Charge != cp.Paid+casSum(cp.Adjustments)+lineCAS {
			t.Fatalf("%s: the primary 835 does not balance", c.PatientControlNumber)
		}
		raw := write(t, i+1, res.Claim)
		files = append(files, raw)
		got := readBack(t, raw)[0]
		if bad := correct.COBBalanced(got); len(bad) != 0 {
			t.Fatalf("%s: COB does not balance at %v", c.PatientControlNumber, bad)
		}
		cob := got.OtherSubscribers[0]
		var svd, gotCAS money.Amount
		for _, l := range got.Lines {
			if len(l.Adjudications) != 1 || l.Adjudications[0].PayerID != c.Payer.PayerID || l.Adjudications[0].AdjudicationDate != prim.Paid ||
				l.Adjudications[0].RemainingPatientLiability == nil {
				t.Fatalf("%s line %d: 2430 %+v", c.PatientControlNumber, l.Number, l.Adjudications)
			}
			svd += l.Adjudications[0].Paid
			gotCAS += casSum(l.Adjudications[0].Adjustments)
		}
		if cob.PayerPaid == nil || *cob.PayerPaid != cp.Paid || svd != cp.Paid || cob.RemainingPatientLiability == nil ||
			*cob.RemainingPatientLiability != cp.PatientResp || got.TotalCharge != *cob.PayerPaid+casSum(cob.Adjustments)+gotCAS ||
			got.TotalCharge != c.TotalCharge {
			t.Fatalf("%s: COB amounts: AMT*D %v SVD %s CLP04 %s charge %s CAS %s", c.PatientControlNumber, cob.PayerPaid, svd, cp.Paid, got.TotalCharge, gotCAS)
		}
		if got.Payer.PayerID != sec.ID || got.Subscriber.Responsibility != "S" || cob.Responsibility != "P" ||
			cob.Payer.PayerID != c.Payer.PayerID || cob.AdjudicationDate != prim.Paid || got.FrequencyCode != "1" {
			t.Fatalf("%s: payers: %+v / %+v", c.PatientControlNumber, got.Payer, cob.Payer)
		}
		counts["secondary"]++
	}
	x12check(t, files...)
	t.Logf("secondary: %v", counts)
	if counts["secondary"] == 0 || counts["crossed_over"] == 0 {
		t.Fatalf("the truth set gave %v", counts)
	}
	// A claim without a second payer.
	if _, err := correct.Secondary(tr.Claims[0], first[tr.Claims[0].PatientControlNumber]); !errors.Is(err, correct.ErrNoOtherPayer) {
		t.Fatalf("no other payer: %v", err)
	}
}
