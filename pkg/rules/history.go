package rules

// History gives the lines billed for a patient before (or beside) the
// lines being checked, at every practice the store knows. The checks decide
// which of them count (see Sharing).
type History interface {
	// Lines returns the patient's lines in any order. Callers do not modify
	// the slice.
	Lines(p PatientKey) []Line
}

// Index is an in-memory History.
type Index struct {
	m map[PatientKey][]Line
	n int
}

// NewIndex returns an empty Index sized for about n lines.
func NewIndex(n int) *Index {
	return &Index{m: make(map[PatientKey][]Line, n/8+1)}
}

// Add adds lines to the index.
func (x *Index) Add(lines ...Line) {
	for _, l := range lines {
		x.m[l.Patient] = append(x.m[l.Patient], l)
	}
	x.n += len(lines)
}

// AddClaims adds the lines of claims to the index.
func (x *Index) AddClaims(cs ...*Claim) {
	for _, c := range cs {
		x.Add(c.Lines...)
	}
}

// Lines returns the patient's lines.
func (x *Index) Lines(p PatientKey) []Line { return x.m[p] }

// Len returns the number of lines in the index.
func (x *Index) Len() int { return x.n }

// Patients returns the number of patients in the index.
func (x *Index) Patients() int { return len(x.m) }

// batchHistory is a History with the lines of the claims being checked
// (pointers into them, not copies) on top of another.
type batchHistory struct {
	base  History
	lines map[PatientKey][]*Line
}

// Lines returns the base lines then copies of the batch's lines.
func (b batchHistory) Lines(p PatientKey) []Line {
	var out []Line
	if b.base != nil {
		out = append(out, b.base.Lines(p)...)
	}
	for _, l := range b.lines[p] {
		out = append(out, *l)
	}
	return out
}

// overlay is a History with extra lines on top of another.
type overlay struct {
	base  History
	extra *Index
}

// Lines returns the base lines then the extra ones.
func (o overlay) Lines(p PatientKey) []Line {
	e := o.extra.Lines(p)
	if o.base == nil {
		return e
	}
	b := o.base.Lines(p)
	if len(e) == 0 {
		return b
	}
	if len(b) == 0 {
		return e
	}
	out := make([]Line, 0, len(b)+len(e))
	return append(append(out, b...), e...)
}

// Sharing says whose history a practice may see. A practice always sees
// its own lines. With SameTIN, practices billing under the same tax ID (one
// covered entity) see each other's; Declare adds groups of practices an
// administrator has allowed to share. Everything else is invisible to the
// checks: there only the practice's own history and the payer's own
// signals (the denial codes) count. The zero Sharing shares nothing.
type Sharing struct {
	SameTIN bool
	groups  map[string][]int
	next    int
}

// Declare declares a group of practice IDs that may see each other's history.
func (s *Sharing) Declare(practices ...string) {
	if s.groups == nil {
		s.groups = map[string][]int{}
	}
	s.next++
	for _, p := range practices {
		s.groups[p] = append(s.groups[p], s.next)
	}
}

// May reports whether a practice (with its TIN) may see the lines of
// another practice (with its TIN).
func (s *Sharing) May(practice, tin, other, otherTIN string) bool {
	if practice == other {
		return true
	}
	if s == nil {
		return false
	}
	if s.SameTIN && tin != "" && tin == otherTIN {
		return true
	}
	for _, g := range s.groups[practice] {
		for _, h := range s.groups[other] {
			if g == h {
				return true
			}
		}
	}
	return false
}

// Records are what the checks read beside the rules: the history, the
// authorizations, block relief, and the sharing policy. Every field may be
// nil: no history, no auths loaded (then only a missing auth number is
// reported), no relief recorded, nothing shared across practices.
type Records struct {
	History History
	Auths   *AuthBook
	Relief  *ReliefBook
	Sharing *Sharing
}
