package apisvc

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/remitq/remitq/pkg/auth"
	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/money"
)

// Patient share (issue 17, migration 0021). A PR-1 (deductible), PR-2
// (coinsurance) or PR-3 (copay) adjustment is not "no action": it is the
// patient's balance, handed to the practice's statement run. The list is
// per practice, one row per paid line with a patient share (line_key its
// service_line_payments id) or per paid claim for claim-level PR
// adjustments (line_key 0). Once sent, POST /v1/patient-share/exported
// marks the rows, so the next export leaves them out. Reversals (CLP02 22)
// carry negative amounts and come out as credits.

// PatientShare is one row of the hand-off. It names the claim by the
// practice's own claim id (the patient control number), never the patient.
type PatientShare struct {
	ClaimPaymentID       int64         `db:"claim_payment_id" json:"claim_payment_id"`
	LineKey              int64         `db:"line_key" json:"line_key"`
	PracticeID           int64         `db:"practice_id" json:"practice_id"`
	PatientControlNumber string        `db:"patient_control_number" json:"patient_control_number"`
	PayerClaimControl    *string       `db:"payer_claim_control" json:"payer_claim_control"`
	ClaimStatus          string        `db:"claim_status" json:"claim_status"`
	ProcedureCode        string        `db:"procedure_code" json:"procedure_code"`
	ServiceDate          day.Day       `db:"service_date" json:"service_date"`
	PaymentDate          day.Day       `db:"payment_date" json:"payment_date"`
	Deductible           money.Amount  `db:"deductible" json:"deductible"`
	Coinsurance          money.Amount  `db:"coinsurance" json:"coinsurance"`
	Copay                money.Amount  `db:"copay" json:"copay"`
	Total                money.Amount  `db:"total" json:"total"`
	ExportedAt           *time.Time    `db:"exported_at" json:"exported_at"`
	ExportedAmount       *money.Amount `db:"exported_amount" json:"exported_amount"`
	Batch                *string       `db:"batch" json:"batch"`
}

// patientShareLimit bounds one answer; a practice exports more often.
const patientShareLimit = 5000

// GET /v1/patient-share?practice_id=&format=csv&exported=false|true|all&paid_from=&paid_to=
func (c *call) getPatientShare() error {
	q := c.r.URL.Query()
	practice, err := c.recordsPractice()
	if err != nil {
		return err
	}
	var args auth.Args
	where := []string{"a.group_code = 'PR'", "a.reason_code IN ('1', '2', '3')", "cp.practice_id = " + args.Add(practice),
		c.id.Where("cp.practice_id", claimNPI, &args)}
	switch q.Get("exported") {
	case "", "false":
		where = append(where, "e.claim_payment_id IS NULL")
	case "true":
		where = append(where, "e.claim_payment_id IS NOT NULL")
	case "all":
	default:
		return badRequest("exported must be false (the default), true or all")
	}
	for _, f := range []struct{ param, op string }{{"paid_from", ">="}, {"paid_to", "<="}} {
		if v := q.Get(f.param); v != "" {
			d, err := parseDate(v)
			if err != nil {
				return badRequest("%s must be a date YYYY-MM-DD", f.param)
			}
			where = append(where, "t.payment_date "+f.op+" "+args.Add(d.Format(time.DateOnly))+"::date")
		}
	}
	format := q.Get("format")
	if format != "" && format != "csv" && format != "json" {
		return badRequest("format must be csv or json")
	}
	var rows []PatientShare
	if err := c.s.db.SelectContext(c.r.Context(), &rows, `SELECT cp.id AS claim_payment_id, coalesce(a.service_line_id, 0) AS line_key,
		cp.practice_id, cp.patient_control_number, cp.payer_claim_control, cp.status AS claim_status,
		coalesce(sl.procedure_code, '') AS procedure_code, coalesce(sl.service_date_from, cp.service_date_from) AS service_date,
		t.payment_date,
		coalesce(sum(a.amount) FILTER (WHERE a.reason_code = '1'), 0) AS deductible,
		coalesce(sum(a.amount) FILTER (WHERE a.reason_code = '2'), 0) AS coinsurance,
		coalesce(sum(a.amount) FILTER (WHERE a.reason_code = '3'), 0) AS copay,
		sum(a.amount) AS total, e.exported_at, e.amount AS exported_amount, e.batch
		FROM adjustments a JOIN claim_payments cp ON cp.id = a.claim_payment_id
		JOIN remittance_transactions t ON t.id = cp.transaction_id
		LEFT JOIN service_line_payments sl ON sl.id = a.service_line_id
		LEFT JOIN patient_share_exports e ON e.claim_payment_id = cp.id AND e.line_key = coalesce(a.service_line_id, 0)
		WHERE `+strings.Join(where, " AND ")+`
		GROUP BY cp.id, coalesce(a.service_line_id, 0), sl.procedure_code, sl.service_date_from, t.payment_date, e.exported_at, e.amount, e.batch
		HAVING sum(a.amount) <> 0
		ORDER BY t.payment_date, cp.id, 2 LIMIT `+strconv.Itoa(patientShareLimit+1), args...); err != nil {
		return err
	}
	truncated := len(rows) > patientShareLimit
	if truncated {
		rows = rows[:patientShareLimit]
	}
	if rows == nil {
		rows = []PatientShare{}
	}
	var total money.Amount
	for _, r := range rows {
		total += r.Total
	}
	if err := c.audit(c.entry("patient_share.list", "claim_payment", 0, practice, map[string]any{"rows": len(rows),
		"format": format, "exported": q.Get("exported"), "total": total})); err != nil {
		return err
	}
	if truncated {
		c.w.Header().Set("X-Truncated", "true")
	}
	if format != "csv" {
		return c.json(http.StatusOK, map[string]any{"practice_id": practice, "items": rows, "total": total, "truncated": truncated})
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"claim_payment_id", "line_key", "patient_control_number", "payer_claim_control", "claim_status", "procedure_code",
		"service_date", "payment_date", "deductible", "coinsurance", "copay", "patient_responsibility"})
	ds := day.Day.String
	for _, r := range rows {
		pcc := ""
		if r.PayerClaimControl != nil {
			pcc = *r.PayerClaimControl
		}
		_ = w.Write([]string{strconv.FormatInt(r.ClaimPaymentID, 10), strconv.FormatInt(r.LineKey, 10), csvSafe(r.PatientControlNumber),
			csvSafe(pcc), r.ClaimStatus, csvSafe(r.ProcedureCode), ds(r.ServiceDate), ds(r.PaymentDate), r.Deductible.String(),
			r.Coinsurance.String(), r.Copay.String(), r.Total.String()})
	}
	w.Flush()
	c.w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	c.w.Header().Set("Content-Disposition", `attachment; filename="patient-share-`+strconv.FormatInt(practice, 10)+`.csv"`)
	c.w.WriteHeader(http.StatusOK)
	_, err = c.w.Write(buf.Bytes())
	return err
}

