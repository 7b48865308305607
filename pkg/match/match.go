package match

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/remitq/remitq/pkg/billed"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/x12"
)

// DefaultThreshold is the confidence below which a match waits for a person.
const DefaultThreshold = 0.8

// DefaultUnderpaidTolerance is how far below the expected payment a line
// may be paid before it is flagged underpaid: one dollar.
const DefaultUnderpaidTolerance money.Amount = 100

// Options tune a Matcher. The zero value uses the defaults.
type Options struct {
	// Threshold is the confidence below which a result is marked for
	// review (default DefaultThreshold; a negative value reviews nothing).
	Threshold float64
	// Fees gives the expected allowed amounts; nil: no underpayment check.
	Fees *billed.FeeSchedule
	// UnderpaidTolerance is the slack of the underpayment check (default
	// DefaultUnderpaidTolerance; negative: none).
	UnderpaidTolerance money.Amount
}

// Matcher joins paid claims to billed claims. It is pure: everything it
// knows comes from its Candidates, and the same inputs give the same output.
type Matcher struct {
	c    Candidates
	opts Options
}

// New returns a Matcher looking up candidates in c.
func New(c Candidates, o Options) *Matcher {
	if o.Threshold == 0 {
		o.Threshold = DefaultThreshold
	}
	if o.UnderpaidTolerance == 0 {
		o.UnderpaidTolerance = DefaultUnderpaidTolerance
	} else if o.UnderpaidTolerance < 0 {
		o.UnderpaidTolerance = 0
	}
	return &Matcher{c: c, opts: o}
}

// Match matches one paid claim of payer, paid to practice, following the
// ladder of DESIGN.md: earlier payments by payer + CLP07 for reversals,
// corrections and duplicates; lines by REF*6R; the claim by CLP01 within the
// practice and its lines by procedure (SVC06 when the payer changed it),
// modifiers, date and units, tie-broken by charge; last a scored fuzzy
// match on member id, service date and amounts. The error is a lookup's.
func (m *Matcher) Match(pc *PaidClaim, practice, payer string) (*ClaimResult, error) {
	res := newResult(pc, practice, payer)
	st := &state{m: m, pc: pc, res: res, practice: practice, payer: payer,
		done: make([]bool, len(res.Lines)), used: map[*billed.Claim][]bool{}}
	if err := st.run(); err != nil {
		return nil, err
	}
	st.finish()
	return res, nil
}

func newResult(pc *PaidClaim, practice, payer string) *ClaimResult {
	res := &ClaimResult{Ref: pc.Ref, File: pc.File, Practice: practice, Payer: payer, PatientControl: pc.PatientControl,
		PayerControl: pc.PayerControl, Status: pc.Status, ServiceDate: pc.FirstServiceDate(), Method: Unmatched,
		Charge: pc.Charge, Paid: pc.Paid, PatientResp: pc.PatientResp}
	res.Key = ClaimKey(payer, pc.PayerControl, pc.Status, res.ServiceDate)
	if len(pc.Lines) == 0 {
		res.Lines = []LineResult{{Index: 0, ServiceDate: pc.StatementFrom, Charge: pc.Charge, Paid: pc.Paid,
			PatientResp: pc.PatientResp, Method: Unmatched}}
		res.addFlag(FlagClaimLevelOnly)
		return res
	}
	res.Lines = make([]LineResult, len(pc.Lines))
	for i, l := range pc.Lines {
		res.Lines[i] = LineResult{Index: l.Index, Procedure: l.Procedure, Modifiers: l.Modifiers,
			ServiceDate: pc.ServiceDate(l), Units: l.PaidUnits(), Charge: l.Charge, Paid: l.Paid, Method: Unmatched}
	}
	return res
}

// state is one Match call.
type state struct {
	m                 *Matcher
	pc                *PaidClaim
	res               *ClaimResult
	practice, payer   string
	done              []bool                   // line result i is settled
	used              map[*billed.Claim][]bool // billed lines already taken, per billed claim
	claim             *billed.Claim            // the billed claim the lines belong to
	target            *Prior                   // the earlier payment a correction or duplicate nets against
	claimControlDiffs bool
}

