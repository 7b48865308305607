package ackstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/remitstore"
	"github.com/remitq/remitq/pkg/store"
	"github.com/remitq/remitq/pkg/workstore"
)

// File statuses (ack_files.status).
const (
	StatusIngested    = "ingested"
	StatusQuarantined = "quarantined"
)

// Work item facts of a rejection.
const (
	ItemKind        = "rejection"
	ItemDisposition = "rejected"
	ItemCategory    = "rejection"
)

// Result is what Ingest reports for one file. It holds no PHI: counts,
// ids and positions.
type Result struct {
	FileID      int64     `json:"file_id"`
	SHA256      string    `json:"sha256"`
	Filename    string    `json:"filename"`
	Kind        string    `json:"kind"`
	Status      string    `json:"status"`
	Duplicate   bool      `json:"duplicate"` // the same bytes were received before; nothing changed
	Claims      int       `json:"claims"`    // claim verdicts
	Rejected    int       `json:"rejected"`
	Unmatched   int       `json:"unmatched"` // verdicts naming no billed claim of the uploader's practices
	PracticeIDs []int64   `json:"practice_ids"`
	WorkItems   []int64   `json:"work_items"` // rejection items opened, updated or resolved
	Errors      []Problem `json:"errors"`
	Warnings    []Problem `json:"warnings"`
}

// Options are the caller's part of an ingest.
type Options struct {
	Filename   string
	UploadedBy int64 // users.id; 0 from the CLI
	// Sees reports whether the uploader sees a practice whole; nil: every
	// practice (an admin, the CLI).
	Sees func(practice int64) bool
	// Refused is called before a file naming claims of practices out of
	// scope is refused (to audit it); nothing is stored.
	Refused func(ctx context.Context, practices []int64) error
	// Stored is called in the transaction that stores a new file (its
	// audit rows commit with it); Again when the same bytes come back.
	Stored func(ctx context.Context, tx sqlx.ExecerContext, res *Result) error
	Again  func(ctx context.Context, res *Result) error
	// Day is the acknowledgment date of the claims ("YYYY-MM-DD");
	// "": the day the file is received (UTC).
	Day string
}

// RefusedError refuses a file that names claims of practices the uploader
// does not see; it never says which.
type RefusedError struct{ Claims int }

func (e *RefusedError) Error() string {
	return "the file names claims of practices outside your scope; nothing was stored"
}

// billedRef is a billed claim a verdict links to.
type billedRef struct {
	ID, Practice int64
	Provider     string
	Payer        sql.NullInt64
	Charge       money.Amount
	Service      string
}

