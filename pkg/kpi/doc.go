// Package kpi defines remitq's KPIs exactly and computes them: pure, no
// I/O. The definitions (Defs: name, formula, unit, target from seed 000,
// higher-is-better, definition, edge cases, chart form, and why a KPI is
// unavailable when remitq lacks its data) follow DESIGN.md (HFMA MAP Keys /
// MGMA) and are what GET /v1/reports serves.
//
// Source rows become contributions to a daily summary: a paid claim
// (PaidClaim, with its lines, CAS and remarks), a work item (WorkItem), a
// billed claim (BilledClaim) and a patient payment (PatientPayment, from a
// practice-management CSV read by ParsePayments) each add Measures (counts
// and cents) to rows keyed by basis (remit or service date), day and Dims
// (practice, payer, provider, CPT, category, code). Package kpistore keeps
// those rows in PostgreSQL; Compute turns them into a Report for a Request
// (KPI, grouping, basis, day/week/month buckets, dates): numerators and
// denominators per group and period, values as exact rationals formatted
// at the edge. A net collection report with no patient payment in scope
// falls back to its payer-only reading (Def.Variant), without the target.
//
// Reports export as CSV and XLSX (typed cells) and draw (package draw: SVG,
// PNG, PDF) in the form that suits them: lines for time series, bars for
// categories, stacked bars with reversals below zero; Waterfall walks from
// charges to payments, and Pack is the one-page monthly PDF per practice.
package kpi
