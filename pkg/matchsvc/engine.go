package matchsvc

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/remitq/remitq/pkg/billed"
	"github.com/remitq/remitq/pkg/billedstore"
	"github.com/remitq/remitq/pkg/match"
	"github.com/remitq/remitq/pkg/matchstore"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/pgcopy"
	"github.com/remitq/remitq/pkg/wire"
	v1 "github.com/remitq/remitq/proto/remitq/v1"
)

// item is one paid claim (CLP) a batch handles: from a message, or
// recorded before and matched again.
type item struct {
	Pos        matchstore.Pos
	PracticeID int64
	Payer      string
	cp         *v1.ClaimPayment
	Payload    []byte
	pc         *match.PaidClaim
	PaymentKey string
	fromMsg    bool
	prev       *matchstore.Stored  // recorded before
	pending    *matchstore.Pending // waiting in match_pending before
	rematch    bool                // recorded before and matched again now
	changed    bool                // the re-match changed the stored answer
	res        *match.ClaimResult
	Claim      matchstore.ClaimRow
	Lines      []matchstore.LineRow
	preKeys    []matchstore.Key // the keys of a retried claim before it is decoded
}

func (it *item) practice() string { return matchstore.FmtID(it.PracticeID) }

// keys are the payer + CLP07 timelines a claim reads: its own and the
// reversal's it corrects.
func (it *item) keys() []matchstore.Key {
	if it.pc == nil {
		return it.preKeys
	}
	var out []matchstore.Key
	if it.pc.PayerControl != "" {
		out = append(out, matchstore.Key{Payer: it.Payer, Control: it.pc.PayerControl})
	}
	if a := it.pc.AfterReversal; a != "" && a != it.pc.PayerControl {
		out = append(out, matchstore.Key{Payer: it.Payer, Control: a})
	}
	return out
}

// plbItem is one PLB pair a batch handles.
type plbItem struct {
	Pos        matchstore.Pos
	Position   int32
	PracticeID int64
	Payer      string
	plb        match.PLB
	fromMsg    bool
	existing   bool
	rematch    bool
	prevRow    *matchstore.PLBRow
	row        matchstore.PLBRow
}

func (p *plbItem) keys() []matchstore.Key {
	ref := strings.TrimSpace(p.plb.Reference)
	if ref == "" {
		return nil
	}
	out := []matchstore.Key{{Payer: p.Payer, Control: ref}}
	if f := strings.Fields(ref); len(f) > 1 {
		out = append(out, matchstore.Key{Payer: p.Payer, Control: f[len(f)-1]})
	}
	return out
}

// ErrRecorded reports a batch holding a claim or PLB pair recorded before
// (a redelivery), found when its rows were written.
var ErrRecorded = errors.New("matchsvc: a message of the batch was recorded before")

// engine matches batches of paid claims against PostgreSQL.
type engine struct {
	db    *sqlx.DB
	opts  Options
	fees  matchstore.FeeCache
	files *matchstore.FileCache
}

// batchOut is what a committed batch leaves to publish.
type batchOut struct {
	publish   []*item // message claims: their lines go out now
	rematched []*item // written to the outbox
	billed    map[int64]*billed.Claim
	plbs      int
}

// prepare converts message claims (done outside the transaction).
func (e *engine) prepare(ctx context.Context, items []*item) error {
	for _, it := range items {
		if it.pc != nil || it.cp == nil {
			continue
		}
		if err := e.decode(ctx, it); err != nil {
			return err
		}
	}
	return nil
}

// decode fills pc from cp and finds the reversal the claim corrects.
func (e *engine) decode(ctx context.Context, it *item) error {
	cp := it.cp
	lines := make([]*v1.ServiceLine, len(cp.GetLines()))
	for i, l := range cp.GetLines() {
		lines[i] = l.GetLine()
	}
	it.pc = wire.PaidClaim(cp.GetClaim(), lines, it.Pos.Ref())
	it.Payer = cp.GetPayer().GetPayerIdentifier()
	it.PracticeID = cp.GetSource().GetPracticeId()
	pay := cp.GetPayment()
	it.PaymentKey = match.PaymentKey(pay.GetTraceNumber(), pay.GetTraceOriginator(), money.Amount(pay.GetAmountCents()))
	if it.pc.IsReversal() {
		return nil
	}
	revs, err := e.files.Reversals(ctx, e.db, it.Pos.File)
	if err != nil {
		return err
	}
	if r, ok := revs[it.Pos.Seg]; ok && r.PCN == it.pc.PatientControl {
		it.pc.AfterReversal = r.PayerControl
	}
	return nil
}

