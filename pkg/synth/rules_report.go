package synth

import (
	"github.com/remitq/remitq/pkg/rules"
)

// Reporter is what ReportRulesTruth writes to (a *testing.T).
type Reporter interface {
	Helper()
	Errorf(format string, args ...any)
	Logf(format string, args ...any)
}

// ReportRulesTruth fails tb for every planted violation the findings miss
// and every finding nothing planted, printing each, and logs the counts.
func ReportRulesTruth(tb Reporter, t *RulesTruth, fs []rules.Finding) {
	tb.Helper()
	missing, extra := t.Compare(fs)
	for _, m := range missing {
		tb.Errorf("missed: claim %s (%s) line %d: no %s finding", m.Claim, m.Scenario, m.Line, m.Rule)
	}
	for _, f := range extra {
		kind := "false alarm on a violation claim"
		if t.Clean(t.Scenario[f.Claim]) {
			kind = "false alarm on a clean claim"
		}
		tb.Errorf("%s: claim %s (%s) line %d %s: %s: %s", kind, f.Claim, t.Scenario[f.Claim], f.Line, f.Procedure, f.Rule, f.Message)
	}
	tb.Logf("%d claims (%d history claims, %d auths, %d relief records): %d planted violations, %d findings, %d missed, %d extra",
		len(t.Claims), len(t.History), len(t.Auths), len(t.Relief), len(t.Expected), len(fs), len(missing), len(extra))
}
