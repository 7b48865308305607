package apisvc

import (
	"embed"
	"encoding/json"
	"net/http"
	"path"
)

// specBase is openapi.json, the OpenAPI 3 description of the API.
//
//go:embed openapi.json
var specBase []byte

//go:embed openapi_*.json
var specFragments embed.FS

// Spec is the OpenAPI 3 description of the API, served at /openapi.json:
// openapi.json with the fragments openapi_*.json merged in (mergeSpec).
var Spec = mergeSpec(specBase, specFragments)

// mergeSpec adds to base the paths (operation by operation) and
// components.schemas of every openapi_*.json fragment: a fragment is an
// OpenAPI document holding only "paths" and "components". What base
// already describes wins, so a fragment merged into openapi.json later
// changes nothing. A fragment that is not JSON panics at start (a test
// catches it).
func mergeSpec(base []byte, frags embed.FS) []byte {
	names, err := frags.ReadDir(".")
	if err != nil || len(names) == 0 {
		return base
	}
	var doc map[string]any
	if err := json.Unmarshal(base, &doc); err != nil {
		return base
	}
	paths, _ := doc["paths"].(map[string]any)
	if paths == nil {
		paths = map[string]any{}
		doc["paths"] = paths
	}
	comps, _ := doc["components"].(map[string]any)
	if comps == nil {
		comps = map[string]any{}
		doc["components"] = comps
	}
	schemas, _ := comps["schemas"].(map[string]any)
	if schemas == nil {
		schemas = map[string]any{}
		comps["schemas"] = schemas
	}
	for _, n := range names {
		b, err := frags.ReadFile(path.Join(".", n.Name()))
		if err != nil {
			panic("apisvc: " + n.Name() + ": " + err.Error())
		}
		var frag struct {
			Paths      map[string]map[string]any `json:"paths"`
			Components struct {
				Schemas map[string]any `json:"schemas"`
			} `json:"components"`
		}
		if err := json.Unmarshal(b, &frag); err != nil {
			panic("apisvc: " + n.Name() + " is not JSON: " + err.Error())
		}
		for p, ops := range frag.Paths {
			have, _ := paths[p].(map[string]any)
			if have == nil {
				have = map[string]any{}
				paths[p] = have
			}
			for m, op := range ops {
				if _, ok := have[m]; !ok {
					have[m] = op
				}
			}
		}
		for k, v := range frag.Components.Schemas {
			if _, ok := schemas[k]; !ok {
				schemas[k] = v
			}
		}
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return base
	}
	return out
}

func serveSpec(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(Spec)
}
