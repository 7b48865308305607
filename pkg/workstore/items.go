package workstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/money"
)

// Item is a work_items row as the router writes it.
type Item struct {
	ID       int64 // 0: not inserted yet
	Key      string
	Practice int64
	Provider string
	PayerID  sql.NullInt64
	QueueID  sql.NullInt64

	Kind, Disposition, Category                                string
	ClaimPaymentID, ServiceLineID, BilledClaimID, BilledLineID sql.NullInt64
	PatientControl, PayerControl                               string
	Procedure                                                  string
	Modifiers                                                  []string
	ServiceDate                                                day.Day
	CARC, RARC                                                 []string
	Text, Action, Rule                                         string
	Billed, Paid, AtRisk                                       money.Amount
	Recovered                                                  money.Amount
	RemitDate, Deadline                                        day.Day
	Priority                                                   int
	Status, Resolution                                         string
	RoutedKey                                                  string
	// Route is the decision's work route from the payer profile (appeal,
	// reopening, corrected_claim, ...; "" without a profile): the queue of
	// a new item no queue rule picks. Not stored.
	Route string

	// Dirty: the row changed; Bump: its facts changed (version + 1);
	// ResolvedNow: it was resolved by this batch (resolved_at = now()).
	Dirty, Bump, ResolvedNow bool
}

// Event is a work_item_events row written by the router.
type Event struct {
	Item     *Item
	Action   string
	From, To string
	Amount   *money.Amount
	Detail   map[string]any
}

// Settlement is a routed_settlements row: a payment that settled a line
// before the line's item existed.
type Settlement struct {
	RoutedKey  string
	Paid       money.Amount
	Resolution string
	Detail     map[string]any
	Dirty      bool
}

// ErrConcurrentCreate fails a batch's transaction when another router
// created some of its new items between reading and inserting them (two
// routers on lines of the same billed line at the same moment). The batch
// is stored again at once and then updates the items that now exist: each
// item is created once.
var ErrConcurrentCreate = errors.New("workstore: work items created by another router meanwhile")

// Tx is one batch's transaction.
type Tx struct{ *sqlx.Tx }

// Begin starts a batch's transaction.
func (s *Store) Begin(ctx context.Context) (*Tx, error) {
	tx, err := s.DB.BeginTxx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return &Tx{tx}, nil
}

const itemColumns = `id, dedupe_key, practice_id, provider_npi, payer_id, queue_id, kind, disposition, category,
	claim_payment_id, service_line_id, billed_claim_id, billed_line_id, patient_control_number, payer_claim_control,
	procedure_code, modifiers, COALESCE(to_char(service_date, 'YYYY-MM-DD'), ''), carc, rarc, text, action, rule,
	billed_amount, paid_amount, amount_at_risk, recovered_amount, COALESCE(to_char(remit_date, 'YYYY-MM-DD'), ''),
	COALESCE(to_char(appeal_deadline, 'YYYY-MM-DD'), ''), priority, status, resolution, routed_key`

// LockKeys takes a transaction-level advisory lock on every item key the
// batch may create an item or a settlement for, in ascending lock order,
// before anything is read. Row locks cover items that exist; these cover
// the ones that do not yet: without them a batch creating a line's item and
// a concurrent batch recording that line's settlement (its corrected
// payment) could each miss the other, and the item would stay open though
// paid.
func (tx *Tx) LockKeys(ctx context.Context, keys []string) error {
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

// LoadItems reads and locks the items with the given keys. Each key is one
// probe of the dedupe_key index (with dedupe_key = ANY the planner chose a
// scan of the whole table once a batch had a few hundred keys); rows are
// locked in the order of keys, which the router sorts, so that two routers
// lock in the same order.
func (tx *Tx) LoadItems(ctx context.Context, keys []string) (map[string]*Item, error) {
	rows, err := tx.QueryContext(ctx, `SELECT w.* FROM unnest($1::text[]) AS k(key)
		CROSS JOIN LATERAL (SELECT `+itemColumns+` FROM work_items WHERE dedupe_key = k.key LIMIT 1 FOR UPDATE) AS w
		ORDER BY w.id`,
		pq.Array(keys))
	if err != nil {
		return nil, fmt.Errorf("read work items: %w", err)
	}
	defer rows.Close()
	out := make(map[string]*Item, len(keys))
	for rows.Next() {
		it := &Item{}
		var mods, carcs, rarcs pq.StringArray
		var sd, rd, dl string
		if err := rows.Scan(&it.ID, &it.Key, &it.Practice, &it.Provider, &it.PayerID, &it.QueueID, &it.Kind, &it.Disposition,
			&it.Category, &it.ClaimPaymentID, &it.ServiceLineID, &it.BilledClaimID, &it.BilledLineID, &it.PatientControl, &it.PayerControl, &it.Procedure, &mods, &sd,
			&carcs, &rarcs, &it.Text, &it.Action, &it.Rule, &it.Billed, &it.Paid, &it.AtRisk, &it.Recovered, &rd, &dl,
			&it.Priority, &it.Status, &it.Resolution, &it.RoutedKey); err != nil {
			return nil, err
		}
		it.Modifiers, it.CARC, it.RARC = mods, carcs, rarcs
		it.ServiceDate, _ = day.Parse(sd)
		it.RemitDate, _ = day.Parse(rd)
		it.Deadline, _ = day.Parse(dl)
		out[it.Key] = it
	}
	return out, rows.Err()
}

// LoadSettlements reads the settlements kept under the given keys.
func (tx *Tx) LoadSettlements(ctx context.Context, keys []string) (map[string]*Settlement, error) {
	out := map[string]*Settlement{}
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
		st := &Settlement{}
		if err := rows.Scan(&k, &st.RoutedKey, &st.Paid, &st.Resolution, &det); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(det, &st.Detail); err != nil {
			return nil, err
		}
		out[k] = st
	}
	return out, rows.Err()
}

