package routesvc

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/route"
	"github.com/remitq/remitq/pkg/wire"
	"github.com/remitq/remitq/pkg/work"
	"github.com/remitq/remitq/pkg/workstore"
)

// batchKeys are the item keys a batch reads (sorted) and the payer codes
// of its lines that may open work.
func batchKeys(lines []*line) (keys, payerCodes []string) {
	seen := map[string]bool{}
	for _, l := range lines {
		for _, k := range append([]string{l.key, l.paidKey}, l.earlier...) {
			if k != "" && !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
		if l.d.WorkItem != route.NoWork {
			payerCodes = append(payerCodes, wire.PayerKey(l.m))
		}
	}
	slices.Sort(keys)
	return keys, payerCodes
}

// lockedKeys are the keys a batch locks before reading (workstore.Tx.LockKeys):
// those of the lines that open work, settle it, or re-match an unmatched
// line. Lines that do neither (most paid lines) take no lock.
func lockedKeys(lines []*line) []string {
	var keys []string
	for _, l := range lines {
		if l.d.WorkItem == route.NoWork && !settles(l) && l.paidKey == "" {
			continue
		}
		for _, k := range append([]string{l.key, l.paidKey}, l.earlier...) {
			if k != "" {
				keys = append(keys, k)
			}
		}
	}
	return keys
}

// settlementKeys are the keys whose settlements a batch reads: only a line
// that may create an item can meet a settlement.
func settlementKeys(lines []*line) []string {
	var keys []string
	for _, l := range lines {
		if l.d.WorkItem != route.NoWork {
			keys = append(keys, append([]string{l.key}, l.earlier...)...)
		}
		if l.paidKey != "" {
			keys = append(keys, l.paidKey)
		}
	}
	return keys
}

// store writes the batch's work items in one transaction and returns the
// counts of items created, updated, resolved and reopened.
func (s *Service) store(ctx context.Context, lines []*line) (map[string]int, error) {
	if err := s.paidKeys(ctx, lines); err != nil {
		return nil, err
	}
	if err := s.earlierVersions(ctx, lines); err != nil {
		return nil, err
	}
	keys, payerCodes := batchKeys(lines)
	if len(keys) == 0 {
		return nil, nil
	}
	payers, err := s.payerIDs(ctx, payerCodes)
	if err != nil {
		return nil, err
	}
	tx, err := s.ws.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if err := tx.LockKeys(ctx, lockedKeys(lines)); err != nil {
		return nil, err
	}
	items, err := tx.LoadItems(ctx, keys)
	if err != nil {
		return nil, err
	}
	settled, err := tx.LoadSettlements(ctx, settlementKeys(lines))
	if err != nil {
		return nil, err
	}
	b := &batchState{items: items, settled: settled, payers: payers}
	for _, l := range lines {
		b.apply(l)
	}
	events := b.events
	created := map[queueKey]int64{}
	if err := s.write(ctx, tx, items, events, settled, created); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	s.cache.keepQueues(created)
	counts := map[string]int{}
	for _, e := range events {
		counts[e.Action]++
	}
	return counts, nil
}

// write stores the batch's new and changed items (new ones in their
// queues), its events and settlements in tx.
func (s *Service) write(ctx context.Context, tx *workstore.Tx, items map[string]*workstore.Item, events []*workstore.Event,
	settled map[string]*workstore.Settlement, created map[queueKey]int64) error {
	var ins, upd []*workstore.Item
	for _, it := range items {
		switch {
		case it.ID == 0:
			ins = append(ins, it)
		case it.Dirty:
			upd = append(upd, it)
		}
	}
	slices.SortFunc(ins, func(a, b *workstore.Item) int { return strings.Compare(a.Key, b.Key) })
	for _, it := range ins {
		if err := s.assignQueue(ctx, tx, it, created); err != nil {
			return err
		}
	}
	if err := tx.InsertItems(ctx, ins); err != nil {
		return err
	}
	if err := tx.UpdateItems(ctx, upd); err != nil {
		return err
	}
	if err := tx.InsertEvents(ctx, events); err != nil {
		return err
	}
	return tx.SaveSettlements(ctx, settled)
}

// paidKeys finds the stored paid lines (and claims) of the lines that need
// them: work items record them, and lines without a billed key are keyed by
// them.
func (s *Service) paidKeys(ctx context.Context, lines []*line) error {
	var refs []workstore.PaidRef
	var need []*line
	for _, l := range lines {
		// A revision may settle the unmatched item of its paid line, even
		// when the line it found needs no work (paid in full).
		if l.d.WorkItem == route.NoWork && revision(l.m) == 0 {
			continue
		}
		need = append(need, l)
		refs = append(refs, workstore.PaidRef{File: l.fileID, Segment: l.segment, Claim: l.claim})
	}
	if len(need) == 0 {
		return nil
	}
	stored, err := s.ws.PaidLines(ctx, refs)
	if err != nil {
		return err
	}
	for _, l := range need {
		ids, ok := stored[workstore.PaidRef{File: l.fileID, Segment: l.segment, Claim: l.claim}]
		l.slpID, l.cpID = ids.ServiceLine, ids.Claim
		var paid string
		switch {
		case ok && l.claim:
			paid = "paid_claim:" + strconv.FormatInt(l.cpID, 10)
		case ok:
			paid = "paid_line:" + strconv.FormatInt(l.slpID, 10)
		case l.claim:
			paid = "paid_claim:" + l.m.GetSource().GetFileSha256() + ":" + strconv.Itoa(int(l.segment))
		default:
			paid = "paid_line:" + l.m.GetSource().GetFileSha256() + ":" + strconv.Itoa(int(l.segment))
		}
		if l.key == "" {
			l.key = paid
		} else if revision(l.m) > 0 {
			l.paidKey = paid
		}
	}
	return nil
}

// earlierVersions finds, for lines matched to a billed line, the same line
// (same LX) of the earlier versions of its claim: a corrected claim
// (frequency 7) replaces the claim a denial was worked on, and the payment
// of the corrected line settles the item of the original.
func (s *Service) earlierVersions(ctx context.Context, lines []*line) error {
	var ids, claims []int64
	byID := map[int64][]*line{}
	seenClaim := map[int64]bool{}
	for _, l := range lines {
		l.earlier = l.earlier[:0]
		if id := l.m.GetBilledLineId(); id > 0 && !l.claim {
			if c := l.m.GetBilledClaimId(); c > 0 && !seenClaim[c] {
				seenClaim[c] = true
				claims = append(claims, c)
			}
			if byID[id] == nil {
				ids = append(ids, id)
			}
			byID[id] = append(byID[id], l)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	old, err := s.ws.EarlierVersions(ctx, ids, claims)
	if err != nil {
		return err
	}
	for start, olds := range old {
		for _, l := range byID[start] {
			for _, o := range olds {
				l.earlier = append(l.earlier, "billed_line:"+strconv.FormatInt(o, 10))
			}
		}
	}
	return nil
}

func nullID(v int64) sql.NullInt64 { return sql.NullInt64{Int64: v, Valid: v > 0} }

// facts fills the parts of an item a decision gives, and returns the names
// of the fields that changed.
func facts(it *workstore.Item, l *line) []string {
	m, d := l.m, &l.d
	p := m.GetLine()
	sl := p.GetLine()
	var changed []string
	setS := func(name string, dst *string, v string) {
		if *dst != v {
			*dst = v
			changed = append(changed, name)
		}
	}
	setA := func(name string, dst *money.Amount, v money.Amount) {
		if *dst != v {
			*dst = v
			changed = append(changed, name)
		}
	}
	setL := func(name string, dst *[]string, v []string) {
		if !slices.Equal(*dst, v) {
			*dst = slices.Clone(v)
			changed = append(changed, name)
		}
	}
	setS("kind", &it.Kind, string(d.WorkItem))
	setS("disposition", &it.Disposition, string(d.Disposition))
	setS("category", &it.Category, string(d.Category))
	setS("text", &it.Text, d.Text)
	setS("action", &it.Action, d.Action)
	it.Route = d.Route
	setS("rule", &it.Rule, d.Rule)
	setL("carc", &it.CARC, d.CARC)
	setL("rarc", &it.RARC, d.RARC)
	code, mods := billedProcedure(l)
	setS("procedure_code", &it.Procedure, code)
	setL("modifiers", &it.Modifiers, mods)
	paid, billed := money.Amount(sl.GetPaidCents()), money.Amount(sl.GetChargeCents())
	if l.claim {
		paid, billed = money.Amount(p.GetClaim().GetPaidCents()), money.Amount(p.GetClaim().GetChargeCents())
	}
	fromBilled := false
	if b := m.GetBilled(); b != nil && b.GetChargeCents() != 0 && (l.claim || b.GetLineNumber() > 0) {
		billed, fromBilled = money.Amount(b.GetChargeCents()), true
	}
	setA("billed_amount", &it.Billed, billed)
	setA("paid_amount", &it.Paid, paid)
	atRisk := d.AmountAtRisk
	// Matched: never more at risk than was billed (the router caps it too;
	// this holds whatever router decided).
	if fromBilled && d.WorkItem != route.UnmatchedRemittance && billed > 0 && atRisk > billed {
		atRisk = billed
	}
	setA("amount_at_risk", &it.AtRisk, atRisk)
	if it.Deadline != d.AppealDeadline {
		it.Deadline = d.AppealDeadline
		changed = append(changed, "appeal_deadline")
	}
	if it.Priority != d.Priority {
		it.Priority = d.Priority
		changed = append(changed, "priority")
	}
	setS("payer_claim_control", &it.PayerControl, p.GetClaim().GetPayerClaimControlNumber())
	it.PatientControl = p.GetClaim().GetPatientControlNumber()
	if it.ID == 0 || l.slpID > 0 {
		it.ServiceLineID = nullID(l.slpID)
	}
	if it.ID == 0 || l.cpID > 0 {
		it.ClaimPaymentID = nullID(l.cpID)
	}
	it.BilledClaimID, it.BilledLineID = nullID(m.GetBilledClaimId()), nullID(m.GetBilledLineId())
	if l.claim {
		it.BilledLineID = sql.NullInt64{}
	}
	return changed
}

// provider is the rendering NPI of a line: the billed claim's, else the
// remit's.
func provider(l *line) string {
	if n := l.m.GetBilled().GetRenderingNpi(); n != "" {
		return n
	}
	if n := l.m.GetLine().GetClaim().GetRenderingProviderNpi(); n != "" {
		return n
	}
	for _, r := range l.m.GetLine().GetLine().GetReferences() {
		if r.GetQualifier() == "HPI" {
			return r.GetValue()
		}
	}
	return ""
}

// billedProcedure is the code and modifiers an item names: the billed
// line's when the paid line matched one (the payer may have adjudicated
// another code: 77003 denied as part of 62323), else the paid line's;
// none for a claim.
func billedProcedure(l *line) (string, []string) {
	if l.claim {
		return "", nil
	}
	if b := l.m.GetBilled(); b != nil && b.GetLineNumber() > 0 && b.GetProcedureCode() != "" {
		return b.GetProcedureCode(), b.GetModifiers()
	}
	p := l.m.GetLine().GetLine().GetProcedure()
	return p.GetCode(), p.GetModifiers()
}

func source(l *line) map[string]any {
	src := l.m.GetSource()
	d := map[string]any{"file_id": src.GetFileId(), "file_sha256": src.GetFileSha256(), "segment": src.GetSegmentIndex(),
		"disposition": l.d.Disposition}
	// The code as the payer adjudicated it, when the item names another
	// (the billed one).
	if !l.claim {
		p := l.m.GetLine().GetLine().GetProcedure()
		if code, mods := billedProcedure(l); code != p.GetCode() || !slices.Equal(mods, p.GetModifiers()) {
			d["paid_procedure_code"] = p.GetCode()
			if len(p.GetModifiers()) > 0 {
				d["paid_modifiers"] = p.GetModifiers()
			}
		}
	}
	if r := revision(l.m); r > 0 {
		d["revision"] = r
	}
	return d
}

// batchState is what a batch's lines are applied to: the items read (and
// created), the settlements read (and recorded), the payers by code, and
// the events so far.
type batchState struct {
	items   map[string]*workstore.Item
	settled map[string]*workstore.Settlement
	payers  map[string]int64
	events  []*workstore.Event
}

func (b *batchState) event(e *workstore.Event) { b.events = append(b.events, e) }

// settle records a settlement under key unless a later one is kept.
func (b *batchState) settle(key string, l *line, resolution string, detail map[string]any) {
	if st := b.settled[key]; st == nil || st.RoutedKey < l.order {
		b.settled[key] = &workstore.Settlement{RoutedKey: l.order, Paid: paidOf(l), Resolution: resolution, Detail: detail, Dirty: true}
	}
}

// apply applies one line to the batch's items, in message order.
func (b *batchState) apply(l *line) {
	b.matchedLater(l)
	if l.key == "" {
		return
	}
	if it := b.find(l); it != nil {
		b.update(it, l)
	} else {
		b.create(l)
	}
}

// matchedLater settles the unmatched-remittance item of the paid line of a
// revision that matched a line the matcher first could not.
func (b *batchState) matchedLater(l *line) {
	if l.paidKey == "" || l.paidKey == l.key {
		return
	}
	it := b.items[l.paidKey]
	switch {
	case it != nil && work.Open(it.Status) && it.Kind == string(route.UnmatchedRemittance) && l.order > it.RoutedKey:
		from := it.Status
		it.Status, it.RoutedKey, it.Dirty, it.Bump, it.ResolvedNow = work.Resolved, l.order, true, true, true
		it.Resolution = matchedLater(l)
		it.AtRisk, it.Priority = 0, 0
		b.event(&workstore.Event{Item: it, Action: "resolved", From: from, To: work.Resolved, Detail: matchedLaterDetail(l)})
	case it == nil:
		// The revision overtook the unmatched line it re-matches (two
		// batches at once, a redelivery): keep the match, and the
		// unmatched item opens resolved when that line is routed.
		b.settle(l.paidKey, l, matchedLater(l), matchedLaterDetail(l))
	}
}

// find returns the line's item, or the item of the same line of an
// earlier version of its claim (the practice's corrected claim, CLM05-3 =
// 7: the item follows the line, and l.key becomes its key).
func (b *batchState) find(l *line) *workstore.Item {
	if it := b.items[l.key]; it != nil {
		return it
	}
	for _, k := range l.earlier {
		if it := b.items[k]; it != nil {
			l.key = k
			return it
		}
	}
	return nil
}

// create opens the item of a line that has none and needs work (resolved
// at once when a newer payment already settled the line); a line that
// needs none but settles its line records the settlement.
func (b *batchState) create(l *line) {
	if l.d.WorkItem == route.NoWork {
		if settles(l) {
			for _, k := range append([]string{l.key}, l.earlier...) {
				b.settle(k, l, resolution(l, 0), source(l))
			}
		}
		return
	}
	it := &workstore.Item{Key: l.key, Practice: l.practice, Provider: provider(l), Status: work.New, RoutedKey: l.order}
	if id, ok := b.payers[wire.PayerKey(l.m)]; ok {
		it.PayerID = sql.NullInt64{Int64: id, Valid: true}
	}
	it.ServiceDate = serviceDate(l)
	it.RemitDate, _ = wire.RemitDate(l.m)
	facts(it, l)
	b.items[l.key] = it
	b.event(&workstore.Event{Item: it, Action: "created", To: work.New, Detail: source(l)})
	if st := b.settled[l.key]; st != nil && st.RoutedKey > l.order {
		// A newer payment already settled the line.
		rec := max(0, st.Paid-it.Paid)
		it.Recovered, it.Paid, it.RoutedKey = rec, st.Paid, st.RoutedKey
		it.Status, it.ResolvedNow, it.AtRisk, it.Priority = work.Resolved, true, 0, 0
		it.Resolution = strings.Replace(st.Resolution, "0.00 recovered", rec.String()+" recovered", 1)
		b.event(&workstore.Event{Item: it, Action: "resolved", From: work.New, To: work.Resolved, Amount: &rec, Detail: st.Detail})
	}
}

// update applies a later remit to an existing item: new facts (reopening a
// resolved item), or a payment that makes the line whole. A redelivered or
// older remit changes nothing.
func (b *batchState) update(it *workstore.Item, l *line) {
	d := &l.d
	if l.order <= it.RoutedKey {
		return // redelivered, or older than what the item has seen
	}
	it.RoutedKey, it.Dirty = l.order, true
	switch {
	case hasFlag(l, "duplicate_remit"):
		// The payer sent the same adjudication again: it changes nothing,
		// not even the appeal clock.
	case d.WorkItem != route.NoWork:
		changed := facts(it, l)
		if it.Status == work.Resolved {
			from := it.Status
			it.Status, it.Resolution, it.Bump = work.New, "", true
			det := source(l)
			det["changed"] = changed
			b.event(&workstore.Event{Item: it, Action: "reopened", From: from, To: work.New, Detail: det})
		} else if len(changed) > 0 {
			it.Bump = true
			det := source(l)
			det["changed"] = changed
			b.event(&workstore.Event{Item: it, Action: "updated", From: it.Status, To: it.Status, Detail: det})
		}
	case work.Open(it.Status) && (d.Disposition == route.Paid || d.Disposition == route.PatientResponsibility || d.Disposition == route.Contractual):
		newPaid := paidOf(l)
		rec := max(0, newPaid-it.Paid)
		from := it.Status
		it.Recovered += rec
		it.Paid = newPaid
		it.Status, it.Bump, it.ResolvedNow = work.Resolved, true, true
		it.Resolution = resolution(l, rec)
		it.AtRisk, it.Priority = 0, 0
		b.event(&workstore.Event{Item: it, Action: "resolved", From: from, To: work.Resolved, Amount: &rec, Detail: source(l)})
	}
}

// matchedLater is the resolution of an unmatched-remittance item whose paid
// line the matcher matched later (a late claim, a retry, a person's pick).
func matchedLater(l *line) string {
	return "Matched later to billed claim " + l.m.GetBilled().GetPatientControlNumber() + " (matcher revision " +
		strconv.Itoa(int(revision(l.m))) + "); the work continues on the billed line's item, if it needs any."
}

// matchedLaterDetail is the event detail of that resolution: reason
// "matched_later" and the billed line found.
func matchedLaterDetail(l *line) map[string]any {
	d := source(l)
	d["reason"] = "matched_later"
	if id := l.m.GetBilledClaimId(); id > 0 {
		d["billed_claim_id"] = id
	}
	if id := l.m.GetBilledLineId(); id > 0 {
		d["billed_line_id"] = id
	}
	return d
}

// one (correction), of a corrected claim version, or a matcher's revision.
func settles(l *line) bool {
	d := l.d.Disposition
	if d != route.Paid && d != route.PatientResponsibility && d != route.Contractual {
		return false
	}
	return l.m.GetNetsAgainst() != nil || len(l.earlier) > 0 || revision(l.m) > 0 || hasFlag(l, "correction")
}

func hasFlag(l *line, f string) bool {
	return slices.Contains(l.m.GetFlags(), f)
}

func paidOf(l *line) money.Amount {
	if l.claim {
		return money.Amount(l.m.GetLine().GetClaim().GetPaidCents())
	}
	return money.Amount(l.m.GetLine().GetLine().GetPaidCents())
}

func serviceDate(l *line) day.Day {
	s := l.m.GetLine().GetLine().GetServiceDateFrom()
	if s == "" {
		s = l.m.GetLine().GetClaim().GetServiceDateFrom()
	}
	if s == "" {
		s = l.m.GetBilled().GetServiceDate()
	}
	d, _ := day.Parse(s)
	return d
}

// resolution is the sentence a resolved item keeps.
func resolution(l *line, rec money.Amount) string {
	remit, _ := wire.RemitDate(l.m)
	var what string
	switch l.d.Disposition {
	case route.Paid:
		what = "Paid " + money.Amount(l.m.GetLine().GetLine().GetPaidCents()).String()
		if l.claim {
			what = "Paid " + money.Amount(l.m.GetLine().GetClaim().GetPaidCents()).String()
		}
	case route.PatientResponsibility:
		what = "The balance moved to the patient"
	default:
		what = "Closed as a contractual adjustment"
	}
	for _, f := range l.m.GetFlags() {
		if f == "correction" {
			what += " on the payer's corrected claim"
			break
		}
	}
	return what + " by the remit of " + remit.String() + "; " + rec.String() + " recovered."
}

// assignQueue picks a new item's queue by the queue rules.
func (s *Service) assignQueue(ctx context.Context, tx *workstore.Tx, it *workstore.Item, created map[queueKey]int64) error {
	rules, err := s.queueRules(ctx, tx, it.Practice)
	if err != nil {
		return fmt.Errorf("queue rules: %w", err)
	}
	// No rule: the queue of the item's work route from the payer profile
	// (an appeal, a reopening, a corrected claim, a patient bill), else
	// "default".
	name := "default"
	if it.Route != "" {
		name = it.Route
	}
	for i := range rules {
		if rules[i].Matches(it) {
			name = rules[i].QueueName
			break
		}
	}
	id, err := s.queueID(ctx, tx, it.Practice, name, created)
	if err != nil {
		return fmt.Errorf("queue %q: %w", name, err)
	}
	it.QueueID = sql.NullInt64{Int64: id, Valid: true}
	return nil
}
