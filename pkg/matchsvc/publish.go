package matchsvc

import (
	"context"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/remitq/remitq/pkg/billed"
	"github.com/remitq/remitq/pkg/billedstore"
	"github.com/remitq/remitq/pkg/bus"
	"github.com/remitq/remitq/pkg/matchstore"
	"github.com/remitq/remitq/pkg/wire"
	v1 "github.com/remitq/remitq/proto/remitq/v1"
)

// matchMsgID is "<sha>:<segment>:match", with ":r<revision>" after the
// first revision.
func matchMsgID(src *v1.SourceRef, revision int) (string, error) {
	id, err := bus.MatchMsgID(src)
	if err != nil || revision == 0 {
		return id, err
	}
	return id + ":r" + strconv.Itoa(revision), nil
}

// billedInfo completes the billed claims the lines name (the batch cache,
// else the database) and the hashes of the files they net against.
func (e *engine) billedInfo(ctx context.Context, cache map[int64]*billed.Claim, lines [][]matchstore.LineRow) (map[int64]string, error) {
	var missing []int64
	files := map[int64]bool{}
	for _, ls := range lines {
		for _, l := range ls {
			if l.BilledClaimID != 0 && cache[l.BilledClaimID] == nil {
				missing = append(missing, l.BilledClaimID)
			}
			if l.Nets.File != 0 {
				files[l.Nets.File] = true
			}
		}
	}
	if len(missing) > 0 {
		list, err := billedstore.ByID(ctx, e.db, missing)
		if err != nil {
			return nil, err
		}
		for _, c := range list {
			cache[c.ID] = c
		}
	}
	ids := make([]int64, 0, len(files))
	for f := range files {
		ids = append(ids, f)
	}
	return e.files.SHA(ctx, e.db, ids)
}

// claimMatches builds the messages of one paid claim and appends them to
// out: its ClaimMatches (for the router) and, when withLines, each line's
// LineMatch alone (for other consumers of MATCHED). Each LineMatch repeats
// the paid claim (with payer, payee and payment) inside its
// ServiceLinePayment: that part is encoded once per claim and joined to
// each line's own fields, as ingest does (protobuf allows a message's
// fields in any order). The bodies are written one after the other into
// arena (the batch's buffer, returned grown), and a line message is the
// same bytes as its element of the claim's body, so a batch allocates its
// bodies a few times, not once per line.
func claimMatches(out []bus.Message, arena []byte, cp *v1.ClaimPayment, lines []matchstore.LineRow, claims map[int64]*billed.Claim,
	shas map[int64]string, withLines bool) ([]bus.Message, []byte, error) {
	src0 := cp.GetSource()
	cpl := cp.GetLines()
	shared, err := (&v1.ServiceLinePayment{Claim: cp.GetClaim(), Payer: cp.GetPayer(), Payee: cp.GetPayee(),
		Payment: cp.GetPayment()}).MarshalVT()
	if err != nil {
		return nil, nil, err
	}
	var slp, lm []byte
	var siblings []v1.SiblingLine
	type span struct {
		off, n int
		src    *v1.SourceRef
		rev    int
	}
	spans := make([]span, 0, len(lines))
	revs := make([]int32, 0, len(lines))
	start := len(arena)
	for _, l := range lines {
		src := &v1.SourceRef{FileId: src0.GetFileId(), FileSha256: src0.GetFileSha256(), SegmentIndex: l.Pos.Seg,
			TransactionControlNumber: src0.GetTransactionControlNumber(), PracticeId: src0.GetPracticeId(),
			Version: src0.GetVersion()}
		own := v1.ServiceLinePayment{Source: src}
		if l.SvcIndex == 0 {
			own.ClaimLevelOnly = true
		} else if i := l.SvcIndex - 1; i < len(cpl) {
			own.Line = cpl[i].GetLine()
		}
		if slp, err = wire.AppendVT(slp[:0], &own); err != nil {
			return nil, nil, err
		}
		lr := l.Result()
		m := wire.LineMatch(src, &lr)
		m.Revision = int32(l.Revision)
		if c := claims[l.BilledClaimID]; c != nil {
			m.Billed = wire.BilledLine(c, lineByID(c, l.BilledLineID))
		}
		if l.Nets.File != 0 {
			m.NetsAgainst = &v1.SourceRef{FileId: l.Nets.File, FileSha256: shas[l.Nets.File], SegmentIndex: l.Nets.Seg,
				PracticeId: src0.GetPracticeId()}
		}
		siblings = siblings[:0]
		for _, o := range lines {
			if o.Pos == l.Pos || o.SvcIndex == 0 {
				continue
			}
			siblings = append(siblings, v1.SiblingLine{SvcIndex: int32(o.SvcIndex), ProcedureCode: o.Procedure,
				Modifiers: o.Modifiers, ServiceDate: string(o.ServiceDate), PaidCents: o.Paid.Cents()})
		}
		for i := range siblings {
			m.Siblings = append(m.Siblings, &siblings[i])
		}
		if lm, err = wire.AppendVT(lm[:0], m); err != nil {
			return nil, nil, err
		}
		// Field 2 (line): the line's own part and the claim's shared part.
		lm = protowire.AppendTag(lm, 2, protowire.BytesType)
		lm = protowire.AppendVarint(lm, uint64(len(slp)+len(shared)))
		lm = append(append(lm, slp...), shared...)
		var off int
		arena, off = wire.AppendClaimLine(arena, lm)
		spans = append(spans, span{off, len(lm), src, l.Revision})
		revs = append(revs, int32(l.Revision))
	}
	id, err := bus.MatchClaimMsgID(src0, revs)
	if err != nil {
		return nil, nil, err
	}
	out = append(out, bus.RawMessage(bus.MatchClaimSubject(src0.GetPracticeId()), id, wire.ClaimMatchesType,
		arena[start:len(arena):len(arena)]))
	if !withLines {
		return out, arena, nil
	}
	for _, sp := range spans {
		id, err := matchMsgID(sp.src, sp.rev)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, bus.RawMessage(bus.MatchLineSubject(sp.src.GetPracticeId()), id, wire.LineMatchType,
			arena[sp.off:sp.off+sp.n:sp.off+sp.n]))
	}
	return out, arena, nil
}

