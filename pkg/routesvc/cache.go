package routesvc

import (
	"context"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/route"
	"github.com/remitq/remitq/pkg/rules"
	"github.com/remitq/remitq/pkg/rulesstore"
	"github.com/remitq/remitq/pkg/workstore"
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
	rules    map[int64][]workstore.QueueRule // by practice; practice and global rules in order
	rulesAt  time.Time
	queues   map[queueKey]int64
}

type queueKey struct {
	practice int64
	name     string
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
		windows, err := s.ws.AppealWindows(ctx)
		if err != nil {
			return cfg, nil, err
		}
		m := map[string]route.PayerProfile{}
		for code, days := range windows {
			m[code] = route.PayerProfile{AppealDays: days}
		}
		today := day.Of(s.opts.Now().UTC())
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
func (s *Service) payerIDs(ctx context.Context, codes []string) (map[string]int64, error) {
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
	found, err := s.ws.Payers(ctx, miss)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for code, id := range found {
		out[code], c.payers[code] = id, id
	}
	return out, nil
}

// queueRules returns the rules that apply to a practice, in the order they
// are tried: the practice's own by position, then the global ones.
func (s *Service) queueRules(ctx context.Context, q sqlx.QueryerContext, practice int64) ([]workstore.QueueRule, error) {
	c := s.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rules == nil || time.Since(c.rulesAt) > c.ttl {
		all, err := workstore.QueueRules(ctx, q, nil)
		if err != nil {
			return nil, err
		}
		m := map[int64][]workstore.QueueRule{}
		var global []workstore.QueueRule
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
func (s *Service) queueID(ctx context.Context, tx *workstore.Tx, practice int64, name string, created map[queueKey]int64) (int64, error) {
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
	if err := s.ws.EnsureQueue(ctx, practice, name); err != nil {
		return 0, err
	}
	id, err := tx.QueueID(ctx, practice, name)
	if err != nil {
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
