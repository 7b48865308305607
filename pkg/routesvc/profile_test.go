package routesvc_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/jmoiron/sqlx"
	"google.golang.org/protobuf/proto"

	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/route"
	"github.com/remitq/remitq/pkg/routesvc"
	"github.com/remitq/remitq/pkg/rules"
	"github.com/remitq/remitq/pkg/rulesstore"
	"github.com/remitq/remitq/pkg/workstore"
)

// countingSharpener counts the calls per billed line and never answers.
type countingSharpener struct {
	mu sync.Mutex
	n  map[int64]int
}

func (c *countingSharpener) Sharpen(l route.Line, _ route.Decision) (route.Sharpening, bool) {
	c.mu.Lock()
	c.n[l.Match.BilledLineID]++
	c.mu.Unlock()
	return route.Sharpening{}, false
}

// loadsCounted is a History that remembers the lines it was asked for.
type loadsCounted struct {
	workstore.History
	mu  sync.Mutex
	ids map[int64]bool
}

func (h *loadsCounted) Load(ctx context.Context, q sqlx.QueryerContext, ids []int64) (route.BilledLookup, rules.History, error) {
	h.mu.Lock()
	for _, id := range ids {
		h.ids[id] = true
	}
	h.mu.Unlock()
	return h.History.Load(ctx, q, ids)
}

// TestDecideOnce (issue 15): a denied line whose codes the pain rules may
// explain is decided once, with its history read before: the configured
// Sharpener sees each line at most once (before, such a line was decided,
// then decided again with the history, and asked twice).
func TestDecideOnce(t *testing.T) {
	e := newEnv(t)
	ts := loadTruth(t, e, 2, 400)
	cs := &countingSharpener{n: map[int64]int{}}
	s := newRouter(t, e.deps, routesvc.Options{Now: fixedNow, Route: route.Config{Sharpener: cs}})
	h := &loadsCounted{ids: map[int64]bool{}}
	s.SetHistory(h)
	bodies := make([][]byte, len(ts.msgs))
	for i, m := range ts.msgs {
		b, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		bodies[i] = b
	}
	for _, err := range s.Handle(context.Background(), bodies) {
		if err != nil {
			t.Fatal(err)
		}
	}
	asked := 0
	for id := range h.ids {
		switch n := cs.n[id]; {
		case n > 1:
			t.Errorf("billed line %d: the line was decided %d times", id, n)
		case n == 1:
			asked++
		}
	}
	if len(h.ids) == 0 || asked == 0 {
		t.Fatalf("%d lines read history, %d of them reached the configured sharpener: the test proves nothing", len(h.ids), asked)
	}
	for id, n := range cs.n {
		if id != 0 && n > 1 { // 0: lines without a billed line, many of them
			t.Errorf("billed line %d decided %d times", id, n)
		}
	}
}

// TestProfileRouting (issue 16): a payer mapped to the Medicare profile
// gets its deadlines, route and queue from it: a redetermination within 120
// days of the remit, a reopening within a year, a new claim within timely
// filing; the other payers keep the 90-day default in the default queue.
func TestProfileRouting(t *testing.T) {
	e := newEnv(t)
	ts := loadTruth(t, e, 1, 600)
	payer := ts.tr.Payers[0].ID
	if err := rulesstore.MapPayer(context.Background(), e.db, payer, "medicare_part_b", "test"); err != nil {
		t.Fatal(err)
	}
	s := newRouter(t, e.deps, routesvc.Options{Now: fixedNow, MaxBatch: 250})
	run(t, s)
	publish(t, e.deps, ts.msgs, "")
	drain(t, e.deps.JS)
	var texts []struct {
		Key  string `db:"dedupe_key"`
		Text string `db:"text"`
	}
	if err := e.db.Select(&texts, `SELECT dedupe_key, text FROM work_items`); err != nil {
		t.Fatal(err)
	}
	text := map[string]string{}
	for _, x := range texts {
		text[x.Key] = x.Text
	}
	routes := map[string]int{}
	for k, it := range items(t, e) {
		rd, _ := day.Parse(it.Remit)
		if it.Payer != payer {
			if it.Queue == "appeal" || it.Queue == "reopening" || strings.Contains(text[k], "[profile ") {
				t.Errorf("item %s of unmapped payer %s: queue %q, text %q", k, it.Payer, it.Queue, text[k])
			}
			continue
		}
		if it.Kind == "unmatched_remittance" {
			continue
		}
		routes[it.Queue]++
		switch it.Queue {
		case "appeal", "dispute":
			if rd.AddDays(120).String() != it.Deadline {
				t.Errorf("item %s (%s): remit %s, deadline %s, want 120 days", k, it.Queue, it.Remit, it.Deadline)
			}
		case "reopening":
			if rd.AddDays(365).String() != it.Deadline {
				t.Errorf("item %s: remit %s, reopening deadline %s, want 365 days", k, it.Remit, it.Deadline)
			}
		}
		if !strings.Contains(text[k], "[profile medicare_part_b") {
			t.Errorf("item %s: text %q does not name the profile", k, text[k])
		}
	}
	if routes["appeal"] == 0 || routes["reopening"]+routes["new_claim"] == 0 {
		t.Errorf("routes of the Medicare payer's items: %v", routes)
	}
}
