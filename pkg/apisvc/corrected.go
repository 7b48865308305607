package apisvc

import (
	"errors"
	"net/http"

	"github.com/jmoiron/sqlx"

	"github.com/remitq/remitq/pkg/audit"
	"github.com/remitq/remitq/pkg/correct"
	"github.com/remitq/remitq/pkg/submissionstore"
	"github.com/remitq/remitq/x12"
)

// Corrected and void claims (issue 18): a work item whose denial a
// corrected claim fixes previews (GET) and creates (POST) the 837P of its
// billed claim with the fix applied (pkg/correct), batched per practice
// and payer into a submission (submissions.go). What cannot be built — no
// billed claim, a CSV-loaded one, no payer claim number, a void of a claim
// never paid, a payer that takes reopenings — answers 409 with what is
// missing, and nothing is stored.

// CorrectedClaim is the preview of a corrected or void claim.
type CorrectedClaim struct {
	WorkItemID        int64            `json:"work_item_id"`
	Type              string           `json:"type"` // replacement or void
	Profile           string           `json:"profile,omitempty"`
	Reopening         bool             `json:"reopening"`
	Note              string           `json:"note,omitempty"`
	FrequencyCode     string           `json:"frequency_code,omitempty"`
	PayerClaimControl string           `json:"payer_claim_control,omitempty"`
	Changes           []correct.Change `json:"changes"`
	// Claim is the claim that would be sent (PHI); nil for a reopening.
	Claim *x12.Claim `json:"claim,omitempty"`
}

func (s *Service) preparer() *submissionstore.Preparer {
	return &submissionstore.Preparer{Rules: s.opts.Rules}
}

// asConflict turns a submissionstore conflict into a 409.
func asConflict(err error) error {
	var cf *submissionstore.Conflict
	if errors.As(err, &cf) {
		return errf(http.StatusConflict, cf.Code, "%s", cf.Message)
	}
	if errors.Is(err, submissionstore.ErrNotFound) {
		return errNotFound
	}
	return err
}

func claimType(v string) (string, error) {
	switch v {
	case "", submissionstore.TypeReplacement:
		return submissionstore.TypeReplacement, nil
	case submissionstore.TypeVoid:
		return submissionstore.TypeVoid, nil
	}
	return "", badRequest("type is replacement or void")
}

func preview(p *submissionstore.Prepared) *CorrectedClaim {
	out := &CorrectedClaim{WorkItemID: p.Item.ID, Type: p.Type, Profile: p.Profile, Reopening: p.Result.Reopening,
		Note: p.Result.Note, Changes: p.Result.Changes, Claim: p.Result.Claim}
	if out.Changes == nil {
		out.Changes = []correct.Change{}
	}
	if c := p.Result.Claim; c != nil {
		out.FrequencyCode, out.PayerClaimControl = c.FrequencyCode, c.PayerClaimControlNumber
	}
	return out
}

// GET /v1/work-items/{id}/corrected-claim[?type=void]: the claim that
// would be sent, and what changed (PHI, audited).
func (c *call) getCorrectedClaim() error {
	id, err := c.pathID("id")
	if err != nil {
		return err
	}
	typ, err := claimType(c.r.URL.Query().Get("type"))
	if err != nil {
		return err
	}
	it, err := c.loadItem(id, false, c.s.db)
	if err != nil {
		return err
	}
	sit, err := submissionstore.LoadItem(c.r.Context(), c.s.db, it.ID, false)
	if err != nil {
		return asConflict(err)
	}
	p, err := c.s.preparer().Prepare(c.r.Context(), c.s.db, sit, typ)
	if err != nil {
		return asConflict(err)
	}
	out := preview(p)
	if err := c.audit(c.entry("work_item.corrected_claim.view", "work_item", it.ID, it.PracticeID,
		map[string]any{"type": typ, "reopening": out.Reopening, "changes": len(out.Changes)})); err != nil {
		return err
	}
	return c.json(http.StatusOK, out)
}

// POST /v1/work-items/{id}/corrected-claim {"type": "replacement"|"void"}:
// creates the claim's submission (201); the item moves to resubmitted.
func (c *call) postCorrectedClaim() error {
	id, err := c.pathID("id")
	if err != nil {
		return err
	}
	var body struct {
		Type string `json:"type"`
	}
	if c.r.ContentLength != 0 {
		if err := c.decode(&body); err != nil {
			return err
		}
	}
	typ, err := claimType(body.Type)
	if err != nil {
		return err
	}
	subs, err := c.submit([]int64{id}, typ)
	if err != nil {
		return err
	}
	return c.json(http.StatusCreated, subs[0])
}

