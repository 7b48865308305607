package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// apiFlags are the flags of a command that talks to a running remitq over
// its HTTP API: --url (env REMITQ_URL, or REMITQ_SERVER as `ingest` reads
// it) and --token (env REMITQ_TOKEN: a JWT or an API key).
type apiFlags struct {
	url, token string
}

func (a *apiFlags) register(fs *flag.FlagSet) {
	def := os.Getenv("REMITQ_URL")
	if def == "" {
		def = os.Getenv("REMITQ_SERVER")
	}
	fs.StringVar(&a.url, "url", def, "the running remitq's address, e.g. http://127.0.0.1:8080 (env REMITQ_URL)")
	fs.StringVar(&a.token, "token", os.Getenv("REMITQ_TOKEN"), "bearer token (JWT or API key) for --url (env REMITQ_TOKEN)")
}

// errNoURL: a command that needs a running remitq was not told where.
var errNoURL = errors.New("name the running remitq: REMITQ_URL=http://HOST:PORT REMITQ_TOKEN=... (or --url, --token); `remitq demo` prints both")

// apiClient calls the API of a running remitq.
type apiClient struct {
	base, token string
	http        *http.Client
}

func (a *apiFlags) client() (*apiClient, error) {
	if a.url == "" {
		return nil, errNoURL
	}
	base := strings.TrimRight(a.url, "/")
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	return &apiClient{base: base, token: a.token, http: &http.Client{Timeout: time.Minute}}, nil
}

// apiError is an error answer of the API.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s (HTTP %d %s)", e.Message, e.Status, e.Code)
}

// do sends body (JSON, unless nil) and decodes the answer into out
// (unless nil); an error answer is an *apiError.
func (c *apiClient) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Error struct{ Code, Message string }
		}
		_ = json.Unmarshal(raw, &e)
		if e.Error.Message == "" {
			e.Error.Message = http.StatusText(resp.StatusCode)
		}
		return &apiError{Status: resp.StatusCode, Code: e.Error.Code, Message: e.Error.Message}
	}
	if out == nil || len(raw) == 0 {
		return nil
	}
	return json.Unmarshal(raw, out)
}

// list reads every page of a list route (following next_cursor) and
// writes its items as JSON lines.
func (c *apiClient) list(ctx context.Context, path string, w io.Writer) error {
	enc := json.NewEncoder(w)
	cursor := ""
	for {
		p := path
		if cursor != "" {
			sep := "?"
			if strings.Contains(p, "?") {
				sep = "&"
			}
			p += sep + "cursor=" + cursor
		}
		var page struct {
			Items      []json.RawMessage `json:"items"`
			NextCursor string            `json:"next_cursor"`
		}
		if err := c.do(ctx, http.MethodGet, p, nil, &page); err != nil {
			return err
		}
		for _, it := range page.Items {
			if err := enc.Encode(it); err != nil {
				return err
			}
		}
		if page.NextCursor == "" {
			return nil
		}
		cursor = page.NextCursor
	}
}

// printJSON writes v as one JSON line.
func printJSON(w io.Writer, v any) error { return json.NewEncoder(w).Encode(v) }
