package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"

	"github.com/remitq/remitq/pkg/practicestore"
	"github.com/remitq/remitq/pkg/remitstore"
)

// Onboarding commands. With REMITQ_URL (or --url) they talk to a running
// remitq over its API, as the token's user (adding and changing takes an
// admin); `practices add` and `practices list` without it work on the
// database directly, as before.

// cmdOut is where the commands print (tests replace it).
var cmdOut io.Writer = os.Stdout

func init() {
	register(command{name: "practices add", usage: "[--url URL --token T] --name NAME [--npi NPI] [--tin TIN]  register a practice (payee of 835s)", run: runPracticesAdd})
	register(command{name: "practices list", usage: "[--url URL --token T]  list the practices (in the token's scope) as JSON lines", run: runPracticesList})
	register(command{name: "practices edit", usage: "--url URL --token T PRACTICE_ID [--name NAME] [--npi NPI] [--tin TIN]  change a practice", run: runPracticesEdit})
	register(command{name: "providers list", usage: "--url URL --token T PRACTICE_ID  the practice's rendering providers as JSON lines", run: runProvidersList})
	register(command{name: "providers add", usage: "--url URL --token T PRACTICE_ID --npi NPI --name NAME  add (or rename) a rendering provider", run: runProvidersAdd})
	register(command{name: "providers rename", usage: "--url URL --token T PRACTICE_ID PROVIDER_ID --name NAME  rename a provider", run: runProvidersRename})
	register(command{name: "payers list", usage: "--url URL --token T PRACTICE_ID  the practice's payers (id, code, name) as JSON lines", run: runPayersList})
	register(command{name: "payers add", usage: "--url URL --token T PRACTICE_ID --code CODE [--name NAME]  enroll the practice with a payer", run: runPayersAdd})
	register(command{name: "payers remove", usage: "--url URL --token T PRACTICE_ID PAYER_ID  end the practice's enrollment with a payer", run: runPayersRemove})
}

// optString is a flag that records whether it was given.
type optString struct {
	v   string
	set bool
}

func (o *optString) String() string { return o.v }
func (o *optString) Set(v string) error {
	o.v, o.set = v, true
	return nil
}

func (o *optString) ptr() *string {
	if !o.set {
		return nil
	}
	return &o.v
}

// ids reads n positive integer arguments.
func ids(fs *flag.FlagSet, n int) ([]int64, error) {
	if fs.NArg() != n {
		return nil, errUsage
	}
	out := make([]int64, n)
	for i := range out {
		v, err := strconv.ParseInt(fs.Arg(i), 10, 64)
		if err != nil || v <= 0 {
			return nil, errUsage
		}
		out[i] = v
	}
	return out, nil
}

// parseInterleaved parses flags given before and after the positional
// arguments ("edit 3 --name X" and "edit --name X 3").
func parseInterleaved(fs *flag.FlagSet, args []string) error {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return errUsage
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	return fs.Parse(append([]string{"--"}, pos...))
}

func runPracticesAdd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("practices add", flag.ContinueOnError)
	var ef envFlags
	ef.register(fs, "")
	var af apiFlags
	af.register(fs)
	var p practicestore.Practice
	fs.StringVar(&p.Name, "name", "", "practice name")
	fs.StringVar(&p.NPI, "npi", "", "organisation NPI the payers send as payee")
	fs.StringVar(&p.TIN, "tin", "", "federal tax id (9 digits)")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		return errUsage
	}
	if err := p.Validate(); err != nil {
		return err
	}
	if af.url != "" {
		c, err := af.client()
		if err != nil {
			return err
		}
		var out struct {
			practicestore.Practice
			FilesIngested []int64 `json:"files_ingested"`
		}
		if err := c.do(ctx, http.MethodPost, "/v1/practices", map[string]string{"name": p.Name, "npi": p.NPI, "tin": p.TIN}, &out); err != nil {
			return err
		}
		fmt.Fprintf(cmdOut, "practice %d added: %s\n", out.ID, out.Name)
		for _, id := range out.FilesIngested {
			fmt.Fprintf(cmdOut, "file %d was waiting for its practice: ingested\n", id)
		}
		return nil
	}
	e, err := ef.open(ctx, "remitq")
	if err != nil {
		return err
	}
	defer e.Close()
	if err := practicestore.Add(ctx, e.deps.DB, &p); err != nil {
		return err
	}
	fmt.Fprintf(cmdOut, "practice %d added: %s\n", p.ID, p.Name)
	// Files that waited for this payee are ingested now.
	in := &remitstore.Ingester{DB: e.deps.DB, Log: e.log}
	done, err := in.RetryUnknownPayees(ctx)
	if err != nil {
		return err
	}
	for _, r := range done {
		fmt.Fprintf(cmdOut, "file %d (%s) was waiting for its practice: ingested, %d service lines\n", r.FileID, r.Filename, r.ServiceLines)
	}
	if len(done) > 0 {
		pub := &remitstore.Publisher{DB: e.deps.DB, JS: e.deps.JS, Log: e.log}
		if _, err := pub.Drain(ctx); err != nil {
			return err
		}
	}
	return nil
}

