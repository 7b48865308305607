package submissionstore_test

import (
	"context"
	"sync"
	"testing"

	"github.com/remitq/remitq/pkg/devenv/devtest"
	"github.com/remitq/remitq/pkg/submissionstore"
)

func TestMain(m *testing.M) { devtest.Main(m) }

// Control numbers come from one sequence per sender: many callers at once,
// first use included, never get a number twice, and senders do not share
// a sequence.
func TestNextControlNeverRepeats(t *testing.T) {
	db := devtest.DB(t)
	ctx := context.Background()
	const n = 24
	senders := make([]string, n)
	got := make([]int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		senders[i] = "SENDER-A"
		if i%3 == 0 {
			senders[i] = "SENDER-B"
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = submissionstore.NextControl(ctx, db, senders[i])
		}()
	}
	wg.Wait()
	seen := map[string]map[int]bool{"SENDER-A": {}, "SENDER-B": {}}
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if seen[senders[i]][got[i]] || got[i] < 1 {
			t.Fatalf("%s got control number %d twice or out of range", senders[i], got[i])
		}
		seen[senders[i]][got[i]] = true
	}
	// Each sender's numbers are 1..k: its own sequence.
	for s, m := range seen {
		for c := range m {
			if c > len(m) {
				t.Fatalf("%s got %d with %d numbers taken: the senders share a sequence", s, c, len(m))
			}
		}
	}
	var count int
	if err := db.Get(&count, `SELECT count(*) FROM submission_senders`); err != nil || count != 2 {
		t.Fatalf("%d senders registered: %v", count, err)
	}
	if _, err := submissionstore.NextControl(ctx, db, ""); err == nil {
		t.Fatal("a control number without a sender")
	}
}
