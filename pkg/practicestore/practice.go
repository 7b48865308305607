// Package practicestore keeps the registry of a billing company's clients: the
// practices (identified in 835s by the payee NPI or tax id) and their
// rendering providers.
package practicestore

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Practice is one client practice.
type Practice struct {
	ID   int64  `db:"id" json:"id"`
	Name string `db:"name" json:"name"`
	// NPI is the organisation NPI the payer sends as payee (N1*PE*..*XX).
	NPI string `db:"npi" json:"npi,omitempty"`
	// TIN is the federal tax id (N1*PE*..*FI or REF*TJ), 9 digits.
	TIN string `db:"tin" json:"tin,omitempty"`
}

// Provider is a rendering provider of a practice.
type Provider struct {
	ID         int64  `db:"id" json:"id"`
	PracticeID int64  `db:"practice_id" json:"practice_id"`
	NPI        string `db:"npi" json:"npi"`
	Name       string `db:"name" json:"name"`
}

// Errors of Validate and Add.
var (
	ErrInvalid = errors.New("practice: invalid")
	ErrExists  = errors.New("practice: already registered")
)

// ValidNPI reports whether s is a 10-digit NPI whose check digit is right
// (Luhn over the prefix 80840 and the first nine digits, as CMS defines).
func ValidNPI(s string) bool {
	if len(s) != 10 {
		return false
	}
	sum := 24 // the constant contribution of the prefix 80840
	for i := 0; i < 9; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return false
		}
		d := int(c - '0')
		if i%2 == 0 { // doubled positions counted from the right of the 9 digits
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	check := (10 - sum%10) % 10
	return s[9] == byte('0'+check)
}

// ValidTIN reports whether s is 9 digits (an EIN or SSN written without a dash).
func ValidTIN(s string) bool {
	if len(s) != 9 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Validate checks a practice before it is stored.
func (p *Practice) Validate() error {
	p.Name, p.NPI, p.TIN = strings.TrimSpace(p.Name), strings.TrimSpace(p.NPI), strings.ReplaceAll(strings.TrimSpace(p.TIN), "-", "")
	var errs []error
	if p.Name == "" {
		errs = append(errs, fmt.Errorf("%w: a name is required", ErrInvalid))
	}
	if p.NPI == "" && p.TIN == "" {
		errs = append(errs, fmt.Errorf("%w: an NPI or a tax id is required", ErrInvalid))
	}
	if p.NPI != "" && !ValidNPI(p.NPI) {
		errs = append(errs, fmt.Errorf("%w: the NPI must be 10 digits with a valid check digit", ErrInvalid))
	}
	if p.TIN != "" && !ValidTIN(p.TIN) {
		errs = append(errs, fmt.Errorf("%w: the tax id must be 9 digits", ErrInvalid))
	}
	return errors.Join(errs...)
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Add registers p and sets p.ID. A second practice with the same NPI is
// ErrExists.
func Add(ctx context.Context, db sqlx.ExtContext, p *Practice) error {
	if err := p.Validate(); err != nil {
		return err
	}
	err := sqlx.GetContext(ctx, db, &p.ID, `INSERT INTO practices (name, npi, tin) VALUES ($1, $2, $3) RETURNING id`,
		p.Name, nullable(p.NPI), nullable(p.TIN))
	var pqe *pq.Error
	if errors.As(err, &pqe) && pqe.Code == "23505" {
		return fmt.Errorf("%w: NPI %s", ErrExists, p.NPI)
	}
	if err != nil {
		return fmt.Errorf("practice: add: %w", err)
	}
	return nil
}

// List returns every practice by id.
func List(ctx context.Context, db sqlx.QueryerContext) ([]Practice, error) {
	var out []Practice
	err := sqlx.SelectContext(ctx, db, &out, `SELECT id, name, coalesce(npi, '') AS npi, coalesce(tin, '') AS tin FROM practices ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("practice: list: %w", err)
	}
	return out, nil
}

// AddProvider registers a rendering provider of a practice (idempotent on
// practice + NPI) and sets pr.ID.
func AddProvider(ctx context.Context, db sqlx.ExtContext, pr *Provider) error {
	if !ValidNPI(pr.NPI) {
		return fmt.Errorf("%w: the provider NPI must be 10 digits with a valid check digit", ErrInvalid)
	}
	err := sqlx.GetContext(ctx, db, &pr.ID, `INSERT INTO providers (practice_id, npi, name) VALUES ($1, $2, $3)
		ON CONFLICT (practice_id, npi) DO UPDATE SET name = EXCLUDED.name RETURNING id`, pr.PracticeID, pr.NPI, pr.Name)
	if err != nil {
		return fmt.Errorf("practice: add provider: %w", err)
	}
	return nil
}
