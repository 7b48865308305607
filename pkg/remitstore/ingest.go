package remitstore

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/jmoiron/sqlx"
	"go.uber.org/zap"

	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/pgcopy"
	"github.com/remitq/remitq/pkg/store"
	"github.com/remitq/remitq/x12"
)

// File statuses stored in remittance_files.status.
const (
	// StatusIngested: parsed rows stored and queued for publishing.
	StatusIngested = "ingested"
	// StatusQuarantined: the file has errors; only the file, its raw bytes
	// and its errors are stored.
	StatusQuarantined = "quarantined"
	// StatusUnknownPayee: the file is sound but a payee is not a registered
	// practice; it is ingested by RetryUnknownPayees once the practice exists.
	StatusUnknownPayee = "unknown_payee"
)

// Problem is an error or warning found in a file: its position and what is
// wrong, never an element value.
type Problem struct {
	Segment int    `json:"segment"`
	Offset  int64  `json:"offset"`
	ID      string `json:"id"`
	Message string `json:"message"`
}

// Result is what Ingest reports for one file.
type Result struct {
	FileID   int64  `json:"file_id"`
	SHA256   string `json:"sha256"`
	Filename string `json:"filename"`
	// FilenameHex is the name as received, in hex, when Filename had to be
	// made safe (bytes that are not UTF-8, control characters).
	FilenameHex     string       `json:"filename_hex,omitempty"`
	Status          string       `json:"status"`
	Duplicate       bool         `json:"duplicate"` // the same bytes were received before; nothing changed
	TransactionSets int          `json:"transaction_sets"`
	Claims          int          `json:"claims"`
	ServiceLines    int          `json:"service_lines"`
	TotalPaid       money.Amount `json:"total_paid"`
	BPRAmount       money.Amount `json:"bpr_amount"`
	Balanced        bool         `json:"balanced"`
	Errors          []Problem    `json:"errors"`
	Warnings        []Problem    `json:"warnings"`
	// Partial: the counts and totals are those of the caller's practices
	// only; the file pays others too (FileIn).
	Partial bool `json:"partial,omitempty"`
}

// Ingester stores files. It is safe for concurrent use.
type Ingester struct {
	DB  *sqlx.DB
	Log *zap.Logger
	// Queued, when set, is signalled (without blocking) after a file with
	// messages to publish commits, to wake a Publisher.
	Queued chan<- struct{}
	// Recent, when set, receives the decoded records of each stored file
	// of at most KeepDecodedBytes, for a Publisher sharing it.
	Recent *Recent
}

// parsed is what the first pass over a file learns.
type parsed struct {
	res    Result
	heads  []*x12.Remittance // per transaction set, without claims
	claims int
	lines  int
	// recs are every record of the file, kept when it is small enough
	// (KeepDecodedBytes): the rows and the publisher use them instead of
	// decoding the file again. nil when not kept.
	recs []x12.RemitRecord
}

func problems(errs []*x12.Error) []Problem {
	out := make([]Problem, 0, len(errs))
	for _, e := range errs {
		out = append(out, Problem{Segment: e.Segment, Offset: e.Offset, ID: SafeText(e.ID), Message: SafeText(e.Message())})
	}
	return out
}

// parse reads the file once to validate it and collect its header facts,
// keeping its records when keep is set.
func parse(r io.Reader, keep bool) *parsed {
	p := &parsed{}
	d := x12.NewRemitReader(r)
	p.res.Balanced = true
	for {
		rec, err := d.Next()
		if err != nil {
			break
		}
		if keep {
			p.recs = append(p.recs, rec)
		}
		switch v := rec.(type) {
		case *x12.Remittance:
			p.heads = append(p.heads, v)
		case *x12.ClaimPayment:
			p.claims++
			p.lines += len(v.Lines)
		case *x12.RemittanceEnd:
			t := v.Remittance.Totals
			p.res.TransactionSets++
			p.res.Claims += t.Claims
			p.res.ServiceLines += t.ServiceLines
			p.res.TotalPaid += t.Paid
			p.res.BPRAmount += v.Remittance.Payment.Amount
			if !t.Balanced {
				p.res.Balanced = false
			}
		}
	}
	p.res.Errors = problems(d.Errors())
	p.res.Warnings = problems(d.Warnings())
	if p.res.TransactionSets == 0 && len(p.res.Errors) == 0 {
		p.res.Errors = append(p.res.Errors, Problem{Message: "no 835 transaction set in the file"})
	}
	if p.res.TransactionSets == 0 {
		p.res.Balanced = false
	}
	return p
}

