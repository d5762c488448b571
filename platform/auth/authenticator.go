package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/hybridkit/hybridkit/platform/store"
)

// Modes of authentication.
const (
	// ModeRequired: every call but health checks needs a valid token.
	ModeRequired = "required"
	// ModeOff: every call runs as an anonymous operator. Only for loopback listeners.
	ModeOff = "off"
)

// Config is authentication's part of a program's configuration.
type Config struct {
	// Mode is ModeRequired or ModeOff.
	Mode string
	// OIDCIssuer turns OIDC/JWT bearer tokens on; see OIDCConfig.
	OIDCIssuer string
	// OIDCAudience is a comma-separated list of accepted audiences.
	OIDCAudience string
	// OIDCJWKSURL overrides the discovery document's jwks_uri.
	OIDCJWKSURL string
	// OIDCReaderRoles and OIDCOperatorRoles are comma-separated app roles or scopes.
	OIDCReaderRoles, OIDCOperatorRoles string
	// RateLimit is the average number of calls per second one token may make (0: no limit);
	// RateBurst how many it may make at once.
	RateLimit float64
	RateBurst int
}

// Flags registers the configuration's flags.
func (c *Config) Flags(fs *flag.FlagSet) {
	fs.StringVar(&c.Mode, "auth", ModeRequired, "authentication: required, or off (only when every listener is on loopback)")
	fs.StringVar(&c.OIDCIssuer, "oidc-issuer", "", "accept OIDC/JWT bearer tokens from this issuer, e.g. https://login.microsoftonline.com/TENANT-ID/v2.0 (empty: API tokens only)")
	fs.StringVar(&c.OIDCAudience, "oidc-audience", "", "accepted token audiences, comma-separated (Entra ID: the API's client ID and/or api://... URI)")
	fs.StringVar(&c.OIDCJWKSURL, "oidc-jwks-url", "", "issuer keys URL (empty: jwks_uri from the issuer's discovery document)")
	fs.StringVar(&c.OIDCReaderRoles, "oidc-reader-roles", "hybridkit.reader", "app roles or scopes (roles, scp, scope claims) that grant the reader role, comma-separated")
	fs.StringVar(&c.OIDCOperatorRoles, "oidc-operator-roles", "hybridkit.operator", "app roles or scopes that grant the operator role, comma-separated")
	fs.Float64Var(&c.RateLimit, "rate-limit", 100, "calls per second one token may make on average, per process (0: no limit); more get 429/ResourceExhausted")
	fs.IntVar(&c.RateBurst, "rate-burst", 200, "calls one token may make at once before --rate-limit applies")
}

// Off reports whether authentication is turned off.
func (c Config) Off() bool { return c.Mode == ModeOff }

// OIDC returns the OIDC configuration, or nil when no issuer is configured.
func (c Config) OIDC() *OIDCConfig {
	if strings.TrimSpace(c.OIDCIssuer) == "" {
		return nil
	}
	return &OIDCConfig{
		Issuer:        c.OIDCIssuer,
		Audiences:     strings.Split(c.OIDCAudience, ","),
		JWKSURL:       strings.TrimSpace(c.OIDCJWKSURL),
		ReaderRoles:   strings.Split(c.OIDCReaderRoles, ","),
		OperatorRoles: strings.Split(c.OIDCOperatorRoles, ","),
	}
}

// AuditLog receives audit records; *store.Store is one.
type AuditLog interface {
	AppendAudit(ctx context.Context, a store.AuditRecord) (store.AuditRecord, error)
}

// Options are an Authenticator's configuration and dependencies.
type Options struct {
	// Mode is ModeRequired (the default) or ModeOff.
	Mode string
	// Tokens holds the API tokens; nil refuses every API token.
	Tokens TokenStore
	// OIDC, when set, accepts OIDC/JWT bearer tokens.
	OIDC *OIDCConfig
	// Audit receives the audit records; nil records nothing (tests).
	Audit AuditLog
	// Policy maps methods to rules; nil means DefaultPolicy().
	Policy Policy
	// Logger is required.
	Logger *slog.Logger
	// HTTPClient fetches OIDC keys, unless OIDC has its own.
	HTTPClient *http.Client
	// RateLimit and RateBurst limit each principal's calls (see Config); 0 means no limit.
	RateLimit float64
	RateBurst int
	// TokenCacheTTL is how long an API token's record is reused before it is read again, which
	// bounds how long a revoked token keeps working in another process. Default 5s.
	TokenCacheTTL time.Duration
	// Now replaces time.Now, for tests.
	Now func() time.Time
}

// touchInterval is how often a token's last use is written at most.
const touchInterval = time.Minute

// maxCachedTokens bounds the token cache; it is emptied when full.
const maxCachedTokens = 10000

