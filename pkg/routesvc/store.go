package routesvc

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/route"
	"github.com/remitq/remitq/pkg/wire"
)

// workItem is a work_items row as the router writes it.
type workItem struct {
	id       int64 // 0: not inserted yet
	key      string
	practice int64
	provider string
	payerID  sql.NullInt64
	queueID  sql.NullInt64

	kind, disposition, category string
	cpID, slpID, bcID, blID     sql.NullInt64
	pcn, payerControl           string
	procedure                   string
	modifiers                   []string
	serviceDate                 route.Date
	carc, rarc                  []string
	text, action, rule          string
	billed, paid, atRisk        money.Amount
	recovered                   money.Amount
	remitDate, deadline         route.Date
	priority                    int
	status, resolution          string
	routedKey                   string
	// route is the decision's work route from the payer profile (appeal,
	// reopening, corrected_claim, ...; "" without a profile): the queue of
	// a new item no queue rule picks. Not stored.
	route string

	dirty, bump bool // changed; facts changed (version + 1)
	resolvedNow bool
}

// event is a work_item_events row.
type event struct {
	item     *workItem
	action   string
	from, to string
	amount   *money.Amount
	detail   map[string]any
}

// ErrConcurrentCreate fails a batch's transaction when another router
// created some of its new items between reading and inserting them (two
// routers on lines of the same billed line at the same moment). The batch
// is stored again at once and then updates the items that now exist: each
// item is created once.
var ErrConcurrentCreate = errors.New("routesvc: work items created by another router meanwhile")

// open reports a status a person (or the router) still works.
func open(status string) bool { return status != "resolved" && status != "written_off" }

// store writes the batch's work items in one transaction and returns the
// counts of items created, updated, resolved and reopened.
func (s *Service) store(ctx context.Context, lines []*line) (map[string]int, error) {
	if err := s.paidKeys(ctx, lines); err != nil {
		return nil, err
	}
	if err := s.earlierVersions(ctx, lines); err != nil {
		return nil, err
	}
	var keys []string
	seen := map[string]bool{}
	var payerCodes []string
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
	if len(keys) == 0 {
		return nil, nil
	}
	payers, err := s.payerIDs(ctx, s.deps.DB, payerCodes)
	if err != nil {
		return nil, err
	}
	tx, err := s.deps.DB.BeginTxx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if err := lockKeys(ctx, tx, lines); err != nil {
		return nil, err
	}
	slices.Sort(keys)
	items, err := loadItems(ctx, tx, keys)
	if err != nil {
		return nil, err
	}
	// Only a line that may create an item can meet a settlement.
	var workKeys []string
	for _, l := range lines {
		if l.d.WorkItem != route.NoWork {
			workKeys = append(workKeys, append([]string{l.key}, l.earlier...)...)
		}
		if l.paidKey != "" {
			workKeys = append(workKeys, l.paidKey)
		}
	}
	settled, err := loadSettlements(ctx, tx, workKeys)
	if err != nil {
		return nil, err
	}
	var events []*event
	for _, l := range lines {
		events = s.apply(l, items, settled, payers, events)
	}
	created := map[queueKey]int64{}
	var ins, upd []*workItem
	for _, it := range items {
		switch {
		case it.id == 0:
			ins = append(ins, it)
		case it.dirty:
			upd = append(upd, it)
		}
	}
	slices.SortFunc(ins, func(a, b *workItem) int { return strings.Compare(a.key, b.key) })
	for _, it := range ins {
		if err := s.assignQueue(ctx, tx, it, created); err != nil {
			return nil, err
		}
	}
	if err := insertItems(ctx, tx, ins); err != nil {
		return nil, err
	}
	if err := updateItems(ctx, tx, upd); err != nil {
		return nil, err
	}
	if err := insertEvents(ctx, tx, events); err != nil {
		return nil, err
	}
	if err := saveSettlements(ctx, tx, settled); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	s.cache.keepQueues(created)
	counts := map[string]int{}
	for _, e := range events {
		counts[e.action]++
	}
	return counts, nil
}

