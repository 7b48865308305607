package wire

import (
	"errors"

	"google.golang.org/protobuf/encoding/protowire"

	v1 "github.com/remitq/remitq/proto/remitq/v1"
)

// The full protobuf names the bus.HeaderType of a message carries: the
// matcher's claim and line messages, and the ingest's line messages.
var (
	ClaimMatchesType = (&v1.ClaimMatches{}).ProtoReflect().Descriptor().FullName()
	LineMatchType    = (&v1.LineMatch{}).ProtoReflect().Descriptor().FullName()
	LineType         = (&v1.ServiceLinePayment{}).ProtoReflect().Descriptor().FullName()
)

// claimMatchesLines is the field number of ClaimMatches.lines.
const claimMatchesLines protowire.Number = 1

// AppendClaimLine appends one encoded LineMatch to b as an element of a
// ClaimMatches body (field 1, length-delimited) and returns the grown
// buffer and the offset of line inside it, so the same bytes can serve as
// a line message too. A ClaimMatches body is these elements one after the
// other, as proto.Marshal writes it.
func AppendClaimLine(b, line []byte) ([]byte, int) {
	b = protowire.AppendTag(b, claimMatchesLines, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(len(line)))
	return append(b, line...), len(b)
}

// ErrClaimMatches marks a ClaimMatches body that does not decode.
var ErrClaimMatches = errors.New("wire: ClaimMatches does not decode")

// ClaimLines splits a ClaimMatches body into the encoded LineMatch of each
// of its lines, in order, without copying or decoding them. Fields other
// than lines are skipped (a later version may add some).
func ClaimLines(body []byte) ([][]byte, error) {
	var out [][]byte
	for len(body) > 0 {
		num, typ, n := protowire.ConsumeTag(body)
		if n < 0 {
			return nil, ErrClaimMatches
		}
		body = body[n:]
		if num == claimMatchesLines && typ == protowire.BytesType {
			v, m := protowire.ConsumeBytes(body)
			if m < 0 {
				return nil, ErrClaimMatches
			}
			out = append(out, v)
			body = body[m:]
			continue
		}
		m := protowire.ConsumeFieldValue(num, typ, body)
		if m < 0 {
			return nil, ErrClaimMatches
		}
		body = body[m:]
	}
	return out, nil
}
