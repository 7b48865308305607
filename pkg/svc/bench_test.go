package svc_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/remitq/remitq/pkg/devenv/devtest"
	"github.com/remitq/remitq/pkg/httpx"
	"github.com/remitq/remitq/pkg/svc"
)

func TestMain(m *testing.M) { devtest.Main(m) }

// listComp serves GET /v1/items: 50 rows of a 200,000-row table, newest
// first, from PostgreSQL — a list endpoint as the API's are.
type listComp struct{ db *sqlx.DB }

func (listComp) Name() string                  { return "items" }
func (listComp) Run(ctx context.Context) error { <-ctx.Done(); return nil }
func (c listComp) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/items", func(w http.ResponseWriter, r *http.Request) {
		p, _ := strconv.Atoi(r.URL.Query().Get("practice"))
		var rows []struct {
			ID   int64  `db:"id" json:"id"`
			Note string `db:"note" json:"note"`
		}
		if err := c.db.SelectContext(r.Context(), &rows, `SELECT id, note FROM bench_items WHERE practice = $1 ORDER BY id DESC LIMIT 50`, p); err != nil {
			httpx.Error(w, http.StatusServiceUnavailable, "db", "list failed")
			return
		}
		httpx.JSON(w, http.StatusOK, rows)
	})
}

// BenchmarkListUnderLoad: 200 concurrent clients (each its own token) call a
// list endpoint back to back for BENCH_LOAD_SECONDS (default 5) through what
// svc.Run serves, with a 2 s client timeout, without the limits and with
// them (httpx.Protect defaults: 64 at once, 100 ms queue wait, 100/s per
// caller). Reported: p50/p99 of the answered requests, and counts of
// answers, sheds (503), rate limits (429) and client errors (timeouts).
func BenchmarkListUnderLoad(b *testing.B) {
	db := devtest.DB(b)
	if _, err := db.Exec(`CREATE TABLE bench_items AS SELECT g AS id, g % 20 AS practice, md5(g::text) AS note
		FROM generate_series(1, 200000) g; CREATE INDEX ON bench_items (practice, id DESC); ANALYZE bench_items`); err != nil {
		b.Fatal(err)
	}
	secs := 5
	if s, err := strconv.Atoi(os.Getenv("BENCH_LOAD_SECONDS")); err == nil && s > 0 {
		secs = s
	}
	for _, tc := range []struct {
		name string
		lim  httpx.Limits
	}{
		{"unlimited", httpx.Limits{RatePerCaller: -1, MaxConcurrent: -1}},
		{"shedding", httpx.Limits{}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			d := &svc.Deps{Metrics: prometheus.NewRegistry(), HTTPLimits: tc.lim}
			srv := httptest.NewServer(d.ServedHandler(listComp{db: db}))
			defer srv.Close()
			client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
			for b.Loop() {
				var mu sync.Mutex
				var lat []time.Duration
				codes := map[int]int{}
				errs := 0
				stop := time.Now().Add(time.Duration(secs) * time.Second)
				var wg sync.WaitGroup
				for c := range 200 {
					wg.Go(func() {
						for i := 0; time.Now().Before(stop); i++ {
							req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/v1/items?practice=%d", srv.URL, (c+i)%20), nil)
							req.Header.Set("Authorization", fmt.Sprintf("Bearer client-%d", c))
							start := time.Now()
							resp, err := client.Do(req)
							el := time.Since(start)
							mu.Lock()
							if err != nil {
								errs++
							} else {
								codes[resp.StatusCode]++
								if resp.StatusCode == http.StatusOK {
									lat = append(lat, el)
								}
							}
							mu.Unlock()
							if err == nil {
								_, _ = drain(resp)
								if resp.StatusCode != http.StatusOK {
									time.Sleep(50 * time.Millisecond) // a client honouring the refusal a little
								}
							}
						}
					})
				}
				wg.Wait()
				slices.Sort(lat)
				pct := func(p float64) float64 {
					if len(lat) == 0 {
						return 0
					}
					return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000
				}
				b.ReportMetric(pct(0.50), "p50_ms")
				b.ReportMetric(pct(0.99), "p99_ms")
				b.ReportMetric(float64(codes[http.StatusOK])/float64(secs), "ok/s")
				b.ReportMetric(float64(codes[http.StatusServiceUnavailable]), "shed_503")
				b.ReportMetric(float64(codes[http.StatusTooManyRequests]), "limited_429")
				b.ReportMetric(float64(errs), "client_errors")
			}
		})
	}
}

func drain(resp *http.Response) (int64, error) {
	defer resp.Body.Close()
	return io.Copy(io.Discard, resp.Body)
}
