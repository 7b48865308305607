//go:build attackfail

package ingestsvc_test

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"

	"github.com/remitq/remitq/pkg/ingestsvc"
)

// Attack 2: weaknesses found (these tests fail; run with -tags attackfail).

// TestAttack2ResendOtherBytesAtOnce: a resend under other bytes (line
// breaks after each segment) is caught by the duplicate-transmission check
// (same sender, ISA13 and TRN02) when it comes after the first file; the
// same two files posted at once both pass the check (it reads committed
// files only, outside any lock) and the payments are posted twice.
func TestAttack2ResendOtherBytesAtOnce(t *testing.T) {
	_, deps, srv := newService(t, ingestsvc.Options{NoPublisher: true})
	addPractice(t, deps, "1234567893")
	for round := range 6 {
		raw := file835(t, uint64(4400+round), "1234567893")
		before := countClaims(t, deps)
		bodies := [][]byte{raw, bytes.ReplaceAll(raw, []byte("~"), []byte("~\n")), bytes.ReplaceAll(raw, []byte("~"), []byte("~\r\n"))}
		codes := postAll(t, srv.URL+fmt.Sprintf("/v1/remittances?filename=r%d.835", round), bodies)
		created := 0
		for _, c := range codes {
			if c == http.StatusCreated {
				created++
			}
			if c >= 500 {
				t.Errorf("round %d: %v", round, codes)
			}
		}
		if n := countClaims(t, deps) - before; n != 20 || created != 1 {
			t.Errorf("round %d: answers %v, %d claim payments stored for one remittance of 20 claims", round, codes, n)
		}
	}
}

// TestAttack2ResendNewISA13: the same remittance (same payer, same
// payment trace TRN02, same claims) sent again in an interchange with
// another control number (one byte of ISA13 and IEA02 changed, as a
// clearinghouse does when it re-sends) passes the duplicate-transmission
// check, which requires the same ISA13, and every payment is posted twice.
func TestAttack2ResendNewISA13(t *testing.T) {
	_, deps, srv := newService(t, ingestsvc.Options{NoPublisher: true})
	addPractice(t, deps, "1234567893")
	raw := file835(t, 4500, "1234567893")
	resp := post(t, srv.URL+"/v1/remittances?filename=first.835", raw, nil)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("first: %s", resp.Status)
	}
	resp.Body.Close()
	ctl := raw[90:99] // ISA13
	again := bytes.ReplaceAll(raw, ctl, []byte(fmt.Sprintf("%09d", 777)))
	if bytes.Equal(again, raw) {
		t.Fatalf("ISA13 %q not found", ctl)
	}
	resp = post(t, srv.URL+"/v1/remittances?filename=resent.835", again, nil)
	if resp.StatusCode >= 500 {
		t.Fatalf("resent: %s", resp.Status)
	}
	resp.Body.Close()
	if n := countClaims(t, deps); n != 20 {
		t.Errorf("resent with a new ISA13: %s, %d claim payments stored for one remittance of 20 claims", resp.Status, n)
	}
}
