package kpi

import (
	"slices"

	"github.com/remitq/remitq/carc"
	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/money"
)

// Basis says which date a summary row is dated by: the remit's payment date
// (BPR16; for billed claims the billed date, for work items the day of the
// event) or the service date.
type Basis string

// Bases.
const (
	RemitBasis   Basis = "remit"
	ServiceBasis Basis = "service"
)

// Valid reports whether b is a known basis.
func (b Basis) Valid() bool { return b == RemitBasis || b == ServiceBasis }

// Dims are the dimensions of a summary row.
type Dims struct {
	Practice int64
	Payer    string // payer code as the 835 names it (REF*2U / N1*PR N104)
	Provider string // rendering NPI; "" unknown
	CPT      string // procedure code; "" for claim-level rows
	Category string // root-cause category of a denied or underpaid line; "" otherwise
	Code     string // "CO-197" (CARC rows) or "N54" (RARC rows); "" otherwise
}

// Contribution is what one source row adds to one summary row.
type Contribution struct {
	Basis Basis
	Day   day.Day
	Dims
	M Measures
}

// Adjustment is one CAS triplet.
type Adjustment struct {
	Group  string // CO, PR, OA, PI, CR
	Reason string // CARC
	Amount money.Amount
}

// PaidLine is one paid service line (line_matches row) with its CAS and
// remarks, or (SVC 0) a claim-level-only CLP.
type PaidLine struct {
	SVC         int
	Procedure   string
	ServiceDate day.Day // 0: the claim's
	Charge      money.Amount
	Paid        money.Amount
	PatientResp money.Amount
	Expected    *money.Amount // fee schedule allowed, when known
	Flags       []string      // the matcher's flags
	Method      string        // the matcher's method
	Review      bool          // waits for a person
	// Adjustments are the line's CAS, or the claim's when the line has
	// none (and for a claim-level-only CLP).
	Adjustments []Adjustment
	Remarks     []string // RARCs of the line (of the claim for SVC 0)
	// Weight is how many service lines the row stands for: a claim-level
	// CLP counts its billed claim's lines (0 means 1).
	Weight int
	// For a reversal: whether the line it reverses was underpaid, and by
	// how much (its UnderpaidAmount).
	ReversesUnderpaid bool
	ReversedShortfall money.Amount
}

// PaidClaim is one paid claim (match_claims row) with its lines.
type PaidClaim struct {
	Practice int64
	Payer    string
	Provider string
	Status   string // CLP02
	// OrigStatus is, for a reversal, the CLP02 of the claim it reverses
	// ("" unknown: taken as primary).
	OrigStatus  string
	Flags       []string // the matcher's claim flags
	RemitDate   day.Day
	ServiceDate day.Day // 0: the remit date
	Billed      bool    // matched to a billed claim
	// BilledFrequency is CLM05-3 of that billed claim (1 original, 7
	// replacement, 8 void); "" when unmatched.
	BilledFrequency string
	// Readjudication: the same payer had already adjudicated the billed
	// claim as primary on an earlier remit (an appeal or a corrected claim
	// decided again): not a first adjudication.
	Readjudication bool
	Lines          []PaidLine
}

// Primary reports whether CLP02 status is a primary adjudication: 1
// (processed as primary), 4 (denied) or 19 (primary, forwarded).
func Primary(status string) bool { return status == "1" || status == "4" || status == "19" }

// LineClass is the reading of one paid line.
type LineClass struct {
	// Denied: the payer paid nothing, put nothing on the patient, and a
	// denial-class adjustment took money; or CLP02 4 came without any code.
	// A downcode whose allowed amount all went to the deductible is a
	// partial denial, not a denied line.
	Denied bool
	// DenialAmount, Contractual and Patient are the CAS amounts by carc
	// class (positive for a payment; a reversal's are read negated).
	DenialAmount, Contractual, Patient money.Amount
	// Category is the root cause: of the largest denial adjustment read
	// with the line's remarks (carc.Explain), "other" for a code-less
	// denial, "underpayment" for an underpaid line, "" otherwise.
	Category string
	// Codes are the denial adjustments as "CO-197" with their amounts.
	Codes []CodeAmount
	// Underpaid and Shortfall: the matcher flagged the line underpaid;
	// expected allowed − (paid + patient responsibility).
	Underpaid bool
	Shortfall money.Amount
}

