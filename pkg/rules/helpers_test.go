package rules

import (
	"slices"
	"strings"
	"testing"

	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/x12"
)

var (
	patA = PatientKey{1}
	patB = PatientKey{2}
)

// ln makes a line of claim C1 at practice P1 (TIN T1) for patient A, payer
// PAY, office (POS 11), 1 unit, auth AUTH1 (so that prior-auth rules stay
// quiet unless a test is about them).
func ln(n int, code, date string, mods ...string) Line {
	return Line{Claim: "C1", Number: n, Patient: patA, Practice: "P1", TIN: "T1", Rendering: "1111111111",
		Payer: "PAY", Date: day.Must(date), Procedure: code, Modifiers: mods, Units: 1000, POS: "11", Auth: "AUTH1"}
}

// at returns l moved to another claim and practice.
func at(l Line, claim, practice, tin string) Line {
	l.Claim, l.Practice, l.TIN = claim, practice, tin
	return l
}

func withUnits(l Line, u int) Line    { l.Units = x12.Quantity(u * 1000); return l }
func withPOS(l Line, pos string) Line { l.POS = pos; return l }
func withAuth(l Line, a string) Line  { l.Auth = a; return l }
func withLevel(l Line, lv string) Line {
	l.Level = lv
	return l
}
func withStatus(l Line, s Status) Line { l.Status = s; return l }

// hist makes history lines, each in its own claim H1, H2, ... unless the
// test set a claim other than C1.
func hist(ls ...Line) *Index {
	x := NewIndex(len(ls))
	for i, l := range ls {
		if l.Claim == "C1" {
			l.Claim = "H" + string(rune('1'+i))
		}
		x.Add(l)
	}
	return x
}

// got lists findings as "rule@line" for comparison.
func got(fs []Finding) []string {
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		out = append(out, f.Rule+"@"+itoa(f.Line))
	}
	return out
}

func itoa(n int) string {
	if n < 0 {
		return "-" + itoa(-n)
	}
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// mustPayers returns Default() with payer overrides parsed from JSON.
func mustPayers(t testing.TB, js string) *Set {
	t.Helper()
	c, err := ParsePayerConfig(strings.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Default().WithPayers(c)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func findRule(fs []Finding, rule string) (Finding, bool) {
	i := slices.IndexFunc(fs, func(f Finding) bool { return f.Rule == rule })
	if i < 0 {
		return Finding{}, false
	}
	return fs[i], true
}