// batch is what one run of the engine handles: message items (new, or
// already recorded when redelivered) and PLB pairs, or, with retry, the
// waiting claims marked for a retry.
//
// check looks for message claims recorded before (a redelivery) and
// publishes them as stored; without it a redelivered claim makes the COPY
// fail on its primary key (ErrRecorded), and the caller runs the batch
// again with check: redeliveries are rare, and the first try saves a query
// per batch.
type batch struct {
	items []*item
	plbs  []*plbItem
	Retry bool
	check bool
}

// run matches the claims and PLB pairs of a batch in one transaction.
// Recorded claims whose earlier payments arrive only now are matched again
// in stream order.
func (e *engine) run(ctx context.Context, b batch) (*batchOut, error) {
	if err := e.prepare(ctx, b.items); err != nil {
		return nil, err
	}
	fees, err := e.fees.Get(ctx, e.db)
	if err != nil {
		return nil, err
	}
	tx, err := pgcopy.Begin(ctx, e.db)
	if err != nil {
		return nil, fmt.Errorf("matchsvc: begin: %w", err)
	}
	defer tx.Rollback()
	q := tx.Conn

	keySet, err := lockBatch(ctx, q, b.items, b.plbs)
	if err != nil {
		return nil, err
	}
	items := b.items
	if b.Retry {
		if items, err = e.stillMarked(ctx, q, items); err != nil {
			return nil, err
		}
	}
	work, have, err := e.recorded(ctx, q, items, b.Retry || b.check)
	if err != nil {
		return nil, err
	}
	plbs := b.plbs
	if b.check {
		if err := e.existingPLBs(ctx, q, plbs); err != nil {
			return nil, err
		}
	}
	c := newCands()
	for _, s := range have {
		c.record(entryOf(s))
	}
	if work, err = e.laterOnTimelines(ctx, q, c, items, work, keySet); err != nil {
		return nil, err
	}
	if err := e.laterPLBs(ctx, q, work, plbs, &plbs); err != nil {
		return nil, err
	}
	if err := e.prefetch(ctx, q, c, work, plbs); err != nil {
		return nil, err
	}
	m := match.New(c, match.Options{Threshold: e.opts.Threshold, Fees: fees, UnderpaidTolerance: e.opts.UnderpaidTolerance})
	if err := e.matchInOrder(m, c, work, plbs); err != nil {
		return nil, err
	}
	if err := e.write(ctx, tx, work, plbs, b.Retry); err != nil {
		var pe *pq.Error
		if errors.As(err, &pe) && pe.Code == "23505" && !b.check {
			return nil, fmt.Errorf("%w: %w", ErrRecorded, err)
		}
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("matchsvc: commit: %w", err)
	}
	return outcome(c, items, work, plbs), nil
}

// lockBatch takes the practices' advisory locks shared and the exclusive
// lock of every payer + CLP07 timeline the batch reads; it returns those
// timelines.
func lockBatch(ctx context.Context, q billedstore.DBTX, items []*item, plbs []*plbItem) (map[matchstore.Key]bool, error) {
	var practices []int64
	keySet := map[matchstore.Key]bool{}
	for _, it := range items {
		practices = append(practices, it.PracticeID)
		for _, k := range it.keys() {
			keySet[k] = true
		}
	}
	for _, p := range plbs {
		practices = append(practices, p.PracticeID)
		for _, k := range p.keys() {
			keySet[k] = true
		}
	}
	if err := billedstore.LockPractices(ctx, q, practices, false); err != nil {
		return nil, err
	}
	if err := matchstore.LockKeys(ctx, q, keySet, nil); err != nil {
		return nil, err
	}
	return keySet, nil
}

