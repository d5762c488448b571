package auth_test

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/apipb"

	"github.com/hybridkit/hybridkit/platform/auth"
	"github.com/hybridkit/hybridkit/platform/auth/authtest"
	"github.com/hybridkit/hybridkit/platform/grpcserver"
	"github.com/hybridkit/hybridkit/platform/grpctest"
	"github.com/hybridkit/hybridkit/platform/store"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newAuth(t *testing.T, opts auth.Options) *auth.Authenticator {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = grpctest.Logger(t)
	}
	a, err := auth.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// check calls Authenticate and compares the outcome: wantMsg empty means success with wantRole.
func check(t *testing.T, a *auth.Authenticator, name, header string, wantCode codes.Code, wantMsg string, wantRole auth.Role) auth.Principal {
	t.Helper()
	p, err := a.Authenticate(context.Background(), header)
	if wantMsg == "" {
		if err != nil || p.Role != wantRole {
			t.Errorf("%s: Authenticate = %+v, %v; want role %s", name, p, err, wantRole)
		}
		return p
	}
	st := status.Convert(err)
	if err == nil || st.Code() != wantCode || !strings.Contains(st.Message(), wantMsg) {
		t.Errorf("%s: Authenticate = %+v, %v; want %s %q", name, p, err, wantCode, wantMsg)
	}
	if tok, _ := strings.CutPrefix(header, "Bearer "); len(tok) > 8 && strings.Contains(st.Message(), tok) {
		t.Errorf("%s: the error repeats the token: %q", name, st.Message())
	}
	return p
}

