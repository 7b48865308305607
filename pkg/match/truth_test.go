package match_test

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/remitq/remitq/pkg/billed"
	"github.com/remitq/remitq/pkg/match"
	"github.com/remitq/remitq/pkg/synth"
	"github.com/remitq/remitq/x12"
)

// truthRun is the matcher's answers on a truth set.
type truthRun struct {
	results map[string]*match.ClaimResult // by "<file>#<CLP position>"
	plbs    map[string]*match.PLBResult   // by "<file>#<PLB position>"
	session *match.Session
}

// runTruth delivers a truth set as the pipeline would: the on-time claims,
// the 835 files in order (decoded from their written bytes when viaX12),
// then the late claims.
func runTruth(tb testing.TB, tr *synth.Truth, viaX12 bool) *truthRun {
	tb.Helper()
	s := match.NewSession(match.Options{Fees: billed.NewFeeSchedule(tr.Fees)})
	run := &truthRun{results: map[string]*match.ClaimResult{}, plbs: map[string]*match.PLBResult{}, session: s}
	keep := func(list []*match.ClaimResult) {
		for _, r := range list {
			run.results[r.Ref] = r
		}
	}
	if _, err := s.AddClaims(tr.BilledClaims(false)...); err != nil {
		tb.Fatal(err)
	}
	for _, f := range tr.Files {
		rems := f.Remittances
		if viaX12 {
			var buf bytes.Buffer
			if err := f.Write(&buf); err != nil {
				tb.Fatal(err)
			}
			rf, err := x12.ReadRemittances(&buf)
			if err != nil || len(rf.Errors) > 0 {
				tb.Fatalf("%s: %v %v", f.Name, err, rf.Errors)
			}
			rems = rf.Remittances
		}
		ord, plbOrd := 0, 0
		for _, rem := range rems {
			res, plbs, err := s.MatchRemittance(rem, f.Name,
				func(*x12.ClaimPayment) string { ord++; return fmt.Sprintf("%s#%d", f.Name, ord) },
				func(*x12.ProviderAdjustment) string { plbOrd++; return fmt.Sprintf("%s#%d", f.Name, plbOrd) })
			if err != nil {
				tb.Fatal(err)
			}
			keep(res)
			for _, p := range plbs {
				run.plbs[p.Ref] = p
			}
		}
	}
	res, err := s.AddClaims(tr.BilledClaims(true)...)
	if err != nil {
		tb.Fatal(err)
	}
	keep(res)
	return run
}

// score compares the answers with the truth and returns the figures and
// the first few differences.
type score struct {
	lines, truthLinks, predicted, correct int
	methodOK, flagsOK, categoriesSeen     int
	reversals, reversalsNetted            int
	corrections, correctionsNetted        int
	unmatched, unmatchedQueued            int
	plbs, plbsOK                          int
	review                                int
	diffs                                 []string
}

