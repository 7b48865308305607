package apisvc

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
	"github.com/remitq/remitq/pkg/auth"
)

// Note is a note on a work item. Body may hold PHI.
type Note struct {
	ID         int64     `db:"id" json:"id"`
	WorkItemID int64     `db:"work_item_id" json:"work_item_id"`
	AuthorID   int64     `db:"author_id" json:"author_id"`
	AuthorName string    `db:"author_name" json:"author_name"`
	Body       string    `db:"body" json:"body"`
	CreatedAt  time.Time `db:"created_at" json:"created_at"`
}

// MaxNoteChars bounds a note.
const MaxNoteChars = 10000

var noteSorts = []sortKey{{name: "created_at", expr: "n.created_at", typ: "timestamptz"}}

// GET /v1/work-items/{id}/notes (PHI, audited)
func (c *call) getNotes() error {
	id, err := c.pathID("id")
	if err != nil {
		return err
	}
	it, err := c.loadItem(id, false, c.s.db)
	if err != nil {
		return err
	}
	p, err := newPager(c.r.URL.Query(), noteSorts...)
	if err != nil {
		return err
	}
	var args auth.Args
	where := "n.work_item_id = " + args.Add(id)
	if k := p.where("n.id", &args); k != "" {
		where += " AND " + k
	}
	var rows []struct {
		K string `db:"k"`
		Note
	}
	if err := c.s.db.SelectContext(c.r.Context(), &rows, "SELECT "+p.keyCol()+` AS k, n.id, n.work_item_id, n.author_id,
		u.name AS author_name, n.body, n.created_at FROM work_item_notes n JOIN users u ON u.id = n.author_id
		WHERE `+where+p.orderLimit("n.id"), args...); err != nil {
		return err
	}
	n, next := p.next(len(rows), func(i int) (string, int64) { return rows[i].K, rows[i].ID })
	out := Page[Note]{Items: make([]Note, n), NextCursor: next}
	for i := range n {
		out.Items[i] = rows[i].Note
	}
	if err := c.audit(c.entry("work_item.notes.read", "work_item", id, it.PracticeID, map[string]any{"count": n})); err != nil {
		return err
	}
	return c.json(http.StatusOK, out)
}

// POST /v1/work-items/{id}/notes {"body": "..."} (PHI, audited)
func (c *call) postNote() error {
	id, err := c.pathID("id")
	if err != nil {
		return err
	}
	var b struct {
		Body string `json:"body"`
	}
	if err := c.decode(&b); err != nil {
		return err
	}
	b.Body = strings.TrimSpace(b.Body)
	if b.Body == "" || utf8.RuneCountInString(b.Body) > MaxNoteChars {
		return badRequest("body must hold 1 to %d characters", MaxNoteChars)
	}
	ctx := c.r.Context()
	var n Note
	if err := c.inTx(func(tx *sqlx.Tx) error {
		it, err := c.loadItem(id, false, tx)
		if err != nil {
			return err
		}
		if err := c.mayWork(it); err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &n, `INSERT INTO work_item_notes (work_item_id, author_id, body) VALUES ($1, $2, $3)
			RETURNING id, work_item_id, author_id, body, created_at`, id, c.id.UserID, b.Body); err != nil {
			return err
		}
		n.AuthorName = c.id.Name
		// A note by the assignee counts as touching the item (no version change:
		// a note overwrites nothing).
		if _, err := tx.ExecContext(ctx, `UPDATE work_items SET touched_at = now() WHERE id = $1 AND assignee_id = $2`, id, c.id.UserID); err != nil {
			return err
		}
		if err := c.event(tx, id, "note", "", "", nil, map[string]any{"note_id": n.ID}); err != nil {
			return err
		}
		if err := c.auditTx(tx, c.entry("work_item.note.add", "work_item", id, it.PracticeID, map[string]any{"note_id": n.ID})); err != nil {
			return err
		}
		return nil
	}); err != nil {
		return err
	}
	return c.json(http.StatusCreated, n)
}

// Event is one entry of a work item's history.
type Event struct {
	ID         int64     `db:"id" json:"id"`
	At         time.Time `db:"at" json:"at"`
	Actor      string    `db:"actor" json:"actor"`
	Action     string    `db:"action" json:"action"`
	FromStatus *string   `db:"from_status" json:"from_status"`
	ToStatus   *string   `db:"to_status" json:"to_status"`
	Amount     *string   `db:"amount" json:"amount"`
	Detail     jsonRaw   `db:"detail" json:"detail"`
}

var eventSorts = []sortKey{{name: "at", expr: "e.at", typ: "timestamptz"}}

// GET /v1/work-items/{id}/events
func (c *call) getEvents() error {
	id, err := c.pathID("id")
	if err != nil {
		return err
	}
	it, err := c.loadItem(id, false, c.s.db)
	if err != nil {
		return err
	}
	p, err := newPager(c.r.URL.Query(), eventSorts...)
	if err != nil {
		return err
	}
	var args auth.Args
	where := "e.work_item_id = " + args.Add(id)
	if k := p.where("e.id", &args); k != "" {
		where += " AND " + k
	}
	var rows []struct {
		K string `db:"k"`
		Event
	}
	if err := c.s.db.SelectContext(c.r.Context(), &rows, "SELECT "+p.keyCol()+` AS k, e.id, e.at, e.actor, e.action,
		e.from_status, e.to_status, e.amount::text, e.detail FROM work_item_events e WHERE `+where+p.orderLimit("e.id"), args...); err != nil {
		return err
	}
	n, next := p.next(len(rows), func(i int) (string, int64) { return rows[i].K, rows[i].ID })
	out := Page[Event]{Items: make([]Event, n), NextCursor: next}
	phi := c.id.Can(auth.WorkPHI)
	shown := 0
	for i := range n {
		out.Items[i] = rows[i].Event
		d, k, err := freeTextOut(out.Items[i].Detail, phi)
		if err != nil {
			return err
		}
		out.Items[i].Detail, shown = d, shown+k
	}
	if shown > 0 {
		// Free text about the patient was read: a PHI read, as notes.
		if err := c.audit(c.entry("work_item.events.read", "work_item", id, it.PracticeID, map[string]any{"free_text": shown})); err != nil {
			return err
		}
	}
	return c.json(http.StatusOK, out)
}

// eventFreeText are the keys of an event's detail that hold free text
// about the patient (PHI, like notes).
var eventFreeText = []string{"override_reason", "resolution"}

// freeTextOut drops the free text of an event's detail for a caller
// without work.phi; with it, the detail is unchanged and shown counts the
// texts it holds (to audit them).
func freeTextOut(detail jsonRaw, phi bool) (jsonRaw, int, error) {
	if len(detail) == 0 || !bytes.Contains(detail, []byte(`"`)) {
		return detail, 0, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(detail, &m); err != nil {
		return detail, 0, nil // not an object: no keys to hold text
	}
	found := 0
	for _, k := range eventFreeText {
		if _, ok := m[k]; ok {
			found++
			delete(m, k)
		}
	}
	if found == 0 || phi {
		return detail, found, nil
	}
	b, err := json.Marshal(m)
	return b, 0, err
}
