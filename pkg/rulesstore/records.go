package rulesstore

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/rules"
)

// Record sources (prior_auths.source, block_relief.source).
const (
	SourceCSV  = "csv"
	SourceJSON = "json"
)

// StoreResult is what storing records did. Storing is idempotent: a record
// stored before with the same content is unchanged; one under the same key
// with other content is updated.
type StoreResult struct {
	Records   int `json:"records"`   // records given (after merging repeats of one key)
	Inserted  int `json:"inserted"`  // new records
	Updated   int `json:"updated"`   // records whose content changed
	Unchanged int `json:"unchanged"` // records stored before as they are
}

// authKey is the natural key of prior_auths.
type authKey struct {
	payer, number string
	patient       rules.PatientKey
	from          day.Day
}

// StoreAuths stores authorizations of a practice, in q's transaction.
// An auth is keyed by practice, payer, number, patient and start date:
// storing it again updates its codes, end, units and provider. Repeats of
// a key among auths: the last one counts.
func StoreAuths(ctx context.Context, q sqlx.QueryerContext, practice int64, auths []rules.Auth, source, actor string) (StoreResult, error) {
	last := map[authKey]int{}
	var order []authKey
	for i, a := range auths {
		k := authKey{a.Payer, strings.ToUpper(strings.TrimSpace(a.Number)), a.Patient, a.From}
		if _, ok := last[k]; !ok {
			order = append(order, k)
		}
		last[k] = i
	}
	res := StoreResult{Records: len(order)}
	if len(order) == 0 {
		return res, nil
	}
	var (
		numbers, payers, codes, npis, froms, tos []string
		keys                                     [][]byte
		units                                    []int64
	)
	for _, k := range order {
		a := auths[last[k]]
		cs := slices.Clone(a.Codes)
		for i := range cs {
			cs[i] = strings.ToUpper(strings.TrimSpace(cs[i]))
		}
		slices.Sort(cs)
		cs = slices.Compact(cs)
		numbers = append(numbers, k.number)
		payers = append(payers, a.Payer)
		keys = append(keys, append([]byte(nil), a.Patient[:]...))
		codes = append(codes, strings.Join(cs, " "))
		npis = append(npis, a.NPI)
		froms = append(froms, a.From.String())
		tos = append(tos, a.To.String())
		units = append(units, int64(a.Units))
	}
	rows, err := q.QueryxContext(ctx, `INSERT INTO prior_auths (practice_id, auth_number, patient_key, payer_code, cpt_codes,
			provider_npi, valid_from, valid_to, units, source, loaded_by)
		SELECT $1, n, k, p, string_to_array(c, ' '), npi, f::date, t::date, u, $10, $11
		FROM unnest($2::text[], $3::bytea[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::int[])
			AS r(n, k, p, c, npi, f, t, u)
		ON CONFLICT (practice_id, payer_code, auth_number, patient_key, valid_from) DO UPDATE SET
			cpt_codes = EXCLUDED.cpt_codes, provider_npi = EXCLUDED.provider_npi, valid_to = EXCLUDED.valid_to,
			units = EXCLUDED.units, source = EXCLUDED.source, loaded_by = EXCLUDED.loaded_by, loaded_at = now()
		WHERE (prior_auths.cpt_codes, prior_auths.provider_npi, prior_auths.valid_to, prior_auths.units)
			IS DISTINCT FROM (EXCLUDED.cpt_codes, EXCLUDED.provider_npi, EXCLUDED.valid_to, EXCLUDED.units)
		RETURNING xmax = 0`,
		practice, pq.Array(numbers), pq.ByteaArray(keys), pq.Array(payers), pq.Array(codes), pq.Array(npis),
		pq.Array(froms), pq.Array(tos), pq.Array(units), source, actor)
	if err != nil {
		return res, fmt.Errorf("rulesdb: store auths: %w", err)
	}
	return res, countUpserts(rows, &res)
}

