package remitstore

import (
	"context"
	"fmt"
	"io"

	"github.com/remitq/remitq/pkg/pgcopy"

	"github.com/remitq/remitq/x12"
)

// rowWriter writes a file's parsed rows inside the ingest transaction, in
// bulk through pkg/pgcopy (COPY text rows sent in one piece).
type rowWriter struct {
	tx        *pgcopy.Tx
	fileID    int64
	practices []int64
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

// rowFlushBytes is how many bytes of COPY rows are gathered before they
// are sent, so that a large file's rows are never held whole.
const rowFlushBytes = 1 << 20

func (w *rowWriter) write(ctx context.Context, r io.Reader, p *parsed) error {
	claimIDs, err := w.tx.ReserveIDs(ctx, "claim_payments", p.claims)
	if err != nil {
		return err
	}
	lineIDs, err := w.tx.ReserveIDs(ctx, "service_line_payments", p.lines)
	if err != nil {
		return err
	}
	claims := pgcopy.NewBuf("claim_payments", "id", "file_id", "transaction_id", "practice_id", "segment_index",
		"patient_control_number", "status", "charge", "paid", "patient_responsibility", "claim_filing_indicator",
		"payer_claim_control", "facility_type", "frequency", "drg", "service_date_from", "service_date_to",
		"statement_from", "statement_to", "received_date", "rendering_npi", "phi_patient_name", "phi_member_id")
	lines := pgcopy.NewBuf("service_line_payments", "id", "claim_payment_id", "file_id", "practice_id",
		"segment_index", "line_number", "procedure_qualifier", "procedure_code", "modifiers",
		"original_procedure_code", "original_modifiers", "charge", "paid", "revenue_code", "units", "original_units",
		"service_date_from", "service_date_to", "line_control_number", "allowed_amount", "rendering_npi")
	adjs := pgcopy.NewBuf("adjustments", "file_id", "claim_payment_id", "service_line_id", "segment_index",
		"position", "group_code", "reason_code", "amount", "quantity")
	remarks := pgcopy.NewBuf("remarks", "file_id", "claim_payment_id", "service_line_id", "segment_index",
		"position", "qualifier", "code")
	plbs := pgcopy.NewBuf("provider_adjustments", "file_id", "transaction_id", "practice_id", "segment_index", "position",
		"provider_id", "fiscal_period_date", "reason_code", "reference", "amount")

	all := []*pgcopy.Buf{claims, lines, adjs, remarks, plbs}
	// flush sends every buffer in this order, parents before children.
	flush := func(min int) error {
		n := 0
		for _, t := range all {
			n += t.Len()
		}
		if n < min {
			return nil
		}
		for _, t := range all {
			if err := w.tx.Copy(ctx, t); err != nil {
				return err
			}
			t.Reset()
		}
		return nil
	}
	seq, ci, li := 0, 0, 0
	var txID, practice int64
	walk := func(fn func(x12.RemitRecord) error) error { return forEachRecordIn(r, fn) }
	if p.recs != nil {
		walk = func(fn func(x12.RemitRecord) error) error { return each(p.recs, fn) }
	}
	err = walk(func(rec x12.RemitRecord) error {
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
					remarks.Int(w.fileID).Int(claimID).Int(lineID).Int(int64(l.Segment)).Int(int64(k + 1)).
						Text(r.Qualifier).Text(r.Code).End()
				}
			}
			return flush(rowFlushBytes)
		case *x12.RemittanceEnd:
			for _, a := range v.Remittance.Adjustments {
				plbs.Int(w.fileID).Int(txID).Int(practice).Int(int64(a.Segment)).Int(int64(a.Position)).Text(a.ProviderID).
					Date(a.FiscalPeriod).Text(a.Reason).TextOrNull(a.Reference).Amount(a.Amount).End()
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return flush(0)
}

func (w *rowWriter) transaction(ctx context.Context, seq int, practice int64, r *x12.Remittance) (int64, error) {
	var payerID *int64
	if code := r.Payer.PayerID(); code != "" {
		var id int64
		// Payers are shared by every practice: a remittance names a new
		// payer, or one known only by its code (a billed claim's payer has
		// its code for a name), never renames a named one (admins name
		// payers through the onboarding routes). The name this 835 gave is
		// kept on its transaction row (payer_name).
		err := w.tx.Conn.QueryRowContext(ctx, `INSERT INTO payers (name, payer_id_code, last_remittance_at) VALUES ($1, $2, now())
			ON CONFLICT (payer_id_code) DO UPDATE SET last_remittance_at = now(),
				name = CASE WHEN payers.name = payers.payer_id_code AND EXCLUDED.name <> '' THEN EXCLUDED.name ELSE payers.name END
			RETURNING id`,
			r.Payer.Name, code).Scan(&id)
		if err != nil {
			return 0, fmt.Errorf("payer: %w", err)
		}
		payerID = &id
	}
	var id int64
	err := w.tx.Conn.QueryRowContext(ctx, `INSERT INTO remittance_transactions (file_id, seq, segment_index, st_control,
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
		if _, err := w.tx.Conn.ExecContext(ctx, `UPDATE remittance_files SET payer_id = COALESCE(payer_id, $2) WHERE id = $1`, w.fileID, *payerID); err != nil {
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

func addClaim(t *pgcopy.Buf, id, fileID, txID, practice int64, v *x12.ClaimPayment) {
	from, to := ServiceDates(v)
	name, member := v.PatientIdentity()
	t.Int(id).Int(fileID).Int(txID).Int(practice).Int(int64(v.Segment)).Text(v.PatientControl).Text(v.Status).
		Amount(v.Charge).Amount(v.Paid).Amount(v.PatientResp).TextOrNull(v.FilingIndicator).
		TextOrNull(v.PayerControl).TextOrNull(v.FacilityType).TextOrNull(v.Frequency).TextOrNull(v.DRG).
		Date(from).Date(to).Date(v.StatementFrom).Date(v.StatementTo).Date(v.ReceivedDate).
		TextOrNull(v.RenderingNPI()).TextOrNull(name).TextOrNull(member).End()
}

func addLine(t *pgcopy.Buf, id, claimID, fileID, practice int64, l *x12.ServicePayment) {
	t.Int(id).Int(claimID).Int(fileID).Int(practice).Int(int64(l.Segment)).Int(int64(l.Number)).
		Text(l.Procedure.Qualifier).Text(l.Procedure.Code).Array(l.Procedure.Modifiers)
	if l.Original != nil {
		t.Text(l.Original.Code).Array(l.Original.Modifiers)
	} else {
		t.Null().Null()
	}
	t.Amount(l.Charge).Amount(l.Paid).TextOrNull(l.RevenueCode).QtyPtr(l.Units).QtyPtr(l.OriginalUnits).
		Date(l.DateFrom).Date(l.DateTo).TextOrNull(l.LineControl())
	if a, ok := l.Allowed(); ok {
		t.Amount(a)
	} else {
		t.Null()
	}
	t.TextOrNull(refValue(l.Refs, "HPI")).End()
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
func addAdjustments(t *pgcopy.Buf, fileID, claimID, lineID int64, adj []x12.Adjustment) {
	for _, a := range adj {
		t.Int(fileID).Int(claimID).IntOrNull(lineID).Int(int64(a.Segment)).Int(int64(a.Position)).
			Text(a.Group).Text(a.Reason).Amount(a.Amount).QtyPtr(a.Quantity).End()
	}
}

// addClaimRemarks adds the MOA (outpatient, MOA03-07) and MIA (inpatient)
// remark codes of a claim, positioned by their order.
func addClaimRemarks(t *pgcopy.Buf, fileID, claimID int64, v *x12.ClaimPayment) {
	add := func(q string, codes []string) {
		for k, r := range codes {
			t.Int(fileID).Int(claimID).Null().Int(int64(v.Segment)).Int(int64(k + 1)).Text(q).Text(r).End()
		}
	}
	if v.Outpatient != nil {
		add("MOA", v.Outpatient.Remarks)
	}
	if v.Inpatient != nil {
		add("MIA", v.Inpatient.Remarks)
	}
}
