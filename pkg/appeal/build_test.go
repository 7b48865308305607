package appeal_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/remitq/remitq/carc"
	"github.com/remitq/remitq/pkg/appeal"
	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/route"
	"github.com/remitq/remitq/pkg/rules"
)

// category is one appealable root cause with its lines and what the letter
// and the checklist must say.
type category struct {
	name      string
	lines     []appeal.DeniedLine
	text      []string // in Text()
	checklist []string // in some checklist item
}

func categories() []category {
	auth := &appeal.Auth{Number: "PA-7781234", From: day.New(2026, 6, 15), Through: day.New(2026, 9, 15), Units: 2,
		Codes: []string{"64483", "64484"}}
	return []category{
		{
			name: "authorization/TFESI",
			lines: []appeal.DeniedLine{
				line(1, "64483", []string{"LT"}, "950.00", appealCause(carc.Authorization, "prior authorization missing"),
					appeal.Evidence{Auth: auth}, adj("CO", "197", "950.00")),
				line(2, "64484", []string{"LT"}, "410.00", appealCause(carc.Authorization, "prior authorization missing"),
					appeal.Evidence{Auth: auth}, adj("CO", "197", "410.00")),
			},
			text: []string{"Prior authorization PA-7781234", "valid from 2026-06-15 through 2026-09-15", "for 64483, 64484",
				"(2 unit(s) authorized)", "Line 1: 64483-LT x1 on 2026-07-01 (prior authorization)", "Line 2: 64484-LT x1",
				"CO-197 (950.00)", "billed at 1360.00"},
			checklist: []string{"Authorization approval letter", "Procedure (op) note for 64483 on 2026-07-01", "Fluoroscopy/CT image documentation"},
		},
		{
			name: "medical_necessity/ILESI LCD",
			lines: []appeal.DeniedLine{func() appeal.DeniedLine {
				l := line(1, "62323", nil, "780.00", appealCause(carc.MedicalNecessity, "not medically necessary per LCD"),
					appeal.Evidence{LCD: &appeal.LCD{ID: "L39240", Title: "Epidural Steroid Injections for Pain Management", Criteria: []appeal.Criterion{
						{Text: "radicular pain for at least 4 weeks with concordant MRI", Where: "office note 2026-05-12, MRI report 2026-05-02"},
						{Text: "at least 4 weeks of failed conservative care (physical therapy, NSAIDs)", Where: "PT discharge summary 2026-06-10"},
						{Text: "baseline pain and function scale recorded", Where: "office note 2026-05-12 (NRS 8/10, ODI 46 %)"},
					}}}, adj("CO", "50", "780.00"))
				l.Remarks = []string{"N115"}
				l.Diagnoses = []string{"M54.16"}
				return l
			}()},
			text: []string{"meets the coverage criteria of L39240 (Epidural Steroid Injections for Pain Management)",
				"- radicular pain for at least 4 weeks with concordant MRI: office note 2026-05-12, MRI report 2026-05-02",
				"PT discharge summary 2026-06-10", "(M54.16)", "remark code N115"},
			checklist: []string{"Imaging report (MRI/CT)", "Office notes documenting the LCD criteria"},
		},
		{
			name: "medical_necessity/RFA after two MBBs",
			lines: []appeal.DeniedLine{
				line(1, "64635", nil, "1450.00", appeal.Cause{Category: carc.MedicalNecessity, Rule: "rules/rfa_prerequisite", Route: route.RouteAppeal},
					appeal.Evidence{Blocks: []appeal.Block{
						{Date: day.New(2026, 4, 20), Codes: []string{"64493", "64494"}, Level: "L4-L5", ReliefPercent: 85},
						{Date: day.New(2026, 4, 1), Codes: []string{"64493", "64494"}, Level: "L4-L5", ReliefPercent: 90},
					}}, adj("CO", "50", "1450.00")),
				line(2, "64636", nil, "620.00", appeal.Cause{Category: carc.MedicalNecessity, Route: route.RouteAppeal},
					appeal.Evidence{Blocks: []appeal.Block{
						{Date: day.New(2026, 4, 1), Codes: []string{"64493", "64494"}, Level: "L4-L5", ReliefPercent: 90},
						{Date: day.New(2026, 4, 20), Codes: []string{"64493", "64494"}, Level: "L4-L5", ReliefPercent: 85},
					}}, adj("CO", "50", "620.00")),
			},
			text: []string{"Radiofrequency ablation 64635 was performed after two diagnostic medial branch blocks at L4-L5",
				"2026-04-01 (64493, 64494, 90 % relief) and 2026-04-20 (64493, 64494, 85 % relief), 19 days apart",
				"Radiofrequency ablation 64636", "LCD L38801"},
			checklist: []string{"Records of the two diagnostic medial branch blocks", "percentage of relief after each block"},
		},
		{
			name: "coding_bundling/NCCI trigger point with RFA",
			lines: []appeal.DeniedLine{
				line(2, "20552", []string{"XS"}, "180.00", appealCause(carc.CodingBundling, "bundled into 64635 by NCCI"),
					appeal.Evidence{NCCI: &appeal.NCCIPair{Column1: "64635", Column2: "20552", Indicator: "1", Modifier: "XS",
						Distinct: "the trigger points were injected in the left trapezius, a separate structure from the lumbar facet nerves ablated"}},
					adj("CO", "97", "180.00")),
			},
			text: []string{"NCCI procedure-to-procedure edit 64635 (column 1) / 20552 (column 2)", "modifier indicator 1",
				"modifier XS (separate structure or organ) because the trigger points were injected in the left trapezius",
				"NCCI PTP 2024-07", "CO-97 (180.00)"},
			checklist: []string{"separate site, session or side"},
		},
		{
			name: "modifier/bilateral facet add-on 50",
			lines: []appeal.DeniedLine{
				line(2, "64494", []string{"50"}, "390.00", appealCause(carc.Modifier, "modifier 50 on add-on code 64494 rejected"),
					appeal.Evidence{}, adj("CO", "4", "390.00")),
			},
			text: []string{"Add-on code 64494 was performed on both sides and billed as one line with modifier 50 and 1 unit",
				"Line 2: 64494-50 x1"},
			checklist: []string{"Procedure (op) note for 64494"},
		},
		{
			name: "frequency_limit/RFA sessions",
			lines: []appeal.DeniedLine{func() appeal.DeniedLine {
				l := line(1, "64635", nil, "1450.00", appealCause(carc.FrequencyLimit, "RFA session cap reached"),
					appeal.Evidence{Prior: []appeal.Procedure{
						{Date: day.New(2026, 1, 10), Codes: []string{"64635", "64636"}, Level: "L3-L4"},
						{Date: day.New(2025, 5, 20), Codes: []string{"64635"}},
					}}, adj("CO", "119", "1450.00"))
				l.Remarks = []string{"N640"}
				return l
			}()},
			text: []string{"The policy allows 2 RFA sessions per lumbar/sacral region per rolling 12 months",
				"the patient had 1 earlier lumbar/sacral session(s): 2026-01-10 (64635, 64636, L3-L4)",
				"is number 2 of 2, within the limit", "outside the window, which do not count: 2025-05-20 (64635)"},
			checklist: []string{"List of the prior procedures in the region"},
		},
		{
			name: "frequency_limit/definitive UDT",
			lines: []appeal.DeniedLine{
				line(3, "G0480", nil, "210.00", appealCause(carc.FrequencyLimit, "definitive drug test limit"),
					appeal.Evidence{Prior: []appeal.Procedure{{Date: dos, Codes: []string{"80305"}}}}, adj("CO", "151", "210.00")),
			},
			text:      []string{"G0480 was the only definitive drug test for the patient on 2026-07-01"},
			checklist: []string{"Physician's order and risk assessment for the drug test"},
		},
		{
			name: "underpayment/add-on MPPR",
			lines: []appeal.DeniedLine{func() appeal.DeniedLine {
				l := line(2, "64484", nil, "410.00", appeal.Cause{Category: carc.Underpayment, Route: route.RouteDispute},
					appeal.Evidence{AddOn: &appeal.AddOn{Code: "64484", Primary: "64483"}}, adj("CO", "45", "120.00"), adj("CO", "59", "72.50"))
				l.Allowed, l.Paid = 290_00, 217_50
				return l
			}()},
			text: []string{"Add-on code 64484 was billed with its primary 64483", "exempt from the multiple-procedure payment reduction",
				"The reduction of 72.50 taken as CARC 59 should be reversed"},
			checklist: []string{"Fee schedule or contract page with the allowed amount for 64484"},
		},
	}
}

