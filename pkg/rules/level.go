package rules

import (
	"regexp"
	"strings"
)

var levelRE = regexp.MustCompile(`(?i)\b([CTLS])\s?(\d{1,2})(?:\s*[-/]\s*([CTLS])?\s?(\d{1,2}))?\b`)

// NormLevel normalises a spinal level: "l4-5", "L4/L5" and "L4-L5" all give
// "L4-L5"; "L5-S1" stays; a single vertebra gives "L5". It returns "" for
// text that is not a level.
func NormLevel(s string) string {
	m := levelRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil || len(m[0]) != len(strings.TrimSpace(s)) {
		return ""
	}
	return levelOf(m)
}

// FindLevel returns the first spinal level range written in free text (a
// line note, a procedure description), normalised, or "". Only ranges
// ("L4-L5") are taken from free text: a lone "S1" is too often something else.
func FindLevel(text string) string {
	for _, m := range levelRE.FindAllStringSubmatch(text, -1) {
		if m[4] != "" {
			return levelOf(m)
		}
	}
	return ""
}

func levelOf(m []string) string {
	a := strings.ToUpper(m[1]) + m[2]
	if m[4] == "" {
		return a
	}
	b := strings.ToUpper(m[3])
	if b == "" {
		b = strings.ToUpper(m[1])
	}
	return a + "-" + b + m[4]
}

// sameLevel reports whether two lines' levels may be the same: equal, or
// one of them unknown.
func sameLevel(a, b string) bool { return a == "" || b == "" || a == b }
