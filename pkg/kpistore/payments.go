package kpistore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/kpi"
	"github.com/remitq/remitq/pkg/money"
)

// ImportResult says what a patient-payments import did.
type ImportResult struct {
	ImportID  int64        `json:"import_id"`
	Rows      int          `json:"rows"`
	Inserted  int          `json:"inserted"`
	Updated   int          `json:"updated"`   // a payment already on file with another amount, date, claim or method
	Unchanged int          `json:"unchanged"` // already on file as it is
	Total     money.Amount `json:"total"`     // Σ amount of the file's rows
	Practices []int64      `json:"practice_ids"`
}

// ImportOptions say who imports and for which practices.
type ImportOptions struct {
	// FileName is recorded with the import ("" for none).
	FileName string
	// By is who imported (a user's email or "cli"), recorded with it.
	By string
	// Practices limits the rows to these practice ids (the caller's scope);
	// nil allows every practice (the command line, run by an operator). A
	// row of another practice is reported as an unknown practice.
	Practices []int64
	// Now is the clock (nil: time.Now); no date may be after its day.
	Now func() time.Time
}

// ImportPayments validates a patient-payments CSV (kpi.ParsePayments, then
// every practice NPI known and in scope) and stores it in one transaction:
// all rows or none. Re-importing a payment (same practice and payment_id)
// replaces it; the KPI triggers mark what changed for the next refresh.
// Errors name lines and columns, never values.
func ImportPayments(ctx context.Context, db *sqlx.DB, data []byte, o ImportOptions) (*ImportResult, error) {
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	recs, err := kpi.ParsePayments(bytes.NewReader(data), kpi.PaymentOptions{Today: day.Of(now())})
	if err != nil {
		return nil, err
	}
	npis := map[string]int64{}
	for _, r := range recs {
		npis[r.PracticeNPI] = 0
	}
	list := make([]string, 0, len(npis))
	for n := range npis {
		list = append(list, n)
	}
	rows, err := db.QueryxContext(ctx, `SELECT id, npi FROM practices WHERE npi = ANY($1)`, pq.Array(list))
	if err != nil {
		return nil, fmt.Errorf("kpistore: practices: %w", err)
	}
	for rows.Next() {
		var id int64
		var npi string
		if err := rows.Scan(&id, &npi); err != nil {
			rows.Close()
			return nil, fmt.Errorf("kpistore: practices: %w", err)
		}
		if o.Practices == nil || slices.Contains(o.Practices, id) {
			npis[npi] = id
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("kpistore: practices: %w", err)
	}
	var errs []error
	res := &ImportResult{Rows: len(recs)}
	var (
		practice                          []int64
		ref, account, claim, method, paid []string
		svc, amount                       []string
	)
	for _, r := range recs {
		id := npis[r.PracticeNPI]
		if id == 0 {
			errs = append(errs, &kpi.PaymentError{Line: r.Line, Column: "practice_npi",
				Err: fmt.Errorf("%w: no practice with this NPI in your scope", kpi.ErrPaymentField)})
			continue
		}
		if !slices.Contains(res.Practices, id) {
			res.Practices = append(res.Practices, id)
		}
		res.Total += r.Amount
		practice = append(practice, id)
		ref, account, claim, method = append(ref, r.PaymentID), append(account, r.Account), append(claim, r.ClaimID), append(method, r.Method)
		paid, amount = append(paid, r.Paid.String()), append(amount, r.Amount.String())
		s := ""
		if r.ServiceDate != 0 {
			s = r.ServiceDate.String()
		}
		svc = append(svc, s)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	slices.Sort(res.Practices)
	sum := sha256.Sum256(data)
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("kpistore: import: %w", err)
	}
	defer tx.Rollback()
	if err := tx.GetContext(ctx, &res.ImportID, `INSERT INTO patient_payment_imports (file_name, sha256, rows, inserted, updated, total, imported_by)
		VALUES ($1, $2, $3, 0, 0, $4, $5) RETURNING id`, o.FileName, sum[:], res.Rows, res.Total, o.By); err != nil {
		return nil, fmt.Errorf("kpistore: import: %w", err)
	}
	out, err := tx.QueryxContext(ctx, `INSERT INTO patient_payments AS p (practice_id, payment_ref, account, patient_control_number,
			service_date, amount, paid_on, method, import_id)
		SELECT u.pr, u.ref, u.acct, u.pcn, nullif(u.svc, '')::date, u.amt::numeric, u.paid::date, u.method, $9
		FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
			AS u(pr, ref, acct, pcn, svc, amt, paid, method)
		ON CONFLICT (practice_id, payment_ref) DO UPDATE SET account = EXCLUDED.account,
			patient_control_number = EXCLUDED.patient_control_number, service_date = EXCLUDED.service_date,
			amount = EXCLUDED.amount, paid_on = EXCLUDED.paid_on, method = EXCLUDED.method, import_id = EXCLUDED.import_id,
			updated_at = now()
		WHERE (p.account, p.patient_control_number, p.service_date, p.amount, p.paid_on, p.method)
			IS DISTINCT FROM (EXCLUDED.account, EXCLUDED.patient_control_number, EXCLUDED.service_date, EXCLUDED.amount,
				EXCLUDED.paid_on, EXCLUDED.method)
		RETURNING xmax = 0`,
		pq.Array(practice), pq.Array(ref), pq.Array(account), pq.Array(claim), pq.Array(svc), pq.Array(amount),
		pq.Array(paid), pq.Array(method), res.ImportID)
	if err != nil {
		return nil, fmt.Errorf("kpistore: store patient payments: %w", err)
	}
	for out.Next() {
		var inserted bool
		if err := out.Scan(&inserted); err != nil {
			out.Close()
			return nil, fmt.Errorf("kpistore: store patient payments: %w", err)
		}
		if inserted {
			res.Inserted++
		} else {
			res.Updated++
		}
	}
	out.Close()
	if err := out.Err(); err != nil {
		return nil, fmt.Errorf("kpistore: store patient payments: %w", err)
	}
	res.Unchanged = res.Rows - res.Inserted - res.Updated
	if _, err := tx.ExecContext(ctx, `UPDATE patient_payment_imports SET inserted = $2, updated = $3 WHERE id = $1`,
		res.ImportID, res.Inserted, res.Updated); err != nil {
		return nil, fmt.Errorf("kpistore: import: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("kpistore: import: %w", err)
	}
	return res, nil
}
