package rulesstore

import (
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/remitq/remitq/pkg/rules"
)

// MinSecretLen is the shortest patient-key secret accepted, in bytes of
// its text.
const MinSecretLen = 32

// ErrNoSecret reports that no patient-key secret is configured.
var ErrNoSecret = errors.New("rulesdb: no patient-key secret: set REMITQ_PATIENT_KEY or REMITQ_PATIENT_KEY_FILE (the all-in-one remitq keeps one in <data>/patient.key)")

// KeyConfig is where the patient-key secret comes from, as flags or the
// environment:
//
//	--patient-key / REMITQ_PATIENT_KEY            the secret (at least 32 characters)
//	--patient-key-file / REMITQ_PATIENT_KEY_FILE  file holding it, created when missing
//
// else, when a data folder is known, <data>/patient.key, created on first
// use (as the API's jwt.key). Every process that stores or compares keys
// must use the same secret: keys made under another do not match.
type KeyConfig struct {
	Key     string
	KeyFile string
}

// FromEnv fills empty fields from the environment.
func (c *KeyConfig) FromEnv() {
	if c.Key == "" {
		c.Key = os.Getenv("REMITQ_PATIENT_KEY")
	}
	if c.KeyFile == "" {
		c.KeyFile = os.Getenv("REMITQ_PATIENT_KEY_FILE")
	}
}

// Flags registers the configuration's flags on fs, defaulting to the
// environment.
func (c *KeyConfig) Flags(fs *flag.FlagSet) {
	c.FromEnv()
	fs.StringVar(&c.Key, "patient-key", c.Key, "secret of the patient keys, at least 32 characters (env REMITQ_PATIENT_KEY)")
	fs.StringVar(&c.KeyFile, "patient-key-file", c.KeyFile, "file of the patient-key secret, created when missing (env REMITQ_PATIENT_KEY_FILE)")
}

// DefaultKeyFile is the secret's file in a data folder.
func DefaultKeyFile(dataDir string) string { return filepath.Join(dataDir, "patient.key") }

// Secret returns the configured secret: the key itself, else the key file
// (created when missing), else <dataDir>/patient.key (created when
// missing) when dataDir is set. It returns ErrNoSecret when none is
// configured.
func (c *KeyConfig) Secret(dataDir string) ([]byte, error) {
	switch {
	case c.Key != "":
		k := []byte(strings.TrimSpace(c.Key))
		if len(k) < MinSecretLen {
			return nil, fmt.Errorf("rulesdb: the patient-key secret must have at least %d characters", MinSecretLen)
		}
		return k, nil
	case c.KeyFile != "":
		return LoadOrCreateSecret(c.KeyFile)
	case dataDir != "":
		return LoadOrCreateSecret(DefaultKeyFile(dataDir))
	}
	return nil, ErrNoSecret
}

// Keyer returns a Keyer under the configured secret (see Secret).
func (c *KeyConfig) Keyer(dataDir string) (*rules.Keyer, error) {
	s, err := c.Secret(dataDir)
	if err != nil {
		return nil, err
	}
	return rules.NewKeyer(s)
}

// LoadOrCreateSecret reads the secret from path; when the file does not
// exist it first writes a new random 32-byte secret there (hex, mode 0600).
func LoadOrCreateSecret(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		raw := make([]byte, 32)
		if _, err := rand.Read(raw); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("rulesdb: %w", err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			return LoadOrCreateSecret(path) // created meanwhile by another process
		}
		if err != nil {
			return nil, fmt.Errorf("rulesdb: %w", err)
		}
		enc := fmt.Sprintf("%x\n", raw)
		if _, err := f.WriteString(enc); err != nil {
			f.Close()
			return nil, fmt.Errorf("rulesdb: %w", err)
		}
		if err := f.Close(); err != nil {
			return nil, fmt.Errorf("rulesdb: %w", err)
		}
		b = []byte(enc)
	} else if err != nil {
		return nil, fmt.Errorf("rulesdb: %w", err)
	}
	key := []byte(strings.TrimSpace(string(b)))
	if len(key) < MinSecretLen {
		return nil, fmt.Errorf("rulesdb: %s holds fewer than %d bytes", path, MinSecretLen)
	}
	return key, nil
}

// The process default, for components built without a Keyer.
var (
	defMu      sync.Mutex
	defKeyer   *rules.Keyer
	defDataDir func() string
)

// SetDefaultDataDir tells DefaultKeyer where the process keeps its data
// folder (the all-in-one remitq: --data, REMITQ_DATA or .data). dir is
// called when a key is first needed, not before.
func SetDefaultDataDir(dir func() string) {
	defMu.Lock()
	defer defMu.Unlock()
	defDataDir, defKeyer = dir, nil
}

// DefaultKeyer returns the process's Keyer: REMITQ_PATIENT_KEY, else
// REMITQ_PATIENT_KEY_FILE, else <data>/patient.key when SetDefaultDataDir
// named a data folder. It returns ErrNoSecret when none is configured; a
// Keyer once made is kept.
func DefaultKeyer() (*rules.Keyer, error) {
	defMu.Lock()
	defer defMu.Unlock()
	if defKeyer != nil {
		return defKeyer, nil
	}
	var c KeyConfig
	c.FromEnv()
	dir := ""
	if defDataDir != nil {
		dir = defDataDir()
	}
	k, err := c.Keyer(dir)
	if err != nil {
		return nil, err
	}
	defKeyer = k
	return k, nil
}

// KeyerOrDefault returns k, else the process default (DefaultKeyer); nil
// and no error when no secret is configured.
func KeyerOrDefault(k *rules.Keyer) (*rules.Keyer, error) {
	if k != nil {
		return k, nil
	}
	k, err := DefaultKeyer()
	if errors.Is(err, ErrNoSecret) {
		return nil, nil
	}
	return k, err
}