func (s *state) run() error {
	pc, res := s.pc, s.res
	switch pc.Status {
	case "19", "20", "21":
		res.addFlag(FlagCrossover)
	}
	switch pc.Status {
	case "2", "3", "20", "21":
		res.addFlag(FlagSecondary)
	}
	var priors []*Prior
	if pc.PayerControl != "" {
		all, err := s.m.c.PriorPayments(s.payer, pc.PayerControl)
		if err != nil {
			return fmt.Errorf("match: prior payments: %w", err)
		}
		for _, p := range all {
			if p.Practice == s.practice && p.Ref != pc.Ref {
				priors = append(priors, p)
			}
		}
	}
	if pc.IsReversal() {
		res.addFlag(FlagReversal)
		var target *Prior
		for i := len(priors) - 1; i >= 0; i-- {
			if p := priors[i]; p.Status != "22" && !p.Reversed && !p.Duplicate {
				target = p
				break
			}
		}
		if target == nil {
			res.addFlag(FlagPriorPaymentMissing)
		} else {
			s.reverse(target)
		}
	} else if err := s.corrections(priors); err != nil {
		return err
	}
	if s.allDone() {
		return nil
	}
	return s.ladder()
}

// corrections finds the earlier payment a duplicate or a correction nets against.
func (s *state) corrections(priors []*Prior) error {
	pc, res := s.pc, s.res
	for i := len(priors) - 1; i >= 0; i-- {
		if p := priors[i]; p.Key == res.Key && !p.Reversed && !p.Duplicate {
			s.target = p
			res.addFlag(FlagDuplicateRemit)
			res.NetsAgainst = &NetRef{Ref: p.Ref}
			return nil
		}
	}
	var reversed []*Prior
	switch {
	case pc.AfterReversal != "" && pc.AfterReversal != pc.PayerControl:
		all, err := s.m.c.PriorPayments(s.payer, pc.AfterReversal)
		if err != nil {
			return fmt.Errorf("match: prior payments: %w", err)
		}
		reversed = all
	default:
		reversed = priors
	}
	for i := len(reversed) - 1; i >= 0; i-- {
		if p := reversed[i]; p.Reversed && p.Status != "22" && !p.Duplicate && p.Practice == s.practice {
			s.target = p
			break
		}
	}
	if s.target != nil {
		res.addFlag(FlagCorrection)
		res.NetsAgainst = &NetRef{Ref: s.target.Ref}
	} else if pc.AfterReversal != "" {
		res.addFlag(FlagCorrection)
		res.addFlag(FlagPriorPaymentMissing)
	}
	return nil
}

// reverse nets the reversal's lines against the earlier payment's lines.
func (s *state) reverse(p *Prior) {
	res := s.res
	res.NetsAgainst = &NetRef{Ref: p.Ref}
	if p.Billed != nil {
		b := *p.Billed
		b.LineNumber, b.LineID = 0, 0
		res.Billed, res.Method, res.Confidence = &b, Reversal, 1
	}
	if len(s.pc.Lines) == 0 {
		lr := &res.Lines[0]
		if res.Billed != nil {
			b := *res.Billed
			lr.Billed, lr.Method, lr.Confidence = &b, Reversal, 1
			lr.NetsAgainst = &NetRef{Ref: p.Ref}
			s.done[0] = true
		}
		return
	}
	taken := make([]bool, len(p.Lines))
	for i, l := range s.pc.Lines {
		best, bestScore := -1, 0
		for j := range p.Lines {
			if taken[j] {
				continue
			}
			pl := &p.Lines[j]
			if pl.Procedure != l.Procedure || pl.ServiceDate != res.Lines[i].ServiceDate {
				continue
			}
			sc := 1
			if slices.Equal(pl.Modifiers, l.Modifiers) {
				sc += 4
			}
			if abs(pl.Charge) == abs(l.Charge) {
				sc += 2
			}
			if pl.Paid == -l.Paid {
				sc += 2
			}
			if pl.Units == l.PaidUnits() {
				sc++
			}
			if sc > bestScore {
				best, bestScore = j, sc
			}
		}
		if best < 0 || p.Lines[best].Billed == nil {
			continue
		}
		taken[best] = true
		pl := &p.Lines[best]
		b := *pl.Billed
		lr := &res.Lines[i]
		lr.Billed, lr.Method, lr.Confidence = &b, Reversal, min(pl.Confidence, 1)
		lr.NetsAgainst = &NetRef{Ref: p.Ref, LineIndex: pl.Index}
		if bestScore < 10 {
			lr.Confidence = min(lr.Confidence, 0.9)
		}
		s.done[i] = true
	}
}

