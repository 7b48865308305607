package routesvc_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/remitq/remitq/pkg/billed"
	"github.com/remitq/remitq/pkg/match"
	"github.com/remitq/remitq/pkg/route"
	"github.com/remitq/remitq/pkg/routesvc"
	"github.com/remitq/remitq/pkg/synth"
	v1 "github.com/remitq/remitq/proto/remitq/v1"
	"github.com/remitq/remitq/x12"
)

// routed is one decision with where it came from.
type routed struct {
	file string
	clp  int // 1-based position of the CLP in its file
	svc  int
	m    *v1.LineMatch
	d    route.Decision
}

// routeTruth runs the offline matcher + router over a truth set, as
// `remitq route` does: every 837 (on-time and late) first, then the 835s.
func routeTruth(tb testing.TB, tr *synth.Truth) []routed {
	tb.Helper()
	off, err := routesvc.NewOffline(routesvc.OfflineOptions{Match: match.Options{Fees: billed.NewFeeSchedule(tr.Fees)}})
	if err != nil {
		tb.Fatal(err)
	}
	var out []routed
	for _, late := range []bool{false, true} {
		var buf bytes.Buffer
		if err := tr.Write837(&buf, late); err != nil {
			tb.Fatal(err)
		}
		cf, err := x12.ReadClaims(&buf)
		if err != nil {
			tb.Fatal(err)
		}
		if err := off.AddClaims(cf, func(*v1.LineMatch, route.Decision) error {
			tb.Fatal("nothing waits for claims before the remits")
			return nil
		}); err != nil {
			tb.Fatal(err)
		}
	}
	for _, f := range tr.Files {
		var buf bytes.Buffer
		if err := f.Write(&buf); err != nil {
			tb.Fatal(err)
		}
		pos := map[int32]int{}
		err := off.File(f.Name, buf.Bytes(), func(m *v1.LineMatch, d route.Decision) error {
			seg := m.GetLine().GetClaim().GetClpSegmentIndex()
			if _, ok := pos[seg]; !ok {
				pos[seg] = len(pos) + 1
			}
			out = append(out, routed{file: f.Name, clp: pos[seg], svc: int(m.GetSvcIndex()), m: m, d: d})
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	return out
}

type truthKey struct {
	file     string
	clp, svc int
}

// TestTruthCategories: every denial and underpayment of a generated truth
// set gets the category the generator expects (at least 98 %, every miss
// listed), and lines the generator calls clean raise no work item.
func TestTruthCategories(t *testing.T) {
	for _, seed := range []uint64{1, 7} {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			tr, err := synth.GenerateTruth(synth.TruthOptions{Seed: seed, Lines: 3000, Practices: 3})
			if err != nil {
				t.Fatal(err)
			}
			got := map[truthKey]*routed{}
			rs := routeTruth(t, tr)
			for i := range rs {
				r := &rs[i]
				got[truthKey{r.file, r.clp, r.svc}] = r
			}
			if len(rs) != len(tr.Lines) {
				t.Errorf("%d decisions for %d truth lines", len(rs), len(tr.Lines))
			}
			rulesUsed := map[string]int{}
			for i := range rs {
				if r := rs[i].d.Rule; strings.HasPrefix(r, route.RulePrefix) {
					rulesUsed[r]++
				}
			}
			t.Logf("decided by the pain rules: %v", rulesUsed)
			if rulesUsed["rules/frequency_cap"] == 0 {
				t.Error("no frequency denial was explained by the pain rules")
			}
			var want, right, spurious, clean int
			var misses []string
			for _, tl := range tr.Lines {
				r := got[truthKey{tl.File, tl.Claim, tl.SVC}]
				if r == nil {
					t.Errorf("no decision for %s CLP %d SVC %d", tl.File, tl.Claim, tl.SVC)
					continue
				}
				if tl.Category == "" {
					clean++
					if r.d.WorkItem != route.NoWork && r.d.WorkItem != route.UnmatchedRemittance {
						spurious++
						misses = append(misses, fmt.Sprintf("  spurious %s: %s %s %s disposition %s category %s (%s) %v %v",
							tl.Scenario, tl.File, tl.PatientControl, r.d.Procedure, r.d.Disposition, r.d.Category, r.d.Rule, r.d.CARC, r.d.RARC))
					}
					continue
				}
				want++
				if string(r.d.Category) == tl.Category {
					right++
					continue
				}
				misses = append(misses, fmt.Sprintf("  miss %s: %s %s svc %d %s want %s got %s/%s (rule %q) codes %v %v flags %v: %s",
					tl.Scenario, tl.File, tl.PatientControl, tl.SVC, r.d.Procedure, tl.Category, r.d.Disposition, r.d.Category,
					r.d.Rule, r.d.CARC, r.d.RARC, r.m.GetFlags(), r.d.Text))
			}
			pct := 100 * float64(right) / float64(max(want, 1))
			t.Logf("categories: %d of %d expected right (%.2f %%); %d of %d clean lines raised a work item", right, want, pct, spurious, clean)
			if len(misses) > 0 {
				t.Logf("misses:\n%s", strings.Join(misses, "\n"))
			}
			if want < 100 {
				t.Errorf("only %d denied or underpaid lines in the truth set", want)
			}
			if pct < 98 {
				t.Errorf("category accuracy %.2f %% below 98 %%", pct)
			}
			if float64(spurious) > 0.02*float64(clean) {
				t.Errorf("%d clean lines raised a work item (more than 2 %%)", spurious)
			}
		})
	}
}
