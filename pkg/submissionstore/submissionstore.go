// Package submissionstore keeps the claim files remitq generates (corrected,
// void and secondary 837Ps, see pkg/correct) in PostgreSQL: the file, its
// claims and the work items they answer, and the interchange control
// numbers, from one PostgreSQL sequence per sender so a number never
// repeats, not even for a transaction that rolled back.
//
// Every write is scoped by the practice of the rows it touches; the files
// are PHI and read through the audited API (pkg/apisvc) or the CLI.
package submissionstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/remitq/remitq/pkg/correct"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/x12"
)

// Kinds of submissions (submissions.kind).
const (
	KindCorrected = "corrected"
	KindVoid      = "void"
	KindSecondary = "secondary"
)

// maxControl is the largest ISA13.
const maxControl = 999999999

// NextControl returns the next interchange control number of sender from
// its own sequence (submission_control_<id>, created on first use), in q's
// transaction: Submit holds its one connection for the whole batch and
// never waits for a second one from the pool (a handful of batches at once
// could otherwise take every connection and wait for each other). A
// sequence does not roll back: a batch that fails leaves a gap, never a
// repeat.
func NextControl(ctx context.Context, q sqlx.ExtContext, sender string) (int, error) {
	if sender == "" {
		return 0, errors.New("submissions: no sender id")
	}
	if db, ok := q.(*sqlx.DB); ok { // not in a transaction: take one for the first use's DDL
		tx, err := db.BeginTxx(ctx, nil)
		if err != nil {
			return 0, err
		}
		defer tx.Rollback()
		n, err := NextControl(ctx, tx, sender)
		if err != nil {
			return 0, err
		}
		return n, tx.Commit()
	}
	id, err := senderID(ctx, q, sender)
	if err != nil {
		return 0, fmt.Errorf("submissions: sender: %w", err)
	}
	var n int64
	if err := sqlx.GetContext(ctx, q, &n, `SELECT nextval($1::regclass)`, seqName(id)); err != nil {
		return 0, fmt.Errorf("submissions: control number: %w", err)
	}
	if n > maxControl {
		return 0, errors.New("submissions: the sender's interchange control numbers are used up")
	}
	return int(n), nil
}

func seqName(id int64) string { return "submission_control_" + strconv.FormatInt(id, 10) }