func (s *state) allDone() bool {
	for _, d := range s.done {
		if !d {
			return false
		}
	}
	return true
}

func (s *state) usedOf(c *billed.Claim) []bool {
	u := s.used[c]
	if u == nil {
		u = make([]bool, len(c.Lines))
		s.used[c] = u
	}
	return u
}

func (s *state) assign(i int, c *billed.Claim, bi int, method Method, conf float64) {
	s.usedOf(c)[bi] = true
	lr := &s.res.Lines[i]
	l := &c.Lines[bi]
	lr.Billed = &Billed{ClaimID: c.ID, PatientControl: c.PatientControl, LineID: l.ID, LineNumber: l.Number}
	lr.Method, lr.Confidence = method, conf
	s.done[i] = true
}

// ladder matches the lines not yet settled.
func (s *state) ladder() error {
	pc, res := s.pc, s.res
	var viaLCN []*billed.Claim
	for i, l := range pc.Lines {
		if s.done[i] || l.LineControl == "" {
			continue
		}
		c, bi, err := s.m.c.LineByControl(s.practice, l.LineControl)
		if err != nil {
			return fmt.Errorf("match: line by control number: %w", err)
		}
		if c == nil || bi < 0 || bi >= len(c.Lines) || s.usedOf(c)[bi] {
			continue
		}
		conf := 1.0
		bl := &c.Lines[bi]
		sub, _ := l.SubmittedProcedure()
		date := res.Lines[i].ServiceDate
		if bl.Procedure != l.Procedure && bl.Procedure != sub && date != "" && date != bl.ServiceFrom {
			conf = 0.6 // the control number points at a line that looks nothing like this one
		}
		if c.PatientControl != pc.PatientControl {
			s.claimControlDiffs = true
			conf = min(conf, 0.95)
		}
		s.assign(i, c, bi, LineControl, conf)
		if !slices.Contains(viaLCN, c) {
			viaLCN = append(viaLCN, c)
		}
	}
	list, err := s.m.c.ClaimsByControl(s.practice, pc.PatientControl)
	if err != nil {
		return fmt.Errorf("match: claims by control number: %w", err)
	}
	claimConf, method := 1.0, ClaimAndProcedure
	var claim *billed.Claim
	switch {
	case len(list) > 0:
		claim = s.pickClaim(list, viaLCN)
	case len(viaLCN) > 0:
		claim, method, claimConf = viaLCN[0], LineControl, 0.95
	default:
		claim, claimConf, err = s.fuzzy()
		if err != nil {
			return err
		}
		method = Fuzzy
	}
	if claim == nil {
		return nil
	}
	s.claim = claim
	if res.Billed == nil {
		res.Billed = &Billed{ClaimID: claim.ID, PatientControl: claim.PatientControl}
		res.Method, res.Confidence = method, claimConf
		if method == ClaimAndProcedure && len(viaLCN) > 0 && viaLCN[0] == claim {
			res.Method = LineControl
		}
	}
	if len(pc.Lines) == 0 {
		if !s.done[0] {
			lr := &res.Lines[0]
			lr.Billed = &Billed{ClaimID: claim.ID, PatientControl: claim.PatientControl}
			lr.Method, lr.Confidence = ClaimOnly, claimConf
			if method == Fuzzy {
				lr.Method = Fuzzy
			}
			s.done[0] = true
		}
		return nil
	}
	s.assignLines(claim, method, claimConf)
	return nil
}

// pickClaim chooses among billed claims sharing a CLM01: one a REF*6R
// already pointed at, else the best fit of lines and charge, else the newest.
func (s *state) pickClaim(list []*billed.Claim, viaLCN []*billed.Claim) *billed.Claim {
	for _, c := range viaLCN {
		if slices.Contains(list, c) {
			return c
		}
	}
	if len(list) == 1 {
		return list[0]
	}
	var best *billed.Claim
	bestScore := -1
	for _, c := range list {
		sc := 0
		for i, l := range s.pc.Lines {
			sub, _ := l.SubmittedProcedure()
			for j := range c.Lines {
				bl := &c.Lines[j]
				if (bl.Procedure == l.Procedure || bl.Procedure == sub) && bl.ServiceFrom == s.res.Lines[i].ServiceDate {
					sc += 2
					break
				}
			}
		}
		if c.TotalCharge == abs(s.pc.Charge) {
			sc++
		}
		if c.FrequencyCode == "8" {
			sc -= 100
		}
		if sc >= bestScore {
			best, bestScore = c, sc
		}
	}
	return best
}

