package money

import "testing"

func TestMicros(t *testing.T) {
	for _, c := range []struct {
		in, out string
		round   string
	}{
		{"49.995", "49.995", "50.00"}, {"-49.995", "-49.995", "-50.00"}, {"135.821", "135.821", "135.82"},
		{"0.7526", "0.7526", "0.75"}, {"12.5", "12.50", "12.50"}, {".000001", "0.000001", "0.00"},
		{"100", "100.00", "100.00"}, {"1.2345000", "1.2345", "1.23"},
	} {
		m, err := ParseMicros([]byte(c.in))
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if m.String() != c.out || m.Round().String() != c.round {
			t.Errorf("%s: %s rounds to %s, want %s and %s", c.in, m, m.Round(), c.out, c.round)
		}
	}
	for _, bad := range []string{"", "1,200.00", " 800.00", "5E1", "1.0000001", "-", "."} {
		if _, err := ParseMicros([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if MustParse("1.25").Micros() != 1_250_000 {
		t.Error("Amount.Micros")
	}
}
