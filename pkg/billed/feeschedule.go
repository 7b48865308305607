package billed

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/x12"
)

// The fee-schedule CSV: what each payer is expected to allow per unit of a
// procedure. A header row first; columns matched like the claims CSV:
//
//	payer            payer id as the 835 names it (REF*2U, else N104) (alias: payer_id)
//	procedure        CPT/HCPCS code (aliases: cpt, hcpcs, procedure_code)
//	modifier         optional: the rate applies only to lines carrying this modifier
//	allowed          expected allowed amount per unit, e.g. 412.37 (alias: allowed_amount)
//	effective_from   optional first date the rate applies (default: always)
//	effective_to     optional last date the rate applies (default: open)

// Fee is one fee-schedule rate.
type Fee struct {
	Payer     string       `json:"payer"`
	Procedure string       `json:"procedure"`
	Modifier  string       `json:"modifier,omitempty"`
	Allowed   money.Amount `json:"allowed"` // per unit
	From      x12.Date     `json:"effective_from,omitempty"`
	To        x12.Date     `json:"effective_to,omitempty"`
}

// FeeSchedule holds expected allowed amounts by payer and procedure.
type FeeSchedule struct {
	fees map[feeKey][]Fee
}

type feeKey struct{ payer, code string }

// NewFeeSchedule returns a schedule holding fees.
func NewFeeSchedule(fees []Fee) *FeeSchedule {
	s := &FeeSchedule{fees: map[feeKey][]Fee{}}
	for _, f := range fees {
		s.Add(f)
	}
	return s
}

// Add adds a rate. Rates of the same payer and procedure are kept sorted by
// modifier (modifier-specific first) and start date (latest first).
func (s *FeeSchedule) Add(f Fee) {
	if s.fees == nil {
		s.fees = map[feeKey][]Fee{}
	}
	k := feeKey{f.Payer, f.Procedure}
	list := append(s.fees[k], f)
	slices.SortStableFunc(list, func(a, b Fee) int {
		if (a.Modifier == "") != (b.Modifier == "") {
			if a.Modifier != "" {
				return -1
			}
			return 1
		}
		return strings.Compare(string(b.From), string(a.From))
	})
	s.fees[k] = list
}

// Len returns the number of rates.
func (s *FeeSchedule) Len() int {
	if s == nil {
		return 0
	}
	n := 0
	for _, l := range s.fees {
		n += len(l)
	}
	return n
}

// Lookup returns the expected allowed amount per unit for a line of payer
// with procedure code and modifiers on date: a rate naming one of the
// modifiers wins over a rate without modifier; among those, the latest in
// effect on date. ok is false when the schedule has no such rate.
func (s *FeeSchedule) Lookup(payer, code string, modifiers []string, date x12.Date) (money.Amount, bool) {
	if s == nil {
		return 0, false
	}
	for _, f := range s.fees[feeKey{payer, code}] {
		if f.Modifier != "" && !slices.Contains(modifiers, f.Modifier) {
			continue
		}
		if date != "" && (f.From != "" && date < f.From || f.To != "" && date > f.To) {
			continue
		}
		return f.Allowed, true
	}
	return 0, false
}

// Expected returns the allowed amount expected for units (thousandths) of
// the procedure: the per-unit rate times the units, rounded half away from
// zero to the cent.
func (s *FeeSchedule) Expected(payer, code string, modifiers []string, date x12.Date, units x12.Quantity) (money.Amount, bool) {
	rate, ok := s.Lookup(payer, code, modifiers, date)
	if !ok {
		return 0, false
	}
	if units <= 0 {
		units = 1000
	}
	v := int64(rate) * int64(units)
	q := v / 1000
	if r := v % 1000; r >= 500 {
		q++
	} else if r <= -500 {
		q--
	}
	return money.Amount(q), true
}

// ReadFeeSchedule reads a fee-schedule CSV. Bad rows are returned as row
// errors and left out; the error is non-nil only for a bad header or an
// unreadable input.
func ReadFeeSchedule(in io.Reader) (*FeeSchedule, []*RowError, error) {
	cr := csv.NewReader(in)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	head, err := cr.Read()
	if err == io.EOF {
		return nil, nil, fmt.Errorf("%w: empty file", ErrHeader)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrHeader, err)
	}
	col := map[string]int{}
	for i, h := range head {
		c := CanonicalColumn(h)
		switch c {
		case "allowed_amount", "allowed_per_unit", "rate":
			c = "allowed"
		case "mod", ColModifiers:
			c = "modifier"
		}
		col[c] = i
	}
	for _, c := range []string{ColPayer, ColProcedure, "allowed"} {
		if _, ok := col[c]; !ok {
			return nil, nil, fmt.Errorf("%w: missing column %s", ErrHeader, c)
		}
	}
	get := func(rec []string, c string) string {
		i, ok := col[c]
		if !ok || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	s := NewFeeSchedule(nil)
	var errs []*RowError
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				errs = append(errs, &RowError{Row: pe.StartLine, Err: ErrInvalid, Detail: "malformed CSV record"})
				continue
			}
			return s, errs, err
		}
		if blank(rec) {
			continue
		}
		bad := func(c string, class error, detail string) {
			errs = append(errs, &RowError{Row: line, Column: c, Err: class, Detail: detail})
		}
		f := Fee{Payer: get(rec, ColPayer), Procedure: strings.ToUpper(get(rec, ColProcedure)),
			Modifier: strings.ToUpper(get(rec, "modifier"))}
		switch {
		case f.Payer == "":
			bad(ColPayer, ErrMissing, "")
			continue
		case !validCode(f.Procedure):
			bad(ColProcedure, ErrInvalid, "expected a CPT/HCPCS code of 5 letters or digits")
			continue
		case f.Modifier != "" && (len(f.Modifier) != 2 || !alnum(f.Modifier)):
			bad("modifier", ErrInvalid, "expected a two-character modifier")
			continue
		}
		a, err := money.Parse(strings.NewReplacer("$", "", ",", "").Replace(get(rec, "allowed")))
		if err != nil || a < 0 {
			bad("allowed", ErrInvalid, "expected a non-negative amount like 412.37")
			continue
		}
		f.Allowed = a
		ok := true
		for _, d := range []struct {
			c   string
			dst *x12.Date
		}{{"effective_from", &f.From}, {"effective_to", &f.To}} {
			if v := get(rec, d.c); v != "" {
				if *d.dst, ok = parseDate(v); !ok {
					bad(d.c, ErrInvalid, "expected a date YYYY-MM-DD, CCYYMMDD or MM/DD/YYYY")
					break
				}
			}
		}
		if !ok {
			continue
		}
		if f.From != "" && f.To != "" && f.To < f.From {
			bad("effective_to", ErrInvalid, "expected a date not before effective_from")
			continue
		}
		s.Add(f)
	}
	return s, errs, nil
}

// WriteFeeSchedule writes fees as a fee-schedule CSV with a header row.
func WriteFeeSchedule(w io.Writer, fees []Fee) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"payer", "procedure", "modifier", "allowed", "effective_from", "effective_to"}); err != nil {
		return err
	}
	for _, f := range fees {
		if err := cw.Write([]string{f.Payer, f.Procedure, f.Modifier, f.Allowed.String(), string(f.From), string(f.To)}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
