// Package authtest serves a test OIDC issuer (discovery document and JWKS) and signs tokens with
// its keys, for tests of JWT authentication without a real identity provider.
package authtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Issuer is a test OIDC issuer on loopback. The zero value is not usable; see NewIssuer.
type Issuer struct {
	srv *httptest.Server
	id  string // the issuer identifier: the server's URL unless given

	mu      sync.Mutex
	keys    []key // published; keys[0] signs
	n       int
	fetches atomic.Int64
}

type key struct {
	kid  string
	alg  string
	priv crypto.Signer
}

// NewIssuer serves an issuer whose identifier is its URL, with one RS256 key, until the test ends.
func NewIssuer(tb testing.TB) *Issuer { return NewIssuerAs(tb, "") }

// NewIssuerAs serves an issuer that calls itself id (for example an Entra ID issuer URL); reach it
// through Client, which sends every request to the test server. Its jwks_uri is id's origin plus
// /discovery/keys.
func NewIssuerAs(tb testing.TB, id string) *Issuer {
	tb.Helper()
	i := &Issuer{}
	i.srv = httptest.NewServer(http.HandlerFunc(i.serve))
	tb.Cleanup(i.srv.Close)
	i.id = id
	if id == "" {
		i.id = i.srv.URL
	}
	i.keys = []key{i.newKey(tb, "RS256")}
	return i
}

// URL is the issuer identifier ("iss").
func (i *Issuer) URL() string { return i.id }

// Client returns an HTTP client that sends every request to the test server, whatever its host.
func (i *Issuer) Client() *http.Client {
	target := strings.TrimPrefix(i.srv.URL, "http://")
	return &http.Client{Timeout: 5 * time.Second, Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		r.URL.Scheme, r.URL.Host, r.Host = "http", target, target
		return http.DefaultTransport.RoundTrip(r)
	})}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// JWKSFetches counts the requests for the keys.
func (i *Issuer) JWKSFetches() int { return int(i.fetches.Load()) }

// Rotate replaces the published keys with one new key of alg (RS256 or ES256), which signs from now
// on. Tokens signed by the old keys no longer verify once verifiers fetch the keys again.
func (i *Issuer) Rotate(tb testing.TB, alg string) {
	tb.Helper()
	k := i.newKey(tb, alg)
	i.mu.Lock()
	defer i.mu.Unlock()
	i.keys = []key{k}
}

// AddKey publishes one more key of alg without signing with it.
func (i *Issuer) AddKey(tb testing.TB, alg string) {
	tb.Helper()
	k := i.newKey(tb, alg)
	i.mu.Lock()
	defer i.mu.Unlock()
	i.keys = append(i.keys, k)
}

func (i *Issuer) newKey(tb testing.TB, alg string) key {
	tb.Helper()
	i.mu.Lock()
	i.n++
	kid := fmt.Sprintf("key-%d", i.n)
	i.mu.Unlock()
	switch alg {
	case "RS256":
		priv, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			tb.Fatal(err)
		}
		return key{kid: kid, alg: alg, priv: priv}
	case "ES256":
		priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			tb.Fatal(err)
		}
		return key{kid: kid, alg: alg, priv: priv}
	}
	tb.Fatalf("authtest: algorithm %q: want RS256 or ES256", alg)
	return key{}
}

// Claims returns valid claims from this issuer for aud, valid for an hour, with sub and the given
// app roles.
func (i *Issuer) Claims(aud, sub string, roles ...string) jwt.MapClaims {
	now := time.Now()
	c := jwt.MapClaims{"iss": i.id, "aud": aud, "sub": sub, "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	if len(roles) > 0 {
		c["roles"] = roles
	}
	return c
}

// Sign signs claims with the current signing key.
func (i *Issuer) Sign(tb testing.TB, claims jwt.MapClaims) string {
	tb.Helper()
	i.mu.Lock()
	k := i.keys[0]
	i.mu.Unlock()
	m := jwt.GetSigningMethod(k.alg)
	t := jwt.NewWithClaims(m, claims)
	t.Header["kid"] = k.kid
	s, err := t.SignedString(k.priv)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func (i *Issuer) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch {
	case strings.HasSuffix(r.URL.Path, "/.well-known/openid-configuration"):
		origin := i.id
		if j := strings.Index(origin[len("https://"):], "/"); j >= 0 {
			origin = origin[:len("https://")+j]
		}
		if strings.HasPrefix(i.id, "http://") {
			origin = i.srv.URL
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"issuer": i.id, "jwks_uri": origin + "/discovery/keys"})
	case strings.HasSuffix(r.URL.Path, "/keys"):
		i.fetches.Add(1)
		i.mu.Lock()
		keys := append([]key(nil), i.keys...)
		i.mu.Unlock()
		var out []map[string]string
		for _, k := range keys {
			out = append(out, jwk(k))
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": out})
	default:
		http.NotFound(w, r)
	}
}

func jwk(k key) map[string]string {
	b64 := func(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
	switch p := k.priv.Public().(type) {
	case *rsa.PublicKey:
		return map[string]string{"kty": "RSA", "use": "sig", "kid": k.kid, "alg": k.alg, "n": b64(p.N.Bytes()), "e": b64(big.NewInt(int64(p.E)).Bytes())}
	case *ecdsa.PublicKey:
		raw, _ := p.Bytes() // 0x04 || X || Y
		return map[string]string{"kty": "EC", "use": "sig", "kid": k.kid, "alg": k.alg, "crv": "P-256", "x": b64(raw[1:33]), "y": b64(raw[33:65])}
	}
	return nil
}
