package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/remitq/remitq/pkg/match"
	"github.com/remitq/remitq/pkg/route"
	"github.com/remitq/remitq/pkg/routesvc"
	v1 "github.com/remitq/remitq/proto/remitq/v1"
)

func init() {
	register(command{name: "route",
		usage: "--claims FILE.837 [--fees FILE.csv] [--appeal-days N] --remits FILE.835...  match and route 835 lines offline, one JSON decision per paid line",
		run:   runRoute})
}

// routeOut is one output object: the router's decision (clp01, svc_index,
// procedure, disposition, category, carc, rarc, text, action,
// amount_at_risk, appeal_deadline, priority, ...) and where it came from.
type routeOut struct {
	*route.Decision
	RemitFile   string  `json:"remit_file"`
	Method      string  `json:"match_method"`
	BilledClaim *string `json:"billed_claim"`
	BilledLine  *int    `json:"billed_line"`
}

// runRoute runs the matcher and the router with no database: every billed
// claim first (and as the patients' history for the pain rules), then the
// 835 files in the order given. Every paid line is printed, also those that
// need no work, and one object per claim-level-only CLP. The output holds
// claim numbers, codes and dates of service, never names, member ids or
// birth dates.
func runRoute(_ context.Context, args []string) error { return routeTo(os.Stdout, args) }

// routeTo is runRoute writing to w.
func routeTo(w io.Writer, args []string) error {
	fs := flag.NewFlagSet("route", flag.ContinueOnError)
	var claim837, remits matchListFlag
	fs.Var(&claim837, "claims", "837P file of billed claims (repeatable)")
	fs.Var(&remits, "remits", "835 file (repeatable; more 835 files may follow as arguments)")
	fees := fs.String("fees", "", "fee-schedule CSV for the expected payments (underpayments)")
	appealDays := fs.Int("appeal-days", route.DefaultAppealDays, "appeal window in days from the remit date")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	remits = append(remits, fs.Args()...)
	if len(remits) == 0 || len(claim837) == 0 || *appealDays <= 0 {
		return errUsage
	}
	opts := routesvc.OfflineOptions{Route: route.Config{AppealDays: *appealDays}}
	if *fees != "" {
		s, err := loadFees(*fees)
		if err != nil {
			return err
		}
		opts.Match = match.Options{Fees: s}
	}
	off, err := routesvc.NewOffline(opts)
	if err != nil {
		return err
	}
	out := bufio.NewWriterSize(w, 256<<10)
	defer out.Flush()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	file := ""
	print := func(m *v1.LineMatch, d route.Decision) error {
		o := routeOut{Decision: &d, RemitFile: file, Method: methodName(m.GetMethod())}
		if b := m.GetBilled(); b != nil {
			pcn := b.GetPatientControlNumber()
			o.BilledClaim = &pcn
			if n := int(b.GetLineNumber()); n > 0 {
				o.BilledLine = &n
			}
		}
		return enc.Encode(&o)
	}
	for _, name := range claim837 {
		cf, err := read837(name)
		if err != nil {
			return err
		}
		if err := off.AddClaims(cf, print); err != nil {
			if !routesvc.IsHistoryError(err) {
				return err
			}
			fmt.Fprintf(os.Stderr, "remitq route: %s: %v\n", name, err) // CLM01s only
		}
	}
	fmt.Fprintf(os.Stderr, "remitq route: %d billed lines loaded\n", off.Lines.Len())
	for _, name := range remits {
		raw, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		file = name
		if err := off.File(name, raw, print); err != nil {
			return err
		}
	}
	return nil
}

// methodName is pkg/match's name of a proto match method.
func methodName(m v1.MatchMethod) string {
	switch m {
	case v1.MatchMethod_MATCH_METHOD_LINE_CONTROL_NUMBER:
		return string(match.LineControl)
	case v1.MatchMethod_MATCH_METHOD_PROCEDURE_DATE_UNITS:
		return string(match.ClaimAndProcedure)
	case v1.MatchMethod_MATCH_METHOD_CLAIM_ONLY:
		return string(match.ClaimOnly)
	case v1.MatchMethod_MATCH_METHOD_MANUAL:
		return string(match.Manual)
	case v1.MatchMethod_MATCH_METHOD_FUZZY:
		return string(match.Fuzzy)
	case v1.MatchMethod_MATCH_METHOD_REVERSAL:
		return string(match.Reversal)
	}
	return string(match.Unmatched)
}
