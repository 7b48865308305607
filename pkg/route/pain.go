package route

import (
	"strconv"
	"strings"

	"github.com/remitq/remitq/carc"
)

// The built-in pain-management sharpening: facts about interventional pain
// codes that turn a generic code reading into the real root cause. They are
// defaults; a Sharpener (the pain rules package, with payer-specific rules
// and the patient's history) runs after them and can override any of them,
// and Config.NoBuiltinRules turns them off.
//
// Sources: CMS NCCI practitioner PTP edits of 2024-07-01 and add-on code
// edits of 2024-06-03 (/work/shared/codes/ncci_*.csv), seed 004 and
// DESIGN.md "Pain-management rules" (regional session caps, modifier rules).

func set(codes ...string) map[string]bool {
	m := make(map[string]bool, len(codes))
	for _, c := range codes {
		m[c] = true
	}
	return m
}

// imagingBundledInto maps an imaging-guidance code to the pain procedures it
// is column 2 to in the NCCI practitioner PTP edits (2024-07-01), other
// imaging codes left out.
var imagingBundledInto = map[string]map[string]bool{
	"77003": set("20604", "20606", "20611", "22510", "22511", "22512", "22513", "22514", "22515", "27096",
		"62320", "62321", "62322", "62323", "62324", "62325", "62326", "62327", "63650", "63655", "63661",
		"63662", "63663", "63664", "63685", "64451", "64461", "64462", "64463", "64479", "64480", "64483",
		"64484", "64490", "64491", "64492", "64493", "64494", "64495", "64530", "64625", "64633", "64634",
		"64635", "64636", "G0260"),
	"77012": set("20552", "20553", "20604", "20606", "20611", "22510", "22511", "22512", "22513", "22514",
		"22515", "27096", "62270", "62272", "62320", "62321", "62322", "62323", "62324", "62325", "62326",
		"62327", "64451", "64454", "64461", "64462", "64463", "64479", "64480", "64483", "64484", "64486",
		"64487", "64488", "64489", "64490", "64491", "64492", "64493", "64494", "64495", "64624", "64625",
		"64633", "64634", "64635", "64636", "G0260"),
	"76942": set("20604", "20606", "20610", "20611", "22510", "22511", "22512", "22513", "22514", "22515",
		"27096", "62320", "62321", "62322", "62323", "62324", "62325", "62326", "62327", "64454", "64461",
		"64462", "64463", "64479", "64480", "64483", "64484", "64486", "64487", "64488", "64489", "64490",
		"64491", "64492", "64493", "64494", "64495", "64624", "64625", "G0260"),
}

var imagingName = map[string]string{
	"77003": "fluoroscopic guidance", "77012": "CT guidance", "76942": "ultrasound guidance",
}

// addOns are the pain add-on codes (NCCI AOC type 1): billed per level and
// side, never with modifier 50 (seed 004, DESIGN.md).
var addOns = set("64480", "64484", "64491", "64492", "64494", "64495", "64634", "64636", "64462")

var triggerPoint = set("20552", "20553")

// family names a pain procedure for work-item text, and gives the regional
// session cap per rolling 12 months (0: none known) from DESIGN.md / seed 004.
type family struct {
	name   string
	cap    int
	unit   string // what the cap counts
	action string // what to do when the cap is hit ("" = sessions per region)
}

var families = map[string]family{}

func init() {
	add := func(f family, codes ...string) {
		for _, c := range codes {
			families[c] = f
		}
	}
	esi := "ESI sessions per spinal region per rolling 12 months"
	add(family{"cervical/thoracic epidural steroid injection", 4, esi, ""}, "62320", "62321", "64479", "64480")
	add(family{"lumbar/sacral epidural steroid injection", 4, esi, ""}, "62322", "62323", "64483", "64484")
	facet := "therapeutic facet sessions per spinal region per rolling 12 months"
	add(family{"cervical/thoracic facet injection", 4, facet, ""}, "64490", "64491", "64492")
	add(family{"lumbar/sacral facet injection", 4, facet, ""}, "64493", "64494", "64495")
	rfa := "RFA sessions per spinal region per rolling 12 months"
	add(family{"cervical/thoracic radiofrequency ablation", 2, rfa, ""}, "64633", "64634")
	add(family{"lumbar/sacral radiofrequency ablation", 2, rfa, ""}, "64635", "64636")
	add(family{"trigger point injection", 3, "trigger point sessions per rolling 12 months", ""}, "20552", "20553")
	add(family{"sacroiliac joint injection", 0, "", ""}, "27096", "G0260", "64451")
	add(family{"spinal cord stimulator", 0, "", ""}, "63650", "63655", "63685", "63688", "63661", "63662", "63663", "63664")
	udt := "Look for another test of the same kind on this date from any provider or lab; appeal only if there was none, otherwise write off and review the practice's standing drug-test orders"
	add(family{"presumptive drug test", 1, "presumptive test per date of service", udt}, "80305", "80306", "80307")
	add(family{"definitive drug test", 1, "definitive test per date of service", udt}, "G0480", "G0481", "G0482", "G0483", "G0659")
	add(family{"vertebral augmentation", 0, "", ""}, "22510", "22511", "22512", "22513", "22514", "22515")
}

var rfaCodes = set("64633", "64634", "64635", "64636")

