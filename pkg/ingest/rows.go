package ingest

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/remitq/remitq/x12"
)

// rowWriter writes a file's parsed rows inside the ingest transaction.
type rowWriter struct {
	tx        *sqlx.Tx
	fileID    int64
	practices []int64
}

// table collects the rows of one table and writes them with COPY … FROM
// STDIN: a connection runs one COPY at a time, and the tables are filled in
// one pass over the file, so rows wait here until flush.
type table struct {
	name string
	cols []string
	rows [][]any
}

func newTable(name string, cols ...string) *table { return &table{name: name, cols: cols} }

func (t *table) add(vals ...any) { t.rows = append(t.rows, vals) }

func (t *table) flush(ctx context.Context, tx *sqlx.Tx) error {
	if len(t.rows) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, "COPY "+t.name+" ("+strings.Join(t.cols, ", ")+") FROM STDIN")
	if err != nil {
		return fmt.Errorf("copy %s: %w", t.name, err)
	}
	defer stmt.Close()
	for _, r := range t.rows {
		if _, err := stmt.ExecContext(ctx, r...); err != nil {
			return fmt.Errorf("copy %s: %w", t.name, err)
		}
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		return fmt.Errorf("copy %s: %w", t.name, err)
	}
	t.rows = nil
	return nil
}

// ids reserves n values of table's identity sequence, so that child rows can
// name their parents before the parents are copied.
func (w *rowWriter) ids(ctx context.Context, table string, n int) ([]int64, error) {
	if n == 0 {
		return nil, nil
	}
	var out []int64
	err := w.tx.SelectContext(ctx, &out,
		`SELECT nextval(pg_get_serial_sequence($1, 'id')) FROM generate_series(1, $2)`, table, n)
	return out, err
}