func (s *score) precision() float64 { return ratio(s.correct, s.predicted) }
func (s *score) recall() float64    { return ratio(s.correct, s.truthLinks) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

func (s *score) diff(format string, args ...any) {
	if len(s.diffs) < 20 {
		s.diffs = append(s.diffs, fmt.Sprintf(format, args...))
	}
}

func evaluate(tr *synth.Truth, run *truthRun) *score {
	sc := &score{}
	queued := map[string]bool{}
	for _, e := range run.session.Pending.All() {
		queued[e.Claim.Ref] = true
	}
	for _, tl := range tr.Lines {
		sc.lines++
		key := fmt.Sprintf("%s#%d", tl.File, tl.Claim)
		r := run.results[key]
		if r == nil {
			sc.diff("%s: no result", key)
			continue
		}
		var lr *match.LineResult
		for i := range r.Lines {
			if r.Lines[i].Index == tl.SVC {
				lr = &r.Lines[i]
			}
		}
		if lr == nil {
			sc.diff("%s svc %d: no line result", key, tl.SVC)
			continue
		}
		where := fmt.Sprintf("%s svc %d (%s)", key, tl.SVC, tl.Scenario)
		if tl.BilledClaim != "" {
			sc.truthLinks++
		}
		if lr.Billed != nil {
			sc.predicted++
			if lr.Billed.PatientControl == tl.BilledClaim && lr.Billed.LineNumber == tl.BilledLine {
				sc.correct++
			} else {
				sc.diff("%s: billed %s/%d, want %s/%d", where, lr.Billed.PatientControl, lr.Billed.LineNumber, tl.BilledClaim, tl.BilledLine)
			}
		} else if tl.BilledClaim != "" {
			sc.diff("%s: unmatched, want %s/%d", where, tl.BilledClaim, tl.BilledLine)
		}
		if string(lr.Method) == tl.Method {
			sc.methodOK++
		} else {
			sc.diff("%s: method %s, want %s", where, lr.Method, tl.Method)
		}
		var got []string
		for _, f := range lr.Flags {
			if slices.Contains(synth.TruthFlags, string(f)) {
				got = append(got, string(f))
			}
		}
		slices.Sort(got)
		if slices.Equal(got, tl.Flags) {
			sc.flagsOK++
		} else {
			sc.diff("%s: flags %v, want %v", where, got, tl.Flags)
		}
		if lr.Review {
			sc.review++
		}
		if tl.Category != "" {
			sc.categoriesSeen++
		}
		nets := fmt.Sprintf("%s#%d", tl.NetsFile, tl.NetsClaim)
		netted := lr.NetsAgainst != nil && lr.NetsAgainst.Ref == nets
		switch {
		case tl.Status == "22":
			sc.reversals++
			if netted {
				sc.reversalsNetted++
			} else {
				sc.diff("%s: reversal not netted against %s", where, nets)
			}
		case slices.Contains(tl.Flags, "correction"):
			sc.corrections++
			if netted {
				sc.correctionsNetted++
			} else {
				sc.diff("%s: correction not netted against %s", where, nets)
			}
		}
		if tl.Method == "unmatched" {
			sc.unmatched++
			if lr.Review && queued[key] {
				sc.unmatchedQueued++
			} else {
				sc.diff("%s: unmatched remit not queued", where)
			}
		}
	}
	for _, tp := range tr.PLBs {
		sc.plbs++
		key := fmt.Sprintf("%s#%d", tp.File, tp.Index)
		p := run.plbs[key]
		if p != nil && p.Method == tp.Method && p.Billed != nil && p.Billed.PatientControl == tp.BilledClaim && p.Reason == tp.Reason {
			sc.plbsOK++
		} else {
			sc.diff("PLB %s: got %+v, want %s %s", key, p, tp.Method, tp.BilledClaim)
		}
	}
	return sc
}

func (s *score) report(tb testing.TB, tr *synth.Truth, elapsed time.Duration) {
	tb.Logf("truth set: %d billed lines, %d paid lines in %d files, %d PLB; scenarios %v",
		tr.BilledLines, s.lines, len(tr.Files), s.plbs, tr.Scenarios)
	tb.Logf("line precision %.5f (%d/%d), recall %.5f (%d/%d); method right %d/%d, flags right %d/%d",
		s.precision(), s.correct, s.predicted, s.recall(), s.correct, s.truthLinks, s.methodOK, s.lines, s.flagsOK, s.lines)
	tb.Logf("reversals netted %d/%d, corrections netted %d/%d, unmatched queued %d/%d, PLB linked %d/%d, lines for review %d",
		s.reversalsNetted, s.reversals, s.correctionsNetted, s.corrections, s.unmatchedQueued, s.unmatched, s.plbsOK, s.plbs, s.review)
	tb.Logf("generate + match: %v (%.0f paid lines/s)", elapsed.Round(time.Millisecond), float64(s.lines)/elapsed.Seconds())
	for _, d := range s.diffs {
		tb.Log("  ", d)
	}
}

// TestTruthSet checks every line of a 100,000-line truth set, in memory.
func TestTruthSet(t *testing.T) {
	start := time.Now()
	tr, err := synth.GenerateTruth(synth.TruthOptions{Seed: 2026, Lines: 100_000})
	if err != nil {
		t.Fatal(err)
	}
	run := runTruth(t, tr, false)
	sc := evaluate(tr, run)
	sc.report(t, tr, time.Since(start))
	checkScore(t, tr, sc, 0.999)
}

// TestTruthSetViaX12 writes the truth set as 835 files and reads them back
// before matching, on a smaller set, and wants every line right.
func TestTruthSetViaX12(t *testing.T) {
	start := time.Now()
	tr, err := synth.GenerateTruth(synth.TruthOptions{Seed: 7, Lines: 6000, Practices: 2})
	if err != nil {
		t.Fatal(err)
	}
	run := runTruth(t, tr, true)
	sc := evaluate(tr, run)
	sc.report(t, tr, time.Since(start))
	checkScore(t, tr, sc, 1)
}

func checkScore(t *testing.T, tr *synth.Truth, sc *score, min float64) {
	t.Helper()
	if tr.BilledLines < tr.Options.Lines {
		t.Errorf("%d billed lines, want at least %d", tr.BilledLines, tr.Options.Lines)
	}
	if sc.precision() < min || sc.recall() < min {
		t.Errorf("precision %.5f recall %.5f, want at least %.3f", sc.precision(), sc.recall(), min)
	}
	if ratio(sc.methodOK, sc.lines) < min || ratio(sc.flagsOK, sc.lines) < min {
		t.Errorf("methods right %d/%d, flags right %d/%d", sc.methodOK, sc.lines, sc.flagsOK, sc.lines)
	}
	if sc.reversalsNetted != sc.reversals || sc.reversals == 0 {
		t.Errorf("reversals netted %d/%d", sc.reversalsNetted, sc.reversals)
	}
	if sc.correctionsNetted != sc.corrections || sc.corrections == 0 {
		t.Errorf("corrections netted %d/%d", sc.correctionsNetted, sc.corrections)
	}
	if sc.unmatchedQueued != sc.unmatched || sc.unmatched == 0 {
		t.Errorf("unmatched queued %d/%d", sc.unmatchedQueued, sc.unmatched)
	}
	if sc.plbsOK != sc.plbs || sc.plbs == 0 {
		t.Errorf("PLB linked %d/%d", sc.plbsOK, sc.plbs)
	}
	for _, name := range []string{synth.ScenarioClean, synth.ScenarioReversal, synth.ScenarioSplit, synth.ScenarioNoLineCtl,
		synth.ScenarioCodeChanged, synth.ScenarioModDropped, synth.ScenarioDupLines, synth.ScenarioBundled, synth.ScenarioPLB,
		synth.ScenarioLate, synth.ScenarioCrossover, synth.ScenarioFuzzy, synth.ScenarioUnmatched, synth.ScenarioDenialLine,
		synth.ScenarioUnitsCut, synth.ScenarioUnderpaid, synth.ScenarioClaimLevel, synth.ScenarioDupRemit} {
		if tr.Scenarios[name] == 0 {
			t.Errorf("scenario %s not generated", name)
		}
	}
}
