package rules

import (
	"strings"
	"testing"

	"github.com/remitq/remitq/pkg/day"
)

func TestExplain(t *testing.T) {
	shared := &Sharing{SameTIN: true}
	denied := func(l Line) Line { l.Status = Denied; return l }
	for _, tc := range []struct {
		name     string
		line     Line
		carc     string
		history  []Line
		rec      Records
		rule     string
		category string
		msg      []string
	}{
		{name: "third lumbar RFA: frequency limit with the other practice's session",
			line: denied(ln(1, "64635", "2026-07-01")), carc: "CO-119",
			history:  []Line{ln(1, "64635", "2026-01-10"), at(ln(1, "64635", "2026-06-02"), "X9", "P2", "T1")},
			rec:      Records{Sharing: shared},
			rule:     RuleFrequencyCap,
			category: "frequency_limit",
			msg:      []string{"third lumbar/sacral RFA session in 12 months", "2026-01-10, 2026-06-02 at another practice"}},
		{name: "frequency denial the visible history cannot explain: the payer's signal",
			line: denied(ln(1, "64635", "2026-07-01")), carc: "119",
			history:  []Line{ln(1, "64635", "2026-01-10"), at(ln(1, "64635", "2026-06-02"), "X9", "P2", "T2")},
			rec:      Records{Sharing: shared},
			rule:     RuleFrequencyCap,
			category: "frequency_limit",
			msg:      []string{"the payer reports the 12 months limit reached (CARC 119)", "1 earlier lumbar/sacral RFA session(s)", "(2026-01-10)"}},
		{name: "frequency denial with nothing visible",
			line: denied(ln(1, "64493", "2026-07-01")), carc: "119",
			rule: RuleFrequencyCap, category: "frequency_limit",
			msg: []string{"0 earlier lumbar/sacral therapeutic facet session(s) in 12 months are visible to this practice (none)"}},
		{name: "bundled guidance, the claim rebuilt from history",
			line: denied(ln(2, "77003", "2026-07-01")), carc: "97",
			history:  []Line{at(ln(1, "64483", "2026-07-01"), "C1", "P1", "T1")},
			rule:     RuleImagingBundled,
			category: "coding_bundling",
			msg:      []string{"77003 billed with 64483"}},
		{name: "missing authorization",
			line: denied(withAuth(ln(1, "64483", "2026-07-01"), "")), carc: "197",
			rule: RulePriorAuthMissing, category: "authorization",
			msg: []string{"needs prior authorization"}},
		{name: "RFA without blocks is medical necessity",
			line: denied(ln(1, "64635", "2026-07-01")), carc: "50",
			history: []Line{ln(1, "64493", "2026-05-01", "KX")},
			rule:    RuleRFAPrerequisite, category: "medical_necessity",
			msg: []string{"after 1 qualifying diagnostic medial branch block(s) (2026-05-01)"}},
		{name: "E/M denied for bundling",
			line: denied(ln(1, "99213", "2026-07-01")), carc: "CO-236",
			history: []Line{at(ln(2, "64493", "2026-07-01", "KX"), "C1", "P1", "T1")},
			rule:    RuleEMWithout25, category: "modifier",
			msg: []string{"without modifier 25"}},
		{name: "a CARC the map does not know takes any deny finding",
			line: denied(ln(1, "20552", "2026-07-01", "50")), carc: "A1",
			rule: RuleModifier50NotBilateral, category: "modifier"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := tc.rec
			x := NewIndex(0)
			x.Add(tc.line)
			for i, h := range tc.history {
				if h.Claim == "C1" && h.Number == 1 {
					h.Claim = "H" + itoa(i)
				}
				x.Add(h)
			}
			rec.History = x
			f, ok := Default().Explain(tc.line, tc.carc, &rec)
			if !ok {
				t.Fatal("no explanation")
			}
			if f.Rule != tc.rule || f.Category != tc.category || f.Line != tc.line.Number || f.Claim != tc.line.Claim {
				t.Fatalf("explanation %+v, want rule %s category %s on line %d", f, tc.rule, tc.category, tc.line.Number)
			}
			for _, m := range tc.msg {
				if !strings.Contains(f.Message, m) {
					t.Errorf("message %q does not contain %q", f.Message, m)
				}
			}
		})
	}
}

func TestExplainNothing(t *testing.T) {
	rec := &Records{History: hist(ln(1, "64635", "2025-01-10"))}
	for _, tc := range []struct {
		line Line
		carc string
	}{
		{ln(1, "64635", "2026-07-01"), "197"},   // auth number on the line, no book: nothing to say
		{ln(1, "99213", "2026-07-01"), "16"},    // unknown CARC, clean line
		{ln(1, "J1040", "2026-07-01"), "119"},   // a drug: no cap to explain a frequency denial
		{ln(1, "J1040", "2026-07-01"), "CO-4"},  // modifier CARC, nothing wrong with the modifiers
		{ln(1, "64493", "2026-07-01"), "CO-50"}, // medical necessity under the cap: not the payer's frequency signal
	} {
		if f, ok := Default().Explain(tc.line, tc.carc, rec); ok {
			t.Errorf("%s with CARC %s explained as %+v", tc.line.Procedure, tc.carc, f)
		}
	}
}

func TestUsage(t *testing.T) {
	x := hist(
		ln(1, "64635", "2026-01-10"), withStatus(ln(1, "64636", "2026-01-10"), Paid),
		withStatus(ln(1, "64635", "2026-03-01"), Denied),
		at(ln(1, "64633", "2026-02-01"), "X1", "P2", "T1"),
		at(ln(1, "64635", "2026-04-01"), "X2", "P3", "T3"), // not shared
		ln(1, "64483", "2025-05-01"),                       // out of the window
		ln(1, "64483", "2025-08-01"),
	)
	us := Default().Usage(patA, "P1", "T1", "PAY", day.Must("2026-06-02"), &Records{History: x, Sharing: &Sharing{SameTIN: true}})
	var sum []string
	for _, u := range us {
		var ss []string
		for _, s := range u.Sessions {
			o := ""
			if s.OtherPractice {
				o = "*"
			}
			ss = append(ss, s.Date.String()+o+":"+s.Status.String()+":"+strings.Join(s.Codes, "+"))
		}
		sum = append(sum, u.Cap+"/"+u.Region+" counted "+itoa(u.Counted)+" paid "+itoa(u.Paid)+" ["+strings.Join(ss, " ")+"]")
	}
	want := []string{
		"esi/lumbar_sacral counted 1 paid 0 [2025-08-01:billed:64483]",
		"rfa/cervical_thoracic counted 1 paid 0 [2026-02-01*:billed:64633]",
		"rfa/lumbar_sacral counted 1 paid 1 [2026-01-10:paid:64635+64636 2026-03-01:denied:64635]",
	}
	if strings.Join(sum, "\n") != strings.Join(want, "\n") {
		t.Errorf("usage\n%s\nwant\n%s", strings.Join(sum, "\n"), strings.Join(want, "\n"))
	}
}

func TestExplainsCARC(t *testing.T) {
	for carc, want := range map[string]bool{"119": true, "CO-197": true, " b15 ": true, "16": false, "CO-45": false, "": false} {
		if got := Default().ExplainsCARC(carc); got != want {
			t.Errorf("ExplainsCARC(%q) = %v, want %v", carc, got, want)
		}
	}
}
