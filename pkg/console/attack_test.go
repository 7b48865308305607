package console_test

import (
	"io"
	"net/url"
	"strings"
	"testing"

	"github.com/remitq/remitq/pkg/auth"
)

// TestAttackBadInputNo5xx sends bad input to every console page that takes
// some (query filters, path ids, form fields): each must be answered as the
// user's mistake (4xx or a page with the problem), never a 500.
func TestAttackBadInputNo5xx(t *testing.T) {
	s := newSmall(t)
	sup := s.client(auth.Supervisor)
	for _, path := range []string{
		"/console/reports/denial_rate/chart.svg?from=not-a-date",
		"/console/reports/denial_rate/chart.svg?group_by=nonsense",
		"/console/reports/denial_rate/download?to=2026-13-45",
		"/console/reports/denial_rate/download?bucket=century",
		"/console/reports?kpi=denial_rate&from=bad",
		"/console/remittances?status=bogus",
		"/console/queues?practice_id=abc",
		"/console/queues?min_amount=x&deadline_before=y",
		"/console/work?practice_id=abc&deadline_before=x",
		"/console/items/0x10",
		"/console/items/-1",
		"/console/items/99999999999999999999",
	} {
		res, body := s.get(sup, path)
		if res.StatusCode >= 500 {
			t.Errorf("GET %s: %d %.200s", path, res.StatusCode, body)
		}
	}
	// Forms with a good CSRF token and a bad path id.
	_, page := s.get(sup, "/console/work")
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no CSRF token on /console/work")
	}
	for _, path := range []string{"/console/items/%00/note", "/console/items/%00/act", "/console/items/1%3F/note",
		"/console/items/1%2Fassignee/act"} {
		form := url.Values{"csrf": {m[1]}, "body": {"x"}, "version": {"1"}, "action": {"start"}}
		res, err := sup.PostForm(s.url+path, form)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode >= 500 {
			t.Errorf("POST %s: %d %.200s", path, res.StatusCode, strings.TrimSpace(string(b)))
		}
	}
}
