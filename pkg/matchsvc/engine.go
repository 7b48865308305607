package matchsvc

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"google.golang.org/protobuf/proto"

	"github.com/remitq/remitq/pkg/billed"
	"github.com/remitq/remitq/pkg/billedstore"
	"github.com/remitq/remitq/pkg/match"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/pgcopy"
	"github.com/remitq/remitq/pkg/wire"
	v1 "github.com/remitq/remitq/proto/remitq/v1"
	"github.com/remitq/remitq/x12"
)

// item is one paid claim (CLP) a batch handles: from a message, or
// recorded before and matched again.
type item struct {
	pos        pos
	practiceID int64
	payer      string
	cp         *v1.ClaimPayment
	payload    []byte
	pc         *match.PaidClaim
	paymentKey string
	fromMsg    bool
	prev       *stored      // recorded before
	pending    *pendingInfo // waiting in match_pending before
	rematch    bool         // recorded before and matched again now
	changed    bool         // the re-match changed the stored answer
	res        *match.ClaimResult
	claim      claimRow
	lines      []lineRow
	preKeys    []pkey // the keys of a retried claim before it is decoded
}

func (it *item) practice() string { return fmtID(it.practiceID) }

// keys are the payer + CLP07 timelines a claim reads: its own and the
// reversal's it corrects.
func (it *item) keys() []pkey {
	if it.pc == nil {
		return it.preKeys
	}
	var out []pkey
	if it.pc.PayerControl != "" {
		out = append(out, pkey{it.payer, it.pc.PayerControl})
	}
	if a := it.pc.AfterReversal; a != "" && a != it.pc.PayerControl {
		out = append(out, pkey{it.payer, a})
	}
	return out
}

// plbItem is one PLB pair a batch handles.
type plbItem struct {
	pos        pos
	position   int32
	practiceID int64
	payer      string
	plb        match.PLB
	fiscal     string
	fromMsg    bool
	existing   bool
	rematch    bool
	prevRow    *plbRow
	row        plbRow
}

