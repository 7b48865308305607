package rulesstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/rules"
	"github.com/remitq/remitq/x12"
)

// Checker is the pre-bill check of 837P claims against what the database
// holds: the patients' stored history at every practice, the
// authorizations and block relief on file, and the sharing policy.
type Checker struct {
	// DB is where the records are read (a pool or a transaction).
	DB sqlx.QueryerContext
	// Rules is the rule set; nil: rules.Default(). Its payer profiles are
	// those of the database (LoadProfiles: shipped, stored, the payer map).
	Rules *rules.Set
	// Keyer makes the claims' patient keys; it must use the secret the
	// stored keys were made with. nil: DefaultKeyer().
	Keyer *rules.Keyer
}

// ClaimProblem is a claim that could not be checked, by its CLM01 and CLM
// segment; the message never holds PHI.
type ClaimProblem struct {
	Claim   string `json:"clm01"`
	Segment int    `json:"segment,omitempty"`
	Code    string `json:"code"` // patient, date, unknown_practice
	Message string `json:"message"`
}

// ClaimProblems lists the claims of a file that could not be checked.
type ClaimProblems []ClaimProblem

// Error names the first claims.
func (ps ClaimProblems) Error() string {
	s := ""
	for i, p := range ps {
		if i == 3 {
			s += fmt.Sprintf("; and %d more", len(ps)-3)
			break
		}
		if i > 0 {
			s += "; "
		}
		s += "claim " + p.Claim + ": " + p.Message
	}
	return s
}

// CheckedClaim is a claim about to be checked, as Allow sees it.
type CheckedClaim struct {
	Claim      string   // CLM01
	PracticeID int64    // the practice of its billing provider
	Rendering  []string // rendering NPIs of its lines
}

// CheckResult is the outcome of a check.
type CheckResult struct {
	// Findings are every risk on every line, by claim in file order, then
	// by line and rule; none for clean claims.
	Findings []rules.Finding
	// Claims and Lines count what was checked.
	Claims, Lines int
	// Practices are the practices of the claims, in order of appearance.
	Practices []int64
	// HistoryLines counts the stored lines read for the claims' patients.
	HistoryLines int
}

// ErrNoKeyer reports a check without a patient-key secret.
var ErrNoKeyer = errors.New("rulesdb: patient keys are not configured (REMITQ_PATIENT_KEY)")

