package billed

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/x12"
)

const csvHeader = "Practice,PCN,Payer ID,Member ID,DOB,DOS,CPT,Modifiers,Units,Charge,Line Number,LCN,Prior Auth,Diagnoses,POS\n"

func TestReadAllRowErrors(t *testing.T) {
	tests := []struct {
		name   string
		row    string
		column string
		class  error
	}{
		{"missing practice", ",P1,PY,M1,1960-01-02,2026-03-02,64483,RT,1,100,,,,,11", ColPractice, ErrMissing},
		{"missing procedure", "PR1,P1,PY,M1,1960-01-02,2026-03-02,,RT,1,100,,,,,11", ColProcedure, ErrMissing},
		{"bad procedure", "PR1,P1,PY,M1,1960-01-02,2026-03-02,644,RT,1,100,,,,,11", ColProcedure, ErrInvalid},
		{"bad date", "PR1,P1,PY,M1,1960-01-02,2026-13-02,64483,RT,1,100,,,,,11", ColServiceDate, ErrInvalid},
		{"bad dob", "PR1,P1,PY,M1,02-1960,2026-03-02,64483,RT,1,100,,,,,11", ColBirthDate, ErrInvalid},
		{"bad charge", "PR1,P1,PY,M1,1960-01-02,2026-03-02,64483,RT,1,1.234,,,,,11", ColCharge, ErrInvalid},
		{"negative charge", "PR1,P1,PY,M1,1960-01-02,2026-03-02,64483,RT,1,-5,,,,,11", ColCharge, ErrInvalid},
		{"bad units", "PR1,P1,PY,M1,1960-01-02,2026-03-02,64483,RT,0,100,,,,,11", ColUnits, ErrInvalid},
		{"bad modifier", "PR1,P1,PY,M1,1960-01-02,2026-03-02,64483,RTX,1,100,,,,,11", ColModifiers, ErrInvalid},
		{"too many modifiers", "PR1,P1,PY,M1,1960-01-02,2026-03-02,64483,RT 59 XU GA KX,1,100,,,,,11", ColModifiers, ErrInvalid},
		{"bad line number", "PR1,P1,PY,M1,1960-01-02,2026-03-02,64483,RT,1,100,0,,,,11", ColLineNumber, ErrInvalid},
		{"bad pos", "PR1,P1,PY,M1,1960-01-02,2026-03-02,64483,RT,1,100,,,,,1", ColPlaceOfService, ErrInvalid},
		{"bad diagnosis", "PR1,P1,PY,M1,1960-01-02,2026-03-02,64483,RT,1,100,,,,M5,11", ColDiagnoses, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			good := "PR1,P0,PY,SECRET-MEMBER,1960-01-02,2026-03-02,64483,RT,1,100,,,,,11\n"
			list, errs, err := ReadAll(strings.NewReader(csvHeader + good + tt.row + "\n"))
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != 1 || len(list[0].Lines) != 1 {
				t.Fatalf("the good row did not load: %d claims", len(list))
			}
			if len(errs) != 1 {
				t.Fatalf("got %d row errors, want 1", len(errs))
			}
			e := errs[0]
			if e.Row != 3 || e.Column != tt.column || !errors.Is(e, tt.class) {
				t.Errorf("got %v (row %d column %s), want row 3 column %s %v", e, e.Row, e.Column, tt.column, tt.class)
			}
			for _, phi := range []string{"M1", "1960", "SECRET"} {
				if strings.Contains(e.Error(), phi) {
					t.Errorf("error %q echoes a value", e)
				}
			}
		})
	}
}

