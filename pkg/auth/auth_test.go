package auth

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

func TestParseScope(t *testing.T) {
	tests := []struct {
		in      string
		want    Scope
		wantErr bool
	}{
		{"3", Scope{PracticeID: 3}, false},
		{"3:1234567893", Scope{PracticeID: 3, ProviderNPI: "1234567893"}, false},
		{"0", Scope{}, true},
		{"x", Scope{}, true},
		{"3:12", Scope{}, true},
		{"3:abcdefghij", Scope{}, true},
	}
	for _, tt := range tests {
		got, err := ParseScope(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseScope(%q) = %v, %v; want %v, err %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err == nil && got.String() != tt.in {
			t.Errorf("String() = %q, want %q", got.String(), tt.in)
		}
	}
}

func TestRolePermissions(t *testing.T) {
	tests := []struct {
		r    Role
		p    Permission
		want bool
	}{
		{Admin, RemitRaw, true},
		{Supervisor, RemitRaw, false},
		{Supervisor, WorkAssign, true},
		{Biller, WorkAssign, false},
		{Biller, WorkPHI, true},
		{Analyst, WorkPHI, false},
		{Analyst, TeamRead, true},
		{Analyst, ChangeAny, false},
		{Admin, AuditRead, true},
		{Supervisor, AuditRead, false},
		{Role("root"), WorkRead, false},
	}
	for _, tt := range tests {
		if got := tt.r.Can(tt.p); got != tt.want {
			t.Errorf("%s.Can(%s) = %v, want %v", tt.r, tt.p, got, tt.want)
		}
	}
}

func TestWhere(t *testing.T) {
	tests := []struct {
		name   string
		id     *Identity
		npiCol string
		want   string
		nargs  int
	}{
		{"nil", nil, "npi", "FALSE", 0},
		{"admin", &Identity{Role: Admin}, "npi", "TRUE", 0},
		{"no scopes", &Identity{Role: Biller}, "npi", "FALSE", 0},
		{"whole", &Identity{Role: Biller, Scopes: []Scope{{PracticeID: 1}, {PracticeID: 2}}}, "npi",
			"p = ANY($1::bigint[])", 1},
		{"provider", &Identity{Role: Biller, Scopes: []Scope{{PracticeID: 1, ProviderNPI: "1234567893"}}}, "npi",
			"(p = ANY($1::bigint[]) AND p::text || ':' || npi = ANY($2::text[]))", 2},
		{"provider without column", &Identity{Role: Biller, Scopes: []Scope{{PracticeID: 1, ProviderNPI: "1234567893"}}}, "",
			"FALSE", 0},
		{"both", &Identity{Role: Biller, Scopes: []Scope{{PracticeID: 1}, {PracticeID: 2, ProviderNPI: "1234567893"}}}, "npi",
			"(p = $1::bigint OR (p = ANY($2::bigint[]) AND p::text || ':' || npi = ANY($3::text[])))", 3},
		{"one whole practice", &Identity{Role: Biller, Scopes: []Scope{{PracticeID: 7}}}, "npi", "p = $1::bigint", 1},
	}
	for _, tt := range tests {
		var args Args
		if got := tt.id.Where("p", tt.npiCol, &args); got != tt.want || len(args) != tt.nargs {
			t.Errorf("%s: Where = %q (%d args), want %q (%d)", tt.name, got, len(args), tt.want, tt.nargs)
		}
	}
}

func TestSees(t *testing.T) {
	id := &Identity{Role: Biller, Scopes: []Scope{{PracticeID: 1}, {PracticeID: 2, ProviderNPI: "1234567893"}}}
	tests := []struct {
		p    int64
		npi  string
		want bool
	}{
		{1, "", true}, {1, "9999999999", true}, {2, "1234567893", true}, {2, "9999999999", false}, {2, "", false}, {3, "", false},
	}
	for _, tt := range tests {
		if got := id.Sees(tt.p, tt.npi); got != tt.want {
			t.Errorf("Sees(%d, %q) = %v, want %v", tt.p, tt.npi, got, tt.want)
		}
	}
	if id.SeesPractice(2) || !id.SeesPractice(1) {
		t.Error("SeesPractice: only practice 1 is whole")
	}
}

func TestHS256(t *testing.T) {
	v, err := NewVerifier(VerifierConfig{HS256Key: testKey, Issuer: "remitq"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tok, err := IssueHS256(testKey, "a@example.com", "remitq", time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	c, err := v.Verify(tok)
	if err != nil || c.Subject() != "a@example.com" {
		t.Fatalf("Verify = %v, %v", c, err)
	}
	expired, _ := IssueHS256(testKey, "a@example.com", "remitq", time.Minute, now.Add(-time.Hour))
	other, _ := IssueHS256([]byte("another key of thirty-two bytes!"), "a@example.com", "remitq", time.Hour, now)
	wrongIss, _ := IssueHS256(testKey, "a@example.com", "evil", time.Hour, now)
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"sub": "a@example.com", "exp": now.Add(time.Hour).Unix()}).
		SignedString(jwt.UnsafeAllowNoneSignatureType)
	hs384, _ := jwt.NewWithClaims(jwt.SigningMethodHS384, jwt.MapClaims{"sub": "a@example.com", "iss": "remitq", "exp": now.Add(time.Hour).Unix()}).
		SignedString(testKey)
	noExp, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "a@example.com", "iss": "remitq"}).SignedString(testKey)
	noSub, _ := IssueHS256(testKey, "", "remitq", time.Hour, now)
	for name, bad := range map[string]string{"expired": expired, "other key": other, "issuer": wrongIss, "none": none,
		"HS384": hs384, "no exp": noExp, "no subject": noSub, "garbage": "a.b.c", "tampered": tamper(tok)} {
		if _, err := v.Verify(bad); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("%s: Verify err = %v, want ErrInvalidToken", name, err)
		}
	}
	if _, err := NewVerifier(VerifierConfig{HS256Key: []byte("short")}); err == nil {
		t.Error("a short HS256 key was accepted")
	}
	if _, err := NewVerifier(VerifierConfig{}); err == nil {
		t.Error("a verifier without keys was built")
	}
}

