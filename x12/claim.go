package x12

import "github.com/remitq/remitq/pkg/money"

// The typed 837P (health care claim: professional, 005010X222A1; the
// 004010X098A1 files read the same where the structure is the same). Field
// comments give the segment and element each value comes from. JSON names
// are snake_case. Strings are kept as sent, without surrounding spaces.

// ClaimBatch is the header of one 837 transaction set (ST…SE): who sent the
// claims to whom. ClaimReader shares one ClaimBatch among the claims of a
// transaction set; ReadClaims also lists them in Claims.
type ClaimBatch struct {
	// Segment and Offset locate the ST segment in the file.
	Segment int   `json:"segment"`
	Offset  int64 `json:"offset"`
	// Control is ST02, the transaction set control number.
	Control string `json:"control"`
	// Implementation is ST03, else REF*87 (4010), else GS08: "005010X222A1".
	Implementation string `json:"implementation,omitempty"`

	Purpose   string `json:"purpose,omitempty"`    // BHT02: 00 original, 18 reissue
	Reference string `json:"reference,omitempty"`  // BHT03: originator's batch reference
	Date      Date   `json:"date,omitempty"`       // BHT04: creation date
	Time      string `json:"time,omitempty"`       // BHT05: creation time HHMM[SS]
	ClaimType string `json:"claim_type,omitempty"` // BHT06: CH chargeable, RP reporting, 31 subrogation

	Submitter         Name      `json:"submitter"`                    // 1000A NM1*41 (NM109: submitter ID)
	SubmitterContacts []Contact `json:"submitter_contacts,omitempty"` // 1000A PER
	Receiver          Name      `json:"receiver"`                     // 1000B NM1*40 (NM109: receiver ID)

	// Claims is filled by ReadClaims only; ClaimReader streams claims.
	Claims []*Claim `json:"claims,omitempty"`
}

// Provider is a provider loop: an NM1 segment with its PRV, N3/N4, REF and
// PER segments (2010AA billing, 2010AB pay-to, 2310x and 2420x providers,
// 2330C–I other payer providers). Name.Entity says which one: 85 billing,
// 87 pay-to, PE pay-to plan, DN referring, P3 primary care, 82 rendering,
// 77 service facility, DQ supervising, DK ordering, QB purchased service,
// PW pickup, 45 drop-off.
type Provider struct {
	Name               // NM1: entity, type (1 person, 2 organization), names, NM108/NM109
	NPI      string    `json:"npi,omitempty"`      // NM109 when NM108 is XX
	Taxonomy string    `json:"taxonomy,omitempty"` // PRV03 (PRV*BI in 2000A, PRV*PE in 2310B/2420A)
	Address  *Address  `json:"address,omitempty"`  // N3/N4
	TIN      string    `json:"tin,omitempty"`      // REF*EI employer identification number
	SSN      string    `json:"ssn,omitempty"`      // REF*SY social security number
	Refs     []Ref     `json:"refs,omitempty"`     // other REF (G2, LU, 1G, 0B, ...)
	Contacts []Contact `json:"contacts,omitempty"` // PER
}

// BillingProvider is loop 2000A: the billing provider (2010AA NM1*85) with
// its taxonomy (PRV*BI) and the optional pay-to address and pay-to plan.
type BillingProvider struct {
	Provider
	PayTo     *Provider `json:"pay_to,omitempty"`      // 2010AB NM1*87 pay-to provider
	PayToPlan *Provider `json:"pay_to_plan,omitempty"` // 2010AC NM1*PE pay-to plan
}

// Coverage is an SBR segment: the payer responsibility and the plan.
type Coverage struct {
	Responsibility  string `json:"responsibility,omitempty"`   // SBR01: P primary, S secondary, T tertiary, A–H, U
	Relationship    string `json:"relationship,omitempty"`     // SBR02: 18 self (empty when a 2000C patient follows); 2320: 01 spouse, 18, 19 child, 20, 21, 39, 40, 53, G8
	GroupNumber     string `json:"group_number,omitempty"`     // SBR03
	GroupName       string `json:"group_name,omitempty"`       // SBR04
	InsuranceType   string `json:"insurance_type,omitempty"`   // SBR05 (Medicare secondary: 12, 13, 14, ...)
	FilingIndicator string `json:"filing_indicator,omitempty"` // SBR09: CI commercial, MB Medicare B, MC Medicaid, BL, HM, ...
}

