package consolesvc

import (
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"time"

	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/kpi"
)

type kpiTarget struct {
	Text string `json:"text"`
}

type kpiDef struct {
	Name           string     `json:"name"`
	Title          string     `json:"title"`
	Formula        string     `json:"formula"`
	Unit           string     `json:"unit"`
	Target         *kpiTarget `json:"target"`
	HigherIsBetter bool       `json:"higher_is_better"`
	Definition     string     `json:"definition"`
	EdgeCases      []string   `json:"edge_cases"`
}

type kpiPoint struct {
	Group       map[string]string `json:"group"`
	PeriodStart string            `json:"period_start"`
	Value       *string           `json:"value"`
	Numerator   string            `json:"numerator"`
	Denominator string            `json:"denominator"`
}

// reportFilters are the report query parameters the console passes on.
var reportFilters = []string{"practice_id", "from", "to", "bucket", "group_by", "period"}

var kpiName = regexp.MustCompile(`^[a-z0-9_]{1,64}$`)

func reportQuery(in url.Values) url.Values {
	out := url.Values{}
	for _, k := range reportFilters {
		if v := in.Get(k); v != "" {
			out.Set(k, v)
		}
	}
	return out
}

// reports shows the KPIs, the chosen one with its chart, definition,
// target, values and downloads.
func (q *req) reports() error {
	var defs struct {
		Reports []kpiDef `json:"reports"`
	}
	if err := q.s.getJSON(q.r, q.id, "/v1/reports", nil, &defs); err != nil {
		return err
	}
	in := q.r.URL.Query()
	name := in.Get("kpi")
	var cur *kpiDef
	for i := range defs.Reports {
		if defs.Reports[i].Name == name || (name == "" && i == 0) {
			cur = &defs.Reports[i]
		}
	}
	data := map[string]any{"Defs": defs.Reports, "Current": cur, "Filter": in}
	if cur != nil {
		rq := reportQuery(in)
		var rep struct {
			Points []kpiPoint `json:"points"`
		}
		err := q.s.getJSON(q.r, q.id, "/v1/reports/"+cur.Name, rq, &rep)
		if ae, ok := err.(*apiError); ok && ae.Status == http.StatusBadRequest {
			data["Problem"], err = ae.Message, nil
		}
		if err != nil {
			return err
		}
		data["Points"] = rep.Points
		// The chart's and the downloads' addresses carry the filter: built
		// here whole (template.URL), since html/template escapes a value
		// put after "?" as one query value ("from%3D…%26to%3D…"), and the
		// API then drew the chart of its default period, not the filter's.
		base := "/console/reports/" + url.PathEscape(cur.Name)
		withQ := func(path string, extra url.Values) template.URL {
			v := url.Values{}
			for k, vs := range rq {
				v[k] = vs
			}
			for k, vs := range extra {
				v[k] = vs
			}
			if len(v) == 0 {
				return template.URL(path)
			}
			return template.URL(path + "?" + v.Encode())
		}
		data["ChartURL"] = withQ(base+"/chart.svg", nil)
		data["CSVURL"] = withQ(base+"/download", url.Values{"format": {"csv"}})
		data["XLSXURL"] = withQ(base+"/download", url.Values{"format": {"xlsx"}})
		data["DetailURL"] = withQ(base+"/download", url.Values{"format": {"csv"}, "detail": {"1"}})
		data["Period"] = q.reportPeriod(in)
	}
	labels, err := q.s.labels(q.r.Context(), q.id)
	if err != nil {
		return err
	}
	data["Labels"] = labels
	// The monthly pack: of the practice chosen, else of the user's only
	// (or first) practice; for the month of the To date, else the last
	// full month.
	pack := url.Values{}
	if p := in.Get("practice_id"); p != "" {
		pack.Set("practice_id", p)
	} else if len(labels.Practices) > 0 {
		pack.Set("practice_id", itoa(labels.Practices[0].ID))
	}
	if to, err := time.Parse(time.DateOnly, in.Get("to")); err == nil {
		pack.Set("month", to.Format("2006-01"))
	}
	if pack.Get("practice_id") != "" {
		data["Pack"] = "/console/reports/pack.pdf?" + pack.Encode()
		data["PackMonth"] = pack.Get("month")
		data["PackPractice"] = labels.Practice(pid(pack.Get("practice_id")))
	}
	q.render(http.StatusOK, "reports", "Reports", data)
	return nil
}

// reportPeriod names the period the filter asks for, as the API's chart
// title does (kpi.RangeText) and with the API's defaults (to: today; from:
// the first day of the twelfth month back): the chart's period is the
// filter's, not the first and last days that hold data.
func (q *req) reportPeriod(in url.Values) string {
	to := day.Of(q.s.opts.Now())
	if d, err := day.ParseSet(in.Get("to")); err == nil {
		to = d
	}
	t := to.Time()
	from := day.Of(time.Date(t.Year()-1, t.Month()+1, 1, 0, 0, 0, 0, time.UTC))
	if d, err := day.ParseSet(in.Get("from")); err == nil {
		from = d
	}
	return kpi.RangeText(from, to)
}

func pid(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

// reportPack passes on the API's one-page monthly KPI pack (PDF) of a
// practice.
func (q *req) reportPack() error {
	in := q.r.URL.Query()
	p := in.Get("practice_id")
	if n := pid(p); n <= 0 || itoa(n) != p {
		return &apiError{Status: http.StatusNotFound}
	}
	rq := url.Values{}
	if m := in.Get("month"); m != "" {
		rq.Set("month", m)
	}
	return q.pass(apiRequest{Method: http.MethodGet, Path: "/v1/practices/" + p + "/reports/pack.pdf", Query: rq})
}

// reportChart passes on the API's SVG chart of a KPI.
func (q *req) reportChart() error {
	name := q.r.PathValue("kpi")
	if !kpiName.MatchString(name) {
		return &apiError{Status: http.StatusNotFound}
	}
	return q.pass(apiRequest{Method: http.MethodGet, Path: "/v1/reports/" + name + ".svg", Query: reportQuery(q.r.URL.Query())})
}

// reportDownload passes on the API's CSV or XLSX export of a KPI.
func (q *req) reportDownload() error {
	name := q.r.PathValue("kpi")
	if !kpiName.MatchString(name) {
		return &apiError{Status: http.StatusNotFound}
	}
	rq := reportQuery(q.r.URL.Query())
	switch f := q.r.URL.Query().Get("format"); f {
	case "csv", "xlsx":
		rq.Set("format", f)
	default:
		rq.Set("format", "csv")
	}
	if q.r.URL.Query().Get("detail") == "1" {
		rq.Set("detail", "1")
	}
	return q.pass(apiRequest{Method: http.MethodGet, Path: "/v1/reports/" + name, Query: rq})
}

// pass answers with the API's answer to req (a file: chart or export).
func (q *req) pass(req apiRequest) error {
	rec, err := q.s.do(q.r, q.id, req)
	if err != nil {
		return err
	}
	if rec.status != http.StatusOK {
		return (&apiErrorReader{rec}).err()
	}
	for _, h := range []string{"Content-Type", "Content-Disposition"} {
		if v := rec.header.Get(h); v != "" {
			q.w.Header().Set(h, v)
		}
	}
	q.w.WriteHeader(http.StatusOK)
	_, _ = q.w.Write(rec.body.Bytes())
	return nil
}
