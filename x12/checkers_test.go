package x12

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// x12checkTool is the reference checker: the committed copy of the shared
// tools' x12check.py (testdata/refcheck/README.md).
const x12checkTool = "testdata/refcheck/x12check.py"

// checkX12check runs the reference x12check.py on path and fails the test
// when it reports a broken file: an exception, a wrong SE01 count, a
// transaction set type other than st, or (837) a claim whose lines do not
// add up. It is skipped, with a log line, when python3 is missing.
func checkX12check(t *testing.T, path, st string) {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Logf("python3 not installed: x12check.py not run on %s", filepath.Base(path))
		return
	}
	if _, err := os.Stat(x12checkTool); err != nil {
		t.Fatalf("the reference checker: %v", err)
	}
	out, err := exec.CommandContext(t.Context(), py, x12checkTool, path).Output()
	if err != nil {
		t.Fatalf("x12check.py: %v", err)
	}
	var r struct {
		Error         string         `json:"error"`
		SECountErrors []string       `json:"se_count_errors"`
		STTypes       map[string]int `json:"st_types"`
		CLMBalance    *struct {
			Balanced bool     `json:"balanced"`
			Fail     []string `json:"fail"`
		} `json:"clm_balance"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(out), &r); err != nil {
		t.Fatalf("x12check.py output: %v\n%s", err, out)
	}
	switch {
	case r.Error != "":
		t.Errorf("x12check.py: %s", r.Error)
	case len(r.SECountErrors) > 0:
		t.Errorf("x12check.py: SE counts %v", r.SECountErrors)
	case r.STTypes[st] == 0:
		t.Errorf("x12check.py: transaction sets %v, want %s", r.STTypes, st)
	case st == "837" && (r.CLMBalance == nil || !r.CLMBalance.Balanced):
		t.Errorf("x12check.py: claims do not balance: %+v", r.CLMBalance)
	}
}

var (
	nodeX12Once sync.Once
	nodeX12Dir  string // where node-x12 is installed; "" when it cannot be
	nodeX12Why  string
)

// nodeX12 installs node-x12 (MIT, npm) once per test run into a cache
// directory. A missing node or npm, or a failing network, leaves it out.
func nodeX12() (string, string) {
	nodeX12Once.Do(func() {
		if _, err := exec.LookPath("node"); err != nil {
			nodeX12Why = "node not installed"
			return
		}
		npm, err := exec.LookPath("npm")
		if err != nil {
			nodeX12Why = "npm not installed"
			return
		}
		base, err := os.UserCacheDir()
		if err != nil {
			base = os.TempDir()
		}
		dir := filepath.Join(base, "remitq-test-node-x12")
		if _, err := os.Stat(filepath.Join(dir, "node_modules", "node-x12", "package.json")); err != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, npm, "install", "--no-audit", "--no-fund", "--prefix", dir, "node-x12@1.7.1")
			if out, err := cmd.CombinedOutput(); err != nil {
				nodeX12Why = "npm install node-x12 failed: " + err.Error() + ": " + string(bytes.TrimSpace(out))
				return
			}
		}
		nodeX12Dir = dir
	})
	return nodeX12Dir, nodeX12Why
}

// nodeX12Script parses a file with node-x12 in strict mode (it checks the
// envelope counts and control numbers) and prints what it found.
const nodeX12Script = `
const {X12Parser} = require('node-x12');
const fs = require('fs');
const ic = new X12Parser(true).parse(fs.readFileSync(process.argv[1], 'latin1'));
let sets = 0;
for (const g of ic.functionalGroups) sets += g.transactions.length;
console.log(JSON.stringify({groups: ic.functionalGroups.length, sets}));
`

// checkNodeX12 has node-x12 tokenize path; it is left out, with a log line,
// when node-x12 cannot be installed.
func checkNodeX12(t *testing.T, path string) {
	t.Helper()
	dir, why := nodeX12()
	if dir == "" {
		t.Logf("node-x12 left out: %s", why)
		return
	}
	cmd := exec.CommandContext(t.Context(), "node", "-e", nodeX12Script, path)
	cmd.Env = append(os.Environ(), "NODE_PATH="+filepath.Join(dir, "node_modules"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("node-x12 rejects %s: %v\n%s", filepath.Base(path), err, out)
		return
	}
	var r struct{ Groups, Sets int }
	if err := json.Unmarshal(bytes.TrimSpace(out), &r); err != nil || r.Groups == 0 || r.Sets == 0 {
		t.Errorf("node-x12 on %s: %s (%v)", filepath.Base(path), out, err)
	}
}

// fixSE rewrites the SE01 segment counts of data (DefaultDelimiters) after
// a test edited its segments.
func fixSE(t *testing.T, data []byte) []byte {
	t.Helper()
	segs := bytes.Split(data, []byte("~"))
	n := 0
	for i, s := range segs {
		s = bytes.TrimLeft(s, "\r\n")
		switch {
		case bytes.HasPrefix(s, []byte("ST*")):
			n = 1
		case bytes.HasPrefix(s, []byte("SE*")):
			n++
			parts := bytes.SplitN(s, []byte("*"), 3)
			if len(parts) == 3 {
				segs[i] = []byte("SE*" + strconv.Itoa(n) + "*" + string(parts[2]))
			}
			n = 0
		case n > 0:
			n++
		}
	}
	return bytes.Join(segs, []byte("~"))
}
