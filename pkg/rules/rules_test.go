package rules

import (
	"slices"
	"strings"
	"testing"

	"github.com/remitq/remitq/pkg/day"
)

// ruleCase is one claim checked against a history: want lists every
// finding as "rule@line", in output order; msg, when set, must appear in
// the message of the first finding.
type ruleCase struct {
	name    string
	set     *Set
	lines   []Line
	history []Line
	rec     Records
	want    []string
	msg     string
}

func runCases(t *testing.T, cases []ruleCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.set
			if s == nil {
				s = Default()
			}
			rec := tc.rec
			if tc.history != nil {
				rec.History = hist(tc.history...)
			}
			fs := s.Check(&Claim{ID: "C1", Lines: tc.lines}, &rec)
			if g := got(fs); !slices.Equal(g, tc.want) {
				for _, f := range fs {
					t.Logf("%s@%d %s: %s [%s]", f.Rule, f.Line, f.Severity, f.Message, f.Source)
				}
				t.Fatalf("findings %v, want %v", g, tc.want)
			}
			if tc.msg != "" && !strings.Contains(fs[0].Message, tc.msg) {
				t.Errorf("message %q does not contain %q", fs[0].Message, tc.msg)
			}
			for _, f := range fs {
				if f.Source == "" || f.Category == "" || f.Message == "" || (f.Severity != Deny && f.Severity != Warn) {
					t.Errorf("incomplete finding %+v", f)
				}
			}
		})
	}
}

const dos = "2026-06-02"