// SaveSettlements writes the settlements marked Dirty; a stored one is
// replaced only by a later routed key.
func (tx *Tx) SaveSettlements(ctx context.Context, settled map[string]*Settlement) error {
	var keys, routed, paid, res, det []string
	for k, st := range settled {
		if !st.Dirty {
			continue
		}
		b, err := json.Marshal(st.Detail)
		if err != nil {
			return err
		}
		keys, routed, paid = append(keys, k), append(routed, st.RoutedKey), append(paid, st.Paid.String())
		res, det = append(res, st.Resolution), append(det, string(b))
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

func nullDate(d day.Day) string { return d.String() } // '' → NULL via NULLIF in SQL

func gather(items []*Item) *columns {
	c := &columns{}
	for _, it := range items {
		c.ids = append(c.ids, it.ID)
		c.keys = append(c.keys, it.Key)
		c.practices = append(c.practices, it.Practice)
		c.providers = append(c.providers, it.Provider)
		c.payers = append(c.payers, it.PayerID)
		c.queues = append(c.queues, it.QueueID)
		c.kinds = append(c.kinds, it.Kind)
		c.disps = append(c.disps, it.Disposition)
		c.cats = append(c.cats, it.Category)
		c.cps = append(c.cps, it.ClaimPaymentID)
		c.slps = append(c.slps, it.ServiceLineID)
		c.bcs = append(c.bcs, it.BilledClaimID)
		c.bls = append(c.bls, it.BilledLineID)
		c.pcns = append(c.pcns, it.PatientControl)
		c.ctls = append(c.ctls, it.PayerControl)
		c.procs = append(c.procs, it.Procedure)
		c.mods = append(c.mods, strings.Join(it.Modifiers, ","))
		c.sdates = append(c.sdates, nullDate(it.ServiceDate))
		c.carcs = append(c.carcs, strings.Join(it.CARC, ","))
		c.rarcs = append(c.rarcs, strings.Join(it.RARC, ","))
		c.texts = append(c.texts, it.Text)
		c.actions = append(c.actions, it.Action)
		c.rules = append(c.rules, it.Rule)
		c.billed = append(c.billed, it.Billed.String())
		c.paid = append(c.paid, it.Paid.String())
		c.atRisk = append(c.atRisk, it.AtRisk.String())
		c.recovered = append(c.recovered, it.Recovered.String())
		c.rdates = append(c.rdates, nullDate(it.RemitDate))
		c.deadlines = append(c.deadlines, nullDate(it.Deadline))
		c.priorities = append(c.priorities, int64(it.Priority))
		c.statuses = append(c.statuses, it.Status)
		c.resolutions = append(c.resolutions, it.Resolution)
		c.routed = append(c.routed, it.RoutedKey)
		c.bumps = append(c.bumps, it.Bump)
		c.resolvedNow = append(c.resolvedNow, it.ResolvedNow)
	}
	return c
}

// InsertItems inserts new items and sets their ID; it fails with
// ErrConcurrentCreate when another router inserted some first.
func (tx *Tx) InsertItems(ctx context.Context, items []*Item) error {
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
	byKey := make(map[string]*Item, len(items))
	for _, it := range items {
		byKey[it.Key] = it
	}
	n := 0
	for rows.Next() {
		var k string
		var id int64
		if err := rows.Scan(&k, &id); err != nil {
			return err
		}
		byKey[k].ID = id
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

// UpdateItems writes changed items back (version + 1 when Bump). The ids
// are also matched with = ANY so that the rows are found by the primary
// key: joined with the unnest alone the planner hashed the batch against a
// scan of the whole table.
func (tx *Tx) UpdateItems(ctx context.Context, items []*Item) error {
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
	WHERE w.id = ANY($1) AND w.id = u.id`,
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

// InsertEvents writes the events in order, by the actor "router".
func (tx *Tx) InsertEvents(ctx context.Context, events []*Event) error {
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
		ids[i], actions[i] = e.Item.ID, e.Action
		froms[i] = sql.NullString{String: e.From, Valid: e.From != ""}
		tos[i] = sql.NullString{String: e.To, Valid: e.To != ""}
		if e.Amount != nil {
			amounts[i] = sql.NullString{String: e.Amount.String(), Valid: true}
		}
		b, err := json.Marshal(e.Detail)
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
