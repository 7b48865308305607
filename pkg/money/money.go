// Package money holds exact monetary amounts as integer cents.
//
// Amount never uses floating point. It parses the X12 decimal forms
// ("-12.5", ".50", "100", "+3.00") strictly, prints with two places, and
// stores in PostgreSQL as NUMERIC(14,2).
package money

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"
)

// Amount is a signed amount of money in cents.
type Amount int64

// ErrSyntax reports text that is not a decimal amount with at most two places.
var ErrSyntax = errors.New("money: not a decimal amount with at most two decimal places")

// ErrRange reports an amount too large to hold.
var ErrRange = errors.New("money: amount out of range")

// maxCents bounds the magnitude of the amounts Parse and Scan accept (90
// trillion dollars): far beyond any real amount, and far enough from the
// int64 limits that sums of many amounts cannot overflow.
const maxCents = int64(9_000_000_000_000_000)

// Parse reads an X12-style decimal amount: an optional sign, digits, and an
// optional decimal point followed by up to two digits. Trailing zeros beyond
// two places are accepted ("1.500"); other extra precision is an error, as are
// exponents, blanks and thousands separators. Amounts beyond ±90 trillion
// dollars are ErrRange, whatever their form.
func Parse(s string) (Amount, error) { return ParseBytes([]byte(s)) }

// ParseBytes is Parse on a byte slice; it does not allocate.
func ParseBytes(b []byte) (Amount, error) {
	v, err := parseFixed(b, 2)
	if err == errPlaces {
		err = ErrSyntax
	}
	return Amount(v), err
}

// errPlaces is parseFixed's answer for nonzero digits beyond its places.
var errPlaces = errors.New("money: too many decimal places")

// parseFixed reads a decimal ("-12.345", ".5", "+100") as an integer in
// units of 10^-places: trailing zeros beyond places are accepted, other
// digits beyond them are errPlaces; exponents, blanks and separators are
// ErrSyntax; magnitudes beyond maxCents units are ErrRange, reported once
// the syntax is known good. Money and Micros both parse with it.
func parseFixed(b []byte, places int) (int64, error) {
	if len(b) == 0 {
		return 0, ErrSyntax
	}
	neg := false
	switch b[0] {
	case '-':
		neg, b = true, b[1:]
	case '+':
		b = b[1:]
	}
	var v int64
	digits, frac := 0, -1
	over, extra := false, false
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			if frac >= 0 {
				frac++
				if frac > places {
					extra = extra || c != '0'
					continue
				}
			}
			digits++
			if over = over || v > maxCents/10; !over {
				v = v*10 + int64(c-'0')
			}
		case c == '.' && frac < 0:
			frac = 0
		default:
			return 0, ErrSyntax
		}
	}
	switch {
	case digits == 0:
		return 0, ErrSyntax
	case extra:
		return 0, errPlaces
	case over:
		return 0, ErrRange
	}
	for frac = max(frac, 0); frac < places; frac++ {
		if v > maxCents/10 {
			return 0, ErrRange
		}
		v *= 10
	}
	if v > maxCents {
		return 0, ErrRange
	}
	if neg {
		v = -v
	}
	return v, nil
}

// MustParse is Parse for constants in code and tests; it panics on bad input.
func MustParse(s string) Amount {
	a, err := Parse(s)
	if err != nil {
		panic(fmt.Sprintf("money.MustParse(%q): %v", s, err))
	}
	return a
}

// Cents returns the amount as an integer number of cents.
func (a Amount) Cents() int64 { return int64(a) }

// String prints the amount with two decimal places, e.g. "-12.50".
func (a Amount) String() string { return string(a.AppendText(nil)) }

// AppendText appends the two-place decimal form of a to dst.
func (a Amount) AppendText(dst []byte) []byte {
	if a < 0 {
		dst = append(dst, '-')
	}
	c := a.abs()
	dst = strconv.AppendUint(dst, c/100, 10)
	f := c % 100
	return append(dst, '.', byte('0'+f/10), byte('0'+f%10))
}

