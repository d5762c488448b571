package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/hybridkit/hybridkit/gateway"
	"github.com/hybridkit/hybridkit/gateway/gatewaytest"
	"github.com/hybridkit/hybridkit/platform/auth"
	"github.com/hybridkit/hybridkit/platform/auth/authtest"
	"github.com/hybridkit/hybridkit/platform/grpcserver"
	"github.com/hybridkit/hybridkit/platform/grpctest"
	"github.com/hybridkit/hybridkit/platform/store"
	directoryv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/directory/v1"
	identityv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/identity/v1"
	tlsanalysisv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/tlsanalysis/v1"
)

// TestPolicyCoversEveryRPC: every RPC in hybridkit's protos has a rule, and every rule names an
// RPC that exists. A new RPC fails here until it is classified in auth.DefaultPolicy (reader, or
// operator if it writes outside hybridkit's store); until then everyone is refused it.
func TestPolicyCoversEveryRPC(t *testing.T) {
	t.Parallel()
	policy := auth.DefaultPolicy()
	var rpcs []string
	protoregistry.GlobalFiles.RangeFiles(func(f protoreflect.FileDescriptor) bool {
		if pkg := string(f.Package()); !strings.HasPrefix(pkg, "hybridkit.") && pkg != "grpc.reflection.v1" && pkg != "grpc.reflection.v1alpha" {
			return true
		}
		for i := range f.Services().Len() {
			s := f.Services().Get(i)
			for j := range s.Methods().Len() {
				rpcs = append(rpcs, "/"+string(s.FullName())+"/"+string(s.Methods().Get(j).Name()))
			}
		}
		return true
	})
	if len(rpcs) < 15 {
		t.Fatalf("found only %d RPCs in the registry: %v", len(rpcs), rpcs)
	}
	for _, m := range rpcs {
		if _, ok := policy[m]; !ok {
			t.Errorf("RPC %s has no rule in auth.DefaultPolicy (platform/auth/policy.go): add it as a reader, store or operator method", m)
		}
	}
	for _, m := range policy.Methods() {
		if !slices.Contains(rpcs, m) {
			t.Errorf("auth.DefaultPolicy has a rule for %s, which no proto defines", m)
		}
	}
}

// authServer is a gRPC server with hybridkit's interceptors, the authenticator over a fresh store,
// and every service registered unimplemented: a call that passes authorisation answers
// Unimplemented.
type authServer struct {
	addr             string
	store            *store.Store
	reader, operator string
	readerID         string
	grpc             *grpc.Server
}

