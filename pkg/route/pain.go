package route

import (
	"strconv"
	"strings"

	"github.com/remitq/remitq/carc"
	"github.com/remitq/remitq/pkg/rules"
)

// The built-in pain-management sharpening: facts about interventional pain
// codes that turn a generic code reading into the real root cause. They are
// defaults; a Sharpener (the pain rules package, with payer-specific rules
// and the patient's history) runs after them and can override any of them,
// and Config.NoBuiltinRules turns them off.
//
// The facts are the pain rules' data (pkg/rules: the NCCI PTP and add-on
// files, procedures.csv, caps.csv, each with its source), so a new
// quarter's files reach the router as they reach the pre-bill check; the
// payer's bilateral form comes from its profile (PayerProfile.Bilateral).

func set(codes ...string) map[string]bool {
	m := make(map[string]bool, len(codes))
	for _, c := range codes {
		m[c] = true
	}
	return m
}

var imagingName = map[string]string{
	"77003": "fluoroscopic guidance", "77012": "CT guidance", "76942": "ultrasound guidance",
}

// familyWords names a procedure family for work-item text; the families
// listed are the interventional pain procedures (isPainProcedure).
var familyWords = map[string]string{
	rules.FamilyESIInterlaminar: "epidural steroid injection", rules.FamilyESITransforaminal: "epidural steroid injection",
	rules.FamilyFacet: "facet injection", rules.FamilyRFA: "radiofrequency ablation",
	rules.FamilyTriggerPoint: "trigger point injection", "si_joint": "sacroiliac joint injection",
	rules.FamilySCSTrial: "spinal cord stimulator", rules.FamilySCSPermanent: "spinal cord stimulator", "scs_revision": "spinal cord stimulator",
	"vertebral_augmentation": "vertebral augmentation",
}

var regionWords = map[string]string{rules.RegionCervicalThoracic: "cervical/thoracic ", rules.RegionLumbarSacral: "lumbar/sacral "}

const udtAction = "Look for another test of the same kind on this date from any provider or lab; appeal only if there was none, otherwise write off and review the practice's standing drug-test orders"

// pain is what the router knows of one code from the rules data.
type pain struct {
	family string
	region string
	known  bool // a pain procedure family (familyWords) or a drug test
	addOn  bool
}

// painOf reads a code in the rules data (no allocation: the words are
// built only when a text needs them).
func (r *Router) painOf(code string) pain {
	pr, ok := r.rules.Procedure(code)
	if !ok {
		return pain{}
	}
	_, named := familyWords[pr.Family]
	return pain{family: pr.Family, region: pr.Region, addOn: pr.AddOn && pr.Family != rules.FamilyImaging,
		known: named || pr.Family == rules.FamilyUDTPresumptive || pr.Family == rules.FamilyUDTDefinitive}
}

// capWords returns the words of a code's session cap for the reason text:
// the procedure's name, the cap, what it counts and what to do when it is
// hit ("" = count the sessions); ok false when no cap is known.
func (r *Router) capWords(code string, p pain) (name string, limit int, unit, action string, ok bool) {
	switch p.family {
	case rules.FamilyUDTPresumptive:
		return "presumptive drug test", 1, "presumptive test per date of service", udtAction, true
	case rules.FamilyUDTDefinitive:
		return "definitive drug test", 1, "definitive test per date of service", udtAction, true
	}
	w, named := familyWords[p.family]
	if !named {
		return "", 0, "", "", false
	}
	c, found := r.rules.CapOf(code)
	if !found {
		return "", 0, "", "", false
	}
	unit = c.Name + " sessions"
	if c.PerRegion {
		unit += " per spinal region"
	}
	if c.Window == 365 {
		unit += " per rolling 12 months"
	} else {
		unit += " per rolling " + strconv.Itoa(c.Window) + " days"
	}
	return regionWords[p.region] + w, c.Limit, unit, "", true
}

func isEM(code string) bool {
	if len(code) != 5 || !strings.HasPrefix(code, "992") {
		return false
	}
	n, err := strconv.Atoi(code)
	return err == nil && (n >= 99202 && n <= 99205 || n >= 99211 && n <= 99215)
}

// isPainProcedure reports the injection/ablation/implant codes that make a
// same-day E/M or trigger point line need a modifier.
func (r *Router) isPainProcedure(code string) bool {
	p := r.painOf(code)
	return p.known && p.family != rules.FamilyUDTPresumptive && p.family != rules.FamilyUDTDefinitive
}

// imagingBundled returns the sibling an imaging-guidance code is bundled
// into by the NCCI PTP edits (imaging as column 2), or "".
func (r *Router) imagingBundled(img string, sibs []string) string {
	if imagingName[img] == "" {
		return ""
	}
	for _, s := range sibs {
		if r.rules.Bundles(s, img) {
			return s
		}
	}
	return ""
}

func anyRemark(l *Line, codes ...string) bool {
	for _, r := range l.Remarks {
		for _, c := range codes {
			if r == c {
				return true
			}
		}
	}
	return false
}

