package rules

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/remitq/remitq/pkg/day"
)

// Plan types of a payer profile.
const (
	PlanMedicare          = "medicare"           // Medicare Part B, fee for service (by MAC jurisdiction)
	PlanMedicareAdvantage = "medicare_advantage" // Medicare Part C plans
	PlanMedicaid          = "medicaid"           // a state Medicaid program
	PlanCommercial        = "commercial"         // commercial and employer plans
)

// Correction routes: how a payer takes a fix to a claim it processed.
const (
	CorrectionReopening = "reopening"       // Medicare: a reopening of the initial determination
	CorrectionClaim     = "corrected_claim" // a frequency-7 replacement claim (CLM05-3 = 7, REF*F8)
)

// BilateralUnits is a bilateral style: one line, no modifier, 2 units.
const BilateralUnits = "units"

// DefaultProfileID names the profile of a payer no profile is mapped to:
// remitq's built-in defaults (params.csv, caps.csv, procedures.csv).
const DefaultProfileID = "default"

// profileID is the form of a profile id (as 0016 checks it).
var profileID = regexp.MustCompile(`^[a-z0-9_.-]{1,64}$`)

//go:embed data/profiles.json
var embeddedProfiles []byte

// Window is a time limit counted from an event: service_date,
// initial_determination (the remittance) or prior_decision.
type Window struct {
	Days   int    `json:"days"`
	From   string `json:"from"`
	Source string `json:"source"`
}

// AppealLevel is one level of a payer's appeal process.
type AppealLevel struct {
	Name   string `json:"name"`
	Days   int    `json:"days"`
	From   string `json:"from"`
	Source string `json:"source"`
}

// PriorAuthRule says which lines need prior authorization under one
// program: codes (or the procedure table's prior_auth column), states
// (empty: any), places of service (empty: any) and dates of service.
type PriorAuthRule struct {
	Program             string   `json:"program"`
	Codes               []string `json:"codes,omitempty"`
	CodesFromProcedures bool     `json:"codes_from_procedures,omitempty"`
	States              []string `json:"states,omitempty"`
	Places              []string `json:"places,omitempty"`
	From                string   `json:"from,omitempty"`
	To                  string   `json:"to,omitempty"`
	// Severity of a missing authorization: deny (a condition of payment)
	// or warn (e.g. WISeR: prepayment review instead).
	Severity Severity `json:"severity"`
	Note     string   `json:"note,omitempty"`
	Source   string   `json:"source"`

	from, to day.Day
	codes    map[string]bool
}

// Contact is how to reach a payer's provider services and appeals.
type Contact struct {
	Phone         string `json:"phone,omitempty"`
	Portal        string `json:"portal,omitempty"`
	Fax           string `json:"fax,omitempty"`
	AppealAddress string `json:"appeal_address,omitempty"`
}

// Profile is what remitq knows of one payer and plan type: filing and
// appeal limits, the correction route, the bilateral form, the diagnostic
// block convention, prior-authorization lists, cap and drug-test limits and
// contact data, each with its source. Profiles are versioned by their
// effective date.
type Profile struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Plan      string `json:"plan"`
	State     string `json:"state,omitempty"` // a state profile (Medicaid); "" for all
	MAC       string `json:"mac,omitempty"`   // Medicare: the MAC jurisdiction, filled per line by state
	Effective string `json:"effective"`       // YYYY-MM-DD
	Version   int    `json:"version,omitempty"`

	TimelyFiling     Window        `json:"timely_filing"`
	Appeals          []AppealLevel `json:"appeals"`
	Reopening        *Window       `json:"reopening,omitempty"`
	Correction       string        `json:"correction"`
	CorrectionSource string        `json:"correction_source,omitempty"`

	Bilateral          string `json:"bilateral"`
	ASCBilateral       string `json:"asc_bilateral"`
	Modifier50OnAddons bool   `json:"modifier_50_on_addons"`
	BilateralSource    string `json:"bilateral_source,omitempty"`

	DiagnosticModifier string `json:"diagnostic_modifier"`
	DiagnosticSource   string `json:"diagnostic_source,omitempty"`

	PriorAuth []PriorAuthRule `json:"prior_auth"`

	// Caps replaces session caps by caps.csv key where the payer's policy
	// (an LCD of the MAC, a plan policy) differs; 0 turns a cap off.
	Caps       map[string]int `json:"caps,omitempty"`
	CapsSource string         `json:"caps_source,omitempty"`

	// UDTDefinitivePer12Months caps definitive drug-test dates per rolling
	// 12 months (0: not checked).
	UDTDefinitivePer12Months int    `json:"udt_definitive_per_12_months"`
	UDTSource                string `json:"udt_source,omitempty"`

	Contact Contact  `json:"contact"`
	Sources []string `json:"sources,omitempty"`

	effective day.Day
}

