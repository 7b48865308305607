package x12

import (
	"bytes"
	"strconv"
	"time"

	"github.com/remitq/remitq/pkg/money"
)

// This file holds the element converters the typed decoders share. Each
// returns an *Error positioned at the element on bad input, never echoing
// the value.

// Date is a calendar date in the form YYYY-MM-DD ("" when absent).
type Date string

// Time returns the date as a time.Time at midnight UTC (zero when empty).
func (d Date) Time() time.Time {
	t, _ := time.Parse(time.DateOnly, string(d))
	return t
}

// Quantity is a decimal quantity (units, days, minutes) held as thousandths,
// exact like money.
type Quantity int64

// String prints the quantity with no more places than it needs ("1", "1.5").
func (q Quantity) String() string {
	v := int64(q)
	var b []byte
	if v < 0 {
		b = append(b, '-')
		v = -v
	}
	b = strconv.AppendInt(b, v/1000, 10)
	if f := v % 1000; f != 0 {
		fs := []byte{byte('0' + f/100), byte('0' + f/10%10), byte('0' + f%10)}
		fs = bytes.TrimRight(fs, "0")
		b = append(b, '.')
		b = append(b, fs...)
	}
	return string(b)
}

// MarshalText prints the quantity as a decimal string.
func (q Quantity) MarshalText() ([]byte, error) { return []byte(q.String()), nil }

// UnmarshalText parses a decimal quantity.
func (q *Quantity) UnmarshalText(b []byte) error {
	v, ok := parseQuantity(b)
	if !ok {
		return ErrInvalid
	}
	*q = v
	return nil
}

// parseQuantity reads a decimal with up to three places.
func parseQuantity(b []byte) (Quantity, bool) {
	if len(b) == 0 {
		return 0, false
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
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			if frac >= 0 {
				frac++
				if frac > 3 {
					if c != '0' {
						return 0, false
					}
					continue
				}
			}
			digits++
			if digits > 15 {
				return 0, false
			}
			v = v*10 + int64(c-'0')
		case c == '.' && frac < 0:
			frac = 0
		default:
			return 0, false
		}
	}
	if digits == 0 {
		return 0, false
	}
	if frac < 0 {
		frac = 0
	}
	for ; frac < 3; frac++ {
		v *= 10
	}
	if neg {
		v = -v
	}
	return Quantity(v), true
}

// Decimal is an exact decimal number as sent in an R element, which has
// no fixed precision (a DRG weight "1.2345", a rate "0.7526"). It is
// checked (digits, an optional sign and decimal point) and kept as written.
type Decimal string

// String returns the decimal as written.
func (d Decimal) String() string { return string(d) }

// Quantity returns d rounded to thousandths (halves away from zero), and
// whether that is exact.
func (d Decimal) Quantity() (Quantity, bool) {
	b := []byte(d)
	neg := len(b) > 0 && b[0] == '-'
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		b = b[1:]
	}
	var v int64
	frac, exact := -1, true
	for _, c := range b {
		switch {
		case c == '.':
			frac = 0
		case frac >= 3:
			if frac == 3 && c >= '5' {
				v++
			}
			if c != '0' {
				exact = false
			}
			frac++
		default:
			v = v*10 + int64(c-'0')
			if frac >= 0 {
				frac++
			}
		}
	}
	for frac = max(frac, 0); frac < 3; frac++ {
		v *= 10
	}
	if neg {
		v = -v
	}
	return Quantity(v), exact
}

// validDecimal checks an R element: an optional sign, up to 15 digits with
// an optional decimal point.
func validDecimal(b []byte) bool {
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		b = b[1:]
	}
	digits, point := 0, false
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !point:
			point = true
		default:
			return false
		}
	}
	return digits > 0 && digits <= 15
}

// ExactAmount is a monetary element written with more than two decimal
// places: the typed field holds it rounded to the cent, Value exactly, and
// the balancing checks use Value.
type ExactAmount struct {
	Segment int          `json:"segment"` // the segment's number in the file
	ID      string       `json:"id"`      // the segment identifier (CLP, SVC, CAS, BPR, PLB, AMT, ...)
	Element int          `json:"element"` // the element's position (CLP05 is 5)
	Value   money.Micros `json:"value"`
}

// fieldReader collects conversion errors while a decoder reads one segment,
// and takes the strings, dates and quantities it returns from val.
type fieldReader struct {
	seg   *Segment
	errs  []*Error
	val   *values
	exact []ExactAmount // amounts with more than two places, exact
}

func (f *fieldReader) fail(i int, class error, detail string) {
	f.errs = append(f.errs, errAt(f.seg, i, class, detail))
}

// str returns element i as a string.
func (f *fieldReader) str(i int) string { return f.val.str(f.seg.Element(i)) }

// code returns element i as a string, interned when short: for qualifiers
// and codes.
func (f *fieldReader) code(i int) string { return f.val.code(f.seg.Element(i)) }

// req returns element i, recording ErrMissing when it is empty.
func (f *fieldReader) req(i int, what string) string {
	v := f.seg.Element(i)
	if len(v) == 0 {
		f.fail(i, ErrMissing, "expected "+what)
	}
	return f.val.str(v)
}

