package gateway_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/hybridkit/hybridkit/gateway"
	"github.com/hybridkit/hybridkit/gateway/gatewaytest"
	directoryv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/directory/v1"
	identityv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/identity/v1"
	tlsanalysisv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/tlsanalysis/v1"
)

// upstream is a recording tlsanalysis service: it hashes what it is sent, per file, so the test can
// check the gateway streamed every byte in order.
type upstream struct {
	tlsanalysisv1.UnimplementedTlsAnalysisServiceServer
	directoryv1.UnimplementedDirectoryServiceServer
	identityv1.UnimplementedIdentityServiceServer

	mu       sync.Mutex
	files    []string
	hashes   []string
	sizes    []int64
	maxChunk int
	display  string
	auth     []string
}

func (u *upstream) UploadLogs(stream tlsanalysisv1.TlsAnalysisService_UploadLogsServer) error {
	md, _ := metadata.FromIncomingContext(stream.Context())
	u.mu.Lock()
	defer u.mu.Unlock()
	u.auth = md.Get("authorization")
	h := sha256.New()
	flush := func() {
		if len(u.files) > len(u.hashes) {
			u.hashes = append(u.hashes, fmt.Sprintf("%x", h.Sum(nil)))
			h.Reset()
		}
	}
	for {
		m, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		switch p := m.GetPayload().(type) {
		case *tlsanalysisv1.UploadLogsRequest_Metadata:
			u.display = p.Metadata.GetDisplayName()
		case *tlsanalysisv1.UploadLogsRequest_File:
			flush()
			u.files = append(u.files, p.File.GetName())
			u.sizes = append(u.sizes, 0)
		case *tlsanalysisv1.UploadLogsRequest_Chunk:
			h.Write(p.Chunk)
			u.sizes[len(u.sizes)-1] += int64(len(p.Chunk))
			u.maxChunk = max(u.maxChunk, len(p.Chunk))
		}
	}
	flush()
	if len(u.files) == 1 && u.files[0] == "refuse.LOG" {
		return status.Error(codes.InvalidArgument, "cannot analyse refuse.LOG: not a protocol log")
	}
	return stream.SendAndClose(&tlsanalysisv1.UploadLogsResponse{Analysis: &tlsanalysisv1.Analysis{Name: "analyses/1", Files: int64(len(u.files)), DisplayName: u.display}})
}

func (u *upstream) GetAnalysis(ctx context.Context, req *tlsanalysisv1.GetAnalysisRequest) (*tlsanalysisv1.GetAnalysisResponse, error) {
	// Like the services' audit interceptor: a client's request ID comes back, else one is made.
	md, _ := metadata.FromIncomingContext(ctx)
	id := "made-by-service"
	if v := md.Get("x-request-id"); len(v) == 1 {
		id = v[0]
	}
	_ = grpc.SetHeader(ctx, metadata.Pairs("x-request-id", id))
	switch req.GetName() {
	case "analyses/panic":
		return nil, status.Error(codes.Internal, "internal error (reference 0123)")
	case "analyses/unauthenticated":
		return nil, status.Error(codes.Unauthenticated, "missing bearer token: send Authorization: Bearer <token>")
	case "analyses/forbidden":
		return nil, status.Error(codes.PermissionDenied, "role reader may not call TlsAnalysisService/GetAnalysis: it needs the operator role")
	case "analyses/throttled":
		st, _ := status.New(codes.ResourceExhausted, "too many requests for this token").WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(2500 * time.Millisecond)})
		return nil, st.Err()
	case "analyses/1":
		return &tlsanalysisv1.GetAnalysisResponse{Analysis: &tlsanalysisv1.Analysis{Name: req.GetName(), Sessions: 42}}, nil
	}
	return nil, status.Errorf(codes.NotFound, "analysis %s does not exist", req.GetName())
}

func (u *upstream) DecodeSecurityDescriptor(_ context.Context, req *directoryv1.DecodeSecurityDescriptorRequest) (*directoryv1.DecodeSecurityDescriptorResponse, error) {
	return &directoryv1.DecodeSecurityDescriptorResponse{Sddl: req.GetSddl()}, nil
}