func TestFrequencyCap(t *testing.T) {
	shareTIN := &Sharing{SameTIN: true}
	group := &Sharing{}
	group.Declare("P1", "P9")
	rfa := func(date string) Line { return ln(1, "64635", date) }
	esi := func(date string) Line { return ln(1, "64483", date) }
	runCases(t, []ruleCase{
		{name: "fourth lumbar ESI is within the cap",
			lines:   []Line{esi(dos)},
			history: []Line{esi("2025-07-01"), esi("2025-10-01"), ln(1, "62323", "2026-01-05")}},
		{name: "fifth lumbar ESI is over the cap",
			lines:   []Line{esi(dos), ln(2, "64484", dos)},
			history: []Line{esi("2025-07-01"), esi("2025-10-01"), ln(1, "62323", "2026-01-05"), esi("2026-03-01")},
			want:    []string{"frequency_cap@1"},
			msg:     "fifth lumbar/sacral ESI session in 12 months, over the cap of 4 (2025-07-01, 2025-10-01, 2026-01-05, 2026-03-01)"},
		{name: "cervical sessions do not count against the lumbar cap",
			lines:   []Line{esi(dos)},
			history: []Line{ln(1, "64479", "2025-07-01"), ln(1, "64479", "2025-10-01"), ln(1, "62321", "2026-01-05"), ln(1, "64479", "2026-03-01")}},
		{name: "third RFA with the second at another practice of the same TIN",
			lines:   []Line{rfa(dos)},
			history: []Line{rfa("2026-01-10"), at(rfa("2026-06-01"), "X7", "P2", "T1")},
			rec:     Records{Sharing: shareTIN},
			want:    []string{"frequency_cap@1"},
			msg:     "third lumbar/sacral RFA session in 12 months, over the cap of 2 (2026-01-10, 2026-06-01 at another practice)"},
		{name: "a practice of another TIN is not visible without sharing",
			lines:   []Line{rfa(dos)},
			history: []Line{rfa("2026-01-10"), at(rfa("2026-06-01"), "X7", "P9", "T9")},
			rec:     Records{Sharing: shareTIN}},
		{name: "a declared group shares across TINs",
			lines:   []Line{rfa(dos)},
			history: []Line{rfa("2026-01-10"), at(rfa("2026-06-01"), "X7", "P9", "T9")},
			rec:     Records{Sharing: group},
			want:    []string{"frequency_cap@1"}},
		{name: "nothing shared: only the practice's own history",
			lines:   []Line{rfa(dos)},
			history: []Line{rfa("2026-01-10"), at(rfa("2026-06-01"), "X7", "P2", "T1")}},
		{name: "day 365 is inside the window",
			lines:   []Line{rfa(dos)},
			history: []Line{rfa("2025-06-02"), rfa("2026-01-10")},
			want:    []string{"frequency_cap@1"}},
		{name: "day 366 is outside the window",
			lines:   []Line{rfa(dos)},
			history: []Line{rfa("2025-06-01"), rfa("2026-01-10")}},
		{name: "across a leap day the same date a year before is day 366",
			lines:   []Line{rfa("2028-03-01")},
			history: []Line{rfa("2027-03-01"), rfa("2027-09-01")}},
		{name: "denied sessions do not count",
			lines:   []Line{rfa(dos)},
			history: []Line{withStatus(rfa("2026-01-10"), Denied), rfa("2026-03-10")}},
		{name: "another claim of the same practice on the same date is the same session",
			lines:   []Line{rfa(dos)},
			history: []Line{rfa("2026-01-10"), ln(1, "64636", dos)}},
		{name: "an earlier copy of this claim is not history",
			lines: []Line{rfa(dos)},
			rec:   Records{History: func() *Index { x := NewIndex(2); x.Add(at(rfa("2026-01-10"), "H1", "P1", "T1"), rfa(dos)); return x }()}},
		{name: "fifth therapeutic facet session",
			lines:   []Line{ln(1, "64493", dos)},
			history: []Line{ln(1, "64493", "2025-08-01"), ln(1, "64493", "2025-11-01"), ln(1, "64494", "2026-02-01"), ln(1, "64493", "2026-04-01")},
			want:    []string{"frequency_cap@1"},
			msg:     "fifth lumbar/sacral therapeutic facet session"},
		{name: "diagnostic (KX) blocks count apart and warn",
			lines:   []Line{ln(1, "64493", dos, "KX")},
			history: []Line{ln(1, "64493", "2025-08-01"), ln(1, "64493", "2025-11-01", "KX"), ln(1, "64493", "2026-02-01", "KX"), ln(1, "64493", "2026-04-01", "KX"), ln(1, "64493", "2026-05-01", "KX")},
			want:    []string{"frequency_cap@1"},
			msg:     "fifth lumbar/sacral diagnostic facet block session"},
		{name: "payer caps ESI at 3",
			set:     mustPayers(t, `{"payers": {"PAY": {"caps": {"esi": 3}}}}`),
			lines:   []Line{esi(dos)},
			history: []Line{esi("2025-07-01"), esi("2025-10-01"), esi("2026-03-01")},
			want:    []string{"frequency_cap@1"},
			msg:     "fourth lumbar/sacral ESI session in 12 months, over the cap of 3"},
		{name: "another payer keeps the default",
			set:     mustPayers(t, `{"payers": {"OTHER": {"caps": {"esi": 3}}}}`),
			lines:   []Line{esi(dos)},
			history: []Line{esi("2025-07-01"), esi("2025-10-01"), esi("2026-03-01")}},
		{name: "fourth trigger point session warns",
			lines:   []Line{ln(1, "20552", dos)},
			history: []Line{ln(1, "20552", "2025-09-01"), ln(1, "20553", "2025-12-01"), ln(1, "20552", "2026-03-01")},
			want:    []string{"frequency_cap@1"}},
	})
	f := Default().Check(&Claim{ID: "C1", Lines: []Line{ln(1, "20552", dos)}},
		&Records{History: hist(ln(1, "20552", "2025-09-01"), ln(1, "20553", "2025-12-01"), ln(1, "20552", "2026-03-01"))})
	if len(f) != 1 || f[0].Severity != Warn || f[0].Source != "LCD L34211 (trigger point) [LCD-CHECKLIST]" {
		t.Errorf("trigger point cap finding = %+v", f)
	}
}

