// Package httpx holds the small HTTP helpers every remitq API shares: JSON
// responses and the one error shape, {"error": {"code": "...", "message":
// "..."}}.
package httpx

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"strconv"
	"time"
)

// ErrorBody is the JSON shape of every error response.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is a machine-readable code and a sentence for people. The
// message never holds PHI.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// JSON writes v as JSON with the given status.
func JSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// Error writes the error shape with the given status.
func Error(w http.ResponseWriter, status int, code, message string) {
	JSON(w, status, ErrorBody{Error: ErrorDetail{Code: code, Message: message}})
}

// UploadFunc stores one uploaded file (name already reduced to its base)
// and returns the JSON answer for it and, for a single-file upload, the
// status to answer with.
type UploadFunc func(name string, raw []byte) (answer any, status int, err error)

// Uploads is StreamUploads with UploadLimits{MaxFileBytes: limit} and the
// defaults, handing store each file in memory.
func Uploads(w http.ResponseWriter, r *http.Request, limit int64, store UploadFunc, fail func(http.ResponseWriter, error)) {
	StreamUploads(w, r, UploadLimits{MaxFileBytes: limit}, func(f *Spool) (any, int, error) {
		raw, err := f.Bytes()
		if err != nil {
			return nil, 0, err
		}
		return store(f.Name, raw)
	}, fail)
}

// SpoolFunc stores one uploaded file, read from its spool, and returns the
// JSON answer for it and, for a single-file upload, the status.
type SpoolFunc func(f *Spool) (answer any, status int, err error)

// UploadLimits bounds an upload request. Zero fields take the defaults.
type UploadLimits struct {
	// MaxFileBytes bounds one file (default 256 MiB).
	MaxFileBytes int64
	// MaxRequestBytes bounds the whole body (default MaxFileBytes + 1 MiB):
	// a multipart request carries at most this much in all its files.
	MaxRequestBytes int64
	// MaxParts bounds the parts of a multipart request, fields included
	// (default 100).
	MaxParts int
	// Budget, when set, caps the body bytes in flight across requests;
	// beyond it a request is answered 503 with Retry-After.
	Budget *Budget
	// IdleTimeout cuts a body when no byte arrives for this long (default
	// 30 s).
	IdleTimeout time.Duration
	// MinBytesPerSecond cuts a body that arrives slower on average, once
	// Grace (default 10 s) has passed (default 4 KiB/s; -1 for none).
	MinBytesPerSecond int64
	Grace             time.Duration
	// SpoolMemory is how much of a file is kept in memory before the rest
	// goes to an unlinked temporary file in SpoolDir (default 1 MiB; the
	// default dir is os.TempDir()).
	SpoolMemory int
	SpoolDir    string
}

// Defaults of UploadLimits.
const (
	DefaultMaxFileBytes      = 256 << 20
	DefaultMaxParts          = 100
	DefaultBodyIdleTimeout   = 30 * time.Second
	DefaultMinBytesPerSecond = 4 << 10
	DefaultBodyGrace         = 10 * time.Second
	DefaultSpoolMemory       = 1 << 20
)

func (l UploadLimits) withDefaults() UploadLimits {
	if l.MaxFileBytes <= 0 {
		l.MaxFileBytes = DefaultMaxFileBytes
	}
	if l.MaxRequestBytes <= 0 {
		l.MaxRequestBytes = l.MaxFileBytes + 1<<20
	}
	if l.MaxParts <= 0 {
		l.MaxParts = DefaultMaxParts
	}
	if l.IdleTimeout <= 0 {
		l.IdleTimeout = DefaultBodyIdleTimeout
	}
	if l.MinBytesPerSecond == 0 {
		l.MinBytesPerSecond = DefaultMinBytesPerSecond
	}
	if l.Grace <= 0 {
		l.Grace = DefaultBodyGrace
	}
	if l.SpoolMemory <= 0 {
		l.SpoolMemory = DefaultSpoolMemory
	}
	return l
}

// RetryAfterSeconds is the Retry-After of the 503s answered when the
// server is busy.
const RetryAfterSeconds = "2"

// Busy answers 503 with Retry-After: the server is at a cap.
func Busy(w http.ResponseWriter, message string) {
	w.Header().Set("Retry-After", RetryAfterSeconds)
	Error(w, http.StatusServiceUnavailable, "busy", message)
}

