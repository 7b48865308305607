package x12

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strconv"
)

// RemitReader decodes 835 transaction sets from a stream, one claim at a time.
//
// Next returns records in file order: a *Remittance when a transaction set's
// header (BPR through the payee loop) is complete, a *ClaimPayment for each
// CLP loop with its service lines, and a *RemittanceEnd when the SE closes
// the set (provider adjustments, totals and the BPR balance are then set on
// the Remittance). Problems in the data never stop the reader: they are
// collected in Errors (and on the claim or transaction they belong to), and
// reading goes on with the next claim or transaction set. Next returns an
// error only at the end (io.EOF) or when the stream cannot be read at all.
//
// The records are the caller's to keep or change. To decode with few
// allocations they share backing arrays in chunks of a few KiB, so a record
// kept long after reading holds on to some memory of its neighbours too.
type RemitReader struct {
	r        *Reader
	pending  []RemitRecord
	phead    int // pending[phead:] are queued
	errs     []*Error
	warnings []*Error
	done     bool
	fatal    error

	gsVersion, isaCtl, gsCtl, sender, receiver, senderQual string

	// Interchanges, groups and transaction sets seen, to skip repeats.
	ics    []InterchangeID
	icSeen map[string]int // InterchangeID.Key → index in ics
	skipIC bool           // inside a repeated interchange
	skipGS bool           // inside a repeated group
	gsSeen []string       // GS06 of the open interchange
	stSeen []string       // ST02 of the open group

	// Loop placement (see place835).
	area      int // the furthest area of the transaction set reached
	sawTRN    bool
	sawCUR    bool
	sawDTM405 bool
	payerSeen bool
	payeeSeen bool
	partyN3   bool // the open party loop has its N3, N4
	partyN4   bool
	claimQC   bool // the open claim has its NM1*QC
	guide     int  // the guide whose not-used elements apply (see guideFor)

	rem         *Remittance
	skipping    bool // inside a transaction set that is not an 835
	headerOut   bool
	where       int // what the next REF/DTM/N3/... belong to
	party       *Party
	header      *HeaderNumber
	claim       *ClaimPayment
	line        *ServicePayment
	bprSeg      int
	bprOff      int64
	sawCompWarn bool

	// What the records are allocated from (see alloc.go).
	val      values
	claims   chunk[ClaimPayment]
	lines    chunk[ServicePayment]
	linePtrs chunk[*ServicePayment]
	adjs     chunk[Adjustment]
	refs     chunk[Ref]
	amounts  chunk[Amount]
	qtys     chunk[Qty]
	remarks  chunk[Remark]
	names    chunk[Name]
	strs     chunk[string]
}

const (
	inHeader = iota
	inParty
	inClaim
	inLine
	inPLB
	inIgnored // a loop reported out of place: its segments are skipped
)

// Areas of an 835 transaction set, in the order the guide sets them.
const (
	areaHeader  = iota // BPR, TRN, CUR, REF, DTM
	area1000           // payer and payee loops
	areaDetail         // LX, TS3, TS2, claims
	areaSummary        // PLB
)

// NewRemitReader returns a RemitReader reading from r.
func NewRemitReader(r io.Reader) *RemitReader {
	return &RemitReader{r: NewReader(r)}
}

// Reader returns the underlying segment reader (for its delimiters and warnings).
func (d *RemitReader) Reader() *Reader { return d.r }

// Errors returns every problem found so far, in file order.
func (d *RemitReader) Errors() []*Error { return d.errs }

// Interchanges returns the interchanges read so far, each once, with the
// number of repeats skipped.
func (d *RemitReader) Interchanges() []InterchangeID { return d.ics }

// Warnings returns the tolerated deviations found so far.
func (d *RemitReader) Warnings() []*Error {
	return append(append([]*Error(nil), d.r.Warnings()...), d.warnings...)
}

func (d *RemitReader) addErr(e *Error) {
	d.errs = append(d.errs, e)
	switch {
	case d.line != nil || d.claim != nil:
		d.claim.Errors = append(d.claim.Errors, e)
	case d.rem != nil:
		d.rem.Errors = append(d.rem.Errors, e)
	}
}

// Next returns the next record; see RemitReader.
func (d *RemitReader) Next() (RemitRecord, error) {
	for d.phead == len(d.pending) {
		if d.done {
			if d.fatal != nil {
				return nil, d.fatal
			}
			return nil, io.EOF
		}
		d.step()
	}
	rec := d.pending[d.phead]
	d.pending[d.phead] = nil
	d.phead++
	if d.phead == len(d.pending) {
		d.pending, d.phead = d.pending[:0], 0
	}
	return rec, nil
}

