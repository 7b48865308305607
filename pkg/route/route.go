package route

import (
	"strings"

	"github.com/remitq/remitq/carc"
	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/rules"
)

// Router decides lines. It is safe for concurrent use; build it once.
type Router struct {
	cfg   Config
	tol   money.Amount
	rec   map[carc.Category]int
	rules *rules.Set
}

// New returns a Router for cfg.
func New(cfg Config) *Router {
	r := &Router{cfg: cfg, tol: cfg.UnderpaymentTolerance, rec: map[carc.Category]int{}, rules: cfg.Rules}
	if r.rules == nil {
		r.rules = rules.Default()
	}
	if r.tol <= 0 {
		r.tol = DefaultUnderpaymentTolerance
	}
	for k, v := range DefaultRecoverability {
		r.rec[k] = v
	}
	for k, v := range cfg.Recoverability {
		r.rec[k] = v
	}
	return r
}

// AppealDays returns the appeal window for a payer: its profile, else the
// configured default, else DefaultAppealDays.
func (r *Router) AppealDays(payerID string) int {
	if p, ok := r.cfg.Payers[payerID]; ok && p.AppealDays > 0 {
		return p.AppealDays
	}
	if r.cfg.AppealDays > 0 {
		return r.cfg.AppealDays
	}
	return DefaultAppealDays
}

// Profile returns the payer's profile (the zero PayerProfile when none is
// configured: remitq's defaults).
func (r *Router) Profile(payerID string) PayerProfile { return r.cfg.Payers[payerID] }

// Decide routes one service line. It never fails: unknown codes are read as
// "unknown" with a warning in the decision.
func (r *Router) Decide(l *Line) Decision { return r.decide(l) }

// DecideClaim routes a claim answered at claim level only (no service
// lines), or a whole unmatched claim; the decision has LineIndex 0 and no
// procedure.
func (r *Router) DecideClaim(c *Claim) Decision {
	l := Line{PracticeID: c.PracticeID, PayerID: c.PayerID, ClaimID: c.ClaimID, ServiceDate: c.ServiceDate,
		Charge: c.Charge, Paid: c.Paid, Adjustments: c.Adjustments, Remarks: c.Remarks, ClaimStatus: c.Status,
		RemitDate: c.RemitDate, AsOf: c.AsOf, Match: c.Match}
	return r.decide(&l)
}

// tally is the line's adjustments summed by class.
type tally struct {
	denial, contractual, patient, other money.Amount
	hasDenial                           bool
	// index of the largest adjustment of each class (-1: none)
	primary, bigContractual, bigPatient int
	// mppr is the multiple-procedure reduction (CARC 59) taken from the line.
	mppr money.Amount
}

