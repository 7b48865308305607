package rules

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/remitq/remitq/pkg/day"
)

// RowError is a problem in one row of a records CSV (auths, relief). Row
// is the line in the file (the header is line 1). The message names the
// column, never the value.
type RowError struct {
	Row    int
	Column string
	Err    error
}

// Error formats the problem with its row and column.
func (e *RowError) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("row %d: %v", e.Row, e.Err)
	}
	return fmt.Sprintf("row %d, column %s: %v", e.Row, e.Column, e.Err)
}

// Unwrap returns the underlying error.
func (e *RowError) Unwrap() error { return e.Err }

// RowErrors lists the bad rows of a records CSV; the good rows are still loaded.
type RowErrors []*RowError

// Error lists the first five row errors.
func (es RowErrors) Error() string {
	var b strings.Builder
	for i, e := range es {
		if i == 5 {
			fmt.Fprintf(&b, "; and %d more", len(es)-5)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Sentinel errors of the records readers.
var (
	ErrMissingValue = errors.New("value required")
	ErrBadValue     = errors.New("value not understood")
)

// recordCSV reads a records CSV with named columns (case-insensitive), or
// the records of a JSON array as rows of the same columns.
type recordCSV struct {
	r    *csv.Reader
	json [][]string // JSON records as rows, when r is nil
	cols map[string]int
	row  []string
	line int
	errs RowErrors
	k    *Keyer
}

func newRecordCSV(r io.Reader, k *Keyer, required ...string) (*recordCSV, error) {
	c := &recordCSV{r: csv.NewReader(r), cols: map[string]int{}, k: k}
	c.r.FieldsPerRecord = -1
	c.r.Comment = '#'
	h, err := c.r.Read()
	if err != nil {
		return nil, fmt.Errorf("rules: no CSV header: %w", err)
	}
	for i, name := range h {
		c.cols[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(name, "\ufeff")))] = i
	}
	return c, c.check(required)
}

// newRecordJSON reads records from a JSON array of objects whose fields
// are named as the CSV columns (or an object holding such an array under
// one key). A value may be a string, a number or an array of strings
// (joined by spaces).
func newRecordJSON(r io.Reader, k *Keyer, required ...string) (*recordCSV, error) {
	var raw json.RawMessage
	if err := json.NewDecoder(r).Decode(&raw); err != nil {
		return nil, fmt.Errorf("rules: records JSON: %w", err)
	}
	decode := func(v any) error {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		return dec.Decode(v)
	}
	var objs []map[string]any
	if err := decode(&objs); err != nil {
		var wrap map[string][]map[string]any
		if decode(&wrap) != nil || len(wrap) != 1 {
			return nil, errors.New("rules: records JSON: expected an array of objects")
		}
		for _, v := range wrap {
			objs = v
		}
	}
	c := &recordCSV{cols: map[string]int{}, k: k, json: make([][]string, 0, len(objs))}
	for _, o := range objs {
		for name := range o {
			n := strings.ToLower(strings.TrimSpace(name))
			if _, ok := c.cols[n]; !ok {
				c.cols[n] = len(c.cols)
			}
		}
	}
	for _, o := range objs {
		row := make([]string, len(c.cols))
		for name, v := range o {
			i := c.cols[strings.ToLower(strings.TrimSpace(name))]
			switch v := v.(type) {
			case string:
				row[i] = v
			case json.Number:
				row[i] = v.String()
			case bool:
				row[i] = strconv.FormatBool(v)
			case []any:
				var parts []string
				for _, e := range v {
					parts = append(parts, fmt.Sprint(e))
				}
				row[i] = strings.Join(parts, " ")
			case nil:
			default:
				row[i] = "\x00" // an object: not a value any column takes
			}
		}
		c.json = append(c.json, row)
	}
	if len(objs) == 0 {
		return c, nil // nothing to read: no column is missing
	}
	return c, c.check(required)
}

// check reports a missing required column or patient column.
func (c *recordCSV) check(required []string) error {
	k := c.k
	for _, n := range required {
		if _, ok := c.cols[n]; !ok {
			return fmt.Errorf("rules: records have no column %q", n)
		}
	}
	_, hasKey := c.cols["patient_key"]
	_, hasMember := c.cols["member_id"]
	if !hasKey && !hasMember {
		return errors.New(`rules: records have neither a "patient_key" column nor "member_id", "birth_date", "last_name", "first_name"`)
	}
	if !hasKey && k == nil {
		return ErrNoKeyer
	}
	return nil
}

// ErrNoKeyer reports records that name patients by member ID, birth date
// and name when no Keyer was given to make their keys.
var ErrNoKeyer = errors.New("rules: records with member IDs need a Keyer")

// next reads the next row; false at the end. I/O and CSV syntax errors
// are recorded as row errors (the syntax error of encoding/csv carries
// positions, not values).
func (c *recordCSV) next() bool {
	if c.r == nil {
		if len(c.json) == 0 {
			return false
		}
		c.row, c.json = c.json[0], c.json[1:]
		c.line++
		return true
	}
	for {
		rec, err := c.r.Read()
		if err == io.EOF {
			return false
		}
		line, _ := c.r.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				c.errs = append(c.errs, &RowError{Row: pe.StartLine, Err: fmt.Errorf("%w: %v", ErrBadValue, pe.Err)})
				continue
			}
			c.errs = append(c.errs, &RowError{Row: line, Err: err})
			return false
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		c.row, c.line = rec, line
		return true
	}
}

