//go:build attackfail

package consolesvc_test

import (
	"fmt"
	"net/http"
	"testing"
)

// Attack 2: weaknesses found (these tests fail; run with -tags attackfail).

// TestAttack2ThrottleBypassBehindProxy: behind a proxy (REMITQ_TRUST_PROXY,
// TrustProxy), the client address is the FIRST X-Forwarded-For entry,
// which is whatever the client sent: a proxy that appends (nginx
// $proxy_add_x_forwarded_for, most load balancers) keeps it and adds the
// real address after it. A password guesser sends a new made-up first
// entry with every try, each try is a new throttle key, and the 5-try
// lockout never comes; the audit rows name the made-up address too. The
// trusted entry is the last one (the one the proxy added).
func TestAttack2ThrottleBypassBehindProxy(t *testing.T) {
	s := newSmall2Opts(t, true)
	const real = "198.51.100.7" // what the proxy appends
	var xffs []string
	for i := range 8 {
		xffs = append(xffs, fmt.Sprintf("203.0.113.%d, %s", i+1, real))
	}
	codes := wrongSignins(t, s, xffs)
	if codes[7] != http.StatusTooManyRequests {
		t.Errorf("8 wrong passwords from %s behind the proxy, each with a new first X-Forwarded-For entry: %v, want 429 at the end", real, codes)
	}
}
