package ingestsvc_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/remitq/remitq/pkg/ingestsvc"
	"github.com/remitq/remitq/pkg/remitstore"
	"github.com/remitq/remitq/pkg/svc"
)

// Attack 2 (regression tests: each defence here held when written).

func countClaims(t *testing.T, deps *svc.Deps) int {
	t.Helper()
	var n int
	if err := deps.DB.Get(&n, `SELECT count(*) FROM claim_payments`); err != nil {
		t.Fatal(err)
	}
	return n
}

// postAll posts every body at once and returns the status codes.
func postAll(t *testing.T, url string, bodies [][]byte) []int {
	t.Helper()
	codes := make([]int, len(bodies))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, b := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			codes[i] = resp.StatusCode
		}()
	}
	close(start)
	wg.Wait()
	return codes
}

// TestAttack2SameFilePostedAtOnce: the same bytes posted eight times at
// once are stored once (one file, its claims once); every answer is 201 or
// 200 (the duplicate), none a 5xx.
func TestAttack2SameFilePostedAtOnce(t *testing.T) {
	_, deps, srv := newService(t, ingestsvc.Options{NoPublisher: true})
	addPractice(t, deps, "1234567893")
	raw := file835(t, 4100, "1234567893")
	bodies := make([][]byte, 8)
	for i := range bodies {
		bodies[i] = raw
	}
	codes := postAll(t, srv.URL+"/v1/remittances?filename=same.835", bodies)
	created := 0
	for _, c := range codes {
		switch c {
		case http.StatusCreated:
			created++
		case http.StatusOK:
		default:
			t.Errorf("answers %v: %d is neither 201 nor 200", codes, c)
		}
	}
	if created != 1 {
		t.Errorf("answers %v: %d created", codes, created)
	}
	if n := countFiles(t, deps); n != 1 {
		t.Errorf("%d files stored", n)
	}
	if n := countClaims(t, deps); n != 20 {
		t.Errorf("%d claim payments stored, want 20", n)
	}
}

// isaDelims rewrites a synthetic 835's delimiters: element, component
// (ISA16), repetition (ISA11) and segment terminator.
func isaDelims(raw []byte, elem, comp, rep byte, term string) []byte {
	out := bytes.ReplaceAll(raw, []byte("~"), []byte{0})
	out = bytes.ReplaceAll(out, []byte(":"), []byte{1})
	out = bytes.ReplaceAll(out, []byte("*"), []byte{elem})
	out[82] = rep // ISA11 (after the element separator change)
	out = bytes.ReplaceAll(out, []byte{1}, []byte{comp})
	out = bytes.ReplaceAll(out, []byte{0}, []byte(term))
	return out
}

// TestAttack2OddDelimiters: an 835 written with other (legal) delimiters
// is read as the same remittance; one with delimiters that cannot work
// (the same character twice, a letter, a digit) is quarantined with a 422
// and a position, never a 5xx.
func TestAttack2OddDelimiters(t *testing.T) {
	base := file835(t, 4200, "1234567893")
	if base[82] != '^' || base[104] != ':' || base[105] != '~' {
		t.Fatalf("unexpected ISA: %q", base[:106])
	}
	good := map[string][]byte{
		"pipe, gt, newline":      isaDelims(base, '|', '>', '{', "\n"),
		"tilde-crlf":             isaDelims(base, '*', ':', '^', "~\r\n"),
		"bang, backslash, quote": isaDelims(base, '!', '\\', '`', "'"),
		"hash, caret-as-comp":    isaDelims(base, '#', '^', '}', "~"),
	}
	bad := map[string][]byte{
		"element = component":  isaDelims(base, '*', '*', '^', "~"),
		"element = terminator": isaDelims(base, '~', ':', '^', "~"),
		"letter element":       isaDelims(base, 'A', ':', '^', "~"),
		"digit terminator":     isaDelims(base, '*', ':', '^', "7"),
		"space element":        isaDelims(base, ' ', ':', '^', "~"),
	}
	for name, raw := range good {
		t.Run(name, func(t *testing.T) {
			_, deps, srv := newService(t, ingestsvc.Options{NoPublisher: true})
			addPractice(t, deps, "1234567893")
			resp := post(t, srv.URL+"/v1/remittances?filename=odd.835", raw, nil)
			if resp.StatusCode >= 500 {
				t.Fatalf("%s", resp.Status)
			}
			res := decode[remitstore.Result](t, resp)
			if resp.StatusCode != http.StatusCreated || res.Claims != 20 || res.Status != remitstore.StatusIngested {
				t.Errorf("%s: %s claims %d errors %v", resp.Status, res.Status, res.Claims, res.Errors)
			}
		})
	}
	_, deps, srv := newService(t, ingestsvc.Options{NoPublisher: true})
	addPractice(t, deps, "1234567893")
	for name, raw := range bad {
		resp := post(t, srv.URL+"/v1/remittances?filename=bad-delims.835", raw, nil)
		if resp.StatusCode >= 500 {
			t.Errorf("%s: %s", name, resp.Status)
			continue
		}
		res := decode[remitstore.Result](t, resp)
		if resp.StatusCode != http.StatusUnprocessableEntity || res.Status != remitstore.StatusQuarantined || len(res.Errors) == 0 {
			t.Errorf("%s: %s %s %v", name, resp.Status, res.Status, res.Errors)
		}
	}
	if n := countClaims(t, deps); n != 0 {
		t.Errorf("%d claims stored from files with unusable delimiters", n)
	}
}

