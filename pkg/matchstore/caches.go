package matchstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/remitq/remitq/pkg/billed"
	"github.com/remitq/remitq/pkg/billedstore"
	"github.com/remitq/remitq/pkg/wire"
	"github.com/remitq/remitq/x12"
)

// FeeCache holds the stored fee schedule, read again when it changes
// (checked at most every feeCheckEvery).
type FeeCache struct {
	mu      sync.Mutex
	s       *billed.FeeSchedule
	version string
	checked time.Time
}

const FeeCheckEvery = 2 * time.Second

func (f *FeeCache) Get(ctx context.Context, q sqlx.QueryerContext) (*billed.FeeSchedule, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.checked.IsZero() && time.Since(f.checked) < FeeCheckEvery {
		return f.s, nil
	}
	v, err := billedstore.FeeVersion(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("matchstore: fee schedule version: %w", err)
	}
	if v != f.version || f.checked.IsZero() {
		s, err := billedstore.FeeSchedule(ctx, q)
		if err != nil {
			return nil, err
		}
		if s.Len() == 0 {
			s = nil
		}
		f.s, f.version = s, v
	}
	f.checked = time.Now()
	return f.s, nil
}

// invalidate makes the next get read the schedule again.
func (f *FeeCache) Invalidate() {
	f.mu.Lock()
	f.checked = time.Time{}
	f.mu.Unlock()
}

// Reversal is a reversal CLP, keyed by the segment of the CLP after it in
// its transaction set: that CLP is its correction when it has the same CLP01.
type Reversal struct{ PCN, PayerControl string }

// FileCache remembers, per stored file, its sha256 and its reversals.
type FileCache struct {
	mu   sync.Mutex
	revs map[int64]map[int32]Reversal
	shas map[int64]string
}

func NewFileCache() *FileCache {
	return &FileCache{revs: map[int64]map[int32]Reversal{}, shas: map[int64]string{}}
}