func TestRFAPrerequisite(t *testing.T) {
	rfa := ln(1, "64635", dos)
	mbb := func(date string) Line { return ln(1, "64493", date, "KX") }
	shared := &Sharing{SameTIN: true}
	runCases(t, []ruleCase{
		{name: "two diagnostic blocks 14 days apart",
			lines: []Line{rfa, ln(2, "64636", dos)}, history: []Line{mbb("2026-04-01"), mbb("2026-04-15")}},
		{name: "blocks 13 days apart",
			lines: []Line{rfa}, history: []Line{mbb("2026-04-01"), mbb("2026-04-14")},
			want: []string{"rfa_prerequisite@1"}, msg: "blocks (2026-04-01, 2026-04-14) are not 14 days apart"},
		{name: "one block",
			lines: []Line{rfa}, history: []Line{mbb("2026-04-01")},
			want: []string{"rfa_prerequisite@1"}, msg: "after 1 qualifying diagnostic medial branch block(s) (2026-04-01)"},
		{name: "no block",
			lines: []Line{rfa},
			want:  []string{"rfa_prerequisite@1"}, msg: "without prior diagnostic medial branch blocks"},
		{name: "blocks in the other region",
			lines: []Line{rfa}, history: []Line{ln(1, "64490", "2026-04-01", "KX"), ln(1, "64490", "2026-04-20", "KX")},
			want: []string{"rfa_prerequisite@1"}},
		{name: "blocks without KX are therapeutic",
			lines: []Line{rfa}, history: []Line{ln(1, "64493", "2026-04-01"), ln(1, "64493", "2026-04-20")},
			want: []string{"rfa_prerequisite@1"}, msg: "facet blocks without KX (2026-04-01, 2026-04-20) count as therapeutic"},
		{name: "a payer without a diagnostic modifier takes any facet block",
			set:   mustPayers(t, `{"payers": {"PAY": {"facet_diagnostic_modifier": ""}}}`),
			lines: []Line{rfa}, history: []Line{ln(1, "64493", "2026-04-01"), ln(1, "64493", "2026-04-20")}},
		{name: "relief under 80 % disqualifies a block",
			lines: []Line{rfa}, history: []Line{mbb("2026-04-01"), mbb("2026-04-20")},
			rec:  Records{Relief: NewReliefBook(Relief{Patient: patA, Date: day.Must("2026-04-20"), Percent: 60})},
			want: []string{"rfa_prerequisite@1"}, msg: "the block of 2026-04-20 gave 60 % relief, under 80 %"},
		{name: "relief of 80 % and more qualifies",
			lines: []Line{rfa}, history: []Line{mbb("2026-04-01"), mbb("2026-04-20")},
			rec: Records{Relief: NewReliefBook(Relief{Patient: patA, Date: day.Must("2026-04-01"), Percent: 80},
				Relief{Patient: patA, Date: day.Must("2026-04-20"), Percent: 90})}},
		{name: "relief of another patient does not count",
			lines: []Line{rfa}, history: []Line{mbb("2026-04-01"), mbb("2026-04-20")},
			rec: Records{Relief: NewReliefBook(Relief{Patient: patB, Date: day.Must("2026-04-20"), Percent: 10})}},
		{name: "blocks at another level",
			lines:   []Line{withLevel(rfa, "L4-L5")},
			history: []Line{withLevel(mbb("2026-04-01"), "L3-L4"), withLevel(mbb("2026-04-20"), "L3-L4")},
			want:    []string{"rfa_prerequisite@1"}, msg: "RFA at L4-L5"},
		{name: "blocks at the same level",
			lines:   []Line{withLevel(rfa, "L4-L5")},
			history: []Line{withLevel(mbb("2026-04-01"), "L4-L5"), withLevel(mbb("2026-04-20"), "L4-L5")}},
		{name: "blocks at another practice that shares",
			lines:   []Line{rfa},
			history: []Line{at(mbb("2026-04-01"), "X1", "P2", "T1"), at(mbb("2026-04-20"), "X2", "P2", "T1")},
			rec:     Records{Sharing: shared}},
		{name: "blocks at a practice that does not share",
			lines:   []Line{rfa},
			history: []Line{at(mbb("2026-04-01"), "X1", "P2", "T2"), at(mbb("2026-04-20"), "X2", "P2", "T2")},
			rec:     Records{Sharing: shared},
			want:    []string{"rfa_prerequisite@1"}},
		{name: "a repeat RFA within two years needs no new blocks",
			lines: []Line{rfa}, history: []Line{ln(1, "64635", "2025-09-01")}},
		{name: "blocks on the RFA date do not count",
			lines: []Line{rfa}, history: []Line{mbb("2026-04-01"), mbb(dos)},
			want: []string{"rfa_prerequisite@1", "ncci_pair@1"}},
	})
}

