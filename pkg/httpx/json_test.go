package httpx

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestDecodeJSON(t *testing.T) {
	type body struct {
		A int    `json:"a"`
		B string `json:"b"`
	}
	for _, c := range []struct {
		in, want string // want: "" ok, else a part of the message
		status   int
	}{
		{`{"a": 1, "b": "x"}`, "", 0},
		{"  {\"a\": 1}\n ", "", 0},
		{`{"a": 1} {}`, "more than one JSON value", 400},
		{`{"a": 1} 2`, "more than one JSON value", 400},
		{`{"a": 1, "c": 2}`, `unknown field "c"`, 400},
		{`{"a": "1"}`, `field "a" must be a number`, 400},
		{`{"a": 1`, "ends in the middle", 400},
		{`{"a" 1}`, "not valid JSON (at byte", 400},
		{``, "a JSON body is required", 400},
		{`{"b": "x\u0000y"}`, "NUL", 400},
		{`{"b": "x\\u0000y"}`, "", 0}, // an escaped backslash, not a NUL
		{`{"a": 1, "b": "` + strings.Repeat("x", 100) + `"}`, "at most 64 bytes", 413},
	} {
		var v body
		err := DecodeJSON(strings.NewReader(c.in), 64, &v)
		var be *BodyError
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%q: %v", c.in, err)
		case c.want != "" && (!errors.As(err, &be) || !strings.Contains(be.Message, c.want) || be.Status != c.status):
			t.Errorf("%q: %v, want %d %q", c.in, err, c.status, c.want)
		}
	}
}

func TestJSONErrors(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /x", func(w http.ResponseWriter, r *http.Request) { JSON(w, 404, map[string]string{"own": "answer"}) })
	mux.HandleFunc("GET /ok", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("fine")) })
	h := JSONErrors(mux)
	for _, c := range []struct {
		method, path, want string
		status             int
	}{
		{"GET", "/nothing", `"code":"not_found"`, 404},
		{"POST", "/x", `"code":"method_not_allowed"`, 405},
		{"GET", "/x", `"own":"answer"`, 404},
		{"GET", "/ok", "fine", 200},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(c.method, c.path, nil))
		if rec.Code != c.status || !strings.Contains(rec.Body.String(), c.want) || strings.Contains(rec.Body.String(), "page not found") {
			t.Errorf("%s %s: %d %q", c.method, c.path, rec.Code, rec.Body.String())
		}
	}
}
