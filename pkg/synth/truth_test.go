package synth

import (
	"bytes"
	"crypto/sha256"
	"slices"
	"testing"

	"github.com/remitq/remitq/pkg/billed"
	"github.com/remitq/remitq/x12"
)

func writeAll(t *testing.T, tr *Truth) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, late := range []bool{false, true} {
		var b bytes.Buffer
		if err := tr.Write837(&b, late); err != nil {
			t.Fatal(err)
		}
		out[map[bool]string{false: "claims.837", true: "late.837"}[late]] = b.Bytes()
	}
	for _, f := range tr.Files {
		var b bytes.Buffer
		if err := f.Write(&b); err != nil {
			t.Fatal(err)
		}
		out[f.Name] = b.Bytes()
	}
	var fees, csv bytes.Buffer
	if err := tr.WriteFees(&fees); err != nil {
		t.Fatal(err)
	}
	if err := tr.WriteClaimsCSV(&csv, false); err != nil {
		t.Fatal(err)
	}
	out["fees.csv"], out["claims.csv"] = fees.Bytes(), csv.Bytes()
	return out
}

func digest(files map[string][]byte) map[string][32]byte {
	d := map[string][32]byte{}
	for k, v := range files {
		d[k] = sha256.Sum256(v)
	}
	return d
}

func TestTruthDeterministic(t *testing.T) {
	a, _ := GenerateTruth(TruthOptions{Seed: 5, Lines: 1500})
	b, _ := GenerateTruth(TruthOptions{Seed: 5, Lines: 1500})
	c, _ := GenerateTruth(TruthOptions{Seed: 6, Lines: 1500})
	da, db, dc := digest(writeAll(t, a)), digest(writeAll(t, b)), digest(writeAll(t, c))
	for k := range da {
		if da[k] != db[k] {
			t.Errorf("%s differs between two runs with the same seed", k)
		}
	}
	if da["claims.837"] == dc["claims.837"] {
		t.Error("another seed wrote the same 837")
	}
	if !slices.EqualFunc(a.Lines, b.Lines, func(x, y TruthLine) bool {
		return x.File == y.File && x.Claim == y.Claim && x.SVC == y.SVC && x.BilledClaim == y.BilledClaim &&
			x.BilledLine == y.BilledLine && x.Method == y.Method && slices.Equal(x.Flags, y.Flags)
	}) {
		t.Error("truth lines differ between two runs with the same seed")
	}
}

// TestTruthFiles reads the written files back: every 835 parses without
// error and balances, every paid line has one truth line, the 837 holds
// every billed line and the CSVs load without row errors.
func TestTruthFiles(t *testing.T) {
	tr, err := GenerateTruth(TruthOptions{Seed: 9, Lines: 4000, Practices: 2})
	if err != nil {
		t.Fatal(err)
	}
	files := writeAll(t, tr)
	nBilled := 0
	for _, name := range []string{"claims.837", "late.837"} {
		cf, err := x12.ReadClaims(bytes.NewReader(files[name]))
		if err != nil || len(cf.Errors) > 0 {
			t.Fatalf("%s: %v %v", name, err, cf.Errors)
		}
		for _, b := range cf.Batches {
			for _, c := range b.Claims {
				nBilled += len(c.Lines)
				if c.TotalCharge != c.LineCharges() {
					t.Errorf("%s: claim charge differs from its lines", name)
				}
			}
		}
	}
	if nBilled != tr.BilledLines || nBilled < 4000 {
		t.Errorf("837 files hold %d lines, truth says %d", nBilled, tr.BilledLines)
	}
	perFile := map[string]int{}
	for _, tl := range tr.Lines {
		perFile[tl.File]++
		if tl.Method == "" || tl.Scenario == "" {
			t.Fatalf("truth line without method or scenario: %+v", tl)
		}
		for _, f := range tl.Flags {
			if !slices.Contains(TruthFlags, f) {
				t.Errorf("truth flag %q is not in TruthFlags", f)
			}
		}
	}
	plbs := 0
	for _, f := range tr.Files {
		rf, err := x12.ReadRemittances(bytes.NewReader(files[f.Name]))
		if err != nil || len(rf.Errors) > 0 {
			t.Fatalf("%s: %v %v", f.Name, err, rf.Errors)
		}
		n := 0
		for _, rem := range rf.Remittances {
			if !rem.Totals.Balanced {
				t.Errorf("%s: transaction %s does not balance: %+v", f.Name, rem.Control, rem.Totals.Imbalances)
			}
			for _, c := range rem.Claims {
				n += max(1, len(c.Lines))
				if len(c.Imbalances) > 0 {
					t.Errorf("%s: claim does not balance: %+v", f.Name, c.Imbalances)
				}
			}
			plbs += len(rem.Adjustments)
		}
		if n != perFile[f.Name] {
			t.Errorf("%s: %d paid lines, %d truth lines", f.Name, n, perFile[f.Name])
		}
	}
	if plbs != len(tr.PLBs) || plbs == 0 {
		t.Errorf("%d PLB pairs in the files, %d in the truth", plbs, len(tr.PLBs))
	}
	list, rowErrs, err := billed.ReadAll(bytes.NewReader(files["claims.csv"]))
	if err != nil || len(rowErrs) > 0 || len(list) != len(tr.BilledClaims(false)) {
		t.Errorf("claims CSV: %d claims, %v %v", len(list), err, rowErrs)
	}
	fs, rowErrs, err := billed.ReadFeeSchedule(bytes.NewReader(files["fees.csv"]))
	if err != nil || len(rowErrs) > 0 || fs.Len() != len(tr.Fees) {
		t.Errorf("fee CSV: %v %v", err, rowErrs)
	}
}

func TestTruthCategories(t *testing.T) {
	tr, err := GenerateTruth(TruthOptions{Seed: 3, Lines: 3000})
	if err != nil {
		t.Fatal(err)
	}
	valid := []string{"authorization", "coding_bundling", "modifier", "medical_necessity", "frequency_limit",
		"missing_claim_data", "underpayment"}
	seen := map[string]int{}
	for _, tl := range tr.Lines {
		if tl.Category == "" {
			if slices.Contains(tl.Flags, "denied") && tl.Status != "2" {
				t.Errorf("denied line without category: %+v", tl)
			}
			continue
		}
		if !slices.Contains(valid, tl.Category) {
			t.Errorf("category %q is not a DESIGN.md key", tl.Category)
		}
		seen[tl.Category]++
	}
	for _, c := range valid {
		if seen[c] == 0 {
			t.Errorf("no line of category %s", c)
		}
	}
}

func TestNPI(t *testing.T) {
	// 1234567893 is the check-digit example of the NPI standard.
	if got := npi(23456789); got != "1234567893" {
		t.Errorf("npi = %s, want 1234567893", got)
	}
}