func TestSCSWithoutTrial(t *testing.T) {
	perm := []Line{ln(1, "63650", dos), ln(2, "63685", dos)}
	runCases(t, []ruleCase{
		{name: "permanent without a trial", lines: perm, want: []string{"scs_without_trial@2"}},
		{name: "permanent after a trial without a documented outcome", lines: perm, history: []Line{ln(1, "63650", "2026-05-10")},
			want: []string{"scs_trial_outcome@2"}, msg: "no documented trial outcome"},
		{name: "permanent after a trial with 60 % relief on record", lines: perm, history: []Line{ln(1, "63650", "2026-05-10")},
			rec: Records{Relief: NewReliefBook(Relief{Patient: patA, Date: day.Must("2026-05-10"), Percent: 60})}},
		{name: "permanent after a trial with 30 % relief on record", lines: perm, history: []Line{ln(1, "63650", "2026-05-10")},
			rec:  Records{Relief: NewReliefBook(Relief{Patient: patA, Date: day.Must("2026-05-10"), Percent: 30})},
			want: []string{"scs_trial_outcome@2"}, msg: "which gave 30 % relief"},
		{name: "a trial over a year before does not count", lines: perm, history: []Line{ln(1, "63650", "2025-05-10")},
			want: []string{"scs_without_trial@2"}},
		{name: "a replacement after an earlier implant", lines: []Line{ln(1, "63685", dos)},
			history: []Line{ln(1, "63650", "2019-05-10"), ln(2, "63685", "2019-05-10")}},
		{name: "the trial itself", lines: []Line{ln(1, "63650", dos)}},
	})
}

