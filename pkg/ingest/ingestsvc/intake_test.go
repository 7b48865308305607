package ingestsvc_test

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/remitq/remitq/pkg/ingest"
	"github.com/remitq/remitq/pkg/ingest/ingestsvc"
)

// A NUL or a byte that is not UTF-8 in an element, or a file name that is
// not UTF-8, answered 503 "send it again" and stored nothing; now the file
// is kept (quarantined, 422, with a positioned reason) or stored.
func TestUploadBadBytesIsQuarantinedNot503(t *testing.T) {
	_, deps, srv := newService(t, ingestsvc.Options{})
	addPractice(t, deps, "1234567893")
	raw := file835(t, 30, "1234567893")
	at := bytes.Index(raw, []byte("CLP*")) + 5
	for _, b := range []byte{0x00, 0xFF} {
		bad := append(append(append([]byte{}, raw[:at]...), b), raw[at:]...)
		resp := post(t, srv.URL+"/v1/remittances?filename=bad.835", bad, nil)
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("byte %#x: %s, want 422", b, resp.Status)
		}
		res := decode[ingest.Result](t, resp)
		if res.Status != ingest.StatusQuarantined || len(res.Errors) == 0 || res.Errors[0].Offset != int64(at) || res.Errors[0].Segment == 0 {
			t.Fatalf("byte %#x: result %+v", b, res)
		}
	}
	resp := post(t, srv.URL+"/v1/remittances?filename=era%FF%00.835", raw, nil)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("file name not UTF-8: %s, want 201", resp.Status)
	}
	if res := decode[ingest.Result](t, resp); res.FilenameHex != "657261ff002e383335" {
		t.Fatalf("result %+v", res)
	}
}