// CheckX12 checks the claims of an 837P file as one batch (each claim also
// sees the others as billed history). A replacement (CLM05-3 = 7) replaces
// the earlier claim of the batch with the same practice and CLM01, a void
// (8) removes it. Claims whose patient cannot be keyed, without a date of
// service, or whose billing provider is not a registered practice are
// reported in a ClaimProblems error and nothing is checked. allow, when
// set, is asked about every claim before any record is read; its error is
// returned as it is (a caller's scope).
//
// Practices are the billing provider's (by NPI, else by a TIN only one
// practice has); practices share history as the stored Policy says; the
// authorizations and relief records a claim's practice may read are its
// own and those of the practices whose history it may see.
func (c *Checker) CheckX12(ctx context.Context, f *x12.ClaimFile, allow func(CheckedClaim) error) (*CheckResult, error) {
	k, err := KeyerOrDefault(c.Keyer)
	if err != nil {
		return nil, err
	}
	if k == nil {
		return nil, ErrNoKeyer
	}
	set := c.Rules
	if set == nil {
		set = rules.Default()
	}
	// The payer profiles an administrator stored apply over the shipped ones.
	ps, err := LoadProfiles(ctx, c.DB)
	if err != nil {
		return nil, err
	}
	set = set.WithProfiles(ps)
	type item struct {
		claim    *rules.Claim
		patient  Patient
		billing  [2]string // NPI, TIN
		segment  int
		practice int64
		tin      string
	}
	var items []*item
	var probs ClaimProblems
	for _, b := range f.Batches {
		for _, xc := range b.Claims {
			rc, err := rules.FromX12(xc, k)
			if err != nil {
				p := ClaimProblem{Claim: xc.PatientControlNumber, Segment: xc.Segment, Code: "date",
					Message: "cannot be checked: a line has no date of service, or one that is not a date"}
				if errors.Is(err, rules.ErrPerson) {
					p.Code, p.Message = "patient", "cannot be checked: the patient needs a member ID, a birth date and a last name"
				}
				probs = append(probs, p)
				continue
			}
			it := &item{claim: rc, segment: xc.Segment}
			if bp := xc.BillingProvider; bp != nil {
				it.billing = [2]string{cmp.Or(bp.NPI, bp.ID), bp.TIN}
			}
			if s := xc.Subscriber; s != nil {
				it.patient = Patient{MemberID: s.MemberID, BirthDate: string(s.BirthDate)}
			}
			if xc.Patient != nil && xc.Patient.BirthDate != "" {
				it.patient.BirthDate = string(xc.Patient.BirthDate)
			}
			if len(rc.Lines) > 0 {
				it.patient.Key = rc.Lines[0].Patient
			}
			if xc.FrequencyCode == "7" || xc.FrequencyCode == "8" {
				items = slices.DeleteFunc(items, func(o *item) bool { return o.claim.ID == rc.ID && o.billing == it.billing })
				if xc.FrequencyCode == "8" {
					continue
				}
			}
			items = append(items, it)
		}
	}
	// The practices of the claims.
	var npis, tins []string
	for _, it := range items {
		npis = append(npis, it.billing[0])
		tins = append(tins, it.billing[1])
	}
	pm, err := loadPractices(ctx, c.DB, npis, tins)
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		it.practice, it.tin = pm.resolve(it.billing[0], it.billing[1])
		if it.practice == 0 {
			probs = append(probs, ClaimProblem{Claim: it.claim.ID, Segment: it.segment, Code: "unknown_practice",
				Message: "cannot be checked: the billing provider is not a registered practice"})
		}
	}
	if len(probs) > 0 {
		return nil, probs
	}
	res := &CheckResult{Claims: len(items)}
	for _, it := range items {
		cc := CheckedClaim{Claim: it.claim.ID, PracticeID: it.practice}
		for i := range it.claim.Lines {
			l := &it.claim.Lines[i]
			l.Practice, l.TIN = strconv.FormatInt(it.practice, 10), cmp.Or(it.tin, l.TIN)
			if !slices.Contains(cc.Rendering, l.Rendering) {
				cc.Rendering = append(cc.Rendering, l.Rendering)
			}
		}
		res.Lines += len(it.claim.Lines)
		if !slices.Contains(res.Practices, it.practice) {
			res.Practices = append(res.Practices, it.practice)
		}
		if allow != nil {
			if err := allow(cc); err != nil {
				return nil, err
			}
		}
	}
	if len(items) == 0 {
		return res, nil
	}

	// The records.
	policy, err := LoadPolicy(ctx, c.DB)
	if err != nil {
		return nil, err
	}
	sh := policy.Sharing()
	var pats []Patient
	var keys []rules.PatientKey
	var from, to day.Day
	for _, it := range items {
		pats = append(pats, it.patient)
		if !slices.Contains(keys, it.patient.Key) {
			keys = append(keys, it.patient.Key)
		}
		for _, l := range it.claim.Lines {
			if from == 0 || l.Date < from {
				from = l.Date
			}
			to = max(to, l.Date)
		}
	}
	hist, err := LoadHistory(ctx, c.DB, pats, HistoryOptions{From: from - HistoryDays, To: to})
	if err != nil {
		return nil, err
	}
	res.HistoryLines = hist.Len()
	auths, err := LoadAuths(ctx, c.DB, AuthFilter{Patients: keys})
	if err != nil {
		return nil, err
	}
	relief, err := LoadRelief(ctx, c.DB, keys)
	if err != nil {
		return nil, err
	}
	// Every claim of the batch is history to the others, whatever its
	// practice; its own stored copy is ignored by the rules (same practice
	// and CLM01).
	for _, it := range items {
		hist.Add(it.claim.Lines...)
	}
	// One batch per practice: each reads the records its practice may see.
	byClaim := map[*rules.Claim]int{}
	for i, it := range items {
		byClaim[it.claim] = i
	}
	type pos struct{ claim, n int }
	var all []rules.Finding
	var order []pos
	for _, pr := range res.Practices {
		var cs []*rules.Claim
		var tin string
		for _, it := range items {
			if it.practice == pr {
				cs = append(cs, it.claim)
				tin = it.tin
			}
		}
		ab, rb := Books(pr, tin, sh, auths, relief)
		fs := set.CheckClaims(cs, &rules.Records{History: hist, Auths: ab, Relief: rb, Sharing: sh})
		// CheckClaims answers claim by claim in the order given.
		ci := 0
		for n, f := range fs {
			for ci < len(cs) && cs[ci].ID != f.Claim {
				ci++
			}
			at := len(items)
			if ci < len(cs) {
				at = byClaim[cs[ci]]
			}
			all = append(all, f)
			order = append(order, pos{at, n})
		}
	}
	idx := make([]int, len(all))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		return cmp.Or(cmp.Compare(order[a].claim, order[b].claim), cmp.Compare(order[a].n, order[b].n))
	})
	res.Findings = make([]rules.Finding, len(all))
	for i, j := range idx {
		res.Findings[i] = all[j]
	}
	return res, nil
}

// practiceMap resolves billing providers to practices as pkg/billedstore does:
// by NPI, else by a tax ID only one practice has.
type practiceMap struct {
	byNPI map[string]practiceRow
	byTIN map[string][]int64
}

type practiceRow struct {
	id  int64
	tin string
}

func loadPractices(ctx context.Context, q sqlx.QueryerContext, npis, tins []string) (*practiceMap, error) {
	m := &practiceMap{byNPI: map[string]practiceRow{}, byTIN: map[string][]int64{}}
	rows, err := q.QueryxContext(ctx, `SELECT id, COALESCE(npi, ''), COALESCE(tin, '') FROM practices
		WHERE npi = ANY($1) OR tin = ANY($2)`, pq.Array(npis), pq.Array(tins))
	if err != nil {
		return nil, fmt.Errorf("rulesdb: practices: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var npi, tin string
		if err := rows.Scan(&id, &npi, &tin); err != nil {
			return nil, fmt.Errorf("rulesdb: practices: %w", err)
		}
		if npi != "" {
			m.byNPI[npi] = practiceRow{id, tin}
		}
		if tin != "" {
			m.byTIN[tin] = append(m.byTIN[tin], id)
		}
	}
	return m, rows.Err()
}

// resolve returns the practice id and TIN of a billing provider (0 when
// not registered).
func (m *practiceMap) resolve(npi, tin string) (int64, string) {
	if p, ok := m.byNPI[npi]; ok && npi != "" {
		return p.id, p.tin
	}
	if ids := m.byTIN[tin]; len(ids) == 1 && tin != "" {
		return ids[0], tin
	}
	return 0, ""
}