// step reads one segment and acts on it.
func (d *RemitReader) step() {
	s, err := d.r.Next()
	if s == nil {
		var xe *Error
		switch {
		case err == io.EOF:
		case errors.As(err, &xe) && errors.Is(err, ErrTruncated):
			// A missing trailer is the transaction's problem, not its last claim's.
			d.errs = append(d.errs, xe)
			if d.rem != nil {
				d.rem.Errors = append(d.rem.Errors, xe)
				d.endTransaction()
			}
			return
		default:
			if errors.As(err, &xe) {
				d.errs = append(d.errs, xe)
			}
			d.fatal = err
		}
		if d.rem != nil {
			d.endTransaction()
		}
		d.done = true
		return
	}
	if d.skipIC || d.skipGS {
		switch s.ID() {
		case "IEA":
			d.skipIC, d.skipGS = false, false
			return
		case "GE":
			if !d.skipIC {
				d.skipGS = false
			}
			return
		case "ISA":
			d.skipIC, d.skipGS = false, false
		default:
			return
		}
	}
	if err != nil {
		var xe *Error
		if errors.As(err, &xe) {
			if xe.Err == ErrSegmentID {
				d.addErr(xe)
				return
			}
			if s.ID() != "SE" {
				d.addErr(xe)
			} else {
				// Attach to the transaction (not its last claim) before it closes.
				d.errs = append(d.errs, xe)
				if d.rem != nil {
					d.rem.Errors = append(d.rem.Errors, xe)
				}
			}
		}
	}
	if d.skipping && s.ID() != "SE" && s.ID() != "ST" {
		return
	}
	f := fieldReader{seg: s, val: &d.val}
	switch s.ID() {
	case "ISA":
		d.isaCtl, d.sender, d.receiver = trimmed(s.Element(13)), trimmed(s.Element(6)), trimmed(s.Element(8))
		d.senderQual = trimmed(s.Element(5))
		id := InterchangeID{SenderQualifier: d.senderQual, SenderID: d.sender, Control: d.isaCtl}
		if d.icSeen == nil {
			d.icSeen = map[string]int{}
		}
		if i, ok := d.icSeen[id.Key()]; ok {
			d.ics[i].Duplicates++
			d.skipIC = true
			d.warnings = append(d.warnings, errAt(s, 13, ErrDuplicate,
				"interchange already read in this file (same ISA05, ISA06 and ISA13); skipped"))
			return
		}
		d.icSeen[id.Key()] = len(d.ics)
		d.ics = append(d.ics, id)
		d.gsSeen = d.gsSeen[:0]
	case "GS":
		d.gsCtl, d.gsVersion = trimmed(s.Element(6)), trimmed(s.Element(8))
		if slices.Contains(d.gsSeen, d.gsCtl) {
			d.skipGS = true
			d.warnings = append(d.warnings, errAt(s, 6, ErrDuplicate,
				"functional group already read in this interchange (same GS06); skipped"))
			return
		}
		d.gsSeen = append(d.gsSeen, d.gsCtl)
		d.stSeen = d.stSeen[:0]
	case "GE", "IEA":
	case "ST":
		if d.rem != nil {
			d.endTransaction()
		}
		d.skipping = false
		if string(s.Element(1)) != "835" {
			d.skipping = true
			d.errs = append(d.errs, errAt(s, 1, ErrUnexpected, "expected transaction set 835"))
			return
		}
		if ctl := trimmed(s.Element(2)); slices.Contains(d.stSeen, ctl) {
			d.skipping = true
			d.warnings = append(d.warnings, errAt(s, 2, ErrDuplicate,
				"transaction set already read in this group (same ST02); skipped"))
			return
		} else if len(d.stSeen) < 1<<16 {
			d.stSeen = append(d.stSeen, ctl)
		}
		d.rem = &Remittance{Segment: s.Index, Offset: s.Offset, Control: s.String(2),
			Implementation: s.String(3), ISAControl: d.isaCtl, GSControl: d.gsCtl,
			SenderQualifier: d.senderQual, SenderID: d.sender, ReceiverID: d.receiver}
		if d.rem.Implementation == "" {
			d.rem.Implementation = d.gsVersion
		}
		d.headerOut, d.where, d.party, d.header, d.claim, d.line = false, inHeader, nil, nil, nil, nil
		d.bprSeg, d.bprOff = 0, 0
		d.area, d.sawTRN, d.sawCUR, d.sawDTM405, d.payerSeen, d.payeeSeen = areaHeader, false, false, false, false, false
		d.partyN3, d.partyN4, d.claimQC = false, false, false
		d.guide = guideFor(guide835, d.rem.Implementation)
	case "SE":
		if d.skipping {
			d.skipping = false
			return
		}
		if d.rem != nil {
			d.endTransaction()
		}
	default:
		if d.rem == nil {
			if !d.skipping {
				d.errs = append(d.errs, errAt(s, 0, ErrUnexpected, "segment outside an 835 transaction set"))
			}
			return
		}
		if !elementsOK(s, d.guide) {
			f.errs = checkElements(s, d.guide, f.errs)
		}
		d.segment(s, &f)
		for _, e := range f.errs {
			d.addErr(e)
		}
		if len(f.exact) > 0 {
			d.keepExact(s, f.exact)
		}
	}
}

