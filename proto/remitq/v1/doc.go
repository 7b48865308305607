// Package remitqv1 holds the protobuf messages remitq sends over NATS
// JetStream (protobuf package remitq.v1), generated from the .proto files in
// this directory by scripts/protogen.sh (make proto). Do not edit the *.pb.go
// files; change the .proto and regenerate.
//
// Message kinds and where they travel (see pkg/bus for subjects and streams):
//
//   - [ServiceLinePayment]: one paid or denied service line of an 835 (or a
//     whole claim without lines), subject remit.v1.line.<practice>.
//   - [ProviderAdjustment]: one PLB adjustment pair, remit.v1.plb.<practice>.
//   - [ClaimPayment]: one CLP loop summary, remit.v1.claim.<practice>.
//   - [LineMatch]: a paid line joined to a billed line, match.v1.line.<practice>.
//   - [DeadLetter]: a message a consumer gave up on, dlq.v1.<original subject>.
//
// Conventions: money is int64 cents (fields *_cents), quantities are int64
// thousandths (*_milli), dates are "YYYY-MM-DD" strings with "" for absent.
// [Patient] and the fields marked PHI hold protected health information:
// never log them, and never log whole messages.
package remitqv1
