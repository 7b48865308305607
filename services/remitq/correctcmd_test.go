package main

import (
	"bytes"
	"database/sql"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/remitq/remitq/pkg/devenv"
	"github.com/remitq/remitq/x12"
)

// TestClaimsCorrect runs the demo pipeline (837P loaded, 835s matched and
// routed into work items), then `claims correct` on a routed
// correction-type denial of a commercial payer: the file it writes reads
// back as one frequency-7 claim with the payer's claim number, the item is
// resubmitted, and a second run says why it will not send it again.
func TestClaimsCorrect(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	t.Setenv("NATS_URL", "")
	t.Setenv("REMITQ_DATA", "")
	dir, err := os.MkdirTemp("", "rq-correct-test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := runDemo(t.Context(), []string{"--once", "--lines", "600", "--data", dir}); err != nil {
		t.Fatalf("demo: %v", err)
	}
	data := filepath.Join(dir, "demo")
	env, err := devenv.Start(t.Context(), devenv.Options{Dir: data, KeepDir: true})
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("postgres", env.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	var item int64
	err = db.QueryRowContext(t.Context(), `SELECT w.id FROM work_items w JOIN billed_claims b ON b.id = w.billed_claim_id
		JOIN billed_claim_x12 x ON x.billed_claim_id = b.id
		WHERE w.kind = 'denial' AND w.category = 'modifier' AND w.status = 'new' AND b.payer_code NOT IN ('SYNMCR')
		AND w.payer_claim_control <> '' ORDER BY w.id LIMIT 1`).Scan(&item)
	db.Close()
	env.Close()
	if err != nil {
		t.Fatalf("no routed modifier denial of a commercial payer with its 837P: %v", err)
	}
	out := filepath.Join(dir, "corrected.837")
	args := []string{"--data", data, "--item", strconv.FormatInt(item, 10)}
	if err := runClaimsCorrect(t.Context(), append(args, "--preview")); err != nil {
		t.Fatalf("preview: %v", err)
	}
	if err := runClaimsCorrect(t.Context(), append(args, "--out", out)); err != nil {
		t.Fatalf("correct: %v", err)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	r := x12.NewClaimReader(bytes.NewReader(raw))
	var claims []*x12.Claim
	for {
		c, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("the file does not read back: %v", err)
		}
		claims = append(claims, c)
	}
	if len(claims) != 1 || claims[0].FrequencyCode != "7" || claims[0].PayerClaimControlNumber == "" {
		t.Fatalf("%d claims, frequency %q", len(claims), claims[0].FrequencyCode)
	}
	err = runClaimsCorrect(t.Context(), args)
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("already_resubmitted")) {
		t.Fatalf("second run: %v", err)
	}
}
