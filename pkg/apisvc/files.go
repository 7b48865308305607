package apisvc

import (
	"database/sql"
	"errors"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/remitq/remitq/pkg/audit"
	"github.com/remitq/remitq/pkg/auth"
	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/remitstore"
)

// File is a received 835 file (no PHI: counts, status, and errors that
// carry positions, never element values).
type File struct {
	ID              int64         `db:"id" json:"id"`
	Filename        string        `db:"filename" json:"filename"`
	Size            int64         `db:"size" json:"size"`
	ReceivedAt      time.Time     `db:"received_at" json:"received_at"`
	ProcessedAt     *time.Time    `db:"processed_at" json:"processed_at"`
	Status          string        `db:"status" json:"status"`
	PracticeID      *int64        `db:"practice_id" json:"practice_id"`
	PayerID         *int64        `db:"payer_id" json:"payer_id"`
	PayerName       *string       `db:"payer_name" json:"payer_name"`
	PayerCode       *string       `db:"payer_code" json:"payer_code"`
	ISAControl      *string       `db:"isa_control" json:"isa_control"`
	TransactionSets int           `db:"transaction_sets" json:"transaction_sets"`
	Claims          int           `db:"claims" json:"claims"`
	ServiceLines    int           `db:"service_lines" json:"service_lines"`
	Balanced        *bool         `db:"balanced" json:"balanced"`
	TotalPaid       *money.Amount `db:"total_paid" json:"total_paid"`
	BPRAmount       *money.Amount `db:"bpr_amount" json:"bpr_amount"`
	ErrorCount      int           `db:"error_count" json:"error_count"`
	WarningCount    int           `db:"warning_count" json:"warning_count"`
	Errors          jsonRaw       `db:"errors" json:"errors,omitempty"`
	Warnings        jsonRaw       `db:"warnings" json:"warnings,omitempty"`
	// Partial: the file pays practices outside the caller's scope too; the
	// counts and totals are of the caller's parts only.
	Partial bool `db:"partial" json:"partial,omitempty"`
}

const fileCols = `f.id, f.filename, f.size, f.received_at, f.processed_at, f.status, f.practice_id, f.payer_id,
	(SELECT name FROM payers WHERE id = f.payer_id) AS payer_name,
	(SELECT payer_id_code FROM payers WHERE id = f.payer_id) AS payer_code, f.isa_control, f.transaction_sets, f.claims,
	f.service_lines, f.balanced, f.total_paid, f.bpr_amount, jsonb_array_length(f.errors) AS error_count,
	jsonb_array_length(f.warnings) AS warning_count, false AS partial`

// fileColsFor is fileCols as the caller sees the file: for a caller who
// does not see every practice, the counts and totals of the file's parts
// in scope (transaction sets, claims, lines, CLP04 and BPR02 sums), the
// first practice in scope, and no file-level warnings when other
// practices' parts are hidden (they name positions in those parts).
func (c *call) fileColsFor(args *auth.Args) string {
	if c.id.All() {
		return fileCols
	}
	tx := txScopeSQL(c.id, "t.practice_id", args)
	cl := txScopeSQL(c.id, "cp.practice_id", args)
	ln := txScopeSQL(c.id, "l.practice_id", args)
	hidden := `EXISTS (SELECT 1 FROM remittance_transactions t WHERE t.file_id = f.id AND NOT (` + txScopeSQL(c.id, "t.practice_id", args) + `))`
	return `f.id, f.filename, f.size, f.received_at, f.processed_at, f.status,
	(SELECT min(t.practice_id) FROM remittance_transactions t WHERE t.file_id = f.id AND ` + tx + `) AS practice_id, f.payer_id,
	(SELECT name FROM payers WHERE id = f.payer_id) AS payer_name,
	(SELECT payer_id_code FROM payers WHERE id = f.payer_id) AS payer_code, f.isa_control,
	(SELECT count(*) FROM remittance_transactions t WHERE t.file_id = f.id AND ` + tx + `) AS transaction_sets,
	(SELECT count(*) FROM claim_payments cp WHERE cp.file_id = f.id AND ` + cl + `) AS claims,
	(SELECT count(*) FROM service_line_payments l WHERE l.file_id = f.id AND ` + ln + `) AS service_lines,
	f.balanced,
	(SELECT coalesce(sum(cp.paid), 0) FROM claim_payments cp WHERE cp.file_id = f.id AND ` + cl + `) AS total_paid,
	(SELECT coalesce(sum(t.bpr_amount), 0) FROM remittance_transactions t WHERE t.file_id = f.id AND ` + tx + `) AS bpr_amount,
	jsonb_array_length(f.errors) AS error_count,
	CASE WHEN ` + hidden + ` THEN 0 ELSE jsonb_array_length(f.warnings) END AS warning_count,
	` + hidden + ` AS partial`
}

// fileStatuses are the values of remittance_files.status.
var fileStatuses = []string{"processing", "ingested", "quarantined", "unknown_payee"}

var fileSorts = []sortKey{
	{name: "received_at", expr: "f.received_at", typ: "timestamptz"},
	{name: "id", expr: "f.id", typ: "bigint"},
}

