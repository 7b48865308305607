package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/remitq/remitq/pkg/audit"
	"github.com/remitq/remitq/pkg/rulesstore"

	"github.com/remitq/remitq/pkg/rules"
)

// Payer profiles (issue 16): list the shipped and stored versions, store a
// new version (a JSON rules.Profile with its effective date), delete a
// stored one, and map payer IDs to profiles. Changes are audited.
func init() {
	register(command{name: "profiles list", usage: "[--id PROFILE]  print every payer profile version (shipped and stored), one JSON object per line",
		run: runProfilesList})
	register(command{name: "profiles put", usage: "FILE...  store payer profile versions (JSON, one profile per file: id, plan, effective, timely_filing, appeals, correction, ...)",
		run: runProfilesPut})
	register(command{name: "profiles delete", usage: "--id PROFILE --effective YYYY-MM-DD  delete a stored profile version",
		run: runProfilesDelete})
	register(command{name: "profiles payers", usage: "print the payer-to-profile map (shipped and stored), one JSON object per line",
		run: runProfilesPayers})
	register(command{name: "profiles map", usage: "PAYER_ID PROFILE  work a payer (837 NM1*PR / 835 N1*PR, REF*2U) under a profile (\"default\": remitq's defaults)",
		run: runProfilesMap})
	register(command{name: "profiles unmap", usage: "PAYER_ID  drop a payer's stored mapping (the shipped one, if any, applies again)",
		run: runProfilesUnmap})
}

// profilesFlags parses the common flags of the profiles commands.
func profilesFlags(name string, args []string, extra func(*flag.FlagSet)) (*flag.FlagSet, envFlags, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var ef envFlags
	ef.register(fs, "")
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return nil, ef, errUsage
	}
	return fs, ef, nil
}

func runProfilesList(ctx context.Context, args []string) error {
	var id *string
	fs, ef, err := profilesFlags("profiles list", args, func(fs *flag.FlagSet) { id = fs.String("id", "", "one profile") })
	if err != nil || fs.NArg() > 0 {
		return errUsage
	}
	e, err := ef.open(ctx, "remitq")
	if err != nil {
		return err
	}
	defer e.Close()
	ps, err := rulesstore.ListProfiles(ctx, e.deps.DB, *id)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(os.Stdout)
	for _, p := range ps {
		if err := enc.Encode(p); err != nil {
			return err
		}
	}
	return nil
}

func runProfilesPut(ctx context.Context, args []string) error {
	fs, ef, err := profilesFlags("profiles put", args, nil)
	if err != nil || fs.NArg() == 0 {
		return errUsage
	}
	var ps []rules.Profile
	for _, f := range fs.Args() {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		p, err := rules.ParseProfile(b)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		ps = append(ps, p)
	}
	e, err := ef.open(ctx, "remitq")
	if err != nil {
		return err
	}
	defer e.Close()
	tx, err := e.deps.DB.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	enc := json.NewEncoder(os.Stdout)
	var out []rulesstore.StoredProfile
	for _, p := range ps {
		sp, err := rulesstore.PutProfile(ctx, tx, p, cliActor())
		if err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, audit.Entry{Actor: cliActor(), Action: "payer_profile.put", Entity: "payer_profile_versions",
			Detail: map[string]any{"profile_id": p.ID, "effective": p.Effective}}); err != nil {
			return err
		}
		out = append(out, sp)
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	for _, sp := range out {
		if err := enc.Encode(sp); err != nil {
			return err
		}
	}
	return nil
}

func runProfilesDelete(ctx context.Context, args []string) error {
	var id, eff *string
	fs, ef, err := profilesFlags("profiles delete", args, func(fs *flag.FlagSet) {
		id, eff = fs.String("id", "", "the profile"), fs.String("effective", "", "the version's effective date")
	})
	if err != nil || fs.NArg() > 0 || *id == "" || *eff == "" {
		return errUsage
	}
	e, err := ef.open(ctx, "remitq")
	if err != nil {
		return err
	}
	defer e.Close()
	tx, err := e.deps.DB.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	ok, err := rulesstore.DeleteProfileVersion(ctx, tx, *id, *eff)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("no stored version %s of %s (shipped versions cannot be deleted: store a newer one)", *eff, *id)
	}
	if err := audit.Record(ctx, tx, audit.Entry{Actor: cliActor(), Action: "payer_profile.delete", Entity: "payer_profile_versions",
		Detail: map[string]any{"profile_id": *id, "effective": *eff}}); err != nil {
		return err
	}
	return tx.Commit()
}

func runProfilesPayers(ctx context.Context, args []string) error {
	fs, ef, err := profilesFlags("profiles payers", args, nil)
	if err != nil || fs.NArg() > 0 {
		return errUsage
	}
	e, err := ef.open(ctx, "remitq")
	if err != nil {
		return err
	}
	defer e.Close()
	m, err := rulesstore.ListPayerMap(ctx, e.deps.DB)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(os.Stdout)
	for _, x := range m {
		if err := enc.Encode(x); err != nil {
			return err
		}
	}
	return nil
}

func runProfilesMap(ctx context.Context, args []string) error {
	return profilesMap(ctx, "profiles map", args, 2)
}
func runProfilesUnmap(ctx context.Context, args []string) error {
	return profilesMap(ctx, "profiles unmap", args, 1)
}

func profilesMap(ctx context.Context, name string, args []string, n int) error {
	fs, ef, err := profilesFlags(name, args, nil)
	if err != nil || fs.NArg() != n {
		return errUsage
	}
	e, err := ef.open(ctx, "remitq")
	if err != nil {
		return err
	}
	defer e.Close()
	tx, err := e.deps.DB.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	payer, detail := fs.Arg(0), map[string]any{"payer_id": fs.Arg(0)}
	action := "payer_profile.unmap"
	if n == 2 {
		action, detail["profile_id"] = "payer_profile.map", fs.Arg(1)
		if err := rulesstore.MapPayer(ctx, tx, payer, fs.Arg(1), cliActor()); err != nil {
			return err
		}
	} else if ok, err := rulesstore.UnmapPayer(ctx, tx, payer); err != nil {
		return err
	} else if !ok {
		return fmt.Errorf("payer %s has no stored mapping", payer)
	}
	if err := audit.Record(ctx, tx, audit.Entry{Actor: cliActor(), Action: action, Entity: "payer_profile_map", Detail: detail}); err != nil {
		return err
	}
	return tx.Commit()
}
