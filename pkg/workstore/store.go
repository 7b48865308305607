// Package workstore is the PostgreSQL side of work items (0004 and later):
// the rows the router writes (work_items, work_item_events,
// routed_settlements) in one transaction per batch, what it reads to write
// them (stored paid lines, earlier claim versions, payers, queue rules,
// queues), the patients' history the pain rules read, and the summaries
// and sweeps of the work: QueueSummary for GET /v1/queues and GET
// /v1/practices/{practice}/queues, the queue-stats snapshot, the sweep's
// status changes. The open-status rule and the aging are pkg/work's.
//
// It never imports a service: routesvc (the router) and apisvc (the API)
// call it.
package workstore

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Store reads and writes work items.
type Store struct{ DB *sqlx.DB }

// New returns the store on db.
func New(db *sqlx.DB) *Store { return &Store{DB: db} }

// PaidRef names a paid line as the ingest stored it: the file and the
// segment of its SVC (or of its CLP for a claim-level-only payment, Claim).
type PaidRef struct {
	File    int64
	Segment int32
	// Claim: a claim-level-only payment, stored in claim_payments alone
	// (its segment is the CLP's); otherwise the SVC of a service line.
	Claim bool
}

// PaidIDs are the stored rows of a paid line: service_line_payments.id
// (0 for a claim-level CLP) and claim_payments.id.
type PaidIDs struct{ ServiceLine, Claim int64 }

// PaidLines finds the stored paid lines (and claims) of refs; a ref with
// no stored row is absent from the answer.
//
// Each ref is one index probe (LATERAL … LIMIT 1 keeps the planner from
// hashing the batch against a scan of every partition of
// service_line_payments, which it did once the table grew), into the one
// claim_payments only for claim-level refs (an SVC segment is never a CLP).
func (s *Store) PaidLines(ctx context.Context, refs []PaidRef) (map[PaidRef]PaidIDs, error) {
	out := make(map[PaidRef]PaidIDs, len(refs))
	if len(refs) == 0 {
		return out, nil
	}
	files, segs, claims := make([]int64, len(refs)), make([]int32, len(refs)), make([]bool, len(refs))
	for i, r := range refs {
		files[i], segs[i], claims[i] = r.File, r.Segment, r.Claim
	}
	rows, err := s.DB.QueryContext(ctx, `SELECT k.f, k.g, k.c, p.sl, p.cp FROM unnest($1::bigint[], $2::int[], $3::boolean[]) AS k(f, g, c)
		CROSS JOIN LATERAL (
			SELECT s.id AS sl, s.claim_payment_id AS cp FROM service_line_payments s
			WHERE s.file_id = k.f AND s.segment_index = k.g LIMIT 1) AS p
		UNION ALL
		SELECT k.f, k.g, k.c, 0, p.cp FROM unnest($1::bigint[], $2::int[], $3::boolean[]) AS k(f, g, c)
		CROSS JOIN LATERAL (
			SELECT c.id AS cp FROM claim_payments c WHERE k.c AND c.file_id = k.f AND c.segment_index = k.g LIMIT 1) AS p`,
		pq.Array(files), pq.Array(segs), pq.Array(claims))
	if err != nil {
		return nil, fmt.Errorf("workstore: paid lines: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k PaidRef
		var ids PaidIDs
		if err := rows.Scan(&k.File, &k.Segment, &k.Claim, &ids.ServiceLine, &ids.Claim); err != nil {
			return nil, err
		}
		out[k] = ids
	}
	return out, rows.Err()
}

// EarlierVersions returns, for each billed line id of lines (billed claims
// in claims), the ids of the same line (same LX) in the earlier versions of
// its claim, newest first: a corrected claim (frequency 7) replaces the
// claim a denial was worked on.
func (s *Store) EarlierVersions(ctx context.Context, lines, claims []int64) (map[int64][]int64, error) {
	out := map[int64][]int64{}
	if len(lines) == 0 {
		return out, nil
	}
	// Most claims are first versions: the partial index on replacements
	// answers for them (c, materialized, is then empty) without touching
	// the lines. The lines are read by claim (OFFSET 0 keeps each lateral
	// an index probe): joined as a whole, the planner scanned every
	// billed line for each batch (7 ms at 54,000 lines, growing with the
	// table).
	rows, err := s.DB.QueryContext(ctx, `WITH RECURSIVE c AS MATERIALIZED (
			SELECT id, replaces_claim_id FROM billed_claims WHERE id = ANY($2) AND replaces_claim_id IS NOT NULL
		), v(start, claim, line_number, depth) AS (
			SELECT bl.id, c.replaces_claim_id, bl.line_number, 1
			FROM c CROSS JOIN LATERAL (SELECT bl.id, bl.line_number FROM billed_lines bl
				WHERE bl.billed_claim_id = c.id AND bl.id = ANY($1) OFFSET 0) AS bl
		UNION ALL
			SELECT v.start, bc.replaces_claim_id, v.line_number, v.depth + 1
			FROM v JOIN billed_claims bc ON bc.id = v.claim
			WHERE bc.replaces_claim_id IS NOT NULL AND v.depth < 20
		)
		SELECT v.start, ol.id FROM v CROSS JOIN LATERAL (SELECT ol.id FROM billed_lines ol
			WHERE ol.billed_claim_id = v.claim AND ol.line_number = v.line_number OFFSET 0) AS ol
		ORDER BY v.start, v.depth`, pq.Array(lines), pq.Array(claims))
	if err != nil {
		return nil, fmt.Errorf("workstore: earlier claim versions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var start, old int64
		if err := rows.Scan(&start, &old); err != nil {
			return nil, err
		}
		out[start] = append(out[start], old)
	}
	return out, rows.Err()
}

// Payers resolves payer codes (payer_id_code) to payers.id; unknown codes
// are absent.
func (s *Store) Payers(ctx context.Context, codes []string) (map[string]int64, error) {
	out := map[string]int64{}
	rows, err := s.DB.QueryContext(ctx, `SELECT payer_id_code, id FROM payers WHERE payer_id_code = ANY($1)`, pq.Array(codes))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var code string
		var id int64
		if err := rows.Scan(&code, &id); err != nil {
			return nil, err
		}
		out[code] = id
	}
	return out, rows.Err()
}

// AppealWindows are payer_profiles.appeal_window_days by payer code.
func (s *Store) AppealWindows(ctx context.Context) (map[string]int, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT p.payer_id_code, pp.appeal_window_days
		FROM payer_profiles pp JOIN payers p ON p.id = pp.payer_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var code string
		var days int
		if err := rows.Scan(&code, &days); err != nil {
			return nil, err
		}
		out[code] = days
	}
	return out, rows.Err()
}

// EnsureQueue creates a practice's queue when missing, in a statement of
// its own (outside any batch's transaction: batches of two routers
// creating the queues of two practices in opposite orders deadlocked on
// the upserted rows; a queue created for a batch that then rolls back is
// harmless, it stays empty).
func (s *Store) EnsureQueue(ctx context.Context, practice int64, name string) error {
	_, err := s.DB.ExecContext(ctx, `INSERT INTO queues (practice_id, name) VALUES ($1, $2)
		ON CONFLICT (practice_id, name) DO NOTHING`, practice, name)
	return err
}

// QueueID is the id of a practice's queue as tx sees it.
func (tx *Tx) QueueID(ctx context.Context, practice int64, name string) (int64, error) {
	var id int64
	err := tx.GetContext(ctx, &id, `SELECT id FROM queues WHERE practice_id = $1 AND name = $2`, practice, name)
	return id, err
}
