package rules

// Lookups for the denial router (pkg/route): the same data the checks
// read, so that a new quarter's files reach the router too.

// Bundles reports whether the NCCI PTP edits bundle col2 into col1 on one
// date (an active edit with modifier indicator 0 or 1).
func (s *Set) Bundles(col1, col2 string) bool {
	e, ok := s.d.ptp[[2]string{col1, col2}]
	return ok && e.indicator != '9'
}

// PTPLabel is the label of the PTP files ("NCCI PTP 2024-07").
func (s *Set) PTPLabel() string { return s.d.ptpLabel }

// IsAddOn reports whether a code is an add-on code: in the procedure table
// or in the NCCI add-on code edits.
func (s *Set) IsAddOn(code string) bool {
	if p := s.d.procs[code]; p != nil && p.AddOn {
		return true
	}
	return s.d.aoc[code] != nil
}

// Cap is a session cap as the router reads it (caps.csv, or a payer's
// override).
type Cap struct {
	Key       string
	Name      string // words for messages: "ESI", "RFA", ...
	Limit     int
	Window    int // days
	PerRegion bool
	Source    string
}

// CapOf returns the session cap that counts a code under the defaults (a
// facet code counts as therapeutic), if any.
func (s *Set) CapOf(code string) (Cap, bool) {
	p := s.d.procs[code]
	if p == nil {
		return Cap{}, false
	}
	fam := p.Family
	if fam == FamilyFacet {
		fam = FamilyFacetTherapeutic
	}
	for _, c := range s.base.caps {
		for _, f := range c.Families {
			if f == fam && c.Cap > 0 {
				return Cap{Key: c.Key, Name: c.Name, Limit: c.Cap, Window: c.Window, PerRegion: c.PerRegion, Source: c.Source}, true
			}
		}
	}
	return Cap{}, false
}
