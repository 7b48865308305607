package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/remitq/remitq/pkg/audit"
	"github.com/remitq/remitq/pkg/rules"
	"github.com/remitq/remitq/pkg/rulesstore"
)

// The pain rules' records: prior authorizations and block relief loaded
// for a practice, and the history sharing policy. Patient keys are made
// under the server's secret: --patient-key / REMITQ_PATIENT_KEY, else
// --patient-key-file / REMITQ_PATIENT_KEY_FILE, else <data>/patient.key
// (created on first use, as the all-in-one process uses it when it loads
// billed claims and checks them).
func init() {
	register(command{name: "auths load", usage: "--practice ID|NPI FILE...  store prior authorizations of a practice (CSV: auth_number, cpt_codes, valid_from, valid_to, payer_id, provider_npi, units and patient_key or member_id, birth_date, last_name, first_name; or a JSON array); one JSON result per file",
		run: func(ctx context.Context, args []string) error { return runRecordsLoad(ctx, "auths load", args) }})
	register(command{name: "relief load", usage: "--practice ID|NPI FILE...  store block relief records of a practice (CSV: date, percent, level and the patient as for auths; or a JSON array); one JSON result per file",
		run: func(ctx context.Context, args []string) error { return runRecordsLoad(ctx, "relief load", args) }})
	register(command{name: "sharing", usage: "[--cross-practice true|false] [--same-tin true|false] [--group NAME=ID,ID...]... [--ungroup NAME]...  change, then print, the policy of history shared across practices",
		run: runSharing})
	// The components of the all-in-one process (billing, the API) key
	// patients under <data>/patient.key unless the environment names a secret
	// (envFlags.open tells rulesdb the data folder).
}

// recordsResult is what `remitq auths load` / `relief load` print per file.
type recordsResult struct {
	File       string `json:"file"`
	PracticeID int64  `json:"practice_id"`
	rulesstore.StoreResult
	Problems []string `json:"problems"`
}

func runRecordsLoad(ctx context.Context, name string, args []string) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var ef envFlags
	ef.register(fs, "")
	var kc rulesstore.KeyConfig
	kc.Flags(fs)
	practiceArg := fs.String("practice", "", "the practice the records are for: its id or NPI")
	if err := fs.Parse(args); err != nil || fs.NArg() == 0 || *practiceArg == "" {
		return errUsage
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
	practice, err := findPractice(ctx, e.deps.DB, *practiceArg)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(os.Stdout)
	failed, problems := 0, 0
	for _, f := range fs.Args() {
		res, err := loadRecords(ctx, e.deps.DB, name, f, practice, k)
		if err == nil {
			problems += len(res.Problems)
			err = enc.Encode(res)
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

// findPractice resolves a practice id or NPI.
func findPractice(ctx context.Context, db *sqlx.DB, s string) (int64, error) {
	id, _ := strconv.ParseInt(s, 10, 64)
	var out int64
	err := db.QueryRowxContext(ctx, `SELECT id FROM practices WHERE id = $1 OR npi = $2 ORDER BY (id = $1) DESC LIMIT 1`, id, s).Scan(&out)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("no practice %q: register it with remitq practices add", s)
	}
	return out, err
}

// loadRecords reads one auths or relief file (CSV, or JSON by content)
// and stores its good records for practice, with an audit row.
func loadRecords(ctx context.Context, db *sqlx.DB, name, file string, practice int64, k *rules.Keyer) (*recordsResult, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(raw, []byte("\ufeff")), " \t\r\n")
	isJSON := len(trimmed) > 0 && (trimmed[0] == '[' || trimmed[0] == '{')
	src := rulesstore.SourceCSV
	if isJSON {
		src = rulesstore.SourceJSON
	}
	var auths []rules.Auth
	var relief []rules.Relief
	var readErr error
	if name == "auths load" {
		read := rules.ReadAuths
		if isJSON {
			read = rules.ReadAuthsJSON
		}
		var b *rules.AuthBook
		if b, readErr = read(bytes.NewReader(raw), k); b != nil {
			auths = b.All()
		}
	} else {
		read := rules.ReadRelief
		if isJSON {
			read = rules.ReadReliefJSON
		}
		var b *rules.ReliefBook
		if b, readErr = read(bytes.NewReader(raw), k); b != nil {
			relief = b.All()
		}
	}
	res := &recordsResult{File: filepath.Base(file), PracticeID: practice, Problems: []string{}}
	var rows rules.RowErrors
	switch {
	case errors.As(readErr, &rows):
		for _, e := range rows {
			res.Problems = append(res.Problems, e.Error())
		}
	case readErr != nil:
		return nil, readErr
	}
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	action, entity := "block_relief.load", "block_relief"
	if name == "auths load" {
		action, entity = "prior_auth.load", "prior_auths"
		res.StoreResult, err = rulesstore.StoreAuths(ctx, tx, practice, auths, src, cliActor())
	} else {
		res.StoreResult, err = rulesstore.StoreRelief(ctx, tx, practice, relief, src, cliActor())
	}
	if err != nil {
		return nil, err
	}
	if err := audit.Record(ctx, tx, audit.Entry{Actor: cliActor(), Action: action, Entity: entity,
		PracticeID: practice, Detail: map[string]any{"source": src, "records": res.Records, "inserted": res.Inserted,
			"updated": res.Updated, "unchanged": res.Unchanged, "problems": len(res.Problems)}}); err != nil {
		return nil, err
	}
	return res, tx.Commit()
}

// groupsFlag is a repeatable NAME=ID,ID... flag.
type groupsFlag map[string][]int64

func (g groupsFlag) String() string { return fmt.Sprint(map[string][]int64(g)) }

func (g groupsFlag) Set(v string) error {
	name, list, ok := strings.Cut(v, "=")
	if !ok || !rulesstore.ValidGroupName(name) {
		return errors.New("want NAME=ID[,ID]")
	}
	for _, s := range splitList(list) {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("practice id %q is not a number", s)
		}
		g[name] = append(g[name], id)
	}
	return nil
}

