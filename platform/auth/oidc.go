package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// OIDCConfig configures OIDC/JWT bearer tokens from one issuer.
type OIDCConfig struct {
	// Issuer is the tokens' "iss", e.g. https://login.microsoftonline.com/{tenant-id}/v2.0 for Entra
	// ID (whose v1 issuer, https://sts.windows.net/{tenant-id}/, is then accepted too).
	Issuer string
	// Audiences are the accepted "aud" values: Entra ID v2 tokens carry the API's client ID, v1
	// tokens its application ID URI (api://...). At least one is required.
	Audiences []string
	// JWKSURL, when set, is used instead of the discovery document's jwks_uri.
	JWKSURL string
	// ReaderRoles and OperatorRoles are the values of the "roles" (app roles), "scp" and "scope"
	// (delegated scopes) claims that grant each role.
	ReaderRoles, OperatorRoles []string
	// HTTPClient fetches the discovery document and the keys; nil means a client with a 10s timeout.
	HTTPClient *http.Client
	// MinRefreshInterval is the least time between two fetches of the keys, so that tokens naming
	// unknown keys cannot make hybridkit hammer the issuer. Default 1s.
	MinRefreshInterval time.Duration
	// KeysMaxAge is how long fetched keys are used before they are fetched again. Default 1h.
	KeysMaxAge time.Duration
	// Leeway allows for clock skew in exp, nbf and iat. Default 1 min.
	Leeway time.Duration
	// Logger receives key fetch failures; nil discards them.
	Logger *slog.Logger
	// Now replaces time.Now, for tests.
	Now func() time.Time
}

// maxDocumentBytes bounds a discovery document or JWKS.
const maxDocumentBytes = 1 << 20

// OIDCVerifier checks OIDC/JWT access tokens. It is safe for concurrent use.
type OIDCVerifier struct {
	cfg     OIDCConfig
	issuers []string
	methods []string

	fetchMu sync.Mutex // one fetch at a time

	mu          sync.RWMutex
	keys        []jsonWebKey
	fetched     time.Time // when keys were fetched
	lastAttempt time.Time // when a fetch last started, successful or not
	jwksURL     string    // from the configuration or the discovery document
}

