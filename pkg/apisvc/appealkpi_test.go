package apisvc

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/kpi"
	"github.com/remitq/remitq/pkg/kpistore"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/workstore"
)

// appealKPI refreshes the KPIs and returns name's "num/den" for practice p
// over November 2026 ("" when no point).
func (f *fx) appealKPI(t *testing.T, name string, p int64) string {
	t.Helper()
	ctx := context.Background()
	if _, err := kpistore.Refresh(ctx, f.db); err != nil {
		t.Fatal(err)
	}
	def, _ := kpi.Lookup(name)
	from, _ := day.Parse("2026-11-01")
	to, _ := day.Parse("2026-11-30")
	rep, err := kpistore.Report(ctx, f.db, kpi.Request{Def: def, GroupBy: []kpi.Dim{kpi.DimPractice}, Bucket: kpi.ByMonth, From: from, To: to}, kpistore.Scope{})
	if err != nil {
		t.Fatal(err)
	}
	for _, pt := range rep.Points {
		if pt.Group[0] == fmt.Sprint(p) {
			return fmt.Sprintf("%d/%d", pt.Num, pt.Den)
		}
	}
	return ""
}

// routerPays applies what routesvc (batchState.update, the Paid case) does
// when a later remit pays an open item: status resolved, recovered += paid.
func (f *fx) routerPays(t *testing.T, key string, paid string) {
	t.Helper()
	ctx := context.Background()
	sx, err := f.db.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	tx := &workstore.Tx{Tx: sx}
	items, err := tx.LoadItems(ctx, []string{key})
	if err != nil || items[key] == nil {
		t.Fatal(err, items)
	}
	it := items[key]
	p, _ := money.Parse(paid)
	it.Recovered += max(0, p-it.Paid)
	it.Paid = p
	it.Status, it.Bump, it.ResolvedNow, it.Dirty = "resolved", true, true, true
	it.Resolution = "paid " + paid + " by a later remit"
	it.AtRisk, it.Priority = 0, 0
	if err := tx.UpdateItems(ctx, []*workstore.Item{it}); err != nil {
		t.Fatal(err)
	}
	if err := sx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// denial adds an open denial of practice 1 (key "item:<pcn>") with these
// amounts at risk, billed and paid.
func (f *fx) denial(t *testing.T, pcn, atRisk, billed, paid string) int64 {
	t.Helper()
	return f.id(`INSERT INTO work_items (dedupe_key, practice_id, provider_npi, payer_id, queue_id, kind, disposition, category,
		patient_control_number, procedure_code, amount_at_risk, billed_amount, paid_amount, priority, appeal_deadline, created_at)
		VALUES ('item:'||$5, $1, $2, $3, $4, 'denial', 'denied', 'authorization', $5, '64483', $6::numeric, $7::numeric, $8::numeric, 1,
		'2026-12-30', $9) RETURNING id`, f.p1, npiA, f.payer, f.queueP1, pcn, atRisk, billed, paid, f.now.AddDate(0, 0, -20))
}

// TestOutcomeOfAnUndoneResolution: a biller resolves an appealed item
// "upheld", a supervisor reopens it, a later remit pays 80.00 and the router
// resolves it: the appeal is won with 80.00 recovered. Before 0034 the
// undone resolution's "upheld" stayed in the row and, the item resolved
// again, made the appeal lost (found by an attack on the KPIs).
func TestOutcomeOfAnUndoneResolution(t *testing.T) {
	for _, undone := range []bool{false, true} {
		t.Run(fmt.Sprint("undone resolution ", undone), func(t *testing.T) {
			f := newFixture(t)
			item := fmt.Sprint("/v1/work-items/", f.itemA)
			if r := f.do("bill1", "PATCH", item, map[string]any{"status": "appealed", "appealed_on": "2026-11-10"}, "If-Match", f.version(f.itemA)); r.code != 200 {
				t.Fatalf("appeal: %d %s", r.code, r.body)
			}
			if undone {
				if r := f.do("bill1", "PATCH", item, map[string]any{"status": "resolved", "outcome": "upheld", "resolution": "payer upheld"}, "If-Match", f.version(f.itemA)); r.code != 200 {
					t.Fatalf("resolve upheld: %d %s", r.code, r.body)
				}
				if r := f.do("sup1", "PATCH", item, map[string]any{"status": "in_progress"}, "If-Match", f.version(f.itemA)); r.code != 200 {
					t.Fatalf("reopen: %d %s", r.code, r.body)
				}
				var outcome string
				var recovered *string
				if err := f.db.QueryRow(`SELECT resolution_outcome, resolution_recovered::text FROM work_items WHERE id = $1`, f.itemA).Scan(&outcome, &recovered); err != nil || outcome != "" || recovered != nil {
					t.Errorf("reopened item keeps outcome %q, recovered %v (%v)", outcome, recovered, err)
				}
			}
			f.routerPays(t, "item:"+pcnA, "80.00")
			if got := f.appealKPI(t, "appeal_overturn_rate", f.p1); got != "1/1" {
				t.Errorf("appeal_overturn_rate after a remit paid 80.00: %s, want 1/1 (won)", got)
			}
			if got := f.appealKPI(t, "appeal_recovery_rate", f.p1); len(got) < 5 || got[:5] != "8000/" {
				t.Errorf("appeal_recovery_rate: %s, want 8000/…", got)
			}
		})
	}
}

// TestAppealLevelsBounded: the KPI adds up the recoveries of an item's won
// appeal levels, so their sum is what is bounded: 60.00 at level 1 and
// 100.00 at level 2 on a line of 100.00 at risk is refused (before, 160 %
// recovery), 40.00 is taken.
func TestAppealLevelsBounded(t *testing.T) {
	f := newFixture(t)
	id := f.denial(t, "PCN-SUM", "100", "100", "0")
	path := fmt.Sprint("/v1/work-items/", id, "/appeals")
	appeal := func(n int, sent string) string {
		var a struct {
			Appeal Appeal `json:"appeal"`
		}
		r := f.do("bill1", "POST", path, map[string]any{"level": n, "submitted_on": sent})
		r.decode(t, &a)
		if r.code != 201 {
			t.Fatalf("level %d: %d %s", n, r.code, r.body)
		}
		return fmt.Sprint(path, "/", a.Appeal.ID)
	}
	decide := func(p, outcome, amount string) resp {
		return f.do("bill1", "PATCH", p, map[string]any{"outcome": outcome, "decided_on": "2026-11-12", "amount_recovered": amount})
	}
	if r := decide(appeal(1, "2026-11-02"), "partial", "60.00"); r.code != 200 {
		t.Fatalf("level 1: %d %s", r.code, r.body)
	}
	l2 := appeal(2, "2026-11-06")
	if r := decide(l2, "paid_in_full", "100.00"); r.code != 422 || !strings.Contains(string(r.body), "60.00") {
		t.Errorf("level 2 of 100.00 after 60.00 on 100.00 at risk: %d %s", r.code, r.body)
	}
	if r := decide(l2, "partial", "40.00"); r.code != 200 {
		t.Errorf("level 2 of 40.00: %d %s", r.code, r.body)
	}
	if got := f.appealKPI(t, "appeal_recovery_rate", f.p1); got != "10000/10000" {
		t.Errorf("appeal_recovery_rate %s, want 10000/10000", got)
	}
}

// TestRecoveryBound: what can be recovered on an item is what was at risk
// before anything was recovered; a partial denial's paid part is not (150.00
// on 100.00 at risk and 50.00 paid was taken: 150 % recovery); with nothing
// at risk or billed no amount is taken — before, an amount numeric(14,2)
// cannot hold answered 500.
func TestRecoveryBound(t *testing.T) {
	f := newFixture(t)
	id := f.denial(t, "PCN-PART", "100", "0", "50")
	item := fmt.Sprint("/v1/work-items/", id)
	if r := f.do("bill1", "PATCH", item, map[string]any{"status": "appealed", "appealed_on": "2026-11-10"}, "If-Match", f.version(id)); r.code != 200 {
		t.Fatalf("appeal: %d %s", r.code, r.body)
	}
	if r := f.do("bill1", "PATCH", item, map[string]any{"status": "resolved", "outcome": "paid_in_full", "amount_recovered": "150.00"}, "If-Match", f.version(id)); r.code != 422 {
		t.Errorf("150.00 recovered on 100.00 at risk: %d %s", r.code, r.body)
	}
	if r := f.do("bill1", "PATCH", item, map[string]any{"status": "resolved", "outcome": "paid_in_full", "amount_recovered": "100.00"}, "If-Match", f.version(id)); r.code != 200 {
		t.Errorf("100.00 recovered on 100.00 at risk: %d %s", r.code, r.body)
	}
	f.exec(`UPDATE work_items SET amount_at_risk = 0 WHERE id = $1`, f.itemA)
	for _, amount := range []string{"10000000000000.00", "5000000.00"} {
		r := f.do("bill1", "PATCH", fmt.Sprint("/v1/work-items/", f.itemA), map[string]any{"status": "resolved", "outcome": "paid_in_full",
			"amount_recovered": amount}, "If-Match", f.version(f.itemA))
		if r.code != 422 {
			t.Errorf("%s recovered on an item with nothing at risk or billed: %d %s", amount, r.code, r.body)
		}
	}
}
