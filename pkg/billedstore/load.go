package billedstore

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/remitq/remitq/pkg/billed"
	"github.com/remitq/remitq/pkg/pgcopy"
	"github.com/remitq/remitq/pkg/rules"
	"github.com/remitq/remitq/pkg/rulesstore"
	"github.com/remitq/remitq/x12"
)

// RetrySubject is the core NATS subject a load publishes on (best effort,
// no body) after it marked waiting paid claims for a retry: it wakes the
// matchers' retry workers, which also poll.
const RetrySubject = "remitq.match.retry"

// Store loads and reads billed claims. It is safe for concurrent use.
type Store struct {
	DB *sqlx.DB
	// NC, when set, gets a message on RetrySubject after a load marked
	// paid claims for a retry.
	NC  *nats.Conn
	Log *zap.Logger
	// Keyer makes the claims' patient keys (billed_claims.patient_key), by
	// which the pain rules find a patient's history at every practice; nil:
	// rulesstore.DefaultKeyer(), and no keys when no secret is configured. A
	// claim loaded again unchanged gets its key when it has none.
	Keyer *rules.Keyer
}

// analyzeAfter is the number of claims loaded at once after which the
// billed tables' statistics are refreshed.
const analyzeAfter = 1000

// Result is what a load did.
type Result struct {
	Source    string    `json:"source"`
	Filename  string    `json:"filename,omitempty"`
	Claims    int       `json:"claims"`    // claims read from the file
	Lines     int       `json:"lines"`     // their lines
	Loaded    int       `json:"loaded"`    // claims stored now
	Unchanged int       `json:"unchanged"` // claims stored before with the same content
	Rejected  int       `json:"rejected"`  // claims refused (see Problems)
	Retries   int       `json:"retries"`   // waiting paid claims (and PLB pairs) marked for a new match
	Problems  []Problem `json:"problems"`
}

// LoadFile parses and loads one file (see Parse and Load).
func (s *Store) LoadFile(ctx context.Context, name string, raw []byte, actor string) (*Result, error) {
	in, err := Parse(name, raw)
	if err != nil {
		return nil, err
	}
	return s.Load(ctx, in, actor)
}

// DBTX is what the readers and writers need of a connection or transaction.
type DBTX interface {
	sqlx.QueryerContext
	sqlx.ExecerContext
}

// PracticeLockKey is the advisory lock key of a practice's billed claims:
// a load holds it exclusively, the matcher shares it while it looks up
// billed claims and records paid claims, so a paid claim recorded as
// waiting is always seen by the load that brings its billed claim.
func PracticeLockKey(practiceID int64) int64 { return int64(0x726d71)<<40 | practiceID }

// LockPractices takes the transaction-level advisory locks of practices, in
// order, exclusively or shared.
func LockPractices(ctx context.Context, q sqlx.ExecerContext, ids []int64, exclusive bool) error {
	keys := make([]int64, 0, len(ids))
	for _, id := range ids {
		keys = append(keys, PracticeLockKey(id))
	}
	return LockKeys(ctx, q, keys, exclusive)
}

// LockKeys takes transaction-level advisory locks on keys in ascending
// order (so two transactions never deadlock on them).
func LockKeys(ctx context.Context, q sqlx.ExecerContext, keys []int64, exclusive bool) error {
	if len(keys) == 0 {
		return nil
	}
	keys = slices.Clone(keys)
	slices.Sort(keys)
	keys = slices.Compact(keys)
	fn := "pg_advisory_xact_lock_shared"
	if exclusive {
		fn = "pg_advisory_xact_lock"
	}
	if _, err := q.ExecContext(ctx, `SELECT `+fn+`(k) FROM unnest($1::bigint[]) AS k`, pq.Array(keys)); err != nil {
		return fmt.Errorf("billing: advisory locks: %w", err)
	}
	return nil
}

// practiceMap resolves practice keys (NPI, else tax id, as 835 payees name
// them) to practice ids.
type practiceMap struct {
	byNPI map[string]int64
	byTIN map[string][]int64
}

func loadPractices(ctx context.Context, q sqlx.QueryerContext) (*practiceMap, error) {
	rows, err := q.QueryxContext(ctx, `SELECT id, coalesce(npi, ''), coalesce(tin, '') FROM practices`)
	if err != nil {
		return nil, fmt.Errorf("billing: practices: %w", err)
	}
	defer rows.Close()
	m := &practiceMap{byNPI: map[string]int64{}, byTIN: map[string][]int64{}}
	for rows.Next() {
		var id int64
		var npi, tin string
		if err := rows.Scan(&id, &npi, &tin); err != nil {
			return nil, err
		}
		if npi != "" {
			m.byNPI[npi] = id
		}
		if tin != "" {
			m.byTIN[tin] = append(m.byTIN[tin], id)
		}
	}
	return m, rows.Err()
}