// CodeAmount is an adjustment code with the money it took.
type CodeAmount struct {
	Code   string
	Amount money.Amount
}

// NeedsWork reports whether the line leads to a work item.
func (c *LineClass) NeedsWork() bool { return c.Denied || c.DenialAmount > 0 || c.Underpaid }

// ClassifyLine reads a line of a claim with CLP02 status. A reversal's
// amounts are read negated, so it classifies as the payment it reverses.
func ClassifyLine(status string, l *PaidLine) LineClass {
	sign := money.Amount(1)
	if status == "22" {
		sign = -1
	}
	var c LineClass
	decisive := -1
	var big money.Amount
	hasDenial := false
	for i, a := range l.Adjustments {
		amt := sign * a.Amount
		class, _, _ := carc.Classify(a.Group, a.Reason)
		switch class {
		case carc.ClassDenial:
			hasDenial = true
			c.DenialAmount += amt
			code := a.Group + "-" + a.Reason
			if k := slices.IndexFunc(c.Codes, func(x CodeAmount) bool { return x.Code == code }); k >= 0 {
				c.Codes[k].Amount += amt
			} else {
				c.Codes = append(c.Codes, CodeAmount{code, amt})
			}
			if decisive < 0 || amt > big {
				decisive, big = i, amt
			}
		case carc.ClassContractual:
			c.Contractual += amt
		case carc.ClassPatient:
			c.Patient += amt
		}
	}
	paid, charge := sign*l.Paid, sign*l.Charge
	switch {
	case paid == 0 && c.Patient == 0 && charge > 0 && c.DenialAmount > 0:
		c.Denied = true
	case paid <= 0 && charge > 0 && !hasDenial && status == "4":
		c.Denied = true
		c.Category = string(carc.Other)
	}
	if decisive >= 0 && c.DenialAmount > 0 {
		a := l.Adjustments[decisive]
		c.Category = string(carc.Explain(a.Group, a.Reason, l.Remarks).Category)
	}
	if status != "22" && slices.Contains(l.Flags, "underpaid") {
		c.Underpaid = true
		if l.Expected != nil {
			c.Shortfall = max(0, *l.Expected-l.Paid-l.PatientResp)
		}
	} else if status == "22" && l.ReversesUnderpaid {
		c.Underpaid, c.Shortfall = true, l.ReversedShortfall
	}
	if c.Category == "" && c.Underpaid {
		c.Category = string(carc.Underpayment)
	}
	return c
}

// automatic reports whether the matcher found the line without a person.
func automatic(l *PaidLine) bool {
	return !l.Review && l.Method != "manual" && l.Method != "unmatched"
}

// First reports whether the paid claim is a first adjudication: a primary
// adjudication (not a reversal) that is not the payer's correction of a
// reversed payment, not a re-adjudication of a billed claim the payer had
// already adjudicated (an appeal, a corrected claim) and that pays an
// original billed claim (CLM05-3 1) or an unmatched one.
func (c *PaidClaim) First() bool {
	return Primary(c.Status) && !slices.Contains(c.Flags, "correction") && !c.Readjudication &&
		(c.BilledFrequency == "" || c.BilledFrequency == "1") && !c.ignored()
}

func (c *PaidClaim) ignored() bool {
	return c.Status == "25" || slices.Contains(c.Flags, "duplicate_remit")
}

