package rules

import (
	"bytes"
	"strings"
	"testing"

	"github.com/remitq/remitq/pkg/day"
)

// under returns l billed to a payer of the given claim filing indicator
// (MB Medicare Part B, CI commercial, MC Medicaid) from a practice in state.
func under(l Line, filing, state string) Line {
	l.Payer, l.Filing, l.State, l.Auth = "P-"+filing, filing, state, ""
	return l
}

func mcr(l Line) Line  { return under(l, "MB", "CA") }
func com(l Line) Line  { return under(l, "CI", "CA") }
func mcd(l Line) Line  { return under(l, "MC", "CA") }
func ascF(l Line) Line { l.POS, l.Taxonomy = "24", "261QA1903X"; return l }

func TestShippedProfiles(t *testing.T) {
	ps := DefaultProfiles()
	for _, id := range []string{"medicare_part_b", "medicare_advantage", "medicaid", "commercial"} {
		p := ps.Get(id, day.Must("2026-06-01"))
		if p == nil {
			t.Fatalf("no shipped profile %s", id)
		}
		if p.TimelyFiling.Source == "" || len(p.Appeals) == 0 || p.Appeals[0].Source == "" || p.BilateralSource == "" {
			t.Errorf("%s: a value without its source: %+v", id, p)
		}
		for _, r := range p.PriorAuth {
			if r.Source == "" {
				t.Errorf("%s: prior-auth list %s without a source", id, r.Program)
			}
		}
	}
	// Every state has a MAC; Medicare lines name theirs.
	for _, st := range []string{"AZ", "CA", "TX", "NJ", "OH", "NY", "FL", "WA", "PA", "MI"} {
		if _, ok := ps.MACOf(st); !ok {
			t.Errorf("no MAC for %s", st)
		}
	}
	if p := ps.Resolve("X", "MB", "AZ", day.Must("2026-06-01")); p == nil || !strings.HasPrefix(p.MAC, "JF") {
		t.Errorf("Medicare in AZ: %+v, want the JF profile", p)
	}
	if p := ps.Resolve("X", "", "AZ", day.Must("2026-06-01")); p != nil {
		t.Errorf("an unmapped payer without a filing indicator got %s", p.ID)
	}
	med := ps.Get("medicare_part_b", day.Must("2026-06-01"))
	if a, _ := med.FirstAppeal(); a.Days != 120 || med.TimelyFiling.Days != 365 || med.Correction != CorrectionReopening {
		t.Errorf("Medicare: appeal %d days, timely filing %d, correction %s; want 120, 365, reopening", a.Days, med.TimelyFiling.Days, med.Correction)
	}
}

func TestProfileVersions(t *testing.T) {
	f := ShippedProfileFile()
	p := f.Profiles[3] // commercial
	p.Effective, p.TimelyFiling.Days = "2026-09-01", 120
	ps, err := NewProfiles(f, []Profile{p}, map[string]string{"60054": "commercial"})
	if err != nil {
		t.Fatal(err)
	}
	if got := ps.Resolve("60054", "", "CA", day.Must("2026-08-31")).TimelyFiling.Days; got != 90 {
		t.Errorf("before the new version: %d days, want 90", got)
	}
	if got := ps.Resolve("60054", "", "CA", day.Must("2026-09-01")).TimelyFiling.Days; got != 120 {
		t.Errorf("from the new version: %d days, want 120", got)
	}
	if _, err := ParseProfile([]byte(`{"id":"x","plan":"medicare","effective":"2026-01-01","timely_filing":{"days":0},"correction":"reopening"}`)); err == nil {
		t.Error("a profile without a timely-filing limit was accepted")
	}
	var buf bytes.Buffer
	buf.Write(embeddedProfiles)
	if _, err := ParseProfileFile(&buf); err != nil {
		t.Fatal(err)
	}
}

