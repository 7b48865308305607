package billedstore

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/remitq/remitq/pkg/billed"
	"github.com/remitq/remitq/pkg/rules"
	"github.com/remitq/remitq/x12"
)

// Sources of billed claims (billed_claims.source).
const (
	Source837 = "837"
	SourceCSV = "csv"
)

// Problem is one thing wrong with an input: where (a CSV row or an 837
// segment) and what was expected. It never holds a value from the input
// other than the claim's patient control number (the practice's own claim
// id), which is not PHI.
type Problem struct {
	Row     int    `json:"row,omitempty"`     // CSV line number (the header is 1)
	Rows    []int  `json:"rows,omitempty"`    // every row of the claim, for a claim-level problem
	Segment int    `json:"segment,omitempty"` // 837 segment number
	Column  string `json:"column,omitempty"`
	Claim   string `json:"claim,omitempty"` // CLM01 of the claim concerned
	Code    string `json:"code"`            // missing, invalid, duplicate, conflict, changed, unknown_practice, x12, header
	Message string `json:"message"`
}

// Input is a parsed file of billed claims, ready to load.
type Input struct {
	Source   string          `json:"source"`
	Filename string          `json:"filename,omitempty"`
	Claims   []*billed.Claim `json:"-"`
	// Where locates each claim of Claims in the file.
	Where []Where `json:"-"`
	// X12 holds, for an 837P, each claim of Claims as the file sent it
	// (nil for CSV): stored in billed_claim_x12 so a correction can be
	// generated from it (see Claim837).
	X12      []*x12.Claim `json:"-"`
	Problems []Problem    `json:"problems,omitempty"`
	// persons are the patients of Claims (PHI, never stored): what their
	// patient keys are made of.
	persons []rules.Person
}

// Where is the place of a claim in its file.
type Where struct {
	Rows    []int // CSV rows of the claim's lines
	Segment int   // 837 CLM segment
}

// ErrFormat reports a file that is neither an X12 837P nor a claims CSV
// with a usable header.
var ErrFormat = errors.New("billing: not an 837P file nor a billed-claims CSV")

// Is837 reports whether raw looks like an X12 interchange (starts with ISA
// after white space and a byte-order mark).
func Is837(raw []byte) bool {
	raw = bytes.TrimLeft(bytes.TrimPrefix(raw, []byte("\ufeff")), " \t\r\n")
	return bytes.HasPrefix(raw, []byte("ISA"))
}

// Parse reads a file of billed claims, an 837P (by content: it starts with
// ISA) or a billed-claims CSV, into an Input. Problems with single claims
// or rows are in Input.Problems; the error (wrapping ErrFormat) is for a
// file that cannot be read at all.
func Parse(name string, raw []byte) (*Input, error) {
	if Is837(raw) {
		return parse837(name, raw)
	}
	return parseCSV(name, raw)
}

func parse837(name string, raw []byte) (*Input, error) {
	in := &Input{Source: Source837, Filename: name}
	cf, err := x12.ReadClaims(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	if cf.TransactionSets == 0 {
		return nil, fmt.Errorf("%w: no 837 transaction set", ErrFormat)
	}
	for _, e := range cf.Errors {
		in.Problems = append(in.Problems, Problem{Segment: e.Segment, Code: "x12", Message: e.Error()})
	}
	for _, b := range cf.Batches {
		for _, c := range b.Claims {
			in.Claims = append(in.Claims, billed.FromX12(c, ""))
			in.Where = append(in.Where, Where{Segment: c.Segment})
			in.X12 = append(in.X12, c)
			in.persons = append(in.persons, person837(c))
		}
	}
	return in, nil
}

// person837 is who the patient of an 837 claim is, as rules.FromX12 keys
// it: the subscriber's member ID (a dependent shares it), the patient's
// birth date and name (2000C when present).
func person837(c *x12.Claim) rules.Person {
	var p rules.Person
	if s := c.Subscriber; s != nil {
		p = rules.Person{MemberID: s.MemberID, BirthDate: string(s.BirthDate), LastName: s.LastName, FirstName: s.FirstName}
	}
	if c.Patient != nil {
		p.BirthDate, p.LastName, p.FirstName = string(c.Patient.BirthDate), c.Patient.LastName, c.Patient.FirstName
	}
	return p
}

func parseCSV(name string, raw []byte) (*Input, error) {
	in := &Input{Source: SourceCSV, Filename: name}
	list, rowErrs, err := billed.ReadAll(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	for _, e := range rowErrs {
		in.Problems = append(in.Problems, rowProblem(e))
	}
	// A second pass maps each claim to its rows (ReadAll groups them).
	rows := map[[2]string][]int{}
	r := billed.NewReader(bytes.NewReader(raw))
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		var re *billed.RowError
		if errors.As(err, &re) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrFormat, err)
		}
		k := [2]string{row.Claim.Practice, row.Claim.PatientControl}
		rows[k] = append(rows[k], row.Number)
	}
	names := csvNames(raw)
	for _, c := range list {
		w := Where{Rows: rows[[2]string{c.Practice, c.PatientControl}]}
		in.Claims = append(in.Claims, c)
		in.Where = append(in.Where, w)
		p := rules.Person{MemberID: c.MemberID, BirthDate: string(c.PatientBirthDate)}
		if len(w.Rows) > 0 {
			n := names[w.Rows[0]]
			p.LastName, p.FirstName = n[0], n[1]
		}
		in.persons = append(in.persons, p)
	}
	return in, nil
}

// csvNames reads the optional patient_last_name and patient_first_name
// columns of a billed-claims CSV (aliases last_name, first_name) by row:
// a claim's patient key needs them (see Store.Keyer); the claims reader
// ignores them.
func csvNames(raw []byte) map[int][2]string {
	r := csv.NewReader(bytes.NewReader(raw))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	head, err := r.Read()
	if err != nil {
		return nil
	}
	last, first := -1, -1
	for i, h := range head {
		switch billed.CanonicalColumn(h) {
		case "patient_last_name", "last_name":
			last = i
		case "patient_first_name", "first_name":
			first = i
		}
	}
	if last < 0 {
		return nil
	}
	out := map[int][2]string{}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				continue
			}
			break
		}
		line, _ := r.FieldPos(0)
		var n [2]string
		if last < len(rec) {
			n[0] = strings.TrimSpace(rec[last])
		}
		if first >= 0 && first < len(rec) {
			n[1] = strings.TrimSpace(rec[first])
		}
		out[line] = n
	}
	return out
}

func rowProblem(e *billed.RowError) Problem {
	code := "invalid"
	switch {
	case errors.Is(e.Err, billed.ErrMissing):
		code = "missing"
	case errors.Is(e.Err, billed.ErrDuplicate):
		code = "duplicate"
	case errors.Is(e.Err, billed.ErrConflict):
		code = "conflict"
	}
	return Problem{Row: e.Row, Column: e.Column, Code: code, Message: e.Error()}
}

// problemFor makes a claim-level problem at the claim's place in the file.
func (in *Input) problemFor(i int, code, msg string) Problem {
	p := Problem{Claim: in.Claims[i].PatientControl, Code: code, Message: msg}
	if i < len(in.Where) {
		w := in.Where[i]
		p.Segment = w.Segment
		if len(w.Rows) > 0 {
			p.Row, p.Rows = w.Rows[0], w.Rows
		}
	}
	return p
}

// normalFrequency is the stored frequency code: "1" when none was sent.
func normalFrequency(f string) string {
	f = strings.TrimSpace(f)
	if f == "" {
		return "1"
	}
	return f
}
