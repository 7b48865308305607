package rulesstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/remitq/remitq/pkg/rules"
)

// Payer profiles in PostgreSQL (0016): administrators' versions of the
// profiles beside the shipped ones (rules.ShippedProfileFile) and the map
// from payer IDs to profiles.

// ErrUnknownProfile is a payer mapped to a profile that does not exist.
var ErrUnknownProfile = errors.New("rulesdb: no such payer profile")

// StoredProfile is one profile version with where it comes from.
type StoredProfile struct {
	rules.Profile
	Shipped   bool      `json:"shipped"` // from the embedded defaults (not stored)
	CreatedAt time.Time `json:"created_at,omitzero"`
	CreatedBy string    `json:"created_by,omitempty"`
}

// PutProfile stores a profile version (validated), replacing the stored
// version of the same id and effective date, and returns it.
func PutProfile(ctx context.Context, q sqlx.QueryerContext, p rules.Profile, actor string) (StoredProfile, error) {
	if err := p.Validate(); err != nil {
		return StoredProfile{}, err
	}
	body, err := json.Marshal(p)
	if err != nil {
		return StoredProfile{}, err
	}
	out := StoredProfile{Profile: p}
	err = q.QueryRowxContext(ctx, `INSERT INTO payer_profile_versions (profile_id, effective, body, created_by)
		VALUES ($1, $2, $3, $4)
		ON CONFLICT (profile_id, effective) DO UPDATE SET body = EXCLUDED.body, created_by = EXCLUDED.created_by, created_at = now()
		RETURNING created_at, created_by`, p.ID, p.Effective, body, actor).Scan(&out.CreatedAt, &out.CreatedBy)
	if err != nil {
		return StoredProfile{}, fmt.Errorf("rulesdb: store profile %s: %w", p.ID, err)
	}
	return out, nil
}

// DeleteProfileVersion removes a stored version; false when there was none.
func DeleteProfileVersion(ctx context.Context, q sqlx.ExecerContext, id, effective string) (bool, error) {
	res, err := q.ExecContext(ctx, `DELETE FROM payer_profile_versions WHERE profile_id = $1 AND effective = $2`, id, effective)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// storedVersions reads the stored versions, oldest first per profile.
func storedVersions(ctx context.Context, q sqlx.QueryerContext) ([]StoredProfile, error) {
	rows, err := q.QueryxContext(ctx, `SELECT body, created_at, created_by FROM payer_profile_versions ORDER BY profile_id, effective`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []StoredProfile
	for rows.Next() {
		var body []byte
		var sp StoredProfile
		if err := rows.Scan(&body, &sp.CreatedAt, &sp.CreatedBy); err != nil {
			return nil, err
		}
		p, err := rules.ParseProfile(body)
		if err != nil {
			return nil, err
		}
		sp.Profile = p
		out = append(out, sp)
	}
	return out, rows.Err()
}

// ListProfiles returns every profile version, shipped and stored, by id
// and effective date (a stored version replaces a shipped one of the same
// date); id "" lists all profiles.
func ListProfiles(ctx context.Context, q sqlx.QueryerContext, id string) ([]StoredProfile, error) {
	stored, err := storedVersions(ctx, q)
	if err != nil {
		return nil, err
	}
	var out []StoredProfile
	for _, p := range rules.ShippedProfileFile().Profiles {
		if !slices.ContainsFunc(stored, func(s StoredProfile) bool { return s.ID == p.ID && s.Effective == p.Effective }) {
			out = append(out, StoredProfile{Profile: p, Shipped: true})
		}
	}
	out = append(out, stored...)
	if id != "" {
		out = slices.DeleteFunc(out, func(s StoredProfile) bool { return s.ID != id })
	}
	slices.SortStableFunc(out, func(a, b StoredProfile) int {
		if a.ID != b.ID {
			if a.ID < b.ID {
				return -1
			}
			return 1
		}
		switch {
		case a.Effective < b.Effective: // YYYY-MM-DD
			return -1
		case a.Effective > b.Effective:
			return 1
		}
		return 0
	})
	return out, nil
}

// PayerMapping is one payer's profile.
type PayerMapping struct {
	Payer   string `json:"payer_id"`
	Profile string `json:"profile_id"`
	Shipped bool   `json:"shipped"`
}

// MapPayer sets the profile of a payer ID (rules.DefaultProfileID: the
// built-in defaults). The profile must exist (shipped or stored).
func MapPayer(ctx context.Context, q sqlx.ExtContext, payer, profile, actor string) error {
	if payer == "" {
		return errors.New("rulesdb: a payer ID is required")
	}
	if profile != rules.DefaultProfileID {
		ps, err := ListProfiles(ctx, q, profile)
		if err != nil {
			return err
		}
		if len(ps) == 0 {
			return fmt.Errorf("%w: %q", ErrUnknownProfile, profile)
		}
	}
	_, err := q.ExecContext(ctx, `INSERT INTO payer_profile_map (payer_id_code, profile_id, updated_by) VALUES ($1, $2, $3)
		ON CONFLICT (payer_id_code) DO UPDATE SET profile_id = EXCLUDED.profile_id, updated_by = EXCLUDED.updated_by, updated_at = now()`,
		payer, profile, actor)
	return err
}

// UnmapPayer removes a payer's stored mapping (the shipped one, if any,
// applies again); false when there was none.
func UnmapPayer(ctx context.Context, q sqlx.ExecerContext, payer string) (bool, error) {
	res, err := q.ExecContext(ctx, `DELETE FROM payer_profile_map WHERE payer_id_code = $1`, payer)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

func storedMap(ctx context.Context, q sqlx.QueryerContext) (map[string]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT payer_id_code, profile_id FROM payer_profile_map`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	m := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		m[k] = v
	}
	return m, rows.Err()
}

// ListPayerMap returns the payer-to-profile map, shipped and stored, by payer ID.
func ListPayerMap(ctx context.Context, q sqlx.QueryerContext) ([]PayerMapping, error) {
	stored, err := storedMap(ctx, q)
	if err != nil {
		return nil, err
	}
	var out []PayerMapping
	for k, v := range rules.ShippedProfileFile().Payers {
		if _, ok := stored[k]; !ok {
			out = append(out, PayerMapping{Payer: k, Profile: v, Shipped: true})
		}
	}
	for k, v := range stored {
		out = append(out, PayerMapping{Payer: k, Profile: v})
	}
	slices.SortFunc(out, func(a, b PayerMapping) int {
		switch {
		case a.Payer < b.Payer:
			return -1
		case a.Payer > b.Payer:
			return 1
		}
		return 0
	})
	return out, nil
}

// LoadProfiles builds the profiles the rules and the router apply: the
// shipped file with the stored versions and payer mappings over it.
func LoadProfiles(ctx context.Context, q sqlx.QueryerContext) (*rules.Profiles, error) {
	stored, err := storedVersions(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("rulesdb: payer profiles: %w", err)
	}
	m, err := storedMap(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("rulesdb: payer profile map: %w", err)
	}
	extra := make([]rules.Profile, len(stored))
	for i, s := range stored {
		extra[i] = s.Profile
	}
	return rules.NewProfiles(rules.ShippedProfileFile(), extra, m)
}
