package x12

import (
	"bytes"
	"errors"
	"io"
	"slices"

	"github.com/remitq/remitq/pkg/money"
)

// ClaimFile is a whole 837 file read into memory by ReadClaims.
type ClaimFile struct {
	Batches         []*ClaimBatch `json:"batches"`
	Errors          []*Error      `json:"errors,omitempty"`
	Warnings        []*Error      `json:"warnings,omitempty"`
	TransactionSets int           `json:"transaction_sets"` // 837 transaction sets read
}

// ReadClaims reads every claim of r, grouped by transaction set. Use it for
// small files and tools; stream large files with ClaimReader. Problems in
// the data are listed in Errors; the error is non-nil only when the stream
// could not be read (an I/O error).
func ReadClaims(r io.Reader) (*ClaimFile, error) {
	out := &ClaimFile{}
	d := NewClaimReader(r)
	d.onBatch = func(b *ClaimBatch) { out.Batches = append(out.Batches, b) }
	var ioErr error
	for {
		c, err := d.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var xe *Error
			if errors.As(err, &xe) {
				out.Errors = append(out.Errors, xe)
			} else if ioErr == nil {
				ioErr = err
			}
			continue
		}
		c.Batch.Claims = append(c.Batch.Claims, c)
	}
	out.Warnings = d.Warnings()
	out.TransactionSets = d.sets
	return out, ioErr
}

// maxClaimErrors bounds the errors reported for one claim.
const maxClaimErrors = 20

// ClaimReader decodes 837P transaction sets from a stream, one claim at a
// time: memory holds the claim being read and the loops above it, never the
// claims already returned.
//
// Next returns each claim once its loop is complete. Problems come back as
// *Error values from Next, in file order, and reading goes on:
//
//   - a value that cannot be converted (an amount, a date, a line number) or
//     a required value that is missing (CLM01, CLM02, SV101, SV102) in a
//     claim: the claim is skipped and each of its errors is returned
//     (at most 20 per claim);
//   - a bad value in the loops above the claims (a birth date): the error
//     is returned and the value left empty; the claims are kept;
//   - a transaction set that cannot be understood (CLM before any billing
//     provider or subscriber HL, a subscriber HL before any billing
//     provider): the error is returned and the rest of the set skipped;
//   - a segment whose meaning would be ambiguous where it stands (CAS
//     without SBR or SVD, N3 in a claim outside a provider loop, ...):
//     ErrUnexpected, the segment is ignored and the claim kept;
//   - envelope problems found by the Reader (counts, control numbers) are
//     returned once, and a stream that ends early drops the claim it cuts.
//
// Segments the decoder does not model are skipped without error. At the end
// Next returns io.EOF (also after an I/O error, which is returned first).
// Claims share backing arrays in chunks, as RemitReader's records do.
type ClaimReader struct {
	r        *Reader
	queue    []claimItem
	qhead    int
	errs     []*Error // every *Error pushed, for Errors
	warnings []*Error
	warned   map[string]bool
	done     bool
	sets     int
	lastSeg  int // number of the last segment read
	onBatch  func(*ClaimBatch)

	gsVersion string
	batch     *ClaimBatch
	inSet     bool // inside an 837 transaction set
	hasST03   bool
	hdr       string          // header NM1 loop: 41, 40 or ""
	hdrSeen   uint8           // header segments read: hdrBHT, hdr41, hdr40
	subSBR    bool            // the open subscriber loop has its SBR
	claimHI   bool            // the open claim has an HI
	guide     int             // the guide whose not-used elements apply (see guideFor)
	ics       []InterchangeID // interchanges read, to skip a repeated one
	skipIC    bool            // inside a repeated interchange
	altComp   byte            // the component separator composites use when it is not ISA16's

	level     int // HL level: 0 none yet, 20, 22, 23; claimSkipLevel: unknown level
	billing   *BillingProvider
	billingHL string
	sub       *Subscriber
	subHL     string
	payer     *Payer
	patient   *Patient
	hent      string    // entity of the open NM1 loop in the hierarchy
	hprov     *Provider // its provider, for 85, 87, PE
	skipped   []string  // IDs of the HLs skipped in this transaction set (bounded)

	claim *Claim
	cerrs []*Error
	cprov *Provider // open 2310 loop
	other *OtherSubscriber
	osub  int       // open 2320/2330 part
	oprov *Provider // open 2330C–I loop
	line  *ServiceLine
	lxSeg int
	lxOff int64
	lsub  int // open 2410/2420/2430 loop
	lprov *Provider
	ladj  *LineAdjudication

	// What the claims are allocated from (see alloc.go).
	val       values
	claims    chunk[Claim]
	lines     chunk[ServiceLine]
	linePtrs  chunk[*ServiceLine]
	dates     chunk[ClaimDate]
	diagnoses chunk[Diagnosis]
	strs      chunk[string]

	providers   chunk[Provider]
	payers      chunk[Payer]
	addresses   chunk[Address]
	billings    chunk[BillingProvider]
	subscribers chunk[Subscriber]
}

type claimItem struct {
	c   *Claim
	err error
}

const claimSkipLevel = -1

// Header segments of an 837 (ClaimReader.hdrSeen).
const (
	hdrBHT = 1 << iota
	hdr41
	hdr40
)

// not837 are segments of other transaction sets (the 835) that have no
// place in an 837P.
var not837 = map[string]bool{"BPR": true, "TRN": true, "CLP": true, "SVC": true,
	"PLB": true, "MIA": true, "MOA": true, "TS3": true, "TS2": true, "RDM": true, "N1": true, "N2": true, "DTM": true}

// 2320/2330 parts.
const (
	claimOtherBody = iota
	claimOtherInsured
	claimOtherPayer
	claimOtherProvider
)

// 2400 sub-loops.
const (
	claimLineNone = iota
	claimLineDrug
	claimLineProvider
	claimLineAdjudication
)

// NewClaimReader returns a ClaimReader reading from r.
func NewClaimReader(r io.Reader) *ClaimReader {
	return &ClaimReader{r: NewReader(r), warned: map[string]bool{}}
}

// Reader returns the underlying segment reader (for its delimiters).
func (d *ClaimReader) Reader() *Reader { return d.r }

// Warnings returns the tolerated deviations found so far: the Reader's and
// the decoder's, each kind once.
func (d *ClaimReader) Warnings() []*Error {
	return append(append([]*Error(nil), d.r.Warnings()...), d.warnings...)
}

