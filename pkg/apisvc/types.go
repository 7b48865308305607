package apisvc

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/remitq/remitq/pkg/audit"
)

// Date is a calendar date that may be absent; JSON "2006-01-02" or null.
type Date struct {
	T     time.Time
	Valid bool
}

// Scan implements sql.Scanner.
func (d *Date) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d = Date{}
	case time.Time:
		*d = Date{T: time.Date(v.Year(), v.Month(), v.Day(), 0, 0, 0, 0, time.UTC), Valid: true}
	default:
		return fmt.Errorf("api: cannot scan %T into a date", src)
	}
	return nil
}

// Value implements driver.Valuer.
func (d Date) Value() (driver.Value, error) {
	if !d.Valid {
		return nil, nil
	}
	return d.T.Format(time.DateOnly), nil
}

// MarshalJSON implements json.Marshaler.
func (d Date) MarshalJSON() ([]byte, error) {
	if !d.Valid {
		return []byte("null"), nil
	}
	return []byte(`"` + d.T.Format(time.DateOnly) + `"`), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = Date{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a date is a string YYYY-MM-DD")
	}
	t, err := parseDate(s)
	if err != nil {
		return fmt.Errorf("a date is a string YYYY-MM-DD")
	}
	*d = Date{T: t, Valid: true}
	return nil
}

func dateOf(t time.Time) Date {
	return Date{T: time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), Valid: true}
}

// queryer is what *sqlx.DB and *sqlx.Tx share.
type queryer interface {
	GetContext(ctx context.Context, dest any, query string, args ...any) error
	SelectContext(ctx context.Context, dest any, query string, args ...any) error
	QueryRowxContext(ctx context.Context, query string, args ...any) *sqlx.Row
	QueryxContext(ctx context.Context, query string, args ...any) (*sqlx.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// execer runs statements.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

type auditEntry = audit.Entry

func parseInt(s string) (int64, error) { return strconv.ParseInt(s, 10, 64) }

// jsonRaw is a jsonb column passed through as JSON.
type jsonRaw []byte

// Scan implements sql.Scanner.
func (j *jsonRaw) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*j = nil
	case []byte:
		*j = append((*j)[:0], v...)
	case string:
		*j = []byte(v)
	default:
		return fmt.Errorf("api: cannot scan %T into JSON", src)
	}
	return nil
}

// MarshalJSON implements json.Marshaler.
func (j jsonRaw) MarshalJSON() ([]byte, error) {
	if len(j) == 0 {
		return []byte("null"), nil
	}
	return j, nil
}

// timeField is a time.Time filled from a query parameter.
type timeField time.Time

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// parseDate reads YYYY-MM-DD of a year 1 to 9999: time.Parse takes year 0,
// which PostgreSQL refuses (the request answered 500).
func parseDate(s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return t, err
	}
	if t.Year() < 1 {
		return time.Time{}, fmt.Errorf("the year must be 1 to 9999")
	}
	return t, nil
}