// Ingest stores one file held in memory; see IngestFrom.
func (in *Ingester) Ingest(ctx context.Context, filename string, raw []byte) (*Result, error) {
	return in.IngestFrom(ctx, filename, bytes.NewReader(raw))
}

// IngestFrom stores one file, reading src as often as it needs without
// holding a copy of it; see the package documentation. A file that cannot
// be parsed or stored for a reason in its data (errors, bytes that are not
// UTF-8 text, a value PostgreSQL refuses) is quarantined with its raw bytes
// and the reasons, positioned when they can be, and reported in the
// Result. The error is only for failures of the servers or of reading src,
// a *store.OutageError when the database could not be reached: then nothing is
// stored and the file should be sent again.
func (in *Ingester) IngestFrom(ctx context.Context, filename string, src Source) (*Result, error) {
	hooks := hooksFrom(ctx)
	sum, err := hashSource(src)
	if err != nil {
		return nil, err
	}
	if r, err := in.existing(ctx, sum); err != nil || r != nil {
		if err == nil && (hooks.Accept != nil || hooks.Again != nil) {
			// A file sent again changes nothing, but its answer describes
			// it: the sender must be one who may send it.
			payees, err := in.accept(ctx, hooks, parse(reader(src), false))
			if err != nil {
				return nil, store.Outage(err)
			}
			if hooks.Again != nil {
				if err := hooks.Again(ctx, r, payees); err != nil {
					return nil, store.Outage(err)
				}
			}
		}
		return r, store.Outage(err)
	}
	bad, err := ByteProblems(src)
	if err != nil {
		return nil, err
	}
	p := parse(reader(src), src.Size() <= KeepDecodedBytes)
	res := &p.res
	res.Errors = append(append([]Problem{}, bad...), res.Errors...)
	res.SHA256 = hex.EncodeToString(sum)
	res.Filename, res.FilenameHex = safeName(filename)

	if !fitsColumn(res.TotalPaid) || !fitsColumn(res.BPRAmount) {
		res.TotalPaid, res.BPRAmount = 0, 0
		res.Errors = append(res.Errors, Problem{Message: "the file's total paid or payment amount is over 999,999,999,999.99"})
	}
	var practices []int64
	var payees []Payee
	if len(res.Errors) > 0 {
		res.Status = StatusQuarantined
	} else {
		if practices, err = in.resolvePractices(ctx, in.DB, p.heads); err != nil {
			return nil, store.Outage(err)
		}
		res.Status = statusFor(practices)
		payees = payeesOf(p.heads, practices)
		if hasSkippedRepeats(res.Warnings) {
			extra, err := in.repeatedPayees(ctx, src, payees)
			if err != nil {
				return nil, store.Outage(err)
			}
			if len(extra) > 0 {
				// A skipped copy names another payee: shown to the
				// uploader's check, and never stored as this file's data.
				payees = append(payees, extra...)
				res.Status = StatusQuarantined
				res.Errors = append(res.Errors, Problem{ID: "ISA", Message: "a repeated interchange, group or transaction set " +
					"(same control number, skipped) names another payee than the one read: the copy is not the same remittance"})
			}
		}
		if hooks.Accept != nil {
			if err := hooks.Accept(ctx, payees); err != nil {
				return nil, store.Outage(err)
			}
		}
	}
	r, err := in.store(ctx, sum, src, p, practices, hooks, payees)
	if err != nil && !store.Transient(err) && res.Status != StatusQuarantined {
		// PostgreSQL refused something in the data: keep the file in
		// quarantine with the reason instead.
		in.log().Warn("file refused by the database: quarantined", zap.String("sha256", res.SHA256), zap.Error(err))
		res.Status = StatusQuarantined
		res.Errors = append(res.Errors, storeProblem(err))
		r, err = in.store(ctx, sum, src, p, nil, hooks, payees)
	}
	if err != nil {
		return nil, store.Outage(err)
	}
	return r, nil
}

