package pgcopy

import (
	"strconv"

	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/x12"
)

// Buf accumulates the rows of one table in PostgreSQL's COPY text format:
// columns separated by tabs, rows ended by newlines, \N for NULL, backslash
// escapes in text. Each value method appends one column; End finishes the
// row.
type Buf struct {
	Table string
	Cols  []string
	b     []byte
	col   int
	rows  int
}

// NewBuf returns an empty buffer for table's cols.
func NewBuf(table string, cols ...string) *Buf { return &Buf{Table: table, Cols: cols} }

// Rows returns the number of finished rows.
func (c *Buf) Rows() int { return c.rows }

// Len returns the number of encoded bytes held.
func (c *Buf) Len() int { return len(c.b) }

// Reset empties the buffer, keeping its memory.
func (c *Buf) Reset() { c.b, c.col, c.rows = c.b[:0], 0, 0 }

func (c *Buf) sep() {
	if c.col > 0 {
		c.b = append(c.b, '\t')
	}
	c.col++
}

// End finishes a row; it panics if the row has the wrong number of columns
// (a programming error that would otherwise corrupt the COPY stream).
func (c *Buf) End() {
	if c.col != len(c.Cols) {
		panic("pgcopy: " + c.Table + " row has " + strconv.Itoa(c.col) + " columns, want " + strconv.Itoa(len(c.Cols)))
	}
	c.b = append(c.b, '\n')
	c.col = 0
	c.rows++
}

// Null appends NULL.
func (c *Buf) Null() *Buf { c.sep(); c.b = append(c.b, `\N`...); return c }

// Int appends an integer.
func (c *Buf) Int(v int64) *Buf { c.sep(); c.b = strconv.AppendInt(c.b, v, 10); return c }

// IntOrNull appends v, or NULL when v is 0.
func (c *Buf) IntOrNull(v int64) *Buf {
	if v == 0 {
		return c.Null()
	}
	return c.Int(v)
}

// Float appends a floating-point number (for real columns, never money).
func (c *Buf) Float(v float64) *Buf {
	c.sep()
	c.b = strconv.AppendFloat(c.b, v, 'g', -1, 64)
	return c
}

// Bool appends t or f.
func (c *Buf) Bool(v bool) *Buf {
	c.sep()
	if v {
		c.b = append(c.b, 't')
	} else {
		c.b = append(c.b, 'f')
	}
	return c
}

// Text appends s, escaped.
func (c *Buf) Text(s string) *Buf {
	c.sep()
	c.b = appendText(c.b, s)
	return c
}

// TextOrNull appends s, or NULL when s is empty.
func (c *Buf) TextOrNull(s string) *Buf {
	if s == "" {
		return c.Null()
	}
	return c.Text(s)
}

// Amount appends a money amount.
func (c *Buf) Amount(a money.Amount) *Buf {
	c.sep()
	c.b = a.AppendText(c.b)
	return c
}

// AmountOrNull appends *a, or NULL when a is nil.
func (c *Buf) AmountOrNull(a *money.Amount) *Buf {
	if a == nil {
		return c.Null()
	}
	return c.Amount(*a)
}

// Date appends d, or NULL when empty.
func (c *Buf) Date(d x12.Date) *Buf { return c.TextOrNull(string(d)) }

// Qty appends a quantity, or NULL when q is 0 and orNull.
func (c *Buf) Qty(q x12.Quantity, orNull bool) *Buf {
	if q == 0 && orNull {
		return c.Null()
	}
	c.sep()
	c.b = append(c.b, q.String()...)
	return c
}

// QtyPtr appends *q, or NULL when q is nil (a zero quantity is written).
func (c *Buf) QtyPtr(q *x12.Quantity) *Buf {
	if q == nil {
		return c.Null()
	}
	return c.Qty(*q, false)
}

// Bytes appends a bytea value (hex format).
func (c *Buf) Bytes(v []byte) *Buf {
	c.sep()
	const hexd = "0123456789abcdef"
	c.b = append(c.b, `\\x`...)
	for _, x := range v {
		c.b = append(c.b, hexd[x>>4], hexd[x&15])
	}
	return c
}

// Array appends a text[] literal ({} for none).
func (c *Buf) Array(vals []string) *Buf {
	c.sep()
	c.b = append(c.b, '{')
	for i, v := range vals {
		if i > 0 {
			c.b = append(c.b, ',')
		}
		c.b = append(c.b, '"')
		for j := 0; j < len(v); j++ {
			switch ch := v[j]; ch {
			case '"':
				c.b = append(c.b, `\\"`...)
			case '\\':
				c.b = append(c.b, `\\\\`...)
			default:
				c.b = appendText(c.b, v[j:j+1])
			}
		}
		c.b = append(c.b, '"')
	}
	c.b = append(c.b, '}')
	return c
}

// IntArray appends an integer[] literal.
func (c *Buf) IntArray(vals []int) *Buf {
	c.sep()
	c.b = append(c.b, '{')
	for i, v := range vals {
		if i > 0 {
			c.b = append(c.b, ',')
		}
		c.b = strconv.AppendInt(c.b, int64(v), 10)
	}
	c.b = append(c.b, '}')
	return c
}

// appendText escapes s for the COPY text format.
func appendText(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; ch {
		case '\\':
			b = append(b, `\\`...)
		case '\t':
			b = append(b, `\t`...)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		default:
			b = append(b, ch)
		}
	}
	return b
}

// String returns the encoded rows.
func (c *Buf) String() string { return string(c.b) }
