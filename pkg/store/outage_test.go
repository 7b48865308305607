package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"

	"github.com/lib/pq"

	"github.com/remitq/remitq/pkg/store"
)

func TestOutageClassification(t *testing.T) {
	cases := []struct {
		name  string
		err   error
		outag bool
	}{
		{"connection refused", fmt.Errorf("dial: %w", syscall.ECONNREFUSED), true},
		{"shutting down (57P01)", &pq.Error{Code: "57P01"}, true},
		{"too many connections (53300)", &pq.Error{Code: "53300"}, true},
		{"deadlock (40P01)", &pq.Error{Code: "40P01"}, true},
		{"canceled", context.Canceled, true},
		{"invalid byte sequence (22021)", &pq.Error{Code: "22021", Message: "invalid byte sequence: 0xc3 DOE"}, false},
		{"numeric overflow (22003)", &pq.Error{Code: "22003"}, false},
		{"unique violation (23505)", &pq.Error{Code: "23505"}, false},
		{"a plain error", errors.New("bad row"), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := store.Outage(c.err)
			if store.IsOutage(err) != c.outag || store.Transient(c.err) != c.outag {
				t.Fatalf("IsOutage(Outage(%v)) = %v, want %v", c.err, store.IsOutage(err), c.outag)
			}
			if !errors.Is(err, c.err) {
				t.Errorf("the cause is lost: %v", err)
			}
		})
	}
	if store.Outage(nil) != nil {
		t.Error("Outage(nil) is not nil")
	}
	msg := store.Refusal(fmt.Errorf("copy: %w", &pq.Error{Code: "22021", Message: "invalid byte sequence: 0xc3 DOE"}))
	if !strings.Contains(msg, "SQLSTATE 22021") || strings.Contains(msg, "DOE") {
		t.Errorf("Refusal = %q: want the SQLSTATE, never the server's message", msg)
	}
}