// TestAttack2OneByteChanged: the same file with one byte changed in a
// claim amount is a different file (stored, or quarantined as unbalanced)
// and the first one's rows stay as they were; never a 5xx.
func TestAttack2OneByteChanged(t *testing.T) {
	_, deps, srv := newService(t, ingestsvc.Options{NoPublisher: true})
	addPractice(t, deps, "1234567893")
	raw := file835(t, 4300, "1234567893")
	resp := post(t, srv.URL+"/v1/remittances?filename=a.835", raw, nil)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("first: %s", resp.Status)
	}
	first := decode[remitstore.Result](t, resp)
	var sum1 string
	if err := deps.DB.Get(&sum1, `SELECT coalesce(sum(paid)::text, '') || '/' || count(*) FROM claim_payments WHERE file_id = $1`, first.FileID); err != nil {
		t.Fatal(err)
	}
	// Every position of the first CLP segment, one byte changed each.
	at := bytes.Index(raw, []byte("CLP*"))
	end := at + bytes.IndexByte(raw[at:], '~')
	for i := at; i <= end; i++ {
		b := append([]byte{}, raw...)
		b[i] ^= 0x01
		resp := post(t, srv.URL+fmt.Sprintf("/v1/remittances?filename=b%d.835", i), b, nil)
		if resp.StatusCode >= 500 {
			t.Errorf("byte %d changed: %s", i, resp.Status)
		}
		resp.Body.Close()
	}
	var sum2 string
	if err := deps.DB.Get(&sum2, `SELECT coalesce(sum(paid)::text, '') || '/' || count(*) FROM claim_payments WHERE file_id = $1`, first.FileID); err != nil {
		t.Fatal(err)
	}
	if sum1 != sum2 {
		t.Errorf("the first file's claims changed: %s -> %s", sum1, sum2)
	}
}

// TestAttack2ResendOtherBytesAfter: the control of
// TestAttack2ResendOtherBytesAtOnce: one after the other, a resend under
// other line breaks is quarantined as a duplicate transmission (422) and
// posts nothing.
func TestAttack2ResendOtherBytesAfter(t *testing.T) {
	_, deps, srv := newService(t, ingestsvc.Options{NoPublisher: true})
	addPractice(t, deps, "1234567893")
	raw := file835(t, 4600, "1234567893")
	resp := post(t, srv.URL+"/v1/remittances?filename=first.835", raw, nil)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("first: %s", resp.Status)
	}
	resp.Body.Close()
	for _, b := range [][]byte{bytes.ReplaceAll(raw, []byte("~"), []byte("~\n")), bytes.ReplaceAll(raw, []byte("~"), []byte("~\r\n"))} {
		resp := post(t, srv.URL+"/v1/remittances?filename=again.835", b, nil)
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("resend under other line breaks: %s", resp.Status)
		}
		resp.Body.Close()
	}
	if n := countClaims(t, deps); n != 20 {
		t.Errorf("%d claim payments stored", n)
	}
}

