package routesvc

import (
	"database/sql"
	"errors"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"
	"go.uber.org/zap"

	"github.com/remitq/remitq/carc"
	"github.com/remitq/remitq/pkg/audit"
	"github.com/remitq/remitq/pkg/httpx"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/work"
	"github.com/remitq/remitq/pkg/workstore"
)

// UserHeader names the caller until the API's authentication wraps these
// handlers: a user id.
const UserHeader = "X-Remitq-User"

func (s *Service) guard(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.opts.Authorize != nil {
			if err := s.opts.Authorize(r); err != nil {
				httpx.Error(w, http.StatusUnauthorized, "unauthorized", err.Error())
				return
			}
		}
		h(w, r)
	})
}

// user returns the caller's user id from UserHeader.
func user(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(strings.TrimSpace(r.Header.Get(UserHeader)), 10, 64)
	return id, err == nil && id > 0
}

func (s *Service) getQueues(w http.ResponseWriter, r *http.Request) {
	practice, err := strconv.ParseInt(r.PathValue("practice"), 10, 64)
	if err != nil || practice <= 0 {
		httpx.Error(w, http.StatusBadRequest, "bad_practice", "the practice is a positive number")
		return
	}
	qs, err := s.ws.PracticeQueues(r.Context(), practice, s.opts.Now())
	if err != nil {
		s.internal(w, err)
		return
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"practice_id": practice, "queues": qs})
}

func (s *Service) internal(w http.ResponseWriter, err error) {
	s.log.Error("router HTTP", zap.Error(err))
	httpx.Error(w, http.StatusInternalServerError, "internal", "the request failed; see the server log")
}

// RuleInput is the body of POST and PUT /v1/queue-rules: which items (every
// set condition must hold) go to which queue. practice_id null: every
// practice (the queue of that name in the item's practice).
type RuleInput struct {
	PracticeID *int64        `json:"practice_id"`
	Position   *int          `json:"position"` // default 100
	QueueName  string        `json:"queue_name"`
	Kind       *string       `json:"kind"`
	Category   *string       `json:"category"`
	PayerID    *int64        `json:"payer_id"`
	Provider   *string       `json:"provider_npi"`
	Procedure  *string       `json:"procedure_code"`
	MinAmount  *money.Amount `json:"min_amount"`
}

// rule is the input as a queue rule (after validate: Position is set).
func (in *RuleInput) rule(id int64) workstore.QueueRule {
	return workstore.QueueRule{ID: id, PracticeID: in.PracticeID, Position: *in.Position, QueueName: in.QueueName, Kind: in.Kind,
		Category: in.Category, PayerID: in.PayerID, Provider: in.Provider, Procedure: in.Procedure, MinAmount: in.MinAmount}
}

// validate checks the input's values; it never echoes them beyond codes.
func (in *RuleInput) validate() error {
	var errs []string
	in.QueueName = strings.TrimSpace(in.QueueName)
	if in.QueueName == "" || len(in.QueueName) > 100 {
		errs = append(errs, "queue_name is required (at most 100 characters)")
	}
	if in.Kind != nil {
		if !work.ValidKind(*in.Kind) {
			errs = append(errs, "kind is "+work.KindsText())
		}
	}
	if in.Category != nil && !carc.Category(*in.Category).Valid() {
		errs = append(errs, "category is not a DESIGN.md category key")
	}
	if in.MinAmount != nil && *in.MinAmount < 0 {
		errs = append(errs, "min_amount is not negative")
	}
	if in.Position == nil {
		p := 100
		in.Position = &p
	} else if *in.Position < -1_000_000 || *in.Position > 1_000_000 {
		// The column is an integer: a position beyond it answered 500.
		errs = append(errs, "position is -1000000 to 1000000")
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

func (s *Service) listRules(w http.ResponseWriter, r *http.Request) {
	var practice *int64
	if p := r.URL.Query().Get("practice"); p != "" {
		id, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			httpx.Error(w, http.StatusBadRequest, "bad_practice", "practice is a number")
			return
		}
		practice = &id
	}
	out, err := workstore.QueueRules(r.Context(), s.deps.DB, practice)
	if err != nil {
		s.internal(w, err)
		return
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"rules": out})
}

