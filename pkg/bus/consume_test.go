package bus

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
	"google.golang.org/protobuf/proto"

	remitqv1 "github.com/remitq/remitq/proto/remitq/v1"
)

// deadLetters returns the dead letters stored for subject dlq.v1.<orig>.
func deadLetters(t testing.TB, js jetstream.JetStream) []*remitqv1.DeadLetter {
	t.Helper()
	s, err := js.Stream(t.Context(), StreamDLQ)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var out []*remitqv1.DeadLetter
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		raw, err := s.GetMsg(t.Context(), seq)
		if err != nil {
			t.Fatalf("DLQ message %d: %v", seq, err)
		}
		var dl remitqv1.DeadLetter
		if err := proto.Unmarshal(raw.Data, &dl); err != nil {
			t.Fatalf("DLQ message %d does not decode: %v", seq, err)
		}
		if want := DLQSubject(dl.GetSubject()); raw.Subject != want {
			t.Errorf("dead letter on %q, want %q", raw.Subject, want)
		}
		out = append(out, &dl)
	}
	return out
}

func TestConsumeRetriesThenSucceeds(t *testing.T) {
	t.Parallel()
	env := startJS(t, "")
	setup(t, env, testConfig()) // MaxDeliver 4, Nak delays 50ms, 100ms
	publishLines(t, env, 1)

	const failures = 3
	var calls, done atomic.Int32
	var deliveries []uint64
	var mu sync.Mutex
	start := time.Now()
	stop := runConsume(t, env.js, StreamRemit, ConsumerMatcher, each(func(_ context.Context, m jetstream.Msg) error {
		md, _ := m.Metadata()
		mu.Lock()
		deliveries = append(deliveries, md.NumDelivered)
		mu.Unlock()
		if calls.Add(1) <= failures {
			return errors.New("database unavailable")
		}
		done.Add(1)
		return nil
	}), BatchOptions{})

	eventually(t, 5*time.Second, "the message to succeed", func() bool { return done.Load() == 1 })
	elapsed := time.Since(start)
	time.Sleep(300 * time.Millisecond) // longer than any backoff: nothing more may come
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if c, d := calls.Load(), done.Load(); c != failures+1 || d != 1 {
		t.Errorf("handler called %d times, succeeded %d; want %d and 1", c, d, failures+1)
	}
	mu.Lock()
	if len(deliveries) != 4 || deliveries[0] != 1 || deliveries[3] != 4 {
		t.Errorf("delivery counts %v, want [1 2 3 4]", deliveries)
	}
	mu.Unlock()
	// Delays 50 + 100 + 100 ms: the backoff was applied, not an immediate retry.
	if elapsed < 240*time.Millisecond {
		t.Errorf("succeeded after %v, faster than the 250ms backoff", elapsed)
	}
	if dls := deadLetters(t, env.js); len(dls) != 0 {
		t.Errorf("%d dead letters, want none", len(dls))
	}
	if ci := consumerInfo(t, env.js, StreamRemit, ConsumerMatcher); ci.NumAckPending != 0 || ci.NumPending != 0 {
		t.Errorf("consumer still has %d unacked, %d pending", ci.NumAckPending, ci.NumPending)
	}
}

