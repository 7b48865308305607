package rulesstore_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/remitq/remitq/pkg/rules"
	"github.com/remitq/remitq/pkg/rulesstore"
	"github.com/remitq/remitq/pkg/store"
	"github.com/remitq/remitq/x12"
)

// The policy as the rules take it: practices 1 and 2 bill under one tax
// ID, 3 and 4 are a declared group; with cross-practice counting off,
// each practice counts only its own history.
func ExamplePolicy_Sharing() {
	p := &rulesstore.Policy{CrossPractice: true, SameTIN: true, Groups: []rulesstore.Group{{Name: "north", Practices: []int64{3, 4}}}}
	sh := p.Sharing()
	fmt.Println(sh.May("1", "741000001", "2", "741000001"), sh.May("3", "", "4", ""), sh.May("1", "741000001", "3", ""))
	p.CrossPractice = false
	fmt.Println(p.Sharing().May("1", "741000001", "2", "741000001"))
	// Output:
	// true true false
	// false
}

// A pre-bill check against the database: the history of the claims'
// patients at the practices that share, the auths and relief on file.
func ExampleChecker() {
	ctx := context.Background()
	db, err := store.Open(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	var keys rulesstore.KeyConfig
	keys.FromEnv()
	k, err := keys.Keyer("")
	if err != nil {
		log.Fatal(err)
	}
	f, err := os.Open("claims.837")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	cf, err := x12.ReadClaims(f)
	if err != nil {
		log.Fatal(err)
	}
	res, err := (&rulesstore.Checker{DB: db, Rules: rules.Default(), Keyer: k}).CheckX12(ctx, cf, nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range res.Findings {
		fmt.Println(f.Claim, f.Line, f.Rule, f.Severity, f.Message)
	}
}
