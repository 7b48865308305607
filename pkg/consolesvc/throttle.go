package consolesvc

import (
	"sync"
	"time"
)

// Sign-in throttle: after signinMaxFails wrong passwords for one email from
// one client address within signinWindow, that pair is refused (429) until
// the window of its first failure ends. Without it the form took any number
// of guesses, each a bcrypt comparison of the server's CPU.
const (
	signinMaxFails = 5
	signinWindow   = 15 * time.Minute
	signinMaxKeys  = 100_000 // bound the table under a spray of addresses
)

type failCount struct {
	n     int
	first time.Time
}

type signinFails struct {
	mu sync.Mutex
	m  map[string]*failCount
}

// blocked returns how long key must still wait (0: it may try).
func (f *signinFails) blocked(key string, now time.Time) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.m[key]
	if c == nil {
		return 0
	}
	if now.Sub(c.first) >= signinWindow {
		delete(f.m, key)
		return 0
	}
	if c.n < signinMaxFails {
		return 0
	}
	return signinWindow - now.Sub(c.first)
}

// fail counts a wrong password of key.
func (f *signinFails) fail(key string, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.m == nil {
		f.m = map[string]*failCount{}
	}
	if len(f.m) >= signinMaxKeys {
		for k, c := range f.m {
			if now.Sub(c.first) >= signinWindow {
				delete(f.m, k)
			}
		}
		if len(f.m) >= signinMaxKeys {
			f.m = map[string]*failCount{} // never unbounded
		}
	}
	c := f.m[key]
	if c == nil || now.Sub(c.first) >= signinWindow {
		c = &failCount{first: now}
		f.m[key] = c
	}
	c.n++
}