func (p *plbItem) keys() []pkey {
	ref := strings.TrimSpace(p.plb.Reference)
	if ref == "" {
		return nil
	}
	out := []pkey{{p.payer, ref}}
	if f := strings.Fields(ref); len(f) > 1 {
		out = append(out, pkey{p.payer, f[len(f)-1]})
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
	fees  feeCache
	files *fileCache
}

// batchOut is what a committed batch leaves to publish.
type batchOut struct {
	publish   []*item // message claims: their lines go out now
	rematched []*item // written to the outbox
	billed    map[int64]*billed.Claim
	shas      map[int64]string
	plbs      int
}

// keyLock is the advisory lock key of a payer + CLP07 timeline.
func keyLock(k pkey) int64 {
	h := fnv.New64a()
	h.Write([]byte(k.a))
	h.Write([]byte{0})
	h.Write([]byte(k.b))
	return int64(h.Sum64()&^(0xffff<<48)) | int64(0x726d)<<48
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
	it.pc = wire.PaidClaim(cp.GetClaim(), lines, it.pos.ref())
	it.payer = cp.GetPayer().GetPayerIdentifier()
	it.practiceID = cp.GetSource().GetPracticeId()
	pay := cp.GetPayment()
	it.paymentKey = match.PaymentKey(pay.GetTraceNumber(), pay.GetTraceOriginator(), money.Amount(pay.GetAmountCents()))
	if it.pc.IsReversal() {
		return nil
	}
	revs, err := e.files.reversals(ctx, e.db, it.pos.file)
	if err != nil {
		return err
	}
	if r, ok := revs[it.pos.seg]; ok && r.pcn == it.pc.PatientControl {
		it.pc.AfterReversal = r.payerControl
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
	retry bool
	check bool
}

// run matches the claims and PLB pairs of a batch in one transaction.
// Recorded claims whose earlier payments arrive only now are matched again
// in stream order.
func (e *engine) run(ctx context.Context, b batch) (*batchOut, error) {
	if err := e.prepare(ctx, b.items); err != nil {
		return nil, err
	}
	fees, err := e.fees.get(ctx, e.db)
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
	if b.retry {
		if items, err = e.stillMarked(ctx, q, items); err != nil {
			return nil, err
		}
	}
	work, have, err := e.recorded(ctx, q, items, b.retry || b.check)
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
		c.record(s.entry())
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
	if err := e.write(ctx, tx, work, plbs, b.retry); err != nil {
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
func lockBatch(ctx context.Context, q billedstore.DBTX, items []*item, plbs []*plbItem) (map[pkey]bool, error) {
	var practices []int64
	keySet := map[pkey]bool{}
	for _, it := range items {
		practices = append(practices, it.practiceID)
		for _, k := range it.keys() {
			keySet[k] = true
		}
	}
	for _, p := range plbs {
		practices = append(practices, p.practiceID)
		for _, k := range p.keys() {
			keySet[k] = true
		}
	}
	if err := billedstore.LockPractices(ctx, q, practices, false); err != nil {
		return nil, err
	}
	if err := lockKeys(ctx, q, keySet, nil); err != nil {
		return nil, err
	}
	return keySet, nil
}

// stillMarked keeps the retried claims still marked for a retry (another
// matcher may have done them) and gives them their claims.
func (e *engine) stillMarked(ctx context.Context, q billedstore.DBTX, items []*item) ([]*item, error) {
	var ps []pos
	for _, it := range items {
		ps = append(ps, it.pos)
	}
	pend, err := loadPending(ctx, q, ps, true)
	if err != nil {
		return nil, err
	}
	var out []*item
	for _, it := range items {
		if pi := pend[it.pos]; pi != nil {
			it.pending, it.payload, it.rematch = pi, pi.payload, true
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
func (e *engine) recorded(ctx context.Context, q billedstore.DBTX, items []*item, look bool) ([]*item, map[pos]*stored, error) {
	var ps []pos
	if look {
		for _, it := range items {
			ps = append(ps, it.pos)
		}
	}
	have, err := loadStored(ctx, q, ps)
	if err != nil {
		return nil, nil, err
	}
	var work []*item
	for _, it := range items {
		if s := have[it.pos]; s != nil {
			it.prev = s
			if !it.rematch {
				continue // existing: not matched again
			}
			it.pc.AfterReversal = s.claim.afterReversal
		}
		work = append(work, it)
	}
	return work, have, nil
}

// laterOnTimelines reads the timelines of every key the batch reads into c,
// and adds to work the recorded claims on them that come after a new claim:
// they are matched again (their keys are locked, and read in turn, up to
// four rounds).
func (e *engine) laterOnTimelines(ctx context.Context, q billedstore.DBTX, c *cands, items, work []*item, keySet map[pkey]bool) ([]*item, error) {
	inBatch := map[pos]*item{}
	for _, it := range items {
		inBatch[it.pos] = it
	}
	loaded := map[pkey]bool{}
	for round := 0; round < 4; round++ {
		var keys []pkey
		for k := range keySet {
			if !loaded[k] {
				keys = append(keys, k)
				loaded[k] = true
			}
		}
		if len(keys) == 0 {
			break
		}
		found, err := positionsByKeys(ctx, q, keys)
		if err != nil {
			return nil, err
		}
		var fresh []pos
		for _, p := range found {
			if inBatch[p] == nil && c.byRef[p.ref()] == nil {
				fresh = append(fresh, p)
			}
		}
		st, err := loadStored(ctx, q, fresh)
		if err != nil {
			return nil, err
		}
		var again []*item
		for _, s := range st {
			c.record(s.entry())
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
		extra := map[pkey]bool{}
		for _, it := range again {
			inBatch[it.pos] = it
			work = append(work, it)
			for _, k := range it.keys() {
				if !keySet[k] {
					extra[k] = true
				}
			}
		}
		if err := lockKeys(ctx, q, extra, keySet); err != nil {
			return nil, err
		}
	}
	return work, nil
}

// matchInOrder matches the claims and new PLB pairs in stream order.
func (e *engine) matchInOrder(m *match.Matcher, c *cands, work []*item, plbs []*plbItem) error {
	type step struct {
		pos pos
		pp  int32
		it  *item
		p   *plbItem
	}
	var steps []step
	for _, it := range work {
		steps = append(steps, step{pos: it.pos, it: it})
	}
	for _, p := range plbs {
		if !p.existing {
			steps = append(steps, step{pos: p.pos, pp: p.position, p: p})
		}
	}
	slices.SortFunc(steps, func(a, b step) int {
		if x := a.pos.cmp(b.pos); x != 0 {
			return x
		}
		return int(a.pp - b.pp)
	})
	for _, s := range steps {
		c.cur = s.pos
		if s.p != nil {
			r, err := m.MatchPLB(s.p.plb, fmtID(s.p.practiceID), s.p.payer)
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

// lockKeys takes the advisory locks of the keys not in held.
func lockKeys(ctx context.Context, q billedstore.DBTX, keys, held map[pkey]bool) error {
	var ks []int64
	for k := range keys {
		if held == nil || !held[k] {
			ks = append(ks, keyLock(k))
			if held != nil {
				held[k] = true
			}
		}
	}
	return billedstore.LockKeys(ctx, q, ks, true)
}

// laterThanNew returns an item to match s again when s comes after a claim
// of the batch that shares one of its timelines, else nil.
func (e *engine) laterThanNew(s *stored, work []*item) *item {
	sk := []pkey{}
	if s.claim.payerControl != "" {
		sk = append(sk, pkey{s.claim.payer, s.claim.payerControl})
	}
	if s.claim.afterReversal != "" {
		sk = append(sk, pkey{s.claim.payer, s.claim.afterReversal})
	}
	for _, n := range work {
		if n.pos.cmp(s.claim.pos) >= 0 {
			continue
		}
		for _, k := range n.keys() {
			if slices.Contains(sk, k) {
				return &item{pos: s.claim.pos, practiceID: s.claim.practiceID, payer: s.claim.payer, prev: s, rematch: true,
					paymentKey: s.claim.paymentKey}
			}
		}
	}
	return nil
}

// fill gives re-matched items their claim: the waiting payload, else the
// file read again.
func (e *engine) fill(ctx context.Context, items []*item) error {
	var need []pos
	for _, it := range items {
		if it.payload == nil {
			need = append(need, it.pos)
		}
	}
	pend, err := loadPending(ctx, e.db, need, false)
	if err != nil {
		return err
	}
	byFile := map[int64]map[int32]bool{}
	for _, it := range items {
		if it.pending == nil {
			it.pending = pend[it.pos]
		}
		if it.payload == nil && it.pending != nil {
			it.payload = it.pending.payload
		}
		if it.payload == nil {
			if byFile[it.pos.file] == nil {
				byFile[it.pos.file] = map[int32]bool{}
			}
			byFile[it.pos.file][it.pos.seg] = true
		}
	}
	for file, segs := range byFile {
		got, err := reparse(ctx, e.db, file, segs)
		if err != nil {
			return err
		}
		for _, it := range items {
			if it.pos.file == file && it.payload == nil {
				it.payload = got[it.pos.seg]
			}
		}
	}
	for _, it := range items {
		if it.payload == nil {
			return fmt.Errorf("matchsvc: paid claim %s: no stored message and not in its file", it.pos.ref())
		}
		it.cp = &v1.ClaimPayment{}
		if err := proto.Unmarshal(it.payload, it.cp); err != nil {
			return fmt.Errorf("matchsvc: paid claim %s: %w", it.pos.ref(), err)
		}
		after := ""
		if it.prev != nil {
			after = it.prev.claim.afterReversal
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
		prev := it.prev.result()
		res, err = m.Rematch(&match.PendingClaim{Claim: it.pc, Practice: it.practice(), Payer: it.payer, Result: prev})
		if err == nil {
			keepDecisions(res, prev)
		}
	} else {
		res, err = m.Match(it.pc, it.practice(), it.payer)
	}
	if err != nil {
		return err
	}
	it.res = res
	it.rows(c)
	e2 := &priorEntry{pos: it.pos, prior: match.PriorFrom(res), reversal: it.pc.IsReversal(), lineSegs: map[int]int32{}}
	if e2.reversal && res.NetsAgainst != nil {
		e2.nets = res.NetsAgainst.Ref
	}
	for _, l := range it.lines {
		e2.lineSegs[l.svcIndex] = l.pos.seg
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
		rev = it.prev.claim.revision
	}
	cr := claimRow{pos: it.pos, practiceID: it.practiceID, payer: it.payer, pcn: it.pc.PatientControl,
		payerControl: it.pc.PayerControl, afterReversal: it.pc.AfterReversal, status: it.pc.Status, claimKey: res.Key,
		paymentKey: it.paymentKey, serviceDate: res.ServiceDate, method: string(res.Method), confidence: res.Confidence,
		flags: flagStrings(res.Flags), charge: res.Charge, paid: res.Paid, patientResp: res.PatientResp,
		review: res.NeedsReview(), revision: rev}
	if res.Billed != nil {
		cr.billedClaimID, cr.billedPCN = res.Billed.ClaimID, res.Billed.PatientControl
	}
	if res.NetsAgainst != nil {
		cr.nets, _ = parseRef(res.NetsAgainst.Ref)
	}
	lines := make([]lineRow, len(res.Lines))
	cpl := it.cp.GetLines()
	for i := range res.Lines {
		lr := &res.Lines[i]
		seg := it.pos.seg
		if len(it.pc.Lines) > 0 && i < len(cpl) {
			seg = cpl[i].GetSegmentIndex()
		}
		l := lineRow{pos: pos{it.pos.file, seg}, claimSeg: it.pos.seg, practiceID: it.practiceID, svcIndex: lr.Index,
			procedure: lr.Procedure, modifiers: lr.Modifiers, serviceDate: lr.ServiceDate, units: lr.Units,
			method: string(lr.Method), confidence: lr.Confidence, review: lr.Review, flags: flagStrings(lr.Flags),
			billedCharge: lr.BilledCharge, billedUnits: lr.BilledUnits, charge: lr.Charge, paid: lr.Paid,
			allowed: lr.Allowed, patientResp: lr.PatientResp, expected: lr.Expected, netPaid: lr.NetPaid, revision: rev}
		if b := lr.Billed; b != nil {
			l.billedClaimID, l.billedLineID, l.billedLineNumber, l.billedPCN = b.ClaimID, b.LineID, b.LineNumber, b.PatientControl
		}
		if n := lr.NetsAgainst; n != nil {
			p, _ := parseRef(n.Ref)
			l.nets = p
			if e := c.byRef[n.Ref]; e != nil && n.LineIndex > 0 {
				if s, ok := e.lineSegs[n.LineIndex]; ok {
					l.nets.seg = s
				}
			}
		}
		lines[i] = l
	}
	it.changed = it.prev == nil || !sameRows(&it.prev.claim, it.prev.lines, &cr, lines)
	if it.rematch && it.changed {
		cr.revision = rev + 1
		for i := range lines {
			lines[i].revision = rev + 1
		}
	}
	it.claim, it.lines = cr, lines
}

// sameRows reports whether a new answer equals the stored one.
func sameRows(a *claimRow, al []lineRow, b *claimRow, bl []lineRow) bool {
	x, y := *a, *b
	x.revision, y.revision, x.billedPCN, y.billedPCN = 0, 0, "", ""
	if x.pos != y.pos || x.method != y.method || x.confidence != y.confidence || !slices.Equal(x.flags, y.flags) ||
		x.billedClaimID != y.billedClaimID || x.nets != y.nets || x.review != y.review || x.claimKey != y.claimKey ||
		x.afterReversal != y.afterReversal || len(al) != len(bl) {
		return false
	}
	for i := range al {
		p, q := al[i], bl[i]
		if p.pos != q.pos || p.method != q.method || p.confidence != q.confidence || !slices.Equal(p.flags, q.flags) ||
			p.billedClaimID != q.billedClaimID || p.billedLineID != q.billedLineID || p.review != q.review ||
			p.nets != q.nets || p.netPaid != q.netPaid || !sameAmount(p.expected, q.expected) {
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
	row := plbRow{pos: p.pos, position: p.position, practiceID: p.practiceID, payer: p.payer,
		providerID: p.plb.ProviderID, fiscalPeriod: p.plb.FiscalPeriod, reason: r.Reason, kind: r.Kind,
		reference: r.Reference, amount: r.Amount, method: r.Method, confidence: r.Confidence, review: r.Review,
		payerControl: r.PayerControl}
	if r.Prior != "" {
		row.prior, _ = parseRef(r.Prior)
	}
	if r.Billed != nil {
		row.billedClaim = r.Billed.ClaimID
	}
	if p.prevRow != nil {
		row.revision = p.prevRow.revision + 1
	}
	p.row = row
}

// existingPLBs marks the message PLB pairs already linked (redelivered).
func (e *engine) existingPLBs(ctx context.Context, q billedstore.DBTX, plbs []*plbItem) error {
	var files []int64
	var segs, posns []int32
	for _, p := range plbs {
		if p.fromMsg {
			files, segs, posns = append(files, p.pos.file), append(segs, p.pos.seg), append(posns, p.position)
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
		p   pos
		pos int32
	}
	have := map[pk]bool{}
	for rows.Next() {
		var k pk
		if err := rows.Scan(&k.p.file, &k.p.seg, &k.pos); err != nil {
			return err
		}
		have[k] = true
	}
	for _, p := range plbs {
		if have[pk{p.pos, p.position}] && p.fromMsg {
			p.existing = true
		}
	}
	return rows.Err()
}

// laterPLBs adds the unlinked PLB pairs that name a claim of the batch by
// its CLP07 and come after it: they are linked again.
func (e *engine) laterPLBs(ctx context.Context, q billedstore.DBTX, work []*item, plbs []*plbItem, out *[]*plbItem) error {
	var payers, refs []string
	first := map[pkey]pos{}
	for _, it := range work {
		if it.rematch || it.pc.PayerControl == "" {
			continue
		}
		k := pkey{it.payer, it.pc.PayerControl}
		if p, ok := first[k]; !ok || it.pos.cmp(p) < 0 {
			first[k] = it.pos
		}
		payers, refs = append(payers, k.a), append(refs, k.b)
	}
	if len(payers) == 0 {
		return nil
	}
	got, err := loadPLBs(ctx, q, `WHERE l.review AND l.payer_code = ANY($1) AND l.reference = ANY($2)
		AND (l.payer_code, l.reference) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
		pq.Array(payers), pq.Array(refs))
	if err != nil {
		return err
	}
	for _, r := range got {
		p, ok := first[pkey{r.payer, r.reference}]
		if !ok || r.pos.cmp(p) <= 0 || slices.ContainsFunc(plbs, func(x *plbItem) bool { return x.pos == r.pos && x.position == r.position }) {
			continue
		}
		*out = append(*out, r.item())
	}
	return nil
}

// item makes a re-link item of a stored PLB row.
func (r *plbRow) item() *plbItem {
	rc := *r
	return &plbItem{pos: r.pos, position: r.position, practiceID: r.practiceID, payer: r.payer, rematch: true, prevRow: &rc,
		plb: match.PLB{Ref: fmt.Sprintf("%d:%d:%d", r.pos.file, r.pos.seg, r.position), ProviderID: r.providerID,
			FiscalPeriod: r.fiscalPeriod, Reason: r.reason, Reference: r.reference, Amount: r.amount}}
}

// loadPLBs reads plb_links rows (alias l) selected by where.
func loadPLBs(ctx context.Context, q billedstore.DBTX, where string, args ...any) ([]*plbRow, error) {
	rows, err := q.QueryxContext(ctx, `SELECT l.file_id, l.segment_index, l.position, l.practice_id, l.payer_code,
		l.provider_id, coalesce(l.fiscal_period_date::text, ''), l.reason_code, l.kind, l.reference, l.amount, l.method,
		l.confidence, l.review, coalesce(l.payer_claim_control, ''), coalesce(l.prior_file_id, 0),
		coalesce(l.prior_segment, 0), coalesce(l.billed_claim_id, 0), l.revision FROM plb_links l `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("matchsvc: read PLB links: %w", err)
	}
	defer rows.Close()
	var out []*plbRow
	for rows.Next() {
		r := &plbRow{}
		var fp string
		if err := rows.Scan(&r.pos.file, &r.pos.seg, &r.position, &r.practiceID, &r.payer, &r.providerID, &fp, &r.reason,
			&r.kind, &r.reference, &r.amount, &r.method, &r.confidence, &r.review, &r.payerControl, &r.prior.file,
			&r.prior.seg, &r.billedClaim, &r.revision); err != nil {
			return nil, err
		}
		r.fiscalPeriod = x12Date(fp)
		out = append(out, r)
	}
	return out, rows.Err()
}

// prefetch loads every billed claim the batch may look up: by CLM01 (and
// PLB03-2), by the REF*6R not found that way, and by member for the claims
// that found neither (the fuzzy rung).
func (e *engine) prefetch(ctx context.Context, q billedstore.DBTX, c *cands, work []*item, plbs []*plbItem) error {
	var keys []billedstore.Key
	for _, it := range work {
		keys = append(keys, billedstore.Key{PracticeID: it.practiceID, Value: it.pc.PatientControl})
	}
	for _, p := range plbs {
		if p.existing {
			continue
		}
		for _, k := range p.keys() {
			keys = append(keys, billedstore.Key{PracticeID: p.practiceID, Value: k.b})
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
			if _, ok := c.byLCN[pkey{it.practice(), l.LineControl}]; !ok {
				keys = append(keys, billedstore.Key{PracticeID: it.practiceID, Value: l.LineControl})
			}
		}
	}
	if list, err = billedstore.ByLineControl(ctx, q, keys); err != nil {
		return err
	}
	c.addClaims(list)
	keys = keys[:0]
	for _, it := range work {
		if len(c.byPCN[pkey{it.practice(), it.pc.PatientControl}]) > 0 {
			continue
		}
		viaLCN := false
		for _, l := range it.pc.Lines {
			if _, ok := c.byLCN[pkey{it.practice(), l.LineControl}]; ok && l.LineControl != "" {
				viaLCN = true
				break
			}
		}
		if viaLCN {
			continue
		}
		for _, id := range []string{it.pc.MemberID, it.pc.PatientID} {
			if id != "" {
				keys = append(keys, billedstore.Key{PracticeID: it.practiceID, Value: id})
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
	var redo, unpend []pos
	cb := pgcopy.NewBuf("match_claims", claimCols...)
	lb := pgcopy.NewBuf("line_matches", lineCols...)
	pb := pgcopy.NewBuf("match_pending", pendingCols...)
	now := time.Now()
	var ob []*item
	for _, it := range work {
		if it.rematch && !it.changed {
			// Nothing new: only a retry's mark is cleared.
			if retry {
				unpend = append(unpend, it.pos)
			}
			continue
		}
		if it.rematch {
			redo = append(redo, it.pos)
			ob = append(ob, it)
		}
		it.claim.copyTo(cb)
		for i := range it.lines {
			it.lines[i].copyTo(lb)
		}
		if it.pending != nil {
			unpend = append(unpend, it.pos)
		}
		if it.res.NeedsReview() {
			pr := pendingRow{pos: it.pos, practiceID: it.practiceID, payer: it.payer, pcn: it.pc.PatientControl,
				payerControl: it.pc.PayerControl, unmatched: it.res.Unmatched(), payload: it.payload, queuedAt: now}
			for _, l := range it.pc.Lines {
				if l.LineControl != "" && !slices.Contains(pr.lcns, l.LineControl) {
					pr.lcns = append(pr.lcns, l.LineControl)
				}
			}
			if it.pending != nil {
				pr.queuedAt, pr.attempts = it.pending.queuedAt, it.pending.attempts+1
			}
			pr.copyTo(pb)
		}
	}
	files, segs := posArrays(redo)
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
		f2, s2 := posArrays(unpend)
		if _, err := q.ExecContext(ctx, `DELETE FROM match_pending p WHERE p.file_id = ANY($1) AND p.segment_index = ANY($2)
			AND (p.file_id, p.segment_index) IN (SELECT * FROM unnest($1::bigint[], $2::int[]))`, pq.Array(f2), pq.Array(s2)); err != nil {
			return fmt.Errorf("matchsvc: update pending: %w", err)
		}
		// A claim still waiting whose answer did not change keeps its row.
		for _, it := range work {
			if it.rematch && !it.changed && retry && it.pending != nil && it.res.NeedsReview() {
				pr := pendingRow{pos: it.pos, practiceID: it.practiceID, payer: it.payer, pcn: it.pc.PatientControl,
					payerControl: it.pc.PayerControl, unmatched: it.prev.result().Unmatched(), payload: it.payload,
					queuedAt: it.pending.queuedAt, attempts: it.pending.attempts + 1}
				for _, l := range it.pc.Lines {
					if l.LineControl != "" && !slices.Contains(pr.lcns, l.LineControl) {
						pr.lcns = append(pr.lcns, l.LineControl)
					}
				}
				pr.copyTo(pb)
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
	b := pgcopy.NewBuf("plb_links", plbCols...)
	var files []int64
	var segs, posns []int32
	for _, p := range plbs {
		if p.existing {
			continue
		}
		if p.rematch {
			if p.prevRow != nil && p.row.method == p.prevRow.method && p.row.review == p.prevRow.review &&
				p.row.billedClaim == p.prevRow.billedClaim && p.row.prior == p.prevRow.prior {
				p.row.revision = p.prevRow.revision // unchanged: the retry mark is cleared below
			}
			files, segs, posns = append(files, p.pos.file), append(segs, p.pos.seg), append(posns, p.position)
		}
		p.row.copyTo(b)
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
		files[i], segs[i], revs[i], payloads[i] = it.pos.file, it.pos.seg, it.claim.revision, it.payload
	}
	if _, err := q.ExecContext(ctx, `INSERT INTO match_outbox (file_id, segment_index, revision, payload)
		SELECT * FROM unnest($1::bigint[], $2::int[], $3::int[], $4::bytea[]) ON CONFLICT DO NOTHING`,
		pq.Array(files), pq.Array(segs), pq.Array(revs), pq.ByteaArray(payloads)); err != nil {
		return fmt.Errorf("matchsvc: outbox: %w", err)
	}
	return nil
}

func x12Date(s string) x12.Date { return x12.Date(s) }
