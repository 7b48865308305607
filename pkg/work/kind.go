package work

import "slices"

// The kinds of a work item (work_items_kind_check: 0004, 0026).
const (
	KindDenial              = "denial"
	KindUnderpayment        = "underpayment"
	KindUnmatchedRemittance = "unmatched_remittance"
	KindBillSecondary       = "bill_secondary" // 0026: a claim to bill to the secondary payer
	KindRejection           = "rejection"      // a front-end rejection (its migration comes with that work)
)

// Kinds are every kind a work item may have: the one list the work-item
// list's kind filter and the queue rules' kind check read.
var Kinds = []string{KindDenial, KindUnderpayment, KindUnmatchedRemittance, KindBillSecondary, KindRejection}

// ValidKind reports whether k is one of Kinds.
func ValidKind(k string) bool { return slices.Contains(Kinds, k) }

// KindsText is Kinds for a message: "denial, underpayment, … or rejection".
func KindsText() string {
	s := ""
	for i, k := range Kinds {
		switch {
		case i == 0:
		case i == len(Kinds)-1:
			s += " or "
		default:
			s += ", "
		}
		s += k
	}
	return s
}
