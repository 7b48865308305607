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

// labels are the names the pages show for ids: the practices of the
// user's scopes and the payers. They are reference data without PHI, read
// directly (the API has no list of them); every record the pages show
// comes from the API.
type labels struct {
	Practices []option
	Payers    []option
	practice  map[int64]string
	payer     map[int64]string
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

func (s *Service) labels(ctx context.Context, id *auth.Identity) (*labels, error) {
	l := &labels{practice: map[int64]string{}, payer: map[int64]string{}}
	var ids []int64
	for _, sc := range id.Scopes {
		ids = append(ids, sc.PracticeID)
	}
	if err := s.db.SelectContext(ctx, &l.Practices, `SELECT id, name FROM practices WHERE $1 OR id = ANY($2::bigint[]) ORDER BY name, id`,
		id.All(), pq.Array(ids)); err != nil {
		return nil, err
	}
	if err := s.db.SelectContext(ctx, &l.Payers, `SELECT id, name FROM payers ORDER BY name, id LIMIT 500`); err != nil {
		return nil, err
	}
	for _, p := range l.Practices {
		l.practice[p.ID] = p.Name
	}
	for _, p := range l.Payers {
		l.payer[p.ID] = p.Name
	}
	return l, nil
}