func TestSameDayRules(t *testing.T) {
	asc := func(l Line) Line { l = withPOS(l, "24"); l.Taxonomy = "261QA1903X"; return l }
	runCases(t, []ruleCase{
		// imaging_bundled
		{name: "77003 with a code that includes imaging",
			lines: []Line{ln(1, "64483", dos), ln(2, "77003", dos)},
			want:  []string{"imaging_bundled@2"}, msg: "77003 billed with 64483, whose code includes imaging guidance"},
		{name: "77012 with RFA", lines: []Line{ln(1, "64635", dos), ln(2, "77012", dos)}, want: []string{"imaging_bundled@2"},
			history: []Line{ln(1, "64635", "2025-12-01")}},
		{name: "77003 with a without-imaging code",
			lines: []Line{ln(1, "62322", dos), ln(2, "77003", dos)},
			want:  []string{"imaging_bundled@2"}, msg: "a without-imaging code"},
		{name: "77003 with its own primary", lines: []Line{ln(1, "64510", dos), ln(2, "77003", dos)}},
		{name: "77003 with its own primary beside an imaging-inclusive code, with 59",
			lines: []Line{ln(1, "64483", dos), ln(2, "64520", dos, "59"), ln(3, "77003", dos, "59")}},
		{name: "77003 with its own primary beside an imaging-inclusive code, without 59",
			lines: []Line{ln(1, "64483", dos), ln(2, "64520", dos, "59"), ln(3, "77003", dos)},
			want:  []string{"ncci_pair@3"}},
		// ncci_pair
		{name: "indicator 0 pair with a modifier",
			lines: []Line{ln(1, "62323", dos), ln(2, "62322", dos, "59")},
			want:  []string{"ncci_pair@2"}, msg: "never paid together"},
		{name: "indicator 1 pair without a modifier",
			lines: []Line{ln(1, "62323", dos), ln(2, "64483", dos)},
			want:  []string{"ncci_pair@2"}, msg: "64483 is bundled into 62323"},
		{name: "indicator 1 pair with XS", lines: []Line{ln(1, "62323", dos), ln(2, "64483", dos, "XS")}},
		{name: "a pair across two claims of the practice on one date",
			lines: []Line{ln(1, "62323", dos)}, history: []Line{ln(1, "64483", dos)},
			want: []string{"ncci_pair@1"}},
		{name: "no pair across practices", lines: []Line{ln(1, "62323", dos)},
			history: []Line{at(ln(1, "64483", dos), "X1", "P2", "T1")}, rec: Records{Sharing: &Sharing{SameTIN: true}}},
		// mue
		{name: "units over an MAI 2 MUE", lines: []Line{withUnits(ln(1, "64483", dos), 2)},
			want: []string{"mue@1"}, msg: "2 units of 64483 on 2026-06-02, over the NCCI limit of 1 per day (MUE indicator 2"},
		{name: "units over an MAI 3 MUE", lines: []Line{ln(1, "64483", dos), withUnits(ln(2, "64484", dos), 5)},
			want: []string{"mue@2"}, msg: "payable on appeal"},
		{name: "units within the MUE", lines: []Line{ln(1, "64483", dos), withUnits(ln(2, "64484", dos), 4)}},
		{name: "MUE per day across lines", lines: []Line{ln(1, "64483", dos, "XS"), ln(2, "64483", dos, "59")},
			want: []string{"mue@1"}},
		{name: "LT and RT lines in an ASC are one per side",
			lines: []Line{asc(ln(1, "64493", dos, "LT")), asc(ln(2, "64493", dos, "RT"))}},
		// addon_without_primary
		{name: "add-on alone", lines: []Line{ln(1, "64484", dos)},
			want: []string{"addon_without_primary@1"}, msg: "add-on code 64484 billed on 2026-06-02 without one of its primary codes (64483)"},
		{name: "add-on with its primary", lines: []Line{ln(1, "64493", dos), ln(2, "64494", dos)}},
		{name: "add-on with another listed primary", lines: []Line{ln(1, "64490", dos), ln(2, "64494", dos)}},
		{name: "add-on with its primary on another claim that day", lines: []Line{ln(2, "64636", dos)},
			history: []Line{ln(1, "64635", dos), ln(1, "64635", "2025-11-01")}},
		// facet_trigger_point
		{name: "facet and trigger point without 59/XU", lines: []Line{ln(1, "64493", dos), ln(2, "20552", dos)},
			want: []string{"facet_trigger_point@1"}, msg: "facet injection 64493 and trigger point injection 20552"},
		{name: "facet with XU and trigger point", lines: []Line{ln(1, "64493", dos, "XU"), ln(2, "20552", dos)}},
		{name: "facet and trigger point with 59", lines: []Line{ln(1, "64493", dos), ln(2, "20553", dos, "59")}},
		// trigger_point_units
		{name: "two trigger point units on a line", lines: []Line{withUnits(ln(1, "20553", dos), 2)},
			want: []string{"trigger_point_units@1"}, msg: "2 trigger point units"},
		{name: "20552 and 20553 on one date", lines: []Line{ln(1, "20552", dos), ln(2, "20553", dos)},
			want: []string{"trigger_point_units@1"}},
		{name: "one trigger point unit", lines: []Line{ln(1, "20553", dos)}},
		// em_without_25
		{name: "E/M with a procedure without 25", lines: []Line{ln(1, "99213", dos), ln(2, "64483", dos)},
			want: []string{"em_without_25@1"}, msg: "E/M 99213 billed on 2026-06-02 with 64483 without modifier 25"},
		{name: "E/M with 25", lines: []Line{ln(1, "99213", dos, "25"), ln(2, "64483", dos)}},
		{name: "the E/M finding does not hide other findings of its lines",
			lines: []Line{ln(1, "99213", dos), withUnits(ln(2, "64483", dos), 2), ln(3, "62323", dos)},
			want:  []string{"em_without_25@1", "ncci_pair@2", "mue@2"}},
		{name: "77003 with an imaging-inclusive code and a trigger point",
			lines: []Line{ln(1, "64483", dos), ln(2, "20552", dos, "59"), ln(3, "77003", dos)},
			want:  []string{"imaging_bundled@3"}},
		{name: "E/M with drug tests and a drug only", lines: []Line{ln(1, "99214", dos), ln(2, "80305", dos), ln(3, "J1040", dos)}},
		{name: "E/M on another claim of the practice that day", lines: []Line{ln(1, "64483", dos)},
			history: []Line{ln(1, "99213", dos)}, want: []string{"em_without_25@1"}},
		// udt_duplicate
		{name: "two presumptive tests", lines: []Line{ln(1, "80305", dos), ln(2, "80307", dos)},
			want: []string{"udt_duplicate@1"}, msg: "2 presumptive drug tests on 2026-06-02 (80305, 80307)"},
		{name: "one presumptive and one definitive", lines: []Line{ln(1, "80307", dos), ln(2, "G0483", dos)}},
		{name: "two definitive units", lines: []Line{ln(1, "80307", dos), withUnits(ln(2, "G0481", dos), 2)},
			want: []string{"udt_duplicate@2"}},
		{name: "a presumptive test the same day at a sharing practice",
			lines: []Line{ln(1, "80307", dos)}, history: []Line{at(ln(1, "80305", dos), "X1", "P2", "T1")},
			rec: Records{Sharing: &Sharing{SameTIN: true}}, want: []string{"udt_duplicate@1"}, msg: "some at another practice"},
		{name: "a presumptive test the same day at a practice that does not share",
			lines: []Line{ln(1, "80307", dos)}, history: []Line{at(ln(1, "80305", dos), "X1", "P2", "T2")},
			rec: Records{Sharing: &Sharing{SameTIN: true}}},
	})
}

