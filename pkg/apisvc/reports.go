package apisvc

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/kpi"
	"github.com/remitq/remitq/pkg/kpistore"
)

// The KPI reports (issue 8): definitions, values by group and period,
// CSV/XLSX exports and SVG charts, read from the summary tables that
// pkg/kpistore keeps, filtered by the caller's practice and provider
// scopes in SQL. Reports hold no PHI, so they write no audit rows.

// GET /v1/reports: every KPI with its exact definition.
func (c *call) getReports() error {
	return c.json(http.StatusOK, map[string]any{"reports": kpi.Defs()})
}

// reportPoint is one value of a JSON report.
type reportPoint struct {
	Group       map[string]string `json:"group"`
	PeriodStart day.Day           `json:"period_start"`
	PeriodEnd   day.Day           `json:"period_end"`
	Value       *string           `json:"value"` // decimal text in the KPI's unit; null when undefined
	Numerator   string            `json:"numerator"`
	Denominator string            `json:"denominator"`
}

// GET /v1/reports/{kpi} (and {kpi}.svg): one KPI by group and period.
func (c *call) getReport() error {
	name := c.r.PathValue("kpi")
	svg := strings.HasSuffix(name, ".svg")
	name = strings.TrimSuffix(name, ".svg")
	if name == "waterfall" {
		return c.getWaterfall(svg)
	}
	def, ok := kpi.Lookup(name)
	if !ok {
		return errNotFound
	}
	req, format, detail, err := c.reportRequest(def)
	if err != nil {
		return err
	}
	if svg {
		format = "svg"
	}
	scope := kpistore.Scope{ID: c.id}
	if v := c.r.URL.Query().Get("practice_id"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return badRequest("practice_id must be a number")
		}
		scope.Practices = []int64{n}
	}
	ctx := c.r.Context()
	if detail {
		if format != "csv" && format != "xlsx" {
			return badRequest("detail=1 goes with format=csv or format=xlsx")
		}
		if err := req.Check(); err != nil {
			return badRequest("%s", strings.TrimPrefix(err.Error(), "kpi: bad request: "))
		}
		rows := kpistore.Detail(ctx, c.s.db, &req, scope)
		c.attachment(def.Name+"-detail", format)
		if format == "csv" {
			return kpi.WriteDetailCSV(c.w, def, rows)
		}
		return kpi.WriteDetailXLSX(c.w, def, rows)
	}
	rep, err := kpistore.Report(ctx, c.s.db, req, scope)
	if errors.Is(err, kpi.ErrRequest) {
		return badRequest("%s", strings.TrimPrefix(err.Error(), "kpi: bad request: "))
	}
	if err != nil {
		return err
	}
	labels, err := kpistore.Labels(ctx, c.s.db, rep)
	if err != nil {
		return err
	}
	switch format {
	case "csv":
		c.attachment(def.Name, "csv")
		return rep.WriteCSV(c.w, labels)
	case "xlsx":
		c.attachment(def.Name, "xlsx")
		return rep.WriteXLSX(c.w, labels)
	case "svg":
		c.w.Header().Set("Content-Type", "image/svg+xml")
		return rep.WriteSVG(c.w, kpi.ChartOptions{Labels: labels})
	}
	points := make([]reportPoint, len(rep.Points))
	for i := range rep.Points {
		p := &rep.Points[i]
		g := map[string]string{}
		for j, d := range rep.GroupBy {
			g[string(d)] = p.Group[j]
			if n := labels[d][p.Group[j]]; n != "" {
				g[string(d)+"_name"] = n
			}
		}
		rp := reportPoint{Group: g, PeriodStart: p.Start, PeriodEnd: p.End, Numerator: p.NumText(def), Denominator: p.DenText(def)}
		if p.Defined() {
			v := p.Text(valuePlaces(def.Unit))
			rp.Value = &v
		}
		points[i] = rp
	}
	groups := make([]string, len(rep.GroupBy))
	for i, d := range rep.GroupBy {
		groups[i] = string(d)
	}
	return c.json(http.StatusOK, map[string]any{"kpi": rep.Def, "group_by": groups, "period": rep.Basis, "bucket": rep.Bucket,
		"from": rep.From, "to": rep.To, "points": points})
}

func valuePlaces(u kpi.Unit) int {
	switch u {
	case kpi.Count:
		return 0
	case kpi.Days:
		return 1
	}
	return 2
}

// reportRequest reads group_by, period, bucket, from, to (default: the
// twelve months to today), format, detail and top.
func (c *call) reportRequest(def *kpi.Def) (kpi.Request, string, bool, error) {
	q := c.r.URL.Query()
	req := kpi.Request{Def: def, Basis: kpi.Basis(q.Get("period")), Bucket: kpi.Bucket(q.Get("bucket"))}
	if v, ok := q["group_by"]; ok {
		req.GroupBy = []kpi.Dim{}
		for _, part := range strings.Split(strings.Join(v, ","), ",") {
			if part = strings.TrimSpace(part); part != "" {
				req.GroupBy = append(req.GroupBy, kpi.Dim(part))
			}
		}
	}
	today := day.Of(c.s.opts.Now())
	req.To = today
	if v := q.Get("to"); v != "" {
		d, err := day.ParseSet(v)
		if _, yerr := parseDate(v); err != nil || yerr != nil {
			return req, "", false, badRequest("to must be a date YYYY-MM-DD")
		}
		req.To = d
	}
	t := req.To.Time()
	req.From = day.Of(time.Date(t.Year()-1, t.Month()+1, 1, 0, 0, 0, 0, time.UTC))
	if v := q.Get("from"); v != "" {
		d, err := day.ParseSet(v)
		if _, yerr := parseDate(v); err != nil || yerr != nil {
			return req, "", false, badRequest("from must be a date YYYY-MM-DD")
		}
		req.From = d
	}
	if v := q.Get("top"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return req, "", false, badRequest("top must be 1..1000")
		}
		req.Top = n
	}
	format := q.Get("format")
	switch format {
	case "":
		format = "json"
	case "json", "csv", "xlsx":
	default:
		return req, "", false, badRequest("format must be json, csv or xlsx (charts: /v1/reports/{kpi}.svg)")
	}
	detail := false
	switch q.Get("detail") {
	case "", "0", "false":
	case "1", "true":
		detail = true
	default:
		return req, "", false, badRequest("detail must be 1 or 0")
	}
	return req, format, detail, nil
}

func (c *call) attachment(name, ext string) {
	ct := "text/csv; charset=utf-8"
	if ext == "xlsx" {
		ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	c.w.Header().Set("Content-Type", ct)
	c.w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.`+ext+`"`)
}