// Next returns the next claim, or an error describing a problem (reading
// may go on), or io.EOF at the end. See ClaimReader.
func (d *ClaimReader) Next() (*Claim, error) {
	for d.qhead == len(d.queue) {
		if d.done {
			return nil, io.EOF
		}
		d.step()
	}
	it := d.queue[d.qhead]
	d.queue[d.qhead] = claimItem{}
	d.qhead++
	if d.qhead == len(d.queue) {
		d.queue, d.qhead = d.queue[:0], 0
	}
	if it.err != nil {
		return nil, it.err
	}
	return it.c, nil
}

// push queues an error for Next and, when it is an *Error, records it for Errors.
func (d *ClaimReader) push(err error) {
	var xe *Error
	if errors.As(err, &xe) {
		d.errs = append(d.errs, xe)
	}
	d.queue = append(d.queue, claimItem{err: err})
}

// Errors returns every problem found so far, in file order: the *Error
// values Next has returned or is about to return.
func (d *ClaimReader) Errors() []*Error { return d.errs }

func (d *ClaimReader) warn(s *Segment, elem int, detail string) {
	if d.warned[detail] {
		return
	}
	d.warned[detail] = true
	d.warnings = append(d.warnings, errAt(s, elem, ErrTolerated, detail))
}

// step reads one segment and acts on it.
func (d *ClaimReader) step() {
	s, err := d.r.Next()
	if s == nil {
		if err != io.EOF {
			d.push(err)
		}
		if err == io.EOF || !errors.Is(err, ErrTruncated) {
			d.done = true
		}
		if d.claim != nil {
			if err == io.EOF {
				d.finishClaim()
			} else {
				d.dropClaim()
			}
		}
		d.endSet()
		return
	}
	if d.skipIC {
		switch s.ID() {
		case "IEA":
			d.skipIC = false
			return
		case "ISA":
			d.skipIC = false
		default:
			return
		}
	}
	if err != nil {
		d.push(err)
		if errors.Is(err, ErrSegmentID) {
			return
		}
	}
	d.lastSeg = s.Index
	f := fieldReader{seg: s, val: &d.val}
	switch s.ID() {
	case "ISA", "GS", "GE", "IEA":
		if d.inSet {
			d.push(errAt(s, 0, ErrEnvelope, "transaction set not closed by SE; claims read up to here are kept"))
			d.finishClaim()
			d.endSet()
		}
		if s.ID() == "GS" {
			d.gsVersion = d.val.trim(s.Element(8))
		}
		if s.ID() == "ISA" {
			d.altComp = 0
			id := InterchangeID{SenderQualifier: d.val.trim(s.Element(5)), SenderID: d.val.trim(s.Element(6)),
				Control: d.val.trim(s.Element(13))}
			if slices.Contains(d.ics, id) {
				d.skipIC = true
				d.warnings = append(d.warnings, errAt(s, 13, ErrDuplicate,
					"interchange already read in this file (same ISA05, ISA06 and ISA13); skipped"))
			} else if len(d.ics) < 1<<16 {
				d.ics = append(d.ics, id)
			}
		}
	case "ST":
		d.finishClaim()
		d.endSet()
		d.startSet(s)
	case "SE":
		d.finishClaim()
		d.endSet()
	default:
		if d.inSet {
			if !elementsOK(s, d.guide) {
				for _, e := range checkElements(s, d.guide, nil) {
					d.push(e)
				}
			}
			if s.rule == nil || s.rule.not837 && !(s.ID() == "MOA" && d.other != nil) {
				d.push(errAt(s, 0, ErrUnexpected, "segment not part of the 837P; ignored"))
				break
			}
			d.body(s, &f)
		}
	}
	for _, x := range f.exact {
		// The 837 types hold cents: say so rather than round silently.
		d.warnings = append(d.warnings, errAt(s, x.Element, ErrTolerated,
			"amount with more than two decimal places: rounded to the cent"))
	}
	d.route(f.errs)
}

// route sends conversion errors to the open claim, or returns them.
func (d *ClaimReader) route(errs []*Error) {
	for _, e := range errs {
		if d.claim != nil {
			if len(d.cerrs) < maxClaimErrors {
				d.cerrs = append(d.cerrs, e)
			}
		} else {
			d.push(e)
		}
	}
}

func (d *ClaimReader) startSet(s *Segment) {
	if d.val.trim(s.Element(1)) != "837" {
		d.push(errAt(s, 1, ErrUnexpected, "expected transaction set 837; transaction set skipped"))
		return
	}
	d.sets++
	b := &ClaimBatch{Segment: s.Index, Offset: s.Offset, Control: d.val.trim(s.Element(2)),
		Implementation: d.val.trim(s.Element(3))}
	d.hasST03 = b.Implementation != ""
	if !d.hasST03 {
		b.Implementation = d.gsVersion
	}
	d.batch, d.inSet, d.hdr, d.hdrSeen = b, true, "", 0
	d.guide = guideFor(guide837, b.Implementation)
	if d.onBatch != nil {
		d.onBatch(b)
	}
}

// endSet closes the transaction set and forgets its loops.
func (d *ClaimReader) endSet() {
	d.batch, d.inSet, d.hdr = nil, false, ""
	d.level, d.billing, d.billingHL, d.sub, d.subHL, d.payer, d.patient = 0, nil, "", nil, "", nil, nil
	d.hent, d.hprov, d.skipped = "", nil, d.skipped[:0]
}

// abandon reports a transaction set that cannot be understood and skips the
// rest of it.
func (d *ClaimReader) abandon(s *Segment, detail string) {
	d.push(errAt(s, 0, ErrUnexpected, detail+"; the rest of the transaction set is skipped"))
	d.dropState()
	d.endSet()
}

func (d *ClaimReader) dropState() {
	d.claim, d.cerrs = nil, nil
	d.cprov, d.other, d.osub, d.oprov = nil, nil, 0, nil
	d.line, d.lsub, d.lprov, d.ladj = nil, 0, nil, nil
}

// dropClaim discards a claim the data ends in. The errors of its last
// segment, which may be cut, are not reported.
func (d *ClaimReader) dropClaim() {
	c := d.claim
	for _, e := range d.cerrs {
		if e.Segment != d.lastSeg {
			d.push(e)
		}
	}
	d.push(&Error{Segment: c.Segment, Offset: c.Offset, ID: "CLM", Err: ErrTruncated,
		Detail: "claim dropped: the data ends before its transaction set is closed"})
	d.dropState()
}

