package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/remitq/remitq/pkg/synth"
)

// TestRouteCommand writes a truth set, routes it with "route" and checks
// that every paid line is printed once with the documented keys, and that
// the denied lines carry the category the truth expects.
func TestRouteCommand(t *testing.T) {
	dir := t.TempDir()
	if err := runMatchTruth(t.Context(), []string{"--out", dir, "--lines", "1500", "--seed", "5"}); err != nil {
		t.Fatal(err)
	}
	var truth []synth.TruthLine
	raw, err := os.ReadFile(filepath.Join(dir, "truth.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range bytes.Split(bytes.TrimSpace(raw), []byte("\n")) {
		var tl synth.TruthLine
		if err := json.Unmarshal(l, &tl); err != nil {
			t.Fatal(err)
		}
		truth = append(truth, tl)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "era-*.835"))
	args := []string{"--claims", filepath.Join(dir, "claims.837"), "--claims", filepath.Join(dir, "claims-late.837"),
		"--fees", filepath.Join(dir, "fees.csv"), "--remits"}
	var out bytes.Buffer
	if err := routeTo(&out, append(args, files...)); err != nil {
		t.Fatal(err)
	}
	type key struct {
		file, pcn string
		svc       int
	}
	want := map[key][]string{}
	for _, tl := range truth {
		k := key{filepath.Join(dir, tl.File), tl.PatientControl, tl.SVC}
		want[k] = append(want[k], tl.Category)
	}
	keys := []string{"clp01", "svc_index", "procedure", "disposition", "category", "carc", "rarc", "text", "action",
		"amount_at_risk", "appeal_deadline", "priority"}
	dispositions := map[string]bool{"denied": true, "partially_denied": true, "underpaid": true, "patient_responsibility": true,
		"contractual": true, "paid": true, "reversed": true}
	date, amount := regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`), regexp.MustCompile(`^-?\d+\.\d{2}$`)
	n, right, denied := 0, 0, 0
	sc := bufio.NewScanner(&out)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		n++
		var o map[string]any
		if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if _, ok := o[k]; !ok {
				t.Fatalf("line %d has no %q: %s", n, k, sc.Bytes())
			}
		}
		if !dispositions[o["disposition"].(string)] || !date.MatchString(o["appeal_deadline"].(string)) ||
			!amount.MatchString(o["amount_at_risk"].(string)) {
			t.Errorf("line %d: bad disposition, deadline or amount: %s", n, sc.Bytes())
		}
		k := key{o["remit_file"].(string), o["clp01"].(string), int(o["svc_index"].(float64))}
		cats := want[k]
		if len(cats) == 0 {
			t.Errorf("line %d is not in the truth set: %v", n, k)
			continue
		}
		cat := cats[0]
		want[k] = cats[1:]
		if cat != "" {
			denied++
			if o["category"] == cat {
				right++
			}
		}
	}
	if n != len(truth) {
		t.Errorf("%d lines printed, truth has %d", n, len(truth))
	}
	if denied == 0 || float64(right) < 0.98*float64(denied) {
		t.Errorf("%d of %d denied or underpaid lines in the expected category", right, denied)
	}
	t.Logf("%d lines, %d of %d denied or underpaid lines in the expected category", n, right, denied)
}
