package devenv

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// NATSKeyFile is the file, in the data folder, of the key that encrypts the
// embedded JetStream store at rest.
const NATSKeyFile = "nats.key"

// minKeyLen is the shortest key LoadOrCreateKey accepts from a file.
const minKeyLen = 32

// LoadOrCreateKey reads a secret key from path; when the file does not
// exist it first writes a new random 32-byte key there (hex, mode 0600),
// as the JWT key is kept.
func LoadOrCreateKey(path string) (string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		raw := make([]byte, 32)
		if _, err := rand.Read(raw); err != nil {
			return "", err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return "", fmt.Errorf("devenv: %w", err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			return LoadOrCreateKey(path) // made meanwhile by another process
		}
		if err != nil {
			return "", fmt.Errorf("devenv: %w", err)
		}
		enc := hex.EncodeToString(raw) + "\n"
		_, err = f.WriteString(enc)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return "", fmt.Errorf("devenv: %w", err)
		}
		b = []byte(enc)
	} else if err != nil {
		return "", fmt.Errorf("devenv: %w", err)
	}
	key := strings.TrimSpace(string(b))
	if len(key) < minKeyLen {
		return "", fmt.Errorf("devenv: %s holds fewer than %d bytes", path, minKeyLen)
	}
	return key, nil
}