func (c *recordCSV) get(col string) string {
	i, ok := c.cols[col]
	if !ok || i >= len(c.row) {
		return ""
	}
	return strings.TrimSpace(c.row[i])
}

func (c *recordCSV) fail(col string, err error) {
	c.errs = append(c.errs, &RowError{Row: c.line, Column: col, Err: err})
}

// patient returns the row's patient key from patient_key, or from the
// member_id, birth_date, last_name and first_name columns.
func (c *recordCSV) patient() (PatientKey, bool) {
	if s := c.get("patient_key"); s != "" {
		k, err := ParsePatientKey(s)
		if err != nil {
			c.fail("patient_key", ErrBadValue)
			return k, false
		}
		return k, true
	}
	if c.k == nil {
		c.fail("patient_key", ErrMissingValue)
		return PatientKey{}, false
	}
	k, err := c.k.Key(Person{MemberID: c.get("member_id"), BirthDate: c.get("birth_date"),
		LastName: c.get("last_name"), FirstName: c.get("first_name")})
	if err != nil {
		c.fail("member_id", err)
		return k, false
	}
	return k, true
}

func (c *recordCSV) day(col string, required bool) (day.Day, bool) {
	s := c.get(col)
	if s == "" {
		if required {
			c.fail(col, ErrMissingValue)
			return 0, false
		}
		return 0, true
	}
	d, err := day.ParseSet(s)
	if err != nil {
		c.fail(col, fmt.Errorf("%w: %w", ErrBadValue, err))
		return 0, false
	}
	return d, true
}

func (c *recordCSV) result() error {
	if len(c.errs) == 0 {
		return nil
	}
	return c.errs
}

// Auth is a prior authorization on file.
type Auth struct {
	Number   string
	Payer    string // payer ID, "" = any
	Patient  PatientKey
	Codes    []string // CPT/HCPCS codes authorized
	NPI      string   // rendering provider NPI authorized, "" = any
	From, To day.Day  // valid from and to, inclusive
	Units    int      // units authorized across the codes, 0 = not limited
}

// covers reports whether the auth lists code.
func (a *Auth) covers(code string) bool { return slices.Contains(a.Codes, code) }

// AuthBook holds authorizations by number and by patient.
type AuthBook struct {
	byNumber  map[string][]*Auth
	byPatient map[PatientKey][]*Auth
	list      []*Auth
}

// NewAuthBook returns a book of auths.
func NewAuthBook(auths ...Auth) *AuthBook {
	b := &AuthBook{byNumber: map[string][]*Auth{}, byPatient: map[PatientKey][]*Auth{}}
	for _, a := range auths {
		b.Add(a)
	}
	return b
}

// Add adds an authorization.
func (b *AuthBook) Add(a Auth) {
	p := &a
	p.Number = normAuth(a.Number)
	b.byNumber[p.Number] = append(b.byNumber[p.Number], p)
	b.byPatient[a.Patient] = append(b.byPatient[a.Patient], p)
	b.list = append(b.list, p)
}

// Len returns the number of authorizations.
func (b *AuthBook) Len() int { return len(b.list) }

// All returns copies of the authorizations in the order they were added
// (numbers normalised: upper case, trimmed).
func (b *AuthBook) All() []Auth {
	out := make([]Auth, len(b.list))
	for i, a := range b.list {
		out[i] = *a
		out[i].Codes = slices.Clone(a.Codes)
	}
	return out
}

