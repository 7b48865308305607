package bus

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"google.golang.org/protobuf/types/known/timestamppb"

	remitqv1 "github.com/remitq/remitq/proto/remitq/v1"
)

// ConsumeOptions tunes [Consume]. The zero value uses the defaults.
type ConsumeOptions struct {
	// Concurrency is how many handlers run at once. Default 1.
	Concurrency int
	// MaxMessages is how many messages the client buffers ahead of the
	// handlers. A buffered message's ack wait is already running, so keep it
	// small for slow handlers. Default max(64, 8×Concurrency).
	MaxMessages int
	// DrainTimeout bounds the graceful stop: how long in-flight handlers may
	// keep running after ctx is cancelled before their own context is
	// cancelled too. Default 30 s.
	DrainTimeout time.Duration
	// Logger receives delivery problems (failed acks, dead letters). It never
	// gets message bodies. Default: no logging.
	Logger *zap.Logger
}

func (o ConsumeOptions) withDefaults() ConsumeOptions {
	if o.Concurrency <= 0 {
		o.Concurrency = 1
	}
	if o.MaxMessages <= 0 {
		o.MaxMessages = max(64, 8*o.Concurrency)
	}
	if o.DrainTimeout <= 0 {
		o.DrainTimeout = 30 * time.Second
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	return o
}

// ErrDrainTimeout is returned by [Consume] when handlers were still running
// DrainTimeout after the stop. Their messages are redelivered after AckWait
// unless the handlers still finish.
var ErrDrainTimeout = errors.New("bus: handlers still running after the drain timeout")

// Consume pulls messages from the durable consumer on stream and runs h on
// each, up to opts.Concurrency at a time, until ctx is cancelled.
//
// What happens to a message depends on h's result:
//   - nil: Ack.
//   - an error wrapping [ErrPermanent], or any error on the consumer's last
//     allowed delivery (MaxDeliver): a [remitqv1.DeadLetter] with the error
//     text as reason is published to dlq.v1.<subject>, then the message is
//     terminated, so it is never redelivered. If the dead letter cannot be
//     published the message is Nak'd instead and nothing is lost.
//   - any other error: Nak with the delay the consumer's backoff schedule
//     gives for this delivery (see [Config.BackOff]).
//
// A panic in h is treated as a permanent error (use [Recoverer] inside
// [Logging] to also log it).
//
// Graceful stop: when ctx is cancelled Consume stops pulling, hands the
// messages it had buffered but not started back to the server (Nak without
// delay), lets in-flight handlers finish — their context stays alive for
// opts.DrainTimeout, then is cancelled — and returns nil, or
// [ErrDrainTimeout] if handlers were still running at the deadline. An error
// before that (no such consumer, connection closed, consumer deleted) is
// returned after in-flight handlers finish.
func Consume(ctx context.Context, js jetstream.JetStream, stream, consumer string, h Handler, opts ConsumeOptions) error {
	opts = opts.withDefaults()
	c, err := js.Consumer(ctx, stream, consumer)
	if err != nil {
		return fmt.Errorf("bus: consumer %s on stream %s: %w", consumer, stream, err)
	}
	w := &worker{
		js:      js,
		h:       h,
		log:     opts.Logger.With(zap.String("stream", stream), zap.String("consumer", consumer)),
		policy:  policyOf(c.CachedInfo().Config),
		stream:  stream,
		durable: consumer,
	}
	it, err := c.Messages(jetstream.PullMaxMessages(opts.MaxMessages))
	if err != nil {
		return fmt.Errorf("bus: pull from consumer %s on stream %s: %w", consumer, stream, err)
	}

	// Handlers get a context that outlives ctx by up to DrainTimeout.
	hctx, hcancel := context.WithCancel(context.WithoutCancel(ctx))
	defer hcancel()
	sem := make(chan struct{}, opts.Concurrency)
	var wg sync.WaitGroup
	var fatal error

pull:
	for {
		msg, err := it.Next(jetstream.NextContext(ctx))
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			if isFatalPullError(err) {
				fatal = fmt.Errorf("bus: pull from consumer %s on stream %s: %w", consumer, stream, err)
				break
			}
			w.log.Warn("bus: pull error; retrying", zap.Error(err))
			select {
			case <-ctx.Done():
				break pull
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			w.handBack(msg)
			break pull
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			w.process(hctx, msg)
		}()
	}

	// Stop pulling; give back what is buffered but not started.
	it.Drain()
	for {
		msg, err := it.Next(jetstream.NextMaxWait(time.Second))
		if err != nil {
			break
		}
		w.handBack(msg)
	}

	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	timer := time.NewTimer(opts.DrainTimeout)
	defer timer.Stop()
	select {
	case <-done:
		return fatal
	case <-timer.C:
		hcancel()
		w.log.Error("bus: handlers still running after the drain timeout; their messages will be redelivered",
			zap.Duration("drain_timeout", opts.DrainTimeout))
		return errors.Join(fatal, ErrDrainTimeout)
	}
}

func isFatalPullError(err error) bool {
	return errors.Is(err, jetstream.ErrMsgIteratorClosed) ||
		errors.Is(err, jetstream.ErrConsumerDeleted) ||
		errors.Is(err, jetstream.ErrConnectionClosed) ||
		errors.Is(err, jetstream.ErrBadRequest) ||
		errors.Is(err, nats.ErrConnectionClosed)
}

// redelivery is the part of a consumer's configuration Consume follows.
type redelivery struct {
	naks       []time.Duration // Nak delay after delivery n is naks[min(n-1, len-1)]
	maxDeliver int             // <= 0: unlimited
}

// policyOf reads the Nak schedule Setup stored in the consumer metadata,
// falling back to the consumer's BackOff, then to its AckWait.
func policyOf(cfg jetstream.ConsumerConfig) redelivery {
	r := redelivery{maxDeliver: cfg.MaxDeliver}
	if s := cfg.Metadata[MetaNakBackoff]; s != "" {
		for part := range strings.SplitSeq(s, ",") {
			d, err := time.ParseDuration(strings.TrimSpace(part))
			if err != nil || d <= 0 {
				r.naks = nil
				break
			}
			r.naks = append(r.naks, d)
		}
	}
	if len(r.naks) == 0 {
		r.naks = cfg.BackOff
	}
	if len(r.naks) == 0 && cfg.AckWait > 0 {
		r.naks = []time.Duration{cfg.AckWait}
	}
	return r
}

func (r redelivery) delay(delivered uint64) time.Duration {
	if len(r.naks) == 0 {
		return 0
	}
	i := int(min(max(delivered, 1)-1, uint64(len(r.naks)-1)))
	return r.naks[i]
}

func (r redelivery) last(delivered uint64) bool {
	return r.maxDeliver > 0 && delivered >= uint64(r.maxDeliver)
}

type worker struct {
	js      jetstream.JetStream
	h       Handler
	log     *zap.Logger
	policy  redelivery
	stream  string
	durable string
}

// handBack returns a message that was never handled to the server at once.
func (w *worker) handBack(msg jetstream.Msg) {
	if err := msg.Nak(); err != nil {
		w.log.Warn("bus: nak of unhandled message failed; redelivered after ack wait",
			append(msgFields(msg), zap.Error(err))...)
	}
}

func (w *worker) call(ctx context.Context, msg jetstream.Msg) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{Value: r, Stack: debug.Stack()}
		}
	}()
	return w.h(ctx, msg)
}

