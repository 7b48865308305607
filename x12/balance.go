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

// checkTransaction runs the BPR check on a closed transaction set.
func checkTransaction(rem *Remittance, bprSeg int, bprOff int64) []Imbalance {
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
