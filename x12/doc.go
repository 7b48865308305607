// Package x12 reads and writes the X12 transaction sets remitq lives on:
// the 835 health care claim payment/advice (005010X221A1, and 004010X091A1
// where the structure is the same), the 837P professional claim
// (005010X222A1, corrected and secondary claims included), and the two
// acknowledgments of a claim batch: the 999 implementation acknowledgment
// (005010X231A1) and the 277CA claim acknowledgment (005010X214).
//
// The layers, from the bottom:
//
//   - Reader tokenizes a stream into segments with their number and byte
//     offset, takes the delimiters from the ISA segment, and checks the
//     ISA/GS/ST envelopes and their counts as they pass.
//   - RemitReader and ClaimReader decode 835 and 837P transaction sets into
//     typed values, one claim at a time, so memory stays flat however large
//     the file is; AckReader and StatusReader do the same for the 999 and
//     the 277CA, and ClaimRejection says, from either, which claim
//     (CLM01, payer claim number, 837 control number) was rejected and why.
//     All four follow one contract (Problems): problems are *Error values
//     listed by Errors and attached to the record they belong to.
//   - Check runs the 835 balancing rules; it reports, never fixes.
//   - Writer encodes segments and envelopes with any delimiters;
//     WriteRemittance, WriteClaims, WriteAck and WriteStatus write the four
//     transaction sets so that their readers give back equal values.
//
// Both decoders check what the implementation guides say of each segment:
// where its loop may stand and how often (a payer or payee loop after the
// claims is reported and skipped, never replacing what was read before
// it), the segments a loop requires, the elements the standard defines and
// those the guide does not use (rules.go, one comparison per segment in the
// common case). An unknown or misplaced segment is reported and skipped;
// the loop state stays right for what follows.
//
// Amounts are money.Amount (integer cents). An amount written with more
// than two decimal places is kept exactly in the record's ExactAmounts
// (money.Micros) with a warning, its field holding it rounded, and the
// balancing checks use the exact value; R elements without a fixed
// precision (DRG weights, rates) are Decimal strings as sent. A repeated
// interchange (same ISA05, ISA06, ISA13), group or transaction set in a file
// is skipped with an ErrDuplicate warning; Summary.Interchanges gives the
// keys for finding a resent file across files. Text before the ISA, Ctrl-Z
// or NUL padding and files wrapped at a fixed width are read with a warning.
//
// Errors are *Error values that name the segment number, byte offset,
// segment ID and element position and never include element values, which
// may be protected health information.
package x12
