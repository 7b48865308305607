package apisvc

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/remitq/remitq/pkg/auth"
)

// TestTeamSnapshot: with sweeps running, GET /v1/team's workload is the
// sweep's snapshot (as_of its time) — an item assigned since is not in it
// — and ?fresh=true counts live; after the next snapshot the two agree
// field by field; a practice filter narrows the snapshot too.
func TestTeamSnapshot(t *testing.T) {
	f := newFixture(t)
	v, err := auth.NewVerifier(auth.VerifierConfig{HS256Key: testKey})
	if err != nil {
		t.Fatal(err)
	}
	// The fixture's service runs no sweeps (it always counts live): this one does.
	f.s, err = New(f.db, zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel)), Options{Auth: &auth.Authenticator{DB: f.db, Verifier: v},
		SweepInterval: time.Hour, Now: func() time.Time { return f.now }, PatientKeyer: testPatientKeyer})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	f.s.Register(mux)
	f.h = f.s.WrapHTTP(mux)

	bill, bill1b := f.users["bill1"].ID, f.users["bill1b"].ID
	assign := func(item, user int64) {
		f.exec(`UPDATE work_items SET assignee_id = $2, status = 'assigned', assigned_at = $3 WHERE id = $1`, item, user, f.now)
	}
	i1 := f.item(f.p1, npiA, f.queueP1, f.claimA, f.lineA, "TEAM-1", 1, "100.00")
	i2 := f.item(f.p1, npiB, f.queueP1, f.claimA, f.lineA, "TEAM-2", 1, "50.00")
	i3 := f.item(f.p1, npiA, f.queueP1, f.claimA, f.lineA, "TEAM-3", 1, "30.00")
	assign(i1, bill)
	assign(i2, bill)
	assign(i3, bill1b)
	f.exec(`UPDATE work_items SET escalated_at = $2 WHERE id = $1`, i2, f.now)
	// Whatever the fixture assigned already is counted in both paths alike.
	if err := f.s.refreshQueueStats(t.Context()); err != nil {
		t.Fatal(err)
	}
	team := func(path string) map[int64]Member {
		t.Helper()
		var page Page[Member]
		r := f.do("sup1", "GET", path, nil)
		if r.code != http.StatusOK {
			t.Fatalf("%s: %d %s", path, r.code, r.body)
		}
		r.decode(t, &page)
		out := map[int64]Member{}
		for _, m := range page.Items {
			out[m.UserID] = m
		}
		return out
	}
	same := func(a, b Member) bool {
		return a.Open == b.Open && a.Escalated == b.Escalated && a.AmountAtRisk == b.AmountAtRisk && a.Aging == b.Aging
	}

	snap, live := team("/v1/team"), team("/v1/team?fresh=true")
	base := snap[bill]
	if base.Open < 2 || base.Escalated < 1 || !same(base, live[bill]) || !same(snap[bill1b], live[bill1b]) || snap[bill1b].Open < 1 {
		t.Fatalf("snapshot %+v / %+v, live %+v / %+v", base, snap[bill1b], live[bill], live[bill1b])
	}
	if !base.AsOf.Equal(f.now) {
		t.Errorf("snapshot as_of %v, want the sweep's %v", base.AsOf, f.now)
	}

	// Assigned after the snapshot: only the live count has it.
	i4 := f.item(f.p1, npiA, f.queueP1, f.claimA, f.lineA, "TEAM-4", 1, "20.00")
	assign(i4, bill)
	f.now = f.now.Add(10 * time.Minute)
	snap, live = team("/v1/team"), team("/v1/team?fresh=true")
	if !same(snap[bill], base) || !snap[bill].AsOf.Equal(base.AsOf) {
		t.Errorf("snapshot moved without a sweep: %+v, was %+v", snap[bill], base)
	}
	if m := live[bill]; m.Open != base.Open+1 || m.AmountAtRisk != base.AmountAtRisk+2000 || !m.AsOf.Equal(f.now) {
		t.Errorf("live after one more item: %+v (snapshot %+v)", m, base)
	}

	// The next snapshot has it, and agrees with the live count.
	if err := f.s.refreshQueueStats(t.Context()); err != nil {
		t.Fatal(err)
	}
	snap, live = team("/v1/team"), team("/v1/team?fresh=true")
	for _, id := range []int64{bill, bill1b} {
		if !same(snap[id], live[id]) {
			t.Errorf("user %d: snapshot %+v, live %+v", id, snap[id], live[id])
		}
	}
	if snap[bill].Open != base.Open+1 || !snap[bill].AsOf.Equal(f.now) {
		t.Errorf("new snapshot: %+v", snap[bill])
	}
	// A practice filter: practice 1's own figures, from the snapshot.
	byPractice := team(fmt.Sprint("/v1/team?practice_id=", f.p1))
	if !same(byPractice[bill], snap[bill]) {
		t.Errorf("practice filter: %+v, want %+v", byPractice[bill], snap[bill])
	}
}
