package billed

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/x12"
)

func TestFeeScheduleLookup(t *testing.T) {
	in := "Payer,CPT,Modifier,Allowed,Effective From,Effective To\n" +
		"P1,64493,,400.00,2025-01-01,2025-12-31\n" +
		"P1,64493,,412.50,2026-01-01,\n" +
		"P1,64493,50,618.75,2026-01-01,\n" +
		"P1,6449,,1,,\n" + // bad code
		"P1,64494,,abc,,\n" + // bad amount
		",64494,,1,,\n" + // no payer
		"P1,64494,,200,2026-02-01,2026-01-01\n" // to before from
	s, errs, err := ReadFeeSchedule(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(errs) != 4 || errs[0].Row != 5 || errs[1].Column != "allowed" || !errors.Is(errs[2], ErrMissing) || errs[3].Row != 8 {
		t.Fatalf("row errors %v", errs)
	}
	if s.Len() != 3 {
		t.Fatalf("got %d rates, want 3", s.Len())
	}
	tests := []struct {
		code  string
		mods  []string
		date  x12.Date
		units x12.Quantity
		want  money.Amount
		ok    bool
	}{
		{"64493", nil, "2026-03-02", 1000, 41250, true},
		{"64493", []string{"50"}, "2026-03-02", 1000, 61875, true},
		{"64493", []string{"RT"}, "2025-06-01", 1000, 40000, true},
		{"64493", nil, "2026-03-02", 1500, 61875, true},
		{"64493", nil, "2024-06-01", 1000, 0, false},
		{"64494", nil, "2026-03-02", 1000, 0, false},
	}
	for _, tt := range tests {
		got, ok := s.Expected("P1", tt.code, tt.mods, tt.date, tt.units)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Expected(%s %v %s %s) = %s %v, want %s %v", tt.code, tt.mods, tt.date, tt.units, got, ok, tt.want, tt.ok)
		}
	}
	if _, ok := s.Lookup("P2", "64493", nil, ""); ok {
		t.Error("another payer's rate used")
	}
}

func TestFeeScheduleWriteRead(t *testing.T) {
	fees := []Fee{{Payer: "P1", Procedure: "64483", Modifier: "RT", Allowed: 61234, From: "2026-01-01"},
		{Payer: "P2", Procedure: "J1040", Allowed: 1234}}
	var b bytes.Buffer
	if err := WriteFeeSchedule(&b, fees); err != nil {
		t.Fatal(err)
	}
	s, errs, err := ReadFeeSchedule(&b)
	if err != nil || len(errs) > 0 {
		t.Fatal(err, errs)
	}
	if a, ok := s.Lookup("P1", "64483", []string{"RT"}, "2026-02-01"); !ok || a != 61234 {
		t.Errorf("P1 64483-RT = %s %v", a, ok)
	}
	if a, ok := s.Lookup("P2", "J1040", nil, ""); !ok || a != 1234 {
		t.Errorf("P2 J1040 = %s %v", a, ok)
	}
	if _, _, err := ReadFeeSchedule(strings.NewReader("payer,procedure\n")); !errors.Is(err, ErrHeader) {
		t.Errorf("header without allowed: %v", err)
	}
}
