package practicestore_test

import (
	"errors"
	"testing"

	"github.com/remitq/remitq/pkg/devenv/devtest"
	"github.com/remitq/remitq/pkg/practicestore"
)

// TestOnboardStore: get, page, update, providers by scope, rename inside
// the practice only, payers enrolled and seen.
func TestOnboardStore(t *testing.T) {
	db := devtest.DB(t)
	ctx := t.Context()
	a := &practicestore.Practice{Name: "A", NPI: "1234567893"}
	b := &practicestore.Practice{Name: "B", TIN: "741234567"}
	for _, p := range []*practicestore.Practice{a, b} {
		if err := practicestore.Add(ctx, db, p); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := practicestore.Get(ctx, db, 999); !errors.Is(err, practicestore.ErrNotFound) {
		t.Fatalf("get missing: %v", err)
	}
	page, err := practicestore.ListPage(ctx, db, []int64{b.ID}, 0, 10)
	if err != nil || len(page) != 1 || page[0].ID != b.ID {
		t.Fatalf("page of b: %v %v", page, err)
	}
	if page, _ = practicestore.ListPage(ctx, db, nil, a.ID, 10); len(page) != 1 || page[0].ID != b.ID {
		t.Fatalf("page after a: %v", page)
	}
	b.NPI = a.NPI
	if err := practicestore.Update(ctx, db, b); !errors.Is(err, practicestore.ErrExists) {
		t.Fatalf("update to a's NPI: %v", err)
	}
	b.NPI, b.Name = "", "B2"
	if err := practicestore.Update(ctx, db, b); err != nil {
		t.Fatal(err)
	}
	pr := &practicestore.Provider{PracticeID: a.ID, NPI: "1245319599", Name: " Dr X "}
	if err := pr.Validate(); err != nil || pr.Name != "Dr X" {
		t.Fatalf("validate: %v %q", err, pr.Name)
	}
	if err := (&practicestore.Provider{NPI: "1245319599"}).Validate(); !errors.Is(err, practicestore.ErrInvalid) {
		t.Fatalf("no name: %v", err)
	}
	if err := practicestore.AddProvider(ctx, db, pr); err != nil {
		t.Fatal(err)
	}
	if _, err := practicestore.RenameProvider(ctx, db, b.ID, pr.ID, "Other"); !errors.Is(err, practicestore.ErrNotFound) {
		t.Fatalf("rename through b: %v", err)
	}
	if list, _ := practicestore.Providers(ctx, db, a.ID, []string{}); len(list) != 0 {
		t.Fatalf("no npis in scope: %v", list)
	}
	y, err := practicestore.AddPracticePayer(ctx, db, a.ID, "P1", "Payer One")
	if err != nil || y.ID == 0 || !y.Enrolled {
		t.Fatalf("enroll: %+v %v", y, err)
	}
	again, err := practicestore.AddPracticePayer(ctx, db, b.ID, "P1", "Renamed?")
	if err != nil || again.ID != y.ID || again.Name != "Payer One" {
		t.Fatalf("enroll b with the same code: %+v %v", again, err)
	}
	if _, err := practicestore.AddPracticePayer(ctx, db, 999, "P1", ""); !errors.Is(err, practicestore.ErrNotFound) {
		t.Fatalf("enroll a missing practice: %v", err)
	}
	list, err := practicestore.PracticePayers(ctx, db, a.ID)
	if err != nil || len(list) != 1 || list[0].Code != "P1" || list[0].Seen {
		t.Fatalf("payers of a: %+v %v", list, err)
	}
	if err := practicestore.RemovePracticePayer(ctx, db, a.ID, y.ID); err != nil {
		t.Fatal(err)
	}
	if err := practicestore.RemovePracticePayer(ctx, db, a.ID, y.ID); !errors.Is(err, practicestore.ErrNotFound) {
		t.Fatalf("remove twice: %v", err)
	}
}