// Ingest stores one 999 or 277CA file; see the package documentation. The
// error is a *RefusedError, a *store.OutageError, or nil with the Result.
func Ingest(ctx context.Context, db *sqlx.DB, raw []byte, o Options) (*Result, error) {
	sum := sha256.Sum256(raw)
	p := parse(raw)
	bad, err := remitstore.ByteProblems(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	if len(bad) > 0 {
		// Text PostgreSQL cannot hold (NUL, not UTF-8): none of the file's
		// claims is used; it is kept, quarantined, with where the bytes are.
		p.verdicts = nil
		p.errors = append(p.errors, fromIngest(bad)...)
	}
	links, refused, ambiguous, err := resolve(ctx, db, p.verdicts, o.Sees)
	if err != nil {
		return nil, store.Outage(err)
	}
	if len(refused) > 0 {
		if o.Refused != nil {
			if err := o.Refused(ctx, refused); err != nil {
				return nil, store.Outage(err)
			}
		}
		return nil, &RefusedError{Claims: len(p.verdicts)}
	}
	if r, err := existing(ctx, db, sum[:]); err != nil || r != nil {
		if err == nil && o.Again != nil {
			err = o.Again(ctx, r)
		}
		return r, store.Outage(err)
	}
	res := &Result{SHA256: hex.EncodeToString(sum[:]), Filename: remitstore.SafeText(o.Filename), Kind: p.kind,
		Errors: p.errors, Warnings: p.warnings, PracticeIDs: []int64{}, WorkItems: []int64{}}
	if res.Filename == "" {
		res.Filename = "upload"
	}
	if ambiguous > 0 {
		res.Warnings = append(res.Warnings, Problem{Message: strconv.Itoa(ambiguous) +
			" claims match billed claims of several of your practices by CLM01 and are kept unlinked"})
	}
	err = storeFile(ctx, db, raw, p, links, res, o)
	if err != nil && !store.Transient(err) && !errors.Is(err, errAgain) {
		// The data was refused by PostgreSQL: keep the file, quarantined.
		res.Errors = append(res.Errors, storeProblem(err))
		res.Claims, res.Rejected, res.Unmatched, res.PracticeIDs, res.WorkItems = 0, 0, 0, []int64{}, []int64{}
		err = storeFile(ctx, db, raw, p, nil, res, o)
	}
	if errors.Is(err, errAgain) { // the same bytes were stored meanwhile
		r, err := existing(ctx, db, sum[:])
		if err == nil && r != nil && o.Again != nil {
			err = o.Again(ctx, r)
		}
		return r, store.Outage(err)
	}
	if err != nil {
		return nil, store.Outage(err)
	}
	return res, nil
}

var errAgain = errors.New("ackstore: the file was stored meanwhile")

// resolve links each verdict's CLM01 to a billed claim: the original
// (frequency 1, else the first loaded) of the one practice the uploader
// sees that has the CLM01. A CLM01 only other practices have makes the
// file refused (refused: those practices); one several of the uploader's
// practices have stays unlinked (ambiguous).
func resolve(ctx context.Context, db *sqlx.DB, vs []Verdict, sees func(int64) bool) (map[string]*billedRef, []int64, int, error) {
	var pcns []string
	for _, v := range vs {
		if v.PatientControlNumber != "" && !slices.Contains(pcns, v.PatientControlNumber) {
			pcns = append(pcns, v.PatientControlNumber)
		}
	}
	links := map[string]*billedRef{}
	if len(pcns) == 0 {
		return links, nil, 0, nil
	}
	rows, err := db.QueryxContext(ctx, `SELECT DISTINCT ON (patient_control_number, practice_id) patient_control_number, id, practice_id,
		coalesce(rendering_npi, ''), payer_id, total_charge, coalesce(service_date_from::text, '')
		FROM billed_claims WHERE patient_control_number = ANY($1)
		ORDER BY patient_control_number, practice_id, (frequency_code = '1') DESC, id`, pq.Array(pcns))
	if err != nil {
		return nil, nil, 0, fmt.Errorf("ackstore: billed claims: %w", err)
	}
	defer rows.Close()
	mine := map[string][]*billedRef{}
	foreign := map[string][]int64{}
	for rows.Next() {
		var pcn string
		b := &billedRef{}
		if err := rows.Scan(&pcn, &b.ID, &b.Practice, &b.Provider, &b.Payer, &b.Charge, &b.Service); err != nil {
			return nil, nil, 0, fmt.Errorf("ackstore: billed claims: %w", err)
		}
		if sees == nil || sees(b.Practice) {
			mine[pcn] = append(mine[pcn], b)
		} else {
			foreign[pcn] = append(foreign[pcn], b.Practice)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, 0, fmt.Errorf("ackstore: billed claims: %w", err)
	}
	var refused []int64
	ambiguous := 0
	for _, pcn := range pcns {
		switch m := mine[pcn]; {
		case len(m) == 1:
			links[pcn] = m[0]
		case len(m) > 1:
			ambiguous++
		case len(foreign[pcn]) > 0:
			for _, p := range foreign[pcn] {
				if !slices.Contains(refused, p) {
					refused = append(refused, p)
				}
			}
		}
	}
	return links, refused, ambiguous, nil
}

// existing returns the stored result of the file with this sha256, or nil.
func existing(ctx context.Context, db *sqlx.DB, sum []byte) (*Result, error) {
	r := &Result{Duplicate: true, WorkItems: []int64{}}
	var errs, warns []byte
	var pids pq.Int64Array
	err := db.QueryRowxContext(ctx, `SELECT id, filename, kind, status, claims, rejected, unmatched, practice_ids, errors, warnings
		FROM ack_files WHERE sha256 = $1`, sum).Scan(&r.FileID, &r.Filename, &r.Kind, &r.Status, &r.Claims, &r.Rejected,
		&r.Unmatched, &pids, &errs, &warns)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ackstore: read file: %w", err)
	}
	r.SHA256, r.PracticeIDs = hex.EncodeToString(sum), []int64(pids)
	if r.PracticeIDs == nil {
		r.PracticeIDs = []int64{}
	}
	if err := json.Unmarshal(errs, &r.Errors); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(warns, &r.Warnings); err != nil {
		return nil, err
	}
	return r, nil
}

// storeFile writes the file (and, unless it is quarantined or links is nil,
// its claims and work items) in one transaction.
func storeFile(ctx context.Context, db *sqlx.DB, raw []byte, p *parsed, links map[string]*billedRef, res *Result, o Options) error {
	if len(res.Errors) > 0 {
		res.Status = StatusQuarantined
	} else {
		res.Status = StatusIngested
	}
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	errs, _ := json.Marshal(res.Errors)
	warns, _ := json.Marshal(res.Warnings)
	var up sql.NullInt64
	if o.UploadedBy != 0 {
		up = sql.NullInt64{Int64: o.UploadedBy, Valid: true}
	}
	err = tx.QueryRowxContext(ctx, `INSERT INTO ack_files (sha256, filename, kind, status, size, raw, errors, warnings, uploaded_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (sha256) DO NOTHING RETURNING id`,
		mustHex(res.SHA256), res.Filename, res.Kind, res.Status, len(raw), raw, errs, warns, up).Scan(&res.FileID)
	if errors.Is(err, sql.ErrNoRows) {
		return errAgain
	}
	if err != nil {
		return err
	}
	if res.Status == StatusIngested && links != nil {
		if err := storeClaims(ctx, tx, p, links, res, o); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE ack_files SET claims = $2, rejected = $3, unmatched = $4, practice_ids = $5 WHERE id = $1`,
		res.FileID, res.Claims, res.Rejected, res.Unmatched, pq.Array(res.PracticeIDs)); err != nil {
		return err
	}
	if o.Stored != nil {
		if err := o.Stored(ctx, tx, res); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func mustHex(s string) []byte {
	b, _ := hex.DecodeString(s)
	return b
}

// storeClaims writes the claim verdicts and the rejection work items: one
// item per billed claim (rejection:<id>), created by its first rejection,
// updated by the same rejection again, reopened by a rejection after it
// was resolved, and resolved by a 277CA accepting the claim (A1/A2).
func storeClaims(ctx context.Context, tx *sqlx.Tx, p *parsed, links map[string]*billedRef, res *Result, o Options) error {
	wtx := &workstore.Tx{Tx: tx}
	var keys []string
	for _, v := range p.verdicts {
		if b := links[v.PatientControlNumber]; b != nil && v.PatientControlNumber != "" {
			if k := itemKey(b.ID); !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	slices.Sort(keys)
	if err := wtx.LockKeys(ctx, keys); err != nil {
		return err
	}
	items, err := wtx.LoadItems(ctx, keys)
	if err != nil {
		return err
	}
	type change struct {
		it     *workstore.Item
		action string
		from   string
		detail map[string]any
	}
	var created []*workstore.Item
	var changes []change
	isNew := map[*workstore.Item]bool{}
	itemOf := make([]*workstore.Item, len(p.verdicts))
	for i := range p.verdicts {
		v := &p.verdicts[i]
		res.Claims++
		if v.Rejected() {
			res.Rejected++
		}
		b := links[v.PatientControlNumber]
		if b == nil || v.PatientControlNumber == "" {
			res.Unmatched++
			continue
		}
		if !slices.Contains(res.PracticeIDs, b.Practice) {
			res.PracticeIDs = append(res.PracticeIDs, b.Practice)
		}
		k := itemKey(b.ID)
		it := items[k]
		detail := map[string]any{"ack_file_id": res.FileID, "source": v.Source, "segment": v.Segment, "category": v.Category}
		switch {
		case v.Rejected() && it == nil:
			it = newItem(k, b, v)
			items[k] = it
			isNew[it] = true
			created = append(created, it)
			changes = append(changes, change{it, "created", "", detail})
		case v.Rejected():
			text, action := StatusText(v), Fix(v)
			from := it.Status
			if it.Status == "resolved" || it.Status == "written_off" {
				it.Status, it.Resolution, it.ResolvedNow = "new", "", false
				it.Dirty, it.Bump = true, true
				changes = append(changes, change{it, "reopened", from, detail})
			}
			if it.Text != text || it.Action != action || it.PayerControl != v.PayerClaimNumber && v.PayerClaimNumber != "" {
				it.Text, it.Action = text, action
				if v.PayerClaimNumber != "" {
					it.PayerControl = v.PayerClaimNumber
				}
				it.Dirty, it.Bump = true, true
				changes = append(changes, change{it, "updated", "", detail})
			}
		case it != nil && v.Source == Kind277CA && AcceptedCategory(v.Category) && it.Status != "resolved" && it.Status != "written_off":
			from := it.Status
			it.Status, it.Resolution, it.ResolvedNow = "resolved", "accepted", true
			it.Dirty, it.Bump = true, true
			changes = append(changes, change{it, "resolved", from, detail})
		}
		itemOf[i] = it
	}
	if err := wtx.InsertItems(ctx, created); err != nil {
		return err
	}
	var dirty []*workstore.Item
	for _, k := range keys {
		if it := items[k]; it != nil && it.Dirty && !isNew[it] {
			dirty = append(dirty, it)
		}
	}
	if err := wtx.UpdateItems(ctx, dirty); err != nil {
		return err
	}
	var events []*workstore.Event
	for _, c := range changes {
		e := &workstore.Event{Item: c.it, Action: c.action, Detail: c.detail}
		if c.action != "updated" {
			e.From, e.To = c.from, c.it.Status
		}
		events = append(events, e)
		if !slices.Contains(res.WorkItems, c.it.ID) {
			res.WorkItems = append(res.WorkItems, c.it.ID)
		}
	}
	if err := wtx.InsertEvents(ctx, events); err != nil {
		return err
	}
	// The verdicts, each with its practice (NULL: no billed claim).
	n := len(p.verdicts)
	segs, offs := make([]int64, n), make([]int64, n)
	srcs, pcns, gcs, scs, brs, pcs, chs, cats, ents := make([]string, n), make([]string, n), make([]string, n), make([]string, n),
		make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	sts, lines := make([]string, n), make([]string, n)
	acc := make([]bool, n)
	prs, bcs, wis := make([]sql.NullInt64, n), make([]sql.NullInt64, n), make([]sql.NullInt64, n)
	for i := range p.verdicts {
		v := &p.verdicts[i]
		segs[i], offs[i], srcs[i], acc[i] = int64(v.Segment), v.Offset, v.Source, v.Accepted
		pcns[i], gcs[i], scs[i], brs[i] = v.PatientControlNumber, v.GroupControl, v.SetControl, v.BatchReference
		pcs[i], chs[i], cats[i], ents[i] = v.PayerClaimNumber, v.ClearinghouseTrace, v.Category, v.Entity
		sts[i], lines[i] = arrayLiteral(v.Statuses), arrayLiteral(v.Lines)
		if b := links[v.PatientControlNumber]; b != nil && v.PatientControlNumber != "" {
			prs[i] = sql.NullInt64{Int64: b.Practice, Valid: true}
			bcs[i] = sql.NullInt64{Int64: b.ID, Valid: true}
		}
		if it := itemOf[i]; it != nil {
			wis[i] = sql.NullInt64{Int64: it.ID, Valid: true}
		}
	}
	if n == 0 {
		return nil
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO ack_claims (file_id, segment_index, byte_offset, source, accepted, practice_id,
		billed_claim_id, patient_control_number, group_control, set_control, batch_reference, payer_claim_number,
		clearinghouse_trace, category, statuses, entity, lines, work_item_id, acknowledged_on)
		SELECT $1, u.seg, u.off, u.src, u.acc, u.pr, u.bc, u.pcn, u.gc, u.sc, u.br, u.pc, u.ch, u.cat, u.sts::text[], u.ent,
			u.lines::text[], u.wi, COALESCE(NULLIF($2, '')::date, (now() AT TIME ZONE 'UTC')::date)
		FROM unnest($3::bigint[], $4::bigint[], $5::text[], $6::boolean[], $7::bigint[], $8::bigint[], $9::text[], $10::text[],
			$11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::bigint[])
			AS u(seg, off, src, acc, pr, bc, pcn, gc, sc, br, pc, ch, cat, sts, ent, lines, wi)
		ON CONFLICT (file_id, segment_index, patient_control_number) DO NOTHING`,
		res.FileID, o.Day, pq.Array(segs), pq.Array(offs), pq.Array(srcs), pq.Array(acc), pq.Array(prs), pq.Array(bcs),
		pq.Array(pcns), pq.Array(gcs), pq.Array(scs), pq.Array(brs), pq.Array(pcs), pq.Array(chs), pq.Array(cats),
		pq.Array(sts), pq.Array(ents), pq.Array(lines), pq.Array(wis))
	if err != nil {
		return fmt.Errorf("ackstore: claims: %w", err)
	}
	return nil
}

// arrayLiteral is a text[] literal of list.
func arrayLiteral(list []string) string {
	b, _ := pq.Array(list).Value()
	s, _ := b.(string)
	if s == "" {
		return "{}"
	}
	return s
}

func itemKey(billed int64) string { return "rejection:" + strconv.FormatInt(billed, 10) }

func newItem(key string, b *billedRef, v *Verdict) *workstore.Item {
	it := &workstore.Item{Key: key, Practice: b.Practice, Provider: b.Provider, PayerID: b.Payer, Kind: ItemKind,
		Disposition: ItemDisposition, Category: ItemCategory, BilledClaimID: sql.NullInt64{Int64: b.ID, Valid: true},
		PatientControl: v.PatientControlNumber, PayerControl: v.PayerClaimNumber, Text: StatusText(v), Action: Fix(v),
		Rule: "ack:" + v.Source, Billed: b.Charge, AtRisk: b.Charge, Status: "new", Priority: priority(b.Charge)}
	if d, err := day.Parse(b.Service); err == nil {
		it.ServiceDate = d
	}
	return it
}

// priority puts rejections ahead by their charge: a rejected claim is
// unpaid until it is resubmitted, and its filing window runs.
func priority(charge money.Amount) int {
	p := charge.Cents() / 100
	if p > 1_000_000 {
		p = 1_000_000
	}
	return int(p) + 1000
}
