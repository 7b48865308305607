package billed

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/remitq/remitq/pkg/money"
	"github.com/remitq/remitq/x12"
)

// The billed-claims CSV export: one row per billed service line, a header
// row first. Column names are matched without regard to case, spaces or
// dashes, in any order; unknown columns are ignored. Rows of one claim share
// practice and patient_control_number and need not be adjacent.
//
// Required columns:
//
//	practice                 remitq practice key (the billing NPI the 835 payee loop names)
//	patient_control_number   CLM01 as sent to the payer (aliases: pcn, clm01, claim_id)
//	service_date             date of service: YYYY-MM-DD, CCYYMMDD or MM/DD/YYYY (alias: dos)
//	procedure                CPT/HCPCS code (aliases: cpt, hcpcs, procedure_code)
//	charge                   line charge, e.g. 1450.00 ("$" and thousands commas allowed)
//
// Optional columns:
//
//	payer                    payer id (alias: payer_id)
//	member_id                subscriber member id (PHI)
//	patient_birth_date       patient date of birth (PHI) (alias: dob)
//	rendering_npi            rendering provider NPI
//	billing_npi, billing_tin billing provider NPI and tax id
//	modifiers                up to four modifiers separated by spaces, colons, semicolons, commas or bars
//	units                    service units, up to three decimals (default 1)
//	line_number              LX number of the line in its claim (default: order of the rows)
//	line_control_number      REF*6R sent on the 837 (aliases: lcn, ref_6r)
//	prior_auth               prior authorization number (aliases: prior_authorization, auth)
//	diagnosis_codes          ICD-10-CM codes, principal first, separated as modifiers (alias: diagnoses)
//	diagnosis_pointers       1-based pointers into diagnosis_codes (alias: dx_pointers)
//	place_of_service         two-digit place of service code (alias: pos)
//	service_date_to          last date of service, when a range
//	frequency_code           claim frequency: 1 original, 7 replacement, 8 void
//	payer_claim_control      payer claim control number of the claim replaced (REF*F8)
//	billed_date              date the claim was sent to the payer
//	note                     line note
//
// Claim-level columns (payer, member_id, patient_birth_date, rendering_npi,
// billing_npi, billing_tin, place_of_service, frequency_code,
// payer_claim_control, prior_auth, diagnosis_codes, billed_date) are taken
// from the first row of a claim; a later row of the claim that disagrees is
// an error.

// Column names of the billed-claims CSV.
const (
	ColPractice          = "practice"
	ColPatientControl    = "patient_control_number"
	ColServiceDate       = "service_date"
	ColProcedure         = "procedure"
	ColCharge            = "charge"
	ColPayer             = "payer"
	ColMemberID          = "member_id"
	ColBirthDate         = "patient_birth_date"
	ColRenderingNPI      = "rendering_npi"
	ColBillingNPI        = "billing_npi"
	ColBillingTIN        = "billing_tin"
	ColModifiers         = "modifiers"
	ColUnits             = "units"
	ColLineNumber        = "line_number"
	ColLineControl       = "line_control_number"
	ColPriorAuth         = "prior_auth"
	ColDiagnoses         = "diagnosis_codes"
	ColDiagnosisPointers = "diagnosis_pointers"
	ColPlaceOfService    = "place_of_service"
	ColServiceDateTo     = "service_date_to"
	ColFrequency         = "frequency_code"
	ColPayerClaimControl = "payer_claim_control"
	ColBilledDate        = "billed_date"
	ColNote              = "note"
)

// Columns lists every column of the billed-claims CSV in the order the
// writer of an export would naturally put them.
var Columns = []string{ColPractice, ColPatientControl, ColPayer, ColMemberID, ColBirthDate, ColRenderingNPI,
	ColBillingNPI, ColBillingTIN, ColServiceDate, ColServiceDateTo, ColProcedure, ColModifiers, ColUnits,
	ColCharge, ColLineNumber, ColLineControl, ColPriorAuth, ColDiagnoses, ColDiagnosisPointers,
	ColPlaceOfService, ColFrequency, ColPayerClaimControl, ColBilledDate, ColNote}

var requiredColumns = []string{ColPractice, ColPatientControl, ColServiceDate, ColProcedure, ColCharge}

