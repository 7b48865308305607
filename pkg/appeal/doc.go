// Package appeal builds appeal packets for denied interventional pain
// lines: the cover letter with one argument per denied line, a line table
// with the CARC/RARC meanings, the checklist of records to attach and, for
// a Medicare redetermination, the fields of form CMS-20027.
//
// It is pure: the caller fills Facts (the claim, the denied lines with the
// root cause the router found, the evidence the practice has on file and
// the payer profile from pkg/rules) and Build chooses the next appeal
// level of the profile, its addressee and deadline, and writes the
// arguments. Build refuses, with a typed error, to write a packet it cannot
// make honest: no denied line, a line whose route is not an appeal, no
// appeal level left, or evidence that does not support the argument the
// root cause needs (an authorization that does not cover the date, a
// frequency cap that was in fact exceeded, an NCCI pair with modifier
// indicator 0).
//
// FromRoute turns the router's line and decision into a DeniedLine; the
// caller adds the diagnoses and the evidence. The letter cites only the
// public part of a data source: a window or rule that remitq's data marks
// unverified is stated without a citation and reported in
// Packet.Warnings, which stay out of the PDF. Text and WritePDF depend only
// on the packet (the PDF is dated the packet's day), so the same facts give
// the same bytes.
//
// Patient identity (name, date of birth, member id) is held as PHI, whose
// formatted form is always "[REDACTED]"; it is written only into the
// letter, the PDF and the CMS-20027 fields, never into an error or a
// String method.
package appeal
