package routesvc

import (
	"context"

	"github.com/jmoiron/sqlx"

	"github.com/remitq/remitq/pkg/route"
	"github.com/remitq/remitq/pkg/rules"
	v1 "github.com/remitq/remitq/proto/remitq/v1"
)

// History loads what the pain rules read for a batch of denied lines: the
// billed lines themselves (with a patient key) and the lines of their
// patients at every practice, which the rules filter by the sharing
// policy. Practices are keyed by their database id in decimal, as the
// routed lines are. workstore.History reads them from PostgreSQL.
type History interface {
	Load(ctx context.Context, q sqlx.QueryerContext, billedLineIDs []int64) (route.BilledLookup, rules.History, error)
}

// revision is the matcher's revision of a line (0 for its first result).
func revision(m *v1.LineMatch) int32 { return m.GetRevision() }
