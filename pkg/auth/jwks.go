package auth

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"sync"
	"time"
)

// JWKS is an identity provider's key set, fetched from its URL and cached.
// It refetches after TTL, and at once (at most every MinRefresh) when a
// token names a key id it does not know, so key rotation needs no restart.
type JWKS struct {
	URL        string
	Client     *http.Client  // default: 10 s timeout
	TTL        time.Duration // default 10 minutes
	MinRefresh time.Duration // default 30 s

	mu      sync.Mutex
	keys    map[string]*rsa.PublicKey
	fetched time.Time
	tried   time.Time
}

// Key returns the RSA key of id kid ("" matches a key set of one key).
func (j *JWKS) Key(kid string) (*rsa.PublicKey, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	ttl, minRefresh := j.TTL, j.MinRefresh
	if ttl == 0 {
		ttl = 10 * time.Minute
	}
	if minRefresh == 0 {
		minRefresh = 30 * time.Second
	}
	now := time.Now()
	k, ok := j.lookup(kid)
	stale := now.Sub(j.fetched) > ttl
	if (!ok || stale) && now.Sub(j.tried) >= minRefresh {
		j.tried = now
		keys, err := j.fetch()
		if err == nil {
			j.keys, j.fetched = keys, now
			k, ok = j.lookup(kid)
		} else if !ok {
			return nil, err
		}
	}
	if !ok {
		return nil, errors.New("unknown key id")
	}
	return k, nil
}

func (j *JWKS) lookup(kid string) (*rsa.PublicKey, bool) {
	if kid == "" && len(j.keys) == 1 {
		for _, k := range j.keys {
			return k, true
		}
	}
	k, ok := j.keys[kid]
	return k, ok
}

type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	N   string `json:"n"`
	E   string `json:"e"`
}

func (j *JWKS) fetch() (map[string]*rsa.PublicKey, error) {
	c := j.Client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, j.URL, nil)
	if err != nil {
		return nil, fmt.Errorf("auth: JWKS: %w", err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("auth: JWKS: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("auth: JWKS: %s", resp.Status)
	}
	return ParseJWKS(io.LimitReader(resp.Body, 1<<20))
}

// ParseJWKS reads the RSA signing keys of a JWK set ({"keys": [...]}).
// Keys of other types or uses are skipped.
func ParseJWKS(r io.Reader) (map[string]*rsa.PublicKey, error) {
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := json.NewDecoder(r).Decode(&set); err != nil {
		return nil, fmt.Errorf("auth: JWKS: %w", err)
	}
	out := make(map[string]*rsa.PublicKey)
	for _, k := range set.Keys {
		if k.Kty != "RSA" || (k.Use != "" && k.Use != "sig") || (k.Alg != "" && k.Alg != "RS256") {
			continue
		}
		n, err1 := base64.RawURLEncoding.DecodeString(k.N)
		e, err2 := base64.RawURLEncoding.DecodeString(k.E)
		if err1 != nil || err2 != nil || len(e) == 0 || len(e) > 4 {
			return nil, fmt.Errorf("auth: JWKS: key %q is malformed", k.Kid)
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		if pub.N.BitLen() < 2048 {
			return nil, fmt.Errorf("auth: JWKS: key %q is shorter than 2048 bits", k.Kid)
		}
		out[k.Kid] = pub
	}
	if len(out) == 0 {
		return nil, errors.New("auth: JWKS: no RSA signing key")
	}
	return out, nil
}