// Label names the profile version in findings: "medicare_part_b (JF) 2026-01-01".
func (p *Profile) Label() string {
	if p == nil {
		return DefaultProfileID
	}
	s := p.ID
	if p.MAC != "" {
		s += " (" + p.MAC + ")"
	}
	return s + " " + p.Effective
}

// FirstAppeal returns the first appeal level, if any.
func (p *Profile) FirstAppeal() (AppealLevel, bool) {
	if p == nil || len(p.Appeals) == 0 {
		return AppealLevel{}, false
	}
	return p.Appeals[0], true
}

// EffectiveDay returns the day the version takes effect.
func (p *Profile) EffectiveDay() day.Day { return p.effective }

// MAC is one Medicare administrative contractor jurisdiction.
type MAC struct {
	Jurisdiction string   `json:"jurisdiction"`
	Contractor   string   `json:"contractor"`
	States       []string `json:"states"`
	// PayerIDs are the MAC's Part B contract numbers used as payer IDs.
	PayerIDs []string `json:"payer_ids,omitempty"`
}

// ProfileFile is the shipped profiles file (data/profiles.json) or an
// administrator's export: profiles, the MAC of each state, the plan of
// each 837 claim filing indicator (SBR09) and the payer-to-profile map.
type ProfileFile struct {
	Label                  string            `json:"label"`
	Origin                 string            `json:"origin,omitempty"`
	Profiles               []Profile         `json:"profiles"`
	MACs                   []MAC             `json:"macs"`
	MACsSource             string            `json:"macs_source,omitempty"`
	FilingIndicators       map[string]string `json:"filing_indicators"`
	FilingIndicatorsSource string            `json:"filing_indicators_source,omitempty"`
	// Payers maps a payer ID (837 NM1*PR NM109, 835 N1*PR N104 / REF*2U) to a profile ID.
	Payers       map[string]string `json:"payers"`
	PayersSource string            `json:"payers_source,omitempty"`
}

// ParseProfileFile reads a ProfileFile as JSON; unknown fields are an error.
func ParseProfileFile(r io.Reader) (*ProfileFile, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var f ProfileFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("rules: profiles: %w", err)
	}
	return &f, nil
}

// ParseProfile reads one Profile as JSON and validates it.
func ParseProfile(b []byte) (Profile, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var p Profile
	if err := dec.Decode(&p); err != nil {
		return p, fmt.Errorf("rules: profile: %w", err)
	}
	return p, p.prepare()
}

// Validate checks a profile's values.
func (p *Profile) Validate() error {
	c := *p
	return c.prepare()
}

