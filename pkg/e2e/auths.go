package e2e

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/rules"
	"github.com/remitq/remitq/pkg/rulesstore"
)

// Auths stores the prior authorizations the practices have on file for
// the billed claims loaded so far, as a practice-management export gives
// them: for each claim that names one (REF*G1), its number, the claim's
// codes and rendering provider, the units billed, valid from 60 days
// before the date of service to 120 days after. Every fifth one ends the
// day before the service instead (an authorization that lapsed: the router
// and the item's evidence show it beside the denial). It returns how many
// were stored. Load it before the remits, so the router's rules read it.
func (l *Loader) Auths(ctx context.Context) (int, error) {
	var rows []struct {
		Practice int64          `db:"practice_id"`
		Number   string         `db:"prior_authorization"`
		Key      []byte         `db:"patient_key"`
		Payer    string         `db:"payer_code"`
		NPI      string         `db:"rendering_npi"`
		Service  time.Time      `db:"service_date_from"`
		Codes    pq.StringArray `db:"codes"`
		Units    float64        `db:"units"`
	}
	err := l.DB.SelectContext(ctx, &rows, `SELECT b.practice_id, b.prior_authorization, b.patient_key, b.payer_code,
		coalesce(b.rendering_npi, '') AS rendering_npi, b.service_date_from,
		array_agg(DISTINCT l.procedure_code ORDER BY l.procedure_code) AS codes, ceil(sum(l.units))::float8 AS units
		FROM billed_claims b JOIN billed_lines l ON l.billed_claim_id = b.id
		WHERE b.prior_authorization <> '' AND b.patient_key IS NOT NULL AND b.service_date_from IS NOT NULL
		GROUP BY b.id ORDER BY b.id`)
	if err != nil {
		return 0, fmt.Errorf("e2e: auths: %w", err)
	}
	byPractice := map[int64][]rules.Auth{}
	var order []int64
	for i, r := range rows {
		if len(r.Key) != len(rules.PatientKey{}) {
			continue
		}
		dos := day.Of(r.Service)
		a := rules.Auth{Number: r.Number, Payer: r.Payer, Codes: r.Codes, NPI: r.NPI,
			From: dos.AddDays(-60), To: dos.AddDays(120), Units: int(r.Units)}
		if i%5 == 4 {
			a.To = dos.AddDays(-1)
		}
		copy(a.Patient[:], r.Key)
		if _, ok := byPractice[r.Practice]; !ok {
			order = append(order, r.Practice)
		}
		byPractice[r.Practice] = append(byPractice[r.Practice], a)
	}
	n := 0
	for _, p := range order {
		res, err := rulesstore.StoreAuths(ctx, l.DB, p, byPractice[p], rulesstore.SourceCSV, l.actor())
		if err != nil {
			return n, fmt.Errorf("e2e: auths of practice %d: %w", p, err)
		}
		n += res.Records
	}
	return n, nil
}
