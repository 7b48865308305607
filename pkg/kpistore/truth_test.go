package kpistore

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/remitq/remitq/carc"

	"github.com/remitq/remitq/pkg/billedstore"
	"github.com/remitq/remitq/pkg/bus"
	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/devenv/devtest"
	"github.com/remitq/remitq/pkg/kpi"
	"github.com/remitq/remitq/pkg/matchsvc"
	"github.com/remitq/remitq/pkg/remitstore"
	"github.com/remitq/remitq/pkg/routesvc"
	"github.com/remitq/remitq/pkg/svc"
	"github.com/remitq/remitq/pkg/synth"
)

// TestTruthSet runs a generated truth set through the pipeline (billed
// claims and fees loaded, 835s ingested, the matcher and the router as
// components, the late claims loaded after the remits), refreshes the
// summary and compares the KPIs with the answer computed from the truth
// table alone.
func TestTruthSet(t *testing.T) {
	ctx := context.Background()
	tr, err := synth.GenerateTruth(synth.TruthOptions{Seed: 11, Lines: 1500, Practices: 2})
	if err != nil {
		t.Fatal(err)
	}
	db := devtest.DB(t)
	nc, err := nats.Connect(devtest.NATS(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	bc := bus.Config{AckWait: 10 * time.Second, BackOff: []time.Duration{100 * time.Millisecond}, MaxDeliver: 20}
	deps, err := svc.NewDeps(ctx, db, nc, bc, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range tr.Practices {
		if _, err := db.Exec(`INSERT INTO practices (name, npi, tin) VALUES ($1, $2, $3)`, p.Name, p.NPI, p.TIN); err != nil {
			t.Fatal(err)
		}
	}
	store := &billedstore.Store{DB: db, NC: nc}
	load := func(late bool) {
		var b bytes.Buffer
		if err := tr.Write837(&b, late); err != nil {
			t.Fatal(err)
		}
		if res, err := store.LoadFile(ctx, "claims.837", b.Bytes(), "test"); err != nil || len(res.Problems) > 0 {
			t.Fatalf("load claims: %+v %v", res, err)
		}
	}
	load(false)
	var fees bytes.Buffer
	if err := tr.WriteFees(&fees); err != nil {
		t.Fatal(err)
	}
	if res, err := store.LoadFees(ctx, "fees.csv", fees.Bytes(), "test"); err != nil || len(res.Problems) > 0 {
		t.Fatalf("load fees: %+v %v", res, err)
	}
	in := &remitstore.Ingester{DB: db}
	for _, f := range tr.Files {
		var b bytes.Buffer
		if err := f.Write(&b); err != nil {
			t.Fatal(err)
		}
		if res, err := in.Ingest(ctx, f.Name, b.Bytes()); err != nil || res.Status != remitstore.StatusIngested {
			t.Fatalf("ingest %s: %v %+v", f.Name, err, res)
		}
	}
	if _, err := (&remitstore.Publisher{DB: db, JS: deps.JS}).Drain(ctx); err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	router, err := routesvc.New(deps, routesvc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := matchsvc.New(deps, matchsvc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []svc.Component{m, router} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.Run(runCtx); err != nil {
				t.Errorf("%s: %v", c.Name(), err)
			}
		}()
	}
	t.Cleanup(func() { cancel(); wg.Wait() })
	settle := func() {
		deadline := time.Now().Add(90 * time.Second)
		for {
			idle := true
			for _, sc := range [][2]string{{bus.StreamRemit, bus.ConsumerMatcher}, {bus.StreamMatched, bus.ConsumerRouter}} {
				c, err := deps.JS.Consumer(ctx, sc[0], sc[1])
				if err != nil {
					idle = false
					continue
				}
				info, err := c.Info(ctx)
				if err != nil || info.NumPending > 0 || info.NumAckPending > 0 {
					idle = false
				}
			}
			var waiting int
			if err := db.Get(&waiting, `SELECT (SELECT count(*) FROM match_pending WHERE retry_requested_at IS NOT NULL)
				+ (SELECT count(*) FROM match_outbox)`); err != nil {
				t.Fatal(err)
			}
			if idle && waiting == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatal("the pipeline did not settle in 90 s")
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	settle()
	load(true)
	time.Sleep(300 * time.Millisecond)
	settle()
	if _, err := Refresh(ctx, db); err != nil {
		t.Fatal(err)
	}
	// What the writers marked dirty is all there is: folding in every
	// source row again changes nothing (a claim whose lines went unmarked
	// would change here).
	marked := digest(t, db)
	if _, err := Rebuild(ctx, db); err != nil {
		t.Fatal(err)
	}
	if all := digest(t, db); all != marked {
		t.Errorf("the summary from the writers' marks differs from a rebuild of every row:\n%s\n%s", marked, all)
	}

	// The answer from the truth table.
	billedLines := map[string]int{}
	for _, c := range tr.Claims {
		billedLines[c.PatientControlNumber] = len(c.Lines)
	}
	type want struct{ adjudicated, denied, underpaid, claims, claimsDenied, linesFirst, linesFirstDenied int64 }
	var w want
	payments := int64(0)
	byCat := map[string]int64{}
	// First adjudications: per billed claim and payer, the CLPs of the
	// first file that adjudicates it as primary (split claims share one
	// file); unmatched CLPs each count.
	firstFile := map[[2]string]string{}
	fileOrder := map[string]int{}
	for i, f := range tr.Files {
		fileOrder[f.Name] = i
	}
	for _, tl := range tr.Lines {
		if !kpi.Primary(tl.Status) || tl.BilledClaim == "" || slices.Contains(tl.Flags, "duplicate_remit") ||
			slices.Contains(tl.Flags, "correction") {
			continue
		}
		k := [2]string{tl.BilledClaim, tl.Payer}
		if f, ok := firstFile[k]; !ok || fileOrder[tl.File] < fileOrder[f] {
			firstFile[k] = tl.File
		}
	}
	deniedInPart := func(tl *synth.TruthLine) bool {
		if slices.Contains(tl.Flags, "denied") {
			return true
		}
		for _, a := range tl.Adjustments {
			g, code, _ := strings.Cut(a, "-")
			if class, _, _ := carc.Classify(g, code); class == carc.ClassDenial {
				return true
			}
		}
		return false
	}
	type clp struct {
		file  string
		claim int
	}
	firstClaims := map[clp]bool{} // → denied in part
	for i := range tr.Lines {
		tl := &tr.Lines[i]
		if slices.Contains(tl.Flags, "duplicate_remit") {
			continue
		}
		payments += tl.Paid.Cents()
		weight := int64(1)
		if tl.SVC == 0 && billedLines[tl.BilledClaim] > 0 {
			weight = int64(billedLines[tl.BilledClaim])
		}
		switch {
		case tl.Status == "22": // reverses a primary payment at 80 %
			w.adjudicated -= weight
			w.underpaid--
		case kpi.Primary(tl.Status):
			w.adjudicated += weight
			if slices.Contains(tl.Flags, "denied") {
				w.denied += weight
				byCat[tl.Category] += weight
			}
			if slices.Contains(tl.Flags, "underpaid") {
				w.underpaid++
			}
			first := !slices.Contains(tl.Flags, "correction") &&
				(tl.BilledClaim == "" || firstFile[[2]string{tl.BilledClaim, tl.Payer}] == tl.File)
			if first {
				k := clp{tl.File, tl.Claim}
				w.linesFirst += weight
				if deniedInPart(tl) {
					w.linesFirstDenied += weight
					firstClaims[k] = true
				} else if _, ok := firstClaims[k]; !ok {
					firstClaims[k] = false
				}
			}
		}
	}
	for _, denied := range firstClaims {
		w.claims++
		if denied {
			w.claimsDenied++
		}
	}
	total := func(name string, group ...kpi.Dim) (map[string][2]int64, *kpi.Report) {
		def, _ := kpi.Lookup(name)
		rep, err := Report(ctx, db, kpi.Request{Def: def, GroupBy: append([]kpi.Dim{}, group...), Bucket: kpi.ByMonth,
			From: day.New(2026, 1, 1), To: day.New(2026, 12, 31)}, Scope{})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string][2]int64{}
		for _, p := range rep.Points {
			k := ""
			if len(p.Group) > 0 {
				k = p.Group[0]
			}
			v := out[k]
			out[k] = [2]int64{v[0] + p.Num, v[1] + p.Den}
		}
		return out, rep
	}
	dr, _ := total("denial_rate")
	if dr[""] != [2]int64{w.claimsDenied, w.claims} {
		t.Errorf("initial denial rate (claims): %d / %d, truth %d / %d", dr[""][0], dr[""][1], w.claimsDenied, w.claims)
	}
	dl, _ := total("denial_rate_lines")
	if dl[""] != [2]int64{w.linesFirstDenied, w.linesFirst} {
		t.Errorf("initial denial rate (lines): %d / %d, truth %d / %d", dl[""][0], dl[""][1], w.linesFirstDenied, w.linesFirst)
	}
	ncr, _ := total("net_collection_rate")
	if ncr[""][0] != payments {
		t.Errorf("payments %d cents, truth %d", ncr[""][0], payments)
	}
	up, _ := total("underpayment_dollars")
	if up[""][1] != w.underpaid {
		t.Errorf("underpaid lines %d, truth %d", up[""][1], w.underpaid)
	}
	cc, _ := total("first_pass_resolution_rate")
	if cc[""][1] != w.claims {
		t.Errorf("claims adjudicated %d, truth %d", cc[""][1], w.claims)
	}
	cats, _ := total("denials_by_category", kpi.DimCategory)
	// Lines denied in full over every adjudication (reversals netted).
	all := int64(0)
	for _, v := range cats {
		all += v[1]
	}
	if all != w.denied {
		t.Errorf("lines denied over all adjudications: %d, truth %d", all, w.denied)
	}
	for cat, n := range byCat {
		if cats[cat][1] != n {
			t.Errorf("denied lines of %s: %d, truth %d", cat, cats[cat][1], n)
		}
	}
	t.Logf("truth: %+v, payments %d cents, denied by category %v", w, payments, byCat)

	// The monthly pack of each practice for the busiest remit month, on
	// pipeline data: it renders, with every category the month denied.
	var last time.Time
	if err := db.Get(&last, `SELECT date_trunc('month', t.payment_date)::date FROM claim_payments cp
		JOIN remittance_transactions t ON t.id = cp.transaction_id GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	if err := db.Select(&ids, `SELECT id FROM practices ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	var packs []*kpi.Pack
	for _, id := range ids {
		p, err := MonthlyPack(ctx, db, id, last, last.AddDate(0, 1, 3), Scope{})
		if err != nil {
			t.Fatal(err)
		}
		texts := strings.Join(p.Page().Texts(), "\n")
		for _, pt := range p.Categories.Points {
			if name := kpi.DimValueName(kpi.DimCategory, pt.Group[0], nil); !strings.Contains(texts, name) {
				t.Errorf("practice %d: the pack has no bar for %s", id, name)
			}
		}
		packs = append(packs, p)
	}
	var pdf bytes.Buffer
	if err := kpi.WritePackPDF(&pdf, last, packs...); err != nil {
		t.Fatal(err)
	}
	if got := bytes.Count(pdf.Bytes(), []byte("/Type /Page\n")); got != len(packs) {
		t.Errorf("%d PDF pages for %d practices", got, len(packs))
	}
	if dir := os.Getenv("KPI_CHART_DIR"); dir != "" {
		_ = os.WriteFile(dir+"/truth-packs.pdf", pdf.Bytes(), 0o644)
		for i, p := range packs {
			var b bytes.Buffer
			if err := p.Page().WritePNG(&b, 1.5); err != nil {
				t.Fatal(err)
			}
			_ = os.WriteFile(fmt.Sprintf("%s/truth-pack-%d.png", dir, i+1), b.Bytes(), 0o644)
		}
	}
}
