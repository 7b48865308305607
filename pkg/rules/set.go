package rules

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Spinal regions: cervical and thoracic count as one region, lumbar and
// sacral as another.
const (
	RegionCervicalThoracic = "cervical_thoracic"
	RegionLumbarSacral     = "lumbar_sacral"
)

// Procedure families used by the checks (procedures.csv has more).
// The facet family (64490-64495) splits by line into diagnostic (with the
// diagnostic modifier, KX by default: a medial branch or intra-articular
// block done to diagnose) and therapeutic (without it).
const (
	FamilyESIInterlaminar   = "esi_interlaminar"
	FamilyESITransforaminal = "esi_transforaminal"
	FamilyFacet             = "facet"
	FamilyFacetDiagnostic   = "facet_diagnostic"
	FamilyFacetTherapeutic  = "facet_therapeutic"
	FamilyRFA               = "rfa"
	FamilySCSTrial          = "scs_trial"
	FamilySCSPermanent      = "scs_permanent"
	FamilyPump              = "pump"
	FamilyTriggerPoint      = "trigger_point"
	FamilyUDTPresumptive    = "udt_presumptive"
	FamilyUDTDefinitive     = "udt_definitive"
	FamilyEM                = "em"
	FamilyImaging           = "imaging"
)

// Rule keys, as findings report them.
const (
	RuleFrequencyCap           = "frequency_cap"
	RuleRFAPrerequisite        = "rfa_prerequisite"
	RuleSCSWithoutTrial        = "scs_without_trial"
	RuleImagingBundled         = "imaging_bundled"
	RuleNCCIPair               = "ncci_pair"
	RuleMUE                    = "mue"
	RuleAddonWithoutPrimary    = "addon_without_primary"
	RuleModifier50Addon        = "modifier_50_addon"
	RuleModifier50NotBilateral = "modifier_50_not_bilateral"
	RuleLateralityConflict     = "laterality_conflict"
	RuleASCBilateral           = "asc_bilateral"
	RuleBilateralStyle         = "bilateral_style"
	RuleFacetTriggerPoint      = "facet_trigger_point"
	RuleTriggerPointUnits      = "trigger_point_units"
	RuleEMWithout25            = "em_without_25"
	RuleUDTDuplicate           = "udt_duplicate"
	RulePriorAuthMissing       = "prior_auth_missing"
	RulePriorAuthExpired       = "prior_auth_expired"
	RulePriorAuthMismatch      = "prior_auth_mismatch"
	RulePriorAuthUnits         = "prior_auth_units"
	RuleRFARepeatRelief        = "rfa_repeat_relief"
	RuleSCSTrialOutcome        = "scs_trial_outcome"
)

// Bilateral styles: how a payer wants a procedure done on both sides.
const (
	Bilateral50     = "50"     // one line with modifier 50
	BilateralLTRT   = "lt_rt"  // two lines, LT and RT
	BilateralEither = "either" // both forms accepted
)

// Set is a complete rule set: the data tables (see Load) and the payer
// overrides (see WithPayers). A Set is immutable and safe for concurrent use.
type Set struct {
	d      *data
	base   *conf
	payers map[string]*conf
	cfg    *PayerConfig

	profiles *Profiles
	profConf map[*Profile]*conf
}

// conf is the effective configuration for one payer.
type conf struct {
	payer     string
	profile   *Profile // nil: remitq's defaults
	label     string   // the profile's Label, printed in findings
	caps      []capRule
	rfaBlocks int
	rfaGap    int
	rfaRelief int
	rfaLook   int
	rfaRepeat int
	// repeat RFA: days and relief percent the last one must have held
	rfaRepeatMin, rfaRepeatPct int
	scsLook                    int
	scsTrialPct                int
	diagMod                    string
	distinct                   map[string]bool
	ncciMods                   map[string]bool
	emMods                     map[string]bool
	ascPlaces                  map[string]bool
	ascTax                     map[string]bool
	bilateral                  string
	ascBilat                   string
	addon50                    bool
	priorAuth                  bool
	authCodes                  map[string]bool // nil: procedures.csv prior_auth
	disabled                   map[string]bool
	severity                   map[string]Severity
	sources                    map[string]string // rule → source when a payer override decides
}