func TestModifierRules(t *testing.T) {
	asc := func(l Line) Line { l = withPOS(l, "24"); l.Taxonomy = "261QA1903X"; return l }
	runCases(t, []ruleCase{
		{name: "50 on an add-on where the payer takes no 50 on add-ons",
			set:   mustPayers(t, `{"payers": {"PAY": {"modifier_50_on_addons": false}}}`),
			lines: []Line{ln(1, "64493", dos, "50"), ln(2, "64494", dos, "50")},
			want:  []string{"modifier_50_addon@2"}},
		{name: "a payer that takes 50 on add-ons",
			set:   mustPayers(t, `{"payers": {"PAY": {"modifier_50_on_addons": true}}}`),
			lines: []Line{ln(1, "64493", dos, "50"), ln(2, "64494", dos, "50")}},
		{name: "50 on a trigger point", lines: []Line{ln(1, "20552", dos, "50")},
			want: []string{"modifier_50_not_bilateral@1"}, msg: "one unit per session"},
		{name: "50 on a bilateral-eligible primary", lines: []Line{ln(1, "64493", dos, "50")}},
		{name: "LT and 50 on one line", lines: []Line{ln(1, "64493", dos, "50", "LT")},
			want: []string{"laterality_conflict@1"}, msg: "both LT and 50"},
		{name: "LT and RT on one line", lines: []Line{ln(1, "64483", dos, "LT", "RT")},
			want: []string{"laterality_conflict@1"}},
		{name: "ASC bilateral facet with 50", lines: []Line{asc(ln(1, "64493", dos, "50"))},
			want: []string{"asc_bilateral@1"}, msg: "ASC claims take bilateral as two lines, 64493-LT and 64493-RT"},
		{name: "ASC bilateral facet as two units", lines: []Line{asc(withUnits(ln(1, "64493", dos), 2))},
			want: []string{"asc_bilateral@1"}},
		{name: "ASC bilateral facet as LT and RT lines",
			lines: []Line{asc(ln(1, "64493", dos, "LT")), asc(ln(2, "64493", dos, "RT")), asc(ln(3, "64494", dos, "LT")), asc(ln(4, "64494", dos, "RT"))}},
		{name: "a payer that takes 50 in an ASC",
			set:   mustPayers(t, `{"payers": {"PAY": {"asc_bilateral": "50"}}}`),
			lines: []Line{asc(ln(1, "64493", dos, "50"))}},
		{name: "office bilateral as LT and RT lines where 50 is expected",
			lines: []Line{ln(1, "64493", dos, "LT"), ln(2, "64493", dos, "RT")},
			want:  []string{"bilateral_style@2"}, msg: "one line with modifier 50"},
		{name: "a payer that takes LT and RT everywhere",
			set:   mustPayers(t, `{"payers": {"PAY": {"bilateral": "lt_rt"}}}`),
			lines: []Line{ln(1, "64493", dos, "LT"), ln(2, "64493", dos, "RT")}},
		{name: "the same payer and 50",
			set:   mustPayers(t, `{"payers": {"PAY": {"bilateral": "lt_rt"}}}`),
			lines: []Line{ln(1, "64493", dos, "50")},
			want:  []string{"bilateral_style@1"}},
		{name: "a disabled rule", set: mustPayers(t, `{"payers": {"*": {"disable": ["modifier_50_not_bilateral"]}}}`),
			lines: []Line{ln(1, "20552", dos, "50")}},
	})
}

