package demo

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/remitq/remitq/pkg/auth"
)

// Access is how a person and the CLI reach a running demo: the admin's
// console login and an API key of the admin, printed by Print.
type Access struct {
	URL      string // http://HOST:PORT
	Email    string // the admin's login
	Password string // the console password of every demo user
	APIKey   string // the admin's API key (REMITQ_TOKEN)
	// DatabaseURL is the demo's embedded PostgreSQL ("" when the demo runs
	// on servers the caller named: their credentials are not printed).
	DatabaseURL string
}

// AdminEmail is the login of the demo's admin.
const AdminEmail = "admin@demo.remitq"

// AdminKey creates an API key for the admin user adminID, valid ttl, for
// the CLI to reach the demo with.
func AdminKey(ctx context.Context, db sqlx.ExtContext, adminID int64, ttl time.Duration) (string, error) {
	secret, _, err := auth.CreateAPIKey(ctx, db, adminID, "demo-cli", ttl)
	if err != nil {
		return "", fmt.Errorf("demo: admin API key: %w", err)
	}
	return secret, nil
}

// Print writes the admin's login and the exact commands that reach the
// running demo from another terminal.
func (a Access) Print(w io.Writer) {
	url := a.URL
	if !strings.Contains(url, "://") {
		url = "http://" + url
	}
	fmt.Fprintf(w, "\nAdmin: %s, password %s (console %s/console/)\n", a.Email, a.Password, url)
	fmt.Fprintln(w, "The CLI reaches this demo with the admin's API key (valid 12 hours), from another terminal:")
	env := fmt.Sprintf("REMITQ_URL=%s REMITQ_TOKEN=%s", url, a.APIKey)
	fmt.Fprintf(w, "  %s remitq practices list\n", env)
	fmt.Fprintf(w, "  %s remitq providers list 1\n", env)
	fmt.Fprintf(w, "  %s remitq practices add --name \"New Client Pain\" --npi 1245319599\n", env)
	fmt.Fprintf(w, "  curl -H \"Authorization: Bearer %s\" %s/v1/practices\n", a.APIKey, url)
	if a.DatabaseURL != "" {
		fmt.Fprintf(w, "The demo's database (while it runs): DATABASE_URL=%s\n", a.DatabaseURL)
	}
}

// providerNames are the (invented) names the demo gives its rendering
// providers.
var providerNames = []string{"Dr. Ada Synthetic", "Dr. Ben Synthetic", "Dr. Cleo Synthetic", "Dr. Dev Synthetic",
	"Dr. Eva Synthetic", "Dr. Finn Synthetic", "Dr. Gia Synthetic", "Dr. Hal Synthetic"}

// NameProviders gives every provider registered without a name (the
// generated data knows NPIs only) an invented one, so the console and the
// API show providers by name.
func NameProviders(ctx context.Context, db sqlx.ExtContext) error {
	var ids []int64
	if err := sqlx.SelectContext(ctx, db, &ids, `SELECT id FROM providers WHERE name = '' ORDER BY id`); err != nil {
		return fmt.Errorf("demo: providers: %w", err)
	}
	for i, id := range ids {
		name := providerNames[i%len(providerNames)]
		if i >= len(providerNames) {
			name = fmt.Sprintf("%s %d", name, i/len(providerNames)+1)
		}
		if _, err := db.ExecContext(ctx, `UPDATE providers SET name = $2 WHERE id = $1`, id, name); err != nil {
			return fmt.Errorf("demo: name provider: %w", err)
		}
	}
	return nil
}
