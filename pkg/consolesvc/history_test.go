package consolesvc

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/remitq/remitq/pkg/apisvc"
	"github.com/remitq/remitq/pkg/money"
)

// TestHistoryInPlainWords: the history says what each event did, with
// the people's names, never "write off from Assigned to Assigned".
func TestHistoryInPlainWords(t *testing.T) {
	st := func(s string) *string { return &s }
	det := func(m map[string]any) json.RawMessage {
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	amt := money.MustParse("1245.00")
	thr := money.MustParse("20.00")
	at := time.Date(2026, 12, 7, 16, 58, 0, 0, time.UTC)
	events := []event{
		{At: at, Actor: "user:3", Action: "write_off", FromStatus: st("assigned"), ToStatus: st("assigned"),
			Detail: det(map[string]any{"status": "pending_approval", "reason_code": "contractual", "amount": amt, "threshold": thr})},
		{At: at, Actor: "user:2", Action: "write_off", FromStatus: st("assigned"), ToStatus: st("written_off"), Amount: st("1245.00"),
			Detail: det(map[string]any{"status": "approved", "reason_code": "contractual", "amount": amt})},
		{At: at, Actor: "user:2", Action: "assigned", FromStatus: st("new"), ToStatus: st("assigned"), Detail: det(map[string]any{"assignee_id": 3})},
		{At: at, Actor: "router", Action: "created", ToStatus: st("new")},
		{At: at, Actor: "user:3", Action: "status", FromStatus: st("assigned"), ToStatus: st("pended"), Detail: det(map[string]any{"pended_until": "2026-12-10"})},
		{At: at, Actor: "system", Action: "escalated", Detail: det(map[string]any{"reason": "appeal_deadline"})},
		{At: at, Actor: "user:9", Action: "note"},
	}
	reasons := []apisvc.WriteOffReason{{Code: "contractual", Label: "Contractual adjustment"}}
	who := map[int64]string{2: "Sam Supervisor", 3: "Bea Biller"}
	got := history(events, reasons, who)
	want := []historyLine{
		{at, "Bea Biller", "Write-off of $1,245.00 requested (reason: Contractual adjustment), waiting for a supervisor's approval (above $20.00)"},
		{at, "Sam Supervisor", "Write-off of $1,245.00 approved (reason: Contractual adjustment); Status Assigned → Written off"},
		{at, "Sam Supervisor", "Assigned to Bea Biller; Status New → Assigned"},
		{at, "remitq (routing)", "Item opened from the remittance; status New"},
		{at, "Bea Biller", "Snoozed until 2026-12-10; Status Assigned → Snoozed"},
		{at, "remitq", "Escalated: the appeal deadline is near"},
		{at, "user #9", "Note added"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d lines, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	ids := historyUsers(events, []apisvc.WriteOff{{RequestedBy: 4}})
	if len(ids) != 7 || ids[len(ids)-1] != 4 {
		t.Fatalf("the users named: %v", ids)
	}
}

// TestUnitsText: unit counts lose their trailing zeros only.
func TestUnitsText(t *testing.T) {
	one := "1.000"
	for in, want := range map[any]string{"1.000": "1", "1.500": "1.5", "10": "10", "10.000": "10", "": "", &one: "1", (*string)(nil): "", "2.a0": "2.a0"} {
		if got := unitsText(in); got != want {
			t.Errorf("units %v: %q, want %q", in, got, want)
		}
	}
}
