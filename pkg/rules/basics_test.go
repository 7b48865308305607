package rules

import (
	"errors"
	"strings"
	"testing"

	"github.com/remitq/remitq/pkg/day"
)

func TestPatientKey(t *testing.T) {
	k, err := NewKeyer([]byte("0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	k2, _ := NewKeyer([]byte("another secret of 16+"))
	base := Person{MemberID: "W123-456 789", BirthDate: "1961-04-09", LastName: "O'Brien-Núñez", FirstName: "José"}
	key := func(k *Keyer, p Person) PatientKey {
		t.Helper()
		v, err := k.Key(p)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	kb := key(k, base)
	for name, p := range map[string]Person{
		"case, spaces and hyphens in the member ID": {MemberID: "w123456789", BirthDate: "19610409", LastName: "OBRIEN NUNEZ", FirstName: "jose"},
		"accents and punctuation in the name":       {MemberID: "W123456789", BirthDate: "1961-04-09", LastName: "obrien-nunez", FirstName: "JOSE "},
	} {
		if key(k, p) != kb {
			t.Errorf("%s: different key", name)
		}
	}
	for name, p := range map[string]Person{
		"another birth date": {MemberID: base.MemberID, BirthDate: "1961-04-10", LastName: base.LastName, FirstName: base.FirstName},
		"another first name": {MemberID: base.MemberID, BirthDate: base.BirthDate, LastName: base.LastName, FirstName: "Maria"},
		"another member ID":  {MemberID: "W123456780", BirthDate: base.BirthDate, LastName: base.LastName, FirstName: base.FirstName},
	} {
		if key(k, p) == kb {
			t.Errorf("%s: same key", name)
		}
	}
	if key(k2, base) == kb {
		t.Error("another secret gives the same key")
	}
	if s := kb.String(); len(s) != 64 {
		t.Errorf("hex key %q", s)
	} else if back, err := ParsePatientKey(s); err != nil || back != kb {
		t.Errorf("ParsePatientKey = %v, %v", back, err)
	}
	for _, p := range []Person{{BirthDate: "1961-04-09", LastName: "X"}, {MemberID: "1", LastName: "X"},
		{MemberID: "1", BirthDate: "1961-04-09"}, {MemberID: "1", BirthDate: "09/04/1961", LastName: "SMITHSON"}} {
		_, err := k.Key(p)
		if !errors.Is(err, ErrPerson) {
			t.Errorf("Key(%+v) error %v, want ErrPerson", p, err)
		}
		if err != nil && (strings.Contains(err.Error(), "SMITHSON") || strings.Contains(err.Error(), "1961")) {
			t.Errorf("error %q holds PHI", err)
		}
	}
	if _, err := NewKeyer([]byte("short")); err == nil {
		t.Error("short secret accepted")
	}
}

func TestDay(t *testing.T) {
	for _, s := range []string{"2026-06-02", "20260602"} {
		d, err := day.ParseSet(s)
		if err != nil || d.String() != "2026-06-02" {
			t.Errorf("ParseDay(%q) = %v, %v", s, d, err)
		}
	}
	for _, s := range []string{"", "2026-02-30", "06/02/2026", "2026602"} {
		if _, err := day.ParseSet(s); !errors.Is(err, day.ErrFormat) {
			t.Errorf("ParseDay(%q) error %v", s, err)
		}
	}
	var d day.Day
	if err := d.UnmarshalText([]byte("2024-02-29")); err != nil || d.String() != "2024-02-29" {
		t.Errorf("UnmarshalText: %v %v", d, err)
	}
	dos := day.Must("2026-06-02")
	for _, tc := range []struct {
		prior string
		in    bool
	}{
		{"2026-06-02", true}, {"2025-06-02", true}, {"2025-06-01", false}, {"2026-06-03", false},
	} {
		if inWindow(day.Must(tc.prior), dos, 365) != tc.in {
			t.Errorf("inWindow(%s, %s) = %v", tc.prior, dos, !tc.in)
		}
	}
	if inWindow(day.Must("2027-03-01"), day.Must("2028-03-01"), 365) {
		t.Error("2027-03-01 is 366 days before 2028-03-01")
	}
}

func TestLevels(t *testing.T) {
	for in, want := range map[string]string{"L4-L5": "L4-L5", "l4-5": "L4-L5", "L4/L5": "L4-L5", "L5-S1": "L5-S1",
		"c5 - c6": "C5-C6", "T12-L1": "T12-L1", "L5": "L5", "left": "", "": "", "L4-L5 and more": ""} {
		if got := NormLevel(in); got != want {
			t.Errorf("NormLevel(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"RFA LEFT L4-5 MEDIAL BRANCHES": "L4-L5", "MBB at L5-S1 bilateral": "L5-S1",
		"S1 only": "", "no level": ""} {
		if got := FindLevel(in); got != want {
			t.Errorf("FindLevel(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSharing(t *testing.T) {
	s := &Sharing{SameTIN: true}
	s.Declare("A", "B")
	s.Declare("B", "C")
	var none *Sharing
	for _, tc := range []struct {
		s                    *Sharing
		p, tin, other, otTIN string
		want                 bool
	}{
		{none, "A", "1", "A", "1", true},
		{none, "A", "1", "X", "1", false},
		{s, "A", "1", "X", "1", true},
		{s, "A", "1", "X", "", false},
		{s, "A", "", "X", "", false},
		{s, "A", "1", "B", "2", true},
		{s, "A", "1", "C", "3", false}, // groups do not chain
		{s, "C", "3", "B", "2", true},
		{&Sharing{}, "A", "1", "X", "1", false},
	} {
		if got := tc.s.May(tc.p, tc.tin, tc.other, tc.otTIN); got != tc.want {
			t.Errorf("%+v May(%s %s, %s %s) = %v", tc.s, tc.p, tc.tin, tc.other, tc.otTIN, got)
		}
	}
}

func TestReadAuths(t *testing.T) {
	k, _ := NewKeyer([]byte("0123456789abcdef"))
	const in = "Auth_Number,payer_id,member_id,birth_date,last_name,first_name,cpt_codes,provider_npi,valid_from,valid_to,units\n" +
		"A-1,PAY,W1,1961-04-09,SMITHSON,ANN,64483 64484,1111111111,2026-05-01,2026-07-31,2\n" +
		"A-2,PAY,W1,1961-04-09,SMITHSON,ANN,,1111111111,2026-05-01,2026-07-31,\n" +
		"A-3,PAY,W1,1961-04-09,SMITHSON,ANN,64635|64636,,2026-13-01,2026-07-31,\n" +
		"A-4,PAY,,1961-04-09,SMITHSON,ANN,64635,,2026-05-01,2026-07-31,\n" +
		"A-5,PAY,W1,1961-04-09,SMITHSON,ANN,64635,,2026-05-01,2026-04-01,\n" +
		"A-6,PAY,W1,1961-04-09,SMITHSON,ANN,64635;64636,,20260501,20260731,x\n" +
		"A-7,PAY,W1,1961-04-09,SMITHSON,ANN,64635;64636,,20260501,20260731,\n"
	b, err := ReadAuths(strings.NewReader(in), k)
	var rows RowErrors
	if !errors.As(err, &rows) {
		t.Fatalf("error %v, want RowErrors", err)
	}
	var got []string
	for _, e := range rows {
		got = append(got, itoa(e.Row)+":"+e.Column)
		if strings.Contains(e.Error(), "SMITHSON") || strings.Contains(e.Error(), "W1") || strings.Contains(e.Error(), "2026-13-01") {
			t.Errorf("error %q holds a value", e)
		}
	}
	want := "3:cpt_codes 4:valid_from 5:member_id 6:valid_to 7:units"
	if strings.Join(got, " ") != want {
		t.Errorf("row errors %q, want %q (%v)", strings.Join(got, " "), want, err)
	}
	if b.Len() != 2 {
		t.Fatalf("%d auths loaded, want 2", b.Len())
	}
	pk, _ := k.Key(Person{MemberID: "W1", BirthDate: "1961-04-09", LastName: "smithson", FirstName: "ann"})
	a := b.byNumber["A-1"]
	if len(a) != 1 || a[0].Patient != pk || a[0].Units != 2 || strings.Join(a[0].Codes, ",") != "64483,64484" ||
		a[0].From != day.Must("2026-05-01") || a[0].To != day.Must("2026-07-31") {
		t.Errorf("A-1 = %+v", a)
	}
	if a := b.byNumber["A-7"]; len(a) != 1 || strings.Join(a[0].Codes, ",") != "64635,64636" {
		t.Errorf("A-7 = %+v", a)
	}
	// A file with patient keys needs no Keyer.
	if b, err := ReadAuths(strings.NewReader("auth_number,patient_key,cpt_codes,valid_from,valid_to\nZ,"+pk.String()+",64483,2026-01-01,2026-12-31\n"), nil); err != nil || b.Len() != 1 {
		t.Errorf("patient_key file: %v", err)
	}
	for _, bad := range []string{"auth_number,cpt_codes,valid_from\n", "auth_number,cpt_codes,valid_from,valid_to\n", ""} {
		if _, err := ReadAuths(strings.NewReader(bad), k); err == nil {
			t.Errorf("header %q accepted", bad)
		}
	}
}

func TestReadRelief(t *testing.T) {
	const in = "patient_key,date,level,percent\n" +
		"0101010101010101010101010101010101010101010101010101010101010101,2026-04-01,l4-5,85%\n" +
		"0101010101010101010101010101010101010101010101010101010101010101,2026-04-20,,79.9\n" +
		"0101,2026-04-20,,80\n" +
		"0101010101010101010101010101010101010101010101010101010101010101,2026-04-21,,120\n" +
		"0101010101010101010101010101010101010101010101010101010101010101,2026-04-22,hip,50\n"
	b, err := ReadRelief(strings.NewReader(in), nil)
	var rows RowErrors
	if !errors.As(err, &rows) || len(rows) != 3 || rows[0].Row != 4 || rows[1].Row != 5 || rows[2].Column != "level" {
		t.Fatalf("errors %v", err)
	}
	var pk PatientKey
	for i := range pk {
		pk[i] = 1
	}
	if p, ok := b.find(pk, day.Must("2026-04-01"), "L4-L5"); !ok || p != 85 {
		t.Errorf("L4-L5 relief = %d %v", p, ok)
	}
	if _, ok := b.find(pk, day.Must("2026-04-01"), "L3-L4"); ok {
		t.Error("relief at another level found")
	}
	if p, ok := b.find(pk, day.Must("2026-04-20"), "L3-L4"); !ok || p != 79 {
		t.Errorf("level-less relief = %d %v", p, ok)
	}
}
