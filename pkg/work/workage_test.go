package work

import (
	"strconv"
	"testing"
)

func TestBucket(t *testing.T) {
	for _, c := range []struct{ days, want int }{{-3, 0}, {0, 0}, {30, 0}, {31, 1}, {60, 1}, {61, 2}, {90, 2}, {91, 3}, {400, 3}} {
		t.Run(strconv.Itoa(c.days), func(t *testing.T) {
			if got := Bucket(c.days); got != c.want {
				t.Errorf("Bucket(%d) = %d (%s), want %d (%s)", c.days, got, Keys[got], c.want, Keys[c.want])
			}
		})
	}
}

func TestBucketSQL(t *testing.T) {
	if got := BucketSQL("w", "$1"); got != "(CASE WHEN (($1)::date - COALESCE(w.remit_date, w.created_at::date)) <= 30 THEN 0 "+
		"WHEN (($1)::date - COALESCE(w.remit_date, w.created_at::date)) <= 60 THEN 1 "+
		"WHEN (($1)::date - COALESCE(w.remit_date, w.created_at::date)) <= 90 THEN 2 ELSE 3 END)" {
		t.Errorf("BucketSQL = %s", got)
	}
}
