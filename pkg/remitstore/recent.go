package remitstore

import (
	"sync"

	"github.com/remitq/remitq/x12"
)

// KeepDecodedBytes is the largest file whose decoded records the ingest
// keeps from its first pass: its rows are written from them, and they are
// handed to the Publisher through a Recent, so such a file is decoded once
// (larger files are decoded again for the rows and by the publisher, which
// keeps the ingest's memory flat).
const KeepDecodedBytes = 4 << 20

// Recent hands the decoded records of files just stored from an Ingester
// to a Publisher of the same process, so the publisher neither reads the
// file back from PostgreSQL nor decodes it again. It holds at most about
// MaxBytes of files (by their size), dropping the oldest; a file not found
// here is read from the database as before, so nothing depends on it. The
// zero value holds nothing; use NewRecent.
type Recent struct {
	mu    sync.Mutex
	max   int64
	size  int64
	files map[int64]recentFile
	order []int64
}

type recentFile struct {
	sha  [32]byte
	size int64
	recs []x12.RemitRecord
}

// NewRecent returns a Recent holding up to maxBytes of files.
func NewRecent(maxBytes int64) *Recent {
	return &Recent{max: maxBytes, files: map[int64]recentFile{}}
}

func (r *Recent) put(id int64, sha [32]byte, size int64, recs []x12.RemitRecord) {
	if r == nil || r.files == nil || size > r.max {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for r.size+size > r.max && len(r.order) > 0 {
		old := r.order[0]
		r.order = r.order[1:]
		if f, ok := r.files[old]; ok {
			r.size -= f.size
			delete(r.files, old)
		}
	}
	r.files[id] = recentFile{sha: sha, size: size, recs: recs}
	r.order = append(r.order, id)
	r.size += size
}

// take returns and forgets the records of file id.
func (r *Recent) take(id int64) (recentFile, bool) {
	if r == nil || r.files == nil {
		return recentFile{}, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	f, ok := r.files[id]
	if ok {
		delete(r.files, id)
		r.size -= f.size
		for i, o := range r.order {
			if o == id {
				r.order = append(r.order[:i], r.order[i+1:]...)
				break
			}
		}
	}
	return f, ok
}

// each calls fn for each record of recs, stopping at fn's first error.
func each(recs []x12.RemitRecord, fn func(x12.RemitRecord) error) error {
	for _, rec := range recs {
		if err := fn(rec); err != nil {
			return err
		}
	}
	return nil
}