// NewOIDCVerifier checks cfg and returns a verifier. It fetches nothing yet: the keys are fetched
// when the first token arrives, so that an unreachable issuer does not stop the services starting.
func NewOIDCVerifier(cfg OIDCConfig) (*OIDCVerifier, error) {
	cfg.Issuer = strings.TrimSpace(cfg.Issuer)
	if cfg.Issuer == "" {
		return nil, errors.New("auth: OIDC issuer is empty")
	}
	if !strings.HasPrefix(cfg.Issuer, "https://") && !strings.HasPrefix(cfg.Issuer, "http://") {
		return nil, fmt.Errorf("auth: OIDC issuer %q is not an http(s) URL", cfg.Issuer)
	}
	cfg.Audiences = nonEmpty(cfg.Audiences)
	if len(cfg.Audiences) == 0 {
		return nil, errors.New("auth: an OIDC audience is required (--oidc-audience): the API's client ID or application ID URI")
	}
	cfg.ReaderRoles, cfg.OperatorRoles = nonEmpty(cfg.ReaderRoles), nonEmpty(cfg.OperatorRoles)
	if len(cfg.ReaderRoles) == 0 && len(cfg.OperatorRoles) == 0 {
		return nil, errors.New("auth: no OIDC roles or scopes map to reader or operator")
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.MinRefreshInterval <= 0 {
		cfg.MinRefreshInterval = time.Second
	}
	if cfg.KeysMaxAge <= 0 {
		cfg.KeysMaxAge = time.Hour
	}
	if cfg.Leeway <= 0 {
		cfg.Leeway = time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &OIDCVerifier{
		cfg:     cfg,
		issuers: acceptedIssuers(cfg.Issuer),
		methods: []string{jwt.SigningMethodRS256.Alg(), jwt.SigningMethodES256.Alg()},
		jwksURL: cfg.JWKSURL,
	}, nil
}

func nonEmpty(in []string) []string {
	var out []string
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Entra ID issues v2 tokens as https://login.microsoftonline.com/{tenant}/v2.0 and v1 tokens as
// https://sts.windows.net/{tenant}/ (per cloud); one app registration can receive both.
var (
	entraV2Issuer = regexp.MustCompile(`^https://(login\.microsoftonline\.com|login\.microsoftonline\.us|login\.chinacloudapi\.cn|login\.partner\.microsoftonline\.cn)/([0-9a-fA-F-]{36})/v2\.0/?$`)
	entraV1Issuer = regexp.MustCompile(`^https://(sts\.windows\.net|sts\.chinacloudapi\.cn)/([0-9a-fA-F-]{36})/?$`)
)

// acceptedIssuers returns the configured issuer and, for Entra ID, the other version's issuer of
// the same tenant.
func acceptedIssuers(iss string) []string {
	out := []string{iss}
	if m := entraV2Issuer.FindStringSubmatch(iss); m != nil {
		sts := "sts.windows.net"
		if m[1] == "login.chinacloudapi.cn" || m[1] == "login.partner.microsoftonline.cn" {
			sts = "sts.chinacloudapi.cn"
		}
		out = append(out, "https://"+sts+"/"+m[2]+"/")
	}
	if m := entraV1Issuer.FindStringSubmatch(iss); m != nil {
		login := "login.microsoftonline.com"
		if m[1] == "sts.chinacloudapi.cn" {
			login = "login.chinacloudapi.cn"
		}
		out = append(out, "https://"+login+"/"+m[2]+"/v2.0")
	}
	return out
}

// Errors of Verify. Their texts are what clients see.
var (
	errTokenExpired     = errors.New("token expired")
	errTokenNotYetValid = errors.New("token not valid yet")
	errTokenAudience    = errors.New("token audience not accepted")
	errTokenIssuer      = errors.New("token issuer not accepted")
	errTokenUnknownKey  = errors.New("token signed by an unknown key")
	errTokenInvalid     = errors.New("invalid token")
	// errKeysUnavailable is answered Unavailable: the client may retry.
	errKeysUnavailable = errors.New("the token issuer's keys are unavailable; try again later")
)

// Verify checks a JWT's signature, issuer, audience and times, and returns its principal. The role
// is RoleNone when the token carries none of the configured roles or scopes.
func (v *OIDCVerifier) Verify(ctx context.Context, raw string) (Principal, error) {
	claims := jwt.MapClaims{}
	parser := jwt.NewParser(
		jwt.WithValidMethods(v.methods),
		jwt.WithAudience(v.cfg.Audiences...),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(v.cfg.Leeway),
		jwt.WithTimeFunc(v.cfg.Now),
	)
	_, err := parser.ParseWithClaims(raw, claims, func(t *jwt.Token) (any, error) {
		// The issuer is checked before any key is looked up (or fetched) for it.
		if iss, _ := claims.GetIssuer(); !slices.Contains(v.issuers, iss) {
			return nil, errTokenIssuer
		}
		kid, _ := t.Header["kid"].(string)
		return v.key(ctx, kid, t.Method.Alg())
	})
	if err != nil {
		return Principal{}, verifyError(err, claims)
	}
	return v.principal(claims)
}

// verifyError turns a parse error into one of the short errors clients see.
func verifyError(err error, claims jwt.MapClaims) error {
	for _, e := range []error{errTokenIssuer, errTokenUnknownKey, errKeysUnavailable} {
		if errors.Is(err, e) {
			return e
		}
	}
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return errTokenExpired
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return errTokenNotYetValid
	case errors.Is(err, jwt.ErrTokenInvalidAudience), errors.Is(err, jwt.ErrTokenRequiredClaimMissing) && claims["aud"] == nil:
		return errTokenAudience
	}
	return errTokenInvalid
}

func (v *OIDCVerifier) principal(claims jwt.MapClaims) (Principal, error) {
	str := func(name string) string { s, _ := claims[name].(string); return s }
	p := Principal{Subject: str("sub"), Issuer: str("iss")}
	if p.Subject == "" {
		return Principal{}, errTokenInvalid
	}
	for _, c := range []string{"preferred_username", "upn", "unique_name", "email", "name", "app_displayname", "azp", "appid"} {
		if p.Name = str(c); p.Name != "" {
			break
		}
	}
	var granted []string
	for _, c := range []string{"roles", "scp", "scope"} {
		switch val := claims[c].(type) {
		case string:
			granted = append(granted, strings.Fields(val)...)
		case []any:
			for _, e := range val {
				if s, ok := e.(string); ok {
					granted = append(granted, s)
				}
			}
		}
	}
	switch {
	case anyIn(granted, v.cfg.OperatorRoles):
		p.Role = RoleOperator
	case anyIn(granted, v.cfg.ReaderRoles):
		p.Role = RoleReader
	}
	return p, nil
}

func anyIn(have, want []string) bool {
	for _, h := range have {
		if slices.Contains(want, h) {
			return true
		}
	}
	return false
}

// key returns the public key named kid for alg, fetching the issuer's keys when they are stale or
// do not have it (no more often than MinRefreshInterval).
func (v *OIDCVerifier) key(ctx context.Context, kid, alg string) (any, error) {
	now := v.cfg.Now()
	v.mu.RLock()
	keys, fetched, attempt := v.keys, v.fetched, v.lastAttempt
	v.mu.RUnlock()
	fresh := !fetched.IsZero() && now.Sub(fetched) < v.cfg.KeysMaxAge
	if fresh {
		if k := findKey(keys, kid, alg); k != nil {
			return k, nil
		}
	}
	if attempt.IsZero() || now.Sub(attempt) >= v.cfg.MinRefreshInterval {
		if err := v.fetch(ctx, attempt); err != nil {
			v.cfg.Logger.WarnContext(ctx, "fetching the OIDC issuer's keys failed", "issuer", v.cfg.Issuer, "err", err)
		}
		v.mu.RLock()
		keys, fetched = v.keys, v.fetched
		v.mu.RUnlock()
	}
	if fetched.IsZero() {
		return nil, errKeysUnavailable
	}
	// Stale keys are still better than none while the issuer cannot be reached.
	if k := findKey(keys, kid, alg); k != nil {
		return k, nil
	}
	return nil, errTokenUnknownKey
}

// fetch fetches the keys unless another caller started a fetch since seen.
func (v *OIDCVerifier) fetch(ctx context.Context, seen time.Time) error {
	v.fetchMu.Lock()
	defer v.fetchMu.Unlock()
	v.mu.Lock()
	if !v.lastAttempt.Equal(seen) {
		v.mu.Unlock()
		return nil
	}
	v.lastAttempt = v.cfg.Now()
	jwksURL := v.jwksURL
	v.mu.Unlock()

	// The fetch outlives a cancelled request: other callers are waiting for it.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	if jwksURL == "" {
		u, err := v.discover(ctx)
		if err != nil {
			return err
		}
		jwksURL = u
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := v.getJSON(ctx, jwksURL, &set); err != nil {
		return fmt.Errorf("JWKS: %w", err)
	}
	var keys []jsonWebKey
	for _, raw := range set.Keys {
		k, err := parseJWK(raw)
		if err != nil {
			v.cfg.Logger.DebugContext(ctx, "skipping a key of the OIDC issuer", "err", err)
			continue
		}
		if k.key != nil {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return fmt.Errorf("JWKS at %s has no RSA or P-256 signing key", jwksURL)
	}
	v.mu.Lock()
	v.keys, v.fetched, v.jwksURL = keys, v.cfg.Now(), jwksURL
	v.mu.Unlock()
	return nil
}

// discover reads the issuer's discovery document and returns its jwks_uri.
func (v *OIDCVerifier) discover(ctx context.Context) (string, error) {
	u := strings.TrimSuffix(v.cfg.Issuer, "/") + "/.well-known/openid-configuration"
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := v.getJSON(ctx, u, &doc); err != nil {
		return "", fmt.Errorf("discovery: %w", err)
	}
	if !slices.Contains(v.issuers, doc.Issuer) {
		return "", fmt.Errorf("discovery document at %s names issuer %q, not %q", u, doc.Issuer, v.cfg.Issuer)
	}
	if doc.JWKSURI == "" {
		return "", fmt.Errorf("discovery document at %s has no jwks_uri", u)
	}
	return doc.JWKSURI, nil
}

func (v *OIDCVerifier) getJSON(ctx context.Context, u string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := v.cfg.HTTPClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDocumentBytes+1))
	if err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	if len(body) > maxDocumentBytes {
		return fmt.Errorf("GET %s: larger than %d bytes", u, maxDocumentBytes)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	return nil
}

// jsonWebKey is one usable key of a JWKS.
type jsonWebKey struct {
	kid string
	alg string // the key's "alg", if it says
	key any    // *rsa.PublicKey or *ecdsa.PublicKey (P-256); nil for keys of other types
}

func parseJWK(raw json.RawMessage) (jsonWebKey, error) {
	var j struct {
		Kty, Kid, Use, Alg, N, E, Crv, X, Y string
	}
	if err := json.Unmarshal(raw, &j); err != nil {
		return jsonWebKey{}, err
	}
	k := jsonWebKey{kid: j.Kid, alg: j.Alg}
	if j.Use != "" && j.Use != "sig" {
		return k, nil
	}
	b64 := base64.RawURLEncoding
	switch j.Kty {
	case "RSA":
		n, err := b64.DecodeString(j.N)
		if err != nil {
			return k, fmt.Errorf("key %q: n: %w", j.Kid, err)
		}
		e, err := b64.DecodeString(j.E)
		if err != nil || len(e) == 0 || len(e) > 4 {
			return k, fmt.Errorf("key %q: bad exponent", j.Kid)
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		if pub.N.BitLen() < 2048 || pub.E < 3 {
			return k, fmt.Errorf("key %q: RSA key of %d bits or exponent %d is too weak", j.Kid, pub.N.BitLen(), pub.E)
		}
		k.key = pub
	case "EC":
		if j.Crv != "P-256" {
			return k, nil
		}
		x, errX := b64.DecodeString(j.X)
		y, errY := b64.DecodeString(j.Y)
		if errX != nil || errY != nil || len(x) != 32 || len(y) != 32 {
			return k, fmt.Errorf("key %q: bad P-256 coordinates", j.Kid)
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
		if err != nil {
			return k, fmt.Errorf("key %q: %w", j.Kid, err)
		}
		k.key = pub
	}
	return k, nil
}

// findKey returns the key named kid that suits alg; without a kid, the only key that suits it.
func findKey(keys []jsonWebKey, kid, alg string) any {
	var match any
	n := 0
	for _, k := range keys {
		if !keySuits(k, alg) {
			continue
		}
		if kid != "" && k.kid == kid {
			return k.key
		}
		if kid == "" {
			match = k.key
			n++
		}
	}
	if n == 1 {
		return match
	}
	return nil
}

func keySuits(k jsonWebKey, alg string) bool {
	if k.alg != "" && k.alg != alg {
		return false
	}
	switch key := k.key.(type) {
	case *rsa.PublicKey:
		return alg == "RS256"
	case *ecdsa.PublicKey:
		return alg == "ES256" && key.Curve == elliptic.P256()
	}
	return false
}
