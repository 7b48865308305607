package appeal

import (
	"errors"
	"strconv"
)

// Sentinel reasons a packet cannot be built; a *BuildError wraps one of
// them (test with errors.Is).
var (
	// ErrNoDeniedLine: Facts has no denied line to appeal.
	ErrNoDeniedLine = errors.New("no denied line to appeal")
	// ErrNotAppealable: a line's route is not an appeal (write-off,
	// corrected claim, reopening, new claim, patient bill).
	ErrNotAppealable = errors.New("line is not appealable")
	// ErrNoLevelLeft: the profile has no appeal level after those used.
	ErrNoLevelLeft = errors.New("no appeal level left in the payer profile")
	// ErrMissingFact: a fact the letter needs is empty.
	ErrMissingFact = errors.New("a required fact is missing")
	// ErrUnsupported: the evidence contradicts the argument the root
	// cause needs, so an honest letter cannot make it.
	ErrUnsupported = errors.New("the evidence does not support an appeal")
)

// BuildError says why Build refused: the reason (a sentinel), the line
// (its claim line number, 0 for the packet) and what was expected. It
// never carries patient identity or free text from the record.
type BuildError struct {
	Err    error
	Line   int
	Detail string
}

// Error reads "appeal: line 2: line is not appealable: route write_off".
func (e *BuildError) Error() string {
	s := "appeal: "
	if e.Line > 0 {
		s += "line " + strconv.Itoa(e.Line) + ": "
	}
	s += e.Err.Error()
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Unwrap returns the sentinel.
func (e *BuildError) Unwrap() error { return e.Err }

func fail(err error, line int, detail string) *BuildError {
	return &BuildError{Err: err, Line: line, Detail: detail}
}
