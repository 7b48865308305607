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
	"github.com/remitq/remitq/pkg/route"
	"github.com/remitq/remitq/pkg/work"
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

// Bucket is a count and the dollars at risk of a group of open items.
type Bucket struct {
	Key          string       `json:"key"`
	Name         string       `json:"name,omitempty"`
	Items        int          `json:"items"`
	AmountAtRisk money.Amount `json:"amount_at_risk"`
}

// QueueSummary is one queue of a practice with its open items.
type QueueSummary struct {
	ID           int64        `json:"id"`
	Name         string       `json:"name"`
	Description  string       `json:"description"`
	OpenItems    int          `json:"open_items"`
	AmountAtRisk money.Amount `json:"amount_at_risk"`
	// Aging counts open items by days since their remit (workage): 0-30,
	// 31-60, 61-90, 90+.
	Aging      []Bucket `json:"aging"`
	ByCategory []Bucket `json:"by_category"`
	ByPayer    []Bucket `json:"by_payer"`
	ByProvider []Bucket `json:"by_provider"`
}

// AgingBuckets are the keys of QueueSummary.Aging, in order (work.Keys:
// the one aging of every view).
var AgingBuckets = work.Keys

// Queues returns the practice's queues with their open items summed,
// largest dollars at risk first within each view. Items without a queue
// (none, unless a queue was deleted) are left out.
func Queues(r *http.Request, db sqlx.QueryerContext, practice int64) ([]*QueueSummary, error) {
	ctx := r.Context()
	var qs []*QueueSummary
	rows, err := db.QueryContext(ctx, `SELECT id, name, description FROM queues WHERE practice_id = $1 ORDER BY name`, practice)
	if err != nil {
		return nil, err
	}
	byID := map[int64]*QueueSummary{}
	for rows.Next() {
		q := &QueueSummary{Aging: make([]Bucket, len(AgingBuckets)), ByCategory: []Bucket{}, ByPayer: []Bucket{}, ByProvider: []Bucket{}}
		if err := rows.Scan(&q.ID, &q.Name, &q.Description); err != nil {
			rows.Close()
			return nil, err
		}
		for i, k := range AgingBuckets {
			q.Aging[i].Key = k
		}
		qs = append(qs, q)
		byID[q.ID] = q
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = db.QueryContext(ctx, `
	WITH w AS (
		SELECT queue_id, category, payer_id, provider_npi, amount_at_risk,
			`+work.BucketSQL("work_items", "current_date")+` AS bucket
		FROM work_items WHERE practice_id = $1 AND queue_id IS NOT NULL
			AND status NOT IN ('resolved', 'written_off')
	)
	SELECT w.queue_id, GROUPING(w.category, w.payer_id, w.provider_npi, w.bucket) AS g,
		COALESCE(w.category, ''), COALESCE(w.payer_id, 0), COALESCE(MIN(p.name), ''), COALESCE(w.provider_npi, ''),
		COALESCE(w.bucket, 0), count(*), sum(w.amount_at_risk)
	FROM w LEFT JOIN payers p ON p.id = w.payer_id
	GROUP BY GROUPING SETS ((w.queue_id), (w.queue_id, w.category), (w.queue_id, w.payer_id),
		(w.queue_id, w.provider_npi), (w.queue_id, w.bucket))
	ORDER BY 1, 2, 9 DESC`, practice)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var qid, payer int64
		var g, bucket, n int
		var cat, payerName, prov string
		var amt money.Amount
		if err := rows.Scan(&qid, &g, &cat, &payer, &payerName, &prov, &bucket, &n, &amt); err != nil {
			return nil, err
		}
		q := byID[qid]
		if q == nil {
			continue
		}
		b := Bucket{Items: n, AmountAtRisk: amt}
		// GROUPING bits, most significant first: category, payer, provider, bucket.
		switch g {
		case 0b1111:
			q.OpenItems, q.AmountAtRisk = n, amt
		case 0b0111:
			b.Key = cat
			q.ByCategory = append(q.ByCategory, b)
		case 0b1011:
			b.Key, b.Name = strconv.FormatInt(payer, 10), payerName
			if payer == 0 {
				b.Key = ""
			}
			q.ByPayer = append(q.ByPayer, b)
		case 0b1101:
			b.Key = prov
			q.ByProvider = append(q.ByProvider, b)
		case 0b1110:
			q.Aging[bucket].Items, q.Aging[bucket].AmountAtRisk = n, amt
		}
	}
	return qs, rows.Err()
}

