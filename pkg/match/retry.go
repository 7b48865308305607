package match

import (
	"cmp"
	"slices"

	"github.com/remitq/remitq/pkg/billed"
)

// Remits that arrive before their claims: the paid claim stays in the
// pending queue (unmatched, or matched below the threshold) and is matched
// again when billed claims arrive that it may belong to. RetryKeys says
// which stored paid claims to retry for newly loaded billed claims (the
// database looks them up by practice + CLP01 and practice + REF*6R); Pending
// is the in-memory queue the offline command and tests use.

// RetryKey names the paid claims a newly loaded billed claim may settle.
type RetryKey struct {
	Practice       string
	PatientControl string   // CLM01: paid claims with this CLP01
	LineControls   []string // REF*6R of its lines: paid lines with these
}

// RetryKeys returns one key per billed claim, in order.
func RetryKeys(list []*billed.Claim) []RetryKey {
	out := make([]RetryKey, 0, len(list))
	for _, c := range list {
		k := RetryKey{Practice: c.Practice, PatientControl: c.PatientControl}
		for i := range c.Lines {
			if lcn := c.Lines[i].LineControl; lcn != "" {
				k.LineControls = append(k.LineControls, lcn)
			}
		}
		out = append(out, k)
	}
	return out
}

// PendingClaim is a paid claim waiting in the queue.
type PendingClaim struct {
	Claim    *PaidClaim
	Practice string
	Payer    string
	Result   *ClaimResult // the latest result
	seq      int
}

// Pending is the queue of paid claims that wait for a billed claim or a
// person: unmatched remits are never dropped. Not safe for concurrent use.
type Pending struct {
	byRef map[string]*PendingClaim
	byPCN map[string][]*PendingClaim
	byLCN map[string][]*PendingClaim
	seq   int
}

// NewPending returns an empty queue.
func NewPending() *Pending {
	return &Pending{byRef: map[string]*PendingClaim{}, byPCN: map[string][]*PendingClaim{},
		byLCN: map[string][]*PendingClaim{}}
}

// Put queues a paid claim with its result, replacing an entry of the same Ref.
func (q *Pending) Put(pc *PaidClaim, res *ClaimResult) {
	q.Remove(pc.Ref)
	q.seq++
	e := &PendingClaim{Claim: pc, Practice: res.Practice, Payer: res.Payer, Result: res, seq: q.seq}
	q.byRef[pc.Ref] = e
	k := key2(e.Practice, pc.PatientControl)
	q.byPCN[k] = append(q.byPCN[k], e)
	for _, l := range pc.Lines {
		if l.LineControl != "" {
			k := key2(e.Practice, l.LineControl)
			q.byLCN[k] = append(q.byLCN[k], e)
		}
	}
}

// Remove drops the entry with ref, if any.
func (q *Pending) Remove(ref string) {
	e := q.byRef[ref]
	if e == nil {
		return
	}
	delete(q.byRef, ref)
	drop := func(m map[string][]*PendingClaim, k string) {
		l := slices.DeleteFunc(m[k], func(x *PendingClaim) bool { return x == e })
		if len(l) == 0 {
			delete(m, k)
		} else {
			m[k] = l
		}
	}
	drop(q.byPCN, key2(e.Practice, e.Claim.PatientControl))
	for _, l := range e.Claim.Lines {
		if l.LineControl != "" {
			drop(q.byLCN, key2(e.Practice, l.LineControl))
		}
	}
}

// Len returns the number of queued paid claims.
func (q *Pending) Len() int { return len(q.byRef) }

// All returns the queued paid claims in the order they were queued.
func (q *Pending) All() []*PendingClaim {
	out := make([]*PendingClaim, 0, len(q.byRef))
	for _, e := range q.byRef {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b *PendingClaim) int { return cmp.Compare(a.seq, b.seq) })
	return out
}

// Take removes and returns, in queue order, the entries the keys name.
func (q *Pending) Take(keys []RetryKey) []*PendingClaim {
	seen := map[*PendingClaim]bool{}
	var out []*PendingClaim
	add := func(l []*PendingClaim) {
		for _, e := range l {
			if !seen[e] {
				seen[e] = true
				out = append(out, e)
			}
		}
	}
	for _, k := range keys {
		add(q.byPCN[key2(k.Practice, k.PatientControl)])
		for _, lcn := range k.LineControls {
			add(q.byLCN[key2(k.Practice, lcn)])
		}
	}
	slices.SortFunc(out, func(a, b *PendingClaim) int { return cmp.Compare(a.seq, b.seq) })
	for _, e := range out {
		q.Remove(e.Claim.Ref)
	}
	return out
}

// Rematch matches a pending paid claim again (its billed claim may have
// arrived) and flags late_claim on the lines that found a billed line they
// did not have before.
func (m *Matcher) Rematch(e *PendingClaim) (*ClaimResult, error) {
	res, err := m.Match(e.Claim, e.Practice, e.Payer)
	if err != nil {
		return nil, err
	}
	for i := range res.Lines {
		lr := &res.Lines[i]
		if lr.Billed == nil || (lr.Billed.LineNumber == 0 && lr.Index > 0) {
			continue
		}
		if e.Result != nil && i < len(e.Result.Lines) {
			if b := e.Result.Lines[i].Billed; b != nil && (b.LineNumber > 0 || lr.Index == 0) {
				continue
			}
		}
		lr.addFlag(FlagLateClaim)
		res.addFlag(FlagLateClaim)
	}
	return res, nil
}
