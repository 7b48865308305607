package rules

import (
	"errors"
	"strings"
	"testing"

	"github.com/remitq/remitq/pkg/day"
)

// The JSON readers take the CSV columns as fields, numbers and arrays
// included, and report bad records by position without their values.
func TestReadAuthsJSON(t *testing.T) {
	k, _ := NewKeyer([]byte("0123456789abcdef"))
	pk, _ := k.Key(Person{MemberID: "W1", BirthDate: "1961-04-09", LastName: "SMITHSON", FirstName: "ANN"})
	const in = `[
		{"auth_number": "a-1", "member_id": "W1", "birth_date": "1961-04-09", "last_name": "Smithson", "first_name": "Ann",
		 "cpt_codes": ["64483", "64484"], "valid_from": "2026-05-01", "valid_to": "2026-07-31", "units": 2, "provider_npi": "1111111111"},
		{"auth_number": "A-2", "member_id": "W1", "birth_date": "1961-04-09", "last_name": "SMITHSON",
		 "cpt_codes": "64635", "valid_from": "2026-05-01", "valid_to": "2026-04-01"},
		{"auth_number": "A-3", "patient_key": "` + "0101" + `", "cpt_codes": [], "valid_from": "2026-05-01", "valid_to": "2026-07-31"},
		{"auth_number": "A-4", "member_id": "W1", "birth_date": "1961-04-09", "last_name": "SMITHSON",
		 "cpt_codes": "64635", "valid_from": "2026-05-01", "valid_to": "2026-07-31", "units": {"n": 1}}
	]`
	b, err := ReadAuthsJSON(strings.NewReader(in), k)
	var rows RowErrors
	if !errors.As(err, &rows) {
		t.Fatalf("error %v, want RowErrors", err)
	}
	var got []string
	for _, e := range rows {
		got = append(got, itoa(e.Row)+":"+e.Column)
		if strings.Contains(e.Error(), "SMITHSON") || strings.Contains(e.Error(), "W1") {
			t.Errorf("error %q holds a value", e)
		}
	}
	if want := "2:valid_to 3:cpt_codes 3:patient_key 4:units"; strings.Join(got, " ") != want {
		t.Errorf("row errors %q, want %q", strings.Join(got, " "), want)
	}
	all := b.All()
	if len(all) != 1 || all[0].Number != "A-1" || all[0].Patient != pk || all[0].Units != 2 ||
		strings.Join(all[0].Codes, ",") != "64483,64484" || all[0].NPI != "1111111111" || all[0].To != day.Must("2026-07-31") {
		t.Errorf("auths %+v", all)
	}
	all[0].Codes[0] = "X"
	if b.All()[0].Codes[0] != "64483" {
		t.Error("All shares the codes with the book")
	}
	// An object holding the array, and an empty array.
	if b, err := ReadAuthsJSON(strings.NewReader(`{"auths": [{"auth_number": "Z", "patient_key": "`+pk.String()+
		`", "cpt_codes": "64483", "valid_from": "20260101", "valid_to": "20261231"}]}`), nil); err != nil || b.Len() != 1 {
		t.Errorf("wrapped array: %v", err)
	}
	if b, err := ReadAuthsJSON(strings.NewReader(`[]`), nil); err != nil || b.Len() != 0 {
		t.Errorf("empty array: %v", err)
	}
	for _, bad := range []string{`{"a": 1, "b": 2}`, `"x"`, `[{"auth_number": "Z", "member_id": "W1"}]`, ``} {
		if _, err := ReadAuthsJSON(strings.NewReader(bad), k); err == nil || errors.As(err, &rows) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if _, err := ReadAuthsJSON(strings.NewReader(`[{"auth_number": "Z", "member_id": "W1", "cpt_codes": "1", "valid_from": "x", "valid_to": "x"}]`), nil); !errors.Is(err, ErrNoKeyer) {
		t.Errorf("member IDs without a keyer: %v", err)
	}
}

func TestReadReliefJSON(t *testing.T) {
	var pk PatientKey
	for i := range pk {
		pk[i] = 2
	}
	in := `[{"patient_key": "` + pk.String() + `", "date": "2026-04-01", "level": "l4-5", "percent": 85},
		{"patient_key": "` + pk.String() + `", "date": "2026-04-20", "percent": "79.5%"},
		{"patient_key": "` + pk.String() + `", "date": "2026-04-21", "percent": 101}]`
	b, err := ReadReliefJSON(strings.NewReader(in), nil)
	var rows RowErrors
	if !errors.As(err, &rows) || len(rows) != 1 || rows[0].Row != 3 || rows[0].Column != "percent" {
		t.Fatalf("errors %v", err)
	}
	all := b.All()
	if b.Len() != 2 || all[0].Level != "L4-L5" || all[0].Percent != 85 || all[1].Percent != 79 || all[1].Date != day.Must("2026-04-20") {
		t.Errorf("relief %+v", all)
	}
}