// plans is each plan type with the level, addressee and deadline its
// shipped profile gives for a remittance of 2026-07-20.
var plans = []struct {
	plan, level, addressee, deadline string
	form                             bool
	limit                            string // how the letter states the window
}{
	{rules.PlanMedicare, "redetermination", "Medicare Administrative Contractor JF Noridian (redeterminations)", "2026-11-17", true,
		"within the 120-day limit (42 CFR 405.942(a))."},
	{rules.PlanMedicareAdvantage, "reconsideration", "Sunrise Medicare Advantage HMO", "2026-09-23", false,
		"within the 65-day limit (42 CFR 422.582(b))."},
	// The shipped Medicaid and commercial windows are remitq defaults
	// marked [UNVERIFIED]: the letter states the days without a citation.
	{rules.PlanMedicaid, "provider appeal", "Arizona AHCCCS", "2026-10-18", false, "within the 90-day limit."},
	{rules.PlanCommercial, "first-level appeal", "Copperstate Health Plan", "2027-01-16", false, "within the 180-day limit."},
}

func TestBuildCategories(t *testing.T) {
	for _, c := range categories() {
		t.Run(c.name, func(t *testing.T) {
			for _, pl := range plans {
				t.Run(pl.plan, func(t *testing.T) {
					f := facts(t, pl.plan, c.lines...)
					p, err := appeal.Build(f, today)
					if err != nil {
						t.Fatalf("Build: %v", err)
					}
					if p.Level.Name != pl.level || p.Level.Number != 1 {
						t.Errorf("level = %d %q, want 1 %q", p.Level.Number, p.Level.Name, pl.level)
					}
					if p.Addressee.Name != pl.addressee {
						t.Errorf("addressee = %q, want %q", p.Addressee.Name, pl.addressee)
					}
					if got := p.Deadline.Date.String(); got != pl.deadline || p.Deadline.Late {
						t.Errorf("deadline = %s late %v, want %s on time", got, p.Deadline.Late, pl.deadline)
					}
					if (p.Form != nil) != pl.form {
						t.Errorf("CMS-20027 form present = %v, want %v", p.Form != nil, pl.form)
					}
					if len(p.Arguments) != len(c.lines) {
						t.Errorf("%d arguments for %d lines", len(p.Arguments), len(c.lines))
					}
					text := p.Text()
					want := append([]string{
						patientName, patientDOB, memberID, // the payer needs them on the letter
						"Desert Spine & Pain Associates", "NPI 1306849750", "Daniel Okafor, MD, NPI 1467503385",
						"Claim: DSP2607011", "Payer claim number: 22026201123450", "Check/EFT EFT884120", "Remittance 2026-07-20",
						"Request for " + pl.level, "Deadline: " + pl.deadline, pl.addressee, "payer ID " + f.Payer.ID,
						"Dates of service: 2026-07-01",
					}, c.text...)
					for _, s := range want {
						if !strings.Contains(text, s) {
							t.Errorf("letter lacks %q", s)
						}
					}
					if !strings.Contains(text, pl.limit) {
						t.Errorf("letter lacks %q", pl.limit)
					}
					for _, s := range []string{"[UNVERIFIED", "[LCD-CHECKLIST", "[SECOND-HAND", "PAIN_RULES_NOTES", "seed 004", "set per", "remitq"} {
						if strings.Contains(text, s) {
							t.Errorf("letter to the payer cites remitq's internal note %q", s)
						}
					}
					for _, s := range c.checklist {
						if !hasItem(p.Checklist, s) {
							t.Errorf("checklist lacks %q: %v", s, p.Checklist)
						}
					}
					if pl.form && !strings.Contains(text, "CMS-20027") {
						t.Error("Medicare letter does not mention CMS-20027")
					}
					if !pl.form && strings.Contains(text, "CMS-20027") {
						t.Error("non-Medicare letter mentions CMS-20027")
					}
					if strings.Contains(p.String(), patientName) || strings.Contains(fmt.Sprintf("%v %+v %#v", p, p, p), patientName) {
						t.Error("patient name in the packet's formatted form")
					}
				})
			}
		})
	}
}