func nullDate(d x12.Date) any {
	if d == "" {
		return nil
	}
	return string(d)
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullQty(q *x12.Quantity) any {
	if q == nil {
		return nil
	}
	return q.String()
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (w *rowWriter) write(ctx context.Context, raw []byte, p *parsed) error {
	claimIDs, err := w.ids(ctx, "claim_payments", p.claims)
	if err != nil {
		return err
	}
	lineIDs, err := w.ids(ctx, "service_line_payments", p.lines)
	if err != nil {
		return err
	}
	claims := newTable("claim_payments", "id", "file_id", "transaction_id", "practice_id", "segment_index",
		"patient_control_number", "status", "charge", "paid", "patient_responsibility", "claim_filing_indicator",
		"payer_claim_control", "facility_type", "frequency", "drg", "service_date_from", "service_date_to",
		"statement_from", "statement_to", "received_date", "rendering_npi", "phi_patient_name", "phi_member_id")
	lines := newTable("service_line_payments", "id", "claim_payment_id", "file_id", "practice_id",
		"segment_index", "line_number", "procedure_qualifier", "procedure_code", "modifiers",
		"original_procedure_code", "original_modifiers", "charge", "paid", "revenue_code", "units", "original_units",
		"service_date_from", "service_date_to", "line_control_number", "allowed_amount", "rendering_npi")
	adjs := newTable("adjustments", "file_id", "claim_payment_id", "service_line_id", "segment_index",
		"position", "group_code", "reason_code", "amount", "quantity")
	remarks := newTable("remarks", "file_id", "claim_payment_id", "service_line_id", "segment_index",
		"position", "qualifier", "code")
	plbs := newTable("provider_adjustments", "file_id", "transaction_id", "segment_index", "position",
		"provider_id", "fiscal_period_date", "reason_code", "reference", "amount")

	seq, ci, li := 0, 0, 0
	var txID, practice int64
	err = forEachRecord(raw, func(rec x12.RemitRecord) error {
		switch v := rec.(type) {
		case *x12.Remittance:
			practice = w.practices[seq]
			seq++
			var err error
			txID, err = w.transaction(ctx, seq, practice, v)
			return err
		case *x12.ClaimPayment:
			claimID := claimIDs[ci]
			ci++
			addClaim(claims, claimID, w.fileID, txID, practice, v)
			addAdjustments(adjs, w.fileID, claimID, 0, v.Adjustments)
			addClaimRemarks(remarks, w.fileID, claimID, v)
			for _, l := range v.Lines {
				lineID := lineIDs[li]
				li++
				addLine(lines, lineID, claimID, w.fileID, practice, l)
				addAdjustments(adjs, w.fileID, claimID, lineID, l.Adjustments)
				for k, r := range l.Remarks {
					remarks.add(w.fileID, claimID, lineID, l.Segment, k+1, r.Qualifier, r.Code)
				}
			}
		case *x12.RemittanceEnd:
			for _, a := range v.Remittance.Adjustments {
				plbs.add(w.fileID, txID, a.Segment, a.Position, a.ProviderID, nullDate(a.FiscalPeriod),
					a.Reason, nullStr(a.Reference), a.Amount)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, t := range []*table{claims, lines, adjs, remarks, plbs} {
		if err := t.flush(ctx, w.tx); err != nil {
			return err
		}
	}
	return nil
}

func (w *rowWriter) transaction(ctx context.Context, seq int, practice int64, r *x12.Remittance) (int64, error) {
	var payerID *int64
	if code := r.Payer.PayerID(); code != "" {
		var id int64
		err := w.tx.QueryRowContext(ctx, `INSERT INTO payers (name, payer_id_code, last_remittance_at) VALUES ($1, $2, now())
			ON CONFLICT (payer_id_code) DO UPDATE SET name = EXCLUDED.name, last_remittance_at = now() RETURNING id`,
			r.Payer.Name, code).Scan(&id)
		if err != nil {
			return 0, fmt.Errorf("payer: %w", err)
		}
		payerID = &id
	}
	var id int64
	err := w.tx.QueryRowContext(ctx, `INSERT INTO remittance_transactions (file_id, seq, segment_index, st_control,
		practice_id, payer_id, handling_code, bpr_amount, credit_debit, payment_method, trace_number, payer_trn03,
		payment_date, production_date, payer_name, payer_id_code, payee_name, payee_npi, payee_tin)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19) RETURNING id`,
		w.fileID, seq, r.Segment, r.Control, practice, payerID, r.Payment.Handling, r.Payment.Amount,
		nullStr(r.Payment.CreditDebit), nullStr(r.Payment.Method), nullStr(r.Trace.Number), nullStr(r.Trace.Originator),
		nullDate(r.Payment.Date), nullDate(r.ProductionDate), nullStr(r.Payer.Name), nullStr(r.Payer.PayerID()),
		nullStr(r.Payee.Name), nullStr(r.Payee.NPI()), nullStr(r.Payee.TIN())).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("transaction set %d: %w", seq, err)
	}
	if payerID != nil {
		if _, err := w.tx.ExecContext(ctx, `UPDATE remittance_files SET payer_id = COALESCE(payer_id, $2) WHERE id = $1`, w.fileID, *payerID); err != nil {
			return 0, err
		}
	}
	return id, nil
}

// ServiceDates returns a claim's service period: the earliest and latest
// line dates, else the statement dates (DTM*232/233).
func ServiceDates(c *x12.ClaimPayment) (from, to x12.Date) {
	for _, l := range c.Lines {
		if l.DateFrom != "" && (from == "" || l.DateFrom < from) {
			from = l.DateFrom
		}
		end := l.DateTo
		if end == "" {
			end = l.DateFrom
		}
		if end != "" && (to == "" || end > to) {
			to = end
		}
	}
	if from == "" {
		from = c.StatementFrom
	}
	if to == "" {
		to = c.StatementTo
	}
	return from, to
}

// patient returns the patient's name ("LAST, FIRST") and member id from
// NM1*QC, the member id falling back to NM1*IL. Both are PHI.
func patient(c *x12.ClaimPayment) (name, member string) {
	if n := c.Name("QC"); n != nil {
		name, member = n.Last, n.ID
		if n.First != "" {
			name += ", " + n.First
		}
	}
	if n := c.Name("IL"); n != nil && member == "" {
		member = n.ID
	}
	return name, member
}

// renderingNPI is NM1*82 NM109 when NM108 = XX.
func renderingNPI(c *x12.ClaimPayment) string {
	if n := c.Name("82"); n != nil && n.IDQualifier == "XX" {
		return n.ID
	}
	return ""
}

func addClaim(t *table, id, fileID, txID, practice int64, v *x12.ClaimPayment) {
	from, to := ServiceDates(v)
	name, member := patient(v)
	t.add(id, fileID, txID, practice, v.Segment, v.PatientControl, v.Status, v.Charge, v.Paid,
		v.PatientResp, nullStr(v.FilingIndicator), nullStr(v.PayerControl), nullStr(v.FacilityType),
		nullStr(v.Frequency), nullStr(v.DRG), nullDate(from), nullDate(to), nullDate(v.StatementFrom),
		nullDate(v.StatementTo), nullDate(v.ReceivedDate), nullStr(renderingNPI(v)), nullStr(name), nullStr(member))
}

func addLine(t *table, id, claimID, fileID, practice int64, l *x12.ServicePayment) {
	var origCode, origMods any
	if l.Original != nil {
		origCode, origMods = l.Original.Code, pq.Array(nonNil(l.Original.Modifiers))
	}
	var allowed any
	if a, ok := l.Allowed(); ok {
		allowed = a
	}
	t.add(id, claimID, fileID, practice, l.Segment, l.Number, l.Procedure.Qualifier, l.Procedure.Code,
		pq.Array(nonNil(l.Procedure.Modifiers)), origCode, origMods, l.Charge, l.Paid, nullStr(l.RevenueCode),
		nullQty(l.Units), nullQty(l.OriginalUnits), nullDate(l.DateFrom), nullDate(l.DateTo),
		nullStr(l.LineControl()), allowed, nullStr(refValue(l.Refs, "HPI")))
}

func refValue(refs []x12.Ref, q string) string {
	for _, r := range refs {
		if r.Qualifier == q {
			return r.Value
		}
	}
	return ""
}

// addAdjustments adds CAS triplets; lineID 0 means claim level.
func addAdjustments(t *table, fileID, claimID, lineID int64, adj []x12.Adjustment) {
	var line any
	if lineID != 0 {
		line = lineID
	}
	for _, a := range adj {
		t.add(fileID, claimID, line, a.Segment, a.Position, a.Group, a.Reason, a.Amount, nullQty(a.Quantity))
	}
}

// addClaimRemarks adds the MOA (outpatient, MOA03-07) and MIA (inpatient)
// remark codes of a claim, positioned by their order.
func addClaimRemarks(t *table, fileID, claimID int64, v *x12.ClaimPayment) {
	if v.Outpatient != nil {
		for k, r := range v.Outpatient.Remarks {
			t.add(fileID, claimID, nil, v.Segment, k+1, "MOA", r)
		}
	}
	if v.Inpatient != nil {
		for k, r := range v.Inpatient.Remarks {
			t.add(fileID, claimID, nil, v.Segment, k+1, "MIA", r)
		}
	}
}
