package matchstore

import (
	"context"
	"fmt"
	"hash/fnv"

	"github.com/remitq/remitq/pkg/billedstore"
	"github.com/remitq/remitq/x12"
)

// KeyLock is the advisory lock key of a payer + CLP07 timeline.
func KeyLock(k Key) int64 {
	h := fnv.New64a()
	h.Write([]byte(k.Payer))
	h.Write([]byte{0})
	h.Write([]byte(k.Control))
	return int64(h.Sum64()&^(0xffff<<48)) | int64(0x726d)<<48
}

// LockKeys takes the advisory locks of the keys not in held.
func LockKeys(ctx context.Context, q billedstore.DBTX, keys, held map[Key]bool) error {
	var ks []int64
	for k := range keys {
		if held == nil || !held[k] {
			ks = append(ks, KeyLock(k))
			if held != nil {
				held[k] = true
			}
		}
	}
	return billedstore.LockKeys(ctx, q, ks, true)
}

// LoadPLBs reads plb_links rows (alias l) selected by where.
func LoadPLBs(ctx context.Context, q billedstore.DBTX, where string, args ...any) ([]*PLBRow, error) {
	rows, err := q.QueryxContext(ctx, `SELECT l.file_id, l.segment_index, l.position, l.practice_id, l.payer_code,
		l.provider_id, coalesce(l.fiscal_period_date::text, ''), l.reason_code, l.kind, l.reference, l.amount, l.method,
		l.confidence, l.review, coalesce(l.payer_claim_control, ''), coalesce(l.prior_file_id, 0),
		coalesce(l.prior_segment, 0), coalesce(l.billed_claim_id, 0), l.revision FROM plb_links l `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("matchstore: read PLB links: %w", err)
	}
	defer rows.Close()
	var out []*PLBRow
	for rows.Next() {
		r := &PLBRow{}
		var fp string
		if err := rows.Scan(&r.Pos.File, &r.Pos.Seg, &r.Position, &r.PracticeID, &r.Payer, &r.ProviderID, &fp, &r.Reason,
			&r.Kind, &r.Reference, &r.Amount, &r.Method, &r.Confidence, &r.Review, &r.PayerControl, &r.Prior.File,
			&r.Prior.Seg, &r.BilledClaim, &r.Revision); err != nil {
			return nil, err
		}
		r.FiscalPeriod = x12.Date(fp)
		out = append(out, r)
	}
	return out, rows.Err()
}
