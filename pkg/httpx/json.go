package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// BodyError is a request body DecodeJSON refused: the status and code to
// answer with and a message naming what is wrong (a field name, a
// position), never a value.
type BodyError struct {
	Status  int
	Code    string
	Message string
}

func (e *BodyError) Error() string { return e.Code + ": " + e.Message }

// Write answers the error with the error shape.
func (e *BodyError) Write(w http.ResponseWriter) { Error(w, e.Status, e.Code, e.Message) }

// DecodeJSON reads exactly one JSON value from body into v, at most limit
// bytes (0: no limit beyond the reader's own): an empty body, a syntax
// error, a value of the wrong type, a field v does not have, or anything
// but white space after the value is a *BodyError (400; 413 when the body
// is too large). Every handler and guard that reads a JSON body uses it, so
// a guard and the handler behind it never disagree about what a body says.
func DecodeJSON(body io.Reader, limit int64, v any) error {
	if body == nil {
		return &BodyError{http.StatusBadRequest, "bad_json", "a JSON body is required"}
	}
	if limit > 0 {
		body = io.LimitReader(body, limit+1)
	}
	raw, err := io.ReadAll(body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &BodyError{http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("the body may hold at most %d bytes", mbe.Limit)}
		}
		return &BodyError{http.StatusBadRequest, "bad_body", "the body could not be read"}
	}
	if limit > 0 && int64(len(raw)) > limit {
		return &BodyError{http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("the body may hold at most %d bytes", limit)}
	}
	return DecodeJSONBytes(raw, v)
}

// DecodeJSONBytes is DecodeJSON on a body already read.
func DecodeJSONBytes(raw []byte, v any) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		return &BodyError{http.StatusBadRequest, "bad_json", "a JSON body is required"}
	}
	// PostgreSQL text holds no NUL: a string with one is the caller's error
	// here, not the database's later.
	if bytes.Contains(raw, []byte(`\u0000`)) && holdsNUL(raw) {
		return &BodyError{http.StatusBadRequest, "bad_json", "a string in the body holds a NUL character (\\u0000)"}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &BodyError{http.StatusBadRequest, "bad_json", describe(err)}
	}
	// Anything after the value, even another valid value, is refused.
	if off := dec.InputOffset(); len(bytes.TrimSpace(raw[off:])) > 0 {
		return &BodyError{http.StatusBadRequest, "bad_json", fmt.Sprintf("the body holds more than one JSON value (extra data at byte %d)", off)}
	}
	return nil
}

// holdsNUL reports whether a string (or object key) of the JSON in raw
// holds U+0000.
func holdsNUL(raw []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(raw))
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		if s, ok := tok.(string); ok && strings.IndexByte(s, 0) >= 0 {
			return true
		}
	}
}

// describe turns a decoding error into a message without the body's values.
func describe(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("the body is not valid JSON (at byte %d)", se.Offset)
	case errors.As(err, &te):
		if te.Field != "" {
			return fmt.Sprintf("field %q must be %s", te.Field, kind(te.Type.String()))
		}
		return "the body must be a JSON " + kind(te.Type.String())
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the body ends in the middle of a JSON value"
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return "unknown field " + f
	}
	if strings.HasPrefix(msg, "json: ") {
		return "the body is not valid for this request"
	}
	// Errors of the value's own UnmarshalJSON: written for people, no values.
	return msg
}

func kind(goType string) string {
	switch {
	case strings.HasPrefix(goType, "map["), strings.HasPrefix(goType, "struct"):
		return "an object"
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	case strings.Contains(goType, "int"), strings.Contains(goType, "float"):
		return "a number"
	case goType == "string":
		return "a string"
	case goType == "bool":
		return "true or false"
	}
	return "of another type"
}

// JSONErrors wraps next so that 404 and 405 answers written as plain text
// (the ServeMux's own for unknown routes and wrong methods) go out as the
// JSON error shape instead; other answers pass unchanged.
func JSONErrors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(&jsonErrorWriter{ResponseWriter: w}, r)
	})
}

type jsonErrorWriter struct {
	http.ResponseWriter
	swallow bool // a plain-text error body is being replaced
	wrote   bool
}

func (j *jsonErrorWriter) WriteHeader(status int) {
	if j.wrote {
		return
	}
	j.wrote = true
	ct := j.Header().Get("Content-Type")
	if (status == http.StatusNotFound || status == http.StatusMethodNotAllowed) && (ct == "" || strings.HasPrefix(ct, "text/plain")) {
		j.swallow = true
		j.Header().Del("X-Content-Type-Options")
		j.Header().Del("Content-Length")
		code, msg := "not_found", "no such resource, or not in your scope"
		if status == http.StatusMethodNotAllowed {
			code, msg = "method_not_allowed", "this method is not allowed here; see the Allow header"
		}
		Error(j.ResponseWriter, status, code, msg)
		return
	}
	j.ResponseWriter.WriteHeader(status)
}

func (j *jsonErrorWriter) Write(b []byte) (int, error) {
	if !j.wrote {
		j.WriteHeader(http.StatusOK)
	}
	if j.swallow {
		return len(b), nil
	}
	return j.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (j *jsonErrorWriter) Unwrap() http.ResponseWriter { return j.ResponseWriter }

// Flush implements http.Flusher.
func (j *jsonErrorWriter) Flush() {
	if f, ok := j.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