// finishClaim completes the open claim and queues it (or its errors).
func (d *ClaimReader) finishClaim() {
	c := d.claim
	if c == nil {
		return
	}
	d.closeLine()
	if !d.claimHI {
		d.push(&Error{Segment: c.Segment, Offset: c.Offset, ID: "CLM", Err: ErrMissing,
			Detail: "claim has no diagnosis (HI), which loop 2300 requires"})
	}
	if len(c.Lines) == 0 && len(d.cerrs) == 0 {
		d.cerrs = append(d.cerrs, &Error{Segment: c.Segment, Offset: c.Offset, ID: "CLM", Err: ErrMissing,
			Detail: "claim has no service line (LX/SV1)"})
	}
	// Canonical order of the other 2310 providers: 2310A repeats first.
	if n := len(c.OtherProviders); n > 1 {
		ps := make([]*Provider, 0, n)
		for _, p := range c.OtherProviders {
			if claimReferringEntity(p.Entity) {
				ps = append(ps, p)
			}
		}
		for _, p := range c.OtherProviders {
			if !claimReferringEntity(p.Entity) {
				ps = append(ps, p)
			}
		}
		c.OtherProviders = ps
	}
	if len(d.cerrs) > 0 {
		for _, e := range d.cerrs {
			d.push(e)
		}
	} else {
		d.queue = append(d.queue, claimItem{c: c})
	}
	d.dropState()
}

func claimReferringEntity(e string) bool { return e == "DN" || e == "P3" }

func (d *ClaimReader) closeLine() {
	if l := d.line; l != nil && l.Segment == 0 {
		d.cerrs = append(d.cerrs, &Error{Segment: d.lxSeg, Offset: d.lxOff, ID: "LX", Err: ErrMissing,
			Detail: "service line has no SV1 segment"})
	}
	d.line, d.lsub, d.lprov, d.ladj = nil, 0, nil, nil
}

// body handles a segment inside an 837 transaction set.
func (d *ClaimReader) body(s *Segment, f *fieldReader) {
	switch s.ID() {
	case "HL":
		d.hl(s)
		return
	}
	if d.level == claimSkipLevel {
		return
	}
	if s.ID() == "CLM" {
		d.clm(s, f)
		return
	}
	if d.claim != nil {
		d.inClaim(s, f)
		return
	}
	if d.level == 0 {
		d.inHeader(s, f)
		return
	}
	d.inHierarchy(s, f)
}

// inHeader handles the segments before the first HL: BHT, 1000A, 1000B.
func (d *ClaimReader) inHeader(s *Segment, f *fieldReader) {
	b := d.batch
	switch s.ID() {
	case "BHT":
		if d.hdrSeen&hdrBHT != 0 {
			d.push(errAt(s, 0, ErrUnexpected, "BHT occurs once, after ST; ignored"))
			return
		}
		d.hdrSeen |= hdrBHT
		b.Purpose, b.Reference = d.val.trim(s.Element(2)), d.val.trim(s.Element(3))
		b.Date = f.date(4)
		b.Time, b.ClaimType = d.val.trim(s.Element(5)), d.val.trim(s.Element(6))
	case "NM1":
		switch d.val.claimCode(s.Element(1)) {
		case "41":
			if d.hdrSeen&hdr41 != 0 {
				d.push(errAt(s, 0, ErrUnexpected, "loop 1000A (NM1*41) occurs once; ignored"))
				d.hdr = ""
				return
			}
			d.hdrSeen |= hdr41
			b.Submitter, d.hdr = d.val.claimName(s), "41"
		case "40":
			if d.hdrSeen&hdr40 != 0 {
				d.push(errAt(s, 0, ErrUnexpected, "loop 1000B (NM1*40) occurs once; ignored"))
				d.hdr = ""
				return
			}
			d.hdrSeen |= hdr40
			b.Receiver, d.hdr = d.val.claimName(s), "40"
		default:
			d.hdr = ""
		}
	case "PER":
		if d.hdr == "41" {
			b.SubmitterContacts = append(b.SubmitterContacts, d.val.claimContact(s))
		}
	case "REF":
		if d.val.claimCode(s.Element(1)) == "87" && !d.hasST03 {
			if v := d.val.trim(s.Element(2)); v != "" {
				b.Implementation = v
			}
		}
	case "LX", "SV1":
		d.push(errAt(s, 0, ErrUnexpected, s.ID()+" before any CLM; ignored"))
	}
}

// hl opens a level of the hierarchy.
func (d *ClaimReader) hl(s *Segment) {
	d.finishClaim()
	if d.level == 0 && d.hdrSeen != hdrBHT|hdr41|hdr40 {
		for _, m := range []struct {
			bit  uint8
			what string
		}{{hdrBHT, "BHT"}, {hdr41, "submitter loop 1000A (NM1*41)"}, {hdr40, "receiver loop 1000B (NM1*40)"}} {
			if d.hdrSeen&m.bit == 0 {
				d.push(&Error{Segment: d.batch.Segment, Offset: d.batch.Offset, ID: "ST", Err: ErrMissing,
					Detail: "transaction set has no " + m.what})
			}
		}
		d.hdrSeen = hdrBHT | hdr41 | hdr40
	}
	id, parent := d.val.trim(s.Element(1)), d.val.trim(s.Element(2))
	d.hent, d.hprov = "", nil
	if parent != "" && slices.Contains(d.skipped, parent) {
		d.skipHL(id) // under a level already reported and skipped
		return
	}
	switch d.val.claimCode(s.Element(3)) {
	case "20":
		d.billing = d.billings.zero()
		d.billing.Name.Entity = "85"
		d.billingHL, d.level = id, 20
		d.sub, d.subHL, d.payer, d.patient = nil, "", nil, nil
	case "22":
		if d.billing == nil {
			d.abandon(s, "subscriber HL (HL03 = 22) before any billing provider HL (HL03 = 20)")
			return
		}
		if parent != d.billingHL {
			d.warn(s, 2, "HL02 does not name the billing provider's HL; read under the last billing provider")
		}
		d.sub, d.subHL, d.level = d.subscribers.zero(), id, 22
		d.payer, d.patient, d.subSBR = nil, nil, false
	case "23":
		if d.sub == nil {
			d.abandon(s, "patient HL (HL03 = 23) before any subscriber HL (HL03 = 22)")
			return
		}
		if parent != d.subHL {
			d.warn(s, 2, "HL02 does not name the subscriber's HL; read under the last subscriber")
		}
		d.patient, d.level = &Patient{}, 23
	default:
		d.push(errAt(s, 3, ErrInvalid, "expected hierarchical level code 20, 22 or 23; the level and the levels under it are skipped"))
		d.skipHL(id)
	}
}

