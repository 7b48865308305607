package consolesvc

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/remitq/remitq/pkg/auth"
)

// OIDC configures sign-in through an OpenID Connect identity provider:
// the authorization-code flow with PKCE (S256) and a state parameter; the
// ID token is checked with the provider's JWKS (issuer, audience = client
// id, expiry) and its email (or subject) names the remitq user.
type OIDC struct {
	// Issuer is the provider's issuer URL (its discovery document is at
	// Issuer + "/.well-known/openid-configuration").
	Issuer string
	// ClientID and ClientSecret are the console's registration at the
	// provider (the secret may be empty for a public client).
	ClientID, ClientSecret string
	// RedirectURL is the callback registered at the provider; default:
	// the request's scheme and host + "/console/oidc/callback".
	RedirectURL string
	// Client makes the discovery and token requests (default: 10 s timeout).
	Client *http.Client
}

// OIDCFromEnv reads REMITQ_OIDC_ISSUER, REMITQ_OIDC_CLIENT_ID,
// REMITQ_OIDC_CLIENT_SECRET and REMITQ_OIDC_REDIRECT_URL; nil when no
// issuer is set.
func OIDCFromEnv() *OIDC {
	if os.Getenv("REMITQ_OIDC_ISSUER") == "" {
		return nil
	}
	return &OIDC{Issuer: os.Getenv("REMITQ_OIDC_ISSUER"), ClientID: os.Getenv("REMITQ_OIDC_CLIENT_ID"),
		ClientSecret: os.Getenv("REMITQ_OIDC_CLIENT_SECRET"), RedirectURL: os.Getenv("REMITQ_OIDC_REDIRECT_URL")}
}

// oidcCookie holds state, PKCE verifier and the page to return to during
// the round trip to the provider. It is SameSite=Lax: the provider's
// redirect back is a cross-site navigation, on which Strict cookies are
// not sent.
const oidcCookie = "remitq_oidc"

type discovery struct {
	Issuer                string `json:"issuer"`
	AuthorizationEndpoint string `json:"authorization_endpoint"`
	TokenEndpoint         string `json:"token_endpoint"`
	JWKSURI               string `json:"jwks_uri"`
}

// oidcState is the provider's discovered endpoints and the ID-token
// verifier, read once.
type oidcState struct {
	mu       sync.Mutex
	disc     *discovery
	verifier *auth.Verifier
}

func (o *OIDC) client() *http.Client {
	if o.Client != nil {
		return o.Client
	}
	return &http.Client{Timeout: 10 * time.Second}
}

// provider discovers the provider (once).
func (s *Service) provider(ctx context.Context) (*discovery, *auth.Verifier, error) {
	st := &s.oidc
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.disc != nil {
		return st.disc, st.verifier, nil
	}
	o := s.opts.OIDC
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(o.Issuer, "/")+"/.well-known/openid-configuration", nil)
	if err != nil {
		return nil, nil, err
	}
	res, err := o.client().Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("console: OIDC discovery: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("console: OIDC discovery: %s", res.Status)
	}
	var d discovery
	if err := json.NewDecoder(res.Body).Decode(&d); err != nil {
		return nil, nil, fmt.Errorf("console: OIDC discovery: %w", err)
	}
	if d.Issuer != o.Issuer || d.AuthorizationEndpoint == "" || d.TokenEndpoint == "" || d.JWKSURI == "" {
		return nil, nil, errors.New("console: OIDC discovery: the document does not name this issuer and its endpoints")
	}
	v, err := auth.NewVerifier(auth.VerifierConfig{JWKS: &auth.JWKS{URL: d.JWKSURI, Client: o.Client}, Issuer: o.Issuer, Audience: o.ClientID})
	if err != nil {
		return nil, nil, err
	}
	st.disc, st.verifier = &d, v
	return st.disc, st.verifier, nil
}

