package x12_test

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/remitq/remitq/x12"
)

// An 837P with one billing provider, one subscriber and one claim: a
// right-side transforaminal epidural steroid injection with the steroid.
const example837 = `ST*837*0001*005010X222A1~
BHT*0019*00*B1*20260105*0930*CH~
NM1*41*2*EXAMPLE BILLING*****46*SUB1~
NM1*40*2*EXAMPLE CLEARINGHOUSE*****46*RCV1~
HL*1**20*1~
NM1*85*2*EXAMPLE PAIN CLINIC*****XX*1234567893~
HL*2*1*22*0~
SBR*P*18*******CI~
NM1*IL*1*DOE*JANE****MI*M000001~
NM1*PR*2*EXAMPLE PLAN*****PI*P1~
CLM*PM-1*1600***24:B:1*Y*A*Y*Y~
REF*G1*AUTH-1~
HI*ABK:M5416~
LX*1~
SV1*HC:64483:RT*1200*UN*1***1~
DTP*472*D8*20260102~
REF*6R*PM-1-1~
LX*2~
SV1*HC:J1040*400*UN*1***1~
DTP*472*D8*20260102~
REF*6R*PM-1-2~
SE*22*0001~
`

func ExampleClaimReader() {
	r := x12.NewClaimReader(strings.NewReader(example837))
	for {
		c, err := r.Next()
		if err == io.EOF {
			break
		}
		var xe *x12.Error
		if errors.As(err, &xe) {
			fmt.Println("problem:", xe) // positioned, never shows values
			continue
		}
		fmt.Printf("claim %s: %s billed by NPI %s, prior auth %s, %d lines summing to %s\n",
			c.PatientControlNumber, c.TotalCharge, c.BillingProvider.NPI, c.PriorAuthorization,
			len(c.Lines), c.LineCharges())
		for _, l := range c.Lines {
			fmt.Printf("  line %d %s %v %s units %s on %s, control %s\n", l.Number, l.Procedure.Code,
				l.Procedure.Modifiers, l.Charge, l.Units, l.ServiceFrom, l.LineControlNumber)
		}
	}
	// Output:
	// claim PM-1: 1600.00 billed by NPI 1234567893, prior auth AUTH-1, 2 lines summing to 1600.00
	//   line 1 64483 [RT] 1200.00 units 1 on 2026-01-02, control PM-1-1
	//   line 2 J1040 [] 400.00 units 1 on 2026-01-02, control PM-1-2
}

func ExampleWriteClaims() {
	f, err := x12.ReadClaims(strings.NewReader(example837))
	if err != nil {
		panic(err)
	}
	var b strings.Builder
	w := x12.NewWriter(&b, x12.Delimiters{Element: '|', Component: '>', Repetition: '!', Segment: '~'})
	w.LineBreak = true
	batch := f.Batches[0]
	if err := x12.WriteClaims(w, batch, batch.Claims); err != nil {
		panic(err)
	}
	w.Flush()
	lines := strings.Split(b.String(), "\n")
	fmt.Println(strings.Join(lines[10:15], "\n"))
	// Output:
	// CLM|PM-1|1600|||24>B>1|Y|A|Y|Y~
	// REF|G1|AUTH-1~
	// HI|ABK>M5416~
	// LX|1~
	// SV1|HC>64483>RT|1200|UN|1|||1~
}
