package ingestsvc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/remitq/remitq/pkg/bus"
	"github.com/remitq/remitq/pkg/devenv/devtest"
	"github.com/remitq/remitq/pkg/ingestsvc"
	"github.com/remitq/remitq/pkg/practicestore"
	"github.com/remitq/remitq/pkg/remitstore"
	"github.com/remitq/remitq/pkg/svc"
	"github.com/remitq/remitq/pkg/synth"
)

func TestMain(m *testing.M) { devtest.Main(m) }

func newService(t testing.TB, opts ingestsvc.Options) (*ingestsvc.Service, *svc.Deps, *httptest.Server) {
	t.Helper()
	db := devtest.DB(t)
	nc, err := nats.Connect(devtest.NATS(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	deps, err := svc.NewDeps(t.Context(), db, nc, bus.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ingestsvc.New(deps, opts)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	deps.OpsRoutes(mux)
	s.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return s, deps, srv
}

func file835(t testing.TB, seed uint64, npi string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := synth.WriteRemits(&buf, synth.RemitOptions{Seed: seed, Claims: 20, LinesPerClaim: 2, PayeeNPI: npi}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func addPractice(t testing.TB, deps *svc.Deps, npi string) {
	t.Helper()
	if err := practicestore.Add(t.Context(), deps.DB, &practicestore.Practice{Name: "Practice " + npi, NPI: npi}); err != nil {
		t.Fatal(err)
	}
}

func decode[T any](t *testing.T, resp *http.Response) T {
	t.Helper()
	defer resp.Body.Close()
	var v T
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func post(t *testing.T, url string, body []byte, hdr map[string]string) *http.Response {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, url, bytes.NewReader(body))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestUploadRawBody(t *testing.T) {
	_, deps, srv := newService(t, ingestsvc.Options{})
	addPractice(t, deps, "1234567893")
	raw := file835(t, 1, "1234567893")

	resp := post(t, srv.URL+"/v1/remittances?filename=../../etc/passwd.835", raw, nil)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("first upload: %s", resp.Status)
	}
	res := decode[remitstore.Result](t, resp)
	if res.Status != remitstore.StatusIngested || res.ServiceLines != 40 || res.Filename != "passwd.835" || res.FileID == 0 {
		t.Fatalf("result %+v", res)
	}
	resp = post(t, srv.URL+"/v1/remittances", raw, nil)
	if resp.StatusCode != http.StatusOK || !decode[remitstore.Result](t, resp).Duplicate {
		t.Fatalf("second upload of the same bytes: %s, want 200 duplicate", resp.Status)
	}

	got, err := http.Get(fmt.Sprintf("%s/v1/remittances/%d", srv.URL, res.FileID))
	if err != nil {
		t.Fatal(err)
	}
	if g := decode[remitstore.Result](t, got); g.FileID != res.FileID || g.ServiceLines != 40 || g.Status != remitstore.StatusIngested {
		t.Fatalf("GET = %+v", g)
	}
	for _, path := range []string{"/v1/remittances/999999", "/v1/remittances/abc"} {
		r, _ := http.Get(srv.URL + path)
		if r.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %s, want 404", path, r.Status)
		}
		if e := decode[map[string]map[string]string](t, r); e["error"]["code"] != "not_found" {
			t.Errorf("GET %s: error body %v", path, e)
		}
	}
}

func TestUploadQuarantinedAndEmpty(t *testing.T) {
	_, deps, srv := newService(t, ingestsvc.Options{MaxFileBytes: 1 << 20})
	addPractice(t, deps, "1234567893")
	bad := bytes.Replace(file835(t, 2, "1234567893"), []byte("*HC:"), []byte("*HC:6449X:"), 1)
	bad = bytes.Replace(bad, []byte("BPR*I*"), []byte("BPR*I*1O"), 1)
	resp := post(t, srv.URL+"/v1/remittances", bad, nil)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad file: %s, want 422", resp.Status)
	}
	res := decode[remitstore.Result](t, resp)
	if res.Status != remitstore.StatusQuarantined || len(res.Errors) == 0 || res.Errors[0].ID != "BPR" || res.Errors[0].Segment == 0 {
		t.Fatalf("quarantined result %+v", res)
	}
	if resp := post(t, srv.URL+"/v1/remittances", nil, nil); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("empty body: %s", resp.Status)
	}
	if resp := post(t, srv.URL+"/v1/remittances", bytes.Repeat([]byte("x"), 2<<20), nil); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("too large: %s", resp.Status)
	}
}

func TestUploadMultipart(t *testing.T) {
	_, deps, srv := newService(t, ingestsvc.Options{})
	addPractice(t, deps, "1234567893")
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("note", "not a file")
	for i := range 3 {
		w, _ := mw.CreateFormFile("file", fmt.Sprintf("era%d.835", i))
		_, _ = w.Write(file835(t, uint64(10+i%2), "1234567893")) // the third repeats the first
	}
	mw.Close()
	resp := post(t, srv.URL+"/v1/remittances", body.Bytes(), map[string]string{"Content-Type": mw.FormDataContentType()})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("multipart: %s", resp.Status)
	}
	out := decode[struct{ Files []remitstore.Result }](t, resp)
	if len(out.Files) != 3 || out.Files[0].Duplicate || out.Files[1].Duplicate || !out.Files[2].Duplicate {
		t.Fatalf("files %+v", out.Files)
	}
}

