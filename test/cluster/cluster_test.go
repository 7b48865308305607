// Package cluster is the fault test of a remitq deployment on one machine:
// a three-node NATS JetStream cluster (streams with three replicas) and two
// processes each of ingest, matcher and router and one api, as separate
// operating-system processes on loopback ports, against a private
// PostgreSQL. A generated truth set's 835 files are posted while one NATS
// server and one matcher are killed with SIGKILL and later restarted; every
// line must end in PostgreSQL exactly once, the work items must be exactly
// those an undisturbed in-process pipeline makes from the same files, and
// the KPI summaries (kept by the api process) must move to exactly the
// undisturbed run's. Run by
// `make test-cluster` (and by `make test`).
package cluster

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/remitq/remitq/pkg/auth"
	"github.com/remitq/remitq/pkg/bus"
	"github.com/remitq/remitq/pkg/devenv/devtest"
	"github.com/remitq/remitq/pkg/e2e"
	"github.com/remitq/remitq/pkg/ingestsvc"
	"github.com/remitq/remitq/pkg/kpistore"
	"github.com/remitq/remitq/pkg/matchsvc"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/remitstore"
	"github.com/remitq/remitq/pkg/routesvc"
	"github.com/remitq/remitq/pkg/store"
	"github.com/remitq/remitq/pkg/svc"
	"github.com/remitq/remitq/pkg/synth"
)

func TestMain(m *testing.M) { devtest.Main(m) }

// proc is one child process that can be killed and started again.
type proc struct {
	name string
	args []string
	env  []string
	cmd  *exec.Cmd
	log  *syncBuffer
	base []string      // env without HTTP_ADDR (see listen)
	done chan struct{} // closed when the running command has exited
	mu   sync.Mutex
}

// syncBuffer is a process's output, written by its command's copying
// goroutines and read by the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func (p *proc) start(t *testing.T) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	cmd := exec.Command(p.args[0], p.args[1:]...)
	cmd.Env = append(os.Environ(), p.env...)
	if p.log == nil {
		p.log = &syncBuffer{}
	}
	cmd.Stdout, cmd.Stderr = p.log, p.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", p.name, err)
	}
	p.cmd = cmd
	done := make(chan struct{})
	p.done = done
	go func() { _ = cmd.Wait(); close(done) }()
}

// listen starts p on a free port (HTTP_ADDR) and returns its base URL.
func (p *proc) listen(t *testing.T) string {
	t.Helper()
	if p.base == nil {
		p.base = p.env
	}
	port := freePort(t)
	p.env = append(append([]string{}, p.base...), fmt.Sprintf("HTTP_ADDR=127.0.0.1:%d", port))
	p.start(t)
	return fmt.Sprintf("http://127.0.0.1:%d", port)
}

// ready waits for p, started by listen at u, to answer /readyz and returns
// its URL. A port picked free can be taken by another test's process
// before p binds it: then p exits saying so and is started again on
// another port (its new URL returned).
func (p *proc) ready(t *testing.T, u string) string {
	t.Helper()
	for attempt := 1; waitHTTP(t, p, u+"/readyz"); attempt++ {
		if !strings.Contains(p.log.String(), "address already in use") || attempt == 3 {
			t.Fatalf("%s exited before it was ready:\n%s", p.name, tail(p.log.String(), 2000))
		}
		t.Logf("%s: its port was taken before it bound it; again on another", p.name)
		u = p.listen(t)
	}
	return u
}

func (p *proc) kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil && p.cmd.Process != nil {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		time.Sleep(100 * time.Millisecond)
	}
}

