package remitstore

import (
	"context"
	"fmt"
	"io"

	"github.com/remitq/remitq/pkg/pgcopy"
)

// rawChunk is how much of a file one COPY row carries to PostgreSQL
// (sent hex-encoded, so about 3x this is held while it goes).
const rawChunk = 256 << 10

// rawWhole is the largest file whose raw bytes go to PostgreSQL as one
// parameter (held whole, hex-encoded: about 3x this while it goes); a
// larger one goes in chunks.
const rawWhole = 2 << 20

// lz4Toast makes PostgreSQL compress the values the rest of tx stores out
// of line (the raw bytes, in chunks and whole) with lz4 instead of its
// default pglz, when the server is built with lz4 (else it changes
// nothing): on 100,000 service lines pglz cost PostgreSQL ~6 µs of CPU
// per line of its ~30. Stored values keep their method; reading either is
// transparent.
func lz4Toast(ctx context.Context, tx *pgcopy.Tx) error {
	_, err := tx.Conn.ExecContext(ctx, `SELECT set_config('default_toast_compression',
		CASE WHEN 'lz4' = ANY(enumvals) THEN 'lz4' ELSE setting END, true)
		FROM pg_settings WHERE name = 'default_toast_compression'`)
	if err != nil {
		return fmt.Errorf("ingest: toast compression: %w", err)
	}
	return nil
}

// storeRaw sets remittance_files.raw of fileID to src's bytes: a file of up
// to rawWhole in one statement; a larger one without holding it whole: it
// goes to a temporary table in 256 KiB chunks through COPY, and PostgreSQL
// joins them into the column.
func storeRaw(ctx context.Context, tx *pgcopy.Tx, fileID int64, src Source) error {
	if src.Size() <= rawWhole {
		raw := make([]byte, src.Size())
		if _, err := io.ReadFull(reader(src), raw); err != nil {
			return fmt.Errorf("ingest: read file: %w", err)
		}
		if _, err := tx.Conn.ExecContext(ctx, `UPDATE remittance_files SET raw = $2 WHERE id = $1`, fileID, raw); err != nil {
			return fmt.Errorf("ingest: store raw: %w", err)
		}
		return nil
	}
	if _, err := tx.Conn.ExecContext(ctx, `CREATE TEMP TABLE IF NOT EXISTS ingest_raw_chunks (seq int NOT NULL, chunk bytea NOT NULL) ON COMMIT DELETE ROWS`); err != nil {
		return fmt.Errorf("ingest: raw chunks table: %w", err)
	}
	if _, err := tx.Conn.ExecContext(ctx, `DELETE FROM ingest_raw_chunks`); err != nil {
		return fmt.Errorf("ingest: raw chunks table: %w", err)
	}
	buf := make([]byte, rawChunk)
	b := pgcopy.NewBuf("ingest_raw_chunks", "seq", "chunk")
	r := reader(src)
	for seq := int64(0); ; seq++ {
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			b.Reset()
			b.Int(seq).Bytes(buf[:n]).End()
			if err := tx.Copy(ctx, b); err != nil {
				return fmt.Errorf("ingest: store raw: %w", err)
			}
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return fmt.Errorf("ingest: read file: %w", err)
		}
	}
	if _, err := tx.Conn.ExecContext(ctx, `UPDATE remittance_files
		SET raw = COALESCE((SELECT string_agg(chunk, ''::bytea ORDER BY seq) FROM ingest_raw_chunks), ''::bytea)
		WHERE id = $1`, fileID); err != nil {
		return fmt.Errorf("ingest: store raw: %w", err)
	}
	if _, err := tx.Conn.ExecContext(ctx, `DELETE FROM ingest_raw_chunks`); err != nil {
		return fmt.Errorf("ingest: raw chunks table: %w", err)
	}
	return nil
}