func startAuthServer(t *testing.T, policy auth.Policy) *authServer {
	t.Helper()
	st := grpctest.Store(t)
	a, err := auth.New(auth.Options{Tokens: st, Audit: st, Policy: policy, Logger: grpctest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	s := &authServer{store: st}
	var rrec store.Token
	if s.reader, rrec, err = auth.CreateAPIToken(t.Context(), st, auth.NewToken{Name: "reader", Role: auth.RoleReader}, time.Now()); err != nil {
		t.Fatal(err)
	}
	s.readerID = rrec.ID
	if s.operator, _, err = auth.CreateAPIToken(t.Context(), st, auth.NewToken{Name: "operator", Role: auth.RoleOperator}, time.Now()); err != nil {
		t.Fatal(err)
	}
	ready := make(chan *grpc.Server, 1)
	s.addr = grpctest.Start(t, grpcserver.Deps{Authenticate: a.AuthFunc, Audit: a}, func(ctx context.Context, deps grpcserver.Deps) error {
		srv, err := grpcserver.New(grpcserver.Options{Name: "walk", Deps: deps})
		if err != nil {
			return err
		}
		identityv1.RegisterIdentityServiceServer(srv.GRPC(), identityv1.UnimplementedIdentityServiceServer{})
		directoryv1.RegisterDirectoryServiceServer(srv.GRPC(), directoryv1.UnimplementedDirectoryServiceServer{})
		tlsanalysisv1.RegisterTlsAnalysisServiceServer(srv.GRPC(), tlsanalysisv1.UnimplementedTlsAnalysisServiceServer{})
		ready <- srv.GRPC()
		return srv.Run(ctx)
	})
	s.grpc = <-ready
	return s
}

// callMethod calls a method of any kind with an empty request, as token (none when empty).
func callMethod(ctx context.Context, cc *grpc.ClientConn, full string, info grpc.MethodInfo, token string) error {
	if token != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
	}
	if !info.IsClientStream && !info.IsServerStream {
		return cc.Invoke(ctx, full, &emptypb.Empty{}, &emptypb.Empty{})
	}
	s, err := cc.NewStream(ctx, &grpc.StreamDesc{ClientStreams: info.IsClientStream, ServerStreams: info.IsServerStream}, full)
	if err != nil {
		return err
	}
	if err := s.CloseSend(); err != nil {
		return err
	}
	err = s.RecvMsg(&emptypb.Empty{})
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// TestPolicyWalk calls every method registered on the server (the three services, reflection)
// with no token, a reader token and an operator token, and checks each answer against the rule.
func TestPolicyWalk(t *testing.T) {
	t.Parallel()
	policy := auth.DefaultPolicy()
	s := startAuthServer(t, policy)
	cc := grpctest.Dial(t, s.addr)
	ctx := t.Context()

	walked, wantDenied := 0, 0
	for svc, info := range s.grpc.GetServiceInfo() {
		if svc == healthpb.Health_ServiceDesc.ServiceName {
			continue
		}
		for _, m := range info.Methods {
			full := "/" + svc + "/" + m.Name
			rule, known := policy[full]
			if !known {
				t.Errorf("%s is registered but has no rule: everyone is refused it", full)
			}
			passed := codes.Unimplemented // the test server implements nothing
			if strings.HasPrefix(svc, "grpc.reflection.") {
				passed = codes.OK
			}
			for _, who := range []struct {
				name, token string
				role        auth.Role
			}{{"no token", "", auth.RoleNone}, {"reader", s.reader, auth.RoleReader}, {"operator", s.operator, auth.RoleOperator}} {
				want := passed
				switch {
				case who.token == "":
					want = codes.Unauthenticated
				case !known || who.role < rule.Role:
					want = codes.PermissionDenied
				}
				if want == codes.Unauthenticated || want == codes.PermissionDenied {
					wantDenied++
				}
				if got := status.Code(callMethod(ctx, cc, full, m, who.token)); got != want {
					t.Errorf("%s as %s: %s, want %s", full, who.name, got, want)
				}
			}
			walked++
		}
	}
	if walked < 15 {
		t.Errorf("walked only %d methods", walked)
	}
	// Every refusal is in the audit log.
	recs, _, err := s.store.ListAudit(ctx, store.AuditQuery{PageSize: store.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	denied := 0
	for _, r := range recs {
		if r.Result == store.AuditDenied {
			denied++
		}
	}
	if denied != wantDenied {
		t.Errorf("%d denied calls audited, want %d", denied, wantDenied)
	}
	t.Logf("walked %d methods × 3 callers; %d refusals audited", walked, denied)
}

// TestRESTForbiddenIsAudited: with a policy that makes DecodeSecurityDescriptor an operator
// method (a stand-in for the directory's grant RPCs), a reader gets 403 through the real gateway,
// the refusal is audited with the request ID, and an operator gets through.
func TestRESTForbiddenIsAudited(t *testing.T) {
	t.Parallel()
	policy := auth.DefaultPolicy()
	decode := directoryv1.DirectoryService_DecodeSecurityDescriptor_FullMethodName
	policy[decode] = auth.Rule{Role: auth.RoleOperator, Write: true}
	s := startAuthServer(t, policy)
	base := gatewaytest.Start(t, gateway.Config{IdentityAddr: s.addr, DirectoryAddr: s.addr, TLSAnalysisAddr: s.addr})

	post := func(token, requestID string) (*http.Response, map[string]any) {
		req, _ := http.NewRequest("POST", base+"/v1/securityDescriptors:decode", strings.NewReader(`{"sddl":"O:DAG:DAD:(A;;GA;;;WD)"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Request-Id", requestID)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return resp, out
	}
	resp, out := post(s.reader, "rest-forbidden-1")
	if resp.StatusCode != 403 || dig(out, "code") != float64(codes.PermissionDenied) || !strings.Contains(dig(out, "message").(string), "needs the operator role") ||
		resp.Header.Get("X-Request-Id") != "rest-forbidden-1" {
		t.Errorf("reader: %d %v %v", resp.StatusCode, resp.Header, out)
	}
	resp, out = post("", "rest-forbidden-2")
	if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") != `Bearer realm="hybridkit"` || dig(out, "code") != float64(codes.Unauthenticated) {
		t.Errorf("no token: %d %v %v", resp.StatusCode, resp.Header, out)
	}
	resp, _ = post(s.operator, "rest-forbidden-3")
	if resp.StatusCode != 501 {
		t.Errorf("operator: %d, want 501 from the unimplemented service", resp.StatusCode)
	}

	recs, _, err := s.store.ListAudit(t.Context(), store.AuditQuery{Action: decode})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]store.AuditRecord{}
	for _, r := range recs {
		byID[r.RequestID] = r
	}
	if r := byID["rest-forbidden-1"]; r.Result != store.AuditDenied || r.Actor != "token:"+s.readerID || !strings.Contains(r.Detail, "needs the operator role") {
		t.Errorf("reader's refusal: %+v", r)
	}
	if r := byID["rest-forbidden-2"]; r.Result != store.AuditDenied || r.Actor != "" || !strings.Contains(r.Detail, "missing bearer token") {
		t.Errorf("anonymous refusal: %+v", r)
	}
	if r := byID["rest-forbidden-3"]; r.Result != store.AuditError || !strings.Contains(r.Detail, "Unimplemented") {
		t.Errorf("operator's write: %+v", r)
	}
}

// TestServeAuthentication runs `hybridkit serve` with API tokens and an OIDC issuer and checks the
// answers to missing, garbage, revoked, expired and valid tokens over REST and gRPC.
func TestServeAuthentication(t *testing.T) {
	iss := authtest.NewIssuer(t)
	p := startServe(t, "--oidc-issuer", iss.URL(), "--oidc-audience", "api://hybridkit,6f1e0c1a-client-id")
	base := "http://" + p.gateway
	revoked := newCLIToken(t, p.store, "to revoke", "reader")
	if _, _, err := tokenCLI(t, "revoke", "--store", p.store, revoked); err != nil {
		t.Fatal(err)
	}
	out, _, err := tokenCLI(t, "create", "--store", p.store, "--name", "short-lived", "--role", "reader", "--expires", "1ms")
	if err != nil {
		t.Fatal(err)
	}
	expired := strings.TrimSpace(out)
	time.Sleep(5 * time.Millisecond)

	// Health and the OpenAPI document need no token.
	for _, path := range []string{"/healthz", "/openapi.json"} {
		if code, _ := httpDo(t, "GET", base+path, "", nil); code != 200 {
			t.Errorf("%s without a token: %d", path, code)
		}
	}

	jwtReader := iss.Sign(t, iss.Claims("api://hybridkit", "user-1", "hybridkit.reader"))
	wrongAud := iss.Sign(t, iss.Claims("api://other", "user-1", "hybridkit.reader"))
	for _, tc := range []struct {
		name, token string
		code        int
		msg         string
	}{
		{"no token", "", 401, "missing bearer token"},
		{"garbage", "not-a-token", 401, "invalid token"},
		{"revoked", revoked, 401, "token revoked"},
		{"expired", expired, 401, "token expired"},
		{"JWT, wrong audience", wrongAud, 401, "audience not accepted"},
		{"reader", p.reader, 200, ""},
		{"operator", p.operator, 200, ""},
		{"JWT reader", jwtReader, 200, ""},
	} {
		resp, raw := httpSend(t, tc.token, "GET", base+"/v1/analyses", "", nil)
		if resp.StatusCode != tc.code || !strings.Contains(string(raw), tc.msg) {
			t.Errorf("%s: %d %s, want %d %q", tc.name, resp.StatusCode, raw, tc.code, tc.msg)
		}
		if tc.code == 401 && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), `Bearer realm="hybridkit"`) {
			t.Errorf("%s: WWW-Authenticate %q", tc.name, resp.Header.Get("WWW-Authenticate"))
		}
		if tc.token != "" && strings.Contains(string(raw), tc.token) {
			t.Errorf("%s: the answer repeats the token", tc.name)
		}
	}

	// The issuer rotates its key: a token signed by the new key is accepted once the verifier
	// fetches the keys again (at most once a second).
	iss.Rotate(t, "ES256")
	time.Sleep(1100 * time.Millisecond)
	rotated := iss.Sign(t, iss.Claims("6f1e0c1a-client-id", "app-1", "hybridkit.operator"))
	if resp, raw := httpSend(t, rotated, "GET", base+"/v1/analyses", "", nil); resp.StatusCode != 200 {
		t.Errorf("token of the rotated key: %d %s", resp.StatusCode, raw)
	}
	if resp, raw := httpSend(t, jwtReader, "GET", base+"/v1/analyses", "", nil); resp.StatusCode != 401 || !strings.Contains(string(raw), "unknown key") {
		t.Errorf("token of the retired key: %d %s", resp.StatusCode, raw)
	}

	// Straight to a gRPC port: the same answers, and health open.
	cc := grpctest.Dial(t, p.tlsanalysis)
	client := tlsanalysisv1.NewTlsAnalysisServiceClient(cc)
	if _, err := client.ListAnalyses(t.Context(), &tlsanalysisv1.ListAnalysesRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("gRPC without a token: %v", err)
	}
	as := func(tok string) context.Context {
		return metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+tok)
	}
	if _, err := client.ListAnalyses(as(p.reader), &tlsanalysisv1.ListAnalysesRequest{}); err != nil {
		t.Errorf("gRPC as reader: %v", err)
	}
	if _, err := client.ListAnalyses(as(expired), &tlsanalysisv1.ListAnalysesRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("gRPC with an expired token: %v", err)
	}
	if resp, err := healthpb.NewHealthClient(cc).Check(t.Context(), &healthpb.HealthCheckRequest{}); err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("gRPC health without a token: %v %v", resp, err)
	}

	// The refusals are in the audit log, with no token in them.
	st, err := store.Open(t.Context(), p.store)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	recs, _, err := st.ListAudit(t.Context(), store.AuditQuery{Action: tlsanalysisv1.TlsAnalysisService_ListAnalyses_FullMethodName, PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 8 { // 5 refused over REST, the retired key, 2 over gRPC; reads are not audited
		t.Errorf("%d audit records for ListAnalyses, want 8: %+v", len(recs), recs)
	}
	for _, r := range recs {
		if r.Result != store.AuditDenied {
			t.Errorf("record %+v is not a refusal", r)
		}
		for _, tok := range []string{revoked, expired, jwtReader, wrongAud, "not-a-token"} {
			if strings.Contains(r.Detail+r.Actor+r.Target, tok) {
				t.Errorf("record %+v holds a token", r)
			}
		}
	}
}

// TestServeListenRules: --auth off and plaintext stay on loopback unless told otherwise.
func TestServeListenRules(t *testing.T) {
	t.Parallel()
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "hybridkit.db")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--auth", "off", "--gateway-addr", "0.0.0.0:0", "--insecure-listen"}, "authentication is off"},
		{[]string{"--auth", "off", "--identity-addr", "[::]:0", "--insecure-listen"}, "authentication is off"},
		{[]string{"--gateway-addr", "0.0.0.0:0"}, "--insecure-listen"},
		{[]string{"--directory-addr", "0.0.0.0:0"}, "--insecure-listen"},
		{[]string{"--auth", "maybe"}, `mode "maybe"`},
		{[]string{"--oidc-issuer", "https://login.example.com"}, "audience is required"},
	} {
		args := append([]string{"serve", "--store", dsn, "--metrics-addr", ""}, tc.args...)
		err := run(t.Context(), args, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("serve %q: %v, want an error saying %q", tc.args, err, tc.want)
		}
	}
}

// TestServeAuthOff: with --auth off on loopback, calls need no token and a warning is logged.
func TestServeAuthOff(t *testing.T) {
	p := startServe(t, "--auth", "off")
	if code, out := httpDo(t, "GET", "http://"+p.gateway+"/v1/analyses", "", nil); code != 200 {
		t.Errorf("auth off, no token: %d %v", code, out)
	}
}

// TestServeRateLimit: past --rate-limit a token gets 429 with Retry-After; others are not held up.
func TestServeRateLimit(t *testing.T) {
	p := startServe(t, "--rate-limit", "0.5", "--rate-burst", "1")
	url := "http://" + p.gateway + "/v1/analyses"
	if resp, raw := httpSend(t, p.reader, "GET", url, "", nil); resp.StatusCode != 200 {
		t.Fatalf("first call: %d %s", resp.StatusCode, raw)
	}
	resp, raw := httpSend(t, p.reader, "GET", url, "", nil)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "2" || !strings.Contains(string(raw), "rate limit") {
		t.Errorf("second call: %d Retry-After %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), raw)
	}
	if resp, raw := httpSend(t, p.operator, "GET", url, "", nil); resp.StatusCode != 200 {
		t.Errorf("another token: %d %s", resp.StatusCode, raw)
	}
}