func TestReadAllGroupsAndNumbers(t *testing.T) {
	in := csvHeader +
		"PR1,P1,PY,M1,1960-01-02,2026-03-02,64493,50,1,\"$1,100.00\",,L1,A1,M47.816 M5416,11\n" +
		"PR1,P2,PY,M2,,03/02/2026,64483,RT,1,1450,,L3,,,11\n" +
		"PR1,P1,,,,2026-03-02,64494,,1.5,550,,L2,A1,,11\n" +
		"PR1,P1,PY,M9,,2026-03-02,77003,,1,250,,L4,,,11\n" + // conflicting member
		"PR1,P1,PY,,,2026-03-02,20552,,1,180,2,L5,,,11\n" + // duplicate line number 2
		"\n"
	list, errs, err := ReadAll(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(errs) != 2 || !errors.Is(errs[0], ErrConflict) || errs[0].Column != ColMemberID ||
		!errors.Is(errs[1], ErrDuplicate) || errs[1].Row != 6 {
		t.Fatalf("row errors: %v", errs)
	}
	if len(list) != 2 {
		t.Fatalf("got %d claims, want 2", len(list))
	}
	p1 := list[0]
	want := &Claim{Source: "csv", Practice: "PR1", PatientControl: "P1", PayerID: "PY", MemberID: "M1",
		PatientBirthDate: "1960-01-02", PlaceOfService: "11", PriorAuth: "A1", Diagnoses: []string{"M47816", "M5416"},
		TotalCharge: money.MustParse("1650"),
		Lines: []Line{
			{Number: 1, Procedure: "64493", Modifiers: []string{"50"}, Charge: 110000, Units: 1000,
				ServiceFrom: "2026-03-02", ServiceTo: "2026-03-02", LineControl: "L1", PriorAuth: "A1", PlaceOfService: "11"},
			{Number: 2, Procedure: "64494", Charge: 55000, Units: 1500,
				ServiceFrom: "2026-03-02", ServiceTo: "2026-03-02", LineControl: "L2", PriorAuth: "A1", PlaceOfService: "11"},
		}}
	if !reflect.DeepEqual(p1, want) {
		t.Errorf("claim P1:\n got %+v\nwant %+v", p1, want)
	}
	if list[1].Lines[0].ServiceFrom != "2026-03-02" {
		t.Errorf("MM/DD/YYYY date read as %q", list[1].Lines[0].ServiceFrom)
	}
}

func TestReadAllHeader(t *testing.T) {
	for _, in := range []string{"", "practice,procedure,charge\nPR1,64483,1\n"} {
		_, _, err := ReadAll(strings.NewReader(in))
		if !errors.Is(err, ErrHeader) {
			t.Errorf("ReadAll(%q) error %v, want ErrHeader", in, err)
		}
	}
}

func TestCSVRoundTrip(t *testing.T) {
	in := []*Claim{{Source: "csv", Practice: "PR1", PatientControl: "P1", PayerID: "PY", MemberID: "M1",
		PatientBirthDate: "1960-01-02", RenderingNPI: "1234567893", BillingNPI: "1234567893", BillingTIN: "741234567",
		PlaceOfService: "24", FrequencyCode: "7", PayerClaimControl: "ICN1", PriorAuth: "A1",
		Diagnoses: []string{"M5416"}, TotalCharge: 160000, BilledDate: "2026-03-03",
		Lines: []Line{
			{Number: 1, Procedure: "64483", Modifiers: []string{"RT"}, Charge: 145000, Units: 1000, ServiceFrom: "2026-03-02",
				ServiceTo: "2026-03-02", LineControl: "L1", PriorAuth: "A1", PlaceOfService: "24", DiagnosisPointers: []int{1}, Note: "L5"},
			{Number: 3, Procedure: "J1040", Charge: 15000, Units: 2000, ServiceFrom: "2026-03-02",
				ServiceTo: "2026-03-04", LineControl: "L3", PriorAuth: "A1", PlaceOfService: "24"},
		}}}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, in); err != nil {
		t.Fatal(err)
	}
	out, errs, err := ReadAll(&buf)
	if err != nil || len(errs) > 0 {
		t.Fatal(err, errs)
	}
	if !reflect.DeepEqual(out, in) {
		t.Errorf("round trip:\n got %+v\nwant %+v", out[0], in[0])
	}
}

const example837 = "ISA*00*          *00*          *ZZ*SUB            *ZZ*RCV            *260105*0930*^*00501*000000101*0*T*:~" +
	"GS*HC*SUB*RCV*20260105*0930*101*X*005010X222A1~ST*837*0001*005010X222A1~BHT*0019*00*B1*20260105*0930*CH~" +
	"NM1*41*2*EXAMPLE BILLING*****46*SUB1~NM1*40*2*EXAMPLE CLEARINGHOUSE*****46*RCV1~HL*1**20*1~" +
	"NM1*85*2*EXAMPLE PAIN CLINIC*****XX*1234567893~REF*EI*741234567~HL*2*1*22*0~SBR*P*18*******CI~" +
	"NM1*IL*1*DOE*JANE****MI*M000001~DMG*D8*19600102*F~NM1*PR*2*EXAMPLE PLAN*****PI*P1~" +
	"CLM*PM-1*1600***24:B:1*Y*A*Y*Y~REF*G1*AUTH-1~HI*ABK:M5416*ABF:G8929~NM1*82*1*DOC*ANN****XX*1234567901~" +
	"LX*1~SV1*HC:64483:RT*1200*UN*1***1~DTP*472*D8*20260102~REF*6R*PM-1-1~NTE*ADD*RIGHT L5~" +
	"LX*2~SV1*HC:J1040*400*UN*2***1~DTP*472*D8*20260102~REF*6R*PM-1-2~SE*26*0001~GE*1*101~IEA*1*000000101~"

func TestFromX12(t *testing.T) {
	f, err := x12.ReadClaims(strings.NewReader(example837))
	if err != nil || len(f.Errors) > 0 {
		t.Fatal(err, f.Errors)
	}
	got := FromX12(f.Batches[0].Claims[0], "")
	want := &Claim{Source: "837", Practice: "1234567893", PatientControl: "PM-1", PayerID: "P1", MemberID: "M000001",
		PatientBirthDate: "1960-01-02", RenderingNPI: "1234567901", BillingNPI: "1234567893", BillingTIN: "741234567",
		PlaceOfService: "24", FrequencyCode: "1", PriorAuth: "AUTH-1", Diagnoses: []string{"M5416", "G8929"},
		TotalCharge: 160000, BilledDate: "2026-01-05",
		Lines: []Line{
			{Number: 1, Procedure: "64483", Modifiers: []string{"RT"}, Charge: 120000, Units: 1000,
				ServiceFrom: "2026-01-02", ServiceTo: "2026-01-02", LineControl: "PM-1-1", PlaceOfService: "24",
				DiagnosisPointers: []int{1}, Note: "RIGHT L5"},
			{Number: 2, Procedure: "J1040", Charge: 40000, Units: 2000,
				ServiceFrom: "2026-01-02", ServiceTo: "2026-01-02", LineControl: "PM-1-2", PlaceOfService: "24",
				DiagnosisPointers: []int{1}},
		}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("FromX12:\n got %+v\nwant %+v", got, want)
	}
	if got.ServiceDateFrom() != "2026-01-02" || got.Line(2).Procedure != "J1040" || got.Line(3) != nil {
		t.Error("ServiceDateFrom or Line wrong")
	}
	if p := FromX12(f.Batches[0].Claims[0], "PRACTICE-7"); p.Practice != "PRACTICE-7" {
		t.Errorf("practice %q, want the one given", p.Practice)
	}
}