// resent reports a likely duplicate transmission: a payment already
// ingested under other bytes (a resend with other whitespace or line
// breaks escapes the SHA-256 dedupe, a clearinghouse's resend has a new
// ISA13) for the same practice, from the same payer (TRN03 and payer id),
// with the same payment trace number (TRN02), amount (BPR02) and date
// (BPR16). Posting it would post the same payments twice, so the file is
// quarantined with the reason and the earlier file named (a file of the
// same practice). A payer that pays again under a reused trace number pays
// another amount or on another date (a reversal and repayment carries a
// new TRN02): that file is ingested. The interchange control number
// (ISA13) is no part of the key.
//
// It runs in the store transaction after taking a transaction-scoped
// advisory lock on each payment's key, so that two copies stored at once
// are serialized: the second sees the first once it committed.
func (in *Ingester) resent(ctx context.Context, tx *pgcopy.Tx, heads []*x12.Remittance, practices []int64) (*Problem, error) {
	type key struct {
		practice           int64
		trn03, code, trace string
		amount             money.Amount
		date               string
	}
	var keys []key
	for i, r := range heads {
		if r.Trace.Number == "" || i >= len(practices) || practices[i] == 0 {
			continue
		}
		keys = append(keys, key{practices[i], r.Trace.Originator, r.Payer.PayerID(), r.Trace.Number, r.Payment.Amount, string(r.Payment.Date)})
	}
	if len(keys) == 0 {
		return nil, nil
	}
	locks := make([]string, len(keys))
	for i, k := range keys {
		locks[i] = fmt.Sprintf("remit-payment|%d|%q|%q|%q|%d|%s", k.practice, k.trn03, k.code, k.trace, k.amount.Cents(), k.date)
	}
	slices.Sort(locks)
	for _, l := range slices.Compact(locks) {
		if _, err := tx.Conn.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, l); err != nil {
			return nil, err
		}
	}
	for _, k := range keys {
		var prior struct {
			ID       int64  `db:"id"`
			Received string `db:"received"`
		}
		err := tx.Conn.GetContext(ctx, &prior, `SELECT f.id, to_char(f.received_at, 'YYYY-MM-DD') AS received
			FROM remittance_transactions t JOIN remittance_files f ON f.id = t.file_id
			WHERE t.practice_id = $1 AND t.trace_number = $2
			  AND t.payer_trn03 IS NOT DISTINCT FROM $3 AND t.payer_id_code IS NOT DISTINCT FROM $4
			  AND t.bpr_amount = $5 AND t.payment_date IS NOT DISTINCT FROM $6::date
			  AND f.status <> 'quarantined'
			ORDER BY f.id LIMIT 1`, k.practice, k.trace, nullStr(k.trn03), nullStr(k.code), k.amount, nullDate(x12.Date(k.date)))
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return &Problem{Segment: 1, ID: "ISA", Message: fmt.Sprintf("likely duplicate transmission: file %d (received %s) has the same payer, "+
			"payee, payment trace number, amount and date; it was not posted again", prior.ID, prior.Received)}, nil
	}
	return nil, nil
}