// lineByID is c's line of id lineID (nil for 0 or a line c lacks).
func lineByID(c *billed.Claim, lineID int64) *billed.Line {
	if lineID == 0 {
		return nil
	}
	for i := range c.Lines {
		if c.Lines[i].ID == lineID {
			return &c.Lines[i]
		}
	}
	return nil
}

// messages builds the messages of a committed batch: a ClaimMatches per
// paid claim, and the LineMatch of each line too for the practices whose
// line subject a consumer takes (wanted, from linesWanted).
func (e *engine) messages(ctx context.Context, out *batchOut, wanted map[int64]bool) ([]bus.Message, error) {
	var all [][]matchstore.LineRow
	for _, it := range out.publish {
		all = append(all, it.publishRows())
	}
	shas, err := e.billedInfo(ctx, out.billed, all)
	if err != nil {
		return nil, err
	}
	n := 0
	for _, ls := range all {
		n += len(ls)
	}
	msgs := make([]bus.Message, 0, n)
	arena := make([]byte, 0, n*776)
	for i, it := range out.publish {
		withLines := wanted[it.cp.GetSource().GetPracticeId()]
		if msgs, arena, err = claimMatches(msgs, arena, it.cp, all[i], out.billed, shas, withLines); err != nil {
			return nil, fmt.Errorf("matchsvc: paid claim %s: %w", it.Pos.Ref(), err)
		}
	}
	return msgs, nil
}

// publishRows are the rows whose LineMatch a message item publishes: the
// new answer, or the stored one when the claim was recorded before.
func (it *item) publishRows() []matchstore.LineRow {
	if it.res == nil && it.prev != nil {
		return it.prev.Lines
	}
	return it.Lines
}

// linesWanted says, for each practice of cps, whether its LineMatch line
// messages are to be published (policy p; one JetStream request for
// LinesWanted).
func linesWanted(ctx context.Context, js jetstream.JetStream, p bus.LinePolicy, cps []*v1.ClaimPayment) (map[int64]bool, error) {
	var practices []int64
	seen := map[int64]bool{}
	for _, cp := range cps {
		if id := cp.GetSource().GetPracticeId(); !seen[id] {
			seen[id] = true
			practices = append(practices, id)
		}
	}
	subjects := make([]string, len(practices))
	for i, id := range practices {
		subjects[i] = bus.MatchLineSubject(id)
	}
	ok, err := p.Wanted(ctx, js, bus.StreamMatched, subjects)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]bool, len(practices))
	for i, id := range practices {
		out[id] = ok[i]
	}
	return out, nil
}