func newSet(d *data) *Set {
	s := &Set{d: d, payers: map[string]*conf{}}
	s.base = d.baseConf()
	return s
}

func (d *data) baseConf() *conf {
	p := func(k string) string { return d.params[k].value }
	n := func(k string) int { v, _ := strconv.Atoi(p(k)); return v }
	set := func(k string) map[string]bool {
		m := map[string]bool{}
		for _, f := range strings.Fields(p(k)) {
			m[f] = true
		}
		return m
	}
	a50, _ := yes(p("modifier_50_on_addons"))
	return &conf{
		caps:      slices.Clone(d.caps),
		rfaBlocks: n("rfa_prior_blocks"), rfaGap: n("rfa_block_gap_days"), rfaRelief: n("rfa_block_relief_percent"),
		rfaLook: n("rfa_block_lookback_days"), rfaRepeat: n("rfa_repeat_lookback_days"), scsLook: n("scs_trial_lookback_days"),
		rfaRepeatMin: n("rfa_repeat_relief_days"), rfaRepeatPct: n("rfa_repeat_relief_percent"), scsTrialPct: n("scs_trial_relief_percent"),
		diagMod:  p("facet_diagnostic_modifier"),
		distinct: set("distinct_modifiers"), ncciMods: set("ncci_modifiers"), emMods: set("em_modifiers"),
		ascPlaces: set("asc_places"), ascTax: set("asc_taxonomies"), bilateral: p("bilateral"), ascBilat: p("asc_bilateral"), addon50: a50,
		priorAuth: true, label: DefaultProfileID, disabled: map[string]bool{}, severity: map[string]Severity{}, sources: map[string]string{},
	}
}

// conf returns the configuration for a line's payer: the payer's
// overrides (WithPayers), else its profile (WithProfiles: by payer ID, else
// by the claim filing indicator, with the MAC of the line's state), else
// the overrides for all payers, else the defaults.
func (s *Set) conf(l *Line) *conf {
	if c, ok := s.payers[l.Payer]; ok {
		return c
	}
	if s.profiles != nil {
		if pr := s.profiles.Resolve(l.Payer, l.Filing, l.State, l.Date); pr != nil {
			if c := s.profConf[pr]; c != nil {
				return c
			}
		}
	}
	if c, ok := s.payers["*"]; ok {
		return c
	}
	return s.base
}

// Profile returns the profile the rules apply to a line (nil: remitq's
// defaults, DefaultProfileID).
func (s *Set) Profile(l *Line) *Profile { return s.conf(l).profile }

// Profiles returns the profiles of the set (nil: none).
func (s *Set) Profiles() *Profiles { return s.profiles }

// WithProfiles returns a copy of s that applies payer profiles: a line's
// payer (or its claim filing indicator) picks a profile, whose bilateral
// form, diagnostic-block modifier, prior-authorization lists, caps and
// drug-test limit replace the defaults. Payer overrides (WithPayers) still
// come first. ps nil removes the profiles.
func (s *Set) WithProfiles(ps *Profiles) *Set {
	out := &Set{d: s.d, base: s.base, payers: s.payers, cfg: s.cfg, profiles: ps}
	if ps == nil {
		return out
	}
	out.profConf = map[*Profile]*conf{}
	add := func(p *Profile) {
		if out.profConf[p] == nil {
			out.profConf[p] = s.profileConf(p)
		}
	}
	for _, vs := range ps.versions {
		for _, p := range vs {
			add(p)
			for _, c := range ps.perMAC[p] {
				add(c)
			}
		}
	}
	return out
}

