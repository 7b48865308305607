package process_test

import (
	"slices"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/remitq/remitq/pkg/auth"
	"github.com/remitq/remitq/pkg/process"
	"github.com/remitq/remitq/pkg/svc"
)

// gate is the name of the API's authentication run in a process without
// the API (the all-in-one has the API itself in front of every route).
const gate = "auth"

func names(t *testing.T, build func(*svc.Deps, process.Config) ([]svc.Component, error)) []string {
	t.Helper()
	// Building touches neither server; each process has its own metrics.
	d := &svc.Deps{Log: zap.NewNop(), Metrics: prometheus.NewRegistry()}
	comps, err := build(d, process.Config{Auth: auth.Config{HS256Key: "process-test-key-of-32-bytes-or-more"}})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range comps {
		out = append(out, c.Name())
	}
	return out
}

// TestSplitRunsWhatAllInOneRuns: the four standalone processes together
// run every component of the all-in-one exactly once (the KPI refresher
// among them), and each standalone process authenticates its routes.
func TestSplitRunsWhatAllInOneRuns(t *testing.T) {
	all := names(t, process.AllInOne)
	var split []string
	for _, p := range []struct {
		name  string
		build func(*svc.Deps, process.Config) ([]svc.Component, error)
	}{
		{"api", process.API}, {"ingest", process.Ingest}, {"matcher", process.Matcher}, {"router", process.Router},
	} {
		got := names(t, p.build)
		t.Logf("%s: %v", p.name, got)
		auths := 0
		for _, n := range got {
			if n == gate || n == "api" {
				auths++
			}
			if n != gate {
				split = append(split, n)
			}
		}
		if auths != 1 {
			t.Errorf("process %s runs %v: want exactly one of the API or its gate in front of its routes", p.name, got)
		}
	}
	if slices.Contains(all, gate) {
		t.Errorf("the all-in-one runs a gate beside the API: %v", all)
	}
	slices.Sort(all)
	slices.Sort(split)
	if !slices.Equal(all, split) {
		t.Fatalf("the standalone processes run %v, the all-in-one %v", split, all)
	}
	if !slices.Contains(all, "kpi") {
		t.Fatalf("no process refreshes the KPIs: %v", all)
	}
}
