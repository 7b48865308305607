package carc_test

import (
	"fmt"

	"github.com/remitq/remitq/carc"
)

func Example() {
	c, _ := carc.CARC("197")
	fmt.Println(c.Category, "-", c.Reason)

	// The same CARC means different things with different remarks.
	for _, rarc := range []string{"N54", "N290"} {
		e := carc.Explain("CO", "16", []string{rarc})
		fmt.Printf("CO-16 + %s: %s (%s)\n", rarc, e.Reason, e.Category)
	}

	// Unknown codes never fail.
	e := carc.Explain("CO", "999", nil)
	fmt.Println(e.Known, e.Category, len(e.Warnings))
	// Output:
	// authorization - prior authorization missing
	// CO-16 + N54: authorization number missing or does not match (authorization)
	// CO-16 + N290: rendering provider NPI missing (missing_claim_data)
	// false other 1
}
