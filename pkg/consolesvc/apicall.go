package consolesvc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/remitq/remitq/pkg/auth"
)

// recorder is the ResponseWriter of an in-process API request.
type recorder struct {
	status int
	header http.Header
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

// apiError is an error answer of the API.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// conflict reports a stale-version answer (optimistic concurrency).
func (e *apiError) conflict() bool {
	return e.Code == "version_conflict" || e.Status == http.StatusPreconditionFailed
}

// apiRequest is one request the console makes to the API for the signed-in
// user of the page being served.
type apiRequest struct {
	Method string
	Path   string
	Query  url.Values
	// Body is sent as JSON unless Raw is set.
	Body any
	// Raw is sent as is with ContentType.
	Raw         []byte
	ContentType string
}

// do sends req through the API's chain (its authentication middleware,
// which takes the identity from the context, then the guards and the
// route's own permission, scope and audit) and returns the answer.
func (s *Service) do(from *http.Request, id *auth.Identity, req apiRequest) (*recorder, error) {
	var body io.Reader
	ct := ""
	switch {
	case req.Raw != nil:
		body, ct = bytes.NewReader(req.Raw), req.ContentType
	case req.Body != nil:
		b, err := json.Marshal(req.Body)
		if err != nil {
			return nil, err
		}
		body, ct = bytes.NewReader(b), "application/json"
	}
	u := req.Path
	if len(req.Query) > 0 {
		u += "?" + req.Query.Encode()
	}
	ctx := auth.NewContext(context.WithoutCancel(from.Context()), id)
	r, err := http.NewRequestWithContext(ctx, req.Method, u, body)
	if err != nil {
		return nil, err
	}
	if ct != "" {
		r.Header.Set("Content-Type", ct)
	}
	// The audit rows name the browser's address and the page's request.
	r.RemoteAddr = from.RemoteAddr
	if xf := from.Header.Get("X-Forwarded-For"); xf != "" {
		r.Header.Set("X-Forwarded-For", xf)
	}
	if rid := from.Header.Get("X-Request-Id"); rid != "" {
		r.Header.Set("X-Request-Id", rid)
	}
	r.Host = from.Host
	s.mu.RLock()
	chain := s.chain
	s.mu.RUnlock()
	if chain == nil {
		return nil, fmt.Errorf("console: not registered on the process mux")
	}
	rec := &recorder{header: http.Header{}}
	chain.ServeHTTP(rec, r)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return rec, nil
}

// getJSON reads path into v; an error answer comes back as *apiError.
func (s *Service) getJSON(from *http.Request, id *auth.Identity, path string, q url.Values, v any) error {
	return s.sendJSON(from, id, apiRequest{Method: http.MethodGet, Path: path, Query: q}, v)
}

// sendJSON sends req and decodes a 2xx answer into v (v may be nil).
func (s *Service) sendJSON(from *http.Request, id *auth.Identity, req apiRequest, v any) error {
	rec, err := s.do(from, id, req)
	if err != nil {
		return err
	}
	if rec.status < 200 || rec.status > 299 {
		return (&apiErrorReader{rec}).err()
	}
	if v == nil {
		return nil
	}
	if err := json.Unmarshal(rec.body.Bytes(), v); err != nil {
		return fmt.Errorf("console: read %s %s: %w", req.Method, req.Path, err)
	}
	return nil
}

// apiErrorReader reads an error answer.
type apiErrorReader struct{ rec *recorder }

func (a *apiErrorReader) err() error {
	var eb struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(a.rec.body.Bytes(), &eb)
	return &apiError{Status: a.rec.status, Code: eb.Error.Code, Message: eb.Error.Message}
}

// userMistake splits an API answer: a 400 is the user's mistake (a bad
// filter or form value), shown on the page with the API's message, not a
// failure of the page; anything else is returned as it is.
func userMistake(err error) (problem string, rest error) {
	var ae *apiError
	if errors.As(err, &ae) && ae.Status == http.StatusBadRequest {
		return ae.Message, nil
	}
	return "", err
}

// listQuery is the API query of a list page: its first 100 rows and the
// page's filters the user filled in.
func listQuery(in url.Values, filters []string) url.Values {
	api := url.Values{"limit": {"100"}}
	for _, k := range filters {
		if v := strings.TrimSpace(in.Get(k)); v != "" {
			api.Set(k, v)
		}
	}
	return api
}