// store writes the file row (and its parsed rows when p.res.Status is
// ingested) in one transaction, with what hooks.Stored adds to it.
func (in *Ingester) store(ctx context.Context, sum []byte, src Source, p *parsed, practices []int64, hooks Hooks, payees []Payee) (*Result, error) {
	res := &p.res
	tx, err := pgcopy.Begin(ctx, in.DB)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback() // after Commit it is a no-op
	if err := lz4Toast(ctx, tx); err != nil {
		return nil, err
	}
	if res.Status == StatusIngested {
		dup, err := in.resent(ctx, tx, p.heads, practices)
		if err != nil {
			return nil, err
		}
		if dup != nil {
			res.Status = StatusQuarantined
			res.Errors = append(res.Errors, *dup)
		}
	}
	errJSON, _ := json.Marshal(res.Errors)
	warnJSON, _ := json.Marshal(res.Warnings)
	var isaCtl, gsCtl, sender, receiver any
	if len(p.heads) > 0 {
		h := p.heads[0]
		isaCtl, gsCtl, sender, receiver = textOrNull(h.ISAControl), textOrNull(h.GSControl), textOrNull(h.SenderID), textOrNull(h.ReceiverID)
	}
	var rawName []byte
	if res.FilenameHex != "" {
		rawName, _ = hex.DecodeString(res.FilenameHex)
	}
	err = tx.Conn.QueryRowContext(ctx, `
		INSERT INTO remittance_files (sha256, filename, filename_raw, size, status, raw, errors, warnings,
			transaction_sets, claims, service_lines, balanced, total_paid, bpr_amount,
			isa_control, gs_control, sender_id, receiver_id, processed_at)
		VALUES ($1, $2, $3, $4, $5, '', $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, now())
		ON CONFLICT (sha256) DO NOTHING
		RETURNING id`,
		sum, res.Filename, rawName, src.Size(), res.Status, errJSON, warnJSON,
		res.TransactionSets, res.Claims, res.ServiceLines, res.Balanced, res.TotalPaid, res.BPRAmount,
		isaCtl, gsCtl, sender, receiver,
	).Scan(&res.FileID)
	if errors.Is(err, sql.ErrNoRows) {
		// Another process stored the same bytes a moment ago.
		tx.Rollback()
		r, err := in.existing(ctx, sum)
		if err == nil && r == nil {
			err = errors.New("ingest: file vanished after a concurrent insert")
		}
		return r, err
	}
	if err != nil {
		return nil, fmt.Errorf("ingest: store file: %w", err)
	}
	if err := storeRaw(ctx, tx, res.FileID, src); err != nil {
		return nil, err
	}
	if res.Status == StatusIngested {
		if err := storeRows(ctx, tx, res.FileID, src, p, practices); err != nil {
			return nil, err
		}
	}
	if hooks.Stored != nil {
		if err := hooks.Stored(ctx, tx.Conn, res, payees); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("ingest: commit: %w", err)
	}
	if res.Status == StatusIngested && p.recs != nil {
		in.Recent.put(res.FileID, [32]byte(sum), src.Size(), p.recs)
	}
	in.stored(res)
	return res, nil
}

// fitsColumn reports whether a fits the numeric(14,2) amount columns.
func fitsColumn(a money.Amount) bool {
	const maxCents = 99_999_999_999_999
	return a.Cents() <= maxCents && a.Cents() >= -maxCents
}

// textOrNull is s for a text column, NULL when s is empty or holds bytes
// PostgreSQL text cannot (the file is then quarantined for them).
func textOrNull(s string) any {
	if s == "" || SafeText(s) != s {
		return nil
	}
	return s
}

// statusFor is ingested when every transaction set has a practice.
func statusFor(practices []int64) string {
	for _, id := range practices {
		if id == 0 {
			return StatusUnknownPayee
		}
	}
	return StatusIngested
}

