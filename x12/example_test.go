package x12_test

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/remitq/remitq/x12"
)

// exampleRemit is a small 835: one facet injection paid with a contractual
// adjustment and a copay, and one epidural denied for missing
// precertification.
const exampleRemit = `ISA*00*          *00*          *ZZ*SUMMITHP       *ZZ*ALPINEPAIN     *260206*0930*^*00501*000000101*0*T*:~
GS*HP*SUMMITHP*ALPINEPAIN*20260206*0930*101*X*005010X221A1~
ST*835*0001*005010X221A1~
BPR*I*720*C*ACH*CCP*01*021000021*DA*1234567890*1470000001**01*011000015*DA*9876543210*20260206~
TRN*1*EFT26020600001*1470000001~
N1*PR*SUMMIT HEALTH PLAN~
N1*PE*ALPINE SPINE AND PAIN CENTER*XX*1234567893~
LX*1~
CLP*PAIN26003*1*1800*720*80*12*2603600012303*11*1~
SVC*HC:64493:50*1800*720**1~
DTM*472*20260113~
CAS*CO*45*1000~
CAS*PR*3*80~
CLP*PAIN26002*4*950*0**12*2603600012302*11*1~
SVC*HC:62323*950*0**1~
DTM*472*20260109~
CAS*CO*197*950~
LQ*HE*N54~
SE*17*0001~
GE*1*101~
IEA*1*000000101~
`

func ExampleReader() {
	r := x12.NewReader(strings.NewReader(exampleRemit))
	for {
		seg, err := r.Next()
		if seg == nil {
			if err != io.EOF {
				fmt.Println(err)
			}
			break
		}
		if err != nil {
			fmt.Println(err) // an envelope problem: report it and go on
		}
		if seg.ID() == "SVC" {
			fmt.Printf("segment %d at byte %d: %s %s charged %s\n",
				seg.Index, seg.Offset, seg.Component(1, 2), seg.Component(1, 3), seg.Element(2))
		}
	}
	// Output:
	// segment 10 at byte 455: 64493 50 charged 1800
	// segment 15 at byte 577: 62323  charged 950
}

func ExampleRemitReader() {
	d := x12.NewRemitReader(strings.NewReader(exampleRemit))
	for {
		rec, err := d.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		switch v := rec.(type) {
		case *x12.Remittance:
			fmt.Printf("payment %s %s from %s\n", v.Payment.Method, v.Payment.Amount, v.Payer.Name)
		case *x12.ClaimPayment:
			fmt.Printf("claim %s status %s paid %s of %s\n", v.PatientControl, v.Status, v.Paid, v.Charge)
			for _, l := range v.Lines {
				for _, a := range l.Adjustments {
					fmt.Printf("  %s %s-%s %s\n", l.Procedure.Code, a.Group, a.Reason, a.Amount)
				}
				for _, r := range l.Remarks {
					fmt.Printf("  %s remark %s\n", l.Procedure.Code, r.Code)
				}
			}
		case *x12.RemittanceEnd:
			fmt.Printf("end of %s: %d claims, balanced %v\n", v.Remittance.Control, v.Remittance.Totals.Claims, v.Remittance.Totals.Balanced)
		}
	}
	fmt.Println("errors:", len(d.Errors()))
	// Output:
	// payment ACH 720.00 from SUMMIT HEALTH PLAN
	// claim PAIN26003 status 1 paid 720.00 of 1800.00
	//   64493 CO-45 1000.00
	//   64493 PR-3 80.00
	// claim PAIN26002 status 4 paid 0.00 of 950.00
	//   62323 CO-197 950.00
	//   62323 remark N54
	// end of 0001: 2 claims, balanced true
	// errors: 0
}

func ExampleSummarize() {
	// The same remittance with a charge that is not a number.
	bad := strings.Replace(exampleRemit, "CLP*PAIN26002*4*950*", "CLP*PAIN26002*4*9S0*", 1)
	for _, in := range []string{exampleRemit, bad} {
		s, err := x12.Summarize("remit.835", strings.NewReader(in))
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%d claims, %d lines, charged %s, paid %s, BPR %s, balanced %v\n",
			s.Claims, s.ServiceLines, s.TotalCharge, s.TotalPaid, s.BPRAmount, s.Balanced)
		for _, e := range s.Errors {
			fmt.Printf("  segment %d (%s) at byte %d: %s\n", e.Segment, e.ID, e.Offset, e.Message)
		}
	}
	// Output:
	// 2 claims, 2 lines, charged 2750.00, paid 720.00, BPR 720.00, balanced true
	// 2 claims, 2 lines, charged 1800.00, paid 720.00, BPR 720.00, balanced false
	//   segment 14 (CLP) at byte 531: CLP03: invalid value: expected a decimal amount (digits, an optional sign and decimal point; no blanks, separators or exponent)
	//   segment 3 (ST) at byte 167: invalid value: totals are incomplete: 1 claim(s) have a CLP03 or CLP04 that could not be read
	//   segment 14 (CLP) at byte 531: does not balance: amounts could not be read, so the claim cannot be balanced
	//   segment 14 (CLP) at byte 531: does not balance: CLP03 − CLP04 must equal the claim-level plus service-level CAS amounts (0.00 written, 950.00 found)
}