func TestBearerToken(t *testing.T) {
	_, _, srv := newService(t, ingestsvc.Options{Authorize: ingestsvc.BearerToken("s3cret")})
	if resp := post(t, srv.URL+"/v1/remittances", []byte("x"), nil); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no token: %s", resp.Status)
	}
	if resp := post(t, srv.URL+"/v1/remittances", []byte("x"), map[string]string{"Authorization": "Bearer wrong"}); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong token: %s", resp.Status)
	}
	resp := post(t, srv.URL+"/v1/remittances", []byte("not x12"), map[string]string{"Authorization": "Bearer s3cret"})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("right token, bad file: %s", resp.Status)
	}
}

func TestOpsEndpoints(t *testing.T) {
	s, deps, srv := newService(t, ingestsvc.Options{})
	addPractice(t, deps, "1234567893")
	if _, err := s.Ingest(t.Context(), "a.835", file835(t, 3, "1234567893")); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"/healthz": "ok",
		"/readyz":  "ready",
		"/metrics": `remitq_ingest_files_total{status="ingested"} 1`,
	} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), want) {
			t.Errorf("GET %s: %s, body lacks %q", path, resp.Status, want)
		}
	}
	resp, _ := http.Get(srv.URL + "/metrics")
	b, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(b), "remitq_ingest_service_lines_total 40") || !strings.Contains(string(b), "remitq_ingest_publish_queue_files 1") {
		t.Errorf("metrics lack the line count or the publish lag:\n%s", b)
	}
}

// The watched folder: a file is taken once it stops changing, then moved.
func TestWatchFolder(t *testing.T) {
	s, deps, _ := newService(t, ingestsvc.Options{})
	addPractice(t, deps, "1234567893")
	dir := t.TempDir()
	w := &remitstore.Watcher{Dir: dir, Ingester: s.Ingester}
	for _, sub := range []string{remitstore.ProcessedDir, remitstore.QuarantineDir} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o750); err != nil {
			t.Fatal(err)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(dir, "good.835"), file835(t, 4, "1234567893"), 0o600))
	must(os.WriteFile(filepath.Join(dir, "bad.835"), []byte("ISA*garbage~"), 0o600))
	must(os.WriteFile(filepath.Join(dir, "upload.835.part"), []byte("half"), 0o600))
	must(w.Poll(t.Context())) // first sight: nothing taken yet
	if _, err := os.Stat(filepath.Join(dir, "good.835")); err != nil {
		t.Fatal("a file was taken at first sight, before it could be known complete")
	}
	must(w.Poll(t.Context()))
	for path, want := range map[string]bool{
		"processed/good.835": true,
		"quarantine/bad.835": true,
		"good.835":           false,
		"upload.835.part":    true, // ignored
	} {
		_, err := os.Stat(filepath.Join(dir, path))
		if (err == nil) != want {
			t.Errorf("%s exists = %v, want %v", path, err == nil, want)
		}
	}
	var n int
	if err := deps.DB.Get(&n, `SELECT count(*) FROM remittance_files`); err != nil || n != 2 {
		t.Fatalf("stored files = %d (%v), want 2", n, err)
	}
	// Run keeps polling until cancelled.
	ctx, cancel := contextWithTimeout(t, 300*time.Millisecond)
	defer cancel()
	w.Interval = 50 * time.Millisecond
	must(w.Run(ctx))
}

