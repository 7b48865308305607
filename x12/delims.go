package x12

import (
	"bytes"
	"fmt"
)

// Delimiters are the four separators of an X12 interchange, declared by its
// ISA segment: the element separator (ISA byte 4), the repetition separator
// (ISA11 in 5010; none in 4010), the component separator (ISA16) and the
// segment terminator (the byte after ISA16).
type Delimiters struct {
	Element    byte
	Component  byte
	Repetition byte // 0: none (4010)
	Segment    byte
}

// DefaultDelimiters are the usual ones: * : ^ ~.
var DefaultDelimiters = Delimiters{Element: '*', Component: ':', Repetition: '^', Segment: '~'}

// Validate checks that the delimiters are distinct and not letters or digits.
func (d Delimiters) Validate() error {
	all := []byte{d.Element, d.Component, d.Segment}
	if d.Repetition != 0 {
		all = append(all, d.Repetition)
	}
	for i, c := range all {
		if isAlnum(c) || c == ' ' || c == 0 {
			return fmt.Errorf("%w: delimiter %q is a letter, digit, space or NUL", ErrDelimiters, c)
		}
		for _, o := range all[i+1:] {
			if c == o {
				return fmt.Errorf("%w: delimiter %q used twice", ErrDelimiters, c)
			}
		}
	}
	return nil
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// detection is what detectDelimiters found at the start of a stream.
type detection struct {
	d        Delimiters
	envelope bool // starts with ISA (false: bare ST..SE)
	warnings []string
}

// detectDelimiters reads the delimiters from the start of b, which begins at
// the first byte of the ISA (or ST) segment. It needs the whole ISA in b.
func detectDelimiters(b []byte) (detection, error) {
	var det detection
	if len(b) >= 4 && string(b[:3]) == "ISA" && !isAlnum(b[3]) {
		det.envelope = true
		j := 3
		for j < len(b) && b[j] == ' ' {
			j++
		}
		if j >= len(b) {
			return det, fmt.Errorf("%w: ISA segment incomplete", ErrTruncated)
		}
		el := b[j]
		if j != 3 {
			det.warnings = append(det.warnings, "ISA is not fixed-width (spaces before the element separator)")
		}
		// Walk to the 16th element separator; ISA16 follows it.
		pos, n := j, 1
		for n < 16 {
			k := bytes.IndexByte(b[pos+1:], el)
			if k < 0 {
				return det, fmt.Errorf("%w: ISA segment has fewer than 16 elements", ErrTruncated)
			}
			pos += k + 1
			n++
		}
		if pos+1 >= len(b) {
			return det, fmt.Errorf("%w: ISA segment incomplete", ErrTruncated)
		}
		if pos != 103 {
			det.warnings = append(det.warnings, "ISA is not fixed-width (106 characters)")
		}
		comp := b[pos+1]
		var term byte
		if pos+2 < len(b) {
			term = b[pos+2]
		}
		switch {
		case comp == '\r' || comp == '\n':
			det.warnings = append(det.warnings, "ISA16 (component separator) missing; using ':' and line ends as segment terminator")
			comp, term = ':', '\n'
		case term == '\r' || term == '\n':
			// Segments end with a line break; a CR before the LF is stripped.
			if term == '\r' && (pos+3 >= len(b) || b[pos+3] != '\n') {
				term = '\r'
			} else {
				term = '\n'
			}
		case term == 0 || isAlnum(term) || term == ' ':
			return det, fmt.Errorf("%w: no segment terminator after ISA16", ErrDelimiters)
		}
		// ISA11: repetition separator in 5010, "U" in 4010.
		var rep byte
		if isa11 := nthField(b[j+1:pos], el, 11); len(bytes.TrimSpace(isa11)) == 1 {
			c := bytes.TrimSpace(isa11)[0]
			if !isAlnum(c) {
				rep = c
			}
		}
		det.d = Delimiters{Element: el, Component: comp, Repetition: rep, Segment: term}
		if rep != 0 && (rep == el || rep == comp || rep == term) {
			return det, fmt.Errorf("%w: ISA11 (repetition separator) repeats another delimiter", ErrDelimiters)
		}
		if err := det.d.Validate(); err != nil {
			return det, err
		}
		return det, nil
	}
	if len(b) >= 3 && string(b[:2]) == "ST" && !isAlnum(b[2]) && !isSpace(b[2]) {
		el := b[2]
		det.warnings = append(det.warnings, "no ISA/GS envelope: the file starts at ST")
		// The terminator is the first byte after ST that is neither a letter,
		// digit, space nor the element separator.
		var term byte
		for _, c := range b[3:] {
			if !isAlnum(c) && c != el && c != ' ' && c != '_' && c != '-' && c != '.' {
				term = c
				break
			}
		}
		switch term {
		case 0:
			return det, fmt.Errorf("%w: no segment terminator after ST", ErrDelimiters)
		case '\r':
			term = '\n'
		}
		comp := byte(':')
		for _, id := range []string{"SVC", "SV1"} {
			pat := append([]byte(id), el)
			if i := bytes.Index(b, pat); i >= 0 && i+len(pat)+3 <= len(b) {
				q := b[i+len(pat):]
				if isAlnum(q[0]) && isAlnum(q[1]) && !isAlnum(q[2]) && q[2] != el && q[2] != term {
					comp = q[2]
					break
				}
			}
		}
		det.d = Delimiters{Element: el, Component: comp, Segment: term}
		if err := det.d.Validate(); err != nil {
			return det, err
		}
		return det, nil
	}
	return det, ErrNoHeader
}
