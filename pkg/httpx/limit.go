package httpx

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limits protects a server from one caller and from too many callers at
// once: a per-caller request rate (429 with Retry-After beyond it) and a
// cap on requests handled at once, beyond which a request waits at most
// QueueWait for a slot and is then shed (503 with Retry-After) instead of
// queueing until its client gives up. Zero fields take the defaults; -1
// turns a limit off.
type Limits struct {
	// RatePerCaller is the sustained requests per second of one caller (a
	// bearer token, an API key, else a client address); default 100.
	RatePerCaller float64
	// Burst is how many requests a caller may make at once above the rate;
	// default 2 × RatePerCaller.
	Burst int
	// MaxConcurrent is how many requests are handled at once; default 64.
	MaxConcurrent int
	// QueueWait is how long a request may wait for a slot; default 100 ms.
	QueueWait time.Duration
	// Exempt paths are never limited (probes, metrics); default /healthz,
	// /readyz and /metrics.
	Exempt []string
}

// Defaults of Limits.
const (
	DefaultRatePerCaller = 100
	DefaultMaxConcurrent = 64
	DefaultQueueWait     = 100 * time.Millisecond
)

// maxCallers bounds the per-caller limiters kept; beyond it the idle ones
// are dropped, and callers beyond that share one limiter.
const maxCallers = 100_000

func (l Limits) withDefaults() Limits {
	if l.RatePerCaller == 0 {
		l.RatePerCaller = DefaultRatePerCaller
	}
	if l.Burst == 0 && l.RatePerCaller > 0 {
		l.Burst = int(math.Ceil(2 * l.RatePerCaller))
	}
	if l.MaxConcurrent == 0 {
		l.MaxConcurrent = DefaultMaxConcurrent
	}
	if l.QueueWait == 0 {
		l.QueueWait = DefaultQueueWait
	}
	if l.Exempt == nil {
		l.Exempt = []string{"/healthz", "/readyz", "/metrics"}
	}
	return l
}

// Protect wraps h with the limits l.
func Protect(h http.Handler, l Limits) http.Handler {
	l = l.withDefaults()
	p := &protector{h: h, l: l, exempt: map[string]bool{}, callers: map[string]*caller{}}
	for _, e := range l.Exempt {
		p.exempt[e] = true
	}
	if l.MaxConcurrent > 0 {
		p.slots = make(chan struct{}, l.MaxConcurrent)
	}
	if l.RatePerCaller > 0 {
		p.overflow = rate.NewLimiter(rate.Limit(l.RatePerCaller), l.Burst)
	}
	return p
}

type protector struct {
	h        http.Handler
	l        Limits
	exempt   map[string]bool
	slots    chan struct{}
	mu       sync.Mutex
	callers  map[string]*caller
	overflow *rate.Limiter
	swept    time.Time
}

type caller struct {
	lim  *rate.Limiter
	seen time.Time
}

// CallerKey identifies the caller of r for rate limiting: a hash of its
// bearer token or API key, else its address (never the secret itself).
func CallerKey(r *http.Request) string {
	for _, h := range []string{"Authorization", "X-API-Key"} {
		if v := r.Header.Get(h); v != "" {
			sum := sha256.Sum256([]byte(v))
			return "k:" + hex.EncodeToString(sum[:12])
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return "a:" + host
}

func (p *protector) limiter(key string, now time.Time) *rate.Limiter {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.callers[key]; ok {
		c.seen = now
		return c.lim
	}
	if len(p.callers) >= maxCallers && now.Sub(p.swept) > time.Second {
		p.swept = now
		for k, c := range p.callers {
			if now.Sub(c.seen) > time.Minute {
				delete(p.callers, k)
			}
		}
	}
	if len(p.callers) >= maxCallers {
		return p.overflow
	}
	c := &caller{lim: rate.NewLimiter(rate.Limit(p.l.RatePerCaller), p.l.Burst), seen: now}
	p.callers[key] = c
	return c.lim
}

func retryAfter(w http.ResponseWriter, d time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(d.Seconds())))))
}

func (p *protector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p.exempt[r.URL.Path] {
		p.h.ServeHTTP(w, r)
		return
	}
	if p.overflow != nil {
		now := time.Now()
		res := p.limiter(CallerKey(r), now).ReserveN(now, 1)
		if d := res.DelayFrom(now); !res.OK() || d > 0 {
			res.CancelAt(now)
			if !res.OK() {
				d = time.Second
			}
			retryAfter(w, d)
			Error(w, http.StatusTooManyRequests, "rate_limited", "too many requests from this caller; slow down")
			return
		}
	}
	if p.slots != nil {
		select {
		case p.slots <- struct{}{}:
		default:
			t := time.NewTimer(p.l.QueueWait)
			select {
			case p.slots <- struct{}{}:
				t.Stop()
			case <-t.C:
				retryAfter(w, time.Second)
				Error(w, http.StatusServiceUnavailable, "overloaded", "the server is at capacity; send it again shortly")
				return
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		defer func() { <-p.slots }()
	}
	p.h.ServeHTTP(w, r)
}