func (r *Router) decide(l *Line) Decision {
	d := Decision{ClaimID: l.ClaimID, LineIndex: l.LineIndex, Procedure: procLabel(l.Procedure, l.Modifiers)}
	adjs, remarks := l.Adjustments, l.Remarks
	fromClaim := false
	if len(adjs) == 0 && len(l.ClaimAdjustments) > 0 && l.Charge != l.Paid {
		adjs, fromClaim = l.ClaimAdjustments, true
	}
	if len(remarks) == 0 {
		remarks = l.ClaimRemarks
	}
	if len(remarks) > 0 {
		d.RARC = append(make([]string, 0, len(remarks)), remarks...)
	} else {
		d.RARC = []string{}
	}

	t := tally{primary: -1, bigContractual: -1, bigPatient: -1}
	d.CARC = make([]string, 0, len(adjs))
	for i, a := range adjs {
		class, _, known := carc.Classify(a.Group, a.Reason)
		code := a.Code()
		if !known {
			d.warn("unknown CARC " + code + " (list retrieved " + carc.ListRetrieved + ")")
		}
		if !contains(d.CARC, code) {
			d.CARC = append(d.CARC, code)
		}
		switch class {
		case carc.ClassDenial:
			t.hasDenial = true
			t.denial += a.Amount
			if t.primary < 0 || a.Amount > adjs[t.primary].Amount {
				t.primary = i
			}
		case carc.ClassContractual:
			t.contractual += a.Amount
			if a.Reason == "59" && a.Group != "PR" {
				t.mppr += a.Amount
			}
			if t.bigContractual < 0 || a.Amount > adjs[t.bigContractual].Amount {
				t.bigContractual = i
			}
		case carc.ClassPatient:
			t.patient += a.Amount
			if t.bigPatient < 0 || a.Amount > adjs[t.bigPatient].Amount {
				t.bigPatient = i
			}
		default:
			t.other += a.Amount
			if t.bigContractual < 0 {
				t.bigContractual = i
			}
		}
	}
	if fromClaim {
		// Claim-level amounts belong to the whole claim: the line's own
		// unpaid amount takes the class of the claim's codes.
		unpaid := l.Charge - l.Paid
		t.denial, t.contractual, t.patient, t.other = 0, 0, 0, 0
		switch {
		case t.hasDenial:
			t.denial = unpaid
		case t.bigPatient >= 0 && t.bigContractual < 0:
			t.patient = unpaid
		default:
			t.contractual = unpaid
		}
		d.warn("line has no adjustments of its own: claim-level adjustments used")
	}

	reversed := l.ClaimStatus == "22" || l.Match.Flags.Has(Reversal)
	var short money.Amount
	under := false
	if l.Match.HasExpected {
		if s := l.Match.Expected - l.Paid; s > r.tol {
			under, short = true, s
		}
	} else if l.Match.Flags.Has(Underpaid) {
		under = true
	}
	// A bilateral line (billed with 50) the payer paid as unilateral: the
	// expected amount, when known, is the one of the code as paid, so the
	// shortfall is the bilateral half of the allowed amount (bilateral
	// payment indicator 1: 150 %).
	dropped50 := !under && !reversed && l.Paid > 0 && l.Match.Flags.Has(ModifierDropped) &&
		hasModifier(l.Match.BilledModifiers, "50") && !hasModifier(l.Modifiers, "50")
	if dropped50 {
		allowed := l.Paid + t.patient
		if l.HasAllowed {
			allowed = l.Allowed
		}
		if allowed/2 > r.tol {
			under, short = true, allowed/2
		} else {
			dropped50 = false
		}
	}
	// A zero-amount denial code on an unpaid line counts only when the other
	// adjustments leave part of the charge unexplained.
	unexplained := l.Charge - l.Paid - t.contractual - t.patient - t.other
	denied := t.denial > 0 || t.hasDenial && l.Paid <= 0 && unexplained > 0
	deniedNoCode := !t.hasDenial && l.ClaimStatus == "4" && l.Paid <= 0 && l.Charge > 0
	// An add-on code reduced by the multiple-procedure rules (CO-59): add-on
	// codes are exempt from the reduction, so it is an underpayment.
	addonMPPR := !under && !reversed && !denied && !deniedNoCode && !fromClaim && t.mppr > r.tol &&
		!r.cfg.NoBuiltinRules && r.rules.IsAddOn(l.Procedure)
	if addonMPPR {
		under, short = true, t.mppr
	}

	switch {
	case reversed:
		d.Disposition = Reversed
	case denied, deniedNoCode:
		d.Disposition = Denied
		if l.Paid > 0 {
			d.Disposition = PartiallyDenied
		}
	case under:
		d.Disposition = UnderpaidLine
	case l.Paid <= 0 && t.patient > 0:
		d.Disposition = PatientResponsibility
	case l.Paid <= 0:
		d.Disposition = Contractual
	default:
		d.Disposition = Paid
	}

	var atRisk money.Amount
	switch d.Disposition {
	case Denied, PartiallyDenied:
		r.explainDenial(l, &d, adjs, remarks, t.primary, r.Profile(l.PayerID))
		switch {
		case l.Match.HasExpected:
			atRisk = max(0, l.Match.Expected-l.Paid)
		case t.denial > 0:
			atRisk = t.denial
		default: // no denial amount: what the other adjustments leave unexplained
			atRisk = max(0, unexplained)
		}
	case UnderpaidLine:
		r.explainUnderpayment(l, &d, adjs, remarks, t.bigContractual, short)
		if addonMPPR {
			r.apply(&d, Sharpening{
				Category: carc.Underpayment,
				Reason:   "multiple-procedure reduction (CO-59) of " + t.mppr.String() + " on add-on code " + l.Procedure + ", which is exempt from it",
				Action:   "Dispute the reduction: add-on codes are exempt from the multiple-procedure reduction (MPFS multiple-procedure indicator 0); ask the payer to reprocess " + l.Procedure + " at the full allowed amount",
				Rule:     "pain/add-on-mppr",
			})
		}
		if dropped50 {
			r.apply(&d, Sharpening{
				Category: carc.Modifier,
				Reason:   "payer dropped modifier 50 and paid " + l.Procedure + " as unilateral (short about " + short.String() + ")",
				Action:   "Appeal for the bilateral rate with the procedure note showing both sides, or send the corrected claim in the form the payer requires (50, or RT and LT lines)",
				Rule:     "match/modifier-50-dropped",
			})
		}
		atRisk = short
	case PatientResponsibility:
		r.explainOther(&d, adjs, remarks, t.bigPatient)
		if a := PatientShareAction(adjs); a != "" {
			d.Action = a
		}
	case Contractual:
		r.explainOther(&d, adjs, remarks, t.bigContractual)
	case Reversed:
		d.Reason = "earlier payment reversed"
		d.Action = "Post the reversal together with the corrected claim that follows and check the net"
	default:
		d.Action = "No action"
		if a := PatientShareAction(adjs); a != "" {
			d.Action = a
		}
	}

	if d.Disposition == Denied || d.Disposition == PartiallyDenied || d.Disposition == UnderpaidLine {
		r.sharpen(l, &d)
	}

	base := l.RemitDate
	r.deadline(l, &d, base)

	rec := 0
	switch {
	case l.Match.Status == Unmatched:
		d.WorkItem = UnmatchedRemittance
		atRisk = max(atRisk, l.Paid, -l.Paid)
		rec = unmatchedRecoverability
	case d.Disposition == Denied || d.Disposition == PartiallyDenied:
		d.WorkItem = DenialWork
	case d.Disposition == UnderpaidLine:
		d.WorkItem = UnderpaymentWork
	}
	if d.WorkItem != NoWork {
		// Never more at risk than was billed: the expected rate of a code
		// the payer adjudicated instead (77003 paid as part of 62323) can
		// exceed the billed charge of the line.
		if limit := billedLimit(l); d.WorkItem != UnmatchedRemittance && limit > 0 && atRisk > limit {
			atRisk = limit
		}
		d.AmountAtRisk = atRisk
		if rec == 0 {
			rec = d.recoverability
		}
		if rec == 0 {
			rec = r.rec[d.Category]
		}
		asOf := l.AsOf
		if asOf.IsZero() {
			asOf = base
		}
		daysLeft := r.AppealDays(l.PayerID)
		if !asOf.IsZero() && !d.AppealDeadline.IsZero() {
			daysLeft = asOf.DaysUntil(d.AppealDeadline)
		}
		d.Priority = Priority(atRisk, rec, daysLeft)
	}
	d.Text, d.Action = compose(l, &d, t.denial)
	return d
}

