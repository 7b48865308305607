package main

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/remitq/remitq/x12"
)

// TestX12JSONSeveralInterchanges: x12 json reads what x12 summary reads,
// a file whose first interchange is an acknowledgment (999) and whose
// second holds an 835, and a file with an 837 and an 835 interchange.
func TestX12JSONSeveralInterchanges(t *testing.T) {
	remit, err := os.ReadFile("../../x12/testdata/835/pain-full.835")
	if err != nil {
		t.Fatal(err)
	}
	claims, err := os.ReadFile("../../x12/testdata/837/pain-management.837")
	if err != nil {
		t.Fatal(err)
	}
	ack := "ISA*00*          *00*          *ZZ*SUMMITHP       *ZZ*ALPINEPAIN     *260206*0930*^*00501*000000900*0*T*:~\n" +
		"GS*FA*SUMMITHP*ALPINEPAIN*20260206*0930*900*X*005010X231A1~\nST*999*0001*005010X231A1~\n" +
		"AK1*HC*1*005010X222A1~\nAK9*A*1*1*1~\nSE*4*0001~\nGE*1*900~\nIEA*1*000000900~\n"

	data := append([]byte(ack), remit...)
	var buf bytes.Buffer
	if err := writeX12JSON(&buf, data); err != nil {
		t.Fatalf("x12 json on a 999 + 835 file: %v", err)
	}
	var rf x12.RemitFile
	if err := json.Unmarshal(buf.Bytes(), &rf); err != nil {
		t.Fatal(err)
	}
	s, err := x12.Summarize("f", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range rf.Remittances {
		n += len(r.Claims)
	}
	if len(rf.Remittances) != s.TransactionSets || n != s.Claims || n == 0 {
		t.Errorf("json: %d sets %d claims; summary: %d sets %d claims", len(rf.Remittances), n, s.TransactionSets, s.Claims)
	}

	buf.Reset()
	if err := writeX12JSON(&buf, append(append([]byte{}, claims...), remit...)); err != nil {
		t.Fatalf("x12 json on an 837 + 835 file: %v", err)
	}
	var both struct {
		Remittances *x12.RemitFile `json:"remittances"`
		Claims      *x12.ClaimFile `json:"claims"`
	}
	if err := json.Unmarshal(buf.Bytes(), &both); err != nil {
		t.Fatal(err)
	}
	if both.Remittances == nil || len(both.Remittances.Remittances) != s.TransactionSets || both.Claims == nil || len(both.Claims.Batches) == 0 {
		t.Errorf("837 + 835: %s", strings.TrimSpace(buf.String())[:200])
	}
}
