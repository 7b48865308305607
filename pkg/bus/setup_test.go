package bus

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

func TestSetupIsIdempotent(t *testing.T) {
	t.Parallel()
	env := startJS(t, "")
	cfg := testConfig()
	setup(t, env, cfg)
	publishLines(t, env, 3)
	setup(t, env, cfg)

	want := map[string]string{StreamRemit: SubjectsRemit, StreamMatched: SubjectsMatched, StreamDLQ: SubjectsDLQ}
	var names []string
	for name := range env.js.StreamNames(t.Context()).Name() {
		names = append(names, name)
	}
	slices.Sort(names)
	if got := strings.Join(names, ","); got != "DLQ,MATCHED,REMIT" {
		t.Fatalf("streams = %s, want DLQ,MATCHED,REMIT", got)
	}
	for name, subj := range want {
		s, err := env.js.Stream(t.Context(), name)
		if err != nil {
			t.Fatal(err)
		}
		c := s.CachedInfo().Config
		if len(c.Subjects) != 1 || c.Subjects[0] != subj {
			t.Errorf("%s subjects = %v, want [%s]", name, c.Subjects, subj)
		}
		if c.Storage != jetstream.FileStorage || c.Replicas != 1 || c.Duplicates != 2*time.Minute {
			t.Errorf("%s: storage %v replicas %d duplicates %v; want file, 1, 2m", name, c.Storage, c.Replicas, c.Duplicates)
		}
	}
	if n := streamMsgs(t, env.js, StreamRemit); n != 3 {
		t.Errorf("REMIT holds %d messages after the second Setup, want 3", n)
	}

	for _, tc := range []struct{ stream, name string }{{StreamRemit, ConsumerMatcher}, {StreamMatched, ConsumerRouter}} {
		c := consumerInfo(t, env.js, tc.stream, tc.name).Config
		if c.Durable != tc.name || c.AckPolicy != jetstream.AckExplicitPolicy || c.MaxDeliver != 4 {
			t.Errorf("%s: durable %q ack %v max deliver %d", tc.name, c.Durable, c.AckPolicy, c.MaxDeliver)
		}
		// NATS uses BackOff as per-delivery ack wait: never below AckWait.
		if !slices.Equal(c.BackOff, []time.Duration{5 * time.Second, 5 * time.Second}) || c.AckWait != 5*time.Second {
			t.Errorf("%s: backoff %v ack wait %v, want [5s 5s] and 5s", tc.name, c.BackOff, c.AckWait)
		}
		if got := c.Metadata[MetaNakBackoff]; got != "50ms,100ms" {
			t.Errorf("%s: nak schedule %q, want 50ms,100ms", tc.name, got)
		}
	}

	// The matcher sees whole claims and PLB pairs, not the per-line messages.
	mc := consumerInfo(t, env.js, StreamRemit, ConsumerMatcher).Config
	if !slices.Equal(mc.FilterSubjects, MatcherSubjects) || mc.MaxAckPending != MatcherMaxAckPending {
		t.Errorf("matcher: filter %v max ack pending %d, want %v and %d", mc.FilterSubjects, mc.MaxAckPending, MatcherSubjects, MatcherMaxAckPending)
	}
	// The router sees one message per paid claim, not the per-line ones.
	if rc := consumerInfo(t, env.js, StreamMatched, ConsumerRouter).Config; !slices.Equal(rc.FilterSubjects, RouterSubjects) {
		t.Errorf("router: filter %v, want %v", rc.FilterSubjects, RouterSubjects)
	}
	if _, err := NewPublisher(env.js, PublisherOptions{}).PublishSync(t.Context(), []Message{lineMsg(t, 99)}); err != nil {
		t.Fatal(err)
	}
	if ci := consumerInfo(t, env.js, StreamRemit, ConsumerMatcher); ci.NumPending != 3 {
		t.Errorf("matcher has %d messages pending after a line message, want the 3 claims", ci.NumPending)
	}

	// A changed config updates in place.
	cfg.MaxDeliver = 6
	setup(t, env, cfg)
	if got := consumerInfo(t, env.js, StreamRemit, ConsumerMatcher).Config.MaxDeliver; got != 6 {
		t.Errorf("max deliver after update = %d, want 6", got)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"zero is defaults", Config{}, true},
		{"test config", testConfig(), true},
		{"replicas 7", Config{Replicas: 7}, false},
		{"negative backoff", Config{BackOff: []time.Duration{-time.Second}}, false},
		{"negative ack wait", Config{AckWait: -time.Second}, false},
		{"window longer than age", Config{Duplicates: time.Hour, MaxAge: time.Minute}, false},
		{"forever", Config{MaxAge: -1, DLQMaxAge: -1}, true},
		{"max deliver 1 truncates backoff", Config{MaxDeliver: 1}, true},
		{"max deliver negative", Config{MaxDeliver: -1}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.cfg.Validate(); (err == nil) != tc.ok {
				t.Errorf("Validate() = %v, want ok=%v", err, tc.ok)
			}
		})
	}
	if got := ConsumerConfig("x", "", Config{MaxDeliver: 1}).BackOff; len(got) != 1 {
		t.Errorf("MaxDeliver 1: backoff %v, want one entry", got)
	}
}