func contextWithTimeout(t *testing.T, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(t.Context(), d)
}

// watchedFolder is a service watching a new folder (processed/ and
// quarantine/ made, as Run makes them) and its watcher.
func watchedFolder(t *testing.T) (string, *svc.Deps, *remitstore.Watcher) {
	t.Helper()
	dir := t.TempDir()
	s, deps, _ := newService(t, ingestsvc.Options{WatchDir: dir})
	w, err := s.Watcher()
	if err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{remitstore.ProcessedDir, remitstore.QuarantineDir} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o750); err != nil {
			t.Fatal(err)
		}
	}
	return dir, deps, w
}

// The watched folder takes the clearinghouse's acknowledgments too: a
// 277CA rejecting a billed claim and a 999 are stored as acknowledgments
// (the rejection opens its work item), audited as the folder's, and moved
// to processed/; an acknowledgment the ack reader refuses goes to
// quarantine/ and is kept. Before, each was read as an 835 and
// quarantined, and no rejection was ever worked.
func TestWatchFolderAcks(t *testing.T) {
	dir, deps, w := watchedFolder(t)
	var practice, billed int64
	if err := deps.DB.QueryRow(`INSERT INTO practices (name, npi) VALUES ('Spine One', '1000000004') RETURNING id`).Scan(&practice); err != nil {
		t.Fatal(err)
	}
	if err := deps.DB.QueryRow(`INSERT INTO billed_claims (practice_id, source, patient_control_number, payer_code, rendering_npi,
		total_charge, line_count, content_sha256, service_date_from, billed_date) VALUES ($1, '837', 'PCN-W1', 'BP1', '1111111111',
		1500, 1, '\x00', '2026-10-01', '2026-10-02') RETURNING id`, practice).Scan(&billed); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(dir, "status.277"), devtest.Status277(t, 1, devtest.ClaimStatus{PCN: "PCN-W1",
		Category: "A7", Code: "562", Entity: "85"}), 0o600))
	must(os.WriteFile(filepath.Join(dir, "ack.999"), devtest.Reject999(t, 2, "PCN-OTHER"), 0o600))
	broken := bytes.Replace(devtest.Reject999(t, 3, "PCN-W1"), []byte("~SE*"), []byte("~XX*"), 1)
	must(os.WriteFile(filepath.Join(dir, "broken.999"), broken, 0o600))
	// Two public files (x12/testdata/external/SOURCES.md): their claims are
	// of no practice here, and are stored unlinked.
	for _, f := range []string{"999/imsweb-999-rejected.999", "277ca/imsweb-277CA-rejected.277"} {
		raw, err := os.ReadFile(filepath.Join("..", "..", "x12", "testdata", "external", f))
		must(err)
		must(os.WriteFile(filepath.Join(dir, filepath.Base(f)), raw, 0o600))
	}
	for range 2 {
		must(w.Poll(t.Context()))
	}
	for path, want := range map[string]bool{
		"processed/status.277":  true,
		"processed/ack.999":     true,
		"quarantine/broken.999": true,
		"status.277":            false,
	} {
		if _, err := os.Stat(filepath.Join(dir, path)); (err == nil) != want {
			t.Errorf("%s exists = %v, want %v", path, err == nil, want)
		}
	}
	count := func(q string, args ...any) int {
		t.Helper()
		var n int
		must(deps.DB.Get(&n, q, args...))
		return n
	}
	if n := count(`SELECT count(*) FROM remittance_files`); n != 0 {
		t.Errorf("%d acknowledgments stored as remittances", n)
	}
	if n := count(`SELECT count(*) FROM ack_files`); n != 5 {
		t.Errorf("%d acknowledgment files stored, want 5 (one quarantined)", n)
	}
	if n := count(`SELECT count(*) FROM ack_files WHERE status = 'quarantined'`); n != 1 {
		t.Errorf("%d quarantined acknowledgment files, want 1", n)
	}
	if n := count(`SELECT count(*) FROM work_items WHERE kind = 'rejection' AND billed_claim_id = $1`, billed); n != 1 {
		t.Errorf("%d rejection items for the rejected claim, want 1", n)
	}
	if n := count(`SELECT count(*) FROM audit_log WHERE actor = 'watch' AND action = 'ack.upload'`); n < 5 {
		t.Errorf("%d audit rows of the folder's acknowledgments, want one a file at least", n)
	}
	// The same bytes again change nothing.
	must(os.WriteFile(filepath.Join(dir, "again.277"), devtest.Status277(t, 1, devtest.ClaimStatus{PCN: "PCN-W1",
		Category: "A7", Code: "562", Entity: "85"}), 0o600))
	for range 2 {
		must(w.Poll(t.Context()))
	}
	if n := count(`SELECT count(*) FROM ack_files`); n != 5 {
		t.Errorf("%d acknowledgment files after the same bytes again, want 5", n)
	}
	if _, err := os.Stat(filepath.Join(dir, "processed", "again.277")); err != nil {
		t.Errorf("the repeated file was not moved to processed/: %v", err)
	}
}