func hasItem(items []appeal.Item, sub string) bool {
	for _, it := range items {
		if strings.Contains(it.Text, sub) {
			return true
		}
	}
	return false
}

// TestMedicareLevels: the second Medicare level is the QIC reconsideration
// counted from the redetermination decision, the third the ALJ; none after.
func TestMedicareLevels(t *testing.T) {
	c := categories()[0]
	f := facts(t, rules.PlanMedicare, c.lines...)
	f.LevelsUsed, f.PriorDecisionDate = 1, day.New(2026, 9, 1)
	p, err := appeal.Build(f, today)
	if err != nil {
		t.Fatal(err)
	}
	if p.Level.Name != "reconsideration (QIC)" || p.Form != nil || !strings.HasPrefix(p.Addressee.Name, "Qualified Independent Contractor") ||
		p.Deadline.Date.String() != "2027-02-28" {
		t.Errorf("level 2 = %+v to %q due %s", p.Level, p.Addressee.Name, p.Deadline.Date)
	}
	if !hasItem(p.Checklist, "Form CMS-20033") || !hasItem(p.Checklist, "decision of the previous appeal level, dated 2026-09-01") {
		t.Errorf("level 2 checklist %v", p.Checklist)
	}
	if f.Lines[0].Number != 1 || f.Lines[1].Number != 2 {
		t.Error("Build changed the caller's lines")
	}
	unnumbered := facts(t, rules.PlanMedicare, c.lines...)
	unnumbered.Lines = append([]appeal.DeniedLine(nil), c.lines...)
	unnumbered.Lines[0].Number, unnumbered.Lines[1].Number = 0, 0
	if q, err := appeal.Build(unnumbered, today); err != nil || q.Arguments[1].Line != 2 || unnumbered.Lines[1].Number != 0 {
		t.Errorf("unnumbered lines: %v, caller's line %d", err, unnumbered.Lines[1].Number)
	}
	f.LevelsUsed = 2
	if p, err = appeal.Build(f, today); err != nil || !strings.Contains(p.Addressee.Name, "OMHA") {
		t.Errorf("level 3: %v %q", err, p.Addressee.Name)
	}
	f.LevelsUsed = 1
	f.PriorDecisionDate = 0
	if _, err := appeal.Build(f, today); !errors.Is(err, appeal.ErrMissingFact) {
		t.Errorf("reconsideration without the decision date: %v", err)
	}
}