// Reversals returns the reversals of a file by the segment of the claim
// that follows each; the file's parsed rows never change once stored.
func (f *FileCache) Reversals(ctx context.Context, q sqlx.QueryerContext, file int64) (map[int32]Reversal, error) {
	f.mu.Lock()
	m, ok := f.revs[file]
	f.mu.Unlock()
	if ok {
		return m, nil
	}
	// The claim after each is the next of its transaction: one pass over the
	// file's claims (a subquery per reversal read the rest of the file again
	// each time, quadratic in a file's reversals).
	rows, err := q.QueryxContext(ctx, `SELECT x.pcn, x.pcc, x.next FROM (SELECT r.status,
		r.patient_control_number AS pcn, coalesce(r.payer_claim_control, '') AS pcc,
		coalesce(lead(r.segment_index) OVER (PARTITION BY r.transaction_id ORDER BY r.segment_index), 0) AS next
		FROM claim_payments r WHERE r.file_id = $1) x WHERE x.status = '22'`, file)
	if err != nil {
		return nil, fmt.Errorf("matchstore: reversals of file %d: %w", file, err)
	}
	defer rows.Close()
	m = map[int32]Reversal{}
	for rows.Next() {
		var r Reversal
		var next int32
		if err := rows.Scan(&r.PCN, &r.PayerControl, &next); err != nil {
			return nil, err
		}
		if next > 0 {
			m[next] = r
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	if len(f.revs) > 512 {
		clear(f.revs)
	}
	f.revs[file] = m
	f.mu.Unlock()
	return m, nil
}

// SHA returns the hex sha256 of stored files.
func (f *FileCache) SHA(ctx context.Context, q sqlx.QueryerContext, files []int64) (map[int64]string, error) {
	out := map[int64]string{}
	var missing []int64
	f.mu.Lock()
	for _, id := range files {
		if s, ok := f.shas[id]; ok {
			out[id] = s
		} else if id != 0 {
			missing = append(missing, id)
		}
	}
	f.mu.Unlock()
	if len(missing) == 0 {
		return out, nil
	}
	rows, err := q.QueryxContext(ctx, `SELECT id, sha256 FROM remittance_files WHERE id = ANY($1)`, pq.Array(missing))
	if err != nil {
		return nil, fmt.Errorf("matchstore: file hashes: %w", err)
	}
	defer rows.Close()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.shas) > 4096 {
		clear(f.shas)
	}
	for rows.Next() {
		var id int64
		var sum []byte
		if err := rows.Scan(&id, &sum); err != nil {
			return nil, err
		}
		s := hex.EncodeToString(sum)
		out[id], f.shas[id] = s, s
	}
	return out, rows.Err()
}

// Pending is what match_pending holds of a waiting claim.
type Pending struct {
	Payload  []byte
	QueuedAt time.Time
	Attempts int
	Retry    bool
}

// LoadPending reads the match_pending rows at ps (lockRetry: only those
// marked for a retry, locked, skipping rows another matcher holds).
func LoadPending(ctx context.Context, q sqlx.QueryerContext, ps []Pos, lockRetry bool) (map[Pos]*Pending, error) {
	out := map[Pos]*Pending{}
	if len(ps) == 0 {
		return out, nil
	}
	files, segs := PosArrays(ps)
	query := `SELECT p.file_id, p.segment_index, p.payload, p.queued_at, p.attempts, p.retry_requested_at IS NOT NULL
		FROM match_pending p WHERE p.file_id = ANY($1) AND p.segment_index = ANY($2)
		AND (p.file_id, p.segment_index) IN (SELECT * FROM unnest($1::bigint[], $2::int[]))`
	if lockRetry {
		query += ` AND p.retry_requested_at IS NOT NULL FOR UPDATE OF p SKIP LOCKED`
	}
	rows, err := q.QueryxContext(ctx, query, pq.Array(files), pq.Array(segs))
	if err != nil {
		return nil, fmt.Errorf("matchstore: read pending: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p Pos
		pi := &Pending{}
		if err := rows.Scan(&p.File, &p.Seg, &pi.Payload, &pi.QueuedAt, &pi.Attempts, &pi.Retry); err != nil {
			return nil, err
		}
		out[p] = pi
	}
	return out, rows.Err()
}

// Reparse rebuilds the ClaimPayment messages of the CLPs at segs of a
// Stored file, exactly as ingest published them.
func Reparse(ctx context.Context, q sqlx.QueryerContext, file int64, segs map[int32]bool) (map[int32][]byte, error) {
	var raw []byte
	if err := sqlx.GetContext(ctx, q, &raw, `SELECT raw FROM remittance_files WHERE id = $1`, file); err != nil {
		return nil, fmt.Errorf("matchstore: read file %d: %w", file, err)
	}
	var practices []int64
	if err := sqlx.SelectContext(ctx, q, &practices, `SELECT practice_id FROM remittance_transactions WHERE file_id = $1 ORDER BY seq`, file); err != nil {
		return nil, fmt.Errorf("matchstore: transactions of file %d: %w", file, err)
	}
	ref := wire.FileRef{ID: file}
	copy(ref.SHA256[:], SHA256Of(raw))
	out := map[int32][]byte{}
	d := x12.NewRemitReader(bytes.NewReader(raw))
	seq := -1
	for len(out) < len(segs) {
		rec, err := d.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("matchstore: re-read file %d: %w", file, err)
		}
		switch v := rec.(type) {
		case *x12.Remittance:
			seq++
		case *x12.ClaimPayment:
			if !segs[int32(v.Segment)] || seq < 0 || seq >= len(practices) {
				continue
			}
			m, err := wire.RemitMessages(ref, practices[seq], v, false)
			if err != nil {
				return nil, err
			}
			out[int32(v.Segment)] = m[0].Data
		}
	}
	return out, nil
}

func SHA256Of(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}
