// Package x12 reads and writes the X12 transaction sets remitq lives on:
// the 835 health care claim payment/advice (005010X221A1, and 004010X091A1
// where the structure is the same) and the 837P professional claim
// (005010X222A1).
//
// The layers, from the bottom:
//
//   - Reader tokenizes a stream into segments with their number and byte
//     offset, takes the delimiters from the ISA segment, and checks the
//     ISA/GS/ST envelopes and their counts as they pass.
//   - RemitReader and ClaimReader decode 835 and 837P transaction sets into
//     typed values, one claim at a time, so memory stays flat however large
//     the file is.
//   - Check runs the 835 balancing rules; it reports, never fixes.
//   - Writer encodes segments, envelopes and both transaction sets back to
//     X12 with any delimiters.
//
// Amounts are money.Amount (integer cents). Errors are *Error values that
// name the segment number, byte offset, segment ID and element position and
// never include element values, which may be protected health information.
package x12
