package synth

import (
	"testing"
	"time"
)

// TestPaySpread: with PaySpread the payers pay on days spread over that
// many days from Start + 80, first payer first and the secondary payer
// last; a payer's reversal cycle still comes 14 days after its first; the
// lines are the same as without it.
func TestPaySpread(t *testing.T) {
	start := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	flat, err := GenerateTruth(TruthOptions{Seed: 3, Lines: 400, Start: start})
	if err != nil {
		t.Fatal(err)
	}
	spread, err := GenerateTruth(TruthOptions{Seed: 3, Lines: 400, Start: start, PaySpread: 40})
	if err != nil {
		t.Fatal(err)
	}
	if len(flat.Lines) != len(spread.Lines) || len(flat.Files) != len(spread.Files) {
		t.Fatalf("%d lines in %d files with the spread, %d in %d without", len(spread.Lines), len(spread.Files),
			len(flat.Lines), len(flat.Files))
	}
	first := map[string]time.Time{}
	for _, f := range spread.Files {
		if d, ok := first[f.Payer]; !ok || f.Date.Before(d) {
			first[f.Payer] = f.Date
		}
		for _, r := range f.Remittances {
			if string(r.Payment.Date) != f.Date.Format(time.DateOnly) {
				t.Errorf("%s: BPR16 %s, file dated %s", f.Name, r.Payment.Date, f.Date.Format(time.DateOnly))
			}
		}
	}
	for i, p := range spread.Payers {
		d, ok := first[p.ID]
		if !ok {
			continue
		}
		want := start.AddDate(0, 0, 80+40*i/(len(spread.Payers)-1))
		if !d.Equal(want) && !d.Equal(want.AddDate(0, 0, 14)) { // a payer may pay in the second cycle only (crossover)
			t.Errorf("payer %s first pays on %s, want %s", p.ID, d.Format(time.DateOnly), want.Format(time.DateOnly))
		}
	}
	if len(first) < 3 {
		t.Errorf("only %d payers pay", len(first))
	}
}