// generic reports categories a pain fact may replace: the code said little.
func generic(c carc.Category, also ...carc.Category) bool {
	if c == carc.CodingBundling || c == carc.Other || c == carc.NonCovered || c == carc.MissingClaimData {
		return true
	}
	for _, a := range also {
		if c == a {
			return true
		}
	}
	return false
}

// bilateralForm says how the payer takes a bilateral code, from its profile
// (Medicare and the default: one line with 50, 1 unit).
func bilateralForm(p PayerProfile, code string) string {
	switch p.Bilateral {
	case rules.BilateralLTRT:
		return "two lines, " + code + "-RT and " + code + "-LT, 1 unit each"
	case rules.BilateralUnits:
		return "one line " + code + " with 2 units and no modifier"
	}
	return "one line " + code + "-50 with 1 unit"
}

// correction is how the payer takes a fixed claim, from its profile.
func correction(p PayerProfile) string {
	if p.Correction == rules.CorrectionReopening {
		return "request a reopening"
	}
	return "send a corrected claim"
}

// builtin applies the pain facts to a denial decision. decisive is the CARC
// that decided it.
func (r *Router) builtin(l *Line, d *Decision, decisive string, prof PayerProfile, specific bool) (Sharpening, bool) {
	proc := l.Procedure
	pp := r.painOf(proc)
	// Imaging guidance next to a procedure whose code includes or bundles it.
	if imagingName[proc] != "" && generic(d.Category, carc.Modifier) {
		if sib := r.imagingBundled(proc, l.Siblings); sib != "" {
			return Sharpening{
				Category:       carc.CodingBundling,
				Reason:         "NCCI bundles " + imagingName[proc] + " " + proc + " into " + sib + " billed the same day",
				Action:         "Write off: do not bill " + proc + " with " + sib + "; the imaging is paid inside the procedure",
				Recoverability: 5,
				Rule:           "pain/imaging-bundled",
			}, true
		}
	}
	// Modifier 50 where it never belongs, or in a form the payer does not take.
	if hasModifier(l.Modifiers, "50") && generic(d.Category, carc.Modifier) {
		switch {
		case pp.addOn && (prof.Bilateral == "" || prof.Bilateral == rules.Bilateral50):
			// 50 x1 is the Medicare form for a bilateral add-on (bilateral
			// indicator 1): the denial is the payer's error or its own form.
			return Sharpening{
				Category:   carc.Modifier,
				Reason:     "modifier 50 on add-on code " + proc + " rejected, although " + bilateralForm(prof, proc) + " is the form for a bilateral add-on (bilateral indicator 1)",
				Action:     "Appeal with the procedure note showing both sides (" + proc + "-50, 1 unit, is the Medicare form); if this payer wants RT and LT lines or 2 units, record that in its profile and " + correction(prof),
				Rule:       "pain/modifier-50-add-on",
				appealable: true,
			}, true
		case pp.addOn:
			return Sharpening{
				Category: carc.Modifier,
				Reason:   "modifier 50 on add-on code " + proc + ": this payer takes " + bilateralForm(prof, proc),
				Action:   "Rebill the add-on as " + bilateralForm(prof, proc) + " and " + correction(prof),
				Rule:     "pain/modifier-50-add-on",
			}, true
		case pp.family == rules.FamilyTriggerPoint:
			return Sharpening{
				Category: carc.Modifier,
				Reason:   "modifier 50 on trigger point code " + proc,
				Action:   "Remove 50: " + proc + " is one unit per session whatever the number of sides; " + correction(prof),
				Rule:     "pain/modifier-50-trigger-point",
			}, true
		case hasModifier(l.Modifiers, "LT", "RT"):
			return Sharpening{
				Category: carc.Modifier,
				Reason:   "LT/RT and 50 on the same line",
				Action:   "Bill bilateral in one form, never both: this payer takes " + bilateralForm(prof, proc) + "; " + correction(prof),
				Rule:     "pain/modifier-50-with-lt-rt",
			}, true
		}
	}
	// The second line of an RT/LT pair denied as a duplicate: the payer
	// wanted the bilateral form of its profile, not 59/XU/76.
	if decisive == "18" && hasModifier(l.Modifiers, "LT", "RT") && contains(l.Siblings, proc) && pp.known {
		return Sharpening{
			Category: carc.Modifier,
			Reason:   proc + " billed as RT and LT lines, the second denied as a duplicate: this payer takes " + bilateralForm(prof, proc),
			Action:   "Rebill both sides as " + bilateralForm(prof, proc) + " and " + correction(prof) + " (not 59, XU or 76)",
			Rule:     "pain/bilateral-pair-duplicate",
		}, true
	}
	// E/M on a procedure day.
	if isEM(proc) && generic(d.Category, carc.Modifier) {
		if sib := firstSibling(l.Siblings, r.isPainProcedure); sib != "" {
			cat := carc.Modifier
			if specific && d.Category == carc.CodingBundling {
				cat = carc.CodingBundling // a curated bundling pair (97 + N20) keeps its category; the action is the E/M's
			}
			if !hasModifier(l.Modifiers, "25") {
				return Sharpening{
					Category: cat,
					Reason:   "E/M " + proc + " billed on the day of " + sib + " without modifier 25",
					Action:   "If the visit was significant and separately identifiable from " + sib + ", add 25 and " + correction(prof) + " with the note; otherwise write off (59/XU do not apply to an E/M)",
					Rule:     "pain/em-without-25",
				}, true
			}
			return Sharpening{
				Category: carc.CodingBundling,
				Reason:   "E/M " + proc + "-25 bundled into " + sib + " by the payer",
				Action:   "Appeal with a note showing an E/M separate from the decision for " + sib + " (not the pre-procedure assessment); otherwise write off",
				Rule:     "pain/em-25-bundled",
			}, true
		}
	}
	// Trigger points with a spinal procedure the same day need 59/XU.
	if pp.family == rules.FamilyTriggerPoint && generic(d.Category, carc.Modifier) && !hasModifier(l.Modifiers, "59", "XU", "XS") {
		if sib := firstSibling(l.Siblings, func(s string) bool {
			return r.isPainProcedure(s) && r.painOf(s).family != rules.FamilyTriggerPoint
		}); sib != "" {
			return Sharpening{
				Category: carc.Modifier,
				Reason:   "trigger point injection " + proc + " billed with " + sib + " the same day without 59/XU",
				Action:   "If the trigger points were a separate site, add 59 or XU (as the payer requires) and " + correction(prof) + "; otherwise write off",
				Rule:     "pain/trigger-point-needs-59",
			}, true
		}
	}
	// Add-on code without its primary.
	if pp.addOn && (decisive == "107" || decisive == "B15" || anyRemark(l, "N122")) {
		return Sharpening{
			Category: carc.CodingBundling,
			Reason:   "add-on " + proc + " paid only with its primary code on the same claim",
			Action:   "Bill the primary level with the add-on on one claim (or get the primary paid first) and resubmit",
			Rule:     "pain/add-on-without-primary",
		}, true
	}
	// RFA without the qualifying diagnostic blocks.
	if pp.family == rules.FamilyRFA && (decisive == "B15" || anyRemark(l, "N674")) {
		return Sharpening{
			Category: carc.MedicalNecessity,
			Reason:   "RFA " + proc + " without two paid diagnostic medial branch blocks on file",
			Action:   "Make sure both diagnostic blocks (the second 14+ days after the first) were billed and paid; appeal with their dates and relief scores",
			Rule:     "pain/rfa-needs-two-blocks",
		}, true
	}
	// Session caps. CARC 151 is a units or levels denial (with N362, the
	// MUE) unless a remark says frequency: it is not a session cap.
	if pp.known {
		capCode := decisive == "119" || decisive == "273" || decisive == "149" ||
			anyRemark(l, "N640", "M86", "N435", "M90")
		if capCode || (d.Category == carc.FrequencyLimit && decisive != "151") {
			if name, limit, unit, action, ok := r.capWords(proc, pp); ok && limit > 0 {
				if action == "" {
					action = "Count the patient's sessions in the period across practices; appeal only if one was miscounted or was another region, otherwise bill the patient with a signed waiver"
				}
				return Sharpening{
					Category: carc.FrequencyLimit,
					Reason:   name + " limit reached; common policy allows " + strconv.Itoa(limit) + " " + unit,
					Action:   action,
					Rule:     "pain/session-cap",
				}, true
			}
		}
	}
	return Sharpening{}, false
}

