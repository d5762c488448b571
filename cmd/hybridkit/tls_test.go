package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func runCLI(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, &out, &errb)
	return out.String(), errb.String(), err
}

func TestTLSAnalyzeLocal(t *testing.T) {
	t.Parallel()
	out, progress, err := runCLI(t, "tls", "analyze", "-o", "json", "-progress", "always", "-name", "EX01", fixtures)
	if err != nil {
		t.Fatalf("%v\n%s", err, progress)
	}
	var an map[string]any
	if err := json.Unmarshal([]byte(out), &an); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	got := totals(an)
	if got["DIRECTION_RECEIVE/legacy"] != 2 || got["DIRECTION_RECEIVE/total"] != 3 || got["DIRECTION_SEND/tls1_2"] != 1 || num(an["files"]) != 2 || an["display_name"] != "EX01" {
		t.Errorf("totals %v files %v name %v", got, an["files"], an["display_name"])
	}
	if !strings.Contains(progress, "100%") {
		t.Errorf("no finished progress bar on stderr: %q", progress)
	}

	out, _, err = runCLI(t, "tls", "analyze", "-o", "csv", "-table", "remotes", fixtures+"RECV2026112509-1.LOG")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(rows) != 4 {
		t.Fatalf("csv: %v %v", rows, err)
	}

	out, _, err = runCLI(t, "tls", "analyze", fixtures)
	if err != nil || !strings.Contains(out, "203.0.113.10") || !strings.Contains(out, "mail.partner-old.example") {
		t.Errorf("table output: %v\n%s", err, out)
	}
}

func TestTLSAnalyzeErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"tls", "analyze"}, "no PATH"},
		{[]string{"tls", "analyze", "/nonexistent/logs"}, "no such file"},
		{[]string{"tls", "analyze", "-o", "pdf", fixtures}, `-o "pdf"`},
		{[]string{"tls", "frobnicate"}, "want 'hybridkit tls analyze"},
		{[]string{"tls", "analyze", "-o", "csv", "-table", "nope", fixtures}, "nope"},
	} {
		_, _, err := runCLI(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
		}
	}
}

func TestTLSAnalyzeThroughServer(t *testing.T) {
	p := startServe(t)
	// Without a token the service refuses the upload.
	if _, _, err := runCLI(t, "tls", "analyze", "-server", p.tlsanalysis, "-o", "json", fixtures); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("upload without a token: %v, want Unauthenticated", err)
	}
	out, stderr, err := runCLI(t, "tls", "analyze", "-server", p.tlsanalysis, "-token", p.reader, "-o", "json", "-name", "uploaded by CLI", fixtures)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	var an map[string]any
	if err := json.Unmarshal([]byte(out), &an); err != nil {
		t.Fatal(err)
	}
	name, _ := an["name"].(string)
	if !strings.HasPrefix(name, "analyses/") || totals(an)["DIRECTION_RECEIVE/legacy"] != 2 {
		t.Fatalf("remote analysis %v", an)
	}
	// The token can come from the environment too.
	t.Setenv("HYBRIDKIT_TOKEN", p.reader)
	if _, stderr, err := runCLI(t, "tls", "analyze", "-server", p.tlsanalysis, "-o", "json", fixtures+"RECV2026112509-1.LOG"); err != nil {
		t.Errorf("token from HYBRIDKIT_TOKEN: %v\n%s", err, stderr)
	}

	// It is stored on the server: REST finds it, and exports it as HTML.
	code, got := httpDoAs(t, p.reader, "GET", "http://"+p.gateway+"/v1/"+name, "", nil)
	if code != 200 || dig(got, "analysis", "display_name") != "uploaded by CLI" {
		t.Errorf("stored analysis: %d %v", code, got)
	}
}
