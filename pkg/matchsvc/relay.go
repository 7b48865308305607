package matchsvc

import (
	"context"
	"fmt"

	"github.com/lib/pq"

	"github.com/remitq/remitq/pkg/billed"
	"github.com/remitq/remitq/pkg/bus"
	"github.com/remitq/remitq/pkg/matchstore"
	v1 "github.com/remitq/remitq/proto/remitq/v1"
)

// RelayOnce publishes the ClaimMatches messages of up to 200 changed claims
// from the outbox (their current answer, with its revision), waits for
// JetStream's acks, then deletes the outbox rows. A crash before the delete
// publishes them again: the Nats-Msg-Id carries the revision, so JetStream
// drops the repeat. It returns how many rows it took.
func (s *Service) RelayOnce(ctx context.Context) (int, error) {
	tx, err := s.deps.DB.BeginTxx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryxContext(ctx, `SELECT id, file_id, segment_index, payload FROM match_outbox
		ORDER BY id LIMIT 200 FOR UPDATE SKIP LOCKED`)
	if err != nil {
		return 0, fmt.Errorf("matchsvc: outbox: %w", err)
	}
	type entry struct {
		id      int64
		p       matchstore.Pos
		Payload []byte
	}
	var list []entry
	for rows.Next() {
		var e entry
		if err := rows.Scan(&e.id, &e.p.File, &e.p.Seg, &e.Payload); err != nil {
			rows.Close()
			return 0, err
		}
		list = append(list, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(list) == 0 {
		return 0, err
	}
	var ps []matchstore.Pos
	var ids []int64
	for _, e := range list {
		ps = append(ps, e.p)
		ids = append(ids, e.id)
	}
	st, err := matchstore.LoadStored(ctx, tx, ps)
	if err != nil {
		return 0, err
	}
	claims := map[int64]*billed.Claim{}
	var lines [][]matchstore.LineRow
	for _, e := range list {
		if s := st[e.p]; s != nil {
			lines = append(lines, s.Lines)
		}
	}
	shas, err := s.eng.billedInfo(ctx, claims, lines)
	if err != nil {
		return 0, err
	}
	var cps []*v1.ClaimPayment
	var lineRows [][]matchstore.LineRow
	done := map[matchstore.Pos]bool{}
	for _, e := range list {
		stc := st[e.p]
		if stc == nil || done[e.p] {
			continue
		}
		done[e.p] = true
		cp := &v1.ClaimPayment{}
		if err := cp.UnmarshalVT(e.Payload); err != nil {
			return 0, fmt.Errorf("matchsvc: outbox payload of %s: %w", e.p.Ref(), err)
		}
		cps = append(cps, cp)
		lineRows = append(lineRows, stc.Lines)
	}
	wanted, err := linesWanted(ctx, s.deps.JS, s.opts.Lines, cps)
	if err != nil {
		return 0, err
	}
	var msgs []bus.Message
	var arena []byte
	for i, cp := range cps {
		if msgs, arena, err = claimMatches(msgs, arena, cp, lineRows[i], claims, shas, wanted[cp.GetSource().GetPracticeId()]); err != nil {
			return 0, err
		}
	}
	if _, err := s.pub.PublishAsync(ctx, msgs); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM match_outbox WHERE id = ANY($1)`, pq.Array(ids)); err != nil {
		return 0, err
	}
	return len(list), tx.Commit()
}
