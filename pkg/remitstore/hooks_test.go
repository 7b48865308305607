package remitstore_test

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/remitq/remitq/pkg/remitstore"
	"github.com/remitq/remitq/pkg/synth"
)

// TestHooksDecideBeforeAnythingIsStored: Accept sees the resolved payees
// after parsing and before any row is written; its error is Ingest's and
// nothing is stored. Stored runs in the ingest transaction: its error rolls
// the file back, its writes commit with the file.
func TestHooksDecideBeforeAnythingIsStored(t *testing.T) {
	e := newEnv(t, "")
	practice := e.addPractice(t)
	raw, _ := remits(t, 7, 3)
	refuse := &remitstore.Refused{Reason: "no"}
	var seen []remitstore.Payee
	ctx := remitstore.WithHooks(t.Context(), remitstore.Hooks{Accept: func(_ context.Context, p []remitstore.Payee) error {
		seen = p
		return refuse
	}})
	if _, err := e.in.Ingest(ctx, "a.835", raw); !errors.Is(err, refuse) {
		t.Fatalf("Ingest error %v, want the refusal", err)
	}
	if len(seen) != 2 || seen[0].PracticeID != practice || seen[0].NPI != practiceNPI || seen[1].Seq != 2 {
		t.Errorf("payees %+v", seen)
	}
	for _, table := range []string{"remittance_files", "remittance_transactions", "claim_payments", "publish_queue"} {
		if n := e.count(t, table); n != 0 {
			t.Errorf("%s: %d rows after a refusal", table, n)
		}
	}
	boom := errors.New("boom")
	ctx = remitstore.WithHooks(t.Context(), remitstore.Hooks{Stored: func(context.Context, sqlx.ExecerContext, *remitstore.Result, []remitstore.Payee) error {
		return boom
	}})
	if _, err := e.in.Ingest(ctx, "a.835", raw); !errors.Is(err, boom) {
		t.Fatalf("Ingest error %v, want boom", err)
	}
	if n := e.count(t, "remittance_files"); n != 0 {
		t.Errorf("%d files after Stored failed", n)
	}
	ctx = remitstore.WithHooks(t.Context(), remitstore.Hooks{Stored: func(ctx context.Context, tx sqlx.ExecerContext, res *remitstore.Result, p []remitstore.Payee) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO audit_log (actor, action, entity, entity_id) VALUES ('t', 'file.upload', 'remittance_file', $1::text)`, res.FileID)
		return err
	}})
	res, err := e.in.Ingest(ctx, "a.835", raw)
	if err != nil || res.Status != remitstore.StatusIngested {
		t.Fatalf("Ingest: %v %+v", err, res)
	}
	if n := e.count(t, "audit_log"); n != 1 {
		t.Errorf("%d audit rows", n)
	}
	// Every PLB carries its transaction's practice.
	var wrong int
	if err := e.db.Get(&wrong, `SELECT count(*) FROM provider_adjustments p JOIN remittance_transactions t ON t.id = p.transaction_id
		WHERE p.practice_id IS DISTINCT FROM t.practice_id`); err != nil || wrong != 0 {
		t.Errorf("%d PLBs with another practice than their transaction (%v)", wrong, err)
	}
	// A caller who sees only another practice does not see the file.
	if _, err := remitstore.FileIn(t.Context(), e.db, res.FileID, func(p int64) bool { return p != practice }); !errors.Is(err, remitstore.ErrNotFound) {
		t.Errorf("FileIn out of scope: %v", err)
	}
	if got, err := remitstore.FileIn(t.Context(), e.db, res.FileID, func(p int64) bool { return p == practice }); err != nil || got.Partial || got.Claims != res.Claims {
		t.Errorf("FileIn in scope: %+v %v", got, err)
	}
}

// withPLB adds a zero-amount PLB pair (it keeps the balance) before every
// SE of a generated 835 and corrects the SE counts.
func withPLB(t *testing.T, raw []byte, provider string) []byte {
	t.Helper()
	segs := strings.Split(strings.TrimSuffix(string(raw), "~"), "~")
	var out []string
	for _, s := range segs {
		if strings.HasPrefix(s, "SE*") {
			out = append(out, "PLB*"+provider+"*20261231*L6*0")
			f := strings.Split(s, "*")
			n, err := strconv.Atoi(f[1])
			if err != nil {
				t.Fatal(err)
			}
			f[1] = strconv.Itoa(n + 1)
			s = strings.Join(f, "*")
		}
		out = append(out, s)
	}
	return []byte(strings.Join(out, "~") + "~")
}

// TestPLBsCarryTheirPractice: in a file that pays two practices, each PLB
// pair is stored with the practice of its own transaction set.
func TestPLBsCarryTheirPractice(t *testing.T) {
	e := newEnv(t, "")
	var raw []byte
	npis := []string{"1000000011", "1000000012"}
	var ids []int64
	for i, npi := range npis {
		var buf bytes.Buffer
		if _, err := synth.WriteRemits(&buf, synth.RemitOptions{Seed: uint64(30 + i), Claims: 1, LinesPerClaim: 1, PayeeNPI: npi}); err != nil {
			t.Fatal(err)
		}
		raw = append(raw, withPLB(t, buf.Bytes(), npi)...)
		var id int64
		if err := e.db.QueryRow(`INSERT INTO practices (name, npi) VALUES ('P', $1) RETURNING id`, npi).Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	res, err := e.in.Ingest(t.Context(), "two.835", raw)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != remitstore.StatusIngested {
		t.Fatalf("status %s: %+v", res.Status, res.Errors)
	}
	var got []struct {
		Practice int64 `db:"practice_id"`
		Tx       int64 `db:"tx_practice"`
	}
	if err := e.db.Select(&got, `SELECT p.practice_id, t.practice_id AS tx_practice FROM provider_adjustments p
		JOIN remittance_transactions t ON t.id = p.transaction_id ORDER BY p.segment_index, p.position`); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Practice != ids[0] || got[1].Practice != ids[1] || got[0].Tx != ids[0] || got[1].Tx != ids[1] {
		t.Errorf("PLBs %+v, want one of practice %d then one of %d", got, ids[0], ids[1])
	}
}