func (d *ClaimReader) skipHL(id string) {
	d.level = claimSkipLevel
	if id != "" && len(d.skipped) < 64 && !slices.Contains(d.skipped, id) {
		d.skipped = append(d.skipped, id)
	}
}

// inHierarchy handles the segments of loops 2000A, 2000B, 2000C.
func (d *ClaimReader) inHierarchy(s *Segment, f *fieldReader) {
	switch s.ID() {
	case "NM1":
		ent := d.val.claimCode(s.Element(1))
		d.hent, d.hprov = "", nil
		switch {
		case d.level == 20 && ent == "85":
			p := &d.billing.Provider
			p.Name = d.val.claimName(s)
			p.NPI = claimNPI(&p.Name)
			d.hent, d.hprov = ent, p
		case d.level == 20 && (ent == "87" || ent == "PE"):
			p := d.claimProvider(s)
			if ent == "87" {
				d.billing.PayTo = p
			} else {
				d.billing.PayToPlan = p
			}
			d.hent, d.hprov = ent, p
		case d.level == 22 && ent == "IL":
			d.val.claimInsuredName(&d.sub.Insured, s)
			d.hent = ent
		case d.level == 22 && ent == "PR":
			d.payer = d.claimPayer(s)
			d.hent = ent
		case d.level == 23 && ent == "QC":
			p := d.patient
			p.LastName, p.FirstName, p.MiddleName = d.val.trim(s.Element(3)), d.val.trim(s.Element(4)), d.val.trim(s.Element(5))
			p.Suffix = d.val.trim(s.Element(7))
			d.hent = ent
		}
	case "N3", "N4":
		if a := d.hierAddress(); a != nil {
			d.claimAddress(a, s)
		}
	case "REF":
		switch d.hent {
		case "85", "87", "PE":
			d.val.claimProviderRef(d.hprov, s)
		case "IL":
			d.sub.Refs = append(d.sub.Refs, d.val.claimRef(s))
		case "PR":
			d.payer.Refs = append(d.payer.Refs, d.val.claimRef(s))
		case "QC":
			d.patient.Refs = append(d.patient.Refs, d.val.claimRef(s))
		}
	case "PER":
		if d.hprov != nil {
			d.hprov.Contacts = append(d.hprov.Contacts, d.val.claimContact(s))
		}
	case "PRV":
		if d.level == 20 {
			d.billing.Taxonomy = d.val.trim(s.Element(3))
		}
	case "SBR":
		if d.level == 22 {
			if d.subSBR {
				d.push(errAt(s, 0, ErrUnexpected, "SBR occurs once in loop 2000B; ignored"))
				return
			}
			d.sub.Coverage, d.subSBR = d.val.claimCoverage(s), true
		}
	case "PAT":
		if d.level == 23 {
			d.patient.Relationship = d.val.trim(s.Element(1))
		}
	case "DMG":
		switch d.hent {
		case "IL":
			d.sub.BirthDate, d.sub.Gender = f.date(2), d.val.trim(s.Element(3))
		case "QC":
			d.patient.BirthDate, d.patient.Gender = f.date(2), d.val.trim(s.Element(3))
		}
	case "LX", "SV1":
		d.push(errAt(s, 0, ErrUnexpected, s.ID()+" before any CLM; ignored"))
	}
}

func (d *ClaimReader) hierAddress() **Address {
	switch d.hent {
	case "85", "87", "PE":
		return &d.hprov.Address
	case "IL":
		return &d.sub.Address
	case "PR":
		return &d.payer.Address
	case "QC":
		return &d.patient.Address
	}
	return nil
}

// clm opens a claim (loop 2300).
func (d *ClaimReader) clm(s *Segment, f *fieldReader) {
	d.finishClaim()
	switch {
	case d.billing == nil:
		d.abandon(s, "CLM before any billing provider HL (HL03 = 20)")
		return
	case d.sub == nil:
		d.abandon(s, "CLM before any subscriber HL (HL03 = 22) under its billing provider")
		return
	}
	if !d.subSBR {
		d.push(errAt(s, 0, ErrMissing, "the subscriber loop 2000B of this claim has no SBR"))
		d.subSBR = true // once per subscriber
	}
	c := d.claims.zero()
	c.Segment, c.Offset, c.Batch, c.BillingProvider = s.Index, s.Offset, d.batch, d.billing
	d.claimHI = false
	c.Subscriber, c.Payer = d.sub, d.payer
	if d.level == 23 {
		c.Patient = d.patient
	}
	d.claim = c
	c.PatientControlNumber = d.val.trim(s.Element(1))
	if c.PatientControlNumber == "" {
		f.fail(1, ErrMissing, "expected CLM01 patient control number")
	}
	c.TotalCharge = f.amount(2, true)
	c.PlaceOfService = d.val.claimComp(s, 5, 1)
	c.FacilityCodeQualifier = d.val.claimComp(s, 5, 2)
	c.FrequencyCode = d.val.claimComp(s, 5, 3)
	c.ProviderSignature, c.Assignment = d.val.trim(s.Element(6)), d.val.trim(s.Element(7))
	c.BenefitsAssignment, c.ReleaseOfInformation = d.val.trim(s.Element(8)), d.val.trim(s.Element(9))
	c.PatientSignatureSource = d.val.trim(s.Element(10))
	for j := 1; j <= 3; j++ {
		if v := d.val.claimComp(s, 11, j); v != "" {
			c.RelatedCauses = append(c.RelatedCauses, v)
		}
	}
	c.AccidentState, c.AccidentCountry = d.val.claimComp(s, 11, 4), d.val.claimComp(s, 11, 5)
	c.SpecialProgram, c.DelayReason = d.val.trim(s.Element(12)), d.val.trim(s.Element(20))
}