// TestLate: a request past the window is flagged, with the good cause.
func TestLate(t *testing.T) {
	c := categories()[0]
	f := facts(t, rules.PlanMedicareAdvantage, c.lines...)
	late := day.New(2026, 10, 1)
	p, err := appeal.Build(f, late)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Deadline.Late || p.Deadline.DaysLeft != -8 || len(p.Warnings) == 0 {
		t.Fatalf("deadline %+v warnings %v", p.Deadline, p.Warnings)
	}
	if !strings.Contains(p.Text(), "LATE by 8 day(s)") {
		t.Error("letter does not say it is late")
	}
	f.LateReason = "the remittance reached the practice on 2026-09-28 (the payer's mailing error)"
	p, _ = appeal.Build(f, late)
	if !strings.Contains(p.Text(), "good cause for the late filing be found: the remittance reached the practice on 2026-09-28") {
		t.Error("letter lacks the good cause")
	}
}

// TestBuildErrors: the packets Build must refuse, with the sentinel and no PHI.
func TestBuildErrors(t *testing.T) {
	auth := appealCause(carc.Authorization, "")
	good := appeal.Evidence{Auth: &appeal.Auth{Number: "PA-1", From: day.New(2026, 6, 1), Through: day.New(2026, 6, 30), Codes: []string{"64483"}}}
	cases := []struct {
		name string
		plan string
		edit func(f *appeal.Facts)
		want error
		line int
	}{
		{"no denied line", rules.PlanCommercial, func(f *appeal.Facts) { f.Lines = nil }, appeal.ErrNoDeniedLine, 0},
		{"77003 with 62323 is a write-off", rules.PlanMedicare, func(f *appeal.Facts) {
			f.Lines[0] = line(2, "77003", nil, "120.00", appeal.Cause{Category: carc.CodingBundling, Route: route.RouteWriteOff}, appeal.Evidence{}, adj("CO", "97", "120.00"))
		}, appeal.ErrNotAppealable, 2},
		{"Medicare clerical error goes to reopening", rules.PlanMedicare, func(f *appeal.Facts) {
			f.Lines[0].Cause = appeal.Cause{Category: carc.MissingClaimData, Route: route.RouteReopening}
		}, appeal.ErrNotAppealable, 1},
		{"PR-204 bills the patient", rules.PlanCommercial, func(f *appeal.Facts) {
			f.Lines[0].Cause = appeal.Cause{Category: carc.NonCovered, Route: route.RouteBillPatient}
		}, appeal.ErrNotAppealable, 1},
		{"no route and not appealable", rules.PlanCommercial, func(f *appeal.Facts) {
			f.Lines[0].Cause = appeal.Cause{Category: carc.Duplicate}
		}, appeal.ErrNotAppealable, 1},
		{"Medicare Advantage has one level", rules.PlanMedicareAdvantage, func(f *appeal.Facts) { f.LevelsUsed = 1 }, appeal.ErrNoLevelLeft, 0},
		{"Medicare has three levels", rules.PlanMedicare, func(f *appeal.Facts) { f.LevelsUsed = 3 }, appeal.ErrNoLevelLeft, 0},
		{"auth missing", rules.PlanCommercial, func(f *appeal.Facts) { f.Lines[0].Evidence.Auth = nil }, appeal.ErrMissingFact, 1},
		{"auth expired before the service", rules.PlanCommercial, func(f *appeal.Facts) { f.Lines[0].Evidence = good }, appeal.ErrUnsupported, 1},
		{"RFA with one block", rules.PlanMedicare, func(f *appeal.Facts) {
			f.Lines[0] = line(1, "64635", nil, "1450", appealCause(carc.MedicalNecessity, ""),
				appeal.Evidence{Blocks: []appeal.Block{{Date: day.New(2026, 4, 1), ReliefPercent: 90}}})
		}, appeal.ErrMissingFact, 1},
		{"RFA blocks 10 days apart", rules.PlanMedicare, func(f *appeal.Facts) {
			f.Lines[0] = line(1, "64635", nil, "1450", appealCause(carc.MedicalNecessity, ""),
				appeal.Evidence{Blocks: []appeal.Block{{Date: day.New(2026, 4, 1), ReliefPercent: 90}, {Date: day.New(2026, 4, 11), ReliefPercent: 90}}})
		}, appeal.ErrUnsupported, 1},
		{"RFA block with 60 % relief", rules.PlanCommercial, func(f *appeal.Facts) {
			f.Lines[0] = line(1, "64635", nil, "1450", appealCause(carc.MedicalNecessity, ""),
				appeal.Evidence{Blocks: []appeal.Block{{Date: day.New(2026, 4, 1), ReliefPercent: 90}, {Date: day.New(2026, 4, 20), ReliefPercent: 60}}})
		}, appeal.ErrUnsupported, 1},
		{"third RFA session in 12 months", rules.PlanMedicare, func(f *appeal.Facts) {
			f.Lines[0] = line(1, "64635", nil, "1450", appealCause(carc.FrequencyLimit, ""),
				appeal.Evidence{Prior: []appeal.Procedure{{Date: day.New(2026, 1, 10)}, {Date: day.New(2025, 9, 2)}}})
		}, appeal.ErrUnsupported, 1},
		{"NCCI indicator 0", rules.PlanCommercial, func(f *appeal.Facts) {
			f.Lines[0] = line(1, "20552", []string{"59"}, "180", appealCause(carc.CodingBundling, ""),
				appeal.Evidence{NCCI: &appeal.NCCIPair{Column1: "20553", Column2: "20552", Indicator: "0", Modifier: "59", Distinct: "x"}})
		}, appeal.ErrUnsupported, 1},
		{"NCCI without a reason the services were distinct", rules.PlanCommercial, func(f *appeal.Facts) {
			f.Lines[0] = line(1, "20552", []string{"XS"}, "180", appealCause(carc.CodingBundling, ""),
				appeal.Evidence{NCCI: &appeal.NCCIPair{Column1: "64635", Column2: "20552", Indicator: "1", Modifier: "XS"}})
		}, appeal.ErrMissingFact, 1},
		{"modifier 50 on trigger points", rules.PlanMedicare, func(f *appeal.Facts) {
			f.Lines[0] = line(1, "20552", []string{"50"}, "180", appealCause(carc.Modifier, ""), appeal.Evidence{})
		}, appeal.ErrUnsupported, 1},
		{"second definitive UDT on the date", rules.PlanCommercial, func(f *appeal.Facts) {
			f.Lines[0] = line(1, "G0480", nil, "210", appealCause(carc.FrequencyLimit, ""),
				appeal.Evidence{Prior: []appeal.Procedure{{Date: dos, Codes: []string{"G0481"}}}})
		}, appeal.ErrUnsupported, 1},
		{"timely filing without a note", rules.PlanCommercial, func(f *appeal.Facts) {
			f.Lines[0].Cause = appealCause(carc.TimelyFiling, "")
		}, appeal.ErrMissingFact, 1},
		{"no patient member id", rules.PlanCommercial, func(f *appeal.Facts) { f.Patient.MemberID = "" }, appeal.ErrMissingFact, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := facts(t, c.plan, line(1, "64483", nil, "950", auth, appeal.Evidence{Auth: &appeal.Auth{Number: "PA-9",
				From: day.New(2026, 6, 1), Through: day.New(2026, 12, 31)}}, adj("CO", "197", "950")))
			c.edit(&f)
			_, err := appeal.Build(f, today)
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			var be *appeal.BuildError
			if !errors.As(err, &be) || be.Line != c.line {
				t.Errorf("err = %#v, want a *BuildError on line %d", err, c.line)
			}
			for _, phi := range []string{patientName, patientDOB, memberID} {
				if strings.Contains(err.Error(), phi) {
					t.Errorf("error %q carries PHI", err)
				}
			}
		})
	}
}

