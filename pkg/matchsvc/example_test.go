package matchsvc_test

import (
	"fmt"

	"github.com/remitq/remitq/pkg/match"
	"github.com/remitq/remitq/pkg/matchsvc"
)

// The LineMatch method of each pkg/match method.
func ExampleMethodProto() {
	for _, m := range []match.Method{match.LineControl, match.ClaimAndProcedure, match.Reversal, match.Manual} {
		fmt.Println(m, matchsvc.MethodProto(m))
	}
	// Output:
	// line_control MATCH_METHOD_LINE_CONTROL_NUMBER
	// claim_and_procedure MATCH_METHOD_PROCEDURE_DATE_UNITS
	// reversal MATCH_METHOD_REVERSAL
	// manual MATCH_METHOD_MANUAL
}
