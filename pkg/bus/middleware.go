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

// Handler processes one message. Returning nil acknowledges it; an error
// asks for a redelivery after the consumer's backoff; an error wrapping
// [ErrPermanent] sends the message to the dead-letter queue at once. A
// Handler must not Ack, Nak or Term the message itself, and must return soon
// after ctx is cancelled.
type Handler func(ctx context.Context, msg jetstream.Msg) error

// Middleware wraps a Handler with behaviour around it.
type Middleware func(Handler) Handler

// Chain wraps h with mws; the first middleware is the outermost, so
// Chain(h, Logging(l), Recoverer()) logs the panics Recoverer turns into
// errors.
func Chain(h Handler, mws ...Middleware) Handler {
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](h)
	}
	return h
}

// ErrPermanent marks an error that redelivery cannot fix (a body that does
// not decode, a reference that can never resolve). Wrap it, or use
// [Permanent], to dead-letter a message without retries.
var ErrPermanent = errors.New("bus: permanent failure")

// Permanent marks err as permanent: errors.Is(Permanent(err), ErrPermanent)
// is true, and its text is err's text alone. Permanent(nil) is nil.
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

// PanicError is the permanent error [Recoverer] (and [Consume]) make of a
// handler panic.
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

// Recoverer turns a panic in the handler into a [*PanicError], a permanent
// error, so the message is dead-lettered with the panic text as its reason
// instead of crashing the process.
func Recoverer() Middleware {
	return func(next Handler) Handler {
		return func(ctx context.Context, msg jetstream.Msg) (err error) {
			defer func() {
				if r := recover(); r != nil {
					err = &PanicError{Value: r, Stack: debug.Stack()}
				}
			}()
			return next(ctx, msg)
		}
	}
}

// Logging logs every handled message with zap: subject, stream sequence,
// delivery count, message id, duration and the error. It never logs the
// body or headers other than the message id: bodies contain PHI.
// Successes log at Debug, errors at Warn (Error for permanent ones).
func Logging(log *zap.Logger) Middleware {
	if log == nil {
		log = zap.NewNop()
	}
	return func(next Handler) Handler {
		return func(ctx context.Context, msg jetstream.Msg) error {
			start := time.Now()
			err := next(ctx, msg)
			level := zap.DebugLevel
			if err != nil {
				level = zap.WarnLevel
				if errors.Is(err, ErrPermanent) {
					level = zap.ErrorLevel
				}
			}
			ce := log.Check(level, "bus: message handled")
			if ce == nil {
				return err
			}
			fields := append(msgFields(msg), zap.Duration("took", time.Since(start)))
			if err != nil {
				fields = append(fields, zap.Error(err), zap.Bool("permanent", errors.Is(err, ErrPermanent)))
				if pe := (*PanicError)(nil); errors.As(err, &pe) {
					fields = append(fields, zap.ByteString("stack", pe.Stack))
				}
			}
			ce.Write(fields...)
			return err
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
