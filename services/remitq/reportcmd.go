package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/remitq/remitq/pkg/day"
	"github.com/remitq/remitq/pkg/kpi"
	"github.com/remitq/remitq/pkg/kpistore"
)

func init() {
	register(command{name: "report", usage: "--month YYYY-MM --out DIR [--practice ID]  month-end pack: every KPI's CSV, XLSX and SVG charts (the month by day, the trailing 12 months by month)", run: runReport})
}

func runReport(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	var ef envFlags
	ef.register(fs, "")
	month := fs.String("month", "", "the month, YYYY-MM")
	out := fs.String("out", "", "folder to write the files into (created)")
	practice := fs.Int64("practice", 0, "only this practice (default: every practice)")
	if err := fs.Parse(args); err != nil || *month == "" || *out == "" || fs.NArg() > 0 {
		return errUsage
	}
	m, err := time.Parse("2006-01", *month)
	if err != nil {
		return fmt.Errorf("--month %q: want YYYY-MM", *month)
	}
	e, err := ef.open(ctx, "remitq")
	if err != nil {
		return err
	}
	defer e.Close()
	if _, err := kpistore.Refresh(ctx, e.deps.DB); err != nil {
		return err
	}
	scope := kpistore.Scope{}
	if *practice != 0 {
		scope.Practices = []int64{*practice}
	}
	files, err := writePack(ctx, e.deps.DB, m, *out, scope)
	for _, f := range files {
		fmt.Println(f)
	}
	return err
}

// writePack writes, for every KPI, the month by day and the trailing
// twelve months by month as CSV, XLSX and SVG into dir.
func writePack(ctx context.Context, db *sqlx.DB, month time.Time, dir string, scope kpistore.Scope) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	first := day.Of(month)
	last := day.Of(month.AddDate(0, 1, -1))
	yearStart := day.Of(month.AddDate(0, -11, 0))
	var written []string
	for _, def := range kpi.Defs() {
		for _, span := range []struct {
			suffix   string
			from     day.Day
			bucket   kpi.Bucket
			subtitle string
		}{
			{"month-by-day", first, kpi.ByDay, month.Format("January 2006") + " by day"},
			{"12-months", yearStart, kpi.ByMonth, "trailing 12 months to " + month.Format("January 2006")},
		} {
			rep, err := kpistore.Report(ctx, db, kpi.Request{Def: def, Bucket: span.bucket, From: span.from, To: last}, scope)
			if err != nil {
				return written, fmt.Errorf("%s: %w", def.Name, err)
			}
			labels, err := kpistore.Labels(ctx, db, rep)
			if err != nil {
				return written, err
			}
			base := filepath.Join(dir, def.Name+"-"+span.suffix)
			for _, w := range []struct {
				ext   string
				write func(*os.File) error
			}{
				{"csv", func(f *os.File) error { return rep.WriteCSV(f, labels) }},
				{"xlsx", func(f *os.File) error { return rep.WriteXLSX(f, labels) }},
				{"svg", func(f *os.File) error {
					return rep.WriteSVG(f, kpi.ChartOptions{Labels: labels, Subtitle: span.subtitle})
				}},
			} {
				name := base + "." + w.ext
				f, err := os.Create(name)
				if err != nil {
					return written, err
				}
				err = w.write(f)
				if cerr := f.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					return written, fmt.Errorf("%s: %w", name, err)
				}
				written = append(written, name)
			}
		}
	}
	return written, nil
}
