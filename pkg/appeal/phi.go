package appeal

import "fmt"

// Redacted is what a PHI value prints as.
const Redacted = "[REDACTED]"

// PHI is protected health information: a patient's name, date of birth or
// member id. Every fmt verb prints it as Redacted; Reveal gives the value to
// the code that writes the letter or a payer's form.
type PHI string

// Reveal returns the value itself, for the letter and the payer's form.
func (p PHI) Reveal() string { return string(p) }

// String returns Redacted.
func (p PHI) String() string { return Redacted }

// GoString returns Redacted.
func (p PHI) GoString() string { return Redacted }

// Format prints Redacted for every verb.
func (p PHI) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(Redacted)) }

// MarshalText returns Redacted, so a packet logged as JSON carries no PHI.
func (p PHI) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// Patient is the patient's identity as the payer needs it on the letter.
type Patient struct {
	Name     PHI
	DOB      PHI // date of birth, as the payer prints it
	MemberID PHI // member id (Medicare: the MBI)
}

// String returns Redacted: a patient never prints.
func (p Patient) String() string { return Redacted }

// GoString returns Redacted.
func (p Patient) GoString() string { return Redacted }