func TestSetupRejectsBadConfig(t *testing.T) {
	t.Parallel()
	env := startJS(t, "")
	err := Setup(t.Context(), env.js, Config{Replicas: 9})
	if err == nil || !strings.Contains(err.Error(), "replicas") {
		t.Fatalf("Setup with 9 replicas: %v, want a replicas error", err)
	}
	if _, serr := env.js.Stream(t.Context(), StreamRemit); !errors.Is(serr, jetstream.ErrStreamNotFound) {
		t.Fatalf("stream created despite invalid config: %v", serr)
	}
}

func TestStreamSurvivesRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := startJS(t, dir)
	setup(t, env, testConfig())
	msgs := publishLines(t, env, 50)
	env.stop()

	env = startJS(t, dir)
	if n := streamMsgs(t, env.js, StreamRemit); n != 50 {
		t.Fatalf("REMIT holds %d messages after restart, want 50", n)
	}
	// Still deduplicated across the restart (inside the window).
	st, err := NewPublisher(env.js, PublisherOptions{}).PublishAsync(t.Context(), msgs[:10])
	if err != nil || st.Duplicates != 10 {
		t.Fatalf("republish after restart: %+v, %v; want 10 duplicates", st, err)
	}
	// The durable consumer survived and delivers everything.
	seen := make(chan string, 100)
	stop := runConsume(t, env.js, StreamRemit, ConsumerMatcher, each(func(_ context.Context, m jetstream.Msg) error {
		seen <- m.Headers().Get(jetstream.MsgIDHeader)
		return nil
	}), BatchOptions{MaxBatch: 20})
	got := map[string]bool{}
	timeout := time.After(10 * time.Second)
	for len(got) < 50 {
		select {
		case id := <-seen:
			got[id] = true
		case <-timeout:
			t.Fatalf("consumed %d of 50 messages after restart", len(got))
		}
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

func TestRedeliveryPolicy(t *testing.T) {
	t.Parallel()
	fromSetup := policyOf(ConsumerConfig("x", "", testConfig()))
	foreign := policyOf(jetstream.ConsumerConfig{BackOff: []time.Duration{time.Second, 2 * time.Second}, MaxDeliver: -1})
	bare := policyOf(jetstream.ConsumerConfig{AckWait: 7 * time.Second})
	for _, tc := range []struct {
		name      string
		r         redelivery
		delivered uint64
		delay     time.Duration
		last      bool
	}{
		{"setup first", fromSetup, 1, 50 * time.Millisecond, false},
		{"setup second", fromSetup, 2, 100 * time.Millisecond, false},
		{"setup repeats last", fromSetup, 3, 100 * time.Millisecond, false},
		{"setup last delivery", fromSetup, 4, 100 * time.Millisecond, true},
		{"foreign backoff", foreign, 2, 2 * time.Second, false},
		{"unlimited deliveries", foreign, 1000, 2 * time.Second, false},
		{"ack wait only", bare, 1, 7 * time.Second, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.r.delay(tc.delivered); got != tc.delay {
				t.Errorf("delay %v, want %v", got, tc.delay)
			}
			if got := tc.r.last(tc.delivered); got != tc.last {
				t.Errorf("last %v, want %v", got, tc.last)
			}
		})
	}
}
