package x12

import (
	"errors"
	"io"

	"github.com/remitq/remitq/pkg/money"
)

// Summary is the one-line account of an 835 file that `remitq x12 summary`
// prints: counts, totals and whether every balancing check holds.
type Summary struct {
	File            string       `json:"file"`
	TransactionSets int          `json:"transaction_sets"` // ST…SE sets
	Claims          int          `json:"claims"`           // CLP segments
	ServiceLines    int          `json:"service_lines"`    // SVC segments
	TotalCharge     money.Amount `json:"total_charge"`     // Σ CLP03
	TotalPaid       money.Amount `json:"total_paid"`       // Σ CLP04
	PLBTotal        money.Amount `json:"plb_total"`        // Σ PLB amounts as written
	BPRAmount       money.Amount `json:"bpr_amount"`       // Σ BPR02
	Balanced        bool         `json:"balanced"`         // every claim, line and BPR check holds
	// Interchanges are the ISA interchanges read, in file order, each once;
	// an ingest layer compares their keys with those it has seen to find a
	// resent transmission.
	Interchanges []InterchangeID `json:"interchanges"`
	Errors       []SummaryError  `json:"errors"`
	Warnings     []SummaryError  `json:"warnings,omitempty"`
}

// InterchangeID identifies an interchange: who sent it and its control
// number. The same key twice is the same transmission sent twice.
type InterchangeID struct {
	SenderQualifier string `json:"sender_qualifier"` // ISA05
	SenderID        string `json:"sender_id"`        // ISA06, without padding
	Control         string `json:"control"`          // ISA13
	// Duplicates counts the later copies of the interchange in the same
	// file, which were skipped.
	Duplicates int `json:"duplicates,omitempty"`
}

// Key is "ISA05:ISA06:ISA13" (ISA13 as sent, e.g. "ZZ:PAYERSEND:000000007").
func (i InterchangeID) Key() string { return i.SenderQualifier + ":" + i.SenderID + ":" + i.Control }

// SummaryError is one problem in a Summary.
type SummaryError struct {
	Segment int    `json:"segment"`
	Offset  int64  `json:"offset"`
	ID      string `json:"id"`
	Message string `json:"message"`
}

// Summarize reads an 835 stream and sums it. Imbalances are listed in
// Errors too, so a person sees where a file fails to balance.
func Summarize(name string, r io.Reader) (*Summary, error) {
	d := NewRemitReader(r)
	s := &Summary{File: name, Balanced: true, Errors: []SummaryError{}, Interchanges: []InterchangeID{}}
	var imbalances []Imbalance
	for {
		rec, err := d.Next()
		if err != nil {
			if !errors.Is(err, io.EOF) && len(d.Errors()) == 0 {
				return nil, err
			}
			break
		}
		switch v := rec.(type) {
		case *ClaimPayment:
			imbalances = append(imbalances, v.Imbalances...)
		case *RemittanceEnd:
			rem := v.Remittance
			s.TransactionSets++
			s.Claims += rem.Totals.Claims
			s.ServiceLines += rem.Totals.ServiceLines
			s.TotalCharge += rem.Totals.Charge
			s.TotalPaid += rem.Totals.Paid
			s.PLBTotal += rem.Totals.PLB
			s.BPRAmount += rem.Payment.Amount
			if !rem.Totals.Balanced {
				s.Balanced = false
			}
			imbalances = append(imbalances, rem.Totals.Imbalances...)
		}
	}
	if s.TransactionSets == 0 {
		s.Balanced = false
	}
	for _, e := range d.Errors() {
		s.Errors = append(s.Errors, SummaryError{Segment: e.Segment, Offset: e.Offset, ID: e.ID, Message: e.Message()})
	}
	for _, e := range d.Warnings() {
		s.Warnings = append(s.Warnings, SummaryError{Segment: e.Segment, Offset: e.Offset, ID: e.ID, Message: e.Message()})
	}
	s.Interchanges = append(s.Interchanges, d.Interchanges()...)
	for _, im := range imbalances {
		msg := "does not balance: " + im.Detail
		if im.Expected != im.Actual {
			msg += " (" + im.Expected.String() + " written, " + im.Actual.String() + " found)"
		}
		s.Errors = append(s.Errors, SummaryError{Segment: im.Segment, Offset: im.Offset, ID: im.ID, Message: msg})
	}
	return s, nil
}