// profileConf is the base configuration with a profile's settings.
func (s *Set) profileConf(p *Profile) *conf {
	cf := s.base.clone()
	cf.payer, cf.profile, cf.label = p.ID, p, p.Label()
	cf.bilateral, cf.ascBilat, cf.addon50 = p.Bilateral, p.ASCBilateral, p.Modifier50OnAddons
	if p.BilateralSource != "" {
		for _, r := range []string{RuleBilateralStyle, RuleASCBilateral, RuleModifier50Addon} {
			cf.sources[r] = "profile " + p.ID + ": " + p.BilateralSource
		}
	}
	cf.diagMod = p.DiagnosticModifier
	if p.DiagnosticSource != "" {
		cf.sources[RuleRFAPrerequisite] = "profile " + p.ID + ": " + p.DiagnosticSource
	}
	for key, v := range p.Caps {
		for i := range cf.caps {
			if cf.caps[i].Key == key {
				cf.caps[i].Cap = v
				cf.caps[i].Source = "profile " + p.ID + ": " + cmpOr(p.CapsSource, "payer policy") + " (default: " + cf.caps[i].Source + ")"
			}
		}
	}
	for i := range cf.caps {
		if cf.caps[i].Key == capUDTDefinitive {
			cf.caps[i].Cap = p.UDTDefinitivePer12Months
			cf.caps[i].Source = "profile " + p.ID + ": " + cmpOr(p.UDTSource, "payer policy")
		}
	}
	return cf
}

// capUDTDefinitive is the caps.csv key of the definitive drug-test limit,
// set by a profile's udt_definitive_per_12_months.
const capUDTDefinitive = "udt_definitive"

// Procedure returns what the rules know of a CPT/HCPCS code.
func (s *Set) Procedure(code string) (Proc, bool) {
	p, ok := s.d.procs[code]
	if !ok {
		return Proc{}, false
	}
	return *p, true
}

// Files describes the data files the set was built from.
func (s *Set) Files() []FileInfo { return slices.Clone(s.d.files) }

// PayerRules are one payer's departures from the default rules; a field
// left out keeps the default.
type PayerRules struct {
	// Caps sets a session cap by its caps.csv key (esi, facet_therapeutic,
	// facet_diagnostic, rfa, trigger_point); 0 turns the cap off.
	Caps map[string]int `json:"caps,omitempty"`
	// Bilateral and ASCBilateral: "50", "lt_rt" or "either", outside and in
	// an ambulatory surgical center.
	Bilateral    string `json:"bilateral,omitempty"`
	ASCBilateral string `json:"asc_bilateral,omitempty"`
	// Modifier50OnAddons allows modifier 50 on add-on codes.
	Modifier50OnAddons *bool `json:"modifier_50_on_addons,omitempty"`
	// PriorAuth false turns the prior-authorization checks off.
	PriorAuth *bool `json:"prior_auth,omitempty"`
	// PriorAuthCodes replaces the list of codes that need authorization.
	PriorAuthCodes []string `json:"prior_auth_codes,omitempty"`
	// FacetDiagnosticModifier marks diagnostic facet blocks (default KX);
	// "" means every facet injection may serve as a diagnostic block before
	// RFA (and counts against the therapeutic cap).
	FacetDiagnosticModifier *string `json:"facet_diagnostic_modifier,omitempty"`
	// RFABlockReliefPercent is the relief each diagnostic block needs.
	RFABlockReliefPercent *int `json:"rfa_block_relief_percent,omitempty"`
	// RFAPriorBlocks and RFABlockGapDays: how many blocks, how many days apart.
	RFAPriorBlocks  *int `json:"rfa_prior_blocks,omitempty"`
	RFABlockGapDays *int `json:"rfa_block_gap_days,omitempty"`
	// Disable lists rule keys not checked for this payer.
	Disable []string `json:"disable,omitempty"`
	// Severity changes the severity of rules by key.
	Severity map[string]Severity `json:"severity,omitempty"`
}

// PayerConfig holds per-payer rules by payer ID (the 837 2010BB NM109 /
// the line's Payer). The entry "*" applies to every payer first.
//
//	{"payers": {"*": {"disable": ["udt_duplicate"]},
//	            "00882": {"caps": {"esi": 3}, "bilateral": "lt_rt"}}}
type PayerConfig struct {
	Payers map[string]PayerRules `json:"payers"`
}

