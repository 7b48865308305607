package routesvc

import (
	"context"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/route"
	"github.com/remitq/remitq/pkg/rules"
	"github.com/remitq/remitq/pkg/rulesstore"
)

// cache keeps the small tables every batch reads: payers by code, payer
// profiles, queue rules and queue ids. Entries live for ttl; the
// component's own rule endpoints invalidate at once.
type cache struct {
	ttl time.Duration
	mu  sync.Mutex

	payers   map[string]int64 // payer_id_code → payers.id
	profiles map[string]route.PayerProfile
	set      *rules.Set // the pain rules with the payer profiles
	profAt   time.Time
	rules    map[int64][]queueRule // by practice; practice and global rules in order
	rulesAt  time.Time
	queues   map[queueKey]int64
}

type queueKey struct {
	practice int64
	name     string
}

// queueRule is one row of queue_rules.
type queueRule struct {
	ID         int64         `json:"id" db:"id"`
	PracticeID *int64        `json:"practice_id" db:"practice_id"`
	Position   int           `json:"position" db:"position"`
	QueueName  string        `json:"queue_name" db:"queue_name"`
	Kind       *string       `json:"kind" db:"kind"`
	Category   *string       `json:"category" db:"category"`
	PayerID    *int64        `json:"payer_id" db:"payer_id"`
	Provider   *string       `json:"provider_npi" db:"provider_npi"`
	Procedure  *string       `json:"procedure_code" db:"procedure_code"`
	MinAmount  *money.Amount `json:"min_amount" db:"min_amount"`
}

// matches reports whether every set condition of the rule holds for it.
func (r *queueRule) matches(it *workItem) bool {
	return (r.Kind == nil || *r.Kind == it.kind) &&
		(r.Category == nil || *r.Category == it.category) &&
		(r.PayerID == nil || it.payerID.Valid && *r.PayerID == it.payerID.Int64) &&
		(r.Provider == nil || *r.Provider == it.provider) &&
		(r.Procedure == nil || *r.Procedure == it.procedure) &&
		(r.MinAmount == nil || it.atRisk >= *r.MinAmount)
}

func newCache(ttl time.Duration) *cache {
	return &cache{ttl: ttl, payers: map[string]int64{}, queues: map[queueKey]int64{}}
}

// invalidateRules drops the queue rules (after a change through the API).
func (c *cache) invalidateRules() {
	c.mu.Lock()
	c.rules = nil
	c.mu.Unlock()
}

// routeConfig is the router's configuration with the payer profiles, and
// the pain rules with the same profiles: the shipped and stored payer
// profiles (rulesstore.LoadProfiles) for the payers mapped to one, else the
// appeal window of payer_profiles (0004).
func (s *Service) routeConfig(ctx context.Context) (route.Config, *rules.Set, error) {
	c := s.cache
	cfg := s.opts.Route
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.profiles == nil || time.Since(c.profAt) > c.ttl {
		ps, err := rulesstore.LoadProfiles(ctx, s.deps.DB)
		if err != nil {
			return cfg, nil, err
		}
		rows, err := s.deps.DB.QueryContext(ctx, `SELECT p.payer_id_code, pp.appeal_window_days
			FROM payer_profiles pp JOIN payers p ON p.id = pp.payer_id`)
		if err != nil {
			return cfg, nil, err
		}
		defer rows.Close()
		m := map[string]route.PayerProfile{}
		for rows.Next() {
			var code string
			var days int
			if err := rows.Scan(&code, &days); err != nil {
				return cfg, nil, err
			}
			m[code] = route.PayerProfile{AppealDays: days}
		}
		if err := rows.Err(); err != nil {
			return cfg, nil, err
		}
		today := rules.DayOf(s.opts.Now().UTC())
		for code := range ps.Payers() {
			if p := ps.Resolve(code, "", "", today); p != nil {
				m[code] = route.ProfileFromRules(p)
			}
		}
		for k, v := range s.opts.Route.Payers {
			if _, ok := m[k]; !ok {
				m[k] = v
			}
		}
		c.profiles, c.profAt = m, time.Now()
		c.set = s.opts.Rules.WithProfiles(ps)
	}
	cfg.Payers = c.profiles
	if cfg.Rules == nil {
		cfg.Rules = c.set
	}
	return cfg, c.set, nil
}

