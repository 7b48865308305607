package remitstore_test

import (
	"bytes"
	"testing"
)

// The raw bytes come back as sent, whether they went in one statement (up
// to 2 MiB) or in COPY chunks (larger).
func TestRawBytesStoredWholeOrInChunks(t *testing.T) {
	e := newEnv(t, "")
	e.addPractice(t)
	for _, tc := range []struct {
		name   string
		claims int
		large  bool
	}{
		{"one statement", 50, false},
		{"chunks", 4000, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw, _ := remits(t, uint64(60+tc.claims), tc.claims)
			if large := len(raw) > 2<<20; large != tc.large {
				t.Fatalf("file of %d bytes: over 2 MiB %v, want %v", len(raw), large, tc.large)
			}
			res, err := e.in.Ingest(t.Context(), tc.name+".835", raw)
			if err != nil || res.Status != "ingested" {
				t.Fatalf("ingest: %v %+v", err, res)
			}
			var got []byte
			if err := e.db.GetContext(t.Context(), &got, `SELECT raw FROM remittance_files WHERE id = $1`, res.FileID); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, raw) {
				t.Fatalf("stored %d bytes, sent %d; not the same bytes", len(got), len(raw))
			}
			// Compressed with lz4 when the server has it (pglz cost the
			// ingest's PostgreSQL a fifth of its CPU).
			var method, want string
			if err := e.db.GetContext(t.Context(), &method, `SELECT coalesce(pg_column_compression(raw), 'none') FROM remittance_files WHERE id = $1`, res.FileID); err != nil {
				t.Fatal(err)
			}
			if err := e.db.GetContext(t.Context(), &want, `SELECT CASE WHEN 'lz4' = ANY(enumvals) THEN 'lz4' ELSE 'pglz' END FROM pg_settings WHERE name = 'default_toast_compression'`); err != nil {
				t.Fatal(err)
			}
			if method != want {
				t.Fatalf("raw bytes compressed with %s, want %s", method, want)
			}
		})
	}
}
