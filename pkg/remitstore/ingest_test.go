package remitstore_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/remitq/remitq/pkg/bus"
	"github.com/remitq/remitq/pkg/devenv/devtest"
	"github.com/remitq/remitq/pkg/remitstore"
	"github.com/remitq/remitq/pkg/synth"
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(runChild(mode)) // a child process of a crash test
	}
	devtest.Main(m)
}

const practiceNPI = "1234567893"

// env is one test's database and JetStream.
type env struct {
	db *sqlx.DB
	js jetstream.JetStream
	in *remitstore.Ingester
}

// newEnvB is newEnv for a benchmark.
func newEnvB(b *testing.B) *env {
	b.Helper()
	return newEnvWith(b, devtest.DB(b), devtest.NATS(b))
}

func newEnv(t *testing.T, natsURL string) *env {
	t.Helper()
	if natsURL == "" {
		natsURL = devtest.NATS(t)
	}
	return newEnvWith(t, devtest.DB(t), natsURL)
}

func newEnvWith(t testing.TB, db *sqlx.DB, natsURL string) *env {
	t.Helper()
	nc, err := nats.Connect(natsURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if err := bus.Setup(t.Context(), js, bus.DefaultConfig()); err != nil {
		t.Fatal(err)
	}
	return &env{db: db, js: js, in: &remitstore.Ingester{DB: db}}
}

func (e *env) addPractice(t testing.TB) int64 {
	t.Helper()
	var id int64
	if err := e.db.QueryRow(`INSERT INTO practices (name, npi, tin) VALUES ('Synthetic Pain Center', $1, '741234567') RETURNING id`, practiceNPI).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func (e *env) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := e.db.Get(&n, `SELECT count(*) FROM `+table); err != nil {
		t.Fatal(err)
	}
	return n
}

func (e *env) streamMsgs(t testing.TB) uint64 {
	t.Helper()
	s, err := e.js.Stream(t.Context(), bus.StreamRemit)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

func remits(t *testing.T, seed uint64, claims int) ([]byte, int) {
	t.Helper()
	var buf bytes.Buffer
	n, err := synth.WriteRemits(&buf, synth.RemitOptions{Seed: seed, Claims: claims, LinesPerClaim: 2, Transactions: 2, PayeeNPI: practiceNPI})
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), n
}

func TestIngestStoresAndPublishesEveryLine(t *testing.T) {
	e := newEnv(t, "")
	practice := e.addPractice(t)
	raw, lines := remits(t, 1, 250)
	res, err := e.in.Ingest(t.Context(), "a.835", raw)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != remitstore.StatusIngested || res.Duplicate || !res.Balanced || len(res.Errors) != 0 {
		t.Fatalf("result = %+v", res)
	}
	if res.ServiceLines != lines || res.Claims != 500 || res.TransactionSets != 2 {
		t.Fatalf("counts = %d sets, %d claims, %d lines; want 2, 500, %d", res.TransactionSets, res.Claims, res.ServiceLines, lines)
	}
	for table, want := range map[string]int{"claim_payments": 500, "service_line_payments": lines, "remittance_transactions": 2, "publish_queue": 1} {
		if got := e.count(t, table); got != want {
			t.Errorf("%s: %d rows, want %d", table, got, want)
		}
	}
	var wrongPractice int
	if err := e.db.Get(&wrongPractice, `SELECT count(*) FROM service_line_payments WHERE practice_id <> $1`, practice); err != nil || wrongPractice != 0 {
		t.Fatalf("lines outside the payee practice: %d (%v)", wrongPractice, err)
	}
	assertNoOrphans(t, e)
	// Money is exact: the stored lines add up to the file's CLP04 total.
	var paid string
	if err := e.db.Get(&paid, `SELECT sum(paid)::text FROM claim_payments`); err != nil || paid != res.TotalPaid.String() {
		t.Fatalf("sum(paid) = %s (%v), want %s", paid, err, res.TotalPaid)
	}
	var stored raw835
	if err := e.db.Get(&stored.b, `SELECT raw FROM remittance_files WHERE id = $1`, res.FileID); err != nil || !bytes.Equal(stored.b, raw) {
		t.Fatal("raw bytes not kept exactly")
	}

	p := &remitstore.Publisher{DB: e.db, JS: e.js, Lines: bus.LinesAlways, CheckpointEvery: 100}
	sent, err := p.Drain(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := lines + 500 // one message per line and one claim summary per claim
	if sent != want || e.streamMsgs(t) != uint64(want) {
		t.Fatalf("published %d, stream has %d, want %d", sent, e.streamMsgs(t), want)
	}
	if n, _ := remitstore.Pending(t.Context(), e.db); n != 0 {
		t.Fatalf("%d files still pending", n)
	}
}

type raw835 struct{ b []byte }

func TestSameFileTwiceChangesNothing(t *testing.T) {
	e := newEnv(t, "")
	e.addPractice(t)
	raw, lines := remits(t, 2, 50)
	p := &remitstore.Publisher{DB: e.db, JS: e.js}
	first, err := e.in.Ingest(t.Context(), "one.835", raw)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	before := map[string]int{}
	tables := []string{"remittance_files", "claim_payments", "service_line_payments", "adjustments", "remarks", "publish_queue"}
	for _, tb := range tables {
		before[tb] = e.count(t, tb)
	}
	msgs := e.streamMsgs(t)
	second, err := e.in.Ingest(t.Context(), "renamed.835", raw)
	if err != nil {
		t.Fatal(err)
	}
	if !second.Duplicate || second.FileID != first.FileID || second.ServiceLines != lines {
		t.Fatalf("second ingest = %+v, want a duplicate of file %d", second, first.FileID)
	}
	if n, err := p.Drain(t.Context()); err != nil || n != 0 {
		t.Fatalf("second drain sent %d (%v), want 0", n, err)
	}
	for _, tb := range tables {
		if got := e.count(t, tb); got != before[tb] {
			t.Errorf("%s: %d rows after the second ingest, want %d", tb, got, before[tb])
		}
	}
	if got := e.streamMsgs(t); got != msgs {
		t.Fatalf("stream has %d messages after the second ingest, want %d", got, msgs)
	}
}

func TestMalformedFileIsQuarantined(t *testing.T) {
	e := newEnv(t, "")
	e.addPractice(t)
	raw, _ := remits(t, 3, 10)
	bad := bytes.Replace(raw, []byte("CLP*PCN1-0000003*1*"), []byte("CLP*PCN1-0000003*1*12X.00"), 1)
	if bytes.Equal(bad, raw) {
		t.Fatal("test file did not change")
	}
	res, err := e.in.Ingest(t.Context(), "bad.835", bad)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != remitstore.StatusQuarantined || len(res.Errors) == 0 {
		t.Fatalf("result = %+v, want quarantined with errors", res)
	}
	got := res.Errors[0]
	if got.ID != "CLP" || got.Segment == 0 || got.Offset == 0 || !bytes.Contains([]byte(got.Message), []byte("CLP03")) {
		t.Fatalf("first error = %+v, want a positioned CLP03 error", got)
	}
	if bytes.Contains([]byte(got.Message), []byte("12X")) {
		t.Fatal("error message echoes the element value")
	}
	wantOff := int64(bytes.Index(bad, []byte("CLP*PCN1-0000003")))
	if got.Offset != wantOff {
		t.Fatalf("error offset = %d, want %d", got.Offset, wantOff)
	}
	for _, tb := range []string{"claim_payments", "service_line_payments", "adjustments", "remittance_transactions", "publish_queue"} {
		if n := e.count(t, tb); n != 0 {
			t.Errorf("%s has %d rows for a quarantined file", tb, n)
		}
	}
	var stored []byte
	if err := e.db.Get(&stored, `SELECT raw FROM remittance_files WHERE status = 'quarantined'`); err != nil || !bytes.Equal(stored, bad) {
		t.Fatal("quarantined file's raw bytes not kept")
	}
}

func TestUnknownPayeeIsKeptAndFlagged(t *testing.T) {
	e := newEnv(t, "")
	raw, _ := remits(t, 4, 5) // no practice registered
	res, err := e.in.Ingest(t.Context(), "who.835", raw)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != remitstore.StatusUnknownPayee {
		t.Fatalf("status = %s, want %s", res.Status, remitstore.StatusUnknownPayee)
	}
	if e.count(t, "remittance_files") != 1 || e.count(t, "claim_payments") != 0 {
		t.Fatal("an unknown payee's file must be kept, without parsed rows")
	}
	// Nothing to do while the payee is still unknown.
	if done, err := e.in.RetryUnknownPayees(t.Context()); err != nil || len(done) != 0 {
		t.Fatalf("retry before the practice exists: %d files, %v", len(done), err)
	}
	// Once the practice is registered the file is ingested, once.
	e.addPractice(t)
	done, err := e.in.RetryUnknownPayees(t.Context())
	if err != nil || len(done) != 1 || done[0].FileID != res.FileID || done[0].Status != remitstore.StatusIngested {
		t.Fatalf("retry after the practice exists: %+v, %v", done, err)
	}
	if again, err := e.in.RetryUnknownPayees(t.Context()); err != nil || len(again) != 0 {
		t.Fatalf("second retry: %d files, %v", len(again), err)
	}
	if n := e.count(t, "claim_payments"); n != 10 || e.count(t, "publish_queue") != 1 {
		t.Fatalf("after the retry: %d claims, %d queued; want 10 (5 in each of 2 sets) and 1", n, e.count(t, "publish_queue"))
	}
}

// A publisher that dies between checkpoints (here: its checkpoint write
// fails, as if the process were killed) leaves the file queued; the next
// publisher resumes and JetStream ends with every message exactly once.
func TestPublisherResumesWithoutLossOrDuplicates(t *testing.T) {
	e := newEnv(t, "")
	e.addPractice(t)
	raw, lines := remits(t, 5, 300)
	if _, err := e.in.Ingest(t.Context(), "big.835", raw); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	calls := 0
	crashing := &remitstore.Publisher{DB: e.db, JS: e.js, Lines: bus.LinesAlways, CheckpointEvery: 200, Published: func(int) {
		calls++
		if calls == 2 {
			cancel() // the process "dies" after two checkpoints
		}
	}}
	if _, err := crashing.Drain(ctx); err == nil {
		t.Fatal("interrupted drain reported success")
	}
	if n, _ := remitstore.Pending(t.Context(), e.db); n != 1 {
		t.Fatalf("pending files after the crash = %d, want 1", n)
	}
	p := &remitstore.Publisher{DB: e.db, JS: e.js, Lines: bus.LinesAlways, CheckpointEvery: 200}
	if _, err := p.Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	want := uint64(lines + 600)
	if got := e.streamMsgs(t); got != want {
		t.Fatalf("stream has %d messages, want %d (each line once)", got, want)
	}
}

// JetStream restarting in the middle of a file loses nothing: the publisher
// fails, the file stays queued, and a later drain completes it.
func TestNATSRestartMidFile(t *testing.T) {
	dir := t.TempDir()
	ns, err := bus.StartEmbedded(bus.EmbeddedOptions{StoreDir: dir, Port: 0})
	if err != nil {
		t.Fatal(err)
	}
	port := ns.Addr().(*net.TCPAddr).Port
	e := newEnv(t, ns.ClientURL())
	e.addPractice(t)
	raw, lines := remits(t, 6, 300)
	if _, err := e.in.Ingest(t.Context(), "big.835", raw); err != nil {
		t.Fatal(err)
	}
	calls := 0
	p := &remitstore.Publisher{DB: e.db, JS: e.js, Lines: bus.LinesAlways, CheckpointEvery: 200, Published: func(int) {
		calls++
		if calls == 1 {
			ns.Shutdown()
			ns.WaitForShutdown()
		}
	}}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if _, err := p.Drain(ctx); err == nil {
		t.Fatal("drain succeeded although NATS went away mid-file")
	}
	ns2, err := bus.StartEmbedded(bus.EmbeddedOptions{StoreDir: dir, Port: port})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns2.Shutdown(); ns2.WaitForShutdown() })
	p.Published = nil
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := p.Drain(t.Context())
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("drain after the restart: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	want := uint64(lines + 600)
	if got := e.streamMsgs(t); got != want {
		t.Fatalf("stream has %d messages after the restart, want %d", got, want)
	}
}

// assertNoOrphans checks what the parsed tables' missing foreign keys would
// have: every child row has its parent.
func assertNoOrphans(t *testing.T, e *env) {
	t.Helper()
	for _, q := range []string{
		`SELECT count(*) FROM claim_payments c WHERE NOT EXISTS (SELECT 1 FROM remittance_transactions x WHERE x.id = c.transaction_id AND x.file_id = c.file_id AND x.practice_id = c.practice_id)`,
		`SELECT count(*) FROM service_line_payments l WHERE NOT EXISTS (SELECT 1 FROM claim_payments c WHERE c.id = l.claim_payment_id AND c.file_id = l.file_id AND c.practice_id = l.practice_id)`,
		`SELECT count(*) FROM adjustments a WHERE NOT EXISTS (SELECT 1 FROM claim_payments c WHERE c.id = a.claim_payment_id AND c.file_id = a.file_id)
			OR (a.service_line_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM service_line_payments l WHERE l.id = a.service_line_id AND l.claim_payment_id = a.claim_payment_id))`,
		`SELECT count(*) FROM remarks r WHERE NOT EXISTS (SELECT 1 FROM claim_payments c WHERE c.id = r.claim_payment_id AND c.file_id = r.file_id)
			OR (r.service_line_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM service_line_payments l WHERE l.id = r.service_line_id AND l.claim_payment_id = r.claim_payment_id))`,
		`SELECT count(*) FROM provider_adjustments p WHERE NOT EXISTS (SELECT 1 FROM remittance_transactions x WHERE x.id = p.transaction_id AND x.file_id = p.file_id)`,
	} {
		var n int
		if err := e.db.Get(&n, q); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%d orphaned rows: %s", n, q)
		}
	}
	var adj, rem int
	if err := e.db.Get(&adj, `SELECT count(*) FROM adjustments`); err != nil || adj == 0 {
		t.Fatalf("no adjustments stored (%v): the orphan check checked nothing", err)
	}
	if err := e.db.Get(&rem, `SELECT count(*) FROM remarks`); err != nil || rem == 0 {
		t.Fatalf("no remarks stored (%v): the orphan check checked nothing", err)
	}
}

