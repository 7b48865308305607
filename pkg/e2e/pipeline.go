// Package e2e drives the whole remitq pipeline — ingest, matcher,
// router — from the outside: it tells when every stage has caught up, and
// loads a generated data set through the real components. The demo, the
// end-to-end benchmark and the cluster fault test use it; the services do
// not.
package e2e

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/remitq/remitq/pkg/bus"
)

// Backlog is what is still waiting somewhere in the pipeline.
type Backlog struct {
	// PublishQueue: stored 835 files not yet published on REMIT.
	PublishQueue int `db:"publish_queue"`
	// Matcher / Router: messages of their durable consumers not yet
	// delivered or not yet acknowledged.
	Matcher uint64
	Router  uint64
	// MatchRetries: paid claims the matcher was asked to match again (a
	// billed claim or an earlier payment arrived) and has not yet.
	MatchRetries int `db:"match_retries"`
	// MatchOutbox: changed matches not yet republished on MATCHED.
	MatchOutbox int `db:"match_outbox"`
}

// Empty reports whether nothing is waiting.
func (b Backlog) Empty() bool {
	return b.PublishQueue == 0 && b.Matcher == 0 && b.Router == 0 && b.MatchRetries == 0 && b.MatchOutbox == 0
}

// String shows the backlog compactly.
func (b Backlog) String() string {
	return fmt.Sprintf("publish queue %d files, matcher %d msgs, router %d msgs, match retries %d, match outbox %d",
		b.PublishQueue, b.Matcher, b.Router, b.MatchRetries, b.MatchOutbox)
}

// Pending reads the backlog of every stage.
func Pending(ctx context.Context, db *sqlx.DB, js jetstream.JetStream) (Backlog, error) {
	var b Backlog
	err := db.GetContext(ctx, &b, `SELECT
		(SELECT count(*) FROM publish_queue WHERE published_at IS NULL) AS publish_queue,
		(SELECT count(*) FROM match_pending WHERE retry_requested_at IS NOT NULL)
			+ (SELECT count(*) FROM plb_links WHERE retry_requested_at IS NOT NULL) AS match_retries,
		(SELECT count(*) FROM match_outbox) AS match_outbox`)
	if err != nil {
		return b, fmt.Errorf("pipeline: backlog: %w", err)
	}
	for _, c := range []struct {
		stream, consumer string
		n                *uint64
	}{{bus.StreamRemit, bus.ConsumerMatcher, &b.Matcher}, {bus.StreamMatched, bus.ConsumerRouter, &b.Router}} {
		cons, err := js.Consumer(ctx, c.stream, c.consumer)
		if err != nil {
			return b, fmt.Errorf("pipeline: consumer %s: %w", c.consumer, err)
		}
		info, err := cons.Info(ctx)
		if err != nil {
			return b, fmt.Errorf("pipeline: consumer %s: %w", c.consumer, err)
		}
		*c.n = info.NumPending + uint64(info.NumAckPending)
	}
	return b, nil
}

// ErrNotIdle is returned by WaitIdle when the pipeline did not catch up in
// time.
var ErrNotIdle = errors.New("pipeline: still busy")

// WaitIdle polls until every stage has caught up, twice in a row (a stage
// that just finished may hand work to the next), or timeout passes. Errors
// reading the backlog are retried until then.
func WaitIdle(ctx context.Context, db *sqlx.DB, js jetstream.JetStream, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	quiet := 0
	var last Backlog
	var lastErr error
	for {
		b, err := Pending(ctx, db, js)
		if err != nil {
			// A NATS cluster electing a leader, a database restarting: keep
			// asking until the deadline.
			lastErr, quiet = err, 0
			if time.Now().After(deadline) {
				return fmt.Errorf("%w after %v: %v", ErrNotIdle, timeout, lastErr)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(200 * time.Millisecond):
			}
			continue
		}
		last = b
		if b.Empty() {
			quiet++
			if quiet == 2 {
				return nil
			}
		} else {
			quiet = 0
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w after %v: %s", ErrNotIdle, timeout, last)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