// submit checks every item is the caller's, then builds and stores their
// claims in one transaction with an audit row per item and per file.
func (c *call) submit(ids []int64, typ string) ([]*submissionstore.Submission, error) {
	if len(ids) == 0 {
		return nil, badRequest("name at least one work item")
	}
	if len(ids) > 500 {
		return nil, badRequest("at most 500 work items at once")
	}
	for _, id := range ids {
		if _, err := c.loadItem(id, false, c.s.db); err != nil {
			return nil, err
		}
	}
	subs, err := c.s.preparer().Submit(c.r.Context(), c.s.db, ids, typ, c.id.Actor(), c.s.opts.Now(),
		func(tx *sqlx.Tx, prepared []*submissionstore.Prepared, subs []*submissionstore.Submission) error {
			var entries []audit.Entry
			for _, s := range subs {
				entries = append(entries, c.entry("submission.create", "submission", s.ID, s.PracticeID,
					map[string]any{"kind": s.Kind, "claims": s.Claims, "interchange_control": s.InterchangeControl, "work_items": s.WorkItems}))
				for _, w := range s.WorkItems {
					entries = append(entries, c.entry("work_item.update", "work_item", w, s.PracticeID,
						map[string]any{"to": "resubmitted", "submission_id": s.ID}))
				}
			}
			return c.auditTx(tx, entries...)
		})
	if err != nil {
		return nil, asConflict(err)
	}
	return subs, nil
}

// Secondary claims: a bill-secondary work item (kind bill_secondary, opened
// by the sweep for a paid claim whose 837P names another payer and that the
// primary did not cross over) previews (GET) and creates (POST) the claim
// to the other payer with the primary's adjudication in 2320/2430.

// GET /v1/work-items/{id}/secondary-claim (PHI, audited).
func (c *call) getSecondaryClaim() error {
	id, err := c.pathID("id")
	if err != nil {
		return err
	}
	it, err := c.loadItem(id, false, c.s.db)
	if err != nil {
		return err
	}
	sit, err := submissionstore.LoadItem(c.r.Context(), c.s.db, it.ID, false)
	if err != nil {
		return asConflict(err)
	}
	p, err := c.s.preparer().Prepare(c.r.Context(), c.s.db, sit, submissionstore.TypeSecondary)
	if err != nil {
		return asConflict(err)
	}
	out := preview(p)
	out.Type = submissionstore.TypeSecondary
	if err := c.audit(c.entry("work_item.secondary_claim.view", "work_item", it.ID, it.PracticeID,
		map[string]any{"changes": len(out.Changes)})); err != nil {
		return err
	}
	return c.json(http.StatusOK, out)
}

// POST /v1/work-items/{id}/secondary-claim: the secondary claim's
// submission (201); the item moves to resubmitted.
func (c *call) postSecondaryClaim() error {
	id, err := c.pathID("id")
	if err != nil {
		return err
	}
	subs, err := c.submit([]int64{id}, submissionstore.TypeSecondary)
	if err != nil {
		return err
	}
	return c.json(http.StatusCreated, subs[0])
}

// POST /v1/submissions/secondary-sweep {"practice_id": N}: opens the
// bill-secondary items of a practice the caller sees whole (admins: any,
// or 0 for every practice) and marks crossed-over claims.
func (c *call) postSecondarySweep() error {
	var body struct {
		PracticeID int64 `json:"practice_id"`
	}
	if err := c.decode(&body); err != nil {
		return err
	}
	if !c.id.All() && (body.PracticeID <= 0 || !contains64(wholePractices(c.id), body.PracticeID)) {
		return errNotFound
	}
	res, err := submissionstore.SweepSecondary(c.r.Context(), c.s.db, body.PracticeID)
	if err != nil {
		return err
	}
	if err := c.audit(c.entry("submission.secondary_sweep", "practice", body.PracticeID, body.PracticeID,
		map[string]any{"checked": res.Checked, "crossed_over": res.CrossedOver, "opened": res.Opened, "skipped": res.Skipped})); err != nil {
		return err
	}
	return c.json(http.StatusOK, res)
}
