package matchsvc

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/remitq/remitq/pkg/billed"
	"github.com/remitq/remitq/pkg/match"
	"github.com/remitq/remitq/x12"
)

// pos is where a paid claim (CLP) or a PLB stands in the stream of
// remittances: its file, then its segment. "Earlier payments" are those at
// a smaller pos, whatever order the matcher processes happened to handle
// them in.
type pos struct {
	file int64
	seg  int32
}

func (p pos) cmp(q pos) int {
	if c := cmp.Compare(p.file, q.file); c != 0 {
		return c
	}
	return cmp.Compare(p.seg, q.seg)
}

// ref is the PaidClaim.Ref of the claim at p: "<file id>:<segment>".
func (p pos) ref() string {
	return strconv.FormatInt(p.file, 10) + ":" + strconv.FormatInt(int64(p.seg), 10)
}

func parseRef(s string) (pos, bool) {
	a, b, ok := strings.Cut(s, ":")
	if !ok {
		return pos{}, false
	}
	f, err1 := strconv.ParseInt(a, 10, 64)
	g, err2 := strconv.ParseInt(b, 10, 32)
	if err1 != nil || err2 != nil {
		return pos{}, false
	}
	return pos{f, int32(g)}, true
}

// pkey is a lookup key: a practice (or payer) and a value.
type pkey struct{ a, b string }

// priorEntry is a recorded paid claim on the timeline of its payer + CLP07.
type priorEntry struct {
	pos      pos
	prior    *match.Prior
	reversal bool
	nets     string        // a reversal: the Ref it nets against
	lineSegs map[int]int32 // SVC index → SVC segment
}

// cands implements match.Candidates for one batch: every billed claim the
// batch may need was loaded beforehand with a few queries, and the earlier
// payments of each payer + CLP07 are kept on a timeline ordered by pos;
// PriorPayments answers with the entries before cur.
type cands struct {
	byID     map[int64]*billed.Claim
	byPCN    map[pkey][]*billed.Claim
	byLCN    map[pkey]lineAt
	byMember map[pkey][]*billed.Claim
	timeline map[pkey][]*priorEntry
	byRef    map[string]*priorEntry
	cur      pos
}

type lineAt struct {
	c *billed.Claim
	i int
}

func newCands() *cands {
	return &cands{byID: map[int64]*billed.Claim{}, byPCN: map[pkey][]*billed.Claim{}, byLCN: map[pkey]lineAt{},
		byMember: map[pkey][]*billed.Claim{}, timeline: map[pkey][]*priorEntry{}, byRef: map[string]*priorEntry{}}
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
			k := pkey{cl.Practice, l}
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
		k := pkey{cl.Practice, cl.PatientControl}
		c.byPCN[k] = addSorted(c.byPCN[k], cl)
		if cl.MemberID != "" {
			mk := pkey{cl.Practice, cl.MemberID}
			c.byMember[mk] = addSorted(c.byMember[mk], cl)
		}
	}
}

// ClaimsByControl implements match.Candidates.
func (c *cands) ClaimsByControl(practice, pcn string) ([]*billed.Claim, error) {
	return c.byPCN[pkey{practice, pcn}], nil
}

// LineByControl implements match.Candidates. When several stored lines
// carry the REF*6R (a replacement claim), the newest claim's wins.
func (c *cands) LineByControl(practice, lcn string) (*billed.Claim, int, error) {
	at, ok := c.byLCN[pkey{practice, lcn}]
	if !ok {
		return nil, 0, nil
	}
	return at.c, at.i, nil
}

// ClaimsByMember implements match.Candidates.
func (c *cands) ClaimsByMember(practice, memberID string, date x12.Date) ([]*billed.Claim, error) {
	var out []*billed.Claim
	for _, cl := range c.byMember[pkey{practice, memberID}] {
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
	tl := c.timeline[pkey{payer, payerControl}]
	var out []*match.Prior
	for _, e := range tl {
		if e.pos.cmp(c.cur) >= 0 {
			break
		}
		p := *e.prior
		p.Reversed = c.reversedBefore(e, c.cur)
		out = append(out, &p)
	}
	return out, nil
}

// reversedBefore reports whether a reversal before cur nets against e.
func (c *cands) reversedBefore(e *priorEntry, cur pos) bool {
	for _, r := range c.timeline[pkey{e.prior.Payer, e.prior.PayerControl}] {
		if r.pos.cmp(cur) >= 0 {
			break
		}
		if r.reversal && r.nets == e.prior.Ref {
			return true
		}
	}
	return false
}

// record puts (or replaces) a claim on its timeline.
func (c *cands) record(e *priorEntry) {
	if old := c.byRef[e.prior.Ref]; old != nil {
		*old = *e
		return
	}
	c.byRef[e.prior.Ref] = e
	if e.prior.PayerControl == "" {
		return
	}
	k := pkey{e.prior.Payer, e.prior.PayerControl}
	tl := append(c.timeline[k], e)
	slices.SortFunc(tl, func(a, b *priorEntry) int { return a.pos.cmp(b.pos) })
	c.timeline[k] = tl
}
