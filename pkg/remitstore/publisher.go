package remitstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/remitq/remitq/pkg/bus"
	"github.com/remitq/remitq/pkg/wire"
	"github.com/remitq/remitq/x12"
)

// publishLockSpace is the high bits of the advisory lock key a publisher
// holds on a file while it publishes it ("rq" + file id).
const publishLockSpace = int64(0x7271) << 48

// Publisher drains the publish queue onto JetStream: it is the relay of the
// ingest's transactional outbox.
//
// Each queued file is claimed with a session-level PostgreSQL advisory lock
// on a connection of its own, so several publishers share one queue, and a
// publisher that dies releases its files at once (its connection closes).
// Progress is committed as checkpoints (the last segment whose messages
// JetStream acknowledged); a publisher that takes over resumes after the
// last checkpoint, and the Nats-Msg-Id of every message absorbs the overlap.
type Publisher struct {
	DB *sqlx.DB
	JS jetstream.JetStream
	// Log receives progress and problems (never message bodies).
	Log *zap.Logger
	// CheckpointEvery is how many messages are published between two
	// recorded checkpoints (default 20000). A checkpoint waits for every
	// outstanding ack, so fewer checkpoints keep the pipeline fuller; a
	// publisher that takes over republishes at most this many (dropped by
	// JetStream as duplicates).
	CheckpointEvery int
	// Poll is how often Run looks for work without a wake-up (default 2s).
	Poll time.Duration
	// Published, when set, is called after each checkpoint with the number
	// of messages JetStream acknowledged (for metrics).
	Published func(n int)
	// Lines says when the per-line ServiceLinePayment messages are sent
	// beside each claim's ClaimPayment (default bus.LinesWanted). The pipeline
	// itself consumes only claims and PLB pairs (bus.MatcherSubjects).
	Lines bus.LinePolicy
	// Recent, when set, holds the decoded records an Ingester of this
	// process kept of the files it just stored: such a file is published
	// from them, without reading it back or decoding it again.
	Recent *Recent
}

// Run drains the queue until ctx ends, waking on wake or every Poll.
func (p *Publisher) Run(ctx context.Context, wake <-chan struct{}) error {
	poll := p.Poll
	if poll <= 0 {
		poll = 2 * time.Second
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		if _, err := p.Drain(ctx); err != nil && ctx.Err() == nil {
			p.log().Warn("publish queue: will retry", zap.Error(err))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-t.C:
		}
	}
}

func (p *Publisher) log() *zap.Logger {
	if p.Log == nil {
		return zap.NewNop()
	}
	return p.Log
}

// Pending returns the number of files whose messages are not all published.
func Pending(ctx context.Context, db sqlx.QueryerContext) (int, error) {
	var n int
	err := sqlx.GetContext(ctx, db, &n, `SELECT count(*) FROM publish_queue WHERE published_at IS NULL`)
	return n, err
}

// Drain publishes every queued file no other publisher holds and returns
// how many messages it sent.
func (p *Publisher) Drain(ctx context.Context) (int, error) {
	conn, err := p.DB.Connx(ctx)
	if err != nil {
		return 0, err
	}
	defer func() {
		// Never hand a connection holding a lock back to the pool.
		uctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := conn.ExecContext(uctx, `SELECT pg_advisory_unlock_all()`); err != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		conn.Close()
	}()
	total := 0
	after := int64(0)
	for {
		var ids []int64
		if err := conn.SelectContext(ctx, &ids, `SELECT file_id FROM publish_queue
			WHERE published_at IS NULL AND file_id > $1 ORDER BY file_id LIMIT 64`, after); err != nil {
			return total, err
		}
		if len(ids) == 0 {
			return total, nil
		}
		for _, id := range ids {
			after = id
			n, err := p.publishLocked(ctx, conn, id)
			total += n
			if err != nil {
				return total, err
			}
		}
	}
}