// tamper changes the first character of tok's signature to another one.
// Not the last: the last base64url character of a 32-byte HMAC carries two
// padding bits the decoder ignores, so a signature ending in "xw" with its
// last two characters replaced by "xx" was still valid (once in 1,024 runs).
func tamper(tok string) string {
	i := strings.LastIndexByte(tok, '.') + 1
	c := byte('A')
	if tok[i] == c {
		c = 'B'
	}
	return tok[:i] + string(c) + tok[i+1:]
}

func rsaKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func signRS256(t *testing.T, k *rsa.PrivateKey, kid, sub string) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"sub": sub, "email": sub,
		"exp": time.Now().Add(time.Hour).Unix(), "aud": "remitq-api"})
	tok.Header["kid"] = kid
	s, err := tok.SignedString(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRS256PEM(t *testing.T) {
	k := rsaKey(t)
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "pub.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	pub, err := ReadRSAPublicKeyPEM(path)
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(VerifierConfig{RSAPublicKeys: map[string]*rsa.PublicKey{"": pub}, Audience: "remitq-api"})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := v.Verify(signRS256(t, k, "", "b@example.com")); err != nil || c.Subject() != "b@example.com" {
		t.Fatalf("Verify = %v, %v", c, err)
	}
	if _, err := v.Verify(signRS256(t, rsaKey(t), "", "b@example.com")); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("a token of another key: err = %v", err)
	}
	// Algorithm confusion: an HS256 token whose secret is the public key.
	pemBytes, _ := os.ReadFile(path)
	conf, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "b@example.com", "aud": "remitq-api",
		"exp": time.Now().Add(time.Hour).Unix()}).SignedString(pemBytes)
	if _, err := v.Verify(conf); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("HS256 signed with the public key: err = %v", err)
	}
}

func TestJWKS(t *testing.T) {
	k1, k2 := rsaKey(t), rsaKey(t)
	keys := map[string]*rsa.PrivateKey{"k1": k1}
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits++
		var parts []string
		for kid, k := range keys {
			parts = append(parts, fmt.Sprintf(`{"kty":"RSA","kid":%q,"use":"sig","alg":"RS256","n":%q,"e":%q}`, kid,
				base64.RawURLEncoding.EncodeToString(k.N.Bytes()),
				base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.E)).Bytes())))
		}
		fmt.Fprintf(w, `{"keys":[%s,{"kty":"EC","kid":"ec"}]}`, strings.Join(parts, ","))
	}))
	defer srv.Close()
	j := &JWKS{URL: srv.URL, MinRefresh: time.Nanosecond}
	v, err := NewVerifier(VerifierConfig{JWKS: j})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(signRS256(t, k1, "k1", "c@example.com")); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(signRS256(t, k1, "k1", "c@example.com")); err != nil || hits != 1 {
		t.Fatalf("second token: err %v, %d fetches (want 1, cached)", err, hits)
	}
	// Rotation: an unknown kid refetches.
	keys["k2"] = k2
	if _, err := v.Verify(signRS256(t, k2, "k2", "c@example.com")); err != nil || hits != 2 {
		t.Fatalf("rotated key: err %v, %d fetches", err, hits)
	}
	if _, err := v.Verify(signRS256(t, rsaKey(t), "k3", "c@example.com")); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("unknown kid: err = %v", err)
	}
}

func TestAPIKey(t *testing.T) {
	k, h, err := NewAPIKey()
	if err != nil {
		t.Fatal(err)
	}
	if !IsAPIKey(k) || len(h) != 32 || string(HashAPIKey(k)) != string(h) {
		t.Fatalf("key %d chars, IsAPIKey %v, hash %d bytes", len(k), IsAPIKey(k), len(h))
	}
	k2, _, _ := NewAPIKey()
	if k2 == k {
		t.Error("two keys are equal")
	}
	if IsAPIKey("eyJhbGciOi.x.y") {
		t.Error("a JWT looks like an API key")
	}
}

func TestLoadOrCreateHS256Key(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "jwt.key")
	k1, err := LoadOrCreateHS256Key(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v, %v", st, err)
	}
	k2, err := LoadOrCreateHS256Key(path)
	if err != nil || string(k1) != string(k2) || len(k1) != 64 {
		t.Fatalf("second load: %d bytes, equal %v, %v", len(k2), string(k1) == string(k2), err)
	}
}