// StreamUploads answers an upload of one file as the request body (its
// name from ?filename= or Content-Disposition) or of several as
// multipart/form-data file parts, within lim. Every file is spooled first
// (memory, then an unlinked temporary file), never held whole in memory,
// so that a request over a limit stores nothing; then store is called for
// each file in order. A single file is answered with store's answer and
// status; several with 200 and {"files": [answer, ...]}. Problems of the
// request itself are answered here: 413 (a file, the body or the parts
// over their limit; a Content-Length over the limit is refused before
// reading), 408 (a body that stalls or trickles), 503 with Retry-After
// (bytes in flight at the Budget), 400. When store fails, fail answers and
// the upload stops.
func StreamUploads(w http.ResponseWriter, r *http.Request, lim UploadLimits, store SpoolFunc, fail func(http.ResponseWriter, error)) {
	lim = lim.withDefaults()
	if r.ContentLength > lim.MaxRequestBytes {
		w.Header().Set("Connection", "close")
		tooLarge(w, lim)
		return
	}
	g := &bodyGuard{r: r.Body, rc: http.NewResponseController(w), limit: lim.MaxRequestBytes, idle: lim.IdleTimeout,
		minRate: lim.MinBytesPerSecond, grace: lim.Grace, budget: lim.Budget, start: time.Now()}
	defer g.release()
	if r.ContentLength > 0 {
		// Take the whole declared body at once: a request that cannot fit
		// is refused before it is read.
		if !lim.Budget.TryAcquire(r.ContentLength) {
			w.Header().Set("Connection", "close")
			Busy(w, "too many uploads in progress; send it again later")
			return
		}
		g.taken, g.fixed = r.ContentLength, true
	}
	files, ok := spoolFiles(w, r, g, lim)
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	if !ok {
		return
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		v, status, err := store(files[0])
		if err != nil {
			fail(w, err)
			return
		}
		JSON(w, status, v)
		return
	}
	var out struct {
		Files []any `json:"files"`
	}
	for _, f := range files {
		v, _, err := store(f)
		if err != nil {
			fail(w, err)
			return
		}
		out.Files = append(out.Files, v)
	}
	JSON(w, http.StatusOK, out)
}

func tooLarge(w http.ResponseWriter, lim UploadLimits) {
	Error(w, http.StatusRequestEntityTooLarge, "too_large", "a file may hold at most "+strconv.FormatInt(lim.MaxFileBytes, 10)+
		" bytes and a request "+strconv.FormatInt(lim.MaxRequestBytes, 10))
}

// bodyFailed answers an error of reading the body.
func bodyFailed(w http.ResponseWriter, err error, lim UploadLimits, code string) {
	w.Header().Set("Connection", "close")
	switch {
	case errors.Is(err, ErrBodyTooLarge):
		tooLarge(w, lim)
	case errors.Is(err, ErrBodySlow):
		Error(w, http.StatusRequestTimeout, "slow_body", "the request body stalled or came too slowly")
	case errors.Is(err, ErrBusy):
		Busy(w, "too many uploads in progress; send it again later")
	default:
		Error(w, http.StatusBadRequest, code, err.Error())
	}
}

// spoolFiles reads every file of the request into spools; false when it
// has answered a problem.
func spoolFiles(w http.ResponseWriter, r *http.Request, g *bodyGuard, lim UploadLimits) ([]*Spool, bool) {
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		name := r.URL.Query().Get("filename")
		if name == "" {
			if _, p, err := mime.ParseMediaType(r.Header.Get("Content-Disposition")); err == nil {
				name = p["filename"]
			}
		}
		f := NewSpool(filepath.Base("/"+name), lim.SpoolMemory, lim.SpoolDir)
		files := []*Spool{f}
		if _, err := io.Copy(f, g); err != nil {
			bodyFailed(w, err, lim, "bad_body")
			return files, false
		}
		if f.Size() > lim.MaxFileBytes {
			tooLarge(w, lim)
			return files, false
		}
		if f.Size() == 0 {
			Error(w, http.StatusBadRequest, "empty_body", "send the file as the request body, or as multipart/form-data")
			return files, false
		}
		return files, true
	}
	if params["boundary"] == "" {
		Error(w, http.StatusBadRequest, "bad_multipart", "multipart/form-data without a boundary")
		return nil, false
	}
	mr := multipart.NewReader(g, params["boundary"])
	var files []*Spool
	for parts := 0; ; parts++ {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			bodyFailed(w, err, lim, "bad_multipart")
			return files, false
		}
		if parts == lim.MaxParts {
			part.Close()
			w.Header().Set("Connection", "close")
			Error(w, http.StatusRequestEntityTooLarge, "too_many_parts",
				"a request may hold at most "+strconv.Itoa(lim.MaxParts)+" parts; nothing was stored")
			return files, false
		}
		if part.FileName() == "" {
			_, err := io.Copy(io.Discard, part) // a form field, not a file
			part.Close()
			if err != nil {
				bodyFailed(w, err, lim, "bad_multipart")
				return files, false
			}
			continue
		}
		f := NewSpool(filepath.Base("/"+part.FileName()), lim.SpoolMemory, lim.SpoolDir)
		files = append(files, f)
		_, err = io.Copy(f, io.LimitReader(part, lim.MaxFileBytes+1))
		part.Close()
		if err != nil {
			bodyFailed(w, err, lim, "bad_multipart")
			return files, false
		}
		if f.Size() > lim.MaxFileBytes {
			w.Header().Set("Connection", "close")
			tooLarge(w, lim)
			return files, false
		}
	}
	if len(files) == 0 {
		Error(w, http.StatusBadRequest, "no_file", "the multipart form holds no file part")
		return files, false
	}
	return files, true
}
