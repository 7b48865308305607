package routesvc

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/remitq/remitq/carc"
	"github.com/remitq/remitq/pkg/bus"
	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/route"
	"github.com/remitq/remitq/pkg/rules"
	"github.com/remitq/remitq/pkg/wire"
	"github.com/remitq/remitq/pkg/workstore"
	v1 "github.com/remitq/remitq/proto/remitq/v1"
)

// line is one message of a batch on its way to the database.
type line struct {
	m        *v1.LineMatch
	d        route.Decision
	practice int64
	claim    bool     // claim-level-only CLP
	key      string   // dedupe key of its work item ("" when it has none and needs none)
	paidKey  string   // the key an unmatched item of the same paid line had (revisions)
	earlier  []string // keys of the same line in the claim's earlier versions, newest first
	order    string   // routed_key
	fileID   int64
	segment  int32
	slpID    int64 // service_line_payments.id (0: unknown)
	cpID     int64 // claim_payments.id (0: unknown)
}

// ErrUnknownPractice marks a line whose payee resolved to no practice: no
// work item can be written for it; it is counted and acknowledged.
var ErrUnknownPractice = errors.New("routesvc: line of an unknown practice")

// HandleBatch decides and stores one batch of ClaimMatches messages (one
// paid claim's lines each, what the matcher sends the router) in one
// transaction: a bus.BatchHandler. A message that does not decode or
// convert, or is of another type, is a permanent error (dead letter): for
// a claim, the lines of it that did are stored, and storing them again
// when the dead letter is replayed changes nothing. A database failure
// fails the whole batch for redelivery.
func (s *Service) HandleBatch(ctx context.Context, msgs []jetstream.Msg) []error {
	data := make([][]byte, 0, 2*len(msgs))
	owner := make([]int, 0, 2*len(msgs))
	var errs []error
	refuse := func(i int, err error) {
		if errs == nil {
			errs = make([]error, len(msgs))
		}
		errs[i] = bus.Permanent(err)
	}
	for i, m := range msgs {
		if typ := m.Headers().Get(bus.HeaderType); typ != string(wire.ClaimMatchesType) {
			refuse(i, fmt.Errorf("routesvc: a %q message, not %s", typ, wire.ClaimMatchesType))
			continue
		}
		lines, err := wire.ClaimLines(m.Data())
		if err != nil {
			refuse(i, fmt.Errorf("routesvc: %w", err))
			continue
		}
		for _, l := range lines {
			data, owner = append(data, l), append(owner, i)
		}
	}
	lineErrs := s.Handle(ctx, data)
	if lineErrs == nil {
		return errs
	}
	if errs == nil {
		errs = make([]error, len(msgs))
	}
	// A claim with a line to retry is redelivered whole, even when another
	// of its lines is refused for good.
	for j, err := range lineErrs {
		if i := owner[j]; err != nil && (errs[i] == nil || errors.Is(errs[i], bus.ErrPermanent) && !errors.Is(err, bus.ErrPermanent)) {
			errs[i] = err
		}
	}
	return errs
}

// Handle decides and stores the LineMatch bodies of a batch's claims, one
// result per body (nil when all are stored).
func (s *Service) Handle(ctx context.Context, bodies [][]byte) []error {
	start := time.Now()
	errs := make([]error, len(bodies))
	bad := false
	cfg, set, err := s.routeConfig(ctx)
	if err != nil {
		return bus.BatchError(len(bodies), err)
	}
	asOf := day.Of(s.opts.Now().UTC())
	msgs := make([]*v1.LineMatch, len(bodies))
	for i, b := range bodies {
		m := &v1.LineMatch{}
		if err := m.UnmarshalVT(b); err != nil {
			errs[i], bad = bus.Permanent(fmt.Errorf("routesvc: LineMatch does not decode: %w", err)), true
			continue
		}
		msgs[i] = m
	}
	// Decide each line once: the lines whose codes the pain rules may
	// explain need the patients' history, read before any decision.
	if cfg, err = s.withHistory(ctx, cfg, set, msgs); err != nil {
		return s.failAll(errs, nil, err)
	}
	r := route.New(cfg)
	lines := make([]*line, 0, len(bodies))
	idx := make([]int, 0, len(bodies))
	for i, m := range msgs {
		if m == nil {
			continue
		}
		l, err := s.prepare(r, m, asOf)
		if err != nil {
			if errors.Is(err, ErrUnknownPractice) {
				s.metrics.lines.WithLabelValues("unknown_practice").Inc()
				continue
			}
			errs[i], bad = bus.Permanent(err), true
			continue
		}
		lines = append(lines, l)
		idx = append(idx, i)
	}
	var st map[string]int
	for attempt := 0; ; attempt++ {
		// Another router created some new items first: read them again
		// (they are committed by now) and update them instead.
		if st, err = s.store(ctx, lines); !errors.Is(err, workstore.ErrConcurrentCreate) || attempt == 4 {
			break
		}
	}
	if err != nil {
		return s.failAll(errs, idx, err)
	}
	for _, l := range lines {
		s.metrics.lines.WithLabelValues(string(l.d.Disposition)).Inc()
	}
	for a, n := range st {
		s.metrics.items.WithLabelValues(a).Add(float64(n))
	}
	s.metrics.batches.Observe(time.Since(start).Seconds())
	if bad {
		return errs
	}
	return nil
}

