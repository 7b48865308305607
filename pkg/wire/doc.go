// Package wire is the one home of every protobuf conversion
// (proto/remitq/v1), so no pure package imports proto:
//
//   - remit.go: an 835 claim (x12.ClaimPayment) to the ClaimPayment and
//     ServiceLinePayment messages the ingest publishes (RemitMessages,
//     PLBMessages);
//   - paid.go: those messages back to the matcher's PaidClaim (PaidClaim);
//   - match.go: a match result to the LineMatch the matcher publishes
//     (LineMatch, BilledLine, MatchMethod, MethodOf);
//   - route.go: a LineMatch to the denial router's input (RouteLine,
//     RouteClaim, Decide) and the keys the router files it under
//     (PracticeKey, PayerKey, RemitDate).
//
// It does no I/O.
package wire