// abs returns the magnitude of a, exact even for the most negative Amount.
func (a Amount) abs() uint64 {
	if a < 0 {
		return -uint64(a)
	}
	return uint64(a)
}

// X12 prints the amount the way X12 writes it: no trailing zeros after the
// point and no point for whole amounts ("12.5", "100", "-0.01").
func (a Amount) X12() string {
	var b []byte
	if a < 0 {
		b = append(b, '-')
	}
	c := a.abs()
	b = strconv.AppendUint(b, c/100, 10)
	if f := c % 100; f != 0 {
		b = append(b, '.', byte('0'+f/10))
		if f%10 != 0 {
			b = append(b, byte('0'+f%10))
		}
	}
	return string(b)
}

// MarshalText implements encoding.TextMarshaler (and so JSON as a string).
func (a Amount) MarshalText() ([]byte, error) { return a.AppendText(nil), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (a *Amount) UnmarshalText(b []byte) error {
	v, err := ParseBytes(b)
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// Value implements driver.Valuer: the amount goes to PostgreSQL as a NUMERIC literal.
func (a Amount) Value() (driver.Value, error) { return a.String(), nil }

// Scan implements sql.Scanner for NUMERIC, text and integer columns.
func (a *Amount) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*a = 0
		return nil
	case []byte:
		return a.UnmarshalText(v)
	case string:
		return a.UnmarshalText([]byte(v))
	case int64:
		if v > maxCents/100 || v < -maxCents/100 {
			return ErrRange
		}
		*a = Amount(v * 100)
		return nil
	default:
		return fmt.Errorf("money: cannot scan %T into Amount", src)
	}
}

// Dollars formats the amount for people: a dollar sign, thousands
// separators and two places ("$44,618.15", "-$1,234.00").
func (a Amount) Dollars() string {
	s := a.String()
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	dot := len(s) - 3
	var b []byte
	if neg {
		b = append(b, '-')
	}
	b = append(b, '$')
	for i := 0; i < dot; i++ {
		if i > 0 && (dot-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, s[i])
	}
	return string(append(b, s[dot:]...))
}

// Micros is an exact amount in millionths of a currency unit. It holds the
// rare amounts written with more than two decimal places (X12 allows any
// precision in an R element), so that they are kept and summed exactly
// instead of being rounded or rejected. Amount stays the type of record.
type Micros int64

// microsPerCent converts cents to micros.
const microsPerCent = 10_000

// ErrPrecision reports a decimal with more than six places.
var ErrPrecision = errors.New("money: more than six decimal places")

// ParseMicros reads a decimal amount with up to six places, in the forms
// Parse accepts ("-12.345", ".5", "100"); trailing zeros beyond six places
// are accepted, other extra precision is ErrPrecision.
func ParseMicros(b []byte) (Micros, error) {
	v, err := parseFixed(b, 6)
	if err == errPlaces {
		err = ErrPrecision
	}
	return Micros(v), err
}

// Micros returns the amount in millionths.
func (a Amount) Micros() Micros { return Micros(a) * microsPerCent }

// Round returns m rounded to the cent, halves away from zero.
func (m Micros) Round() Amount {
	if m < 0 {
		return -(-m).Round()
	}
	return Amount((m + microsPerCent/2) / microsPerCent)
}

// String prints m with at least two places and no trailing zeros beyond
// them ("49.995", "0.7526", "12.50").
func (m Micros) String() string {
	var b []byte
	u := uint64(m)
	if m < 0 {
		b = append(b, '-')
		u = -uint64(m)
	}
	b = strconv.AppendUint(b, u/1_000_000, 10)
	f := strconv.AppendUint(nil, 1_000_000+u%1_000_000, 10)[1:]
	for len(f) > 2 && f[len(f)-1] == '0' {
		f = f[:len(f)-1]
	}
	return string(append(append(b, '.'), f...))
}

// MarshalText prints m as String does (and so JSON as a string).
func (m Micros) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText parses a decimal with up to six places.
func (m *Micros) UnmarshalText(b []byte) error {
	v, err := ParseMicros(b)
	if err != nil {
		return err
	}
	*m = v
	return nil
}