// cas decodes the six reason/amount/quantity triplets of a CAS segment and
// returns them appended to adj.
func (d *RemitReader) cas(s *Segment, f *fieldReader, adj []Adjustment) []Adjustment {
	group := f.reqCode(1, "CAS01 claim adjustment group code")
	n := 0
	for k := 0; k < 6 && 2+3*k <= s.Len(); k++ { // past Len, no triplet is present
		ri, ai := 2+3*k, 3+3*k
		reason, amount := s.Element(ri), s.Element(ai)
		if len(reason) == 0 && len(amount) == 0 {
			continue
		}
		if len(reason) == 0 {
			f.fail(ri, ErrMissing, "expected a claim adjustment reason code")
		}
		var a *Adjustment
		adj, a = d.adjs.grow(adj)
		a.Group, a.Reason, a.Amount = group, f.val.code(reason), f.amountOf(ai, amount, true)
		a.Quantity, a.QuantityExact = f.quantityR(ai + 1)
		a.Segment, a.Position = s.Index, k+1
		n++
	}
	if n == 0 {
		f.fail(2, ErrMissing, "expected at least one adjustment reason and amount")
	}
	return adj
}

// compSep returns the component separator used in element i, tolerating a
// file whose composites use another separator than ISA16 declares.
func (d *RemitReader) compSep(s *Segment, i int) byte {
	e := s.Element(i)
	c := s.delim.Component
	if bytes.IndexByte(e, c) >= 0 || len(e) < 4 {
		return c
	}
	if isAlnum(e[0]) && isAlnum(e[1]) && !isAlnum(e[2]) && e[2] != ' ' && e[2] != '-' && e[2] != '.' {
		if !d.sawCompWarn {
			d.sawCompWarn = true
			d.warnings = append(d.warnings, errAt(s, i, ErrTolerated,
				"composite uses a component separator other than the one ISA16 declares"))
		}
		return e[2]
	}
	return c
}

// procedure decodes a composite medical procedure identifier.
func (d *RemitReader) procedure(s *Segment, i int, f *fieldReader, required bool) Procedure {
	sep := d.compSep(s, i)
	e := s.Element(i)
	var p Procedure
	rest := e // the components from j on; nil after the last
	for j := 1; j <= 7 && rest != nil; j++ {
		v := rest
		if k := bytes.IndexByte(rest, sep); k >= 0 {
			v, rest = rest[:k], rest[k+1:]
		} else {
			rest = nil
		}
		switch j {
		case 1:
			p.Qualifier = d.val.code(v)
		case 2:
			p.Code = d.val.code(v)
		case 7:
			p.Description = d.val.str(v)
		default:
			if len(v) > 0 {
				p.Modifiers = d.strs.add(p.Modifiers, d.val.code(v))
			}
		}
	}
	if required && (p.Qualifier == "" || p.Code == "") {
		f.errs = append(f.errs, &Error{Segment: s.Index, Offset: s.Offset, ID: s.ID(), Element: i, Component: 2,
			Err: ErrMissing, Detail: "expected a composite of qualifier and procedure code"})
	}
	return p
}

// composite2 splits a two-part composite (PLB03: reason and reference).
func (d *RemitReader) composite2(s *Segment, i int) (string, string) {
	sep := d.compSep(s, i)
	e := s.Element(i)
	if j := bytes.IndexByte(e, sep); j >= 0 {
		return string(e[:j]), string(e[j+1:])
	}
	return string(e), ""
}

// emitHeader queues the transaction's header the first time the body starts.
func (d *RemitReader) emitHeader() {
	if !d.headerOut && d.rem != nil {
		d.headerOut = true
		d.pending = append(d.pending, d.rem)
	}
}

// flushClaim closes the open claim: balances it and queues it.
func (d *RemitReader) flushClaim() {
	c := d.claim
	if c == nil {
		return
	}
	d.claim, d.line = nil, nil
	if !d.claimQC {
		// A warning: the claim is whole without it, and matching does not use it.
		d.warnings = append(d.warnings, &Error{Segment: c.Segment, Offset: c.Offset, ID: "CLP", Err: ErrTolerated,
			Detail: "claim has no patient name (NM1*QC), which loop 2100 requires"})
	}
	t := &d.rem.Totals
	t.Claims++
	t.ServiceLines += len(c.Lines)
	t.Charge += c.Charge
	t.Paid += c.Paid
	for _, e := range c.ExactAmounts {
		if e.ID == "CLP" && e.Element == 4 {
			t.paidExact += e.Value - c.Paid.Micros()
		}
	}
	if c.unreadableTotals() {
		t.UnreadableClaims++
	}
	c.Imbalances = CheckClaim(c)
	if len(c.Imbalances) > 0 {
		t.UnbalancedClaims++
	}
	d.pending = append(d.pending, c)
}