// runSharing is `remitq sharing`: changes the policy as asked, then prints it.
func runSharing(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("sharing", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var ef envFlags
	ef.register(fs, "")
	cross := fs.String("cross-practice", "", "count history across practices that may share it: true or false")
	sameTIN := fs.String("same-tin", "", "practices with one tax ID share: true or false")
	groups := groupsFlag{}
	var ungroup listFlag
	fs.Var(groups, "group", "declare a group of practices that share history: NAME=ID,ID... (repeatable)")
	fs.Var(&ungroup, "ungroup", "remove a sharing group (repeatable)")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return errUsage
	}
	e, err := ef.open(ctx, "remitq")
	if err != nil {
		return err
	}
	defer e.Close()
	db := e.deps.DB
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	p, err := rulesstore.LoadPolicy(ctx, tx)
	if err != nil {
		return err
	}
	changed := map[string]any{}
	if *cross != "" || *sameTIN != "" {
		c, s := p.CrossPractice, p.SameTIN
		for _, f := range []struct {
			v   string
			dst *bool
		}{{*cross, &c}, {*sameTIN, &s}} {
			if f.v == "" {
				continue
			}
			b, err := strconv.ParseBool(f.v)
			if err != nil {
				return errUsage
			}
			*f.dst = b
		}
		if err := rulesstore.SetSharing(ctx, tx, c, s, cliActor()); err != nil {
			return err
		}
		changed["cross_practice"], changed["same_tin"] = c, s
	}
	for name, ids := range groups {
		if err := rulesstore.PutGroup(ctx, tx, name, ids, cliActor()); err != nil {
			return fmt.Errorf("group %s: %w", name, err)
		}
		changed["group:"+name] = ids
	}
	for _, name := range ungroup {
		if _, err := rulesstore.DeleteGroup(ctx, tx, name); err != nil {
			return err
		}
		changed["ungroup:"+name] = true
	}
	if len(changed) > 0 {
		if err := audit.Record(ctx, tx, audit.Entry{Actor: cliActor(), Action: "sharing.update", Entity: "rules_settings", Detail: changed}); err != nil {
			return err
		}
	}
	if p, err = rulesstore.LoadPolicy(ctx, tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(p)
}
