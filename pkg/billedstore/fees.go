package billedstore

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/remitq/remitq/pkg/billed"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/x12"
)

// FeeResult is what a fee-schedule load did.
type FeeResult struct {
	Filename  string    `json:"filename,omitempty"`
	Rates     int       `json:"rates"`     // good rows read
	Inserted  int       `json:"inserted"`  // new rates
	Updated   int       `json:"updated"`   // rates whose amount or end date changed
	Unchanged int       `json:"unchanged"` // rates stored before as they are
	Problems  []Problem `json:"problems"`
}

// ParseFees reads a fee-schedule CSV (see billed.ReadFeeSchedule for the
// columns) into its good rates, with a problem per bad row. The error is
// for a bad header or an unreadable input.
func ParseFees(raw []byte) ([]billed.Fee, []Problem, error) {
	_, rowErrs, err := billed.ReadFeeSchedule(bytes.NewReader(raw))
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	bad := map[int]bool{}
	var problems []Problem
	for _, e := range rowErrs {
		bad[e.Row] = true
		problems = append(problems, rowProblem(e))
	}
	// billed.FeeSchedule keeps its rates to itself: read the good rows again
	// (ReadFeeSchedule has validated them).
	cr := csv.NewReader(bytes.NewReader(raw))
	cr.FieldsPerRecord, cr.TrimLeadingSpace = -1, true
	head, err := cr.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	col := map[string]int{}
	for i, h := range head {
		c := billed.CanonicalColumn(h)
		switch c {
		case "allowed_amount", "allowed_per_unit", "rate":
			c = "allowed"
		case "mod", billed.ColModifiers:
			c = "modifier"
		}
		col[c] = i
	}
	get := func(rec []string, c string) string {
		i, ok := col[c]
		if !ok || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	var out []billed.Fee
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line, _ := cr.FieldPos(0)
		var pe *csv.ParseError
		if errors.As(err, &pe) || bad[line] {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		if strings.TrimSpace(strings.Join(rec, "")) == "" {
			continue
		}
		f := billed.Fee{Payer: get(rec, billed.ColPayer), Procedure: strings.ToUpper(get(rec, billed.ColProcedure)),
			Modifier: strings.ToUpper(get(rec, "modifier"))}
		if f.Allowed, err = money.Parse(strings.NewReplacer("$", "", ",", "").Replace(get(rec, "allowed"))); err != nil {
			continue
		}
		f.From, _ = parseDate(get(rec, "effective_from"))
		f.To, _ = parseDate(get(rec, "effective_to"))
		out = append(out, f)
	}
	return out, problems, nil
}

func parseDate(s string) (x12.Date, bool) {
	if s == "" {
		return "", false
	}
	for _, layout := range []string{time.DateOnly, "20060102", "01/02/2006", "1/2/2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return x12.Date(t.Format(time.DateOnly)), true
		}
	}
	return "", false
}

// LoadFees stores the rates of a fee-schedule CSV: a rate is keyed by
// payer, procedure, modifier and start date; loading it again changes
// nothing, and a new amount or end date for the same key replaces the
// stored one. The matcher reads the schedule again when it changes.
func (s *Store) LoadFees(ctx context.Context, name string, raw []byte, actor string) (*FeeResult, error) {
	fees, problems, err := ParseFees(raw)
	if err != nil {
		return nil, err
	}
	res := &FeeResult{Filename: name, Rates: len(fees), Problems: append([]Problem{}, problems...)}
	if len(fees) == 0 {
		return res, nil
	}
	n := len(fees)
	payer, proc, mod, allowed, from, to := make([]string, n), make([]string, n), make([]string, n), make([]string, n),
		make([]string, n), make([]any, n)
	for i, f := range fees {
		payer[i], proc[i], mod[i], allowed[i] = f.Payer, f.Procedure, f.Modifier, f.Allowed.String()
		from[i] = "-infinity"
		if f.From != "" {
			from[i] = string(f.From)
		}
		if f.To != "" {
			to[i] = string(f.To)
		}
	}
	tx, err := s.DB.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("billing: begin: %w", err)
	}
	defer tx.Rollback()
	// The last row for a key wins inside one file.
	rows, err := tx.QueryxContext(ctx, `INSERT INTO fee_schedules AS f (payer_code, procedure_code, modifier, allowed, effective_from, effective_to)
		SELECT DISTINCT ON (p, c, m, fr) p, c, m, a::numeric, fr::date, t::date
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS x(p, c, m, a, fr, t, o)
		ORDER BY p, c, m, fr, o DESC
		ON CONFLICT (payer_code, procedure_code, modifier, effective_from) DO UPDATE
			SET allowed = EXCLUDED.allowed, effective_to = EXCLUDED.effective_to, updated_at = now()
			WHERE (f.allowed, f.effective_to) IS DISTINCT FROM (EXCLUDED.allowed, EXCLUDED.effective_to)
		RETURNING (xmax = 0)`,
		pq.Array(payer), pq.Array(proc), pq.Array(mod), pq.Array(allowed), pq.Array(from), pq.Array(to))
	if err != nil {
		return nil, fmt.Errorf("billing: store fees: %w", err)
	}
	written := 0
	for rows.Next() {
		var inserted bool
		if err := rows.Scan(&inserted); err != nil {
			rows.Close()
			return nil, err
		}
		written++
		if inserted {
			res.Inserted++
		} else {
			res.Updated++
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("billing: store fees: %w", err)
	}
	rows.Close()
	distinct := map[[4]string]bool{}
	for i := range fees {
		distinct[[4]string{payer[i], proc[i], mod[i], from[i]}] = true
	}
	res.Unchanged = len(distinct) - written
	if err := audit(ctx, tx, actor, "fees.load", "fee_schedules", nil, map[string]any{
		"rates": res.Rates, "inserted": res.Inserted, "updated": res.Updated, "problems": len(res.Problems)}); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("billing: commit: %w", err)
	}
	return res, nil
}
