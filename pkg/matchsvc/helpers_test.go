package matchsvc

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/remitq/remitq/pkg/billedstore"
	"github.com/remitq/remitq/pkg/bus"
	"github.com/remitq/remitq/pkg/devenv/devtest"
	"github.com/remitq/remitq/pkg/matchstore"
	"github.com/remitq/remitq/pkg/remitstore"
	"github.com/remitq/remitq/pkg/svc"
	"github.com/remitq/remitq/pkg/synth"
	"github.com/remitq/remitq/pkg/wire"
	v1 "github.com/remitq/remitq/proto/remitq/v1"
)

func TestMain(m *testing.M) { devtest.Main(m) }

// testBus redelivers fast.
func testBus() bus.Config {
	return bus.Config{AckWait: 10 * time.Second, BackOff: []time.Duration{100 * time.Millisecond, 300 * time.Millisecond}, MaxDeliver: 20}
}

// world is one test's database, NATS server and truth set.
type world struct {
	t       testing.TB
	dbURL   string
	natsURL string
	db      *sqlx.DB
	deps    *svc.Deps // the first connection set (ingest, loads, checks)
	tr      *synth.Truth
	fileIDs map[string]int64 // truth file name -> stored file id
	names   map[int64]string
	store   *billedstore.Store
	// lateOnTime: the late claims were loaded before the remits, so no
	// line is flagged late_claim.
	lateOnTime bool
}

