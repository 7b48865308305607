package day_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/remitq/remitq/pkg/day"
)

func TestRoundTrips(t *testing.T) {
	for _, s := range []string{"0001-01-02", "1969-12-31", "1970-01-01", "2024-02-29", "2026-12-07", "9999-12-31"} {
		t.Run(s, func(t *testing.T) {
			d := day.Must(s)
			if d.IsZero() || d.String() != s {
				t.Fatalf("Must(%s) = %d %q", s, d, d.String())
			}
			if got := day.Of(d.Time()); got != d {
				t.Errorf("Of(Time()) = %v, want %v", got, d)
			}
			b, _ := json.Marshal(d)
			var back day.Day
			if err := json.Unmarshal(b, &back); err != nil || back != d || string(b) != `"`+s+`"` {
				t.Errorf("JSON %s → %v %v", b, back, err)
			}
		})
	}
	if day.Must("0001-01-02") != 2 {
		t.Errorf("0001-01-02 is day %d, want 2", day.Must("0001-01-02"))
	}
}

func TestZeroIsNoDate(t *testing.T) {
	var z day.Day
	if !z.IsZero() || z.String() != "" || !z.Time().IsZero() || z.AddDays(3) != 0 {
		t.Errorf("zero: %q %v %v", z.String(), z.Time(), z.AddDays(3))
	}
	if b, _ := json.Marshal(z); string(b) != "null" {
		t.Errorf("zero JSON = %s", b)
	}
	if v, _ := z.Value(); v != nil {
		t.Errorf("zero Value = %v", v)
	}
	for _, in := range []string{`null`, `""`} {
		d := day.Must("2026-01-01")
		if err := json.Unmarshal([]byte(in), &d); err != nil || d != 0 {
			t.Errorf("%s → %v %v", in, d, err)
		}
	}
	if d, err := day.Parse(""); err != nil || d != 0 {
		t.Errorf(`Parse("") = %v %v`, d, err)
	}
	if day.Of(time.Time{}) != 0 {
		t.Error("Of(zero time) is not the zero Day")
	}
}

func TestParseForms(t *testing.T) {
	if day.Must("20260302") != day.Must("2026-03-02") {
		t.Error("CCYYMMDD and YYYY-MM-DD differ")
	}
	for _, bad := range []string{"2026-02-30", "2026/03/02", "260302", "tomorrow", "0000-01-01", "00001231"} {
		if _, err := day.Parse(bad); !errors.Is(err, day.ErrFormat) {
			t.Errorf("Parse(%q) err = %v", bad, err)
		}
	}
	if _, err := day.ParseSet(""); !errors.Is(err, day.ErrFormat) {
		t.Errorf(`ParseSet("") err = %v`, err)
	}
	if d, err := day.ParseSet("20260302"); err != nil || d != day.Must("2026-03-02") {
		t.Errorf("ParseSet = %v %v", d, err)
	}
	var d day.Day
	if err := json.Unmarshal([]byte(`20260302`), &d); err == nil {
		t.Error("a JSON number was accepted as a date")
	}
}

func TestArithmetic(t *testing.T) {
	a, b := day.Must("2026-03-02"), day.Must("2026-06-30")
	if a.DaysUntil(b) != 120 || a.AddDays(120) != b || b.AddDays(-120) != a {
		t.Errorf("120 days: %d %v %v", a.DaysUntil(b), a.AddDays(120), b.AddDays(-120))
	}
	if got := day.Must("2024-02-28").AddDays(1).String(); got != "2024-02-29" {
		t.Errorf("leap day: %s", got)
	}
	if day.Must("2026-12-07").Weekday() != time.Monday || day.Must("1969-12-31").Weekday() != time.Wednesday {
		t.Error("weekday")
	}
	if day.New(2026, 13, 1) != day.Must("2027-01-01") {
		t.Error("New does not normalize like time.Date")
	}
}

func TestScan(t *testing.T) {
	cases := []struct {
		name string
		src  any
		want string
	}{
		{"time", time.Date(2026, 3, 2, 23, 59, 0, 0, time.UTC), "2026-03-02"},
		{"text", "2026-03-02", "2026-03-02"},
		{"bytes timestamp", []byte("2026-03-02 10:00:00+00"), "2026-03-02"},
		{"null", nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := day.Must("1999-01-01")
			if err := d.Scan(c.src); err != nil || d.String() != c.want {
				t.Errorf("Scan(%v) = %q %v", c.src, d.String(), err)
			}
		})
	}
	var d day.Day
	if err := d.Scan(42); err == nil {
		t.Error("Scan(int) accepted")
	}
}
