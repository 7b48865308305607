package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/remitq/remitq/pkg/devenv/devtest"
	"github.com/remitq/remitq/pkg/store"
)

// TestAcksIngestCommand: `remitq acks ingest` stores the public 999 and
// 277CA examples, links and opens the rejection items, audits each file
// as "cli", and exits non-zero for a quarantined file (kept).
func TestAcksIngestCommand(t *testing.T) {
	url := devtest.DatabaseURL(t)
	nats := devtest.NATS(t)
	db, err := store.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var p int64
	if err := db.QueryRow(`INSERT INTO practices (name, npi) VALUES ('Spine One', '1000000004') RETURNING id`).Scan(&p); err != nil {
		t.Fatal(err)
	}
	for _, pcn := range []string{"123456789", "3920394930203"} {
		if _, err := db.Exec(`INSERT INTO billed_claims (practice_id, source, patient_control_number, total_charge, line_count, content_sha256)
			VALUES ($1, '837', $2, 300, 1, '\x00')`, p, pcn); err != nil {
			t.Fatal(err)
		}
	}
	ext := "../../x12/testdata/external/"
	args := []string{"--database-url", url, "--nats-url", nats, "--data", t.TempDir()}
	good := []string{ext + "999/stupidedi-x231a1-response-to-3-837s.999", ext + "277ca/imsweb-277CA-rejected.277"}
	if err := runAcksIngest(t.Context(), append(args, good...)); err != nil {
		t.Fatal(err)
	}
	var items, audited int
	if err := db.QueryRow(`SELECT count(*) FROM work_items WHERE kind = 'rejection' AND practice_id = $1`, p).Scan(&items); err != nil || items != 2 {
		t.Fatalf("%d rejection items (%v)", items, err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM audit_log WHERE actor = 'cli' AND action = 'ack.upload'`).Scan(&audited); err != nil || audited != 2 {
		t.Fatalf("%d audit rows (%v)", audited, err)
	}
	// A truncated file: kept, quarantined, and the command says so.
	raw, err := os.ReadFile(good[0])
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "cut.999")
	if err := os.WriteFile(cut, raw[:len(raw)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	err = runAcksIngest(t.Context(), append(args, cut))
	if err == nil || !strings.Contains(err.Error(), "1 quarantined") {
		t.Fatalf("truncated file: %v", err)
	}
	var q int
	if err := db.QueryRow(`SELECT count(*) FROM ack_files WHERE status = 'quarantined' AND filename = 'cut.999'`).Scan(&q); err != nil || q != 1 {
		t.Fatalf("%d quarantined files (%v)", q, err)
	}
}
