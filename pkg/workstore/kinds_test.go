package workstore_test

import (
	"regexp"
	"slices"
	"testing"

	"github.com/remitq/remitq/pkg/work"
)

// TestKindsAreTheConstraint: every kind work_items_kind_check allows is in
// work.Kinds (the list the API's kind filter and the queue rules read), and
// the database stores an item of each. work.KindRejection is the one kind
// ahead of its migration.
func TestKindsAreTheConstraint(t *testing.T) {
	f := newFixture(t)
	var def string
	if err := f.db.Get(&def, `SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'work_items_kind_check'`); err != nil {
		t.Fatal(err)
	}
	var db []string
	for _, m := range regexp.MustCompile(`'([a-z_]+)'`).FindAllStringSubmatch(def, -1) {
		db = append(db, m[1])
	}
	if len(db) < 4 {
		t.Fatalf("constraint %q: kinds %v", def, db)
	}
	for _, k := range db {
		if !work.ValidKind(k) {
			t.Errorf("the database allows kind %q, work.Kinds does not", k)
		}
	}
	for i, k := range work.Kinds {
		if !slices.Contains(db, k) {
			if k != work.KindRejection {
				t.Errorf("work.Kinds has %q, the database does not allow it", k)
			}
			continue
		}
		if _, err := f.db.Exec(`INSERT INTO work_items (dedupe_key, practice_id, queue_id, kind, disposition, category,
			amount_at_risk, status) VALUES ($1, $2, $3, $4, 'denied', '', 1, 'new')`, "kind:"+k, f.practice, f.queue, k); err != nil {
			t.Errorf("kind %d %q: %v", i, k, err)
		}
	}
}
