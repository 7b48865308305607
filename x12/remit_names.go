package x12

// PatientIdentity returns the patient's name ("LAST, FIRST") and member id
// from NM1*QC, the member id falling back to NM1*IL. Both are PHI: store
// them, never log them.
func (c *ClaimPayment) PatientIdentity() (name, member string) {
	if n := c.Name("QC"); n != nil {
		name, member = n.Last, n.ID
		if n.First != "" {
			name += ", " + n.First
		}
	}
	if n := c.Name("IL"); n != nil && member == "" {
		member = n.ID
	}
	return name, member
}

// RenderingNPI is NM1*82 NM109 when NM108 = XX, else "".
func (c *ClaimPayment) RenderingNPI() string {
	if n := c.Name("82"); n != nil && n.IDQualifier == "XX" {
		return n.ID
	}
	return ""
}