// Authenticator authenticates and authorises gRPC calls and audits them. Give AuthFunc to
// grpcserver.Deps.Authenticate and the Authenticator itself to grpcserver.Deps.Audit.
type Authenticator struct {
	off      bool
	tokens   TokenStore
	oidc     *OIDCVerifier
	audit    AuditLog
	policy   Policy
	log      *slog.Logger
	now      func() time.Time
	cacheTTL time.Duration
	limiter  *limiter // nil: no limit

	mu    sync.Mutex
	cache map[string]*cachedToken
}

type cachedToken struct {
	tok     store.Token
	read    time.Time // when tok was read from the store
	touched time.Time // when its use was last written
}

// New returns an Authenticator.
func New(opts Options) (*Authenticator, error) {
	if opts.Logger == nil {
		return nil, errors.New("auth: a logger is required")
	}
	switch opts.Mode {
	case "", ModeRequired, ModeOff:
	default:
		return nil, fmt.Errorf("auth: mode %q: want required or off", opts.Mode)
	}
	a := &Authenticator{
		off: opts.Mode == ModeOff, tokens: opts.Tokens, audit: opts.Audit, policy: opts.Policy,
		log: opts.Logger, now: opts.Now, cacheTTL: opts.TokenCacheTTL, cache: map[string]*cachedToken{},
	}
	if a.policy == nil {
		a.policy = DefaultPolicy()
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.cacheTTL <= 0 {
		a.cacheTTL = 5 * time.Second
	}
	if opts.RateLimit < 0 || opts.RateBurst < 0 {
		return nil, fmt.Errorf("auth: rate limit %g and burst %d must not be negative", opts.RateLimit, opts.RateBurst)
	}
	if !a.off {
		a.limiter = newLimiter(opts.RateLimit, opts.RateBurst, a.now)
	}
	if opts.OIDC != nil {
		cfg := *opts.OIDC
		if cfg.HTTPClient == nil {
			cfg.HTTPClient = opts.HTTPClient
		}
		if cfg.Logger == nil {
			cfg.Logger = opts.Logger
		}
		if cfg.Now == nil {
			cfg.Now = a.now
		}
		v, err := NewOIDCVerifier(cfg)
		if err != nil {
			return nil, err
		}
		a.oidc = v
	}
	return a, nil
}

// Off reports whether authentication is off.
func (a *Authenticator) Off() bool { return a.off }

// Unauthenticated answers; the texts are what clients see. None repeats the token.
var (
	errNoToken     = status.Error(codes.Unauthenticated, "missing bearer token: send Authorization: Bearer <token>")
	errScheme      = status.Error(codes.Unauthenticated, "the authorization scheme must be Bearer")
	errManyTokens  = status.Error(codes.Unauthenticated, "send exactly one Authorization header")
	errBadToken    = status.Error(codes.Unauthenticated, errTokenInvalid.Error())
	errRevoked     = status.Error(codes.Unauthenticated, "token revoked")
	errExpired     = status.Error(codes.Unauthenticated, errTokenExpired.Error())
	errUnavailable = status.Error(codes.Unavailable, "cannot check the token now; try again later")
)

// Authenticate checks the value of an Authorization header ("Bearer <token>") and returns the
// principal. Its errors are gRPC statuses: Unauthenticated with a short reason, or Unavailable
// when the token cannot be checked now.
func (a *Authenticator) Authenticate(ctx context.Context, authorization string) (Principal, error) {
	if authorization == "" {
		return Principal{}, errNoToken
	}
	tok, ok := bearer(authorization)
	if !ok {
		return Principal{}, errScheme
	}
	switch {
	case tok == "":
		return Principal{}, errNoToken
	case strings.HasPrefix(tok, APITokenPrefix):
		return a.apiToken(ctx, tok)
	case a.oidc != nil && strings.Count(tok, ".") == 2:
		p, err := a.oidc.Verify(ctx, tok)
		switch {
		case errors.Is(err, errKeysUnavailable):
			return Principal{}, status.Error(codes.Unavailable, err.Error())
		case err != nil:
			return Principal{}, status.Error(codes.Unauthenticated, err.Error())
		}
		return p, nil
	}
	return Principal{}, errBadToken
}

// bearer returns the token of "Bearer <token>".
func bearer(authorization string) (string, bool) {
	scheme, tok, _ := strings.Cut(strings.TrimSpace(authorization), " ")
	return strings.TrimSpace(tok), strings.EqualFold(scheme, "Bearer")
}

func (a *Authenticator) apiToken(ctx context.Context, raw string) (Principal, error) {
	if a.tokens == nil {
		return Principal{}, errBadToken
	}
	id, hash, err := parseAPIToken(raw)
	if err != nil {
		return Principal{}, errBadToken
	}
	now := a.now()
	entry, err := a.lookup(ctx, id, now)
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, errBadToken
	}
	if err != nil {
		a.log.ErrorContext(ctx, "reading an API token failed", "token_id", id, "err", err)
		return Principal{}, errUnavailable
	}
	tok := entry.tok
	if subtle.ConstantTimeCompare(tok.SecretHash, hash[:]) != 1 {
		return Principal{}, errBadToken
	}
	// Past this point the caller holds the secret: telling them why it stopped working is safe.
	if !tok.RevokedAt.IsZero() {
		return Principal{}, errRevoked
	}
	if !tok.Active(now) {
		return Principal{}, errExpired
	}
	role, err := ParseRole(tok.Role)
	if err != nil {
		role = RoleNone
	}
	a.touch(ctx, entry, now)
	return Principal{Subject: "token:" + tok.ID, Name: tok.Name, Role: role, TokenID: tok.ID}, nil
}