// storeRows writes the parsed rows of a sound file whose payees are all
// known, and queues it for publishing, inside tx.
func storeRows(ctx context.Context, tx *pgcopy.Tx, fileID int64, src Source, p *parsed, practices []int64) error {
	if _, err := tx.Conn.ExecContext(ctx, `UPDATE remittance_files SET practice_id = $2 WHERE id = $1`, fileID, practices[0]); err != nil {
		return fmt.Errorf("ingest: set practice: %w", err)
	}
	w := &rowWriter{tx: tx, fileID: fileID, practices: practices}
	if err := w.write(ctx, reader(src), p); err != nil {
		return fmt.Errorf("ingest: store rows: %w", err)
	}
	if _, err := tx.Conn.ExecContext(ctx, `INSERT INTO publish_queue (file_id) VALUES ($1)`, fileID); err != nil {
		return fmt.Errorf("ingest: queue file: %w", err)
	}
	return nil
}

func (in *Ingester) stored(res *Result) {
	in.log().Info("file stored", zap.Int64("file_id", res.FileID), zap.String("sha256", res.SHA256),
		zap.String("status", res.Status), zap.Int("claims", res.Claims), zap.Int("service_lines", res.ServiceLines),
		zap.Int("errors", len(res.Errors)))
	if res.Status == StatusIngested && in.Queued != nil {
		select {
		case in.Queued <- struct{}{}:
		default:
		}
	}
}

func (in *Ingester) log() *zap.Logger {
	if in.Log == nil {
		return zap.NewNop()
	}
	return in.Log
}

// fileRow is the stored summary of a file.
type fileRow struct {
	ID       int64         `db:"id"`
	SHA256   []byte        `db:"sha256"`
	Filename string        `db:"filename"`
	RawName  []byte        `db:"filename_raw"`
	Status   string        `db:"status"`
	Sets     int           `db:"transaction_sets"`
	Claims   int           `db:"claims"`
	Lines    int           `db:"service_lines"`
	Balanced sql.NullBool  `db:"balanced"`
	Paid     *money.Amount `db:"total_paid"`
	BPR      *money.Amount `db:"bpr_amount"`
	Errors   []byte        `db:"errors"`
	Warnings []byte        `db:"warnings"`
}

const fileRowColumns = `id, sha256, filename, filename_raw, status, transaction_sets, claims, service_lines,
	balanced, total_paid, bpr_amount, errors, warnings`

func (row *fileRow) result() *Result {
	r := &Result{FileID: row.ID, SHA256: hex.EncodeToString(row.SHA256), Filename: row.Filename, Status: row.Status,
		TransactionSets: row.Sets, Claims: row.Claims, ServiceLines: row.Lines, Balanced: row.Balanced.Bool}
	if row.RawName != nil {
		r.FilenameHex = hex.EncodeToString(row.RawName)
	}
	if row.Paid != nil {
		r.TotalPaid = *row.Paid
	}
	if row.BPR != nil {
		r.BPRAmount = *row.BPR
	}
	_ = json.Unmarshal(row.Errors, &r.Errors)
	_ = json.Unmarshal(row.Warnings, &r.Warnings)
	return r
}

// existing returns the stored result for a file with this sha256, or nil.
func (in *Ingester) existing(ctx context.Context, sum []byte) (*Result, error) {
	var row fileRow
	err := in.DB.GetContext(ctx, &row, `SELECT `+fileRowColumns+` FROM remittance_files WHERE sha256 = $1`, sum)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ingest: look up file: %w", err)
	}
	r := row.result()
	r.Duplicate = true
	return r, nil
}

// ErrNotFound reports a file id that is not stored.
var ErrNotFound = errors.New("ingest: no such file")