func (w *worker) process(ctx context.Context, msg jetstream.Msg) {
	md, mdErr := msg.Metadata()
	if mdErr != nil {
		// Not a JetStream message; nothing to redeliver.
		w.log.Error("bus: message without JetStream metadata dropped", zap.String("subject", msg.Subject()), zap.Error(mdErr))
		_ = msg.Term()
		return
	}
	w.settle(ctx, msg, md, w.call(ctx, msg))
}

// settle acks, naks or dead-letters msg after its handler returned herr.
func (w *worker) settle(ctx context.Context, msg jetstream.Msg, md *jetstream.MsgMetadata, herr error) {
	if herr == nil {
		if err := msg.Ack(); err != nil {
			w.log.Warn("bus: ack failed; the message will be redelivered", append(msgFields(msg), zap.Error(err))...)
		}
		return
	}
	permanent := errors.Is(herr, ErrPermanent)
	last := w.policy.last(md.NumDelivered)
	switch {
	case permanent || last:
		reason := herr.Error()
		if !permanent {
			reason = fmt.Sprintf("delivery %d of %d failed: %s", md.NumDelivered, w.policy.maxDeliver, reason)
		}
		w.deadLetter(ctx, msg, md, reason)
	case ctx.Err() != nil:
		// Stopping: let another instance have it now.
		w.handBack(msg)
	default:
		if err := msg.NakWithDelay(w.policy.delay(md.NumDelivered)); err != nil {
			w.log.Warn("bus: nak failed; the message will be redelivered after ack wait", append(msgFields(msg), zap.Error(err))...)
		}
	}
}

// deadLetter publishes a DeadLetter for msg and terminates it. If the dead
// letter cannot be stored the message is Nak'd, so it is not lost.
func (w *worker) deadLetter(ctx context.Context, msg jetstream.Msg, md *jetstream.MsgMetadata, reason string) {
	dl := &remitqv1.DeadLetter{
		Subject:        msg.Subject(),
		MsgId:          msg.Headers().Get(jetstream.MsgIDHeader),
		Stream:         md.Stream,
		Consumer:       md.Consumer,
		StreamSequence: md.Sequence.Stream,
		Deliveries:     md.NumDelivered,
		Reason:         reason,
		Payload:        msg.Data(),
		PayloadType:    msg.Headers().Get(HeaderType),
		DeadLetteredAt: timestamppb.Now(),
	}
	out, err := NewMessage(DLQSubject(msg.Subject()), fmt.Sprintf("dlq:%s:%d", md.Stream, md.Sequence.Stream), dl)
	if err == nil {
		// The dead letter must be stored even while stopping.
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		for attempt := range 3 {
			if attempt > 0 {
				time.Sleep(time.Duration(attempt) * 200 * time.Millisecond)
			}
			if _, err = w.js.PublishMsg(pctx, out.natsMsg(), jetstream.WithMsgID(out.ID)); err == nil {
				break
			}
		}
		cancel()
	}
	fields := append(msgFields(msg), zap.String("reason", reason))
	if err != nil {
		w.log.Error("bus: dead letter not stored; message nak'd", append(fields, zap.Error(err))...)
		if nerr := msg.NakWithDelay(w.policy.delay(md.NumDelivered)); nerr != nil {
			w.log.Warn("bus: nak failed; the message will be redelivered after ack wait", append(msgFields(msg), zap.Error(nerr))...)
		}
		return
	}
	w.log.Warn("bus: message dead-lettered", fields...)
	if err := msg.TermWithReason(truncate(reason, 256)); err != nil {
		w.log.Warn("bus: term failed after dead-lettering; a redelivery will be dead-lettered again (deduplicated)",
			append(msgFields(msg), zap.Error(err))...)
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
