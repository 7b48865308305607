package consolesvc

import (
	"container/list"
	"sync"
	"time"
)

// Sign-in throttle: after signinMaxFails wrong passwords for one email from
// one client address within signinWindow, that pair is refused (429) until
// the window of its first failure ends; after signinMaxEmailFails for one
// email from any addresses, that email is refused the same way (a guesser
// who changes address with every try, or many machines, is stopped too).
// Without it the form took any number of guesses, each a bcrypt comparison
// of the server's CPU.
const (
	signinMaxFails      = 5
	signinMaxEmailFails = 20
	signinWindow        = 15 * time.Minute
	signinMaxKeys       = 100_000 // bound the table under a spray of addresses
)

type failCount struct {
	key   string
	n     int
	first time.Time
	at    *list.Element // in signinFails.order
}

// signinFails counts failures by key, oldest first in order: when the
// table is full the oldest entries go, never the whole table (which would
// forget a guesser's count whenever someone sprays addresses).
type signinFails struct {
	mu    sync.Mutex
	m     map[string]*failCount
	order list.List // of *failCount, by first failure
	max   int       // 0: signinMaxKeys
}

func emailKey(email string) string      { return email + "|*" }
func pairKey(email, addr string) string { return email + "|" + addr }

// blocked returns how long a sign-in of email (normalized) from addr must
// still wait (0: it may try).
func (f *signinFails) blocked(email, addr string, now time.Time) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return max(f.wait(pairKey(email, addr), signinMaxFails, now), f.wait(emailKey(email), signinMaxEmailFails, now))
}

func (f *signinFails) wait(key string, limit int, now time.Time) time.Duration {
	c := f.m[key]
	if c == nil {
		return 0
	}
	if now.Sub(c.first) >= signinWindow {
		f.drop(c)
		return 0
	}
	if c.n < limit {
		return 0
	}
	return signinWindow - now.Sub(c.first)
}

// fail counts a wrong password of email from addr.
func (f *signinFails) fail(email, addr string, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count(pairKey(email, addr), now)
	f.count(emailKey(email), now)
}

func (f *signinFails) count(key string, now time.Time) {
	if f.m == nil {
		f.m = map[string]*failCount{}
	}
	c := f.m[key]
	if c != nil && now.Sub(c.first) >= signinWindow {
		f.drop(c)
		c = nil
	}
	if c == nil {
		limit := f.max
		if limit <= 0 {
			limit = signinMaxKeys
		}
		for len(f.m) >= limit {
			f.drop(f.order.Front().Value.(*failCount)) // the oldest
		}
		c = &failCount{key: key, first: now}
		c.at = f.order.PushBack(c)
		f.m[key] = c
	}
	c.n++
}

func (f *signinFails) drop(c *failCount) {
	f.order.Remove(c.at)
	delete(f.m, c.key)
}