// TestIssue16 reproduces each rule case of issue 16 "What was wrong": the
// same claims under the Medicare, commercial and Medicaid profiles.
func TestIssue16(t *testing.T) {
	medicaidUDT := func() *Set {
		f := ShippedProfileFile()
		for i := range f.Profiles {
			if f.Profiles[i].ID == "medicaid" {
				f.Profiles[i].UDTDefinitivePer12Months, f.Profiles[i].UDTSource = 2, "test: a state policy of 2 definitive test dates per 12 months"
			}
		}
		ps, err := NewProfiles(f, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		return Default().WithProfiles(ps)
	}()
	blocks := func(f func(Line) Line) []Line {
		return []Line{f(ln(1, "64493", "2026-04-01")), f(ln(1, "64493", "2026-04-20"))}
	}
	kxBlocks := func(f func(Line) Line) []Line {
		return []Line{f(ln(1, "64493", "2026-04-01", "KX")), f(ln(1, "64493", "2026-04-20", "KX"))}
	}
	runCases(t, []ruleCase{
		// prior_auth_missing: traditional Medicare office claims need none outside WISeR.
		{name: "Medicare office ESI in CA needs no prior auth", lines: []Line{mcr(ln(1, "64483", dos))}},
		{name: "Medicare office facet in CA needs no prior auth", lines: []Line{mcr(ln(1, "64493", dos))}},
		{name: "Medicare office ESI in TX is under WISeR (warn)", lines: []Line{under(ln(1, "64483", dos), "MB", "TX")},
			want: []string{"prior_auth_missing@1"}, msg: "needs prior authorization under WISeR"},
		{name: "Medicare ESI in TX before WISeR started", lines: []Line{under(ln(1, "64483", "2025-12-15"), "MB", "TX")}},
		{name: "Medicare facet in a hospital outpatient department (OPD list, warn)",
			lines: []Line{withPOS(mcr(ln(1, "64493", dos)), "22")}, want: []string{"prior_auth_missing@1"}, msg: "under OPD"},
		{name: "commercial office ESI needs prior auth", lines: []Line{com(ln(1, "64483", dos))},
			want: []string{"prior_auth_missing@1"}},
		{name: "Medicaid office ESI needs prior auth", lines: []Line{mcd(ln(1, "64483", dos))},
			want: []string{"prior_auth_missing@1"}},
		// Modifier 50 on bilateral add-ons is right on Medicare (50 x1).
		{name: "Medicare 64483-50 with 64484-50", lines: []Line{mcr(ln(1, "64483", dos, "50")), mcr(ln(2, "64484", dos, "50"))}},
		{name: "Medicare 64493-50 with 64494-50", lines: []Line{mcr(ln(1, "64493", dos, "50")), mcr(ln(2, "64494", dos, "50"))}},
		{name: "Medicare 64635-50 with 64636-50", lines: []Line{mcr(ln(1, "64635", dos, "50")), mcr(ln(2, "64636", dos, "50"))},
			history: kxBlocks(mcr)},
		// RT+LT add-on lines break the MUE (1, MAI 2) where the payer takes 50 x1.
		{name: "Medicare 64493-50 with 64494-RT and 64494-LT",
			lines: []Line{mcr(ln(1, "64493", dos, "50")), mcr(ln(2, "64494", dos, "RT")), mcr(ln(3, "64494", dos, "LT"))},
			want:  []string{"bilateral_style@2"}, msg: "64494 billed as two lines LT and RT"},
		{name: "a payer that takes RT and LT lines: 64494-RT and 64494-LT are fine",
			set:   mustPayers(t, `{"payers": {"PAY": {"bilateral": "lt_rt"}}}`),
			lines: []Line{ln(1, "64493", dos, "RT"), ln(2, "64493", dos, "LT"), ln(3, "64494", dos, "RT"), ln(4, "64494", dos, "LT")}},
		// The ASC form belongs to the ASC's own claim, not the physician's at POS 24.
		{name: "the physician's claim at POS 24 takes 50", lines: []Line{withPOS(mcr(ln(1, "64493", dos, "50")), "24")}},
		{name: "the ASC's facility claim takes RT and LT", lines: []Line{ascF(mcr(ln(1, "64493", dos, "50")))},
			want: []string{"asc_bilateral@1"}},
		// KX marks diagnostic blocks on Medicare only.
		{name: "commercial RFA after two blocks without KX", lines: []Line{withAuth(com(ln(1, "64635", dos)), "A1")}, history: blocks(com)},
		{name: "Medicare RFA after two blocks without KX", lines: []Line{mcr(ln(1, "64635", dos))}, history: blocks(mcr),
			want: []string{"rfa_prerequisite@1"}, msg: "count as therapeutic"},
		{name: "Medicare RFA after two KX blocks", lines: []Line{mcr(ln(1, "64635", dos))}, history: kxBlocks(mcr)},
		{name: "Medicaid RFA after two blocks without KX", lines: []Line{withAuth(mcd(ln(1, "64635", dos)), "A1")}, history: blocks(mcd)},
		// Repeat RFA at the same site within 6 months.
		{name: "repeat RFA at L4-L5 three months after the last",
			lines:   []Line{withLevel(mcr(ln(1, "64635", dos)), "L4-L5")},
			history: append(kxBlocks(mcr), withLevel(mcr(ln(1, "64635", "2026-05-01")), "L4-L5")),
			want:    []string{"rfa_repeat_relief@1"}, msg: "only 32 days after the RFA of 2026-05-01"},
		{name: "repeat RFA at L4-L5 eight months after the last, no relief record",
			lines:   []Line{withLevel(mcr(ln(1, "64635", "2026-12-10")), "L4-L5")},
			history: append(kxBlocks(mcr), withLevel(mcr(ln(1, "64635", "2026-04-30")), "L4-L5")),
			want:    []string{"rfa_repeat_relief@1"}, msg: "record the relief from the chart (relief record dated 2026-04-30)"},
		{name: "repeat RFA eight months after the last, 70 % relief on record",
			lines:   []Line{withLevel(mcr(ln(1, "64635", "2026-12-10")), "L4-L5")},
			history: append(kxBlocks(mcr), withLevel(mcr(ln(1, "64635", "2026-04-30")), "L4-L5")),
			rec:     Records{Relief: NewReliefBook(Relief{Patient: patA, Date: day.Must("2026-04-30"), Percent: 70})}},
		{name: "RFA at L5-S1 a month after one at L3-L4 is another site",
			lines:   []Line{withLevel(mcr(ln(1, "64635", dos)), "L5-S1")},
			history: append(kxBlocks(mcr), withLevel(mcr(ln(1, "64635", "2026-05-01")), "L3-L4"), withLevel(mcr(ln(1, "64493", "2026-04-02", "KX")), "L5-S1"), withLevel(mcr(ln(1, "64493", "2026-04-21", "KX")), "L5-S1"))},
		// Permanent SCS after a trial without a documented outcome.
		{name: "63685 after a trial without an outcome on record", lines: []Line{mcr(ln(1, "63685", dos))},
			history: []Line{mcr(ln(1, "63650", "2026-05-10"))}, want: []string{"scs_trial_outcome@1"}, msg: "relief record dated 2026-05-10"},
		// Definitive drug tests per rolling 12 months, a payer setting.
		{name: "third definitive test date in 12 months under a limit of 2", set: medicaidUDT,
			lines: []Line{mcd(ln(1, "G0480", dos))}, history: []Line{mcd(ln(1, "G0480", "2026-01-05")), mcd(ln(1, "G0481", "2026-03-05"))},
			want: []string{"frequency_cap@1"}, msg: "third definitive drug test session in 12 months, over the cap of 2"},
		{name: "the same tests under Medicare (no limit shipped)",
			lines: []Line{mcr(ln(1, "G0480", dos))}, history: []Line{mcr(ln(1, "G0480", "2026-01-05")), mcr(ln(1, "G0481", "2026-03-05"))}},
	})
}

// TestFindingsNameTheirProfile: every finding says which profile it applied.
func TestFindingsNameTheirProfile(t *testing.T) {
	fs := Default().Check(&Claim{ID: "C1", Lines: []Line{under(ln(1, "64483", dos), "MB", "AZ"), under(ln(2, "77003", dos), "MB", "AZ")}}, nil)
	if len(fs) != 2 {
		t.Fatalf("findings %v", got(fs))
	}
	for _, f := range fs {
		if f.Profile != "medicare_part_b (JF Noridian) 2026-01-01" {
			t.Errorf("%s: profile %q", f.Rule, f.Profile)
		}
	}
	if fs := Default().Check(&Claim{ID: "C1", Lines: []Line{ln(1, "77003", dos)}}, nil); len(fs) != 1 || fs[0].Profile != DefaultProfileID {
		t.Errorf("an unmapped payer: %+v", fs)
	}
}