// Insured is a subscriber's NM1*IL loop (2010BA, 2330A).
type Insured struct {
	EntityType        string   `json:"entity_type,omitempty"`         // NM102: 1 person, 2 non-person
	LastName          string   `json:"last_name,omitempty"`           // NM103
	FirstName         string   `json:"first_name,omitempty"`          // NM104
	MiddleName        string   `json:"middle_name,omitempty"`         // NM105
	Suffix            string   `json:"suffix,omitempty"`              // NM107
	MemberIDQualifier string   `json:"member_id_qualifier,omitempty"` // NM108: MI member ID, II
	MemberID          string   `json:"member_id,omitempty"`           // NM109
	Address           *Address `json:"address,omitempty"`             // N3/N4
	BirthDate         Date     `json:"birth_date,omitempty"`          // DMG02 (2010BA)
	Gender            string   `json:"gender,omitempty"`              // DMG03: F, M, U
	Refs              []Ref    `json:"refs,omitempty"`                // REF*SY, Y4, ...
}

// Subscriber is loop 2000B with 2010BA: the insured person and the coverage
// the claims are billed to.
type Subscriber struct {
	Coverage // SBR
	Insured  // 2010BA NM1*IL, N3/N4, DMG, REF
}

// Payer is a payer loop (2010BB, 2330B NM1*PR).
type Payer struct {
	Name        string   `json:"name,omitempty"`         // NM103
	IDQualifier string   `json:"id_qualifier,omitempty"` // NM108: PI payer ID, XV CMS plan ID
	PayerID     string   `json:"payer_id,omitempty"`     // NM109
	Address     *Address `json:"address,omitempty"`      // N3/N4
	Refs        []Ref    `json:"refs,omitempty"`         // REF*2U, FY, NF, G2, LU (2010BB); F8, G1, 9F, T4 (2330B)
}

// Patient is loop 2000C with 2010CA: the patient when the patient is not the
// subscriber.
type Patient struct {
	Relationship string   `json:"relationship,omitempty"` // PAT01: 01 spouse, 19 child, 20 employee, 21 unknown, 39, 40, 53, G8
	LastName     string   `json:"last_name,omitempty"`    // NM103
	FirstName    string   `json:"first_name,omitempty"`   // NM104
	MiddleName   string   `json:"middle_name,omitempty"`  // NM105
	Suffix       string   `json:"suffix,omitempty"`       // NM107
	Address      *Address `json:"address,omitempty"`      // N3/N4
	BirthDate    Date     `json:"birth_date,omitempty"`   // DMG02
	Gender       string   `json:"gender,omitempty"`       // DMG03
	Refs         []Ref    `json:"refs,omitempty"`         // REF*Y4, 1W, SY
}

// ClaimDate is a DTP segment: qualifier and date or date range (To equals
// From for a single date).
type ClaimDate struct {
	Qualifier string `json:"qualifier"`    // DTP01: 472 service, 431 onset, 454 initial treatment, 304 last seen, 439 accident, ...
	From      Date   `json:"from"`         // DTP03 (D8), or the start of an RD8 range
	To        Date   `json:"to,omitempty"` // the end of an RD8 range; From for D8
}

// Diagnosis is one HI composite: qualifier and code as sent (ICD-10 codes
// without the decimal point).
type Diagnosis struct {
	Qualifier string `json:"qualifier"` // HI0x-1: ABK principal, ABF other (5010); BK, BF (4010); BP, BO anesthesia; BG condition
	Code      string `json:"code"`      // HI0x-2
}

// Note is an NTE segment.
type Note struct {
	Code string `json:"code,omitempty"` // NTE01: ADD additional information, CER, DCP, TPO
	Text string `json:"text,omitempty"` // NTE02
}

// Drug is loop 2410: the national drug code of a line (LIN) with its quantity (CTP).
type Drug struct {
	Qualifier string   `json:"qualifier,omitempty"` // LIN02: N4 NDC 5-4-2, EN, EO, HI, ON, UK, UP
	Code      string   `json:"code,omitempty"`      // LIN03
	Quantity  Quantity `json:"quantity"`            // CTP04
	Unit      string   `json:"unit,omitempty"`      // CTP05-1: F2 international unit, GR, ME, ML, UN
	Refs      []Ref    `json:"refs,omitempty"`      // REF*XZ prescription number, VY link sequence
}

