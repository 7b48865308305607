package remitstore_test

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/remitq/remitq/pkg/remitstore"
	"github.com/remitq/remitq/pkg/store"
)

// Bad bytes in an element (NUL, a byte that is not UTF-8) or in the file
// name are a problem of the data: the file is quarantined with its raw
// bytes and a positioned reason, never an error that asks for a resend.
func TestBadBytesAreQuarantinedNotLost(t *testing.T) {
	e := newEnv(t, "")
	e.addPractice(t)
	raw, _ := remits(t, 21, 5)
	at := bytes.Index(raw, []byte("CLP*PCN1-"))
	if at < 0 {
		t.Fatal("no CLP in the test file")
	}
	for _, tc := range []struct {
		name string
		bad  []byte // replaces the byte after "CLP*PCN1-"
	}{
		{"nul", []byte{0}},
		{"latin1", []byte{0xD1}},
		{"truncated utf8", []byte{0xE2, 0x82}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := append(append(append([]byte{}, raw[:at+9]...), tc.bad...), raw[at+9:]...)
			res, err := e.in.Ingest(t.Context(), tc.name+".835", file)
			if err != nil {
				t.Fatalf("Ingest = %v, want a quarantined result", err)
			}
			if res.Status != remitstore.StatusQuarantined || res.FileID == 0 || len(res.Errors) == 0 {
				t.Fatalf("result = %+v, want quarantined with errors", res)
			}
			p := res.Errors[0]
			if p.ID != "CLP" || p.Segment == 0 || p.Offset != int64(at+9) {
				t.Fatalf("first error = %+v, want CLP at byte %d", p, at+9)
			}
			var stored []byte
			if err := e.db.Get(&stored, `SELECT raw FROM remittance_files WHERE id = $1`, res.FileID); err != nil || !bytes.Equal(stored, file) {
				t.Fatalf("raw bytes not kept (%v)", err)
			}
		})
	}
	if n := e.count(t, "claim_payments"); n != 0 {
		t.Errorf("claim_payments has %d rows from quarantined files", n)
	}
}

// A file name that is not UTF-8 (or holds control bytes) is kept: a safe
// display name and the exact bytes in hex.
func TestNonUTF8FileNameIsKept(t *testing.T) {
	e := newEnv(t, "")
	e.addPractice(t)
	raw, _ := remits(t, 22, 3)
	name := "era-\xff\x00\n.835"
	res, err := e.in.Ingest(t.Context(), name, raw)
	if err != nil {
		t.Fatalf("Ingest = %v, want stored", err)
	}
	if res.Status != remitstore.StatusIngested || res.FileID == 0 {
		t.Fatalf("result = %+v", res)
	}
	if res.Filename != "era-\uFFFD\uFFFD\uFFFD.835" || res.FilenameHex != hex.EncodeToString([]byte(name)) {
		t.Fatalf("filename %q hex %q", res.Filename, res.FilenameHex)
	}
	var rawName []byte
	if err := e.db.Get(&rawName, `SELECT filename_raw FROM remittance_files WHERE id = $1`, res.FileID); err != nil || string(rawName) != name {
		t.Fatalf("filename_raw = %q (%v)", rawName, err)
	}
	got, err := remitstore.File(t.Context(), e.db, res.FileID)
	if err != nil || got.FilenameHex != res.FilenameHex {
		t.Fatalf("File = %+v (%v)", got, err)
	}
}

// Only a server that cannot be reached is an outage (send it again).
func TestDatabaseDownIsAnOutage(t *testing.T) {
	db, err := sqlx.Open("postgres", "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	raw, _ := remits(t, 23, 2)
	_, err = (&remitstore.Ingester{DB: db}).Ingest(t.Context(), "a.835", raw)
	if err == nil || !store.IsOutage(err) {
		t.Fatalf("Ingest with the database down = %v, want an outage", err)
	}
}

// An amount too large for the database's numeric(14,2) is a problem of the
// data: the file is quarantined, never an error.
func TestAmountOutOfRangeIsQuarantined(t *testing.T) {
	e := newEnv(t, "")
	e.addPractice(t)
	raw := []byte("ISA*00*          *00*          *ZZ*PAYER          *ZZ*PAYEE          *260115*1200*^*00501*000000001*0*P*:~" +
		"GS*HP*PAYER*PAYEE*20260115*1200*1*X*005010X221A1~ST*835*0001~BPR*I*99999999999999.00*C*ACH*CCP*01*999999999*DA*123456*1512345678**01*999999999*DA*98765*20260115~" +
		"TRN*1*12345*1512345678~N1*PR*PAYER~N1*PE*PAYEE*XX*" + practiceNPI + "~CLP*PCN1*1*99999999999999.00*99999999999999.00**12*CLAIM1~SE*8*0001~GE*1*1~IEA*1*000000001~")
	// Found by FuzzUpload: the file's total paid overflowed the column, and
	// the quarantine of the file failed the same way (500).
	for _, file := range [][]byte{raw, []byte("ST*835! CLP****1000000000000")} {
		res, err := e.in.Ingest(t.Context(), "huge.835", file)
		if err != nil {
			t.Fatalf("Ingest = %v, want a quarantined result", err)
		}
		if res.Status != remitstore.StatusQuarantined || res.FileID == 0 {
			t.Fatalf("result %+v", res)
		}
	}
}