// Contributions returns what a paid claim adds to the daily summary, under
// both bases (see Measure for the rules).
func (c *PaidClaim) Contributions() []Contribution {
	if c.ignored() {
		return nil
	}
	reversal := c.Status == "22"
	sign := int64(1)
	adjStatus := c.Status
	if reversal {
		sign = -1
		adjStatus = c.OrigStatus
		if adjStatus == "" {
			adjStatus = "1"
		}
	}
	primary := Primary(adjStatus)
	first := c.First()
	acc := newAccumulator(c)
	paidInFull := c.Status != "4"
	claimDenied := c.Status == "4"
	for i := range c.Lines {
		l := &c.Lines[i]
		if slices.Contains(l.Flags, "duplicate_remit") {
			continue
		}
		cls := ClassifyLine(c.Status, l)
		if cls.NeedsWork() {
			paidInFull = false
		}
		if cls.Denied || cls.DenialAmount > 0 {
			claimDenied = true
		}
		var m Measures
		m[Payments] = l.Paid.Cents()
		m[LinesPosted] = 1
		if automatic(l) && (reversal || !cls.NeedsWork()) {
			m[LinesTouchless] = 1
		}
		cat := ""
		w := int64(max(l.Weight, 1))
		if primary {
			charge := sign * l.Charge.Cents() // read as the reversed payment's
			m[LinesAdjudicated] = sign * w
			m[ChargeAdjudicated] = sign * charge
			m[PaymentsPrimary] = l.Paid.Cents()
			if cls.Denied {
				m[LinesDenied] = sign * w
				m[ChargeDenied] = sign * charge
			}
			m[DenialAmount] = sign * cls.DenialAmount.Cents()
			m[Contractual] = sign * cls.Contractual.Cents()
			m[PatientResp] = sign * cls.Patient.Cents()
			if cls.Underpaid {
				m[LinesUnderpaid] = sign
				m[UnderpaidAmount] = sign * cls.Shortfall.Cents()
				if reversal {
					m[UnderpaidReversed] = cls.Shortfall.Cents()
				}
			}
			if c.Billed {
				m[ARReduction] = l.Paid.Cents() + sign*(cls.Contractual+cls.Patient).Cents()
				m[ARPatientMoved] = sign * cls.Patient.Cents()
			}
			if cls.DenialAmount > 0 || cls.Denied || cls.Underpaid {
				cat = cls.Category
			}
		} else if c.Billed {
			m[ARPatientSecondary] = l.Paid.Cents()
		}
		if first {
			m[LinesFirst] = w
			m[ChargeFirst] = l.Charge.Cents()
			if cls.Denied || cls.DenialAmount > 0 {
				m[LinesFirstDenied] = w
				denied := cls.DenialAmount
				if denied == 0 {
					denied = l.Charge
				}
				m[DenialFirst] = denied.Cents()
			}
		}
		d := Dims{Practice: c.Practice, Payer: c.Payer, Provider: c.Provider, CPT: l.Procedure, Category: cat}
		acc.add(l.ServiceDate, d, &m)
		if primary && (cls.DenialAmount > 0 || cls.Denied) {
			for _, ca := range cls.Codes {
				var cm Measures
				cm[CARCLines], cm[CARCAmount] = sign, sign*ca.Amount.Cents()
				cd := d
				cd.Code = ca.Code
				acc.add(l.ServiceDate, cd, &cm)
			}
			var seen []string
			for _, r := range l.Remarks {
				if r == "" || slices.Contains(seen, r) {
					continue
				}
				seen = append(seen, r)
				var rm Measures
				rm[RARCLines], rm[RARCAmount] = sign, sign*cls.DenialAmount.Cents()
				rd := d
				rd.Code = r
				acc.add(l.ServiceDate, rd, &rm)
			}
		}
	}
	if first && len(c.Lines) > 0 {
		var m Measures
		m[ClaimsAdjudicated] = 1
		if paidInFull {
			m[ClaimsPaidInFull] = 1
		}
		if claimDenied {
			m[ClaimsDenied] = 1
		}
		acc.add(0, Dims{Practice: c.Practice, Payer: c.Payer, Provider: c.Provider}, &m)
	}
	return acc.out
}

// accumulator merges contributions with the same basis, day and dims.
type accumulator struct {
	remit, service day.Day
	out            []Contribution
}

func newAccumulator(c *PaidClaim) *accumulator {
	svc := c.ServiceDate
	if svc == 0 {
		svc = c.RemitDate
	}
	return &accumulator{remit: c.RemitDate, service: svc, out: make([]Contribution, 0, 2*len(c.Lines)+2)}
}

