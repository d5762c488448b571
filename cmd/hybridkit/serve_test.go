package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"

	"github.com/hybridkit/hybridkit/services/identity/graphemu"
)

// fixtures are the tlsanalysis service's upload fixtures.
const fixtures = "../../services/tlsanalysis/testdata/upload/"

// freeAddrs returns n loopback addresses that were free a moment ago.
func freeAddrs(t *testing.T, n int) []string {
	t.Helper()
	var out []string
	var ls []net.Listener
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		out = append(out, l.Addr().String())
	}
	for _, l := range ls {
		_ = l.Close()
	}
	return out
}

type servedProcess struct {
	gateway, identity, directory, tlsanalysis, metrics string
	// store is the DSN of the process's store; reader and operator are API tokens in it, made
	// with `hybridkit token create` before the start.
	store, reader, operator string
}

// startServe runs `hybridkit serve` in-process, exactly as the binary does, and stops it at the end
// of the test, failing it if the shutdown is not clean.
func startServe(t *testing.T, extra ...string) servedProcess {
	t.Helper()
	a := freeAddrs(t, 5)
	p := servedProcess{gateway: a[0], identity: a[1], directory: a[2], tlsanalysis: a[3], metrics: a[4],
		store: "sqlite:" + filepath.Join(t.TempDir(), "hybridkit.db")}
	p.reader = newCLIToken(t, p.store, "serve test reader", "reader")
	p.operator = newCLIToken(t, p.store, "serve test operator", "operator")
	args := append([]string{"serve",
		"--gateway-addr", p.gateway, "--identity-addr", p.identity, "--directory-addr", p.directory,
		"--tlsanalysis-addr", p.tlsanalysis, "--metrics-addr", p.metrics,
		"--store", p.store,
		"--identity-shutdown-delay", "100ms", "--directory-shutdown-delay", "100ms", "--tlsanalysis-shutdown-delay", "100ms",
	}, extra...)
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, io.Discard, logs) }()
	t.Cleanup(func() {
		cancel()
		defer func() {
			if t.Failed() {
				t.Logf("serve logs:\n%s", logs.String())
			}
		}()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve did not stop cleanly: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop within 30s")
		}
		for _, addr := range []string{p.gateway, p.identity, p.directory, p.tlsanalysis, p.metrics} {
			if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
				c.Close()
				t.Errorf("%s still accepts connections after shutdown", addr)
			}
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-done:
			t.Fatalf("serve stopped at start: %v", err)
		default:
		}
		resp, err := http.Get("http://" + p.gateway + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("gateway never healthy: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// httpDo sends a request without credentials and returns the status and the JSON answer.
func httpDo(t *testing.T, method, url, contentType string, body io.Reader) (int, map[string]any) {
	t.Helper()
	return httpDoAs(t, "", method, url, contentType, body)
}

// httpDoAs is httpDo with Authorization: Bearer token (none when token is empty).
func httpDoAs(t *testing.T, token, method, url, contentType string, body io.Reader) (int, map[string]any) {
	t.Helper()
	resp, raw := httpSend(t, token, method, url, contentType, body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s: answer is not JSON (%d): %s", method, url, resp.StatusCode, raw)
	}
	return resp.StatusCode, out
}

// httpSend sends a request, with Authorization: Bearer token unless token is empty, and returns the
// response (body closed) and its body.
func httpSend(t *testing.T, token, method, url, contentType string, body io.Reader) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, raw
}

// dig walks a JSON value by keys and array indexes.
func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			a, _ := v.([]any)
			if k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

// num reads a JSON number; proto3 JSON writes int64 fields as strings.
func num(v any) float64 {
	switch n := v.(type) {
	case float64:
		return n
	case string:
		f, _ := strconv.ParseFloat(n, 64)
		return f
	}
	return -1
}

// totals maps "DIRECTION_RECEIVE/tls1_0" to a count, from an analysis's totals.
func totals(an any) map[string]float64 {
	out := map[string]float64{}
	list, _ := dig(an, "totals").([]any)
	for _, e := range list {
		dir, _ := dig(e, "direction").(string)
		counts, _ := dig(e, "counts").(map[string]any)
		for k, v := range counts {
			out[dir+"/"+k] = num(v)
		}
	}
	return out
}

func TestServeEndToEnd(t *testing.T) {
	graph := graphemu.Start(t, graphemu.SampleTenant())
	p := startServe(t, "--identity-graph-base-url", graph.BaseURL())
	base := "http://" + p.gateway

	// Health names every service.
	code, health := httpDo(t, "GET", base+"/healthz", "", nil)
	if code != 200 || dig(health, "status") != "SERVING" {
		t.Fatalf("healthz %d %v", code, health)
	}
	for _, s := range []string{"identity", "directory", "tlsanalysis"} {
		if dig(health, "services", s) != "SERVING" {
			t.Errorf("healthz: %s is %v", s, dig(health, "services", s))
		}
	}

	// The OpenAPI document lists every REST path.
	code, doc := httpDo(t, "GET", base+"/openapi.json", "", nil)
	if code != 200 || dig(doc, "info", "title") != "hybridkit API" {
		t.Fatalf("openapi %d %v", code, dig(doc, "info"))
	}
	for _, path := range []string{"/v1/analyses:upload", "/v1/analyses", "/v1/{name}", "/v1/{name}:export", "/v1/securityDescriptors:decode", "/v1/checks/licences", "/v1/checks/admins", "/v1/checks/secureScore"} {
		if dig(doc, "paths", path) == nil {
			t.Errorf("openapi has no path %s", path)
		}
	}

	// REST → gateway → tlsanalysis → store: a raw upload, as curl --data-binary sends it.
	recv, err := os.ReadFile(fixtures + "RECV2026112509-1.LOG")
	if err != nil {
		t.Fatal(err)
	}
	code, up := httpDoAs(t, p.reader, "POST", base+"/v1/analyses:upload?name=RECV2026112509-1.LOG", "application/octet-stream", bytes.NewReader(recv))
	if code != 200 {
		t.Fatalf("raw upload: %d %v", code, up)
	}
	first := dig(up, "analysis")
	wantRecv := map[string]float64{"DIRECTION_RECEIVE/tls1_0": 1, "DIRECTION_RECEIVE/tls1_2": 1, "DIRECTION_RECEIVE/none": 1, "DIRECTION_RECEIVE/legacy": 2, "DIRECTION_RECEIVE/total": 3}
	if got := totals(first); fmt.Sprint(got) != fmt.Sprint(wantRecv) {
		t.Errorf("raw upload totals %v, want %v", got, wantRecv)
	}
	if dig(first, "display_name") != "RECV2026112509-1.LOG" || num(dig(first, "sessions")) != 3 {
		t.Errorf("raw upload: display %v sessions %v", dig(first, "display_name"), dig(first, "sessions"))
	}

	// A multipart upload of two files, as curl -F and Invoke-RestMethod -Form send it.
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	for _, f := range []string{"RECV2026112509-1.LOG", "SEND2026112509-1.LOG"} {
		w, _ := mw.CreateFormFile("file", `C:\Logs\`+f)
		b, err := os.ReadFile(fixtures + f)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	mw.Close()
	code, up2 := httpDoAs(t, p.reader, "POST", base+"/v1/analyses:upload?display_name=EX01", mw.FormDataContentType(), &mp)
	if code != 200 {
		t.Fatalf("multipart upload: %d %v", code, up2)
	}
	second := dig(up2, "analysis")
	if got := totals(second); got["DIRECTION_SEND/tls1_2"] != 1 || got["DIRECTION_RECEIVE/total"] != 3 || got["DIRECTION_SEND/total"] != 1 {
		t.Errorf("multipart totals %v", got)
	}
	if num(dig(second, "files")) != 2 || dig(second, "display_name") != "EX01" {
		t.Errorf("multipart: files %v display %v", dig(second, "files"), dig(second, "display_name"))
	}

	// Read back from the store through REST.
	name := dig(first, "name").(string)
	code, got := httpDoAs(t, p.reader, "GET", base+"/v1/"+name, "", nil)
	if code != 200 || dig(got, "analysis", "name") != name || fmt.Sprint(totals(dig(got, "analysis"))) != fmt.Sprint(wantRecv) {
		t.Errorf("get %s: %d %v", name, code, got)
	}
	if dig(got, "analysis", "remotes") == nil {
		t.Error("the stored analysis lost its remote table")
	}
	code, list := httpDoAs(t, p.reader, "GET", base+"/v1/analyses?page_size=1", "", nil)
	if code != 200 || dig(list, "analyses", 0, "name") != dig(second, "name") || dig(list, "next_page_token") == nil {
		t.Errorf("list page 1: %d %v", code, list)
	}
	code, list2 := httpDoAs(t, p.reader, "GET", base+"/v1/analyses?page_size=1&page_token="+dig(list, "next_page_token").(string), "", nil)
	if code != 200 || dig(list2, "analyses", 0, "name") != name {
		t.Errorf("list page 2: %d %v", code, list2)
	}

	// Errors come back as google.rpc.Status JSON with the right HTTP code.
	code, e := httpDoAs(t, p.reader, "GET", base+"/v1/analyses/0123456789abcdef0123456789abcdef", "", nil)
	if code != 404 || dig(e, "code") != float64(5) {
		t.Errorf("missing analysis: %d %v", code, e)
	}
	code, e = httpDoAs(t, p.reader, "GET", base+"/v1/analyses?page_size=-1", "", nil)
	if code != 400 || dig(e, "code") != float64(3) || !strings.Contains(dig(e, "message").(string), "page_size") {
		t.Errorf("bad page size: %d %v", code, e)
	}
	code, e = httpDoAs(t, p.reader, "POST", base+"/v1/securityDescriptors:decode", "application/json", strings.NewReader(`{"sddl": `))
	if code != 400 || dig(e, "code") != float64(3) {
		t.Errorf("malformed JSON: %d %v", code, e)
	}
	code, e = httpDoAs(t, p.reader, "POST", base+"/v1/securityDescriptors:decode", "application/json", strings.NewReader(`{"sddl":"`+strings.Repeat("A", 2<<20)+`"}`))
	if code != 413 || dig(e, "code") != float64(8) {
		t.Errorf("oversized body: %d %v", code, e)
	}

	// REST → gateway → identity → Graph (emulated): the sample tenant has Entra ID P1 through EMS.
	code, lic := httpDoAs(t, p.reader, "GET", base+"/v1/checks/licences", "", nil)
	if code != 200 || dig(lic, "report", "p1") != true || num(dig(lic, "report", "p1_seats", "enabled")) != 5 || dig(lic, "findings", 0, "id") != "licences.premium" {
		t.Errorf("licences: %d %v", code, lic)
	}

	// REST → gateway → directory.
	code, sd := httpDoAs(t, p.reader, "POST", base+"/v1/securityDescriptors:decode", "application/json", strings.NewReader(
		`{"sddl":"O:DAG:DAD:PAI(OA;CIIO;CR;00299570-246d-11d0-a768-00aa006e0529;bf967aba-0de6-11d0-a285-00aa003049e2;AU)","domain_sid":"S-1-5-21-1-2-3"}`))
	if code != 200 || dig(sd, "dacl_protected") != true || dig(sd, "dacl", 0, "trustee", "name") != "Authenticated Users" || dig(sd, "owner", "sid") != "S-1-5-21-1-2-3-512" {
		t.Errorf("decode: %d %v", code, sd)
	}

	// Reflection lists the service on its gRPC port.
	cc, err := grpc.NewClient(p.tlsanalysis, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	rc, err := reflectionpb.NewServerReflectionClient(cc).ServerReflectionInfo(metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+p.reader))
	if err != nil {
		t.Fatal(err)
	}
	rc.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}})
	rr, err := rc.Recv()
	if err != nil {
		t.Fatal(err)
	}
	var services []string
	for _, s := range rr.GetListServicesResponse().GetService() {
		services = append(services, s.GetName())
	}
	if !strings.Contains(strings.Join(services, " "), "hybridkit.tlsanalysis.v1.TlsAnalysisService") {
		t.Errorf("reflection lists %v", services)
	}
	rc.CloseSend()

	// Metrics count the calls, on their own listener.
	resp, err := http.Get("http://" + p.metrics + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(m), `grpc_server_handled_total{grpc_code="OK",grpc_method="UploadLogs",grpc_service="hybridkit.tlsanalysis.v1.TlsAnalysisService",grpc_type="client_stream"} 2`) {
		t.Errorf("metrics do not count the two uploads:\n%s", grepLines(string(m), "UploadLogs"))
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestVersionAndUsage(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version"}, &out, io.Discard); err != nil || !strings.HasPrefix(out.String(), "hybridkit ") {
		t.Errorf("version: %q, %v", out.String(), err)
	}
	if err := run(context.Background(), []string{"frobnicate"}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), `unknown command "frobnicate"`) {
		t.Errorf("unknown command: %v", err)
	}
}

func TestServeServerSideAnalysisAndExport(t *testing.T) {
	root, err := filepath.Abs(fixtures)
	if err != nil {
		t.Fatal(err)
	}
	p := startServe(t, "--tlsanalysis-roots", root)
	base := "http://" + p.gateway

	// POST /v1/analyses starts an operation over server-side paths; poll it until done.
	code, op := httpDoAs(t, p.reader, "POST", base+"/v1/analyses", "application/json", strings.NewReader(`{"paths":["."],"display_name":"EX01 logs"}`))
	if code != 200 || dig(op, "operation", "name") == nil {
		t.Fatalf("create: %d %v", code, op)
	}
	opName := dig(op, "operation", "name").(string)
	var done map[string]any
	for deadline := time.Now().Add(20 * time.Second); ; {
		_, done = httpDoAs(t, p.reader, "GET", base+"/v1/"+opName, "", nil)
		if dig(done, "operation", "done") == true {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("operation never finished: %v", done)
		}
		time.Sleep(50 * time.Millisecond)
	}
	name, _ := dig(done, "operation", "analysis").(string)
	if name == "" || dig(done, "operation", "error") != nil {
		t.Fatalf("operation %v", done)
	}

	// Paths outside the roots are refused with what is wrong.
	code, e := httpDoAs(t, p.reader, "POST", base+"/v1/analyses", "application/json", strings.NewReader(`{"paths":["../../../../etc"]}`))
	if code != 400 || !strings.Contains(dig(e, "message").(string), "paths") {
		t.Errorf("escape attempt: %d %v", code, e)
	}

	// Export: the HTML report and a CSV table come back as files.
	for _, tc := range []struct{ query, ctype, ext, contains string }{
		{"", "text/html", ".html", "EX01 logs"},
		{"?format=csv&table=connectors", "text/csv", "-connectors.csv", "Outbound to Internet"},
	} {
		resp, body := httpSend(t, p.reader, "GET", base+"/v1/"+name+":export"+tc.query, "", nil)
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), tc.ctype) ||
			!strings.Contains(resp.Header.Get("Content-Disposition"), tc.ext) || !strings.Contains(string(body), tc.contains) {
			t.Errorf("export %q: %d %q %q\n%.300s", tc.query, resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"), body)
		}
	}
}
