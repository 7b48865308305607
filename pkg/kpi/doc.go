// Package kpi defines remitq's KPIs exactly and computes them: pure, no
// I/O. The definitions (Defs: name, formula, unit, target from seed 000,
// higher-is-better, edge cases) are what GET /v1/reports serves.
//
// Source rows become contributions to a daily summary: a paid claim
// (PaidClaim, with its lines, CAS and remarks), a work item (WorkItem) and
// a billed claim (BilledClaim) each add Measures (counts and cents) to rows
// keyed by basis (remit or service date), day and Dims (practice, payer,
// provider, CPT, category, code). Package kpistore keeps those rows in
// PostgreSQL; Compute turns them into a Report for a Request (KPI,
// grouping, basis, day/week/month buckets, dates): numerators and
// denominators per group and period, values as exact rationals formatted
// at the edge. Reports export as CSV and XLSX (typed cells) and draw as SVG
// charts with labelled axes, units and the target.
package kpi