// endTransaction closes the open transaction set.
func (d *RemitReader) endTransaction() {
	d.emitHeader()
	d.flushClaim()
	rem := d.rem
	for _, a := range rem.Adjustments {
		rem.Totals.PLB += a.Amount
	}
	if d.bprSeg == 0 {
		e := &Error{Segment: rem.Segment, Offset: rem.Offset, ID: "ST", Err: ErrMissing,
			Detail: "transaction set has no BPR segment"}
		d.errs = append(d.errs, e)
		rem.Errors = append(rem.Errors, e)
	}
	if rem.Trace.Number == "" && !d.sawTRN {
		d.missing(rem, "transaction set has no TRN (reassociation trace number)")
	}
	if !d.payerSeen {
		d.missing(rem, "transaction set has no payer loop 1000A (N1*PR)")
	}
	if !d.payeeSeen {
		d.missing(rem, "transaction set has no payee loop 1000B (N1*PE)")
	}
	if n := rem.Totals.UnreadableClaims; n > 0 {
		e := &Error{Segment: rem.Segment, Offset: rem.Offset, ID: "ST", Err: ErrInvalid,
			Detail: "totals are incomplete: " + strconv.Itoa(n) + " claim(s) have a CLP03 or CLP04 that could not be read"}
		d.errs = append(d.errs, e)
		rem.Errors = append(rem.Errors, e)
	}
	rem.Totals.Imbalances = checkTransaction(rem, d.bprSeg, d.bprOff)
	rem.Totals.Balanced = len(rem.Totals.Imbalances) == 0 && rem.Totals.UnbalancedClaims == 0 && !rem.hasAmountErrors() &&
		rem.Totals.UnreadableClaims == 0
	for _, im := range rem.Totals.Imbalances {
		d.warnings = append(d.warnings, &Error{Segment: im.Segment, Offset: im.Offset, ID: "BPR", Element: 2, Err: ErrUnbalanced,
			Detail: "BPR02 is not the sum of CLP04 less the PLB adjustments (" + im.Expected.String() + " written, " +
				im.Actual.String() + " found); reconcile the payment with the deposit"})
	}
	d.pending = append(d.pending, &RemittanceEnd{Remittance: rem})
	d.rem = nil
}

// missing reports a segment the transaction set lacks.
func (d *RemitReader) missing(rem *Remittance, detail string) {
	e := &Error{Segment: rem.Segment, Offset: rem.Offset, ID: "ST", Err: ErrMissing, Detail: detail}
	d.errs = append(d.errs, e)
	rem.Errors = append(rem.Errors, e)
}

// keepExact files the exact values of amounts with more than two places
// read from s, with a warning for each.
func (d *RemitReader) keepExact(s *Segment, ex []ExactAmount) {
	for _, e := range ex {
		d.warnings = append(d.warnings, errAt(s, e.Element, ErrTolerated,
			"amount with more than two decimal places: kept exactly in exact_amounts, rounded to the cent in its field"))
	}
	switch {
	case s.ID() == "BPR" || s.ID() == "PLB" || d.claim == nil:
		d.rem.ExactAmounts = append(d.rem.ExactAmounts, ex...)
	default:
		d.claim.ExactAmounts = append(d.claim.ExactAmounts, ex...)
	}
}

func (r *Remittance) hasAmountErrors() bool {
	for _, e := range r.Errors {
		if (e.Err == ErrInvalid || e.Err == ErrMissing) && (e.ID == "BPR" || e.ID == "PLB") {
			return true
		}
	}
	return false
}

// RemitFile is a whole 835 file read into memory by ReadRemittances.
type RemitFile struct {
	Remittances []*Remittance `json:"remittances"`
	Errors      []*Error      `json:"errors,omitempty"`
	Warnings    []*Error      `json:"warnings,omitempty"`
}

// ReadRemittances reads every transaction set of r, claims included. Use it
// for small files and tools; stream large files with RemitReader. The error
// is non-nil only when the stream could not be read at all.
func ReadRemittances(r io.Reader) (*RemitFile, error) {
	d := NewRemitReader(r)
	out := &RemitFile{}
	for {
		rec, err := d.Next()
		if err != nil {
			out.Errors, out.Warnings = d.Errors(), d.Warnings()
			if err == io.EOF {
				return out, nil
			}
			return out, err
		}
		switch v := rec.(type) {
		case *Remittance:
			out.Remittances = append(out.Remittances, v)
		case *ClaimPayment:
			v.Remittance.Claims = append(v.Remittance.Claims, v)
		}
	}
}
