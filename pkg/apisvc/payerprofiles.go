package apisvc

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/jmoiron/sqlx"
	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/rules"
	"github.com/remitq/remitq/pkg/rulesstore"
)

// Payer profiles (issue 16): the profile versions the rules and the router
// apply per payer and plan type, and the map from payer IDs to profiles
// (pkg/rulesstore). Anyone who reads work items may read them; admins
// change them, each change audited. Profiles hold no PHI.

// getPayerProfiles is GET /v1/payer-profiles[?id=PROFILE]: every version,
// shipped and stored, by profile and effective date.
func (c *call) getPayerProfiles() error {
	ps, err := rulesstore.ListProfiles(c.r.Context(), c.s.db, c.r.URL.Query().Get("id"))
	if err != nil {
		return err
	}
	if ps == nil {
		ps = []rulesstore.StoredProfile{}
	}
	return c.json(http.StatusOK, map[string]any{"profiles": ps})
}

// putPayerProfile is PUT /v1/payer-profiles/{id}: stores a version of the
// profile (a rules.Profile as JSON; its effective date says from when it
// applies), replacing a stored version with the same effective date.
func (c *call) putPayerProfile() error {
	raw, err := c.readBody()
	if err != nil {
		return err
	}
	var probe struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(raw, &probe) != nil {
		return badRequest("the body is a payer profile as JSON")
	}
	id := c.r.PathValue("id")
	if probe.ID != "" && probe.ID != id {
		return badRequest("the body's id %q differs from the path's %q", probe.ID, id)
	}
	if probe.ID == "" {
		var m map[string]any
		if json.Unmarshal(raw, &m) != nil {
			return badRequest("the body is a payer profile as JSON")
		}
		m["id"] = id
		raw, _ = json.Marshal(m)
	}
	p, err := rules.ParseProfile(raw)
	if err != nil {
		return badRequest("%v", err)
	}
	if p.Effective != "" {
		if d, err := day.ParseSet(p.Effective); err == nil && d.Time().Year() < 1 {
			return badRequest("effective is a date YYYY-MM-DD of a year 1 to 9999")
		}
	}
	ctx := c.r.Context()
	var sp rulesstore.StoredProfile
	if err := c.inTx(func(tx *sqlx.Tx) error {
		var err error
		if sp, err = rulesstore.PutProfile(ctx, tx, p, c.id.Actor()); err != nil {
			return err
		}
		return c.auditTx(tx, c.entry("payer_profile.put", "payer_profile_versions", 0, 0, map[string]any{
			"profile_id": p.ID, "effective": p.Effective}))
	}); err != nil {
		return err
	}
	return c.json(http.StatusOK, sp)
}

// deletePayerProfile is DELETE /v1/payer-profiles/{id}/{effective}: removes
// a stored version (shipped versions stay). Answers 204 whether or not it
// existed.
func (c *call) deletePayerProfile() error {
	id, eff := c.r.PathValue("id"), c.r.PathValue("effective")
	if d, err := day.ParseSet(eff); err == nil && d.Time().Year() < 1 {
		return badRequest("effective is a date YYYY-MM-DD of a year 1 to 9999")
	}
	ctx := c.r.Context()
	if err := c.inTx(func(tx *sqlx.Tx) error {
		found, err := rulesstore.DeleteProfileVersion(ctx, tx, id, eff)
		if err != nil {
			if _, perr := day.ParseSet(eff); perr != nil {
				return badRequest("effective is a date YYYY-MM-DD")
			}
			return err
		}
		return c.auditTx(tx, c.entry("payer_profile.delete", "payer_profile_versions", 0, 0, map[string]any{
			"profile_id": id, "effective": eff, "found": found}))
	}); err != nil {
		return err
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

// getPayerProfileMap is GET /v1/payer-profile-map: which profile each payer
// ID (837 NM1*PR, 835 N1*PR / REF*2U) is worked under, shipped and stored.
func (c *call) getPayerProfileMap() error {
	m, err := rulesstore.ListPayerMap(c.r.Context(), c.s.db)
	if err != nil {
		return err
	}
	if m == nil {
		m = []rulesstore.PayerMapping{}
	}
	return c.json(http.StatusOK, map[string]any{"payers": m})
}

// putPayerProfileMap is PUT /v1/payer-profile-map/{payer}:
// {"profile_id": "..."} ("default": remitq's built-in defaults).
func (c *call) putPayerProfileMap() error {
	var b struct {
		Profile string `json:"profile_id"`
	}
	if err := c.decode(&b); err != nil {
		return err
	}
	if b.Profile == "" {
		return badRequest("profile_id is required")
	}
	payer := c.r.PathValue("payer")
	ctx := c.r.Context()
	if err := c.inTx(func(tx *sqlx.Tx) error {
		if err := rulesstore.MapPayer(ctx, tx, payer, b.Profile, c.id.Actor()); errors.Is(err, rulesstore.ErrUnknownProfile) {
			return badRequest("%v", err)
		} else if err != nil {
			return err
		}
		return c.auditTx(tx, c.entry("payer_profile.map", "payer_profile_map", 0, 0, map[string]any{
			"payer_id": payer, "profile_id": b.Profile}))
	}); err != nil {
		return err
	}
	return c.json(http.StatusOK, rulesstore.PayerMapping{Payer: payer, Profile: b.Profile})
}

// deletePayerProfileMap is DELETE /v1/payer-profile-map/{payer}: drops the
// stored mapping (the shipped one, if any, applies again). Answers 204
// whether or not it existed.
func (c *call) deletePayerProfileMap() error {
	payer := c.r.PathValue("payer")
	ctx := c.r.Context()
	if err := c.inTx(func(tx *sqlx.Tx) error {
		found, err := rulesstore.UnmapPayer(ctx, tx, payer)
		if err != nil {
			return err
		}
		return c.auditTx(tx, c.entry("payer_profile.unmap", "payer_profile_map", 0, 0, map[string]any{
			"payer_id": payer, "found": found}))
	}); err != nil {
		return err
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}
