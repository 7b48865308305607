package rulesstore_test

import (
	"context"
	"errors"
	"testing"

	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/devenv/devtest"
	"github.com/remitq/remitq/pkg/rules"
	"github.com/remitq/remitq/pkg/rulesstore"
)

// An administrator's profile version and payer mapping, stored and read
// back: the new version applies from its effective date, the payer is
// resolved to it, and the shipped defaults stay listed.
func TestPayerProfilesStore(t *testing.T) {
	db := devtest.DB(t)
	ctx := context.Background()
	f := rules.ShippedProfileFile()
	var com rules.Profile
	for _, p := range f.Profiles {
		if p.ID == "commercial" {
			com = p
		}
	}
	acme := com
	acme.ID, acme.Name, acme.Effective = "acme_ppo", "ACME PPO", "2026-07-01"
	acme.TimelyFiling = rules.Window{Days: 180, From: "service_date", Source: "ACME provider manual 2026 §4.2"}
	acme.Bilateral = rules.BilateralLTRT
	if _, err := rulesstore.PutProfile(ctx, db, acme, "user:1"); err != nil {
		t.Fatal(err)
	}
	v2 := acme
	v2.Effective, v2.TimelyFiling.Days = "2027-01-01", 120
	if _, err := rulesstore.PutProfile(ctx, db, v2, "user:1"); err != nil {
		t.Fatal(err)
	}
	bad := acme
	bad.Correction = "fax it"
	if _, err := rulesstore.PutProfile(ctx, db, bad, "user:1"); err == nil {
		t.Error("a profile with an unknown correction route was stored")
	}
	if err := rulesstore.MapPayer(ctx, db, "60054", "acme_ppo", "user:1"); err != nil {
		t.Fatal(err)
	}
	if err := rulesstore.MapPayer(ctx, db, "99999", "nobody", "user:1"); !errors.Is(err, rulesstore.ErrUnknownProfile) {
		t.Errorf("mapping to an unknown profile: %v", err)
	}
	ps, err := rulesstore.LoadProfiles(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		date string
		days int
	}{{"2026-08-01", 180}, {"2027-02-01", 120}} {
		p := ps.Resolve("60054", "", "", day.Must(c.date))
		if p == nil || p.ID != "acme_ppo" || p.TimelyFiling.Days != c.days || p.Bilateral != rules.BilateralLTRT {
			t.Errorf("on %s: %+v, want acme_ppo with %d days", c.date, p, c.days)
		}
	}
	if p := ps.Resolve("03102", "", "", day.Must("2026-08-01")); p == nil || p.ID != "medicare_part_b" {
		t.Errorf("the shipped Medicare mapping is lost: %+v", p)
	}
	list, err := rulesstore.ListProfiles(ctx, db, "")
	if err != nil {
		t.Fatal(err)
	}
	var shipped, stored int
	for _, p := range list {
		if p.Shipped {
			shipped++
		} else {
			stored++
		}
	}
	if shipped != len(f.Profiles) || stored != 2 {
		t.Errorf("listed %d shipped and %d stored, want %d and 2", shipped, stored, len(f.Profiles))
	}
	m, err := rulesstore.ListPayerMap(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, x := range m {
		if x.Payer == "60054" && x.Profile == "acme_ppo" && !x.Shipped {
			found = true
		}
	}
	if !found {
		t.Error("the stored mapping is not listed")
	}
	if ok, err := rulesstore.DeleteProfileVersion(ctx, db, "acme_ppo", "2027-01-01"); err != nil || !ok {
		t.Fatalf("delete: %v %v", ok, err)
	}
	if ok, err := rulesstore.UnmapPayer(ctx, db, "60054"); err != nil || !ok {
		t.Fatalf("unmap: %v %v", ok, err)
	}
	ps, err = rulesstore.LoadProfiles(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if p := ps.Resolve("60054", "", "", day.Must("2027-02-01")); p != nil {
		t.Errorf("an unmapped payer still resolves to %s", p.ID)
	}
}