// publishLocked publishes file id if it can take its lock and it is still
// unpublished.
func (p *Publisher) publishLocked(ctx context.Context, conn *sqlx.Conn, id int64) (int, error) {
	var locked bool
	if err := conn.GetContext(ctx, &locked, `SELECT pg_try_advisory_lock($1)`, publishLockSpace|id); err != nil {
		return 0, err
	}
	if !locked {
		return 0, nil // another publisher has it
	}
	defer func() {
		uctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, _ = conn.ExecContext(uctx, `SELECT pg_advisory_unlock($1)`, publishLockSpace|id)
	}()
	var q struct {
		Through int   `db:"published_through"`
		Done    *bool `db:"done"`
	}
	err := conn.GetContext(ctx, &q, `SELECT published_through, published_at IS NOT NULL AS done FROM publish_queue WHERE file_id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) || err == nil && q.Done != nil && *q.Done {
		return 0, nil // finished by another publisher meanwhile
	}
	if err != nil {
		return 0, err
	}
	ref := wire.FileRef{ID: id}
	var walk func(fn func(x12.RemitRecord) error) error
	if f, ok := p.Recent.take(id); ok {
		ref.SHA256 = f.sha
		walk = func(fn func(x12.RemitRecord) error) error { return each(f.recs, fn) }
	} else {
		var raw []byte
		if err := conn.GetContext(ctx, &raw, `SELECT raw FROM remittance_files WHERE id = $1`, id); err != nil {
			return 0, err
		}
		ref.SHA256 = sha256.Sum256(raw)
		walk = func(fn func(x12.RemitRecord) error) error { return forEachRecord(raw, fn) }
	}
	var practices []int64
	if err := conn.SelectContext(ctx, &practices, `SELECT practice_id FROM remittance_transactions WHERE file_id = $1 ORDER BY seq`, id); err != nil {
		return 0, err
	}
	lines, err := p.linesWanted(ctx, practices)
	if err != nil {
		return 0, err
	}
	sent, through, perr := p.publishFile(ctx, ref, walk, practices, lines, q.Through,
		func(through, n int) error {
			_, err := conn.ExecContext(ctx, `UPDATE publish_queue SET published_through = $2, messages = messages + $3 WHERE file_id = $1`,
				id, through, n)
			return err
		})
	if perr != nil {
		uctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, _ = conn.ExecContext(uctx, `UPDATE publish_queue SET attempts = attempts + 1, last_error = $2 WHERE file_id = $1`, id, perr.Error())
		return sent, fmt.Errorf("ingest: publish file %d: %w", id, perr)
	}
	if _, err := conn.ExecContext(ctx, `UPDATE publish_queue SET published_through = $2, published_at = now(), last_error = NULL WHERE file_id = $1`,
		id, through); err != nil {
		return sent, err
	}
	p.log().Info("file published", zap.Int64("file_id", id), zap.Int("messages", sent))
	return sent, nil
}

// publishFile walks the file's records and publishes the messages of every claim and
// PLB after segment `after` (with the claims' line messages in the
// transaction sets where lines[set]), calling checkpoint(through, n) once
// JetStream has acknowledged everything up to segment `through`.
func (p *Publisher) publishFile(ctx context.Context, f wire.FileRef, walk func(func(x12.RemitRecord) error) error, practices []int64,
	lines []bool, after int,
	checkpoint func(through, n int) error) (sent, through int, err error) {
	every := p.CheckpointEvery
	if every <= 0 {
		every = 20000
	}
	batch := bus.NewPublisher(p.JS, bus.PublisherOptions{BatchSize: 4000}).NewBatch()
	seq, inBatch, lastSeg := -1, 0, after
	through = after
	flush := func() error {
		if inBatch == 0 {
			return nil
		}
		if err := batch.Wait(ctx); err != nil {
			return err
		}
		if err := checkpoint(lastSeg, inBatch); err != nil {
			return err
		}
		if p.Published != nil {
			p.Published(inBatch)
		}
		sent += inBatch
		through, inBatch = lastSeg, 0
		return nil
	}
	err = walk(func(rec x12.RemitRecord) error {
		var msgs []bus.Message
		var seg int
		var err error
		switch v := rec.(type) {
		case *x12.Remittance:
			seq++
			if seq >= len(practices) {
				return fmt.Errorf("file has more transaction sets than stored")
			}
			return nil
		case *x12.ClaimPayment:
			if seg = v.Segment; seg <= after {
				return nil
			}
			msgs, err = wire.RemitMessages(f, practices[seq], v, lines[seq])
		case *x12.RemittanceEnd:
			adj := v.Remittance.Adjustments
			if len(adj) == 0 {
				return nil
			}
			if seg = adj[len(adj)-1].Segment; seg <= after {
				return nil
			}
			msgs, err = wire.PLBMessages(f, practices[seq], v.Remittance)
		}
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if err := batch.Add(ctx, m); err != nil {
				return err
			}
		}
		inBatch += len(msgs)
		lastSeg = seg
		if inBatch >= every {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	return sent, through, err
}

// linesWanted says, for each transaction set's practice, whether its line
// messages are to be published.
func (p *Publisher) linesWanted(ctx context.Context, practices []int64) ([]bool, error) {
	subjects := make([]string, len(practices))
	for i, id := range practices {
		subjects[i] = bus.LineSubject(id)
	}
	return p.Lines.Wanted(ctx, p.JS, bus.StreamRemit, subjects)
}
