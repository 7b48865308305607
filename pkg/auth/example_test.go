package auth_test

import (
	"fmt"

	"github.com/remitq/remitq/pkg/auth"
)

// A biller who sees practice 7 whole and one provider of practice 9: the
// work-item query filters in SQL.
func ExampleIdentity_Where() {
	s1, _ := auth.ParseScope("7")
	s2, _ := auth.ParseScope("9:1234567893")
	id := &auth.Identity{UserID: 42, Role: auth.Biller, Scopes: []auth.Scope{s1, s2}}
	args := auth.Args{int64(1001)} // $1 is already taken by the query
	fmt.Println("WHERE w.id = $1 AND " + id.Where("w.practice_id", "w.provider_npi", &args))
	fmt.Println(len(args), "parameters;", id.Can(auth.WorkUpdate), id.Can(auth.WorkAssign))
	// Output:
	// WHERE w.id = $1 AND (w.practice_id = $2::bigint OR (w.practice_id = ANY($3::bigint[]) AND w.practice_id::text || ':' || w.provider_npi = ANY($4::text[])))
	// 4 parameters; true false
}
