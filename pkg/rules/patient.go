package rules

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"strings"
	"unicode"

	"github.com/remitq/remitq/pkg/day"
)

// PatientKey identifies a patient across practices without holding who the
// patient is: HMAC-SHA256, under a secret key, of the normalised payer
// member ID, date of birth and name (see Keyer). The plain values are never
// stored or logged; only keys are kept at rest.
type PatientKey [sha256.Size]byte

// String returns the key in hexadecimal.
func (k PatientKey) String() string { return hex.EncodeToString(k[:]) }

// IsZero reports whether the key is unset.
func (k PatientKey) IsZero() bool { return k == PatientKey{} }

// ParsePatientKey reads a key written by PatientKey.String.
func ParsePatientKey(s string) (PatientKey, error) {
	var k PatientKey
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(k) {
		return k, errors.New("expected a patient key of 64 hexadecimal digits")
	}
	copy(k[:], b)
	return k, nil
}

// Person is what identifies a patient across practices. It is PHI: build a
// key with Keyer.Key and drop it.
type Person struct {
	MemberID  string // payer member ID (837 2010BA NM109: the subscriber's, also for a dependent)
	BirthDate string // YYYY-MM-DD or CCYYMMDD
	LastName  string
	FirstName string
}

// Keyer makes patient keys under one secret. The same secret must be used
// wherever keys are compared (history, auths, relief records, claims); a
// per-run random secret is fine for an offline check that keeps nothing.
//
// The message hashed is, separated by 0x1F: the member ID in upper case
// with everything but letters and digits removed; the birth date as
// YYYY-MM-DD; the last name and the first name each in upper case, common
// Latin accents folded, letters and digits only (spaces, hyphens and
// apostrophes dropped). The payer is not part of the key: payer IDs differ
// between clearinghouses, and member ID + birth date + name is what the
// practices share. Middle names and suffixes are left out because practices
// record them inconsistently.
type Keyer struct {
	secret []byte
}

// MinSecret is the shortest secret NewKeyer accepts, in bytes.
const MinSecret = 16

// NewKeyer returns a Keyer under secret, which must hold at least MinSecret bytes.
func NewKeyer(secret []byte) (*Keyer, error) {
	if len(secret) < MinSecret {
		return nil, errors.New("rules: patient key secret shorter than 16 bytes")
	}
	return &Keyer{secret: append([]byte(nil), secret...)}, nil
}

// ErrPerson reports a person without the values a key needs.
var ErrPerson = errors.New("patient needs a member ID, a birth date and a last name for a key")

// Key returns the patient key of p. It fails when the member ID, the birth
// date or the last name is empty or the birth date is not a date; the error
// never holds the values.
func (k *Keyer) Key(p Person) (PatientKey, error) {
	var key PatientKey
	member, last := normID(p.MemberID), normName(p.LastName)
	dob, err := day.ParseSet(p.BirthDate)
	if member == "" || last == "" || p.BirthDate == "" || err != nil {
		return key, ErrPerson
	}
	var h hash.Hash = hmac.New(sha256.New, k.secret)
	h.Write([]byte(member))
	h.Write([]byte{0x1f})
	h.Write([]byte(dob.String()))
	h.Write([]byte{0x1f})
	h.Write([]byte(last))
	h.Write([]byte{0x1f})
	h.Write([]byte(normName(p.FirstName)))
	h.Sum(key[:0])
	return key, nil
}

// normID keeps the letters and digits of a member ID, in upper case.
func normID(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			b.WriteRune(unicode.ToUpper(r))
		}
	}
	return b.String()
}

// normName keeps the letters and digits of a name, in upper case, with
// common Latin accents folded ("José" = "JOSE", "O'Brien" = "OBRIEN").
func normName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if f, ok := accentFold[unicode.ToLower(r)]; ok {
			b.WriteString(f)
			continue
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToUpper(r))
		}
	}
	return b.String()
}

var accentFold = func() map[rune]string {
	m := map[rune]string{'ß': "SS", 'æ': "AE", 'œ': "OE", 'ø': "O", 'ł': "L", 'đ': "D"}
	for base, rs := range map[string]string{
		"A": "àáâãäåāăą", "C": "çćč", "E": "èéêëēėęě", "I": "ìíîïīį", "N": "ñńň",
		"O": "òóôõöōő", "U": "ùúûüūůűų", "Y": "ýÿ", "S": "śšş", "Z": "źżž", "R": "ř", "G": "ğ", "T": "ţť",
	} {
		for _, r := range rs {
			m[r] = base
		}
	}
	return m
}()
