package bus

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// ErrPermanent marks an error that redelivery cannot fix (a body that does
// not decode, a reference that can never resolve). Wrap it, or use
// [Permanent], to dead-letter a message without retries.
var ErrPermanent = errors.New("bus: permanent failure")

// Permanent marks err as permanent: errors.Is(Permanent(err), ErrPermanent)
// is true, errors.Is and errors.As still find err and what it wraps, and
// its text is err's text alone. Permanent(nil) is nil. Prefer it to
// fmt.Errorf("%w: %v", ErrPermanent, err), which loses the cause.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

type permanentError struct{ err error }

func (e permanentError) Error() string        { return e.err.Error() }
func (e permanentError) Unwrap() error        { return e.err }
func (e permanentError) Is(target error) bool { return target == ErrPermanent }

// PanicError is the permanent error [BatchRecoverer] makes of a handler
// panic.
type PanicError struct {
	// Value is what the handler panicked with.
	Value any
	// Stack is the goroutine's stack at the panic.
	Stack []byte
}

// Error is "panic: <value>". The stack is left out: log it separately.
func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// Is makes a PanicError match [ErrPermanent]: a panic is not retried.
func (e *PanicError) Is(target error) bool { return target == ErrPermanent }

// BatchMiddleware wraps a [BatchHandler] with behaviour around it.
type BatchMiddleware func(BatchHandler) BatchHandler

// ChainBatch wraps h with mws; the first middleware is the outermost, so
// ChainBatch(h, BatchLogging(l), BatchRecoverer(l)) logs the panics
// BatchRecoverer turns into errors.
func ChainBatch(h BatchHandler, mws ...BatchMiddleware) BatchHandler {
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](h)
	}
	return h
}

// BatchRecoverer turns a panic in the handler into errors instead of a
// crash, logging it with its stack on log (nil: not logged). A batch of one
// message that panics gets a [*PanicError] (permanent: the message is
// dead-lettered with the panic text as its reason and terminated). A larger
// batch that panics is handled again one message at a time, so that the
// message that panics is dead-lettered alone and the others get their own
// results (a handler's transaction rolled back when the panic unwound it).
// [ConsumeBatch] always puts it right around the handler.
func BatchRecoverer(log *zap.Logger) BatchMiddleware {
	if log == nil {
		log = zap.NewNop()
	}
	return func(next BatchHandler) BatchHandler {
		return func(ctx context.Context, msgs []jetstream.Msg) []error {
			errs, pe := callRecovering(ctx, next, msgs)
			if pe == nil {
				return errs
			}
			log.Error("bus: batch handler panicked", zap.Int("messages", len(msgs)), zap.Any("panic", pe.Value),
				zap.ByteString("stack", pe.Stack))
			if len(msgs) == 1 {
				return []error{pe}
			}
			out := make([]error, len(msgs))
			for i := range msgs {
				one, pe := callRecovering(ctx, next, msgs[i:i+1])
				switch {
				case pe != nil:
					log.Error("bus: message handler panicked", append(msgFields(msgs[i]), zap.Any("panic", pe.Value))...)
					out[i] = pe
				case one != nil:
					out[i] = one[0]
				}
			}
			return out
		}
	}
}

// callRecovering runs h on msgs, reporting a panic as a *PanicError and a
// result of the wrong length as an error for every message.
func callRecovering(ctx context.Context, h BatchHandler, msgs []jetstream.Msg) (errs []error, pe *PanicError) {
	defer func() {
		if r := recover(); r != nil {
			errs, pe = nil, &PanicError{Value: r, Stack: debug.Stack()}
		}
	}()
	errs = h(ctx, msgs)
	if errs != nil && len(errs) != len(msgs) {
		return BatchError(len(msgs), fmt.Errorf("bus: batch handler returned %d results for %d messages", len(errs), len(msgs))), nil
	}
	return errs, nil
}

// BatchLogging logs every handled batch with zap: its size and duration at
// Debug, and each failed message (subject, stream sequence, delivery count,
// message id, the error) at Warn, or Error for a permanent failure, with
// the stack of a panic. It never logs bodies or headers other than the
// message id: bodies contain PHI.
func BatchLogging(log *zap.Logger) BatchMiddleware {
	if log == nil {
		log = zap.NewNop()
	}
	return func(next BatchHandler) BatchHandler {
		return func(ctx context.Context, msgs []jetstream.Msg) []error {
			start := time.Now()
			errs := next(ctx, msgs)
			if ce := log.Check(zap.DebugLevel, "bus: batch handled"); ce != nil {
				ce.Write(zap.Int("messages", len(msgs)), zap.Duration("took", time.Since(start)))
			}
			for i, err := range errs {
				if err == nil || i >= len(msgs) {
					continue
				}
				permanent := errors.Is(err, ErrPermanent)
				level := zap.WarnLevel
				if permanent {
					level = zap.ErrorLevel
				}
				ce := log.Check(level, "bus: message failed")
				if ce == nil {
					continue
				}
				fields := append(msgFields(msgs[i]), zap.Error(err), zap.Bool("permanent", permanent))
				if pe := (*PanicError)(nil); errors.As(err, &pe) {
					fields = append(fields, zap.ByteString("stack", pe.Stack))
				}
				ce.Write(fields...)
			}
			return errs
		}
	}
}

// msgFields are the log fields that identify a message without its content.
func msgFields(msg jetstream.Msg) []zap.Field {
	fields := make([]zap.Field, 0, 8)
	fields = append(fields, zap.String("subject", msg.Subject()))
	if id := msg.Headers().Get(jetstream.MsgIDHeader); id != "" {
		fields = append(fields, zap.String("msg_id", id))
	}
	if md, err := msg.Metadata(); err == nil {
		fields = append(fields,
			zap.String("stream", md.Stream),
			zap.String("consumer", md.Consumer),
			zap.Uint64("stream_seq", md.Sequence.Stream),
			zap.Uint64("delivery", md.NumDelivered),
		)
	}
	return fields
}