// add adds m under the remit date and under service date svc (0: the
// claim's).
func (a *accumulator) add(svc day.Day, d Dims, m *Measures) {
	if svc == 0 {
		svc = a.service
	}
	a.put(RemitBasis, a.remit, d, m)
	a.put(ServiceBasis, svc, d, m)
}

func (a *accumulator) put(b Basis, dy day.Day, d Dims, m *Measures) {
	for i := range a.out {
		if o := &a.out[i]; o.Basis == b && o.Day == dy && o.Dims == d {
			o.M.Add(m)
			return
		}
	}
	a.out = append(a.out, Contribution{Basis: b, Day: dy, Dims: d, M: *m})
}

// WorkItem is a work item as the KPIs see it.
type WorkItem struct {
	Practice int64
	Payer    string
	Provider string
	CPT      string
	Category string
	// Kind is the item's kind: denial, underpayment or unmatched_remittance.
	Kind    string
	Created day.Day
	// Origin is the day its age counts from: the remit date of the remit
	// that opened it (0: the creation day).
	Origin day.Day
	Closed day.Day // resolved or written off; 0 while open
	// Balance is the amount still at risk (for a closed item: what it was
	// closed with, unpaid).
	Balance money.Amount
	Service day.Day // 0: the creation day
	// Appealed is the day the appeal was sent (0: never appealed);
	// AppealedAmount the amount at risk then, Recovered what later remits
	// paid, Expected what the line should pay (the fee-schedule allowed
	// amount, else its charge; 0: AppealedAmount).
	Appealed       day.Day
	AppealedAmount money.Amount
	Recovered      money.Amount
	Expected       money.Amount
	// Outcome and RecordedRecovery are what the biller recorded on
	// resolving the item (work_items.resolution_outcome and
	// resolution_recovered): paid_in_full or partial with the amount the
	// payer paid, or upheld; "" and 0 when nothing was recorded.
	Outcome          string
	RecordedRecovery money.Amount
	// Appeals are the appeals tracked on the item (work_item_appeals, one
	// per level). When any is there they decide the item's appeal instead
	// of the inference from status moves and later remits (see Appeal).
	Appeals []Appeal
}

// Appeal outcomes of a tracked appeal (work_item_appeals.outcome).
const (
	AppealPending    = "pending"
	AppealPaidInFull = "paid_in_full"
	AppealPartial    = "partial"
	AppealUpheld     = "upheld"
	AppealWithdrawn  = "withdrawn"
)

// Appeal is one tracked appeal of a work item, at one level.
type Appeal struct {
	Level     int
	Submitted day.Day
	Outcome   string  // pending, paid_in_full, partial, upheld, withdrawn
	Decided   day.Day // 0 while pending
	Amount    money.Amount
	// Recovered is the amount recovered the biller recorded on the appeal
	// (0: none recorded).
	Recovered money.Amount
}

// Won reports whether the appeal was decided for the practice (paid in full
// or in part).
func (a Appeal) Won() bool { return a.Outcome == AppealPaidInFull || a.Outcome == AppealPartial }

// AppealState is an item's appeal as the KPIs see it.
type AppealState struct {
	Appealed day.Day      // the day of the first appeal (0: not appealed)
	Amount   money.Amount // the amount at risk then
	Decided  bool
	Won      bool
	// Recovered is what the item's appeal recovered: for tracked appeals
	// the amounts recorded on the won levels, else (none recorded, or no
	// tracked appeal) what later remits paid on the item, else what the
	// biller recorded on resolving it won; 0 for a lost one.
	Recovered money.Amount
	// Tracked: the state comes from tracked appeals.
	Tracked bool
	// FirstDecided, FirstWon: the tracked level-1 appeal was decided
	// (paid in full, partial or upheld), and won.
	FirstDecided, FirstWon bool
}

