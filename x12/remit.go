package x12

import (
	"strings"

	"github.com/remitq/remitq/pkg/money"
)

// The typed 835 (health care claim payment/advice). Field comments give the
// element each value comes from. JSON names are snake_case.

// Remittance is one 835 transaction set (ST…SE): one payment or advice from
// a payer to a payee.
type Remittance struct {
	// Segment and Offset locate the ST segment in the file.
	Segment int   `json:"segment"`
	Offset  int64 `json:"offset"`
	// Control is ST02; Implementation is ST03, else GS08 (e.g. "005010X221A1").
	Control        string `json:"control"`
	Implementation string `json:"implementation,omitempty"`
	// Interchange and group control numbers and parties (ISA13, GS06, ISA06, ISA08).
	ISAControl      string `json:"isa_control,omitempty"`
	GSControl       string `json:"gs_control,omitempty"`
	SenderQualifier string `json:"sender_qualifier,omitempty"` // ISA05
	SenderID        string `json:"sender_id,omitempty"`
	ReceiverID      string `json:"receiver_id,omitempty"`

	Payment        Payment `json:"payment"`                   // BPR
	Trace          Trace   `json:"trace"`                     // TRN
	Currency       string  `json:"currency,omitempty"`        // CUR02
	Refs           []Ref   `json:"refs,omitempty"`            // REF*EV receiver, REF*F2 version
	ProductionDate Date    `json:"production_date,omitempty"` // DTM*405
	Payer          Party   `json:"payer"`                     // loop 1000A
	Payee          Party   `json:"payee"`                     // loop 1000B
	// ExactAmounts are BPR02 and PLB amounts written with more than two
	// decimal places, exactly (see ClaimPayment.ExactAmounts).
	ExactAmounts []ExactAmount `json:"exact_amounts,omitempty"`
	// Adjustments are the provider-level adjustments (PLB), complete once the
	// transaction set has ended.
	Adjustments []ProviderAdjustment `json:"provider_adjustments,omitempty"`
	// Claims is filled by ReadRemittances only; RemitReader streams claims.
	Claims []*ClaimPayment `json:"claims,omitempty"`
	// Totals and balance, complete once the transaction set has ended.
	Totals Totals `json:"totals"`
	// Errors are the problems found in this transaction set.
	Errors []*Error `json:"errors,omitempty"`
}

// Payment is the BPR segment: the money and how it moved.
type Payment struct {
	Handling     string       `json:"handling"`                   // BPR01: C payment+advice, D, H advice only, I remittance, P, U, X
	Amount       money.Amount `json:"amount"`                     // BPR02 total actual provider payment
	CreditDebit  string       `json:"credit_debit,omitempty"`     // BPR03 C or D
	Method       string       `json:"method,omitempty"`           // BPR04 ACH, BOP, CHK, FWT, NON
	Format       string       `json:"format,omitempty"`           // BPR05 CCP, CTX
	SenderDFI    string       `json:"sender_dfi,omitempty"`       // BPR07
	SenderAcct   string       `json:"sender_account,omitempty"`   // BPR09
	OriginatorID string       `json:"originator_id,omitempty"`    // BPR10
	ReceiverDFI  string       `json:"receiver_dfi,omitempty"`     // BPR13
	ReceiverAcct string       `json:"receiver_account,omitempty"` // BPR15
	Date         Date         `json:"date,omitempty"`             // BPR16 check issue or EFT effective date
}

// Trace is the TRN reassociation trace number.
type Trace struct {
	Type       string `json:"type,omitempty"`       // TRN01 (1 = current transaction)
	Number     string `json:"number"`               // TRN02 check or EFT trace number
	Originator string `json:"originator,omitempty"` // TRN03 payer identifier (1 + TIN)
	Reference  string `json:"reference,omitempty"`  // TRN04 originating company supplemental code
}

// Ref is a REF segment: qualifier and value.
type Ref struct {
	Qualifier string `json:"qualifier"`
	Value     string `json:"value"`
}

// Amount is an AMT segment: qualifier (B6 allowed, AU coverage, ...) and amount.
type Amount struct {
	Qualifier string       `json:"qualifier"`
	Amount    money.Amount `json:"amount"`
}

// Qty is a QTY segment: qualifier and quantity.
type Qty struct {
	Qualifier string   `json:"qualifier"`
	Quantity  Quantity `json:"quantity"`
}

// Contact is a PER segment: function and up to three communication numbers.
type Contact struct {
	Function string `json:"function"`          // PER01 CX, BL, IC
	Name     string `json:"name,omitempty"`    // PER02
	Numbers  []Ref  `json:"numbers,omitempty"` // PER03/04, 05/06, 07/08: qualifier TE, EM, UR, FX, EX
}

