package route_test

import (
	"strings"
	"testing"
	"time"

	"github.com/remitq/remitq/carc"
	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/route"
	"github.com/remitq/remitq/pkg/rules"
)

// profiled is a router whose payers map to the shipped Medicare,
// commercial and Medicaid profiles.
func profiled(t *testing.T) *route.Router {
	t.Helper()
	ps := rules.DefaultProfiles()
	d := day.Must("2026-03-02")
	return route.New(route.Config{Payers: map[string]route.PayerProfile{
		"03102": route.ProfileFromRules(ps.Resolve("03102", "", "", d)),
		"COM":   route.ProfileFromRules(ps.Get("commercial", d)),
		"MCD":   route.ProfileFromRules(ps.Get("medicaid", d)),
	}})
}

type pcase struct {
	name, payer, proc string
	mods              []string
	siblings          []string
	cas               string // "CO-4:650"
	rarcs             []string
	paid              string
	// want
	route, deadline, filing, rule string
	category                      carc.Category
	has, hasNot                   []string // in Text
}

func (c pcase) line(t *testing.T) *route.Line {
	dy := day.New(2026, time.March, 2)
	remit := day.New(2026, time.April, 1)
	var adjs []route.Adjustment
	for _, a := range strings.Fields(c.cas) {
		g, rest, _ := strings.Cut(a, "-")
		code, amt, _ := strings.Cut(rest, ":")
		adjs = append(adjs, route.Adjustment{Group: g, Reason: code, Amount: money.MustParse(amt)})
	}
	paid := c.paid
	if paid == "" {
		paid = "0"
	}
	return &route.Line{ClaimID: "C1", LineIndex: 1, PayerID: c.payer, Procedure: c.proc, Modifiers: c.mods, ServiceDate: dy,
		Charge: money.MustParse("650"), Paid: money.MustParse(paid), Adjustments: adjs, Remarks: c.rarcs, ClaimStatus: "1",
		RemitDate: remit, Match: route.Match{Status: route.Matched}, Siblings: c.siblings}
}

