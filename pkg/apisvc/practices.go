package apisvc

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"go.uber.org/zap"

	"github.com/jmoiron/sqlx"
	"github.com/remitq/remitq/pkg/auth"
	"github.com/remitq/remitq/pkg/practicestore"
	"github.com/remitq/remitq/pkg/remitstore"
)

// Onboarding: the registry of the billing company's clients over HTTP.
// Every user reads the practices of its scopes (a provider-scoped user: the
// practice, and only its own providers); only an admin registers or
// changes a practice, its providers or its payers (permOnboard). None of it
// is PHI; every change is audited with the practice it touches.

// permOnboard is what registering and changing practices takes: admins
// only (the registry decides which payee's remittances land where).
const permOnboard = auth.UsersManage

// practiceBody creates or changes a practice.
type practiceBody struct {
	Name *string `json:"name"`
	NPI  *string `json:"npi"`
	TIN  *string `json:"tin"`
}

// providerBody creates or renames a provider.
type providerBody struct {
	NPI  string `json:"npi"`
	Name string `json:"name"`
}

// payerBody enrolls a practice with a payer.
type payerBody struct {
	PayerCode string `json:"payer_code"`
	PayerName string `json:"payer_name"`
}

// storeError turns a practicestore refusal into the answer.
func storeError(err error) error {
	switch {
	case errors.Is(err, practicestore.ErrNotFound):
		return errNotFound
	case errors.Is(err, practicestore.ErrExists):
		return errf(http.StatusConflict, "exists", "%s", strings.TrimPrefix(err.Error(), "practice: "))
	case errors.Is(err, practicestore.ErrInvalid):
		return badRequest("%s", strings.ReplaceAll(err.Error(), "practice: invalid: ", ""))
	}
	return err
}

// practiceOf reads path value {practice}: a practice the caller has some
// scope in (404 otherwise, the same as a practice that does not exist).
func (c *call) practiceOf() (int64, error) {
	id, err := c.pathID("practice")
	if err != nil {
		return 0, err
	}
	if !c.id.All() && !slices.ContainsFunc(c.id.Scopes, func(s auth.Scope) bool { return s.PracticeID == id }) {
		return 0, errNotFound
	}
	return id, nil
}

// scopedPractices are the practices the caller has a scope in (nil: all).
func scopedPractices(id *auth.Identity) []int64 {
	if id.All() {
		return nil
	}
	out := []int64{}
	for _, s := range id.Scopes {
		if !slices.Contains(out, s.PracticeID) {
			out = append(out, s.PracticeID)
		}
	}
	return out
}

// GET /v1/practices: the practices of the caller's scopes, by id.
func (c *call) getPractices() error {
	p, err := newPager(c.r.URL.Query(), sortKey{name: "id", expr: "id", typ: "bigint"})
	if err != nil {
		return err
	}
	var after int64
	if p.after != nil {
		after = p.after.ID
	}
	list, err := practicestore.ListPage(c.r.Context(), c.s.db, scopedPractices(c.id), after, p.limit+1)
	if err != nil {
		return err
	}
	n, next := p.next(len(list), func(i int) (string, int64) { return strconv.FormatInt(list[i].ID, 10), list[i].ID })
	return c.json(http.StatusOK, Page[practicestore.Practice]{Items: list[:n], NextCursor: next})
}

// GET /v1/practices/{practice}
func (c *call) getPractice() error {
	id, err := c.practiceOf()
	if err != nil {
		return err
	}
	pr, err := practicestore.Get(c.r.Context(), c.s.db, id)
	if err != nil {
		return storeError(err)
	}
	return c.json(http.StatusOK, pr)
}