func TestAPITokens(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := grpctest.Store(t)
	clock := &fakeClock{t: time.Now()}
	a := newAuth(t, auth.Options{Tokens: st, Now: clock.Now, TokenCacheTTL: 5 * time.Second})

	reader, rrec, err := auth.CreateAPIToken(ctx, st, auth.NewToken{Name: "ci", Role: auth.RoleReader, CreatedBy: "test"}, clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(reader, "hk_"+rrec.ID+"_") || len(reader) != len("hk_")+32+1+43 {
		t.Errorf("token %q: want hk_<32 hex>_<43 base64url>", reader)
	}
	if strings.Contains(string(rrec.SecretHash), reader[36:]) {
		t.Error("the store holds the secret")
	}
	operator, _, err := auth.CreateAPIToken(ctx, st, auth.NewToken{Name: "ops", Role: auth.RoleOperator, ExpiresIn: time.Hour}, clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	doomed, drec, err := auth.CreateAPIToken(ctx, st, auth.NewToken{Name: "doomed", Role: auth.RoleReader}, clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := auth.CreateAPIToken(ctx, st, auth.NewToken{Name: "x", Role: auth.RoleNone}, clock.Now()); err == nil {
		t.Error("a token without a role was created")
	}

	wrongSecret := reader[:len(reader)-2] + "AA"
	if wrongSecret == reader {
		wrongSecret = reader[:len(reader)-2] + "AB"
	}
	otherID := "hk_0123456789abcdef0123456789abcdef" + reader[len("hk_")+32:]
	for _, tc := range []struct {
		name, header string
		code         codes.Code
		msg          string
		role         auth.Role
	}{
		{"no header", "", codes.Unauthenticated, "missing bearer token", 0},
		{"basic", "Basic dXNlcjpwYXNz", codes.Unauthenticated, "scheme must be Bearer", 0},
		{"empty bearer", "Bearer ", codes.Unauthenticated, "missing bearer token", 0},
		{"garbage", "Bearer garbage-garbage", codes.Unauthenticated, "invalid token", 0},
		{"JWT-shaped without OIDC", "Bearer aaa.bbb.ccc", codes.Unauthenticated, "invalid token", 0},
		{"wrong secret", "Bearer " + wrongSecret, codes.Unauthenticated, "invalid token", 0},
		{"unknown id", "Bearer " + otherID, codes.Unauthenticated, "invalid token", 0},
		{"reader", "Bearer " + reader, 0, "", auth.RoleReader},
		{"operator, lower-case scheme", "bearer " + operator, 0, "", auth.RoleOperator},
		{"doomed", "Bearer " + doomed, 0, "", auth.RoleReader},
	} {
		check(t, a, tc.name, tc.header, tc.code, tc.msg, tc.role)
	}
	p := check(t, a, "reader again", "Bearer "+reader, 0, "", auth.RoleReader)
	if p.Subject != "token:"+rrec.ID || p.TokenID != rrec.ID || p.Name != "ci" || p.Actor() != "token:"+rrec.ID {
		t.Errorf("principal = %+v", p)
	}
	if got, _ := st.GetTokenByID(ctx, rrec.ID); got.LastUsedAt.IsZero() {
		t.Error("the token's use was not recorded")
	}

	// A revoked token works until the cache forgets it (TokenCacheTTL), then is refused.
	if _, err := st.RevokeToken(ctx, drec.ID); err != nil {
		t.Fatal(err)
	}
	check(t, a, "revoked, cached", "Bearer "+doomed, 0, "", auth.RoleReader)
	clock.Add(6 * time.Second)
	check(t, a, "revoked", "Bearer "+doomed, codes.Unauthenticated, "token revoked", 0)

	// Expiry is checked against the clock on every call.
	clock.Add(time.Hour)
	check(t, a, "expired", "Bearer "+operator, codes.Unauthenticated, "token expired", 0)
	check(t, a, "reader never expires", "Bearer "+reader, 0, "", auth.RoleReader)
}

// oidcAuth returns an Authenticator for iss with audience api://hybridkit.
func oidcAuth(t *testing.T, iss *authtest.Issuer, cfg auth.OIDCConfig, now func() time.Time) *auth.Authenticator {
	t.Helper()
	cfg.Issuer = iss.URL()
	if cfg.Audiences == nil {
		cfg.Audiences = []string{"api://hybridkit"}
	}
	cfg.ReaderRoles, cfg.OperatorRoles = []string{"hybridkit.reader"}, []string{"hybridkit.operator"}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = iss.Client()
	}
	if cfg.MinRefreshInterval == 0 {
		cfg.MinRefreshInterval = time.Nanosecond
	}
	return newAuth(t, auth.Options{OIDC: &cfg, Now: now})
}

func TestOIDCTokens(t *testing.T) {
	t.Parallel()
	iss := authtest.NewIssuer(t)
	a := oidcAuth(t, iss, auth.OIDCConfig{}, nil)
	other := authtest.NewIssuer(t) // another issuer: its keys are unknown here
	now := time.Now()

	with := func(edit func(jwt.MapClaims)) jwt.MapClaims {
		c := iss.Claims("api://hybridkit", "user-1", "hybridkit.reader")
		c["preferred_username"] = "alice@example.com"
		edit(c)
		return c
	}
	sign := func(edit func(jwt.MapClaims)) string { return "Bearer " + iss.Sign(t, with(edit)) }
	none := func(jwt.MapClaims) {}

	p := check(t, a, "reader", sign(none), 0, "", auth.RoleReader)
	if p.Subject != "user-1" || p.Name != "alice@example.com" || p.Issuer != iss.URL() || p.Actor() != "oidc:user-1" || p.TokenID != "" {
		t.Errorf("principal = %+v", p)
	}
	check(t, a, "operator scope", sign(func(c jwt.MapClaims) { delete(c, "roles"); c["scp"] = "User.Read hybridkit.operator" }), 0, "", auth.RoleOperator)
	check(t, a, "scope claim", sign(func(c jwt.MapClaims) { delete(c, "roles"); c["scope"] = "openid hybridkit.reader" }), 0, "", auth.RoleReader)
	check(t, a, "both roles", sign(func(c jwt.MapClaims) { c["roles"] = []string{"hybridkit.reader", "hybridkit.operator"} }), 0, "", auth.RoleOperator)
	check(t, a, "no role", sign(func(c jwt.MapClaims) { c["roles"] = []string{"Other.Role"} }), 0, "", auth.RoleNone)
	check(t, a, "audience list", sign(func(c jwt.MapClaims) { c["aud"] = []string{"other", "api://hybridkit"} }), 0, "", auth.RoleReader)

	for _, tc := range []struct {
		name   string
		header string
		code   codes.Code
		msg    string
	}{
		{"expired", sign(func(c jwt.MapClaims) {
			c["iat"], c["nbf"], c["exp"] = now.Add(-3*time.Hour).Unix(), now.Add(-3*time.Hour).Unix(), now.Add(-2*time.Hour).Unix()
		}), codes.Unauthenticated, "token expired"},
		{"not yet valid", sign(func(c jwt.MapClaims) { c["nbf"] = now.Add(time.Hour).Unix() }), codes.Unauthenticated, "not valid yet"},
		{"wrong audience", sign(func(c jwt.MapClaims) { c["aud"] = "api://something-else" }), codes.Unauthenticated, "audience not accepted"},
		{"no audience", sign(func(c jwt.MapClaims) { delete(c, "aud") }), codes.Unauthenticated, "audience not accepted"},
		{"wrong issuer", sign(func(c jwt.MapClaims) { c["iss"] = "https://evil.example.com" }), codes.Unauthenticated, "issuer not accepted"},
		{"no expiry", sign(func(c jwt.MapClaims) { delete(c, "exp") }), codes.Unauthenticated, "invalid token"},
		{"no subject", sign(func(c jwt.MapClaims) { delete(c, "sub") }), codes.Unauthenticated, "invalid token"},
		{"other issuer's key", "Bearer " + other.Sign(t, with(none)), codes.Unauthenticated, "invalid token"},
		{"tampered", "Bearer " + tamper(iss.Sign(t, with(none))), codes.Unauthenticated, "invalid token"},
		{"alg none", "Bearer " + unsigned(t, with(none)), codes.Unauthenticated, "invalid token"},
		{"HS256", "Bearer " + hmacSigned(t, with(none)), codes.Unauthenticated, "invalid token"},
		{"garbage", "Bearer a.b.c", codes.Unauthenticated, "invalid token"},
	} {
		check(t, a, tc.name, tc.header, tc.code, tc.msg, 0)
	}
}

// tamper changes the payload of a signed JWT.
func tamper(tok string) string {
	parts := strings.Split(tok, ".")
	claims, _ := jwt.NewParser().DecodeSegment(parts[1])
	claims = []byte(strings.Replace(string(claims), "hybridkit.reader", "hybridkit.operator", 1))
	parts[1] = base64.RawURLEncoding.EncodeToString(claims)
	return strings.Join(parts, ".")
}

func unsigned(t *testing.T, c jwt.MapClaims) string {
	s, err := jwt.NewWithClaims(jwt.SigningMethodNone, c).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func hmacSigned(t *testing.T, c jwt.MapClaims) string {
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, c)
	tok.Header["kid"] = "key-1"
	s, err := tok.SignedString([]byte("a shared secret that the verifier never accepts"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestOIDCKeyRotation(t *testing.T) {
	t.Parallel()
	iss := authtest.NewIssuer(t)
	clock := &fakeClock{t: time.Now()}
	a := oidcAuth(t, iss, auth.OIDCConfig{MinRefreshInterval: time.Minute}, clock.Now)
	claims := func() jwt.MapClaims { return iss.Claims("api://hybridkit", "svc", "hybridkit.operator") }

	first := "Bearer " + iss.Sign(t, claims())
	check(t, a, "first key", first, 0, "", auth.RoleOperator)
	check(t, a, "first key again", first, 0, "", auth.RoleOperator)
	if n := iss.JWKSFetches(); n != 1 {
		t.Fatalf("JWKS fetched %d times, want 1 (cached)", n)
	}

	// The issuer rotates to an ES256 key. Within MinRefreshInterval of the last fetch, tokens
	// naming the unknown key do not make the verifier fetch again.
	iss.Rotate(t, "ES256")
	second := "Bearer " + iss.Sign(t, claims())
	for range 5 {
		check(t, a, "new key, refresh not due", second, codes.Unauthenticated, "unknown key", 0)
	}
	if n := iss.JWKSFetches(); n != 1 {
		t.Fatalf("JWKS fetched %d times within the refresh interval, want 1", n)
	}
	clock.Add(time.Minute)
	check(t, a, "new key after refresh", second, 0, "", auth.RoleOperator)
	if n := iss.JWKSFetches(); n != 2 {
		t.Errorf("JWKS fetched %d times, want 2", n)
	}
	// The old key is gone from the set: its tokens no longer verify.
	check(t, a, "retired key", first, codes.Unauthenticated, "unknown key", 0)

	// A key added beside the signing one is found as soon as the interval allows.
	clock.Add(time.Minute)
	iss.AddKey(t, "RS256")
	check(t, a, "still current", second, 0, "", auth.RoleOperator)
}

func TestOIDCUnreachableIssuer(t *testing.T) {
	t.Parallel()
	iss := authtest.NewIssuer(t)
	a := oidcAuth(t, iss, auth.OIDCConfig{JWKSURL: "http://127.0.0.1:1/keys", HTTPClient: &http.Client{Timeout: 2 * time.Second}}, nil)
	check(t, a, "keys unreachable", "Bearer "+iss.Sign(t, iss.Claims("api://hybridkit", "u", "hybridkit.reader")), codes.Unavailable, "try again later", 0)
}

func TestEntraIDTokens(t *testing.T) {
	t.Parallel()
	const tid = "5b6c2f3e-1a2b-4c3d-8e9f-0a1b2c3d4e5f"
	const clientID = "8d7e6f5a-4b3c-2d1e-0f9a-8b7c6d5e4f3a"
	iss := authtest.NewIssuerAs(t, "https://login.microsoftonline.com/"+tid+"/v2.0")
	a := oidcAuth(t, iss, auth.OIDCConfig{Audiences: []string{clientID, "api://hybridkit"}}, nil)
	now := time.Now()
	base := func() jwt.MapClaims {
		return jwt.MapClaims{"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(), "tid": tid, "oid": "0000-oid", "sub": "pairwise-sub"}
	}

	// A v2 app-only token: the app role of the calling application, aud = the API's client ID.
	v2 := base()
	v2["iss"], v2["aud"], v2["ver"], v2["roles"], v2["azp"] = "https://login.microsoftonline.com/"+tid+"/v2.0", clientID, "2.0", []string{"hybridkit.operator"}, "caller-app-id"
	p := check(t, a, "Entra v2 app token", "Bearer "+iss.Sign(t, v2), 0, "", auth.RoleOperator)
	if p.Name != "caller-app-id" || p.Subject != "pairwise-sub" {
		t.Errorf("v2 principal = %+v", p)
	}

	// A v1 delegated token: the issuer is sts.windows.net, aud the application ID URI, the
	// delegated scope in scp.
	v1 := base()
	v1["iss"], v1["aud"], v1["ver"], v1["scp"], v1["upn"], v1["appid"] = "https://sts.windows.net/"+tid+"/", "api://hybridkit", "1.0", "hybridkit.reader", "alice@contoso.com", "cli-app"
	p = check(t, a, "Entra v1 delegated token", "Bearer "+iss.Sign(t, v1), 0, "", auth.RoleReader)
	if p.Name != "alice@contoso.com" {
		t.Errorf("v1 principal = %+v", p)
	}

	// Another tenant's token is refused even with the right audience.
	v1["iss"] = "https://sts.windows.net/00000000-0000-0000-0000-000000000000/"
	check(t, a, "other tenant", "Bearer "+iss.Sign(t, v1), codes.Unauthenticated, "issuer not accepted", 0)
}

// The policy test service: Read (reader), Store (reader, audited), Write (operator, audited),
// Unlisted (not in the policy) and Upload (client stream, reader, audited). Every handler answers
// with the caller's actor.
const svc = "hybridkit.test.v1.PolicyService"

func testPolicy() auth.Policy {
	return auth.Policy{
		"/" + svc + "/Read":   {Role: auth.RoleReader},
		"/" + svc + "/Store":  {Role: auth.RoleReader, Write: true},
		"/" + svc + "/Write":  {Role: auth.RoleOperator, Write: true},
		"/" + svc + "/Upload": {Role: auth.RoleReader, Write: true},
	}
}

func policyService(fail *sync.Map) *grpc.ServiceDesc {
	unary := func(name string) grpc.MethodDesc {
		return grpc.MethodDesc{MethodName: name, Handler: func(srv any, ctx context.Context, dec func(any) error, icpt grpc.UnaryServerInterceptor) (any, error) {
			in := new(apipb.Method)
			if err := dec(in); err != nil {
				return nil, err
			}
			h := func(ctx context.Context, req any) (any, error) {
				if _, ok := fail.Load(req.(*apipb.Method).GetName()); ok {
					return nil, status.Error(codes.FailedPrecondition, "the object is protected")
				}
				p, _ := auth.FromContext(ctx)
				return &apipb.Method{Name: p.Actor()}, nil
			}
			return icpt(ctx, in, &grpc.UnaryServerInfo{Server: srv, FullMethod: "/" + svc + "/" + name}, h)
		}}
	}
	return &grpc.ServiceDesc{
		ServiceName: svc,
		HandlerType: (*any)(nil),
		Methods:     []grpc.MethodDesc{unary("Read"), unary("Store"), unary("Write"), unary("Unlisted")},
		Streams: []grpc.StreamDesc{{StreamName: "Upload", ClientStreams: true, Handler: func(_ any, ss grpc.ServerStream) error {
			for {
				if err := ss.RecvMsg(new(apipb.Method)); err == io.EOF {
					break
				} else if err != nil {
					return err
				}
			}
			p, _ := auth.FromContext(ss.Context())
			return ss.SendMsg(&apipb.Method{Name: p.Actor()})
		}}},
	}
}

// startPolicyServer runs the policy service on a grpcserver with a wired Authenticator.
func startPolicyServer(t *testing.T, a *auth.Authenticator, fail *sync.Map) *grpc.ClientConn {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := grpcserver.New(grpcserver.Options{Name: "policy", Deps: grpcserver.Deps{
		Logger: grpctest.Logger(t), Listener: lis, Authenticate: a.AuthFunc, Audit: a,
	}})
	if err != nil {
		t.Fatal(err)
	}
	srv.GRPC().RegisterService(policyService(fail), nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	if err := grpctest.WaitServing(ctx, lis.Addr().String(), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	cc, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	return cc
}

// callAs calls method with token (none when empty) and target, returning the answer's name.
func callAs(ctx context.Context, cc *grpc.ClientConn, method, token, target string, header *metadata.MD) (string, error) {
	if token != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
	}
	out := new(apipb.Method)
	if method == "Upload" {
		s, err := cc.NewStream(ctx, &grpc.StreamDesc{ClientStreams: true}, "/"+svc+"/Upload")
		if err != nil {
			return "", err
		}
		if err := s.SendMsg(&apipb.Method{Name: target}); err != nil && !errors.Is(err, io.EOF) {
			return "", err
		}
		if err := s.CloseSend(); err != nil {
			return "", err
		}
		err = s.RecvMsg(out)
		return out.GetName(), err
	}
	var opts []grpc.CallOption
	if header != nil {
		opts = append(opts, grpc.Header(header))
	}
	err := cc.Invoke(ctx, "/"+svc+"/"+method, &apipb.Method{Name: target}, out, opts...)
	return out.GetName(), err
}

func TestPolicyAndAudit(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := grpctest.Store(t)
	a := newAuth(t, auth.Options{Tokens: st, Audit: st, Policy: testPolicy()})
	fail := &sync.Map{}
	fail.Store("CN=protected", true)
	cc := startPolicyServer(t, a, fail)

	reader, rrec, err := auth.CreateAPIToken(ctx, st, auth.NewToken{Name: "reader", Role: auth.RoleReader}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	operator, orec, err := auth.CreateAPIToken(ctx, st, auth.NewToken{Name: "operator", Role: auth.RoleOperator}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	rActor, oActor := "token:"+rrec.ID, "token:"+orec.ID

	// Health needs no token.
	if resp, err := healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{}); err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health without a token: %v, %v", resp, err)
	}

	OK, Unauth, Denied := codes.OK, codes.Unauthenticated, codes.PermissionDenied
	want := map[string]map[string]codes.Code{
		"":       {"Read": Unauth, "Store": Unauth, "Write": Unauth, "Upload": Unauth, "Unlisted": Unauth},
		"bad":    {"Read": Unauth, "Store": Unauth, "Write": Unauth, "Upload": Unauth, "Unlisted": Unauth},
		reader:   {"Read": OK, "Store": OK, "Write": Denied, "Upload": OK, "Unlisted": Denied},
		operator: {"Read": OK, "Store": OK, "Write": OK, "Upload": OK, "Unlisted": Denied},
	}
	actors := map[string]string{reader: rActor, operator: oActor}
	for tok, methods := range want {
		for method, code := range methods {
			got, err := callAs(ctx, cc, method, tok, "CN="+method, nil)
			if status.Code(err) != code {
				t.Errorf("%s as %q: %v, want %s", method, actors[tok], err, code)
				continue
			}
			if code == OK && got != actors[tok] {
				t.Errorf("%s: the handler saw actor %q, want %q", method, got, actors[tok])
			}
		}
	}

	// A client's request ID is kept, returned and recorded; a write that fails is recorded too.
	var hdr metadata.MD
	if _, err := callAs(metadata.AppendToOutgoingContext(ctx, auth.RequestIDHeader, "req-42"), cc, "Write", operator, "CN=protected", &hdr); status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("failing write: %v", err)
	}
	if got := hdr.Get(auth.RequestIDHeader); len(got) != 1 || got[0] != "req-42" {
		t.Errorf("response request ID = %v, want req-42", got)
	}

	recs, _, err := st.ListAudit(ctx, store.AuditQuery{PageSize: store.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	type key struct{ actor, action, target, result string }
	got := map[key]int{}
	for _, r := range recs {
		got[key{r.Actor, strings.TrimPrefix(r.Action, "/"+svc+"/"), r.Target, string(r.Result)}]++
		if r.RequestID == "" {
			t.Errorf("record %+v has no request ID", r)
		}
		for _, secret := range []string{reader, operator, reader[36:], operator[36:]} {
			if strings.Contains(r.Detail+r.Target+r.Actor, secret) {
				t.Errorf("record %+v holds a token", r)
			}
		}
	}
	wantRecs := map[key]int{
		// Unauthenticated: no actor. Upload's target is unknown: it is refused before a message.
		{"", "Read", "CN=Read", "denied"}: 2, {"", "Store", "CN=Store", "denied"}: 2, {"", "Write", "CN=Write", "denied"}: 2,
		{"", "Unlisted", "CN=Unlisted", "denied"}: 2, {"", "Upload", "", "denied"}: 2,
		// Refused by role or policy.
		{rActor, "Write", "CN=Write", "denied"}: 1, {rActor, "Unlisted", "CN=Unlisted", "denied"}: 1, {oActor, "Unlisted", "CN=Unlisted", "denied"}: 1,
		// Writes.
		{rActor, "Store", "CN=Store", "ok"}: 1, {oActor, "Store", "CN=Store", "ok"}: 1, {oActor, "Write", "CN=Write", "ok"}: 1,
		{rActor, "Upload", "CN=Upload", "ok"}: 1, {oActor, "Upload", "CN=Upload", "ok"}: 1,
		{oActor, "Write", "CN=protected", "error"}: 1,
	}
	for k, n := range wantRecs {
		if got[k] != n {
			t.Errorf("audit records %+v: %d, want %d", k, got[k], n)
		}
	}
	for k, n := range got {
		if _, ok := wantRecs[k]; !ok {
			t.Errorf("unexpected audit records %+v ×%d (reads are not audited)", k, n)
		}
	}
	for _, r := range recs {
		switch {
		case r.Actor == rActor && strings.HasSuffix(r.Action, "/Write"):
			if !strings.Contains(r.Detail, "role reader may not call PolicyService/Write: it needs the operator role") || !strings.Contains(r.Detail, `"reader"`) {
				t.Errorf("denied write detail = %q", r.Detail)
			}
		case r.Result == store.AuditError:
			if r.RequestID != "req-42" || !strings.Contains(r.Detail, "FailedPrecondition") {
				t.Errorf("failed write record = %+v", r)
			}
		}
	}
	// An API token that only guessed the secret is named by its ID in the denial.
	if _, err := callAs(ctx, cc, "Read", operator[:len(operator)-3]+"AAA", "x", nil); status.Code(err) != Unauth {
		t.Fatalf("guessed secret: %v", err)
	}
	recs, _, _ = st.ListAudit(ctx, store.AuditQuery{PageSize: 1})
	if len(recs) != 1 || recs[0].Actor != "" || recs[0].Detail != "invalid token (claimed "+oActor+")" {
		t.Errorf("guessed secret record = %+v", recs)
	}
}

func TestAuthOff(t *testing.T) {
	t.Parallel()
	st := grpctest.Store(t)
	a := newAuth(t, auth.Options{Mode: auth.ModeOff, Audit: st, Policy: testPolicy()})
	if !a.Off() {
		t.Fatal("Off() = false")
	}
	cc := startPolicyServer(t, a, &sync.Map{})
	ctx := t.Context()
	if got, err := callAs(ctx, cc, "Write", "", "CN=x", nil); err != nil || got != "anonymous" {
		t.Errorf("Write with auth off = %q, %v; want anonymous, allowed", got, err)
	}
	// Fail closed still: a method outside the policy is refused.
	if _, err := callAs(ctx, cc, "Unlisted", "", "CN=x", nil); status.Code(err) != codes.PermissionDenied {
		t.Errorf("Unlisted with auth off: %v, want PermissionDenied", err)
	}
	recs, _, _ := st.ListAudit(ctx, store.AuditQuery{})
	if len(recs) != 2 || recs[0].Actor != "anonymous" || recs[1].Actor != "anonymous" {
		t.Errorf("audit with auth off = %+v", recs)
	}
}

func TestNewRefuses(t *testing.T) {
	t.Parallel()
	log := grpctest.Logger(t)
	for name, opts := range map[string]auth.Options{
		"no logger":   {},
		"bad mode":    {Logger: log, Mode: "maybe"},
		"no audience": {Logger: log, OIDC: &auth.OIDCConfig{Issuer: "https://issuer.example.com", ReaderRoles: []string{"r"}}},
		"bad issuer":  {Logger: log, OIDC: &auth.OIDCConfig{Issuer: "issuer.example.com", Audiences: []string{"a"}, ReaderRoles: []string{"r"}}},
		"no roles":    {Logger: log, OIDC: &auth.OIDCConfig{Issuer: "https://issuer.example.com", Audiences: []string{"a"}, ReaderRoles: []string{" "}}},
	} {
		if _, err := auth.New(opts); err == nil {
			t.Errorf("%s: New accepted %+v", name, opts)
		}
	}
}

func TestRoles(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"reader", "Operator "} {
		r, err := auth.ParseRole(s)
		if err != nil || r.String() != strings.ToLower(strings.TrimSpace(s)) {
			t.Errorf("ParseRole(%q) = %v, %v", s, r, err)
		}
	}
	if _, err := auth.ParseRole("admin"); err == nil {
		t.Error("ParseRole(admin) succeeded")
	}
	if !(auth.RoleNone < auth.RoleReader && auth.RoleReader < auth.RoleOperator) {
		t.Error("roles are not ordered none < reader < operator")
	}
}

func TestRateLimitPerToken(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := grpctest.Store(t)
	clock := &fakeClock{t: time.Now()}
	a := newAuth(t, auth.Options{Tokens: st, Policy: testPolicy(), RateLimit: 2, RateBurst: 2, Now: clock.Now})
	cc := startPolicyServer(t, a, &sync.Map{})
	first, _, _ := auth.CreateAPIToken(ctx, st, auth.NewToken{Name: "first", Role: auth.RoleReader}, clock.Now())
	second, _, _ := auth.CreateAPIToken(ctx, st, auth.NewToken{Name: "second", Role: auth.RoleReader}, clock.Now())

	for i := range 2 {
		if _, err := callAs(ctx, cc, "Read", first, "x", nil); err != nil {
			t.Fatalf("call %d within the burst: %v", i+1, err)
		}
	}
	_, err := callAs(ctx, cc, "Read", first, "x", nil)
	st2 := status.Convert(err)
	if st2.Code() != codes.ResourceExhausted || !strings.Contains(st2.Message(), "rate limit") {
		t.Fatalf("over the limit: %v", err)
	}
	var retry *errdetails.RetryInfo
	for _, d := range st2.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			retry = ri
		}
	}
	if retry == nil || retry.GetRetryDelay().AsDuration() != 500*time.Millisecond {
		t.Errorf("RetryInfo = %v, want 500ms (2 calls per second)", retry)
	}
	// Another token has its own bucket; the first refills with time.
	if _, err := callAs(ctx, cc, "Read", second, "x", nil); err != nil {
		t.Errorf("another token: %v", err)
	}
	clock.Add(500 * time.Millisecond)
	if _, err := callAs(ctx, cc, "Read", first, "x", nil); err != nil {
		t.Errorf("after waiting: %v", err)
	}
}