// Acknowledgments the folder met in an attack on it: a CLM01 that is not
// UTF-8 is stored quarantined (before, PostgreSQL refused the lookup and
// the file was never stored); a 999 behind more than 4 KiB of mailbox
// banner and one with a padded ST01 are acknowledgments (before, both went
// to the 835 ingest); one over MaxAckBytes is quarantined unread (it is
// parsed whole, at about 15 times its size).
func TestWatchFolderAckEdges(t *testing.T) {
	dir, deps, w := watchedFolder(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	notUTF8 := bytes.ReplaceAll(devtest.Status277(t, 1, devtest.ClaimStatus{PCN: "PCN-ZZ", Category: "A7", Code: "562", Entity: "85"}),
		[]byte("PCN-ZZ"), []byte("PCN-\xc3\x28"))
	banner := append([]byte(strings.Repeat("$$ MAILBOX 0042 DOWNLOAD BATCH FA CLEARINGHOUSE REPORT LINE PADDING\r\n", 70)),
		devtest.Reject999(t, 2, "PCN-S1")...)
	padded := bytes.Replace(devtest.Reject999(t, 3, "PCN-S2"), []byte("ST*999*"), []byte("ST*999 *"), 1)
	w.MaxAckBytes = int64(max(len(notUTF8), len(banner), len(padded)))
	big := append(devtest.Reject999(t, 4, "PCN-S3"), bytes.Repeat([]byte("\n"), int(w.MaxAckBytes))...)
	for name, raw := range map[string][]byte{"notutf8.277": notUTF8, "banner.999": banner, "padded.999": padded, "big.999": big} {
		must(os.WriteFile(filepath.Join(dir, name), raw, 0o600))
	}
	for range 2 {
		must(w.Poll(t.Context()))
	}
	for path, want := range map[string]bool{
		"quarantine/notutf8.277": true,
		"processed/banner.999":   true,
		"processed/padded.999":   true,
		"quarantine/big.999":     true,
	} {
		if _, err := os.Stat(filepath.Join(dir, path)); (err == nil) != want {
			t.Errorf("%s exists = %v, want %v", path, err == nil, want)
		}
	}
	var rows []struct {
		Filename, Status, Kind string
	}
	must(deps.DB.Select(&rows, `SELECT filename, status, kind FROM ack_files ORDER BY filename`))
	if fmt.Sprint(rows) != "[{banner.999 ingested 999} {notutf8.277 quarantined 277CA} {padded.999 ingested 999}]" {
		t.Errorf("acknowledgments stored: %v", rows)
	}
	var remits int
	must(deps.DB.Get(&remits, `SELECT count(*) FROM remittance_files`))
	if remits != 0 {
		t.Errorf("%d acknowledgments stored as remittances", remits)
	}
	reason, err := os.ReadFile(filepath.Join(dir, remitstore.QuarantineDir, "big.999"+remitstore.ReasonSuffix))
	if err != nil || !strings.Contains(string(reason), "limit") {
		t.Errorf("big.999's reason: %s (%v)", reason, err)
	}
}
