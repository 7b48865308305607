// Package audit writes and reads remitq's audit log: who read or changed
// what, when, and from where. The table (audit_log) is append-only — its
// triggers refuse updates, deletes and truncation — and no row holds PHI:
// an entry names the entity and its id, never a patient's name or member
// id, and Detail carries only codes, counts and ids.
//
//	err := audit.Record(ctx, db, audit.Entry{Actor: "user:7", UserID: 7,
//		Action: "work_item.view", Entity: "work_item", EntityID: "42", PracticeID: 3})
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// Entry is one audited act.
type Entry struct {
	// Actor is "user:<id>", an API key's user, "system" or a service name.
	Actor  string
	UserID int64 // 0 when not a user
	// Action is entity.verb: work_item.view, claim.view, file.download, ...
	Action     string
	Entity     string // work_item, claim_payment, remittance_file, ...
	EntityID   string
	PracticeID int64 // 0 when not about one practice
	RemoteAddr string
	Method     string // HTTP method
	Route      string // the route pattern, e.g. GET /v1/work-items/{id}
	RequestID  string
	// Detail holds ids, codes and counts; never PHI.
	Detail map[string]any
}

// Row is a stored entry.
type Row struct {
	ID         int64           `json:"id"`
	At         time.Time       `json:"at"`
	Actor      string          `json:"actor"`
	UserID     *int64          `json:"user_id,omitempty"`
	Action     string          `json:"action"`
	Entity     string          `json:"entity"`
	EntityID   *string         `json:"entity_id,omitempty"`
	PracticeID *int64          `json:"practice_id,omitempty"`
	RemoteAddr *string         `json:"remote_addr,omitempty"`
	Method     *string         `json:"method,omitempty"`
	Route      *string         `json:"route,omitempty"`
	RequestID  *string         `json:"request_id,omitempty"`
	Detail     json.RawMessage `json:"detail"`
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullInt(n int64) any {
	if n == 0 {
		return nil
	}
	return n
}

// Record appends entries in one statement. db may be a transaction, so an
// audited change and its audit rows commit together.
func Record(ctx context.Context, db sqlx.ExecerContext, entries ...Entry) error {
	if len(entries) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString(`INSERT INTO audit_log (actor, user_id, action, entity, entity_id, practice_id, remote_addr, method, route, request_id, detail) VALUES `)
	args := make([]any, 0, 11*len(entries))
	for i, e := range entries {
		if e.Actor == "" || e.Action == "" || e.Entity == "" {
			return fmt.Errorf("audit: an entry needs an actor, an action and an entity")
		}
		detail := []byte("{}")
		if len(e.Detail) > 0 {
			var err error
			if detail, err = json.Marshal(e.Detail); err != nil {
				return fmt.Errorf("audit: detail: %w", err)
			}
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for j := range 11 {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("$" + strconv.Itoa(len(args)+j+1))
		}
		b.WriteByte(')')
		args = append(args, e.Actor, nullInt(e.UserID), e.Action, e.Entity, nullStr(e.EntityID), nullInt(e.PracticeID),
			nullStr(e.RemoteAddr), nullStr(e.Method), nullStr(e.Route), nullStr(e.RequestID), string(detail))
	}
	if _, err := db.ExecContext(ctx, b.String(), args...); err != nil {
		return fmt.Errorf("audit: record: %w", err)
	}
	return nil
}

// Filter selects audit rows; zero fields do not filter.
type Filter struct {
	UserID     int64
	Actor      string
	Action     string
	Entity     string
	EntityID   string
	PracticeID int64
	From, To   time.Time // at >= From, at < To
	// Before is the keyset cursor: rows with id < Before (newest first).
	Before int64
	Limit  int // default 100, at most 1000
}

// List returns rows newest first.
func List(ctx context.Context, db sqlx.QueryerContext, f Filter) ([]Row, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if f.UserID != 0 {
		add("user_id = ?", f.UserID)
	}
	if f.Actor != "" {
		add("actor = ?", f.Actor)
	}
	if f.Action != "" {
		add("action = ?", f.Action)
	}
	if f.Entity != "" {
		add("entity = ?", f.Entity)
	}
	if f.EntityID != "" {
		add("entity_id = ?", f.EntityID)
	}
	if f.PracticeID != 0 {
		add("practice_id = ?", f.PracticeID)
	}
	if !f.From.IsZero() {
		add("at >= ?", f.From)
	}
	if !f.To.IsZero() {
		add("at < ?", f.To)
	}
	if f.Before > 0 {
		add("id < ?", f.Before)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	q := `SELECT id, at, actor, user_id, action, entity, entity_id, practice_id, remote_addr, method, route, request_id, detail FROM audit_log`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC LIMIT " + strconv.Itoa(limit)
	rows, err := db.QueryxContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("audit: list: %w", err)
	}
	defer rows.Close()
	out := []Row{}
	for rows.Next() {
		var r Row
		var detail []byte
		if err := rows.Scan(&r.ID, &r.At, &r.Actor, &r.UserID, &r.Action, &r.Entity, &r.EntityID, &r.PracticeID,
			&r.RemoteAddr, &r.Method, &r.Route, &r.RequestID, &detail); err != nil {
			return nil, fmt.Errorf("audit: list: %w", err)
		}
		r.Detail = detail
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit: list: %w", err)
	}
	return out, nil
}
