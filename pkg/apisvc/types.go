package apisvc

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/remitq/remitq/pkg/audit"
	"github.com/remitq/remitq/pkg/day"
)

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

// parseDate reads a date query parameter by day.ParseSet's rule (YYYY-MM-DD
// or CCYYMMDD, year 1 to 9999: PostgreSQL refuses year 0) as midnight UTC.
func parseDate(s string) (time.Time, error) {
	d, err := day.ParseSet(s)
	return d.Time(), err
}
