// Package ackstore stores 999 implementation acknowledgments and 277CA
// claim acknowledgments (migration 0025) and turns their rejections into
// work items.
//
// Ingest takes a file's raw bytes and keeps them whatever happens, with the
// guarantees of the 835 ingest (pkg/remitstore): the same bytes twice
// (same sha256) change nothing; a file with errors is quarantined with its
// errors (segment, byte offset, reason) and no claim rows; a value
// PostgreSQL refuses quarantines the file too; only a failure of the
// servers is an error (*store.OutageError), and then nothing is stored.
//
// Each claim verdict of a file (a 277CA claim accepted or rejected, a claim
// a 999 rejects by CTX*CLM01) is linked to the billed claim with its CLM01
// (patient control number) in a practice the uploader sees; no submissions
// table exists yet, so the 837 ST control number (999 AK202) and the batch
// reference (277CA 2200B TRN02) are kept as sent but not linked to a batch.
// A rejected claim opens (or updates, or reopens) one work item of kind
// "rejection" per billed claim (dedupe key rejection:<billed claim id>),
// with the status category and codes in plain language (carc.StatusCategory,
// carc.StatusCode) and a recommended fix; a later 277CA accepting the claim
// (A1/A2) resolves it, and so does an 835 paying it (a trigger of 0025 on
// match_claims).
//
// A 999 set is rejected as x12.AckSet.Accepted reads IK501: R, M, W or X;
// E ("accepted, but errors were noted") goes on to the payer and opens no
// item. A 999 names the claims of a rejected set only by CTX*CLM01: a set
// rejected without one is kept as one unlinked verdict (the set's claims
// are found through a submissions table, which does not exist yet).
package ackstore

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/remitq/remitq/carc"
	"github.com/remitq/remitq/pkg/remitstore"
	"github.com/remitq/remitq/x12"
)

// File kinds.
const (
	Kind999   = "999"
	Kind277CA = "277CA"
)

// Problem is an error or warning of a file: its position and what is
// wrong, never an element value.
type Problem struct {
	Segment int    `json:"segment"`
	Offset  int64  `json:"offset"`
	ID      string `json:"id"`
	Message string `json:"message"`
}

// fromIngest converts the ingest's problems (remitstore.ByteProblems).
func fromIngest(ps []remitstore.Problem) []Problem {
	out := make([]Problem, len(ps))
	for i, p := range ps {
		out[i] = Problem(p)
	}
	return out
}

func problems(errs []*x12.Error) []Problem {
	out := make([]Problem, 0, len(errs))
	for _, e := range errs {
		out = append(out, Problem{Segment: e.Segment, Offset: e.Offset, ID: remitstore.SafeText(e.ID),
			Message: remitstore.SafeText(e.Message())})
	}
	return out
}

// Verdict is what a file says of one claim: accepted or rejected, and why.
type Verdict struct {
	x12.ClaimRejection
	Accepted bool `json:"accepted"`
}

// parsed is what one pass over a file learns.
type parsed struct {
	kind     string
	verdicts []Verdict
	errors   []Problem
	warnings []Problem
}

// parse reads a 999 or a 277CA.
func parse(raw []byte) *parsed {
	p := &parsed{}
	t, err := x12.TransactionType(raw)
	if err != nil {
		var xe *x12.Error
		if errors.As(err, &xe) {
			p.errors = problems([]*x12.Error{xe})
		} else {
			p.errors = []Problem{{Message: "the file is not an X12 interchange"}}
		}
		return p
	}
	switch t {
	case "999":
		p.kind = Kind999
		d := x12.NewAckReader(bytes.NewReader(raw))
		n := 0
		for {
			a, err := d.Next()
			if err != nil {
				break
			}
			n++
			for _, r := range a.Rejections() {
				p.verdicts = append(p.verdicts, Verdict{ClaimRejection: r})
			}
			p.warnings = append(p.warnings, notedErrors(a)...)
		}
		p.errors, p.warnings = problems(d.Errors()), append(problems(d.Warnings()), p.warnings...)
		if n == 0 && len(p.errors) == 0 {
			p.errors = append(p.errors, Problem{Message: "no 999 transaction set in the file"})
		}
	case "277":
		p.kind = Kind277CA
		d := x12.NewStatusReader(bytes.NewReader(raw))
		n := 0
		for {
			rec, err := d.Next()
			if err != nil {
				break
			}
			switch v := rec.(type) {
			case *x12.StatusReport:
				n++
			case *x12.StatusClaim:
				p.verdicts = append(p.verdicts, claimVerdict(v))
			}
		}
		p.errors, p.warnings = problems(d.Errors()), problems(d.Warnings())
		if n == 0 && len(p.errors) == 0 {
			p.errors = append(p.errors, Problem{Message: "no 277 transaction set in the file"})
		}
	default:
		p.errors = []Problem{{Message: "the file is a " + remitstore.SafeText(t) + ", not a 999 or a 277CA acknowledgment"}}
	}
	return p
}

