package money

import (
	"database/sql"
	"database/sql/driver"
	"encoding"
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"regexp"
	"strings"
	"testing"
)

var (
	_ encoding.TextMarshaler   = Amount(0)
	_ encoding.TextUnmarshaler = (*Amount)(nil)
	_ driver.Valuer            = Amount(0)
	_ sql.Scanner              = (*Amount)(nil)
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want Amount
		err  error
	}{
		// The X12 decimal forms.
		{"-12.5", -1250, nil},
		{".50", 50, nil},
		{"100", 10000, nil},
		{"+3.00", 300, nil},
		{"1.500", 150, nil},
		{"0", 0, nil},
		{"-0", 0, nil},
		{"-0.00", 0, nil},
		{"0.01", 1, nil},
		{"-.5", -50, nil},
		{"1.", 100, nil},
		{"007.10", 710, nil},
		{"12.340000", 1234, nil},
		{"90000000000000", Amount(maxCents), nil},
		{"-90000000000000.00", Amount(-maxCents), nil},
		{"89999999999999.99", Amount(maxCents - 1), nil},
		{"00000000000000000000000000000001.5", 150, nil},

		// Not amounts.
		{"1e3", 0, ErrSyntax},
		{"1E3", 0, ErrSyntax},
		{"1,000", 0, ErrSyntax},
		{"1,000.00", 0, ErrSyntax},
		{" 1", 0, ErrSyntax},
		{"1 ", 0, ErrSyntax},
		{"", 0, ErrSyntax},
		{"-", 0, ErrSyntax},
		{"+", 0, ErrSyntax},
		{".", 0, ErrSyntax},
		{"-.", 0, ErrSyntax},
		{"1.234", 0, ErrSyntax},
		{"1.2.3", 0, ErrSyntax},
		{"1..2", 0, ErrSyntax},
		{"--1", 0, ErrSyntax},
		{"+-1", 0, ErrSyntax},
		{"$1", 0, ErrSyntax},
		{"1-", 0, ErrSyntax},
		{"0x10", 0, ErrSyntax},
		{"NaN", 0, ErrSyntax},
		{"Inf", 0, ErrSyntax},
		{"1.0000001", 0, ErrSyntax},
		{"١٢", 0, ErrSyntax}, // Arabic-Indic digits

		// Too large.
		{"90000000000000.01", 0, ErrRange},
		{"-90000000000000.01", 0, ErrRange},
		{"90000000000001", 0, ErrRange},
		{"9000000000000000", 0, ErrRange}, // was read as 9e17 cents, though "9000000000000000.00" was refused
		{"900000000000000.0", 0, ErrRange},
		{"100000000000000000", 0, ErrRange},
		{"92233720368547758.07", 0, ErrRange},
		{"9223372036854775807", 0, ErrRange},
		{"99999999999999999999999999", 0, ErrRange},
		{"999999999999999999.9", 0, ErrRange},
		{"-" + strings.Repeat("9", 40), 0, ErrRange},
	}
	for _, tt := range tests {
		for _, parse := range []func(string) (Amount, error){Parse, func(s string) (Amount, error) { return ParseBytes([]byte(s)) }} {
			got, err := parse(tt.in)
			if !errors.Is(err, tt.err) || tt.err == nil && err != nil {
				t.Errorf("Parse(%q): error %v, want %v", tt.in, err, tt.err)
				continue
			}
			if err == nil && got != tt.want {
				t.Errorf("Parse(%q) = %d cents, want %d", tt.in, got, tt.want)
			}
			if err != nil && got != 0 {
				t.Errorf("Parse(%q) = %d with error %v, want 0", tt.in, got, err)
			}
		}
	}
}

func TestParseBytesAllocs(t *testing.T) {
	b := []byte("-12345.67")
	if n := testing.AllocsPerRun(100, func() { ParseBytes(b) }); n != 0 {
		t.Errorf("ParseBytes: %.0f allocations", n)
	}
}

func TestMustParse(t *testing.T) {
	if MustParse("1.25") != 125 {
		t.Error("MustParse(1.25)")
	}
	defer func() {
		if recover() == nil {
			t.Error("MustParse(1e3) did not panic")
		}
	}()
	MustParse("1e3")
}

