package appeal

import "strings"

// CMS20027 holds the fields of form CMS-20027, Medicare Redetermination
// Request, in the form's order. The beneficiary's name and Medicare number
// are PHI. Fields the requester fills by hand (signature) stay empty.
type CMS20027 struct {
	BeneficiaryName PHI
	MedicareNumber  PHI
	// ItemOrService is the item or service appealed ("64635 radiofrequency
	// ablation ..."), one per denied line.
	ItemOrService []string
	// DatesOfService are the dates the items were received.
	DatesOfService []string
	// InitialDetermination is the date of the initial determination notice
	// (the remittance).
	InitialDetermination string
	ClaimNumber          string // the ICN (CLP07)
	Contractor           string // the MAC that made the initial determination
	// LateReason is the reason for a request made after the 120 days.
	LateReason string
	// Disagree is why the requester disagrees, one sentence per line.
	Disagree string
	// Evidence lists the records attached.
	Evidence         []string
	RequesterName    string
	RequesterRole    string // "provider"
	RequesterAddress string
	RequesterPhone   string
	RequesterNPI     string
}

// FormField is one labelled field of the form.
type FormField struct {
	Label, Value string
}

// Fields lists the form's fields with their values as they go on the page
// (PHI revealed: this is the payer's form).
func (c *CMS20027) Fields() []FormField {
	join := func(ss []string) string { return strings.Join(ss, "; ") }
	return []FormField{
		{"1. Beneficiary's name", c.BeneficiaryName.Reveal()},
		{"2. Medicare number", c.MedicareNumber.Reveal()},
		{"3. Item or service you wish to appeal", join(c.ItemOrService)},
		{"4. Date the service or item was received", join(c.DatesOfService)},
		{"5. Date of the initial determination notice", c.InitialDetermination},
		{"   Claim number (ICN)", c.ClaimNumber},
		{"   Medicare contractor", c.Contractor},
		{"6. Reason for late filing (over 120 days)", c.LateReason},
		{"7. I do not agree with the determination; my reasons are", c.Disagree},
		{"8. Evidence attached", join(c.Evidence)},
		{"9. Requester's name", c.RequesterName},
		{"   Relationship to the beneficiary", c.RequesterRole},
		{"   Address", c.RequesterAddress},
		{"   Telephone", c.RequesterPhone},
		{"   NPI", c.RequesterNPI},
		{"10. Signature and date", ""},
	}
}
