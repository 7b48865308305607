package kpi

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/money"
)

// The patient-payments CSV: one row per payment exported from a
// practice-management system. The header names the columns (any order,
// case-insensitive); every column below must be present, optional ones may
// be empty:
//
//	practice_npi  the practice's organisation NPI (10 digits, valid check digit)
//	payment_id    the PM system's id of the payment (unique per practice; re-imports replace)
//	account       the patient's account number in the PM system (PHI: never echoed)
//	claim_id      optional: the claim's patient control number (CLM01) the payment is for
//	service_date  optional: the date of service it pays
//	amount        dollars, up to two places, "-" for a refund; no "$", no thousands separator, never 0
//	paid_date     the day the money was received
//	method        cash, check, card, ach, online or other
//
// Dates are YYYY-MM-DD or MM/DD/YYYY.
var PaymentColumns = []string{"practice_npi", "payment_id", "account", "claim_id", "service_date", "amount", "paid_date", "method"}

// PaymentMethods are the accepted payment methods.
var PaymentMethods = []string{"cash", "check", "card", "ach", "online", "other"}

// MaxPaymentErrors is how many row errors ParsePayments reports before it
// stops.
const MaxPaymentErrors = 100

// PaymentRecord is one row of a patient-payments CSV.
type PaymentRecord struct {
	Line        int // 1-based line of the CSV (the header is line 1)
	PracticeNPI string
	PaymentID   string
	Account     string  // PHI
	ClaimID     string  // "" on account
	ServiceDate day.Day // 0 unknown
	Amount      money.Amount
	Paid        day.Day
	Method      string
}

// PaymentError is a problem at a line and column of a patient-payments
// CSV. It names what was expected, never the value (which may be PHI).
type PaymentError struct {
	Line   int
	Column string // "" for the whole row or file
	Err    error
}

func (e *PaymentError) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("line %d: %v", e.Line, e.Err)
	}
	return fmt.Sprintf("line %d, %s: %v", e.Line, e.Column, e.Err)
}

func (e *PaymentError) Unwrap() error { return e.Err }

// Sentinel errors of ParsePayments, wrapped in PaymentErrors.
var (
	ErrPaymentHeader = errors.New("header must name the columns " + strings.Join(PaymentColumns, ", "))
	ErrPaymentField  = errors.New("bad value")
	ErrPaymentEmpty  = errors.New("no payment rows")
)

// PaymentOptions tune ParsePayments.
type PaymentOptions struct {
	// Today bounds the dates: none may be after it (zero: no bound).
	Today day.Day
}