func (s *Service) failAll(errs []error, idx []int, err error) []error {
	if idx == nil { // before any line was prepared: the whole batch
		for i := range errs {
			if errs[i] == nil {
				idx = append(idx, i)
			}
		}
	}
	s.log.Warn("router: batch not stored; it will be redelivered", zap.Int("lines", len(idx)), zap.Error(err))
	for _, i := range idx {
		errs[i] = err
	}
	return errs
}

// prepare converts and decides one message.
func (s *Service) prepare(r *route.Router, m *v1.LineMatch, asOf day.Day) (*line, error) {
	src := m.GetSource()
	if src == nil {
		src = m.GetLine().GetSource()
	}
	if src.GetPracticeId() <= 0 {
		return nil, ErrUnknownPractice
	}
	if src.GetFileSha256() == "" || src.GetSegmentIndex() <= 0 {
		return nil, bus.ErrBadSource
	}
	d, err := wire.Decide(r, m, wire.RouteOptions{AsOf: asOf})
	if err != nil {
		return nil, err
	}
	l := &line{m: m, d: d, practice: src.GetPracticeId(), claim: wire.ClaimLevel(m), fileID: src.GetFileId(),
		segment: src.GetSegmentIndex()}
	remit, _ := wire.RemitDate(m) // Decide checked it
	l.order = orderKey(remit, l.fileID, l.segment, revision(m))
	switch {
	case l.claim && m.GetBilledClaimId() > 0:
		l.key = "billed_claim:" + strconv.FormatInt(m.GetBilledClaimId(), 10)
	case !l.claim && m.GetBilledLineId() > 0:
		l.key = "billed_line:" + strconv.FormatInt(m.GetBilledLineId(), 10)
	}
	return l, nil
}

// orderKey is work_items.routed_key: remits sort by payment date, then by
// stored file, segment and the matcher's revision of the line.
func orderKey(remit day.Day, file int64, seg int32, rev int32) string {
	b := make([]byte, 0, 48)
	b = remit.AppendText(b)
	b = append(b, '|')
	b = appendPadded(b, file, 20)
	b = append(b, '|')
	b = appendPadded(b, int64(seg), 10)
	b = append(b, '|')
	b = appendPadded(b, int64(rev), 5)
	return string(b)
}

func appendPadded(b []byte, v int64, width int) []byte {
	s := strconv.FormatInt(max(v, 0), 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// withHistory adds the pain rules, with the patients' history from the
// database, as the router's first Sharpener, for the lines that may need
// them: a denied service line with a billed line whose denial codes the
// rules explain (or read as "other"). Their history is read once, before
// any line is decided, so that each line is decided once.
func (s *Service) withHistory(ctx context.Context, cfg route.Config, set *rules.Set, msgs []*v1.LineMatch) (route.Config, error) {
	if s.history == nil {
		return cfg, nil
	}
	var ids []int64
	for _, m := range msgs {
		if m != nil && needsHistory(set, m) {
			ids = append(ids, m.GetBilledLineId())
		}
	}
	if len(ids) == 0 {
		return cfg, nil
	}
	lookup, hist, err := s.history.Load(ctx, s.deps.DB, ids)
	if err != nil {
		return cfg, fmt.Errorf("routesvc: patient history: %w", err)
	}
	ps := &route.RulesSharpener{Rules: set, Lines: lookup, Records: workstore.Records(hist, s.opts.Sharing)}
	if cfg.Sharpener != nil {
		cfg.Sharpener = route.Chain{ps, cfg.Sharpener}
	} else {
		cfg.Sharpener = ps
	}
	return cfg, nil
}

// needsHistory reports, from a message's codes alone, whether the pain
// rules may be asked about its line: a service line (not claim-level) with
// a billed line and a denial adjustment (the line's, else the claim's when
// the line has none) whose CARC the rules map, or which the codes read as
// "other". It is a superset of the lines route.RulesSharpener answers for.
func needsHistory(set *rules.Set, m *v1.LineMatch) bool {
	if m.GetBilledLineId() == 0 || wire.ClaimLevel(m) {
		return false
	}
	sl, c := m.GetLine().GetLine(), m.GetLine().GetClaim()
	adjs, rem := sl.GetAdjustments(), sl.GetRemarkCodes()
	if len(adjs) == 0 {
		adjs = c.GetAdjustments()
	}
	if len(rem) == 0 {
		rem = c.GetRemarkCodes()
	}
	var remarks []string
	for _, r := range rem {
		if r.GetQualifier() != "RX" && r.GetCode() != "" {
			remarks = append(remarks, r.GetCode())
		}
	}
	for _, a := range adjs {
		class, _, known := carc.Classify(a.GetGroupCode(), a.GetReasonCode())
		if class != carc.ClassDenial {
			continue
		}
		if !known || set.ExplainsCARC(a.GetReasonCode()) || carc.Explain(a.GetGroupCode(), a.GetReasonCode(), remarks).Category == carc.Other {
			return true
		}
	}
	return false
}