var columnAliases = map[string]string{
	"pcn": ColPatientControl, "clm01": ColPatientControl, "claim_id": ColPatientControl,
	"patient_control": ColPatientControl, "dos": ColServiceDate, "date_of_service": ColServiceDate,
	"cpt": ColProcedure, "hcpcs": ColProcedure, "procedure_code": ColProcedure, "cpt_hcpcs": ColProcedure,
	"payer_id": ColPayer, "dob": ColBirthDate, "lcn": ColLineControl, "ref_6r": ColLineControl,
	"prior_authorization": ColPriorAuth, "auth": ColPriorAuth, "prior_auth_number": ColPriorAuth,
	"diagnoses": ColDiagnoses, "diagnosis": ColDiagnoses, "dx_pointers": ColDiagnosisPointers,
	"pos": ColPlaceOfService, "modifier": ColModifiers, "line_charge": ColCharge, "member": ColMemberID,
}

// ErrHeader reports a CSV whose header row is missing or lacks a required column.
var ErrHeader = errors.New("claims: bad CSV header")

// Sentinel errors wrapped by RowError.
var (
	ErrMissing   = errors.New("required value missing")
	ErrInvalid   = errors.New("invalid value")
	ErrDuplicate = errors.New("duplicate line")
	ErrConflict  = errors.New("claim-level value differs from an earlier row of the claim")
)

// RowError is a problem with one CSV row. It names the row and column and
// never holds the value, which may be PHI.
type RowError struct {
	Row    int    // 1-based line number of the row in the file (the header is line 1)
	Column string // canonical column name, "" for the whole row
	Err    error  // ErrMissing, ErrInvalid, ErrDuplicate, ErrConflict or a csv parse error
	Detail string // what was expected
}

func (e *RowError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "row %d", e.Row)
	if e.Column != "" {
		b.WriteString(", column " + e.Column)
	}
	b.WriteString(": " + e.Err.Error())
	if e.Detail != "" {
		b.WriteString(": " + e.Detail)
	}
	return b.String()
}

func (e *RowError) Unwrap() error { return e.Err }

// Row is one good row: the claim-level values (Claim without lines) and
// the line.
type Row struct {
	Number int // 1-based line number in the file
	Claim  Claim
	Line   Line
	// HasLineNumber says the line number came from the line_number column.
	HasLineNumber bool
	// set says which optional claim-level columns the row filled.
	set map[string]bool
}

// Reader reads a billed-claims CSV one row at a time.
type Reader struct {
	r   *csv.Reader
	col map[string]int
	row int
	err error
}

// NewReader returns a Reader for the CSV on r. The header row is read by
// the first call to Next.
func NewReader(r io.Reader) *Reader {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	return &Reader{r: cr}
}

// CanonicalColumn returns the canonical name of a header cell: lower case,
// spaces and dashes as underscores, aliases resolved.
func CanonicalColumn(h string) string {
	h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
	h = strings.NewReplacer(" ", "_", "-", "_", "/", "_", ".", "").Replace(h)
	if c, ok := columnAliases[h]; ok {
		return c
	}
	return h
}

func (r *Reader) header() error {
	rec, err := r.r.Read()
	if err == io.EOF {
		return fmt.Errorf("%w: empty file", ErrHeader)
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrHeader, err)
	}
	r.row = 1
	r.col = map[string]int{}
	for i, h := range rec {
		c := CanonicalColumn(h)
		if _, dup := r.col[c]; dup {
			return fmt.Errorf("%w: column %s appears twice", ErrHeader, c)
		}
		r.col[c] = i
	}
	var missing []string
	for _, c := range requiredColumns {
		if _, ok := r.col[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: missing column(s) %s", ErrHeader, strings.Join(missing, ", "))
	}
	return nil
}

// Next returns the next good row. A bad row yields a *RowError and the
// reader goes on with the next call; the end of the input yields io.EOF. A
// missing or incomplete header yields an error wrapping ErrHeader, and so
// does every later call.
func (r *Reader) Next() (*Row, error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.col == nil {
		if err := r.header(); err != nil {
			r.err = err
			return nil, err
		}
	}
	rec, err := r.r.Read()
	if err == io.EOF {
		return nil, io.EOF
	}
	line, _ := r.r.FieldPos(0)
	if line == 0 {
		line = r.row + 1
	}
	r.row = line
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, &RowError{Row: pe.StartLine, Err: ErrInvalid, Detail: "malformed CSV record: " + pe.Err.Error()}
		}
		r.err = err
		return nil, err
	}
	if blank(rec) {
		return r.Next()
	}
	return r.parse(line, rec)
}

