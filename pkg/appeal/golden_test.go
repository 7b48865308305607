package appeal_test

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/remitq/remitq/pkg/appeal"
	"github.com/remitq/remitq/pkg/rules"
)

var update = flag.Bool("update", false, "rewrite the golden letters in testdata/")

// TestGoldenLetters compares whole letters with testdata/*.txt (rewrite
// them with -update after a deliberate change of wording).
func TestGoldenLetters(t *testing.T) {
	cs := categories()
	for _, g := range []struct {
		file, plan, note string
		lines            []appeal.DeniedLine
	}{
		{"medicare_rfa.txt", rules.PlanMedicare, "Both block notes record the relief on the 0-10 numeric scale.", cs[2].lines},
		{"commercial_tfesi_auth.txt", rules.PlanCommercial, "The authorization was confirmed by phone on 2026-06-15, reference 55102.", cs[0].lines},
	} {
		t.Run(g.file, func(t *testing.T) {
			f := facts(t, g.plan, g.lines...)
			f.Notes = []string{g.note}
			p, err := appeal.Build(f, today)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", g.file)
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(p.Text()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update once)", err)
			}
			if got := p.Text(); got != string(want) {
				t.Errorf("letter differs from %s:\n%s", path, got)
			}
		})
	}
}
