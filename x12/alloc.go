package x12

import (
	"bytes"
	"encoding/binary"
	"unsafe"
)

// The typed decoders allocate what they return from the values here, so that
// decoding costs a few allocations per thousand segments rather than a few
// per segment. Everything handed out is independent of everything else
// handed out: strings never change, and a slice has no spare capacity (or,
// when long, spare capacity nothing else uses), so an append by the caller
// copies instead of writing into a neighbour. Records share backing arrays
// in chunks, so a record kept after reading pins at most a few chunks (tens
// of KiB) besides its own values.

const (
	arenaSlab  = 8 << 10 // bytes per string slab
	arenaLarge = 512     // longer values get their own allocation
	chunkBytes = 8 << 10 // bytes per chunk of a slice type (at least 8 elements)
)

// strArena copies element values into shared byte slabs and returns strings
// over the copies. The bytes of a slab below its length are never written
// again: a full slab is left to the strings that point into it and a new
// one started, so the strings are immutable like any other.
type strArena struct {
	slab []byte
}

// str returns b as a string.
func (a *strArena) str(b []byte) string {
	n := len(b)
	if n <= 1 {
		return string(b) // "" and one-byte strings do not allocate
	}
	if n > cap(a.slab)-len(a.slab) {
		if n > arenaLarge {
			return string(b)
		}
		a.slab = make([]byte, 0, arenaSlab)
	}
	off := len(a.slab)
	a.slab = append(a.slab, b...)
	return unsafe.String(&a.slab[off], n)
}

const (
	cacheBits = 10
	cacheSize = 1 << cacheBits
)

// strCache is a bounded, direct-mapped cache of short strings (up to eight
// bytes) keyed by their bytes packed into an integer: the decoders intern
// the highly repetitive values with it (qualifiers, group, reason and remark
// codes, procedure codes and modifiers, dates). A hit costs no allocation;
// a miss allocates the string on its own (not in an arena slab, which the
// cache would keep alive) and replaces the slot.
type strCache struct {
	keys [cacheSize]uint64
	vals [cacheSize]string
}

// packShort returns the bytes of b (at most eight) as a little-endian
// integer, the bytes past len(b) zero.
func packShort(b []byte) uint64 {
	n := len(b)
	if cap(b) >= 8 {
		return binary.LittleEndian.Uint64(b[:8]) & (1<<(8*uint(n)) - 1)
	}
	var v uint64
	for i := n - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}

func cacheSlot(key uint64) uint64 { return key * 0x9E3779B97F4A7C15 >> (64 - cacheBits) }

// lookup returns the cached string for key whose length is n.
func (c *strCache) lookup(key uint64, n int) (string, bool) {
	i := cacheSlot(key)
	if v := c.vals[i]; c.keys[i] == key && len(v) == n {
		return v, true
	}
	return "", false
}

func (c *strCache) store(key uint64, v string) {
	i := cacheSlot(key)
	c.keys[i], c.vals[i] = key, v
}

// chunk hands out slices of T carved from shared backing arrays, each with
// no spare capacity. add appends one element; the slice handed out last
// grows in place while its chunk has room, so building a record's slices
// element by element costs no allocation in the usual case.
type chunk[T any] struct {
	buf []T // the elements handed out so far; cap is the chunk's size
}

// size returns the number of elements of a chunk of T.
func (c *chunk[T]) size() int {
	var zero T
	return max(8, chunkBytes/max(1, int(unsafe.Sizeof(zero))))
}

// newChunk starts a new backing array.
func (c *chunk[T]) newChunk() { c.buf = make([]T, 0, c.size()) }

// add returns s with v appended; s must be nil or a slice add or grow
// returned.
func (c *chunk[T]) add(s []T, v T) []T {
	s, p := c.grow(s)
	*p = v
	return s
}

// grow returns s with one zero element appended, and a pointer to that
// element; s must be nil or a slice add or grow returned.
func (c *chunk[T]) grow(s []T) ([]T, *T) {
	n, top := len(s), len(c.buf)
	if n > 0 && top > 0 && top < cap(c.buf) && &c.buf[top-1] == &s[n-1] {
		// s is the last slice handed out: grow it in place.
		c.buf = c.buf[:top+1]
		return c.buf[top-n : top+1 : top+1], &c.buf[top]
	}
	if cap(c.buf)-top < n+1 {
		if n+1 > c.size()/4 {
			var zero T
			s = append(s, zero) // s has no spare capacity: this copies
			return s, &s[n]
		}
		c.newChunk()
		top = 0
	}
	c.buf = append(c.buf, s...)
	c.buf = c.buf[:top+n+1]
	return c.buf[top : top+n+1 : top+n+1], &c.buf[top+n]
}

// one returns a pointer to a new element set to v.
func (c *chunk[T]) one(v T) *T {
	p := c.zero()
	*p = v
	return p
}

// zero returns a pointer to a new zero element. (Chunks are never reused,
// so the slot is still as make left it.)
func (c *chunk[T]) zero() *T {
	n := len(c.buf)
	if n == cap(c.buf) {
		c.newChunk()
		n = 0
	}
	c.buf = c.buf[:n+1]
	return &c.buf[n]
}

// values is what a decoder allocates strings and quantities from.
type values struct {
	arena  strArena
	codes  strCache
	dates  strCache
	quants chunk[Quantity]
}

// str returns b as a string from the arena.
func (v *values) str(b []byte) string { return v.arena.str(b) }

// trim returns b without surrounding spaces as a string from the arena.
func (v *values) trim(b []byte) string { return v.arena.str(bytes.TrimSpace(b)) }

// code returns b as a string, interned when it is short: for the values
// that repeat (qualifiers, codes).
func (v *values) code(b []byte) string {
	n := len(b)
	if n <= 1 || n > 8 {
		return v.arena.str(b)
	}
	key := packShort(b)
	if s, ok := v.codes.lookup(key, n); ok {
		return s
	}
	s := string(b)
	v.codes.store(key, s)
	return s
}

// date returns parseDate(b), from the cache for CCYYMMDD dates seen before.
func (v *values) date(b []byte) (Date, bool) {
	if len(b) != 8 {
		return parseDate(b)
	}
	key := packShort(b)
	if s, ok := v.dates.lookup(key, len("2006-01-02")); ok {
		return Date(s), true
	}
	d, ok := parseDate(b)
	if ok && len(d) == len("2006-01-02") {
		v.dates.store(key, string(d))
	}
	return d, ok
}
