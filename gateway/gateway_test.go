package gateway_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

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

func (u *upstream) GetAnalysis(_ context.Context, req *tlsanalysisv1.GetAnalysisRequest) (*tlsanalysisv1.GetAnalysisResponse, error) {
	switch req.GetName() {
	case "analyses/panic":
		return nil, status.Error(codes.Internal, "internal error (reference 0123)")
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
