package apisvc

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

// servedSpec fetches /openapi.json from the API's mux.
func servedSpec(t *testing.T) map[string]any {
	t.Helper()
	mux := http.NewServeMux()
	(&Service{}).Register(mux)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/openapi.json", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /openapi.json: %d", rec.Code)
	}
	var spec map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &spec); err != nil {
		t.Fatal(err)
	}
	return spec
}

// TestServedSpecRoutes: every route registered (the API's own and the
// other components' it guards) is in the served document, fragments
// included, and the fragments clash with nothing.
func TestServedSpecRoutes(t *testing.T) {
	if len(specClashes) > 0 {
		t.Errorf("openapi fragments clash: %v", specClashes)
	}
	paths, _ := servedSpec(t)["paths"].(map[string]any)
	for _, r := range scopeTable(&Service{}) {
		if r.Pattern == "GET /openapi.json" {
			continue
		}
		method, path, _ := strings.Cut(r.Pattern, " ")
		ops, _ := paths[path].(map[string]any)
		if _, ok := ops[strings.ToLower(method)]; !ok {
			t.Errorf("%s is registered but not in the served /openapi.json", r.Pattern)
		}
	}
}

// TestSpecRequestBodies: every request body of the served document has a
// real schema: properties (or items, a format, allOf/oneOf of such), never
// a bare {"type": "object"}.
func TestSpecRequestBodies(t *testing.T) {
	spec := servedSpec(t)
	schemas := spec["components"].(map[string]any)["schemas"].(map[string]any)
	var resolve func(v any) map[string]any
	resolve = func(v any) map[string]any {
		m, _ := v.(map[string]any)
		if ref, ok := m["$ref"].(string); ok {
			return resolve(schemas[strings.TrimPrefix(ref, "#/components/schemas/")])
		}
		return m
	}
	var real func(v any) bool
	real = func(v any) bool {
		m := resolve(v)
		if m == nil {
			return false
		}
		for _, k := range []string{"allOf", "oneOf", "anyOf"} {
			if list, ok := m[k].([]any); ok {
				for _, x := range list {
					if !real(x) {
						return false
					}
				}
				return len(list) > 0
			}
		}
		switch m["type"] {
		case "object":
			props, _ := m["properties"].(map[string]any)
			return len(props) > 0
		case "array":
			return real(m["items"]) || resolve(m["items"])["type"] == "string"
		case nil:
			return false
		}
		return true
	}
	n := 0
	for path, ops := range spec["paths"].(map[string]any) {
		for method, op := range ops.(map[string]any) {
			rb, ok := op.(map[string]any)["requestBody"].(map[string]any)
			if !ok {
				continue
			}
			content, _ := rb["content"].(map[string]any)
			if len(content) == 0 {
				t.Errorf("%s %s: requestBody without content", method, path)
			}
			for ct, c := range content {
				n++
				if !real(c.(map[string]any)["schema"]) {
					t.Errorf("%s %s (%s): the request body schema is a bare object, without properties", method, path, ct)
				}
			}
		}
	}
	if n < 20 {
		t.Fatalf("only %d request bodies in the spec", n)
	}
}

// TestMergeSpec: a fragment's paths and schemas are added; a clash keeps
// openapi.json's and is reported.
func TestMergeSpec(t *testing.T) {
	fsys := fstest.MapFS{
		"openapi.json": {Data: []byte(`{"openapi":"3.1.0","paths":{"/a":{"get":{"summary":"base"}}},"components":{"schemas":{"A":{"type":"string"}}}}`)},
		"openapi_work.json": {Data: []byte(`{"paths":{"/a":{"get":{"summary":"frag"},"post":{"summary":"new"}},"/b":{"get":{}}},
			"components":{"schemas":{"B":{"type":"integer"}}}}`)},
	}
	b, clashes := mergeSpec(fsys)
	var got struct {
		Paths      map[string]map[string]struct{ Summary string }
		Components struct{ Schemas map[string]any }
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.Paths["/a"]["get"].Summary != "base" || got.Paths["/a"]["post"].Summary != "new" || got.Paths["/b"] == nil ||
		got.Components.Schemas["A"] == nil || got.Components.Schemas["B"] == nil {
		t.Fatalf("merged %s", b)
	}
	if len(clashes) != 1 || !strings.Contains(clashes[0], "/a get") {
		t.Fatalf("clashes %v", clashes)
	}
}
