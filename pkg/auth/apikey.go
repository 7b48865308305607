package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// APIKeyPrefix starts every API key, so a key is told from a JWT at a
// glance (and found by secret scanners).
const APIKeyPrefix = "rqk_"

// NewAPIKey returns a new API key (APIKeyPrefix and 32 random bytes,
// base64url) and its SHA-256, which is all the database keeps. The key is
// shown once.
func NewAPIKey() (key string, hash []byte, err error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", nil, err
	}
	key = APIKeyPrefix + base64.RawURLEncoding.EncodeToString(raw)
	return key, HashAPIKey(key), nil
}

// HashAPIKey is the stored form of a key. A 256-bit random secret needs no
// slow hash: SHA-256 cannot be searched backwards over that space.
func HashAPIKey(key string) []byte {
	h := sha256.Sum256([]byte(key))
	return h[:]
}

// IsAPIKey reports whether a bearer token has the shape of an API key.
func IsAPIKey(token string) bool {
	return strings.HasPrefix(token, APIKeyPrefix) && len(token) == len(APIKeyPrefix)+43
}
