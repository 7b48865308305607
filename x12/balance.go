package x12

import "github.com/remitq/remitq/pkg/money"

// Imbalance is a failed 835 balancing check. The checks follow the 835
// implementation guide and are reported, never fixed:
//
//   - claim: CLP03 − CLP04 = Σ claim-level CAS + Σ service-level CAS;
//   - line: SVC02 − SVC03 = Σ CAS of the line;
//   - transaction: BPR02 = Σ CLP04 − Σ PLB amounts.
type Imbalance struct {
	Check    string       `json:"check"`   // "claim", "line" or "transaction"
	Segment  int          `json:"segment"` // the CLP, SVC or BPR segment
	Offset   int64        `json:"offset"`
	ID       string       `json:"id"`
	Expected money.Amount `json:"expected"` // the left side as written (e.g. CLP03 − CLP04)
	Actual   money.Amount `json:"actual"`   // what the parts add up to
	Detail   string       `json:"detail"`
}

// Difference is Expected − Actual.
func (i Imbalance) Difference() money.Amount { return i.Expected - i.Actual }

func sumAdjustments(adj []Adjustment) money.Amount {
	var t money.Amount
	for _, a := range adj {
		t += a.Amount
	}
	return t
}

// CheckClaim runs the claim and line balancing checks on c.
func CheckClaim(c *ClaimPayment) []Imbalance {
	if len(c.ExactAmounts) > 0 {
		return checkClaimExact(c)
	}
	var out []Imbalance
	if c.hasAmountErrors() {
		out = append(out, Imbalance{Check: "claim", Segment: c.Segment, Offset: c.Offset, ID: "CLP",
			Detail: "amounts could not be read, so the claim cannot be balanced"})
	}
	total := sumAdjustments(c.Adjustments)
	for _, l := range c.Lines {
		la := sumAdjustments(l.Adjustments)
		total += la
		if l.Charge-l.Paid != la {
			out = append(out, Imbalance{Check: "line", Segment: l.Segment, Offset: l.Offset, ID: "SVC",
				Expected: l.Charge - l.Paid, Actual: la,
				Detail: "SVC02 − SVC03 must equal the sum of the line's CAS amounts"})
		}
	}
	if c.Charge-c.Paid != total {
		out = append(out, Imbalance{Check: "claim", Segment: c.Segment, Offset: c.Offset, ID: "CLP",
			Expected: c.Charge - c.Paid, Actual: total,
			Detail: "CLP03 − CLP04 must equal the claim-level plus service-level CAS amounts"})
	}
	return out
}

// exactValue returns the exact value of element elem of segment seg, whose
// typed field holds a: from ex when it was kept there, else a.
func exactValue(ex []ExactAmount, seg, elem int, a money.Amount) money.Micros {
	for _, e := range ex {
		if e.Segment == seg && e.Element == elem {
			return e.Value
		}
	}
	return a.Micros()
}

func sumExact(ex []ExactAmount, adj []Adjustment) money.Micros {
	var t money.Micros
	for _, a := range adj {
		t += exactValue(ex, a.Segment, 3*a.Position, a.Amount)
	}
	return t
}

func exactDetail(want, got money.Micros) string {
	return " (exactly " + want.String() + " written, " + got.String() + " found)"
}

// checkClaimExact is CheckClaim in exact arithmetic, for a claim with
// amounts of more than two places.
func checkClaimExact(c *ClaimPayment) []Imbalance {
	var out []Imbalance
	ex := c.ExactAmounts
	if c.hasAmountErrors() {
		out = append(out, Imbalance{Check: "claim", Segment: c.Segment, Offset: c.Offset, ID: "CLP",
			Detail: "amounts could not be read, so the claim cannot be balanced"})
	}
	total := sumExact(ex, c.Adjustments)
	for _, l := range c.Lines {
		la := sumExact(ex, l.Adjustments)
		total += la
		want := exactValue(ex, l.Segment, 2, l.Charge) - exactValue(ex, l.Segment, 3, l.Paid)
		if want != la {
			out = append(out, Imbalance{Check: "line", Segment: l.Segment, Offset: l.Offset, ID: "SVC",
				Expected: want.Round(), Actual: la.Round(),
				Detail: "SVC02 − SVC03 must equal the sum of the line's CAS amounts" + exactDetail(want, la)})
		}
	}
	want := exactValue(ex, c.Segment, 3, c.Charge) - exactValue(ex, c.Segment, 4, c.Paid)
	if want != total {
		out = append(out, Imbalance{Check: "claim", Segment: c.Segment, Offset: c.Offset, ID: "CLP",
			Expected: want.Round(), Actual: total.Round(),
			Detail: "CLP03 − CLP04 must equal the claim-level plus service-level CAS amounts" + exactDetail(want, total)})
	}
	return out
}

// checkTransaction runs the BPR check on a closed transaction set.
func checkTransaction(rem *Remittance, bprSeg int, bprOff int64) []Imbalance {
	if len(rem.ExactAmounts) > 0 || rem.Totals.paidExact != 0 {
		bpr := exactValue(rem.ExactAmounts, bprSeg, 2, rem.Payment.Amount)
		want := rem.Totals.Paid.Micros() + rem.Totals.paidExact
		for _, a := range rem.Adjustments {
			want -= exactValue(rem.ExactAmounts, a.Segment, 2+2*a.Position, a.Amount)
		}
		if bpr == want {
			return nil
		}
		return []Imbalance{{Check: "transaction", Segment: bprSeg, Offset: bprOff, ID: "BPR",
			Expected: bpr.Round(), Actual: want.Round(),
			Detail: "BPR02 must equal the sum of CLP04 minus the sum of PLB amounts" + exactDetail(bpr, want)}}
	}
	want := rem.Totals.Paid - rem.Totals.PLB
	if rem.Payment.Amount == want {
		return nil
	}
	return []Imbalance{{Check: "transaction", Segment: bprSeg, Offset: bprOff, ID: "BPR",
		Expected: rem.Payment.Amount, Actual: want,
		Detail: "BPR02 must equal the sum of CLP04 minus the sum of PLB amounts"}}
}

func (c *ClaimPayment) hasAmountErrors() bool {
	for _, e := range c.Errors {
		if e.Err == ErrInvalid || e.Err == ErrMissing {
			return true
		}
	}
	return false
}

// unreadableTotals reports a CLP03 or CLP04 that could not be read.
func (c *ClaimPayment) unreadableTotals() bool {
	for _, e := range c.Errors {
		if e.ID == "CLP" && (e.Element == 3 || e.Element == 4) && (e.Err == ErrInvalid || e.Err == ErrMissing) {
			return true
		}
	}
	return false
}
