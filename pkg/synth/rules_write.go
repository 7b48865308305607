package synth

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/remitq/remitq/x12"
)

// WriteClaims837 writes claims as one 837P interchange dated day with
// control number control.
func WriteClaims837(w io.Writer, claims []*x12.Claim, dy time.Time, control int) error {
	if len(claims) == 0 {
		return fmt.Errorf("synth: no claims to write")
	}
	xw := x12.NewWriter(w, x12.DefaultDelimiters)
	xw.LineBreak = true
	if err := xw.BeginInterchange(x12.Interchange{SenderID: "SYNTHBILLING", ReceiverID: "CLEARINGHOUSE", Date: dy, Control: control}); err != nil {
		return err
	}
	if err := xw.BeginGroup("HC", "SYNTHBILLING", "CLEARINGHOUSE", dy, control, x12.DefaultClaimImplementation); err != nil {
		return err
	}
	batch := &x12.ClaimBatch{Control: "0001", Purpose: "00", Reference: fmt.Sprintf("B%d", control),
		Date: x12.Date(dy.Format(time.DateOnly)), Time: "0900", ClaimType: "CH",
		Submitter: x12.Name{Type: "2", Last: "SYNTHETIC BILLING", IDQualifier: "46", ID: "SYNTHBILLING"},
		Receiver:  x12.Name{Type: "2", Last: "SYNTHETIC CLEARINGHOUSE", IDQualifier: "46", ID: "CLEARINGHOUSE"}}
	if err := x12.WriteClaims(xw, batch, claims); err != nil {
		return err
	}
	if err := xw.EndGroup(); err != nil {
		return err
	}
	if err := xw.EndInterchange(); err != nil {
		return err
	}
	return xw.Flush()
}

// WriteClaims writes the claims to check as an 837P.
func (t *RulesTruth) WriteClaims(w io.Writer) error {
	return WriteClaims837(w, t.Claims, t.Options.Start.AddDate(0, 0, 181), 900)
}

// WriteHistory writes the earlier claims as an 837P.
func (t *RulesTruth) WriteHistory(w io.Writer) error {
	return WriteClaims837(w, t.History, t.Options.Start.AddDate(0, 0, 180), 901)
}

// WriteAuthsCSV writes the authorizations loaded by practice (a practice
// key; "" for every practice) as the auths CSV pkg/rules reads: the
// patient by member_id, birth_date, last_name and first_name.
func (t *RulesTruth) WriteAuthsCSV(w io.Writer, practice string) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"practice", "auth_number", "member_id", "birth_date", "last_name", "first_name", "payer_id",
		"cpt_codes", "provider_npi", "valid_from", "valid_to"})
	for _, a := range t.Auths {
		if practice != "" && a.Practice != practice {
			continue
		}
		p := a.Patient
		_ = cw.Write([]string{a.Practice, a.Number, p.MemberID, p.BirthDate, p.LastName, p.FirstName, a.Payer,
			strings.Join(a.Codes, " "), a.NPI, string(a.From), string(a.To)})
	}
	cw.Flush()
	return cw.Error()
}

// WriteReliefCSV writes the relief records of practice ("" for every
// practice) as the relief CSV pkg/rules reads.
func (t *RulesTruth) WriteReliefCSV(w io.Writer, practice string) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"practice", "member_id", "birth_date", "last_name", "first_name", "date", "percent"})
	for _, r := range t.Relief {
		if practice != "" && r.Practice != practice {
			continue
		}
		p := r.Patient
		_ = cw.Write([]string{r.Practice, p.MemberID, p.BirthDate, p.LastName, p.FirstName, string(r.Date), strconv.Itoa(r.Percent)})
	}
	cw.Flush()
	return cw.Error()
}
