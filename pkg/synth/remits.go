// Package synth generates synthetic, deterministic pain-management billing
// data: 835 remittances (and, as the matcher grows, the 837P claims they pay)
// for benchmarks, tests and the demo. Nothing in it is real patient data.
package synth

import (
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/x12"
)

// Procedure is a pain-management procedure with a typical charge.
type Procedure struct {
	Code      string
	Modifiers []string
	Charge    money.Amount
}

// PainProcedures are the procedures the generator bills, with typical charges.
var PainProcedures = []Procedure{
	{"64483", []string{"RT"}, 145000}, // transforaminal ESI, lumbar
	{"64484", []string{"RT"}, 65000},  // each additional level
	{"62323", nil, 120000},            // interlaminar ESI, lumbar, with imaging
	{"64493", []string{"50"}, 110000}, // facet MBB lumbar, bilateral
	{"64494", nil, 55000},             // second level (add-on, never 50)
	{"64635", []string{"LT"}, 240000}, // RFA lumbar
	{"64636", []string{"LT"}, 90000},  // RFA additional level
	{"20552", nil, 18000},             // trigger points 1-2 muscles
	{"77003", nil, 25000},             // fluoroscopic guidance
	{"99214", []string{"25"}, 21000},  // E/M with procedure
}

// RemitOptions shapes a generated 835.
type RemitOptions struct {
	Seed          uint64
	Claims        int // claims per transaction set
	LinesPerClaim int // service lines per claim (at least 1)
	Transactions  int // ST…SE sets (default 1)
	PayeeNPI      string
	PayeeTIN      string
	Delimiters    x12.Delimiters
	LineBreaks    bool
}

// WriteRemits writes a balanced 835 file (one interchange, one group) to w
// and returns the number of service lines written.
func WriteRemits(out io.Writer, o RemitOptions) (int, error) {
	if o.Transactions <= 0 {
		o.Transactions = 1
	}
	if o.LinesPerClaim <= 0 {
		o.LinesPerClaim = 1
	}
	if o.Delimiters == (x12.Delimiters{}) {
		o.Delimiters = x12.DefaultDelimiters
	}
	if o.PayeeNPI == "" {
		o.PayeeNPI = "1234567893"
	}
	if o.PayeeTIN == "" {
		o.PayeeTIN = "741234567"
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x835))
	w := x12.NewWriter(out, o.Delimiters)
	w.LineBreak = o.LineBreaks
	dy := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	// Each seed is another interchange and other payments, as a payer's
	// files are: its own ISA13 and trace numbers (a resend of the same
	// interchange is a duplicate transmission).
	control := int(o.Seed%999_999_999) + 1
	if err := w.BeginInterchange(x12.Interchange{SenderID: "PAYERSYNTH", ReceiverID: "REMITQ", Date: dy, Control: control}); err != nil {
		return 0, err
	}
	if err := w.BeginGroup("HP", "PAYERSYNTH", "REMITQ", dy, 1, "005010X221A1"); err != nil {
		return 0, err
	}
	lines := 0
	for t := 0; t < o.Transactions; t++ {
		rem := &x12.Remittance{
			Control:        fmt.Sprintf("%04d", t+1),
			Implementation: "005010X221A1",
			Payment:        x12.Payment{Handling: "I", CreditDebit: "C", Method: "ACH", Format: "CCP", Date: x12.Date(dy.Format(time.DateOnly))},
			Trace:          x12.Trace{Type: "1", Number: fmt.Sprintf("EFT%09d%03d", control, t+1), Originator: "1741234567"},
			ProductionDate: x12.Date(dy.Format(time.DateOnly)),
			Payer: x12.Party{Entity: "PR", Name: "SYNTHETIC HEALTH PLAN",
				Address: x12.Address{Lines: []string{"PO BOX 1"}, City: "DALLAS", State: "TX", PostalCode: "75201"},
				Refs:    []x12.Ref{{Qualifier: "2U", Value: "SYN01"}}},
			Payee: x12.Party{Entity: "PE", Name: "SYNTHETIC PAIN CENTER", IDQualifier: "XX", ID: o.PayeeNPI,
				Refs: []x12.Ref{{Qualifier: "TJ", Value: o.PayeeTIN}}},
		}
		header := &x12.HeaderNumber{Number: "1"}
		claims := make([]*x12.ClaimPayment, 0, o.Claims)
		var paidTotal money.Amount
		for c := 0; c < o.Claims; c++ {
			cl := &x12.ClaimPayment{Header: header, PatientControl: fmt.Sprintf("PCN%d-%07d", t+1, c+1),
				Status: "1", FilingIndicator: "12", PayerControl: strconv.FormatUint(rng.Uint64()%1e12, 10), FacilityType: "11", Frequency: "1",
				Names: []x12.Name{{Entity: "QC", Type: "1", Last: "DOE", First: "PAT", IDQualifier: "MI", ID: fmt.Sprintf("M%09d", rng.IntN(1e9))}},
			}
			for l := 0; l < o.LinesPerClaim; l++ {
				p := PainProcedures[rng.IntN(len(PainProcedures))]
				allowed := p.Charge * money.Amount(40+rng.IntN(30)) / 100
				var adj []x12.Adjustment
				paid := allowed
				if rng.IntN(10) == 0 { // denial
					paid = 0
					adj = append(adj, x12.Adjustment{Group: "CO", Reason: "197", Amount: p.Charge})
				} else {
					pr := allowed / 5
					paid = allowed - pr
					adj = append(adj, x12.Adjustment{Group: "CO", Reason: "45", Amount: p.Charge - allowed},
						x12.Adjustment{Group: "PR", Reason: "2", Amount: pr})
				}
				units := x12.Quantity(1000)
				sl := &x12.ServicePayment{Number: l + 1, Procedure: x12.Procedure{Qualifier: "HC", Code: p.Code, Modifiers: p.Modifiers},
					Charge: p.Charge, Paid: paid, Units: &units,
					DateFrom: x12.Date(dy.AddDate(0, 0, -rng.IntN(60)).Format(time.DateOnly)), Adjustments: adj,
					Refs:    []x12.Ref{{Qualifier: "6R", Value: fmt.Sprintf("L%d-%d-%d", t+1, c+1, l+1)}},
					Amounts: []x12.Amount{{Qualifier: "B6", Amount: allowed}}}
				sl.DateTo = sl.DateFrom
				if paid == 0 {
					sl.Remarks = []x12.Remark{{Qualifier: "HE", Code: "N54"}}
				}
				cl.Lines = append(cl.Lines, sl)
				cl.Charge += p.Charge
				cl.Paid += paid
				for _, a := range adj {
					if a.Group == "PR" {
						cl.PatientResp += a.Amount
					}
				}
				lines++
			}
			if cl.Paid == 0 {
				cl.Status = "4"
			}
			paidTotal += cl.Paid
			claims = append(claims, cl)
		}
		rem.Payment.Amount = paidTotal
		if err := x12.WriteRemittance(w, rem, claims); err != nil {
			return lines, err
		}
	}
	if err := w.EndGroup(); err != nil {
		return lines, err
	}
	if err := w.EndInterchange(); err != nil {
		return lines, err
	}
	return lines, w.Flush()
}
