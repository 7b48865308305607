package apisvc

import "testing"

// TestSweepOpensSecondaryItems: the API's sweep (what Run calls on every
// tick) runs the secondary-claims sweep of each practice, so a claim with
// another payer whose primary 835 came in gets its bill-secondary item
// without anyone calling POST /v1/submissions/secondary-sweep; sweeping
// again opens nothing twice.
func TestSweepOpensSecondaryItems(t *testing.T) {
	f := newFixture(t)
	f.exec(`UPDATE payers SET payer_id_code = 'BP1' WHERE id = $1`, f.payer)
	sec, cross, plain := withSecondary(loopClaim("SW-1", "BP1", "CI")), withSecondary(loopClaim("SW-X", "BP1", "CI")), loopClaim("SW-0", "BP1", "CI")
	ids := f.loadLoopClaims(sec, cross, plain)
	f.remit835(sec, ids["SW-1"], "sw1", "1", false)
	f.remit835(cross, ids["SW-X"], "swx", "19", true)
	f.remit835(plain, ids["SW-0"], "sw0", "1", false)
	if n := f.count(`SELECT count(*) FROM work_items WHERE kind = 'bill_secondary'`); n != 0 {
		t.Fatalf("%d bill-secondary items before the sweep", n)
	}

	res, err := f.s.Sweep(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if res.SecondaryChecked != 2 || res.SecondaryCrossedOver != 1 || res.SecondaryOpened != 1 {
		t.Fatalf("sweep: %+v, want 2 checked, 1 crossed over, 1 opened", res)
	}
	if n := f.count(`SELECT count(*) FROM work_items WHERE kind = 'bill_secondary' AND billed_claim_id = $1
		AND category = 'coordination_of_benefits' AND practice_id = $2`, ids["SW-1"], f.p1); n != 1 {
		t.Fatalf("%d bill-secondary items for SW-1 after the sweep", n)
	}
	if n := f.count(`SELECT count(*) FROM secondary_claims WHERE billed_claim_id = $1 AND state = 'crossed_over'`, ids["SW-X"]); n != 1 {
		t.Fatal("the crossed-over claim is not marked crossed_over")
	}

	res, err = f.s.Sweep(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if res.SecondaryChecked != 0 || res.SecondaryOpened != 0 {
		t.Fatalf("second sweep: %+v, want nothing decided", res)
	}
	if n := f.count(`SELECT count(*) FROM work_items WHERE kind = 'bill_secondary'`); n != 1 {
		t.Fatalf("%d bill-secondary items after two sweeps, want 1", n)
	}
}
