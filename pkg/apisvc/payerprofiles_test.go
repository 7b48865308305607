package apisvc

import (
	"net/http"
	"testing"
)

// An admin stores a profile version and maps a payer to it; a biller reads
// both and may not change them; a bad profile is refused with 400.
func TestPayerProfilesAPI(t *testing.T) {
	f := newFixture(t)
	p := matrixProfile()
	p["name"], p["bilateral"] = "ACME PPO", "lt_rt"
	if r := f.do("admin", "PUT", "/v1/payer-profiles/acme_ppo", p); r.code != http.StatusOK {
		t.Fatalf("put: %d %s", r.code, r.body)
	}
	bad := matrixProfile()
	bad["correction"] = "fax it"
	if r := f.do("admin", "PUT", "/v1/payer-profiles/acme_ppo", bad); r.code != http.StatusBadRequest {
		t.Errorf("bad profile: %d %s", r.code, r.body)
	}
	if r := f.do("admin", "PUT", "/v1/payer-profile-map/60054", map[string]any{"profile_id": "acme_ppo"}); r.code != http.StatusOK {
		t.Fatalf("map: %d %s", r.code, r.body)
	}
	if r := f.do("admin", "PUT", "/v1/payer-profile-map/60055", map[string]any{"profile_id": "nobody"}); r.code != http.StatusBadRequest {
		t.Errorf("map to an unknown profile: %d %s", r.code, r.body)
	}
	if r := f.do("bill1", "PUT", "/v1/payer-profile-map/60054", map[string]any{"profile_id": "commercial"}); r.code != http.StatusForbidden {
		t.Errorf("a biller changed a mapping: %d", r.code)
	}
	var list struct {
		Profiles []struct {
			ID        string `json:"id"`
			Bilateral string `json:"bilateral"`
			Shipped   bool   `json:"shipped"`
		} `json:"profiles"`
	}
	f.do("bill1", "GET", "/v1/payer-profiles?id=acme_ppo", nil).decode(t, &list)
	if len(list.Profiles) != 1 || list.Profiles[0].Bilateral != "lt_rt" || list.Profiles[0].Shipped {
		t.Errorf("listed %+v", list.Profiles)
	}
	var m struct {
		Payers []struct {
			Payer   string `json:"payer_id"`
			Profile string `json:"profile_id"`
		} `json:"payers"`
	}
	f.do("bill1", "GET", "/v1/payer-profile-map", nil).decode(t, &m)
	found := map[string]string{}
	for _, x := range m.Payers {
		found[x.Payer] = x.Profile
	}
	if found["60054"] != "acme_ppo" || found["03102"] != "medicare_part_b" {
		t.Errorf("map: 60054=%q 03102=%q", found["60054"], found["03102"])
	}
	var n int
	if err := f.db.QueryRow(`SELECT count(*) FROM audit_log WHERE action LIKE 'payer_profile.%'`).Scan(&n); err != nil || n != 2 {
		t.Errorf("audit rows %d (%v), want 2", n, err)
	}
}
