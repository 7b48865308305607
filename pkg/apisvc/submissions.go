package apisvc

import (
	_ "embed"
	"errors"
	"net/http"
	"strconv"

	"github.com/remitq/remitq/pkg/submissionstore"
)

// Submissions: the 837P files remitq generated (corrected, void and
// secondary claims), per practice and payer. A caller sees the files of the
// practices it sees whole (a file holds every provider's claims); the file
// itself is PHI and its download is audited.

// submissionScope is the practices whose files the caller sees (nil: all).
func (c *call) submissionScope() []int64 {
	if c.id.All() {
		return nil
	}
	ps := wholePractices(c.id)
	if ps == nil {
		ps = []int64{}
	}
	return ps
}

// GET /v1/submissions[?practice_id=&limit=&before=]: newest first.
func (c *call) getSubmissions() error {
	q := c.r.URL.Query()
	limit, before := 50, int64(0)
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			return badRequest("limit is 1 to 500")
		}
		limit = n
	}
	if v := q.Get("before"); v != "" {
		n, err := parseID(v, "before")
		if err != nil {
			return err
		}
		before = n
	}
	scope := c.submissionScope()
	if v := q.Get("practice_id"); v != "" {
		pid, err := parseID(v, "practice_id")
		if err != nil {
			return err
		}
		if scope != nil && !contains64(scope, pid) {
			return errNotFound
		}
		scope = []int64{pid}
	}
	list, err := submissionstore.List(c.r.Context(), c.s.db, scope, limit, before)
	if err != nil {
		return err
	}
	return c.json(http.StatusOK, map[string]any{"submissions": list})
}

func contains64(list []int64, v int64) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// GET /v1/submissions/{id}: one file's record (no PHI).
func (c *call) getSubmission() error {
	id, err := c.pathID("id")
	if err != nil {
		return err
	}
	s, _, err := submissionstore.Get(c.r.Context(), c.s.db, id, c.submissionScope())
	if errors.Is(err, submissionstore.ErrNotFound) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	return c.json(http.StatusOK, s)
}

// GET /v1/submissions/{id}/file: the 837P (PHI, audited).
func (c *call) getSubmissionFile() error {
	id, err := c.pathID("id")
	if err != nil {
		return err
	}
	s, raw, err := submissionstore.Get(c.r.Context(), c.s.db, id, c.submissionScope())
	if errors.Is(err, submissionstore.ErrNotFound) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	if err := c.audit(c.entry("submission.download", "submission", s.ID, s.PracticeID,
		map[string]any{"kind": s.Kind, "claims": s.Claims, "bytes": len(raw)})); err != nil {
		return err
	}
	c.w.Header().Set("Content-Type", "application/edi-x12")
	c.w.Header().Set("Content-Disposition", `attachment; filename="remitq-`+s.Kind+`-`+strconv.FormatInt(s.ID, 10)+`.837"`)
	c.w.WriteHeader(http.StatusOK)
	_, err = c.w.Write(raw)
	return err
}

// POST /v1/submissions {"work_items": [...], "type": "replacement"|"void"}:
// the corrected (or void) claims of several items, one file per practice
// and payer, in one transaction (201).
func (c *call) postSubmissions() error {
	var body struct {
		WorkItems []int64 `json:"work_items"`
		Type      string  `json:"type"`
	}
	if err := c.decode(&body); err != nil {
		return err
	}
	typ, err := claimType(body.Type)
	if err != nil {
		return err
	}
	subs, err := c.submit(body.WorkItems, typ)
	if err != nil {
		return err
	}
	return c.json(http.StatusCreated, map[string]any{"submissions": subs})
}