// TestAttack2ExtremeValuesNo5xx: amounts past every column's precision,
// impossible dates, a huge element and a huge count of elements in a
// claim of an otherwise good 835: each is stored or quarantined (201 or
// 422), never a 5xx, and the service answers the next good file.
func TestAttack2ExtremeValuesNo5xx(t *testing.T) {
	_, deps, srv := newService(t, ingestsvc.Options{NoPublisher: true})
	addPractice(t, deps, "1234567893")
	// Each case replaces the whole first segment starting with prefix.
	for i, c := range []struct{ prefix, seg string }{
		{"CLP*", ""}, // control: unchanged
		{"DTM*472*", "DTM*472*99991399"},
		{"DTM*472*", "DTM*472*00000000"},
		{"DTM*405*", "DTM*405*20260230"},
		{"AMT*B6*", "AMT*B6*99999999999999999999"},
		{"CAS*CO*", "CAS*CO*197*-99999999999999999"},
		{"SVC*", "SVC*HC:" + string(bytes.Repeat([]byte("9"), 4000)) + "*210*0**1"},
		{"NM1*QC*", "NM1*QC*1*" + string(bytes.Repeat([]byte("X*"), 3000))},
		{"REF*6R*", "REF*6R*" + string(bytes.Repeat([]byte("é"), 500))},
		{"LQ*HE*", "LQ*HE*N54:N55:N56^N57"},
		{"BPR*", "BPR*I*1E9*C*ACH*CCP***********20260302"},
		{"TRN*", "TRN*1*" + string(bytes.Repeat([]byte("T"), 300)) + "*1741234567"},
		{"CLP*", "CLP*PCN1-0000001*4*99999999999999999.99*0**12*647894613127*11*1"},
	} {
		raw := file835(t, uint64(4700+i), "1234567893")
		at := bytes.Index(raw, []byte("~"+c.prefix))
		if at < 0 {
			t.Fatalf("no segment %q in the file", c.prefix)
		}
		at++
		end := at + bytes.IndexByte(raw[at:], '~')
		seg := c.seg
		if seg == "" {
			seg = string(raw[at:end])
		}
		bad := append(append(append([]byte{}, raw[:at]...), seg...), raw[end:]...)
		resp := post(t, srv.URL+fmt.Sprintf("/v1/remittances?filename=x%d.835", i), bad, nil)
		if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusUnprocessableEntity {
			b, _ := io.ReadAll(resp.Body)
			t.Errorf("%.60q: %s %.300s", seg, resp.Status, b)
		}
		resp.Body.Close()
	}
	resp := post(t, srv.URL+"/v1/remittances?filename=good.835", file835(t, 4799, "1234567893"), nil)
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("a good file after them: %s", resp.Status)
	}
	resp.Body.Close()
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
	again := newISA13(t, raw, 777)
	resp = post(t, srv.URL+"/v1/remittances?filename=resent.835", again, nil)
	if resp.StatusCode >= 500 {
		t.Fatalf("resent: %s", resp.Status)
	}
	resp.Body.Close()
	if n := countClaims(t, deps); n != 20 {
		t.Errorf("resent with a new ISA13: %s, %d claim payments stored for one remittance of 20 claims", resp.Status, n)
	}
}

// newISA13 is raw with another interchange control number (ISA13 and
// IEA02) and nothing else changed: the synthetic trace numbers (TRN02)
// embed the ISA13, so a plain replace-all would change them too.
func newISA13(t *testing.T, raw []byte, ctl int) []byte {
	t.Helper()
	old := string(raw[90:99])
	again := bytes.Clone(raw)
	copy(again[90:99], fmt.Sprintf("%09d", ctl))
	iea := []byte("IEA*1*" + old)
	if !bytes.Contains(again, iea) || bytes.Equal(again, raw) {
		t.Fatalf("ISA13 %q not found", old)
	}
	return bytes.Replace(again, iea, []byte(fmt.Sprintf("IEA*1*%09d", ctl)), 1)
}

// TestAttack2ReusedTraceOtherPayment: the duplicate-transmission check is
// keyed on payer, payee, trace number (TRN02), amount and payment date,
// not on the interchange: a payer that reuses a trace number for another
// payment (another date) is paid again, and a reversal-and-repayment under
// a new trace number is ingested too; the same payment in a new
// interchange is not.
func TestAttack2ReusedTraceOtherPayment(t *testing.T) {
	_, deps, srv := newService(t, ingestsvc.Options{NoPublisher: true})
	addPractice(t, deps, "1234567893")
	raw := file835(t, 4600, "1234567893")
	send := func(name string, body []byte, want int) {
		t.Helper()
		resp := post(t, srv.URL+"/v1/remittances?filename="+name, body, nil)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s: %s, want %d", name, resp.Status, want)
		}
	}
	send("first.835", raw, http.StatusCreated)
	send("same-payment-new-isa.835", newISA13(t, raw, 901), http.StatusUnprocessableEntity)
	// The same trace number, paid on another day (BPR16 and DTM*405).
	otherDay := bytes.ReplaceAll(newISA13(t, raw, 902), []byte("20260302~"), []byte("20260309~"))
	if bytes.Equal(otherDay, newISA13(t, raw, 902)) {
		t.Fatal("payment date not found")
	}
	send("reused-trace-other-day.835", otherDay, http.StatusCreated)
	// A new trace number for the same claims (a repayment).
	trn := string(raw[90:99])
	repay := bytes.Replace(newISA13(t, raw, 903), []byte("*EFT"+trn), []byte("*EFTR"+trn), 1)
	send("new-trace.835", repay, http.StatusCreated)
	if n := countClaims(t, deps); n != 60 {
		t.Errorf("%d claim payments, want 60 (three payments of 20 claims)", n)
	}
}

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
