package routesvc_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/lib/pq"

	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/routesvc"
	"github.com/remitq/remitq/pkg/synth"
	v1 "github.com/remitq/remitq/proto/remitq/v1"
)

// billedView is an item beside the billed line it is about.
type billedView struct {
	Key        string         `db:"dedupe_key"`
	Category   string         `db:"category"`
	Code       string         `db:"procedure_code"`
	Mods       pq.StringArray `db:"modifiers"`
	Billed     money.Amount   `db:"billed_amount"`
	AtRisk     money.Amount   `db:"amount_at_risk"`
	LineCode   string         `db:"line_code"`
	LineMods   pq.StringArray `db:"line_mods"`
	LineCharge money.Amount   `db:"line_charge"`
	Created    []byte         `db:"created"`
	Text       string         `db:"text"`
}

func billedViews(t testing.TB, e *env) []billedView {
	t.Helper()
	var out []billedView
	if err := e.db.Select(&out, `SELECT w.dedupe_key, w.category, w.procedure_code, COALESCE(w.modifiers, '{}') AS modifiers,
		w.billed_amount, w.amount_at_risk, b.procedure_code AS line_code, COALESCE(b.modifiers, '{}') AS line_mods,
		b.charge AS line_charge, w.text,
		COALESCE((SELECT detail FROM work_item_events v WHERE v.work_item_id = w.id AND v.action = 'created'), '{}') AS created
		FROM work_items w JOIN billed_lines b ON b.id = w.billed_line_id
		WHERE w.status NOT IN ('resolved', 'written_off') ORDER BY w.id`); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestItemsNameTheBilledLine: on the truth set, every open item about a
// billed line names the billed code and modifiers (not the adjudicated
// ones) and never puts more at risk than was billed; the bundled 77003
// lines, paid under 62323, among them.
func TestItemsNameTheBilledLine(t *testing.T) {
	e := newEnv(t)
	ts := loadTruth(t, e, 1, 1500)
	s := newRouter(t, e.deps, routesvc.Options{Now: fixedNow, MaxBatch: 250})
	run(t, s)
	publish(t, e.deps, ts.msgs, "")
	drain(t, e.deps.JS)
	list := billedViews(t, e)
	if len(list) == 0 {
		t.Fatal("no open item with a billed line")
	}
	bundled := 0
	for _, v := range list {
		if v.Code != v.LineCode || strings.Join(v.Mods, ",") != strings.Join(v.LineMods, ",") {
			t.Errorf("item %s (%s) names %s %v, billed %s %v", v.Key, v.Category, v.Code, v.Mods, v.LineCode, v.LineMods)
		}
		if v.AtRisk > v.Billed || v.Billed > v.LineCharge {
			t.Errorf("item %s (%s, %s): at risk %s, billed %s, billed line charge %s", v.Key, v.Category, v.LineCode,
				v.AtRisk, v.Billed, v.LineCharge)
		}
		if v.Category == "coding_bundling" && v.LineCode == "77003" {
			bundled++
		}
	}
	if bundled == 0 {
		t.Error("no open bundling item for a billed 77003")
	}
	t.Logf("%d open items with a billed line, %d bundled 77003", len(list), bundled)
}

// TestBundledLineNamesBilledCode: 77003 billed at $250, denied as part of
// 62323 (SVC01 62323, SVC06 77003) whose contract rate is $322: the item
// names 77003, bills $250 and risks at most $250; the paid code is in the
// item's creation detail.
func TestBundledLineNamesBilledCode(t *testing.T) {
	e := newEnv(t)
	ts := loadTruth(t, e, 1, 1500)
	var m *v1.LineMatch
	for i, tl := range ts.truth {
		if tl.Scenario == synth.ScenarioBundled && ts.msgs[i].GetBilled().GetProcedureCode() == "77003" &&
			ts.msgs[i].GetBilledLineId() > 0 {
			m = clone(ts.msgs[i])
			break
		}
	}
	if m == nil {
		t.Fatal("no bundled 77003 in the truth set")
	}
	if got := m.GetLine().GetLine().GetProcedure().GetCode(); got != "62323" {
		t.Fatalf("bundled line paid as %s", got)
	}
	mustExec(t, e, `UPDATE billed_lines SET charge = 250 WHERE id = $1`, m.GetBilledLineId())
	m.Billed.ChargeCents = 25000
	sl := m.GetLine().GetLine()
	sl.ChargeCents = 25000
	for _, a := range sl.GetAdjustments() {
		a.AmountCents = 25000
	}
	rate := int64(32200)
	m.ExpectedAllowedCents = &rate
	m.PatientResponsibilityCents = 0
	s := newRouter(t, e.deps, routesvc.Options{Now: fixedNow})
	run(t, s)
	publish(t, e.deps, []*v1.LineMatch{m}, "")
	drain(t, e.deps.JS)
	list := billedViews(t, e)
	if len(list) != 1 {
		t.Fatalf("items: %+v", list)
	}
	v := list[0]
	if v.Code != "77003" || v.Billed != 25000 || v.AtRisk > 25000 || v.AtRisk <= 0 {
		t.Errorf("item %s names %s, billed %s, at risk %s; want 77003, 250.00, at most 250.00", v.Key, v.Code, v.Billed, v.AtRisk)
	}
	if !strings.Contains(v.Text, "for 77003 (adjudicated as 62323)") {
		t.Errorf("item text %q does not name the billed 77003", v.Text)
	}
	var det map[string]any
	if err := json.Unmarshal(v.Created, &det); err != nil {
		t.Fatal(err)
	}
	if det["paid_procedure_code"] != "62323" {
		t.Errorf("created detail %s: want paid_procedure_code 62323", v.Created)
	}
}
