package bus

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	remitqv1 "github.com/remitq/remitq/proto/remitq/v1"
)

// testEnv is a JetStream server in the process with one client connection.
type testEnv struct {
	dir string
	ns  *server.Server
	nc  *nats.Conn
	js  jetstream.JetStream
}

// startJS starts an embedded JetStream server on dir (a fresh t.TempDir()
// when dir is "") and connects to it; cleanup closes both.
func startJS(t testing.TB, dir string) *testEnv {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	ns, err := StartEmbedded(EmbeddedOptions{StoreDir: dir, Port: -1})
	if err != nil {
		t.Fatalf("start embedded NATS: %v", err)
	}
	nc, err := ConnectEmbedded(ns)
	if err != nil {
		ns.Shutdown()
		t.Fatalf("connect: %v", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		ns.Shutdown()
		t.Fatalf("jetstream: %v", err)
	}
	env := &testEnv{dir: dir, ns: ns, nc: nc, js: js}
	t.Cleanup(env.stop)
	return env
}

// stop closes the client, then the server; it is safe to call twice.
func (e *testEnv) stop() {
	if e.nc != nil {
		e.nc.Close()
	}
	if e.ns != nil {
		e.ns.Shutdown()
		e.ns.WaitForShutdown()
	}
}

// testConfig redelivers fast: Nak delays of 50 and 100 ms, four deliveries.
func testConfig() Config {
	return Config{
		AckWait:    5 * time.Second,
		BackOff:    []time.Duration{50 * time.Millisecond, 100 * time.Millisecond},
		MaxDeliver: 4,
	}
}

func setup(t testing.TB, env *testEnv, cfg Config) {
	t.Helper()
	if err := Setup(t.Context(), env.js, cfg); err != nil {
		t.Fatalf("Setup: %v", err)
	}
}

// lineMsg builds a ServiceLinePayment message for practice 42 at segment seg.
func lineMsg(t testing.TB, seg int32) Message {
	t.Helper()
	m, err := NewLineMessage(&remitqv1.ServiceLinePayment{
		Source: &remitqv1.SourceRef{FileSha256: "ab12", SegmentIndex: seg, PracticeId: 42},
		Claim: &remitqv1.Claim{
			PatientControlNumber: fmt.Sprintf("PCN%d", seg),
			Patient:              &remitqv1.Patient{MemberId: "SECRETMEMBER", PatientLastName: "SECRETNAME"},
		},
		Line: &remitqv1.ServiceLine{LineNumber: 1, ChargeCents: 12500, PaidCents: 8000},
	})
	if err != nil {
		t.Fatalf("NewLineMessage: %v", err)
	}
	return m
}

// claimMsg builds a ClaimPayment message for practice 42 at segment seg:
// what the matcher consumer delivers.
func claimMsg(t testing.TB, seg int32) Message {
	t.Helper()
	m, err := NewClaimMessage(&remitqv1.ClaimPayment{
		Source: &remitqv1.SourceRef{FileSha256: "ab12", SegmentIndex: seg, PracticeId: 42},
		Claim: &remitqv1.Claim{
			PatientControlNumber: fmt.Sprintf("PCN%d", seg),
			Patient:              &remitqv1.Patient{MemberId: "SECRETMEMBER", PatientLastName: "SECRETNAME"},
		},
		LineCount: 1,
		Lines:     []*remitqv1.ClaimLine{{SegmentIndex: seg + 1, Line: &remitqv1.ServiceLine{LineNumber: 1, ChargeCents: 12500, PaidCents: 8000}}},
	})
	if err != nil {
		t.Fatalf("NewClaimMessage: %v", err)
	}
	return m
}

// publishLines publishes n claim messages (ids ab12:<n>:clp) on REMIT.
func publishLines(t testing.TB, env *testEnv, n int) []Message {
	t.Helper()
	msgs := make([]Message, n)
	for i := range msgs {
		msgs[i] = claimMsg(t, int32(i+1))
	}
	st, err := NewPublisher(env.js, PublisherOptions{}).PublishAsync(t.Context(), msgs)
	if err != nil {
		t.Fatalf("PublishAsync: %v", err)
	}
	if st.Stored != n {
		t.Fatalf("stored %d of %d messages (%d duplicates)", st.Stored, n, st.Duplicates)
	}
	return msgs
}

func streamMsgs(t testing.TB, js jetstream.JetStream, stream string) uint64 {
	t.Helper()
	s, err := js.Stream(t.Context(), stream)
	if err != nil {
		t.Fatalf("stream %s: %v", stream, err)
	}
	info, err := s.Info(t.Context())
	if err != nil {
		t.Fatalf("stream %s info: %v", stream, err)
	}
	return info.State.Msgs
}

func consumerInfo(t testing.TB, js jetstream.JetStream, stream, name string) *jetstream.ConsumerInfo {
	t.Helper()
	c, err := js.Consumer(t.Context(), stream, name)
	if err != nil {
		t.Fatalf("consumer %s: %v", name, err)
	}
	info, err := c.Info(t.Context())
	if err != nil {
		t.Fatalf("consumer %s info: %v", name, err)
	}
	return info
}

// eventually polls cond every 10 ms until it holds or timeout passes.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// handler is what the tests write: one message at a time.
type handler func(ctx context.Context, msg jetstream.Msg) error

// each makes a BatchHandler of a per-message handler (the single-message
// API the package no longer has).
func each(h handler) BatchHandler {
	return func(ctx context.Context, msgs []jetstream.Msg) []error {
		errs := make([]error, len(msgs))
		for i, m := range msgs {
			errs[i] = h(ctx, m)
		}
		return errs
	}
}

// runConsume starts ConsumeBatch (batches of one unless opts says) in a
// goroutine; the returned stop cancels it and returns its error.
func runConsume(t testing.TB, js jetstream.JetStream, stream, consumer string, h BatchHandler, opts BatchOptions) (stop func() error) {
	t.Helper()
	if opts.MaxBatch == 0 {
		opts.MaxBatch = 1
	}
	if opts.MaxWait == 0 {
		opts.MaxWait = 50 * time.Millisecond
	}
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- ConsumeBatch(ctx, js, stream, consumer, h, opts) }()
	var once bool
	var result error
	stop = func() error {
		if once {
			return result
		}
		once = true
		cancel()
		select {
		case result = <-errc:
		case <-time.After(15 * time.Second):
			result = fmt.Errorf("ConsumeBatch did not return within 15s of the stop")
		}
		return result
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}