func countUpserts(rows *sqlx.Rows, res *StoreResult) error {
	defer rows.Close()
	for rows.Next() {
		var inserted bool
		if err := rows.Scan(&inserted); err != nil {
			return fmt.Errorf("rulesdb: %w", err)
		}
		if inserted {
			res.Inserted++
		} else {
			res.Updated++
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("rulesdb: %w", err)
	}
	res.Unchanged = res.Records - res.Inserted - res.Updated
	return nil
}

// StoreRelief stores block relief records of a practice, in q's
// transaction. A record is keyed by practice, patient, block date and
// level: storing it again updates its percent. Repeats of a key: the last
// one counts.
func StoreRelief(ctx context.Context, q sqlx.QueryerContext, practice int64, rs []rules.Relief, source, actor string) (StoreResult, error) {
	type key struct {
		patient rules.PatientKey
		date    day.Day
		level   string
	}
	last := map[key]int{}
	var order []key
	for i, r := range rs {
		k := key{r.Patient, r.Date, rules.NormLevel(r.Level)}
		if _, ok := last[k]; !ok {
			order = append(order, k)
		}
		last[k] = i
	}
	res := StoreResult{Records: len(order)}
	if len(order) == 0 {
		return res, nil
	}
	var keys [][]byte
	var dates, levels []string
	var pcts []int64
	for _, k := range order {
		keys = append(keys, append([]byte(nil), k.patient[:]...))
		dates = append(dates, k.date.String())
		levels = append(levels, k.level)
		pcts = append(pcts, int64(rs[last[k]].Percent))
	}
	rows, err := q.QueryxContext(ctx, `INSERT INTO block_relief (practice_id, patient_key, block_date, level, percent, source, loaded_by)
		SELECT $1, k, d::date, l, p, $6, $7 FROM unnest($2::bytea[], $3::text[], $4::text[], $5::int[]) AS r(k, d, l, p)
		ON CONFLICT (practice_id, patient_key, block_date, level) DO UPDATE SET
			percent = EXCLUDED.percent, source = EXCLUDED.source, loaded_by = EXCLUDED.loaded_by, loaded_at = now()
		WHERE block_relief.percent IS DISTINCT FROM EXCLUDED.percent
		RETURNING xmax = 0`,
		practice, pq.ByteaArray(keys), pq.Array(dates), pq.Array(levels), pq.Array(pcts), source, actor)
	if err != nil {
		return res, fmt.Errorf("rulesdb: store relief: %w", err)
	}
	return res, countUpserts(rows, &res)
}

// StoredAuth is an authorization on file with the practice that loaded it.
type StoredAuth struct {
	ID         int64
	PracticeID int64
	TIN        string // the practice's tax ID, for the sharing policy
	Auth       rules.Auth
	Source     string
	LoadedAt   time.Time
}

// StoredRelief is a relief record with the practice that recorded it.
type StoredRelief struct {
	PracticeID int64
	TIN        string
	Relief     rules.Relief
}

// AuthFilter selects stored authorizations: by patients, by number, or
// both, among the authorizations of Practices (nil: of every practice).
type AuthFilter struct {
	Patients  []rules.PatientKey
	Number    string
	Practices []int64
}

// LoadAuths reads the stored authorizations f selects, oldest first.
func LoadAuths(ctx context.Context, q sqlx.QueryerContext, f AuthFilter) ([]StoredAuth, error) {
	keys := make([][]byte, len(f.Patients))
	for i, k := range f.Patients {
		keys[i] = append([]byte(nil), k[:]...)
	}
	if f.Patients == nil {
		keys = nil
	}
	var practices any
	if f.Practices != nil {
		practices = pq.Array(f.Practices)
	}
	rows, err := q.QueryxContext(ctx, `SELECT a.id, a.practice_id, COALESCE(p.tin, ''), a.auth_number, a.patient_key, a.payer_code,
			a.cpt_codes, a.provider_npi, to_char(a.valid_from, 'YYYY-MM-DD'), to_char(a.valid_to, 'YYYY-MM-DD'), a.units,
			a.source, a.loaded_at
		FROM prior_auths a JOIN practices p ON p.id = a.practice_id
		WHERE ($1::bytea[] IS NULL OR a.patient_key = ANY($1::bytea[])) AND ($2 = '' OR a.auth_number = $2)
			AND ($3::bigint[] IS NULL OR a.practice_id = ANY($3::bigint[]))
		ORDER BY a.id`, pq.ByteaArray(keys), strings.ToUpper(strings.TrimSpace(f.Number)), practices)
	if err != nil {
		return nil, fmt.Errorf("rulesdb: auths: %w", err)
	}
	defer rows.Close()
	var out []StoredAuth
	for rows.Next() {
		var s StoredAuth
		var key []byte
		var codes pq.StringArray
		var from, to string
		if err := rows.Scan(&s.ID, &s.PracticeID, &s.TIN, &s.Auth.Number, &key, &s.Auth.Payer, &codes, &s.Auth.NPI,
			&from, &to, &s.Auth.Units, &s.Source, &s.LoadedAt); err != nil {
			return nil, fmt.Errorf("rulesdb: auths: %w", err)
		}
		copy(s.Auth.Patient[:], key)
		s.Auth.Codes = []string(codes)
		if s.Auth.From, err = day.ParseSet(from); err == nil {
			s.Auth.To, err = day.ParseSet(to)
		}
		if err != nil {
			return nil, fmt.Errorf("rulesdb: auth %d: %w", s.ID, err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// LoadRelief reads the relief records of patients.
func LoadRelief(ctx context.Context, q sqlx.QueryerContext, patients []rules.PatientKey) ([]StoredRelief, error) {
	if len(patients) == 0 {
		return nil, nil
	}
	keys := make([][]byte, len(patients))
	for i, k := range patients {
		keys[i] = append([]byte(nil), k[:]...)
	}
	rows, err := q.QueryxContext(ctx, `SELECT r.practice_id, COALESCE(p.tin, ''), r.patient_key, to_char(r.block_date, 'YYYY-MM-DD'),
			r.level, r.percent
		FROM block_relief r JOIN practices p ON p.id = r.practice_id
		WHERE r.patient_key = ANY($1::bytea[]) ORDER BY r.id`, pq.ByteaArray(keys))
	if err != nil {
		return nil, fmt.Errorf("rulesdb: relief: %w", err)
	}
	defer rows.Close()
	var out []StoredRelief
	for rows.Next() {
		var s StoredRelief
		var key []byte
		var date string
		if err := rows.Scan(&s.PracticeID, &s.TIN, &key, &date, &s.Relief.Level, &s.Relief.Percent); err != nil {
			return nil, fmt.Errorf("rulesdb: relief: %w", err)
		}
		copy(s.Relief.Patient[:], key)
		if s.Relief.Date, err = day.ParseSet(date); err != nil {
			return nil, fmt.Errorf("rulesdb: relief: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// Books returns the authorizations and relief records a practice's checks
// may read under the sharing policy: its own, and those of the practices
// whose history it may see.
func Books(practice int64, tin string, sh *rules.Sharing, auths []StoredAuth, relief []StoredRelief) (*rules.AuthBook, *rules.ReliefBook) {
	me := strconv.FormatInt(practice, 10)
	ab, rb := rules.NewAuthBook(), rules.NewReliefBook()
	for _, a := range auths {
		if sh.May(me, tin, strconv.FormatInt(a.PracticeID, 10), a.TIN) {
			ab.Add(a.Auth)
		}
	}
	for _, r := range relief {
		if sh.May(me, tin, strconv.FormatInt(r.PracticeID, 10), r.TIN) {
			rb.Add(r.Relief)
		}
	}
	return ab, rb
}