// senderID registers a sender on first use and creates its sequence, under
// a transaction-scoped advisory lock so two first batches of one sender do
// not race on the DDL (the second waits for the first to commit, then finds
// the sequence); q is a transaction.
func senderID(ctx context.Context, q sqlx.ExtContext, sender string) (int64, error) {
	var id int64
	err := sqlx.GetContext(ctx, q, &id, `SELECT id FROM submission_senders WHERE sender = $1`, sender)
	if !errors.Is(err, sql.ErrNoRows) {
		return id, err
	}
	if _, err := q.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('submission_sender:' || $1, 0))`, sender); err != nil {
		return 0, err
	}
	if err := sqlx.GetContext(ctx, q, &id, `INSERT INTO submission_senders (sender) VALUES ($1)
		ON CONFLICT (sender) DO UPDATE SET sender = excluded.sender RETURNING id`, sender); err != nil {
		return 0, err
	}
	if _, err := q.ExecContext(ctx, `CREATE SEQUENCE IF NOT EXISTS `+seqName(id)+` MINVALUE 1 MAXVALUE `+
		strconv.Itoa(maxControl)+` NO CYCLE`); err != nil {
		return 0, err
	}
	return id, nil
}

// Claim is one claim of a batch.
type Claim struct {
	WorkItemID    int64  // 0: none
	FromStatus    string // the item's status before (for its event)
	BilledClaimID int64
	Claim         *x12.Claim
	Changes       []correct.Change
}

// Batch is a file to write: claims of one practice to one payer.
type Batch struct {
	PracticeID int64
	PayerID    *int64 // payers.id, when known
	PayerCode  string // 2010BB NM109
	Kind       string
	Envelope   correct.Envelope // Control from NextControl
	Claims     []Claim
	Actor      string
}

// Submission is a stored file (without its bytes).
type Submission struct {
	ID                 int64        `db:"id" json:"id"`
	PracticeID         int64        `db:"practice_id" json:"practice_id"`
	PayerID            *int64       `db:"payer_id" json:"payer_id"`
	PayerCode          string       `db:"payer_code" json:"payer_code"`
	Kind               string       `db:"kind" json:"kind"`
	Sender             string       `db:"sender" json:"sender"`
	InterchangeControl int64        `db:"interchange_control" json:"interchange_control"`
	Claims             int          `db:"claims" json:"claims"`
	TotalCharge        money.Amount `db:"total_charge" json:"total_charge"`
	CreatedBy          string       `db:"created_by" json:"created_by"`
	CreatedAt          time.Time    `db:"created_at" json:"created_at"`
	// WorkItems are the items the file answers.
	WorkItems pq.Int64Array `db:"work_items" json:"work_items"`
}

// Create writes b's file and stores it with its claims in tx, and moves
// the work items it answers to status resubmitted (each with an event).
// The caller commits; nothing is stored when it does not.
func Create(ctx context.Context, tx *sqlx.Tx, b Batch) (*Submission, []byte, error) {
	var claims []*x12.Claim
	var total money.Amount
	for _, c := range b.Claims {
		claims = append(claims, c.Claim)
		total += c.Claim.TotalCharge
	}
	raw, err := correct.File(b.Envelope, claims)
	if err != nil {
		return nil, nil, fmt.Errorf("submissions: write the file: %w", err)
	}
	// Valid by construction: the file reads back without errors.
	if err := readsBack(raw, len(claims)); err != nil {
		return nil, nil, err
	}
	sum := sha256.Sum256(raw)
	var s Submission
	if err := tx.GetContext(ctx, &s, `INSERT INTO submissions (practice_id, payer_id, payer_code, kind, sender, interchange_control,
		claims, total_charge, phi_file, file_sha256, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		RETURNING id, practice_id, payer_id, payer_code, kind, sender, interchange_control, claims, total_charge, created_by, created_at`,
		b.PracticeID, b.PayerID, b.PayerCode, b.Kind, b.Envelope.SenderID, b.Envelope.Control, len(claims), total, raw, sum[:], b.Actor); err != nil {
		return nil, nil, fmt.Errorf("submissions: store: %w", err)
	}
	for _, c := range b.Claims {
		ch, err := json.Marshal(c.Changes)
		if err != nil {
			return nil, nil, err
		}
		var item any
		if c.WorkItemID != 0 {
			item = c.WorkItemID
			s.WorkItems = append(s.WorkItems, c.WorkItemID)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO submission_claims (submission_id, practice_id, work_item_id, billed_claim_id,
			patient_control_number, frequency_code, payer_claim_control, changes)
			SELECT $1, $2, $3, b.id, $5, $6, $7, $8 FROM billed_claims b WHERE b.id = $4 AND b.practice_id = $2`,
			s.ID, b.PracticeID, item, c.BilledClaimID, c.Claim.PatientControlNumber, c.Claim.FrequencyCode,
			c.Claim.PayerClaimControlNumber, string(ch)); err != nil {
			return nil, nil, fmt.Errorf("submissions: store claim: %w", err)
		}
		if c.WorkItemID == 0 {
			continue
		}
		res, err := tx.ExecContext(ctx, `UPDATE work_items SET status = 'resubmitted', touched_at = now(), version = version + 1,
			updated_at = now() WHERE id = $1 AND practice_id = $2`, c.WorkItemID, b.PracticeID)
		if err != nil {
			return nil, nil, fmt.Errorf("submissions: item status: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nil, nil, fmt.Errorf("submissions: work item %d is not the practice's", c.WorkItemID)
		}
		detail, _ := json.Marshal(map[string]any{"submission_id": s.ID, "kind": b.Kind, "frequency_code": c.Claim.FrequencyCode})
		if _, err := tx.ExecContext(ctx, `INSERT INTO work_item_events (work_item_id, actor, action, from_status, to_status, detail)
			VALUES ($1, $2, 'resubmitted', nullif($3, ''), 'resubmitted', $4)`, c.WorkItemID, b.Actor, c.FromStatus, string(detail)); err != nil {
			return nil, nil, fmt.Errorf("submissions: item event: %w", err)
		}
	}
	return &s, raw, nil
}

