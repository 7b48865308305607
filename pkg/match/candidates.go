package match

import (
	"reflect"
	"slices"

	"github.com/remitq/remitq/pkg/billed"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/x12"
)

// Candidates is what the matcher looks up: billed claims and earlier
// payments. Memory implements it for the offline command and the tests; the
// database implementation answers the same questions with batch queries
// (for a batch of paid claims, load every key first, then serve from
// memory). Returned values are read-only to the matcher.
type Candidates interface {
	// ClaimsByControl returns the billed claims of practice with CLM01 =
	// pcn, oldest first.
	ClaimsByControl(practice, pcn string) ([]*billed.Claim, error)
	// LineByControl returns the billed claim of practice holding the line
	// whose REF*6R is lcn, and the line's index in Lines; nil when none.
	LineByControl(practice, lcn string) (*billed.Claim, int, error)
	// ClaimsByMember returns the billed claims of practice for the member
	// id with a line on date, oldest first (for the fuzzy rung).
	ClaimsByMember(practice, memberID string, date x12.Date) ([]*billed.Claim, error)
	// PriorPayments returns the earlier paid claims of payer with CLP07 =
	// payerControl, in the order they were recorded.
	PriorPayments(payer, payerControl string) ([]*Prior, error)
}

// Prior is an earlier paid claim, as recorded after it was matched: what a
// reversal, a correction, a duplicate or a PLB recoupment refers to.
type Prior struct {
	Ref            string      `json:"ref"`
	Practice       string      `json:"practice"`
	Payer          string      `json:"payer"`
	PatientControl string      `json:"patient_control"`
	PayerControl   string      `json:"payer_control"`
	Status         string      `json:"status"`
	Key            string      `json:"key"`              // claim dedupe key
	Billed         *Billed     `json:"billed,omitempty"` // the billed claim it matched
	Reversed       bool        `json:"reversed"`         // a later reversal netted it
	Duplicate      bool        `json:"duplicate"`        // a duplicate remittance: it posted nothing
	Lines          []PriorLine `json:"lines,omitempty"`
}

// PriorLine is one line of an earlier paid claim.
type PriorLine struct {
	Index       int          `json:"index"`
	Procedure   string       `json:"procedure"`
	Modifiers   []string     `json:"modifiers,omitempty"`
	ServiceDate x12.Date     `json:"service_date,omitempty"`
	Units       x12.Quantity `json:"units,omitempty"`
	Charge      money.Amount `json:"charge"`
	Paid        money.Amount `json:"paid"`
	Billed      *Billed      `json:"billed,omitempty"`
	Confidence  float64      `json:"confidence"`
}

// PriorFrom makes the Prior a result leaves for later claims.
func PriorFrom(r *ClaimResult) *Prior {
	p := &Prior{Ref: r.Ref, Practice: r.Practice, Payer: r.Payer, PatientControl: r.PatientControl,
		PayerControl: r.PayerControl, Status: r.Status, Key: r.Key, Billed: r.Billed, Duplicate: r.HasFlagged(FlagDuplicateRemit),
		Lines: make([]PriorLine, len(r.Lines))}
	for i := range r.Lines {
		l := &r.Lines[i]
		p.Lines[i] = PriorLine{Index: l.Index, Procedure: l.Procedure, Modifiers: l.Modifiers, ServiceDate: l.ServiceDate,
			Units: l.Units, Charge: l.Charge, Paid: l.Paid, Billed: l.Billed, Confidence: l.Confidence}
	}
	return p
}

// Memory is an in-memory Candidates: billed claims indexed by practice +
// CLM01, practice + REF*6R and practice + member + date, and the recorded
// payments by payer + CLP07. It is not safe for concurrent use.
type Memory struct {
	byPCN    map[string][]*billed.Claim
	byLCN    map[string]lineAt
	byMember map[string][]*billed.Claim
	priors   map[string][]*Prior
	byRef    map[string]*Prior
}

type lineAt struct {
	c *billed.Claim
	i int
}

// NewMemory returns an empty Memory.
func NewMemory() *Memory {
	return &Memory{byPCN: map[string][]*billed.Claim{}, byLCN: map[string]lineAt{},
		byMember: map[string][]*billed.Claim{}, priors: map[string][]*Prior{}, byRef: map[string]*Prior{}}
}

func key2(a, b string) string    { return a + "\x00" + b }
func key3(a, b, c string) string { return a + "\x00" + b + "\x00" + c }

// AddClaims indexes billed claims. Loading an equal claim again changes
// nothing; a different claim with the same practice and CLM01 is added
// beside the one held (replacement claims reuse CLM01), and a line control
// number already held then points to the newer line.
func (m *Memory) AddClaims(list ...*billed.Claim) {
	for _, c := range list {
		k := key2(c.Practice, c.PatientControl)
		if slices.ContainsFunc(m.byPCN[k], func(o *billed.Claim) bool { return o == c || reflect.DeepEqual(o, c) }) {
			continue
		}
		m.byPCN[k] = append(m.byPCN[k], c)
		seen := map[x12.Date]bool{}
		for i := range c.Lines {
			l := &c.Lines[i]
			if l.LineControl != "" {
				m.byLCN[key2(c.Practice, l.LineControl)] = lineAt{c, i}
			}
			if c.MemberID != "" && l.ServiceFrom != "" && !seen[l.ServiceFrom] {
				seen[l.ServiceFrom] = true
				mk := key3(c.Practice, c.MemberID, string(l.ServiceFrom))
				m.byMember[mk] = append(m.byMember[mk], c)
			}
		}
	}
}

// ClaimsByControl implements Candidates.
func (m *Memory) ClaimsByControl(practice, pcn string) ([]*billed.Claim, error) {
	return m.byPCN[key2(practice, pcn)], nil
}

// LineByControl implements Candidates.
func (m *Memory) LineByControl(practice, lcn string) (*billed.Claim, int, error) {
	at, ok := m.byLCN[key2(practice, lcn)]
	if !ok {
		return nil, 0, nil
	}
	return at.c, at.i, nil
}

// ClaimsByMember implements Candidates.
func (m *Memory) ClaimsByMember(practice, memberID string, date x12.Date) ([]*billed.Claim, error) {
	return m.byMember[key3(practice, memberID, string(date))], nil
}

// PriorPayments implements Candidates.
func (m *Memory) PriorPayments(payer, payerControl string) ([]*Prior, error) {
	return m.priors[key2(payer, payerControl)], nil
}

// Record keeps a result as a prior payment for later claims. Recording a
// result with the Ref of one already held replaces it (a re-match). A
// reversal marks the payment it nets against as reversed.
func (m *Memory) Record(r *ClaimResult) {
	p := PriorFrom(r)
	if old := m.byRef[p.Ref]; old != nil {
		p.Reversed = old.Reversed
		*old = *p
	} else {
		m.byRef[p.Ref] = p
		if p.PayerControl != "" {
			k := key2(p.Payer, p.PayerControl)
			m.priors[k] = append(m.priors[k], p)
		}
	}
	if r.Status == "22" && r.NetsAgainst != nil {
		if q := m.byRef[r.NetsAgainst.Ref]; q != nil {
			q.Reversed = true
		}
	}
}

// Prior returns the recorded payment with the given Ref, or nil.
func (m *Memory) Prior(ref string) *Prior { return m.byRef[ref] }
