package rules

import (
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/x12"
)

// workload is a synthetic book: history lines and claims to check for a
// population of patients across practices, with auths for the claims.
type workload struct {
	history *Index
	claims  []*Claim
	auths   *AuthBook
	sharing *Sharing
	lines   int // lines to check
}

// sessionsMix are the sessions a pain practice bills, with their weight.
var sessionsMix = []struct {
	weight int
	lines  [][]string // code then modifiers
}{
	{20, [][]string{{"64483"}, {"64484"}}},
	{15, [][]string{{"64493", "KX"}, {"64494", "KX"}}},
	{10, [][]string{{"64493"}}},
	{10, [][]string{{"64635"}, {"64636"}}},
	{10, [][]string{{"62323"}}},
	{10, [][]string{{"99213", "25"}, {"80307"}, {"G0481"}}},
	{8, [][]string{{"20552"}}},
	{7, [][]string{{"99214"}, {"J1040"}, {"64483"}}},
	{5, [][]string{{"64490", "50"}, {"64491"}}},
	{5, [][]string{{"64483"}, {"77003"}}},
}

// The workload's payers are a Medicare, a commercial and a Medicaid payer
// (by claim filing indicator), its practices in two WISeR states and two
// others, so that the checks run with the shipped profiles in play.
var (
	benchFilings = []string{"MB", "CI", "MC"}
	benchStates  = []string{"AZ", "CA", "TX", "NY"}
)

// newWorkload makes about histLines history lines and checkLines lines to
// check (in claims of 1 to 3 lines) for patients = histLines/10 patients at
// 20 practices of 10 TINs, dates over two years.
func newWorkload(tb testing.TB, histLines, checkLines int) *workload {
	tb.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	patients := max(histLines/10, 10)
	keys := make([]PatientKey, patients)
	for i := range keys {
		keys[i][0], keys[i][1], keys[i][2], keys[i][3] = byte(i), byte(i>>8), byte(i>>16), 0xA5
	}
	practices := make([]string, 20)
	for i := range practices {
		practices[i] = "P" + strconv.Itoa(i)
	}
	total := 0
	for _, s := range sessionsMix {
		total += s.weight
	}
	start := day.Must("2025-01-01")
	mods := map[string][]string{}
	session := func(claim string, p PatientKey, pr int, d day.Day, auth string) []Line {
		w := rng.IntN(total)
		i := 0
		for ; w >= sessionsMix[i].weight; i++ {
			w -= sessionsMix[i].weight
		}
		var out []Line
		for n, cm := range sessionsMix[i].lines {
			key := cm[0]
			for _, m := range cm[1:] {
				key += "-" + m
			}
			if _, ok := mods[key]; !ok {
				mods[key] = cm[1:]
			}
			st := Paid
			if rng.IntN(10) == 0 {
				st = Denied
			}
			out = append(out, Line{Claim: claim, Number: n + 1, Patient: p, Practice: practices[pr], TIN: "T" + strconv.Itoa(pr/2),
				Rendering: "1" + strconv.Itoa(1000000000+pr), Payer: "PAY" + strconv.Itoa(pr%3), Filing: benchFilings[pr%3],
				State: benchStates[pr%4], Date: d, Procedure: cm[0],
				Modifiers: mods[key], Units: x12.Quantity(1000), POS: "11", Auth: auth, Status: st})
		}
		return out
	}
	w := &workload{history: NewIndex(histLines), auths: NewAuthBook(), sharing: &Sharing{SameTIN: true}}
	w.sharing.Declare("P0", "P19")
	for n := 0; n < histLines; {
		p := rng.IntN(patients)
		ls := session("H"+strconv.Itoa(n), keys[p], p%20, start+day.Day(rng.IntN(700)), "")
		w.history.Add(ls...)
		n += len(ls)
	}
	for n := 0; n < checkLines; {
		p := rng.IntN(patients)
		id := "C" + strconv.Itoa(len(w.claims))
		auth := "A" + id
		d := start + day.Day(600+rng.IntN(120))
		ls := session(id, keys[p], p%20, d, auth)
		for i := range ls {
			ls[i].Status = Billed
		}
		w.claims = append(w.claims, &Claim{ID: id, Lines: ls})
		codes := make([]string, 0, len(ls))
		for _, l := range ls {
			codes = append(codes, l.Procedure)
		}
		w.auths.Add(Auth{Number: auth, Patient: keys[p], Codes: codes, From: d - 30, To: d + 60})
		n += len(ls)
		w.lines += len(ls)
	}
	return w
}

// BenchmarkCheck checks 100,000 claim lines against a history of 1,000,000
// lines (100,000 patients, 20 practices) and reports lines/s. Per claim:
// Set.Check with the history, auths and sharing; batch: Set.CheckClaims,
// where the claims also see each other (the `remitq check` path).
func BenchmarkCheck(b *testing.B) {
	t0 := time.Now()
	w := newWorkload(b, 1_000_000, 100_000)
	b.Logf("workload: %d history lines, %d patients, %d claims with %d lines, built in %v",
		w.history.Len(), w.history.Patients(), len(w.claims), w.lines, time.Since(t0).Round(time.Millisecond))
	s := Default()
	rec := &Records{History: w.history, Auths: w.auths, Sharing: w.sharing}
	b.Run("per_claim", func(b *testing.B) {
		findings := 0
		for b.Loop() {
			findings = 0
			for _, c := range w.claims {
				findings += len(s.Check(c, rec))
			}
		}
		b.ReportMetric(float64(w.lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
		b.ReportMetric(float64(findings), "findings")
	})
	b.Run("batch", func(b *testing.B) {
		findings := 0
		for b.Loop() {
			findings = len(s.CheckClaims(w.claims, rec))
		}
		b.ReportMetric(float64(w.lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
		b.ReportMetric(float64(findings), "findings")
	})
}

// The benchmark's workload, small: it runs, finds risks of several kinds,
// and every finding is complete.
func TestCheckWorkload(t *testing.T) {
	w := newWorkload(t, 20_000, 3_000)
	fs := Default().CheckClaims(w.claims, &Records{History: w.history, Auths: w.auths, Sharing: w.sharing})
	rules := map[string]int{}
	for _, f := range fs {
		rules[f.Rule]++
		if f.Source == "" || f.Category == "" || f.Message == "" || f.Claim == "" || f.Line == 0 {
			t.Fatalf("incomplete finding %+v", f)
		}
	}
	for _, r := range []string{RuleFrequencyCap, RuleRFAPrerequisite, RuleImagingBundled, RuleEMWithout25} {
		if rules[r] == 0 {
			t.Errorf("no %s finding in the workload (%v)", r, rules)
		}
	}
	if rules[RulePriorAuthMissing]+rules[RulePriorAuthMismatch]+rules[RulePriorAuthExpired] != 0 {
		t.Errorf("auth findings on a workload whose claims all have valid auths: %v", rules)
	}
}