func blank(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

func (r *Reader) get(rec []string, c string) (string, bool) {
	i, ok := r.col[c]
	if !ok || i >= len(rec) {
		return "", false
	}
	v := strings.TrimSpace(rec[i])
	return v, v != ""
}

func (r *Reader) parse(line int, rec []string) (*Row, error) {
	bad := func(col string, class error, detail string) (*Row, error) {
		return nil, &RowError{Row: line, Column: col, Err: class, Detail: detail}
	}
	row := &Row{Number: line, set: map[string]bool{}}
	c, l := &row.Claim, &row.Line
	c.Source = "csv"
	for _, col := range requiredColumns {
		if _, ok := r.get(rec, col); !ok {
			return bad(col, ErrMissing, "")
		}
	}
	c.Practice, _ = r.get(rec, ColPractice)
	c.PatientControl, _ = r.get(rec, ColPatientControl)
	l.Procedure, _ = r.get(rec, ColProcedure)
	l.Procedure = strings.ToUpper(l.Procedure)
	if !validCode(l.Procedure) {
		return bad(ColProcedure, ErrInvalid, "expected a CPT/HCPCS code of 5 letters or digits")
	}
	v, _ := r.get(rec, ColServiceDate)
	d, ok := parseDate(v)
	if !ok {
		return bad(ColServiceDate, ErrInvalid, "expected a date YYYY-MM-DD, CCYYMMDD or MM/DD/YYYY")
	}
	l.ServiceFrom, l.ServiceTo = d, d
	if v, ok := r.get(rec, ColServiceDateTo); ok {
		d, ok := parseDate(v)
		if !ok || d < l.ServiceFrom {
			return bad(ColServiceDateTo, ErrInvalid, "expected a date not before service_date")
		}
		l.ServiceTo = d
	}
	v, _ = r.get(rec, ColCharge)
	amt, err := money.Parse(strings.NewReplacer("$", "", ",", "").Replace(v))
	if err != nil || amt < 0 {
		return bad(ColCharge, ErrInvalid, "expected a non-negative amount like 1450.00")
	}
	l.Charge = amt
	l.Units = 1000
	if v, ok := r.get(rec, ColUnits); ok {
		var q x12.Quantity
		if err := q.UnmarshalText([]byte(v)); err != nil || q <= 0 {
			return bad(ColUnits, ErrInvalid, "expected a positive number of units with up to three decimals")
		}
		l.Units = q
	}
	if v, ok := r.get(rec, ColModifiers); ok {
		l.Modifiers = splitList(strings.ToUpper(v))
		if len(l.Modifiers) > 4 {
			return bad(ColModifiers, ErrInvalid, "expected at most four modifiers")
		}
		for _, m := range l.Modifiers {
			if len(m) != 2 || !alnum(m) {
				return bad(ColModifiers, ErrInvalid, "expected two-character modifiers")
			}
		}
	}
	if v, ok := r.get(rec, ColLineNumber); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return bad(ColLineNumber, ErrInvalid, "expected a line number from 1")
		}
		l.Number, row.HasLineNumber = n, true
	}
	l.LineControl, _ = r.get(rec, ColLineControl)
	l.Note, _ = r.get(rec, ColNote)
	if v, ok := r.get(rec, ColDiagnosisPointers); ok {
		for _, p := range splitList(v) {
			n, err := strconv.Atoi(p)
			if err != nil || n < 1 || n > 12 {
				return bad(ColDiagnosisPointers, ErrInvalid, "expected pointers from 1 to 12")
			}
			l.DiagnosisPointers = append(l.DiagnosisPointers, n)
		}
	}
	if v, ok := r.get(rec, ColPlaceOfService); ok {
		if len(v) != 2 || !digits(v) {
			return bad(ColPlaceOfService, ErrInvalid, "expected a two-digit place of service code")
		}
		c.PlaceOfService, l.PlaceOfService = v, v
		row.set[ColPlaceOfService] = true
	}
	if v, ok := r.get(rec, ColPriorAuth); ok {
		c.PriorAuth, l.PriorAuth = v, v
		row.set[ColPriorAuth] = true
	}
	strs := []struct {
		col string
		dst *string
	}{{ColPayer, &c.PayerID}, {ColMemberID, &c.MemberID}, {ColRenderingNPI, &c.RenderingNPI},
		{ColBillingNPI, &c.BillingNPI}, {ColBillingTIN, &c.BillingTIN}, {ColFrequency, &c.FrequencyCode},
		{ColPayerClaimControl, &c.PayerClaimControl}}
	for _, s := range strs {
		if v, ok := r.get(rec, s.col); ok {
			*s.dst = v
			row.set[s.col] = true
		}
	}
	for _, npi := range []string{ColRenderingNPI, ColBillingNPI} {
		if v, ok := r.get(rec, npi); ok && (len(v) != 10 || !digits(v)) {
			return bad(npi, ErrInvalid, "expected a 10-digit NPI")
		}
	}
	dates := []struct {
		col string
		dst *x12.Date
	}{{ColBirthDate, &c.PatientBirthDate}, {ColBilledDate, &c.BilledDate}}
	for _, s := range dates {
		if v, ok := r.get(rec, s.col); ok {
			d, ok := parseDate(v)
			if !ok {
				return bad(s.col, ErrInvalid, "expected a date YYYY-MM-DD, CCYYMMDD or MM/DD/YYYY")
			}
			*s.dst = d
			row.set[s.col] = true
		}
	}
	if v, ok := r.get(rec, ColDiagnoses); ok {
		for _, d := range splitList(strings.ToUpper(v)) {
			d = strings.ReplaceAll(d, ".", "")
			if len(d) < 3 || len(d) > 7 || !alnum(d) {
				return bad(ColDiagnoses, ErrInvalid, "expected ICD-10-CM codes of 3 to 7 characters")
			}
			c.Diagnoses = append(c.Diagnoses, d)
		}
		row.set[ColDiagnoses] = true
	}
	for _, p := range l.DiagnosisPointers {
		if len(c.Diagnoses) > 0 && p > len(c.Diagnoses) {
			return bad(ColDiagnosisPointers, ErrInvalid, "pointer beyond the diagnosis codes of the row")
		}
	}
	if c.RenderingNPI == "" {
		c.RenderingNPI = c.BillingNPI
	}
	return row, nil
}