func newWorld(t testing.TB, o synth.TruthOptions) *world {
	t.Helper()
	w := &world{t: t, dbURL: devtest.DatabaseURL(t), natsURL: devtest.NATS(t), fileIDs: map[string]int64{}, names: map[int64]string{}}
	w.deps = w.connect()
	w.db = w.deps.DB
	w.store = &billedstore.Store{DB: w.db, NC: w.deps.NC}
	tr, err := synth.GenerateTruth(o)
	if err != nil {
		t.Fatal(err)
	}
	w.tr = tr
	for _, p := range tr.Practices {
		if _, err := w.db.Exec(`INSERT INTO practices (name, npi, tin) VALUES ($1, $2, $3)`, p.Name, p.NPI, p.TIN); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// connect opens a connection set of its own (one "process").
func (w *world) connect() *svc.Deps {
	t := w.t
	db, err := sqlx.Open("postgres", w.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(8)
	nc, err := nats.Connect(w.natsURL)
	if err != nil {
		t.Fatal(err)
	}
	deps, err := svc.NewDeps(context.Background(), db, nc, testBus(), zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(deps.Close)
	return deps
}

func (w *world) loadClaims(late bool) *billedstore.Result {
	w.t.Helper()
	var b bytes.Buffer
	if err := w.tr.Write837(&b, late); err != nil {
		w.t.Fatal(err)
	}
	res, err := w.store.LoadFile(context.Background(), "claims.837", b.Bytes(), "test")
	if err != nil {
		w.t.Fatal(err)
	}
	if len(res.Problems) > 0 || res.Loaded == 0 {
		w.t.Fatalf("load claims: %+v", res)
	}
	return res
}

func (w *world) loadFees() {
	w.t.Helper()
	var b bytes.Buffer
	if err := w.tr.WriteFees(&b); err != nil {
		w.t.Fatal(err)
	}
	if res, err := w.store.LoadFees(context.Background(), "fees.csv", b.Bytes(), "test"); err != nil || len(res.Problems) > 0 {
		w.t.Fatalf("load fees: %+v %v", res, err)
	}
}

// ingest stores every 835 of the truth set and publishes its messages.
func (w *world) ingest() {
	w.t.Helper()
	in := &remitstore.Ingester{DB: w.db}
	for _, f := range w.tr.Files {
		var b bytes.Buffer
		if err := f.Write(&b); err != nil {
			w.t.Fatal(err)
		}
		res, err := in.Ingest(context.Background(), f.Name, b.Bytes())
		if err != nil || res.Status != remitstore.StatusIngested {
			w.t.Fatalf("ingest %s: %v %+v", f.Name, err, res)
		}
		w.fileIDs[f.Name], w.names[res.FileID] = res.FileID, f.Name
	}
	p := &remitstore.Publisher{DB: w.db, JS: w.deps.JS}
	if _, err := p.Drain(context.Background()); err != nil {
		w.t.Fatal(err)
	}
}

// start runs a matcher component on its own connections until the test
// ends; it returns the service and a stop function.
func (w *world) start(o Options) (*Service, func()) {
	deps := w.connect()
	s, err := New(deps, o)
	if err != nil {
		w.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := s.Run(ctx); err != nil {
			w.t.Errorf("matcher: %v", err)
		}
	}()
	stop := func() { cancel(); wg.Wait() }
	w.t.Cleanup(stop)
	return s, stop
}

// settle waits until the matcher consumer has nothing pending, nothing
// waits for a retry and the outbox is empty.
func (w *world) settle(timeout time.Duration) {
	w.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		c, err := w.deps.JS.Consumer(context.Background(), bus.StreamRemit, bus.ConsumerMatcher)
		if err != nil {
			w.t.Fatal(err)
		}
		info, err := c.Info(context.Background())
		if err != nil {
			w.t.Fatal(err)
		}
		var retry, outbox int
		if err := w.db.Get(&retry, `SELECT (SELECT count(*) FROM match_pending WHERE retry_requested_at IS NOT NULL)
			+ (SELECT count(*) FROM plb_links WHERE retry_requested_at IS NOT NULL)`); err != nil {
			w.t.Fatal(err)
		}
		if err := w.db.Get(&outbox, `SELECT count(*) FROM match_outbox`); err != nil {
			w.t.Fatal(err)
		}
		if info.NumPending == 0 && info.NumAckPending == 0 && retry == 0 && outbox == 0 {
			return
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("not settled after %v: pending %d, unacked %d, retries %d, outbox %d", timeout,
				info.NumPending, info.NumAckPending, retry, outbox)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// answer is what the pipeline says of one truth line, from the database or
// from the LineMatch messages.
type answer struct {
	BilledClaim string
	billedLine  int
	Method      string
	Flags       []string
	netsFile    string
	netsClaim   int
	Review      bool
	queued      bool
	Revision    int
	NetPaid     int64
}

type lineKey struct {
	File       string
	Claim, svc int
}

// positions maps each stored file's CLP segments to their ordinal in the
// file, and every SVC segment to its CLP segment.
type positions struct {
	ord      map[matchstore.Pos]int   // CLP -> 1-based position in the file
	claimOf  map[matchstore.Pos]int32 // SVC or CLP -> its CLP segment
	fileName map[int64]string
}

func (w *world) positions() *positions {
	w.t.Helper()
	p := &positions{ord: map[matchstore.Pos]int{}, claimOf: map[matchstore.Pos]int32{}, fileName: w.names}
	rows, err := w.db.Query(`SELECT file_id, segment_index, row_number() OVER (PARTITION BY file_id ORDER BY segment_index)
		FROM claim_payments`)
	if err != nil {
		w.t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k matchstore.Pos
		var n int
		if err := rows.Scan(&k.File, &k.Seg, &n); err != nil {
			w.t.Fatal(err)
		}
		p.ord[k], p.claimOf[k] = n, k.Seg
	}
	lr, err := w.db.Query(`SELECT file_id, segment_index, claim_payment_id FROM service_line_payments`)
	if err != nil {
		w.t.Fatal(err)
	}
	defer lr.Close()
	claimSeg := map[int64]matchstore.Pos{}
	cr, err := w.db.Query(`SELECT id, file_id, segment_index FROM claim_payments`)
	if err != nil {
		w.t.Fatal(err)
	}
	for cr.Next() {
		var id int64
		var k matchstore.Pos
		if err := cr.Scan(&id, &k.File, &k.Seg); err != nil {
			w.t.Fatal(err)
		}
		claimSeg[id] = k
	}
	cr.Close()
	for lr.Next() {
		var k matchstore.Pos
		var cid int64
		if err := lr.Scan(&k.File, &k.Seg, &cid); err != nil {
			w.t.Fatal(err)
		}
		p.claimOf[k] = claimSeg[cid].Seg
	}
	return p
}

func (p *positions) Nets(file int64, seg int32) (string, int) {
	if file == 0 {
		return "", 0
	}
	cs := p.claimOf[matchstore.Pos{File: file, Seg: seg}]
	return p.fileName[file], p.ord[matchstore.Pos{File: file, Seg: cs}]
}

// dbAnswers reads every line_matches row as an answer.
func (w *world) dbAnswers(p *positions) map[lineKey]answer {
	w.t.Helper()
	rows, err := w.db.Query(`SELECT l.file_id, l.claim_segment, l.svc_index, coalesce(b.patient_control_number, ''),
		coalesce(l.billed_line_number, 0), l.method, l.flags, coalesce(l.nets_against_file, 0),
		coalesce(l.nets_against_segment, 0), l.review, mp.file_id IS NOT NULL, l.revision, (l.net_paid * 100)::bigint
		FROM line_matches l LEFT JOIN billed_claims b ON b.id = l.billed_claim_id
		LEFT JOIN match_pending mp ON mp.file_id = l.file_id AND mp.segment_index = l.claim_segment`)
	if err != nil {
		w.t.Fatal(err)
	}
	defer rows.Close()
	out := map[lineKey]answer{}
	for rows.Next() {
		var f, nf int64
		var cs, ns int32
		var svc int
		var a answer
		if err := rows.Scan(&f, &cs, &svc, &a.BilledClaim, &a.billedLine, &a.Method, (*pqStrings)(&a.Flags), &nf, &ns,
			&a.Review, &a.queued, &a.Revision, &a.NetPaid); err != nil {
			w.t.Fatal(err)
		}
		a.netsFile, a.netsClaim = p.Nets(nf, ns)
		k := lineKey{p.fileName[f], p.ord[matchstore.Pos{File: f, Seg: cs}], svc}
		if _, dup := out[k]; dup {
			w.t.Errorf("%v recorded twice", k)
		}
		out[k] = a
	}
	return out
}

// msgAnswers reads the router's messages on MATCHED (the ClaimMatches of
// each paid claim), keeping each line's highest revision, and counts the
// lines they carry. Its reader takes only the router's subjects, so it
// does not itself make the matcher publish line messages.
func (w *world) msgAnswers(p *positions, queued map[lineKey]bool) (map[lineKey]answer, int) {
	w.t.Helper()
	ctx := context.Background()
	s, err := w.deps.JS.Stream(ctx, bus.StreamMatched)
	if err != nil {
		w.t.Fatal(err)
	}
	info, err := s.Info(ctx, jetstream.WithSubjectFilter(bus.RouterSubjects[0]))
	if err != nil {
		w.t.Fatal(err)
	}
	total := uint64(0)
	for _, c := range info.State.Subjects {
		total += c
	}
	c, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: bus.RouterSubjects})
	if err != nil {
		w.t.Fatal(err)
	}
	out := map[lineKey]answer{}
	n, lines := uint64(0), 0
	for n < total {
		batch, err := c.Fetch(1000, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			w.t.Fatal(err)
		}
		got := 0
		for m := range batch.Messages() {
			got++
			n++
			bodies, err := wire.ClaimLines(m.Data())
			if err != nil {
				w.t.Fatal(err)
			}
			for _, body := range bodies {
				w.msgAnswer(p, queued, out, body)
			}
			lines += len(bodies)
		}
		if got == 0 {
			break
		}
	}
	return out, lines
}

// msgAnswer adds the answer of one LineMatch body to out.
func (w *world) msgAnswer(p *positions, queued map[lineKey]bool, out map[lineKey]answer, body []byte) {
	var lm v1.LineMatch
	if err := proto.Unmarshal(body, &lm); err != nil {
		w.t.Fatal(err)
	}
	src := lm.GetSource()
	k := lineKey{p.fileName[src.GetFileId()], p.ord[matchstore.Pos{File: src.GetFileId(), Seg: lm.GetLine().GetClaim().GetClpSegmentIndex()}], int(lm.GetSvcIndex())}
	a := answer{BilledClaim: lm.GetBilled().GetPatientControlNumber(), billedLine: int(lm.GetBilled().GetLineNumber()),
		Method: methodName(lm.GetMethod()), Flags: lm.GetFlags(), Review: lm.GetNeedsReview(), Revision: int(lm.GetRevision()),
		NetPaid: lm.GetNetPaidCents(), queued: queued[k]}
	if na := lm.GetNetsAgainst(); na != nil {
		a.netsFile, a.netsClaim = p.Nets(na.GetFileId(), na.GetSegmentIndex())
	}
	if old, ok := out[k]; !ok || a.Revision > old.Revision {
		out[k] = a
	}
}

func methodName(m v1.MatchMethod) string {
	if k := wire.MethodOf(m); k != "" {
		return string(k)
	}
	return "?"
}

// score compares answers with the truth and returns the lines wrong.
func (w *world) score(got map[lineKey]answer) (wrong []string, lines int) {
	tr := w.tr
	for _, tl := range tr.Lines {
		lines++
		k := lineKey{tl.File, tl.Claim, tl.SVC}
		a, ok := got[k]
		where := fmt.Sprintf("%s#%d svc %d (%s)", tl.File, tl.Claim, tl.SVC, tl.Scenario)
		var flags []string
		for _, f := range a.Flags {
			if slices.Contains(synth.TruthFlags, f) {
				flags = append(flags, f)
			}
		}
		sort.Strings(flags)
		want := tl.Flags
		if w.lateOnTime {
			want = slices.DeleteFunc(slices.Clone(want), func(f string) bool { return f == "late_claim" })
		}
		var bad []string
		switch {
		case !ok:
			bad = append(bad, "no answer")
		default:
			if a.BilledClaim != tl.BilledClaim || a.billedLine != tl.BilledLine {
				bad = append(bad, fmt.Sprintf("billed %s/%d, want %s/%d", a.BilledClaim, a.billedLine, tl.BilledClaim, tl.BilledLine))
			}
			if a.Method != tl.Method {
				bad = append(bad, fmt.Sprintf("method %s, want %s", a.Method, tl.Method))
			}
			if !slices.Equal(flags, want) {
				bad = append(bad, fmt.Sprintf("flags %v, want %v", flags, want))
			}
			if tl.NetsFile != "" && (a.netsFile != tl.NetsFile || a.netsClaim != tl.NetsClaim) {
				bad = append(bad, fmt.Sprintf("nets %s#%d, want %s#%d", a.netsFile, a.netsClaim, tl.NetsFile, tl.NetsClaim))
			}
			if tl.Method == "unmatched" && (!a.Review || !a.queued) {
				bad = append(bad, "unmatched remit not queued")
			}
		}
		if len(bad) > 0 {
			wrong = append(wrong, where+": "+strings.Join(bad, "; "))
		}
	}
	return wrong, lines
}

// checkPLBs compares plb_links with the truth.
func (w *world) checkPLBs(p *positions) {
	w.t.Helper()
	rows, err := w.db.Query(`SELECT l.file_id, row_number() OVER (PARTITION BY l.file_id ORDER BY l.segment_index, l.position),
		l.method, coalesce(b.patient_control_number, ''), l.reason_code FROM plb_links l
		LEFT JOIN billed_claims b ON b.id = l.billed_claim_id`)
	if err != nil {
		w.t.Fatal(err)
	}
	defer rows.Close()
	type got struct{ Method, billed, Reason string }
	have := map[[2]any]got{}
	for rows.Next() {
		var f int64
		var n int
		var g got
		if err := rows.Scan(&f, &n, &g.Method, &g.billed, &g.Reason); err != nil {
			w.t.Fatal(err)
		}
		have[[2]any{p.fileName[f], n}] = g
	}
	if len(w.tr.PLBs) == 0 {
		w.t.Fatal("the truth set has no PLB")
	}
	for _, tp := range w.tr.PLBs {
		g := have[[2]any{tp.File, tp.Index}]
		if g.Method != tp.Method || g.billed != tp.BilledClaim || g.Reason != tp.Reason {
			w.t.Errorf("PLB %s#%d: %+v, want %s %s %s", tp.File, tp.Index, g, tp.Method, tp.BilledClaim, tp.Reason)
		}
	}
}

func (w *world) requireRight(label string, got map[lineKey]answer) {
	w.t.Helper()
	wrong, lines := w.score(got)
	if len(wrong) > 0 {
		for _, s := range wrong[:min(len(wrong), 25)] {
			w.t.Log(s)
		}
		w.t.Errorf("%s: %d of %d lines wrong", label, len(wrong), lines)
	}
}

func (w *world) count(query string, args ...any) int {
	w.t.Helper()
	var n int
	if err := w.db.Get(&n, query, args...); err != nil {
		w.t.Fatal(err)
	}
	return n
}

type pqStrings = pq.StringArray
