package appeal

import "testing"

func TestCitable(t *testing.T) {
	cases := []struct {
		src, want string
		ok        bool
	}{
		{"42 CFR 405.942(a): 120 days from receipt of the initial determination (the remittance)",
			"42 CFR 405.942(a): 120 days from receipt of the initial determination (the remittance)", true},
		{"LCD L38801 (facet) [LCD-CHECKLIST]", "LCD L38801 (facet)", true},
		{"state Medicaid provider manual: varies by state [UNVERIFIED]; set per state", "", false},
		{"MPFS bilateral indicator 1; CMS transmittal R526OTN (facet modifier 50); CPT: 64470-64484 unilateral, bilateral with 50 (PAIN_RULES_NOTES §7) [SECOND-HAND]",
			"MPFS bilateral indicator 1; CMS transmittal R526OTN (facet modifier 50); CPT: 64470-64484 unilateral, bilateral with 50", true},
		{"CPT bilateral convention (modifier 50, 1 unit); some commercial payers want RT/LT lines or 2 units: set per payer (DESIGN.md)",
			"CPT bilateral convention (modifier 50, 1 unit)", true},
		{"seed 004; UHC 2025R6005B summary [SELLER]", "", false},
		{"", "", false},
	}
	for _, c := range cases {
		got, ok := citable(c.src)
		if got != c.want || ok != c.ok {
			t.Errorf("citable(%q) = %q %v, want %q %v", c.src, got, ok, c.want, c.ok)
		}
	}
	if rule("42 CFR 422.582(b): 65 days from the notice") != "42 CFR 422.582(b)" {
		t.Error("rule")
	}
}