// payerIDs resolves payer codes to payers.id; unknown codes stay unknown
// (the ingest creates payers, not the router).
func (s *Service) payerIDs(ctx context.Context, q sqlx.QueryerContext, codes []string) (map[string]int64, error) {
	c := s.cache
	c.mu.Lock()
	out := make(map[string]int64, len(codes))
	var miss []string
	for _, code := range codes {
		if id, ok := c.payers[code]; ok {
			out[code] = id
		} else if code != "" {
			miss = append(miss, code)
		}
	}
	c.mu.Unlock()
	if len(miss) == 0 {
		return out, nil
	}
	rows, err := q.QueryContext(ctx, `SELECT payer_id_code, id FROM payers WHERE payer_id_code = ANY($1)`, pq.Array(miss))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	c.mu.Lock()
	defer c.mu.Unlock()
	for rows.Next() {
		var code string
		var id int64
		if err := rows.Scan(&code, &id); err != nil {
			return nil, err
		}
		out[code], c.payers[code] = id, id
	}
	return out, rows.Err()
}

// queueRules returns the rules that apply to a practice, in the order they
// are tried: the practice's own by position, then the global ones.
func (s *Service) queueRules(ctx context.Context, q sqlx.QueryerContext, practice int64) ([]queueRule, error) {
	c := s.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rules == nil || time.Since(c.rulesAt) > c.ttl {
		var all []queueRule
		if err := sqlx.SelectContext(ctx, q, &all, `SELECT id, practice_id, position, queue_name, kind, category,
			payer_id, provider_npi, procedure_code, min_amount FROM queue_rules
			ORDER BY practice_id IS NULL, position, id`); err != nil {
			return nil, err
		}
		m := map[int64][]queueRule{}
		var global []queueRule
		for _, r := range all {
			if r.PracticeID == nil {
				global = append(global, r)
			} else {
				m[*r.PracticeID] = append(m[*r.PracticeID], r)
			}
		}
		m[0] = global
		c.rules, c.rulesAt = m, time.Now()
	}
	own := c.rules[practice]
	return append(own[:len(own):len(own)], c.rules[0]...), nil
}

// queueID returns the id of a practice's queue, creating it when missing.
// Ids created inside tx are remembered only once tx commits (see keep).
func (s *Service) queueID(ctx context.Context, tx *sqlx.Tx, practice int64, name string, created map[queueKey]int64) (int64, error) {
	k := queueKey{practice, name}
	s.cache.mu.Lock()
	id, ok := s.cache.queues[k]
	s.cache.mu.Unlock()
	if ok {
		return id, nil
	}
	if id, ok := created[k]; ok {
		return id, nil
	}
	// The queue is created in a statement of its own, outside the batch's
	// transaction: batches of two routers creating the queues of two
	// practices in opposite orders deadlocked on the upserted rows. A queue
	// created for a batch that then rolls back is harmless (it stays, empty).
	if _, err := s.deps.DB.ExecContext(ctx, `INSERT INTO queues (practice_id, name) VALUES ($1, $2)
		ON CONFLICT (practice_id, name) DO NOTHING`, practice, name); err != nil {
		return 0, err
	}
	if err := tx.GetContext(ctx, &id, `SELECT id FROM queues WHERE practice_id = $1 AND name = $2`, practice, name); err != nil {
		return 0, err
	}
	created[k] = id
	return id, nil
}

func (c *cache) keepQueues(created map[queueKey]int64) {
	if len(created) == 0 {
		return
	}
	c.mu.Lock()
	for k, v := range created {
		c.queues[k] = v
	}
	c.mu.Unlock()
}

// forgetQueue drops a cached queue id (the queue may have been deleted).
func (c *cache) forgetQueues() {
	c.mu.Lock()
	c.queues = map[queueKey]int64{}
	c.mu.Unlock()
}
