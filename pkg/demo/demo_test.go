package demo

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/remitq/remitq/pkg/devenv/devtest"
	"github.com/remitq/remitq/x12"
)

func TestMain(m *testing.M) { devtest.Main(m) }

func TestBuild(t *testing.T) {
	a, err := Build(1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Build(1)
	if len(a.Remits) != len(b.Remits) || len(a.Practices) != 3 {
		t.Fatalf("%d files, %d practices", len(a.Remits), len(a.Practices))
	}
	bad := 0
	for i, f := range a.Remits {
		if !bytes.Equal(f.Raw, b.Remits[i].Raw) {
			t.Errorf("%s differs between two builds with the same seed", f.Name)
		}
		s, err := x12.Summarize(f.Name, bytes.NewReader(f.Raw))
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Errors) > 0 {
			bad++
			if f.Name != "era-damaged.835" || s.Errors[0].ID != "CLP" {
				t.Errorf("%s: errors %+v", f.Name, s.Errors)
			}
		} else if !s.Balanced {
			t.Errorf("%s does not balance", f.Name)
		}
	}
	if bad != 1 {
		t.Fatalf("%d damaged files, want 1", bad)
	}
}

// TestAccessPrint: the printed commands name the URL and the key exactly
// as the CLI reads them.
func TestAccessPrint(t *testing.T) {
	var b bytes.Buffer
	Access{URL: "127.0.0.1:8080", Email: AdminEmail, Password: "pw", APIKey: "rq_secret", DatabaseURL: "postgres://x"}.Print(&b)
	for _, want := range []string{"REMITQ_URL=http://127.0.0.1:8080 REMITQ_TOKEN=rq_secret remitq practices list",
		"admin@demo.remitq, password pw", "DATABASE_URL=postgres://x"} {
		if !bytes.Contains(b.Bytes(), []byte(want)) {
			t.Errorf("missing %q in:\n%s", want, b.String())
		}
	}
	b.Reset()
	Access{URL: "http://h:1", APIKey: "k"}.Print(&b)
	if bytes.Contains(b.Bytes(), []byte("DATABASE_URL")) {
		t.Errorf("an external database's URL is printed:\n%s", b.String())
	}
}

// TestNameProviders: providers registered with an NPI only get a name;
// named ones keep theirs.
func TestNameProviders(t *testing.T) {
	db := devtest.DB(t)
	var p int64
	if err := db.Get(&p, `INSERT INTO practices (name, npi) VALUES ('P', '1234567893') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"", "Dr Kept", ""} {
		if _, err := db.Exec(`INSERT INTO providers (practice_id, npi, name) VALUES ($1, $2, $3)`, p, fmt.Sprintf("100000000%d", i), name); err != nil {
			t.Fatal(err)
		}
	}
	if err := NameProviders(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	var names []string
	if err := db.Select(&names, `SELECT name FROM providers ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if len(names) != 3 || names[0] != providerNames[0] || names[1] != "Dr Kept" || names[2] != providerNames[1] {
		t.Fatalf("names %v", names)
	}
}