// Address is N3/N4.
type Address struct {
	Lines      []string `json:"lines,omitempty"`       // N301, N302
	City       string   `json:"city,omitempty"`        // N401
	State      string   `json:"state,omitempty"`       // N402
	PostalCode string   `json:"postal_code,omitempty"` // N403
	Country    string   `json:"country,omitempty"`     // N404
}

// Party is an N1 loop (payer 1000A or payee 1000B).
type Party struct {
	Entity      string    `json:"entity,omitempty"`       // N101 PR payer, PE payee
	Name        string    `json:"name,omitempty"`         // N102
	IDQualifier string    `json:"id_qualifier,omitempty"` // N103 XX NPI, FI TIN, XV CMS plan id
	ID          string    `json:"id,omitempty"`           // N104
	Address     Address   `json:"address"`
	Refs        []Ref     `json:"refs,omitempty"`     // REF*2U payer id, REF*TJ TIN, REF*PQ payee id
	Contacts    []Contact `json:"contacts,omitempty"` // PER
}

// NPI returns the payee's NPI (N104 when N103 is XX), or "".
func (p *Party) NPI() string {
	if p.IDQualifier == "XX" {
		return p.ID
	}
	return ""
}

// TIN returns the tax identification number: N104 when N103 is FI, else REF*TJ.
func (p *Party) TIN() string {
	if p.IDQualifier == "FI" {
		return p.ID
	}
	return refValue(p.Refs, "TJ")
}

// PayerID returns the payer's identifier: REF*2U, else N104.
func (p *Party) PayerID() string {
	if v := refValue(p.Refs, "2U"); v != "" {
		return v
	}
	return p.ID
}

// Adjustment is one CAS reason/amount/quantity triplet.
type Adjustment struct {
	Group    string       `json:"group"`              // CAS01 CO, CR, OA, PI, PR
	Reason   string       `json:"reason"`             // CAS02/05/08/11/14/17 claim adjustment reason code
	Amount   money.Amount `json:"amount"`             // CAS03/06/...; positive reduces payment
	Quantity *Quantity    `json:"quantity,omitempty"` // CAS04/07/... (to the thousandth)
	// QuantityExact is the quantity as sent when it has more than three
	// decimal places (Quantity then holds it rounded).
	QuantityExact Decimal `json:"quantity_exact,omitempty"`
	Segment       int     `json:"segment"`  // the CAS segment's number in the file
	Position      int     `json:"position"` // 1..6: which triplet of the CAS
}

// Name is an NM1 segment in loop 2100.
type Name struct {
	Entity      string `json:"entity"`                 // NM101 QC patient, IL insured, 74 corrected, 82 rendering, TT crossover, PR corrected payer, GB other subscriber
	Type        string `json:"type,omitempty"`         // NM102 1 person, 2 organization
	Last        string `json:"last,omitempty"`         // NM103
	First       string `json:"first,omitempty"`        // NM104
	Middle      string `json:"middle,omitempty"`       // NM105
	Suffix      string `json:"suffix,omitempty"`       // NM107
	IDQualifier string `json:"id_qualifier,omitempty"` // NM108 MI member id, XX NPI, ...
	ID          string `json:"id,omitempty"`           // NM109
}

// Inpatient is the MIA segment (inpatient adjudication).
type Inpatient struct {
	CoveredDays         Quantity      `json:"covered_days"`                        // MIA01
	PPSOperatingOutlier *money.Amount `json:"pps_operating_outlier,omitempty"`     // MIA02
	LifetimePsychDays   *Quantity     `json:"lifetime_psychiatric_days,omitempty"` // MIA03
	DRGAmount           *money.Amount `json:"drg_amount,omitempty"`                // MIA04
	Remarks             []string      `json:"remarks,omitempty"`                   // MIA05, MIA20-MIA23
	Elements            []string      `json:"elements"`                            // MIA01..MIA24 as sent
}

// Outpatient is the MOA segment (outpatient adjudication).
type Outpatient struct {
	ReimbursementRate      *Decimal      `json:"reimbursement_rate,omitempty"`      // MOA01 (R: exact as sent)
	HCPCSPayable           *money.Amount `json:"hcpcs_payable,omitempty"`           // MOA02
	Remarks                []string      `json:"remarks,omitempty"`                 // MOA03-MOA07
	ESRDPayment            *money.Amount `json:"esrd_payment,omitempty"`            // MOA08
	NonpayableProfessional *money.Amount `json:"nonpayable_professional,omitempty"` // MOA09
}

// HeaderNumber is the LX loop (2000) grouping claims, with its TS3/TS2
// provider summary segments kept as sent.
type HeaderNumber struct {
	Number string   `json:"number"`        // LX01
	TS3    []string `json:"ts3,omitempty"` // TS301..
	TS2    []string `json:"ts2,omitempty"` // TS201..
}

