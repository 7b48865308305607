package appeal_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/remitq/remitq/pkg/appeal"
	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/route"
	"github.com/remitq/remitq/pkg/rules"
)

// TestFromRoute: lines decided by the real router feed Build; the router's
// verdict decides what may be appealed.
func TestFromRoute(t *testing.T) {
	r := route.New(route.Config{})
	decide := func(code string, siblings []string, cas route.Adjustment, remarks ...string) appeal.DeniedLine {
		l := &route.Line{ClaimID: "DSP2607011", LineIndex: 1, PayerID: "CHP77", Procedure: code, ServiceDate: dos,
			Charge: cas.Amount, Adjustments: []route.Adjustment{cas}, Remarks: remarks, ClaimStatus: "1",
			RemitDate: remit, Match: route.Match{Status: route.Matched}, Siblings: siblings, UnitsBilled: 1000}
		return appeal.FromRoute(l, r.Decide(l))
	}

	auth := decide("64483", nil, adj("CO", "197", "950"), "N54")
	if auth.Cause.Category != "authorization" || auth.Billed != money.MustParse("950") || auth.Units != 1 || auth.Number != 1 {
		t.Fatalf("FromRoute = %+v", auth)
	}
	auth.Evidence.Auth = &appeal.Auth{Number: "PA-55", From: day.New(2026, 6, 1), Through: day.New(2026, 7, 31), Codes: []string{"64483"}}
	p, err := appeal.Build(facts(t, rules.PlanCommercial, auth), today)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.Text(), "Prior authorization PA-55") || !strings.Contains(p.Text(), "CO-197 (950.00) and remark code N54") {
		t.Errorf("letter:\n%s", p.Text())
	}

	// 77003 billed with 62323: NCCI bundles the fluoroscopy into the
	// injection; the router says write it off, so there is no appeal.
	fluoro := decide("77003", []string{"62323"}, adj("CO", "97", "120"), "M15")
	_, err = appeal.Build(facts(t, rules.PlanCommercial, fluoro), today)
	if !errors.Is(err, appeal.ErrNotAppealable) {
		t.Fatalf("77003 with 62323: err = %v (cause %+v)", err, fluoro.Cause)
	}
	t.Log(err)
}