// fuzzy scores the practice's claims of the same member and service dates.
func (s *state) fuzzy() (*billed.Claim, float64, error) {
	pc := s.pc
	var members []string
	for _, id := range []string{pc.MemberID, pc.PatientID} {
		if id != "" && !slices.Contains(members, id) {
			members = append(members, id)
		}
	}
	if len(members) == 0 {
		return nil, 0, nil
	}
	var dates []x12.Date
	for i := range s.res.Lines {
		if d := s.res.Lines[i].ServiceDate; d != "" && !slices.Contains(dates, d) {
			dates = append(dates, d)
		}
	}
	var cands []*billed.Claim
	for _, mid := range members {
		for _, d := range dates {
			list, err := s.m.c.ClaimsByMember(s.practice, mid, d)
			if err != nil {
				return nil, 0, fmt.Errorf("match: claims by member: %w", err)
			}
			for _, c := range list {
				if !slices.Contains(cands, c) {
					cands = append(cands, c)
				}
			}
		}
	}
	var best *billed.Claim
	bestScore, second := -1.0, -1.0
	for _, c := range cands {
		sc := fuzzyScore(pc, s.res, c)
		switch {
		case sc > bestScore:
			best, second, bestScore = c, bestScore, sc
		case sc > second:
			second = sc
		}
	}
	if best == nil {
		return nil, 0, nil
	}
	conf := bestScore * 0.95
	if bestScore-second < 0.05 {
		conf -= 0.25
		s.res.addFlag(FlagAmbiguous)
	}
	return best, conf, nil
}

// fuzzyScore rates a billed claim found by member id and date: 0.45 for the
// member, up to 0.2 for the service dates, 0.2 for the procedures and 0.15
// for the total charge.
func fuzzyScore(pc *PaidClaim, res *ClaimResult, c *billed.Claim) float64 {
	n := len(pc.Lines)
	sc := 0.45
	if n == 0 {
		if d := pc.StatementFrom; d != "" && c.ServiceDateFrom() == d {
			sc += 0.4
		}
	} else {
		dates, procs := 0, 0
		for i, l := range pc.Lines {
			sub, _ := l.SubmittedProcedure()
			dOK, pOK := false, false
			for j := range c.Lines {
				bl := &c.Lines[j]
				if bl.ServiceFrom == res.Lines[i].ServiceDate {
					dOK = true
				}
				if bl.Procedure == l.Procedure || bl.Procedure == sub {
					pOK = true
				}
			}
			if dOK {
				dates++
			}
			if pOK {
				procs++
			}
		}
		sc += 0.2*float64(dates)/float64(n) + 0.2*float64(procs)/float64(n)
	}
	switch ch := abs(pc.Charge); {
	case c.TotalCharge == ch:
		sc += 0.15
	case ch > 0 && abs(c.TotalCharge-ch)*10 <= ch:
		sc += 0.05
	}
	return sc
}

type pair struct {
	i, j  int
	score float64
}

