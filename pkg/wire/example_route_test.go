package wire_test

import (
	"fmt"

	"github.com/remitq/remitq/pkg/route"
	"github.com/remitq/remitq/pkg/wire"
	v1 "github.com/remitq/remitq/proto/remitq/v1"
)

func ExampleDecide() {
	m := &v1.LineMatch{
		Source: &v1.SourceRef{FileSha256: "ab12", SegmentIndex: 40, PracticeId: 3},
		Line: &v1.ServiceLinePayment{
			Claim:   &v1.Claim{PatientControlNumber: "PAIN26002", StatusCode: "1"},
			Payer:   &v1.Payer{PayerIdentifier: "SHP01"},
			Payment: &v1.Payment{PaymentDate: "2026-03-02"},
			Line: &v1.ServiceLine{LineNumber: 1, Procedure: &v1.Procedure{Code: "64635", Modifiers: []string{"LT"}},
				ChargeCents: 240000, ServiceDateFrom: "2026-02-10",
				Adjustments: []*v1.Adjustment{{GroupCode: "CO", ReasonCode: "197", AmountCents: 240000}},
				RemarkCodes: []*v1.RemarkCode{{Qualifier: "HE", Code: "N54"}}},
		},
		Method:   v1.MatchMethod_MATCH_METHOD_LINE_CONTROL_NUMBER,
		Flags:    []string{"denied"},
		SvcIndex: 1,
	}
	d, err := wire.Decide(route.New(route.Config{}), m, wire.RouteOptions{})
	if err != nil {
		panic(err)
	}
	fmt.Println(d.Disposition, d.Category, d.CARC, d.RARC, d.AmountAtRisk, d.AppealDeadline)
	// Output: denied authorization [CO-197] [N54] 2400.00 2026-05-31
}