// billedLimit is the most a line's work item can put at risk: the billed
// charge when the matcher knows it, else the line's charge (0: no limit).
func billedLimit(l *Line) money.Amount {
	if l.Match.BilledCharge > 0 {
		return l.Match.BilledCharge
	}
	return max(l.Charge, 0)
}

// deadline sets the appeal deadline and, under a payer profile, the work
// route, the timely-filing end and their source: an appeal within the
// profile's first appeal window from the remit (Medicare redetermination:
// 120 days), a reopening within its reopening window (Medicare: 1 year), a
// corrected or new claim within timely filing from the date of service (an
// unprocessable claim, CARC 16 + MA130, has no appeal rights), a dispute
// of an underpayment within the appeal window. Without a profile: the
// remit date plus the appeal window (default 90 days).
func (r *Router) deadline(l *Line, d *Decision, base day.Day) {
	days := r.AppealDays(l.PayerID)
	d.AppealDeadline = base.AddDays(days)
	p, ok := r.cfg.Payers[l.PayerID]
	if !ok || p.ID == "" {
		return
	}
	d.Profile = p.ID
	if p.TimelyFilingDays > 0 && !l.ServiceDate.IsZero() {
		d.TimelyFiling = l.ServiceDate.AddDays(p.TimelyFilingDays)
	}
	if d.Disposition != Denied && d.Disposition != PartiallyDenied && d.Disposition != UnderpaidLine {
		return
	}
	byFiling := func() {
		if !d.TimelyFiling.IsZero() && (base.IsZero() || base.DaysUntil(d.TimelyFiling) > 0) {
			d.AppealDeadline, d.DeadlineSource = d.TimelyFiling, p.TimelyFilingSource
		} else {
			d.DeadlineSource = p.AppealSource
		}
	}
	d.DeadlineSource = p.AppealSource
	switch {
	case d.Disposition == UnderpaidLine:
		d.Route = RouteDispute
	case d.PatientLiable && !d.Appealable:
		d.Route = RouteBillPatient
	case d.Decisive == "CO-16" && contains(d.RARC, "MA130"):
		d.Route = RouteNewClaim
		byFiling()
	case d.recoverability > 0 && d.recoverability <= 10:
		d.Route = RouteWriteOff
	case d.Appealable:
		d.Route, d.appealName = RouteAppeal, p.AppealName
	case p.Correction == rules.CorrectionReopening:
		d.Route = RouteReopening
		if p.ReopeningDays > 0 {
			d.AppealDeadline, d.DeadlineSource = base.AddDays(p.ReopeningDays), p.CorrectionSource
		}
		d.Action = strings.Replace(strings.Replace(d.Action, "send a corrected claim (frequency code 7)", "request a reopening", 1),
			"send a corrected claim", "request a reopening", 1)
	default:
		d.Route = RouteCorrectedClaim
		byFiling()
		if d.DeadlineSource == p.TimelyFilingSource {
			d.DeadlineSource = p.TimelyFilingSource + "; " + p.CorrectionSource
		}
	}
}

