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

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/remitq/remitq/pkg/ingestsvc"
	"github.com/remitq/remitq/pkg/remitstore"
)

func init() {
	register(command{name: "ingest", usage: "[--server URL] FILE...  store 835 files and publish their lines; one JSON result per file", run: runIngest})
}

func runIngest(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("ingest", flag.ContinueOnError)
	var ef envFlags
	ef.register(fs, "")
	server := fs.String("server", os.Getenv("REMITQ_SERVER"), "send the files to a running remitq (its HTTP address) instead of the database (env REMITQ_SERVER)")
	token := fs.String("token", os.Getenv("REMITQ_TOKEN"), "bearer token (JWT or API key) for --server (env REMITQ_TOKEN)")
	if err := fs.Parse(args); err != nil || fs.NArg() == 0 {
		return errUsage
	}
	files := fs.Args()
	var send func(ctx context.Context, name string, raw []byte) (*remitstore.Result, error)
	var finish func(ctx context.Context) error
	if *server != "" {
		send = httpSender(*server, *token)
	} else {
		e, err := ef.open(ctx, "remitq")
		if err != nil {
			return err
		}
		defer e.Close()
		s, err := ingestsvc.New(e.deps, ingestsvc.Options{})
		if err != nil {
			return err
		}
		send = s.Ingest
		finish = func(ctx context.Context) error {
			_, err := s.Publisher.Drain(ctx)
			return err
		}
	}
	var bar *progressbar.ProgressBar
	if len(files) > 1 && term.IsTerminal(int(os.Stderr.Fd())) {
		bar = progressbar.NewOptions(len(files), progressbar.OptionSetWriter(os.Stderr),
			progressbar.OptionSetDescription("ingesting"), progressbar.OptionShowCount(), progressbar.OptionClearOnFinish())
	}
	enc := json.NewEncoder(os.Stdout)
	quarantined, failed := 0, 0
	for _, name := range files {
		raw, err := os.ReadFile(name)
		if err == nil {
			var res *remitstore.Result
			if res, err = send(ctx, filepath.Base(name), raw); err == nil {
				if res.Status == remitstore.StatusQuarantined {
					quarantined++
				}
				err = enc.Encode(res)
			}
		}
		if err != nil {
			failed++
			fmt.Fprintf(os.Stderr, "remitq ingest: %s: %v\n", name, err)
		}
		if bar != nil {
			_ = bar.Add(1)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	if finish != nil {
		if err := finish(ctx); err != nil {
			return fmt.Errorf("publish: %w (the files are stored; a running remitq publishes them)", err)
		}
	}
	if failed > 0 || quarantined > 0 {
		return fmt.Errorf("%d file(s) could not be sent, %d quarantined", failed, quarantined)
	}
	return nil
}

// httpSender posts each file to POST /v1/remittances of a running remitq.
func httpSender(server, token string) func(context.Context, string, []byte) (*remitstore.Result, error) {
	client := &http.Client{Timeout: 5 * time.Minute}
	base := strings.TrimRight(server, "/")
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	return func(ctx context.Context, name string, raw []byte) (*remitstore.Result, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/remittances?filename="+url.QueryEscape(name), bytes.NewReader(raw))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/edi-x12")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
		if err != nil {
			return nil, err
		}
		switch resp.StatusCode {
		case http.StatusOK, http.StatusCreated, http.StatusUnprocessableEntity:
			var res remitstore.Result
			if err := json.Unmarshal(body, &res); err != nil {
				return nil, fmt.Errorf("unreadable answer: %w", err)
			}
			return &res, nil
		default:
			return nil, fmt.Errorf("server answered %s: %s", resp.Status, strings.TrimSpace(string(body)))
		}
	}
}