func TestConsumePoisonGoesToDLQ(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		handler   handler
		wantCalls int32
		reason    string
	}{
		{
			name:      "permanent error",
			handler:   func(context.Context, jetstream.Msg) error { return Permanent(errors.New("claim has no CLP01")) },
			wantCalls: 1,
			reason:    "claim has no CLP01",
		},
		{
			name:      "fails every delivery",
			handler:   func(context.Context, jetstream.Msg) error { return errors.New("matcher rule failed") },
			wantCalls: 4,
			reason:    "delivery 4 of 4 failed: matcher rule failed",
		},
		{
			name:      "panic",
			handler:   func(context.Context, jetstream.Msg) error { panic("index out of range") },
			wantCalls: 1,
			reason:    "panic: index out of range",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := startJS(t, "")
			setup(t, env, testConfig())
			msgs := publishLines(t, env, 1)

			var calls atomic.Int32
			stop := runConsume(t, env.js, StreamRemit, ConsumerMatcher, each(func(ctx context.Context, m jetstream.Msg) error {
				calls.Add(1)
				return tc.handler(ctx, m)
			}), BatchOptions{})

			eventually(t, 5*time.Second, "a dead letter", func() bool { return streamMsgs(t, env.js, StreamDLQ) == 1 })
			time.Sleep(300 * time.Millisecond) // longer than any backoff: no redelivery may come
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			if c := calls.Load(); c != tc.wantCalls {
				t.Errorf("handler called %d times, want %d", c, tc.wantCalls)
			}
			dls := deadLetters(t, env.js)
			if len(dls) != 1 {
				t.Fatalf("%d dead letters, want 1", len(dls))
			}
			dl := dls[0]
			if dl.GetReason() != tc.reason {
				t.Errorf("reason %q, want %q", dl.GetReason(), tc.reason)
			}
			if dl.GetSubject() != "remit.v1.claim.42" || dl.GetMsgId() != "ab12:1:clp" || dl.GetStream() != StreamRemit ||
				dl.GetConsumer() != ConsumerMatcher || dl.GetStreamSequence() != 1 || dl.GetDeliveries() != uint64(tc.wantCalls) ||
				dl.GetPayloadType() != "remitq.v1.ClaimPayment" || dl.GetDeadLetteredAt() == nil {
				t.Errorf("dead letter header fields wrong: %v", dl.String()[:min(len(dl.String()), 300)])
			}
			if !bytes.Equal(dl.GetPayload(), msgs[0].Data) {
				t.Error("dead letter payload differs from the original body")
			}
			ci := consumerInfo(t, env.js, StreamRemit, ConsumerMatcher)
			if ci.NumAckPending != 0 || ci.NumPending != 0 {
				t.Errorf("poison message still pending: %d unacked, %d pending", ci.NumAckPending, ci.NumPending)
			}
			// The original stays in REMIT for audit and replay.
			if n := streamMsgs(t, env.js, StreamRemit); n != 1 {
				t.Errorf("REMIT holds %d messages, want 1", n)
			}
		})
	}
}