// ParsePayerConfig reads a PayerConfig as JSON; unknown fields are an error.
func ParsePayerConfig(r io.Reader) (*PayerConfig, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var c PayerConfig
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("rules: payer rules: %w", err)
	}
	return &c, nil
}

// WithPayers returns a copy of s with the payer overrides of c (replacing
// any earlier ones). Unknown cap or rule keys and bad values are an error.
func (s *Set) WithPayers(c *PayerConfig) (*Set, error) {
	out := &Set{d: s.d, base: s.base, payers: map[string]*conf{}, cfg: c, profiles: s.profiles, profConf: s.profConf}
	if c == nil {
		return out, nil
	}
	star, hasStar := c.Payers["*"]
	for _, id := range slices.Sorted(maps.Keys(c.Payers)) {
		cf := s.base.clone()
		cf.payer = id
		if hasStar && id != "*" {
			if err := s.apply(cf, "*", star); err != nil {
				return nil, err
			}
		}
		if err := s.apply(cf, id, c.Payers[id]); err != nil {
			return nil, err
		}
		out.payers[id] = cf
	}
	return out, nil
}

func (c *conf) clone() *conf {
	n := *c
	n.caps = slices.Clone(c.caps)
	n.disabled = maps.Clone(c.disabled)
	n.severity = maps.Clone(c.severity)
	n.sources = maps.Clone(c.sources)
	n.authCodes = maps.Clone(c.authCodes)
	return &n
}

func (s *Set) apply(cf *conf, id string, r PayerRules) error {
	src := "payer rules for " + id
	if id == "*" {
		src = "payer rules for all payers"
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("rules: payer %s: "+format, append([]any{id}, args...)...)
	}
	for key, v := range r.Caps {
		i := slices.IndexFunc(cf.caps, func(c capRule) bool { return c.Key == key })
		if i < 0 {
			return bad("unknown cap %q", key)
		}
		if v < 0 {
			return bad("cap %q below 0", key)
		}
		cf.caps[i].Cap = v
		cf.caps[i].Source = src + " (default: " + cf.caps[i].Source + ")"
	}
	for _, st := range []struct {
		v   string
		dst *string
	}{{r.Bilateral, &cf.bilateral}, {r.ASCBilateral, &cf.ascBilat}} {
		switch st.v {
		case "":
		case Bilateral50, BilateralLTRT, BilateralEither:
			*st.dst = st.v
			cf.sources[RuleBilateralStyle], cf.sources[RuleASCBilateral] = src, src
		default:
			return bad("bilateral style %q (want 50, lt_rt or either)", st.v)
		}
	}
	if r.Modifier50OnAddons != nil {
		cf.addon50 = *r.Modifier50OnAddons
	}
	if r.PriorAuth != nil {
		cf.priorAuth = *r.PriorAuth
	}
	if r.PriorAuthCodes != nil {
		cf.authCodes = map[string]bool{}
		for _, c := range r.PriorAuthCodes {
			cf.authCodes[c] = true
		}
		cf.sources[RulePriorAuthMissing] = src
	}
	if r.FacetDiagnosticModifier != nil {
		cf.diagMod = *r.FacetDiagnosticModifier
	}
	for _, p := range []struct {
		v   *int
		dst *int
	}{{r.RFABlockReliefPercent, &cf.rfaRelief}, {r.RFAPriorBlocks, &cf.rfaBlocks}, {r.RFABlockGapDays, &cf.rfaGap}} {
		if p.v != nil {
			if *p.v < 0 {
				return bad("negative RFA parameter")
			}
			*p.dst = *p.v
			cf.sources[RuleRFAPrerequisite] = src
		}
	}
	for _, k := range r.Disable {
		if _, ok := s.d.rules[k]; !ok {
			return bad("unknown rule %q", k)
		}
		cf.disabled[k] = true
	}
	for k, v := range r.Severity {
		if _, ok := s.d.rules[k]; !ok {
			return bad("unknown rule %q", k)
		}
		if v != Deny && v != Warn {
			return bad("severity %q (want deny or warn)", v)
		}
		cf.severity[k] = v
	}
	return nil
}
