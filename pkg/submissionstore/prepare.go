package submissionstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/remitq/remitq/pkg/billedstore"
	"github.com/remitq/remitq/pkg/correct"
	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/rules"
	"github.com/remitq/remitq/pkg/rulesstore"
	"github.com/remitq/remitq/x12"
)

// Types of claims asked of Prepare.
const (
	TypeReplacement = "replacement" // frequency 7
	TypeVoid        = "void"        // frequency 8
)

// Conflict is why a claim cannot be built: what is missing, in words and
// a code (billed_claim_missing, csv_source, payer_claim_unknown,
// never_paid, not_correction, no_automatic_fix, reopening,
// already_resubmitted, closed). It never holds a value of the claim.
type Conflict struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (c *Conflict) Error() string { return c.Code + ": " + c.Message }

func conflict(code, msg string) error { return &Conflict{Code: code, Message: msg} }

// Item is what a correction reads of a work item.
type Item struct {
	ID            int64          `db:"id"`
	PracticeID    int64          `db:"practice_id"`
	PayerID       *int64         `db:"payer_id"`
	Status        string         `db:"status"`
	Kind          string         `db:"kind"`
	Category      string         `db:"category"`
	CARC          pq.StringArray `db:"carc"`
	RARC          pq.StringArray `db:"rarc"`
	BilledClaimID *int64         `db:"billed_claim_id"`
	BilledLineID  *int64         `db:"billed_line_id"`
}

// LoadItem reads a work item (FOR UPDATE when lock). Callers that serve
// users scope the id first (the API's loadItem).
func LoadItem(ctx context.Context, q sqlx.QueryerContext, id int64, lock bool) (*Item, error) {
	query := `SELECT id, practice_id, payer_id, status, kind, category, carc, rarc, billed_claim_id, billed_line_id FROM work_items WHERE id = $1`
	if lock {
		query += ` FOR UPDATE`
	}
	var it Item
	err := sqlx.GetContext(ctx, q, &it, query, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return &it, err
}

// Prepared is a claim ready to batch, or a reopening to request.
type Prepared struct {
	Item      *Item
	Type      string
	Result    *correct.Result
	Billed    *x12.Claim // the claim as billed (PHI)
	Profile   string     // the payer profile that applied ("" none)
	PayerCode string
	Sender    string
	Receiver  string
}

// Preparer builds corrections from the database.
type Preparer struct {
	// Rules gives the procedure facts of the fixes; nil: rules.Default().
	Rules *rules.Set
}

// Prepare builds the replacement (typ TypeReplacement) or void of a work
// item's billed claim, reading the claim as its 837P sent it, the latest
// 835 for it (CLP07) and the payer profile. A *Conflict says what is
// missing; nothing is written.
func (p *Preparer) Prepare(ctx context.Context, q sqlx.QueryerContext, it *Item, typ string) (*Prepared, error) {
	switch {
	case typ != TypeReplacement && typ != TypeVoid && typ != TypeSecondary:
		return nil, conflict("bad_type", "type is replacement, void or secondary")
	case it.Status == "resubmitted":
		return nil, conflict("already_resubmitted", "a corrected or void claim was already sent for this work item")
	case it.Status == "resolved" || it.Status == "written_off":
		return nil, conflict("closed", "the work item is closed")
	case (typ == TypeSecondary) != (it.Kind == KindBillSecondary):
		return nil, conflict("wrong_kind", "a secondary claim answers a bill-secondary work item, a corrected or void claim a denial")
	case typ == TypeSecondary:
		return p.prepareSecondary(ctx, q, it)
	case typ == TypeReplacement && !correct.Correctable(it.Category):
		return nil, conflict("not_correction", "the work item's category ("+it.Category+") is not worked with a corrected claim")
	case it.BilledClaimID == nil:
		return nil, conflict("billed_claim_missing", "the work item has no billed claim: load the 837P the practice sent")
	}
	st, err := billedstore.Claim837(ctx, q, it.PracticeID, *it.BilledClaimID)
	switch {
	case errors.Is(err, billedstore.ErrNoBilledClaim):
		return nil, conflict("billed_claim_missing", "the work item's billed claim is not stored")
	case errors.Is(err, billedstore.ErrNotRegenerable):
		return nil, conflict("csv_source", "the billed claim was loaded from a CSV export, not an 837P: remitq cannot regenerate it; correct it in the practice-management system")
	case err != nil:
		return nil, err
	}
	latest, err := Latest(ctx, q, it.PracticeID, *it.BilledClaimID)
	if err != nil {
		return nil, err
	}
	if typ == TypeVoid && (latest == nil || latest.Status == "4") {
		return nil, conflict("never_paid", "no remittance shows the payer processed and paid this claim: there is nothing to void")
	}
	if latest == nil || latest.PayerClaimControl == "" {
		return nil, conflict("payer_claim_unknown", "the payer claim control number (CLP07) of this claim is unknown: no matched remittance carries it")
	}
	rev, err := Revision(ctx, q, it.PracticeID, *it.BilledClaimID)
	if err != nil {
		return nil, err
	}
	c := st.Claim
	out := &Prepared{Item: it, Type: typ, Billed: c}
	if c.Payer != nil {
		out.PayerCode = c.Payer.PayerID
	}
	out.Sender, out.Receiver = c.BillingProvider.NPI, out.PayerCode
	if b := c.Batch; b != nil {
		if b.Submitter.ID != "" {
			out.Sender = b.Submitter.ID
		}
		if b.Receiver.ID != "" {
			out.Receiver = b.Receiver.ID
		}
	}
	if typ == TypeVoid {
		out.Result, err = correct.Void(c, latest.PayerClaimControl, rev)
		return out, err
	}
	line := 0
	if it.BilledLineID != nil {
		if err := sqlx.GetContext(ctx, q, &line, `SELECT line_number FROM billed_lines WHERE id = $1 AND practice_id = $2`,
			*it.BilledLineID, it.PracticeID); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
	}
	prof, err := p.profile(ctx, q, c)
	if err != nil {
		return nil, err
	}
	if prof != nil {
		out.Profile = prof.ID
	}
	res, err := (&correct.Fixer{Rules: p.Rules}).Fix(c, correct.Denial{Category: it.Category, CARC: it.CARC, RARC: it.RARC,
		Line: line, PayerControl: latest.PayerClaimControl, Revision: rev}, prof)
	switch {
	case errors.Is(err, correct.ErrNoFix):
		return nil, conflict("no_automatic_fix", "remitq knows no automatic fix for this denial ("+fixDetail(err)+"): correct the claim by hand")
	case errors.Is(err, correct.ErrNoLine):
		return nil, conflict("billed_line_missing", "the denied line is not on the stored billed claim")
	case err != nil:
		return nil, err
	}
	out.Result = res
	return out, nil
}

func fixDetail(err error) string {
	msg := err.Error()
	const p = "correct: no automatic fix for this denial"
	if len(msg) > len(p)+2 {
		return msg[len(p)+2:]
	}
	return "nothing the codes name can be changed"
}

// profile resolves the billed claim's payer profile.
func (p *Preparer) profile(ctx context.Context, q sqlx.QueryerContext, c *x12.Claim) (*rules.Profile, error) {
	ps, err := rulesstore.LoadProfiles(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("submissions: payer profiles: %w", err)
	}
	var payer, filing, state string
	if c.Payer != nil {
		payer = c.Payer.PayerID
	}
	if c.Subscriber != nil {
		filing = c.Subscriber.FilingIndicator
	}
	if a := c.BillingProvider.Address; a != nil {
		state = a.State
	}
	var d day.Day
	if len(c.Lines) > 0 {
		d, _ = day.ParseSet(string(c.Lines[0].ServiceFrom))
	}
	return ps.Resolve(payer, filing, state, d), nil
}

// Group batches prepared claims per practice, payer, sender and receiver,
// in the order first seen; reopenings are left out (nothing is sent).
func Group(ps []*Prepared) [][]*Prepared {
	type key struct {
		practice                int64
		payer, sender, receiver string
		typ                     string
	}
	var keys []key
	groups := map[key][]*Prepared{}
	for _, p := range ps {
		if p.Result == nil || p.Result.Reopening {
			continue
		}
		k := key{p.Item.PracticeID, p.PayerCode, p.Sender, p.Receiver, p.Type}
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], p)
	}
	out := make([][]*Prepared, 0, len(keys))
	for _, k := range keys {
		out = append(out, groups[k])
	}
	return out
}