func TestPriorAuth(t *testing.T) {
	book := func(as ...Auth) *AuthBook { return NewAuthBook(as...) }
	auth := Auth{Number: "AUTH1", Payer: "PAY", Patient: patA, Codes: []string{"64483"}, NPI: "1111111111",
		From: day.Must("2026-05-01"), To: day.Must("2026-07-31"), Units: 2}
	mod := func(f func(*Auth)) Auth { a := auth; a.Codes = append([]string(nil), a.Codes...); f(&a); return a }
	runCases(t, []ruleCase{
		{name: "no number, no book", lines: []Line{withAuth(ln(1, "64483", dos), "")},
			want: []string{"prior_auth_missing@1"}, msg: "no authorization number on the line or the claim"},
		{name: "a number, no book", lines: []Line{ln(1, "64483", dos)}},
		{name: "an E/M needs none", lines: []Line{withAuth(ln(1, "99213", dos), "")}},
		{name: "a payer without prior auth", set: mustPayers(t, `{"payers": {"PAY": {"prior_auth": false}}}`),
			lines: []Line{withAuth(ln(1, "64483", dos), "")}},
		{name: "a payer's own code list", set: mustPayers(t, `{"payers": {"PAY": {"prior_auth_codes": ["20552"]}}}`),
			lines: []Line{withAuth(ln(1, "64483", dos), ""), withAuth(ln(2, "20552", "2026-06-03"), "")},
			want:  []string{"prior_auth_missing@2"}},
		{name: "valid auth on file", lines: []Line{ln(1, "64483", dos), ln(2, "64484", dos)}, rec: Records{Auths: book(auth)}},
		{name: "no number but an auth on file", lines: []Line{withAuth(ln(1, "64483", dos), "")}, rec: Records{Auths: book(auth)},
			want: []string{"prior_auth_missing@1"}, msg: "authorization AUTH1 on file covers it"},
		{name: "no number and nothing on file", lines: []Line{withAuth(ln(1, "64483", dos), "")},
			rec: Records{Auths: book(mod(func(a *Auth) { a.Patient = patB }))}, want: []string{"prior_auth_missing@1"}, msg: "none on file"},
		{name: "a number not on file", lines: []Line{withAuth(ln(1, "64483", dos), "ZZ9")}, rec: Records{Auths: book(auth)},
			want: []string{"prior_auth_missing@1"}, msg: "not on file"},
		{name: "expired", lines: []Line{ln(1, "64483", "2026-08-01")}, rec: Records{Auths: book(auth)},
			want: []string{"prior_auth_expired@1"}, msg: "authorization AUTH1 expired on 2026-07-31, before the date of service 2026-08-01"},
		{name: "not yet valid", lines: []Line{ln(1, "64483", "2026-04-30")}, rec: Records{Auths: book(auth)},
			want: []string{"prior_auth_expired@1"}, msg: "starts on 2026-05-01"},
		{name: "last valid day", lines: []Line{ln(1, "64483", "2026-07-31")}, rec: Records{Auths: book(auth)}},
		{name: "issued for another CPT", lines: []Line{ln(1, "64635", dos)}, rec: Records{Auths: book(auth)},
			history: []Line{ln(1, "64635", "2025-12-01")},
			want:    []string{"prior_auth_mismatch@1"}, msg: "issued for 64483, not 64635"},
		{name: "issued for another provider", lines: []Line{ln(1, "64483", dos)},
			rec:  Records{Auths: book(mod(func(a *Auth) { a.NPI = "2222222222" }))},
			want: []string{"prior_auth_mismatch@1"}, msg: "rendering provider NPI 2222222222"},
		{name: "units over the auth", lines: []Line{ln(1, "64483", dos)}, rec: Records{Auths: book(auth)},
			history: []Line{ln(1, "64483", "2026-05-05"), ln(1, "64483", "2026-05-20")},
			want:    []string{"prior_auth_units@1"}, msg: "3 units billed under authorization AUTH1, which allows 2"},
	})
}

