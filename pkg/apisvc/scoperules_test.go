package apisvc

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/remitq/remitq/pkg/auth"
)

// registeredRoutes finds every Handle and HandleFunc call in pkg/ (outside
// tests and apisvc, whose routes come from routes()) and returns the
// patterns with the file that registers them; a call whose pattern is not
// a string literal cannot be checked and is reported.
func registeredRoutes(t *testing.T) map[string]string {
	t.Helper()
	found := map[string]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || d.Name() == "apisvc") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		inRegister := map[ast.Node]bool{}
		for _, decl := range f.Decls {
			if fd, ok := decl.(*ast.FuncDecl); ok && fd.Name.Name == "Register" && fd.Body != nil {
				ast.Inspect(fd.Body, func(n ast.Node) bool { inRegister[n] = true; return true })
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) != 2 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || (sel.Sel.Name != "Handle" && sel.Sel.Name != "HandleFunc") {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				// consolesvc registers its pages from a table: not /v1/.
				if inRegister[call] && !strings.Contains(path, "consolesvc") {
					t.Errorf("%s: %s registers a pattern that is not a literal: the scope rules cannot be checked",
						fset.Position(call.Pos()), sel.Sel.Name)
				}
				return true
			}
			p, _ := strconv.Unquote(lit.Value)
			if _, rest, ok := strings.Cut(p, " "); ok && strings.HasPrefix(rest, "/v1/") {
				found[p] = path
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// TestEveryRouteHasScopeRule: every /v1/ route a component of pkg/
// registers (routesvc, matchsvc, billedstore, ingestsvc, kpistore, …) has
// its scope rule in ScopeRules, and every rule names a registered route
// (no stale rule), so the mux and the scope check read one list.
func TestEveryRouteHasScopeRule(t *testing.T) {
	rules := map[string]ScopeRule{}
	for _, r := range (&Service{}).ScopeRules() {
		if _, dup := rules[r.Pattern]; dup {
			t.Errorf("%s is declared twice", r.Pattern)
		}
		if r.Rule == "" {
			t.Errorf("%s has no scope rule", r.Pattern)
		}
		rules[r.Pattern] = r
	}
	found := registeredRoutes(t)
	if len(found) < 15 {
		t.Fatalf("found only %d registered routes: %v", len(found), found)
	}
	for p, file := range found {
		r, ok := rules[p]
		if !ok {
			t.Errorf("%s registers %q without a scope rule (declare it in foreignRoutes)", file, p)
			continue
		}
		if r.Component == "api" {
			t.Errorf("%s registers %q, one of the API's own routes", file, p)
		}
	}
	for p, r := range rules {
		if r.Component != "api" && found[p] == "" {
			t.Errorf("the rule of %s (%s) names no registered route", p, r.Component)
		}
	}
}

// undeclared is a component with a route no rule declares.
type undeclared struct{ hit *int }

func (undeclared) Name() string { return "undeclared" }
func (u undeclared) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/undeclared/{practice}", func(w http.ResponseWriter, r *http.Request) { *u.hit++ })
}

// TestUndeclaredRouteRefused: a route without a scope rule is refused for
// every caller, admins included, and its handler never runs; a declared
// route of another component with the wrong method is the mux's 405.
func TestUndeclaredRouteRefused(t *testing.T) {
	f := newFixture(t)
	hit := 0
	mux := http.NewServeMux()
	f.s.Register(mux)
	undeclared{&hit}.Register(mux)
	h := f.s.WrapHTTP(mux)
	for _, u := range []string{"admin", "sup1", "bill1"} {
		for _, path := range []string{"/v1/undeclared/1", "/v1/undeclared/1?practice_id=1"} {
			req := httptest.NewRequest("GET", path, nil)
			req.Header.Set("Authorization", "Bearer "+f.tokens[u])
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusNotFound {
				t.Errorf("%s GET %s: %d", u, path, rec.Code)
			}
		}
	}
	if hit != 0 {
		t.Fatalf("the undeclared route's handler ran %d times", hit)
	}
	// Every own route's rule carries the permission its handler checks.
	for _, r := range f.s.ScopeRules() {
		if r.Component == "api" && strings.HasPrefix(r.Pattern, "POST /v1/practices") && r.Perm != auth.UsersManage {
			t.Errorf("%s: perm %q", r.Pattern, r.Perm)
		}
	}
}
