package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/remitq/remitq/pkg/billed"
	"github.com/remitq/remitq/pkg/match"
	"github.com/remitq/remitq/pkg/synth"
	"github.com/remitq/remitq/x12"
)

func init() {
	register(command{name: "match",
		usage: "--claims FILE.837 [--claims-csv FILE.csv] [--fees FILE.csv] [--threshold 0.8] [--plb] --remits FILE.835...  match 835 paid lines to billed lines offline, one JSON object per paid line",
		run:   runMatch})
	register(command{name: "match truth",
		usage: "--out DIR [--lines N] [--seed N] [--practices N]  write a synthetic truth set: 837P, 835s, fee schedule and the expected answers (truth.jsonl)",
		run:   runMatchTruth})
}

// matchListFlag is a flag that may be given several times.
type matchListFlag []string

func (l *matchListFlag) String() string     { return strings.Join(*l, ",") }
func (l *matchListFlag) Set(v string) error { *l = append(*l, v); return nil }

// matchLine is one output object: exactly these keys, in this order.
type matchLine struct {
	RemitFile         string   `json:"remit_file"`
	CLP01             string   `json:"clp01"`
	PayerClaimControl string   `json:"payer_claim_control"`
	CLPStatus         string   `json:"clp_status"`
	SVCIndex          int      `json:"svc_index"`
	Procedure         string   `json:"procedure"`
	Modifiers         []string `json:"modifiers"`
	ServiceDate       string   `json:"service_date"`
	BilledClaim       *string  `json:"billed_claim"`
	BilledLine        *int     `json:"billed_line"`
	Method            string   `json:"method"`
	Confidence        float64  `json:"confidence"`
	Flags             []string `json:"flags"`
}

// plbLine is one output object for a provider-level adjustment (--plb).
type plbLine struct {
	RemitFile         string  `json:"remit_file"`
	PLBReason         string  `json:"plb_reason"`
	PLBReference      string  `json:"plb_reference"`
	Amount            string  `json:"amount"`
	PayerClaimControl string  `json:"payer_claim_control"`
	BilledClaim       *string `json:"billed_claim"`
	Method            string  `json:"method"`
	Confidence        float64 `json:"confidence"`
}

// runMatch runs the pure matcher with no database: every billed claim is
// loaded first, then the 835 files are matched in the order given. It is
// for checking and support work: the output holds claim numbers but no
// names, member ids or birth dates.
func runMatch(_ context.Context, args []string) error { return matchTo(os.Stdout, args) }

