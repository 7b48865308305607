package bus

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"google.golang.org/protobuf/types/known/timestamppb"

	remitqv1 "github.com/remitq/remitq/proto/remitq/v1"
)

func isFatalPullError(err error) bool {
	return errors.Is(err, jetstream.ErrMsgIteratorClosed) ||
		errors.Is(err, jetstream.ErrConsumerDeleted) ||
		errors.Is(err, jetstream.ErrConnectionClosed) ||
		errors.Is(err, jetstream.ErrBadRequest) ||
		errors.Is(err, nats.ErrConnectionClosed)
}

// redelivery is the part of a consumer's configuration ConsumeBatch follows.
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
