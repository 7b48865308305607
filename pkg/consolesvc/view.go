package consolesvc

import (
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/remitq/remitq/pkg/apisvc"
	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/work"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// statusText names the work-item statuses for people.
var statusText = map[string]string{"new": "New", "assigned": "Assigned", "in_progress": "In progress", "pended": "Snoozed",
	"appealed": "Appealed", "resubmitted": "Resubmitted", "written_off": "Written off", "resolved": "Resolved"}

// claimStatusText names the CLP02 claim statuses for people.
var claimStatusText = map[string]string{"1": "Paid as primary", "2": "Paid as secondary", "3": "Paid as tertiary", "4": "Denied",
	"19": "Paid as primary, forwarded", "20": "Paid as secondary, forwarded", "21": "Paid as tertiary, forwarded",
	"22": "Reversal", "23": "Not our claim, forwarded", "25": "Predetermination"}

var funcs = template.FuncMap{
	"claimStatus": func(s string) string { return orDefault(claimStatusText[s], "status "+s) },
	"dollars":     func(a money.Amount) string { return a.Dollars() },
	"pdollars": func(a *money.Amount) string {
		if a == nil {
			return "—"
		}
		return a.Dollars()
	},
	"str": func(s *string) string {
		if s == nil || *s == "" {
			return "—"
		}
		return *s
	},
	// sval is a string that may be absent, "" when it is.
	"sval": func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	},
	// pid reads a practice id from a form value (0 when it is none).
	"pid": pid,
	// rows hands a table of items, the labels and the names of the users to
	// a shared row template.
	"rows": func(items []item, l *labels, who map[int64]string) map[string]any {
		return map[string]any{"Items": items, "Labels": l, "Who": who}
	},
	// nameOf names a user id from a map of names.
	"nameOf": func(who map[int64]string, id *int64) string {
		if id == nil {
			return ""
		}
		if n, ok := who[*id]; ok {
			return n
		}
		return "user #" + itoa(*id)
	},
	"join":   strings.Join,
	"status": func(s string) string { return orDefault(statusText[s], s) },
	"words":  func(s string) string { return strings.ReplaceAll(s, "_", " ") },
	"when":   func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") },
	"i64": func(n *int64) string {
		if n == nil {
			return ""
		}
		return itoa(*n)
	},
	"eq64":   func(a int64, b string) bool { return itoa(a) == b },
	"peq64":  func(a *int64, b int64) bool { return a != nil && *a == b },
	"open":   work.Open, // the one open/closed rule
	"list":   func(s ...string) []string { return s },
	"before": func(d *string, dy string) bool { return d != nil && *d < dy },
	"inc":    func(n int) int { return n + 1 },
	// amt is an amount as a form field holds it ("1250.00").
	"amt": func(a money.Amount) string { return a.String() },
	// pamt is an amount that may be absent as a form field holds it.
	"pamt": func(a *money.Amount) string {
		if a == nil {
			return ""
		}
		return a.String()
	},
	// units is a unit count without trailing zeros ("1.000" → "1").
	"units": unitsText,
	// actor names an actor ("user:12", "router") for people.
	"actor": actorName,
	// reasonLabel names a write-off reason code by its label.
	"reasonLabel": func(rs []apisvc.WriteOffReason, code string) string {
		for _, r := range rs {
			if r.Code == code && r.Label != "" {
				return r.Label
			}
		}
		return strings.ReplaceAll(code, "_", " ")
	},
	// day is an API date ("—" when absent).
	"day": func(d day.Day) string {
		if d.IsZero() {
			return "—"
		}
		return d.String()
	},
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// unitsText writes a decimal unit count without its trailing zeros
// ("1.000" is 1, "1.500" is 1.5); anything else is left as it is.
func unitsText(v any) string {
	var s string
	switch u := v.(type) {
	case string:
		s = u
	case *string:
		if u == nil {
			return ""
		}
		s = *u
	default:
		return ""
	}
	if i := strings.IndexByte(s, '.'); i >= 0 && strings.Trim(s[i+1:], "0123456789") == "" {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}