// fileInScope checks that the caller sees part of file id.
func (c *call) fileInScope(id int64) error {
	var args auth.Args
	var one int
	err := c.s.db.QueryRowxContext(c.r.Context(), `SELECT 1 FROM remittance_files f WHERE id = `+args.Add(id)+
		` AND `+c.fileScope(&args), args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return errNotFound
	}
	return err
}

// fileScope keeps the files the caller sees part of.
func (c *call) fileScope(args *auth.Args) string { return fileSeenSQL(c.id, "f.id", args) }

// GET /v1/files?status=&practice_id=&payer_id=&received_from=&received_to=
func (c *call) getFiles() error {
	q := c.r.URL.Query()
	p, err := newPager(q, fileSorts...)
	if err != nil {
		return err
	}
	if q.Get("sort") == "" {
		p.desc, p.name = true, "-received_at" // newest first
		if cur := q.Get("cursor"); cur != "" {
			cc, err := decodeCursor(cur)
			if err != nil {
				return err
			}
			if cc.Sort != p.name {
				return badRequest("the cursor belongs to sort %q; repeat that sort or start over", cc.Sort)
			}
			if err := p.sort.checkKey(cc.Key); err != nil {
				return err
			}
			p.after = &cc
		}
	}
	var args auth.Args
	where := []string{c.fileScope(&args)}
	if v := q.Get("status"); v != "" {
		if !contains(fileStatuses, v) {
			return badRequest("status must be one of %s", strings.Join(fileStatuses, ", "))
		}
		where = append(where, "f.status = "+args.Add(v))
	}
	if v := q.Get("practice_id"); v != "" {
		n, err := parseID(v, "practice_id")
		if err != nil {
			return err
		}
		where = append(where, "EXISTS (SELECT 1 FROM remittance_transactions pt WHERE pt.file_id = f.id AND pt.practice_id = "+args.Add(n)+")")
	}
	if v := q.Get("payer_id"); v != "" {
		n, err := parseID(v, "payer_id")
		if err != nil {
			return err
		}
		where = append(where, "f.payer_id = "+args.Add(n))
	}
	// balanced=false is the posting team's exception list: remittances
	// whose BPR02 is not the claim payments less the PLB adjustments, which
	// cannot be reconciled to the deposit as they are.
	switch q.Get("balanced") {
	case "":
	case "false":
		where = append(where, "f.balanced = false")
	case "true":
		where = append(where, "f.balanced = true")
	default:
		return badRequest("balanced must be true or false")
	}
	for _, f := range []struct{ param, op string }{{"received_from", ">="}, {"received_to", "<"}} {
		if v := q.Get(f.param); v != "" {
			t, err := parseTime(v)
			if err != nil {
				return badRequest("%s must be a date or an RFC 3339 time", f.param)
			}
			where = append(where, "f.received_at "+f.op+" "+args.Add(t))
		}
	}
	if k := p.where("f.id", &args); k != "" {
		where = append(where, k)
	}
	var rows []struct {
		K string `db:"k"`
		File
	}
	cols := c.fileColsFor(&args)
	if err := c.s.db.SelectContext(c.r.Context(), &rows, "SELECT "+p.keyCol()+" AS k, "+cols+
		", NULL::jsonb AS errors, NULL::jsonb AS warnings FROM remittance_files f WHERE "+strings.Join(where, " AND ")+p.orderLimit("f.id"), args...); err != nil {
		return err
	}
	n, next := p.next(len(rows), func(i int) (string, int64) { return rows[i].K, rows[i].ID })
	out := Page[File]{Items: make([]File, n), NextCursor: next}
	for i := range n {
		out.Items[i] = rows[i].File
	}
	if err := c.auditList("file.list", "remittance_file", func(i int) int64 {
		if rows[i].PracticeID == nil {
			return 0
		}
		return *rows[i].PracticeID
	}, func(i int) int64 { return rows[i].ID }, n, nil); err != nil {
		return err
	}
	return c.json(http.StatusOK, out)
}

func parseTime(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		if t.UTC().Year() < 1 || t.Year() < 1 {
			return parseDate("0000-01-01") // the same refusal
		}
		return t, nil
	}
	return parseDate(v)
}

// FileDetail is a file with its errors and transaction sets.
type FileDetail struct {
	File
	Transactions []Transaction `json:"transactions"`
}

// Transaction is one ST..SE payment of a file.
type Transaction struct {
	ID         int64   `db:"id" json:"id"`
	Seq        int     `db:"seq" json:"seq"`
	PracticeID int64   `db:"practice_id" json:"practice_id"`
	PayerID    *int64  `db:"payer_id" json:"payer_id"`
	PayerName  *string `db:"payer_name" json:"payer_name"`
	PayerCode  *string `db:"payer_id_code" json:"payer_code"`
	// PayerIDCode is PayerCode under its old name (deprecated, one release).
	PayerIDCode   *string       `db:"-" json:"payer_id_code"`
	BPRAmount     *money.Amount `db:"bpr_amount" json:"bpr_amount"`
	PaymentMethod *string       `db:"payment_method" json:"payment_method"`
	TraceNumber   *string       `db:"trace_number" json:"trace_number"`
	PaymentDate   day.Day       `db:"payment_date" json:"payment_date"`
}