func TestConsumersShareADurable(t *testing.T) {
	t.Parallel()
	env := startJS(t, "")
	setup(t, env, testConfig())
	const n = 400
	publishLines(t, env, n)

	var mu sync.Mutex
	seen := map[string]int{}
	var byWorker [2]atomic.Int32
	var total atomic.Int32
	// A's first message waits (up to 10 s) until B has one, so a slow start
	// of B on a loaded machine cannot leave it nothing to take.
	bStarted := make(chan struct{})
	var bOnce sync.Once
	handler := func(w int) BatchHandler {
		return each(func(_ context.Context, m jetstream.Msg) error {
			if w == 1 {
				bOnce.Do(func() { close(bStarted) })
			} else {
				select {
				case <-bStarted:
				case <-time.After(10 * time.Second):
				}
			}
			time.Sleep(time.Millisecond) // let the other consumer get a share
			mu.Lock()
			seen[m.Headers().Get(jetstream.MsgIDHeader)]++
			mu.Unlock()
			byWorker[w].Add(1)
			total.Add(1)
			return nil
		})
	}
	opts := BatchOptions{MaxBatch: 8}
	stopA := runConsume(t, env.js, StreamRemit, ConsumerMatcher, handler(0), opts)
	stopB := runConsume(t, env.js, StreamRemit, ConsumerMatcher, handler(1), opts)
	eventually(t, 15*time.Second, "all messages", func() bool { return total.Load() >= n })
	time.Sleep(200 * time.Millisecond)
	if err := errors.Join(stopA(), stopB()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != n {
		t.Errorf("%d distinct messages processed, want %d", len(seen), n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("message %s processed %d times", id, c)
		}
	}
	a, b := byWorker[0].Load(), byWorker[1].Load()
	t.Logf("consumer A processed %d, consumer B %d", a, b)
	if a == 0 || b == 0 {
		t.Errorf("one consumer got nothing (A %d, B %d)", a, b)
	}
}

func TestConsumeStopsGracefully(t *testing.T) {
	t.Parallel()
	env := startJS(t, "")
	setup(t, env, testConfig())
	publishLines(t, env, 20)

	started := make(chan struct{})
	release := make(chan struct{})
	var handled atomic.Int32
	var handlerCtxErr atomic.Value
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() {
		errc <- ConsumeBatch(ctx, env.js, StreamRemit, ConsumerMatcher, each(func(hctx context.Context, _ jetstream.Msg) error {
			if handled.Add(1) == 1 {
				close(started)
				<-release
				if hctx.Err() != nil {
					handlerCtxErr.Store(hctx.Err())
				}
			}
			return nil
		}), BatchOptions{MaxBatch: 1, MaxWait: 50 * time.Millisecond})
	}()
	<-started
	cancel()
	select {
	case err := <-errc:
		t.Fatalf("ConsumeBatch returned (%v) while a handler was still running", err)
	case <-time.After(200 * time.Millisecond):
	}
	close(release)
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("ConsumeBatch: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ConsumeBatch did not return after the handler finished")
	}
	if v := handlerCtxErr.Load(); v != nil {
		t.Errorf("handler context cancelled by the stop: %v", v)
	}
	if got := handled.Load(); got != 1 {
		t.Errorf("%d handlers ran, want only the in-flight one", got)
	}
	// The in-flight message was acked.
	eventually(t, 3*time.Second, "the in-flight message's ack", func() bool {
		return consumerInfo(t, env.js, StreamRemit, ConsumerMatcher).AckFloor.Stream == 1
	})
	// The others were never taken: a new consumer gets the other 19 well
	// before an AckWait (5 s) would have run out.
	var rest atomic.Int32
	stop := runConsume(t, env.js, StreamRemit, ConsumerMatcher, each(func(context.Context, jetstream.Msg) error {
		rest.Add(1)
		return nil
	}), BatchOptions{MaxBatch: 10})
	eventually(t, 3*time.Second, "the 19 returned messages", func() bool { return rest.Load() == 19 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if ci := consumerInfo(t, env.js, StreamRemit, ConsumerMatcher); ci.AckFloor.Stream != 20 || ci.NumAckPending != 0 {
		t.Errorf("ack floor %d, %d unacked; want 20 and 0", ci.AckFloor.Stream, ci.NumAckPending)
	}
}

func TestConsumeUnknownConsumer(t *testing.T) {
	t.Parallel()
	env := startJS(t, "")
	setup(t, env, testConfig())
	err := ConsumeBatch(t.Context(), env.js, StreamRemit, "nobody", each(func(context.Context, jetstream.Msg) error { return nil }), BatchOptions{})
	if !errors.Is(err, jetstream.ErrConsumerNotFound) {
		t.Fatalf("ConsumeBatch on a missing consumer: %v, want ErrConsumerNotFound", err)
	}
}

func TestLoggingNeverLogsBodies(t *testing.T) {
	t.Parallel()
	env := startJS(t, "")
	setup(t, env, testConfig())
	publishLines(t, env, 2)

	core, logs := observer.New(zapcore.DebugLevel)
	log := zap.New(core)
	var calls atomic.Int32
	h := each(func(context.Context, jetstream.Msg) error {
		if calls.Add(1) == 1 {
			panic("boom")
		}
		return nil
	})
	stop := runConsume(t, env.js, StreamRemit, ConsumerMatcher, h, BatchOptions{Logger: log, MaxBatch: 1})
	eventually(t, 5*time.Second, "both messages", func() bool { return calls.Load() == 2 })
	eventually(t, 5*time.Second, "the dead letter", func() bool { return streamMsgs(t, env.js, StreamDLQ) == 1 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	var sawPanic, sawOK, sawDLQ bool
	for _, e := range logs.All() {
		for k, v := range e.ContextMap() {
			s, _ := v.(string)
			if strings.Contains(s, "SECRET") {
				t.Errorf("log %q field %s holds PHI", e.Message, k)
			}
		}
		switch {
		case e.Message == "bus: message failed" && e.Level == zapcore.ErrorLevel:
			sawPanic = e.ContextMap()["stack"] != nil && e.ContextMap()["error"] == "panic: boom" && e.ContextMap()["msg_id"] != nil &&
				e.ContextMap()["stream_seq"] != nil
		case e.Message == "bus: batch handled" && e.Level == zapcore.DebugLevel:
			sawOK = e.ContextMap()["messages"] != nil
		case e.Message == "bus: message dead-lettered":
			sawDLQ = e.ContextMap()["reason"] == "panic: boom"
		}
	}
	if !sawPanic || !sawOK || !sawDLQ {
		t.Errorf("logged panic %v, success %v, dead letter %v; want all", sawPanic, sawOK, sawDLQ)
	}
}
