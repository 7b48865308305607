package apisvc

import (
	"net/http"
	"strconv"

	"github.com/remitq/remitq/pkg/audit"
)

// GET /v1/audit?user_id=&actor=&action=&entity=&entity_id=&practice_id=&from=&to=&cursor=&limit=
// (admins): newest first.
func (c *call) getAudit() error {
	q := c.r.URL.Query()
	f := audit.Filter{Actor: q.Get("actor"), Action: q.Get("action"), Entity: q.Get("entity"), EntityID: q.Get("entity_id")}
	var err error
	for _, p := range []struct {
		name string
		dst  *int64
	}{{"user_id", &f.UserID}, {"practice_id", &f.PracticeID}} {
		if v := q.Get(p.name); v != "" {
			if *p.dst, err = parseID(v, p.name); err != nil {
				return err
			}
		}
	}
	for _, p := range []struct {
		name string
		dst  *timeField
	}{{"from", (*timeField)(&f.From)}, {"to", (*timeField)(&f.To)}} {
		if v := q.Get(p.name); v != "" {
			t, err := parseTime(v)
			if err != nil {
				return badRequest("%s must be a date or an RFC 3339 time", p.name)
			}
			*p.dst = timeField(t)
		}
	}
	f.Limit = defaultLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			return badRequest("limit must be 1..%d", maxLimit)
		}
		f.Limit = n
	}
	if v := q.Get("cursor"); v != "" {
		cur, err := decodeCursor(v)
		if err != nil || cur.Sort != "-id" {
			return badRequest("the cursor is not one this list gave")
		}
		f.Before = cur.ID
	}
	want := f.Limit
	f.Limit++
	rows, err := audit.List(c.r.Context(), c.s.db, f)
	if err != nil {
		return err
	}
	out := Page[audit.Row]{Items: rows}
	if len(rows) > want {
		out.Items = rows[:want]
		out.NextCursor = cursor{Sort: "-id", Key: "", ID: rows[want-1].ID}.encode()
	}
	return c.json(http.StatusOK, out)
}
