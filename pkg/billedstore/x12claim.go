package billedstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/remitq/remitq/x12"
)

// x12Cols are the columns of billed_claim_x12 (0023): the claim as its
// 837P sent it.
var x12Cols = []string{"billed_claim_id", "practice_id", "segment", "phi_claim", "batch"}

// encode837 is the stored form of a claim read from an 837P: the claim, and
// its transaction set's header without the claims.
func encode837(c *x12.Claim) (claim, batch string, err error) {
	cb, err := json.Marshal(c)
	if err != nil {
		return "", "", fmt.Errorf("billing: encode claim: %w", err)
	}
	var hdr x12.ClaimBatch
	if c.Batch != nil {
		hdr = *c.Batch
		hdr.Claims = nil
	}
	bb, err := json.Marshal(&hdr)
	if err != nil {
		return "", "", fmt.Errorf("billing: encode batch: %w", err)
	}
	return string(cb), string(bb), nil
}

// Errors of Claim837.
var (
	// ErrNoBilledClaim: no billed claim of that id in that practice.
	ErrNoBilledClaim = errors.New("billing: no such billed claim in the practice")
	// ErrNotRegenerable: the billed claim came from a CSV export (or from an
	// 837P loaded before 0023), so remitq does not hold the claim as it was
	// sent and cannot generate a corrected one.
	ErrNotRegenerable = errors.New("billing: the billed claim was not loaded from an 837P, so it cannot be regenerated")
)

// Stored837 is a billed claim as its 837P sent it.
type Stored837 struct {
	BilledClaimID int64
	PracticeID    int64
	Source        string
	Claim         *x12.Claim // Claim.Batch is set
}

// Claim837 reads billed claim id of practice as its 837P sent it (PHI: the
// caller audits the read). ErrNoBilledClaim when the practice has no such
// claim, ErrNotRegenerable when it was not loaded from an 837P.
func Claim837(ctx context.Context, q sqlx.QueryerContext, practiceID, billedClaimID int64) (*Stored837, error) {
	var (
		src          string
		claim, batch []byte
	)
	err := q.QueryRowxContext(ctx, `SELECT b.source, x.phi_claim, x.batch FROM billed_claims b
		LEFT JOIN billed_claim_x12 x ON x.billed_claim_id = b.id
		WHERE b.id = $1 AND b.practice_id = $2`, billedClaimID, practiceID).Scan(&src, &claim, &batch)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoBilledClaim
	}
	if err != nil {
		return nil, fmt.Errorf("billing: read claim: %w", err)
	}
	if claim == nil {
		return nil, ErrNotRegenerable
	}
	out := &Stored837{BilledClaimID: billedClaimID, PracticeID: practiceID, Source: src, Claim: &x12.Claim{}}
	if err := json.Unmarshal(claim, out.Claim); err != nil {
		return nil, fmt.Errorf("billing: decode stored claim: %w", err)
	}
	b := &x12.ClaimBatch{}
	if err := json.Unmarshal(batch, b); err != nil {
		return nil, fmt.Errorf("billing: decode stored batch: %w", err)
	}
	out.Claim.Batch = b
	return out, nil
}
