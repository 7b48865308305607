package remitstore

import (
	"context"
	"errors"
	"io"
	"strings"

	"github.com/remitq/remitq/x12"
)

// A file may repeat an interchange, group or transaction set under the same
// control number; the reader reads the first and skips the copies with an
// x12.ErrDuplicate warning. A copy is meant to be the same bytes sent
// twice, but nothing forces it to be: a copy that names another payee would
// put that payee's remittance, unread and unchecked, into this file's raw
// bytes. So when a file has skipped copies, every payee named anywhere in
// it is read, and one that differs from the transaction sets read makes the
// file a quarantine case (and is shown to the Accept hook, so an uploader
// whose scope misses it is refused).

// hasSkippedRepeats reports whether the reader skipped a repeated
// interchange, group or transaction set.
func hasSkippedRepeats(warnings []Problem) bool {
	for _, w := range warnings {
		if strings.Contains(w.Message, x12.ErrDuplicate.Error()) && (w.ID == "ISA" || w.ID == "GS" || w.ID == "ST") {
			return true
		}
	}
	return false
}

// allPayees returns the payee (N1*PE with its REF*TJ) of every loop 1000B in
// the file, skipped copies included, in file order.
func allPayees(src Source) ([]x12.Party, error) {
	r := x12.NewReader(reader(src))
	var out []x12.Party
	var cur *x12.Party
	for {
		s, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, nil // the parse reports the problem; the payees read so far stand
		}
		switch s.ID() {
		case "N1":
			cur = nil
			if s.String(1) == "PE" {
				out = append(out, x12.Party{Entity: "PE", Name: s.String(2), IDQualifier: s.String(3), ID: strings.TrimSpace(s.String(4))})
				cur = &out[len(out)-1]
			}
		case "REF":
			if cur != nil && s.String(1) == "TJ" {
				cur.Refs = append(cur.Refs, x12.Ref{Qualifier: "TJ", Value: strings.TrimSpace(s.String(2))})
			}
		case "N3", "N4", "RDM":
		default:
			cur = nil
		}
	}
}

// repeatedPayees returns the payees named only in skipped copies (none when
// the file has no skipped copy), resolved to their practices.
func (in *Ingester) repeatedPayees(ctx context.Context, src Source, read []Payee) ([]Payee, error) {
	all, err := allPayees(src)
	if err != nil {
		return nil, err
	}
	known := map[[2]string]bool{}
	for _, p := range read {
		known[[2]string{p.NPI, p.TIN}] = true
	}
	var extra []Payee
	for i := range all {
		p := &all[i]
		k := [2]string{p.NPI(), p.TIN()}
		if known[k] {
			continue
		}
		known[k] = true
		id, err := LookupPractice(ctx, in.DB, k[0], k[1])
		if err != nil {
			return nil, err
		}
		extra = append(extra, Payee{Seq: 0, Name: p.Name, NPI: k[0], TIN: k[1], PracticeID: id})
	}
	return extra, nil
}
