package x12

// Problems is the part of the reader contract every transaction reader of
// this package shares (RemitReader for the 835, ClaimReader for the 837P,
// AckReader for the 999, StatusReader for the 277CA):
//
//   - Next returns one record at a time and io.EOF at the end; a problem in
//     the data never stops reading;
//   - every problem is an *Error carrying the segment identifier, the
//     segment's 1-based index and its byte offset (never element values,
//     which may be protected health information), classed by one of the
//     sentinel errors (ErrInvalid, ErrMissing, ErrUnexpected, ...);
//   - Errors lists the problems found so far, in file order, and Warnings
//     the tolerated deviations; a record a problem belongs to also carries
//     it, so that the caller can quarantine the record and go on.
//
// ClaimReader also returns each problem from Next, in file order between
// the claims, because a claim with errors is not returned at all.
type Problems interface {
	// Errors returns every problem found so far, in file order.
	Errors() []*Error
	// Warnings returns the tolerated deviations found so far.
	Warnings() []*Error
}

var (
	_ Problems = (*RemitReader)(nil)
	_ Problems = (*ClaimReader)(nil)
)
