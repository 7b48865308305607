// Package httpx holds the small HTTP helpers every remitq API shares: JSON
// responses and the one error shape, {"error": {"code": "...", "message":
// "..."}}.
package httpx

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"path/filepath"
	"strconv"
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

// Uploads answers an upload of one file as the request body (its name from
// ?filename= or Content-Disposition) or of several as multipart/form-data
// file parts, each at most limit bytes, calling store for each file in
// order. A single file is answered with store's answer and status; several
// with 200 and {"files": [answer, ...]}. Problems of the request itself are
// answered here (413, 400); when store fails, fail answers and the upload
// stops.
func Uploads(w http.ResponseWriter, r *http.Request, limit int64, store UploadFunc, fail func(http.ResponseWriter, error)) {
	tooLarge := func() {
		Error(w, http.StatusRequestEntityTooLarge, "too_large", "a file may hold at most "+strconv.FormatInt(limit, 10)+" bytes")
	}
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				tooLarge()
			} else {
				Error(w, http.StatusBadRequest, "bad_body", err.Error())
			}
			return
		}
		if len(raw) == 0 {
			Error(w, http.StatusBadRequest, "empty_body", "send the file as the request body, or as multipart/form-data")
			return
		}
		name := r.URL.Query().Get("filename")
		if name == "" {
			if _, p, err := mime.ParseMediaType(r.Header.Get("Content-Disposition")); err == nil {
				name = p["filename"]
			}
		}
		v, status, err := store(filepath.Base("/"+name), raw)
		if err != nil {
			fail(w, err)
			return
		}
		JSON(w, status, v)
		return
	}
	if params["boundary"] == "" {
		Error(w, http.StatusBadRequest, "bad_multipart", "multipart/form-data without a boundary")
		return
	}
	mr, err := r.MultipartReader()
	if err != nil {
		Error(w, http.StatusBadRequest, "bad_multipart", err.Error())
		return
	}
	var out struct {
		Files []any `json:"files"`
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			Error(w, http.StatusBadRequest, "bad_multipart", err.Error())
			return
		}
		if part.FileName() == "" {
			part.Close()
			continue // a form field, not a file
		}
		raw, err := io.ReadAll(io.LimitReader(part, limit+1))
		part.Close()
		if err != nil {
			Error(w, http.StatusBadRequest, "bad_multipart", err.Error())
			return
		}
		if int64(len(raw)) > limit {
			tooLarge()
			return
		}
		v, _, err := store(filepath.Base("/"+part.FileName()), raw)
		if err != nil {
			fail(w, err)
			return
		}
		out.Files = append(out.Files, v)
	}
	if len(out.Files) == 0 {
		Error(w, http.StatusBadRequest, "no_file", "the multipart form holds no file part")
		return
	}
	JSON(w, http.StatusOK, out)
}