// ReadAll reads a whole billed-claims CSV and groups its rows into claims,
// in the order each claim first appears. Lines without a line_number are
// numbered after the highest number the claim has so far. Bad rows are
// returned as row errors and left out; good rows load. The error is non-nil
// only when the header is bad or the input cannot be read.
func ReadAll(in io.Reader) ([]*Claim, []*RowError, error) {
	r := NewReader(in)
	var (
		out  []*Claim
		errs []*RowError
	)
	type key struct{ practice, pcn string }
	byKey := map[key]*Claim{}
	seen := map[key]map[string]bool{}
	lineNos := map[*Claim]map[int]bool{}
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		var re *RowError
		if errors.As(err, &re) {
			errs = append(errs, re)
			continue
		}
		if err != nil {
			return out, errs, err
		}
		k := key{row.Claim.Practice, row.Claim.PatientControl}
		c := byKey[k]
		if c == nil {
			cl := row.Claim
			c = &cl
			byKey[k], seen[k], lineNos[c] = c, row.set, map[int]bool{}
			out = append(out, c)
		} else if col := conflict(c, &row.Claim, seen[k], row.set); col != "" {
			errs = append(errs, &RowError{Row: row.Number, Column: col, Err: ErrConflict})
			continue
		}
		l := row.Line
		if !row.HasLineNumber {
			l.Number = 1
			for n := range lineNos[c] {
				if n >= l.Number {
					l.Number = n + 1
				}
			}
		}
		if lineNos[c][l.Number] {
			errs = append(errs, &RowError{Row: row.Number, Column: ColLineNumber, Err: ErrDuplicate,
				Detail: "the claim already has a line with this number"})
			continue
		}
		lineNos[c][l.Number] = true
		if l.PlaceOfService == "" {
			l.PlaceOfService = c.PlaceOfService
		}
		c.Lines = append(c.Lines, l)
		c.TotalCharge += l.Charge
	}
	for _, c := range out {
		sortLines(c.Lines)
	}
	return out, errs, nil
}

