package workstore_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/remitq/remitq/pkg/auth"
	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/devenv/devtest"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/work"
	"github.com/remitq/remitq/pkg/workstore"
)

var now = time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)

type fixture struct {
	db       *sqlx.DB
	st       *workstore.Store
	practice int64
	queue    int64
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db := devtest.DB(t)
	f := &fixture{db: db, st: workstore.New(db)}
	if err := db.QueryRow(`INSERT INTO practices (name, npi) VALUES ('P', '1234567893') RETURNING id`).Scan(&f.practice); err != nil {
		t.Fatal(err)
	}
	if err := f.st.EnsureQueue(t.Context(), f.practice, "default"); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT id FROM queues WHERE practice_id = $1`, f.practice).Scan(&f.queue); err != nil {
		t.Fatal(err)
	}
	return f
}

// item inserts an item of the fixture's queue.
func (f *fixture) item(t *testing.T, key, status, provider, category string, atRisk string, remitDaysAgo int) {
	t.Helper()
	if _, err := f.db.Exec(`INSERT INTO work_items (dedupe_key, practice_id, provider_npi, queue_id, kind, disposition,
		category, amount_at_risk, remit_date, status) VALUES ($1, $2, $3, $4, 'denial', 'denied', $5, $6::numeric, $7::date, $8)`,
		key, f.practice, provider, f.queue, category, atRisk, now.AddDate(0, 0, -remitDaysAgo).Format(time.DateOnly), status); err != nil {
		t.Fatal(err)
	}
}

// TestOpenSQLIsOpen: the SQL predicate and the Go rule agree on every
// status, in the database.
func TestOpenSQLIsOpen(t *testing.T) {
	f := newFixture(t)
	for i, s := range work.Statuses {
		f.item(t, "k:"+strconv.Itoa(i), s, "", "", "1.00", 1)
	}
	for _, c := range []struct {
		name string
		sql  string
		rule func(string) bool
	}{{"open", work.OpenSQL("w"), work.Open}, {"deadline open", work.DeadlineOpenSQL("w"), work.DeadlineOpen}} {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			if err := f.db.Select(&got, `SELECT w.status FROM work_items w WHERE `+c.sql+` ORDER BY w.status`); err != nil {
				t.Fatal(err)
			}
			want := map[string]bool{}
			for _, s := range work.Statuses {
				want[s] = c.rule(s)
			}
			n := 0
			for _, s := range got {
				if !want[s] {
					t.Errorf("%s: SQL keeps %s", c.name, s)
				}
				n++
			}
			for _, ok := range want {
				if ok {
					n--
				}
			}
			if n != 0 || len(got) == 0 {
				t.Errorf("%s: SQL keeps %v", c.name, got)
			}
		})
	}
}

// TestQueueSummaries: the practice view, the live count and the snapshot
// give one summary: open items only, aged from the remit date, narrowed by
// scope.
func TestQueueSummaries(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.item(t, "a", work.New, "1111111111", "authorization", "10.00", 5)
	f.item(t, "b", work.Assigned, "1111111111", "coding", "20.00", 45)
	f.item(t, "c", work.Appealed, "2222222222", "coding", "30.00", 100)
	f.item(t, "d", work.Resolved, "2222222222", "coding", "40.00", 5)
	f.item(t, "e", work.WrittenOff, "1111111111", "coding", "50.00", 5)
	want := workstore.Aging{D0to30: 1, D31to60: 1, Over90: 1}

	qs, err := f.st.PracticeQueues(ctx, f.practice, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(qs) != 1 {
		t.Fatalf("queues: %+v", qs)
	}
	q := qs[0]
	if q.Open != 3 || q.Unassigned != 3 || q.AmountAtRisk != money.Amount(6000) || q.Aging != want || q.PracticeID != f.practice || !q.AsOf.Equal(now) {
		t.Errorf("practice queue: %+v", q)
	}
	if len(q.ByCategory) != 2 || q.ByCategory[0].Key != "coding" || q.ByCategory[0].Items != 2 || len(q.ByProvider) != 2 || len(q.ByPayer) != 1 {
		t.Errorf("views: %+v %+v %+v", q.ByCategory, q.ByProvider, q.ByPayer)
	}

	live := []workstore.QueueSummary{{ID: f.queue}}
	if err := f.st.Count(ctx, live, now, nil); err != nil {
		t.Fatal(err)
	}
	if live[0].Open != q.Open || live[0].Aging != q.Aging || live[0].AmountAtRisk != q.AmountAtRisk || live[0].ByCategory != nil {
		t.Errorf("live count %+v, practice view %+v", live[0], q)
	}

	if ok, err := f.st.RefreshSnapshot(ctx, now); err != nil || !ok {
		t.Fatalf("refresh: %v %v", ok, err)
	}
	at, err := f.st.SnapshotAt(ctx)
	if err != nil || !at.Equal(now) {
		t.Fatalf("snapshot at %v, %v", at, err)
	}
	snap := []workstore.QueueSummary{{ID: f.queue}}
	if err := f.st.CountSnapshot(ctx, snap, at, nil); err != nil {
		t.Fatal(err)
	}
	if snap[0].Open != q.Open || snap[0].Aging != q.Aging || snap[0].AmountAtRisk != q.AmountAtRisk {
		t.Errorf("snapshot %+v, live %+v", snap[0], live[0])
	}

	// One provider's scope: items a and b.
	scope := func(practiceCol, npiCol string, args *auth.Args) string {
		return npiCol + " = " + args.Add("1111111111")
	}
	for _, c := range []struct {
		name  string
		count func([]workstore.QueueSummary) error
	}{
		{"live", func(qs []workstore.QueueSummary) error { return f.st.Count(ctx, qs, now, scope) }},
		{"snapshot", func(qs []workstore.QueueSummary) error { return f.st.CountSnapshot(ctx, qs, at, scope) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			qs := []workstore.QueueSummary{{ID: f.queue}}
			if err := c.count(qs); err != nil {
				t.Fatal(err)
			}
			if qs[0].Open != 2 || qs[0].Aging != (workstore.Aging{D0to30: 1, D31to60: 1}) {
				t.Errorf("scoped: %+v", qs[0])
			}
		})
	}
}

// TestItemsRoundTrip: items inserted in a batch read back as written, an
// update bumps the version, and an item another router created first
// fails the insert with ErrConcurrentCreate.
func TestItemsRoundTrip(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	it := &workstore.Item{Key: "billed_line:1", Practice: f.practice, Kind: "denial", Disposition: "denied", Category: "coding",
		CARC: []string{"CO-16"}, Modifiers: []string{"LT", "50"}, Billed: 12345, AtRisk: 12345, Status: work.New,
		RemitDate: day.Of(now), Deadline: day.Of(now).AddDays(90), RoutedKey: "r1"}
	it.QueueID.Int64, it.QueueID.Valid = f.queue, true
	tx, err := f.st.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.LockKeys(ctx, []string{it.Key}); err != nil {
		t.Fatal(err)
	}
	if err := tx.InsertItems(ctx, []*workstore.Item{it}); err != nil {
		t.Fatal(err)
	}
	if err := tx.InsertEvents(ctx, []*workstore.Event{{Item: it, Action: "created", To: work.New, Detail: map[string]any{"x": 1}}}); err != nil {
		t.Fatal(err)
	}
	if err := tx.SaveSettlements(ctx, map[string]*workstore.Settlement{"billed_line:2": {RoutedKey: "r1", Paid: 100,
		Resolution: "Paid", Detail: map[string]any{}, Dirty: true}}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if it.ID == 0 {
		t.Fatal("no id")
	}

	tx, err = f.st.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	got, err := tx.LoadItems(ctx, []string{it.Key, "billed_line:9"})
	if err != nil {
		t.Fatal(err)
	}
	back := got[it.Key]
	if len(got) != 1 || back.ID != it.ID || back.Billed != it.Billed || back.Deadline != it.Deadline || back.RemitDate != it.RemitDate ||
		len(back.Modifiers) != 2 || back.Modifiers[1] != "50" || back.CARC[0] != "CO-16" || back.Status != work.New || back.RoutedKey != "r1" {
		t.Errorf("read back %+v, wrote %+v", back, it)
	}
	st, err := tx.LoadSettlements(ctx, []string{"billed_line:2"})
	if err != nil || st["billed_line:2"] == nil || st["billed_line:2"].Paid != 100 {
		t.Errorf("settlement %+v, %v", st, err)
	}
	back.Status, back.Resolution, back.Bump, back.ResolvedNow, back.RoutedKey = work.Resolved, "Paid", true, true, "r2"
	if err := tx.UpdateItems(ctx, []*workstore.Item{back}); err != nil {
		t.Fatal(err)
	}
	again := &workstore.Item{Key: it.Key, Practice: f.practice, Kind: "denial", Disposition: "denied", Status: work.New}
	if err := tx.InsertItems(ctx, []*workstore.Item{again}); !errors.Is(err, workstore.ErrConcurrentCreate) {
		t.Errorf("second insert of %s: %v", it.Key, err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	var version int
	if err := f.db.Get(&version, `SELECT version FROM work_items WHERE id = $1`, it.ID); err != nil || version != 1 {
		t.Errorf("version after a rolled-back update: %d %v", version, err)
	}
}