// AppealState returns the item's appeal. With tracked appeals that were not
// all withdrawn: dated by the first level submitted (not withdrawn), its
// amount appealed the amount at risk; won when any level was paid in full
// or in part, else pending while any level is pending, else lost when a
// level was upheld. Without any: the outcome the biller recorded on
// resolving it (Outcome), else the inference of AppealDecided. An item
// whose tracked appeals were all withdrawn counts as appealed (on its first
// appeal) and in neither won nor lost.
func (w *WorkItem) AppealState() AppealState {
	if len(w.Appeals) == 0 {
		s := AppealState{Appealed: w.Appealed, Amount: w.AppealedAmount, Recovered: w.Recovered}
		switch {
		case w.Appealed == 0:
		case w.Outcome == AppealPaidInFull || w.Outcome == AppealPartial:
			s.Decided, s.Won = true, true
			if s.Recovered <= 0 {
				s.Recovered = w.RecordedRecovery
			}
		case w.Outcome == AppealUpheld:
			s.Decided, s.Recovered = true, 0
		case w.Recovered > 0 || w.Closed != 0:
			s.Decided, s.Won = true, w.Recovered > 0
		}
		return s
	}
	s := AppealState{Tracked: true}
	var first *Appeal
	var pending, upheld bool
	var recorded money.Amount
	for i := range w.Appeals {
		a := &w.Appeals[i]
		if a.Outcome == AppealWithdrawn {
			continue
		}
		if first == nil || a.Submitted < first.Submitted || (a.Submitted == first.Submitted && a.Level < first.Level) {
			first = a
		}
		if a.Level == 1 && (a.Won() || a.Outcome == AppealUpheld) {
			s.FirstDecided, s.FirstWon = true, a.Won()
		}
		switch {
		case a.Won():
			s.Won = true
			recorded += a.Recovered
		case a.Outcome == AppealUpheld:
			upheld = true
		default:
			pending = true
		}
	}
	if first == nil { // all withdrawn
		for i := range w.Appeals {
			if a := &w.Appeals[i]; first == nil || a.Submitted < first.Submitted {
				first = a
			}
		}
		s.Appealed, s.Amount = first.Submitted, first.Amount
		return s
	}
	s.Appealed, s.Amount = first.Submitted, first.Amount
	switch {
	case s.Won:
		s.Decided, s.Recovered = true, recorded
		if recorded <= 0 {
			s.Recovered = w.Recovered
		}
		if s.Recovered <= 0 {
			s.Recovered = w.RecordedRecovery
		}
	case pending:
	case upheld:
		s.Decided = true
	}
	return s
}

// AppealDecided reports whether an appealed item's appeal is decided (see
// AppealState): without tracked appeals, an outcome was recorded on
// resolving it, something was recovered, or the item was closed. A pending
// appeal counts neither as won nor as lost.
func (w *WorkItem) AppealDecided() bool { s := w.AppealState(); return s.Appealed != 0 && s.Decided }

// Contributions returns what the item adds: created on its creation day,
// closed on its closing day (with, for a denial, the balance that leaves
// A/R), appealed on the appeal day (remit basis: the day of each event;
// service basis: the service date).
func (w *WorkItem) Contributions() []Contribution {
	d := Dims{Practice: w.Practice, Payer: w.Payer, Provider: w.Provider, CPT: w.CPT, Category: w.Category}
	svc := w.Service
	if svc == 0 {
		svc = w.Created
	}
	origin := w.Origin
	if origin == 0 || origin > w.Created {
		origin = w.Created
	}
	a := &accumulator{}
	var m Measures
	m[ItemsCreated], m[CreatedDaySum] = 1, int64(origin)
	a.put(RemitBasis, w.Created, d, &m)
	a.put(ServiceBasis, svc, d, &m)
	if w.Closed != 0 {
		var c Measures
		c[ItemsClosed], c[ClosedCreatedDaySum] = 1, int64(origin)
		if w.Kind == "denial" && w.Balance > 0 {
			c[ARWrittenOff] = w.Balance.Cents()
		}
		a.put(RemitBasis, w.Closed, d, &c)
		a.put(ServiceBasis, svc, d, &c)
	}
	if st := w.AppealState(); st.Appealed != 0 {
		var p Measures
		p[Appeals], p[AppealedAmount], p[AppealRecovered] = 1, st.Amount.Cents(), w.Recovered.Cents()
		if st.Decided {
			exp := w.Expected
			if exp <= 0 {
				exp = st.Amount
			}
			p[AppealsDecided], p[AppealExpected], p[AppealRecoveredDecided] = 1, exp.Cents(), st.Recovered.Cents()
			if st.Won {
				p[AppealsWon] = 1
			}
		}
		if st.FirstDecided {
			p[AppealsFirstDecided] = 1
			if st.FirstWon {
				p[AppealsFirstWon] = 1
			}
		}
		a.put(RemitBasis, st.Appealed, d, &p)
		a.put(ServiceBasis, svc, d, &p)
	}
	return a.out
}

