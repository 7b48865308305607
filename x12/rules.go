package x12

import "strconv"

// This file holds what the X12 standard and the implementation guides say
// about each segment's elements, as a table the decoders consult with two
// comparisons per segment: how many elements the standard defines (more is
// an error), and which ones the 835 (005010X221A1) and 837P (005010X222A1)
// guides mark "not used".

// Guides whose "not used" elements the table knows.
const (
	guide835 = iota
	guide837
	guideNone // 004010 and unknown versions: only the element counts
	numGuides
)

// guideFor returns the guide whose not-used elements apply to a
// transaction set of the given implementation (ST03 or GS08).
func guideFor(g int, implementation string) int {
	if len(implementation) >= 6 && implementation[:6] == "005010" {
		return g
	}
	return guideNone
}

// segRule is the table entry of one segment identifier.
type segRule struct {
	max     uint8             // elements defined by the standard (0: unknown)
	notUsed [numGuides]uint32 // bit i: element i is not used by the guide
	first   [numGuides]uint8  // lowest not-used element (0: none)
	not837  bool              // a segment of other transaction sets (835) with no place in an 837P
	ok      [4]uint8          // per guide: a segment with at most this many elements needs no check (4: index g&3 needs no bounds check)
}

// segMax is the number of elements of each segment in the 005010 standard
// (the larger count where 004010 differs).
var segMax = map[string]uint8{
	"ISA": 16, "IEA": 2, "GS": 8, "GE": 2, "ST": 3, "SE": 2, "TA1": 5,
	"BPR": 21, "TRN": 4, "CUR": 21, "REF": 4, "DTM": 6, "N1": 6, "N2": 2, "N3": 2, "N4": 7,
	"PER": 9, "RDM": 5, "LX": 1, "TS3": 24, "TS2": 19, "CLP": 14, "CAS": 19, "NM1": 12,
	"MIA": 24, "MOA": 9, "AMT": 3, "QTY": 4, "SVC": 7, "LQ": 2, "PLB": 14,
	"BHT": 6, "HL": 4, "PRV": 6, "SBR": 9, "PAT": 9, "DMG": 11, "CLM": 20, "DTP": 3,
	"PWK": 9, "CN1": 6, "K3": 3, "NTE": 2, "CR1": 10, "CR2": 12, "CRC": 7, "HI": 12,
	"HCP": 15, "SV1": 21, "SV5": 7, "MEA": 12, "PS1": 3, "LIN": 31, "CTP": 11, "SVD": 6,
	"OI": 6, "FRM": 5, "CR3": 5, "SV2": 10, "CL1": 4,
}

// segNotUsed lists, per guide, the elements the guide marks "not used" in
// every loop where the segment occurs. Taken from the machine-readable
// guide maps of pyx12 (github.com/azoner/pyx12, BSD-3-Clause, commit
// 8893c59: pyx12/map/835.5010.X221.A1.xml and 837.5010.X222.A1.xml): the
// elements with usage N in every occurrence of the segment.
var segNotUsed = [numGuides]map[string][]int{
	guide835: {
		"AMT": {3}, "BPR": {17, 18, 19, 20, 21}, "CLP": {10, 14}, "CUR": {3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21},
		"DTM": {3, 4, 5, 6}, "N1": {5, 6}, "N4": {5, 6}, "NM1": {6, 10, 11, 12}, "PER": {9}, "QTY": {3, 4}, "RDM": {4, 5},
		"REF": {3, 4}, "TS3": {6, 7, 8, 9, 10, 11, 12, 14, 16, 19},
	},
	guide837: {
		"AMT": {3}, "CLM": {3, 4, 13, 14, 15, 16, 17, 18, 19}, "CR1": {3, 7, 8}, "CR2": {1, 2, 3, 4, 5, 6, 7, 9, 12}, "CR3": {4, 5},
		"CTP": {1, 2, 3, 6, 7, 8, 9, 10, 11}, "CUR": {3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21},
		"DMG": {4, 5, 6, 7, 8, 9, 10, 11}, "HCP": {8}, "K3": {2, 3},
		"LIN": {1, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31},
		"MEA": {4, 5, 6, 7, 8, 9, 10, 11, 12}, "N4": {5, 6}, "NM1": {6, 10, 11, 12}, "OI": {1, 2, 5}, "PAT": {2, 3, 4},
		"PER": {9}, "PRV": {4, 5, 6}, "PS1": {3}, "PWK": {3, 4, 7, 8, 9}, "QTY": {3, 4}, "REF": {3}, "SBR": {6, 7, 8},
		"SV1": {6, 8, 10, 13, 14, 16, 17, 18, 19, 20, 21}, "SV5": {7}, "SVD": {4},
	},
}

// ruleFor builds the table entry of id.
func ruleFor(id string) segRule {
	r := segRule{max: segMax[id], not837: not837[id]}
	for g := range numGuides {
		for _, i := range segNotUsed[g][id] {
			r.notUsed[g] |= 1 << i
			if r.first[g] == 0 || uint8(i) < r.first[g] {
				r.first[g] = uint8(i)
			}
		}
	}
	for g := range numGuides {
		r.ok[g] = 255
		if r.max > 0 {
			r.ok[g] = r.max
		}
		if r.first[g] > 0 {
			r.ok[g] = min(r.ok[g], r.first[g]-1)
		}
	}
	return r
}

// elementsOK reports whether s needs no element check under guide g: the
// common case, decided by one comparison (inlined).
func elementsOK(s *Segment, g int) bool {
	r := s.rule
	return r == nil || len(s.ends)-1 <= int(r.ok[g&3])
}

// checkElements appends to errs the element problems of s under guide g:
// more elements than the standard defines (ErrInvalid, at the first extra
// element) and a not-used element present (ErrUnexpected, at the element).
// Call it when elementsOK is false.
//
//go:noinline
func checkElements(s *Segment, g int, errs []*Error) []*Error {
	r := s.rule
	if r == nil {
		return errs
	}
	n := s.Len()
	if r.max > 0 && n > int(r.max) {
		errs = append(errs, errAt(s, int(r.max)+1, ErrInvalid,
			"too many elements: "+s.ID()+" has at most "+strconv.Itoa(int(r.max))+"; the rest is not read"))
	}
	if m := r.notUsed[g]; m != 0 {
		for i := int(r.first[g]); i <= min(n, int(r.max)) && i < 32; i++ {
			if m&(1<<i) != 0 && s.Has(i) {
				errs = append(errs, errAt(s, i, ErrUnexpected, "element not used by the implementation guide; ignored"))
			}
		}
	}
	return errs
}
