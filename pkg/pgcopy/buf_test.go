package pgcopy_test

import (
	"fmt"
	"testing"

	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/pgcopy"
)

func TestBufEncodesCopyText(t *testing.T) {
	tests := []struct {
		name string
		add  func(b *pgcopy.Buf)
		want string
	}{
		{"text escapes", func(b *pgcopy.Buf) { b.Text("a\tb\\c\nd\re") }, `a\tb\\c\nd\re`},
		{"null and empty", func(b *pgcopy.Buf) { b.TextOrNull("") }, `\N`},
		{"array quotes", func(b *pgcopy.Buf) { b.Array([]string{`x"y`, `p\q`, "t\tu"}) }, `{"x\\"y","p\\\\q","t\tu"}`},
		{"empty array", func(b *pgcopy.Buf) { b.Array(nil) }, `{}`},
		{"bytea", func(b *pgcopy.Buf) { b.Bytes([]byte{0, 0xab}) }, `\\x00ab`},
		{"amount", func(b *pgcopy.Buf) { b.Amount(money.Amount(-1234)) }, `-12.34`},
		{"float", func(b *pgcopy.Buf) { b.Float(0.1) }, `0.1`},
		{"ints", func(b *pgcopy.Buf) { b.IntArray([]int{1, 12}) }, `{1,12}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := pgcopy.NewBuf("t", "c")
			tc.add(b)
			b.End()
			if got := b.String(); got != tc.want+"\n" {
				t.Errorf("%q, want %q", got, tc.want+"\n")
			}
		})
	}
}

func TestBufPanicsOnShortRow(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("a row with a missing column was accepted")
		}
	}()
	b := pgcopy.NewBuf("t", "a", "b")
	b.Int(1).End()
}

// A Buf holds rows in COPY's text format for Tx.Copy.
func ExampleBuf() {
	b := pgcopy.NewBuf("billed_lines", "id", "procedure_code", "modifiers", "charge", "note")
	b.Int(7).Text("64483").Array([]string{"RT"}).Amount(145000).Null().End()
	fmt.Printf("%d row: %q\n", b.Rows(), b.String())
	// Output:
	// 1 row: "7\t64483\t{\"RT\"}\t1450.00\t\\N\n"
}