// resolve finds the practice of a claim: its practice key as an NPI or a
// tax id, else its billing NPI or tax id.
func (m *practiceMap) resolve(c *billed.Claim) int64 {
	for _, k := range []string{c.Practice, c.BillingNPI} {
		if id, ok := m.byNPI[k]; ok && k != "" {
			return id
		}
	}
	for _, k := range []string{c.Practice, c.BillingTIN} {
		if ids := m.byTIN[k]; len(ids) == 1 && k != "" {
			return ids[0]
		}
	}
	return 0
}

// contentHash fingerprints what was billed, not where it was loaded from.
func contentHash(c *billed.Claim) []byte {
	cc := *c
	cc.ID, cc.Source = 0, ""
	cc.Lines = slices.Clone(c.Lines)
	for i := range cc.Lines {
		cc.Lines[i].ID = 0
	}
	b, _ := json.Marshal(&cc)
	h := sha256.Sum256(b)
	return h[:]
}

type naturalKey struct {
	practice     int64
	pcn, src, fq string
}

type existing struct {
	id    int64
	hash  []byte
	keyed bool // has a patient key
}

// Load stores the claims of in, in one transaction. Claims already stored
// with the same content count as unchanged; claims whose practice is not
// registered, or stored before under the same key with other content, are
// rejected with a problem; the others are stored. The error is for the
// database, never for the file.
func (s *Store) Load(ctx context.Context, in *Input, actor string) (*Result, error) {
	res := &Result{Source: in.Source, Filename: in.Filename, Claims: len(in.Claims), Problems: append([]Problem{}, in.Problems...)}
	for _, c := range in.Claims {
		res.Lines += len(c.Lines)
	}
	pm, err := loadPractices(ctx, s.DB)
	if err != nil {
		return nil, err
	}
	practiceOf := make([]int64, len(in.Claims))
	var practiceIDs []int64
	for i, c := range in.Claims {
		id := pm.resolve(c)
		practiceOf[i] = id
		if id == 0 {
			res.Problems = append(res.Problems, in.problemFor(i, "unknown_practice",
				"the claim's practice (billing NPI or tax id) is not registered: add it with remitq practices add"))
			res.Rejected++
			continue
		}
		if !slices.Contains(practiceIDs, id) {
			practiceIDs = append(practiceIDs, id)
		}
	}

	tx, err := pgcopy.Begin(ctx, s.DB)
	if err != nil {
		return nil, fmt.Errorf("billing: begin: %w", err)
	}
	defer tx.Rollback()
	if err := LockPractices(ctx, tx.Conn, practiceIDs, true); err != nil {
		return nil, err
	}
	have, versions, err := s.existing(ctx, tx.Conn, in, practiceOf)
	if err != nil {
		return nil, err
	}
	keys, err := s.patientKeys(in)
	if err != nil {
		return nil, err
	}
	var (
		newIdx   []int
		hashes   = map[int][]byte{}
		backfill []existing
	)
	for i, c := range in.Claims {
		if practiceOf[i] == 0 {
			continue
		}
		k := naturalKey{practiceOf[i], c.PatientControl, in.Source, normalFrequency(c.FrequencyCode)}
		h := contentHash(c)
		if e, ok := have[k]; ok {
			if string(e.hash) == string(h) {
				res.Unchanged++
				if keys[i] != nil && e.id != 0 && !e.keyed {
					backfill = append(backfill, existing{id: e.id, hash: keys[i]})
				}
			} else {
				res.Rejected++
				res.Problems = append(res.Problems, in.problemFor(i, "changed",
					"a claim with this CLM01 and frequency code was loaded before with other content; send the correction as a replacement claim (frequency code 7)"))
			}
			continue
		}
		have[k] = existing{hash: h}
		hashes[i] = h
		newIdx = append(newIdx, i)
	}
	if err := fillKeys(ctx, tx.Conn, backfill); err != nil {
		return nil, err
	}
	if len(newIdx) > 0 {
		if err := s.insert(ctx, tx, in, newIdx, practiceOf, hashes, keys, versions); err != nil {
			return nil, err
		}
		res.Loaded = len(newIdx)
		var list []*billed.Claim
		var prs []int64
		for _, i := range newIdx {
			list = append(list, in.Claims[i])
			prs = append(prs, practiceOf[i])
		}
		if res.Retries, err = markRetries(ctx, tx.Conn, list, prs); err != nil {
			return nil, err
		}
	}
	if err := audit(ctx, tx.Conn, actor, "claims.load", "billed_claims", practiceIDs, map[string]any{
		"source": in.Source, "claims": res.Claims, "loaded": res.Loaded, "unchanged": res.Unchanged,
		"rejected": res.Rejected, "problems": len(res.Problems)}); err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("billing: commit: %w", err)
	}
	if res.Loaded >= analyzeAfter {
		// Fresh statistics keep the matcher's lookups on their indexes.
		if _, err := s.DB.ExecContext(ctx, `ANALYZE billed_claims, billed_lines`); err != nil {
			s.log().Warn("analyze billed claims", zap.Error(err))
		}
	}
	if res.Retries > 0 && s.NC != nil {
		_ = s.NC.Publish(RetrySubject, nil)
	}
	s.log().Info("billed claims loaded", zap.String("source", in.Source), zap.Int("claims", res.Claims),
		zap.Int("loaded", res.Loaded), zap.Int("unchanged", res.Unchanged), zap.Int("rejected", res.Rejected),
		zap.Int("retries", res.Retries))
	return res, nil
}