func isEM(code string) bool {
	if len(code) != 5 || !strings.HasPrefix(code, "992") {
		return false
	}
	n, err := strconv.Atoi(code)
	return err == nil && (n >= 99202 && n <= 99205 || n >= 99211 && n <= 99215)
}

// isPainProcedure reports the injection/ablation/implant codes that make a
// same-day E/M or trigger point line need a modifier.
func isPainProcedure(code string) bool {
	f, ok := families[code]
	return ok && !strings.Contains(f.name, "drug test")
}

func siblingIn(sibs []string, m map[string]bool) string {
	for _, s := range sibs {
		if m[s] {
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

// builtin applies the pain facts to a denial decision. decisive is the CARC
// that decided it.
func builtin(l *Line, d *Decision, decisive string) (Sharpening, bool) {
	proc := l.Procedure
	// Imaging guidance next to a procedure whose code includes or bundles it.
	if into, ok := imagingBundledInto[proc]; ok && generic(d.Category, carc.Modifier) {
		if sib := siblingIn(l.Siblings, into); sib != "" {
			return Sharpening{
				Category:       carc.CodingBundling,
				Reason:         "NCCI bundles " + imagingName[proc] + " " + proc + " into " + sib + " billed the same day",
				Action:         "Write off: do not bill " + proc + " with " + sib + "; the imaging is paid inside the procedure",
				Recoverability: 5,
				Rule:           "pain/imaging-bundled",
			}, true
		}
	}
	// Modifier 50 where it never belongs.
	if hasModifier(l.Modifiers, "50") && generic(d.Category, carc.Modifier) {
		switch {
		case addOns[proc]:
			return Sharpening{
				Category: carc.Modifier,
				Reason:   "modifier 50 on add-on code " + proc,
				Action:   "Remove 50: bill the add-on once per level and side (RT and LT lines, 1 unit each) and send a corrected claim",
				Rule:     "pain/modifier-50-add-on",
			}, true
		case triggerPoint[proc]:
			return Sharpening{
				Category: carc.Modifier,
				Reason:   "modifier 50 on trigger point code " + proc,
				Action:   "Remove 50: " + proc + " is one unit per session whatever the number of sides; send a corrected claim",
				Rule:     "pain/modifier-50-trigger-point",
			}, true
		case hasModifier(l.Modifiers, "LT", "RT"):
			return Sharpening{
				Category: carc.Modifier,
				Reason:   "LT/RT and 50 on the same line",
				Action:   "Bill bilateral either as one line with 50 or as two lines with LT and RT (ASC), never both; send a corrected claim",
				Rule:     "pain/modifier-50-with-lt-rt",
			}, true
		}
	}
	// E/M on a procedure day.
	if isEM(proc) && generic(d.Category, carc.Modifier) {
		if sib := firstSibling(l.Siblings, isPainProcedure); sib != "" {
			if !hasModifier(l.Modifiers, "25") {
				return Sharpening{
					Category: carc.Modifier,
					Reason:   "E/M " + proc + " billed on the day of " + sib + " without modifier 25",
					Action:   "If the visit was significant and separately identifiable from " + sib + ", add 25 and send a corrected claim with the note; otherwise write off",
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
	if triggerPoint[proc] && generic(d.Category, carc.Modifier) && !hasModifier(l.Modifiers, "59", "XU", "XS") {
		if sib := firstSibling(l.Siblings, func(s string) bool { return isPainProcedure(s) && !triggerPoint[s] }); sib != "" {
			return Sharpening{
				Category: carc.Modifier,
				Reason:   "trigger point injection " + proc + " billed with " + sib + " the same day without 59/XU",
				Action:   "If the trigger points were a separate site, add 59 or XU (as the payer requires) and send a corrected claim; otherwise write off",
				Rule:     "pain/trigger-point-needs-59",
			}, true
		}
	}
	// Add-on code without its primary.
	if addOns[proc] && (decisive == "107" || decisive == "B15" || anyRemark(l, "N122")) {
		return Sharpening{
			Category: carc.CodingBundling,
			Reason:   "add-on " + proc + " paid only with its primary code on the same claim",
			Action:   "Bill the primary level with the add-on on one claim (or get the primary paid first) and resubmit",
			Rule:     "pain/add-on-without-primary",
		}, true
	}
	// RFA without the qualifying diagnostic blocks.
	if rfaCodes[proc] && (decisive == "B15" || anyRemark(l, "N674")) {
		return Sharpening{
			Category: carc.MedicalNecessity,
			Reason:   "RFA " + proc + " without two paid diagnostic medial branch blocks on file",
			Action:   "Make sure both diagnostic blocks (the second 14+ days after the first) were billed and paid; appeal with their dates and relief scores",
			Rule:     "pain/rfa-needs-two-blocks",
		}, true
	}
	// Regional session caps.
	if f, ok := families[proc]; ok && f.cap > 0 {
		capCode := decisive == "119" || decisive == "273" || decisive == "149" ||
			anyRemark(l, "N640", "M86", "N435", "M90")
		if capCode || (d.Category == carc.FrequencyLimit && decisive != "151") {
			action := f.action
			if action == "" {
				action = "Count the patient's sessions in the period across practices; appeal only if one was miscounted or was another region, otherwise bill the patient with a signed waiver"
			}
			return Sharpening{
				Category: carc.FrequencyLimit,
				Reason:   f.name + " limit reached; common policy allows " + strconv.Itoa(f.cap) + " " + f.unit,
				Action:   action,
				Rule:     "pain/session-cap",
			}, true
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