func runPracticesList(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("practices list", flag.ContinueOnError)
	var ef envFlags
	ef.register(fs, "")
	var af apiFlags
	af.register(fs)
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		return errUsage
	}
	if af.url != "" {
		c, err := af.client()
		if err != nil {
			return err
		}
		return c.list(ctx, "/v1/practices?limit=500", cmdOut)
	}
	e, err := ef.open(ctx, "remitq")
	if err != nil {
		return err
	}
	defer e.Close()
	list, err := practicestore.List(ctx, e.deps.DB)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(cmdOut)
	for _, p := range list {
		if err := enc.Encode(p); err != nil {
			return err
		}
	}
	return nil
}

// apiCommand parses an API-only command: its flags (extra), then n ids.
func apiCommand(name string, args []string, n int, extra func(fs *flag.FlagSet)) (*apiClient, []int64, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	var af apiFlags
	af.register(fs)
	if extra != nil {
		extra(fs)
	}
	if err := parseInterleaved(fs, args); err != nil {
		return nil, nil, err
	}
	v, err := ids(fs, n)
	if err != nil {
		return nil, nil, err
	}
	c, err := af.client()
	if err != nil {
		return nil, nil, err
	}
	return c, v, nil
}

func runPracticesEdit(ctx context.Context, args []string) error {
	var name, npi, tin optString
	c, v, err := apiCommand("practices edit", args, 1, func(fs *flag.FlagSet) {
		fs.Var(&name, "name", "new name")
		fs.Var(&npi, "npi", "new organisation NPI")
		fs.Var(&tin, "tin", "new tax id")
	})
	if err != nil {
		return err
	}
	var out practicestore.Practice
	body := map[string]*string{"name": name.ptr(), "npi": npi.ptr(), "tin": tin.ptr()}
	for k, p := range body {
		if p == nil {
			delete(body, k)
		}
	}
	if err := c.do(ctx, http.MethodPatch, fmt.Sprintf("/v1/practices/%d", v[0]), body, &out); err != nil {
		return err
	}
	return printJSON(cmdOut, out)
}

func runProvidersList(ctx context.Context, args []string) error {
	c, v, err := apiCommand("providers list", args, 1, nil)
	if err != nil {
		return err
	}
	return c.list(ctx, fmt.Sprintf("/v1/practices/%d/providers", v[0]), cmdOut)
}

func runProvidersAdd(ctx context.Context, args []string) error {
	var npi, name string
	c, v, err := apiCommand("providers add", args, 1, func(fs *flag.FlagSet) {
		fs.StringVar(&npi, "npi", "", "rendering provider NPI")
		fs.StringVar(&name, "name", "", "provider name (required)")
	})
	if err != nil {
		return err
	}
	var out practicestore.Provider
	if err := c.do(ctx, http.MethodPost, fmt.Sprintf("/v1/practices/%d/providers", v[0]), map[string]string{"npi": npi, "name": name}, &out); err != nil {
		return err
	}
	return printJSON(cmdOut, out)
}

func runProvidersRename(ctx context.Context, args []string) error {
	var name string
	c, v, err := apiCommand("providers rename", args, 2, func(fs *flag.FlagSet) {
		fs.StringVar(&name, "name", "", "provider name")
	})
	if err != nil {
		return err
	}
	var out practicestore.Provider
	if err := c.do(ctx, http.MethodPatch, fmt.Sprintf("/v1/practices/%d/providers/%d", v[0], v[1]), map[string]string{"name": name}, &out); err != nil {
		return err
	}
	return printJSON(cmdOut, out)
}

func runPayersList(ctx context.Context, args []string) error {
	c, v, err := apiCommand("payers list", args, 1, nil)
	if err != nil {
		return err
	}
	return c.list(ctx, fmt.Sprintf("/v1/practices/%d/payers", v[0]), cmdOut)
}

func runPayersAdd(ctx context.Context, args []string) error {
	var code, name string
	c, v, err := apiCommand("payers add", args, 1, func(fs *flag.FlagSet) {
		fs.StringVar(&code, "code", "", "payer id code (as the 835 sends it)")
		fs.StringVar(&name, "name", "", "payer name (when the code is new)")
	})
	if err != nil {
		return err
	}
	var out practicestore.Payer
	if err := c.do(ctx, http.MethodPost, fmt.Sprintf("/v1/practices/%d/payers", v[0]), map[string]string{"payer_code": code, "payer_name": name}, &out); err != nil {
		return err
	}
	return printJSON(cmdOut, out)
}

func runPayersRemove(ctx context.Context, args []string) error {
	c, v, err := apiCommand("payers remove", args, 2, nil)
	if err != nil {
		return err
	}
	if err := c.do(ctx, http.MethodDelete, fmt.Sprintf("/v1/practices/%d/payers/%d", v[0], v[1]), nil, nil); err != nil {
		return err
	}
	fmt.Fprintf(cmdOut, "practice %d is no longer enrolled with payer %d\n", v[0], v[1])
	return nil
}
