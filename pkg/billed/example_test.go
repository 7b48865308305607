package billed_test

import (
	"fmt"
	"strings"

	"github.com/remitq/remitq/pkg/billed"
)

func ExampleReadAll() {
	const export = `practice,patient_control_number,payer,member_id,service_date,procedure,modifiers,units,charge,line_control_number,prior_auth,diagnosis_codes,place_of_service
1234567893,PM-1,EXHP1,M000001,2026-03-02,64493,50,1,1100.00,PM-1-1,AUTH-7,M47816,11
1234567893,PM-1,EXHP1,M000001,2026-03-02,64494,,1,550.00,PM-1-2,AUTH-7,M47816,11
1234567893,PM-2,EXHP1,M000002,2026-03-02,64483,RT,one,1450.00,PM-2-1,,M5416,11
`
	list, rowErrs, err := billed.ReadAll(strings.NewReader(export))
	if err != nil {
		panic(err)
	}
	for _, c := range list {
		fmt.Printf("claim %s: %d line(s), %s\n", c.PatientControl, len(c.Lines), c.TotalCharge)
		for _, l := range c.Lines {
			fmt.Printf("  %d %s %v units %s on %s control %s\n", l.Number, l.Procedure, l.Modifiers, l.Units, l.ServiceFrom, l.LineControl)
		}
	}
	for _, e := range rowErrs {
		fmt.Println(e) // never shows the value
	}
	// Output:
	// claim PM-1: 2 line(s), 1650.00
	//   1 64493 [50] units 1 on 2026-03-02 control PM-1-1
	//   2 64494 [] units 1 on 2026-03-02 control PM-1-2
	// row 4, column units: invalid value: expected a positive number of units with up to three decimals
}
