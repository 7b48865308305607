// Package rules applies interventional pain-management payer rules to
// billed lines: before a claim is sent (Check, CheckClaims, CheckX12: every
// risk on every line) and after a denial (Explain: the root cause of a CARC
// on a line, for the router). It is pure: no I/O but io.Reader and the
// embedded data files.
//
// # Data
//
// Everything a rule decides on is data with its source (data/SOURCES.md):
// the CMS NCCI procedure-to-procedure edits with modifier indicators
// (ncci_ptp_*.csv), medically unlikely edits (ncci_mue.csv) and add-on code
// edits (ncci_aoc.csv); remitq's procedure table (procedures.csv: family,
// spinal region, add-on, bilateral, imaging, global period, prior auth, with a
// source per row); the LCD session caps (caps.csv) and parameters
// (params.csv), each with its source and verification tag from
// PAIN_RULES_NOTES.md; the rule list with categories (rules.csv) and the
// CARC-to-rule map (carc_rules.csv). Every file starts with "# label: ..."
// comment lines; the label is what findings print as their source ("NCCI
// PTP 2024-07"). Load(os.DirFS(dir)) takes a new quarter's files in place of
// the embedded ones without code changes; Default uses the embedded data.
// Set.WithPayers applies per-payer overrides (PayerConfig, JSON): a cap of
// 3 ESI sessions, bilateral as LT/RT lines instead of 50, rules turned off.
//
// # Payer profiles
//
// What depends on who pays is a Profile (profiles.json, with a source per
// value): Medicare Part B per MAC jurisdiction, Medicare Advantage,
// Medicaid, commercial. A line's payer ID (or, unmapped, its claim filing
// indicator SBR09) picks the profile (Profiles.Resolve, the version in
// effect on the date of service); its bilateral form, KX convention,
// prior-authorization lists (by code, state, place of service and date:
// WISeR, the hospital OPD list, a plan's list), cap overrides and
// definitive drug-test limit replace the defaults (Set.WithProfiles;
// Default has the shipped profiles). Every finding names the profile it
// applied (Finding.Profile; "default" without one). Package rulesdb stores
// administrators' versions and the payer map.
//
// # Patients and history
//
// A patient is a PatientKey: HMAC-SHA256 under a secret of the normalised
// member ID, birth date and name (Keyer). Plain values are never kept.
// History gives a patient's earlier lines at every practice; a Sharing
// policy says which practices' lines a practice may count (its own always;
// the same TIN, or groups an administrator declares). Denied lines never
// count. Package rulesdb keeps the keyed history, the policy, the
// authorizations and the relief records (ReadAuths, ReadRelief and their
// JSON twins) in PostgreSQL.
//
// # Windows and sessions
//
// A session is the lines of one capped family group (ESI, therapeutic
// facet, diagnostic facet, RFA, trigger point) billed by one practice on one
// date, per spinal region (cervical+thoracic, lumbar+sacral). The rolling
// 12 months of a date of service D are the days from D−365 to D: a session
// 365 days before D counts, one 366 days before does not (so the same date
// one year earlier counts, except across a 29 February, where it is day
// 366). Caps count the sessions in that window, the current one included.
//
// # Rules
//
// Each Finding has a snake_case rule key (frequency_cap, rfa_prerequisite,
// scs_without_trial, imaging_bundled, ncci_pair, mue, addon_without_primary,
// modifier_50_addon, modifier_50_not_bilateral, laterality_conflict,
// asc_bilateral, bilateral_style, facet_trigger_point, trigger_point_units,
// em_without_25, udt_duplicate, rfa_repeat_relief, scs_trial_outcome,
// prior_auth_missing, prior_auth_expired, prior_auth_mismatch,
// prior_auth_units), a severity (deny or warn), a DESIGN.md
// category, a message without PHI and the source of the rule. A specific
// finding replaces the generic NCCI finding it explains (77003 with 64483
// is reported as imaging_bundled, not also as an NCCI pair and an add-on
// without its primary). A risk that depends on facts remitq cannot see
// (the relief after an RFA, an SCS trial's outcome, WISeR prepayment
// review) is a warning that names the record that would clear it.
package rules
