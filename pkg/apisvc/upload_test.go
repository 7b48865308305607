package apisvc

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"
)

// TestUploaderSeesOwnFile: a biller's file for a payee that is no
// registered practice is kept (unknown_payee), and a damaged one is
// quarantined; the uploader sees each (list, detail, the ingest's status)
// with its status and quarantine reason; another biller of the same
// practice, a biller of another practice and a supervisor do not; admins
// see all. Once an admin registers the payee's practice the biller's file
// is held (files_held), and once the admin releases it, it is ingested
// into the practice and leaves the uploader's view.
func TestUploaderSeesOwnFile(t *testing.T) {
	p := newProc(t)
	const unknownNPI = "1245319599"
	up := func(user string, body []byte) int64 {
		t.Helper()
		r := p.send(user, "POST", "/v1/remittances?filename=mine.835", body)
		if r.code != http.StatusCreated && r.code != http.StatusUnprocessableEntity {
			t.Fatalf("upload as %s: %d %s", user, r.code, r.body)
		}
		var out struct {
			Files []struct {
				FileID int64  `json:"file_id"`
				Status string `json:"status"`
			} `json:"files"`
			FileID int64  `json:"file_id"`
			Status string `json:"status"`
		}
		r.decode(t, &out)
		if len(out.Files) == 1 {
			return out.Files[0].FileID
		}
		if out.FileID == 0 {
			t.Fatalf("upload answer %s", r.body)
		}
		return out.FileID
	}
	unknown := up("bill1", remit835(t, 7, unknownNPI))
	damaged := bytes.Replace(remit835(t, 8, npiP1), []byte("CLP*"), []byte("CLP*X*ZZ*"), 1)
	quarantined := up("bill1", damaged)
	for _, tc := range []struct {
		id     int64
		status string
	}{{unknown, "unknown_payee"}, {quarantined, "quarantined"}} {
		path := fmt.Sprintf("/v1/files/%d", tc.id)
		r := p.send("bill1", "GET", path, nil)
		var f struct {
			Status     string `json:"status"`
			ErrorCount int    `json:"error_count"`
			Errors     []struct {
				Message string `json:"message"`
			} `json:"errors"`
		}
		if r.code != http.StatusOK {
			t.Fatalf("uploader GET %s: %d %s", path, r.code, r.body)
		}
		r.decode(t, &f)
		if f.Status != tc.status || (tc.status == "quarantined" && (f.ErrorCount == 0 || len(f.Errors) != f.ErrorCount || f.Errors[0].Message == "")) {
			t.Errorf("uploader sees %s", r.body)
		}
		for _, u := range []string{"bill1b", "bill2", "sup1", "billa"} {
			if r := p.send(u, "GET", path, nil); r.code != http.StatusNotFound {
				t.Errorf("%s GET %s: %d %s", u, path, r.code, r.body)
			}
			if r := p.send(u, "GET", fmt.Sprintf("/v1/remittances/%d", tc.id), nil); r.code != http.StatusNotFound {
				t.Errorf("%s GET /v1/remittances/%d: %d", u, tc.id, r.code)
			}
		}
		if r := p.send("admin", "GET", path, nil); r.code != http.StatusOK {
			t.Errorf("admin GET %s: %d", path, r.code)
		}
	}
	listed := func(user, query string) map[int64]bool {
		var page Page[File]
		p.send(user, "GET", "/v1/files"+query, nil).decode(t, &page)
		out := map[int64]bool{}
		for _, f := range page.Items {
			out[f.ID] = true
		}
		return out
	}
	if l := listed("bill1", ""); !l[unknown] || !l[quarantined] {
		t.Errorf("the uploader's list misses its files: %v", l)
	}
	if l := listed("bill1", "?status=unknown_payee"); !l[unknown] || l[quarantined] {
		t.Errorf("the uploader's unknown_payee list: %v", l)
	}
	if l := listed("bill1b", ""); l[unknown] || l[quarantined] {
		t.Errorf("another biller lists the uploader's files: %v", l)
	}
	if l := listed("admin", ""); !l[unknown] || !l[quarantined] {
		t.Errorf("admin list: %v", l)
	}
	// The admin registers the payee: the biller's file is held, then
	// released into the new practice, which the uploader does not see.
	r := p.send("admin", "POST", "/v1/practices", []byte(`{"name": "Late Client", "npi": "`+unknownNPI+`"}`))
	if r.code != http.StatusCreated || !bytes.Contains(r.body, []byte(fmt.Sprintf(`"files_held":[%d]`, unknown))) {
		t.Fatalf("register the payee: %d %s", r.code, r.body)
	}
	if r := p.send("admin", "POST", fmt.Sprintf("/v1/files/%d/release", unknown), nil); r.code != http.StatusOK {
		t.Fatalf("release: %d %s", r.code, r.body)
	}
	if r := p.send("bill1", "GET", fmt.Sprintf("/v1/files/%d", unknown), nil); r.code != http.StatusNotFound {
		t.Errorf("the ingested file of another practice: %d", r.code)
	}
	if r := p.send("bill1", "GET", fmt.Sprintf("/v1/files/%d", quarantined), nil); r.code != http.StatusOK {
		t.Errorf("the quarantined file after the registration: %d", r.code)
	}
}
