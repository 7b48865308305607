package apisvc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/remitq/remitq/pkg/audit"
	"github.com/remitq/remitq/pkg/billedstore"
	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/httpx"
	"github.com/remitq/remitq/pkg/rules"
	"github.com/remitq/remitq/pkg/rulesstore"
	"github.com/remitq/remitq/x12"
)

// The pain rules' routes: the pre-bill check, prior authorizations and
// block relief on file, and the sharing policy (pkg/rulesstore).

// keyer is the patient-key Keyer: Options.PatientKeyer, else the
// process's (REMITQ_PATIENT_KEY, ...); nil when none is configured.
func (s *Service) keyer() (*rules.Keyer, error) {
	return rulesstore.KeyerOrDefault(s.opts.PatientKeyer)
}

var errNoKeyer = errf(http.StatusServiceUnavailable, "patient_keys_unconfigured",
	"patient keys are not configured on the server (REMITQ_PATIENT_KEY)")

// readBody reads the whole request body (bounded by MaxBodyBytes).
func (c *call) readBody() ([]byte, error) {
	b, err := io.ReadAll(c.r.Body)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, errf(http.StatusRequestEntityTooLarge, "too_large", "the body may hold at most %d bytes", mbe.Limit)
	}
	return b, err
}

// checkProblem is a claim (or a segment) the check could not read.
type checkProblem struct {
	Claim   string `json:"clm01,omitempty"`
	Segment int    `json:"segment,omitempty"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// postClaimsCheck is POST /v1/claims/check: the pre-bill check of an 837P
// (the body, or {"x12": "..."}) against the stored history, the auths and
// relief on file and the sharing policy. It answers every risk on every
// line, one JSON object each, as an array (Accept: application/x-ndjson:
// one per line); none for clean claims. The claims' practices and
// rendering providers must be in the caller's scope (else 404); a claim
// that cannot be checked answers 422 with the problems, and nothing is
// checked.
func (c *call) postClaimsCheck() error {
	raw, err := c.readBody()
	if err != nil {
		return err
	}
	if !billedstore.Is837(raw) {
		var body struct {
			X12 string `json:"x12"`
		}
		if err := httpx.DecodeJSONBytes(raw, &body); err != nil {
			var be *httpx.BodyError
			if errors.As(err, &be) {
				return &apiError{be.Status, be.Code, be.Message + `; the body is an 837P file, or {"x12": "ISA*..."}`}
			}
			return err
		}
		if !billedstore.Is837([]byte(body.X12)) {
			return badRequest("the body is an 837P file, or {\"x12\": \"ISA*...\"}")
		}
		raw = []byte(body.X12)
	}
	cf, err := x12.ReadClaims(bytes.NewReader(raw))
	if err != nil || cf.TransactionSets == 0 {
		return badRequest("the body is not an 837P file")
	}
	if len(cf.Errors) > 0 {
		var probs []checkProblem
		for _, e := range cf.Errors {
			probs = append(probs, checkProblem{Segment: e.Segment, Code: "x12", Message: e.Error()})
		}
		return c.unprocessable("the 837P has errors; no claim was checked", probs)
	}
	k, err := c.s.keyer()
	if err != nil {
		return err
	}
	if k == nil {
		return errNoKeyer
	}
	chk := &rulesstore.Checker{DB: c.s.db, Rules: c.s.opts.Rules, Keyer: k}
	res, err := chk.CheckX12(c.r.Context(), cf, func(cc rulesstore.CheckedClaim) error {
		for _, npi := range cc.Rendering {
			if !c.id.Sees(cc.PracticeID, npi) {
				return errNotFound
			}
		}
		return nil
	})
	var probs rulesstore.ClaimProblems
	if errors.As(err, &probs) {
		var out []checkProblem
		for _, p := range probs {
			if p.Code == "unknown_practice" {
				return errNotFound // as a practice out of scope
			}
			out = append(out, checkProblem{Claim: p.Claim, Segment: p.Segment, Code: p.Code, Message: p.Message})
		}
		return c.unprocessable("some claims cannot be checked; no claim was checked", out)
	}
	if err != nil {
		return err
	}
	var entries []audit.Entry
	for _, pr := range res.Practices {
		entries = append(entries, c.entry("claims.check", "billed_claims", 0, pr, map[string]any{
			"claims": res.Claims, "lines": res.Lines, "findings": len(res.Findings), "history_lines": res.HistoryLines}))
	}
	if len(entries) == 0 {
		entries = append(entries, c.entry("claims.check", "billed_claims", 0, 0, map[string]any{"claims": 0}))
	}
	if err := c.audit(entries...); err != nil {
		return err
	}
	if strings.Contains(c.r.Header.Get("Accept"), "application/x-ndjson") {
		c.w.Header().Set("Content-Type", "application/x-ndjson")
		c.w.WriteHeader(http.StatusOK)
		enc := json.NewEncoder(c.w)
		for _, f := range res.Findings {
			if err := enc.Encode(f); err != nil {
				return nil // the client went away
			}
		}
		return nil
	}
	if res.Findings == nil {
		res.Findings = []rules.Finding{}
	}
	return c.json(http.StatusOK, res.Findings)
}

// unprocessable answers 422 with the error shape and the problems.
func (c *call) unprocessable(msg string, probs []checkProblem) error {
	type errBody struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	return c.json(http.StatusUnprocessableEntity, map[string]any{
		"error": errBody{Code: "unprocessable", Message: msg}, "problems": probs})
}

// recordsPractice is the practice records are loaded for: ?practice_id=,
// which the caller must see whole, or the caller's one practice.
func (c *call) recordsPractice() (int64, error) {
	v := c.r.URL.Query().Get("practice_id")
	if v == "" {
		var whole []int64
		for _, s := range c.id.Scopes {
			if s.ProviderNPI == "" {
				whole = append(whole, s.PracticeID)
			}
		}
		if c.id.All() || len(whole) != 1 {
			return 0, badRequest("name the practice: ?practice_id=ID")
		}
		return whole[0], nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 || !c.id.SeesPractice(n) {
		return 0, errNotFound
	}
	var one int
	if err := c.s.db.QueryRowxContext(c.r.Context(), `SELECT 1 FROM practices WHERE id = $1`, n).Scan(&one); err != nil {
		return 0, errNotFound
	}
	return n, nil
}

// recordsProblem is a bad record of an upload: its row (CSV line, or
// position in the JSON array) and column, never its value.
type recordsProblem struct {
	Row     int    `json:"row"`
	Column  string `json:"column,omitempty"`
	Message string `json:"message"`
}

// RecordsResult is the answer of a records upload.
type RecordsResult struct {
	PracticeID int64 `json:"practice_id"`
	rulesstore.StoreResult
	Problems []recordsProblem `json:"problems"`
}

// postAuths is POST /v1/auths?practice_id=: prior authorizations (CSV with
// the columns of rules.ReadAuths, or a JSON array of objects with those
// fields) stored for the practice. Bad rows are reported and the good ones
// stored; storing the same auth again changes nothing.
func (c *call) postAuths() error {
	return c.postRecords("prior_auth.load", "prior_auths", authFields, func(r io.Reader, isJSON bool, k *rules.Keyer) (storeFunc, error) {
		read := rules.ReadAuths
		if isJSON {
			read = rules.ReadAuthsJSON
		}
		b, err := read(r, k)
		if b == nil {
			return nil, err
		}
		return func(ctx context.Context, tx *sqlx.Tx, practice int64, src, actor string) (rulesstore.StoreResult, error) {
			return rulesstore.StoreAuths(ctx, tx, practice, b.All(), src, actor)
		}, err
	})
}

// postRelief is POST /v1/relief?practice_id=: block relief records (CSV
// with the columns of rules.ReadRelief, or JSON), as postAuths.
func (c *call) postRelief() error {
	return c.postRecords("block_relief.load", "block_relief", reliefFields, func(r io.Reader, isJSON bool, k *rules.Keyer) (storeFunc, error) {
		read := rules.ReadRelief
		if isJSON {
			read = rules.ReadReliefJSON
		}
		b, err := read(r, k)
		if b == nil {
			return nil, err
		}
		return func(ctx context.Context, tx *sqlx.Tx, practice int64, src, actor string) (rulesstore.StoreResult, error) {
			return rulesstore.StoreRelief(ctx, tx, practice, b.All(), src, actor)
		}, err
	})
}

// storeFunc stores the good records of an upload.
type storeFunc func(ctx context.Context, tx *sqlx.Tx, practice int64, src, actor string) (rulesstore.StoreResult, error)

// recordsReader reads an upload and returns how to store its good records
// (nil with an error that is not a rules.RowErrors).
type recordsReader func(r io.Reader, isJSON bool, k *rules.Keyer) (storeFunc, error)

// The fields of JSON records (the CSV columns of rules.ReadAuths and
// rules.ReadRelief): any other key is refused, so a misspelt field is never
// silently dropped.
var (
	patientFields = []string{"patient_key", "member_id", "birth_date", "last_name", "first_name"}
	authFields    = append([]string{"auth_number", "cpt_codes", "valid_from", "valid_to", "payer_id", "provider_npi", "units"}, patientFields...)
	reliefFields  = append([]string{"date", "percent", "level"}, patientFields...)
)

// checkRecordsJSON requires one JSON value: an array of objects (or one
// key holding one) whose keys are all in fields.
func checkRecordsJSON(raw []byte, fields []string) error {
	var v any
	if err := httpx.DecodeJSONBytes(raw, &v); err != nil {
		var be *httpx.BodyError
		if errors.As(err, &be) {
			return &apiError{be.Status, be.Code, be.Message}
		}
		return err
	}
	list, ok := v.([]any)
	if m, isObj := v.(map[string]any); isObj && len(m) == 1 {
		for _, inner := range m {
			list, ok = inner.([]any)
		}
	}
	if !ok {
		return badRequest("the body is CSV, or a JSON array of record objects")
	}
	for i, e := range list {
		obj, isObj := e.(map[string]any)
		if !isObj {
			return badRequest("record %d is not an object", i+1)
		}
		for k := range obj {
			if !contains(fields, strings.ToLower(strings.TrimSpace(k))) {
				return badRequest("record %d: unknown field %q; allowed: %s", i+1, k, strings.Join(fields, ", "))
			}
		}
	}
	return nil
}

func (c *call) postRecords(action, entity string, fields []string, read recordsReader) error {
	practice, err := c.recordsPractice()
	if err != nil {
		return err
	}
	raw, err := c.readBody()
	if err != nil {
		return err
	}
	if i := bytes.IndexByte(raw, 0); i >= 0 {
		return badRequest("the body holds a NUL byte at offset %d", i)
	}
	if !utf8.Valid(raw) {
		return badRequest("the body is not UTF-8 text")
	}
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(raw, []byte("\ufeff")), " \t\r\n")
	isJSON := len(trimmed) > 0 && (trimmed[0] == '[' || trimmed[0] == '{')
	src := rulesstore.SourceCSV
	if isJSON {
		src = rulesstore.SourceJSON
		if err := checkRecordsJSON(raw, fields); err != nil {
			return err
		}
	}
	k, err := c.s.keyer()
	if err != nil {
		return err
	}
	store, err := read(bytes.NewReader(raw), isJSON, k)
	var rows rules.RowErrors
	switch {
	case errors.Is(err, rules.ErrNoKeyer):
		return errNoKeyer
	case errors.As(err, &rows):
	case err != nil:
		return badRequest("%v", err)
	}
	res := RecordsResult{PracticeID: practice, Problems: []recordsProblem{}}
	for _, e := range rows {
		res.Problems = append(res.Problems, recordsProblem{Row: e.Row, Column: e.Column, Message: e.Err.Error()})
	}
	ctx := c.r.Context()
	if err := c.inTx(func(tx *sqlx.Tx) error {
		var err error
		if res.StoreResult, err = store(ctx, tx, practice, src, c.id.Actor()); err != nil {
			return err
		}
		return c.auditTx(tx, c.entry(action, entity, 0, practice, map[string]any{"source": src, "records": res.Records,
			"inserted": res.Inserted, "updated": res.Updated, "unchanged": res.Unchanged, "problems": len(res.Problems)}))
	}); err != nil {
		return err
	}
	return c.json(http.StatusOK, res)
}

// AuthView is a prior authorization on file.
type AuthView struct {
	ID         int64     `json:"id"`
	PracticeID int64     `json:"practice_id"`
	Number     string    `json:"auth_number"`
	PatientKey string    `json:"patient_key"`
	Payer      string    `json:"payer_id"`
	Codes      []string  `json:"cpt_codes"`
	NPI        string    `json:"provider_npi"`
	ValidFrom  day.Day   `json:"valid_from"`
	ValidTo    day.Day   `json:"valid_to"`
	Units      int       `json:"units"`
	Source     string    `json:"source"`
	LoadedAt   time.Time `json:"loaded_at"`
}

// getAuths is GET /v1/auths?patient=KEY (or ?number=AUTH): the
// authorizations on file of practices the caller sees whole.
func (c *call) getAuths() error {
	q := c.r.URL.Query()
	f := rulesstore.AuthFilter{Number: q.Get("number")}
	if p := q.Get("patient"); p != "" {
		k, err := rules.ParsePatientKey(p)
		if err != nil {
			return badRequest("patient is a patient key of 64 hexadecimal digits")
		}
		f.Patients = []rules.PatientKey{k}
	}
	if f.Patients == nil && strings.TrimSpace(f.Number) == "" {
		return badRequest("give ?patient=KEY or ?number=AUTH")
	}
	if !c.id.All() {
		f.Practices = []int64{}
		for _, s := range c.id.Scopes {
			if s.ProviderNPI == "" {
				f.Practices = append(f.Practices, s.PracticeID)
			}
		}
	}
	if v := q.Get("practice_id"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return badRequest("practice_id is a number")
		}
		if c.id.All() || c.id.SeesPractice(n) {
			f.Practices = []int64{n}
		} else {
			f.Practices = []int64{}
		}
	}
	stored, err := rulesstore.LoadAuths(c.r.Context(), c.s.db, f)
	if err != nil {
		return err
	}
	out := make([]AuthView, 0, len(stored))
	var practice int64
	for i, s := range stored {
		a := s.Auth
		out = append(out, AuthView{ID: s.ID, PracticeID: s.PracticeID, Number: a.Number, PatientKey: a.Patient.String(),
			Payer: a.Payer, Codes: a.Codes, NPI: a.NPI, ValidFrom: a.From, ValidTo: a.To, Units: a.Units, Source: s.Source,
			LoadedAt: s.LoadedAt})
		if i == 0 || practice == s.PracticeID {
			practice = s.PracticeID
		} else {
			practice = 0
		}
	}
	by := "number"
	if f.Patients != nil {
		by = "patient"
	}
	if err := c.audit(c.entry("prior_auth.view", "prior_auths", 0, practice, map[string]any{"rows": len(out), "by": by})); err != nil {
		return err
	}
	return c.json(http.StatusOK, map[string]any{"auths": out})
}

// getSharing is GET /v1/sharing: the sharing policy.
func (c *call) getSharing() error {
	p, err := rulesstore.LoadPolicy(c.r.Context(), c.s.db)
	if err != nil {
		return err
	}
	return c.json(http.StatusOK, p)
}

// putSharing is PUT /v1/sharing: the policy's switches,
// {"cross_practice": bool, "same_tin": bool}.
func (c *call) putSharing() error {
	var b struct {
		CrossPractice *bool `json:"cross_practice"`
		SameTIN       *bool `json:"same_tin"`
	}
	if err := c.decode(&b); err != nil {
		return err
	}
	if b.CrossPractice == nil || b.SameTIN == nil {
		return badRequest("cross_practice and same_tin are required")
	}
	ctx := c.r.Context()
	if err := c.inTx(func(tx *sqlx.Tx) error {
		if err := rulesstore.SetSharing(ctx, tx, *b.CrossPractice, *b.SameTIN, c.id.Actor()); err != nil {
			return err
		}
		return c.auditTx(tx, c.entry("sharing.update", "rules_settings", 0, 0, map[string]any{
			"cross_practice": *b.CrossPractice, "same_tin": *b.SameTIN}))
	}); err != nil {
		return err
	}
	return c.getSharing()
}

// putSharingGroup is PUT /v1/sharing/groups/{name}: declares (or
// replaces) a group of practices that share history,
// {"practice_ids": [1, 2]}.
func (c *call) putSharingGroup() error {
	name := c.r.PathValue("name")
	var b struct {
		Practices []int64 `json:"practice_ids"`
	}
	if err := c.decode(&b); err != nil {
		return err
	}
	ctx := c.r.Context()
	if err := c.inTx(func(tx *sqlx.Tx) error {
		err := rulesstore.PutGroup(ctx, tx, name, b.Practices, c.id.Actor())
		if errors.Is(err, rulesstore.ErrGroupName) || errors.Is(err, rulesstore.ErrGroupSize) || errors.Is(err, rulesstore.ErrUnknownPractice) {
			return badRequest("%v", err)
		}
		if err != nil {
			return err
		}
		return c.auditTx(tx, c.entry("sharing_group.put", "sharing_groups", 0, 0, map[string]any{
			"name": name, "practice_ids": b.Practices}))
	}); err != nil {
		return err
	}
	return c.getSharing()
}

// deleteSharingGroup is DELETE /v1/sharing/groups/{name}; 204 whether or
// not the group existed.
func (c *call) deleteSharingGroup() error {
	name := c.r.PathValue("name")
	ctx := c.r.Context()
	if err := c.inTx(func(tx *sqlx.Tx) error {
		found, err := rulesstore.DeleteGroup(ctx, tx, name)
		if err != nil {
			return err
		}
		return c.auditTx(tx, c.entry("sharing_group.delete", "sharing_groups", 0, 0, map[string]any{
			"name": name, "found": found}))
	}); err != nil {
		return err
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}
