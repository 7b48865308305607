package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/remitq/remitq/pkg/rules"
	"github.com/remitq/remitq/pkg/rulesstore"
	"github.com/remitq/remitq/x12"
)

func init() {
	register(command{name: "check",
		usage: "FILE.837 [--history FILE.837]... [--auths FILE.csv] [--relief FILE.csv] [--payer-rules FILE.json] [--rules-dir DIR] [--sharing tin|own] [--share-group NPI,NPI,...]... | FILE.837 --db [--payer-rules FILE.json] [--rules-dir DIR]  print one JSON object per pre-bill risk (nothing for a clean claim); --db checks against the stored history, auths, relief and sharing policy",
		run:   runCheck})
}

// listFlag is a repeatable flag; a value may also list several, comma-separated.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	*l = append(*l, splitList(v)...)
	return nil
}

// groupFlag is a repeatable flag whose every value is one comma-separated group.
type groupFlag [][]string

func (g *groupFlag) String() string { return fmt.Sprint(*g) }

func (g *groupFlag) Set(v string) error {
	m := splitList(v)
	if len(m) < 2 {
		return errors.New("a share group needs at least two practices")
	}
	*g = append(*g, m)
	return nil
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// runCheck is `remitq check`: the pre-bill check of an 837P file against
// history 837P files, prior authorizations and block relief (CSV), with the
// default pain rules (or those of --rules-dir) and payer overrides. It
// prints one JSON object per risk and exits 0, risks or not; it fails when
// a file cannot be read or a claim cannot be checked.
//
// Patient keys are made under a random secret drawn for this run: they only
// need to agree within it, and nothing is kept.
func runCheck(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var history listFlag
	var groups groupFlag
	fs.Var(&history, "history", "837P file of earlier claims (repeatable, or comma-separated)")
	fs.Var(&groups, "share-group", "comma-separated practice NPIs that may see each other's history (repeatable: one group each)")
	auths := fs.String("auths", "", "prior authorizations CSV")
	relief := fs.String("relief", "", "block relief CSV")
	payerRules := fs.String("payer-rules", "", "per-payer rules JSON")
	rulesDir := fs.String("rules-dir", "", "directory of data files replacing the embedded ones (a new NCCI quarter)")
	sharing := fs.String("sharing", "tin", "history shared across practices: tin (same TIN) or own (own practice only), plus --share-group")
	db := fs.Bool("db", false, "check against the database: the stored history, auths and relief, and the sharing policy (remitq sharing)")
	var ef envFlags
	ef.register(fs, "")
	var kc rulesstore.KeyConfig
	kc.Flags(fs)
	// Flags and file names may come in any order.
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			return errUsage
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	// "--history A.837 B.837": names after the file to check are history too.
	if len(files) > 1 && len(history) > 0 {
		history = append(history, files[1:]...)
		files = files[:1]
	}
	if len(files) != 1 {
		return errUsage
	}
	if *db && (len(history) > 0 || len(groups) > 0 || *auths != "" || *relief != "") {
		return fmt.Errorf("--db takes the history, auths, relief and sharing policy from the database: leave out --history, --auths, --relief and --share-group")
	}
	sh := &rules.Sharing{}
	switch *sharing {
	case "tin":
		sh.SameTIN = true
	case "own":
	default:
		return errUsage
	}
	for _, g := range groups {
		sh.Declare(g...)
	}

	set := rules.Default()
	if *rulesDir != "" {
		var err error
		if set, err = rules.Load(os.DirFS(*rulesDir)); err != nil {
			return err
		}
	}
	if *payerRules != "" {
		f, err := os.Open(*payerRules)
		if err != nil {
			return err
		}
		cfg, err := rules.ParsePayerConfig(f)
		f.Close()
		if err != nil {
			return err
		}
		if set, err = set.WithPayers(cfg); err != nil {
			return err
		}
	}

	if *db {
		return checkDB(ctx, &ef, &kc, set, files[0])
	}

	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return err
	}
	keyer, err := rules.NewKeyer(secret)
	if err != nil {
		return err
	}
	rec := &rules.Records{Sharing: sh}
	if *auths != "" {
		if rec.Auths, err = readRecords(*auths, func(r io.Reader) (*rules.AuthBook, error) { return rules.ReadAuths(r, keyer) }); err != nil {
			return err
		}
	}
	if *relief != "" {
		if rec.Relief, err = readRecords(*relief, func(r io.Reader) (*rules.ReliefBook, error) { return rules.ReadRelief(r, keyer) }); err != nil {
			return err
		}
	}

	claims, err := read837(files[0])
	if err != nil {
		return err
	}
	var hist []*x12.ClaimFile
	for _, h := range history {
		f, err := read837(h)
		if err != nil {
			return err
		}
		hist = append(hist, f)
	}

	findings, checkErr := set.CheckX12(claims, hist, keyer, rec)
	if err := printFindings(findings); err != nil {
		return err
	}
	if checkErr != nil {
		return fmt.Errorf("some claims could not be checked: %w", checkErr)
	}
	return nil
}

// checkDB is `remitq check --db`: the claims of file against what the
// database holds (rulesstore.Checker), under the server's patient-key secret.
func checkDB(ctx context.Context, ef *envFlags, kc *rulesstore.KeyConfig, set *rules.Set, file string) error {
	claims, err := read837(file)
	if err != nil {
		return err
	}
	k, err := kc.Keyer(ef.data)
	if err != nil {
		return err
	}
	e, err := ef.open(ctx, "remitq")
	if err != nil {
		return err
	}
	defer e.Close()
	res, err := (&rulesstore.Checker{DB: e.deps.DB, Rules: set, Keyer: k}).CheckX12(ctx, claims, nil)
	if err != nil {
		return err
	}
	return printFindings(res.Findings)
}

// printFindings prints one JSON object per finding.
func printFindings(findings []rules.Finding) error {
	out := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(out)
	for _, f := range findings {
		if err := enc.Encode(f); err != nil {
			return err
		}
	}
	return out.Flush()
}

// readRecords reads a records CSV; bad rows are reported on stderr (row and
// column, never the value) and the good rows kept.
func readRecords[T any](name string, read func(io.Reader) (T, error)) (T, error) {
	var zero T
	f, err := os.Open(name)
	if err != nil {
		return zero, err
	}
	defer f.Close()
	v, err := read(bufio.NewReader(f))
	var rows rules.RowErrors
	if errors.As(err, &rows) {
		for _, e := range rows {
			fmt.Fprintf(os.Stderr, "remitq check: %s: %v (row skipped)\n", name, e)
		}
		return v, nil
	}
	if err != nil {
		return zero, fmt.Errorf("%s: %w", name, err)
	}
	return v, nil
}

// read837 reads an 837P file; data problems are reported on stderr by
// position (the claims they touch are skipped by the reader).
func read837(name string) (*x12.ClaimFile, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cf, err := x12.ReadClaims(bufio.NewReaderSize(f, 256<<10))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if cf.TransactionSets == 0 {
		return nil, fmt.Errorf("%s: no 837 transaction set", name)
	}
	for _, e := range cf.Errors {
		fmt.Fprintf(os.Stderr, "remitq check: %s: %v\n", name, e)
	}
	return cf, nil
}