// startUpstream serves u with the standard health service on loopback; the returned health server
// lets a test mark it down.
func startUpstream(t *testing.T, u *upstream) (string, *health.Server) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	tlsanalysisv1.RegisterTlsAnalysisServiceServer(s, u)
	directoryv1.RegisterDirectoryServiceServer(s, u)
	identityv1.RegisterIdentityServiceServer(s, u)
	hs := health.NewServer()
	healthpb.RegisterHealthServer(s, hs)
	go s.Serve(lis)
	t.Cleanup(s.Stop)
	return lis.Addr().String(), hs
}

func startGateway(t *testing.T, cfg gateway.Config) (string, *upstream, *health.Server) {
	t.Helper()
	u := &upstream{}
	addr, hs := startUpstream(t, u)
	cfg.IdentityAddr, cfg.DirectoryAddr, cfg.TLSAnalysisAddr = addr, addr, addr
	return gatewaytest.Start(t, cfg), u, hs
}

func do(t *testing.T, req *http.Request) (int, http.Header, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s %s answered %d with non-JSON %q", req.Method, req.URL, resp.StatusCode, b)
	}
	return resp.StatusCode, resp.Header, out
}

func TestRawUploadStreamsEveryByte(t *testing.T) {
	t.Parallel()
	base, u, _ := startGateway(t, gateway.Config{})
	body := bytes.Repeat([]byte("2026-11-25T09:00:00.000Z,conn,08DE,0,10.0.0.1:25,10.0.0.2:1,+,,\r\n"), 60000) // ~4 MB: several chunks
	req, _ := http.NewRequest("POST", base+"/v1/analyses:upload?name=C%3A%5CLogs%5CRECV2026112509-1.LOG&display_name=EX01", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Authorization", "Bearer abc")
	code, _, out := do(t, req)
	if code != 200 || out["analysis"].(map[string]any)["name"] != "analyses/1" {
		t.Fatalf("%d %v", code, out)
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	want := fmt.Sprintf("%x", sha256.Sum256(body))
	if len(u.files) != 1 || u.files[0] != "RECV2026112509-1.LOG" || u.hashes[0] != want || u.sizes[0] != int64(len(body)) {
		t.Errorf("upstream got files %v sizes %v", u.files, u.sizes)
	}
	if u.maxChunk > 1<<20 || u.display != "EX01" {
		t.Errorf("max chunk %d, display %q", u.maxChunk, u.display)
	}
	if len(u.auth) != 1 || u.auth[0] != "Bearer abc" {
		t.Errorf("the Authorization header did not reach the service: %v", u.auth)
	}
}

func TestMultipartUpload(t *testing.T) {
	t.Parallel()
	base, u, _ := startGateway(t, gateway.Config{})
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("comment", "ignored: not a file")
	contents := map[string]string{"RECV1.LOG": "first file\r\n", "logs.zip": "PK\x03\x04 pretend"}
	for _, name := range []string{"RECV1.LOG", "logs.zip"} {
		w, _ := mw.CreateFormFile("file", name)
		io.WriteString(w, contents[name])
	}
	mw.Close()
	req, _ := http.NewRequest("POST", base+"/v1/analyses:upload", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	code, _, out := do(t, req)
	if code != 200 {
		t.Fatalf("%d %v", code, out)
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if strings.Join(u.files, ",") != "RECV1.LOG,logs.zip" || u.sizes[0] != int64(len(contents["RECV1.LOG"])) || u.sizes[1] != int64(len(contents["logs.zip"])) {
		t.Errorf("files %v sizes %v", u.files, u.sizes)
	}

	// A multipart body without a file part is refused by the gateway itself.
	buf.Reset()
	mw = multipart.NewWriter(&buf)
	mw.WriteField("comment", "no file")
	mw.Close()
	req, _ = http.NewRequest("POST", base+"/v1/analyses:upload", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	code, _, out = do(t, req)
	if code != 400 || !strings.Contains(out["message"].(string), "no file part") {
		t.Errorf("no file part: %d %v", code, out)
	}
}

func TestUploadErrorsAndLimits(t *testing.T) {
	t.Parallel()
	base, _, _ := startGateway(t, gateway.Config{MaxUploadBytes: 1000, MaxBodyBytes: 200})

	// The service's own refusal comes back as its status.
	req, _ := http.NewRequest("POST", base+"/v1/analyses:upload?name=refuse.LOG", strings.NewReader("hello"))
	req.Header.Set("Content-Type", "text/plain")
	code, _, out := do(t, req)
	if code != 400 || out["code"] != float64(3) || out["message"] != "cannot analyse refuse.LOG: not a protocol log" {
		t.Errorf("service refusal: %d %v", code, out)
	}

	// Over the upload limit: 413 whether Content-Length says so or the stream passes it.
	for _, chunked := range []bool{false, true} {
		var body io.Reader = bytes.NewReader(make([]byte, 5000))
		if chunked {
			body = io.MultiReader(strings.NewReader(""), bytes.NewReader(make([]byte, 5000)))
		}
		req, _ := http.NewRequest("POST", base+"/v1/analyses:upload?name=big.LOG", body)
		req.Header.Set("Content-Type", "application/octet-stream")
		code, _, out := do(t, req)
		if code != 413 || out["code"] != float64(8) {
			t.Errorf("oversized upload (chunked %v): %d %v", chunked, code, out)
		}
	}

	// Over the JSON body limit.
	req, _ = http.NewRequest("POST", base+"/v1/securityDescriptors:decode", strings.NewReader(`{"sddl":"`+strings.Repeat("A", 500)+`"}`))
	req.Header.Set("Content-Type", "application/json")
	code, _, out = do(t, req)
	if code != 413 {
		t.Errorf("oversized JSON: %d %v", code, out)
	}
	req, _ = http.NewRequest("POST", base+"/v1/securityDescriptors:decode", io.MultiReader(strings.NewReader(`{"sddl":"`+strings.Repeat("A", 500)+`"}`)))
	req.Header.Set("Content-Type", "application/json")
	code, _, out = do(t, req)
	if code != 413 {
		t.Errorf("oversized chunked JSON: %d %v", code, out)
	}
}

func TestErrorMapping(t *testing.T) {
	t.Parallel()
	base, _, _ := startGateway(t, gateway.Config{})
	for _, tc := range []struct {
		method, path, body string
		code               int
		grpcCode           codes.Code
	}{
		{"GET", "/v1/analyses/1", "", 200, codes.OK},
		{"GET", "/v1/analyses/nope", "", 404, codes.NotFound},
		{"GET", "/v1/analyses/panic", "", 500, codes.Internal},
		{"POST", "/v1/securityDescriptors:decode", `{"sddl": 12`, 400, codes.InvalidArgument},
		{"POST", "/v1/securityDescriptors:decode", `{"no_such_field": 1}`, 400, codes.InvalidArgument},
		{"GET", "/v1/checks/licences", "", 501, codes.Unimplemented},
		{"GET", "/v1/analyses/unauthenticated", "", 401, codes.Unauthenticated},
		{"GET", "/v1/analyses/forbidden", "", 403, codes.PermissionDenied},
		{"GET", "/v1/analyses/throttled", "", 429, codes.ResourceExhausted},
		{"GET", "/v1/no/such/path", "", 404, codes.NotFound},
	} {
		req, _ := http.NewRequest(tc.method, base+tc.path, strings.NewReader(tc.body))
		code, hdr, out := do(t, req)
		if code != tc.code {
			t.Errorf("%s %s: HTTP %d, want %d (%v)", tc.method, tc.path, code, tc.code, out)
		}
		if tc.grpcCode != codes.OK && (out["code"] != float64(tc.grpcCode) || out["message"] == "") {
			t.Errorf("%s %s: body %v is not a google.rpc.Status with code %d", tc.method, tc.path, out, tc.grpcCode)
		}
		if ct := hdr.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s %s: Content-Type %q", tc.method, tc.path, ct)
		}
	}
}

func TestHealthzFollowsServices(t *testing.T) {
	t.Parallel()
	base, _, hs := startGateway(t, gateway.Config{})
	req, _ := http.NewRequest("GET", base+"/healthz", nil)
	code, _, out := do(t, req)
	if code != 200 || out["status"] != "SERVING" {
		t.Fatalf("healthy: %d %v", code, out)
	}
	hs.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
	code, _, out = do(t, req)
	if code != 503 || out["status"] != "NOT_SERVING" || out["services"].(map[string]any)["tlsanalysis"] != "NOT_SERVING" {
		t.Fatalf("one service down: %d %v", code, out)
	}
}

func TestOpenAPIDocument(t *testing.T) {
	t.Parallel()
	base, _, _ := startGateway(t, gateway.Config{})
	req, _ := http.NewRequest("GET", base+"/openapi.json", nil)
	code, _, doc := do(t, req)
	if code != 200 || doc["swagger"] != "2.0" {
		t.Fatalf("%d %v", code, doc["swagger"])
	}
	info := doc["info"].(map[string]any)
	if info["title"] != "hybridkit API" || info["version"] != "test" {
		t.Errorf("info %v", info)
	}
	paths := doc["paths"].(map[string]any)
	for _, p := range []string{"/v1/analyses:upload", "/v1/analyses", "/v1/{name}", "/v1/securityDescriptors:decode", "/v1/checks/licences"} {
		if paths[p] == nil {
			t.Errorf("no path %s in %v", p, paths)
		}
	}
}

func TestAuthenticationAnswers(t *testing.T) {
	t.Parallel()
	base, _, _ := startGateway(t, gateway.Config{})
	get := func(path, authz string) (int, http.Header, map[string]any) {
		req, _ := http.NewRequest("GET", base+path, nil)
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		return do(t, req)
	}

	// 401: a challenge (RFC 6750), with error=invalid_token when a token was sent.
	code, hdr, out := get("/v1/analyses/unauthenticated", "")
	if code != 401 || hdr.Get("WWW-Authenticate") != `Bearer realm="hybridkit"` || out["code"] != float64(codes.Unauthenticated) ||
		!strings.Contains(out["message"].(string), "missing bearer token") {
		t.Errorf("401 without a token: %d %q %v", code, hdr.Get("WWW-Authenticate"), out)
	}
	code, hdr, _ = get("/v1/analyses/unauthenticated", "Bearer hk_nope")
	if code != 401 || hdr.Get("WWW-Authenticate") != `Bearer realm="hybridkit", error="invalid_token"` {
		t.Errorf("401 with a token: %d %q", code, hdr.Get("WWW-Authenticate"))
	}
	// 403 is a google.rpc.Status that says which role is needed; no challenge.
	code, hdr, out = get("/v1/analyses/forbidden", "Bearer x")
	if code != 403 || hdr.Get("WWW-Authenticate") != "" || out["code"] != float64(codes.PermissionDenied) || !strings.Contains(out["message"].(string), "operator") {
		t.Errorf("403: %d %v %v", code, hdr, out)
	}
	// 429 carries Retry-After from the status's RetryInfo, rounded up to whole seconds.
	code, hdr, out = get("/v1/analyses/throttled", "Bearer x")
	if code != 429 || hdr.Get("Retry-After") != "3" || out["code"] != float64(codes.ResourceExhausted) {
		t.Errorf("429: %d Retry-After %q %v", code, hdr.Get("Retry-After"), out)
	}
}

func TestRequestIDAndSecurityHeaders(t *testing.T) {
	t.Parallel()
	base, _, _ := startGateway(t, gateway.Config{})
	req, _ := http.NewRequest("GET", base+"/v1/analyses/1", nil)
	req.Header.Set("X-Request-Id", "client-7")
	code, hdr, _ := do(t, req)
	if code != 200 || hdr.Get("X-Request-Id") != "client-7" {
		t.Errorf("request ID: %d %q, want the client's back", code, hdr.Get("X-Request-Id"))
	}
	req, _ = http.NewRequest("GET", base+"/v1/analyses/nope", nil)
	code, hdr, _ = do(t, req)
	if code != 404 || hdr.Get("X-Request-Id") != "made-by-service" {
		t.Errorf("request ID on an error: %d %q, want the service's", code, hdr.Get("X-Request-Id"))
	}
	for _, path := range []string{"/v1/analyses/1", "/healthz", "/openapi.json", "/v1/analyses/nope"} {
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Header.Set("Origin", "https://evil.example")
		_, hdr, _ := do(t, req)
		for k, want := range map[string]string{
			"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store",
			"Access-Control-Allow-Origin": "", "Strict-Transport-Security": "",
		} {
			if got := hdr.Get(k); got != want {
				t.Errorf("%s: %s = %q, want %q", path, k, got, want)
			}
		}
		if !strings.Contains(hdr.Get("Content-Security-Policy"), "default-src 'none'") {
			t.Errorf("%s: Content-Security-Policy %q", path, hdr.Get("Content-Security-Policy"))
		}
	}
}

func TestCORS(t *testing.T) {
	t.Parallel()
	base, _, _ := startGateway(t, gateway.Config{CORSOrigins: "https://portal.example.com, https://ops.example.com"})
	preflight := func(origin string) *http.Response {
		req, _ := http.NewRequest("OPTIONS", base+"/v1/analyses", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "GET")
		req.Header.Set("Access-Control-Request-Headers", "authorization")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	resp := preflight("https://ops.example.com")
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "https://ops.example.com" ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Errorf("preflight from an allowed origin: %d %v", resp.StatusCode, resp.Header)
	}
	if resp := preflight("https://evil.example"); resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight from another origin allowed: %v", resp.Header)
	}
	req, _ := http.NewRequest("GET", base+"/v1/analyses/1", nil)
	req.Header.Set("Origin", "https://portal.example.com")
	_, hdr, _ := do(t, req)
	if hdr.Get("Access-Control-Allow-Origin") != "https://portal.example.com" || !strings.Contains(hdr.Get("Access-Control-Expose-Headers"), "X-Request-Id") {
		t.Errorf("simple request from an allowed origin: %v", hdr)
	}
}

func TestPlaintextOnlyOnLoopback(t *testing.T) {
	t.Parallel()
	u := &upstream{}
	addr, _ := startUpstream(t, u)
	cfg := gateway.Config{Addr: "0.0.0.0:0", IdentityAddr: addr, DirectoryAddr: addr, TLSAnalysisAddr: addr}
	err := gateway.Run(context.Background(), gateway.Options{Config: cfg, Logger: slog.New(slog.DiscardHandler)})
	if err == nil || !strings.Contains(err.Error(), "--insecure-listen") {
		t.Errorf("plain HTTP on 0.0.0.0: %v, want a refusal naming --insecure-listen", err)
	}
	cfg.TLSCertFile = "cert.pem"
	if err := gateway.Run(context.Background(), gateway.Options{Config: cfg, Logger: slog.New(slog.DiscardHandler)}); err == nil || !strings.Contains(err.Error(), "both") {
		t.Errorf("certificate without key: %v", err)
	}
	// With --insecure-listen it serves.
	cfg.TLSCertFile, cfg.InsecureListen = "", true
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- gateway.Run(ctx, gateway.Options{Config: cfg, Logger: slog.New(slog.DiscardHandler)}) }()
	time.Sleep(100 * time.Millisecond)
	cancel()
	if err := <-done; err != nil {
		t.Errorf("--insecure-listen: %v", err)
	}
}

func TestTLS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certFile, keyFile := dir+"/gw.crt", dir+"/gw.key"
	pool := writeCert(t, certFile, keyFile, "first")
	u := &upstream{}
	addr, _ := startUpstream(t, u)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- gateway.Run(ctx, gateway.Options{Logger: slog.New(slog.DiscardHandler), Listener: lis, Config: gateway.Config{
			IdentityAddr: addr, DirectoryAddr: addr, TLSAnalysisAddr: addr, TLSCertFile: certFile, TLSKeyFile: keyFile}})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "localhost"}}}
	url := "https://" + lis.Addr().String() + "/healthz"
	var resp *http.Response
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if resp, err = client.Get(url); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.TLS == nil || resp.TLS.Version < tls.VersionTLS12 || resp.Header.Get("Strict-Transport-Security") == "" {
		t.Errorf("over TLS: %d %v HSTS %q", resp.StatusCode, resp.TLS != nil, resp.Header.Get("Strict-Transport-Security"))
	}
	// Plain HTTP to the TLS port is not served.
	if resp, err := http.Get("http://" + lis.Addr().String() + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Error("plain HTTP answered on the TLS port")
		}
	}
}

// writeCert writes a self-signed certificate for localhost and its key, and returns a pool that
// trusts it.
func writeCert(t *testing.T, certFile, keyFile, cn string) *x509.CertPool {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: []string{"localhost"}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return pool
}