// ParsePayments reads a patient-payments CSV strictly: every row must be
// valid, or the result is an error joining one PaymentError per problem
// (at most MaxPaymentErrors) and no records. Amounts are exact (cents).
func ParsePayments(r io.Reader, o PaymentOptions) ([]PaymentRecord, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("kpi: patient payments: %w", err)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return nil, &PaymentError{Line: 1, Err: ErrPaymentHeader}
	}
	col := map[string]int{}
	var errs []error
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		switch _, dup := col[h]; {
		case !contains(PaymentColumns, h):
			errs = append(errs, &PaymentError{Line: 1, Column: fmt.Sprintf("column %d", i+1), Err: fmt.Errorf("%w: unknown column", ErrPaymentHeader)})
		case dup:
			errs = append(errs, &PaymentError{Line: 1, Column: h, Err: fmt.Errorf("%w: named twice", ErrPaymentHeader)})
		default:
			col[h] = i
		}
	}
	for _, c := range PaymentColumns {
		if _, ok := col[c]; !ok {
			errs = append(errs, &PaymentError{Line: 1, Column: c, Err: fmt.Errorf("%w: missing", ErrPaymentHeader)})
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	var out []PaymentRecord
	seen := map[[2]string]int{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			errs = append(errs, &PaymentError{Line: line, Err: fmt.Errorf("%w: not valid CSV", ErrPaymentField)})
			break
		}
		if len(rec) != len(header) {
			errs = append(errs, &PaymentError{Line: line, Err: fmt.Errorf("%w: %d fields, the header has %d", ErrPaymentField, len(rec), len(header))})
			continue
		}
		if blank(rec) {
			continue
		}
		p, rowErrs := parsePaymentRow(rec, col, line, o)
		if len(rowErrs) == 0 {
			k := [2]string{p.PracticeNPI, p.PaymentID}
			if first, dup := seen[k]; dup {
				rowErrs = append(rowErrs, &PaymentError{Line: line, Column: "payment_id",
					Err: fmt.Errorf("%w: the same payment as line %d", ErrPaymentField, first)})
			} else {
				seen[k] = line
			}
		}
		errs = append(errs, rowErrs...)
		if len(errs) >= MaxPaymentErrors {
			errs = append(errs[:MaxPaymentErrors], fmt.Errorf("more than %d problems: stopped", MaxPaymentErrors))
			break
		}
		out = append(out, p)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(out) == 0 {
		return nil, &PaymentError{Line: 2, Err: ErrPaymentEmpty}
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

func parsePaymentRow(rec []string, col map[string]int, line int, o PaymentOptions) (PaymentRecord, []error) {
	p := PaymentRecord{Line: line}
	var errs []error
	bad := func(c, why string) {
		errs = append(errs, &PaymentError{Line: line, Column: c, Err: fmt.Errorf("%w: %s", ErrPaymentField, why)})
	}
	get := func(c string) string { return strings.TrimSpace(rec[col[c]]) }

	if p.PracticeNPI = get("practice_npi"); !validNPI(p.PracticeNPI) {
		bad("practice_npi", "want a 10-digit NPI with a valid check digit")
	}
	if p.PaymentID = get("payment_id"); !token(p.PaymentID, 64) {
		bad("payment_id", "want 1 to 64 printable characters")
	}
	if p.Account = get("account"); !token(p.Account, 64) {
		bad("account", "want 1 to 64 printable characters")
	}
	if p.ClaimID = get("claim_id"); p.ClaimID != "" && !token(p.ClaimID, 38) {
		bad("claim_id", "want at most 38 printable characters (CLM01), or empty")
	}
	if s := get("service_date"); s != "" {
		d, ok := paymentDay(s)
		switch {
		case !ok:
			bad("service_date", "want YYYY-MM-DD or MM/DD/YYYY, or empty")
		case o.Today != 0 && d > o.Today:
			bad("service_date", "is in the future")
		default:
			p.ServiceDate = d
		}
	}
	amt, err := parsePaymentAmount(get("amount"))
	switch {
	case err != nil:
		bad("amount", "want dollars with at most two places (-12.50 for a refund), no $ or commas")
	case amt == 0:
		bad("amount", "must not be zero")
	default:
		p.Amount = amt
	}
	d, ok := paymentDay(get("paid_date"))
	switch {
	case !ok:
		bad("paid_date", "want YYYY-MM-DD or MM/DD/YYYY")
	case o.Today != 0 && d > o.Today:
		bad("paid_date", "is in the future")
	default:
		p.Paid = d
	}
	if p.Method = strings.ToLower(get("method")); !contains(PaymentMethods, p.Method) {
		bad("method", "want one of "+strings.Join(PaymentMethods, ", "))
	}
	return p, errs
}

// parsePaymentAmount accepts [-]digits[.d[d]] up to 999,999,999,999.99.
func parsePaymentAmount(s string) (money.Amount, error) {
	body := strings.TrimPrefix(s, "-")
	intPart, frac, _ := strings.Cut(body, ".")
	if intPart == "" || len(intPart) > 12 || len(frac) > 2 || strings.Count(body, ".") > 1 || (strings.Contains(body, ".") && frac == "") {
		return 0, ErrPaymentField
	}
	for _, c := range intPart + frac {
		if c < '0' || c > '9' {
			return 0, ErrPaymentField
		}
	}
	return money.Parse(s)
}

// paymentDay reads YYYY-MM-DD or MM/DD/YYYY, from the year 2000 on.
func paymentDay(s string) (day.Day, bool) {
	for _, layout := range []string{time.DateOnly, "01/02/2006"} {
		if t, err := time.Parse(layout, s); err == nil && t.Year() >= 2000 {
			return day.Of(t), true
		}
	}
	return 0, false
}

// token reports whether s is 1..n printable ASCII characters.
func token(s string, n int) bool {
	if s == "" || len(s) > n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// validNPI checks the NPI's Luhn check digit over the prefix 80840 and its
// first nine digits, as CMS defines.
func validNPI(s string) bool {
	if len(s) != 10 {
		return false
	}
	sum := 24 // the prefix 80840
	for i := 0; i < 10; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return false
		}
		d := int(c - '0')
		if i%2 == 0 && i < 9 { // doubled: positions 1, 3, 5, 7, 9 of the nine
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}
