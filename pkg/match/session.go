package match

import (
	"github.com/remitq/remitq/pkg/billed"
	"github.com/remitq/remitq/x12"
)

// Session runs the matcher over remittances in arrival order with
// everything in memory: billed claims, prior payments and the pending
// queue. It is what the offline command and the tests run; the matcher
// service does the same steps with the database. Not safe for concurrent use.
type Session struct {
	Memory  *Memory
	Matcher *Matcher
	Pending *Pending
}

// NewSession returns an empty session.
func NewSession(o Options) *Session {
	mem := NewMemory()
	return &Session{Memory: mem, Matcher: New(mem, o), Pending: NewPending()}
}

// AddClaims loads billed claims and re-matches the pending paid claims they
// may settle (remits that arrived before their claims), returning the new
// results in queue order.
func (s *Session) AddClaims(list ...*billed.Claim) ([]*ClaimResult, error) {
	s.Memory.AddClaims(list...)
	var out []*ClaimResult
	for _, e := range s.Pending.Take(RetryKeys(list)) {
		res, err := s.Matcher.Rematch(e)
		if err != nil {
			return out, err
		}
		s.keep(e.Claim, res)
		out = append(out, res)
	}
	return out, nil
}

// Match matches a paid claim, records it as a prior payment and queues it
// when a line waits for review or found nothing.
func (s *Session) Match(pc *PaidClaim, practice, payer string) (*ClaimResult, error) {
	res, err := s.Matcher.Match(pc, practice, payer)
	if err != nil {
		return nil, err
	}
	s.keep(pc, res)
	return res, nil
}

func (s *Session) keep(pc *PaidClaim, res *ClaimResult) {
	s.Memory.Record(res)
	if res.NeedsReview() {
		s.Pending.Put(pc, res)
	}
}

// Payee returns the practice key of a remittance's payee: its NPI, else
// its TIN.
func Payee(rem *x12.Remittance) string {
	if n := rem.Payee.NPI(); n != "" {
		return n
	}
	return rem.Payee.TIN()
}

// MatchRemittance matches every claim and provider adjustment of a decoded
// transaction set, in order. ref names the claims (see FromRemittance);
// plbRef names the provider adjustments (nil: "<ISA13>:<segment>:<position>").
func (s *Session) MatchRemittance(rem *x12.Remittance, file string, ref func(*x12.ClaimPayment) string,
	plbRef func(*x12.ProviderAdjustment) string) ([]*ClaimResult, []*PLBResult, error) {
	practice, payer := Payee(rem), rem.Payer.PayerID()
	var out []*ClaimResult
	for _, pc := range FromRemittance(rem, ref) {
		pc.File = file
		res, err := s.Match(pc, practice, payer)
		if err != nil {
			return out, nil, err
		}
		out = append(out, res)
	}
	var plbs []*PLBResult
	for i, p := range PLBsFromRemittance(rem, rem.ISAControl+":") {
		if plbRef != nil {
			p.Ref = plbRef(&rem.Adjustments[i])
		}
		r, err := s.Matcher.MatchPLB(p, practice, payer)
		if err != nil {
			return out, plbs, err
		}
		plbs = append(plbs, r)
	}
	return out, plbs, nil
}
