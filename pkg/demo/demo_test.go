package demo

import (
	"bytes"
	"testing"

	"github.com/remitq/remitq/x12"
)

func TestBuild(t *testing.T) {
	a, err := Build(1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Build(1)
	if len(a.Remits) != len(b.Remits) || len(a.Practices) != 3 {
		t.Fatalf("%d files, %d practices", len(a.Remits), len(a.Practices))
	}
	bad := 0
	for i, f := range a.Remits {
		if !bytes.Equal(f.Raw, b.Remits[i].Raw) {
			t.Errorf("%s differs between two builds with the same seed", f.Name)
		}
		s, err := x12.Summarize(f.Name, bytes.NewReader(f.Raw))
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Errors) > 0 {
			bad++
			if f.Name != "era-damaged.835" || s.Errors[0].ID != "CLP" {
				t.Errorf("%s: errors %+v", f.Name, s.Errors)
			}
		} else if !s.Balanced {
			t.Errorf("%s does not balance", f.Name)
		}
	}
	if bad != 1 {
		t.Fatalf("%d damaged files, want 1", bad)
	}
}
