package apisvc

import (
	_ "embed"
	"net/http"
)

// Spec is the OpenAPI 3 description of the API, served at /openapi.json.
//
//go:embed openapi.json
var Spec []byte

func serveSpec(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(Spec)
}
