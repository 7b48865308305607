package x12

import (
	"bytes"
	"io"
)

// TransactionType returns the transaction set identifier (ST01: "835",
// "837", ...) of the first transaction set in data.
func TransactionType(data []byte) (string, error) {
	r := NewReader(bytes.NewReader(data))
	for {
		s, err := r.Next()
		if s == nil {
			if err == io.EOF {
				return "", &Error{Err: ErrMissing, Detail: "no ST segment in the data"}
			}
			return "", err
		}
		if s.ID() == "ST" {
			return s.String(1), nil
		}
	}
}
