package correct_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/remitq/remitq/pkg/correct"
	"github.com/remitq/remitq/x12"
)

// checkerPath is the independent X12 checker (the committed copy of the
// shared tools' x12check.py, x12/testdata/refcheck).
const checkerPath = "../../x12/testdata/refcheck/x12check.py"

// readBack reads a generated file with x12.ClaimReader (no errors, no
// warnings allowed) and returns its claims.
func readBack(t testing.TB, raw []byte) []*x12.Claim {
	t.Helper()
	r := x12.NewClaimReader(bytes.NewReader(raw))
	var out []*x12.Claim
	for {
		c, err := r.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			t.Fatalf("reading the generated file back: %v\n%s", err, raw)
		}
		out = append(out, c)
	}
	if w := r.Warnings(); len(w) != 0 {
		t.Fatalf("reading the generated file back: warnings %v\n%s", w, raw)
	}
	return out
}

// x12check runs the shared checker on every file (one process for all:
// it is slow to start): envelopes, SE counts and CLM02 = sum(SV102) must
// hold.
func x12check(t testing.TB, raws ...[]byte) {
	t.Helper()
	if _, err := os.Stat(checkerPath); err != nil {
		t.Fatalf("the shared checker is missing: %v", err)
	}
	dir := t.TempDir()
	args := []string{checkerPath}
	for i, raw := range raws {
		p := filepath.Join(dir, fmt.Sprintf("out%04d.837", i))
		if err := os.WriteFile(p, raw, 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, p)
	}
	out, err := exec.Command("python3", args...).Output()
	if err != nil {
		t.Fatalf("x12check: %v", err)
	}
	lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
	if len(lines) != len(raws) {
		t.Fatalf("x12check answered %d files of %d", len(lines), len(raws))
	}
	for i, line := range lines {
		var res struct {
			Error      string         `json:"error"`
			ISA        bool           `json:"isa"`
			NISA       int            `json:"n_isa"`
			NGS        int            `json:"n_gs"`
			NST        int            `json:"n_st"`
			STTypes    map[string]int `json:"st_types"`
			Versions   []string       `json:"versions"`
			SEErrors   []string       `json:"se_count_errors"`
			Claims     int            `json:"claims"`
			CLMBalance struct {
				Balanced bool     `json:"balanced"`
				Fail     []string `json:"fail"`
			} `json:"clm_balance"`
		}
		if err := json.Unmarshal(line, &res); err != nil {
			t.Fatalf("x12check output %s: %v", line, err)
		}
		if res.Error != "" || !res.ISA || res.NISA != 1 || res.NGS != 1 || res.NST != 1 || res.STTypes["837"] != 1 ||
			len(res.Versions) != 1 || res.Versions[0] != "005010X222A1" || len(res.SEErrors) != 0 || !res.CLMBalance.Balanced || res.Claims == 0 {
			t.Fatalf("x12check: %s\n%s", line, raws[i])
		}
	}
}

// write wraps claims in a file with control number ctl.
func write(t testing.TB, ctl int, claims ...*x12.Claim) []byte {
	t.Helper()
	raw, err := correct.File(correct.Envelope{SenderID: "REMITQTEST", ReceiverID: "PAYERTEST", Control: ctl,
		Date: time.Date(2026, 12, 7, 13, 0, 0, 0, time.UTC), Usage: "T"}, claims)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// bare is a claim's JSON without positions and batch, for comparisons.
func bare(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var strip func(any)
	strip = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			delete(x, "segment")
			delete(x, "offset")
			for _, y := range x {
				strip(y)
			}
		case []any:
			for _, y := range x {
				strip(y)
			}
		}
	}
	strip(m)
	out, _ := json.Marshal(m)
	return string(out)
}
