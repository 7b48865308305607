package routesvc

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"

	"google.golang.org/protobuf/proto"

	"github.com/remitq/remitq/pkg/billed"
	"github.com/remitq/remitq/pkg/bus"
	"github.com/remitq/remitq/pkg/match"
	"github.com/remitq/remitq/pkg/wire"
	v1 "github.com/remitq/remitq/proto/remitq/v1"
	"github.com/remitq/remitq/x12"
)

// Replay runs the pure matcher over 835 files with every billed claim in
// memory and builds the LineMatch messages the matcher service publishes
// for them: one per paid line, one per claim-level-only CLP, in file order.
// It is what the offline `remitq route` command and the router's tests and
// benchmark feed the router with. The paid lines are encoded exactly as the
// ingest publishes them (wire.RemitMessages). Not safe for concurrent use.
type Replay struct {
	// Session is the matcher's in-memory state.
	Session *match.Session
	// PracticeIDs maps a practice key (the payee NPI, else TIN) to its
	// database id for SourceRef.practice_id; missing keys give 0 (unknown).
	PracticeIDs map[string]int64

	claims map[int64]*billed.Claim
	paid   map[string]*paidInfo // by match.PaidClaim.Ref
	nextID int64
	files  int64
}

// paidInfo is what a LineMatch needs of a paid claim after it was matched.
type paidInfo struct {
	slps []*v1.ServiceLinePayment // by SVC index - 1; one claim-level-only message at 0 when no SVC
	cp   *match.PaidClaim
}

// NewReplay returns an empty Replay matching with o.
func NewReplay(o match.Options) *Replay {
	return &Replay{Session: match.NewSession(o), claims: map[int64]*billed.Claim{}, paid: map[string]*paidInfo{}}
}

// AddClaims loads billed claims. Claims and lines without a database id get
// one (claim ids count from 1, line ids are claim id × 1000 + LX), so the
// messages name billed lines as the service does. Paid claims that waited
// for these claims are matched again and their messages emitted.
func (r *Replay) AddClaims(list []*billed.Claim, emit func(*v1.LineMatch) error) error {
	for _, c := range list {
		if c.ID == 0 {
			r.nextID++
			c.ID = r.nextID
		} else if c.ID > r.nextID {
			r.nextID = c.ID
		}
		for i := range c.Lines {
			if c.Lines[i].ID == 0 {
				c.Lines[i].ID = c.ID*1000 + int64(c.Lines[i].Number)
			}
		}
		r.claims[c.ID] = c
	}
	res, err := r.Session.AddClaims(list...)
	if err != nil {
		return err
	}
	for _, cr := range res {
		if p := r.paid[cr.Ref]; p != nil {
			if err := r.emit(p, cr, emit); err != nil {
				return err
			}
		}
	}
	return nil
}

// nextFileID returns the database id the next file gets (files count from 1).
func (r *Replay) nextFileID() int64 { r.files++; return r.files }

// File matches one 835 file and emits a LineMatch per paid line. name is
// for people only; the messages carry the file's SHA-256.
func (r *Replay) File(name string, raw []byte, emit func(*v1.LineMatch) error) error {
	sum := sha256.Sum256(raw)
	ref := wire.FileRef{ID: r.nextFileID(), SHA256: sum}
	sha := hex.EncodeToString(sum[:])
	d := x12.NewRemitReader(bufio.NewReader(bytes.NewReader(raw)))
	var prev *match.PaidClaim
	for {
		rec, err := d.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		switch v := rec.(type) {
		case *x12.Remittance:
			prev = nil
		case *x12.ClaimPayment:
			rem := v.Remittance
			practice := match.Payee(rem)
			msgs, err := wire.RemitMessages(ref, r.PracticeIDs[practice], v, true)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			info := &paidInfo{}
			for _, m := range msgs {
				if m.Header.Get(bus.HeaderType) != string(wire.LineType) {
					continue
				}
				slp := &v1.ServiceLinePayment{}
				if err := proto.Unmarshal(m.Data, slp); err != nil {
					return fmt.Errorf("%s: %w", name, err)
				}
				info.slps = append(info.slps, slp)
			}
			pc := match.FromX12(v, sha+":"+strconv.Itoa(v.Segment))
			pc.File = name
			match.LinkCorrection(prev, pc)
			prev = pc
			info.cp = pc
			r.paid[pc.Ref] = info
			res, err := r.Session.Match(pc, practice, rem.Payer.PayerID())
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if err := r.emit(info, res, emit); err != nil {
				return err
			}
		}
	}
	if errs := d.Errors(); len(errs) > 0 {
		return fmt.Errorf("%s: %d problem(s) in the 835, first: %v", name, len(errs), errs[0])
	}
	return nil
}

// emit builds the messages of one matched claim.
func (r *Replay) emit(p *paidInfo, res *match.ClaimResult, emit func(*v1.LineMatch) error) error {
	for i := range res.Lines {
		lr := &res.Lines[i]
		var slp *v1.ServiceLinePayment
		switch {
		case lr.Index == 0 && len(p.slps) == 1 && p.slps[0].GetClaimLevelOnly():
			slp = p.slps[0]
		case lr.Index >= 1 && lr.Index <= len(p.slps):
			slp = p.slps[lr.Index-1]
		default:
			return fmt.Errorf("routeline: claim %s has no line %d", res.Ref, lr.Index)
		}
		if err := emit(r.lineMatch(p, slp, lr)); err != nil {
			return err
		}
	}
	return nil
}

// lineMatch builds one message; it shares the paid line's message.
func (r *Replay) lineMatch(p *paidInfo, slp *v1.ServiceLinePayment, lr *match.LineResult) *v1.LineMatch {
	m := wire.LineMatch(slp.GetSource(), lr)
	m.Line = slp
	if b := lr.Billed; b != nil {
		bl := &v1.BilledLine{ClaimId: b.ClaimID}
		var l *billed.Line
		if c := r.claims[b.ClaimID]; c != nil {
			if b.LineNumber > 0 {
				l = c.Line(b.LineNumber)
			}
			bl = wire.BilledLine(c, l)
		}
		// The match's reference names the billed line; a line found by
		// its number supplies the id the reference lacks.
		bl.PatientControlNumber, bl.LineNumber, bl.LineId = b.PatientControl, int32(b.LineNumber), b.LineID
		if l != nil && m.BilledLineId == 0 {
			m.BilledLineId, bl.LineId = l.ID, l.ID
		}
		m.Billed = bl
	}
	if n := lr.NetsAgainst; n != nil {
		if q := r.paid[n.Ref]; q != nil {
			src := &v1.SourceRef{}
			if n.LineIndex >= 1 && n.LineIndex <= len(q.slps) {
				src = proto.Clone(q.slps[n.LineIndex-1].GetSource()).(*v1.SourceRef)
			} else if len(q.slps) > 0 {
				src = proto.Clone(q.slps[0].GetSource()).(*v1.SourceRef)
				src.SegmentIndex = q.slps[0].GetClaim().GetClpSegmentIndex()
			}
			m.NetsAgainst = src
		}
	}
	if !slp.GetClaimLevelOnly() {
		for j, s := range p.cp.Lines {
			if s.Index == lr.Index {
				continue
			}
			m.Siblings = append(m.Siblings, &v1.SiblingLine{SvcIndex: int32(j + 1), ProcedureCode: s.Procedure,
				Modifiers: s.Modifiers, ServiceDate: string(p.cp.ServiceDate(s)), PaidCents: s.Paid.Cents()})
		}
	}
	return m
}