func (s *Service) redirectURL(r *http.Request) string {
	if u := s.opts.OIDC.RedirectURL; u != "" {
		return u
	}
	scheme := "http"
	if s.secure(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/console/oidc/callback"
}

func pkceChallenge(verifier string) string {
	h := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// oidcStart sends the browser to the provider.
func (q *req) oidcStart() error {
	if q.s.opts.OIDC == nil {
		return &apiError{Status: http.StatusNotFound}
	}
	d, _, err := q.s.provider(q.r.Context())
	if err != nil {
		return err
	}
	next := safeNext(q.r.URL.Query().Get("next"))
	state, verifier := randomToken(), randomToken()
	http.SetCookie(q.w, &http.Cookie{Name: oidcCookie, Value: state + "." + verifier + "." + base64.RawURLEncoding.EncodeToString([]byte(next)),
		Path: "/console/oidc/", MaxAge: 600, HttpOnly: true, Secure: q.s.secure(q.r), SameSite: http.SameSiteLaxMode})
	v := url.Values{"response_type": {"code"}, "client_id": {q.s.opts.OIDC.ClientID}, "redirect_uri": {q.s.redirectURL(q.r)},
		"scope": {"openid email profile"}, "state": {state}, "code_challenge": {pkceChallenge(verifier)}, "code_challenge_method": {"S256"}}
	sep := "?"
	if strings.Contains(d.AuthorizationEndpoint, "?") {
		sep = "&"
	}
	http.Redirect(q.w, q.r, d.AuthorizationEndpoint+sep+v.Encode(), http.StatusSeeOther)
	return nil
}

// oidcCallback exchanges the code for an ID token and starts a session.
func (q *req) oidcCallback() error {
	if q.s.opts.OIDC == nil {
		return &apiError{Status: http.StatusNotFound}
	}
	refuse := func(why string) error {
		q.s.log.Info("console OIDC sign-in refused", zap.String("reason", why))
		return q.showSignin(http.StatusUnauthorized, "Sign-in through your identity provider failed: "+why+". Try again.")
	}
	c, err := q.r.Cookie(oidcCookie)
	if err != nil {
		return refuse("the sign-in took too long or did not start here")
	}
	parts := strings.Split(c.Value, ".")
	http.SetCookie(q.w, &http.Cookie{Name: oidcCookie, Path: "/console/oidc/", MaxAge: -1, HttpOnly: true, Secure: q.s.secure(q.r), SameSite: http.SameSiteLaxMode})
	qs := q.r.URL.Query()
	if len(parts) != 3 || !tokenEqual(qs.Get("state"), parts[0]) {
		return refuse("the answer does not belong to this sign-in")
	}
	if e := qs.Get("error"); e != "" {
		return refuse("the provider answered " + e)
	}
	d, v, err := q.s.provider(q.r.Context())
	if err != nil {
		return err
	}
	o := q.s.opts.OIDC
	form := url.Values{"grant_type": {"authorization_code"}, "code": {qs.Get("code")}, "redirect_uri": {q.s.redirectURL(q.r)},
		"client_id": {o.ClientID}, "code_verifier": {parts[1]}}
	req, err := http.NewRequestWithContext(q.r.Context(), http.MethodPost, d.TokenEndpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if o.ClientSecret != "" {
		req.SetBasicAuth(url.QueryEscape(o.ClientID), url.QueryEscape(o.ClientSecret))
	}
	res, err := o.client().Do(req)
	if err != nil {
		return fmt.Errorf("console: OIDC token request: %w", err)
	}
	defer res.Body.Close()
	var tok struct {
		IDToken string `json:"id_token"`
	}
	if res.StatusCode != http.StatusOK || json.NewDecoder(res.Body).Decode(&tok) != nil || tok.IDToken == "" {
		return refuse("the provider did not give an ID token")
	}
	claims, err := v.Verify(tok.IDToken)
	if err != nil {
		return refuse("the ID token is not valid")
	}
	u, err := auth.UserByClaims(q.r.Context(), q.s.db, claims)
	if errors.Is(err, auth.ErrNotFound) || (err == nil && u.Disabled) {
		return refuse("your account is not a remitq user, or it is disabled")
	}
	if err != nil {
		return err
	}
	secret, err := q.s.newSession(q.r.Context(), u.ID, "oidc")
	if err != nil {
		return err
	}
	q.s.setCookie(q.w, q.r, SessionCookie, secret, 0)
	q.s.log.Info("console sign-in", zap.Int64("user_id", u.ID), zap.String("method", "oidc"))
	rawNext, _ := base64.RawURLEncoding.DecodeString(parts[2])
	next := []byte(safeNext(string(rawNext)))
	// A page, not a redirect: the navigation it starts is same-site, so
	// the SameSite=Strict session cookie goes with it.
	q.render(http.StatusOK, "continue", "Signed in", map[string]string{"Next": string(next)})
	return nil
}
