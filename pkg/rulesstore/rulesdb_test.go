package rulesstore_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/remitq/remitq/pkg/billedstore"
	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/devenv/devtest"
	"github.com/remitq/remitq/pkg/rules"
	"github.com/remitq/remitq/pkg/rulesstore"
	"github.com/remitq/remitq/pkg/synth"
	"github.com/remitq/remitq/x12"
)

func TestMain(m *testing.M) { devtest.Main(m) }

var secret = []byte("rulesdb-test-secret-of-32-bytes!")

func keyer(t testing.TB) *rules.Keyer {
	t.Helper()
	k, err := rules.NewKeyer(secret)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// world is a database with a rules truth set loaded as a service would:
// the practices registered, the history 837 through pkg/billedstore (which
// keys the patients), the declared group, and the auths and relief CSVs
// per practice through the stores.
type world struct {
	db        *sqlx.DB
	tr        *synth.RulesTruth
	claims    *x12.ClaimFile
	practices map[string]int64 // by practice key
}

func newWorld(t *testing.T, claims int) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{db: devtest.DB(t), practices: map[string]int64{}}
	var err error
	if w.tr, err = synth.GenerateRulesTruth(synth.RulesTruthOptions{Seed: 11, Claims: claims}); err != nil {
		t.Fatal(err)
	}
	for _, p := range w.tr.Practices {
		var id int64
		if err := w.db.QueryRow(`INSERT INTO practices (name, npi, tin) VALUES ($1, $2, $3) RETURNING id`, p.Name, p.NPI, p.TIN).Scan(&id); err != nil {
			t.Fatal(err)
		}
		w.practices[p.Key] = id
	}
	k := keyer(t)
	var hist, cl bytes.Buffer
	if err := w.tr.WriteHistory(&hist); err != nil {
		t.Fatal(err)
	}
	res, err := (&billedstore.Store{DB: w.db, Keyer: k}).LoadFile(ctx, "history.837", hist.Bytes(), "test")
	if err != nil {
		t.Fatal(err)
	}
	if res.Loaded != len(w.tr.History) || len(res.Problems) > 0 {
		t.Fatalf("history: loaded %d of %d: %+v", res.Loaded, len(w.tr.History), res.Problems)
	}
	for _, g := range w.tr.Groups {
		var ids []int64
		for _, key := range g {
			ids = append(ids, w.practices[key])
		}
		if err := rulesstore.PutGroup(ctx, w.db, "truth-group", ids, "test"); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range w.tr.Practices {
		w.storeRecords(t, p.Key, k)
	}
	if err := w.tr.WriteClaims(&cl); err != nil {
		t.Fatal(err)
	}
	if w.claims, err = x12.ReadClaims(&cl); err != nil {
		t.Fatal(err)
	}
	return w
}

// storeRecords loads the auths and relief CSVs of a practice and returns
// what the stores did.
func (w *world) storeRecords(t *testing.T, practice string, k *rules.Keyer) (rulesstore.StoreResult, rulesstore.StoreResult) {
	t.Helper()
	ctx := context.Background()
	var a, r bytes.Buffer
	if err := w.tr.WriteAuthsCSV(&a, practice); err != nil {
		t.Fatal(err)
	}
	if err := w.tr.WriteReliefCSV(&r, practice); err != nil {
		t.Fatal(err)
	}
	ab, err := rules.ReadAuths(&a, k)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := rules.ReadRelief(&r, k)
	if err != nil {
		t.Fatal(err)
	}
	ra, err := rulesstore.StoreAuths(ctx, w.db, w.practices[practice], ab.All(), rulesstore.SourceCSV, "test")
	if err != nil {
		t.Fatal(err)
	}
	rr, err := rulesstore.StoreRelief(ctx, w.db, w.practices[practice], rb.All(), rulesstore.SourceCSV, "test")
	if err != nil {
		t.Fatal(err)
	}
	return ra, rr
}

// TestRulesTruthDatabase checks the rules truth set through the database:
// history read by patient key across practices, the sharing policy from
// the tables (same TIN, the declared group), auths and relief from the
// tables. Every planted violation is found with its rule key, and nothing
// else; then, with cross-practice counting off, the violations that need
// another practice's history are no longer reported and a clean RFA whose
// blocks were partly elsewhere is.
func TestRulesTruthDatabase(t *testing.T) {
	w := newWorld(t, 300)
	ctx := context.Background()
	c := &rulesstore.Checker{DB: w.db, Keyer: keyer(t)}
	res, err := c.CheckX12(ctx, w.claims, nil)
	if err != nil {
		t.Fatal(err)
	}
	synth.ReportRulesTruth(t, w.tr, res.Findings)
	if res.Claims != len(w.tr.Claims) || res.HistoryLines == 0 || len(res.Practices) != len(w.tr.Practices) {
		t.Errorf("checked %d claims of %d, %d history lines, practices %v", res.Claims, len(w.tr.Claims), res.HistoryLines, res.Practices)
	}
	// The order: claims as in the file.
	pos := map[string]int{}
	for i, c := range w.tr.Claims {
		pos[c.PatientControlNumber] = i
	}
	if !slices.IsSortedFunc(res.Findings, func(a, b rules.Finding) int { return pos[a.Claim] - pos[b.Claim] }) {
		t.Error("findings are not in the order of the claims")
	}

	if err := rulesstore.SetSharing(ctx, w.db, false, true, "test"); err != nil {
		t.Fatal(err)
	}
	res, err = c.CheckX12(ctx, w.claims, nil)
	if err != nil {
		t.Fatal(err)
	}
	flagged := map[string]bool{}
	for _, f := range res.Findings {
		flagged[f.Claim] = true
	}
	seen := map[string]bool{}
	for id, sc := range w.tr.Scenario {
		switch sc {
		case "cap_shared_practice", "udt_twice_shared":
			if flagged[id] {
				t.Errorf("claim %s (%s) flagged with cross-practice counting off", id, sc)
			}
		case "clean_rfa_blocks_shared":
			if !flagged[id] {
				t.Errorf("claim %s (%s) not flagged with cross-practice counting off: one block is at another practice", id, sc)
			}
		default:
			continue
		}
		seen[sc] = true
	}
	if len(seen) != 3 {
		t.Errorf("scenarios seen: %v", seen)
	}
}

// Storing the same records again changes nothing; a changed record is
// updated in place.
func TestStoreRecordsIdempotent(t *testing.T) {
	w := newWorld(t, 60)
	ctx := context.Background()
	var total int
	if err := w.db.Get(&total, `SELECT count(*) FROM prior_auths`); err != nil {
		t.Fatal(err)
	}
	if total != len(w.tr.Auths) {
		t.Fatalf("%d auths stored of %d", total, len(w.tr.Auths))
	}
	p := w.tr.Practices[0].Key
	ra, rr := w.storeRecords(t, p, keyer(t))
	if ra.Inserted+ra.Updated != 0 || ra.Unchanged != ra.Records || rr.Inserted+rr.Updated != 0 {
		t.Errorf("stored again: auths %+v, relief %+v", ra, rr)
	}
	var auths []rules.Auth
	for _, a := range w.tr.Auths {
		if a.Practice == p {
			k, err := keyer(t).Key(rules.Person{MemberID: a.Patient.MemberID, BirthDate: a.Patient.BirthDate,
				LastName: a.Patient.LastName, FirstName: a.Patient.FirstName})
			if err != nil {
				t.Fatal(err)
			}
			from, _ := day.ParseSet(string(a.From))
			auths = append(auths, rules.Auth{Number: strings.ToLower(a.Number), Payer: a.Payer, Patient: k, Codes: a.Codes,
				NPI: a.NPI, From: from, To: from + 365, Units: 4})
		}
	}
	if len(auths) == 0 {
		t.Fatal("no auth of practice 0")
	}
	res, err := rulesstore.StoreAuths(ctx, w.db, w.practices[p], append(auths, auths[0]), rulesstore.SourceJSON, "test")
	if err != nil {
		t.Fatal(err)
	}
	if res.Records != len(auths) || res.Updated != len(auths) || res.Inserted != 0 {
		t.Errorf("changed auths: %+v", res)
	}
	stored, err := rulesstore.LoadAuths(ctx, w.db, rulesstore.AuthFilter{Patients: []rules.PatientKey{auths[0].Patient}})
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != 1 || stored[0].Auth.Units != 4 || stored[0].Auth.To != auths[0].To || stored[0].Source != rulesstore.SourceJSON ||
		stored[0].Auth.Number != strings.ToUpper(auths[0].Number) {
		t.Errorf("stored %+v", stored)
	}
	if err := w.db.Get(&total, `SELECT count(*) FROM prior_auths`); err != nil || total != len(w.tr.Auths) {
		t.Errorf("%d auths after the update (%v)", total, err)
	}
}

// Claims stored without a patient key are read by member ID and birth
// date, beside the claims with the key; a claim with another patient's
// key is not, even with the same member ID and birth date (twins on one
// subscriber).
func TestHistoryKeylessClaims(t *testing.T) {
	db := devtest.DB(t)
	ctx := context.Background()
	var pr int64
	if err := db.QueryRow(`INSERT INTO practices (name, npi, tin) VALUES ('P', '1234567893', '123456789') RETURNING id`).Scan(&pr); err != nil {
		t.Fatal(err)
	}
	k := keyer(t)
	me, err := k.Key(rules.Person{MemberID: "M1", BirthDate: "2010-05-05", LastName: "ROE", FirstName: "ANN"})
	if err != nil {
		t.Fatal(err)
	}
	twin, err := k.Key(rules.Person{MemberID: "M1", BirthDate: "2010-05-05", LastName: "ROE", FirstName: "BEA"})
	if err != nil {
		t.Fatal(err)
	}
	claim := func(pcn string, key []byte, date, code string) {
		t.Helper()
		var id int64
		if err := db.QueryRow(`INSERT INTO billed_claims (practice_id, source, patient_control_number, payer_code, phi_member_id,
			phi_birth_date, total_charge, line_count, content_sha256, patient_key) VALUES ($1, '837', $2, 'P1', 'M1', '2010-05-05', 100, 1,
			'\x00', $3) RETURNING id`, pr, pcn, key).Scan(&id); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`INSERT INTO billed_lines (billed_claim_id, practice_id, line_number, procedure_code, units, charge,
			service_date_from) VALUES ($1, $2, 1, $3, 1, 100, $4)`, id, pr, code, date); err != nil {
			t.Fatal(err)
		}
	}
	claim("K1", me[:], "2026-01-10", "64483")
	claim("OLD", nil, "2025-11-02", "62323")
	claim("TWIN", twin[:], "2026-02-01", "64493")
	h, err := rulesstore.LoadHistory(ctx, db, []rulesstore.Patient{
		{Key: me, MemberID: "M1", BirthDate: "2010-05-05"},
		{MemberID: "M1", BirthDate: "2010-05-05"}, // a claim without a key: every claim of the member
		{MemberID: "M2"},
	}, rulesstore.HistoryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	claims := func(p rules.PatientKey) []string {
		var out []string
		for _, l := range h.Lines(p) {
			out = append(out, l.Claim)
			if l.Practice == "" || l.TIN != "123456789" || l.Date == 0 {
				t.Errorf("line %+v", l)
			}
		}
		slices.Sort(out)
		return out
	}
	if got := claims(me); !slices.Equal(got, []string{"K1", "OLD"}) {
		t.Errorf("keyed patient: %v", got)
	}
	if h.Key(1).IsZero() || h.Key(1) == me {
		t.Errorf("stand-in key %v", h.Key(1))
	}
	if got := claims(h.Key(1)); !slices.Equal(got, []string{"K1", "OLD", "TWIN"}) {
		t.Errorf("keyless patient: %v", got)
	}
	if got := claims(h.Key(2)); len(got) != 0 {
		t.Errorf("unknown member: %v", got)
	}
	from := day.Must("2026-01-01")
	h, err = rulesstore.LoadHistory(ctx, db, []rulesstore.Patient{{Key: me, MemberID: "M1", BirthDate: "2010-05-05"}}, rulesstore.HistoryOptions{From: from})
	if err != nil {
		t.Fatal(err)
	}
	if got := claims(me); !slices.Equal(got, []string{"K1"}) {
		t.Errorf("from %s: %v", from, got)
	}
}

// A claim loaded without a secret has no patient key; loading it again
// with one fills it (and changes nothing else).
func TestBillingFillsPatientKeys(t *testing.T) {
	t.Setenv("REMITQ_PATIENT_KEY", "")
	t.Setenv("REMITQ_PATIENT_KEY_FILE", "")
	db := devtest.DB(t)
	ctx := context.Background()
	tr, err := synth.GenerateRulesTruth(synth.RulesTruthOptions{Seed: 2, Claims: 5})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range tr.Practices {
		if _, err := db.Exec(`INSERT INTO practices (name, npi, tin) VALUES ($1, $2, $3)`, p.Name, p.NPI, p.TIN); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := synth.WriteClaims837(&b, tr.Claims[:1], tr.Options.Start, 1); err != nil {
		t.Fatal(err)
	}
	keys := func() [][]byte {
		t.Helper()
		var out [][]byte
		if err := db.Select(&out, `SELECT patient_key FROM billed_claims ORDER BY id`); err != nil {
			t.Fatal(err)
		}
		return out
	}
	k := keyer(t)
	for i, ks := range []*rules.Keyer{nil, k, k} {
		res, err := (&billedstore.Store{DB: db, Keyer: ks}).LoadFile(ctx, "c.837", b.Bytes(), "test")
		if err != nil {
			t.Fatal(err)
		}
		if (i == 0) != (res.Loaded == 1) || res.Unchanged != min(i, 1) {
			t.Errorf("load %d: %+v", i, res)
		}
		if got := keys(); len(got) != 1 || (got[0] == nil) != (i == 0) {
			t.Fatalf("load %d: keys %x", i, got)
		}
	}
	s := tr.Claims[0].Subscriber
	want, err := k.Key(rules.Person{MemberID: s.MemberID, BirthDate: string(s.BirthDate), LastName: s.LastName, FirstName: s.FirstName})
	if err != nil {
		t.Fatal(err)
	}
	if got := keys(); !bytes.Equal(got[0], want[:]) {
		t.Errorf("stored key %x, want %x", got[0], want)
	}
	// A CSV claim is keyed when it names the patient.
	p := tr.Practices[0].NPI
	csv := "practice,patient_control_number,member_id,patient_birth_date,Patient Last Name,patient_first_name,service_date,procedure,charge\n" +
		p + ",CSV-1,W1,1961-04-09,Smithson,Ann,2026-05-01,64483,100.00\n" +
		p + ",CSV-2,W1,1961-04-09,,Ann,2026-05-01,64483,100.00\n"
	if res, err := (&billedstore.Store{DB: db, Keyer: k}).LoadFile(ctx, "c.csv", []byte(csv), "test"); err != nil || res.Loaded != 2 {
		t.Fatalf("csv: %+v %v", res, err)
	}
	want, _ = k.Key(rules.Person{MemberID: "W1", BirthDate: "1961-04-09", LastName: "SMITHSON", FirstName: "ANN"})
	if got := keys(); len(got) != 3 || !bytes.Equal(got[1], want[:]) || got[2] != nil {
		t.Errorf("csv keys %x", got)
	}
}

func TestPolicy(t *testing.T) {
	db := devtest.DB(t)
	ctx := context.Background()
	var ids []int64
	for i, tin := range []string{"111111111", "111111111", "222222222", "333333333"} {
		var id int64
		if err := db.QueryRow(`INSERT INTO practices (name, tin) VALUES ($1, $2) RETURNING id`, "P"+string(rune('A'+i)), tin).Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	p, err := rulesstore.LoadPolicy(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if !p.CrossPractice || !p.SameTIN || len(p.Groups) != 0 {
		t.Fatalf("default policy %+v", p)
	}
	for _, tt := range []struct {
		name  string
		ids   []int64
		want  error
		known bool
	}{
		{"bad name!", ids[2:], rulesstore.ErrGroupName, false},
		{"one", ids[2:3], rulesstore.ErrGroupSize, false},
		{"ghost", []int64{ids[2], 999999}, rulesstore.ErrUnknownPractice, false},
		{"west", []int64{ids[3], ids[2], ids[2]}, nil, true},
	} {
		if err := rulesstore.PutGroup(ctx, db, tt.name, tt.ids, "test"); !errors.Is(err, tt.want) {
			t.Errorf("PutGroup(%q): %v, want %v", tt.name, err, tt.want)
		}
	}
	id := func(i int) string { return strconv.FormatInt(ids[i], 10) }
	may := func(p *rulesstore.Policy, a, b int, tinA, tinB string) bool {
		return p.Sharing().May(id(a), tinA, id(b), tinB)
	}
	p, err = rulesstore.LoadPolicy(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Groups) != 1 || p.Groups[0].Name != "west" || !slices.Equal(p.Groups[0].Practices, []int64{ids[2], ids[3]}) {
		t.Fatalf("groups %+v", p.Groups)
	}
	if !may(p, 0, 1, "111111111", "111111111") || !may(p, 2, 3, "222222222", "333333333") || may(p, 0, 2, "111111111", "222222222") {
		t.Error("policy: same TIN and the group share, nothing else")
	}
	if err := rulesstore.SetSharing(ctx, db, true, false, "test"); err != nil {
		t.Fatal(err)
	}
	if p, _ = rulesstore.LoadPolicy(ctx, db); may(p, 0, 1, "111111111", "111111111") || !may(p, 2, 3, "222222222", "333333333") {
		t.Error("same_tin off: the group still shares, the TIN does not")
	}
	if err := rulesstore.SetSharing(ctx, db, false, true, "test"); err != nil {
		t.Fatal(err)
	}
	if p, _ = rulesstore.LoadPolicy(ctx, db); may(p, 0, 1, "111111111", "111111111") || may(p, 2, 3, "222222222", "333333333") || !may(p, 2, 2, "", "") {
		t.Error("cross_practice off: only a practice's own history")
	}
	if ok, err := rulesstore.DeleteGroup(ctx, db, "west"); !ok || err != nil {
		t.Errorf("delete: %v %v", ok, err)
	}
	if ok, err := rulesstore.DeleteGroup(ctx, db, "west"); ok || err != nil {
		t.Errorf("delete again: %v %v", ok, err)
	}
}

// Unknown practices and unkeyable patients are reported by claim, and
// nothing is checked; allow sees every claim before any record is read.
func TestCheckProblems(t *testing.T) {
	w := newWorld(t, 40)
	ctx := context.Background()
	c := &rulesstore.Checker{DB: w.db, Keyer: keyer(t)}
	var seen []string
	scopeErr := errors.New("out of scope")
	_, err := c.CheckX12(ctx, w.claims, func(cc rulesstore.CheckedClaim) error {
		seen = append(seen, cc.Claim)
		if cc.PracticeID == 0 || len(cc.Rendering) == 0 {
			t.Errorf("claim %+v", cc)
		}
		if cc.PracticeID == w.practices[w.tr.Practices[4].Key] {
			return scopeErr
		}
		return nil
	})
	if !errors.Is(err, scopeErr) || len(seen) == 0 {
		t.Errorf("allow: %v after %d claims", err, len(seen))
	}
	bad := *w.tr.Claims[0]
	bad.PatientControlNumber = "NO-DOB"
	sub := *bad.Subscriber
	sub.BirthDate = ""
	bad.Subscriber = &sub
	other := *w.tr.Claims[1]
	other.PatientControlNumber = "NO-PRACTICE"
	bp := *other.BillingProvider
	bp.NPI, bp.ID, bp.TIN = "1999999999", "1999999999", "999999999"
	other.BillingProvider = &bp
	var b bytes.Buffer
	if err := synth.WriteClaims837(&b, []*x12.Claim{&bad, &other, w.tr.Claims[2]}, w.tr.Options.Start, 5); err != nil {
		t.Fatal(err)
	}
	cf, err := x12.ReadClaims(&b)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CheckX12(ctx, cf, nil)
	var probs rulesstore.ClaimProblems
	if !errors.As(err, &probs) || len(probs) != 2 || probs[0].Code != "patient" || probs[1].Code != "unknown_practice" {
		t.Fatalf("problems: %v", err)
	}
	if strings.Contains(err.Error(), bad.Subscriber.MemberID) || strings.Contains(err.Error(), "SYNTH") {
		t.Errorf("PHI in %q", err)
	}
	if _, err := (&rulesstore.Checker{DB: w.db}).CheckX12(ctx, w.claims, nil); !errors.Is(err, rulesstore.ErrNoKeyer) {
		t.Errorf("without a secret: %v", err)
	}
}

func TestSecret(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("REMITQ_PATIENT_KEY", "")
	t.Setenv("REMITQ_PATIENT_KEY_FILE", "")
	var c rulesstore.KeyConfig
	if _, err := c.Secret(""); !errors.Is(err, rulesstore.ErrNoSecret) {
		t.Errorf("nothing configured: %v", err)
	}
	a, err := c.Secret(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(rulesstore.DefaultKeyFile(dir))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", st, err)
	}
	b, err := c.Secret(dir)
	if err != nil || !bytes.Equal(a, b) || len(a) < rulesstore.MinSecretLen {
		t.Errorf("second read: %q %q %v", a, b, err)
	}
	if _, err := (&rulesstore.KeyConfig{Key: "short"}).Secret(dir); err == nil {
		t.Error("a short key is taken")
	}
	file := filepath.Join(dir, "sub", "k")
	if k, err := (&rulesstore.KeyConfig{KeyFile: file}).Keyer(""); err != nil || k == nil {
		t.Errorf("key file: %v", err)
	}
	t.Setenv("REMITQ_PATIENT_KEY", string(secret))
	c = rulesstore.KeyConfig{}
	c.FromEnv()
	if c.Key != string(secret) {
		t.Errorf("from env: %q", c.Key)
	}
	rulesstore.SetDefaultDataDir(func() string { return dir })
	defer rulesstore.SetDefaultDataDir(nil)
	k1, err := rulesstore.DefaultKeyer()
	if err != nil {
		t.Fatal(err)
	}
	p := rules.Person{MemberID: "M1", BirthDate: "2000-01-01", LastName: "X"}
	x, _ := k1.Key(p)
	y, _ := keyer(t).Key(p)
	if x != y {
		t.Error("the default keyer does not use REMITQ_PATIENT_KEY")
	}
}