// assignLines pairs the unsettled paid lines with the free lines of the
// billed claim, best score first; equal scores go in line order, which
// keeps duplicate lines (same code and date) in the order the payer sent.
func (s *state) assignLines(c *billed.Claim, method Method, claimConf float64) {
	pc, res := s.pc, s.res
	used := s.usedOf(c)
	var pairs []pair
	for i, l := range pc.Lines {
		if s.done[i] {
			continue
		}
		for j := range c.Lines {
			if used[j] {
				continue
			}
			if sc, ok := pairScore(l, &c.Lines[j], res.Lines[i].ServiceDate); ok {
				pairs = append(pairs, pair{i, j, sc})
			}
		}
	}
	slices.SortFunc(pairs, func(a, b pair) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		if c := cmp.Compare(a.i, b.i); c != 0 {
			return c
		}
		return cmp.Compare(a.j, b.j)
	})
	for k, p := range pairs {
		if s.done[p.i] || used[p.j] {
			continue
		}
		ambiguous := false
		for _, q := range pairs[k+1:] {
			if q.score < p.score {
				break
			}
			if q.i == p.i && !used[q.j] && !sameBilled(&c.Lines[p.j], &c.Lines[q.j]) {
				ambiguous = true
				break
			}
		}
		conf := claimConf * (0.5 + 0.5*p.score)
		if method != Fuzzy {
			conf = min(conf, 0.99)
		}
		if ambiguous {
			conf -= 0.05
			res.Lines[p.i].addFlag(FlagAmbiguous)
		}
		m := method
		if m == LineControl {
			m = ClaimAndProcedure
		}
		s.assign(p.i, c, p.j, m, conf)
	}
	// A single paid line left over that matches no billed code: the payer
	// changed the code without saying so (no SVC06). Take the one free
	// billed line of the same date, or of the same date and charge.
	var left []int
	for i := range pc.Lines {
		if !s.done[i] {
			left = append(left, i)
		}
	}
	if len(left) == 1 {
		i := left[0]
		var sameDate, sameCharge []int
		for j := range c.Lines {
			if used[j] || c.Lines[j].ServiceFrom != res.Lines[i].ServiceDate {
				continue
			}
			sameDate = append(sameDate, j)
			if c.Lines[j].Charge == abs(pc.Lines[i].Charge) {
				sameCharge = append(sameCharge, j)
			}
		}
		if len(sameDate) != 1 {
			sameDate = sameCharge
		}
		if len(sameDate) == 1 {
			m := method
			if m == LineControl {
				m = ClaimAndProcedure
			}
			s.assign(i, c, sameDate[0], m, claimConf*0.55)
			return
		}
	}
	for _, i := range left {
		lr := &res.Lines[i]
		lr.Billed = &Billed{ClaimID: c.ID, PatientControl: c.PatientControl}
		lr.Method, lr.Confidence = ClaimOnly, claimConf*0.5
		s.done[i] = true
	}
}

// sameBilled reports billed lines no paid line could tell apart.
func sameBilled(a, b *billed.Line) bool {
	return a.Procedure == b.Procedure && a.ServiceFrom == b.ServiceFrom && a.Charge == b.Charge &&
		a.UnitsOrOne() == b.UnitsOrOne() && slices.Equal(a.Modifiers, b.Modifiers)
}

// pairScore rates a paid line against a billed line: 0.45 for the
// procedure (required), 0.25 for the date, 0.1 each for modifiers, units and
// charge.
func pairScore(l *PaidLine, b *billed.Line, date x12.Date) (float64, bool) {
	sub, subMods := l.SubmittedProcedure()
	if b.Procedure != sub {
		return 0, false
	}
	sc := 0.45
	switch {
	case date == "":
		sc += 0.1
	case date == b.ServiceFrom:
		sc += 0.25
	case b.ServiceTo != "" && date >= b.ServiceFrom && date <= b.ServiceTo:
		sc += 0.2
	}
	switch {
	case sameSet(subMods, b.Modifiers):
		sc += 0.1
	case subset(subMods, b.Modifiers):
		sc += 0.06
	default:
		sc += 0.03 * overlap(subMods, b.Modifiers)
	}
	if l.BilledUnits() == b.UnitsOrOne() {
		sc += 0.1
	}
	if abs(l.Charge) == b.Charge {
		sc += 0.1
	}
	return sc, true
}

func sameSet(a, b []string) bool {
	return len(a) == len(b) && subset(a, b)
}

func subset(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

func overlap(a, b []string) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	n := 0
	for _, x := range a {
		if slices.Contains(b, x) {
			n++
		}
	}
	return float64(n) / float64(max(len(a), len(b)))
}

func abs(a money.Amount) money.Amount {
	if a < 0 {
		return -a
	}
	return a
}

