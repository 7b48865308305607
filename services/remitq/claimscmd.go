package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/remitq/remitq/pkg/billedstore"
)

func init() {
	register(command{name: "claims load", usage: "[--server URL] FILE...  store billed claims (837P or CSV, by content); one JSON result per file", run: runClaimsLoad})
	register(command{name: "fees load", usage: "[--server URL] FILE.csv...  store fee schedules (payer, procedure, modifier, allowed, effective dates)", run: runFeesLoad})
}

func runClaimsLoad(ctx context.Context, args []string) error {
	return loadFiles(ctx, "claims load", "/v1/claims", args, func(ctx context.Context, s *billedstore.Store, name string, raw []byte) (any, int, error) {
		res, err := s.LoadFile(ctx, name, raw, cliActor())
		if err != nil {
			return nil, 0, err
		}
		return res, len(res.Problems), nil
	})
}

func runFeesLoad(ctx context.Context, args []string) error {
	return loadFiles(ctx, "fees load", "/v1/fee-schedules", args, func(ctx context.Context, s *billedstore.Store, name string, raw []byte) (any, int, error) {
		res, err := s.LoadFees(ctx, name, raw, cliActor())
		if err != nil {
			return nil, 0, err
		}
		return res, len(res.Problems), nil
	})
}

// cliActor names who ran a command in the audit log.
func cliActor() string {
	if u := os.Getenv("USER"); u != "" {
		return "cli:" + u
	}
	return "cli"
}

type loader func(ctx context.Context, s *billedstore.Store, name string, raw []byte) (v any, problems int, err error)

// loadFiles runs load on each file (or posts it to a running remitq with
// --server) and prints one JSON result per file.
func loadFiles(ctx context.Context, name, path string, args []string, load loader) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	var ef envFlags
	ef.register(fs, "")
	server := fs.String("server", os.Getenv("REMITQ_SERVER"), "send the files to a running remitq (its HTTP address) instead of the database (env REMITQ_SERVER)")
	if err := fs.Parse(args); err != nil || fs.NArg() == 0 {
		return errUsage
	}
	var send func(ctx context.Context, name string, raw []byte) (any, int, error)
	if *server != "" {
		send = postFile(*server, path)
	} else {
		e, err := ef.open(ctx, "remitq")
		if err != nil {
			return err
		}
		defer e.Close()
		s := &billedstore.Store{DB: e.deps.DB, NC: e.deps.NC, Log: e.log}
		send = func(ctx context.Context, name string, raw []byte) (any, int, error) { return load(ctx, s, name, raw) }
	}
	enc := json.NewEncoder(os.Stdout)
	failed, problems := 0, 0
	for _, f := range fs.Args() {
		raw, err := os.ReadFile(f)
		if err == nil {
			var v any
			var n int
			if v, n, err = send(ctx, filepath.Base(f), raw); err == nil {
				problems += n
				err = enc.Encode(v)
			}
		}
		if err != nil {
			failed++
			fmt.Fprintf(os.Stderr, "remitq %s: %s: %v\n", name, f, err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	if failed > 0 || problems > 0 {
		return fmt.Errorf("%d file(s) could not be loaded, %d problem(s) reported", failed, problems)
	}
	return nil
}

// postFile posts a file to path of a running remitq and returns its JSON answer.
func postFile(server, path string) func(context.Context, string, []byte) (any, int, error) {
	client := &http.Client{Timeout: 5 * time.Minute}
	base := strings.TrimRight(server, "/")
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	return func(ctx context.Context, name string, raw []byte) (any, int, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+path+"?filename="+url.QueryEscape(name), bytes.NewReader(raw))
		if err != nil {
			return nil, 0, err
		}
		req.Header.Set("Content-Type", "application/octet-stream")
		req.Header.Set(billedstore.UserHeader, cliActor())
		resp, err := client.Do(req)
		if err != nil {
			return nil, 0, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
		if err != nil {
			return nil, 0, err
		}
		if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
			return nil, 0, fmt.Errorf("server answered %s: %s", resp.Status, strings.TrimSpace(string(body)))
		}
		var v struct {
			Problems []json.RawMessage `json:"problems"`
		}
		if err := json.Unmarshal(body, &v); err != nil {
			return nil, 0, fmt.Errorf("unreadable answer: %w", err)
		}
		return json.RawMessage(body), len(v.Problems), nil
	}
}