// PatientPayment is a patient payment from a practice-management export as
// the KPIs see it: no patient identity, only where it belongs.
type PatientPayment struct {
	Practice int64
	// Payer and Provider are the billed claim's when the payment names a
	// known claim; "" otherwise.
	Payer, Provider string
	Paid            day.Day // the payment date
	Service         day.Day // the date of service; 0: the payment date
	Amount          money.Amount
}

// Contributions returns what the payment adds: patient payments on the
// payment date (remit basis) or the service date (service basis).
func (p *PatientPayment) Contributions() []Contribution {
	if p.Paid == 0 {
		return nil
	}
	svc := p.Service
	if svc == 0 {
		svc = p.Paid
	}
	d := Dims{Practice: p.Practice, Payer: p.Payer, Provider: p.Provider}
	var m Measures
	m[PatientPaid], m[PatientPayRows] = p.Amount.Cents(), 1
	return []Contribution{{Basis: RemitBasis, Day: p.Paid, Dims: d, M: m}, {Basis: ServiceBasis, Day: svc, Dims: d, M: m}}
}

// BilledClaim is a billed claim as the KPIs see it.
type BilledClaim struct {
	Practice  int64
	Payer     string
	Provider  string
	Frequency string // CLM05-3
	Charge    money.Amount
	Billed    day.Day // the billed date; 0: the service date
	Service   day.Day
}

// Contributions returns what the claim adds to billed charges: originals
// only (a replacement or void restates a claim already counted).
func (b *BilledClaim) Contributions() []Contribution {
	if b.Frequency != "" && b.Frequency != "1" {
		return nil
	}
	billed, svc := b.Billed, b.Service
	if billed == 0 {
		billed = svc
	}
	if svc == 0 {
		svc = billed
	}
	if billed == 0 {
		return nil
	}
	d := Dims{Practice: b.Practice, Payer: b.Payer, Provider: b.Provider}
	var m Measures
	m[BilledCharges], m[BilledClaims] = b.Charge.Cents(), 1
	return []Contribution{{Basis: RemitBasis, Day: billed, Dims: d, M: m}, {Basis: ServiceBasis, Day: svc, Dims: d, M: m}}
}

// AckedClaim is a billed claim as the clean-claim rate sees it: what the
// 999 and 277CA acknowledgments said of it (pkg/ackstore), by CLM01 in its
// practice.
type AckedClaim struct {
	Practice int64
	Payer    string
	Provider string
	First    day.Day // the day of its first acknowledgment; 0: none
	Service  day.Day // the date of service; 0: First
	// Accepted: a 277CA accepted it into adjudication (A1/A2); Rejected: a
	// 999 or a 277CA rejected it, at any time (a rejected claim
	// resubmitted and accepted is not clean).
	Accepted, Rejected bool
}

// Clean reports whether the claim was accepted with no rejection.
func (a *AckedClaim) Clean() bool { return a.Accepted && !a.Rejected }

// Contributions returns the claim's part of the clean-claim rate: one
// claim submitted, and one clean claim when it is clean, on the day of its
// first acknowledgment (remit basis) or its date of service.
func (a *AckedClaim) Contributions() []Contribution {
	if a.First == 0 {
		return nil
	}
	svc := a.Service
	if svc == 0 {
		svc = a.First
	}
	d := Dims{Practice: a.Practice, Payer: a.Payer, Provider: a.Provider}
	var m Measures
	m[ClaimsAcknowledged] = 1
	if a.Clean() {
		m[ClaimsClean] = 1
	}
	return []Contribution{{Basis: RemitBasis, Day: a.First, Dims: d, M: m}, {Basis: ServiceBasis, Day: svc, Dims: d, M: m}}
}