func TestFormat(t *testing.T) {
	tests := []struct {
		a         Amount
		str, x12  string
		roundTrip bool // Parse(String()) gives a back
	}{
		{0, "0.00", "0", true},
		{1, "0.01", "0.01", true},
		{-1, "-0.01", "-0.01", true},
		{5, "0.05", "0.05", true},
		{10, "0.10", "0.1", true},
		{-50, "-0.50", "-0.5", true},
		{100, "1.00", "1", true},
		{-1250, "-12.50", "-12.5", true},
		{1234, "12.34", "12.34", true},
		{-123456789, "-1234567.89", "-1234567.89", true},
		{Amount(maxCents), "90000000000000.00", "90000000000000", true},
		{math.MaxInt64, "92233720368547758.07", "92233720368547758.07", false},
		{math.MinInt64, "-92233720368547758.08", "-92233720368547758.08", false},
		{math.MinInt64 + 1, "-92233720368547758.07", "-92233720368547758.07", false},
	}
	for _, tt := range tests {
		if got := tt.a.String(); got != tt.str {
			t.Errorf("Amount(%d).String() = %q, want %q", int64(tt.a), got, tt.str)
		}
		if got := string(tt.a.AppendText([]byte("x"))); got != "x"+tt.str {
			t.Errorf("Amount(%d).AppendText = %q", int64(tt.a), got)
		}
		if got := tt.a.X12(); got != tt.x12 {
			t.Errorf("Amount(%d).X12() = %q, want %q", int64(tt.a), got, tt.x12)
		}
		if tt.a.Cents() != int64(tt.a) {
			t.Errorf("Amount(%d).Cents() = %d", int64(tt.a), tt.a.Cents())
		}
		for _, s := range []string{tt.str, tt.x12} {
			b, err := Parse(s)
			if tt.roundTrip && (err != nil || b != tt.a) {
				t.Errorf("Parse(%q) = %d, %v; want %d", s, b, err, int64(tt.a))
			}
			if !tt.roundTrip && !errors.Is(err, ErrRange) {
				t.Errorf("Parse(%q): %v, want ErrRange", s, err)
			}
		}
	}
}