// paidKeys finds the stored paid lines (and claims) of the lines that need
// them: work items record them, and lines without a billed key are keyed by
// them.
func (s *Service) paidKeys(ctx context.Context, lines []*line) error {
	var files []int64
	var segs []int32
	var need []*line
	for _, l := range lines {
		// A revision may settle the unmatched item of its paid line, even
		// when the line it found needs no work (paid in full).
		if l.d.WorkItem == route.NoWork && revision(l.m) == 0 {
			continue
		}
		need = append(need, l)
		files, segs = append(files, l.fileID), append(segs, l.segment)
	}
	if len(need) == 0 {
		return nil
	}
	type pk struct {
		file int64
		seg  int32
	}
	slp := map[pk][2]int64{}
	rows, err := s.deps.DB.QueryContext(ctx, `SELECT k.f, k.g, s.id, s.claim_payment_id FROM unnest($1::bigint[], $2::int[]) AS k(f, g)
		JOIN service_line_payments s ON s.file_id = k.f AND s.segment_index = k.g
		UNION ALL
		SELECT k.f, k.g, 0, c.id FROM unnest($1::bigint[], $2::int[]) AS k(f, g)
		JOIN claim_payments c ON c.file_id = k.f AND c.segment_index = k.g`, pq.Array(files), pq.Array(segs))
	if err != nil {
		return fmt.Errorf("paid lines: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k pk
		var sid, cid int64
		if err := rows.Scan(&k.file, &k.seg, &sid, &cid); err != nil {
			return err
		}
		slp[k] = [2]int64{sid, cid}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, l := range need {
		ids, stored := slp[pk{l.fileID, l.segment}]
		l.slpID, l.cpID = ids[0], ids[1]
		var paid string
		switch {
		case stored && l.claim:
			paid = "paid_claim:" + strconv.FormatInt(l.cpID, 10)
		case stored:
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
	// Most claims are first versions: the partial index on replacements
	// answers for them without touching the lines.
	rows, err := s.deps.DB.QueryContext(ctx, `WITH RECURSIVE v(start, claim, line_number, depth) AS (
			SELECT bl.id, bc.replaces_claim_id, bl.line_number, 1
			FROM billed_claims bc JOIN billed_lines bl ON bl.billed_claim_id = bc.id
			WHERE bc.id = ANY($2) AND bc.replaces_claim_id IS NOT NULL AND bl.id = ANY($1)
		UNION ALL
			SELECT v.start, bc.replaces_claim_id, v.line_number, v.depth + 1
			FROM v JOIN billed_claims bc ON bc.id = v.claim
			WHERE bc.replaces_claim_id IS NOT NULL AND v.depth < 20
		)
		SELECT v.start, ol.id FROM v JOIN billed_lines ol ON ol.billed_claim_id = v.claim AND ol.line_number = v.line_number
		ORDER BY v.start, v.depth`, pq.Array(ids), pq.Array(claims))
	if err != nil {
		return fmt.Errorf("earlier claim versions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var start, old int64
		if err := rows.Scan(&start, &old); err != nil {
			return err
		}
		for _, l := range byID[start] {
			l.earlier = append(l.earlier, "billed_line:"+strconv.FormatInt(old, 10))
		}
	}
	return rows.Err()
}

const itemColumns = `id, dedupe_key, practice_id, provider_npi, payer_id, queue_id, kind, disposition, category,
	claim_payment_id, service_line_id, billed_claim_id, billed_line_id, patient_control_number, payer_claim_control,
	procedure_code, modifiers, COALESCE(to_char(service_date, 'YYYY-MM-DD'), ''), carc, rarc, text, action, rule,
	billed_amount, paid_amount, amount_at_risk, recovered_amount, COALESCE(to_char(remit_date, 'YYYY-MM-DD'), ''),
	COALESCE(to_char(appeal_deadline, 'YYYY-MM-DD'), ''), priority, status, resolution, routed_key`

// lockKeys takes a transaction-level advisory lock on every item key the
// batch may create an item or a settlement for, in ascending lock order,
// before anything is read. Row locks cover items that exist; these cover
// the ones that do not yet: without them a batch creating a line's item and
// a concurrent batch recording that line's settlement (its corrected
// payment) could each miss the other, and the item would stay open though
// paid. Lines that neither open work nor settle it (most paid lines) take
// no lock.
func lockKeys(ctx context.Context, tx *sqlx.Tx, lines []*line) error {
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
	if len(keys) == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(h) FROM (
		SELECT DISTINCT hashtextextended('remitq.work_item:' || k, 0) AS h FROM unnest($1::text[]) AS k ORDER BY 1) AS s`,
		pq.Array(keys))
	if err != nil {
		return fmt.Errorf("lock item keys: %w", err)
	}
	return nil
}

// loadItems reads and locks the items with the given keys.
func loadItems(ctx context.Context, tx *sqlx.Tx, keys []string) (map[string]*workItem, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+itemColumns+` FROM work_items WHERE dedupe_key = ANY($1) ORDER BY id FOR UPDATE`,
		pq.Array(keys))
	if err != nil {
		return nil, fmt.Errorf("read work items: %w", err)
	}
	defer rows.Close()
	out := make(map[string]*workItem, len(keys))
	for rows.Next() {
		it := &workItem{}
		var mods, carcs, rarcs pq.StringArray
		var sd, rd, dl string
		if err := rows.Scan(&it.id, &it.key, &it.practice, &it.provider, &it.payerID, &it.queueID, &it.kind, &it.disposition,
			&it.category, &it.cpID, &it.slpID, &it.bcID, &it.blID, &it.pcn, &it.payerControl, &it.procedure, &mods, &sd,
			&carcs, &rarcs, &it.text, &it.action, &it.rule, &it.billed, &it.paid, &it.atRisk, &it.recovered, &rd, &dl,
			&it.priority, &it.status, &it.resolution, &it.routedKey); err != nil {
			return nil, err
		}
		it.modifiers, it.carc, it.rarc = mods, carcs, rarcs
		it.serviceDate, _ = route.ParseDate(sd)
		it.remitDate, _ = route.ParseDate(rd)
		it.deadline, _ = route.ParseDate(dl)
		out[it.key] = it
	}
	return out, rows.Err()
}

func nullID(v int64) sql.NullInt64 { return sql.NullInt64{Int64: v, Valid: v > 0} }

// facts fills the parts of an item a decision gives, and returns the names
// of the fields that changed.
func facts(it *workItem, l *line) []string {
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
	setS("kind", &it.kind, string(d.WorkItem))
	setS("disposition", &it.disposition, string(d.Disposition))
	setS("category", &it.category, string(d.Category))
	setS("text", &it.text, d.Text)
	setS("action", &it.action, d.Action)
	it.route = d.Route
	setS("rule", &it.rule, d.Rule)
	setL("carc", &it.carc, d.CARC)
	setL("rarc", &it.rarc, d.RARC)
	code, mods := billedProcedure(l)
	setS("procedure_code", &it.procedure, code)
	setL("modifiers", &it.modifiers, mods)
	paid, billed := money.Amount(sl.GetPaidCents()), money.Amount(sl.GetChargeCents())
	if l.claim {
		paid, billed = money.Amount(p.GetClaim().GetPaidCents()), money.Amount(p.GetClaim().GetChargeCents())
	}
	fromBilled := false
	if b := m.GetBilled(); b != nil && b.GetChargeCents() != 0 && (l.claim || b.GetLineNumber() > 0) {
		billed, fromBilled = money.Amount(b.GetChargeCents()), true
	}
	setA("billed_amount", &it.billed, billed)
	setA("paid_amount", &it.paid, paid)
	atRisk := d.AmountAtRisk
	// Matched: never more at risk than was billed (the router caps it too;
	// this holds whatever router decided).
	if fromBilled && d.WorkItem != route.UnmatchedRemittance && billed > 0 && atRisk > billed {
		atRisk = billed
	}
	setA("amount_at_risk", &it.atRisk, atRisk)
	if it.deadline != d.AppealDeadline {
		it.deadline = d.AppealDeadline
		changed = append(changed, "appeal_deadline")
	}
	if it.priority != d.Priority {
		it.priority = d.Priority
		changed = append(changed, "priority")
	}
	setS("payer_claim_control", &it.payerControl, p.GetClaim().GetPayerClaimControlNumber())
	it.pcn = p.GetClaim().GetPatientControlNumber()
	if it.id == 0 || l.slpID > 0 {
		it.slpID = nullID(l.slpID)
	}
	if it.id == 0 || l.cpID > 0 {
		it.cpID = nullID(l.cpID)
	}
	it.bcID, it.blID = nullID(m.GetBilledClaimId()), nullID(m.GetBilledLineId())
	if l.claim {
		it.blID = sql.NullInt64{}
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

// apply applies one line to the batch's items, in message order.
func (s *Service) apply(l *line, items map[string]*workItem, settled map[string]*settlement, payers map[string]int64, events []*event) []*event {
	d := &l.d
	// A revision that matched a line the matcher first could not: the
	// unmatched-remittance item of the paid line is settled.
	if l.paidKey != "" && l.paidKey != l.key {
		it := items[l.paidKey]
		switch {
		case it != nil && open(it.status) && it.kind == string(route.UnmatchedRemittance) && l.order > it.routedKey:
			from := it.status
			it.status, it.routedKey, it.dirty, it.bump, it.resolvedNow = "resolved", l.order, true, true, true
			it.resolution = matchedLater(l)
			it.atRisk, it.priority = 0, 0
			events = append(events, &event{item: it, action: "resolved", from: from, to: "resolved", detail: matchedLaterDetail(l)})
		case it == nil:
			// The revision overtook the unmatched line it re-matches (two
			// batches at once, a redelivery): keep the match, and the
			// unmatched item opens resolved when that line is routed.
			if st := settled[l.paidKey]; st == nil || st.routedKey < l.order {
				settled[l.paidKey] = &settlement{routedKey: l.order, paid: paidOf(l), resolution: matchedLater(l),
					detail: matchedLaterDetail(l), dirty: true}
			}
		}
	}
	if l.key == "" {
		return events
	}
	it := items[l.key]
	for _, k := range l.earlier {
		if it != nil {
			break
		}
		// The practice's corrected claim (CLM05-3 = 7) for a line whose
		// earlier version has an item: the item follows the line.
		if it = items[k]; it != nil {
			l.key = k
		}
	}
	if it == nil {
		if d.WorkItem == route.NoWork {
			if settles(l) {
				for _, k := range append([]string{l.key}, l.earlier...) {
					if st := settled[k]; st == nil || st.routedKey < l.order {
						settled[k] = &settlement{routedKey: l.order, paid: paidOf(l), resolution: resolution(l, 0),
							detail: source(l), dirty: true}
					}
				}
			}
			return events
		}
		it = &workItem{key: l.key, practice: l.practice, provider: provider(l), status: "new", routedKey: l.order}
		if id, ok := payers[wire.PayerKey(l.m)]; ok {
			it.payerID = sql.NullInt64{Int64: id, Valid: true}
		}
		it.serviceDate = serviceDate(l)
		it.remitDate, _ = wire.RemitDate(l.m)
		facts(it, l)
		items[l.key] = it
		events = append(events, &event{item: it, action: "created", to: "new", detail: source(l)})
		if st := settled[l.key]; st != nil && st.routedKey > l.order {
			// A newer payment already settled the line.
			rec := max(0, st.paid-it.paid)
			it.recovered, it.paid, it.routedKey = rec, st.paid, st.routedKey
			it.status, it.resolvedNow, it.atRisk, it.priority = "resolved", true, 0, 0
			it.resolution = strings.Replace(st.resolution, "0.00 recovered", rec.String()+" recovered", 1)
			events = append(events, &event{item: it, action: "resolved", from: "new", to: "resolved", amount: &rec, detail: st.detail})
		}
		return events
	}
	if l.order <= it.routedKey {
		return events // redelivered, or older than what the item has seen
	}
	it.routedKey, it.dirty = l.order, true
	switch {
	case hasFlag(l, "duplicate_remit"):
		// The payer sent the same adjudication again: it changes nothing,
		// not even the appeal clock.
	case d.WorkItem != route.NoWork:
		changed := facts(it, l)
		if !open(it.status) && it.status == "resolved" {
			from := it.status
			it.status, it.resolution, it.bump = "new", "", true
			det := source(l)
			det["changed"] = changed
			events = append(events, &event{item: it, action: "reopened", from: from, to: "new", detail: det})
		} else if len(changed) > 0 {
			it.bump = true
			det := source(l)
			det["changed"] = changed
			events = append(events, &event{item: it, action: "updated", from: it.status, to: it.status, detail: det})
		}
	case open(it.status) && (d.Disposition == route.Paid || d.Disposition == route.PatientResponsibility || d.Disposition == route.Contractual):
		newPaid := paidOf(l)
		rec := max(0, newPaid-it.paid)
		from := it.status
		it.recovered += rec
		it.paid = newPaid
		it.status, it.bump, it.resolvedNow = "resolved", true, true
		it.resolution = resolution(l, rec)
		it.atRisk, it.priority = 0, 0
		det := source(l)
		events = append(events, &event{item: it, action: "resolved", from: from, to: "resolved", amount: &rec, detail: det})
	}
	return events
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

// settlement is a routed_settlements row.
type settlement struct {
	routedKey  string
	paid       money.Amount
	resolution string
	detail     map[string]any
	dirty      bool
}

// settles reports a line that makes its billed line whole and may have been
// routed before the denial it settles: a payment netted against an earlier
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

func loadSettlements(ctx context.Context, tx *sqlx.Tx, keys []string) (map[string]*settlement, error) {
	out := map[string]*settlement{}
	if len(keys) == 0 {
		return out, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT dedupe_key, routed_key, paid_amount, resolution, detail FROM routed_settlements
		WHERE dedupe_key = ANY($1)`, pq.Array(keys))
	if err != nil {
		return nil, fmt.Errorf("read settlements: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var det []byte
		st := &settlement{}
		if err := rows.Scan(&k, &st.routedKey, &st.paid, &st.resolution, &det); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(det, &st.detail); err != nil {
			return nil, err
		}
		out[k] = st
	}
	return out, rows.Err()
}

func saveSettlements(ctx context.Context, tx *sqlx.Tx, settled map[string]*settlement) error {
	var keys, routed, paid, res, det []string
	for k, st := range settled {
		if !st.dirty {
			continue
		}
		b, err := json.Marshal(st.detail)
		if err != nil {
			return err
		}
		keys, routed, paid = append(keys, k), append(routed, st.routedKey), append(paid, st.paid.String())
		res, det = append(res, st.resolution), append(det, string(b))
	}
	if len(keys) == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO routed_settlements (dedupe_key, routed_key, paid_amount, resolution, detail)
		SELECT k, r, p::numeric, res, d::jsonb FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS u(k, r, p, res, d)
		ON CONFLICT (dedupe_key) DO UPDATE SET routed_key = EXCLUDED.routed_key, paid_amount = EXCLUDED.paid_amount,
			resolution = EXCLUDED.resolution, detail = EXCLUDED.detail, settled_at = now()
		WHERE routed_settlements.routed_key < EXCLUDED.routed_key`,
		pq.Array(keys), pq.Array(routed), pq.Array(paid), pq.Array(res), pq.Array(det))
	if err != nil {
		return fmt.Errorf("save settlements: %w", err)
	}
	return nil
}

func serviceDate(l *line) route.Date {
	s := l.m.GetLine().GetLine().GetServiceDateFrom()
	if s == "" {
		s = l.m.GetLine().GetClaim().GetServiceDateFrom()
	}
	if s == "" {
		s = l.m.GetBilled().GetServiceDate()
	}
	d, _ := route.ParseDate(s)
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
func (s *Service) assignQueue(ctx context.Context, tx *sqlx.Tx, it *workItem, created map[queueKey]int64) error {
	rules, err := s.queueRules(ctx, tx, it.practice)
	if err != nil {
		return fmt.Errorf("queue rules: %w", err)
	}
	// No rule: the queue of the item's work route from the payer profile
	// (an appeal, a reopening, a corrected claim, a patient bill), else
	// "default".
	name := "default"
	if it.route != "" {
		name = it.route
	}
	for i := range rules {
		if rules[i].matches(it) {
			name = rules[i].QueueName
			break
		}
	}
	id, err := s.queueID(ctx, tx, it.practice, name, created)
	if err != nil {
		return fmt.Errorf("queue %q: %w", name, err)
	}
	it.queueID = sql.NullInt64{Int64: id, Valid: true}
	return nil
}

// columns gathers the row values of items as arrays for unnest.
type columns struct {
	keys, providers, kinds, disps, cats, pcns, ctls, procs, mods, sdates, carcs, rarcs []string
	texts, actions, rules, billed, paid, atRisk, recovered, rdates, deadlines          []string
	statuses, resolutions, routed                                                      []string
	ids, practices                                                                     []int64
	payers, queues, cps, slps, bcs, bls                                                []sql.NullInt64
	priorities                                                                         []int64
	bumps, resolvedNow                                                                 []bool
}

func nullDate(d route.Date) string { return d.String() } // '' → NULL via NULLIF in SQL

func gather(items []*workItem) *columns {
	c := &columns{}
	for _, it := range items {
		c.ids = append(c.ids, it.id)
		c.keys = append(c.keys, it.key)
		c.practices = append(c.practices, it.practice)
		c.providers = append(c.providers, it.provider)
		c.payers = append(c.payers, it.payerID)
		c.queues = append(c.queues, it.queueID)
		c.kinds = append(c.kinds, it.kind)
		c.disps = append(c.disps, it.disposition)
		c.cats = append(c.cats, it.category)
		c.cps = append(c.cps, it.cpID)
		c.slps = append(c.slps, it.slpID)
		c.bcs = append(c.bcs, it.bcID)
		c.bls = append(c.bls, it.blID)
		c.pcns = append(c.pcns, it.pcn)
		c.ctls = append(c.ctls, it.payerControl)
		c.procs = append(c.procs, it.procedure)
		c.mods = append(c.mods, strings.Join(it.modifiers, ","))
		c.sdates = append(c.sdates, nullDate(it.serviceDate))
		c.carcs = append(c.carcs, strings.Join(it.carc, ","))
		c.rarcs = append(c.rarcs, strings.Join(it.rarc, ","))
		c.texts = append(c.texts, it.text)
		c.actions = append(c.actions, it.action)
		c.rules = append(c.rules, it.rule)
		c.billed = append(c.billed, it.billed.String())
		c.paid = append(c.paid, it.paid.String())
		c.atRisk = append(c.atRisk, it.atRisk.String())
		c.recovered = append(c.recovered, it.recovered.String())
		c.rdates = append(c.rdates, nullDate(it.remitDate))
		c.deadlines = append(c.deadlines, nullDate(it.deadline))
		c.priorities = append(c.priorities, int64(it.priority))
		c.statuses = append(c.statuses, it.status)
		c.resolutions = append(c.resolutions, it.resolution)
		c.routed = append(c.routed, it.routedKey)
		c.bumps = append(c.bumps, it.bump)
		c.resolvedNow = append(c.resolvedNow, it.resolvedNow)
	}
	return c
}

func insertItems(ctx context.Context, tx *sqlx.Tx, items []*workItem) error {
	if len(items) == 0 {
		return nil
	}
	c := gather(items)
	rows, err := tx.QueryContext(ctx, `INSERT INTO work_items (dedupe_key, practice_id, provider_npi, payer_id, queue_id, kind,
		disposition, category, claim_payment_id, service_line_id, billed_claim_id, billed_line_id, patient_control_number,
		payer_claim_control, procedure_code, modifiers, service_date, carc, rarc, text, action, rule, billed_amount,
		paid_amount, amount_at_risk, recovered_amount, remit_date, appeal_deadline, priority, status, resolution,
		resolved_at, routed_key)
	SELECT u.key, u.practice, u.provider, u.payer, u.queue, u.kind, u.disp, u.cat, u.cp, u.slp, u.bc, u.bl, u.pcn, u.ctl,
		u.proc, string_to_array(u.mods, ','), NULLIF(u.sdate, '')::date, string_to_array(u.carc, ','),
		string_to_array(u.rarc, ','), u.text, u.action, u.rule, u.billed::numeric, u.paid::numeric, u.risk::numeric,
		u.rec::numeric, NULLIF(u.rdate, '')::date, NULLIF(u.dl, '')::date, u.prio, u.status, u.res,
		CASE WHEN u.status = 'resolved' THEN now() END, u.routed
	FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::text[], $8::text[],
		$9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], $13::text[], $14::text[], $15::text[], $16::text[],
		$17::text[], $18::text[], $19::text[], $20::text[], $21::text[], $22::text[], $23::text[], $24::text[], $25::text[],
		$26::text[], $27::text[], $28::text[], $29::bigint[], $30::text[], $31::text[], $32::text[])
		AS u(key, practice, provider, payer, queue, kind, disp, cat, cp, slp, bc, bl, pcn, ctl, proc, mods, sdate, carc, rarc,
		     text, action, rule, billed, paid, risk, rec, rdate, dl, prio, status, res, routed)
	ON CONFLICT (dedupe_key) DO NOTHING
	RETURNING dedupe_key, id`,
		pq.Array(c.keys), pq.Array(c.practices), pq.Array(c.providers), pq.Array(c.payers), pq.Array(c.queues),
		pq.Array(c.kinds), pq.Array(c.disps), pq.Array(c.cats), pq.Array(c.cps), pq.Array(c.slps), pq.Array(c.bcs),
		pq.Array(c.bls), pq.Array(c.pcns), pq.Array(c.ctls), pq.Array(c.procs), pq.Array(c.mods), pq.Array(c.sdates),
		pq.Array(c.carcs), pq.Array(c.rarcs), pq.Array(c.texts), pq.Array(c.actions), pq.Array(c.rules),
		pq.Array(c.billed), pq.Array(c.paid), pq.Array(c.atRisk), pq.Array(c.recovered), pq.Array(c.rdates),
		pq.Array(c.deadlines), pq.Array(c.priorities), pq.Array(c.statuses), pq.Array(c.resolutions), pq.Array(c.routed))
	if err != nil {
		return fmt.Errorf("insert work items: %w", err)
	}
	defer rows.Close()
	byKey := make(map[string]*workItem, len(items))
	for _, it := range items {
		byKey[it.key] = it
	}
	n := 0
	for rows.Next() {
		var k string
		var id int64
		if err := rows.Scan(&k, &id); err != nil {
			return err
		}
		byKey[k].id = id
		n++
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if n != len(items) {
		// Another router created some of these items since they were read:
		// the batch is redelivered and finds them then.
		return fmt.Errorf("%w: %d of %d", ErrConcurrentCreate, len(items)-n, len(items))
	}
	return nil
}

func updateItems(ctx context.Context, tx *sqlx.Tx, items []*workItem) error {
	if len(items) == 0 {
		return nil
	}
	c := gather(items)
	_, err := tx.ExecContext(ctx, `UPDATE work_items w SET kind = u.kind, disposition = u.disp, category = u.cat,
		claim_payment_id = u.cp, service_line_id = u.slp, billed_claim_id = u.bc, billed_line_id = u.bl,
		payer_claim_control = u.ctl, procedure_code = u.proc, modifiers = string_to_array(u.mods, ','),
		carc = string_to_array(u.carc, ','), rarc = string_to_array(u.rarc, ','), text = u.text, action = u.action,
		rule = u.rule, billed_amount = u.billed::numeric, paid_amount = u.paid::numeric, amount_at_risk = u.risk::numeric,
		recovered_amount = u.rec::numeric, appeal_deadline = NULLIF(u.dl, '')::date, priority = u.prio,
		status = u.status, resolution = u.res,
		resolved_at = CASE WHEN u.resolved_now THEN now() WHEN u.status = 'resolved' THEN w.resolved_at END,
		routed_key = u.routed,
		version = w.version + CASE WHEN u.bump THEN 1 ELSE 0 END,
		updated_at = CASE WHEN u.bump THEN now() ELSE w.updated_at END
	FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[],
		$9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[],
		$18::text[], $19::text[], $20::text[], $21::text[], $22::bigint[], $23::text[], $24::text[], $25::boolean[],
		$26::text[], $27::boolean[])
		AS u(id, kind, disp, cat, cp, slp, bc, bl, ctl, proc, mods, carc, rarc, text, action, rule, billed, paid, risk, rec,
		     dl, prio, status, res, resolved_now, routed, bump)
	WHERE w.id = u.id`,
		pq.Array(c.ids), pq.Array(c.kinds), pq.Array(c.disps), pq.Array(c.cats), pq.Array(c.cps), pq.Array(c.slps),
		pq.Array(c.bcs), pq.Array(c.bls), pq.Array(c.ctls), pq.Array(c.procs), pq.Array(c.mods), pq.Array(c.carcs),
		pq.Array(c.rarcs), pq.Array(c.texts), pq.Array(c.actions), pq.Array(c.rules), pq.Array(c.billed), pq.Array(c.paid),
		pq.Array(c.atRisk), pq.Array(c.recovered), pq.Array(c.deadlines), pq.Array(c.priorities), pq.Array(c.statuses),
		pq.Array(c.resolutions), pq.Array(c.resolvedNow), pq.Array(c.routed), pq.Array(c.bumps))
	if err != nil {
		return fmt.Errorf("update work items: %w", err)
	}
	return nil
}

func insertEvents(ctx context.Context, tx *sqlx.Tx, events []*event) error {
	if len(events) == 0 {
		return nil
	}
	ids := make([]int64, len(events))
	actions := make([]string, len(events))
	froms := make([]sql.NullString, len(events))
	tos := make([]sql.NullString, len(events))
	amounts := make([]sql.NullString, len(events))
	details := make([]string, len(events))
	for i, e := range events {
		ids[i], actions[i] = e.item.id, e.action
		froms[i] = sql.NullString{String: e.from, Valid: e.from != ""}
		tos[i] = sql.NullString{String: e.to, Valid: e.to != ""}
		if e.amount != nil {
			amounts[i] = sql.NullString{String: e.amount.String(), Valid: true}
		}
		b, err := json.Marshal(e.detail)
		if err != nil {
			return err
		}
		details[i] = string(b)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO work_item_events (work_item_id, actor, action, from_status, to_status, amount, detail)
		SELECT u.id, 'router', u.action, u.f, u.t, u.amount::numeric, u.detail::jsonb
		FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY
			AS u(id, action, f, t, amount, detail, n)
		ORDER BY u.n`,
		pq.Array(ids), pq.Array(actions), pq.Array(froms), pq.Array(tos), pq.Array(amounts), pq.Array(details))
	if err != nil {
		return fmt.Errorf("insert work item events: %w", err)
	}
	return nil
}
