package remitstore

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Source is a file's bytes, read as often as the ingest needs (hash,
// check, parse, store) without the ingest ever holding a whole copy. A
// *bytes.Reader is one; so is an upload spooled to disk or an open file.
type Source interface {
	io.ReaderAt
	// Size is the number of bytes in the file.
	Size() int64
}

// reader reads src from its start.
func reader(src Source) io.Reader { return io.NewSectionReader(src, 0, src.Size()) }

// hashSource returns the SHA-256 of src.
func hashSource(src Source) ([]byte, error) {
	h := sha256.New()
	if _, err := io.Copy(h, reader(src)); err != nil {
		return nil, fmt.Errorf("ingest: read file: %w", err)
	}
	return h.Sum(nil), nil
}

// maxByteProblems bounds the bad-byte problems reported for one file.
const maxByteProblems = 10

// ByteProblems finds the bytes PostgreSQL text cannot hold: NUL and bytes
// that are not UTF-8 (at most 10 reported, then a count). Each is reported
// with its segment (1-based, counted by the ISA's segment terminator), the
// segment's ID and the offset of the bad byte itself; never the element's
// value. The ingest and the acknowledgments' store check every file with it
// before using its text.
func ByteProblems(src Source) ([]Problem, error) {
	term := byte('~')
	head := make([]byte, 106)
	if n, _ := src.ReadAt(head, 0); n == 106 && bytes.HasPrefix(head, []byte("ISA")) {
		term = head[105]
	}
	br := bufio.NewReaderSize(reader(src), 64<<10)
	var (
		out      []Problem
		more     int
		off      int64
		seg      = 1
		segStart int64
		idBuf    []byte // the current segment's first bytes, for its ID
		atStart  = true
	)
	report := func(at int64, what string) {
		if len(out) == maxByteProblems {
			more++
			return
		}
		id := string(idBuf)
		if i := strings.IndexAny(id, "*|^:"); i >= 0 {
			id = id[:i]
		}
		out = append(out, Problem{Segment: seg, Offset: at, ID: SafeText(id),
			Message: fmt.Sprintf("segment %d holds %s at byte %d; the file must be UTF-8 text", seg, what, at)})
	}
	for {
		b, err := br.ReadByte()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("ingest: read file: %w", err)
		}
		at := off
		off++
		if atStart && (b == '\r' || b == '\n' || b == ' ') {
			continue
		}
		if atStart {
			atStart, segStart, idBuf = false, at, idBuf[:0]
		}
		if len(idBuf) < 3 && at-segStart < 3 && b > ' ' && b < 0x7f {
			idBuf = append(idBuf, b)
		}
		switch {
		case b == term:
			seg++
			atStart = true
		case b == 0:
			report(at, "a NUL byte")
		case b < utf8.RuneSelf:
		default:
			// A multi-byte sequence: look at it whole.
			buf := []byte{b}
			need := 0
			switch {
			case b&0xE0 == 0xC0:
				need = 1
			case b&0xF0 == 0xE0:
				need = 2
			case b&0xF8 == 0xF0:
				need = 3
			}
			if need > 0 {
				if peek, _ := br.Peek(need); len(peek) == need {
					buf = append(buf, peek...)
				}
			}
			if r, size := utf8.DecodeRune(buf); r == utf8.RuneError && size <= 1 || need == 0 {
				report(at, fmt.Sprintf("byte 0x%02x, which is not UTF-8", b))
			} else {
				_, _ = br.Discard(size - 1)
				off += int64(size - 1)
			}
		}
	}
	if more > 0 {
		out = append(out, Problem{Message: fmt.Sprintf("%d more bytes that are not UTF-8 text", more)})
	}
	return out, nil
}

// SafeText returns s with the bytes that are not UTF-8 and the control
// characters replaced by U+FFFD, so that PostgreSQL text and JSON can hold
// it.
func SafeText(s string) string {
	if utf8.ValidString(s) && strings.IndexFunc(s, unicode.IsControl) < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 || unicode.IsControl(r) {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// maxNameBytes bounds a stored file name.
const maxNameBytes = 255

// safeName is the display name of a file and, when that differs from the
// name as received, the received bytes in hex.
func safeName(name string) (display, rawHex string) {
	if len(name) > maxNameBytes {
		name = name[:maxNameBytes]
	}
	display = SafeText(name)
	if display != name {
		rawHex = hex.EncodeToString([]byte(name))
	}
	return display, rawHex
}