// lookup returns the token's record, from the cache while it is fresh.
func (a *Authenticator) lookup(ctx context.Context, id string, now time.Time) (*cachedToken, error) {
	a.mu.Lock()
	e := a.cache[id]
	a.mu.Unlock()
	if e != nil && now.Sub(e.read) < a.cacheTTL {
		return e, nil
	}
	tok, err := a.tokens.GetTokenByID(ctx, id)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	fresh := &cachedToken{tok: tok, read: now}
	if old := a.cache[id]; old != nil {
		fresh.touched = old.touched
	}
	if len(a.cache) >= maxCachedTokens {
		clear(a.cache)
	}
	a.cache[id] = fresh
	return fresh, nil
}

// touch records the token's use, at most once per touchInterval.
func (a *Authenticator) touch(ctx context.Context, e *cachedToken, now time.Time) {
	a.mu.Lock()
	last := e.tok.LastUsedAt
	if e.touched.After(last) {
		last = e.touched
	}
	due := now.Sub(last) >= touchInterval
	if due {
		e.touched = now
	}
	a.mu.Unlock()
	if !due {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := a.tokens.TouchToken(ctx, e.tok.ID); err != nil {
		a.log.WarnContext(ctx, "recording an API token's use failed", "token_id", e.tok.ID, "err", err)
	}
}

// anonymous is the principal of every call when authentication is off.
var anonymous = Principal{Subject: "anonymous", Name: "authentication off", Role: RoleOperator}

// AuthFunc is the grpcserver hook (go-grpc-middleware auth.AuthFunc): it authenticates the call
// from its "authorization" metadata, checks the method's rule, and returns a context carrying the
// principal. Unknown methods are refused to everyone.
func (a *Authenticator) AuthFunc(ctx context.Context) (context.Context, error) {
	method, _ := grpc.Method(ctx)
	c := callFrom(ctx)
	p := anonymous
	if !a.off {
		var authz string
		md, _ := metadata.FromIncomingContext(ctx)
		switch vals := md.Get("authorization"); len(vals) {
		case 0:
		case 1:
			authz = vals[0]
		default:
			c.deny(Principal{}, errManyTokens)
			return nil, errManyTokens
		}
		var err error
		if p, err = a.Authenticate(ctx, authz); err != nil {
			if status.Code(err) == codes.Unauthenticated {
				c.deny(Principal{}, err)
				// The ID half of an API token is not secret; it tells whose token is being guessed.
				if tok, _ := bearer(authz); strings.HasPrefix(tok, APITokenPrefix) {
					if id, _, _ := strings.Cut(strings.TrimPrefix(tok, APITokenPrefix), "_"); isHexID(id) {
						c.claimed = "token:" + id
					}
				}
			}
			return nil, err
		}
		if a.limiter != nil {
			if wait, ok := a.limiter.allow(p.Actor()); !ok {
				return nil, a.limiter.rateLimited(wait)
			}
		}
	}
	rule, ok := a.policy[method]
	if !ok {
		err := status.Errorf(codes.PermissionDenied, "%s is not open to any role", method)
		c.deny(p, err)
		return nil, err
	}
	if p.Role < rule.Role {
		err := status.Errorf(codes.PermissionDenied, "role %s may not call %s: it needs the %s role", p.Role, methodName(method), rule.Role)
		c.deny(p, err)
		return nil, err
	}
	c.allow(p)
	return NewContext(ctx, p), nil
}

// methodName is the short name of a full method name: "/pkg.Service/Method" → "Service/Method".
func methodName(full string) string {
	svc, m, ok := strings.Cut(strings.TrimPrefix(full, "/"), "/")
	if !ok {
		return full
	}
	if i := strings.LastIndex(svc, "."); i >= 0 {
		svc = svc[i+1:]
	}
	return svc + "/" + m
}