// File returns the stored result of file id (Duplicate unset).
func File(ctx context.Context, db sqlx.QueryerContext, id int64) (*Result, error) {
	var row fileRow
	err := sqlx.GetContext(ctx, db, &row, `SELECT `+fileRowColumns+` FROM remittance_files WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, store.Outage(fmt.Errorf("ingest: look up file: %w", err))
	}
	return row.result(), nil
}

// FileIn returns the stored result of file id as a caller who sees only
// the practices for which sees is true: the counts and totals are those of
// the file's transaction sets of those practices (Partial set when that is
// not all of them), and a file with none of them is ErrNotFound, as is a
// file without transaction sets. sees nil: the whole file (File).
func FileIn(ctx context.Context, db sqlx.QueryerContext, id int64, sees func(practice int64) bool) (*Result, error) {
	res, err := File(ctx, db, id)
	if err != nil || sees == nil {
		return res, err
	}
	var sets []struct {
		Practice int64        `db:"practice_id"`
		BPR      money.Amount `db:"bpr"`
		Claims   int          `db:"claims"`
		Lines    int          `db:"lines"`
		Paid     money.Amount `db:"paid"`
	}
	if err := sqlx.SelectContext(ctx, db, &sets, `SELECT t.practice_id, coalesce(t.bpr_amount, 0) AS bpr,
		(SELECT count(*) FROM claim_payments c WHERE c.transaction_id = t.id) AS claims,
		(SELECT count(*) FROM service_line_payments l JOIN claim_payments c ON c.id = l.claim_payment_id
			WHERE c.transaction_id = t.id AND l.file_id = t.file_id) AS lines,
		(SELECT coalesce(sum(c.paid), 0) FROM claim_payments c WHERE c.transaction_id = t.id) AS paid
		FROM remittance_transactions t WHERE t.file_id = $1 ORDER BY t.seq`, id); err != nil {
		return nil, fmt.Errorf("ingest: file parts: %w", err)
	}
	out := *res
	out.TransactionSets, out.Claims, out.ServiceLines, out.TotalPaid, out.BPRAmount = 0, 0, 0, 0, 0
	for _, t := range sets {
		if !sees(t.Practice) {
			out.Partial = true
			continue
		}
		out.TransactionSets++
		out.Claims += t.Claims
		out.ServiceLines += t.Lines
		out.TotalPaid += t.Paid
		out.BPRAmount += t.BPR
	}
	if out.TransactionSets == 0 {
		return nil, ErrNotFound
	}
	return &out, nil
}

// RetryUnknownPayees ingests the files kept as unknown_payee whose payees
// now all resolve to practices, and returns their results. Call it after
// adding a practice. Each file is handled in its own transaction holding its
// row locked, so concurrent calls never ingest a file twice.
func (in *Ingester) RetryUnknownPayees(ctx context.Context) ([]*Result, error) {
	var ids []int64
	if err := in.DB.SelectContext(ctx, &ids, `SELECT f.id FROM remittance_files f WHERE f.status = $1 AND NOT `+heldSQL+` ORDER BY f.id`,
		StatusUnknownPayee); err != nil {
		return nil, fmt.Errorf("ingest: list unknown payees: %w", err)
	}
	var out []*Result
	for _, id := range ids {
		res, err := in.retry(ctx, id)
		if err != nil {
			return out, err
		}
		if res != nil {
			out = append(out, res)
		}
	}
	return out, nil
}

// heldSQL is the predicate "file f was uploaded through the API by a user
// who is not an admin" (the upload's audit row names the uploader). Such a
// file, kept for an unknown payee, is never ingested on its own when a
// practice with that payee is registered: a biller could otherwise plant
// payments in a future client. An admin releases it (Release).
const heldSQL = `EXISTS (SELECT 1 FROM audit_log ua JOIN users uu ON uu.id = ua.user_id
	WHERE ua.entity = 'remittance_file' AND ua.entity_id = f.id::text AND ua.action = 'file.upload' AND uu.role <> 'admin')`

// HeldUnknownPayees lists the held unknown_payee files (heldSQL) whose
// payees all resolve now: they wait for an admin's Release.
func (in *Ingester) HeldUnknownPayees(ctx context.Context) ([]int64, error) {
	var files []struct {
		ID  int64  `db:"id"`
		Raw []byte `db:"raw"`
	}
	if err := in.DB.SelectContext(ctx, &files, `SELECT f.id, f.raw FROM remittance_files f WHERE f.status = $1 AND `+heldSQL+` ORDER BY f.id`,
		StatusUnknownPayee); err != nil {
		return nil, fmt.Errorf("ingest: list held files: %w", err)
	}
	out := []int64{}
	for _, f := range files {
		p := parse(bytes.NewReader(f.Raw), false)
		practices, err := in.resolvePractices(ctx, in.DB, p.heads)
		if err != nil {
			return nil, err
		}
		if statusFor(practices) == StatusIngested {
			out = append(out, f.ID)
		}
	}
	return out, nil
}

// ErrStillUnknown is Release's error for a file that is not waiting for a
// payee, or whose payees do not all resolve yet.
var ErrStillUnknown = errors.New("ingest: the file does not wait for a payee, or its payees are still unknown")

// Release ingests one unknown_payee file whoever uploaded it (an admin's
// decision), if its payees now resolve; ErrStillUnknown otherwise.
func (in *Ingester) Release(ctx context.Context, id int64) (*Result, error) {
	res, err := in.retry(ctx, id)
	if err == nil && res == nil {
		return nil, ErrStillUnknown
	}
	return res, err
}

// retry ingests one unknown_payee file if its payees now resolve; nil when
// they still do not (or another process took it).
func (in *Ingester) retry(ctx context.Context, id int64) (*Result, error) {
	tx, err := pgcopy.Begin(ctx, in.DB)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var raw []byte
	err = tx.Conn.GetContext(ctx, &raw, `SELECT raw FROM remittance_files WHERE id = $1 AND status = $2 FOR UPDATE SKIP LOCKED`, id, StatusUnknownPayee)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ingest: lock file %d: %w", id, err)
	}
	p := parse(bytes.NewReader(raw), false)
	practices, err := in.resolvePractices(ctx, tx.Conn, p.heads)
	if err != nil {
		return nil, err
	}
	if statusFor(practices) != StatusIngested {
		return nil, nil
	}
	dup, err := in.resent(ctx, tx, p.heads, practices)
	if err != nil {
		return nil, err
	}
	if dup != nil {
		// Its payments were posted by another file meanwhile.
		d, _ := json.Marshal([]Problem{*dup})
		if _, err := tx.Conn.ExecContext(ctx, `UPDATE remittance_files SET status = $2, errors = COALESCE(errors, '[]'::jsonb) || $3::jsonb,
			processed_at = now() WHERE id = $1`, id, StatusQuarantined, string(d)); err != nil {
			return nil, fmt.Errorf("ingest: update file %d: %w", id, err)
		}
	} else {
		if _, err := tx.Conn.ExecContext(ctx, `UPDATE remittance_files SET status = $2, processed_at = now() WHERE id = $1`, id, StatusIngested); err != nil {
			return nil, fmt.Errorf("ingest: update file %d: %w", id, err)
		}
		if err := storeRows(ctx, tx, id, bytes.NewReader(raw), p, practices); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("ingest: commit: %w", err)
	}
	res, err := File(ctx, in.DB, id)
	if err != nil {
		return nil, err
	}
	in.stored(res)
	return res, nil
}

// Payee is the payee (N1*PE) of one transaction set of a file and the
// practice it resolved to. NPI and tax id identify a practice, not a
// patient.
type Payee struct {
	Seq        int    `json:"transaction_set"`
	Name       string `json:"name,omitempty"`
	NPI        string `json:"npi,omitempty"`
	TIN        string `json:"tin,omitempty"`
	PracticeID int64  `json:"practice_id,omitempty"` // 0: no registered practice
}

func payeesOf(heads []*x12.Remittance, practices []int64) []Payee {
	out := make([]Payee, len(heads))
	for i, h := range heads {
		out[i] = Payee{Seq: i + 1, Name: h.Payee.Name, NPI: h.Payee.NPI(), TIN: h.Payee.TIN(), PracticeID: practices[i]}
	}
	return out
}

// Hooks let the caller of one Ingest decide whether the file may be stored
// and record that it was (the API puts the uploader's scope check and audit
// row here; the watcher and the command line use none).
type Hooks struct {
	// Accept is asked once the payees of a sound file are resolved (and for
	// a file sent again), before anything is written; an error stops the
	// ingest with nothing stored and is what Ingest returns (a *Refused for
	// payees the caller may not send).
	Accept func(ctx context.Context, payees []Payee) error
	// Stored runs inside the ingest transaction once the file (and its rows)
	// are written, so what it writes commits with them; an error rolls the
	// file back. payees is nil for a quarantined file.
	Stored func(ctx context.Context, tx sqlx.ExecerContext, res *Result, payees []Payee) error
	// Again runs for a file sent again (nothing is stored) once Accept took
	// it, to record the attempt.
	Again func(ctx context.Context, res *Result, payees []Payee) error
}

type hooksKey struct{}

// WithHooks returns ctx carrying h for the Ingest calls made with it.
func WithHooks(ctx context.Context, h Hooks) context.Context {
	return context.WithValue(ctx, hooksKey{}, h)
}

func hooksFrom(ctx context.Context) Hooks {
	h, _ := ctx.Value(hooksKey{}).(Hooks)
	return h
}

// Refused is the error of an Ingest whose Accept hook refused payees of the
// file: nothing was stored.
type Refused struct {
	Payees []Payee // the payees that could not be accepted
	Reason string  // for people; no element values beyond the payee ids
}

func (e *Refused) Error() string { return "ingest: refused: " + e.Reason }

// accept resolves the payees of a parsed file and asks hooks.Accept (when
// set); it returns the payees.
func (in *Ingester) accept(ctx context.Context, hooks Hooks, p *parsed) ([]Payee, error) {
	practices, err := in.resolvePractices(ctx, in.DB, p.heads)
	if err != nil {
		return nil, err
	}
	payees := payeesOf(p.heads, practices)
	if hooks.Accept != nil {
		if err := hooks.Accept(ctx, payees); err != nil {
			return nil, err
		}
	}
	return payees, nil
}

// resolvePractices finds the practice of each transaction set's payee (0
// when unknown).
func (in *Ingester) resolvePractices(ctx context.Context, q sqlx.QueryerContext, heads []*x12.Remittance) ([]int64, error) {
	out := make([]int64, len(heads))
	for i, h := range heads {
		id, err := LookupPractice(ctx, q, h.Payee.NPI(), h.Payee.TIN())
		if err != nil {
			return nil, err
		}
		out[i] = id
	}
	return out, nil
}

// LookupPractice returns the practice with this NPI, else the only practice
// with this tax id, else 0.
func LookupPractice(ctx context.Context, q sqlx.QueryerContext, npi, tin string) (int64, error) {
	var id int64
	if npi != "" {
		err := sqlx.GetContext(ctx, q, &id, `SELECT id FROM practices WHERE npi = $1`, npi)
		if err == nil {
			return id, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("ingest: find practice: %w", err)
		}
	}
	if tin != "" {
		var ids []int64
		if err := sqlx.SelectContext(ctx, q, &ids, `SELECT id FROM practices WHERE tin = $1 LIMIT 2`, tin); err != nil {
			return 0, fmt.Errorf("ingest: find practice: %w", err)
		}
		if len(ids) == 1 {
			return ids[0], nil
		}
	}
	return 0, nil
}

// forEachRecord decodes raw and calls fn for each record; it stops at the
// first error fn returns.
func forEachRecord(raw []byte, fn func(x12.RemitRecord) error) error {
	return forEachRecordIn(bytes.NewReader(raw), fn)
}

// forEachRecordIn is forEachRecord over a reader.
func forEachRecordIn(r io.Reader, fn func(x12.RemitRecord) error) error {
	d := x12.NewRemitReader(r)
	for {
		rec, err := d.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
}
