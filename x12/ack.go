package x12

// The typed 999 implementation acknowledgment (005010X231A1): how a
// receiver judged the syntax of each transaction set of a functional group
// it received (an 837 batch). Field comments give the segment and element.

// Ack is one 999 transaction set: the acknowledgment of one functional group.
type Ack struct {
	// Segment and Offset locate the ST segment in the file.
	Segment int   `json:"segment"`
	Offset  int64 `json:"offset"`

	Control        string `json:"control"`                  // ST02
	Implementation string `json:"implementation,omitempty"` // ST03, else GS08
	ISAControl     string `json:"isa_control,omitempty"`    // ISA13 of the 999's interchange
	GSControl      string `json:"gs_control,omitempty"`     // GS06 of the 999's group
	SenderID       string `json:"sender_id,omitempty"`      // ISA06
	ReceiverID     string `json:"receiver_id,omitempty"`    // ISA08

	FunctionalID string `json:"functional_id"`           // AK101: HC for 837 claims
	GroupControl string `json:"group_control"`           // AK102: GS06 of the group acknowledged
	GroupVersion string `json:"group_version,omitempty"` // AK103: GS08 of the group acknowledged

	Sets []*AckSet `json:"sets,omitempty"` // AK2 loops, in order

	GroupStatus  string   `json:"group_status"`           // AK901: A accepted, E with errors, P partially, R rejected, M, W, X
	SetsIncluded int      `json:"sets_included"`          // AK902
	SetsReceived int      `json:"sets_received"`          // AK903
	SetsAccepted int      `json:"sets_accepted"`          // AK904
	GroupErrors  []string `json:"group_errors,omitempty"` // AK905–AK909 functional group syntax error codes

	// Errors are the problems found in this transaction set.
	Errors []*Error `json:"errors,omitempty"`
}

// AckSet is an AK2 loop: the verdict on one transaction set (one 837).
type AckSet struct {
	// Segment and Offset locate the AK2 segment in the file.
	Segment int   `json:"segment"`
	Offset  int64 `json:"offset"`

	SetID          string `json:"set_id"`                   // AK201: 837
	Control        string `json:"control"`                  // AK202: ST02 of the transaction set acknowledged
	Implementation string `json:"implementation,omitempty"` // AK203

	Segments []*AckSegmentError `json:"segments,omitempty"` // IK3 loops

	Status       string   `json:"status"`                  // IK501: A accepted, E accepted with errors, M, R rejected, W, X
	SyntaxErrors []string `json:"syntax_errors,omitempty"` // IK502–IK506 transaction set syntax error codes
}

// AckSegmentError is an IK3 loop: a segment in error, with its context and
// the elements in error.
type AckSegmentError struct {
	SegmentID string             `json:"segment_id"`         // IK301
	Position  int                `json:"position"`           // IK302: segment position in the set (ST is 1)
	Loop      string             `json:"loop,omitempty"`     // IK303: loop identifier ("2400")
	Code      string             `json:"code,omitempty"`     // IK304: 1 unrecognized, 2 unexpected, 3 missing, 8 has data element errors, I4–I9
	Context   []AckContext       `json:"context,omitempty"`  // CTX after IK3: the business unit (CTX*CLM01) or a situational trigger
	Elements  []*AckElementError `json:"elements,omitempty"` // IK4 loops
}

// AckElementError is an IK4 loop: an element in error.
type AckElementError struct {
	Position  int          `json:"position"`            // IK401-1: element position in the segment
	Component int          `json:"component,omitempty"` // IK401-2
	Repeat    int          `json:"repeat,omitempty"`    // IK401-3
	Reference string       `json:"reference,omitempty"` // IK402: data element reference number
	Code      string       `json:"code"`                // IK403: 1 mandatory missing, 6 invalid character, 7 invalid code, 8 invalid date, ...
	BadValue  string       `json:"bad_value,omitempty"` // IK404: a copy of the bad value (may be PHI; never shown in errors)
	Context   []AckContext `json:"context,omitempty"`   // CTX after IK4
}

// AckContext is a CTX segment.
type AckContext struct {
	Name             string `json:"name"`                        // CTX01-1: "CLM01" (business unit) or "SITUATIONAL TRIGGER"
	Reference        string `json:"reference,omitempty"`         // CTX01-2: the business unit's value (CLM01: patient control number)
	SegmentID        string `json:"segment_id,omitempty"`        // CTX02
	Position         int    `json:"position,omitempty"`          // CTX03
	Loop             string `json:"loop,omitempty"`              // CTX04
	Element          string `json:"element,omitempty"`           // CTX05 as sent (position:component:repeat)
	ElementReference string `json:"element_reference,omitempty"` // CTX06-1
}

// Accepted reports whether the transaction set was accepted (IK501 A or E).
func (s *AckSet) Accepted() bool { return s.Status == "A" || s.Status == "E" }

// PatientControlNumbers returns the claims (CLM01, from CTX*CLM01) the
// errors of the set name, each once, in order.
func (s *AckSet) PatientControlNumbers() []string {
	var out []string
	add := func(cs []AckContext) {
		for _, c := range cs {
			if c.Name == "CLM01" && c.Reference != "" && !containsString(out, c.Reference) {
				out = append(out, c.Reference)
			}
		}
	}
	for _, g := range s.Segments {
		add(g.Context)
		for _, e := range g.Elements {
			add(e.Context)
		}
	}
	return out
}

// Rejections returns a ClaimRejection for each transaction set the 999 did
// not accept: one per claim its CTX*CLM01 names, or one for the whole set
// (PatientControlNumber empty) when none is named.
func (a *Ack) Rejections() []ClaimRejection {
	var out []ClaimRejection
	for _, s := range a.Sets {
		if s.Accepted() {
			continue
		}
		codes := append([]string(nil), s.SyntaxErrors...)
		for _, g := range s.Segments {
			if g.Code != "" {
				codes = append(codes, g.Code)
			}
			for _, e := range g.Elements {
				codes = append(codes, e.Code)
			}
		}
		r := ClaimRejection{Source: "999", Segment: s.Segment, Offset: s.Offset, GroupControl: a.GroupControl,
			SetControl: s.Control, Category: s.Status, Statuses: codes}
		pcns := s.PatientControlNumbers()
		if len(pcns) == 0 {
			out = append(out, r)
		}
		for _, p := range pcns {
			r.PatientControlNumber = p
			out = append(out, r)
		}
	}
	return out
}

func containsString(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}