// TestPHIFormatting: patient identity prints as [REDACTED] in every verb.
func TestPHIFormatting(t *testing.T) {
	f := facts(t, rules.PlanCommercial, categories()[0].lines...)
	for _, s := range []string{fmt.Sprint(f), fmt.Sprintf("%+v", f), fmt.Sprintf("%#v", f), fmt.Sprintf("%s %q %x", f.Patient.Name, f.Patient.DOB, f.Patient.MemberID),
		f.Patient.String()} {
		for _, phi := range []string{patientName, patientDOB, memberID} {
			if strings.Contains(s, phi) {
				t.Errorf("%q shows PHI", s)
			}
		}
	}
	if f.Patient.Name.Reveal() != patientName {
		t.Error("Reveal lost the value")
	}
}

// TestCMS20027: the Medicare form's fields carry the facts.
func TestCMS20027(t *testing.T) {
	f := facts(t, rules.PlanMedicare, categories()[2].lines...)
	p, err := appeal.Build(f, today)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, fl := range p.Form.Fields() {
		got[strings.TrimSpace(fl.Label)] = fl.Value
	}
	want := map[string]string{
		"1. Beneficiary's name": patientName, "2. Medicare number": memberID,
		"4. Date the service or item was received": "2026-07-01", "5. Date of the initial determination notice": "2026-07-20",
		"Claim number (ICN)": "22026201123450", "Medicare contractor": "JF Noridian", "NPI": "1467503385",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if !strings.Contains(got["3. Item or service you wish to appeal"], "64635 radiofrequency ablation") ||
		!strings.Contains(got["7. I do not agree with the determination; my reasons are"], "two diagnostic medial branch blocks") {
		t.Errorf("item %q / disagree %q", got["3. Item or service you wish to appeal"], got["7. I do not agree with the determination; my reasons are"])
	}
}

// TestWarnings: what the biller must check is reported, not written into
// the letter.
func TestWarnings(t *testing.T) {
	rfa := categories()[2].lines[:1]
	rfa[0].Evidence.Blocks[0].ReliefPercent = 0
	p, err := appeal.Build(facts(t, rules.PlanCommercial, rfa...), today)
	if err != nil {
		t.Fatal(err)
	}
	w := strings.Join(p.Warnings, "\n")
	for _, s := range []string{"180-day first-level appeal window is not verified", "relief after the block of 2026-04-20 is not recorded",
		"remitq's reading of LCD L38801"} {
		if !strings.Contains(w, s) {
			t.Errorf("warnings lack %q:\n%s", s, w)
		}
	}
	if strings.Contains(p.Text(), "not verified") || strings.Contains(p.Text(), "85 % relief") {
		t.Error("the letter shows a warning or an unrecorded relief")
	}
	p, _ = appeal.Build(facts(t, rules.PlanMedicare, categories()[2].lines...), today)
	for _, w := range p.Warnings {
		if strings.Contains(w, "window is not verified") {
			t.Errorf("Medicare's window is cited: %s", w)
		}
	}
}
