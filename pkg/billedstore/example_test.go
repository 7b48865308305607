package billedstore_test

import (
	"fmt"

	"github.com/remitq/remitq/pkg/billedstore"
)

// Parse tells an 837P from a CSV by content and reports bad rows by number
// without their values; Store.Load then stores the good claims.
func ExampleParse() {
	csv := "practice,patient_control_number,service_date,procedure,charge\n" +
		"1234567893,PCN-1,2026-02-02,64483,1450.00\n" +
		"1234567893,PCN-1,2026-02-02,64484,650.00\n" +
		"1234567893,PCN-2,2026-02-31,64483,1450.00\n"
	in, err := billedstore.Parse("claims.csv", []byte(csv))
	if err != nil {
		panic(err)
	}
	fmt.Println(in.Source, len(in.Claims), "claim(s),", len(in.Claims[0].Lines), "lines, rows", in.Where[0].Rows)
	for _, p := range in.Problems {
		fmt.Println("row", p.Row, p.Column, p.Code)
	}
	// Output:
	// csv 1 claim(s), 2 lines, rows [2 3]
	// row 4 service_date invalid
}