// OtherSubscriber is loop 2320 with its 2330 loops: another payer that is
// or was responsible for the claim, and what it paid (coordination of benefits).
type OtherSubscriber struct {
	Coverage                                // SBR
	Adjustments               []Adjustment  `json:"adjustments,omitempty"`                 // CAS (claim level)
	PayerPaid                 *money.Amount `json:"payer_paid,omitempty"`                  // AMT*D
	NonCovered                *money.Amount `json:"non_covered,omitempty"`                 // AMT*A8
	RemainingPatientLiability *money.Amount `json:"remaining_patient_liability,omitempty"` // AMT*EAF
	BenefitsAssignment        string        `json:"benefits_assignment,omitempty"`         // OI03: Y, N, W
	PatientSignatureSource    string        `json:"patient_signature_source,omitempty"`    // OI04
	ReleaseOfInformation      string        `json:"release_of_information,omitempty"`      // OI06: I, Y
	Outpatient                *Outpatient   `json:"outpatient,omitempty"`                  // MOA: the other payer's outpatient adjudication (Medicare secondary)
	Insured                   *Insured      `json:"insured,omitempty"`                     // 2330A NM1*IL
	Payer                     *Payer        `json:"payer,omitempty"`                       // 2330B NM1*PR
	AdjudicationDate          Date          `json:"adjudication_date,omitempty"`           // 2330B DTP*573
	Providers                 []*Provider   `json:"providers,omitempty"`                   // 2330C–I other payer provider IDs
}

// LineAdjudication is loop 2430: how another payer adjudicated a service line.
type LineAdjudication struct {
	PayerID                   string        `json:"payer_id"`                              // SVD01 (matches the 2330B NM109)
	Paid                      money.Amount  `json:"paid"`                                  // SVD02
	Procedure                 Procedure     `json:"procedure"`                             // SVD03
	PaidUnits                 Quantity      `json:"paid_units"`                            // SVD05
	BundledLine               string        `json:"bundled_line,omitempty"`                // SVD06
	Adjustments               []Adjustment  `json:"adjustments,omitempty"`                 // CAS
	AdjudicationDate          Date          `json:"adjudication_date,omitempty"`           // DTP*573
	RemainingPatientLiability *money.Amount `json:"remaining_patient_liability,omitempty"` // AMT*EAF
}

// ServiceLine is loop 2400: one billed service (SV1) with its dates,
// references, drug, line providers and other payers' adjudications.
type ServiceLine struct {
	// Segment and Offset locate the SV1 segment in the file.
	Segment int   `json:"segment"`
	Offset  int64 `json:"offset"`
	Number  int   `json:"number"` // LX01, 1-based, as sent

	Procedure         Procedure    `json:"procedure"`                    // SV101: HC/ER/WK/IV qualifier, code, modifiers SV101-3..6, description SV101-7
	Charge            money.Amount `json:"charge"`                       // SV102
	UnitBasis         string       `json:"unit_basis,omitempty"`         // SV103: UN units, MJ minutes
	Units             Quantity     `json:"units"`                        // SV104
	PlaceOfService    string       `json:"place_of_service,omitempty"`   // SV105 (empty: the claim's CLM05-1)
	DiagnosisPointers []int        `json:"diagnosis_pointers,omitempty"` // SV107: 1-based positions in Claim.Diagnoses
	Emergency         string       `json:"emergency,omitempty"`          // SV109: Y
	EPSDT             string       `json:"epsdt,omitempty"`              // SV111: Y
	FamilyPlanning    string       `json:"family_planning,omitempty"`    // SV112: Y

	ServiceFrom Date        `json:"service_from,omitempty"` // DTP*472 (D8, or RD8 start)
	ServiceTo   Date        `json:"service_to,omitempty"`   // DTP*472 (RD8 end; ServiceFrom for D8)
	Dates       []ClaimDate `json:"dates,omitempty"`        // every DTP of the line, 472 included

	LineControlNumber  string   `json:"line_control_number,omitempty"` // REF*6R (comes back in the 835 REF*6R)
	PriorAuthorization string   `json:"prior_authorization,omitempty"` // REF*G1
	Refs               []Ref    `json:"refs,omitempty"`                // other REF
	Amounts            []Amount `json:"amounts,omitempty"`             // AMT*T sales tax, AMT*F4 postage
	Notes              []Note   `json:"notes,omitempty"`               // NTE

	Drug           *Drug               `json:"drug,omitempty"`            // 2410 LIN/CTP
	Rendering      *Provider           `json:"rendering,omitempty"`       // 2420A NM1*82
	OtherProviders []*Provider         `json:"other_providers,omitempty"` // 2420B–H
	Adjudications  []*LineAdjudication `json:"adjudications,omitempty"`   // 2430 SVD
}

