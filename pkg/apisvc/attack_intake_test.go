package apisvc

// Holes the attack session found in intake (pkg/httpx uploads, pkg/remitstore),
// each a test that failed before its fix. The per-caller rate limit it
// also asked for sits in front of every process (svc.Run, httpx.Protect:
// TestServedHandlerIsLimited), not in the API handler these tests call.

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"testing"

	"github.com/remitq/remitq/pkg/synth"
)

// TestAttackIntakeUploadNameNotUTF8: an upload whose file name is not UTF-8
// (a multipart part's filename; the Content-Disposition header of a raw
// upload is refused by the API's guard since TestAttackUploadNamesNo5xx)
// answers 503 "the file could not be stored; send it again":
// nothing stored or quarantined, and a client (or the console) retries
// forever. Issue 13 item 4. Expected: stored with a cleaned name, or 400.
func TestAttackIntakeUploadNameNotUTF8(t *testing.T) {
	p := newProc(t)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", "form-data; name=\"file\"; filename=\"\xff\xfe.835\"")
	pw, _ := mw.CreatePart(h)
	_, _ = pw.Write(remit835(t, 700, npiP1))
	_ = mw.Close()
	if r := p.send("bill1", "POST", "/v1/remittances", buf.Bytes(), "Content-Type", mw.FormDataContentType()); r.code >= 500 {
		t.Errorf("multipart upload with a non-UTF-8 name: %d %.200s", r.code, r.body)
	}
}

// TestAttackIntakeMultipartPartCap: one multipart request stores as many
// files as it has parts (issue 13 item 5 asked for a part cap). 300
// distinct files in one request are all stored.
func TestAttackIntakeMultipartPartCap(t *testing.T) {
	p := newProc(t)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for i := range 300 {
		fw, _ := mw.CreateFormFile("file", "f.835")
		_, _ = fw.Write(remit835(t, uint64(2000+i), npiP1))
	}
	_ = mw.Close()
	before := p.count(`SELECT count(*) FROM remittance_files`)
	r := p.send("bill1", "POST", "/v1/remittances", buf.Bytes(), "Content-Type", mw.FormDataContentType())
	if n := p.count(`SELECT count(*) FROM remittance_files`) - before; n > 100 {
		t.Errorf("one multipart request stored %d files (%d)", n, r.code)
	}
}

// remit835SameISA is remit835 with every interchange numbered 1.
func remit835SameISA(t testing.TB, seed uint64, payees ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	for i, npi := range payees {
		if _, err := synth.WriteRemits(&buf, synth.RemitOptions{Seed: seed + uint64(i), Claims: 2, LinesPerClaim: 1, PayeeNPI: npi}); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// TestAttackIntakeDuplicateISASmuggles: since the x12 reader skips an
// interchange that repeats the ISA13 of an earlier one in the same file
// (issue 14 merge), a biller of practice 1 can send a file whose second
// interchange pays practice 2 under the same control number: the payee
// check sees only practice 1 (the skipped interchange is not parsed), the
// file is stored (201) with practice 2's remittance, PHI included, in its
// raw bytes, and every practice-1 user who may download raw files gets it.
// Expected: 403, nothing stored (the payee of every interchange counts,
// skipped or not), or the skipped bytes not kept.
func TestAttackIntakeDuplicateISASmuggles(t *testing.T) {
	p := newProc(t)
	before := p.count(`SELECT count(*) FROM remittance_files`)
	r := p.send("bill1", "POST", "/v1/remittances", remit835SameISA(t, 3, npiP1, npiP2))
	if r.code != http.StatusForbidden || p.count(`SELECT count(*) FROM remittance_files`) != before {
		t.Errorf("file paying practice 1 and (under a repeated ISA13) practice 2, as bill1: %d %.300s", r.code, r.body)
	}
}