func (p *proc) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil && p.cmd.Process != nil {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// buildBinaries builds remitq's services into dir.
func buildBinaries(t *testing.T, dir string) {
	t.Helper()
	cmd := exec.Command("go", "build", "-o", dir+"/", "./services/...")
	cmd.Dir = filepath.Join("..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
}

// expected runs the undisturbed in-process pipeline on the truth set and
// returns its work items and KPI totals: what the cluster must end with.
func expected(t *testing.T, truth *synth.Truth) (map[string]item, map[string]int64) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, devtest.DatabaseURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	nc, err := nats.Connect(devtest.NATS(t))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	deps, err := svc.NewDeps(ctx, db, nc, bus.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	in, err := ingestsvc.New(deps, ingestsvc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	l := &e2e.Loader{DB: db, NC: nc, Ingest: in.Ingest}
	load(t, l, truth)
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	router, err := routesvc.New(deps, routesvc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := matchsvc.New(deps, matchsvc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []svc.Component{in, m, router} {
		wg.Add(1)
		go func() { defer wg.Done(); _ = c.Run(runCtx) }()
	}
	defer func() { cancel(); wg.Wait() }()
	if _, err := l.Remits(ctx, truth); err != nil {
		t.Fatal(err)
	}
	if err := e2e.WaitIdle(ctx, db, deps.JS, 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := kpistore.Refresh(ctx, db); err != nil {
		t.Fatal(err)
	}
	return items(t, db), kpiTotals(t, db)
}

// kpiTotals sums every measure of the KPI daily summary by basis
// ("remit/1" is the first measure of the remit basis).
func kpiTotals(t *testing.T, db *sqlx.DB) map[string]int64 {
	t.Helper()
	var rows []struct {
		Basis string `db:"basis"`
		I     int    `db:"i"`
		Sum   int64  `db:"sum"`
	}
	if err := db.Select(&rows, `SELECT basis, i, sum(m[i])::bigint AS sum FROM kpi_daily, generate_subscripts(m, 1) AS i GROUP BY basis, i`); err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, r := range rows {
		if r.Sum != 0 {
			out[fmt.Sprintf("%s/%d", r.Basis, r.I)] = r.Sum
		}
	}
	return out
}

func load(t *testing.T, l *e2e.Loader, truth *synth.Truth) {
	t.Helper()
	ctx := context.Background()
	if _, err := l.Practices(ctx, truth); err != nil {
		t.Fatal(err)
	}
	if _, err := l.BilledClaims(ctx, truth, false); err != nil {
		t.Fatal(err)
	}
	if err := l.Fees(ctx, truth); err != nil {
		t.Fatal(err)
	}
}

type item struct {
	Key      string       `db:"dedupe_key"`
	Kind     string       `db:"kind"`
	Category string       `db:"category"`
	Status   string       `db:"status"`
	Risk     money.Amount `db:"amount_at_risk"`
	Paid     money.Amount `db:"paid_amount"`
}

func items(t *testing.T, db *sqlx.DB) map[string]item {
	t.Helper()
	var rows []item
	if err := db.Select(&rows, `SELECT dedupe_key, kind, category, status, amount_at_risk, paid_amount FROM work_items`); err != nil {
		t.Fatal(err)
	}
	out := map[string]item{}
	for _, r := range rows {
		out[r.Key] = r
	}
	return out
}

func TestClusterSurvivesKills(t *testing.T) {
	ctx := context.Background()
	truth, err := synth.GenerateTruth(synth.TruthOptions{Seed: 9, Lines: 18000, Practices: 3})
	if err != nil {
		t.Fatal(err)
	}
	paidLines := len(truth.Lines)
	if paidLines < 20000 {
		t.Fatalf("the truth set has %d paid lines; the test wants at least 20,000", paidLines)
	}
	want, wantKPI := expected(t, truth)

	bin := t.TempDir()
	buildBinaries(t, bin)
	dbURL := devtest.DatabaseURL(t)
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	// Three NATS servers in one cluster.
	dir := t.TempDir()
	var clientPorts, routePorts [3]int
	for i := range 3 {
		clientPorts[i], routePorts[i] = freePort(t), freePort(t)
	}
	var routes []string
	for _, p := range routePorts {
		routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", p))
	}
	var natsProcs []*proc
	var urls []string
	for i := range 3 {
		conf := filepath.Join(dir, fmt.Sprintf("n%d.conf", i+1))
		body := fmt.Sprintf("server_name: n%d\nlisten: 127.0.0.1:%d\njetstream { store_dir: %q }\ncluster {\n  name: remitq\n  listen: 127.0.0.1:%d\n  routes: [%s]\n}\n",
			i+1, clientPorts[i], filepath.Join(dir, fmt.Sprintf("n%d", i+1)), routePorts[i], strings.Join(routes, ", "))
		if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		p := &proc{name: fmt.Sprintf("nats-%d", i+1), args: []string{filepath.Join(bin, "remitq"), "natsd", "-c", conf}}
		p.start(t)
		t.Cleanup(p.kill)
		natsProcs = append(natsProcs, p)
		urls = append(urls, fmt.Sprintf("nats://127.0.0.1:%d", clientPorts[i]))
	}
	natsURL := strings.Join(urls, ",")
	nc, err := nats.Connect(natsURL, nats.MaxReconnects(-1), nats.ReconnectWait(200*time.Millisecond), nats.RetryOnFailedConnect(true))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	// The cluster is ready once it can create the streams with 3 replicas.
	deadline := time.Now().Add(60 * time.Second)
	for {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := bus.Setup(sctx, js, bus.Config{Replicas: 3})
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the NATS cluster did not form: %v", err)
		}
		time.Sleep(500 * time.Millisecond)
	}

	// Data the services need: practices, billed claims, fees, an admin.
	load(t, &e2e.Loader{DB: db, NC: nc}, truth)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	keyB64 := base64.StdEncoding.EncodeToString(key)
	admin := &auth.User{Email: "ops@cluster.test", Role: auth.Admin}
	if err := auth.AddUser(ctx, db, admin); err != nil {
		t.Fatal(err)
	}
	// REMITQ_JWT_KEY is used as written (its text is the HMAC key).
	token, err := auth.IssueHS256([]byte(keyB64), admin.Email, "", time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}

	// Two of each worker.
	env := []string{"DATABASE_URL=" + dbURL, "NATS_URL=" + natsURL, "NATS_REPLICAS=3", "REMITQ_JWT_KEY=" + keyB64, "LOG_LEVEL=warn"}
	workers := map[string]*proc{}
	var ingestURLs []string
	var started []*proc
	served := map[*proc]string{}
	for _, name := range []string{"ingest", "matcher", "router"} {
		for i := 1; i <= 2; i++ {
			p := &proc{name: fmt.Sprintf("%s-%d", name, i), args: []string{filepath.Join(bin, name)}, env: env}
			t.Cleanup(p.stop)
			served[p] = p.listen(t)
			workers[p.name] = p
			started = append(started, p)
		}
	}
	// One api: it serves the reports and keeps the KPI summaries.
	apiProc := &proc{name: "api-1", args: []string{filepath.Join(bin, "api")}, env: env}
	t.Cleanup(apiProc.stop)
	served[apiProc] = apiProc.listen(t)
	workers[apiProc.name] = apiProc
	started = append(started, apiProc)
	for _, p := range started {
		u := p.ready(t, served[p])
		if strings.HasPrefix(p.name, "ingest-") {
			ingestURLs = append(ingestURLs, u)
		}
	}
	// The KPIs before any 835, once the api has folded the billed claims.
	before := settledKPIs(t, db, time.Minute)
	if maps.Equal(before, wantKPI) {
		t.Fatalf("the KPIs before any 835 already equal the undisturbed run's: %v", before)
	}

	// Post the 835 files, round robin; kill nats-2 and matcher-1 after the
	// third file, restart them after the sixth.
	sent := 0
	for i, f := range truth.Files {
		var b bytes.Buffer
		if err := f.Write(&b); err != nil {
			t.Fatal(err)
		}
		res := post(t, ingestURLs, i, token, f.Name, b.Bytes())
		sent += res.ServiceLines
		switch i {
		case 2:
			natsProcs[1].kill()
			workers["matcher-1"].kill()
			t.Logf("killed nats-2 and matcher-1 (SIGKILL) after %s", f.Name)
		case 5:
			natsProcs[1].start(t)
			workers["matcher-1"].start(t)
			t.Logf("restarted nats-2 and matcher-1 after %s", f.Name)
		}
	}
	if len(truth.Files) <= 5 {
		t.Fatalf("only %d files: the kills did not happen mid-stream", len(truth.Files))
	}
	if err := e2e.WaitIdle(ctx, db, js, 10*time.Minute); err != nil {
		for _, p := range workers {
			t.Logf("%s log:\n%s", p.name, tail(p.log.String(), 2000))
		}
		t.Fatal(err)
	}

	var stored, distinct, matched, claims int
	if err := db.QueryRow(`SELECT count(*), count(DISTINCT (file_id, segment_index)) FROM service_line_payments`).Scan(&stored, &distinct); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM line_matches`).Scan(&matched); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM claim_payments`).Scan(&claims); err != nil {
		t.Fatal(err)
	}
	lost := sent - distinct
	t.Logf("lines sent %d, stored %d, duplicated %d, lost %d; paid lines matched %d of %d", sent, stored, stored-distinct, lost, matched, paidLines)
	fmt.Printf("cluster: lines sent %d, stored %d, duplicated %d, lost %d\n", sent, stored, stored-distinct, lost)
	if stored != distinct || lost != 0 || matched != paidLines {
		t.Fatalf("stored %d (distinct %d) of %d lines sent; %d line matches for %d paid lines", stored, distinct, sent, matched, paidLines)
	}
	s, err := js.Stream(ctx, bus.StreamRemit)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// One message per claim and one per PLB pair, each exactly once in the
	// replicated stream; no line messages, since no consumer takes them
	// (remitstore.LinesWanted).
	var plbs int
	if err := db.QueryRow(`SELECT count(*) FROM provider_adjustments`).Scan(&plbs); err != nil {
		t.Fatal(err)
	}
	if wantMsgs := uint64(claims + plbs); info.State.Msgs != wantMsgs {
		t.Fatalf("REMIT holds %d messages, want %d (each claim and PLB pair once)", info.State.Msgs, wantMsgs)
	}
	got := items(t, db)
	diff := 0
	for k, w := range want {
		if g, ok := got[k]; !ok || g != w {
			if diff < 10 {
				t.Errorf("work item %s: cluster %+v, undisturbed %+v", k, got[k], w)
			}
			diff++
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			diff++
			if diff < 10 {
				t.Errorf("work item %s only in the cluster", k)
			}
		}
	}
	if diff > 0 {
		t.Fatalf("%d of %d work items differ from the undisturbed run", diff, len(want))
	}
	t.Logf("%d work items, each once, the same as the undisturbed run", len(got))

	// The api process's refresher folds the cluster's rows into the KPI
	// summaries: they move, and end where the undisturbed run's do.
	gotKPI := settledKPIs(t, db, 2*time.Minute)
	if !maps.Equal(gotKPI, wantKPI) {
		t.Logf("api log:\n%s", tail(apiProc.log.String(), 2000))
		t.Fatalf("KPI totals: cluster %v, undisturbed %v (before the 835s: %v)", gotKPI, wantKPI, before)
	}
	t.Logf("KPIs moved: %d non-zero totals (%d before the 835s), the same as the undisturbed run", len(gotKPI), len(before))
}

// settledKPIs waits until the refresher has taken every dirty mark and
// returns the KPI totals.
func settledKPIs(t *testing.T, db *sqlx.DB, timeout time.Duration) map[string]int64 {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var dirty bool
		if err := db.Get(&dirty, `SELECT EXISTS (SELECT 1 FROM kpi_dirty)`); err != nil {
			t.Fatal(err)
		}
		if !dirty {
			// A refresh commits its dirty marks' deletion with its sums.
			return kpiTotals(t, db)
		}
		if time.Now().After(deadline) {
			t.Fatalf("KPI dirty marks still there after %v: no process refreshes the KPIs", timeout)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// post sends one file to an ingest worker, trying the others while one is
// down or NATS is electing leaders; ingest answers once the file is stored.
func post(t *testing.T, urls []string, i int, token, name string, raw []byte) *remitstore.Result {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for attempt := 0; ; attempt++ {
		u := urls[(i+attempt)%len(urls)] + "/v1/remittances?filename=" + name
		req, _ := http.NewRequest(http.MethodPost, u, bytes.NewReader(raw))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			var res remitstore.Result
			derr := json.NewDecoder(resp.Body).Decode(&res)
			resp.Body.Close()
			if (resp.StatusCode == http.StatusCreated || resp.StatusCode == http.StatusOK) && derr == nil {
				return &res
			}
			err = fmt.Errorf("%s: %v", resp.Status, derr)
		}
		if time.Now().After(deadline) {
			t.Fatalf("post %s: %v", name, err)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// waitHTTP waits until u answers 200 and returns false, or returns true
// as soon as p has exited; after 60 s it fails with p's output.
func waitHTTP(t *testing.T, p *proc, u string) (exited bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(u)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return false
			}
		}
		select {
		case <-p.done:
			return true
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready: %v; %s says:\n%s", u, err, p.name, tail(p.log.String(), 2000))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	sc := bufio.NewScanner(strings.NewReader(s[len(s)-n:]))
	var b strings.Builder
	for sc.Scan() {
		b.WriteString(sc.Text())
		b.WriteByte('\n')
	}
	return b.String()
}
