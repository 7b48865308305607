package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/remitq/remitq/pkg/store"
)

func init() {
	register(command{name: "partitions", usage: "[--ahead N]  create the monthly partitions of the next N months (default 3) and list them", run: runPartitions})
	register(command{name: "retention", usage: "--before YYYY-MM-DD [--archive DIR] [--dry-run]  archive and delete remittance files received before the date, with their rows, finished work items and older monthly partitions", run: runRetention})
}

func runPartitions(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("partitions", flag.ContinueOnError)
	var ef envFlags
	ef.register(fs, "")
	ahead := fs.Int("ahead", store.PartitionsAhead, "months after the current one")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	e, err := ef.open(ctx, "remitq")
	if err != nil {
		return err
	}
	defer e.Close()
	made, err := store.EnsurePartitions(ctx, e.deps.DB, *ahead)
	if err != nil {
		return err
	}
	for _, p := range made {
		fmt.Fprintln(os.Stderr, "created", p)
	}
	parts, err := store.Partitions(ctx, e.deps.DB)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(os.Stdout)
	for _, p := range parts {
		if err := enc.Encode(map[string]any{"table": p.Parent, "partition": p.Name, "from": p.From.Format(time.DateOnly),
			"to": p.To.Format(time.DateOnly), "rows": p.Rows}); err != nil {
			return err
		}
	}
	return nil
}

func runRetention(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("retention", flag.ContinueOnError)
	var ef envFlags
	ef.register(fs, "")
	before := fs.String("before", "", "cutoff date (UTC): what is older goes")
	archive := fs.String("archive", "", "folder to write each removed file's raw bytes to (<received date>-<sha256>.835) before it is deleted")
	dry := fs.Bool("dry-run", false, "count only")
	if err := fs.Parse(args); err != nil || *before == "" {
		return errUsage
	}
	cut, err := time.Parse(time.DateOnly, *before)
	if err != nil {
		return fmt.Errorf("--before: %w", err)
	}
	if *archive == "" && !*dry {
		return fmt.Errorf("give --archive DIR (the raw files are the record of what was paid) or --dry-run")
	}
	e, err := ef.open(ctx, "remitq")
	if err != nil {
		return err
	}
	defer e.Close()
	var arch func(*store.ArchivedFile) error
	if *archive != "" {
		if err := os.MkdirAll(*archive, 0o700); err != nil {
			return err
		}
		arch = func(f *store.ArchivedFile) error {
			name := filepath.Join(*archive, f.ReceivedAt.UTC().Format("20060102")+"-"+hex.EncodeToString(f.SHA256)+".835")
			tmp := name + ".tmp"
			if err := os.WriteFile(tmp, f.Raw, 0o600); err != nil {
				return err
			}
			fh, err := os.Open(tmp)
			if err != nil {
				return err
			}
			if err := fh.Sync(); err != nil { // durable before the database forgets it
				fh.Close()
				return err
			}
			fh.Close()
			return os.Rename(tmp, name)
		}
	}
	rep, err := store.Retain(ctx, e.deps.DB, cut, arch, *dry)
	if rep != nil {
		_ = json.NewEncoder(os.Stdout).Encode(rep)
	}
	return err
}
