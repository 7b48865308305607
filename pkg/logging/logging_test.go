package logging

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

func TestPHIIsRedactedEverywhere(t *testing.T) {
	const secret = "DOE, JANE 1987-02-03 W123456789"
	p := PHI(secret)
	for _, s := range []string{p.String(), fmt.Sprint(p), fmt.Sprintf("%v %s %q %#v %+v", p, p, p, p, p)} {
		if strings.Contains(s, "JANE") || !strings.Contains(s, Redacted) {
			t.Errorf("formatted PHI = %q", s)
		}
	}
	b, err := json.Marshal(struct{ M PHI }{p})
	if err != nil || strings.Contains(string(b), "JANE") {
		t.Errorf("JSON = %s (%v)", b, err)
	}
	var buf bytes.Buffer
	core := zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(&buf), zapcore.DebugLevel)
	zap.New(core).Info("x", zap.Stringer("a", p), zap.Any("b", p), zap.Reflect("c", struct{ M PHI }{p}))
	if strings.Contains(buf.String(), "JANE") || strings.Count(buf.String(), Redacted) != 3 {
		t.Errorf("zap output = %s", buf.String())
	}
}

func TestNewLevels(t *testing.T) {
	for _, lvl := range []string{"", "debug", "info", "warn", "error"} {
		if _, err := New(Options{Level: lvl, Service: "test"}); err != nil {
			t.Errorf("level %q: %v", lvl, err)
		}
	}
	if _, err := New(Options{Level: "loud"}); err == nil {
		t.Error("level loud accepted")
	}
}