// TestResendWithOtherWhitespaceIsADuplicateTransmission: the same
// interchange sent again with a line break after every segment (other
// bytes, so the SHA-256 dedupe misses it) is quarantined as a likely
// duplicate transmission naming the first file, and posts nothing twice
// (issue 14); another interchange of the same sender is ingested.
func TestResendWithOtherWhitespaceIsADuplicateTransmission(t *testing.T) {
	e := newEnv(t, "")
	e.addPractice(t)
	raw, _ := remits(t, 7, 20)
	first, err := e.in.Ingest(t.Context(), "first.835", raw)
	if err != nil || first.Status != remitstore.StatusIngested {
		t.Fatalf("first = %+v, %v", first, err)
	}
	claims := e.count(t, "claim_payments")
	resend := bytes.ReplaceAll(raw, []byte("~"), []byte("~\r\n"))
	second, err := e.in.Ingest(t.Context(), "resend.835", resend)
	if err != nil {
		t.Fatal(err)
	}
	if second.Duplicate || second.Status != remitstore.StatusQuarantined || len(second.Errors) == 0 ||
		!strings.Contains(second.Errors[len(second.Errors)-1].Message, fmt.Sprintf("likely duplicate transmission: file %d", first.FileID)) {
		t.Fatalf("resend = %+v, want quarantined as a duplicate transmission of file %d", second, first.FileID)
	}
	if got := e.count(t, "claim_payments"); got != claims {
		t.Fatalf("%d claim payments after the resend, want %d", got, claims)
	}
	other, _ := remits(t, 8, 20)
	third, err := e.in.Ingest(t.Context(), "other.835", other)
	if err != nil || third.Status != remitstore.StatusIngested {
		t.Fatalf("another interchange = %+v, %v", third, err)
	}
}

