package apisvc

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"slices"
	"strings"
)

// specFiles are openapi.json and its fragments, openapi_*.json: each
// fragment is an OpenAPI document of its own (paths and components) for a
// group of routes, merged into the served one.
//
//go:embed openapi*.json
var specFiles embed.FS

// Spec is the OpenAPI 3 description of the API served at /openapi.json:
// openapi.json with every openapi_*.json fragment merged in (their paths
// by method, their components by name; openapi.json wins a clash, which
// specClashes reports).
var Spec, specClashes = mergeSpec(specFiles)

func mergeSpec(fsys fs.FS) ([]byte, []string) {
	var base map[string]any
	raw, err := fs.ReadFile(fsys, "openapi.json")
	if err != nil || json.Unmarshal(raw, &base) != nil {
		panic(fmt.Sprintf("apisvc: openapi.json does not parse: %v", err))
	}
	names, _ := fs.Glob(fsys, "openapi_*.json")
	slices.Sort(names)
	var clashes []string
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		var frag map[string]any
		if err != nil || json.Unmarshal(b, &frag) != nil {
			clashes = append(clashes, name+": not a JSON object")
			continue
		}
		clashes = append(clashes, mergeLevel(base, frag, "paths", 2, name)...)
		if comps, ok := frag["components"].(map[string]any); ok {
			if _, ok := base["components"].(map[string]any); !ok {
				base["components"] = map[string]any{}
			}
			clashes = append(clashes, mergeLevel(base["components"].(map[string]any), comps, "", 2, name)...)
		}
	}
	out, err := json.MarshalIndent(base, "", " ")
	if err != nil {
		panic(err)
	}
	return out, clashes
}

// mergeLevel adds from[key] into into[key], depth levels deep (paths:
// path, then method; components: kind, then name). A clash at the last
// level keeps into's value.
func mergeLevel(into, from map[string]any, key string, depth int, file string) []string {
	src, dst := from, into
	if key != "" {
		s, ok := from[key].(map[string]any)
		if !ok {
			return nil
		}
		d, ok := into[key].(map[string]any)
		if !ok {
			d = map[string]any{}
			into[key] = d
		}
		src, dst = s, d
	}
	var clashes []string
	for k, v := range src {
		if depth > 1 {
			sub, ok := v.(map[string]any)
			if ok {
				if _, ok := dst[k].(map[string]any); !ok {
					dst[k] = map[string]any{}
				}
				for _, c := range mergeLevel(dst[k].(map[string]any), sub, "", depth-1, file) {
					clashes = append(clashes, strings.TrimSpace(k+" "+c))
				}
				continue
			}
		}
		if _, ok := dst[k]; ok {
			clashes = append(clashes, k+" (in "+file+" and openapi.json)")
			continue
		}
		dst[k] = v
	}
	return clashes
}

func serveSpec(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(Spec)
}
