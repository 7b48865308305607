package practicestore_test

import (
	"errors"
	"testing"

	"github.com/remitq/remitq/pkg/devenv/devtest"
	"github.com/remitq/remitq/pkg/practicestore"
)

func TestMain(m *testing.M) { devtest.Main(m) }

func TestValidNPI(t *testing.T) {
	for npi, want := range map[string]bool{
		"1234567893":  true, // the CMS example
		"1245319599":  true,
		"1234567890":  false, // wrong check digit
		"123456789":   false,
		"12345678931": false,
		"12345A7893":  false,
	} {
		if got := practicestore.ValidNPI(npi); got != want {
			t.Errorf("ValidNPI(%s) = %v, want %v", npi, got, want)
		}
	}
}

func TestAddAndList(t *testing.T) {
	db := devtest.DB(t)
	p := &practicestore.Practice{Name: " Lumbar Spine Associates ", NPI: "1234567893", TIN: "74-1234567"}
	if err := practicestore.Add(t.Context(), db, p); err != nil {
		t.Fatal(err)
	}
	if p.ID == 0 || p.TIN != "741234567" || p.Name != "Lumbar Spine Associates" {
		t.Fatalf("stored %+v", p)
	}
	if err := practicestore.Add(t.Context(), db, &practicestore.Practice{Name: "Again", NPI: "1234567893"}); !errors.Is(err, practicestore.ErrExists) {
		t.Fatalf("second add with the same NPI: %v, want ErrExists", err)
	}
	if err := practicestore.Add(t.Context(), db, &practicestore.Practice{Name: "Bad", NPI: "1234567890"}); !errors.Is(err, practicestore.ErrInvalid) {
		t.Fatalf("bad NPI: %v, want ErrInvalid", err)
	}
	if err := practicestore.Add(t.Context(), db, &practicestore.Practice{NPI: "1245319599"}); !errors.Is(err, practicestore.ErrInvalid) {
		t.Fatalf("no name: %v, want ErrInvalid", err)
	}
	pr := &practicestore.Provider{PracticeID: p.ID, NPI: "1245319599", Name: "Dr. Provider"}
	if err := practicestore.AddProvider(t.Context(), db, pr); err != nil || pr.ID == 0 {
		t.Fatalf("add provider: %v", err)
	}
	list, err := practicestore.List(t.Context(), db)
	if err != nil || len(list) != 1 || list[0] != *p {
		t.Fatalf("list = %+v (%v), want [%+v]", list, err, *p)
	}
}