// claimVerdict reads a 277CA claim: its rejection, or its acceptance with
// the first status composite.
func claimVerdict(c *x12.StatusClaim) Verdict {
	if r, ok := c.Rejection(); ok {
		return Verdict{ClaimRejection: r}
	}
	v := Verdict{Accepted: true, ClaimRejection: x12.ClaimRejection{Source: "277CA", Segment: c.Segment, Offset: c.Offset,
		PatientControlNumber: c.PatientControlNumber, PayerClaimNumber: c.PayerClaimNumber, ClearinghouseTrace: c.ClearinghouseTrace}}
	if c.Provider != nil && c.Provider.Parent != nil {
		v.BatchReference = c.Provider.Parent.Trace
	}
	for _, s := range c.Statuses {
		for _, sc := range s.Codes {
			if v.Category == "" {
				v.Category, v.Entity = sc.Category, sc.Entity
			}
			if sc.Code != "" {
				v.Statuses = append(v.Statuses, sc.Code)
			}
		}
	}
	return v
}

// notedErrors are the warnings of a 999's sets accepted with errors noted
// (IK5 E): the claims go on to the payer, so no item opens, but the biller
// sees where the 837 was faulted before the next one repeats it. They count
// the segment errors and the claims named, never which claims.
func notedErrors(a *x12.Ack) []Problem {
	var out []Problem
	for _, s := range a.Sets {
		if s.Status != "E" {
			continue
		}
		out = append(out, Problem{Segment: s.Segment, Offset: s.Offset, ID: "AK2",
			Message: fmt.Sprintf("837 set %s accepted, but errors were noted (IK5 E): %d segment error(s) naming %d claim(s); "+
				"the claims go on to the payer: correct the 837 before the next submission", remitstore.SafeText(s.Control),
				len(s.Segments), len(s.PatientControlNumbers()))})
	}
	return out
}

// Rejected reports whether the verdict is a rejection.
func (v *Verdict) Rejected() bool { return !v.Accepted }

// AcceptedCategory reports whether a 277CA category accepts the claim into
// adjudication (A1 received, A2 accepted).
func AcceptedCategory(c string) bool { return c == "A1" || c == "A2" }

// StatusText is the plain-language sentence of a verdict: the category
// and each status code with its published text (codes sources 507 and
// 508 for a 277CA; the 999's IK5/IK3/IK4 codes for a 999).
func StatusText(v *Verdict) string {
	var b bytes.Buffer
	if v.Source == Kind277CA {
		b.WriteString("277CA ")
		if d, ok := carc.StatusCategory(v.Category); ok {
			b.WriteString(v.Category + ": " + d)
		} else {
			b.WriteString("category " + v.Category)
		}
		for _, s := range v.Statuses {
			if d, ok := carc.StatusCode(s); ok {
				b.WriteString("; status " + s + ": " + d)
			} else {
				b.WriteString("; status " + s)
			}
		}
		if v.Entity != "" {
			b.WriteString("; entity " + v.Entity + entityName(v.Entity))
		}
		return b.String()
	}
	b.WriteString("999: the clearinghouse rejected the 837 transaction set")
	if v.SetControl != "" {
		b.WriteString(" " + v.SetControl)
	}
	b.WriteString(" (IK5 " + v.Category + ": " + ik5Text(v.Category) + ")")
	for _, s := range v.Statuses {
		if d, ok := ackCodes[s]; ok {
			b.WriteString("; " + s + ": " + d)
		} else {
			b.WriteString("; code " + s)
		}
	}
	return b.String()
}

func ik5Text(c string) string {
	switch c {
	case "R":
		return "rejected"
	case "M":
		return "rejected, message authentication code failed"
	case "W":
		return "rejected, assurance failed validity tests"
	case "X":
		return "rejected, content could not be analyzed"
	case "E":
		return "accepted, but errors were noted"
	}
	return "not accepted"
}

func entityName(e string) string {
	switch e {
	case "85":
		return " (billing provider)"
	case "82":
		return " (rendering provider)"
	case "IL":
		return " (subscriber)"
	case "QC":
		return " (patient)"
	case "PR":
		return " (payer)"
	case "41":
		return " (submitter)"
	case "40":
		return " (receiver)"
	case "77":
		return " (service location)"
	case "DN", "P3":
		return " (referring provider)"
	}
	return ""
}