// matchTo is runMatch writing to w.
func matchTo(w io.Writer, args []string) error {
	fs := flag.NewFlagSet("match", flag.ContinueOnError)
	var claim837, claimCSV, remits matchListFlag
	fs.Var(&claim837, "claims", "837P file of billed claims (repeatable)")
	fs.Var(&claimCSV, "claims-csv", "billed-claims CSV export (repeatable; see pkg/billed for the columns)")
	fs.Var(&remits, "remits", "835 file (repeatable; more 835 files may follow as arguments)")
	fees := fs.String("fees", "", "fee-schedule CSV (payer, procedure, modifier, allowed, effective_from, effective_to) for the underpaid flag")
	threshold := fs.Float64("threshold", match.DefaultThreshold, "confidence below which a match is flagged manual_review")
	plb := fs.Bool("plb", false, "also print one object per provider-level adjustment (PLB)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	remits = append(remits, fs.Args()...)
	if len(remits) == 0 || len(claim837)+len(claimCSV) == 0 {
		return errUsage
	}
	opts := match.Options{Threshold: *threshold}
	if *fees != "" {
		s, err := loadFees(*fees)
		if err != nil {
			return err
		}
		opts.Fees = s
	}
	s := match.NewSession(opts)
	n := 0
	for _, name := range claim837 {
		list, err := load837(name)
		if err != nil {
			return err
		}
		if _, err := s.AddClaims(list...); err != nil {
			return err
		}
		n += len(list)
	}
	for _, name := range claimCSV {
		list, err := loadClaimsCSV(name)
		if err != nil {
			return err
		}
		if _, err := s.AddClaims(list...); err != nil {
			return err
		}
		n += len(list)
	}
	fmt.Fprintf(os.Stderr, "remitq match: %d billed claims loaded\n", n)
	out := bufio.NewWriterSize(w, 256<<10)
	defer out.Flush()
	enc := json.NewEncoder(out)
	for _, name := range remits {
		if err := matchFile(s, name, enc, *plb); err != nil {
			return err
		}
	}
	if q := s.Pending.Len(); q > 0 {
		fmt.Fprintf(os.Stderr, "remitq match: %d paid claim(s) unmatched or below the threshold (manual_review)\n", q)
	}
	return nil
}

func loadFees(name string) (*billed.FeeSchedule, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	s, rowErrs, err := billed.ReadFeeSchedule(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	reportRows(name, rowErrs)
	return s, nil
}

func load837(name string) ([]*billed.Claim, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cf, err := x12.ReadClaims(bufio.NewReaderSize(f, 256<<10))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(cf.Errors) > 0 {
		fmt.Fprintf(os.Stderr, "remitq match: %s: %d problem(s), first: %v\n", name, len(cf.Errors), cf.Errors[0])
	}
	var out []*billed.Claim
	for _, b := range cf.Batches {
		for _, c := range b.Claims {
			out = append(out, billed.FromX12(c, ""))
		}
	}
	return out, nil
}

func loadClaimsCSV(name string) ([]*billed.Claim, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	list, rowErrs, err := billed.ReadAll(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	reportRows(name, rowErrs)
	return list, nil
}

func reportRows(name string, errs []*billed.RowError) {
	for i, e := range errs {
		if i == 20 {
			fmt.Fprintf(os.Stderr, "remitq match: %s: %d more bad row(s)\n", name, len(errs)-i)
			break
		}
		fmt.Fprintf(os.Stderr, "remitq match: %s: %v\n", name, e) // row errors never hold values
	}
}

// matchFile streams one 835 file through the session.
func matchFile(s *match.Session, name string, enc *json.Encoder, plb bool) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	d := x12.NewRemitReader(bufio.NewReaderSize(f, 256<<10))
	var prev *match.PaidClaim
	for {
		rec, err := d.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		switch v := rec.(type) {
		case *x12.Remittance:
			prev = nil
		case *x12.ClaimPayment:
			rem := v.Remittance
			pc := match.FromX12(v, name+":"+strconv.Itoa(v.Segment))
			pc.File = name
			match.LinkCorrection(prev, pc)
			prev = pc
			res, err := s.Match(pc, match.Payee(rem), rem.Payer.PayerID())
			if err != nil {
				return err
			}
			if err := printResult(enc, name, pc, res); err != nil {
				return err
			}
		case *x12.RemittanceEnd:
			rem := v.Remittance
			for _, p := range match.PLBsFromRemittance(rem, name+":") {
				r, err := s.Matcher.MatchPLB(p, match.Payee(rem), rem.Payer.PayerID())
				if err != nil {
					return err
				}
				if plb {
					if err := enc.Encode(plbObject(name, r)); err != nil {
						return err
					}
				}
			}
		}
	}
	if errs := d.Errors(); len(errs) > 0 {
		fmt.Fprintf(os.Stderr, "remitq match: %s: %d problem(s), first: %v\n", name, len(errs), errs[0])
	}
	return nil
}

func printResult(enc *json.Encoder, file string, pc *match.PaidClaim, res *match.ClaimResult) error {
	for i := range res.Lines {
		lr := &res.Lines[i]
		o := matchLine{RemitFile: file, CLP01: pc.PatientControl, PayerClaimControl: pc.PayerControl, CLPStatus: pc.Status,
			SVCIndex: lr.Index, Procedure: lr.Procedure, Modifiers: lr.Modifiers, ServiceDate: string(lr.ServiceDate),
			Method: string(lr.Method), Confidence: math.Round(lr.Confidence*1000) / 1000, Flags: make([]string, len(lr.Flags))}
		if o.Modifiers == nil {
			o.Modifiers = []string{}
		}
		for j, f := range lr.Flags {
			o.Flags[j] = string(f)
		}
		if b := lr.Billed; b != nil {
			o.BilledClaim = &b.PatientControl
			if b.LineNumber > 0 {
				n := b.LineNumber
				o.BilledLine = &n
			}
		}
		if err := enc.Encode(&o); err != nil {
			return err
		}
	}
	return nil
}

func plbObject(file string, r *match.PLBResult) *plbLine {
	o := &plbLine{RemitFile: file, PLBReason: r.Reason, PLBReference: r.Reference, Amount: r.Amount.String(),
		PayerClaimControl: r.PayerControl, Method: r.Method, Confidence: r.Confidence}
	if r.Billed != nil {
		o.BilledClaim = &r.Billed.PatientControl
	}
	return o
}

// runMatchTruth writes a truth set to a folder: claims.837 (on time),
// claims-late.837 (to load after the remits), claims.csv, fees.csv, the 835
// files and truth.jsonl (one expected answer per paid line, in file order).
func runMatchTruth(_ context.Context, args []string) error {
	fs := flag.NewFlagSet("match truth", flag.ContinueOnError)
	out := fs.String("out", "", "output folder (created)")
	lines := fs.Int("lines", 1000, "billed lines to generate, at least")
	seed := fs.Uint64("seed", 1, "random seed (same seed, same files)")
	practices := fs.Int("practices", 3, "payee practices")
	if err := fs.Parse(args); err != nil || *out == "" || fs.NArg() > 0 {
		return errUsage
	}
	tr, err := synth.GenerateTruth(synth.TruthOptions{Seed: *seed, Lines: *lines, Practices: *practices})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	write := func(name string, fn func(io.Writer) error) error {
		f, err := os.Create(filepath.Join(*out, name))
		if err != nil {
			return err
		}
		bw := bufio.NewWriterSize(f, 256<<10)
		err = fn(bw)
		if err == nil {
			err = bw.Flush()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	}
	steps := []struct {
		name string
		fn   func(io.Writer) error
	}{
		{"claims.837", func(w io.Writer) error { return tr.Write837(w, false) }},
		{"claims-late.837", func(w io.Writer) error { return tr.Write837(w, true) }},
		{"claims.csv", func(w io.Writer) error { return tr.WriteClaimsCSV(w, false) }},
		{"fees.csv", tr.WriteFees},
		{"truth.jsonl", func(w io.Writer) error {
			enc := json.NewEncoder(w)
			for i := range tr.Lines {
				if err := enc.Encode(&tr.Lines[i]); err != nil {
					return err
				}
			}
			return nil
		}},
	}
	for _, f := range tr.Files {
		steps = append(steps, struct {
			name string
			fn   func(io.Writer) error
		}{f.Name, f.Write})
	}
	for _, s := range steps {
		if err := write(s.name, s.fn); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	fmt.Fprintf(os.Stderr, "wrote %s: %d billed lines, %d paid lines in %d 835 files\n", *out, tr.BilledLines, len(tr.Lines), len(tr.Files))
	return nil
}