func (p *Profile) prepare() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("rules: profile %q: "+format, append([]any{p.ID}, args...)...)
	}
	if !profileID.MatchString(p.ID) || p.ID == DefaultProfileID {
		return bad("id is required: lower-case letters, digits, _ . and -, and not %q", DefaultProfileID)
	}
	if !slices.Contains([]string{PlanMedicare, PlanMedicareAdvantage, PlanMedicaid, PlanCommercial}, p.Plan) {
		return bad("plan %q (want medicare, medicare_advantage, medicaid or commercial)", p.Plan)
	}
	var err error
	if p.effective, err = day.ParseSet(p.Effective); err != nil {
		return bad("effective: %v", err)
	}
	if p.TimelyFiling.Days <= 0 {
		return bad("timely_filing.days must be above 0")
	}
	for _, a := range p.Appeals {
		if a.Days <= 0 || a.Name == "" {
			return bad("each appeal level needs a name and days above 0")
		}
	}
	if p.Correction != CorrectionReopening && p.Correction != CorrectionClaim {
		return bad("correction %q (want reopening or corrected_claim)", p.Correction)
	}
	for _, st := range []*string{&p.Bilateral, &p.ASCBilateral} {
		switch *st {
		case "":
			*st = Bilateral50
		case Bilateral50, BilateralLTRT, BilateralEither, BilateralUnits:
		default:
			return bad("bilateral style %q (want 50, lt_rt, units or either)", *st)
		}
	}
	for i := range p.PriorAuth {
		r := &p.PriorAuth[i]
		if r.Severity == "" {
			r.Severity = Deny
		}
		if r.Severity != Deny && r.Severity != Warn {
			return bad("prior_auth %s: severity %q", r.Program, r.Severity)
		}
		if r.Source == "" {
			return bad("prior_auth %s: a source is required", r.Program)
		}
		r.from, r.to = 0, 1<<30
		if r.From != "" {
			if r.from, err = day.ParseSet(r.From); err != nil {
				return bad("prior_auth %s from: %v", r.Program, err)
			}
		}
		if r.To != "" {
			if r.to, err = day.ParseSet(r.To); err != nil {
				return bad("prior_auth %s to: %v", r.Program, err)
			}
		}
		r.codes = make(map[string]bool, len(r.Codes))
		for _, c := range r.Codes {
			r.codes[strings.ToUpper(c)] = true
		}
	}
	for k, v := range p.Caps {
		if v < 0 {
			return bad("cap %q below 0", k)
		}
	}
	if p.UDTDefinitivePer12Months < 0 {
		return bad("udt_definitive_per_12_months below 0")
	}
	return nil
}

// applies reports whether the rule covers a line (its code by the rule's
// list or, for CodesFromProcedures, by inList).
func (r *PriorAuthRule) applies(l *Line, inList bool) bool {
	if r.CodesFromProcedures {
		if !inList {
			return false
		}
	} else if !r.codes[l.Procedure] {
		return false
	}
	if len(r.States) > 0 && !slices.Contains(r.States, l.State) {
		return false
	}
	if len(r.Places) > 0 && !slices.Contains(r.Places, l.POS) {
		return false
	}
	return l.Date >= r.from && l.Date <= r.to
}

// Profiles is a set of payer profiles with their versions, the MAC of each
// state and the map from payers and claim filing indicators to profiles.
// It is immutable and safe for concurrent use.
type Profiles struct {
	label    string
	versions map[string][]*Profile // by ID, oldest effective date first
	macs     map[string]MAC        // by state
	macPayer map[string]MAC        // by Part B contract number
	filing   map[string]string
	payers   map[string]string
	// perMAC holds, per profile version, its copies per MAC jurisdiction.
	perMAC map[*Profile]map[string]*Profile
}

var (
	defaultProfilesOnce sync.Once
	defaultProfiles     *Profiles
	defaultProfilesErr  error
)

// DefaultProfiles returns the shipped profiles (data/profiles.json). It
// panics if the embedded file is broken (a test keeps it from being).
func DefaultProfiles() *Profiles {
	defaultProfilesOnce.Do(func() {
		f, err := ParseProfileFile(bytes.NewReader(embeddedProfiles))
		if err == nil {
			defaultProfiles, err = NewProfiles(f, nil, nil)
		}
		defaultProfilesErr = err
	})
	if defaultProfilesErr != nil {
		panic(defaultProfilesErr)
	}
	return defaultProfiles
}

// ShippedProfileFile returns a copy of the shipped profiles file.
func ShippedProfileFile() *ProfileFile {
	f, err := ParseProfileFile(bytes.NewReader(embeddedProfiles))
	if err != nil {
		panic(err)
	}
	return f
}

