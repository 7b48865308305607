package billedstore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/remitq/remitq/pkg/billedstore"
	"github.com/remitq/remitq/pkg/synth"
	"github.com/remitq/remitq/x12"
)

// An 837P-loaded claim is kept as the file sent it; a CSV-loaded one is
// not, and says so; another practice's claim is not found.
func TestClaim837KeepsTheClaimAsSent(t *testing.T) {
	db := newDB(t)
	s := &billedstore.Store{DB: db}
	tr, err := synth.GenerateTruth(synth.TruthOptions{Seed: 3, Lines: 60, Practices: 1})
	if err != nil {
		t.Fatal(err)
	}
	var pr int64
	if err := db.Get(&pr, `INSERT INTO practices (name, npi, tin) VALUES ('S', $1, $2) RETURNING id`, tr.Practices[0].NPI, tr.Practices[0].TIN); err != nil {
		t.Fatal(err)
	}
	var raw, csv bytes.Buffer
	if err := tr.Write837(&raw, false); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := s.LoadFile(ctx, "c.837", raw.Bytes(), "test"); err != nil {
		t.Fatal(err)
	}
	sent, err := x12.ReadClaims(bytes.NewReader(raw.Bytes()))
	if err != nil || len(sent.Errors) != 0 {
		t.Fatal(err, sent.Errors)
	}
	byPCN := map[string]*x12.Claim{}
	for _, b := range sent.Batches {
		for _, c := range b.Claims {
			byPCN[c.PatientControlNumber] = c
		}
	}
	rows, err := db.Queryx(`SELECT id, patient_control_number FROM billed_claims WHERE source = '837'`)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		var id int64
		var pcn string
		if err := rows.Scan(&id, &pcn); err != nil {
			t.Fatal(err)
		}
		got, err := billedstore.Claim837(ctx, db, pr, id)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(byPCN[pcn])
		have, _ := json.Marshal(got.Claim)
		if !bytes.Equal(want, have) {
			t.Fatalf("claim %s stored as\n%s\nwant\n%s", pcn, have, want)
		}
		if got.Claim.Batch == nil || got.Claim.Batch.Submitter != byPCN[pcn].Batch.Submitter || got.Claim.Batch.Claims != nil {
			t.Fatalf("claim %s batch header %+v", pcn, got.Claim.Batch)
		}
		if _, err := billedstore.Claim837(ctx, db, pr+1000, id); !errors.Is(err, billedstore.ErrNoBilledClaim) {
			t.Fatalf("another practice read claim %s: %v", pcn, err)
		}
		n++
	}
	if n == 0 || n != len(byPCN) {
		t.Fatalf("%d stored claims, %d sent", n, len(byPCN))
	}
	// The same claims from CSV (another source): not regenerable.
	if err := tr.WriteClaimsCSV(&csv, false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LoadFile(ctx, "c.csv", csv.Bytes(), "test"); err != nil {
		t.Fatal(err)
	}
	var csvID int64
	if err := db.Get(&csvID, `SELECT min(id) FROM billed_claims WHERE source = 'csv'`); err != nil {
		t.Fatal(err)
	}
	if _, err := billedstore.Claim837(ctx, db, pr, csvID); !errors.Is(err, billedstore.ErrNotRegenerable) {
		t.Fatalf("CSV claim: %v", err)
	}
}