// csvSafe keeps a spreadsheet from reading a cell as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// POST /v1/patient-share/exported?practice_id=: {"batch": "2026-11-18
// statements", "items": [{"claim_payment_id": 1, "line_key": 2}, ...]}
// marks the rows sent to the statement run, with their amount now. Rows of
// another practice, or without a patient share, are refused (404) and
// nothing is marked; a row already marked stays as it was.
func (c *call) postPatientShareExported() error {
	practice, err := c.recordsPractice()
	if err != nil {
		return err
	}
	var b struct {
		Batch string `json:"batch"`
		Items []struct {
			ClaimPaymentID int64 `json:"claim_payment_id"`
			LineKey        int64 `json:"line_key"`
		} `json:"items"`
	}
	if err := c.decode(&b); err != nil {
		return err
	}
	if b.Batch, err = cleanText(b.Batch, 100, "batch"); err != nil {
		return err
	}
	if b.Batch == "" {
		b.Batch = c.s.opts.Now().UTC().Format(time.RFC3339)
	}
	if len(b.Items) == 0 || len(b.Items) > patientShareLimit {
		return badRequest("items must list 1 to %d rows {claim_payment_id, line_key}", patientShareLimit)
	}
	claims := make([]int64, len(b.Items))
	lines := make([]int64, len(b.Items))
	for i, it := range b.Items {
		if it.ClaimPaymentID <= 0 || it.LineKey < 0 {
			return badRequest("item %d: claim_payment_id must be positive and line_key 0 or a paid line id", i+1)
		}
		claims[i], lines[i] = it.ClaimPaymentID, it.LineKey
	}
	ctx := c.r.Context()
	var found []struct {
		ClaimPaymentID int64        `db:"claim_payment_id"`
		LineKey        int64        `db:"line_key"`
		Total          money.Amount `db:"total"`
	}
	marked := 0
	var total money.Amount
	if err := c.inTx(func(tx *sqlx.Tx) error {
		var args auth.Args
		pc, pl := args.Add(pq.Array(claims)), args.Add(pq.Array(lines))
		if err := tx.SelectContext(ctx, &found, `SELECT r.c AS claim_payment_id, r.l AS line_key, sum(a.amount) AS total
			FROM (SELECT DISTINCT * FROM unnest(`+pc+`::bigint[], `+pl+`::bigint[]) AS r(c, l)) r
			JOIN claim_payments cp ON cp.id = r.c
			JOIN adjustments a ON a.claim_payment_id = cp.id AND coalesce(a.service_line_id, 0) = r.l
				AND a.group_code = 'PR' AND a.reason_code IN ('1', '2', '3')
			WHERE cp.practice_id = `+args.Add(practice)+` AND `+c.id.Where("cp.practice_id", claimNPI, &args)+`
			GROUP BY r.c, r.l HAVING sum(a.amount) <> 0`, args...); err != nil {
			return err
		}
		distinct := map[[2]int64]bool{}
		for i := range claims {
			distinct[[2]int64{claims[i], lines[i]}] = true
		}
		if len(found) != len(distinct) {
			return errf(http.StatusNotFound, "not_found", "%d of the rows are not patient-share rows of the practice in your scope; nothing was marked",
				len(distinct)-len(found))
		}
		for _, f := range found {
			res, err := tx.ExecContext(ctx, `INSERT INTO patient_share_exports (claim_payment_id, line_key, practice_id, amount, batch, exported_by)
				VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`, f.ClaimPaymentID, f.LineKey, practice, f.Total, b.Batch, c.id.UserID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 1 {
				marked++
				total += f.Total
			}
		}
		if err := c.auditTx(tx, c.entry("patient_share.exported", "claim_payment", 0, practice, map[string]any{"batch": b.Batch,
			"rows": len(found), "marked": marked, "total": total})); err != nil {
			return err
		}
		return nil
	}); err != nil {
		return err
	}
	return c.json(http.StatusOK, map[string]any{"practice_id": practice, "batch": b.Batch, "marked": marked,
		"already_marked": len(found) - marked, "total": total})
}
