package auth

import (
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Errors of token verification. Their messages are safe to show the caller.
var (
	ErrNoToken      = errors.New("a bearer token is required (Authorization: Bearer <token>)")
	ErrInvalidToken = errors.New("the bearer token is invalid or expired")
	ErrUnknownUser  = errors.New("the token's user is unknown or disabled")
)

// Claims are the JWT claims remitq reads. The token's identity is its
// issuer and subject; the user is found the first time by the email claim
// when the issuer verified it (email_verified), else by the subject as an
// email address (the embedded default's tokens).
type Claims struct {
	Email         string   `json:"email,omitempty"`
	EmailVerified jsonBool `json:"email_verified,omitempty"`
	jwt.RegisteredClaims
}

// Subject returns the email the token speaks for: the email claim only
// when email_verified is true, else the subject.
func (c *Claims) Subject() string {
	if c.Email != "" && bool(c.EmailVerified) {
		return c.Email
	}
	return c.RegisteredClaims.Subject
}

// jsonBool is a claim that is true or false, as a JSON boolean or as the
// strings "true"/"false" some issuers send.
type jsonBool bool

// UnmarshalJSON implements json.Unmarshaler.
func (b *jsonBool) UnmarshalJSON(raw []byte) error {
	switch string(raw) {
	case "true", `"true"`:
		*b = true
	default:
		*b = false
	}
	return nil
}

// VerifierConfig says which keys sign accepted tokens. HS256 is for the
// embedded default (a shared secret in the data folder); RS256 with a PEM
// public key or a JWKS URL is for production identity providers. Only the
// algorithms of configured keys are accepted ("none" and every other
// algorithm never are).
type VerifierConfig struct {
	// HS256Key is the shared secret (at least 32 bytes) of HS256 tokens.
	HS256Key []byte
	// RSAPublicKeys are RS256 public keys by key id ("" matches a token
	// without kid).
	RSAPublicKeys map[string]*rsa.PublicKey
	// JWKS fetches RS256 keys from an identity provider.
	JWKS *JWKS
	// Issuer and Audience, when set, must match the token's iss and aud.
	Issuer   string
	Audience string
	// Leeway allows for clock skew (default 30 s).
	Leeway time.Duration
}

// Verifier checks bearer JWTs.
type Verifier struct {
	cfg    VerifierConfig
	parser *jwt.Parser
}

// MinHS256KeyLen is the shortest HS256 secret accepted.
const MinHS256KeyLen = 32

// NewVerifier checks cfg and builds a verifier.
func NewVerifier(cfg VerifierConfig) (*Verifier, error) {
	var methods []string
	if cfg.HS256Key != nil {
		if len(cfg.HS256Key) < MinHS256KeyLen {
			return nil, fmt.Errorf("auth: the HS256 key must have at least %d bytes", MinHS256KeyLen)
		}
		methods = append(methods, jwt.SigningMethodHS256.Alg())
	}
	if len(cfg.RSAPublicKeys) > 0 || cfg.JWKS != nil {
		methods = append(methods, jwt.SigningMethodRS256.Alg())
	}
	if len(methods) == 0 {
		return nil, errors.New("auth: no token key configured (HS256 key, RS256 PEM key or JWKS URL)")
	}
	if cfg.Leeway == 0 {
		cfg.Leeway = 30 * time.Second
	}
	opts := []jwt.ParserOption{jwt.WithValidMethods(methods), jwt.WithLeeway(cfg.Leeway),
		jwt.WithExpirationRequired(), jwt.WithIssuedAt()}
	if cfg.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(cfg.Issuer))
	}
	if cfg.Audience != "" {
		opts = append(opts, jwt.WithAudience(cfg.Audience))
	}
	return &Verifier{cfg: cfg, parser: jwt.NewParser(opts...)}, nil
}

// Verify checks a token's signature, algorithm, expiry, issuer and audience
// and returns its claims. Every failure is ErrInvalidToken (wrapping the
// reason, which names no claim value).
func (v *Verifier) Verify(token string) (*Claims, error) {
	var c Claims
	_, err := v.parser.ParseWithClaims(token, &c, v.key)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if c.Subject() == "" {
		return nil, fmt.Errorf("%w: no subject", ErrInvalidToken)
	}
	return &c, nil
}

// key picks the verification key by the token's algorithm and key id; a key
// is only ever used with the algorithm family it is for.
func (v *Verifier) key(t *jwt.Token) (any, error) {
	switch t.Method.(type) {
	case *jwt.SigningMethodHMAC:
		if v.cfg.HS256Key == nil {
			return nil, errors.New("HS256 is not accepted")
		}
		return v.cfg.HS256Key, nil
	case *jwt.SigningMethodRSA:
		kid, _ := t.Header["kid"].(string)
		if k, ok := v.cfg.RSAPublicKeys[kid]; ok {
			return k, nil
		}
		if k, ok := v.cfg.RSAPublicKeys[""]; ok && v.cfg.JWKS == nil {
			return k, nil // one PEM key: whatever kid the token names
		}
		if v.cfg.JWKS != nil {
			return v.cfg.JWKS.Key(kid)
		}
		return nil, errors.New("unknown key id")
	}
	return nil, errors.New("algorithm not accepted")
}

// IssueHS256 signs a token for email valid for ttl with the HS256 key (what
// `remitq token` prints).
func IssueHS256(key []byte, email, issuer string, ttl time.Duration, now time.Time) (string, error) {
	if len(key) < MinHS256KeyLen {
		return "", fmt.Errorf("auth: the HS256 key must have at least %d bytes", MinHS256KeyLen)
	}
	c := Claims{RegisteredClaims: jwt.RegisteredClaims{
		Subject:   email,
		Issuer:    issuer,
		IssuedAt:  jwt.NewNumericDate(now),
		NotBefore: jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
	}}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(key)
}

// ReadRSAPublicKeyPEM reads an RS256 public key (PKIX, PKCS#1 or a
// certificate) from a PEM file.
func ReadRSAPublicKeyPEM(path string) (*rsa.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	k, err := jwt.ParseRSAPublicKeyFromPEM(b)
	if err != nil {
		return nil, fmt.Errorf("auth: %s: %w", path, err)
	}
	return k, nil
}

// LoadOrCreateHS256Key reads the HS256 secret from path; when the file does
// not exist it writes a new random 32-byte secret there (mode 0600, hex)
// first. The embedded default keeps it in <data>/jwt.key.
func LoadOrCreateHS256Key(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		raw := make([]byte, 32)
		if _, err := rand.Read(raw); err != nil {
			return nil, err
		}
		// The folder may be the data folder PostgreSQL runs in as another user:
		// it stays searchable, the key file alone is private.
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("auth: %w", err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			return LoadOrCreateHS256Key(path) // created meanwhile by another process
		}
		if err != nil {
			return nil, fmt.Errorf("auth: %w", err)
		}
		enc := fmt.Sprintf("%x\n", raw)
		if _, err := f.WriteString(enc); err != nil {
			f.Close()
			return nil, fmt.Errorf("auth: %w", err)
		}
		if err := f.Close(); err != nil {
			return nil, fmt.Errorf("auth: %w", err)
		}
		b = []byte(enc)
	} else if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	key := []byte(strings.TrimSpace(string(b)))
	if len(key) < MinHS256KeyLen {
		return nil, fmt.Errorf("auth: %s holds fewer than %d bytes", path, MinHS256KeyLen)
	}
	return key, nil
}
