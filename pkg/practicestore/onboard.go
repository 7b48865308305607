package practicestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// ErrNotFound: no such practice, provider or payer.
var ErrNotFound = errors.New("practice: not found")

// Payer is a payer as the API shows it: its id, its code (the payer id the
// 835 sends in N1*PR / REF*2U) and its name.
type Payer struct {
	ID   int64  `db:"id" json:"payer_id"`
	Code string `db:"code" json:"payer_code"`
	Name string `db:"name" json:"payer_name"`
	// Enrolled: registered for the practice at onboarding; Seen: the
	// practice's remittances name it (PracticePayers only).
	Enrolled bool `db:"enrolled" json:"enrolled"`
	Seen     bool `db:"seen" json:"seen"`
}

const practiceCols = `id, name, coalesce(npi, '') AS npi, coalesce(tin, '') AS tin`

// Get reads one practice.
func Get(ctx context.Context, db sqlx.QueryerContext, id int64) (Practice, error) {
	var p Practice
	err := sqlx.GetContext(ctx, db, &p, `SELECT `+practiceCols+` FROM practices WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return p, ErrNotFound
	}
	if err != nil {
		return p, fmt.Errorf("practice: get: %w", err)
	}
	return p, nil
}

// ListPage returns at most limit practices with an id above after, by id;
// only those of ids when ids is not nil.
func ListPage(ctx context.Context, db sqlx.QueryerContext, ids []int64, after int64, limit int) ([]Practice, error) {
	out := []Practice{}
	err := sqlx.SelectContext(ctx, db, &out, `SELECT `+practiceCols+` FROM practices
		WHERE id > $1 AND ($2::bigint[] IS NULL OR id = ANY($2)) ORDER BY id LIMIT $3`, after, idArray(ids), limit)
	if err != nil {
		return nil, fmt.Errorf("practice: list: %w", err)
	}
	return out, nil
}

func idArray(ids []int64) any {
	if ids == nil {
		return nil
	}
	return pq.Array(ids)
}

// Update rewrites the name, NPI and tax id of practice p.ID (validated as
// Add does). Another practice with the NPI is ErrExists.
func Update(ctx context.Context, db sqlx.ExtContext, p *Practice) error {
	if err := p.Validate(); err != nil {
		return err
	}
	res, err := db.ExecContext(ctx, `UPDATE practices SET name = $2, npi = $3, tin = $4 WHERE id = $1`,
		p.ID, p.Name, nullable(p.NPI), nullable(p.TIN))
	var pqe *pq.Error
	if errors.As(err, &pqe) && pqe.Code == "23505" {
		return fmt.Errorf("%w: another practice has this NPI", ErrExists)
	}
	if err != nil {
		return fmt.Errorf("practice: update: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// Providers lists the rendering providers of a practice by id; only those
// of npis when npis is not nil.
func Providers(ctx context.Context, db sqlx.QueryerContext, practiceID int64, npis []string) ([]Provider, error) {
	out := []Provider{}
	var arr any
	if npis != nil {
		arr = pq.Array(npis)
	}
	err := sqlx.SelectContext(ctx, db, &out, `SELECT id, practice_id, npi, name FROM providers
		WHERE practice_id = $1 AND ($2::text[] IS NULL OR npi = ANY($2)) ORDER BY id`, practiceID, arr)
	if err != nil {
		return nil, fmt.Errorf("practice: providers: %w", err)
	}
	return out, nil
}

// Validate checks a provider before it is stored: a valid NPI and
// a name.
func (pr *Provider) Validate() error {
	pr.Name, pr.NPI = strings.TrimSpace(pr.Name), strings.TrimSpace(pr.NPI)
	var errs []error
	if pr.Name == "" {
		errs = append(errs, fmt.Errorf("%w: the provider's name is required", ErrInvalid))
	}
	if len(pr.Name) > 200 {
		errs = append(errs, fmt.Errorf("%w: the provider's name is at most 200 characters", ErrInvalid))
	}
	if !ValidNPI(pr.NPI) {
		errs = append(errs, fmt.Errorf("%w: the provider NPI must be 10 digits with a valid check digit", ErrInvalid))
	}
	return errors.Join(errs...)
}

// RenameProvider sets the name of provider providerID of practice
// practiceID (a provider of another practice is ErrNotFound).
func RenameProvider(ctx context.Context, db sqlx.ExtContext, practiceID, providerID int64, name string) (Provider, error) {
	pr := Provider{ID: providerID, PracticeID: practiceID, Name: strings.TrimSpace(name), NPI: "0000000000"}
	if pr.Name == "" || len(pr.Name) > 200 {
		return pr, fmt.Errorf("%w: the provider's name is required (at most 200 characters)", ErrInvalid)
	}
	err := sqlx.GetContext(ctx, db, &pr, `UPDATE providers SET name = $3 WHERE id = $2 AND practice_id = $1
		RETURNING id, practice_id, npi, name`, practiceID, providerID, pr.Name)
	if errors.Is(err, sql.ErrNoRows) {
		return pr, ErrNotFound
	}
	if err != nil {
		return pr, fmt.Errorf("practice: rename provider: %w", err)
	}
	return pr, nil
}

// PracticePayers lists the payers of a practice: those it is enrolled with
// (AddPracticePayer) and those its remittances name, by payer id.
func PracticePayers(ctx context.Context, db sqlx.QueryerContext, practiceID int64) ([]Payer, error) {
	out := []Payer{}
	err := sqlx.SelectContext(ctx, db, &out, `SELECT y.id, y.payer_id_code AS code, y.name,
			EXISTS (SELECT 1 FROM practice_payers pp WHERE pp.practice_id = $1 AND pp.payer_id = y.id) AS enrolled,
			EXISTS (SELECT 1 FROM remittance_transactions t WHERE t.practice_id = $1 AND t.payer_id = y.id) AS seen
		FROM payers y
		WHERE y.id IN (SELECT payer_id FROM practice_payers WHERE practice_id = $1)
		   OR y.id IN (SELECT payer_id FROM remittance_transactions WHERE practice_id = $1 AND payer_id IS NOT NULL)
		ORDER BY y.id`, practiceID)
	if err != nil {
		return nil, fmt.Errorf("practice: payers: %w", err)
	}
	return out, nil
}

// ValidatePayer checks a payer's code and name.
func ValidatePayer(code, name string) (string, string, error) {
	code, name = strings.TrimSpace(code), strings.TrimSpace(name)
	var errs []error
	if code == "" || len(code) > 80 {
		errs = append(errs, fmt.Errorf("%w: payer_code is required (at most 80 characters)", ErrInvalid))
	}
	if len(name) > 200 {
		errs = append(errs, fmt.Errorf("%w: payer_name is at most 200 characters", ErrInvalid))
	}
	return code, name, errors.Join(errs...)
}

// AddPracticePayer enrolls practice practiceID with the payer of code
// (registered with name when no payer has that code yet; an existing
// payer keeps its name) and returns the payer. Enrolling twice is a no-op.
func AddPracticePayer(ctx context.Context, db sqlx.ExtContext, practiceID int64, code, name string) (Payer, error) {
	code, name, err := ValidatePayer(code, name)
	if err != nil {
		return Payer{}, err
	}
	if name == "" {
		name = code
	}
	var y Payer
	err = sqlx.GetContext(ctx, db, &y, `WITH ins AS (
			INSERT INTO payers (name, payer_id_code) VALUES ($1, $2) ON CONFLICT (payer_id_code) DO NOTHING
			RETURNING id, payer_id_code AS code, name)
		SELECT id, code, name FROM ins UNION ALL SELECT id, payer_id_code, name FROM payers WHERE payer_id_code = $2
		LIMIT 1`, name, code)
	if err != nil {
		return y, fmt.Errorf("practice: add payer: %w", err)
	}
	res, err := db.ExecContext(ctx, `INSERT INTO practice_payers (practice_id, payer_id) SELECT $1, $2
		WHERE EXISTS (SELECT 1 FROM practices WHERE id = $1) ON CONFLICT DO NOTHING`, practiceID, y.ID)
	if err != nil {
		return y, fmt.Errorf("practice: enroll payer: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var one int
		if err := sqlx.GetContext(ctx, db, &one, `SELECT 1 FROM practices WHERE id = $1`, practiceID); errors.Is(err, sql.ErrNoRows) {
			return y, ErrNotFound
		}
	}
	y.Enrolled = true
	return y, nil
}

// RemovePracticePayer ends the enrollment of a practice with a payer (the
// payer stays, and so do its remittances). No enrollment is ErrNotFound.
func RemovePracticePayer(ctx context.Context, db sqlx.ExtContext, practiceID, payerID int64) error {
	res, err := db.ExecContext(ctx, `DELETE FROM practice_payers WHERE practice_id = $1 AND payer_id = $2`, practiceID, payerID)
	if err != nil {
		return fmt.Errorf("practice: remove payer: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}
