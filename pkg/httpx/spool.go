package httpx

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// Spool is one received file: its first bytes in memory, the rest in a
// temporary file that is unlinked as soon as it is made (nothing remains
// after a crash), so that a large upload costs disk, not memory. It is an
// io.ReaderAt with a Size, as remitstore.Source wants. Close frees it.
type Spool struct {
	// Name is the file's name as sent, reduced to its base; it may hold
	// any bytes.
	Name string
	mem  []byte
	file *os.File
	size int64
	max  int
	dir  string
}

// NewSpool returns an empty spool keeping up to memBytes in memory and the
// rest in a temporary file in dir (os.TempDir() when empty).
func NewSpool(name string, memBytes int, dir string) *Spool {
	return &Spool{Name: name, max: memBytes, dir: dir}
}

// Write appends p.
func (s *Spool) Write(p []byte) (int, error) {
	if s.file == nil && len(s.mem)+len(p) <= s.max {
		s.mem = append(s.mem, p...)
		s.size += int64(len(p))
		return len(p), nil
	}
	if s.file == nil {
		f, err := os.CreateTemp(s.dir, "remitq-upload-*")
		if err != nil {
			return 0, fmt.Errorf("httpx: spool: %w", err)
		}
		_ = os.Remove(f.Name()) // unlinked: the open descriptor keeps it
		if _, err := f.Write(s.mem); err != nil {
			f.Close()
			return 0, fmt.Errorf("httpx: spool: %w", err)
		}
		s.file, s.mem = f, nil
	}
	n, err := s.file.Write(p)
	s.size += int64(n)
	if err != nil {
		return n, fmt.Errorf("httpx: spool: %w", err)
	}
	return n, nil
}

// Size is the number of bytes written.
func (s *Spool) Size() int64 { return s.size }

// ReadAt implements io.ReaderAt.
func (s *Spool) ReadAt(p []byte, off int64) (int, error) {
	if s.file != nil {
		if off >= s.size {
			return 0, io.EOF
		}
		return s.file.ReadAt(p, off)
	}
	if off >= int64(len(s.mem)) {
		return 0, io.EOF
	}
	n := copy(p, s.mem[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Bytes returns the whole file in memory (one copy).
func (s *Spool) Bytes() ([]byte, error) {
	if s.file == nil {
		return s.mem, nil
	}
	b := make([]byte, s.size)
	if _, err := s.file.ReadAt(b, 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("httpx: spool: %w", err)
	}
	return b, nil
}

// Close frees the memory and the temporary file.
func (s *Spool) Close() error {
	s.mem = nil
	if s.file != nil {
		err := s.file.Close()
		s.file = nil
		return err
	}
	return nil
}