func (s *Store) log() *zap.Logger {
	if s.Log == nil {
		return zap.NewNop()
	}
	return s.Log
}

// existing returns the stored claims under the natural keys of in, and the
// newest stored version (id) of each practice + CLM01.
func (s *Store) existing(ctx context.Context, q sqlx.QueryerContext, in *Input, practiceOf []int64) (map[naturalKey]existing, map[[2]string]int64, error) {
	var prs []int64
	var pcns []string
	for i, c := range in.Claims {
		if practiceOf[i] != 0 {
			prs = append(prs, practiceOf[i])
			pcns = append(pcns, c.PatientControl)
		}
	}
	have := map[naturalKey]existing{}
	versions := map[[2]string]int64{}
	if len(prs) == 0 {
		return have, versions, nil
	}
	rows, err := q.QueryxContext(ctx, `SELECT b.id, b.practice_id, b.patient_control_number, b.source, b.frequency_code, b.content_sha256,
		b.patient_key IS NOT NULL
		FROM billed_claims b JOIN (SELECT DISTINCT * FROM unnest($1::bigint[], $2::text[])) k(pr, pcn)
		ON b.practice_id = k.pr AND b.patient_control_number = k.pcn`, pq.Array(prs), pq.Array(pcns))
	if err != nil {
		return nil, nil, fmt.Errorf("billing: stored claims: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k naturalKey
		var e existing
		if err := rows.Scan(&e.id, &k.practice, &k.pcn, &k.src, &k.fq, &e.hash, &e.keyed); err != nil {
			return nil, nil, err
		}
		have[k] = e
		vk := [2]string{strconv.FormatInt(k.practice, 10), k.pcn}
		versions[vk] = max(versions[vk], e.id)
	}
	return have, versions, rows.Err()
}

var (
	claimCols = []string{"id", "practice_id", "source", "patient_control_number", "frequency_code", "payer_code",
		"payer_id", "phi_member_id", "phi_birth_date", "rendering_npi", "billing_npi", "billing_tin", "place_of_service",
		"prior_authorization", "payer_claim_control", "diagnoses", "total_charge", "billed_date", "service_date_from",
		"service_date_to", "line_count", "content_sha256", "replaces_claim_id", "patient_key"}
	lineCols = []string{"id", "billed_claim_id", "practice_id", "line_number", "procedure_code", "modifiers", "units",
		"charge", "service_date_from", "service_date_to", "line_control_number", "prior_authorization",
		"place_of_service", "diagnosis_pointers", "note"}
)

func (s *Store) insert(ctx context.Context, tx *pgcopy.Tx, in *Input, idx []int, practiceOf []int64,
	hashes map[int][]byte, keys [][]byte, versions map[[2]string]int64) error {
	payers, err := upsertPayers(ctx, tx.Conn, in, idx)
	if err != nil {
		return err
	}
	nLines := 0
	for _, i := range idx {
		nLines += len(in.Claims[i].Lines)
	}
	claimIDs, err := tx.ReserveIDs(ctx, "billed_claims", len(idx))
	if err != nil {
		return fmt.Errorf("billing: reserve ids: %w", err)
	}
	lineIDs, err := tx.ReserveIDs(ctx, "billed_lines", nLines)
	if err != nil {
		return fmt.Errorf("billing: reserve ids: %w", err)
	}
	cb := pgcopy.NewBuf("billed_claims", claimCols...)
	lb := pgcopy.NewBuf("billed_lines", lineCols...)
	li := 0
	for n, i := range idx {
		c := in.Claims[i]
		id, pr := claimIDs[n], practiceOf[i]
		vk := [2]string{strconv.FormatInt(pr, 10), c.PatientControl}
		replaces := int64(0)
		if fq := normalFrequency(c.FrequencyCode); fq == "7" || fq == "8" {
			replaces = versions[vk]
		}
		versions[vk] = max(versions[vk], id)
		from, to := c.ServiceDateFrom(), x12DateTo(c)
		cb.Int(id).Int(pr).Text(in.Source).Text(c.PatientControl).Text(normalFrequency(c.FrequencyCode)).
			Text(c.PayerID).IntOrNull(payers[c.PayerID]).TextOrNull(c.MemberID).Date(c.PatientBirthDate).
			TextOrNull(c.RenderingNPI).TextOrNull(c.BillingNPI).TextOrNull(c.BillingTIN).TextOrNull(c.PlaceOfService).
			TextOrNull(c.PriorAuth).TextOrNull(c.PayerClaimControl).Array(c.Diagnoses).Amount(c.TotalCharge).
			Date(c.BilledDate).Date(from).Date(to).Int(int64(len(c.Lines))).Bytes(hashes[i]).IntOrNull(replaces)
		if keys[i] != nil {
			cb.Bytes(keys[i])
		} else {
			cb.Null()
		}
		cb.End()
		for j := range c.Lines {
			l := &c.Lines[j]
			lb.Int(lineIDs[li]).Int(id).Int(pr).Int(int64(l.Number)).Text(l.Procedure).Array(l.Modifiers).
				Qty(l.UnitsOrOne(), false).Amount(l.Charge).Date(l.ServiceFrom).Date(l.ServiceTo).
				TextOrNull(l.LineControl).TextOrNull(l.PriorAuth).TextOrNull(l.PlaceOfService).
				IntArray(l.DiagnosisPointers).TextOrNull(l.Note)
			lb.End()
			li++
		}
	}
	if err := tx.Copy(ctx, cb); err != nil {
		return fmt.Errorf("billing: %w", err)
	}
	if err := tx.Copy(ctx, lb); err != nil {
		return fmt.Errorf("billing: %w", err)
	}
	if len(in.X12) == len(in.Claims) {
		xb := pgcopy.NewBuf("billed_claim_x12", x12Cols...)
		for n, i := range idx {
			claim, batch, err := encode837(in.X12[i])
			if err != nil {
				return err
			}
			xb.Int(claimIDs[n]).Int(practiceOf[i]).Int(int64(in.X12[i].Segment)).Text(claim).Text(batch)
			xb.End()
		}
		if err := tx.Copy(ctx, xb); err != nil {
			return fmt.Errorf("billing: %w", err)
		}
	}
	return nil
}

// patientKeys returns the patient key of each claim of in (nil where the
// member ID, birth date or last name is missing, or no secret is
// configured).
func (s *Store) patientKeys(in *Input) ([][]byte, error) {
	keys := make([][]byte, len(in.Claims))
	k, err := rulesstore.KeyerOrDefault(s.Keyer)
	if err != nil {
		return nil, fmt.Errorf("billing: patient keys: %w", err)
	}
	if k == nil {
		return keys, nil
	}
	for i := range in.Claims {
		if i >= len(in.persons) {
			break
		}
		if pk, err := k.Key(in.persons[i]); err == nil {
			keys[i] = pk[:]
		}
	}
	return keys, nil
}

// fillKeys gives claims stored without a patient key (loaded before keys
// were made, or without a name) the key of the same claim loaded again.
func fillKeys(ctx context.Context, q sqlx.ExecerContext, claims []existing) error {
	if len(claims) == 0 {
		return nil
	}
	ids := make([]int64, len(claims))
	keys := make([][]byte, len(claims))
	for i, c := range claims {
		ids[i], keys[i] = c.id, c.hash
	}
	if _, err := q.ExecContext(ctx, `UPDATE billed_claims b SET patient_key = k.key
		FROM unnest($1::bigint[], $2::bytea[]) k(id, key) WHERE b.id = k.id AND b.patient_key IS NULL`,
		pq.Array(ids), pq.ByteaArray(keys)); err != nil {
		return fmt.Errorf("billing: patient keys: %w", err)
	}
	return nil
}

func x12DateTo(c *billed.Claim) (d x12.Date) {
	for i := range c.Lines {
		t := c.Lines[i].ServiceTo
		if t == "" {
			t = c.Lines[i].ServiceFrom
		}
		if t > d {
			d = t
		}
	}
	return d
}

// upsertPayers registers the payers the claims name (the name is the code
// until a remittance brings the payer's name) and returns their ids.
func upsertPayers(ctx context.Context, q DBTX, in *Input, idx []int) (map[string]int64, error) {
	var codes []string
	for _, i := range idx {
		if p := in.Claims[i].PayerID; p != "" && !slices.Contains(codes, p) {
			codes = append(codes, p)
		}
	}
	out := map[string]int64{}
	if len(codes) == 0 {
		return out, nil
	}
	if _, err := q.ExecContext(ctx, `INSERT INTO payers (name, payer_id_code) SELECT c, c FROM unnest($1::text[]) c
		ON CONFLICT (payer_id_code) DO NOTHING`, pq.Array(codes)); err != nil {
		return nil, fmt.Errorf("billing: payers: %w", err)
	}
	rows, err := q.QueryxContext(ctx, `SELECT id, payer_id_code FROM payers WHERE payer_id_code = ANY($1)`, pq.Array(codes))
	if err != nil {
		return nil, fmt.Errorf("billing: payers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var code string
		if err := rows.Scan(&id, &code); err != nil {
			return nil, err
		}
		out[code] = id
	}
	return out, rows.Err()
}

// markRetries marks the waiting paid claims (and unlinked PLB pairs) that
// the newly loaded claims may settle, per match.RetryKeys: same practice
// and CLP01, or a line's REF*6R.
func markRetries(ctx context.Context, q sqlx.ExecerContext, list []*billed.Claim, practices []int64) (int, error) {
	var prs, lprs []int64
	var pcns, lcns []string
	for i, c := range list {
		prs = append(prs, practices[i])
		pcns = append(pcns, c.PatientControl)
		for j := range c.Lines {
			if l := c.Lines[j].LineControl; l != "" {
				lprs = append(lprs, practices[i])
				lcns = append(lcns, l)
			}
		}
	}
	total := 0
	run := func(query string, args ...any) error {
		r, err := q.ExecContext(ctx, query, args...)
		if err != nil {
			return fmt.Errorf("billing: mark retries: %w", err)
		}
		n, _ := r.RowsAffected()
		total += int(n)
		return nil
	}
	if err := run(`UPDATE match_pending p SET retry_requested_at = now()
		FROM (SELECT DISTINCT * FROM unnest($1::bigint[], $2::text[])) k(pr, pcn)
		WHERE p.practice_id = k.pr AND p.patient_control_number = k.pcn AND p.retry_requested_at IS NULL`,
		pq.Array(prs), pq.Array(pcns)); err != nil {
		return 0, err
	}
	if len(lcns) > 0 {
		if err := run(`UPDATE match_pending p SET retry_requested_at = now()
			WHERE p.line_controls && $2::text[] AND p.retry_requested_at IS NULL
			AND EXISTS (SELECT 1 FROM unnest($1::bigint[], $2::text[]) k(pr, lcn)
				WHERE k.pr = p.practice_id AND k.lcn = ANY (p.line_controls))`,
			pq.Array(lprs), pq.Array(lcns)); err != nil {
			return 0, err
		}
	}
	if err := run(`UPDATE plb_links p SET retry_requested_at = now()
		FROM (SELECT DISTINCT * FROM unnest($1::bigint[], $2::text[])) k(pr, pcn)
		WHERE p.review AND p.retry_requested_at IS NULL AND p.practice_id = k.pr
		AND (p.reference = k.pcn OR regexp_replace(p.reference, '^.*\s', '') = k.pcn)`,
		pq.Array(prs), pq.Array(pcns)); err != nil {
		return 0, err
	}
	return total, nil
}

// audit appends one audit_log entry per practice (one without practice
// when there is none). detail must hold no PHI.
func audit(ctx context.Context, q sqlx.ExecerContext, actor, action, entity string, practices []int64, detail map[string]any) error {
	if actor == "" {
		actor = "system"
	}
	d, _ := json.Marshal(detail)
	ids := practices
	if len(ids) == 0 {
		ids = []int64{0}
	}
	for _, p := range ids {
		var pr any
		if p != 0 {
			pr = p
		}
		if _, err := q.ExecContext(ctx, `INSERT INTO audit_log (actor, action, entity, practice_id, detail) VALUES ($1, $2, $3, $4, $5)`,
			actor, action, entity, pr, d); err != nil {
			return fmt.Errorf("billing: audit: %w", err)
		}
	}
	return nil
}
