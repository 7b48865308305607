package kpi

import (
	"io"
	"iter"
	"strconv"
	"testing"

	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/money"
)

// benchClaims makes n paid lines in claims of two lines over a year:
// three practices, four payers, twelve CPTs, a denial in every tenth line.
func benchClaims(n int) []PaidClaim {
	cpts := []string{"64483", "64484", "62323", "64493", "64494", "64635", "64636", "20552", "20553", "99214", "99213", "J1040"}
	payers := []string{"SYNMCR", "SYNBCB", "SYNAET", "SYNUHC"}
	start := day.New(2026, 1, 1)
	out := make([]PaidClaim, 0, n/2)
	for i := 0; i < n; i += 2 {
		c := PaidClaim{Practice: int64(1 + i%3), Payer: payers[i%4], Provider: "17000000" + strconv.Itoa(10+i%7),
			Status: "1", RemitDate: start + day.Day(i%365), ServiceDate: start + day.Day(i%365) - 20, Billed: true, BilledFrequency: "1"}
		for j := 0; j < 2; j++ {
			l := PaidLine{SVC: j + 1, Procedure: cpts[(i+j)%len(cpts)], Charge: 100000, Paid: 40000, PatientResp: 10000,
				Method:      "line_control",
				Adjustments: []Adjustment{{"CO", "45", 50000}, {"PR", "2", 10000}}}
			if (i+j)%10 == 0 {
				l.Paid, l.PatientResp = 0, 0
				l.Adjustments = []Adjustment{{"CO", "197", 100000}}
				l.Remarks = []string{"N54"}
			}
			c.Lines = append(c.Lines, l)
		}
		out = append(out, c)
	}
	return out
}

// summarize folds contributions into summary rows of one basis, as the
// store does.
func summarize(claims []PaidClaim, b Basis) ([]Row, []Row) {
	sum := map[struct {
		d day.Day
		Dims
	}]*Measures{}
	var detail []Row
	for i := range claims {
		for _, c := range claims[i].Contributions() {
			if c.Basis != b {
				continue
			}
			detail = append(detail, Row{Day: c.Day, Dims: c.Dims, M: c.M})
			k := struct {
				d day.Day
				Dims
			}{c.Day, c.Dims}
			m := sum[k]
			if m == nil {
				m = &Measures{}
				sum[k] = m
			}
			m.Add(&c.M)
		}
	}
	rows := make([]Row, 0, len(sum))
	for k, m := range sum {
		rows = append(rows, Row{Day: k.d, Dims: k.Dims, M: *m})
	}
	return rows, detail
}

func seq(rows []Row) iter.Seq2[*Row, error] {
	return func(yield func(*Row, error) bool) {
		for i := range rows {
			if !yield(&rows[i], nil) {
				return
			}
		}
	}
}

// BenchmarkExport: a report over 1,000,000 service lines' worth of
// summary rows (denial rate by practice, payer and CPT, by day over a
// year) computed and exported as CSV and XLSX, plus the detail export of
// the lines behind it (one row per claim and key) as CSV.
func BenchmarkExport(b *testing.B) {
	claims := benchClaims(1_000_000)
	rows, detail := summarize(claims, RemitBasis)
	def, _ := Lookup("denial_rate")
	b.Logf("%d summary rows, %d detail rows", len(rows), len(detail))
	_ = money.Amount(0)
	for b.Loop() {
		rep, err := Compute(Request{Def: def, GroupBy: []Dim{DimPractice, DimPayer, DimCPT}, Bucket: ByDay,
			From: day.New(2025, 12, 1), To: day.New(2026, 12, 31)}, rows)
		if err != nil {
			b.Fatal(err)
		}
		if err := rep.WriteCSV(io.Discard, nil); err != nil {
			b.Fatal(err)
		}
		if err := rep.WriteXLSX(io.Discard, nil); err != nil {
			b.Fatal(err)
		}
		if err := WriteDetailCSV(io.Discard, def, seq(detail)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExportDetailXLSX: the detail of 1,000,000 lines as one XLSX
// sheet (Excel's limit is 1,048,575 rows), streamed by excelize.
func BenchmarkExportDetailXLSX(b *testing.B) {
	claims := benchClaims(1_000_000)
	_, detail := summarize(claims, RemitBasis)
	def, _ := Lookup("denial_rate")
	for b.Loop() {
		if err := WriteDetailXLSX(io.Discard, def, seq(detail)); err != nil {
			b.Fatal(err)
		}
	}
}
