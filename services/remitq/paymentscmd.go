package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/remitq/remitq/pkg/kpi"
	"github.com/remitq/remitq/pkg/kpistore"
)

func init() {
	register(command{name: "payments import", usage: "FILE.csv  load patient payments exported from a practice-management system (columns: " +
		strings.Join(kpi.PaymentColumns, ", ") + "); all rows or none; re-imports replace", run: runPaymentsImport})
}

func runPaymentsImport(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("payments import", flag.ContinueOnError)
	var ef envFlags
	ef.register(fs, "")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		return errUsage
	}
	name := fs.Arg(0)
	data, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	e, err := ef.open(ctx, "remitq")
	if err != nil {
		return err
	}
	defer e.Close()
	res, err := kpistore.ImportPayments(ctx, e.deps.DB, data, kpistore.ImportOptions{FileName: filepath.Base(name), By: "cli"})
	if err != nil {
		// Line and column per problem, never a value.
		return fmt.Errorf("%s: nothing imported:\n%w", filepath.Base(name), err)
	}
	if _, err := kpistore.Refresh(ctx, e.deps.DB); err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}
