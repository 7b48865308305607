package appeal

import (
	"slices"

	"github.com/remitq/remitq/pkg/rules"
)

// modifierMeaning is what each NCCI-associated modifier says (NCCI Policy
// Manual ch. I; CMS MLN "Proper use of the KX and X{EPSU} modifiers").
var modifierMeaning = map[string]string{
	"59": "distinct procedural service",
	"XE": "separate encounter",
	"XS": "separate structure or organ",
	"XP": "separate practitioner",
	"XU": "unusual non-overlapping service",
	"25": "significant, separately identifiable evaluation and management service",
	"LT": "left side", "RT": "right side",
}

// ncci argues that the modifier used bypasses an NCCI pair with modifier
// indicator 1 because the services were distinct.
func (a *arguer) ncci() error {
	l, n := a.l, a.l.Evidence.NCCI
	switch {
	case n.Column1 == "" || n.Column2 == "":
		return fail(ErrMissingFact, l.Number, "the NCCI pair's column 1 and column 2 codes")
	case n.Indicator == "0":
		return fail(ErrUnsupported, l.Number, "NCCI pair "+n.Column1+"/"+n.Column2+" has modifier indicator 0: no modifier bypasses it")
	case n.Indicator != "1":
		return fail(ErrMissingFact, l.Number, "the NCCI pair's modifier indicator (0 or 1)")
	case modifierMeaning[n.Modifier] == "":
		return fail(ErrMissingFact, l.Number, "an NCCI-associated modifier on the line (59, XE, XS, XP, XU, 25)")
	case n.Distinct == "":
		return fail(ErrMissingFact, l.Number, "why the services were distinct, as the note documents it")
	}
	if !a.set.Bundles(n.Column1, n.Column2) {
		a.warnf("the shipped NCCI table (", a.set.PTPLabel(), ") has no active edit ", n.Column1, "/", n.Column2, ": check the current quarter")
	}
	a.say("The payer applied the NCCI procedure-to-procedure edit " + n.Column1 + " (column 1) / " + n.Column2 + " (column 2). " +
		"That edit has modifier indicator 1: it allows both codes on one date when the services are distinct and the claim carries an NCCI-associated modifier. " +
		n.Column2 + " was billed with modifier " + n.Modifier + " (" + modifierMeaning[n.Modifier] + ") because " + n.Distinct +
		". The attached procedure note documents the separate service, so the modifier is correct and the line should be paid.")
	a.cite("CMS NCCI procedure-to-procedure edits ("+a.set.PTPLabel()+")", "NCCI Policy Manual for Medicare Services, ch. I (modifiers 59 and X{EPSU})")
	return nil
}

// addOnPrimary argues that an add-on was billed with its primary.
func (a *arguer) addOnPrimary() error {
	l, ad := a.l, a.l.Evidence.AddOn
	if ad.Code == "" || ad.Primary == "" {
		return fail(ErrMissingFact, l.Number, "the add-on code and its primary")
	}
	if !a.set.IsAddOn(ad.Code) {
		return fail(ErrUnsupported, l.Number, ad.Code+" is not an add-on code in the NCCI add-on edits")
	}
	a.say("Add-on code " + ad.Code + " was billed with its primary procedure " + ad.Primary + " on the same date, by the same provider, as the NCCI add-on code edits require. " +
		"The add-on is payable with that primary; please reprocess it together with the primary line.")
	a.cite("CMS NCCI add-on code edits")
	return nil
}

// mppr argues that an add-on code is exempt from the multiple-procedure
// reduction.
func (a *arguer) mppr() error {
	l, ad := a.l, a.l.Evidence.AddOn
	if ad.Code == "" || ad.Primary == "" {
		return fail(ErrMissingFact, l.Number, "the add-on code and its primary")
	}
	if !a.set.IsAddOn(ad.Code) {
		return fail(ErrUnsupported, l.Number, ad.Code+" is not an add-on code in the NCCI add-on edits")
	}
	p := "Add-on code " + ad.Code + " was billed with its primary " + ad.Primary + ". Add-on codes are exempt from the multiple-procedure payment reduction " +
		"(Medicare Physician Fee Schedule multiple-procedure indicator 0): their value already reflects that they are done with the primary."
	if r := sumReason(l.Adjustment, "59"); r > 0 {
		p += " The reduction of " + r.String() + " taken as CARC 59 should be reversed and " + ad.Code + " paid at its full allowed amount."
	} else {
		p += " The line should be paid at its full allowed amount."
	}
	a.say(p)
	a.cite("Medicare Physician Fee Schedule, multiple-procedure indicator (add-on codes: 0)")
	return nil
}

// bilateral argues modifier 50 with 1 unit on a bilateral add-on, when the
// payer's profile takes that form.
func (a *arguer) bilateral() error {
	l, pr := a.l, &a.f.Profile
	p, _ := a.proc()
	addOn := a.set.IsAddOn(l.Procedure)
	if addOn && !pr.Modifier50OnAddons || pr.Bilateral != "" && pr.Bilateral != rules.Bilateral50 {
		return fail(ErrUnsupported, l.Number, "the payer profile does not take modifier 50 in this form: send a corrected claim instead")
	}
	if p.Bilateral < 0 {
		return fail(ErrUnsupported, l.Number, l.Procedure+" is never billed with modifier 50")
	}
	if slices.Contains(l.Modifiers, "LT") || slices.Contains(l.Modifiers, "RT") {
		return fail(ErrUnsupported, l.Number, "LT/RT and 50 together on one line")
	}
	what := l.Procedure
	if addOn {
		what = "Add-on code " + l.Procedure
	}
	a.say(what + " was performed on both sides and billed as one line with modifier 50 and 1 unit, the form the fee schedule's bilateral indicator 1 " +
		"prescribes for this code. The procedure note documents both sides; please pay the line at the bilateral rate.")
	a.cite("Medicare Physician Fee Schedule bilateral surgery indicator 1 (modifier 50, one unit)")
	if pr.Plan == rules.PlanCommercial || pr.Plan == rules.PlanMedicaid {
		a.warn = appendNew(a.warn, "some commercial and Medicaid payers want RT/LT lines or 2 units for a bilateral code: confirm this payer takes "+l.Procedure+"-50 x1")
	} else if _, ok := citable(pr.BilateralSource); !ok {
		a.warn = appendNew(a.warn, "the payer's bilateral form is not verified ("+pr.BilateralSource+"): confirm it takes "+l.Procedure+"-50 x1")
	}
	return nil
}
