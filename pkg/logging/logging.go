// Package logging builds remitq's zap loggers and keeps protected health
// information out of them.
//
// Logs are JSON lines (zap's production encoder) on standard error. Nothing
// that identifies a patient may be logged: no names, member ids, dates of
// birth, claim notes or message bodies. Values that may hold PHI are typed
// PHI, whose every rendering is "[REDACTED]", so a slip prints nothing:
//
//	log.Info("claim stored", zap.Stringer("member", logging.PHI(memberID)))
//
// logs {"member":"[REDACTED]"}. Domain structs are never logged whole
// (never zap.Any on them); log ids, counts and codes instead.
package logging

import (
	"fmt"
	"os"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// PHI is a string that holds protected health information. It formats,
// marshals and logs as "[REDACTED]".
type PHI string

// Redacted is what a PHI value prints as.
const Redacted = "[REDACTED]"

// String returns Redacted.
func (PHI) String() string { return Redacted }

// GoString returns Redacted, so %#v does not leak either.
func (PHI) GoString() string { return Redacted }

// MarshalText returns Redacted, for encoders that use TextMarshaler.
func (PHI) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// Format makes every fmt verb print Redacted.
func (p PHI) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(Redacted)) }

// Options shapes a logger.
type Options struct {
	// Level is debug, info, warn or error. Default info.
	Level string
	// Console switches to zap's human-readable console encoder (for a
	// terminal); the default is JSON.
	Console bool
	// Service names the process in every line ("service" field).
	Service string
}

// New returns a logger writing to standard error.
func New(o Options) (*zap.Logger, error) {
	lvl := zapcore.InfoLevel
	if o.Level != "" {
		if err := lvl.Set(o.Level); err != nil {
			return nil, fmt.Errorf("logging: level %q: %w", o.Level, err)
		}
	}
	encCfg := zap.NewProductionEncoderConfig()
	encCfg.EncodeTime = zapcore.ISO8601TimeEncoder
	var enc zapcore.Encoder
	if o.Console {
		encCfg.EncodeLevel = zapcore.CapitalLevelEncoder
		enc = zapcore.NewConsoleEncoder(encCfg)
	} else {
		enc = zapcore.NewJSONEncoder(encCfg)
	}
	core := zapcore.NewCore(enc, zapcore.Lock(os.Stderr), lvl)
	log := zap.New(core, zap.AddCaller(), zap.AddStacktrace(zapcore.ErrorLevel))
	if o.Service != "" {
		log = log.With(zap.String("service", o.Service))
	}
	return log, nil
}