// reqCode is req for a code (see code).
func (f *fieldReader) reqCode(i int, what string) string {
	v := f.seg.Element(i)
	if len(v) == 0 {
		f.fail(i, ErrMissing, "expected "+what)
	}
	return f.val.code(v)
}

// amount parses element i as money; empty is zero unless required.
func (f *fieldReader) amount(i int, required bool) money.Amount {
	return f.amountOf(i, f.seg.Element(i), required)
}

// amountOf is amount on v, the bytes of element i.
func (f *fieldReader) amountOf(i int, v []byte, required bool) money.Amount {
	if len(v) == 0 {
		if required {
			f.fail(i, ErrMissing, "expected a monetary amount")
		}
		return 0
	}
	a, err := money.ParseBytes(v)
	if err != nil {
		return f.amountSlow(i, v)
	}
	return a
}

// amountSlow reads an amount money.ParseBytes rejects: one with more than
// two places is kept exactly in f.exact and returned rounded to the cent;
// anything else is an error.
//
//go:noinline
func (f *fieldReader) amountSlow(i int, v []byte) money.Amount {
	m, err := money.ParseMicros(v)
	if err != nil {
		f.fail(i, ErrInvalid, "expected a decimal amount (digits, an optional sign and decimal point; no blanks, separators or exponent)")
		return 0
	}
	f.exact = append(f.exact, ExactAmount{Segment: f.seg.Index, ID: f.seg.ID(), Element: i, Value: m})
	return m.Round()
}

// optAmount parses element i as money when present.
func (f *fieldReader) optAmount(i int) *money.Amount {
	if !f.seg.Has(i) {
		return nil
	}
	a := f.amount(i, false)
	return &a
}

// optDecimal parses element i as an exact R decimal when present.
func (f *fieldReader) optDecimal(i int) *Decimal {
	v := f.seg.Element(i)
	if len(v) == 0 {
		return nil
	}
	if !validDecimal(v) {
		f.fail(i, ErrInvalid, "expected a decimal number")
		return nil
	}
	d := Decimal(f.val.str(v))
	return &d
}

// quantityR parses element i, an R quantity, when present: the quantity in
// thousandths, and the exact decimal when it has more than three places.
func (f *fieldReader) quantityR(i int) (*Quantity, Decimal) {
	v := f.seg.Element(i)
	if len(v) == 0 {
		return nil, ""
	}
	if q, ok := parseQuantity(v); ok {
		return f.val.quants.one(q), ""
	}
	if !validDecimal(v) {
		f.fail(i, ErrInvalid, "expected a decimal number")
		return nil, ""
	}
	d := Decimal(f.val.str(v))
	q, _ := d.Quantity()
	return f.val.quants.one(q), d
}

// quantity parses element i as a decimal quantity; empty is zero.
func (f *fieldReader) quantity(i int) Quantity { return f.quantityOf(i, f.seg.Element(i)) }

// quantityOf is quantity on v, the bytes of element i.
func (f *fieldReader) quantityOf(i int, v []byte) Quantity {
	if len(v) == 0 {
		return 0
	}
	q, ok := parseQuantity(v)
	if !ok {
		f.fail(i, ErrInvalid, "expected a decimal number")
	}
	return q
}

// optQuantity parses element i as a quantity when present.
func (f *fieldReader) optQuantity(i int) *Quantity {
	v := f.seg.Element(i)
	if len(v) == 0 {
		return nil
	}
	return f.val.quants.one(f.quantityOf(i, v))
}

// date parses element i as CCYYMMDD (or YYMMDD in old files).
func (f *fieldReader) date(i int) Date {
	v := f.seg.Element(i)
	if len(v) == 0 {
		return ""
	}
	d, ok := f.parseDate(v)
	if !ok {
		f.fail(i, ErrInvalid, "expected a date CCYYMMDD")
	}
	return d
}

// parseDate is parseDate, through the date cache of f.val.
func (f *fieldReader) parseDate(b []byte) (Date, bool) { return f.val.date(b) }

// parseDate reads CCYYMMDD or YYMMDD into a Date, checking the calendar.
func parseDate(b []byte) (Date, bool) {
	b = bytes.TrimSpace(b)
	var s string
	switch len(b) {
	case 8:
		s = string(b[0:4]) + "-" + string(b[4:6]) + "-" + string(b[6:8])
	case 6:
		yy, ok := atoi(b[0:2])
		if !ok {
			return "", false
		}
		century := "20"
		if yy >= 50 {
			century = "19"
		}
		s = century + string(b[0:2]) + "-" + string(b[2:4]) + "-" + string(b[4:6])
	default:
		return "", false
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return "", false
	}
	// A calendar date, and a plausible one: 1111-11-11 is no date in a
	// claim. 9999-12-31 stands for "open-ended" in coverage dates.
	if y := t.Year(); (y < 1800 || y > 2199) && s != "9999-12-31" {
		return "", false
	}
	return Date(s), true
}

// dateX12 formats a Date back to CCYYMMDD.
func dateX12(d Date) string {
	if len(d) != 10 {
		return string(d)
	}
	return string(d[0:4]) + string(d[5:7]) + string(d[8:10])
}
