package ingest

import (
	"strconv"

	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/x12"
)

// copyBuf accumulates the rows of one table in PostgreSQL's COPY text
// format: columns separated by tabs, rows ended by newlines, \N for NULL,
// backslash escapes in text.
type copyBuf struct {
	table string
	cols  []string
	b     []byte
	col   int // columns written in the current row
	rows  int
}

func newCopyBuf(table string, cols ...string) *copyBuf { return &copyBuf{table: table, cols: cols} }

func (c *copyBuf) sep() {
	if c.col > 0 {
		c.b = append(c.b, '\t')
	}
	c.col++
}

// end finishes a row; it panics if the row has the wrong number of columns
// (a programming error that would otherwise corrupt the COPY stream).
func (c *copyBuf) end() {
	if c.col != len(c.cols) {
		panic("ingest: " + c.table + " row has " + strconv.Itoa(c.col) + " columns, want " + strconv.Itoa(len(c.cols)))
	}
	c.b = append(c.b, '\n')
	c.col = 0
	c.rows++
}

func (c *copyBuf) null() *copyBuf { c.sep(); c.b = append(c.b, `\N`...); return c }

func (c *copyBuf) int(v int64) *copyBuf { c.sep(); c.b = strconv.AppendInt(c.b, v, 10); return c }

// intOrNull writes v, or NULL when v is 0.
func (c *copyBuf) intOrNull(v int64) *copyBuf {
	if v == 0 {
		return c.null()
	}
	return c.int(v)
}

func (c *copyBuf) text(s string) *copyBuf {
	c.sep()
	c.b = appendCopyText(c.b, s)
	return c
}

// textOrNull writes s, or NULL when s is empty.
func (c *copyBuf) textOrNull(s string) *copyBuf {
	if s == "" {
		return c.null()
	}
	return c.text(s)
}

func (c *copyBuf) amount(a money.Amount) *copyBuf {
	c.sep()
	c.b = a.AppendText(c.b)
	return c
}

func (c *copyBuf) date(d x12.Date) *copyBuf { return c.textOrNull(string(d)) }

func (c *copyBuf) qty(q *x12.Quantity) *copyBuf {
	if q == nil {
		return c.null()
	}
	c.sep()
	c.b = append(c.b, q.String()...)
	return c
}

// array writes a text[] literal; nil writes NULL when orNull, else {}.
func (c *copyBuf) array(vals []string, orNull bool) *copyBuf {
	if vals == nil && orNull {
		return c.null()
	}
	var lit []byte
	lit = append(lit, '{')
	for i, v := range vals {
		if i > 0 {
			lit = append(lit, ',')
		}
		lit = append(lit, '"')
		for j := 0; j < len(v); j++ {
			if v[j] == '"' || v[j] == '\\' {
				lit = append(lit, '\\')
			}
			lit = append(lit, v[j])
		}
		lit = append(lit, '"')
	}
	lit = append(lit, '}')
	c.sep()
	c.b = appendCopyText(c.b, string(lit))
	return c
}

// appendCopyText escapes s for the COPY text format.
func appendCopyText(b []byte, s string) []byte {
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
