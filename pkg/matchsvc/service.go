package matchsvc

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/remitq/remitq/pkg/billedstore"
	"github.com/remitq/remitq/pkg/bus"
	"github.com/remitq/remitq/pkg/match"
	"github.com/remitq/remitq/pkg/matchstore"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/svc"
	v1 "github.com/remitq/remitq/proto/remitq/v1"
	"github.com/remitq/remitq/x12"
)

// Service is the matcher component: it consumes remit.v1.claim.> and
// remit.v1.plb.>, matches, records and publishes match.v1.claim.<practice>
// (and match.v1.line.<practice> when taken);
// it re-matches waiting claims when their billed claims arrive, relays
// changed matches, and serves the review queue (see Register).
type Service struct {
	deps    *svc.Deps
	opts    Options
	eng     *engine
	pub     *bus.Publisher
	log     *zap.Logger
	metrics *metrics
	retryC  chan struct{}
	relayC  chan struct{}
	matched atomic.Int64 // paid lines matched the first time (not re-matches)
}

type metrics struct {
	Lines   *prometheus.CounterVec
	batches prometheus.Histogram
	plbs    prometheus.Counter
}

// New builds the matcher and registers its metrics on
// deps.Metrics; it refuses impossible options (Options.Validate).
func New(deps *svc.Deps, opts Options) (*Service, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	s := &Service{deps: deps, opts: opts, log: deps.Log.With(zap.String("component", "matcher")),
		eng:    &engine{db: deps.DB, opts: opts, files: matchstore.NewFileCache()},
		pub:    bus.NewPublisher(deps.JS, bus.PublisherOptions{BatchSize: 2000}),
		retryC: make(chan struct{}, 1), relayC: make(chan struct{}, 1)}
	m := &metrics{
		Lines: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "remitq_match_lines_total",
			Help: "Paid lines matched (first answers and changed re-matches), by method."}, []string{"method"}),
		batches: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "remitq_match_batch_seconds",
			Help: "Time to match, record and publish one batch of REMIT messages.", Buckets: prometheus.ExponentialBuckets(0.005, 2, 12)}),
		plbs: prometheus.NewCounter(prometheus.CounterOpts{Name: "remitq_match_plb_total", Help: "PLB pairs linked."}),
	}
	count := func(name, help, query string) prometheus.GaugeFunc {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			var n int64
			if err := deps.DB.GetContext(ctx, &n, query); err != nil {
				return -1
			}
			return float64(n)
		})
	}
	lag := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "remitq_match_lag_messages",
		Help: "REMIT messages for the matcher not yet handled (pending and unacknowledged)."}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		c, err := deps.JS.Consumer(ctx, bus.StreamRemit, opts.Consumer)
		if err != nil {
			return -1
		}
		info, err := c.Info(ctx)
		if err != nil {
			return -1
		}
		return float64(info.NumPending) + float64(info.NumAckPending)
	})
	deps.Metrics.MustRegister(m.Lines, m.batches, m.plbs, lag,
		count("remitq_match_review_queue", "Paid claims waiting for a person or for their billed claim.", `SELECT count(*) FROM match_pending`),
		count("remitq_match_retry_queue", "Waiting paid claims marked for a new match (their billed claims arrived).",
			`SELECT count(*) FROM match_pending WHERE retry_requested_at IS NOT NULL`),
		count("remitq_match_outbox", "Changed matches not yet published again.", `SELECT count(*) FROM match_outbox`))
	s.metrics = m
	return s, nil
}

// Name implements svc.Component.
func (s *Service) Name() string { return "matcher" }

// Run consumes until ctx ends, with Options.Workers batch loops, the retry
// worker and the outbox relay.
func (s *Service) Run(ctx context.Context) error {
	if s.deps.NC != nil {
		sub, err := s.deps.NC.Subscribe(billedstore.RetrySubject, func(*nats.Msg) { wake(s.retryC) })
		if err == nil {
			defer sub.Unsubscribe()
		}
	}
	var wg sync.WaitGroup
	errc := make(chan error, s.opts.Workers+2)
	for range s.opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errc <- bus.ConsumeBatch(ctx, s.deps.JS, bus.StreamRemit, s.opts.Consumer, s.handle,
				bus.BatchOptions{MaxBatch: s.opts.MaxBatch, MaxWait: s.opts.MaxWait, Logger: s.log})
		}()
	}
	wg.Add(2)
	go func() { defer wg.Done(); errc <- s.loop(ctx, s.retryC, s.RetryOnce) }()
	go func() { defer wg.Done(); errc <- s.loop(ctx, s.relayC, s.RelayOnce) }()
	wg.Wait()
	close(errc)
	var first error
	for err := range errc {
		if err != nil && first == nil {
			first = err
		}
	}
	return first
}