func TestCheckClaimsBatch(t *testing.T) {
	rfa := func(claim, date string) *Claim {
		l := ln(1, "64635", date)
		l.Claim = claim
		return &Claim{ID: claim, Lines: []Line{l}}
	}
	// Three RFA claims in one file: only the third is over the cap.
	cs := []*Claim{rfa("B1", "2026-01-10"), rfa("B2", "2026-03-01"), rfa("B3", "2026-06-02")}
	fs := Default().CheckClaims(cs, &Records{History: hist(ln(1, "64493", "2025-12-01", "KX"), ln(1, "64493", "2025-12-20", "KX"))})
	if len(fs) != 1 || fs[0].Claim != "B3" || fs[0].Rule != RuleFrequencyCap ||
		!strings.Contains(fs[0].Message, "third lumbar/sacral RFA session in 12 months, over the cap of 2 (2026-01-10, 2026-03-01)") {
		t.Errorf("batch findings %+v", fs)
	}
	// A claim both in the history and in the batch counts once.
	x := hist(ln(1, "64635", "2025-12-01"))
	x.Add(rfa("B2", "2026-03-01").Lines...)
	fs = Default().CheckClaims([]*Claim{rfa("B2", "2026-03-01"), rfa("B3", "2026-06-02")}, &Records{History: x})
	if len(fs) != 1 || fs[0].Claim != "B3" || !strings.Contains(fs[0].Message, "third") {
		t.Errorf("findings with a duplicate claim %+v", fs)
	}
}

func TestCheckClaimsWithoutIDs(t *testing.T) {
	l := ln(1, "64483", dos)
	l.Claim = ""
	fs := Default().CheckClaims([]*Claim{{Lines: []Line{l}}}, nil)
	if len(fs) != 0 {
		t.Errorf("a claim without an ID counted itself: %+v", fs)
	}
}
