package httpx

import (
	"net/http"
	"testing"
)

func TestClientAddr(t *testing.T) {
	for _, c := range []struct {
		xff  []string
		hops int
		want string
	}{
		{nil, 0, "192.0.2.1"},
		{[]string{"203.0.113.9"}, 0, "192.0.2.1"},
		{nil, 1, "192.0.2.1"},
		{[]string{"203.0.113.9, 198.51.100.7"}, 1, "198.51.100.7"},
		{[]string{"203.0.113.9", "198.51.100.7"}, 1, "198.51.100.7"},
		{[]string{"203.0.113.9, 198.51.100.7, 10.0.0.2"}, 2, "198.51.100.7"},
		{[]string{"198.51.100.7"}, 3, "198.51.100.7"},
		{[]string{" , "}, 1, "192.0.2.1"},
	} {
		r, _ := http.NewRequest("GET", "/", nil)
		r.RemoteAddr = "192.0.2.1:4321"
		for _, v := range c.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := ClientAddr(r, c.hops); got != c.want {
			t.Errorf("%q hops %d: %q, want %q", c.xff, c.hops, got, c.want)
		}
	}
}
