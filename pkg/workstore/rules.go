package workstore

import (
	"context"

	"github.com/jmoiron/sqlx"

	"github.com/remitq/remitq/pkg/money"
)

// QueueRule is one row of queue_rules: which new items (every set
// condition must hold) go to which queue. PracticeID nil: a rule of every
// practice (the queue of that name in the item's practice).
type QueueRule struct {
	ID         int64         `json:"id" db:"id"`
	PracticeID *int64        `json:"practice_id" db:"practice_id"`
	Position   int           `json:"position" db:"position"`
	QueueName  string        `json:"queue_name" db:"queue_name"`
	Kind       *string       `json:"kind" db:"kind"`
	Category   *string       `json:"category" db:"category"`
	PayerID    *int64        `json:"payer_id" db:"payer_id"`
	Provider   *string       `json:"provider_npi" db:"provider_npi"`
	Procedure  *string       `json:"procedure_code" db:"procedure_code"`
	MinAmount  *money.Amount `json:"min_amount" db:"min_amount"`
}

// Matches reports whether every set condition of the rule holds for it.
func (r *QueueRule) Matches(it *Item) bool {
	return (r.Kind == nil || *r.Kind == it.Kind) &&
		(r.Category == nil || *r.Category == it.Category) &&
		(r.PayerID == nil || it.PayerID.Valid && *r.PayerID == it.PayerID.Int64) &&
		(r.Provider == nil || *r.Provider == it.Provider) &&
		(r.Procedure == nil || *r.Procedure == it.Procedure) &&
		(r.MinAmount == nil || it.AtRisk >= *r.MinAmount)
}

const ruleColumns = `id, practice_id, position, queue_name, kind, category, payer_id, provider_npi, procedure_code, min_amount`

// QueueRules lists the rules that apply to a practice (its own and the
// global ones), every rule when practice is nil: the practice rules first,
// by practice, position and id.
func QueueRules(ctx context.Context, q sqlx.QueryerContext, practice *int64) ([]QueueRule, error) {
	query := `SELECT ` + ruleColumns + ` FROM queue_rules`
	var args []any
	if practice != nil {
		query += ` WHERE practice_id = $1 OR practice_id IS NULL`
		args = append(args, *practice)
	}
	out := []QueueRule{}
	err := sqlx.SelectContext(ctx, q, &out, query+` ORDER BY practice_id IS NULL, practice_id, position, id`, args...)
	return out, err
}

// CreateRule inserts r (its ID is ignored) and returns the stored rule.
func CreateRule(ctx context.Context, tx sqlx.QueryerContext, r QueueRule) (QueueRule, error) {
	var out QueueRule
	err := sqlx.GetContext(ctx, tx, &out, `INSERT INTO queue_rules (practice_id, position, queue_name, kind, category,
		payer_id, provider_npi, procedure_code, min_amount) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		RETURNING `+ruleColumns,
		r.PracticeID, r.Position, r.QueueName, r.Kind, r.Category, r.PayerID, r.Provider, r.Procedure, r.MinAmount)
	return out, err
}

// UpdateRule replaces the rule r.ID and returns it with the practice it had
// before (both are touched); sql.ErrNoRows when there is no such rule.
func UpdateRule(ctx context.Context, tx sqlx.QueryerContext, r QueueRule) (QueueRule, *int64, error) {
	var old *int64
	var out QueueRule
	if err := tx.QueryRowxContext(ctx, `SELECT practice_id FROM queue_rules WHERE id = $1 FOR UPDATE`, r.ID).Scan(&old); err != nil {
		return out, nil, err
	}
	err := sqlx.GetContext(ctx, tx, &out, `UPDATE queue_rules SET practice_id = $2, position = $3, queue_name = $4,
		kind = $5, category = $6, payer_id = $7, provider_npi = $8, procedure_code = $9, min_amount = $10 WHERE id = $1
		RETURNING `+ruleColumns,
		r.ID, r.PracticeID, r.Position, r.QueueName, r.Kind, r.Category, r.PayerID, r.Provider, r.Procedure, r.MinAmount)
	return out, old, err
}

// DeleteRule deletes a rule and returns the practice it had;
// sql.ErrNoRows when there is no such rule.
func DeleteRule(ctx context.Context, tx sqlx.QueryerContext, id int64) (*int64, error) {
	var old *int64
	err := tx.QueryRowxContext(ctx, `DELETE FROM queue_rules WHERE id = $1 RETURNING practice_id`, id).Scan(&old)
	return old, err
}
