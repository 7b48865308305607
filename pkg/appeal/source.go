package appeal

import (
	"regexp"
	"strings"

	"github.com/remitq/remitq/pkg/rules"
)

// remitq's data files tag each source with how it was verified
// ("[LCD-CHECKLIST]", "[UNVERIFIED]") and point at internal notes
// ("PAIN_RULES_NOTES §7", "seed 004"). A letter to a payer cites only the
// public source itself.
var (
	sourceTag      = regexp.MustCompile(`\s*\[[^\]]*\]`)
	internalParen  = regexp.MustCompile(`\s*\([^()]*(PAIN_RULES_NOTES|DESIGN\.md|seed \d+|remitq)[^()]*\)`)
	internalClause = regexp.MustCompile(`(?i)(PAIN_RULES_NOTES|DESIGN\.md|seed \d+|remitq default|set per (state|plan|payer|contract))`)
	unverified     = regexp.MustCompile(`(?i)\[(UNVERIFIED|SELLER)`)
)

// citable returns the public part of a data source for a letter, and
// false when the source is unverified or a remitq default (then the
// letter cites nothing and the packet warns).
func citable(src string) (string, bool) {
	if src == "" || unverified.MatchString(src) {
		return "", false
	}
	s := internalParen.ReplaceAllString(src, "")
	s = sourceTag.ReplaceAllString(s, "")
	var keep []string
	for _, part := range strings.Split(s, ";") {
		part = strings.TrimSpace(part)
		if part != "" && !internalClause.MatchString(part) {
			keep = append(keep, part)
		}
	}
	if len(keep) == 0 {
		return "", false
	}
	return strings.Join(keep, "; "), true
}

// rule returns the citation of a rule reference ("42 CFR 405.942(a): 120
// days from ...") up to the colon.
func rule(src string) string {
	if i := strings.Index(src, ": "); i > 0 {
		return src[:i]
	}
	return src
}

// lcdFor words an LCD source for the payer's plan: Medicare and Medicare
// Advantage follow the LCD; for other plans it is only the model of the
// plan's own policy.
func lcdFor(plan, src string) string {
	if plan == rules.PlanMedicare || plan == rules.PlanMedicareAdvantage || !strings.HasPrefix(src, "LCD") {
		return src
	}
	return "the plan's policy (criteria as in Medicare " + src + ")"
}
