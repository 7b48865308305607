package consolesvc

import (
	"context"

	"github.com/lib/pq"

	"github.com/remitq/remitq/pkg/auth"
)

// option is one choice of a select.
type option struct {
	ID   int64  `db:"id"`
	Name string `db:"name"`
}

// payerRow is a payer as read for the labels: its code and the best name
// known (the 835's N1*PR name when the payer was first created by a
// billed claim, whose name is its code).
type payerRow struct {
	ID   int64  `db:"id"`
	Code string `db:"code"`
	Name string `db:"name"`
}

// payerLabel is how every page names a payer: "Name (CODE)", or the code
// alone when no name is known.
func payerLabel(name, code string) string {
	switch {
	case name == "" || name == code:
		return code
	case code == "":
		return name
	}
	return name + " (" + code + ")"
}

// labels are the names the pages show for ids: the practices of the
// user's scopes and the payers. They are reference data without PHI, read
// directly (the API has no list of them); every record the pages show
// comes from the API.
type labels struct {
	Practices []option
	Payers    []option
	practice  map[int64]string
	payer     map[int64]string
	payerCode map[string]string // payer code → label
	payerName map[string]string // 835 payer name → label
}

// Practice names a practice id.
func (l *labels) Practice(id int64) string {
	if n, ok := l.practice[id]; ok {
		return n
	}
	return "practice #" + itoa(id)
}

// Payer names a payer id (nil: no payer).
func (l *labels) Payer(id *int64) string {
	if id == nil {
		return "—"
	}
	if n, ok := l.payer[*id]; ok {
		return n
	}
	return "payer #" + itoa(*id)
}

// PayerCode names a payer by its code (a billed claim's or a
// submission's payer), as Payer does.
func (l *labels) PayerCode(code string) string {
	if code == "" {
		return "—"
	}
	if n, ok := l.payerCode[code]; ok {
		return n
	}
	return code
}

// PayerNamed names a payer by the name an 835 gave it (nil: none), as
// Payer does when the name is a known payer's.
func (l *labels) PayerNamed(name *string) string {
	if name == nil || *name == "" {
		return "—"
	}
	if n, ok := l.payerName[*name]; ok {
		return n
	}
	return *name
}

func (s *Service) labels(ctx context.Context, id *auth.Identity) (*labels, error) {
	l := &labels{practice: map[int64]string{}, payer: map[int64]string{}, payerCode: map[string]string{}, payerName: map[string]string{}}
	var ids []int64
	for _, sc := range id.Scopes {
		ids = append(ids, sc.PracticeID)
	}
	if err := s.db.SelectContext(ctx, &l.Practices, `SELECT id, name FROM practices WHERE $1 OR id = ANY($2::bigint[]) ORDER BY name, id`,
		id.All(), pq.Array(ids)); err != nil {
		return nil, err
	}
	// A payer created by a billed claim is named by its code until an 835
	// names it (remitstore; migration 0029 named the ones stored before).
	var payers []payerRow
	if err := s.db.SelectContext(ctx, &payers, `SELECT id, payer_id_code AS code, name
		FROM payers ORDER BY name, id LIMIT 500`); err != nil {
		return nil, err
	}
	for _, p := range payers {
		lb := payerLabel(p.Name, p.Code)
		l.Payers = append(l.Payers, option{ID: p.ID, Name: lb})
		l.payerCode[p.Code] = lb
		if p.Name != "" && p.Name != p.Code {
			l.payerName[p.Name] = lb
		}
	}
	for _, p := range l.Practices {
		l.practice[p.ID] = p.Name
	}
	for _, p := range l.Payers {
		l.payer[p.ID] = p.Name
	}
	return l, nil
}
