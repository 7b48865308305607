package bus

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	remitqv1 "github.com/remitq/remitq/proto/remitq/v1"
)

// HeaderType is the header naming the full protobuf type of a message body,
// e.g. "remitq.v1.ServiceLinePayment". [NewMessage] sets it; dead letters
// keep it.
const HeaderType = "Remitq-Type"

// Message is one message to publish.
type Message struct {
	// Subject to publish on, e.g. [LineSubject](42).
	Subject string
	// ID becomes the Nats-Msg-Id header; JetStream drops a second message
	// with the same ID inside the duplicate window. Required.
	ID string
	// Data is the body, normally a marshalled remitq.v1 message.
	Data []byte
	// Header holds extra headers; may be nil.
	Header nats.Header
}

// ErrNoMsgID reports a message without an ID: every remitq message must be
// deduplicable.
var ErrNoMsgID = errors.New("bus: message has no ID (Nats-Msg-Id)")

// NewMessage marshals m and returns it as a Message for subject with the
// given ID and the [HeaderType] header set.
func NewMessage(subject, id string, m proto.Message) (Message, error) {
	var data []byte
	var err error
	if vt, ok := m.(interface{ MarshalVT() ([]byte, error) }); ok {
		data, err = vt.MarshalVT() // remitq.v1's generated encoder: no reflection
	} else {
		data, err = proto.Marshal(m)
	}
	if err != nil {
		return Message{}, fmt.Errorf("bus: marshal %s: %w", m.ProtoReflect().Descriptor().FullName(), err)
	}
	h := nats.Header{}
	h.Set(HeaderType, string(m.ProtoReflect().Descriptor().FullName()))
	return Message{Subject: subject, ID: id, Data: data, Header: h}, nil
}

// RawMessage returns a Message whose body data is already the wire encoding
// of a message of protobuf type typ (for producers that build encodings
// cheaper than one proto.Marshal per message), with the [HeaderType] header.
func RawMessage(subject, id string, typ protoreflect.FullName, data []byte) Message {
	h := nats.Header{}
	h.Set(HeaderType, string(typ))
	return Message{Subject: subject, ID: id, Data: data, Header: h}
}

// NewLineMessage returns m ready to publish: subject [LineSubject] of its
// practice and ID [LineMsgID].
func NewLineMessage(m *remitqv1.ServiceLinePayment) (Message, error) {
	id, err := LineMsgID(m.GetSource())
	if err != nil {
		return Message{}, err
	}
	return NewMessage(LineSubject(m.GetSource().GetPracticeId()), id, m)
}

// NewPLBMessage returns m ready to publish: subject [PLBSubject] of its
// practice and ID [PLBMsgID].
func NewPLBMessage(m *remitqv1.ProviderAdjustment) (Message, error) {
	id, err := PLBMsgID(m.GetSource(), m.GetPosition())
	if err != nil {
		return Message{}, err
	}
	return NewMessage(PLBSubject(m.GetSource().GetPracticeId()), id, m)
}

// NewClaimMessage returns m ready to publish: subject [ClaimSubject] of its
// practice and ID [ClaimMsgID].
func NewClaimMessage(m *remitqv1.ClaimPayment) (Message, error) {
	id, err := ClaimMsgID(m.GetSource())
	if err != nil {
		return Message{}, err
	}
	return NewMessage(ClaimSubject(m.GetSource().GetPracticeId()), id, m)
}

// NewClaimMatchMessage returns the ClaimMatches of one paid claim's lines
// ready to publish: subject [MatchClaimSubject] of the claim's practice
// and ID [MatchClaimMsgID] of claim (the CLP's source) and the lines'
// revisions.
func NewClaimMatchMessage(claim *remitqv1.SourceRef, lines []*remitqv1.LineMatch) (Message, error) {
	revs := make([]int32, len(lines))
	for i, l := range lines {
		revs[i] = l.GetRevision()
	}
	id, err := MatchClaimMsgID(claim, revs)
	if err != nil {
		return Message{}, err
	}
	return NewMessage(MatchClaimSubject(claim.GetPracticeId()), id, &remitqv1.ClaimMatches{Lines: lines})
}