// inClaim hands a segment to the innermost open loop of the claim that takes it.
func (d *ClaimReader) inClaim(s *Segment, f *fieldReader) {
	switch s.ID() {
	case "DTP", "REF", "AMT", "NTE", "HI", "NM1", "SBR", "LX", "SV1", "PRV", "N3", "N4", "PER",
		"CAS", "OI", "MOA", "SVD", "LIN", "CTP", "DMG", "PAT":
	default:
		return // not modelled
	}
	if d.line != nil {
		if d.lsub != claimLineNone && d.lineSub(s, f) {
			return
		}
		if d.lineLevel(s, f) {
			return
		}
	}
	if d.cprov != nil && d.claimProviderSeg(d.cprov, s) {
		return
	}
	if d.other != nil && d.otherSeg(s, f) {
		return
	}
	d.claimLevel(s, f)
}

// lineSub handles the segments of loops 2410, 2420 and 2430.
func (d *ClaimReader) lineSub(s *Segment, f *fieldReader) bool {
	switch d.lsub {
	case claimLineDrug:
		dr := d.line.Drug
		switch s.ID() {
		case "CTP":
			dr.Quantity = f.quantity(4)
			dr.Unit = d.val.claimComp(s, 5, 1)
			return true
		case "REF":
			dr.Refs = append(dr.Refs, d.val.claimRef(s))
			return true
		}
	case claimLineProvider:
		return d.claimProviderSeg(d.lprov, s)
	case claimLineAdjudication:
		a := d.ladj
		switch s.ID() {
		case "CAS":
			a.Adjustments = append(a.Adjustments, d.val.claimCAS(s, f)...)
			return true
		case "DTP":
			if d.val.claimCode(s.Element(1)) == "573" {
				a.AdjudicationDate = d.val.claimDTP(s, f).From
				return true
			}
		case "AMT":
			if d.val.claimCode(s.Element(1)) == "EAF" {
				v := f.amount(2, true)
				a.RemainingPatientLiability = &v
				return true
			}
		}
	}
	return false
}

// lineLevel handles the segments of loop 2400.
func (d *ClaimReader) lineLevel(s *Segment, f *fieldReader) bool {
	l := d.line
	switch s.ID() {
	case "SV1":
		if l.Segment != 0 {
			d.warn(s, 0, "SV1 without its own LX; read as the next service line")
			d.closeLine()
			d.newLine(s, len(d.claim.Lines)+1)
			l = d.line
		}
		d.sv1(l, s, f)
	case "DTP":
		dt := d.val.claimDTP(s, f)
		l.Dates = d.dates.add(l.Dates, dt)
		if dt.Qualifier == "472" && l.ServiceFrom == "" {
			l.ServiceFrom, l.ServiceTo = dt.From, dt.To
		}
	case "REF":
		r := d.val.claimRef(s)
		switch {
		case r.Qualifier == "6R" && l.LineControlNumber == "" && r.Value != "":
			l.LineControlNumber = r.Value
		case r.Qualifier == "G1" && l.PriorAuthorization == "" && r.Value != "":
			l.PriorAuthorization = r.Value
		default:
			l.Refs = append(l.Refs, r)
		}
	case "AMT":
		l.Amounts = append(l.Amounts, Amount{Qualifier: d.val.claimCode(s.Element(1)), Amount: f.amount(2, true)})
	case "NTE":
		l.Notes = append(l.Notes, d.val.claimNote(s))
	case "LIN":
		l.Drug = &Drug{Qualifier: d.val.claimCode(s.Element(2)), Code: d.val.trim(s.Element(3))}
		d.lsub = claimLineDrug
		return true
	case "NM1":
		if !claimProviderEntity(d.val.claimCode(s.Element(1))) {
			return false
		}
		p := d.claimProvider(s)
		if p.Entity == "82" && l.Rendering == nil {
			l.Rendering = p
		} else {
			l.OtherProviders = append(l.OtherProviders, p)
		}
		d.lsub, d.lprov = claimLineProvider, p
		return true
	case "SVD":
		a := &LineAdjudication{PayerID: d.val.trim(s.Element(1)), Paid: f.amount(2, true),
			Procedure: d.procedure(s, 3, f, false), PaidUnits: f.quantity(5), BundledLine: d.val.trim(s.Element(6))}
		l.Adjudications = append(l.Adjudications, a)
		d.lsub, d.ladj = claimLineAdjudication, a
		return true
	default:
		return false
	}
	d.lsub, d.lprov, d.ladj = claimLineNone, nil, nil
	return true
}

func (d *ClaimReader) newLine(s *Segment, n int) {
	l := d.lines.zero()
	l.Number = n
	d.claim.Lines = d.linePtrs.add(d.claim.Lines, l)
	d.line, d.lxSeg, d.lxOff = l, s.Index, s.Offset
	d.lsub, d.lprov, d.ladj = claimLineNone, nil, nil
	d.cprov, d.other, d.oprov = nil, nil, nil
}

func (d *ClaimReader) sv1(l *ServiceLine, s *Segment, f *fieldReader) {
	l.Segment, l.Offset = s.Index, s.Offset
	l.Procedure = d.procedure(s, 1, f, true)
	l.Charge = f.amount(2, true)
	l.UnitBasis = d.val.trim(s.Element(3))
	l.Units = f.quantity(4)
	l.PlaceOfService = d.val.trim(s.Element(5))
	l.DiagnosisPointers = claimPointers(s, 7, f, d.altComp)
	l.Emergency, l.EPSDT, l.FamilyPlanning = d.val.trim(s.Element(9)), d.val.trim(s.Element(11)), d.val.trim(s.Element(12))
}