// explainDenial fills category, reason, action and detail from the
// decisive denial adjustment and the remarks.
func (r *Router) explainDenial(l *Line, d *Decision, adjs []Adjustment, remarks []string, primary int, prof PayerProfile) {
	if primary < 0 {
		d.Category = carc.Other
		d.Reason = "claim denied without a reason code"
		d.Action = "Call the payer for the denial reason, then correct or appeal"
		d.Appealable = true
		for _, a := range adjs { // claim-level codes may still say something
			if e := carc.Explain(a.Group, a.Reason, remarks); e.Class == carc.ClassDenial {
				d.Category, d.Reason, d.Action, d.Detail, d.Appealable = e.Category, e.Reason, e.Action, e.Text, e.Appealable
				break
			}
		}
		return
	}
	a := adjs[primary]
	e := carc.Explain(a.Group, a.Reason, remarks)
	d.Decisive = a.Code()
	d.Category, d.Reason, d.Action, d.Detail = e.Category, e.Reason, e.Action, e.Text
	d.Appealable, d.PatientLiable = e.Appealable, e.PatientLiable
	for _, w := range e.Warnings {
		d.warn(w)
	}
	// A curated CARC + RARC pair or a deciding remark names the cause: the
	// pain facts may then sharpen its words but not move it to another
	// category (CO-16 + N290 is a missing NPI even on an E/M beside a block).
	specific := e.Source == carc.FromCombination || e.Source == carc.FromRemark
	if !r.cfg.NoBuiltinRules {
		if s, ok := r.builtin(l, d, strings.ToUpper(strings.TrimSpace(a.Reason)), prof, specific); ok && (!specific || s.Category == d.Category) {
			r.apply(d, s)
			if s.Recoverability > 0 && s.Recoverability <= 10 {
				d.Appealable = false
			}
			if s.appealable {
				d.Appealable = true
			}
		}
	}
	if s, ok := downcoded(l, d, a.Reason); ok && !specific {
		r.apply(d, s)
	}
	if l.Match.Flags.Has(UnitsReduced) && d.Category == carc.Other {
		d.Category, d.Rule = carc.FrequencyLimit, "match/units-reduced"
	}
	d.Detail += matchFacts(l)
}

