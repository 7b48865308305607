// Package layout_test holds pkg/ to its naming rule, checked with `go list`:
//
//   - a pure package is named by its noun (money, billed, match, route,
//     rules, kpi, work, …): no I/O, and it imports only other pure packages,
//     x12, carc and the standard library (no database, NATS, protobuf, HTTP);
//   - <noun>store is the PostgreSQL side of a noun (remitstore, billedstore,
//     rulesstore, kpistore, practicestore); it never imports a service;
//   - <noun>svc is a running component (ingestsvc, matchsvc, routesvc,
//     apisvc, consolesvc);
//   - the runtime and the dev tools are listed here by name.
//
// A new package must fit one of these; the test names the one that does not.
package layout_test

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/remitq/remitq/"

// pure packages: nouns, no I/O. x12 and carc sit at the top level.
var pure = []string{"x12", "carc", "pkg/money", "pkg/day", "pkg/billed", "pkg/match", "pkg/route", "pkg/rules",
	"pkg/kpi", "pkg/kpi/draw", "pkg/work", "pkg/export", "pkg/appeal", "pkg/correct"}

// runtime packages: what every process is built from.
var runtime = []string{"pkg/svc", "pkg/bus", "pkg/httpx", "pkg/logging", "pkg/auth", "pkg/audit", "pkg/pgcopy",
	"pkg/store", "pkg/process", "pkg/wire"}

// dev tools: local clusters, synthetic data, the demo and end-to-end drivers.
var dev = []string{"pkg/devenv", "pkg/devenv/devtest", "pkg/synth", "pkg/demo", "pkg/e2e"}

// io are the standard packages a pure package may not import itself.
var io = []string{"database/sql", "net", "net/http", "os", "os/exec"}

// impure are forbidden anywhere below a pure package (its transitive
// imports): the database, NATS, logging and protobuf.
var impure = []string{"github.com/jmoiron/sqlx", "github.com/lib/pq", "github.com/nats-io/", "go.uber.org/zap",
	"google.golang.org/protobuf", module + "proto/"}

type pkgInfo struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

func list(t *testing.T) map[string]pkgInfo {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps=false", "-json", module+"pkg/...", module+"x12", module+"carc")
	cmd.Dir = "../.."
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("go list: %v\n%s", err, errb.String())
	}
	pkgs := map[string]pkgInfo{}
	dec := json.NewDecoder(&out)
	for dec.More() {
		var p pkgInfo
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs[strings.TrimPrefix(p.ImportPath, module)] = p
	}
	if len(pkgs) < 20 {
		t.Fatalf("go list found %d packages", len(pkgs))
	}
	return pkgs
}

func kind(rel string) string {
	base := rel[strings.LastIndex(rel, "/")+1:]
	switch {
	case slices.Contains(pure, rel):
		return "pure"
	case slices.Contains(runtime, rel):
		return "runtime"
	case slices.Contains(dev, rel):
		return "dev"
	case strings.HasSuffix(base, "store"):
		return "store"
	case strings.HasSuffix(base, "svc"):
		return "svc"
	}
	return ""
}

func TestEveryPackageFitsTheRule(t *testing.T) {
	for rel := range list(t) {
		if kind(rel) == "" {
			t.Errorf("%s is neither a pure noun, a <noun>store, a <noun>svc, runtime nor a dev tool: name it by the rule in test/layout", rel)
		}
	}
}

func TestPurePackagesStayPure(t *testing.T) {
	pkgs := list(t)
	checked := 0
	for rel, p := range pkgs {
		if kind(rel) != "pure" {
			continue
		}
		checked++
		for _, imp := range p.Imports {
			if r, ok := strings.CutPrefix(imp, module); ok && kind(r) != "pure" {
				t.Errorf("pure %s imports %s (%s)", rel, r, kind(r))
			}
			if slices.Contains(io, imp) {
				t.Errorf("pure %s imports %s", rel, imp)
			}
		}
		for _, dep := range p.Deps {
			for _, bad := range impure {
				if dep == bad || strings.HasSuffix(bad, "/") && strings.HasPrefix(dep, bad) {
					t.Errorf("pure %s depends on %s", rel, dep)
				}
			}
		}
	}
	if checked < 8 {
		t.Fatalf("only %d pure packages found", checked)
	}
}

func TestStoresNeverImportServices(t *testing.T) {
	for rel, p := range list(t) {
		if kind(rel) != "store" && kind(rel) != "pure" {
			continue
		}
		for _, imp := range p.Imports {
			if r, ok := strings.CutPrefix(imp, module); ok && kind(r) == "svc" {
				t.Errorf("%s %s imports the service %s", kind(rel), rel, r)
			}
		}
	}
}
