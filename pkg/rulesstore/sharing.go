package rulesstore

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/remitq/remitq/pkg/rules"
)

// Policy is the sharing policy in the database (rules_settings,
// sharing_groups): whose history a practice's checks may count. A practice
// always counts its own. With CrossPractice, practices with the same tax
// ID (practices.tin) count each other's when SameTIN is set, and the
// practices of a declared group count each other's. Without
// CrossPractice only a practice's own history (and the payer's own
// signals, the denial codes) count.
type Policy struct {
	CrossPractice bool      `json:"cross_practice"`
	SameTIN       bool      `json:"same_tin"`
	Groups        []Group   `json:"groups"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// Group is a group of practices an administrator declared may share
// history.
type Group struct {
	Name      string  `json:"name"`
	Practices []int64 `json:"practice_ids"`
}

// Sharing returns the policy as the rules take it (practices keyed by
// their database id in decimal).
func (p *Policy) Sharing() *rules.Sharing {
	s := &rules.Sharing{}
	if p == nil || !p.CrossPractice {
		return s
	}
	s.SameTIN = p.SameTIN
	for _, g := range p.Groups {
		ids := make([]string, len(g.Practices))
		for i, id := range g.Practices {
			ids[i] = strconv.FormatInt(id, 10)
		}
		s.Declare(ids...)
	}
	return s
}

// LoadPolicy reads the sharing policy.
func LoadPolicy(ctx context.Context, q sqlx.QueryerContext) (*Policy, error) {
	p := &Policy{}
	if err := q.QueryRowxContext(ctx, `SELECT cross_practice, same_tin, updated_at FROM rules_settings WHERE id`).
		Scan(&p.CrossPractice, &p.SameTIN, &p.UpdatedAt); err != nil {
		return nil, fmt.Errorf("rulesdb: sharing policy: %w", err)
	}
	rows, err := q.QueryxContext(ctx, `SELECT g.name, g.updated_at, COALESCE(array_agg(gp.practice_id ORDER BY gp.practice_id)
		FILTER (WHERE gp.practice_id IS NOT NULL), '{}')
		FROM sharing_groups g LEFT JOIN sharing_group_practices gp ON gp.group_id = g.id
		GROUP BY g.id ORDER BY g.name`)
	if err != nil {
		return nil, fmt.Errorf("rulesdb: sharing groups: %w", err)
	}
	defer rows.Close()
	p.Groups = []Group{}
	for rows.Next() {
		var g Group
		var at time.Time
		var ids pq.Int64Array
		if err := rows.Scan(&g.Name, &at, &ids); err != nil {
			return nil, fmt.Errorf("rulesdb: sharing groups: %w", err)
		}
		g.Practices = []int64(ids)
		if at.After(p.UpdatedAt) {
			p.UpdatedAt = at
		}
		p.Groups = append(p.Groups, g)
	}
	return p, rows.Err()
}

// SetSharing sets the two switches of the policy.
func SetSharing(ctx context.Context, q sqlx.ExecerContext, crossPractice, sameTIN bool, actor string) error {
	if _, err := q.ExecContext(ctx, `UPDATE rules_settings SET cross_practice = $1, same_tin = $2, updated_at = now(),
		updated_by = $3 WHERE id`, crossPractice, sameTIN, actor); err != nil {
		return fmt.Errorf("rulesdb: sharing settings: %w", err)
	}
	return nil
}

// Errors of PutGroup.
var (
	ErrGroupName       = errors.New("a group name is 1 to 64 letters, digits, dots, dashes or underscores, starting with a letter or digit")
	ErrGroupSize       = errors.New("a sharing group needs at least two practices")
	ErrUnknownPractice = errors.New("no such practice")
)

var groupName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ValidGroupName reports whether name may name a sharing group.
func ValidGroupName(name string) bool { return groupName.MatchString(name) }

// PutGroup declares (or replaces) the sharing group name with the given
// practices, in q's transaction. It fails with ErrGroupName, ErrGroupSize
// or ErrUnknownPractice (wrapped) before changing anything.
func PutGroup(ctx context.Context, q sqlx.ExtContext, name string, practices []int64, actor string) error {
	if !ValidGroupName(name) {
		return ErrGroupName
	}
	practices = slices.Clone(practices)
	slices.Sort(practices)
	practices = slices.Compact(practices)
	if len(practices) < 2 {
		return ErrGroupSize
	}
	var known int
	if err := q.QueryRowxContext(ctx, `SELECT count(*) FROM practices WHERE id = ANY($1)`, pq.Array(practices)).Scan(&known); err != nil {
		return fmt.Errorf("rulesdb: sharing group: %w", err)
	}
	if known != len(practices) {
		return fmt.Errorf("%w among practice_ids", ErrUnknownPractice)
	}
	var id int64
	if err := q.QueryRowxContext(ctx, `INSERT INTO sharing_groups (name, updated_by) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET updated_at = now(), updated_by = EXCLUDED.updated_by RETURNING id`, name, actor).Scan(&id); err != nil {
		return fmt.Errorf("rulesdb: sharing group: %w", err)
	}
	if _, err := q.ExecContext(ctx, `DELETE FROM sharing_group_practices WHERE group_id = $1 AND NOT (practice_id = ANY($2))`,
		id, pq.Array(practices)); err != nil {
		return fmt.Errorf("rulesdb: sharing group: %w", err)
	}
	if _, err := q.ExecContext(ctx, `INSERT INTO sharing_group_practices (group_id, practice_id) SELECT $1, unnest($2::bigint[])
		ON CONFLICT DO NOTHING`, id, pq.Array(practices)); err != nil {
		return fmt.Errorf("rulesdb: sharing group: %w", err)
	}
	return nil
}

// DeleteGroup removes a sharing group; false when there was none.
func DeleteGroup(ctx context.Context, q sqlx.ExecerContext, name string) (bool, error) {
	r, err := q.ExecContext(ctx, `DELETE FROM sharing_groups WHERE name = $1`, name)
	if err != nil {
		return false, fmt.Errorf("rulesdb: sharing group: %w", err)
	}
	n, _ := r.RowsAffected()
	return n > 0, nil
}