// POST /v1/practices (admins): register a practice; files that waited for
// its payee are ingested now (the answer says which).
func (c *call) postPractice() error {
	if !c.id.All() {
		return errForbidden
	}
	var b practiceBody
	if err := c.decode(&b); err != nil {
		return err
	}
	var pr practicestore.Practice
	for _, f := range []struct {
		dst *string
		src *string
	}{{&pr.Name, b.Name}, {&pr.NPI, b.NPI}, {&pr.TIN, b.TIN}} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
	if err := pr.Validate(); err != nil {
		return storeError(err)
	}
	if err := c.inTx(func(tx *sqlx.Tx) error {
		if err := practicestore.Add(c.r.Context(), tx, &pr); err != nil {
			return storeError(err)
		}
		return c.auditTx(tx, c.entry("practice.create", "practice", pr.ID, pr.ID, nil))
	}); err != nil {
		return err
	}
	out := struct {
		practicestore.Practice
		FilesIngested []int64 `json:"files_ingested"`
		FilesHeld     []int64 `json:"files_held"`
	}{Practice: pr, FilesIngested: []int64{}, FilesHeld: []int64{}}
	// The files kept for an unknown payee that is this practice: their
	// rows are written now, and the outbox publisher sends them on. Only
	// those an admin (or the watch folder) sent: a biller's file for a
	// payee no practice had is held (files_held) until an admin releases
	// it (POST /v1/files/{id}/release), or a biller could plant payments
	// in a client not yet registered.
	in := &remitstore.Ingester{DB: c.s.db, Log: c.s.log}
	done, err := in.RetryUnknownPayees(c.r.Context())
	if err != nil {
		// The practice is stored; the next registration or the ingest's
		// own retry picks the files up.
		c.s.log.Warn("retry of unknown-payee files failed", zap.String("request_id", c.reqID), zap.Error(err))
	}
	for _, r := range done {
		out.FilesIngested = append(out.FilesIngested, r.FileID)
	}
	if held, err := in.HeldUnknownPayees(c.r.Context()); err != nil {
		c.s.log.Warn("listing held unknown-payee files failed", zap.String("request_id", c.reqID), zap.Error(err))
	} else {
		out.FilesHeld = held
	}
	return c.json(http.StatusCreated, out)
}

// PATCH /v1/practices/{practice} (admins): name, NPI, tax id.
func (c *call) patchPractice() error {
	if !c.id.All() {
		return errForbidden
	}
	id, err := c.practiceOf()
	if err != nil {
		return err
	}
	var b practiceBody
	if err := c.decode(&b); err != nil {
		return err
	}
	var pr practicestore.Practice
	if err := c.inTx(func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(c.r.Context(), `SELECT 1 FROM practices WHERE id = $1 FOR UPDATE`, id); err != nil {
			return err
		}
		var err error
		if pr, err = practicestore.Get(c.r.Context(), tx, id); err != nil {
			return storeError(err)
		}
		changed := []string{}
		for _, f := range []struct {
			name string
			dst  *string
			src  *string
		}{{"name", &pr.Name, b.Name}, {"npi", &pr.NPI, b.NPI}, {"tin", &pr.TIN, b.TIN}} {
			if f.src != nil {
				*f.dst = *f.src
				changed = append(changed, f.name)
			}
		}
		if len(changed) == 0 {
			return badRequest("send at least one of name, npi, tin")
		}
		if err := practicestore.Update(c.r.Context(), tx, &pr); err != nil {
			return storeError(err)
		}
		return c.auditTx(tx, c.entry("practice.update", "practice", id, id, map[string]any{"fields": changed}))
	}); err != nil {
		return err
	}
	return c.json(http.StatusOK, pr)
}

// GET /v1/practices/{practice}/providers: a provider-scoped caller sees
// only its own providers.
func (c *call) getProviders() error {
	id, err := c.practiceOf()
	if err != nil {
		return err
	}
	var npis []string
	if !c.id.SeesPractice(id) {
		npis = []string{}
		for _, s := range c.id.Scopes {
			if s.PracticeID == id && s.ProviderNPI != "" {
				npis = append(npis, s.ProviderNPI)
			}
		}
	}
	p, err := newPager(c.r.URL.Query(), sortKey{name: "id", expr: "id", typ: "bigint"})
	if err != nil {
		return err
	}
	list, err := practicestore.Providers(c.r.Context(), c.s.db, id, npis)
	if err != nil {
		return err
	}
	return c.json(http.StatusOK, pageOf(p, list, func(pr practicestore.Provider) int64 { return pr.ID }))
}

// POST /v1/practices/{practice}/providers (admins): add a provider, or
// rename the one of that NPI.
func (c *call) postProvider() error {
	if !c.id.All() {
		return errForbidden
	}
	id, err := c.practiceOf()
	if err != nil {
		return err
	}
	var b providerBody
	if err := c.decode(&b); err != nil {
		return err
	}
	pr := practicestore.Provider{PracticeID: id, NPI: b.NPI, Name: b.Name}
	if err := pr.Validate(); err != nil {
		return storeError(err)
	}
	if err := c.inTx(func(tx *sqlx.Tx) error {
		if _, err := practicestore.Get(c.r.Context(), tx, id); err != nil {
			return storeError(err)
		}
		if err := practicestore.AddProvider(c.r.Context(), tx, &pr); err != nil {
			return storeError(err)
		}
		return c.auditTx(tx, c.entry("provider.save", "provider", pr.ID, id, map[string]any{"npi": pr.NPI}))
	}); err != nil {
		return err
	}
	return c.json(http.StatusCreated, pr)
}

