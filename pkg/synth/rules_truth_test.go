package synth

import (
	"bytes"
	"slices"
	"testing"

	"github.com/remitq/remitq/pkg/rules"
	"github.com/remitq/remitq/x12"
)

// testSecret is the patient-key secret of the tests.
var testSecret = []byte("synthetic-rules-truth-secret-32b")

// TestRulesTruthPure writes the rules truth set, reads it back as
// `remitq check` does (837P claims and history, auths and relief CSVs) and
// checks it with the pure rules: every planted violation is found with its
// rule key on its line, and nothing else (clean claims give no finding).
func TestRulesTruthPure(t *testing.T) {
	tr, err := GenerateRulesTruth(RulesTruthOptions{Seed: 3, Claims: 400})
	if err != nil {
		t.Fatal(err)
	}
	fs := checkTruth(t, tr)
	ReportRulesTruth(t, tr, fs)
}

// TestRulesTruthPayerAware checks the same claims (one seed) under a
// Medicare, a commercial and a Medicaid payer: each finds every violation
// planted for its profile and nothing else, names the profile it applied,
// and raises no deny on a clean claim (false-deny rate 0).
func TestRulesTruthPayerAware(t *testing.T) {
	var first []string
	for _, plan := range []string{rules.PlanMedicare, rules.PlanCommercial, rules.PlanMedicaid} {
		t.Run(plan, func(t *testing.T) {
			tr, err := GenerateRulesTruth(RulesTruthOptions{Seed: 5, Claims: 300, Plan: plan})
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, c := range tr.Claims {
				ids = append(ids, c.PatientControlNumber+":"+tr.Scenario[c.PatientControlNumber])
			}
			if first == nil {
				first = ids
			} else if !slices.Equal(first, ids) {
				t.Fatal("the plans did not get the same claims")
			}
			fs := checkTruth(t, tr)
			ReportRulesTruth(t, tr, fs)
			want := map[string]string{rules.PlanMedicare: "medicare_part_b (JF Noridian) 2026-01-01",
				rules.PlanCommercial: "commercial 2026-01-01", rules.PlanMedicaid: "medicaid 2026-01-01"}[plan]
			cleanClaims, denies := 0, 0
			for _, c := range tr.Claims {
				if tr.Clean(tr.Scenario[c.PatientControlNumber]) {
					cleanClaims++
				}
			}
			for _, f := range fs {
				if f.Profile != want {
					t.Errorf("%s line %d %s: profile %q, want %q", f.Claim, f.Line, f.Rule, f.Profile, want)
				}
				if f.Severity == rules.Deny && tr.Clean(tr.Scenario[f.Claim]) {
					denies++
				}
			}
			if cleanClaims == 0 || denies != 0 {
				t.Errorf("%d deny findings on %d clean claims, want 0", denies, cleanClaims)
			}
			// What differs by payer: an office facet block without an
			// authorization, RFA after blocks without KX.
			for scen, planted := range map[string]bool{
				"office_facet_without_auth":   plan != rules.PlanMedicare,
				"rfa_after_blocks_without_kx": plan == rules.PlanMedicare,
			} {
				if tr.Clean(scen) == planted {
					t.Errorf("scenario %s: planted %v, want %v", scen, !tr.Clean(scen), planted)
				}
			}
		})
	}
}

// checkTruth writes the truth set, reads it back as `remitq check` does
// (837P claims and history, auths and relief CSVs) and checks it with the
// pure rules and the shipped profiles.
func checkTruth(t *testing.T, tr *RulesTruth) []rules.Finding {
	t.Helper()
	for _, s := range RulesScenarios() {
		if tr.Scenarios[s] == 0 {
			t.Errorf("scenario %s never generated", s)
		}
	}
	var claims, hist, auths, relief bytes.Buffer
	for _, w := range []func() error{
		func() error { return tr.WriteClaims(&claims) }, func() error { return tr.WriteHistory(&hist) },
		func() error { return tr.WriteAuthsCSV(&auths, "") }, func() error { return tr.WriteReliefCSV(&relief, "") },
	} {
		if err := w(); err != nil {
			t.Fatal(err)
		}
	}
	cf, err := x12.ReadClaims(&claims)
	if err != nil || len(cf.Errors) > 0 {
		t.Fatalf("claims: %v %v", err, cf.Errors)
	}
	hf, err := x12.ReadClaims(&hist)
	if err != nil || len(hf.Errors) > 0 {
		t.Fatalf("history: %v %v", err, hf.Errors)
	}
	k, err := rules.NewKeyer(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	ab, err := rules.ReadAuths(&auths, k)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := rules.ReadRelief(&relief, k)
	if err != nil {
		t.Fatal(err)
	}
	if ab.Len() != len(tr.Auths) || rb.Len() != len(tr.Relief) {
		t.Fatalf("read %d auths of %d, %d relief records of %d", ab.Len(), len(tr.Auths), rb.Len(), len(tr.Relief))
	}
	sh := &rules.Sharing{SameTIN: true}
	for _, g := range tr.Groups {
		sh.Declare(g...)
	}
	fs, err := rules.Default().CheckX12(cf, []*x12.ClaimFile{hf}, k, &rules.Records{Auths: ab, Relief: rb, Sharing: sh})
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func TestRulesTruthDeterministic(t *testing.T) {
	write := func(seed uint64) []byte {
		tr, err := GenerateRulesTruth(RulesTruthOptions{Seed: seed, Claims: 120})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := tr.WriteClaims(&b); err != nil {
			t.Fatal(err)
		}
		if err := tr.WriteHistory(&b); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	if !bytes.Equal(write(7), write(7)) {
		t.Error("two runs with the same seed differ")
	}
	if bytes.Equal(write(7), write(8)) {
		t.Error("another seed wrote the same files")
	}
}

// Every rule the issue names is planted by some scenario.
func TestRulesTruthCoversRules(t *testing.T) {
	tr, err := GenerateRulesTruth(RulesTruthOptions{Seed: 1, Claims: 1})
	if err != nil {
		t.Fatal(err)
	}
	var planted []string
	for _, e := range tr.Expected {
		planted = append(planted, e.Rule)
	}
	for _, r := range []string{rules.RuleFrequencyCap, rules.RuleRFAPrerequisite, rules.RuleImagingBundled,
		rules.RuleBilateralStyle, rules.RuleASCBilateral, rules.RuleRFARepeatRelief, rules.RuleSCSTrialOutcome, rules.RuleLateralityConflict, rules.RuleAddonWithoutPrimary, rules.RuleMUE,
		rules.RuleFacetTriggerPoint, rules.RuleTriggerPointUnits, rules.RuleEMWithout25, rules.RuleUDTDuplicate,
		rules.RuleSCSWithoutTrial, rules.RulePriorAuthMissing, rules.RulePriorAuthExpired, rules.RulePriorAuthMismatch} {
		if !slices.Contains(planted, r) {
			t.Errorf("no scenario plants %s", r)
		}
	}
}