// BatchOf makes the batch of one group (see Group) with control number ctl.
func BatchOf(group []*Prepared, ctl int, actor string, now time.Time) Batch {
	p0 := group[0]
	kind := KindCorrected
	switch p0.Type {
	case TypeVoid:
		kind = KindVoid
	case TypeSecondary:
		kind = KindSecondary
	}
	b := Batch{PracticeID: p0.Item.PracticeID, PayerID: p0.Item.PayerID, PayerCode: p0.PayerCode, Kind: kind, Actor: actor,
		Envelope: correct.Envelope{SenderID: p0.Sender, ReceiverID: p0.Receiver, Control: ctl, Date: now.UTC()}}
	if p0.Type == TypeSecondary {
		b.PayerID = nil // the item's payer is the primary
	}
	for _, p := range group {
		b.Claims = append(b.Claims, Claim{WorkItemID: p.Item.ID, FromStatus: p.Item.Status, BilledClaimID: *p.Item.BilledClaimID, Claim: p.Result.Claim,
			Changes: p.Result.Changes})
	}
	return b
}

// Submit builds the claims of work items ids (typ TypeReplacement or
// TypeVoid) and stores them as files per practice and payer, the items
// moving to resubmitted, in one transaction: within runs in it last (the
// API's audit rows), and any *Conflict or error leaves nothing stored.
// Callers that serve users pass only ids in the caller's scope.
func (p *Preparer) Submit(ctx context.Context, db *sqlx.DB, ids []int64, typ, actor string, now time.Time,
	within func(tx *sqlx.Tx, prepared []*Prepared, subs []*Submission) error) ([]*Submission, error) {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	ids = slices.Clone(ids)
	slices.Sort(ids) // lock in one order: two batches never deadlock
	ids = slices.Compact(ids)
	var prepared []*Prepared
	for _, id := range ids {
		it, err := LoadItem(ctx, tx, id, true)
		if err != nil {
			return nil, err
		}
		pr, err := p.Prepare(ctx, tx, it, typ)
		if err != nil {
			return nil, err
		}
		if pr.Result.Reopening {
			return nil, conflict("reopening", pr.Result.Note)
		}
		prepared = append(prepared, pr)
	}
	var subs []*Submission
	for _, g := range Group(prepared) {
		ctl, err := NextControl(ctx, tx, g[0].Sender)
		if err != nil {
			return nil, err
		}
		s, _, err := Create(ctx, tx, BatchOf(g, ctl, actor, now))
		if err != nil {
			return nil, err
		}
		subs = append(subs, s)
	}
	if within != nil {
		if err := within(tx, prepared, subs); err != nil {
			return nil, err
		}
	}
	return subs, tx.Commit()
}
