package wire

import "slices"

// vtMessage is a remitq.v1 message with the encoder protoc-gen-go-vtproto
// generates (make proto): sizes and writes itself without reflection.
type vtMessage interface {
	SizeVT() int
	MarshalToSizedBufferVT([]byte) (int, error)
}

// AppendVT appends m's wire encoding to b and returns the grown buffer, as
// proto.MarshalOptions.MarshalAppend does, without reflection.
func AppendVT(b []byte, m vtMessage) ([]byte, error) {
	n := m.SizeVT()
	b = slices.Grow(b, n)
	if _, err := m.MarshalToSizedBufferVT(b[len(b) : len(b)+n]); err != nil {
		return b, err
	}
	return b[:len(b)+n], nil
}