// TestPayerNamedOnlyByItsCode: a payer first seen on a billed claim has its
// code for a name; the first 835 that names it gives it the 835's name, and
// no 835 renames a payer that has a real name.
func TestPayerNamedOnlyByItsCode(t *testing.T) {
	raw, _ := remits(t, 3, 5)
	code := regexp.MustCompile(`REF\*2U\*([^~*]+)`).FindSubmatch(raw)
	name := regexp.MustCompile(`N1\*PR\*([^~*]+)`).FindSubmatch(raw)
	if code == nil || name == nil {
		t.Fatalf("the generated 835 names no payer (REF*2U, N1*PR)")
	}
	for _, c := range []struct{ before, want string }{
		{string(code[1]), string(name[1])}, // known by its code: named by the 835
		{"Admin's Name", "Admin's Name"},   // named: kept
	} {
		e := newEnv(t, "")
		e.addPractice(t)
		if _, err := e.db.Exec(`INSERT INTO payers (name, payer_id_code) VALUES ($1, $2)`, c.before, string(code[1])); err != nil {
			t.Fatal(err)
		}
		if _, err := e.in.Ingest(t.Context(), "p.835", raw); err != nil {
			t.Fatal(err)
		}
		var got string
		if err := e.db.Get(&got, `SELECT name FROM payers WHERE payer_id_code = $1`, string(code[1])); err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("payer named %q before the 835: %q after, want %q", c.before, got, c.want)
		}
	}
}
