package matchstore

import (
	"cmp"
	"strconv"
	"strings"
)

// Pos is where a paid claim (CLP) or a PLB stands in the stream of
// remittances: its file, then its segment. "Earlier payments" are those at
// a smaller pos, whatever order the matcher processes happened to handle
// them in.
type Pos struct {
	File int64
	Seg  int32
}

func (p Pos) Cmp(q Pos) int {
	if c := cmp.Compare(p.File, q.File); c != 0 {
		return c
	}
	return cmp.Compare(p.Seg, q.Seg)
}

// Ref is the PaidClaim.Ref of the claim at p: "<file id>:<segment>".
func (p Pos) Ref() string {
	return strconv.FormatInt(p.File, 10) + ":" + strconv.FormatInt(int64(p.Seg), 10)
}

func ParseRef(s string) (Pos, bool) {
	a, b, ok := strings.Cut(s, ":")
	if !ok {
		return Pos{}, false
	}
	f, err1 := strconv.ParseInt(a, 10, 64)
	g, err2 := strconv.ParseInt(b, 10, 32)
	if err1 != nil || err2 != nil {
		return Pos{}, false
	}
	return Pos{f, int32(g)}, true
}

// Key is a lookup key: a practice (or payer) and a value.
type Key struct{ Payer, Control string }