func firstSibling(sibs []string, ok func(string) bool) string {
	for _, s := range sibs {
		if ok(s) {
			return s
		}
	}
	return ""
}

// levelCARCs are the codes a payer reduces a line with when it re-codes it to
// a lower level (CARC 150: information does not support this level).
var levelCARCs = set("150", "B22")

// downcoded: the payer adjudicated another code than the one billed (SVC06
// differs from SVC01, the matcher's procedure_changed) and reduced the line
// for the level of service. The root cause is the coding: the payer re-coded
// the service to a lower level.
func downcoded(l *Line, d *Decision, decisive string) (Sharpening, bool) {
	m := &l.Match
	if !m.Flags.Has(ProcedureChanged) || m.BilledProcedure == "" || m.BilledProcedure == l.Procedure ||
		!levelCARCs[strings.ToUpper(strings.TrimSpace(decisive))] {
		return Sharpening{}, false
	}
	return Sharpening{
		Category: carc.CodingBundling,
		Reason:   "payer re-coded the billed " + m.BilledProcedure + " as " + l.Procedure + " (level of service not supported)",
		Action:   "Compare the note with the billed level of " + m.BilledProcedure + "; appeal with the note if it supports it, otherwise accept " + l.Procedure + " and review the coding habit",
		Rule:     "match/downcoded",
	}, true
}
