package matchstore_test

import (
	"fmt"

	"github.com/remitq/remitq/pkg/matchstore"
)

// A paid claim's position is its file, then its segment; Ref is the form
// the matcher's answers and the review queue use.
func ExamplePos() {
	a := matchstore.Pos{File: 12, Seg: 40}
	b, ok := matchstore.ParseRef("12:7")
	fmt.Println(a.Ref(), b, ok, b.Cmp(a))
	_, ok = matchstore.ParseRef("12")
	fmt.Println(ok)
	// Output:
	// 12:40 {12 7} true -1
	// false
}