func readsBack(raw []byte, n int) error {
	cf, err := x12.ReadClaims(bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("submissions: the generated file does not read back: %w", err)
	}
	got := 0
	for _, b := range cf.Batches {
		got += len(b.Claims)
	}
	if len(cf.Errors) != 0 || got != n {
		return fmt.Errorf("submissions: the generated file reads back with %d errors and %d of %d claims", len(cf.Errors), got, n)
	}
	return nil
}

const subCols = `s.id, s.practice_id, s.payer_id, s.payer_code, s.kind, s.sender, s.interchange_control, s.claims, s.total_charge,
	s.created_by, s.created_at,
	coalesce((SELECT array_agg(sc.work_item_id ORDER BY sc.id) FROM submission_claims sc WHERE sc.submission_id = s.id
		AND sc.work_item_id IS NOT NULL), '{}') AS work_items`

// List returns the submissions of practices (nil: every practice), newest
// first, at most limit, before id before (0: from the newest).
func List(ctx context.Context, q sqlx.QueryerContext, practices []int64, limit int, before int64) ([]Submission, error) {
	query := `SELECT ` + subCols + ` FROM submissions s WHERE ($1::bigint[] IS NULL OR s.practice_id = ANY($1))
		AND ($2::bigint = 0 OR s.id < $2::bigint) ORDER BY s.id DESC LIMIT $3`
	var arr any
	if practices != nil {
		arr = pq.Array(practices)
	}
	out := []Submission{}
	if err := sqlx.SelectContext(ctx, q, &out, query, arr, before, limit); err != nil {
		return nil, fmt.Errorf("submissions: list: %w", err)
	}
	return out, nil
}

// ErrNotFound: no such submission in the practices asked.
var ErrNotFound = errors.New("submissions: no such submission")

// Get returns a submission and its file (PHI) when its practice is one of
// practices (nil: any).
func Get(ctx context.Context, q sqlx.QueryerContext, id int64, practices []int64) (*Submission, []byte, error) {
	var arr any
	if practices != nil {
		arr = pq.Array(practices)
	}
	var row struct {
		Submission
		File []byte `db:"phi_file"`
	}
	err := sqlx.GetContext(ctx, q, &row, `SELECT `+subCols+`, s.phi_file FROM submissions s WHERE s.id = $1
		AND ($2::bigint[] IS NULL OR s.practice_id = ANY($2))`, id, arr)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, ErrNotFound
	}
	if err != nil {
		return nil, nil, fmt.Errorf("submissions: get: %w", err)
	}
	return &row.Submission, row.File, nil
}

// Revision is the number the next correction of a billed claim carries (1
// for the first): its new REF*6R line ids are told apart by it.
func Revision(ctx context.Context, q sqlx.QueryerContext, practiceID, billedClaimID int64) (int, error) {
	var n int
	err := sqlx.GetContext(ctx, q, &n, `SELECT count(*) + 1 FROM submission_claims WHERE practice_id = $1 AND billed_claim_id = $2
		AND frequency_code IN ('7', '8')`, practiceID, billedClaimID)
	return n, err
}

// LatestPayment is the latest 835 adjudication of a billed claim: its CLP07,
// CLP02 and the date it was paid.
type LatestPayment struct {
	ClaimPaymentID    int64    `db:"id"`
	PayerClaimControl string   `db:"payer_claim_control"`
	Status            string   `db:"status"`
	PaymentDate       x12.Date `db:"payment_date"`
}

// Latest returns the latest 835 claim payment matched to a billed claim of
// the practice (reversals aside), nil when none.
func Latest(ctx context.Context, q sqlx.QueryerContext, practiceID, billedClaimID int64) (*LatestPayment, error) {
	var p LatestPayment
	err := sqlx.GetContext(ctx, q, &p, `SELECT cp.id, coalesce(cp.payer_claim_control, '') AS payer_claim_control, cp.status,
		coalesce(to_char(t.payment_date, 'YYYY-MM-DD'), '') AS payment_date
		FROM claim_payments cp JOIN remittance_transactions t ON t.id = cp.transaction_id
		WHERE cp.practice_id = $1 AND cp.status <> '22' AND EXISTS (SELECT 1 FROM line_matches lm
			WHERE lm.file_id = cp.file_id AND lm.claim_segment = cp.segment_index AND lm.billed_claim_id = $2)
		ORDER BY t.payment_date DESC NULLS LAST, cp.id DESC LIMIT 1`, practiceID, billedClaimID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("submissions: latest payment: %w", err)
	}
	return &p, nil
}
