package httpx

import (
	"errors"
	"io"
	"net/http"
	"os"
	"time"
)

// Errors of a guarded body read; Uploads answers each with its status.
var (
	// ErrBodyTooLarge: the body is over its limit (413).
	ErrBodyTooLarge = errors.New("httpx: request body too large")
	// ErrBodySlow: the body stalled or came slower than the minimum rate (408).
	ErrBodySlow = errors.New("httpx: request body too slow")
	// ErrBusy: the bytes in flight across requests are at their cap (503).
	ErrBusy = errors.New("httpx: too many bytes in flight")
)

// bodyGuard reads a request body within its limits: at most limit bytes,
// no read stalled longer than idle, at least minRate bytes a second on
// average once grace has passed, and every byte taken from budget (given
// back by release).
type bodyGuard struct {
	r       io.Reader
	rc      *http.ResponseController
	limit   int64
	idle    time.Duration
	minRate int64
	grace   time.Duration
	budget  *Budget
	start   time.Time
	n       int64 // bytes read
	taken   int64 // bytes taken from budget
	fixed   bool  // the whole declared length is taken
	err     error
}

// budgetStep is how much of the budget a body takes at once.
const budgetStep = 1 << 20

func (g *bodyGuard) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	if g.n > g.limit {
		g.err = ErrBodyTooLarge
		return 0, g.err
	}
	if int64(len(p)) > g.limit+1-g.n {
		p = p[:g.limit+1-g.n]
	}
	if !g.fixed && g.n+int64(len(p)) > g.taken {
		step := max(int64(budgetStep), g.n+int64(len(p))-g.taken)
		if !g.budget.TryAcquire(step) {
			g.err = ErrBusy
			return 0, g.err
		}
		g.taken += step
	}
	if g.idle > 0 && g.rc != nil {
		_ = g.rc.SetReadDeadline(time.Now().Add(g.idle))
	}
	n, err := g.r.Read(p)
	g.n += int64(n)
	if g.n > g.limit {
		g.err = ErrBodyTooLarge
		return n, g.err
	}
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		g.err = ErrBodySlow
		return n, g.err
	}
	if el := time.Since(g.start); g.minRate > 0 && el > g.grace && err == nil &&
		float64(g.n) < float64(g.minRate)*el.Seconds() {
		g.err = ErrBodySlow
		return n, g.err
	}
	return n, err
}

// release gives back the budget and clears the read deadline.
func (g *bodyGuard) release() {
	g.budget.Release(g.taken)
	g.taken = 0
	if g.idle > 0 && g.rc != nil {
		_ = g.rc.SetReadDeadline(time.Time{})
	}
}
