package httpx

import (
	"net"
	"net/http"
	"strings"
)

// ClientAddr is the client address of r. With hops <= 0 (no trusted proxy)
// it is the connection's address. Behind hops trusted proxies that each
// append the address they received from to X-Forwarded-For, it is the
// hops-th entry from the right: the entries left of it are whatever the
// client wrote and are never trusted. When the header holds fewer entries
// than hops, the leftmost is taken (every entry came from a trusted hop);
// with no header at all, the connection's address.
func ClientAddr(r *http.Request, hops int) string {
	if hops > 0 {
		var entries []string
		for _, h := range r.Header.Values("X-Forwarded-For") {
			for _, e := range strings.Split(h, ",") {
				if e = strings.TrimSpace(e); e != "" {
					entries = append(entries, e)
				}
			}
		}
		if n := len(entries); n > 0 {
			i := n - hops
			if i < 0 {
				i = 0
			}
			return entries[i]
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return strings.Trim(r.RemoteAddr, "[]")
	}
	return host
}
