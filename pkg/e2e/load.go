package e2e

import (
	"bytes"
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/nats-io/nats.go"

	"github.com/remitq/remitq/pkg/billedstore"
	"github.com/remitq/remitq/pkg/practicestore"
	"github.com/remitq/remitq/pkg/remitstore"
	"github.com/remitq/remitq/pkg/synth"
)

// IngestFunc stores one 835 file (an ingest service's Ingest, or an
// Ingester's).
type IngestFunc func(ctx context.Context, name string, raw []byte) (*remitstore.Result, error)

// Loader puts a generated truth set through the real loading paths: the
// practices registry, the billed-claims store and the ingest.
type Loader struct {
	DB     *sqlx.DB
	NC     *nats.Conn // wakes the matcher's retries when billed claims arrive
	Ingest IngestFunc
	// Actor names who loads, in the audit log.
	Actor string
}

// Practices registers the truth set's practices (already registered ones
// are looked up) and returns them in order.
func (l *Loader) Practices(ctx context.Context, t *synth.Truth) ([]practicestore.Practice, error) {
	out := make([]practicestore.Practice, 0, len(t.Practices))
	for _, tp := range t.Practices {
		p := practicestore.Practice{Name: tp.Name, NPI: tp.NPI, TIN: tp.TIN}
		if err := practicestore.Add(ctx, l.DB, &p); err != nil {
			if err := l.DB.GetContext(ctx, &p.ID, `SELECT id FROM practices WHERE npi = $1`, tp.NPI); err != nil {
				return nil, fmt.Errorf("pipeline: practice %s: %w", tp.NPI, err)
			}
		}
		for _, npi := range tp.Rendering {
			if err := practicestore.AddProvider(ctx, l.DB, &practicestore.Provider{PracticeID: p.ID, NPI: npi}); err != nil {
				return nil, err
			}
		}
		out = append(out, p)
	}
	return out, nil
}

func (l *Loader) store() *billedstore.Store { return &billedstore.Store{DB: l.DB, NC: l.NC} }

func (l *Loader) actor() string {
	if l.Actor == "" {
		return "pipeline"
	}
	return l.Actor
}

// BilledClaims loads the truth set's 837P claims: those that arrive before
// the remits (late false) or after them (late true).
func (l *Loader) BilledClaims(ctx context.Context, t *synth.Truth, late bool) (*billedstore.Result, error) {
	var b bytes.Buffer
	if err := t.Write837(&b, late); err != nil {
		return nil, err
	}
	name := "claims.837"
	if late {
		name = "claims-late.837"
	}
	res, err := l.store().LoadFile(ctx, name, b.Bytes(), l.actor())
	if err != nil {
		return nil, err
	}
	if len(res.Problems) > 0 {
		return res, fmt.Errorf("pipeline: %s: %d problems, first: %v", name, len(res.Problems), res.Problems[0])
	}
	return res, nil
}

// Fees loads the truth set's fee schedule.
func (l *Loader) Fees(ctx context.Context, t *synth.Truth) error {
	var b bytes.Buffer
	if err := t.WriteFees(&b); err != nil {
		return err
	}
	res, err := l.store().LoadFees(ctx, "fees.csv", b.Bytes(), l.actor())
	if err != nil {
		return err
	}
	if len(res.Problems) > 0 {
		return fmt.Errorf("pipeline: fees: %d problems", len(res.Problems))
	}
	return nil
}

// Remits ingests the truth set's 835 files in delivery order.
func (l *Loader) Remits(ctx context.Context, t *synth.Truth) ([]*remitstore.Result, error) {
	files, err := RemitFiles(t)
	if err != nil {
		return nil, err
	}
	return l.IngestFiles(ctx, files)
}

// File is one generated file: its name and bytes.
type File struct {
	Name string
	Data []byte
}

// RemitFiles writes the truth set's 835 files, in order.
func RemitFiles(t *synth.Truth) ([]File, error) {
	out := make([]File, 0, len(t.Files))
	for _, f := range t.Files {
		var b bytes.Buffer
		if err := f.Write(&b); err != nil {
			return nil, err
		}
		out = append(out, File{Name: f.Name, Data: b.Bytes()})
	}
	return out, nil
}

// IngestFiles ingests files in order, as uploads would.
func (l *Loader) IngestFiles(ctx context.Context, files []File) ([]*remitstore.Result, error) {
	out := make([]*remitstore.Result, 0, len(files))
	for _, f := range files {
		res, err := l.Ingest(ctx, f.Name, f.Data)
		if err != nil {
			return out, err
		}
		out = append(out, res)
	}
	return out, nil
}