// readRule reads and checks a rule body; it answers the error itself.
func readRule(w http.ResponseWriter, r *http.Request) (*RuleInput, bool) {
	var in RuleInput
	if err := httpx.DecodeJSON(r.Body, 64<<10, &in); err != nil {
		var be *httpx.BodyError
		if errors.As(err, &be) {
			be.Write(w)
		} else {
			httpx.Error(w, http.StatusBadRequest, "bad_json", "the body is a queue rule as JSON")
		}
		return nil, false
	}
	if err := in.validate(); err != nil {
		httpx.Error(w, http.StatusUnprocessableEntity, "invalid_rule", err.Error())
		return nil, false
	}
	return &in, true
}

func (s *Service) createRule(w http.ResponseWriter, r *http.Request) {
	uid, ok := user(r)
	if !ok {
		httpx.Error(w, http.StatusUnauthorized, "no_user", "send the user id in "+UserHeader)
		return
	}
	in, ok := readRule(w, r)
	if !ok {
		return
	}
	var rule workstore.QueueRule
	err := s.withAudit(r, uid, "queue_rule.create", func(tx *sqlx.Tx) (int64, []*int64, error) {
		var err error
		rule, err = workstore.CreateRule(r.Context(), tx, in.rule(0))
		return rule.ID, []*int64{in.PracticeID}, err
	})
	if err != nil {
		s.ruleError(w, err)
		return
	}
	httpx.JSON(w, http.StatusCreated, rule)
}

func (s *Service) updateRule(w http.ResponseWriter, r *http.Request) {
	uid, ok := user(r)
	if !ok {
		httpx.Error(w, http.StatusUnauthorized, "no_user", "send the user id in "+UserHeader)
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		httpx.Error(w, http.StatusNotFound, "not_found", "no such queue rule")
		return
	}
	in, ok := readRule(w, r)
	if !ok {
		return
	}
	var rule workstore.QueueRule
	err = s.withAudit(r, uid, "queue_rule.update", func(tx *sqlx.Tx) (int64, []*int64, error) {
		// The rule's practice before and after: both are touched.
		var old *int64
		var err error
		rule, old, err = workstore.UpdateRule(r.Context(), tx, in.rule(id))
		return id, []*int64{old, in.PracticeID}, err
	})
	if err != nil {
		s.ruleError(w, err)
		return
	}
	httpx.JSON(w, http.StatusOK, rule)
}

func (s *Service) deleteRule(w http.ResponseWriter, r *http.Request) {
	uid, ok := user(r)
	if !ok {
		httpx.Error(w, http.StatusUnauthorized, "no_user", "send the user id in "+UserHeader)
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		httpx.Error(w, http.StatusNotFound, "not_found", "no such queue rule")
		return
	}
	err = s.withAudit(r, uid, "queue_rule.delete", func(tx *sqlx.Tx) (int64, []*int64, error) {
		old, err := workstore.DeleteRule(r.Context(), tx, id)
		return id, []*int64{old}, err
	})
	if err != nil {
		s.ruleError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Service) ruleError(w http.ResponseWriter, err error) {
	if errors.Is(err, sql.ErrNoRows) {
		httpx.Error(w, http.StatusNotFound, "not_found", "no such queue rule")
		return
	}
	if strings.Contains(err.Error(), "violates foreign key") {
		httpx.Error(w, http.StatusUnprocessableEntity, "invalid_rule", "practice_id or payer_id does not exist")
		return
	}
	s.internal(w, err)
}

// withAudit runs fn in a transaction with audit_log rows naming the user,
// the request and each practice the change touched (fn returns them; nil:
// a rule of every practice), and drops the cached rules once it commits.
func (s *Service) withAudit(r *http.Request, uid int64, action string, fn func(*sqlx.Tx) (int64, []*int64, error)) error {
	tx, err := s.deps.DB.BeginTxx(r.Context(), nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	id, touched, err := fn(tx)
	if err != nil {
		return err
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	var practices []int64 // 0: every practice
	for _, p := range touched {
		var v int64
		if p != nil {
			v = *p
		}
		if !slices.Contains(practices, v) {
			practices = append(practices, v)
		}
	}
	var entries []audit.Entry
	for _, p := range practices {
		entries = append(entries, audit.Entry{Actor: "user:" + strconv.FormatInt(uid, 10), UserID: uid, Action: action,
			Entity: "queue_rule", EntityID: strconv.FormatInt(id, 10), PracticeID: p, RemoteAddr: host, Method: r.Method,
			Route: r.Pattern, RequestID: r.Header.Get("X-Request-Id"), Detail: map[string]any{"practice_ids": practices}})
	}
	if err := audit.Record(r.Context(), tx, entries...); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	s.cache.invalidateRules()
	return nil
}