// ClaimPayment is one CLP loop (2100) with its service lines (2110).
type ClaimPayment struct {
	Segment int           `json:"segment"` // the CLP segment's number in the file
	Offset  int64         `json:"offset"`
	Header  *HeaderNumber `json:"header,omitempty"`

	PatientControl    string       `json:"patient_control"`              // CLP01 = 837 CLM01
	Status            string       `json:"status"`                       // CLP02: 1 primary, 2 secondary, 3 tertiary, 4 denied, 19-23 (22 reversal)
	Charge            money.Amount `json:"charge"`                       // CLP03
	Paid              money.Amount `json:"paid"`                         // CLP04
	PatientResp       money.Amount `json:"patient_responsibility"`       // CLP05
	FilingIndicator   string       `json:"filing_indicator,omitempty"`   // CLP06 12, 13, MA, MB, MC, ...
	PayerControl      string       `json:"payer_control,omitempty"`      // CLP07 payer claim control number
	FacilityType      string       `json:"facility_type,omitempty"`      // CLP08
	Frequency         string       `json:"frequency,omitempty"`          // CLP09
	DRG               string       `json:"drg,omitempty"`                // CLP11
	DRGWeight         *Decimal     `json:"drg_weight,omitempty"`         // CLP12 (R: exact as sent)
	DischargeFraction *Decimal     `json:"discharge_fraction,omitempty"` // CLP13 (R: exact as sent)

	Adjustments        []Adjustment      `json:"adjustments,omitempty"`         // claim-level CAS
	Names              []Name            `json:"names,omitempty"`               // NM1 QC, IL, 74, 82, TT, PR, GB
	Inpatient          *Inpatient        `json:"inpatient,omitempty"`           // MIA
	Outpatient         *Outpatient       `json:"outpatient,omitempty"`          // MOA
	Refs               []Ref             `json:"refs,omitempty"`                // REF in 2100
	StatementFrom      Date              `json:"statement_from,omitempty"`      // DTM*232
	StatementTo        Date              `json:"statement_to,omitempty"`        // DTM*233
	CoverageExpiration Date              `json:"coverage_expiration,omitempty"` // DTM*036
	ReceivedDate       Date              `json:"received_date,omitempty"`       // DTM*050
	Contacts           []Contact         `json:"contacts,omitempty"`            // PER*CX
	Amounts            []Amount          `json:"amounts,omitempty"`             // AMT (AU, D8, DY, F5, I, NL, T, T2, ZK...)
	Quantities         []Qty             `json:"quantities,omitempty"`          // QTY
	Lines              []*ServicePayment `json:"lines,omitempty"`               // loop 2110

	// ExactAmounts are the claim's amounts (CLP, CAS, SVC, AMT) written with
	// more than two decimal places, exactly; their typed fields hold them
	// rounded to the cent. The balancing checks use them.
	ExactAmounts []ExactAmount `json:"exact_amounts,omitempty"`

	// Imbalances lists the balancing checks this claim and its lines fail.
	Imbalances []Imbalance `json:"imbalances,omitempty"`
	// Errors are the problems found while decoding this claim.
	Errors []*Error `json:"errors,omitempty"`
	// Remittance is the transaction set the claim belongs to.
	Remittance *Remittance `json:"-"`
}

// Name returns the NM1 of the given entity code (QC patient, IL insured,
// 82 rendering provider, ...), or nil.
func (c *ClaimPayment) Name(entity string) *Name {
	for i := range c.Names {
		if c.Names[i].Entity == entity {
			return &c.Names[i]
		}
	}
	return nil
}

// MatchKey returns CLP01 without surrounding spaces: the key to match the
// claim to its 837 CLM01 (which the 837 reader trims). PatientControl
// keeps the value as sent.
func (c *ClaimPayment) MatchKey() string { return MatchKey(c.PatientControl) }

// MatchKey returns an identifier (CLP01, CLM01, REF*6R) without surrounding
// spaces, the form matching compares.
func MatchKey(id string) string { return strings.TrimSpace(id) }

// IsReversal reports a reversal of a previous payment (CLP02 = 22).
func (c *ClaimPayment) IsReversal() bool { return c.Status == "22" }

// Procedure is a composite medical procedure identifier (SVC01, SVC06, SV101).
type Procedure struct {
	Qualifier   string   `json:"qualifier"`             // HC CPT/HCPCS, AD dental, NU revenue, ER, IV, N4, WK, ZZ
	Code        string   `json:"code"`                  // -2
	Modifiers   []string `json:"modifiers,omitempty"`   // -3..-6
	Description string   `json:"description,omitempty"` // -7
}

