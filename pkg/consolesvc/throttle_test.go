package consolesvc

import (
	"fmt"
	"testing"
	"time"
)

// TestThrottleEvictsOldest: a full table loses its oldest entries, never
// the whole table: a guesser's count survives a spray of new keys.
func TestThrottleEvictsOldest(t *testing.T) {
	f := &signinFails{max: 8}
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	for range signinMaxFails {
		f.fail("victim@x.test", "198.51.100.7", now)
	}
	if f.blocked("victim@x.test", "198.51.100.7", now) == 0 {
		t.Fatal("5 wrong passwords: not blocked")
	}
	// A spray of other emails from other addresses, later: the victim's
	// pair is the oldest entry and goes first, but only once the table is
	// full; the newest entries stay.
	for i := range 3 {
		f.fail(fmt.Sprintf("spray%d@x.test", i), fmt.Sprintf("203.0.113.%d", i), now.Add(time.Second))
	}
	if len(f.m) > 8 {
		t.Fatalf("table of cap 8 holds %d", len(f.m))
	}
	if f.blocked("victim@x.test", "198.51.100.7", now.Add(2*time.Second)) == 0 {
		t.Error("the victim's count was forgotten while the table had room")
	}
	for i := range 20 {
		f.fail(fmt.Sprintf("spray%d@x.test", i), fmt.Sprintf("203.0.113.%d", i), now.Add(3*time.Second))
	}
	if len(f.m) > 8 || f.order.Len() != len(f.m) {
		t.Fatalf("table of cap 8 holds %d (order %d)", len(f.m), f.order.Len())
	}
	if _, ok := f.m[pairKey("spray19@x.test", "203.0.113.19")]; !ok {
		t.Error("the newest entry was evicted")
	}
	if _, ok := f.m[pairKey("victim@x.test", "198.51.100.7")]; ok {
		t.Error("the oldest entry survived a full table")
	}
}

// TestThrottlePerEmailCap: one email is refused after signinMaxEmailFails
// wrong passwords whatever the addresses they came from.
func TestThrottlePerEmailCap(t *testing.T) {
	f := &signinFails{}
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	for i := range signinMaxEmailFails {
		if f.blocked("victim@x.test", fmt.Sprintf("203.0.113.%d", i), now) > 0 {
			t.Fatalf("try %d from a new address blocked", i)
		}
		f.fail("victim@x.test", fmt.Sprintf("203.0.113.%d", i), now)
	}
	if f.blocked("victim@x.test", "192.0.2.200", now) == 0 {
		t.Error("after 20 wrong passwords from 20 addresses, a new address may still try")
	}
	if f.blocked("other@x.test", "192.0.2.200", now) > 0 {
		t.Error("another email is blocked")
	}
	if f.blocked("victim@x.test", "192.0.2.200", now.Add(signinWindow)) > 0 {
		t.Error("still blocked after the window")
	}
}