// GET /v1/files/{id}
func (c *call) getFile() error {
	id, err := c.pathID("id")
	if err != nil {
		return err
	}
	var args auth.Args
	var d FileDetail
	cols := c.fileColsFor(&args)
	err = c.s.db.GetContext(c.r.Context(), &d.File, "SELECT "+cols+", f.errors, f.warnings FROM remittance_files f WHERE f.id = "+
		args.Add(id)+" AND "+c.fileScope(&args), args...)
	if errors.Is(err, sql.ErrNoRows) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	if d.Partial {
		d.Warnings = jsonRaw("[]")
	}
	d.Transactions = []Transaction{}
	var targs auth.Args
	if err := c.s.db.SelectContext(c.r.Context(), &d.Transactions, `SELECT id, seq, practice_id, payer_id, payer_name, payer_id_code, bpr_amount,
		payment_method, trace_number, payment_date FROM remittance_transactions t WHERE file_id = `+targs.Add(id)+
		` AND `+txScopeSQL(c.id, "t.practice_id", &targs)+` ORDER BY seq`, targs...); err != nil {
		return err
	}
	for i := range d.Transactions {
		d.Transactions[i].PayerIDCode = d.Transactions[i].PayerCode
	}
	return c.json(http.StatusOK, d)
}

// GET /v1/files/{id}/raw: the file as received (PHI, audited), only to a
// caller who sees every practice the file pays: the bytes hold them all.
func (c *call) getFileRaw() error {
	id, err := c.pathID("id")
	if err != nil {
		return err
	}
	var args auth.Args
	var raw []byte
	var name string
	var practices pq.Int64Array
	err = c.s.db.QueryRowxContext(c.r.Context(), "SELECT raw, filename, ARRAY(SELECT DISTINCT t.practice_id FROM remittance_transactions t WHERE t.file_id = f.id ORDER BY 1) FROM remittance_files f WHERE f.id = "+
		args.Add(id)+" AND "+fileCoveredSQL(c.id, "f.id", &args), args...).Scan(&raw, &name, &practices)
	if errors.Is(err, sql.ErrNoRows) {
		if err := c.fileInScope(id); err != nil {
			return err
		}
		return errf(http.StatusForbidden, "partial_file", "the file pays practices outside your scope too; its parts are in GET /v1/files/%d/claims", id)
	}
	if err != nil {
		return err
	}
	var entries []auditEntry
	for _, p := range practices {
		entries = append(entries, c.entry("file.download", "remittance_file", id, p, map[string]any{"bytes": len(raw), "practice_ids": []int64(practices)}))
	}
	if len(entries) == 0 {
		entries = append(entries, c.entry("file.download", "remittance_file", id, 0, map[string]any{"bytes": len(raw)}))
	}
	if err := c.audit(entries...); err != nil {
		return err
	}
	if name == "" {
		name = "remittance-" + strconv.FormatInt(id, 10) + ".835"
	}
	c.w.Header().Set("Content-Type", "application/edi-x12")
	c.w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	c.w.Header().Set("Content-Length", strconv.Itoa(len(raw)))
	c.w.Header().Set("Cache-Control", "no-store")
	c.w.WriteHeader(http.StatusOK)
	_, _ = c.w.Write(raw)
	return nil
}

// POST /v1/files/{id}/release (admins): ingest one file kept for an
// unknown payee that resolves now, whoever uploaded it (files_held of
// POST /v1/practices). Audited.
func (c *call) postFileRelease() error {
	if !c.id.All() {
		return errForbidden
	}
	id, err := c.pathID("id")
	if err != nil {
		return err
	}
	ctx := c.r.Context()
	f, err := remitstore.File(ctx, c.s.db, id)
	if errors.Is(err, remitstore.ErrNotFound) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	res, released := f, false
	if f.Status != remitstore.StatusIngested { // else released already (or never held): nothing twice
		in := &remitstore.Ingester{DB: c.s.db, Log: c.s.log}
		res, err = in.Release(ctx, id)
		if errors.Is(err, remitstore.ErrStillUnknown) {
			return errf(http.StatusConflict, "not_held", "file %d does not wait for a payee, or its payees are still unknown", id)
		}
		if err != nil {
			return err
		}
		released = true
	}
	var practices []int64
	if err := c.s.db.SelectContext(ctx, &practices, `SELECT DISTINCT practice_id FROM remittance_transactions WHERE file_id = $1 ORDER BY 1`, id); err != nil {
		return err
	}
	if len(practices) == 0 {
		practices = []int64{0}
	}
	var entries []audit.Entry
	for _, p := range practices {
		entries = append(entries, c.entry("file.release", "remittance_file", id, p, map[string]any{"status": res.Status, "practice_ids": practices,
			"released": released}))
	}
	if err := c.audit(entries...); err != nil {
		return err
	}
	return c.json(http.StatusOK, map[string]any{"file_id": res.FileID, "status": res.Status, "released": released})
}
