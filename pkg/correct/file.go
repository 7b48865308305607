package correct

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/remitq/remitq/x12"
)

// Envelope is what a generated file's ISA/GS/ST need.
type Envelope struct {
	SenderQualifier, SenderID     string // ISA05/06 (default ZZ); GS02
	ReceiverQualifier, ReceiverID string // ISA07/08 (default ZZ); GS03
	// Control is the interchange control number (ISA13 and GS06), from
	// the sender's sequence: 1 to 999999999.
	Control int
	Date    time.Time
	Usage   string // ISA15: P (default) or T
	// Submitter and Receiver are the 1000A/1000B loops; zero: the first
	// claim's batch header's.
	Submitter x12.Name
	Receiver  x12.Name
	Contacts  []x12.Contact
}

// File writes claims as one 837P 005010X222A1 interchange: one ISA, one GS,
// one ST with every claim (BHT02 00 original, BHT06 CH). The claims'
// batch headers give the submitter and receiver when env names none.
func File(env Envelope, claims []*x12.Claim) ([]byte, error) {
	if len(claims) == 0 {
		return nil, errors.New("correct: a file with no claims")
	}
	if env.Control < 1 || env.Control > 999999999 {
		return nil, fmt.Errorf("correct: interchange control number out of range 1–999999999")
	}
	if env.SenderID == "" || env.ReceiverID == "" {
		return nil, errors.New("correct: the interchange needs a sender and a receiver id")
	}
	q := func(s string) string {
		if s == "" {
			return "ZZ"
		}
		return s
	}
	batch := &x12.ClaimBatch{Control: "0001", Implementation: x12.DefaultClaimImplementation, Purpose: "00",
		Reference: strconv.Itoa(env.Control), Date: x12.Date(env.Date.Format(time.DateOnly)), Time: env.Date.Format("1504"),
		ClaimType: "CH", Submitter: env.Submitter, SubmitterContacts: env.Contacts, Receiver: env.Receiver}
	if h := claims[0].Batch; h != nil {
		if batch.Submitter == (x12.Name{}) {
			batch.Submitter, batch.SubmitterContacts = h.Submitter, h.SubmitterContacts
		}
		if batch.Receiver == (x12.Name{}) {
			batch.Receiver = h.Receiver
		}
	}
	if batch.Submitter == (x12.Name{}) {
		batch.Submitter = x12.Name{Entity: "41", Type: "2", Last: "REMITQ", IDQualifier: "46", ID: env.SenderID}
	}
	if len(batch.SubmitterContacts) == 0 {
		batch.SubmitterContacts = []x12.Contact{{Function: "IC", Name: "BILLING"}}
	}
	if batch.Receiver == (x12.Name{}) {
		batch.Receiver = x12.Name{Entity: "40", Type: "2", Last: "PAYER", IDQualifier: "46", ID: env.ReceiverID}
	}
	var buf bytes.Buffer
	w := x12.NewWriter(&buf, x12.Delimiters{Element: '*', Component: ':', Repetition: '^', Segment: '~'})
	w.LineBreak = true
	if err := w.BeginInterchange(x12.Interchange{SenderQualifier: q(env.SenderQualifier), SenderID: env.SenderID,
		ReceiverQualifier: q(env.ReceiverQualifier), ReceiverID: env.ReceiverID, Date: env.Date, Control: env.Control,
		Usage: env.Usage}); err != nil {
		return nil, err
	}
	if err := w.BeginGroup("HC", env.SenderID, env.ReceiverID, env.Date, env.Control, x12.DefaultClaimImplementation); err != nil {
		return nil, err
	}
	if err := x12.WriteClaims(w, batch, claims); err != nil {
		return nil, err
	}
	if err := w.EndGroup(); err != nil {
		return nil, err
	}
	if err := w.EndInterchange(); err != nil {
		return nil, err
	}
	if err := w.Flush(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
