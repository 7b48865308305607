package auth

import (
	"crypto/rsa"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
)

// Config is how a service gets its token keys, from flags or the
// environment:
//
//	--jwt-key / REMITQ_JWT_KEY              HS256 secret (at least 32 bytes)
//	--jwt-key-file / REMITQ_JWT_KEY_FILE    file holding it; the embedded default
//	                                        creates <data>/jwt.key on first use
//	--jwt-rsa-pem / REMITQ_JWT_RSA_PEM      RS256 public key (PEM file)
//	--jwks-url / REMITQ_JWKS_URL            identity provider's key set
//	--jwt-issuer, --jwt-audience            required iss / aud (REMITQ_JWT_ISSUER, REMITQ_JWT_AUDIENCE)
type Config struct {
	HS256Key     string
	HS256KeyFile string
	RSAPEMFile   string
	JWKSURL      string
	Issuer       string
	Audience     string
}

// Flags registers the configuration's flags on fs, defaulting to the
// environment.
func (c *Config) Flags(fs *flag.FlagSet) {
	c.FromEnv()
	fs.StringVar(&c.HS256Key, "jwt-key", c.HS256Key, "HS256 secret for bearer JWTs (env REMITQ_JWT_KEY)")
	fs.StringVar(&c.HS256KeyFile, "jwt-key-file", c.HS256KeyFile, "file of the HS256 secret, created when missing (env REMITQ_JWT_KEY_FILE)")
	fs.StringVar(&c.RSAPEMFile, "jwt-rsa-pem", c.RSAPEMFile, "RS256 public key of an identity provider, PEM (env REMITQ_JWT_RSA_PEM)")
	fs.StringVar(&c.JWKSURL, "jwks-url", c.JWKSURL, "JWKS URL of an identity provider, RS256 (env REMITQ_JWKS_URL)")
	fs.StringVar(&c.Issuer, "jwt-issuer", c.Issuer, "required JWT issuer (env REMITQ_JWT_ISSUER)")
	fs.StringVar(&c.Audience, "jwt-audience", c.Audience, "required JWT audience (env REMITQ_JWT_AUDIENCE)")
}

// FromEnv fills empty fields from the environment.
func (c *Config) FromEnv() {
	for _, f := range []struct {
		dst *string
		env string
	}{{&c.HS256Key, "REMITQ_JWT_KEY"}, {&c.HS256KeyFile, "REMITQ_JWT_KEY_FILE"}, {&c.RSAPEMFile, "REMITQ_JWT_RSA_PEM"},
		{&c.JWKSURL, "REMITQ_JWKS_URL"}, {&c.Issuer, "REMITQ_JWT_ISSUER"}, {&c.Audience, "REMITQ_JWT_AUDIENCE"}} {
		if *f.dst == "" {
			*f.dst = os.Getenv(f.env)
		}
	}
}

// DefaultKeyFile is the HS256 secret's file in a data folder.
func DefaultKeyFile(dataDir string) string { return filepath.Join(dataDir, "jwt.key") }

// HS256Secret returns the configured HS256 secret: the key itself, else
// the key file (created when missing), else — when dataDir is set and no
// RS256 source is configured — <dataDir>/jwt.key (created when missing).
// It returns nil when HS256 is not configured.
func (c *Config) HS256Secret(dataDir string) ([]byte, error) {
	switch {
	case c.HS256Key != "":
		k := []byte(strings.TrimSpace(c.HS256Key))
		if len(k) < MinHS256KeyLen {
			return nil, errors.New("auth: the HS256 key must have at least 32 bytes")
		}
		return k, nil
	case c.HS256KeyFile != "":
		return LoadOrCreateHS256Key(c.HS256KeyFile)
	case dataDir != "" && c.RSAPEMFile == "" && c.JWKSURL == "":
		return LoadOrCreateHS256Key(DefaultKeyFile(dataDir))
	}
	return nil, nil
}

// Verifier builds the token verifier (see HS256Secret for dataDir).
func (c *Config) Verifier(dataDir string) (*Verifier, error) {
	vc := VerifierConfig{Issuer: c.Issuer, Audience: c.Audience}
	var err error
	if vc.HS256Key, err = c.HS256Secret(dataDir); err != nil {
		return nil, err
	}
	if c.RSAPEMFile != "" {
		k, err := ReadRSAPublicKeyPEM(c.RSAPEMFile)
		if err != nil {
			return nil, err
		}
		vc.RSAPublicKeys = map[string]*rsa.PublicKey{"": k}
	}
	if c.JWKSURL != "" {
		vc.JWKS = &JWKS{URL: c.JWKSURL}
	}
	return NewVerifier(vc)
}