func normAuth(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

// ReadAuths reads authorizations from CSV. Columns (header names,
// case-insensitive, any order): auth_number, cpt_codes (separated by
// spaces, "|" or ";"), valid_from, valid_to (YYYY-MM-DD or CCYYMMDD) are
// required; payer_id, provider_npi, units are optional; the patient is
// patient_key (hex), or member_id, birth_date, last_name, first_name, made
// into a key with k (k may be nil when patient_key is given). Bad rows are
// skipped and reported in a RowErrors error; the book holds the good rows.
func ReadAuths(r io.Reader, k *Keyer) (*AuthBook, error) {
	c, err := newRecordCSV(r, k, authColumns...)
	if err != nil {
		return nil, err
	}
	return c.auths()
}

var authColumns = []string{"auth_number", "cpt_codes", "valid_from", "valid_to"}

// ReadAuthsJSON reads authorizations from a JSON array of objects with the
// fields of ReadAuths's columns ("cpt_codes" may be an array, "units" a
// number); a RowError's Row is the 1-based position in the array.
func ReadAuthsJSON(r io.Reader, k *Keyer) (*AuthBook, error) {
	c, err := newRecordJSON(r, k, authColumns...)
	if err != nil {
		return nil, err
	}
	return c.auths()
}

func (c *recordCSV) auths() (*AuthBook, error) {
	b := NewAuthBook()
	for c.next() {
		n := len(c.errs)
		a := Auth{Number: c.get("auth_number"), Payer: c.get("payer_id"), NPI: c.get("provider_npi")}
		if a.Number == "" {
			c.fail("auth_number", ErrMissingValue)
		}
		a.Codes = strings.FieldsFunc(strings.ToUpper(c.get("cpt_codes")), func(r rune) bool {
			return r == ' ' || r == '|' || r == ';' || r == ','
		})
		if len(a.Codes) == 0 {
			c.fail("cpt_codes", ErrMissingValue)
		}
		a.Patient, _ = c.patient()
		a.From, _ = c.day("valid_from", true)
		a.To, _ = c.day("valid_to", true)
		if len(c.errs) == n && a.To < a.From {
			c.fail("valid_to", fmt.Errorf("%w: before valid_from", ErrBadValue))
		}
		if s := c.get("units"); s != "" {
			u, err := strconv.Atoi(s)
			if err != nil || u < 0 {
				c.fail("units", ErrBadValue)
			}
			a.Units = u
		}
		if len(c.errs) == n {
			b.Add(a)
		}
	}
	return b, c.result()
}

// Relief is a recorded pain relief after a block (entered through the API
// or CSV).
type Relief struct {
	Patient PatientKey
	Date    day.Day // date of the block
	Level   string  // spinal level ("L4-L5"), "" = any
	Percent int     // relief of the index pain, 0-100
}

// ReliefBook holds relief records by patient.
type ReliefBook struct {
	m    map[PatientKey][]Relief
	list []Relief
}

// NewReliefBook returns a book of relief records.
func NewReliefBook(rs ...Relief) *ReliefBook {
	b := &ReliefBook{m: map[PatientKey][]Relief{}}
	for _, r := range rs {
		b.Add(r)
	}
	return b
}

// Add adds a record.
func (b *ReliefBook) Add(r Relief) {
	r.Level = NormLevel(r.Level)
	b.m[r.Patient] = append(b.m[r.Patient], r)
	b.list = append(b.list, r)
}

// Len returns the number of records.
func (b *ReliefBook) Len() int { return len(b.list) }

// All returns the records in the order they were added (levels normalised).
func (b *ReliefBook) All() []Relief { return slices.Clone(b.list) }

// find returns the lowest relief recorded for the patient's block on date
// at level (records or blocks without a level match any level).
func (b *ReliefBook) find(p PatientKey, date day.Day, level string) (int, bool) {
	if b == nil {
		return 0, false
	}
	best, ok := 0, false
	for _, r := range b.m[p] {
		if r.Date != date || (r.Level != "" && level != "" && r.Level != level) {
			continue
		}
		if !ok || r.Percent < best {
			best, ok = r.Percent, true
		}
	}
	return best, ok
}

// ReadRelief reads relief records from CSV: date and percent (0-100, "80",
// "80%" or "80.5", rounded down) are required, level is optional, and the
// patient is given as for ReadAuths. Bad rows are reported in a RowErrors
// error; the book holds the good rows.
func ReadRelief(r io.Reader, k *Keyer) (*ReliefBook, error) {
	c, err := newRecordCSV(r, k, reliefColumns...)
	if err != nil {
		return nil, err
	}
	return c.relief()
}

var reliefColumns = []string{"date", "percent"}

// ReadReliefJSON reads relief records from a JSON array of objects with
// the fields of ReadRelief's columns ("percent" may be a number); a
// RowError's Row is the 1-based position in the array.
func ReadReliefJSON(r io.Reader, k *Keyer) (*ReliefBook, error) {
	c, err := newRecordJSON(r, k, reliefColumns...)
	if err != nil {
		return nil, err
	}
	return c.relief()
}

func (c *recordCSV) relief() (*ReliefBook, error) {
	b := NewReliefBook()
	for c.next() {
		n := len(c.errs)
		rel := Relief{Level: c.get("level")}
		rel.Patient, _ = c.patient()
		rel.Date, _ = c.day("date", true)
		s := strings.TrimSuffix(c.get("percent"), "%")
		whole, _, _ := strings.Cut(s, ".")
		p, err := strconv.Atoi(strings.TrimSpace(whole))
		switch {
		case s == "":
			c.fail("percent", ErrMissingValue)
		case err != nil || p < 0 || p > 100:
			c.fail("percent", fmt.Errorf("%w: expected 0 to 100", ErrBadValue))
		}
		rel.Percent = p
		if rel.Level != "" && NormLevel(rel.Level) == "" {
			c.fail("level", fmt.Errorf("%w: expected a level such as L4-L5", ErrBadValue))
		}
		if len(c.errs) == n {
			b.Add(rel)
		}
	}
	return b, c.result()
}