func (r *Router) explainUnderpayment(l *Line, d *Decision, adjs []Adjustment, remarks []string, big int, short money.Amount) {
	d.Category = carc.Underpayment
	d.Appealable = true
	if l.Match.HasExpected {
		d.Reason = "paid " + l.Paid.String() + ", contract expects " + l.Match.Expected.String() + " (short " + short.String() + ")"
	} else {
		d.Reason = "paid below the contracted amount"
	}
	if l.Match.Flags.Has(ProcedureChanged) && l.Match.BilledProcedure != "" {
		d.Reason += "; payer paid " + l.Procedure + " instead of the billed " + l.Match.BilledProcedure
	}
	if l.Match.Flags.Has(ModifierDropped) {
		d.Reason += "; a billed modifier was dropped"
	}
	if l.Match.Flags.Has(UnitsReduced) {
		d.Reason += "; fewer units paid than billed"
	}
	d.Action = "Compare the allowed amount with the contracted rate for " + orClaim(l.Procedure) + " and dispute the shortfall with the payer"
	if big >= 0 {
		a := adjs[big]
		d.Decisive = a.Code()
		d.Detail = carc.Explain(a.Group, a.Reason, remarks).Text
	}
	d.Detail += matchFacts(l)
}

func (r *Router) explainOther(d *Decision, adjs []Adjustment, remarks []string, big int) {
	if big < 0 {
		d.Action = "No action"
		return
	}
	a := adjs[big]
	e := carc.Explain(a.Group, a.Reason, remarks)
	d.Decisive, d.Reason, d.Detail = a.Code(), e.Reason, e.Text
	if d.Disposition == PatientResponsibility {
		d.Action = e.Action
	} else {
		d.Action = "No action"
	}
}

// sharpen runs the configured Sharpener.
func (r *Router) sharpen(l *Line, d *Decision) {
	if r.cfg.Sharpener == nil {
		return
	}
	if s, ok := r.cfg.Sharpener.Sharpen(*l, *d); ok {
		r.apply(d, s)
	}
}

func (r *Router) apply(d *Decision, s Sharpening) {
	if !s.Category.Valid() {
		d.warn("sharpener returned an unknown category " + string(s.Category) + "; ignored")
		return
	}
	d.Category = s.Category
	if s.Reason != "" {
		d.Reason = s.Reason
	}
	if s.Action != "" {
		d.Action = s.Action
	}
	d.recoverability = s.Recoverability
	d.Rule = s.Rule
}

func (d *Decision) warn(w string) {
	if !contains(d.Warnings, w) {
		d.Warnings = append(d.Warnings, w)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// shareNames are the patient-share reasons (PR-1, PR-2, PR-3) that the
// practice's statement run bills (GET /v1/patient-share, migration 0021).
var shareNames = map[string]string{"1": "deductible", "2": "coinsurance", "3": "copay"}

// PatientShareAction is the action of a line with a PR-1, PR-2 or PR-3
// patient share: nothing to work with the payer, the share goes to the
// practice's statement run. "" when the line has none.
func PatientShareAction(adjs []Adjustment) string {
	var sum money.Amount
	var names []string
	for _, a := range adjs {
		n, ok := shareNames[a.Reason]
		if a.Group != "PR" || !ok || a.Amount <= 0 {
			continue
		}
		sum += a.Amount
		if n += " PR-" + a.Reason; !contains(names, n) {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return ""
	}
	return "No payer follow-up: the patient's share of " + sum.String() + " (" + strings.Join(names, ", ") +
		") goes to the practice's statement run (GET /v1/patient-share)"
}
