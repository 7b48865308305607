package routesvc_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/remitq/remitq/pkg/billed"
	"github.com/remitq/remitq/pkg/bus"
	"github.com/remitq/remitq/pkg/devenv/devtest"
	"github.com/remitq/remitq/pkg/match"
	"github.com/remitq/remitq/pkg/practicestore"
	"github.com/remitq/remitq/pkg/routesvc"
	"github.com/remitq/remitq/pkg/svc"
	"github.com/remitq/remitq/pkg/synth"
	v1 "github.com/remitq/remitq/proto/remitq/v1"
)

// env is a database and a JetStream server with the remitq layout.
type env struct {
	db   *sqlx.DB
	deps *svc.Deps
	nats string
}

func newEnv(t testing.TB) *env { return newEnvWith(t, bus.Config{}) }

func newEnvWith(t testing.TB, bc bus.Config) *env {
	t.Helper()
	db := devtest.DB(t)
	url := devtest.NATS(t)
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	deps, err := svc.NewDeps(context.Background(), db, nc, bc, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &env{db: db, deps: deps, nats: url}
}

// otherDeps is a second process's connections to the same servers.
func (e *env) otherDeps(t testing.TB) *svc.Deps {
	t.Helper()
	nc, err := nats.Connect(e.nats)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	deps, err := svc.NewDeps(context.Background(), e.db, nc, bus.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return deps
}

// truthSet is a generated truth set as the router receives it: the
// practices and payers stored, the billed claims stored (as the matcher's
// loader would), and one LineMatch per paid line in delivery order.
type truthSet struct {
	tr        *synth.Truth
	practices map[string]int64 // NPI → id
	payers    map[string]int64 // code → id
	msgs      []*v1.LineMatch
	truth     []synth.TruthLine // by message, same order
}

func loadTruth(t testing.TB, e *env, seed uint64, lines int) *truthSet {
	t.Helper()
	ctx := context.Background()
	tr, err := synth.GenerateTruth(synth.TruthOptions{Seed: seed, Lines: lines, Practices: 3})
	if err != nil {
		t.Fatal(err)
	}
	ts := &truthSet{tr: tr, practices: map[string]int64{}, payers: map[string]int64{}}
	for _, p := range tr.Practices {
		pr := &practicestore.Practice{Name: p.Name, NPI: p.NPI, TIN: p.TIN}
		if err := practicestore.Add(ctx, e.db, pr); err != nil {
			t.Fatal(err)
		}
		ts.practices[p.NPI] = pr.ID
	}
	for _, p := range tr.Payers {
		var id int64
		if err := e.db.QueryRowContext(ctx, `INSERT INTO payers (name, payer_id_code) VALUES ($1, $2) RETURNING id`, p.Name, p.ID).Scan(&id); err != nil {
			t.Fatal(err)
		}
		ts.payers[p.ID] = id
	}
	rp := routesvc.NewReplay(match.Options{Fees: billed.NewFeeSchedule(tr.Fees)})
	rp.PracticeIDs = ts.practices
	collect := func(m *v1.LineMatch) error { ts.msgs = append(ts.msgs, m); return nil }
	var all []*billed.Claim
	for _, late := range []bool{false, true} {
		list := tr.BilledClaims(late)
		if err := rp.AddClaims(list, collect); err != nil {
			t.Fatal(err)
		}
		all = append(all, list...)
	}
	storeBilled(t, e.db, ts.practices, all)
	type key struct {
		file     string
		clp, svc int
	}
	byKey := map[key]synth.TruthLine{}
	for _, tl := range tr.Lines {
		byKey[key{tl.File, tl.Claim, tl.SVC}] = tl
	}
	for _, f := range tr.Files {
		var buf bytes.Buffer
		if err := f.Write(&buf); err != nil {
			t.Fatal(err)
		}
		pos := map[int32]int{}
		err := rp.File(f.Name, buf.Bytes(), func(m *v1.LineMatch) error {
			seg := m.GetLine().GetClaim().GetClpSegmentIndex()
			if _, ok := pos[seg]; !ok {
				pos[seg] = len(pos) + 1
			}
			tl, ok := byKey[key{f.Name, pos[seg], int(m.GetSvcIndex())}]
			if !ok {
				t.Fatalf("no truth for %s CLP %d SVC %d", f.Name, pos[seg], m.GetSvcIndex())
			}
			ts.msgs = append(ts.msgs, m)
			ts.truth = append(ts.truth, tl)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return ts
}

// storeBilled writes billed claims into the 0005 tables with the ids the
// Replay gave them, so the router's history reads them.
func storeBilled(t testing.TB, db *sqlx.DB, practices map[string]int64, list []*billed.Claim) {
	t.Helper()
	var cid, cprac, lcount []int64
	var cpcn, cpayer, cmember, cbirth, crender, ctin, ccharge []string
	var lid, lclaim, lprac, lnum []int64
	var lproc, lmods, lunits, lcharge, ldate []string
	for _, c := range list {
		cid, cprac, lcount = append(cid, c.ID), append(cprac, practices[c.Practice]), append(lcount, int64(len(c.Lines)))
		cpcn, cpayer, cmember = append(cpcn, c.PatientControl), append(cpayer, c.PayerID), append(cmember, c.MemberID)
		cbirth, crender, ctin = append(cbirth, string(c.PatientBirthDate)), append(crender, c.RenderingNPI), append(ctin, c.BillingTIN)
		ccharge = append(ccharge, c.TotalCharge.String())
		for _, l := range c.Lines {
			lid, lclaim, lprac, lnum = append(lid, l.ID), append(lclaim, c.ID), append(lprac, practices[c.Practice]), append(lnum, int64(l.Number))
			lproc, lunits, lcharge, ldate = append(lproc, l.Procedure), append(lunits, l.UnitsOrOne().String()),
				append(lcharge, l.Charge.String()), append(ldate, string(l.ServiceFrom))
			mods := "{}"
			if len(l.Modifiers) > 0 {
				mods = "{" + strings.Join(l.Modifiers, ",") + "}"
			}
			lmods = append(lmods, mods)
		}
	}
	sum := sha256.Sum256(nil)
	if _, err := db.Exec(`INSERT INTO billed_claims (id, practice_id, source, patient_control_number, payer_code,
		phi_member_id, phi_birth_date, rendering_npi, billing_tin, total_charge, line_count, content_sha256)
		SELECT u.id, u.p, '837', u.pcn, u.payer, u.member, u.birth::date, u.r, u.tin, u.charge::numeric, u.n, $11
		FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
			$9::text[], $10::bigint[]) AS u(id, p, pcn, payer, member, birth, r, tin, charge, n)`,
		pq.Array(cid), pq.Array(cprac), pq.Array(cpcn), pq.Array(cpayer), pq.Array(cmember), pq.Array(cbirth),
		pq.Array(crender), pq.Array(ctin), pq.Array(ccharge), pq.Array(lcount), sum[:]); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO billed_lines (id, billed_claim_id, practice_id, line_number, procedure_code, modifiers,
		units, charge, service_date_from)
		SELECT u.id, u.c, u.p, u.n, u.proc, u.mods::text[], u.units::numeric, u.charge::numeric, u.d::date
		FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[],
			$9::text[]) AS u(id, c, p, n, proc, mods, units, charge, d)`,
		pq.Array(lid), pq.Array(lclaim), pq.Array(lprac), pq.Array(lnum), pq.Array(lproc), pq.Array(lmods),
		pq.Array(lunits), pq.Array(lcharge), pq.Array(ldate)); err != nil {
		t.Fatal(err)
	}
	for _, tbl := range []string{"billed_claims", "billed_lines"} {
		if _, err := db.Exec(`SELECT setval(pg_get_serial_sequence('` + tbl + `', 'id'), (SELECT max(id) FROM ` + tbl + `))`); err != nil {
			t.Fatal(err)
		}
	}
}

// publish sends messages to MATCHED; suffix makes new message ids (a
// redelivery the stream's duplicate window would otherwise drop).
func publish(t testing.TB, deps *svc.Deps, msgs []*v1.LineMatch, suffix string) {
	t.Helper()
	p := bus.NewPublisher(deps.JS, bus.PublisherOptions{})
	out := claimMessages(t, msgs)
	for i := range out {
		out[i].ID += suffix
	}
	if _, err := p.PublishAsync(context.Background(), out); err != nil {
		t.Fatal(err)
	}
}

// claimMessages groups msgs as the matcher sends them, one ClaimMatches
// per paid claim: consecutive lines of one claim (file and CLP segment)
// share a message.
func claimMessages(t testing.TB, msgs []*v1.LineMatch) []bus.Message {
	t.Helper()
	var out []bus.Message
	for i := 0; i < len(msgs); {
		src := msgs[i].GetSource()
		claim := &v1.SourceRef{FileId: src.GetFileId(), FileSha256: src.GetFileSha256(), PracticeId: src.GetPracticeId(),
			SegmentIndex: msgs[i].GetLine().GetClaim().GetClpSegmentIndex()}
		j := i + 1
		if claim.SegmentIndex <= 0 {
			claim = src
		} else {
			for j < len(msgs) && msgs[j].GetSource().GetFileSha256() == claim.FileSha256 &&
				msgs[j].GetLine().GetClaim().GetClpSegmentIndex() == claim.SegmentIndex {
				j++
			}
		}
		bm, err := bus.NewClaimMatchMessage(claim, msgs[i:j])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, bm)
		i = j
	}
	return out
}

// drain waits until the router consumer has nothing pending.
func drain(t testing.TB, js jetstream.JetStream) {
	drainWithin(t, js, 60*time.Second, 20*time.Millisecond)
}

func drainWithin(t testing.TB, js jetstream.JetStream, limit, poll time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	quiet := 0
	for time.Now().Before(deadline) {
		c, err := js.Consumer(context.Background(), bus.StreamMatched, bus.ConsumerRouter)
		if err != nil {
			t.Fatal(err)
		}
		info, err := c.Info(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if info.NumPending == 0 && info.NumAckPending == 0 && info.NumRedelivered == 0 {
			quiet++
			if quiet == 3 {
				return
			}
		} else {
			quiet = 0
		}
		time.Sleep(poll)
	}
	t.Fatal("the router did not drain the MATCHED stream in time")
}

// run starts routers until the test ends.
func run(t testing.TB, services ...*routesvc.Service) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, len(services))
	for _, s := range services {
		go func() { done <- s.Run(ctx) }()
	}
	t.Cleanup(func() {
		cancel()
		for range services {
			if err := <-done; err != nil {
				t.Errorf("router: %v", err)
			}
		}
	})
}

var fixedNow = func() time.Time { return time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC) }

// newRouter is routesvc.New, failing the test on an error.
func newRouter(t testing.TB, deps *svc.Deps, opts routesvc.Options) *routesvc.Service {
	t.Helper()
	s, err := routesvc.New(deps, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
