package matchsvc

import (
	"cmp"
	"slices"

	"github.com/remitq/remitq/pkg/billed"
	"github.com/remitq/remitq/pkg/match"
	"github.com/remitq/remitq/pkg/matchstore"
	"github.com/remitq/remitq/x12"
)

// priorEntry is a recorded paid claim on the timeline of its payer + CLP07.
type priorEntry struct {
	Pos      matchstore.Pos
	Prior    *match.Prior
	reversal bool
	Nets     string        // a reversal: the Ref it nets against
	lineSegs map[int]int32 // SVC index → SVC segment
}

// cands implements match.Candidates for one batch: every billed claim the
// batch may need was loaded beforehand with a few queries, and the earlier
// payments of each payer + CLP07 are kept on a timeline ordered by pos;
// PriorPayments answers with the entries before cur.
type cands struct {
	byID     map[int64]*billed.Claim
	byPCN    map[matchstore.Key][]*billed.Claim
	byLCN    map[matchstore.Key]lineAt
	byMember map[matchstore.Key][]*billed.Claim
	timeline map[matchstore.Key][]*priorEntry
	byRef    map[string]*priorEntry
	cur      matchstore.Pos
}

type lineAt struct {
	c *billed.Claim
	i int
}

func newCands() *cands {
	return &cands{byID: map[int64]*billed.Claim{}, byPCN: map[matchstore.Key][]*billed.Claim{}, byLCN: map[matchstore.Key]lineAt{},
		byMember: map[matchstore.Key][]*billed.Claim{}, timeline: map[matchstore.Key][]*priorEntry{}, byRef: map[string]*priorEntry{}}
}

// canon returns the one pointer the batch uses for a billed claim, so the
// matcher's identity checks hold across lookups.
func (c *cands) canon(cl *billed.Claim) *billed.Claim {
	if have := c.byID[cl.ID]; have != nil {
		return have
	}
	c.byID[cl.ID] = cl
	for i := range cl.Lines {
		if l := cl.Lines[i].LineControl; l != "" {
			k := matchstore.Key{Payer: cl.Practice, Control: l}
			if have, ok := c.byLCN[k]; !ok || have.c.ID < cl.ID {
				c.byLCN[k] = lineAt{cl, i}
			}
		}
	}
	return cl
}

func addSorted(list []*billed.Claim, cl *billed.Claim) []*billed.Claim {
	if slices.Contains(list, cl) {
		return list
	}
	list = append(list, cl)
	slices.SortFunc(list, func(a, b *billed.Claim) int { return cmp.Compare(a.ID, b.ID) })
	return list
}

// addClaims indexes loaded billed claims by CLM01 and by member.
func (c *cands) addClaims(list []*billed.Claim) {
	for _, cl := range list {
		cl = c.canon(cl)
		k := matchstore.Key{Payer: cl.Practice, Control: cl.PatientControl}
		c.byPCN[k] = addSorted(c.byPCN[k], cl)
		if cl.MemberID != "" {
			mk := matchstore.Key{Payer: cl.Practice, Control: cl.MemberID}
			c.byMember[mk] = addSorted(c.byMember[mk], cl)
		}
	}
}

// ClaimsByControl implements match.Candidates.
func (c *cands) ClaimsByControl(practice, pcn string) ([]*billed.Claim, error) {
	return c.byPCN[matchstore.Key{Payer: practice, Control: pcn}], nil
}

// LineByControl implements match.Candidates. When several stored lines
// carry the REF*6R (a replacement claim), the newest claim's wins.
func (c *cands) LineByControl(practice, lcn string) (*billed.Claim, int, error) {
	at, ok := c.byLCN[matchstore.Key{Payer: practice, Control: lcn}]
	if !ok {
		return nil, 0, nil
	}
	return at.c, at.i, nil
}

// ClaimsByMember implements match.Candidates.
func (c *cands) ClaimsByMember(practice, memberID string, date x12.Date) ([]*billed.Claim, error) {
	var out []*billed.Claim
	for _, cl := range c.byMember[matchstore.Key{Payer: practice, Control: memberID}] {
		for i := range cl.Lines {
			if cl.Lines[i].ServiceFrom == date {
				out = append(out, cl)
				break
			}
		}
	}
	return out, nil
}

// PriorPayments implements match.Candidates: the recorded claims of payer
// + CLP07 before cur, in stream order, each marked reversed when a
// reversal before cur nets against it.
func (c *cands) PriorPayments(payer, payerControl string) ([]*match.Prior, error) {
	tl := c.timeline[matchstore.Key{Payer: payer, Control: payerControl}]
	var out []*match.Prior
	for _, e := range tl {
		if e.Pos.Cmp(c.cur) >= 0 {
			break
		}
		p := *e.Prior
		p.Reversed = c.reversedBefore(e, c.cur)
		out = append(out, &p)
	}
	return out, nil
}

// reversedBefore reports whether a reversal before cur nets against e.
func (c *cands) reversedBefore(e *priorEntry, cur matchstore.Pos) bool {
	for _, r := range c.timeline[matchstore.Key{Payer: e.Prior.Payer, Control: e.Prior.PayerControl}] {
		if r.Pos.Cmp(cur) >= 0 {
			break
		}
		if r.reversal && r.Nets == e.Prior.Ref {
			return true
		}
	}
	return false
}

// record puts (or replaces) a claim on its timeline.
func (c *cands) record(e *priorEntry) {
	if old := c.byRef[e.Prior.Ref]; old != nil {
		*old = *e
		return
	}
	c.byRef[e.Prior.Ref] = e
	if e.Prior.PayerControl == "" {
		return
	}
	k := matchstore.Key{Payer: e.Prior.Payer, Control: e.Prior.PayerControl}
	tl := append(c.timeline[k], e)
	slices.SortFunc(tl, func(a, b *priorEntry) int { return a.Pos.Cmp(b.Pos) })
	c.timeline[k] = tl
}
