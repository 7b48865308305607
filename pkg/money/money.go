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
	var cents int64
	digits, frac := 0, -1
	over := false // too large; reported once the syntax is known good
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			if frac >= 0 {
				frac++
				if frac > 2 {
					if c != '0' {
						return 0, ErrSyntax
					}
					continue
				}
			}
			digits++
			if over = over || cents > maxCents/10; !over {
				cents = cents*10 + int64(c-'0')
			}
		case c == '.' && frac < 0:
			frac = 0
		default:
			return 0, ErrSyntax
		}
	}
	if digits == 0 {
		return 0, ErrSyntax
	}
	if over {
		return 0, ErrRange
	}
	switch {
	case frac <= 0:
		if cents > maxCents/100 {
			return 0, ErrRange
		}
		cents *= 100
	case frac == 1:
		if cents > maxCents/10 {
			return 0, ErrRange
		}
		cents *= 10
	}
	if cents > maxCents {
		return 0, ErrRange
	}
	if neg {
		cents = -cents
	}
	return Amount(cents), nil
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
