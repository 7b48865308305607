package route_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/remitq/remitq/carc"
	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/pkg/route"
	"github.com/remitq/remitq/x12"
)

// The 835 files committed under x12/testdata (the public corpus copies and
// the pain-management fixtures), plus the CDDL-licensed oopfactory samples
// of the shared corpus when it is checked out next to the repository.
var corpusGlobs = []string{"../../x12/testdata/corpus/835/*.835", "../../x12/testdata/835/*.835",
	"../../../shared/corpus/835/oopfactory-*.835"}

type decided struct {
	file string
	line route.Line
	d    route.Decision
}

func date(t testing.TB, d x12.Date) day.Day {
	v, err := day.Parse(string(d))
	if err != nil {
		t.Fatalf("date %q: %v", d, err)
	}
	return v
}

func toAdjustments(in []x12.Adjustment) []route.Adjustment {
	out := make([]route.Adjustment, len(in))
	for i, a := range in {
		out[i] = route.Adjustment{Group: a.Group, Reason: a.Reason, Amount: a.Amount}
		if a.Quantity != nil {
			out[i].Quantity = int64(*a.Quantity)
		}
	}
	return out
}

// decideFile routes every line (and claim-level-only claim) of an 835 the
// way services/router will: one Line per SVC, siblings by service date.
func decideFile(t testing.TB, r *route.Router, path string) []decided {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rf, err := x12.ReadRemittances(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out []decided
	for _, rem := range rf.Remittances {
		remit := date(t, rem.Payment.Date)
		if remit.IsZero() {
			remit = date(t, rem.ProductionDate)
		}
		for _, c := range rem.Claims {
			var claimRemarks []string
			if c.Outpatient != nil {
				claimRemarks = append(claimRemarks, c.Outpatient.Remarks...)
			}
			if c.Inpatient != nil {
				claimRemarks = append(claimRemarks, c.Inpatient.Remarks...)
			}
			if len(c.Lines) == 0 {
				cl := route.Claim{ClaimID: c.PatientControl, PayerID: rem.Payer.PayerID(), Status: c.Status, Charge: c.Charge,
					Paid: c.Paid, Adjustments: toAdjustments(c.Adjustments), Remarks: claimRemarks,
					ServiceDate: date(t, c.StatementFrom), RemitDate: remit}
				out = append(out, decided{path, route.Line{ClaimID: c.PatientControl}, r.DecideClaim(&cl)})
				continue
			}
			for i, s := range c.Lines {
				svcDate := s.DateFrom
				if svcDate == "" {
					svcDate = c.StatementFrom
				}
				l := route.Line{ClaimID: c.PatientControl, LineIndex: i + 1, PayerID: rem.Payer.PayerID(),
					Procedure: s.Procedure.Code, Modifiers: s.Procedure.Modifiers, ServiceDate: date(t, svcDate),
					Charge: s.Charge, Paid: s.Paid, Adjustments: toAdjustments(s.Adjustments),
					ClaimAdjustments: toAdjustments(c.Adjustments), ClaimRemarks: claimRemarks,
					ClaimStatus: c.Status, RemitDate: remit, Match: route.Match{Status: route.Matched}}
				if a, ok := s.Allowed(); ok {
					l.Allowed, l.HasAllowed = a, true
				}
				if s.Units != nil {
					l.UnitsPaid = int64(*s.Units)
				}
				if s.OriginalUnits != nil {
					l.UnitsBilled = int64(*s.OriginalUnits)
				}
				for _, rm := range s.Remarks {
					if rm.Qualifier == "HE" {
						l.Remarks = append(l.Remarks, rm.Code)
					}
				}
				for j, o := range c.Lines {
					if j != i && (o.DateFrom == s.DateFrom) {
						l.Siblings = append(l.Siblings, o.Procedure.Code)
					}
				}
				out = append(out, decided{path, l, r.Decide(&l)})
			}
		}
	}
	return out
}

func corpusFiles(t testing.TB) []string {
	var files []string
	for _, g := range corpusGlobs {
		m, err := filepath.Glob(g)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 30 {
		t.Fatalf("found %d corpus files, want the committed 835 corpus (x12/testdata)", len(files))
	}
	return files
}

var dispositions = map[route.Disposition]bool{
	route.Denied: true, route.PartiallyDenied: true, route.UnderpaidLine: true, route.PatientResponsibility: true,
	route.Contractual: true, route.Paid: true, route.Reversed: true,
}

// Every line of every committed 835 gets a complete decision.
func TestCorpusInvariants(t *testing.T) {
	r := route.New(route.Config{})
	counts := map[route.Disposition]int{}
	total := 0
	for _, path := range corpusFiles(t) {
		for _, x := range decideFile(t, r, path) {
			total++
			d := x.d
			name := filepath.Base(path) + " " + x.line.ClaimID
			counts[d.Disposition]++
			if !dispositions[d.Disposition] {
				t.Errorf("%s: disposition %q", name, d.Disposition)
			}
			if d.Text == "" || d.Action == "" {
				t.Errorf("%s: empty text or action: %+v", name, d)
			}
			work := d.Disposition == route.Denied || d.Disposition == route.PartiallyDenied || d.Disposition == route.UnderpaidLine
			if work != (d.WorkItem != route.NoWork) || work != d.Category.Valid() {
				t.Errorf("%s: %s with work item %q and category %q", name, d.Disposition, d.WorkItem, d.Category)
			}
			if d.AmountAtRisk < 0 || (!work && d.AmountAtRisk != 0) {
				t.Errorf("%s: %s with amount at risk %s", name, d.Disposition, d.AmountAtRisk)
			}
			if len(x.line.Adjustments) > 0 {
				distinct := map[string]bool{}
				for _, a := range x.line.Adjustments {
					distinct[a.Code()] = true
				}
				if len(d.CARC) != len(distinct) {
					t.Errorf("%s: CARC %v from %d distinct adjustments", name, d.CARC, len(distinct))
				}
			}
			if d.Disposition == route.Denied && x.line.Paid > 0 {
				t.Errorf("%s: denied but paid %s", name, x.line.Paid)
			}
			if d.Disposition == route.PartiallyDenied && x.line.Paid <= 0 {
				t.Errorf("%s: partially denied but paid %s", name, x.line.Paid)
			}
		}
	}
	t.Logf("%d decisions: %v", total, counts)
	// The committed files hold ~150 lines; the shared corpus's oopfactory
	// samples, when checked out beside the repository, ~1,900 more.
	least := 100
	if shared, _ := filepath.Glob(corpusGlobs[len(corpusGlobs)-1]); len(shared) > 0 {
		least = 1000
	}
	if total < least || counts[route.Paid] == 0 || counts[route.Denied] == 0 || counts[route.Reversed] == 0 {
		t.Errorf("corpus coverage too thin: %d decisions (want %d) %v", total, least, counts)
	}
}

// The code combinations that occur in the corpus land where a biller would
// put them.
func TestCorpusCategories(t *testing.T) {
	r := route.New(route.Config{})
	want := map[string]carc.Category{ // decisive CARC (+ first remark) → category
		"CO-29": carc.TimelyFiling, "CO-251+N206": carc.MissingClaimData, "OA-18": carc.Duplicate,
		"CO-97+N20": carc.CodingBundling, "CO-16+M51": carc.MissingClaimData, "CO-50+M25": carc.MedicalNecessity,
		"CO-50+M26": carc.MedicalNecessity, "CO-96": carc.NonCovered, "CO-204+N1": carc.NonCovered,
		"CO-4+M80": carc.Modifier, "CO-26": carc.EligibilityCoverage, "CR-31": carc.EligibilityCoverage,
		"CO-107": carc.CodingBundling, "CO-151": carc.FrequencyLimit, "CO-A2": carc.Underpayment,
		"CO-197+N54": carc.Authorization, "CO-119": carc.FrequencyLimit, "CO-97+M15": carc.CodingBundling,
	}
	seen := map[string]int{}
	for _, path := range corpusFiles(t) {
		for _, x := range decideFile(t, r, path) {
			d := x.d
			if d.WorkItem != route.DenialWork {
				continue
			}
			key := d.Decisive
			if len(d.RARC) > 0 {
				if c, ok := want[key+"+"+d.RARC[0]]; ok {
					key += "+" + d.RARC[0]
					_ = c
				}
			}
			c, ok := want[key]
			if !ok {
				continue
			}
			seen[key]++
			if d.Category != c {
				t.Errorf("%s %s line %d: %s → %s, want %s (%s)", filepath.Base(path), x.line.ClaimID, x.line.LineIndex, key, d.Category, c, d.Text)
			}
		}
	}
	// Present in the committed files; the shared corpus adds OA-18, CO-97+N20, CR-31, ...
	for _, k := range []string{"CO-29", "CO-251+N206", "CO-26", "CO-197+N54", "CO-119", "CO-97+M15"} {
		if seen[k] == 0 {
			t.Errorf("corpus has no %s denial any more", k)
		}
	}
	t.Logf("checked: %v", seen)
}

// The pain fixtures, line by line.
func TestPainFixtures(t *testing.T) {
	r := route.New(route.Config{})
	type key struct {
		claim string
		idx   int
	}
	got := map[key]route.Decision{}
	for _, name := range []string{"pain-full.835", "pain-reversal.835"} {
		for _, x := range decideFile(t, r, "../../x12/testdata/835/"+name) {
			got[key{x.line.ClaimID + "@" + name, x.line.LineIndex}] = x.d
		}
	}
	tests := []struct {
		k        key
		disp     route.Disposition
		category carc.Category
		rule     string
		atRisk   string
	}{
		{key{"PAIN26001@pain-full.835", 1}, route.Paid, "", "", "0.00"},
		{key{"PAIN26001@pain-full.835", 2}, route.Denied, carc.CodingBundling, "pain/imaging-bundled", "250.00"},
		{key{"PAIN26002@pain-full.835", 1}, route.Denied, carc.Authorization, "", "950.00"},
		{key{"PAIN26003@pain-full.835", 1}, route.Paid, "", "", "0.00"},
		{key{"PAIN26003@pain-full.835", 2}, route.Denied, carc.FrequencyLimit, "pain/session-cap", "900.00"},
		{key{"PAIN26004@pain-full.835", 1}, route.Paid, "", "", "0.00"},
		{key{"PAIN26005@pain-full.835", 1}, route.Paid, "", "", "0.00"},
		{key{"PAIN25090@pain-reversal.835", 1}, route.Denied, carc.CodingBundling, "pain/imaging-bundled", "250.00"},
	}
	for _, tc := range tests {
		d, ok := got[tc.k]
		if !ok {
			t.Errorf("%v: no decision", tc.k)
			continue
		}
		if tc.k.claim == "PAIN25090@pain-reversal.835" {
			// Both CLPs share CLP01: the map keeps the correcting claim
			// (the last one), whose 77003 line is line 2.
			d = got[key{tc.k.claim, 2}]
		}
		if d.Disposition != tc.disp || d.Category != tc.category || !strings.HasPrefix(d.Rule, tc.rule) || d.AmountAtRisk != money.MustParse(tc.atRisk) {
			t.Errorf("%v: %s/%s rule %q at risk %s, want %s/%s %q %s\n%s", tc.k, d.Disposition, d.Category, d.Rule, d.AmountAtRisk,
				tc.disp, tc.category, tc.rule, tc.atRisk, d.Text)
		}
	}
	// The reversal CLP itself is reversed, never a work item.
	reversals := 0
	for _, x := range decideFile(t, r, "../../x12/testdata/835/pain-reversal.835") {
		if x.line.ClaimStatus == "22" {
			reversals++
			if x.d.Disposition != route.Reversed || x.d.WorkItem != route.NoWork {
				t.Errorf("reversal line %d: %s %q", x.line.LineIndex, x.d.Disposition, x.d.WorkItem)
			}
		}
	}
	if reversals != 2 {
		t.Errorf("%d reversal lines, want 2", reversals)
	}
}