// ackCodes are the 999 codes of IK304 (segment syntax), IK403 (element
// syntax) and IK502 (transaction set syntax) that remitq explains. The
// three lists share numbers; a code is shown with every meaning it has.
var ackCodes = map[string]string{
	"1":   "unrecognized segment / mandatory element missing / set not supported",
	"2":   "unexpected segment / conditional element required / trailer missing",
	"3":   "mandatory segment missing / too many elements / control numbers do not match",
	"4":   "loop occurs over maximum times / element too short / segment count wrong",
	"5":   "segment exceeds maximum use / element too long / one or more segments in error",
	"6":   "segment not in defined transaction set / invalid character in element",
	"7":   "segment not in proper sequence / invalid code value",
	"8":   "segment has data element errors / invalid date",
	"9":   "invalid time",
	"10":  "exclusion condition violated",
	"12":  "too many repetitions",
	"13":  "too many components",
	"I4":  "implementation \"not used\" segment present",
	"I5":  "implementation too few repetitions",
	"I6":  "implementation pattern match failure / code value not used in implementation",
	"I7":  "implementation loop occurs under minimum times",
	"I9":  "implementation dependent \"not used\" data element present / implementation dependent segment missing",
	"I10": "implementation \"not used\" data element present",
	"I12": "implementation pattern match failure",
	"I13": "implementation dependent \"not used\" element present",
}

// Fix is the recommended action for a verdict: by the family of its first
// status code that remitq knows (277CA code source 508), else by source.
func Fix(v *Verdict) string {
	if v.Source == Kind999 {
		return "Correct the 837 segment the 999 names (IK3 segment and position, IK4 element), then resubmit the whole transaction set: " +
			"a 999 rejection means no claim of the set reached the payer."
	}
	for _, s := range v.Statuses {
		if f, ok := fixOf(s); ok {
			return f
		}
	}
	switch v.Category {
	case "A3":
		return "The claim was returned as unprocessable: correct what the status codes name and resubmit it as a new claim (frequency 1)."
	case "A4":
		return "The payer could not find the claim's data it needs: check the status codes, complete the claim and resubmit."
	case "A6", "A7":
		return "Correct the data the status codes name and resubmit the claim as a new claim (frequency 1); a rejected claim was never adjudicated."
	case "A8":
		return "Correct the relational field the status codes name (its pairing with another field) and resubmit the claim."
	}
	return "Read the status codes, correct the claim and resubmit it."
}

const (
	fixSubscriber = "Verify the subscriber's member id, name and date of birth against the insurance card or an eligibility (270/271) check, correct loop 2010BA and resubmit."
	fixPatient    = "Verify the patient's name, date of birth and relationship to the subscriber (loop 2010CA / PAT), correct and resubmit."
	fixNPI        = "Check the provider NPI (and taxonomy) in loop 2010AA / 2310B against NPPES and the payer's enrollment, correct and resubmit."
	fixDiagnosis  = "Correct the ICD-10-CM diagnosis codes (HI): valid, billable to the highest specificity, and pointed to by each line; resubmit."
	fixDate       = "Correct the service dates (DTP*472): not in the future, within the payer's timely-filing window, and matching the lines; resubmit."
	fixDuplicate  = "The payer already has this claim: check its status (276/277) before resending; send a corrected claim (frequency 7) only if something changed."
	fixPayer      = "The payer id is unknown to the clearinghouse: check the payer id (2010BB NM109) on the payer list and resubmit to the right payer."
	fixProcedure  = "Correct the procedure code and modifiers of the line (SV101): valid on the date of service, with the modifiers the payer requires; resubmit."
	fixAmount     = "Make the claim's total charge equal the sum of its line charges (CLM02 = Σ SV102) and resubmit."
	fixTaxID      = "Check the billing provider's tax id (REF*EI) and address against the payer's enrollment, correct and resubmit."
	fixAuth       = "Add the prior authorization number (REF*G1) the payer issued for the service, then resubmit."
	fixEligible   = "The patient was not covered on the date of service: check eligibility, bill the right payer or the patient."
)

// fixRules pick a fix by words of a status code's published text (code
// source 508), in order; the first code of the verdict with a match wins
// (a generic code such as 21 "missing or invalid information" matches none).
var fixRules = []struct {
	words []string
	fix   string
}{
	{[]string{"duplicate"}, fixDuplicate},
	{[]string{"national provider identifier", "npi", "taxonomy"}, fixNPI},
	{[]string{"tax id"}, fixTaxID},
	{[]string{"diagnosis"}, fixDiagnosis},
	{[]string{"prior authorization", "referral"}, fixAuth},
	{[]string{"incorrect payer", "payer id", "payer name"}, fixPayer},
	{[]string{"subscriber", "member number", "insured"}, fixSubscriber},
	{[]string{"patient"}, fixPatient},
	{[]string{"procedure code", "modifier"}, fixProcedure},
	{[]string{"out of balance", "charge"}, fixAmount},
	{[]string{"date(s) of service", "date"}, fixDate},
	{[]string{"not eligible", "coverage"}, fixEligible},
}

// fixOf returns the fix for one claim status code, if a rule matches.
func fixOf(code string) (string, bool) {
	d, ok := carc.StatusCode(code)
	if !ok {
		return "", false
	}
	d = strings.ToLower(d)
	if u := strings.Index(d, "usage:"); u >= 0 {
		d = d[:u]
	}
	for _, r := range fixRules {
		for _, w := range r.words {
			if strings.Contains(d, w) {
				return r.fix, true
			}
		}
	}
	return "", false
}
