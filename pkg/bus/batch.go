package bus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// BatchHandler processes a batch of messages, typically in one database
// transaction. It returns nil when every message succeeded, or a slice with
// one error per message (nil entries succeed). A single error for the whole
// batch is returned as a slice of that error repeated; [BatchError] builds it.
// Like a Handler it never acks or naks itself.
type BatchHandler func(ctx context.Context, msgs []jetstream.Msg) []error

// BatchError returns err for each of n messages.
func BatchError(n int, err error) []error {
	out := make([]error, n)
	for i := range out {
		out[i] = err
	}
	return out
}

// BatchOptions tunes [ConsumeBatch]. The zero value uses the defaults.
type BatchOptions struct {
	// MaxBatch is the most messages handed to one call. Default 500.
	MaxBatch int
	// MaxWait is how long a fetch waits to fill a batch. Default 200 ms.
	MaxWait time.Duration
	// Logger receives delivery problems (never message bodies).
	Logger *zap.Logger
	// Middleware wraps the handler, the first outermost; nil means
	// [BatchLogging] on Logger. [BatchRecoverer] is always innermost, right
	// around the handler.
	Middleware []BatchMiddleware
}

// ConsumeBatch pulls batches from the durable consumer on stream and runs h
// on each until ctx is cancelled, settling every message by its result:
//   - nil: Ack.
//   - an error wrapping [ErrPermanent] (a panic, see [BatchRecoverer]), or
//     any error on the consumer's last allowed delivery (MaxDeliver): a
//     [remitqv1.DeadLetter] with the error text as reason is published to
//     dlq.v1.<subject>, then the message is terminated, so it is never
//     redelivered. If the dead letter cannot be published the message is
//     Nak'd instead and nothing is lost.
//   - any other error: Nak with the delay the consumer's backoff schedule
//     gives for this delivery (see [Config.BackOff]); while stopping, Nak
//     without delay.
//
// A batch being handled when ctx is
// cancelled finishes (its context stays alive) before ConsumeBatch returns.
// Several processes may consume one durable consumer: JetStream hands each
// message to one of them.
func ConsumeBatch(ctx context.Context, js jetstream.JetStream, stream, consumer string, h BatchHandler, opts BatchOptions) error {
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 500
	}
	if opts.MaxWait <= 0 {
		opts.MaxWait = 200 * time.Millisecond
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	c, err := js.Consumer(ctx, stream, consumer)
	if err != nil {
		return fmt.Errorf("bus: consumer %s on stream %s: %w", consumer, stream, err)
	}
	w := &worker{js: js, log: opts.Logger.With(zap.String("stream", stream), zap.String("consumer", consumer)),
		policy: policyOf(c.CachedInfo().Config), stream: stream, durable: consumer}
	mws := opts.Middleware
	if mws == nil {
		mws = []BatchMiddleware{BatchLogging(opts.Logger)}
	}
	h = ChainBatch(h, append(append([]BatchMiddleware{}, mws...), BatchRecoverer(w.log))...)
	hctx := context.WithoutCancel(ctx)
	for ctx.Err() == nil {
		batch, err := c.Fetch(opts.MaxBatch, jetstream.FetchMaxWait(opts.MaxWait))
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if isFatalPullError(err) {
				return fmt.Errorf("bus: fetch from consumer %s on stream %s: %w", consumer, stream, err)
			}
			w.log.Warn("bus: fetch error; retrying", zap.Error(err))
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(200 * time.Millisecond):
			}
			continue
		}
		var msgs []jetstream.Msg
		for m := range batch.Messages() {
			msgs = append(msgs, m)
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) && len(msgs) == 0 && ctx.Err() == nil {
			w.log.Warn("bus: fetch ended with an error", zap.Error(err))
		}
		if len(msgs) == 0 {
			continue
		}
		errs, pe := callRecovering(hctx, h, msgs) // a panic in a middleware
		if pe != nil {
			w.log.Error("bus: batch middleware panicked", zap.Any("panic", pe.Value), zap.ByteString("stack", pe.Stack))
			errs = BatchError(len(msgs), pe)
		}
		for i, m := range msgs {
			md, mdErr := m.Metadata()
			if mdErr != nil {
				_ = m.Term()
				continue
			}
			var e error
			if errs != nil {
				e = errs[i]
			}
			w.settle(hctx, m, md, e)
		}
	}
	return nil
}