func TestTextAndJSON(t *testing.T) {
	type doc struct {
		Paid    Amount  `json:"paid"`
		Charge  Amount  `json:"charge"`
		Allowed *Amount `json:"allowed,omitempty"`
	}
	allowed := Amount(-7)
	in := doc{Paid: -1250, Charge: 100, Allowed: &allowed}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"paid":"-12.50","charge":"1.00","allowed":"-0.07"}`; string(b) != want {
		t.Errorf("json.Marshal = %s, want %s", b, want)
	}
	var out doc
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out.Paid != in.Paid || out.Charge != in.Charge || out.Allowed == nil || *out.Allowed != allowed {
		t.Errorf("JSON round trip: %+v, want %+v", out, in)
	}
	// X12 forms are accepted on the way in; other text is not.
	if err := json.Unmarshal([]byte(`{"paid":".5","charge":"+3"}`), &out); err != nil || out.Paid != 50 || out.Charge != 300 {
		t.Errorf("Unmarshal X12 forms: %+v, %v", out, err)
	}
	for _, bad := range []string{`{"paid":"1e3"}`, `{"paid":"1,000"}`, `{"paid":""}`, `{"paid":"1.234"}`} {
		if err := json.Unmarshal([]byte(bad), &out); !errors.Is(err, ErrSyntax) {
			t.Errorf("Unmarshal(%s): %v, want ErrSyntax", bad, err)
		}
	}
	if err := json.Unmarshal([]byte(`{"paid":"100000000000000000"}`), &out); !errors.Is(err, ErrRange) {
		t.Errorf("Unmarshal of an overflowing amount: %v, want ErrRange", err)
	}

	for _, a := range []Amount{0, 1, -1, 99, -100, 123456789, Amount(maxCents), Amount(-maxCents)} {
		txt, err := a.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back Amount
		if err := back.UnmarshalText(txt); err != nil || back != a {
			t.Errorf("text round trip of %d: %q -> %d, %v", int64(a), txt, back, err)
		}
	}
	// A failed UnmarshalText leaves the value alone.
	keep := Amount(42)
	if err := keep.UnmarshalText([]byte("x")); err == nil || keep != 42 {
		t.Errorf("UnmarshalText(x): %v, value %d", err, keep)
	}
}

func TestSQL(t *testing.T) {
	v, err := Amount(-1250).Value()
	if err != nil || v != "-12.50" {
		t.Errorf("Value() = %#v, %v", v, err)
	}
	tests := []struct {
		src  any
		want Amount
		err  error
	}{
		{nil, 0, nil},
		{[]byte("12.34"), 1234, nil},
		{"12.34", 1234, nil},
		{"-0.50", -50, nil},
		{[]byte("1000.00"), 100000, nil},
		{int64(12), 1200, nil},
		{int64(-3), -300, nil},
		{int64(0), 0, nil},
		{int64(maxCents / 100), Amount(maxCents), nil},
		{int64(maxCents/100 + 1), 0, ErrRange},
		{int64(math.MaxInt64), 0, ErrRange},
		{int64(math.MinInt64), 0, ErrRange},
		{"12.345", 0, ErrSyntax},
		{[]byte("abc"), 0, ErrSyntax},
		{"", 0, ErrSyntax},
		{12.5, 0, nil}, // floats are refused (error checked below)
		{true, 0, nil},
	}
	for _, tt := range tests {
		a := Amount(777)
		err := a.Scan(tt.src)
		switch tt.src.(type) {
		case float64, bool:
			if err == nil {
				t.Errorf("Scan(%T) accepted", tt.src)
			}
			continue
		}
		if !errors.Is(err, tt.err) || tt.err == nil && err != nil {
			t.Errorf("Scan(%#v): %v, want %v", tt.src, err, tt.err)
			continue
		}
		if err == nil && a != tt.want {
			t.Errorf("Scan(%#v) = %d, want %d", tt.src, a, tt.want)
		}
	}
	// Value and Scan round trip.
	for _, a := range []Amount{0, 1, -1, 1234, -99999, Amount(maxCents)} {
		v, _ := a.Value()
		var b Amount
		if err := b.Scan(v); err != nil || b != a {
			t.Errorf("Value/Scan round trip of %d: %v -> %d, %v", int64(a), v, b, err)
		}
	}
}

// amountRE is the grammar Parse accepts: a sign, digits with an optional
// point (at least one digit somewhere), and at most two places that are not
// trailing zeros.
var amountRE = regexp.MustCompile(`^[+-]?([0-9]*)(?:\.([0-9]*))?$`)

// refParse is a slow, obviously correct Parse on big integers.
func refParse(s string) (Amount, error) {
	m := amountRE.FindStringSubmatch(s)
	if m == nil || m[1] == "" && m[2] == "" {
		return 0, ErrSyntax
	}
	frac := strings.TrimRight(m[2], "0")
	if len(frac) > 2 {
		return 0, ErrSyntax
	}
	frac += strings.Repeat("0", 2-len(frac))
	n, _ := new(big.Int).SetString("0"+m[1]+frac, 10)
	if strings.HasPrefix(s, "-") {
		n.Neg(n)
	}
	if n.CmpAbs(big.NewInt(maxCents)) > 0 {
		return 0, ErrRange
	}
	return Amount(n.Int64()), nil
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"-12.5", ".50", "100", "+3.00", "1.500", "1e3", "1,000", " 1", "", "-", ".", "1.234",
		"90000000000000", "90000000000000.01", "9000000000000000", "92233720368547758.08", "-0.001", "0.010"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := Parse(s)
		b, errB := ParseBytes([]byte(s))
		if a != b || err != errB {
			t.Fatalf("Parse(%q) = %d, %v but ParseBytes = %d, %v", s, a, err, b, errB)
		}
		want, wantErr := refParse(s)
		if err != wantErr || a != want {
			t.Fatalf("Parse(%q) = %d, %v; want %d, %v", s, a, err, want, wantErr)
		}
		if err != nil {
			return
		}
		for _, out := range []string{a.String(), a.X12()} {
			back, err := Parse(out)
			if err != nil || back != a {
				t.Fatalf("Parse(%q) = %d; %q parses back to %d, %v", s, a, out, back, err)
			}
		}
		var back Amount
		txt, _ := a.MarshalText()
		if err := back.UnmarshalText(txt); err != nil || back != a {
			t.Fatalf("text round trip of %q: %q -> %d, %v", s, txt, back, err)
		}
	})
}

func TestDollars(t *testing.T) {
	for cents, want := range map[int64]string{
		0: "$0.00", 5: "$0.05", 99999: "$999.99", 100000: "$1,000.00", 4461815: "$44,618.15",
		-123400: "-$1,234.00", 123456789012: "$1,234,567,890.12", -1: "-$0.01",
	} {
		if got := Amount(cents).Dollars(); got != want {
			t.Errorf("Amount(%d).Dollars() = %q, want %q", cents, got, want)
		}
	}
}
