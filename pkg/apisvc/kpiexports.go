package apisvc

import (
	"database/sql"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/remitq/remitq/pkg/kpi"
	"github.com/remitq/remitq/pkg/kpistore"
)

// The analyst's exports beyond one KPI (reports.go): the waterfall from
// charges to payments, the one-page monthly PDF pack of a practice, and
// the patient-payments import that makes net collection real.

// GET /v1/reports/waterfall.svg (and waterfall as JSON): charges to
// payments over from..to (default: the twelve months to today), within the
// caller's scope and an optional practice_id.
func (c *call) getWaterfall(svg bool) error {
	def, _ := kpi.Lookup(kpi.PackKPIs[0])
	req, _, _, err := c.reportRequest(def)
	if err != nil {
		return err
	}
	scope, err := c.reportScope()
	if err != nil {
		return err
	}
	w, err := kpistore.Waterfall(c.r.Context(), c.s.db, req.From, req.To, scope)
	if err != nil {
		return err
	}
	if svg {
		c.w.Header().Set("Content-Type", "image/svg+xml")
		return w.WriteSVG(c.w, kpi.ChartOptions{})
	}
	return c.json(http.StatusOK, w)
}

// reportScope is the caller's scope, narrowed to ?practice_id= when given.
func (c *call) reportScope() (kpistore.Scope, error) {
	scope := kpistore.Scope{ID: c.id}
	if v := c.r.URL.Query().Get("practice_id"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return scope, badRequest("practice_id must be a practice id")
		}
		scope.Practices = []int64{n}
	}
	return scope, nil
}

// GET /v1/practices/{practice}/reports/pack.pdf?month=YYYY-MM: the one-page
// monthly KPI pack of a practice the caller sees whole (default month: the
// last full month).
func (c *call) getPack() error {
	pid, err := strconv.ParseInt(c.r.PathValue("practice"), 10, 64)
	if err != nil || pid <= 0 || !c.id.SeesPractice(pid) {
		return errNotFound
	}
	now := c.s.opts.Now()
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0)
	if v := c.r.URL.Query().Get("month"); v != "" {
		t, err := time.Parse("2006-01", v)
		if err != nil {
			return badRequest("month must be YYYY-MM")
		}
		month = t
	}
	p, err := kpistore.MonthlyPack(c.r.Context(), c.s.db, pid, month, now, kpistore.Scope{ID: c.id})
	if errors.Is(err, sql.ErrNoRows) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	c.w.Header().Set("Content-Type", "application/pdf")
	c.w.Header().Set("Content-Disposition", `attachment; filename="kpi-pack-`+strconv.FormatInt(pid, 10)+`-`+month.Format("2006-01")+`.pdf"`)
	return kpi.WritePackPDF(c.w, now, p)
}

// POST /v1/patient-payments?practice_id=: a practice-management
// patient-payments CSV (kpi.ParsePayments' columns) of one practice the
// caller sees whole (admins may omit practice_id to load several), all rows
// or none; then the KPIs are refreshed.
func (c *call) postPatientPayments() error {
	o := kpistore.ImportOptions{FileName: c.r.URL.Query().Get("filename"), By: c.id.Actor(), Now: c.s.opts.Now}
	switch v := c.r.URL.Query().Get("practice_id"); {
	case v != "":
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 || !c.id.SeesPractice(n) {
			return errNotFound
		}
		o.Practices = []int64{n}
	case !c.id.All():
		return badRequest("name the practice: ?practice_id=ID")
	}
	body, err := c.readBody()
	if err != nil {
		return err
	}
	res, err := kpistore.ImportPayments(c.r.Context(), c.s.db, body, o)
	if err != nil {
		var pe *kpi.PaymentError
		if errors.As(err, &pe) || errors.Is(err, kpi.ErrPaymentEmpty) || errors.Is(err, kpi.ErrPaymentHeader) {
			return errf(http.StatusUnprocessableEntity, "invalid_payments", "%s", strings.ReplaceAll(err.Error(), "\n", "; "))
		}
		return err // the database: an outage, not the file
	}
	var entries []auditEntry
	for _, pid := range res.Practices {
		entries = append(entries, c.entry("patient_payments.import", "patient_payment_import", res.ImportID, pid,
			map[string]any{"rows": res.Rows, "inserted": res.Inserted, "updated": res.Updated}))
	}
	if len(entries) > 0 {
		if err := c.audit(entries...); err != nil {
			return err
		}
	}
	if _, err := kpistore.Refresh(c.r.Context(), c.s.db); err != nil {
		c.s.log.Warn("kpi refresh after a patient-payments import failed; the refresher will catch up")
	}
	return c.json(http.StatusCreated, res)
}