// stillMarked keeps the retried claims still marked for a retry (another
// matcher may have done them) and gives them their claims.
func (e *engine) stillMarked(ctx context.Context, q billedstore.DBTX, items []*item) ([]*item, error) {
	var ps []matchstore.Pos
	for _, it := range items {
		ps = append(ps, it.Pos)
	}
	pend, err := matchstore.LoadPending(ctx, q, ps, true)
	if err != nil {
		return nil, err
	}
	var out []*item
	for _, it := range items {
		if pi := pend[it.Pos]; pi != nil {
			it.pending, it.Payload, it.rematch = pi, pi.Payload, true
			out = append(out, it)
		}
	}
	if err := e.fill(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// recorded reads, when look, the items recorded before (redelivered, or
// retried) and returns the items to match: a redelivered claim already
// recorded is not matched again (it is published as stored), a retried one
// is, after the reversal it was recorded after.
func (e *engine) recorded(ctx context.Context, q billedstore.DBTX, items []*item, look bool) ([]*item, map[matchstore.Pos]*matchstore.Stored, error) {
	var ps []matchstore.Pos
	if look {
		for _, it := range items {
			ps = append(ps, it.Pos)
		}
	}
	have, err := matchstore.LoadStored(ctx, q, ps)
	if err != nil {
		return nil, nil, err
	}
	var work []*item
	for _, it := range items {
		if s := have[it.Pos]; s != nil {
			it.prev = s
			if !it.rematch {
				continue // existing: not matched again
			}
			it.pc.AfterReversal = s.Claim.AfterReversal
		}
		work = append(work, it)
	}
	return work, have, nil
}

// laterOnTimelines reads the timelines of every key the batch reads into c,
// and adds to work the recorded claims on them that come after a new claim:
// they are matched again (their keys are locked, and read in turn, up to
// four rounds).
func (e *engine) laterOnTimelines(ctx context.Context, q billedstore.DBTX, c *cands, items, work []*item, keySet map[matchstore.Key]bool) ([]*item, error) {
	inBatch := map[matchstore.Pos]*item{}
	for _, it := range items {
		inBatch[it.Pos] = it
	}
	loaded := map[matchstore.Key]bool{}
	for round := 0; round < 4; round++ {
		var keys []matchstore.Key
		for k := range keySet {
			if !loaded[k] {
				keys = append(keys, k)
				loaded[k] = true
			}
		}
		if len(keys) == 0 {
			break
		}
		found, err := matchstore.PositionsByKeys(ctx, q, keys)
		if err != nil {
			return nil, err
		}
		var fresh []matchstore.Pos
		for _, p := range found {
			if inBatch[p] == nil && c.byRef[p.Ref()] == nil {
				fresh = append(fresh, p)
			}
		}
		st, err := matchstore.LoadStored(ctx, q, fresh)
		if err != nil {
			return nil, err
		}
		var again []*item
		for _, s := range st {
			c.record(entryOf(s))
			if it := e.laterThanNew(s, work); it != nil {
				again = append(again, it)
			}
		}
		if len(again) == 0 {
			continue
		}
		if err := e.fill(ctx, again); err != nil {
			return nil, err
		}
		extra := map[matchstore.Key]bool{}
		for _, it := range again {
			inBatch[it.Pos] = it
			work = append(work, it)
			for _, k := range it.keys() {
				if !keySet[k] {
					extra[k] = true
				}
			}
		}
		if err := matchstore.LockKeys(ctx, q, extra, keySet); err != nil {
			return nil, err
		}
	}
	return work, nil
}

// matchInOrder matches the claims and new PLB pairs in stream order.
func (e *engine) matchInOrder(m *match.Matcher, c *cands, work []*item, plbs []*plbItem) error {
	type step struct {
		Pos matchstore.Pos
		pp  int32
		it  *item
		p   *plbItem
	}
	var steps []step
	for _, it := range work {
		steps = append(steps, step{Pos: it.Pos, it: it})
	}
	for _, p := range plbs {
		if !p.existing {
			steps = append(steps, step{Pos: p.Pos, pp: p.Position, p: p})
		}
	}
	slices.SortFunc(steps, func(a, b step) int {
		if x := a.Pos.Cmp(b.Pos); x != 0 {
			return x
		}
		return int(a.pp - b.pp)
	})
	for _, s := range steps {
		c.cur = s.Pos
		if s.p != nil {
			r, err := m.MatchPLB(s.p.plb, matchstore.FmtID(s.p.PracticeID), s.p.Payer)
			if err != nil {
				return err
			}
			s.p.setRow(r)
			continue
		}
		if err := e.matchItem(m, c, s.it); err != nil {
			return err
		}
	}
	return nil
}

// outcome is what a committed batch leaves to publish.
func outcome(c *cands, items, work []*item, plbs []*plbItem) *batchOut {
	out := &batchOut{billed: c.byID}
	for _, it := range items {
		if it.fromMsg {
			out.publish = append(out.publish, it)
		}
	}
	for _, it := range work {
		if it.rematch && it.changed {
			out.rematched = append(out.rematched, it)
		}
	}
	for _, p := range plbs {
		if !p.existing {
			out.plbs++
		}
	}
	return out
}

// laterThanNew returns an item to match s again when s comes after a claim
// of the batch that shares one of its timelines, else nil.
func (e *engine) laterThanNew(s *matchstore.Stored, work []*item) *item {
	sk := []matchstore.Key{}
	if s.Claim.PayerControl != "" {
		sk = append(sk, matchstore.Key{Payer: s.Claim.Payer, Control: s.Claim.PayerControl})
	}
	if s.Claim.AfterReversal != "" {
		sk = append(sk, matchstore.Key{Payer: s.Claim.Payer, Control: s.Claim.AfterReversal})
	}
	for _, n := range work {
		if n.Pos.Cmp(s.Claim.Pos) >= 0 {
			continue
		}
		for _, k := range n.keys() {
			if slices.Contains(sk, k) {
				return &item{Pos: s.Claim.Pos, PracticeID: s.Claim.PracticeID, Payer: s.Claim.Payer, prev: s, rematch: true,
					PaymentKey: s.Claim.PaymentKey}
			}
		}
	}
	return nil
}

// fill gives re-matched items their claim: the waiting payload, else the
// file read again.
func (e *engine) fill(ctx context.Context, items []*item) error {
	var need []matchstore.Pos
	for _, it := range items {
		if it.Payload == nil {
			need = append(need, it.Pos)
		}
	}
	pend, err := matchstore.LoadPending(ctx, e.db, need, false)
	if err != nil {
		return err
	}
	byFile := map[int64]map[int32]bool{}
	for _, it := range items {
		if it.pending == nil {
			it.pending = pend[it.Pos]
		}
		if it.Payload == nil && it.pending != nil {
			it.Payload = it.pending.Payload
		}
		if it.Payload == nil {
			if byFile[it.Pos.File] == nil {
				byFile[it.Pos.File] = map[int32]bool{}
			}
			byFile[it.Pos.File][it.Pos.Seg] = true
		}
	}
	for file, segs := range byFile {
		got, err := matchstore.Reparse(ctx, e.db, file, segs)
		if err != nil {
			return err
		}
		for _, it := range items {
			if it.Pos.File == file && it.Payload == nil {
				it.Payload = got[it.Pos.Seg]
			}
		}
	}
	for _, it := range items {
		if it.Payload == nil {
			return fmt.Errorf("matchsvc: paid claim %s: no stored message and not in its file", it.Pos.Ref())
		}
		it.cp = &v1.ClaimPayment{}
		if err := it.cp.UnmarshalVT(it.Payload); err != nil {
			return fmt.Errorf("matchsvc: paid claim %s: %w", it.Pos.Ref(), err)
		}
		after := ""
		if it.prev != nil {
			after = it.prev.Claim.AfterReversal
		}
		it.pc = nil
		if err := e.decode(ctx, it); err != nil {
			return err
		}
		if after != "" {
			it.pc.AfterReversal = after
		}
	}
	return nil
}

// matchItem matches one claim at c.cur and records it on its timeline.
func (e *engine) matchItem(m *match.Matcher, c *cands, it *item) error {
	var res *match.ClaimResult
	var err error
	if it.rematch && it.prev != nil {
		prev := it.prev.Result()
		res, err = m.Rematch(&match.PendingClaim{Claim: it.pc, Practice: it.practice(), Payer: it.Payer, Result: prev})
		if err == nil {
			keepDecisions(res, prev)
		}
	} else {
		res, err = m.Match(it.pc, it.practice(), it.Payer)
	}
	if err != nil {
		return err
	}
	it.res = res
	it.rows(c)
	e2 := &priorEntry{Pos: it.Pos, Prior: match.PriorFrom(res), reversal: it.pc.IsReversal(), lineSegs: map[int]int32{}}
	if e2.reversal && res.NetsAgainst != nil {
		e2.Nets = res.NetsAgainst.Ref
	}
	for _, l := range it.Lines {
		e2.lineSegs[l.SvcIndex] = l.Pos.Seg
	}
	c.record(e2)
	return nil
}

// keepDecisions keeps a person's decisions (and an earlier late_claim flag)
// over a new automatic answer.
func keepDecisions(res, prev *match.ClaimResult) {
	for i := range res.Lines {
		if i >= len(prev.Lines) || prev.Lines[i].Index != res.Lines[i].Index {
			continue
		}
		p := &prev.Lines[i]
		if p.Method == match.Manual {
			res.Lines[i] = *p
			continue
		}
		if p.HasFlag(match.FlagLateClaim) && !res.Lines[i].HasFlag(match.FlagLateClaim) {
			res.Lines[i].Flags = append(res.Lines[i].Flags, match.FlagLateClaim)
		}
	}
	if prev.HasFlagged(match.FlagLateClaim) && !res.HasFlagged(match.FlagLateClaim) {
		res.Flags = append(res.Flags, match.FlagLateClaim)
	}
}

// rows turns the item's result into its match_claims and line_matches rows.
func (it *item) rows(c *cands) {
	res := it.res
	rev := 0
	if it.prev != nil {
		rev = it.prev.Claim.Revision
	}
	cr := matchstore.ClaimRow{Pos: it.Pos, PracticeID: it.PracticeID, Payer: it.Payer, PCN: it.pc.PatientControl,
		PayerControl: it.pc.PayerControl, AfterReversal: it.pc.AfterReversal, Status: it.pc.Status, ClaimKey: res.Key,
		PaymentKey: it.PaymentKey, ServiceDate: res.ServiceDate, Method: string(res.Method), Confidence: res.Confidence,
		Flags: matchstore.FlagStrings(res.Flags), Charge: res.Charge, Paid: res.Paid, PatientResp: res.PatientResp,
		Review: res.NeedsReview(), Revision: rev}
	if res.Billed != nil {
		cr.BilledClaimID, cr.BilledPCN = res.Billed.ClaimID, res.Billed.PatientControl
	}
	if res.NetsAgainst != nil {
		cr.Nets, _ = matchstore.ParseRef(res.NetsAgainst.Ref)
	}
	lines := make([]matchstore.LineRow, len(res.Lines))
	cpl := it.cp.GetLines()
	for i := range res.Lines {
		lr := &res.Lines[i]
		seg := it.Pos.Seg
		if len(it.pc.Lines) > 0 && i < len(cpl) {
			seg = cpl[i].GetSegmentIndex()
		}
		l := matchstore.LineRow{Pos: matchstore.Pos{File: it.Pos.File, Seg: seg}, ClaimSeg: it.Pos.Seg, PracticeID: it.PracticeID, SvcIndex: lr.Index,
			Procedure: lr.Procedure, Modifiers: lr.Modifiers, ServiceDate: lr.ServiceDate, Units: lr.Units,
			Method: string(lr.Method), Confidence: lr.Confidence, Review: lr.Review, Flags: matchstore.FlagStrings(lr.Flags),
			BilledCharge: lr.BilledCharge, BilledUnits: lr.BilledUnits, Charge: lr.Charge, Paid: lr.Paid,
			Allowed: lr.Allowed, PatientResp: lr.PatientResp, Expected: lr.Expected, NetPaid: lr.NetPaid, Revision: rev}
		if b := lr.Billed; b != nil {
			l.BilledClaimID, l.BilledLineID, l.BilledLineNumber, l.BilledPCN = b.ClaimID, b.LineID, b.LineNumber, b.PatientControl
		}
		if n := lr.NetsAgainst; n != nil {
			p, _ := matchstore.ParseRef(n.Ref)
			l.Nets = p
			if e := c.byRef[n.Ref]; e != nil && n.LineIndex > 0 {
				if s, ok := e.lineSegs[n.LineIndex]; ok {
					l.Nets.Seg = s
				}
			}
		}
		lines[i] = l
	}
	it.changed = it.prev == nil || !sameRows(&it.prev.Claim, it.prev.Lines, &cr, lines)
	if it.rematch && it.changed {
		cr.Revision = rev + 1
		for i := range lines {
			lines[i].Revision = rev + 1
		}
	}
	it.Claim, it.Lines = cr, lines
}

// sameRows reports whether a new answer equals the stored one.
func sameRows(a *matchstore.ClaimRow, al []matchstore.LineRow, b *matchstore.ClaimRow, bl []matchstore.LineRow) bool {
	x, y := *a, *b
	x.Revision, y.Revision, x.BilledPCN, y.BilledPCN = 0, 0, "", ""
	if x.Pos != y.Pos || x.Method != y.Method || x.Confidence != y.Confidence || !slices.Equal(x.Flags, y.Flags) ||
		x.BilledClaimID != y.BilledClaimID || x.Nets != y.Nets || x.Review != y.Review || x.ClaimKey != y.ClaimKey ||
		x.AfterReversal != y.AfterReversal || len(al) != len(bl) {
		return false
	}
	for i := range al {
		p, q := al[i], bl[i]
		if p.Pos != q.Pos || p.Method != q.Method || p.Confidence != q.Confidence || !slices.Equal(p.Flags, q.Flags) ||
			p.BilledClaimID != q.BilledClaimID || p.BilledLineID != q.BilledLineID || p.Review != q.Review ||
			p.Nets != q.Nets || p.NetPaid != q.NetPaid || !sameAmount(p.Expected, q.Expected) {
			return false
		}
	}
	return true
}

func sameAmount(a, b *money.Amount) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// setRow turns a PLB result into its plb_links row.
func (p *plbItem) setRow(r *match.PLBResult) {
	row := matchstore.PLBRow{Pos: p.Pos, Position: p.Position, PracticeID: p.PracticeID, Payer: p.Payer,
		ProviderID: p.plb.ProviderID, FiscalPeriod: p.plb.FiscalPeriod, Reason: r.Reason, Kind: r.Kind,
		Reference: r.Reference, Amount: r.Amount, Method: r.Method, Confidence: r.Confidence, Review: r.Review,
		PayerControl: r.PayerControl}
	if r.Prior != "" {
		row.Prior, _ = matchstore.ParseRef(r.Prior)
	}
	if r.Billed != nil {
		row.BilledClaim = r.Billed.ClaimID
	}
	if p.prevRow != nil {
		row.Revision = p.prevRow.Revision + 1
	}
	p.row = row
}

// existingPLBs marks the message PLB pairs already linked (redelivered).
func (e *engine) existingPLBs(ctx context.Context, q billedstore.DBTX, plbs []*plbItem) error {
	var files []int64
	var segs, posns []int32
	for _, p := range plbs {
		if p.fromMsg {
			files, segs, posns = append(files, p.Pos.File), append(segs, p.Pos.Seg), append(posns, p.Position)
		}
	}
	if len(files) == 0 {
		return nil
	}
	rows, err := q.QueryxContext(ctx, `SELECT l.file_id, l.segment_index, l.position FROM plb_links l
		WHERE l.file_id = ANY($1) AND l.segment_index = ANY($2)
		AND (l.file_id, l.segment_index, l.position) IN (SELECT * FROM unnest($1::bigint[], $2::int[], $3::int[]))`,
		pq.Array(files), pq.Array(segs), pq.Array(posns))
	if err != nil {
		return fmt.Errorf("matchsvc: read PLB links: %w", err)
	}
	defer rows.Close()
	type pk struct {
		p   matchstore.Pos
		Pos int32
	}
	have := map[pk]bool{}
	for rows.Next() {
		var k pk
		if err := rows.Scan(&k.p.File, &k.p.Seg, &k.Pos); err != nil {
			return err
		}
		have[k] = true
	}
	for _, p := range plbs {
		if have[pk{p.Pos, p.Position}] && p.fromMsg {
			p.existing = true
		}
	}
	return rows.Err()
}

// laterPLBs adds the unlinked PLB pairs that name a claim of the batch by
// its CLP07 and come after it: they are linked again.
func (e *engine) laterPLBs(ctx context.Context, q billedstore.DBTX, work []*item, plbs []*plbItem, out *[]*plbItem) error {
	var payers, refs []string
	first := map[matchstore.Key]matchstore.Pos{}
	for _, it := range work {
		if it.rematch || it.pc.PayerControl == "" {
			continue
		}
		k := matchstore.Key{Payer: it.Payer, Control: it.pc.PayerControl}
		if p, ok := first[k]; !ok || it.Pos.Cmp(p) < 0 {
			first[k] = it.Pos
		}
		payers, refs = append(payers, k.Payer), append(refs, k.Control)
	}
	if len(payers) == 0 {
		return nil
	}
	got, err := matchstore.LoadPLBs(ctx, q, `WHERE l.review AND l.payer_code = ANY($1) AND l.reference = ANY($2)
		AND (l.payer_code, l.reference) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
		pq.Array(payers), pq.Array(refs))
	if err != nil {
		return err
	}
	for _, r := range got {
		p, ok := first[matchstore.Key{Payer: r.Payer, Control: r.Reference}]
		if !ok || r.Pos.Cmp(p) <= 0 || slices.ContainsFunc(plbs, func(x *plbItem) bool { return x.Pos == r.Pos && x.Position == r.Position }) {
			continue
		}
		*out = append(*out, plbItemOf(r))
	}
	return nil
}

// item makes a re-link item of a stored PLB row.
func plbItemOf(r *matchstore.PLBRow) *plbItem {
	rc := *r
	return &plbItem{Pos: r.Pos, Position: r.Position, PracticeID: r.PracticeID, Payer: r.Payer, rematch: true, prevRow: &rc,
		plb: match.PLB{Ref: fmt.Sprintf("%d:%d:%d", r.Pos.File, r.Pos.Seg, r.Position), ProviderID: r.ProviderID,
			FiscalPeriod: r.FiscalPeriod, Reason: r.Reason, Reference: r.Reference, Amount: r.Amount}}
}

// prefetch loads every billed claim the batch may look up: by CLM01 (and
// PLB03-2), by the REF*6R not found that way, and by member for the claims
// that found neither (the fuzzy rung).
func (e *engine) prefetch(ctx context.Context, q billedstore.DBTX, c *cands, work []*item, plbs []*plbItem) error {
	var keys []billedstore.Key
	for _, it := range work {
		keys = append(keys, billedstore.Key{PracticeID: it.PracticeID, Value: it.pc.PatientControl})
	}
	for _, p := range plbs {
		if p.existing {
			continue
		}
		for _, k := range p.keys() {
			keys = append(keys, billedstore.Key{PracticeID: p.PracticeID, Value: k.Control})
		}
	}
	list, err := billedstore.ByControl(ctx, q, keys)
	if err != nil {
		return err
	}
	c.addClaims(list)
	keys = keys[:0]
	for _, it := range work {
		for _, l := range it.pc.Lines {
			if l.LineControl == "" {
				continue
			}
			if _, ok := c.byLCN[matchstore.Key{Payer: it.practice(), Control: l.LineControl}]; !ok {
				keys = append(keys, billedstore.Key{PracticeID: it.PracticeID, Value: l.LineControl})
			}
		}
	}
	if list, err = billedstore.ByLineControl(ctx, q, keys); err != nil {
		return err
	}
	c.addClaims(list)
	keys = keys[:0]
	for _, it := range work {
		if len(c.byPCN[matchstore.Key{Payer: it.practice(), Control: it.pc.PatientControl}]) > 0 {
			continue
		}
		viaLCN := false
		for _, l := range it.pc.Lines {
			if _, ok := c.byLCN[matchstore.Key{Payer: it.practice(), Control: l.LineControl}]; ok && l.LineControl != "" {
				viaLCN = true
				break
			}
		}
		if viaLCN {
			continue
		}
		for _, id := range []string{it.pc.MemberID, it.pc.PatientID} {
			if id != "" {
				keys = append(keys, billedstore.Key{PracticeID: it.PracticeID, Value: id})
			}
		}
	}
	if list, err = billedstore.ByMember(ctx, q, keys); err != nil {
		return err
	}
	c.addClaims(list)
	return nil
}

// write stores the batch's answers: new rows by COPY, re-matched claims by
// delete and COPY, the pending queue, PLB links and the outbox.
func (e *engine) write(ctx context.Context, tx *pgcopy.Tx, work []*item, plbs []*plbItem, retry bool) error {
	q := tx.Conn
	var redo, unpend []matchstore.Pos
	cb := pgcopy.NewBuf("match_claims", matchstore.ClaimCols...)
	lb := pgcopy.NewBuf("line_matches", matchstore.LineCols...)
	pb := pgcopy.NewBuf("match_pending", matchstore.PendingCols...)
	now := time.Now()
	var ob []*item
	for _, it := range work {
		if it.rematch && !it.changed {
			// Nothing new: only a retry's mark is cleared.
			if retry {
				unpend = append(unpend, it.Pos)
			}
			continue
		}
		if it.rematch {
			redo = append(redo, it.Pos)
			ob = append(ob, it)
		}
		it.Claim.CopyTo(cb)
		for i := range it.Lines {
			it.Lines[i].CopyTo(lb)
		}
		if it.pending != nil {
			unpend = append(unpend, it.Pos)
		}
		if it.res.NeedsReview() {
			pr := matchstore.PendingRow{Pos: it.Pos, PracticeID: it.PracticeID, Payer: it.Payer, PCN: it.pc.PatientControl,
				PayerControl: it.pc.PayerControl, Unmatched: it.res.Unmatched(), Payload: it.Payload, QueuedAt: now}
			for _, l := range it.pc.Lines {
				if l.LineControl != "" && !slices.Contains(pr.LineControls, l.LineControl) {
					pr.LineControls = append(pr.LineControls, l.LineControl)
				}
			}
			if it.pending != nil {
				pr.QueuedAt, pr.Attempts = it.pending.QueuedAt, it.pending.Attempts+1
			}
			pr.CopyTo(pb)
		}
	}
	files, segs := matchstore.PosArrays(redo)
	if len(redo) > 0 {
		if _, err := q.ExecContext(ctx, `DELETE FROM line_matches l WHERE l.file_id = ANY($1) AND l.claim_segment = ANY($2)
			AND (l.file_id, l.claim_segment) IN (SELECT * FROM unnest($1::bigint[], $2::int[]))`, pq.Array(files), pq.Array(segs)); err != nil {
			return fmt.Errorf("matchsvc: replace lines: %w", err)
		}
		if _, err := q.ExecContext(ctx, `DELETE FROM match_claims m WHERE m.file_id = ANY($1) AND m.segment_index = ANY($2)
			AND (m.file_id, m.segment_index) IN (SELECT * FROM unnest($1::bigint[], $2::int[]))`, pq.Array(files), pq.Array(segs)); err != nil {
			return fmt.Errorf("matchsvc: replace claims: %w", err)
		}
	}
	if len(unpend) > 0 {
		f2, s2 := matchstore.PosArrays(unpend)
		if _, err := q.ExecContext(ctx, `DELETE FROM match_pending p WHERE p.file_id = ANY($1) AND p.segment_index = ANY($2)
			AND (p.file_id, p.segment_index) IN (SELECT * FROM unnest($1::bigint[], $2::int[]))`, pq.Array(f2), pq.Array(s2)); err != nil {
			return fmt.Errorf("matchsvc: update pending: %w", err)
		}
		// A claim still waiting whose answer did not change keeps its row.
		for _, it := range work {
			if it.rematch && !it.changed && retry && it.pending != nil && it.res.NeedsReview() {
				pr := matchstore.PendingRow{Pos: it.Pos, PracticeID: it.PracticeID, Payer: it.Payer, PCN: it.pc.PatientControl,
					PayerControl: it.pc.PayerControl, Unmatched: it.prev.Result().Unmatched(), Payload: it.Payload,
					QueuedAt: it.pending.QueuedAt, Attempts: it.pending.Attempts + 1}
				for _, l := range it.pc.Lines {
					if l.LineControl != "" && !slices.Contains(pr.LineControls, l.LineControl) {
						pr.LineControls = append(pr.LineControls, l.LineControl)
					}
				}
				pr.CopyTo(pb)
			}
		}
	}
	for _, b := range []*pgcopy.Buf{cb, lb, pb} {
		if err := tx.Copy(ctx, b); err != nil {
			return fmt.Errorf("matchsvc: %w", err)
		}
	}
	if err := writePLBs(ctx, tx, plbs); err != nil {
		return err
	}
	return writeOutbox(ctx, q, ob)
}

func writePLBs(ctx context.Context, tx *pgcopy.Tx, plbs []*plbItem) error {
	b := pgcopy.NewBuf("plb_links", matchstore.PLBCols...)
	var files []int64
	var segs, posns []int32
	for _, p := range plbs {
		if p.existing {
			continue
		}
		if p.rematch {
			if p.prevRow != nil && p.row.Method == p.prevRow.Method && p.row.Review == p.prevRow.Review &&
				p.row.BilledClaim == p.prevRow.BilledClaim && p.row.Prior == p.prevRow.Prior {
				p.row.Revision = p.prevRow.Revision // unchanged: the retry mark is cleared below
			}
			files, segs, posns = append(files, p.Pos.File), append(segs, p.Pos.Seg), append(posns, p.Position)
		}
		p.row.CopyTo(b)
	}
	if len(files) > 0 {
		if _, err := tx.Conn.ExecContext(ctx, `DELETE FROM plb_links l WHERE l.file_id = ANY($1) AND l.segment_index = ANY($2)
			AND (l.file_id, l.segment_index, l.position) IN (SELECT * FROM unnest($1::bigint[], $2::int[], $3::int[]))`,
			pq.Array(files), pq.Array(segs), pq.Array(posns)); err != nil {
			return fmt.Errorf("matchsvc: replace PLB links: %w", err)
		}
	}
	if err := tx.Copy(ctx, b); err != nil {
		return fmt.Errorf("matchsvc: %w", err)
	}
	return nil
}

// writeOutbox queues the changed claims for the relay.
func writeOutbox(ctx context.Context, q billedstore.DBTX, items []*item) error {
	if len(items) == 0 {
		return nil
	}
	files := make([]int64, len(items))
	segs := make([]int32, len(items))
	revs := make([]int, len(items))
	payloads := make([][]byte, len(items))
	for i, it := range items {
		files[i], segs[i], revs[i], payloads[i] = it.Pos.File, it.Pos.Seg, it.Claim.Revision, it.Payload
	}
	if _, err := q.ExecContext(ctx, `INSERT INTO match_outbox (file_id, segment_index, revision, payload)
		SELECT * FROM unnest($1::bigint[], $2::int[], $3::int[], $4::bytea[]) ON CONFLICT DO NOTHING`,
		pq.Array(files), pq.Array(segs), pq.Array(revs), pq.ByteaArray(payloads)); err != nil {
		return fmt.Errorf("matchsvc: outbox: %w", err)
	}
	return nil
}