// natsMsg copies the header: publishing adds Nats-Msg-Id to it, and callers
// may share one header map between messages.
func (m Message) natsMsg() *nats.Msg {
	return &nats.Msg{Subject: m.Subject, Data: m.Data, Header: maps.Clone(m.Header)}
}

// PublishError says which message failed to publish. Index counts from 0 in
// the order messages were given (to [Publisher.PublishAsync],
// [Publisher.PublishSync] or [Batch.Add]).
type PublishError struct {
	Index   int
	Subject string
	ID      string
	Err     error
	// Failed is how many messages of the same wait failed in all (at least 1).
	Failed int
}

// Error names the first failed message. Subjects and IDs carry no PHI.
func (e *PublishError) Error() string {
	s := fmt.Sprintf("bus: publish message %d (subject %s, id %s): %v", e.Index, e.Subject, e.ID, e.Err)
	if e.Failed > 1 {
		s += fmt.Sprintf(" (and %d more failed)", e.Failed-1)
	}
	return s
}

// Unwrap returns the underlying error.
func (e *PublishError) Unwrap() error { return e.Err }

// PublishStats counts acknowledged messages.
type PublishStats struct {
	// Stored is the number of messages the stream stored.
	Stored int
	// Duplicates is the number the stream acknowledged but dropped as
	// duplicates of an earlier Nats-Msg-Id.
	Duplicates int
}

func (s *PublishStats) count(ack *jetstream.PubAck) {
	if ack.Duplicate {
		s.Duplicates++
	} else {
		s.Stored++
	}
}

// PublisherOptions tunes a Publisher. The zero value uses the defaults.
type PublisherOptions struct {
	// BatchSize is how many async publishes may be outstanding; when it is
	// reached the publisher waits for the acks of the older half. Default 1000. Keep it at or below the
	// JetStream context's PublishAsyncMaxPending (nats.go default 4000).
	BatchSize int
	// AckTimeout bounds the wait for the acks of one batch (and one
	// synchronous publish). Default 10 s.
	AckTimeout time.Duration
}

// Publisher publishes messages with Nats-Msg-Id set and checks every ack.
// It is safe for concurrent use; a [Batch] is not.
type Publisher struct {
	js   jetstream.JetStream
	opts PublisherOptions
}

// NewPublisher returns a Publisher on js.
func NewPublisher(js jetstream.JetStream, opts PublisherOptions) *Publisher {
	if opts.BatchSize <= 0 {
		opts.BatchSize = 1000
	}
	if opts.AckTimeout <= 0 {
		opts.AckTimeout = 10 * time.Second
	}
	return &Publisher{js: js, opts: opts}
}

// Publish publishes one message and waits for its ack.
func (p *Publisher) Publish(ctx context.Context, m Message) (*jetstream.PubAck, error) {
	if m.ID == "" {
		return nil, &PublishError{Subject: m.Subject, Err: ErrNoMsgID, Failed: 1}
	}
	ctx, cancel := context.WithTimeout(ctx, p.opts.AckTimeout)
	defer cancel()
	ack, err := p.js.PublishMsg(ctx, m.natsMsg(), jetstream.WithMsgID(m.ID))
	if err != nil {
		return nil, &PublishError{Subject: m.Subject, ID: m.ID, Err: err, Failed: 1}
	}
	return ack, nil
}

// PublishSync publishes msgs one at a time, each waiting for its ack: the
// simple path for a handful of messages. It stops at the first failure.
func (p *Publisher) PublishSync(ctx context.Context, msgs []Message) (PublishStats, error) {
	var st PublishStats
	for i, m := range msgs {
		ack, err := p.Publish(ctx, m)
		if err != nil {
			var pe *PublishError
			if errors.As(err, &pe) {
				pe.Index = i
			}
			return st, err
		}
		st.count(ack)
	}
	return st, nil
}

// PublishAsync publishes msgs asynchronously, waiting for acks every
// BatchSize messages and at the end. On failure it returns a *PublishError
// for the first failed message, after waiting for the rest of that batch;
// messages of later batches are not sent. Republishing all of msgs is safe:
// the stored ones are dropped as duplicates.
func (p *Publisher) PublishAsync(ctx context.Context, msgs []Message) (PublishStats, error) {
	b := p.NewBatch()
	for _, m := range msgs {
		if err := b.Add(ctx, m); err != nil {
			return b.Stats(), err
		}
	}
	err := b.Wait(ctx)
	return b.Stats(), err
}

