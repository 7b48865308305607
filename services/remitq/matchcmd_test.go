package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/remitq/remitq/pkg/synth"
)

// TestMatchCommandOnTruthSet writes a truth set with "match truth", runs
// "match" on its files and checks every output line against truth.jsonl.
func TestMatchCommandOnTruthSet(t *testing.T) {
	dir := t.TempDir()
	if err := runMatchTruth(t.Context(), []string{"--out", dir, "--lines", "2500", "--seed", "11"}); err != nil {
		t.Fatal(err)
	}
	tf, err := os.Open(filepath.Join(dir, "truth.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer tf.Close()
	want := map[string]synth.TruthLine{}
	var order []string
	sc := bufio.NewScanner(tf)
	for sc.Scan() {
		var tl synth.TruthLine
		if err := json.Unmarshal(sc.Bytes(), &tl); err != nil {
			t.Fatal(err)
		}
		k := fmt.Sprintf("%s %s %s %s %d", tl.File, tl.PatientControl, tl.PayerControl, tl.Status, tl.SVC)
		if _, dup := want[k]; !dup {
			order = append(order, k)
		}
		want[k] = tl
	}
	files, _ := filepath.Glob(filepath.Join(dir, "era-*.835"))
	if len(files) == 0 {
		t.Fatal("no 835 files written")
	}
	for name, claimArgs := range map[string][]string{
		"837":     {"--claims", filepath.Join(dir, "claims.837"), "--claims", filepath.Join(dir, "claims-late.837")},
		"837+csv": {"--claims", filepath.Join(dir, "claims-late.837"), "--claims-csv", filepath.Join(dir, "claims.csv")},
	} {
		t.Run(name, func(t *testing.T) {
			args := append(claimArgs, "--fees", filepath.Join(dir, "fees.csv"), "--remits")
			var out bytes.Buffer
			if err := matchTo(&out, append(args, files...)); err != nil {
				t.Fatal(err)
			}
			checkOutput(t, &out, want, len(order))
		})
	}
}

func checkOutput(t *testing.T, out *bytes.Buffer, want map[string]synth.TruthLine, lines int) {
	keys := []string{"remit_file", "clp01", "payer_claim_control", "clp_status", "svc_index", "procedure", "modifiers",
		"service_date", "billed_claim", "billed_line", "method", "confidence", "flags"}
	got := 0
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(sc.Bytes(), &raw); err != nil {
			t.Fatal(err)
		}
		if len(raw) != len(keys) {
			t.Fatalf("object has %d keys, want exactly %v", len(raw), keys)
		}
		var o matchLine
		if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
			t.Fatal(err)
		}
		got++
		k := fmt.Sprintf("%s %s %s %s %d", filepath.Base(o.RemitFile), o.CLP01, o.PayerClaimControl, o.CLPStatus, o.SVCIndex)
		tl, ok := want[k]
		if !ok {
			t.Errorf("%s: not in the truth set", k)
			continue
		}
		billed, line := "", 0
		if o.BilledClaim != nil {
			billed = *o.BilledClaim
		}
		if o.BilledLine != nil {
			line = *o.BilledLine
		}
		// The command loads every claim first, so no claim is late.
		wantFlags := slices.DeleteFunc(slices.Clone(tl.Flags), func(f string) bool { return f == "late_claim" })
		var flags []string
		for _, f := range o.Flags {
			if slices.Contains(synth.TruthFlags, f) {
				flags = append(flags, f)
			}
		}
		slices.Sort(flags)
		if billed != tl.BilledClaim || line != tl.BilledLine || o.Method != tl.Method || !slices.Equal(flags, wantFlags) ||
			o.Confidence < 0 || o.Confidence > 1 || o.Procedure != tl.Procedure {
			t.Errorf("%s: got %s/%d %s %.3f %v, want %s/%d %s %v", k, billed, line, o.Method, o.Confidence, flags,
				tl.BilledClaim, tl.BilledLine, tl.Method, wantFlags)
		}
	}
	if got != lines {
		t.Errorf("%d output lines, want %d", got, lines)
	}
}
