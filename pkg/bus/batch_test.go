package bus

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Batches: every message is handed over, per-message errors are retried,
// permanent ones dead-lettered, a panic dead-letters the batch, and two
// consumers on one durable never see the same message succeed twice.
func TestConsumeBatch(t *testing.T) {
	t.Parallel()
	env := startJS(t, "")
	setup(t, env, testConfig())
	publishLines(t, env, 300)

	var mu sync.Mutex
	ok := map[string]int{}     // msg id -> successful handlings
	failed := map[string]int{} // msg id -> transient failures given
	var sizes []int
	h := func(_ context.Context, msgs []jetstream.Msg) []error {
		mu.Lock()
		defer mu.Unlock()
		sizes = append(sizes, len(msgs))
		errs := make([]error, len(msgs))
		for i, m := range msgs {
			id := m.Headers().Get(jetstream.MsgIDHeader)
			switch {
			case id == "ab12:7:clp":
				errs[i] = Permanent(errors.New("cannot decode"))
			case id == "ab12:9:clp" && failed[id] < 2:
				failed[id]++
				errs[i] = errors.New("database busy")
			default:
				ok[id]++
			}
		}
		return errs
	}
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	var returned atomic.Int32
	for range 2 { // two workers sharing the durable consumer
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := ConsumeBatch(ctx, env.js, StreamRemit, ConsumerMatcher, h, BatchOptions{MaxBatch: 50, MaxWait: 50 * time.Millisecond}); err != nil {
				t.Error(err)
			}
			returned.Add(1)
		}()
	}
	eventually(t, 20*time.Second, "299 messages handled", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(ok) == 299
	})
	eventually(t, 10*time.Second, "one dead letter", func() bool { return len(deadLetters(t, env.js)) == 1 })
	cancel()
	wg.Wait()
	if returned.Load() != 2 {
		t.Fatal("a consumer did not return after the stop")
	}
	for id, n := range ok {
		if n != 1 {
			t.Errorf("%s handled %d times", id, n)
		}
	}
	if failed["ab12:9:clp"] != 2 || ok["ab12:9:clp"] != 1 {
		t.Errorf("retried message: %d failures, %d successes", failed["ab12:9:clp"], ok["ab12:9:clp"])
	}
	for _, n := range sizes {
		if n > 50 {
			t.Errorf("batch of %d, max 50", n)
		}
	}
	if dl := deadLetters(t, env.js)[0]; dl.GetMsgId() != "ab12:7:clp" || dl.GetReason() != "cannot decode" {
		t.Errorf("dead letter %s: %q", dl.GetMsgId(), dl.GetReason())
	}
}

func TestConsumeBatchPanic(t *testing.T) {
	t.Parallel()
	env := startJS(t, "")
	setup(t, env, testConfig())
	publishLines(t, env, 3)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() {
		_ = ConsumeBatch(ctx, env.js, StreamRemit, ConsumerMatcher, func(context.Context, []jetstream.Msg) []error {
			panic("boom")
		}, BatchOptions{MaxWait: 50 * time.Millisecond})
	}()
	eventually(t, 10*time.Second, "three dead letters", func() bool { return len(deadLetters(t, env.js)) == 3 })
	if got := BatchError(2, errors.New("x")); len(got) != 2 || got[1].Error() != "x" {
		t.Fatalf("BatchError = %v", got)
	}
}

// A panic in a batch of several is handled again message by message: only
// the message that panics alone is dead-lettered, the others succeed.
func TestBatchRecovererIsolatesThePanic(t *testing.T) {
	t.Parallel()
	env := startJS(t, "")
	setup(t, env, testConfig())
	publishLines(t, env, 5)
	var mu sync.Mutex
	ok := map[string]int{}
	h := func(_ context.Context, msgs []jetstream.Msg) []error {
		for _, m := range msgs {
			if m.Headers().Get(jetstream.MsgIDHeader) == "ab12:3:clp" {
				panic("poison")
			}
		}
		mu.Lock()
		defer mu.Unlock()
		for _, m := range msgs {
			ok[m.Headers().Get(jetstream.MsgIDHeader)]++
		}
		return nil
	}
	stop := runConsume(t, env.js, StreamRemit, ConsumerMatcher, h, BatchOptions{MaxBatch: 5, MaxWait: 200 * time.Millisecond})
	eventually(t, 10*time.Second, "one dead letter", func() bool { return len(deadLetters(t, env.js)) == 1 })
	eventually(t, 10*time.Second, "four messages handled", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(ok) == 4
	})
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if dl := deadLetters(t, env.js)[0]; dl.GetMsgId() != "ab12:3:clp" || dl.GetReason() != "panic: poison" {
		t.Errorf("dead letter %s: %q", dl.GetMsgId(), dl.GetReason())
	}
	for id, n := range ok {
		if n != 1 {
			t.Errorf("%s handled %d times", id, n)
		}
	}
}

// Permanent keeps its cause for errors.Is and errors.As.
func TestPermanentWrapsItsCause(t *testing.T) {
	t.Parallel()
	cause := &PublishError{ID: "x", Err: errors.New("stream full")}
	err := Permanent(fmt.Errorf("matcher: %w", cause))
	var pe *PublishError
	if !errors.Is(err, ErrPermanent) || !errors.As(err, &pe) || pe != cause || !errors.Is(err, cause.Err) {
		t.Fatalf("Permanent lost its cause: Is permanent %v, As %v", errors.Is(err, ErrPermanent), errors.As(err, &pe))
	}
	if err.Error() != "matcher: "+cause.Error() || Permanent(nil) != nil {
		t.Fatalf("Permanent text %q", err.Error())
	}
}
