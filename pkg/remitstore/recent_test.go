package remitstore

import (
	"testing"

	"github.com/remitq/remitq/x12"
)

// Recent holds at most its bytes, drops the oldest first, hands a file over
// once, and refuses a file larger than itself; a nil Recent holds nothing.
func TestRecentKeepsTheNewestWithinItsBytes(t *testing.T) {
	t.Parallel()
	r := NewRecent(100)
	rec := []x12.RemitRecord{&x12.Remittance{}}
	r.put(1, [32]byte{1}, 40, rec)
	r.put(2, [32]byte{2}, 40, rec)
	r.put(3, [32]byte{3}, 40, rec) // 120 > 100: file 1 goes
	r.put(4, [32]byte{4}, 101, rec)
	tests := []struct {
		name string
		id   int64
		want bool
	}{
		{"oldest dropped", 1, false},
		{"kept", 2, true},
		{"newest kept", 3, true},
		{"too large", 4, false},
		{"taken once", 2, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, ok := r.take(tc.id)
			if ok != tc.want || ok && (f.sha[0] != byte(tc.id) || len(f.recs) != 1) {
				t.Fatalf("take(%d) = %v, %v; want found %v", tc.id, f.sha[0], ok, tc.want)
			}
		})
	}
	if r.size != 0 || len(r.order) != 0 {
		t.Errorf("after taking everything: size %d, order %v", r.size, r.order)
	}
	var none *Recent
	none.put(1, [32]byte{}, 1, rec)
	if _, ok := none.take(1); ok {
		t.Error("a nil Recent returned a file")
	}
}
