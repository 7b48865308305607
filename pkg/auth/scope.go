package auth

import (
	"strconv"
	"strings"

	"github.com/lib/pq"
)

// Args collects the positional parameters of a query being built, so
// predicates from several helpers can share one argument list.
type Args []any

// Add appends v and returns its placeholder ("$n").
func (a *Args) Add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// Where returns an SQL predicate that keeps only the rows in the caller's
// scope, appending its parameters to args. practiceCol names the row's
// practice column; npiCol its rendering-provider column, or "" when the
// table has none (then provider-narrowed scopes do not count: such a user
// sees no row that is not about one provider).
//
// Admins get "TRUE", a caller without scopes (or a nil identity) "FALSE".
// Otherwise the predicate is
//
//	(practice = ANY($w) OR (practice = ANY($p) AND practice::text||':'||npi = ANY($k)))
//
// where $w are the whole practices and $p/$k the practices and
// "practice:npi" keys of the provider scopes; the first arm is a plain
// index condition.
func (id *Identity) Where(practiceCol, npiCol string, args *Args) string {
	if id == nil {
		return "FALSE"
	}
	if id.All() {
		return "TRUE"
	}
	var whole, narrowP []int64
	var keys []string
	for _, s := range id.Scopes {
		if s.ProviderNPI == "" {
			whole = append(whole, s.PracticeID)
		} else if npiCol != "" {
			narrowP = append(narrowP, s.PracticeID)
			keys = append(keys, strconv.FormatInt(s.PracticeID, 10)+":"+s.ProviderNPI)
		}
	}
	var arms []string
	switch len(whole) {
	case 0:
	case 1: // "= $n", so PostgreSQL can read an index on (practice, sort key) in order
		arms = append(arms, practiceCol+" = "+args.Add(whole[0])+"::bigint")
	default:
		arms = append(arms, practiceCol+" = ANY("+args.Add(pq.Array(whole))+"::bigint[])")
	}
	if len(keys) > 0 {
		arms = append(arms, "("+practiceCol+" = ANY("+args.Add(pq.Array(narrowP))+"::bigint[]) AND "+
			practiceCol+"::text || ':' || "+npiCol+" = ANY("+args.Add(pq.Array(keys))+"::text[]))")
	}
	switch len(arms) {
	case 0:
		return "FALSE"
	case 1:
		return arms[0]
	}
	return "(" + strings.Join(arms, " OR ") + ")"
}

// WherePractice is Where for tables without a provider column.
func (id *Identity) WherePractice(practiceCol string, args *Args) string {
	return id.Where(practiceCol, "", args)
}