// otherSeg handles the segments of loops 2320 and 2330.
func (d *ClaimReader) otherSeg(s *Segment, f *fieldReader) bool {
	o := d.other
	switch d.osub {
	case claimOtherInsured:
		switch s.ID() {
		case "N3", "N4":
			d.claimAddress(&o.Insured.Address, s)
			return true
		case "REF":
			o.Insured.Refs = append(o.Insured.Refs, d.val.claimRef(s))
			return true
		}
	case claimOtherPayer:
		switch s.ID() {
		case "N3", "N4":
			d.claimAddress(&o.Payer.Address, s)
			return true
		case "REF":
			o.Payer.Refs = append(o.Payer.Refs, d.val.claimRef(s))
			return true
		case "DTP":
			if d.val.claimCode(s.Element(1)) == "573" {
				o.AdjudicationDate = d.val.claimDTP(s, f).From
				return true
			}
		}
	case claimOtherProvider:
		if d.claimProviderSeg(d.oprov, s) {
			return true
		}
	}
	switch s.ID() {
	case "CAS":
		o.Adjustments = append(o.Adjustments, d.val.claimCAS(s, f)...)
	case "AMT":
		var dst **money.Amount
		switch d.val.claimCode(s.Element(1)) {
		case "D":
			dst = &o.PayerPaid
		case "A8":
			dst = &o.NonCovered
		case "EAF":
			dst = &o.RemainingPatientLiability
		default:
			d.push(errAt(s, 1, ErrUnexpected, "AMT qualifier not used in loop 2320 (D, A8 or EAF); ignored"))
			return true
		}
		v := f.amount(2, true)
		if *dst == nil {
			*dst = &v
		}
	case "OI":
		o.BenefitsAssignment, o.PatientSignatureSource = d.val.trim(s.Element(3)), d.val.trim(s.Element(4))
		o.ReleaseOfInformation = d.val.trim(s.Element(6))
	case "MOA":
		if o.Outpatient != nil {
			d.push(errAt(s, 0, ErrUnexpected, "MOA occurs once in loop 2320; ignored"))
			return true
		}
		m := &Outpatient{ReimbursementRate: f.optDecimal(1), HCPCSPayable: f.optAmount(2),
			ESRDPayment: f.optAmount(8), NonpayableProfessional: f.optAmount(9)}
		for i := 3; i <= 7; i++ {
			if s.Has(i) {
				m.Remarks = append(m.Remarks, d.val.trim(s.Element(i)))
			}
		}
		o.Outpatient = m
	case "NM1":
		switch ent := d.val.claimCode(s.Element(1)); {
		case ent == "IL":
			o.Insured = &Insured{}
			d.val.claimInsuredName(o.Insured, s)
			d.osub = claimOtherInsured
		case ent == "PR":
			o.Payer = d.claimPayer(s)
			d.osub = claimOtherPayer
		case claimProviderEntity(ent):
			p := d.claimProvider(s)
			o.Providers = append(o.Providers, p)
			d.osub, d.oprov = claimOtherProvider, p
		default:
			return false
		}
		return true
	case "SBR", "LX", "SV1":
		return false // the next 2320, or the service lines
	default:
		// Misplaced here: reported and skipped, the loop stays open for
		// the OI and 2330 loops that may follow.
		d.push(errAt(s, 0, ErrUnexpected, s.ID()+" does not belong in loop 2320/2330; ignored"))
		return true
	}
	d.osub, d.oprov = claimOtherBody, nil
	return true
}

// claimLevel handles the segments of loop 2300 itself.
func (d *ClaimReader) claimLevel(s *Segment, f *fieldReader) {
	c := d.claim
	switch s.ID() {
	case "DTP":
		dt := d.val.claimDTP(s, f)
		c.Dates = d.dates.add(c.Dates, dt)
		var named *Date
		switch dt.Qualifier {
		case "431":
			named = &c.OnsetDate
		case "454":
			named = &c.InitialTreatmentDate
		case "304":
			named = &c.LastSeenDate
		case "439":
			named = &c.AccidentDate
		case "435":
			named = &c.AdmissionDate
		case "096":
			named = &c.DischargeDate
		}
		if named != nil && *named == "" {
			*named = dt.From
		}
	case "REF":
		r := d.val.claimRef(s)
		var named *string
		switch r.Qualifier {
		case "G1":
			named = &c.PriorAuthorization
		case "9F":
			named = &c.Referral
		case "F8":
			named = &c.PayerClaimControlNumber
		case "D9":
			named = &c.ClearinghouseClaimID
		}
		if named != nil && *named == "" && r.Value != "" {
			*named = r.Value
		} else {
			c.Refs = append(c.Refs, r)
		}
	case "AMT":
		if d.val.claimCode(s.Element(1)) == "F5" && c.PatientPaid == nil {
			v := f.amount(2, true)
			c.PatientPaid = &v
		}
	case "NTE":
		c.Notes = append(c.Notes, d.val.claimNote(s))
	case "HI":
		d.claimHI = true
		d.hi(s, f)
	case "NM1":
		ent := d.val.claimCode(s.Element(1))
		if !claimProviderEntity(ent) {
			d.push(errAt(s, 1, ErrUnexpected, "NM1 of this entity outside loops 2320/2330; ignored"))
			return
		}
		p := d.claimProvider(s)
		switch {
		case ent == "DN" && c.Referring == nil:
			c.Referring = p
		case ent == "82" && c.Rendering == nil:
			c.Rendering = p
		case ent == "77" && c.ServiceFacility == nil:
			c.ServiceFacility = p
		default:
			c.OtherProviders = append(c.OtherProviders, p)
		}
		d.cprov, d.other, d.oprov = p, nil, nil
		return
	case "SBR":
		d.closeLine()
		o := &OtherSubscriber{Coverage: d.val.claimCoverage(s)}
		c.OtherSubscribers = append(c.OtherSubscribers, o)
		d.cprov, d.other, d.osub, d.oprov = nil, o, claimOtherBody, nil
		return
	case "LX":
		d.closeLine()
		n := len(c.Lines) + 1
		if v := bytes.TrimSpace(s.Element(1)); len(v) == 0 {
			d.warn(s, 1, "LX01 empty; the line is numbered by its position")
		} else if x, ok := atoi(v); ok && x > 0 {
			n = x
		} else {
			f.fail(1, ErrInvalid, "expected a line number from 1")
		}
		d.newLine(s, n)
		return
	case "SV1":
		d.warn(s, 0, "SV1 without LX; read as the next service line")
		d.closeLine()
		d.newLine(s, len(c.Lines)+1)
		d.sv1(d.line, s, f)
		return
	case "PER":
		// 2300 has no contact; nothing to keep.
	default: // PRV, N3, N4, CAS, OI, SVD, LIN, CTP, DMG, PAT
		d.push(errAt(s, 0, ErrUnexpected, s.ID()+" outside the loop it belongs to; ignored"))
		return
	}
	d.cprov, d.other, d.oprov = nil, nil, nil
}