// TestIssue16Routes: the deadline, route and text come from the payer's
// profile, and each advice case of issue 16 "What was wrong".
func TestIssue16Routes(t *testing.T) {
	r := profiled(t)
	for _, c := range []pcase{
		{name: "Medicare redetermination: 120 days from the remit, timely filing beside it", payer: "03102", proc: "64483",
			cas: "CO-50:650", route: route.RouteAppeal, deadline: "2026-07-30", filing: "2027-03-02",
			has: []string{"appeal (redetermination) by 2026-07-30; timely filing ends 2027-03-02", "[profile medicare_part_b (JF Noridian) 2026-01-01]"}},
		{name: "commercial appeal: 180 days", payer: "COM", proc: "64483", cas: "CO-50:650", route: route.RouteAppeal, deadline: "2026-09-28"},
		{name: "Medicaid appeal: 90 days", payer: "MCD", proc: "64483", cas: "CO-50:650", route: route.RouteAppeal, deadline: "2026-06-30"},
		{name: "MA130 unprocessable: a new claim within timely filing (12 months from the date of service)", payer: "03102",
			proc: "64483", cas: "CO-16:650", rarcs: []string{"MA130"}, route: route.RouteNewClaim, deadline: "2027-03-02",
			has: []string{"names no missing field", "submit the new claim by 2027-03-02"}, hasNot: []string{"other remark codes"}},
		{name: "Medicare modifier fix: a reopening within a year", payer: "03102", proc: "20552", mods: []string{"50"},
			cas: "CO-4:650", route: route.RouteReopening, deadline: "2027-04-01", has: []string{"request a reopening", "request the reopening by"}},
		{name: "commercial modifier fix: a corrected claim within timely filing (90 days from the date of service)", payer: "COM", proc: "20552",
			mods: []string{"50"}, cas: "CO-4:650", route: route.RouteCorrectedClaim, deadline: "2026-05-31", has: []string{"send a corrected claim"}},
		{name: "64494-50 denied on Medicare: 50 x1 is right, appeal", payer: "03102", proc: "64494", mods: []string{"50"},
			siblings: []string{"64493"}, cas: "CO-4:650", route: route.RouteAppeal, rule: "pain/modifier-50-add-on",
			has: []string{"64494-50 with 1 unit"}, hasNot: []string{"RT and LT lines, 1 unit each"}},
		{name: "CO-18 on the second line of an RT/LT pair: the payer's bilateral form", payer: "03102", proc: "64493",
			mods: []string{"LT"}, siblings: []string{"64493"}, cas: "CO-18:650", rule: "pain/bilateral-pair-duplicate",
			has: []string{"one line 64493-50 with 1 unit", "request a reopening"}, hasNot: []string{"76 and", "resubmit with 59"}},
		{name: "CO-97 + N20 on an E/M: 25 or write off", payer: "COM", proc: "99213", siblings: []string{"64483"},
			cas: "CO-97:650", rarcs: []string{"N20"}, rule: "pain/em-without-25", category: carc.CodingBundling,
			has: []string{"add 25"}, hasNot: []string{"correct with 59/XU"}},
		{name: "CO-151 + N362 on a two-level session is a units denial", payer: "03102", proc: "64484", siblings: []string{"64483"},
			cas: "CO-151:650", rarcs: []string{"N362"}, hasNot: []string{"limit reached", "12 months"},
			has: []string{"units or levels above the per-day maximum"}},
		{name: "PR-204 is the patient's, not an appeal", payer: "COM", proc: "64483", cas: "PR-204:650",
			route: route.RouteBillPatient, has: []string{"bill the patient"}, hasNot: []string{"appeal by"}},
		{name: "CO-59 on an add-on: dispute the reduction", payer: "03102", proc: "64484", siblings: []string{"64483"}, paid: "300",
			cas: "CO-45:250 CO-59:100", route: route.RouteDispute, rule: "pain/add-on-mppr", category: carc.Underpayment},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := r.Decide(c.line(t))
			if c.route != "" && d.Route != c.route {
				t.Errorf("route %q, want %q (%s)", d.Route, c.route, d.Text)
			}
			if c.deadline != "" && d.AppealDeadline.String() != c.deadline {
				t.Errorf("deadline %s, want %s (%s)", d.AppealDeadline, c.deadline, d.Text)
			}
			if c.filing != "" && d.TimelyFiling.String() != c.filing {
				t.Errorf("timely filing %s, want %s", d.TimelyFiling, c.filing)
			}
			if c.rule != "" && d.Rule != c.rule {
				t.Errorf("rule %q, want %q (%s)", d.Rule, c.rule, d.Text)
			}
			if c.category != "" && d.Category != c.category {
				t.Errorf("category %s, want %s", d.Category, c.category)
			}
			if d.Profile == "" || d.DeadlineSource == "" {
				t.Errorf("profile %q, deadline source %q: the decision must say which profile and source applied", d.Profile, d.DeadlineSource)
			}
			for _, h := range c.has {
				if !strings.Contains(d.Text, h) {
					t.Errorf("text %q does not say %q", d.Text, h)
				}
			}
			for _, h := range c.hasNot {
				if strings.Contains(d.Text, h) {
					t.Errorf("text %q still says %q", d.Text, h)
				}
			}
		})
	}
}

// Without a profile the router keeps remitq's default: remit + 90 days.
func TestNoProfileDefaultDeadline(t *testing.T) {
	d := route.New(route.Config{}).Decide(pcase{payer: "X", proc: "64483", cas: "CO-50:650"}.line(t))
	if d.AppealDeadline.String() != "2026-06-30" || d.Profile != "" || d.Route != "" || !d.TimelyFiling.IsZero() {
		t.Errorf("deadline %s profile %q route %q filing %s", d.AppealDeadline, d.Profile, d.Route, d.TimelyFiling)
	}
}