// finish fills amounts, flags, netting and review for every line.
func (s *state) finish() {
	pc, res, o := s.pc, s.res, s.m.opts
	if s.claimControlDiffs {
		res.addFlag(FlagClaimControlDiffers)
	}
	if !pc.IsReversal() && s.claim != nil && len(pc.Lines) > 0 && abs(pc.Charge) < s.claim.TotalCharge {
		lines := map[int]bool{}
		for i := range res.Lines {
			if b := res.Lines[i].Billed; b != nil && b.LineNumber > 0 && b.PatientControl == s.claim.PatientControl {
				lines[b.LineNumber] = true
			}
		}
		if len(lines) > 0 && len(lines) < len(s.claim.Lines) {
			res.addFlag(FlagSplitClaim)
		}
	}
	if res.Method == Unmatched && res.Billed == nil {
		res.Confidence = 0
	}
	for i := range res.Lines {
		lr := &res.Lines[i]
		var l *PaidLine
		if len(pc.Lines) > 0 {
			l = pc.Lines[i]
			lr.PatientResp = l.PatientResp()
			if l.HasAllowed {
				lr.Allowed = l.Allowed
			} else {
				lr.Allowed = l.Paid + lr.PatientResp
			}
		} else {
			lr.Allowed = pc.Paid + pc.PatientResp
		}
		lr.BilledCharge = lr.Charge
		for _, f := range res.Flags {
			lr.addFlag(f)
		}
		if lr.Billed == nil {
			lr.Method, lr.Confidence = Unmatched, 0
		}
		if lr.Billed != nil && lr.Billed.LineNumber > 0 && l != nil {
			if bl := s.billedLine(lr.Billed); bl != nil {
				lr.BilledCharge, lr.BilledUnits = bl.Charge, bl.UnitsOrOne()
				if !pc.IsReversal() {
					lineFlags(lr, l, bl)
				}
			}
		}
		if l != nil && hasReason(l.Adjustments, "97") {
			lr.addFlag(FlagBundled)
		}
		denied := !pc.IsReversal() && lr.Paid == 0 && lr.PatientResp == 0 && lr.Charge > 0
		if denied {
			lr.addFlag(FlagDenied)
		}
		if o.Fees != nil && l != nil && !pc.IsReversal() && !res.HasFlagged(FlagSecondary) {
			if exp, ok := o.Fees.Expected(s.payer, l.Procedure, l.Modifiers, lr.ServiceDate, l.PaidUnits()); ok {
				lr.Expected = &exp
				if !denied && lr.Paid+lr.PatientResp < exp-o.UnderpaidTolerance {
					lr.addFlag(FlagUnderpaid)
				}
			}
		}
		lr.NetPaid = lr.Paid
		s.net(lr)
		if lr.Method == Unmatched || lr.Confidence < o.Threshold {
			lr.Review = true
			lr.addFlag(FlagManualReview)
		}
	}
}

// billedLine finds the billed line a result names, among the claims seen.
func (s *state) billedLine(b *Billed) *billed.Line {
	for c := range s.used {
		if c.PatientControl == b.PatientControl && c.ID == b.ClaimID {
			if l := c.Line(b.LineNumber); l != nil {
				return l
			}
		}
	}
	return nil
}

// net sets what a correction or duplicate nets against, and the net paid.
func (s *state) net(lr *LineResult) {
	p := s.target
	if p == nil || s.pc.IsReversal() {
		return
	}
	dup := s.res.HasFlagged(FlagDuplicateRemit)
	var prior *PriorLine
	for j := range p.Lines {
		pl := &p.Lines[j]
		if lr.Billed != nil && pl.Billed != nil && *pl.Billed == *lr.Billed && lr.Billed.LineNumber > 0 {
			prior = pl
			break
		}
	}
	if prior == nil && lr.Index > 0 && lr.Index <= len(p.Lines) && p.Lines[lr.Index-1].Procedure == lr.Procedure {
		prior = &p.Lines[lr.Index-1]
	}
	if prior != nil {
		lr.NetsAgainst = &NetRef{Ref: p.Ref, LineIndex: prior.Index}
	} else {
		lr.NetsAgainst = &NetRef{Ref: p.Ref}
	}
	switch {
	case dup:
		lr.NetPaid = 0
	case prior != nil:
		lr.NetPaid = lr.Paid - prior.Paid
	}
}

// HasFlagged reports whether the claim result carries f.
func (r *ClaimResult) HasFlagged(f Flag) bool { return slices.Contains(r.Flags, f) }

// lineFlags compares a paid line with the billed line it matched.
func lineFlags(lr *LineResult, l *PaidLine, b *billed.Line) {
	if l.Procedure != b.Procedure {
		lr.addFlag(FlagProcedureChanged)
	}
	for _, m := range b.Modifiers {
		if !slices.Contains(l.Modifiers, m) {
			lr.addFlag(FlagModifierDropped)
			break
		}
	}
	for _, m := range l.Modifiers {
		if !slices.Contains(b.Modifiers, m) {
			lr.addFlag(FlagModifierAdded)
			break
		}
	}
	if l.PaidUnits() < b.UnitsOrOne() {
		lr.addFlag(FlagUnitsReduced)
	}
}