func wake(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// loop runs once until it finds nothing, then waits for a wake-up or the poll.
func (s *Service) loop(ctx context.Context, c chan struct{}, once func(context.Context) (int, error)) error {
	t := time.NewTicker(s.opts.RetryPoll)
	defer t.Stop()
	for {
		for ctx.Err() == nil {
			n, err := once(ctx)
			if err != nil {
				if ctx.Err() == nil {
					s.log.Warn("matcher: will retry", zap.Error(err))
				}
				break
			}
			if n == 0 {
				break
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-c:
		case <-t.C:
		}
	}
}

var (
	claimType = string((&v1.ClaimPayment{}).ProtoReflect().Descriptor().FullName())
	plbType   = string((&v1.ProviderAdjustment{}).ProtoReflect().Descriptor().FullName())
)

// rawMsg is a REMIT message as the handler sees it.
type rawMsg struct {
	typ, subject string
	data         []byte
}

// decoded is one REMIT message decoded once per batch: a paid claim or a
// PLB pair (neither: not the matcher's), or the permanent error of a body
// that does not decode.
type decoded struct {
	cp  *v1.ClaimPayment
	pa  *v1.ProviderAdjustment
	err error
}

// decodeMsgs decodes REMIT messages; used lists the messages the batch
// handles (those that decode and are the matcher's).
func decodeMsgs(msgs []rawMsg) (decs []decoded, used []int) {
	decs = make([]decoded, len(msgs))
	for i, m := range msgs {
		d := &decs[i]
		switch {
		case m.typ == claimType || m.typ == "" && strings.HasPrefix(m.subject, "remit.v1.claim."):
			cp := &v1.ClaimPayment{}
			if err := cp.UnmarshalVT(m.data); err != nil {
				d.err = bus.Permanent(fmt.Errorf("matchsvc: ClaimPayment does not decode: %w", err))
				continue
			}
			if src := cp.GetSource(); src.GetFileId() <= 0 || src.GetSegmentIndex() <= 0 {
				d.err = bus.Permanent(errors.New("matchsvc: ClaimPayment without file id and segment"))
				continue
			}
			d.cp = cp
			used = append(used, i)
		case m.typ == plbType || m.typ == "" && strings.HasPrefix(m.subject, "remit.v1.plb."):
			pa := &v1.ProviderAdjustment{}
			if err := pa.UnmarshalVT(m.data); err != nil {
				d.err = bus.Permanent(fmt.Errorf("matchsvc: ProviderAdjustment does not decode: %w", err))
				continue
			}
			if src := pa.GetSource(); src.GetFileId() <= 0 || src.GetSegmentIndex() <= 0 {
				d.err = bus.Permanent(errors.New("matchsvc: ProviderAdjustment without file id and segment"))
				continue
			}
			d.pa = pa
			used = append(used, i)
		default:
			// Not the matcher's (a consumer without filter): nothing to do.
		}
	}
	return decs, used
}

// batchItems builds fresh batch items of the messages at idx (a try of a
// batch changes its items, so each try builds its own).
func batchItems(raws []rawMsg, decs []decoded, idx []int) (items []*item, plbs []*plbItem) {
	seen := map[matchstore.Pos]bool{}
	for _, i := range idx {
		switch d := decs[i]; {
		case d.cp != nil:
			src := d.cp.GetSource()
			p := matchstore.Pos{File: src.GetFileId(), Seg: src.GetSegmentIndex()}
			if !seen[p] {
				seen[p] = true
				items = append(items, &item{Pos: p, cp: d.cp, Payload: raws[i].data, fromMsg: true})
			}
		case d.pa != nil:
			pa := d.pa
			src := pa.GetSource()
			plbs = append(plbs, &plbItem{Pos: matchstore.Pos{File: src.GetFileId(), Seg: src.GetSegmentIndex()}, Position: pa.GetPosition(),
				PracticeID: src.GetPracticeId(), Payer: pa.GetPayer().GetPayerIdentifier(), fromMsg: true,
				plb: match.PLB{Ref: fmt.Sprintf("%d:%d:%d", src.GetFileId(), src.GetSegmentIndex(), pa.GetPosition()),
					ProviderID: pa.GetProviderId(), FiscalPeriod: x12.Date(pa.GetFiscalPeriodDate()), Reason: pa.GetReasonCode(),
					Reference: pa.GetReference(), Amount: money.Amount(pa.GetAmountCents())}})
		}
	}
	return items, plbs
}

// handle is the batch handler: decode, match and record in one
// transaction, publish every LineMatch and wait for JetStream's acks, and
// only then let the batch be acknowledged. A crash anywhere before the acks
// redelivers the batch; a redelivered claim is already recorded, so it is
// published again as stored (same Nats-Msg-Id) and nothing changes. A
// panic is bus.BatchRecoverer's (ConsumeBatch puts it around handle).
func (s *Service) handle(ctx context.Context, msgs []jetstream.Msg) []error {
	raws := make([]rawMsg, len(msgs))
	for i, m := range msgs {
		raws[i] = rawMsg{typ: m.Headers().Get(bus.HeaderType), subject: m.Subject(), data: m.Data()}
	}
	return s.handleRaw(ctx, raws)
}

// handleRaw handles a batch; when it fails, its messages are handled one
// at a time, in order, so that one message that cannot be handled (it is
// redelivered, then dead-lettered) does not hold back the others.
func (s *Service) handleRaw(ctx context.Context, raws []rawMsg) []error {
	decs, used := decodeMsgs(raws)
	errs := make([]error, len(raws))
	for i, d := range decs {
		errs[i] = d.err
	}
	if len(used) == 0 {
		return errs
	}
	err := s.process(ctx, raws, decs, used)
	if err == nil {
		return errs
	}
	if len(used) == 1 {
		errs[used[0]] = err
		return errs
	}
	s.log.Warn("matcher: batch failed; handling its messages one by one", zap.Error(err), zap.Int("messages", len(used)))
	for _, i := range used {
		if errs[i] = s.process(ctx, raws, decs, []int{i}); errs[i] != nil {
			s.log.Warn("matcher: message failed; redelivered", zap.Error(errs[i]), zap.String("subject", raws[i].subject))
		}
	}
	return errs
}

// process matches and records the messages at idx, then publishes their
// ClaimMatches (and line) messages and waits for their acks.
func (s *Service) process(ctx context.Context, raws []rawMsg, decs []decoded, idx []int) error {
	start := time.Now()
	items, plbs := batchItems(raws, decs, idx)
	out, err := s.eng.run(ctx, batch{items: items, plbs: plbs})
	if errors.Is(err, ErrRecorded) {
		items, plbs = batchItems(raws, decs, idx)
		out, err = s.eng.run(ctx, batch{items: items, plbs: plbs, check: true})
	}
	if err != nil {
		return err
	}
	cps := make([]*v1.ClaimPayment, len(out.publish))
	for i, it := range out.publish {
		cps[i] = it.cp
	}
	wanted, err := linesWanted(ctx, s.deps.JS, s.opts.Lines, cps)
	if err != nil {
		return err
	}
	msgs, err := s.eng.messages(ctx, out, wanted)
	if err != nil {
		return err
	}
	if _, err := s.pub.PublishAsync(ctx, msgs); err != nil {
		return err
	}
	if len(out.rematched) > 0 {
		wake(s.relayC)
	}
	s.count(out)
	s.metrics.batches.Observe(time.Since(start).Seconds())
	return nil
}

func (s *Service) count(out *batchOut) {
	for _, it := range out.publish {
		if it.res == nil {
			continue
		}
		s.matched.Add(int64(len(it.Lines)))
		for _, l := range it.Lines {
			s.metrics.Lines.WithLabelValues(l.Method).Inc()
		}
	}
	for _, it := range out.rematched {
		for _, l := range it.Lines {
			s.metrics.Lines.WithLabelValues(l.Method).Inc()
		}
	}
	s.metrics.plbs.Add(float64(out.plbs))
}

// RetryOnce re-matches up to one batch of waiting claims (and PLB pairs)
// marked for a retry by a load of billed claims, and returns how many it
// took.
func (s *Service) RetryOnce(ctx context.Context) (int, error) {
	rows, err := s.deps.DB.QueryxContext(ctx, `SELECT p.file_id, p.segment_index, p.practice_id, p.payer_code,
		coalesce(p.payer_claim_control, ''), coalesce(m.after_reversal, '')
		FROM match_pending p LEFT JOIN match_claims m ON m.file_id = p.file_id AND m.segment_index = p.segment_index
		WHERE p.retry_requested_at IS NOT NULL ORDER BY p.retry_requested_at, p.file_id, p.segment_index LIMIT $1`, s.opts.MaxBatch)
	if err != nil {
		return 0, fmt.Errorf("matchsvc: retry queue: %w", err)
	}
	var items []*item
	for rows.Next() {
		it := &item{rematch: true}
		var ctl, after string
		if err := rows.Scan(&it.Pos.File, &it.Pos.Seg, &it.PracticeID, &it.Payer, &ctl, &after); err != nil {
			rows.Close()
			return 0, err
		}
		for _, k := range []string{ctl, after} {
			if k != "" {
				it.preKeys = append(it.preKeys, matchstore.Key{Payer: it.Payer, Control: k})
			}
		}
		items = append(items, it)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	prows, err := matchstore.LoadPLBs(ctx, s.deps.DB, `WHERE l.retry_requested_at IS NOT NULL ORDER BY l.retry_requested_at LIMIT $1`, s.opts.MaxBatch)
	if err != nil {
		return 0, err
	}
	var plbs []*plbItem
	for _, r := range prows {
		plbs = append(plbs, plbItemOf(r))
	}
	if len(items)+len(plbs) == 0 {
		return 0, nil
	}
	out, err := s.eng.run(ctx, batch{items: items, plbs: plbs, Retry: true, check: true})
	if err != nil {
		return 0, err
	}
	if len(out.rematched) > 0 {
		wake(s.relayC)
	}
	s.count(out)
	return len(items) + len(plbs), nil
}