// ServicePayment is one SVC loop (2110): a paid or denied service line.
type ServicePayment struct {
	Segment int   `json:"segment"` // the SVC segment's number in the file
	Offset  int64 `json:"offset"`
	Number  int   `json:"number"` // 1-based position in the claim

	Procedure     Procedure    `json:"procedure"`                // SVC01
	Charge        money.Amount `json:"charge"`                   // SVC02
	Paid          money.Amount `json:"paid"`                     // SVC03
	RevenueCode   string       `json:"revenue_code,omitempty"`   // SVC04
	Units         *Quantity    `json:"units,omitempty"`          // SVC05 units paid (absent: 1)
	Original      *Procedure   `json:"original,omitempty"`       // SVC06: the code billed when the payer changed it
	OriginalUnits *Quantity    `json:"original_units,omitempty"` // SVC07 units billed

	DateFrom Date `json:"date_from,omitempty"` // DTM*472, else DTM*150
	DateTo   Date `json:"date_to,omitempty"`   // DTM*472, else DTM*151

	Adjustments []Adjustment `json:"adjustments,omitempty"` // CAS
	Refs        []Ref        `json:"refs,omitempty"`        // REF*6R line control, LU, 0K, 1S, APC, HPI, ...
	Amounts     []Amount     `json:"amounts,omitempty"`     // AMT*B6 allowed, KH, T, T2, ZK, ZL, ZM, ZN, ZO
	Quantities  []Qty        `json:"quantities,omitempty"`  // QTY*ZK ...
	Remarks     []Remark     `json:"remarks,omitempty"`     // LQ*HE / LQ*RX
}

// Remark is an LQ remark code.
type Remark struct {
	Qualifier string `json:"qualifier"` // LQ01 HE (RARC) or RX (NCPDP reject)
	Code      string `json:"code"`      // LQ02
}

// LineControl returns the line item control number (REF*6R), or "".
func (s *ServicePayment) LineControl() string { return refValue(s.Refs, "6R") }

// Allowed returns the allowed amount (AMT*B6) when present.
func (s *ServicePayment) Allowed() (money.Amount, bool) {
	for _, a := range s.Amounts {
		if a.Qualifier == "B6" {
			return a.Amount, true
		}
	}
	return 0, false
}

// ProviderAdjustment is one PLB adjustment pair.
type ProviderAdjustment struct {
	Segment      int          `json:"segment"`
	Offset       int64        `json:"offset"`
	Position     int          `json:"position"`            // 1..6: which pair of the PLB
	ProviderID   string       `json:"provider_id"`         // PLB01
	FiscalPeriod Date         `json:"fiscal_period"`       // PLB02
	Reason       string       `json:"reason"`              // PLB03-1 (WO, L6, FB, 72, CV, ...)
	Reference    string       `json:"reference,omitempty"` // PLB03-2 (claim or other reference)
	Amount       money.Amount `json:"amount"`              // PLB04...; positive reduces the payment
}

// Totals sums a transaction set, and says whether it balances.
type Totals struct {
	Claims       int          `json:"claims"`        // CLP segments
	ServiceLines int          `json:"service_lines"` // SVC segments
	Charge       money.Amount `json:"charge"`        // Σ CLP03
	Paid         money.Amount `json:"paid"`          // Σ CLP04
	PLB          money.Amount `json:"plb"`           // Σ PLB amounts
	Balanced     bool         `json:"balanced"`      // every claim, line and the BPR check hold
	// Imbalances are the failed checks of the whole transaction set (the
	// claims' own are on each claim, and counted in UnbalancedClaims).
	Imbalances       []Imbalance `json:"imbalances,omitempty"`
	UnbalancedClaims int         `json:"unbalanced_claims"`
	// UnreadableClaims counts the claims with a CLP03/CLP04 that could not
	// be read: Charge and Paid lack them, and the set does not balance.
	UnreadableClaims int `json:"unreadable_claims,omitempty"`

	paidExact money.Micros // Σ (exact − rounded) of the CLP04 kept exactly
}

// InterchangeKey identifies the interchange a remittance came in (see
// InterchangeID.Key).
func (r *Remittance) InterchangeKey() string {
	return InterchangeID{SenderQualifier: r.SenderQualifier, SenderID: r.SenderID, Control: r.ISAControl}.Key()
}

// RemitRecord is what RemitReader.Next returns: a *Remittance when a
// transaction set's header is complete, a *ClaimPayment for each claim, and
// a *RemittanceEnd when the set closes.
type RemitRecord interface{ remitRecord() }

// RemittanceEnd closes a transaction set: its Remittance now holds the
// provider adjustments and totals.
type RemittanceEnd struct {
	Remittance *Remittance
}

func (*Remittance) remitRecord()    {}
func (*ClaimPayment) remitRecord()  {}
func (*RemittanceEnd) remitRecord() {}

func refValue(refs []Ref, q string) string {
	for _, r := range refs {
		if r.Qualifier == q {
			return r.Value
		}
	}
	return ""
}