// Claim is loop 2300: one professional claim with its service lines. It
// carries its billing provider, subscriber, patient, payer and transaction
// set header, so that it stands alone; claims of the same loops share those
// values, which must be treated as read-only.
type Claim struct {
	// Segment and Offset locate the CLM segment in the file.
	Segment int   `json:"segment"`
	Offset  int64 `json:"offset"`

	Batch           *ClaimBatch      `json:"-"`                 // the ST…SE header (in JSON the claim sits under its batch)
	BillingProvider *BillingProvider `json:"billing_provider"`  // 2000A
	Subscriber      *Subscriber      `json:"subscriber"`        // 2000B
	Patient         *Patient         `json:"patient,omitempty"` // 2000C; nil: the patient is the subscriber
	Payer           *Payer           `json:"payer,omitempty"`   // 2010BB

	PatientControlNumber   string       `json:"patient_control_number"`             // CLM01 (comes back in the 835 CLP01)
	TotalCharge            money.Amount `json:"total_charge"`                       // CLM02
	PlaceOfService         string       `json:"place_of_service,omitempty"`         // CLM05-1
	FacilityCodeQualifier  string       `json:"facility_code_qualifier,omitempty"`  // CLM05-2: B
	FrequencyCode          string       `json:"frequency_code,omitempty"`           // CLM05-3: 1 original, 7 replacement, 8 void
	ProviderSignature      string       `json:"provider_signature,omitempty"`       // CLM06: Y, N
	Assignment             string       `json:"assignment,omitempty"`               // CLM07: A, B, C
	BenefitsAssignment     string       `json:"benefits_assignment,omitempty"`      // CLM08: Y, N, W
	ReleaseOfInformation   string       `json:"release_of_information,omitempty"`   // CLM09: I, Y
	PatientSignatureSource string       `json:"patient_signature_source,omitempty"` // CLM10: P
	RelatedCauses          []string     `json:"related_causes,omitempty"`           // CLM11-1..3: AA auto accident, EM employment, OA other accident
	AccidentState          string       `json:"accident_state,omitempty"`           // CLM11-4
	AccidentCountry        string       `json:"accident_country,omitempty"`         // CLM11-5
	SpecialProgram         string       `json:"special_program,omitempty"`          // CLM12
	DelayReason            string       `json:"delay_reason,omitempty"`             // CLM20

	Dates                []ClaimDate `json:"dates,omitempty"`                  // every DTP of the claim, in order
	OnsetDate            Date        `json:"onset_date,omitempty"`             // DTP*431 onset of current illness
	InitialTreatmentDate Date        `json:"initial_treatment_date,omitempty"` // DTP*454
	LastSeenDate         Date        `json:"last_seen_date,omitempty"`         // DTP*304
	AccidentDate         Date        `json:"accident_date,omitempty"`          // DTP*439
	AdmissionDate        Date        `json:"admission_date,omitempty"`         // DTP*435
	DischargeDate        Date        `json:"discharge_date,omitempty"`         // DTP*096

	PatientPaid *money.Amount `json:"patient_paid,omitempty"` // AMT*F5

	PriorAuthorization      string `json:"prior_authorization,omitempty"`        // REF*G1
	Referral                string `json:"referral,omitempty"`                   // REF*9F
	PayerClaimControlNumber string `json:"payer_claim_control_number,omitempty"` // REF*F8: original claim of a replacement or void
	ClearinghouseClaimID    string `json:"clearinghouse_claim_id,omitempty"`     // REF*D9
	Refs                    []Ref  `json:"refs,omitempty"`                       // other REF (EA medical record, ...)

	Notes     []Note      `json:"notes,omitempty"`     // NTE
	Diagnoses []Diagnosis `json:"diagnoses,omitempty"` // HI, in order: principal first

	Referring       *Provider   `json:"referring,omitempty"`        // 2310A NM1*DN
	Rendering       *Provider   `json:"rendering,omitempty"`        // 2310B NM1*82
	ServiceFacility *Provider   `json:"service_facility,omitempty"` // 2310C NM1*77
	OtherProviders  []*Provider `json:"other_providers,omitempty"`  // 2310A P3 and repeats, 2310D–F (DQ, PW, 45), ...

	OtherSubscribers []*OtherSubscriber `json:"other_subscribers,omitempty"` // 2320/2330
	Lines            []*ServiceLine     `json:"lines"`                       // 2400
}

// LineCharges returns the sum of the service line charges (SV102); in a
// well-formed claim it equals TotalCharge (CLM02).
func (c *Claim) LineCharges() money.Amount {
	var t money.Amount
	for _, l := range c.Lines {
		t += l.Charge
	}
	return t
}

// PrincipalDiagnosis returns the code of the principal diagnosis (HI*ABK,
// or BK in 4010), or "".
func (c *Claim) PrincipalDiagnosis() string {
	for _, d := range c.Diagnoses {
		if d.Qualifier == "ABK" || d.Qualifier == "BK" {
			return d.Code
		}
	}
	return ""
}