// conflict returns the first claim-level column that a later row sets to a
// value other than the claim's, filling the claim's unset ones.
func conflict(c, r *Claim, have, set map[string]bool) string {
	fields := []struct {
		col  string
		a, b *string
	}{{ColPayer, &c.PayerID, &r.PayerID}, {ColMemberID, &c.MemberID, &r.MemberID},
		{ColRenderingNPI, &c.RenderingNPI, &r.RenderingNPI}, {ColBillingNPI, &c.BillingNPI, &r.BillingNPI},
		{ColBillingTIN, &c.BillingTIN, &r.BillingTIN}, {ColFrequency, &c.FrequencyCode, &r.FrequencyCode},
		{ColPayerClaimControl, &c.PayerClaimControl, &r.PayerClaimControl},
		{ColPlaceOfService, &c.PlaceOfService, &r.PlaceOfService},
		{ColBirthDate, (*string)(&c.PatientBirthDate), (*string)(&r.PatientBirthDate)},
		{ColBilledDate, (*string)(&c.BilledDate), (*string)(&r.BilledDate)}}
	for _, f := range fields {
		if set[f.col] && have[f.col] && *f.a != *f.b {
			return f.col
		}
	}
	if set[ColDiagnoses] && have[ColDiagnoses] && strings.Join(c.Diagnoses, " ") != strings.Join(r.Diagnoses, " ") {
		return ColDiagnoses
	}
	for _, f := range fields {
		if set[f.col] && !have[f.col] {
			*f.a, have[f.col] = *f.b, true
		}
	}
	if set[ColDiagnoses] && !have[ColDiagnoses] {
		c.Diagnoses, have[ColDiagnoses] = r.Diagnoses, true
	}
	if set[ColPriorAuth] && !have[ColPriorAuth] {
		c.PriorAuth, have[ColPriorAuth] = r.PriorAuth, true
	}
	return ""
}

func sortLines(ls []Line) {
	for i := 1; i < len(ls); i++ {
		for j := i; j > 0 && ls[j].Number < ls[j-1].Number; j-- {
			ls[j], ls[j-1] = ls[j-1], ls[j]
		}
	}
}

// splitList splits a list separated by spaces, colons, semicolons, commas or bars.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == ' ' || r == ':' || r == ';' || r == ',' || r == '|' || r == '\t'
	})
}

func parseDate(s string) (x12.Date, bool) {
	for _, layout := range []string{time.DateOnly, "20060102", "01/02/2006", "1/2/2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return x12.Date(t.Format(time.DateOnly)), true
		}
	}
	return "", false
}

func validCode(s string) bool { return len(s) == 5 && alnum(s) }

func alnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// WriteCSV writes claims as a billed-claims CSV (every column of Columns,
// one row per line), the inverse of ReadAll.
func WriteCSV(w io.Writer, list []*Claim) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(Columns); err != nil {
		return err
	}
	rec := make([]string, len(Columns))
	for _, c := range list {
		for i := range c.Lines {
			l := &c.Lines[i]
			ptrs := make([]string, len(l.DiagnosisPointers))
			for j, p := range l.DiagnosisPointers {
				ptrs[j] = strconv.Itoa(p)
			}
			to := ""
			if l.ServiceTo != "" && l.ServiceTo != l.ServiceFrom {
				to = string(l.ServiceTo)
			}
			pos := l.PlaceOfService
			if pos == "" {
				pos = c.PlaceOfService
			}
			copy(rec, []string{c.Practice, c.PatientControl, c.PayerID, c.MemberID, string(c.PatientBirthDate),
				c.RenderingNPI, c.BillingNPI, c.BillingTIN, string(l.ServiceFrom), to, l.Procedure,
				strings.Join(l.Modifiers, " "), l.UnitsOrOne().String(), l.Charge.String(), strconv.Itoa(l.Number),
				l.LineControl, l.PriorAuth, strings.Join(c.Diagnoses, " "), strings.Join(ptrs, " "), pos,
				c.FrequencyCode, c.PayerClaimControl, string(c.BilledDate), l.Note})
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}