func (s *Service) getQueues(w http.ResponseWriter, r *http.Request) {
	practice, err := strconv.ParseInt(r.PathValue("practice"), 10, 64)
	if err != nil || practice <= 0 {
		httpx.Error(w, http.StatusBadRequest, "bad_practice", "the practice is a positive number")
		return
	}
	qs, err := Queues(r, s.deps.DB, practice)
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

// validate checks the input's values; it never echoes them beyond codes.
func (in *RuleInput) validate() error {
	var errs []string
	in.QueueName = strings.TrimSpace(in.QueueName)
	if in.QueueName == "" || len(in.QueueName) > 100 {
		errs = append(errs, "queue_name is required (at most 100 characters)")
	}
	if in.Kind != nil {
		switch route.WorkKind(*in.Kind) {
		case route.DenialWork, route.UnderpaymentWork, route.UnmatchedRemittance:
		default:
			errs = append(errs, "kind is denial, underpayment or unmatched_remittance")
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
	q := `SELECT id, practice_id, position, queue_name, kind, category, payer_id, provider_npi, procedure_code, min_amount
		FROM queue_rules`
	var args []any
	if p := r.URL.Query().Get("practice"); p != "" {
		id, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			httpx.Error(w, http.StatusBadRequest, "bad_practice", "practice is a number")
			return
		}
		q += ` WHERE practice_id = $1 OR practice_id IS NULL`
		args = append(args, id)
	}
	q += ` ORDER BY practice_id IS NULL, practice_id, position, id`
	out := []queueRule{}
	if err := sqlx.SelectContext(r.Context(), s.deps.DB, &out, q, args...); err != nil {
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
	var rule queueRule
	err := s.withAudit(r, uid, "queue_rule.create", func(tx *sqlx.Tx) (int64, []*int64, error) {
		err := tx.QueryRowxContext(r.Context(), `INSERT INTO queue_rules (practice_id, position, queue_name, kind, category,
			payer_id, provider_npi, procedure_code, min_amount) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
			RETURNING id, practice_id, position, queue_name, kind, category, payer_id, provider_npi, procedure_code, min_amount`,
			in.PracticeID, *in.Position, in.QueueName, in.Kind, in.Category, in.PayerID, in.Provider, in.Procedure, in.MinAmount).StructScan(&rule)
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
	var rule queueRule
	err = s.withAudit(r, uid, "queue_rule.update", func(tx *sqlx.Tx) (int64, []*int64, error) {
		// The rule's practice before and after: both are touched.
		var old *int64
		if err := tx.QueryRowxContext(r.Context(), `SELECT practice_id FROM queue_rules WHERE id = $1 FOR UPDATE`, id).Scan(&old); err != nil {
			return id, nil, err
		}
		err := tx.QueryRowxContext(r.Context(), `UPDATE queue_rules SET practice_id = $2, position = $3, queue_name = $4,
			kind = $5, category = $6, payer_id = $7, provider_npi = $8, procedure_code = $9, min_amount = $10 WHERE id = $1
			RETURNING id, practice_id, position, queue_name, kind, category, payer_id, provider_npi, procedure_code, min_amount`,
			id, in.PracticeID, *in.Position, in.QueueName, in.Kind, in.Category, in.PayerID, in.Provider, in.Procedure, in.MinAmount).StructScan(&rule)
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
		var old *int64
		err := tx.QueryRowxContext(r.Context(), `DELETE FROM queue_rules WHERE id = $1 RETURNING practice_id`, id).Scan(&old)
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