// PATCH /v1/practices/{practice}/providers/{provider} (admins): rename.
func (c *call) patchProvider() error {
	if !c.id.All() {
		return errForbidden
	}
	id, err := c.practiceOf()
	if err != nil {
		return err
	}
	pid, err := c.pathID("provider")
	if err != nil {
		return err
	}
	var b struct {
		Name string `json:"name"`
	}
	if err := c.decode(&b); err != nil {
		return err
	}
	var pr practicestore.Provider
	if err := c.inTx(func(tx *sqlx.Tx) error {
		var err error
		if pr, err = practicestore.RenameProvider(c.r.Context(), tx, id, pid, b.Name); err != nil {
			return storeError(err)
		}
		return c.auditTx(tx, c.entry("provider.update", "provider", pr.ID, id, map[string]any{"fields": []string{"name"}}))
	}); err != nil {
		return err
	}
	return c.json(http.StatusOK, pr)
}

// GET /v1/practices/{practice}/payers: the payers the practice is
// enrolled with or paid by, with ids, codes and names.
func (c *call) getPracticePayers() error {
	id, err := c.practiceOf()
	if err != nil {
		return err
	}
	p, err := newPager(c.r.URL.Query(), sortKey{name: "id", expr: "id", typ: "bigint"})
	if err != nil {
		return err
	}
	list, err := practicestore.PracticePayers(c.r.Context(), c.s.db, id)
	if err != nil {
		return err
	}
	return c.json(http.StatusOK, pageOf(p, list, func(y practicestore.Payer) int64 { return y.ID }))
}

// POST /v1/practices/{practice}/payers (admins): enroll the practice with
// the payer of payer_code (registered with payer_name when new).
func (c *call) postPracticePayer() error {
	if !c.id.All() {
		return errForbidden
	}
	id, err := c.practiceOf()
	if err != nil {
		return err
	}
	var b payerBody
	if err := c.decode(&b); err != nil {
		return err
	}
	var y practicestore.Payer
	if err := c.inTx(func(tx *sqlx.Tx) error {
		var err error
		if y, err = practicestore.AddPracticePayer(c.r.Context(), tx, id, b.PayerCode, b.PayerName); err != nil {
			return storeError(err)
		}
		return c.auditTx(tx, c.entry("practice.payer_add", "payer", y.ID, id, map[string]any{"payer_code": y.Code}))
	}); err != nil {
		return err
	}
	return c.json(http.StatusCreated, y)
}

// DELETE /v1/practices/{practice}/payers/{payer} (admins): end the
// enrollment (remittances of the payer stay).
func (c *call) deletePracticePayer() error {
	if !c.id.All() {
		return errForbidden
	}
	id, err := c.practiceOf()
	if err != nil {
		return err
	}
	yid, err := c.pathID("payer")
	if err != nil {
		return err
	}
	if err := c.inTx(func(tx *sqlx.Tx) error {
		if err := practicestore.RemovePracticePayer(c.r.Context(), tx, id, yid); err != nil {
			return storeError(err)
		}
		return c.auditTx(tx, c.entry("practice.payer_remove", "payer", yid, id, nil))
	}); err != nil {
		return err
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

// pageOf pages a short list read whole, in id order (a practice's
// providers and payers): the rows after the cursor, at most the limit, and
// the next cursor.
func pageOf[T any](p *pager, all []T, idOf func(T) int64) Page[T] {
	rest := all
	if p.after != nil {
		i := 0
		for i < len(rest) && idOf(rest[i]) <= p.after.ID {
			i++
		}
		rest = rest[i:]
	}
	if len(rest) > p.limit+1 {
		rest = rest[:p.limit+1]
	}
	n, next := p.next(len(rest), func(i int) (string, int64) { return strconv.FormatInt(idOf(rest[i]), 10), idOf(rest[i]) })
	return Page[T]{Items: rest[:n], NextCursor: next}
}
