package x12

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
)

// TestChunkAdd: slices handed out by chunk.add never share memory a later
// add or a caller's append could write.
func TestChunkAdd(t *testing.T) {
	var c chunk[int]
	var all [][]int
	var want [][]int
	for i := range 200 {
		var s []int
		var w []int
		for j := range i % 7 {
			s = c.add(s, i*10+j)
			w = append(w, i*10+j)
			if cap(s) != len(s) {
				t.Fatalf("slice %d has spare capacity %d > %d", i, cap(s), len(s))
			}
		}
		// Interleave: an older slice grows after a newer one exists.
		if i > 0 && i%5 == 0 {
			k := i - 1
			all[k] = c.add(all[k], -k)
			want[k] = append(want[k], -k)
		}
		all, want = append(all, s), append(want, w)
	}
	// A caller's append copies.
	for k := range all {
		_ = append(all[k], 999)
	}
	for k := range all {
		if !slices.Equal(all[k], want[k]) {
			t.Fatalf("slice %d = %v, want %v", k, all[k], want[k])
		}
	}
	// Long slices leave the chunks.
	var long []int
	for i := range 1000 {
		long = c.add(long, i)
	}
	if len(long) != 1000 || long[999] != 999 {
		t.Fatalf("long slice: %d elements", len(long))
	}
}

// TestStrArena: strings from the arena keep their value however many follow.
func TestStrArena(t *testing.T) {
	var a strArena
	var got []string
	var want []string
	buf := make([]byte, 0, 1000)
	for i := range 5000 {
		v := fmt.Sprintf("value-%d-%s", i, strings.Repeat("x", i%600))
		buf = append(buf[:0], v...)
		got = append(got, a.str(buf))
		want = append(want, v)
		clear(buf[:cap(buf)]) // the source changes: the string must not
	}
	if !slices.Equal(got, want) {
		t.Fatal("arena strings changed")
	}
}

// TestValuesCode: interned codes and cached dates equal plain conversions,
// whatever the bytes beyond the value.
func TestValuesCode(t *testing.T) {
	var v values
	for _, s := range []string{"", "A", "HC", "CO", "PR", "99214", "64484", "N54", "ABCDEFGH", "ABCDEFGHI", "A\x00", "A\x00\x00", "\x00"} {
		for _, tail := range []string{"", "*", "*XYZXYZXYZ", "\x00\x00\x00\x00\x00\x00\x00\x00"} {
			b := []byte(s + tail)[:len(s)]
			for range 2 {
				if got := v.code(b); got != s {
					t.Errorf("code(%q) = %q", s, got)
				}
			}
		}
	}
	for _, s := range []string{"20260209", "20260230", "260209", "2026020", " 20260209", "2026-2-9", "20261309"} {
		want, wantOK := parseDate([]byte(s))
		for range 3 {
			if got, ok := v.date([]byte(s + "*1")[:len(s)]); got != want || ok != wantOK {
				t.Errorf("date(%q) = %q %v, want %q %v", s, got, ok, want, wantOK)
			}
		}
	}
	if n := testing.AllocsPerRun(100, func() { v.code([]byte("99214")); v.date([]byte("20260209")) }); n != 0 {
		t.Errorf("cached code and date: %.0f allocations", n)
	}
}

// TestRemitReaderRecordsIndependent: records read earlier keep their values
// after the reader goes on, and appending to their slices disturbs nothing.
func TestRemitReaderRecordsIndependent(t *testing.T) {
	data := readFile(t, "testdata/835/pain-full.835")
	want, _ := ReadRemittances(bytes.NewReader(data))
	wantJSON, _ := json.Marshal(want)

	d := NewRemitReader(bytes.NewReader(data))
	var claims []*ClaimPayment
	for {
		rec, err := d.Next()
		if err == io.EOF {
			break
		}
		if c, ok := rec.(*ClaimPayment); ok {
			claims = append(claims, c)
			for _, l := range c.Lines {
				_ = append(l.Adjustments, Adjustment{Group: "XX"})
				_ = append(l.Refs, Ref{Qualifier: "XX"})
				_ = append(l.Procedure.Modifiers, "XX")
			}
			_ = append(c.Lines, &ServicePayment{})
			_ = append(c.Adjustments, Adjustment{Group: "XX"})
		}
	}
	got, _ := ReadRemittances(bytes.NewReader(data))
	gotJSON, _ := json.Marshal(got)
	if !bytes.Equal(gotJSON, wantJSON) {
		t.Fatal("a second read differs from the first")
	}
	var n int
	for _, r := range want.Remittances {
		for i, c := range r.Claims {
			cj, _ := json.Marshal(c)
			kj, _ := json.Marshal(claims[n+i])
			if !bytes.Equal(cj, kj) {
				t.Errorf("claim %d changed after reading on:\n%s\n%s", n+i, kj, cj)
			}
		}
		n += len(r.Claims)
	}
	if n != len(claims) || n == 0 {
		t.Fatalf("%d claims streamed, %d read", len(claims), n)
	}
}

// TestClaimReaderRecordsIndependent is TestRemitReaderRecordsIndependent
// for 837P claims.
func TestClaimReaderRecordsIndependent(t *testing.T) {
	for _, path := range testdataFiles(t, "testdata/837/*.837") {
		data := readFile(t, path)
		want, _ := ReadClaims(bytes.NewReader(data))
		d := NewClaimReader(bytes.NewReader(data))
		var got []*Claim
		for {
			c, err := d.Next()
			if err == io.EOF {
				break
			}
			if c == nil {
				continue
			}
			got = append(got, c)
			for _, l := range c.Lines {
				_ = append(l.Dates, ClaimDate{Qualifier: "XX"})
				_ = append(l.Procedure.Modifiers, "XX")
			}
			_ = append(c.Lines, &ServiceLine{})
			_ = append(c.Diagnoses, Diagnosis{Qualifier: "XX"})
			_ = append(c.Dates, ClaimDate{Qualifier: "XX"})
		}
		var all []*Claim
		for _, b := range want.Batches {
			all = append(all, b.Claims...)
		}
		if len(all) != len(got) || len(got) == 0 {
			t.Fatalf("%s: %d claims streamed, %d read", path, len(got), len(all))
		}
		for i := range all {
			a, _ := json.Marshal(all[i])
			b, _ := json.Marshal(got[i])
			if !bytes.Equal(a, b) {
				t.Errorf("%s: claim %d changed after reading on:\n%s\n%s", path, i, b, a)
			}
		}
	}
}