// Batch publishes a stream of messages asynchronously, for producers that do
// not hold all messages at once (ingest, while it parses a file). Add each
// message, then call Wait. A Batch is not safe for concurrent use.
type Batch struct {
	p       *Publisher
	pending []pendingAck
	next    int
	stats   PublishStats
	err     error
}

type pendingAck struct {
	fut   jetstream.PubAckFuture
	index int
	subj  string
	id    string
}

// NewBatch starts a batch.
func (p *Publisher) NewBatch() *Batch {
	return &Batch{p: p, pending: make([]pendingAck, 0, p.opts.BatchSize)}
}

// Add publishes m asynchronously. When BatchSize publishes are outstanding it
// first waits for their acks. After a failure Add returns the same
// *PublishError and publishes nothing more.
func (b *Batch) Add(ctx context.Context, m Message) error {
	if b.err != nil {
		return b.err
	}
	idx := b.next
	b.next++
	if m.ID == "" {
		b.err = &PublishError{Index: idx, Subject: m.Subject, Err: ErrNoMsgID, Failed: 1}
		return b.err
	}
	if len(b.pending) >= b.p.opts.BatchSize {
		// Wait for the older half only: the rest stay in flight, so the
		// pipeline to the server never runs dry.
		if err := b.wait(ctx, max(1, len(b.pending)/2)); err != nil {
			return err
		}
	}
	fut, err := b.p.js.PublishMsgAsync(m.natsMsg(), jetstream.WithMsgID(m.ID))
	if err != nil {
		// Not sent; wait for what was, so the error is about the earliest failure.
		werr := b.Wait(ctx)
		if werr != nil {
			return werr
		}
		b.err = &PublishError{Index: idx, Subject: m.Subject, ID: m.ID, Err: err, Failed: 1}
		return b.err
	}
	b.pending = append(b.pending, pendingAck{fut: fut, index: idx, subj: m.Subject, id: m.ID})
	return nil
}

// Wait waits for the acks of every outstanding message (at most AckTimeout,
// and not beyond ctx) and returns the first failure as a *PublishError.
func (b *Batch) Wait(ctx context.Context) error { return b.wait(ctx, len(b.pending)) }

// wait waits for the acks of the oldest n outstanding messages.
func (b *Batch) wait(ctx context.Context, n int) error {
	if n == 0 {
		return b.err
	}
	timer := time.NewTimer(b.p.opts.AckTimeout)
	defer timer.Stop()
	var first *PublishError
	fail := func(pa pendingAck, err error) {
		if first == nil {
			first = &PublishError{Index: pa.index, Subject: pa.subj, ID: pa.id, Err: err}
		}
		first.Failed++
	}
	stopped := error(nil) // set once ctx or the timer ended the wait
	for _, pa := range b.pending[:n] {
		if stopped != nil {
			// Take what has already arrived; the rest count as failed.
			select {
			case ack := <-pa.fut.Ok():
				b.stats.count(ack)
			case err := <-pa.fut.Err():
				fail(pa, err)
			default:
				fail(pa, stopped)
			}
			continue
		}
		select {
		case ack := <-pa.fut.Ok():
			b.stats.count(ack)
		case err := <-pa.fut.Err():
			fail(pa, err)
		case <-ctx.Done():
			stopped = fmt.Errorf("waiting for publish ack: %w", ctx.Err())
			fail(pa, stopped)
		case <-timer.C:
			stopped = fmt.Errorf("no publish ack within %v: %w", b.p.opts.AckTimeout, jetstream.ErrAsyncPublishTimeout)
			fail(pa, stopped)
		}
	}
	rest := copy(b.pending, b.pending[n:])
	clear(b.pending[rest:])
	b.pending = b.pending[:rest]
	if first != nil && b.err == nil {
		b.err = first
	}
	return b.err
}

// Stats returns the counts of acknowledged messages so far.
func (b *Batch) Stats() PublishStats { return b.stats }
