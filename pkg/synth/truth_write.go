package synth

import (
	"fmt"
	"io"
	"time"

	"github.com/remitq/remitq/pkg/billed"
	"github.com/remitq/remitq/x12"
)

// BilledClaims converts the billed claims (the late ones when late is
// true, the others otherwise) for the matcher's candidates; the practice
// key is the billing NPI.
func (t *Truth) BilledClaims(late bool) []*billed.Claim {
	var out []*billed.Claim
	for i, c := range t.Claims {
		if t.Late[i] == late {
			bc := billed.FromX12(c, "")
			bc.BilledDate = x12.Date(t.Options.Start.AddDate(0, 0, 71).Format(time.DateOnly))
			out = append(out, bc)
		}
	}
	return out
}

// Write837 writes the billed claims (the late ones when late is true, the
// others otherwise) as one 837P file.
func (t *Truth) Write837(w io.Writer, late bool) error {
	var list []*x12.Claim
	for i, c := range t.Claims {
		if t.Late[i] == late {
			list = append(list, c)
		}
	}
	if len(list) == 0 {
		return fmt.Errorf("synth: no %s claims to write", map[bool]string{true: "late", false: "on-time"}[late])
	}
	dy := t.Options.Start.AddDate(0, 0, 71)
	control := 800
	if late {
		dy, control = dy.AddDate(0, 0, 30), 801
	}
	return WriteClaims837(w, list, dy, control)
}

// Write writes the 835 file.
func (f *RemitFile) Write(w io.Writer) error {
	xw := x12.NewWriter(w, x12.DefaultDelimiters)
	xw.LineBreak = true
	if err := xw.BeginInterchange(x12.Interchange{SenderID: f.Payer, ReceiverID: "REMITQ", Date: f.Date, Control: f.Control}); err != nil {
		return err
	}
	if err := xw.BeginGroup("HP", f.Payer, "REMITQ", f.Date, f.Control, "005010X221A1"); err != nil {
		return err
	}
	for _, rem := range f.Remittances {
		if err := x12.WriteRemittance(xw, rem, nil); err != nil {
			return err
		}
	}
	if err := xw.EndGroup(); err != nil {
		return err
	}
	if err := xw.EndInterchange(); err != nil {
		return err
	}
	return xw.Flush()
}

// WriteFees writes the fee schedule as a fee-schedule CSV.
func (t *Truth) WriteFees(w io.Writer) error { return billed.WriteFeeSchedule(w, t.Fees) }

// WriteClaimsCSV writes the billed claims (late or not) as a billed-claims CSV.
func (t *Truth) WriteClaimsCSV(w io.Writer, late bool) error {
	return billed.WriteCSV(w, t.BilledClaims(late))
}
