package x12

import (
	"bytes"
	"errors"
	"io"
	"slices"
)

// TransactionType returns the transaction set identifier (ST01: "835",
// "837", ..., without padding) of the first transaction set in data.
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
			return string(bytes.TrimSpace(s.Element(1))), nil
		}
	}
}

// TransactionTypes returns the distinct transaction set identifiers (ST01)
// of data in the order they first occur, e.g. ["999", "835"]: a file may
// hold several interchanges of different kinds.
func TransactionTypes(data []byte) ([]string, error) {
	r := NewReader(bytes.NewReader(data))
	var out []string
	for {
		s, err := r.Next()
		if s == nil {
			if err == io.EOF || errors.Is(err, ErrTruncated) {
				if err == io.EOF && len(out) == 0 {
					return nil, &Error{Err: ErrMissing, Detail: "no ST segment in the data"}
				}
				if err == io.EOF {
					return out, nil
				}
				continue
			}
			return out, err
		}
		if s.ID() == "ST" {
			if t := string(bytes.TrimSpace(s.Element(1))); !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
}
