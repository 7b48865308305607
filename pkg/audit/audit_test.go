package audit

import (
	"strings"
	"testing"
	"time"

	"github.com/remitq/remitq/pkg/devenv/devtest"
)

func TestMain(m *testing.M) { devtest.Main(m) }

func TestRecordList(t *testing.T) {
	ctx := t.Context()
	db := devtest.DB(t)
	entries := []Entry{
		{Actor: "user:1", UserID: 1, Action: "claim.view", Entity: "claim_payment", EntityID: "10", PracticeID: 3,
			RemoteAddr: "192.0.2.7", Method: "GET", Route: "GET /v1/claims/{id}", RequestID: "r1"},
		{Actor: "user:2", UserID: 2, Action: "work_item.update", Entity: "work_item", EntityID: "5", Detail: map[string]any{"to": "resolved"}},
		{Actor: "system", Action: "file.ingest", Entity: "remittance_file"},
	}
	if err := Record(ctx, db, entries...); err != nil {
		t.Fatal(err)
	}
	if err := Record(ctx, db, Entry{Actor: "x"}); err == nil {
		t.Error("an entry without action and entity was recorded")
	}
	all, err := List(ctx, db, Filter{})
	if err != nil || len(all) != 3 || all[0].Actor != "system" || all[2].RemoteAddr == nil || *all[2].RemoteAddr != "192.0.2.7" {
		t.Fatalf("List = %+v, %v", all, err)
	}
	if !strings.Contains(string(all[1].Detail), `"resolved"`) {
		t.Errorf("detail %s", all[1].Detail)
	}
	for _, tc := range []struct {
		f    Filter
		want int
	}{
		{Filter{UserID: 1}, 1}, {Filter{Actor: "user:2"}, 1}, {Filter{Entity: "work_item", EntityID: "5"}, 1},
		{Filter{PracticeID: 3}, 1}, {Filter{Action: "file.ingest"}, 1}, {Filter{Before: all[0].ID}, 2},
		{Filter{Limit: 2}, 2}, {Filter{From: time.Now().Add(time.Hour)}, 0}, {Filter{To: time.Now().Add(time.Hour)}, 3},
	} {
		got, err := List(ctx, db, tc.f)
		if err != nil || len(got) != tc.want {
			t.Errorf("List(%+v) = %d rows, %v; want %d", tc.f, len(got), err, tc.want)
		}
	}
	if _, err := db.ExecContext(ctx, `UPDATE audit_log SET actor = 'x'`); err == nil {
		t.Error("an audit row was updated")
	}
}