// NewProfiles builds Profiles from a file and extra profile versions (an
// administrator's, from the database) and extra payer mappings; a version
// with the ID and effective date of another replaces it.
func NewProfiles(f *ProfileFile, extra []Profile, payers map[string]string) (*Profiles, error) {
	if f == nil {
		return nil, errors.New("rules: profiles: no file")
	}
	ps := &Profiles{label: f.Label, versions: map[string][]*Profile{}, macs: map[string]MAC{}, macPayer: map[string]MAC{},
		filing: map[string]string{}, payers: map[string]string{}, perMAC: map[*Profile]map[string]*Profile{}}
	all := append(slices.Clone(f.Profiles), extra...)
	for i := range all {
		p := all[i]
		if err := p.prepare(); err != nil {
			return nil, err
		}
		vs := ps.versions[p.ID]
		if j := slices.IndexFunc(vs, func(o *Profile) bool { return o.effective == p.effective }); j >= 0 {
			vs[j] = &p
		} else {
			vs = append(vs, &p)
		}
		slices.SortFunc(vs, func(a, b *Profile) int { return int(a.effective - b.effective) })
		ps.versions[p.ID] = vs
	}
	for _, m := range f.MACs {
		for _, st := range m.States {
			ps.macs[st] = m
		}
		for _, id := range m.PayerIDs {
			ps.macPayer[id] = m
		}
	}
	for k, v := range f.FilingIndicators {
		ps.filing[k] = v
	}
	for k, v := range f.Payers {
		ps.payers[k] = v
	}
	for k, v := range payers {
		ps.payers[k] = v
	}
	for code, id := range ps.filing {
		if ps.versions[id] == nil {
			return nil, fmt.Errorf("rules: profiles: filing indicator %s names unknown profile %q", code, id)
		}
	}
	for payer, id := range ps.payers {
		if ps.versions[id] == nil && id != DefaultProfileID {
			return nil, fmt.Errorf("rules: profiles: payer %s names unknown profile %q", payer, id)
		}
	}
	// Medicare profiles: one copy per MAC jurisdiction, named in findings.
	for _, vs := range ps.versions {
		for _, p := range vs {
			if p.Plan != PlanMedicare {
				continue
			}
			m := map[string]*Profile{}
			for _, mac := range f.MACs {
				c := *p
				c.MAC = mac.Jurisdiction + " " + mac.Contractor
				m[mac.Jurisdiction] = &c
			}
			ps.perMAC[p] = m
		}
	}
	return ps, nil
}

// Label is the profiles file's label.
func (ps *Profiles) Label() string { return ps.label }

// IDs returns the profile IDs, sorted.
func (ps *Profiles) IDs() []string {
	out := make([]string, 0, len(ps.versions))
	for id := range ps.versions {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// Versions returns the versions of a profile, oldest first.
func (ps *Profiles) Versions(id string) []Profile {
	var out []Profile
	for _, p := range ps.versions[id] {
		out = append(out, *p)
	}
	return out
}

// Get returns the version of profile id in effect on date d (the oldest
// version for a date before all of them).
func (ps *Profiles) Get(id string, d day.Day) *Profile {
	vs := ps.versions[id]
	if len(vs) == 0 {
		return nil
	}
	best := vs[0]
	for _, p := range vs[1:] {
		if p.effective <= d {
			best = p
		}
	}
	return best
}

// MACOf returns the Medicare administrative contractor of a state.
func (ps *Profiles) MACOf(state string) (MAC, bool) {
	m, ok := ps.macs[strings.ToUpper(state)]
	return m, ok
}

// ProfileID returns the profile a payer maps to: its payer mapping, else
// the plan of its claim filing indicator (837 SBR09), else "" (none).
func (ps *Profiles) ProfileID(payer, filing string) string {
	if id, ok := ps.payers[payer]; ok {
		return id
	}
	return ps.filing[filing]
}

// Payers returns the payer-to-profile map.
func (ps *Profiles) Payers() map[string]string {
	out := make(map[string]string, len(ps.payers))
	for k, v := range ps.payers {
		out[k] = v
	}
	return out
}

// Resolve returns the profile version for a payer, claim filing indicator,
// state and date of service; nil when none applies. A Medicare profile is
// the copy of the MAC of the payer ID (a MAC contract number), else of the
// state.
func (ps *Profiles) Resolve(payer, filing, state string, d day.Day) *Profile {
	if ps == nil {
		return nil
	}
	id := ps.ProfileID(payer, filing)
	if id == "" || id == DefaultProfileID {
		return nil
	}
	p := ps.Get(id, d)
	if p == nil {
		return nil
	}
	if m, ok := ps.perMAC[p]; ok {
		if mac, ok := ps.macPayer[payer]; ok {
			return m[mac.Jurisdiction]
		}
		if mac, ok := ps.macs[state]; ok {
			return m[mac.Jurisdiction]
		}
	}
	return p
}