// hi reads the diagnosis composites of an HI segment.
func (d *ClaimReader) hi(s *Segment, f *fieldReader) {
	sep := s.delim.Component
	n := s.Len()
	for i := 1; i <= n && len(f.errs) < maxClaimErrors; i++ {
		e := bytes.TrimSpace(s.Element(i))
		if len(e) == 0 {
			continue
		}
		if bytes.IndexByte(e, sep) < 0 {
			// A composite written with another separator than ISA16's
			// ("BK>496" under ISA16 ":"), as in some transcribed examples.
			if k := bytes.IndexFunc(e, func(r rune) bool { return r > 127 || !isAlnum(byte(r)) }); k >= 2 && k <= 3 &&
				claimDiagnosisQualifier(e[:k]) && !isSpace(e[k]) && e[k] != '.' && e[k] != '-' {
				sep, d.altComp = e[k], e[k]
				d.warn(s, i, "composite uses a component separator other than the one ISA16 declares")
			}
		}
		if bytes.IndexByte(e, sep) < 0 {
			next := bytes.TrimSpace(s.Element(i + 1))
			if claimDiagnosisQualifier(e) && len(next) > 0 && bytes.IndexByte(next, sep) < 0 {
				d.warn(s, i, "HI qualifier and code in separate elements; read as one composite")
				d.claim.Diagnoses = d.diagnoses.add(d.claim.Diagnoses, Diagnosis{Qualifier: d.val.claimCode(e), Code: d.val.code(next)})
				i++
				continue
			}
			f.fail(i, ErrInvalid, "expected a composite of diagnosis qualifier and code")
			continue
		}
		q, code := bytes.TrimSpace(nthField(e, sep, 1)), bytes.TrimSpace(nthField(e, sep, 2))
		switch {
		case len(q) == 0:
			f.errs = append(f.errs, &Error{Segment: s.Index, Offset: s.Offset, ID: s.ID(), Element: i, Component: 1,
				Err: ErrMissing, Detail: "expected a diagnosis code list qualifier"})
		case len(code) == 0:
			f.errs = append(f.errs, &Error{Segment: s.Index, Offset: s.Offset, ID: s.ID(), Element: i, Component: 2,
				Err: ErrMissing, Detail: "expected a diagnosis code"})
		default:
			d.claim.Diagnoses = d.diagnoses.add(d.claim.Diagnoses, Diagnosis{Qualifier: d.val.claimCode(q), Code: d.val.code(code)})
		}
	}
}

func claimDiagnosisQualifier(q []byte) bool {
	switch string(q) {
	case "ABK", "ABF", "BK", "BF", "ABJ", "BJ", "ABN", "BN", "APR", "PR", "BP", "BO", "BG":
		return true
	}
	return false
}

// procedure reads a composite medical procedure identifier (SV101, SVD03),
// tolerating a composite written with another separator than ISA16's.
func (d *ClaimReader) procedure(s *Segment, i int, f *fieldReader, required bool) Procedure {
	e := bytes.TrimSpace(s.Element(i))
	sep := s.delim.Component
	if bytes.IndexByte(e, sep) < 0 && len(e) >= 4 && isAlnum(e[0]) && isAlnum(e[1]) && !isAlnum(e[2]) &&
		!isSpace(e[2]) && e[2] != '-' && e[2] != '.' && e[2] != '/' {
		sep, d.altComp = e[2], e[2]
		d.warn(s, i, "composite uses a component separator other than the one ISA16 declares")
	}
	var p Procedure
	for j := 1; j <= 7; j++ {
		v := nthField(e, sep, j)
		if v == nil {
			break
		}
		v = bytes.TrimSpace(v)
		switch j {
		case 1:
			p.Qualifier = d.val.claimCode(v)
		case 2:
			p.Code = d.val.code(v)
		case 7:
			p.Description = d.val.str(v)
		default:
			if len(v) > 0 {
				p.Modifiers = d.strs.add(p.Modifiers, d.val.claimCode(v))
			}
		}
	}
	if required && (p.Qualifier == "" || p.Code == "") {
		comp := 1
		if p.Qualifier != "" {
			comp = 2
		}
		f.errs = append(f.errs, &Error{Segment: s.Index, Offset: s.Offset, ID: s.ID(), Element: i, Component: comp,
			Err: ErrMissing, Detail: "expected a composite of procedure qualifier and code"})
	}
	return p
}

// claimPointers reads SV107: 1 to 4 diagnosis pointers.
func claimPointers(s *Segment, i int, f *fieldReader, alt byte) []int {
	e := s.Element(i)
	if len(bytes.TrimSpace(e)) == 0 {
		return nil
	}
	var out []int
	sep := s.delim.Component
	if alt != 0 && bytes.IndexByte(e, sep) < 0 && bytes.IndexByte(e, alt) >= 0 {
		sep = alt // the separator the file's other composites use
	}
	for j := 1; e != nil && len(f.errs) < maxClaimErrors; j++ {
		v := e
		if k := bytes.IndexByte(e, sep); k >= 0 {
			v, e = e[:k], e[k+1:]
		} else {
			e = nil
		}
		v = bytes.TrimSpace(v)
		if len(v) == 0 {
			continue
		}
		n, ok := atoi(v)
		if !ok || n < 1 || n > 12 {
			f.errs = append(f.errs, &Error{Segment: s.Index, Offset: s.Offset, ID: s.ID(), Element: i, Component: j,
				Err: ErrInvalid, Detail: "expected a diagnosis pointer from 1 to 12"})
			continue
		}
		out = append(out, n)
	}
	return out
}

// claimCAS reads the six group/reason/amount/quantity triplets of a CAS segment.
func (v *values) claimCAS(s *Segment, f *fieldReader) []Adjustment {
	group := v.trim(s.Element(1))
	if group == "" {
		f.fail(1, ErrMissing, "expected a claim adjustment group code")
	}
	var out []Adjustment
	for k := 0; k < 6; k++ {
		ri, ai, qi := 2+3*k, 3+3*k, 4+3*k
		reason := bytes.TrimSpace(s.Element(ri))
		if len(reason) == 0 && len(bytes.TrimSpace(s.Element(ai))) == 0 {
			continue
		}
		if len(reason) == 0 {
			f.fail(ri, ErrMissing, "expected a claim adjustment reason code")
		}
		a := Adjustment{Group: group, Reason: v.claimCode(reason), Amount: f.amount(ai, true),
			Segment: s.Index, Position: k + 1}
		if len(bytes.TrimSpace(s.Element(qi))) > 0 {
			q := f.quantity(qi)
			a.Quantity = &q
		}
		out = append(out, a)
	}
	if len(out) == 0 {
		f.fail(2, ErrMissing, "expected at least one adjustment reason and amount")
	}
	return out
}

