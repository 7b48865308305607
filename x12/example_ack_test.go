package x12_test

import (
	"fmt"
	"strings"

	"github.com/remitq/remitq/x12"
)

const example277CA = "ISA*00*          *00*          *ZZ*CLEARINGHOUSE  *ZZ*PAINBILLING    *260302*0915*^*00501*000000905*0*P*:~" +
	"GS*HN*CLEARINGHOUSE*PAINBILLING*20260302*0915*905*X*005010X214~" +
	"ST*277*0001*005010X214~BHT*0085*08*277CA0001*20260302*0915*TH~" +
	"HL*1**20*1~NM1*AY*2*CLEARINGHOUSE*****46*CH01~TRN*1*BATCH-77~DTP*050*D8*20260301~DTP*009*D8*20260302~" +
	"HL*2*1*21*1~NM1*41*2*PAIN BILLING CO*****46*SUB1~TRN*2*CL1~STC*A1:19:PR*20260302*WQ*1500~" +
	"HL*3*2*19*1~NM1*85*2*SPINE AND PAIN CENTER*****XX*1234567893~TRN*1*PROV-1~" +
	"HL*4*3*PT~NM1*QC*1*TESTPAT*ONE****MI*MEM0001~TRN*2*PCN-A7~STC*A7:562:85*20260302*U*1500~REF*D9*CH-PCN-A7~DTP*472*D8*20260220~" +
	"SE*21*0001~GE*1*905~IEA*1*000000905~"

// Reading a 277CA: each rejected claim says which claim it is and why.
func ExampleStatusReader() {
	d := x12.NewStatusReader(strings.NewReader(example277CA))
	for {
		rec, err := d.Next()
		if err != nil {
			break
		}
		if c, ok := rec.(*x12.StatusClaim); ok {
			if r, rejected := c.Rejection(); rejected {
				fmt.Println(r.PatientControlNumber, r.Category, r.Statuses, r.Entity, r.BatchReference, r.ClearinghouseTrace)
			}
		}
	}
	fmt.Println("problems:", len(d.Errors()))
	// Output:
	// PCN-A7 A7 [562] 85 CL1 CH-PCN-A7
	// problems: 0
}

const example999 = "ISA*00*          *00*          *ZZ*CLEARINGHOUSE  *ZZ*PAINBILLING    *260302*0915*^*00501*000000906*0*P*:~" +
	"GS*FA*CLEARINGHOUSE*PAINBILLING*20260302*0915*906*X*005010X231A1~" +
	"ST*999*0001*005010X231A1~AK1*HC*103*005010X222A1~" +
	"AK2*837*0001~IK5*A~" +
	"AK2*837*0002~IK3*NM1*9*2010AA*8~CTX*CLM01:PCN-R-1~IK4*9*67*7~IK5*R*5~" +
	"AK9*P*2*2*1~SE*10*0001~GE*1*906~IEA*1*000000906~"

// Reading a 999: the rejected 837 transaction sets and the claims their
// errors name.
func ExampleAckReader() {
	d := x12.NewAckReader(strings.NewReader(example999))
	for {
		a, err := d.Next()
		if err != nil {
			break
		}
		fmt.Println("group", a.GroupControl, a.GroupStatus)
		for _, r := range a.Rejections() {
			fmt.Println(r.SetControl, r.PatientControlNumber, r.Category, r.Statuses)
		}
	}
	// Output:
	// group 103 P
	// 0002 PCN-R-1 R [5 8 7]
}
