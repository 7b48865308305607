package ingest

import (
	"context"
	"fmt"

	"github.com/remitq/remitq/x12"
)

// rowWriter writes a file's parsed rows inside the ingest transaction.
type rowWriter struct {
	tx        *pgTx
	fileID    int64
	practices []int64
}

// ids reserves n values of a table's identity sequence, so that child rows
// can name their parents before the parents are copied.
func (w *rowWriter) ids(ctx context.Context, table string, n int) ([]int64, error) {
	if n == 0 {
		return nil, nil
	}
	var seq string
	if err := w.tx.c.GetContext(ctx, &seq, `SELECT pg_get_serial_sequence($1, 'id')`, table); err != nil {
		return nil, err
	}
	out := make([]int64, 0, n)
	err := w.tx.c.SelectContext(ctx, &out, `SELECT nextval($1::regclass) FROM generate_series(1, $2)`, seq, n)
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

func (w *rowWriter) write(ctx context.Context, raw []byte, p *parsed) error {
	claimIDs, err := w.ids(ctx, "claim_payments", p.claims)
	if err != nil {
		return err
	}
	lineIDs, err := w.ids(ctx, "service_line_payments", p.lines)
	if err != nil {
		return err
	}
	claims := newCopyBuf("claim_payments", "id", "file_id", "transaction_id", "practice_id", "segment_index",
		"patient_control_number", "status", "charge", "paid", "patient_responsibility", "claim_filing_indicator",
		"payer_claim_control", "facility_type", "frequency", "drg", "service_date_from", "service_date_to",
		"statement_from", "statement_to", "received_date", "rendering_npi", "phi_patient_name", "phi_member_id")
	lines := newCopyBuf("service_line_payments", "id", "claim_payment_id", "file_id", "practice_id",
		"segment_index", "line_number", "procedure_qualifier", "procedure_code", "modifiers",
		"original_procedure_code", "original_modifiers", "charge", "paid", "revenue_code", "units", "original_units",
		"service_date_from", "service_date_to", "line_control_number", "allowed_amount", "rendering_npi")
	adjs := newCopyBuf("adjustments", "file_id", "claim_payment_id", "service_line_id", "segment_index",
		"position", "group_code", "reason_code", "amount", "quantity")
	remarks := newCopyBuf("remarks", "file_id", "claim_payment_id", "service_line_id", "segment_index",
		"position", "qualifier", "code")
	plbs := newCopyBuf("provider_adjustments", "file_id", "transaction_id", "segment_index", "position",
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
					remarks.int(w.fileID).int(claimID).int(lineID).int(int64(l.Segment)).int(int64(k + 1)).
						text(r.Qualifier).text(r.Code).end()
				}
			}
		case *x12.RemittanceEnd:
			for _, a := range v.Remittance.Adjustments {
				plbs.int(w.fileID).int(txID).int(int64(a.Segment)).int(int64(a.Position)).text(a.ProviderID).
					date(a.FiscalPeriod).text(a.Reason).textOrNull(a.Reference).amount(a.Amount).end()
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, t := range []*copyBuf{claims, lines, adjs, remarks, plbs} {
		if err := w.tx.copyIn(ctx, t.table, t.cols, t.b); err != nil {
			return err
		}
	}
	return nil
}

func (w *rowWriter) transaction(ctx context.Context, seq int, practice int64, r *x12.Remittance) (int64, error) {
	var payerID *int64
	if code := r.Payer.PayerID(); code != "" {
		var id int64
		err := w.tx.c.QueryRowContext(ctx, `INSERT INTO payers (name, payer_id_code, last_remittance_at) VALUES ($1, $2, now())
			ON CONFLICT (payer_id_code) DO UPDATE SET name = EXCLUDED.name, last_remittance_at = now() RETURNING id`,
			r.Payer.Name, code).Scan(&id)
		if err != nil {
			return 0, fmt.Errorf("payer: %w", err)
		}
		payerID = &id
	}
	var id int64
	err := w.tx.c.QueryRowContext(ctx, `INSERT INTO remittance_transactions (file_id, seq, segment_index, st_control,
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
		if _, err := w.tx.c.ExecContext(ctx, `UPDATE remittance_files SET payer_id = COALESCE(payer_id, $2) WHERE id = $1`, w.fileID, *payerID); err != nil {
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

func addClaim(t *copyBuf, id, fileID, txID, practice int64, v *x12.ClaimPayment) {
	from, to := ServiceDates(v)
	name, member := patient(v)
	t.int(id).int(fileID).int(txID).int(practice).int(int64(v.Segment)).text(v.PatientControl).text(v.Status).
		amount(v.Charge).amount(v.Paid).amount(v.PatientResp).textOrNull(v.FilingIndicator).
		textOrNull(v.PayerControl).textOrNull(v.FacilityType).textOrNull(v.Frequency).textOrNull(v.DRG).
		date(from).date(to).date(v.StatementFrom).date(v.StatementTo).date(v.ReceivedDate).
		textOrNull(renderingNPI(v)).textOrNull(name).textOrNull(member).end()
}

func addLine(t *copyBuf, id, claimID, fileID, practice int64, l *x12.ServicePayment) {
	t.int(id).int(claimID).int(fileID).int(practice).int(int64(l.Segment)).int(int64(l.Number)).
		text(l.Procedure.Qualifier).text(l.Procedure.Code).array(l.Procedure.Modifiers, false)
	if l.Original != nil {
		t.text(l.Original.Code).array(l.Original.Modifiers, false)
	} else {
		t.null().null()
	}
	t.amount(l.Charge).amount(l.Paid).textOrNull(l.RevenueCode).qty(l.Units).qty(l.OriginalUnits).
		date(l.DateFrom).date(l.DateTo).textOrNull(l.LineControl())
	if a, ok := l.Allowed(); ok {
		t.amount(a)
	} else {
		t.null()
	}
	t.textOrNull(refValue(l.Refs, "HPI")).end()
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
func addAdjustments(t *copyBuf, fileID, claimID, lineID int64, adj []x12.Adjustment) {
	for _, a := range adj {
		t.int(fileID).int(claimID).intOrNull(lineID).int(int64(a.Segment)).int(int64(a.Position)).
			text(a.Group).text(a.Reason).amount(a.Amount).qty(a.Quantity).end()
	}
}

// addClaimRemarks adds the MOA (outpatient, MOA03-07) and MIA (inpatient)
// remark codes of a claim, positioned by their order.
func addClaimRemarks(t *copyBuf, fileID, claimID int64, v *x12.ClaimPayment) {
	add := func(q string, codes []string) {
		for k, r := range codes {
			t.int(fileID).int(claimID).null().int(int64(v.Segment)).int(int64(k + 1)).text(q).text(r).end()
		}
	}
	if v.Outpatient != nil {
		add("MOA", v.Outpatient.Remarks)
	}
	if v.Inpatient != nil {
		add("MIA", v.Inpatient.Remarks)
	}
}