// claimDTP reads a DTP segment: D8 date, RD8 range or DT date-time.
func (vs *values) claimDTP(s *Segment, f *fieldReader) ClaimDate {
	dt := ClaimDate{Qualifier: vs.claimCode(s.Element(1))}
	v := bytes.TrimSpace(s.Element(3))
	if len(v) == 0 {
		f.fail(3, ErrMissing, "expected a date")
		return dt
	}
	if len(v) >= 12 && string(bytes.TrimSpace(s.Element(2))) == "DT" {
		v = v[:8]
	}
	if j := bytes.IndexByte(v, '-'); j > 0 {
		a, ok1 := f.parseDate(v[:j])
		b, ok2 := f.parseDate(v[j+1:])
		if !ok1 || !ok2 || b < a {
			f.fail(3, ErrInvalid, "expected a date range CCYYMMDD-CCYYMMDD")
			return dt
		}
		dt.From, dt.To = a, b
		return dt
	}
	a, ok := f.parseDate(v)
	if !ok {
		f.fail(3, ErrInvalid, "expected a date CCYYMMDD")
		return dt
	}
	dt.From, dt.To = a, a
	return dt
}

// claimProviderEntity reports whether an NM1 entity code names a provider
// loop in a claim (not the subscriber, patient, payer, submitter or receiver).
func claimProviderEntity(e string) bool {
	switch e {
	case "IL", "QC", "PR", "41", "40", "":
		return false
	}
	return true
}

// claimProviderSeg adds a PRV, N3, N4, REF or PER segment to provider p.
func (d *ClaimReader) claimProviderSeg(p *Provider, s *Segment) bool {
	switch s.ID() {
	case "PRV":
		p.Taxonomy = d.val.trim(s.Element(3))
	case "N3", "N4":
		d.claimAddress(&p.Address, s)
	case "REF":
		d.val.claimProviderRef(p, s)
	case "PER":
		p.Contacts = append(p.Contacts, d.val.claimContact(s))
	default:
		return false
	}
	return true
}

func (v *values) claimProviderRef(p *Provider, s *Segment) {
	r := v.claimRef(s)
	switch {
	case r.Qualifier == "EI" && p.TIN == "" && r.Value != "":
		p.TIN = r.Value
	case r.Qualifier == "SY" && p.SSN == "" && r.Value != "":
		p.SSN = r.Value
	default:
		p.Refs = append(p.Refs, r)
	}
}

func (v *values) claimName(s *Segment) Name {
	return Name{Entity: v.claimCode(s.Element(1)), Type: v.claimCode(s.Element(2)), Last: v.trim(s.Element(3)),
		First: v.trim(s.Element(4)), Middle: v.trim(s.Element(5)), Suffix: v.trim(s.Element(7)),
		IDQualifier: v.claimCode(s.Element(8)), ID: v.trim(s.Element(9))}
}

func claimNPI(n *Name) string {
	if n.IDQualifier == "XX" {
		return n.ID
	}
	return ""
}

func (d *ClaimReader) claimProvider(s *Segment) *Provider {
	p := d.providers.zero()
	p.Name = d.val.claimName(s)
	p.NPI = claimNPI(&p.Name)
	return p
}

func (v *values) claimInsuredName(in *Insured, s *Segment) {
	in.EntityType = v.claimCode(s.Element(2))
	in.LastName, in.FirstName, in.MiddleName = v.trim(s.Element(3)), v.trim(s.Element(4)), v.trim(s.Element(5))
	in.Suffix = v.trim(s.Element(7))
	in.MemberIDQualifier, in.MemberID = v.claimCode(s.Element(8)), v.trim(s.Element(9))
}

func (d *ClaimReader) claimPayer(s *Segment) *Payer {
	p := d.payers.zero()
	p.Name, p.IDQualifier, p.PayerID = d.val.trim(s.Element(3)), d.val.claimCode(s.Element(8)), d.val.trim(s.Element(9))
	return p
}

func (v *values) claimCoverage(s *Segment) Coverage {
	return Coverage{Responsibility: v.claimCode(s.Element(1)), Relationship: v.claimCode(s.Element(2)),
		GroupNumber: v.trim(s.Element(3)), GroupName: v.trim(s.Element(4)),
		InsuranceType: v.claimCode(s.Element(5)), FilingIndicator: v.claimCode(s.Element(9))}
}

// claimAddress applies an N3 or N4 segment to *a, creating the address.
func (d *ClaimReader) claimAddress(a **Address, s *Segment) {
	if *a == nil {
		*a = d.addresses.zero()
	}
	ad := *a
	if s.ID() == "N3" {
		ad.Lines = append(ad.Lines[:0], d.val.trim(s.Element(1)))
		if l2 := d.val.trim(s.Element(2)); l2 != "" {
			ad.Lines = append(ad.Lines, l2)
		}
		return
	}
	ad.City, ad.State = d.val.trim(s.Element(1)), d.val.trim(s.Element(2))
	ad.PostalCode, ad.Country = d.val.trim(s.Element(3)), d.val.trim(s.Element(4))
}

func (v *values) claimRef(s *Segment) Ref {
	return Ref{Qualifier: v.claimCode(s.Element(1)), Value: v.trim(s.Element(2))}
}

func (v *values) claimNote(s *Segment) Note {
	return Note{Code: v.claimCode(s.Element(1)), Text: v.trim(s.Element(2))}
}

func (v *values) claimContact(s *Segment) Contact {
	c := Contact{Function: v.claimCode(s.Element(1)), Name: v.trim(s.Element(2))}
	for i := 3; i <= 7; i += 2 {
		q := v.claimCode(s.Element(i))
		if q == "" {
			break
		}
		c.Numbers = append(c.Numbers, Ref{Qualifier: q, Value: v.trim(s.Element(i + 1))})
	}
	return c
}

// claimComp returns component j of element i, trimmed, as a string.
func (v *values) claimComp(s *Segment, i, j int) string {
	return v.claimCode(bytes.TrimSpace(s.Component(i, j)))
}

// claimCode returns b without surrounding spaces as a string, interned
// when it is a short code.
func (v *values) claimCode(b []byte) string {
	return v.code(bytes.TrimSpace(b))
}
