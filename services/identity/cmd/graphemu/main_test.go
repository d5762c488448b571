package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe to read while run writes to it.
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

var baseRE = regexp.MustCompile(`serving Microsoft Graph at (http://\S+/v1\.0)`)

// start runs the command and returns the base URL it prints, a stop function that returns
// run's error, and its stdout.
func start(t *testing.T, args ...string) (string, func() error, *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, &stdout, &stderr) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if m := baseRE.FindStringSubmatch(stdout.String()); m != nil {
			stop := func() error {
				cancel()
				select {
				case err := <-done:
					return err
				case <-time.After(10 * time.Second):
					t.Fatal("run did not return after cancellation")
					return nil
				}
			}
			t.Cleanup(func() { cancel() })
			return m[1], stop, &stdout
		}
		select {
		case err := <-done:
			cancel()
			t.Fatalf("run returned early: %v\nstderr: %s", err, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no base URL printed; stdout %q stderr %q", stdout.String(), stderr.String())
		}
	}
}

func getJSON(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, body
}

func TestServesFixtureAndGeneratedTenants(t *testing.T) {
	base, stop, stdout := start(t, "-addr", "127.0.0.1:0", "-tenant", "../../graphemu/testdata/fabrikam.json", "-users", "12", "-page-size", "5")
	if !strings.Contains(stdout.String(), `"Fabrikam": 7 users, 1 SKUs, premium true, P2 false, 0 role assignments`) ||
		!strings.Contains(stdout.String(), `"Generated": 12 users, 1 SKUs, premium true, P2 true, 9 role assignments, 5 CA policies`) {
		t.Errorf("tenant summary: %s", stdout.String())
	}
	// Anonymous requests go to the first tenant.
	status, body := getJSON(t, base+"/organization?$select=displayName,onPremisesSyncEnabled")
	if status != 200 {
		t.Fatalf("organization: %d %v", status, body)
	}
	org := body["value"].([]any)[0].(map[string]any)
	if org["displayName"] != "Fabrikam" || org["onPremisesSyncEnabled"] != true {
		t.Errorf("organization = %v", org)
	}
	status, body = getJSON(t, base+"/users")
	if status != 200 || len(body["value"].([]any)) != 5 || !strings.HasPrefix(body["@odata.nextLink"].(string), base+"/users?$skiptoken=") {
		t.Errorf("users page: %d %v", status, body)
	}
	if err := stop(); err != nil {
		t.Errorf("run after cancellation: %v", err)
	}
	if _, err := http.Get(base + "/organization"); err == nil {
		t.Error("still serving after shutdown")
	}
}

func TestSampleTenantByDefaultWithBudget(t *testing.T) {
	base, stop, _ := start(t, "-addr", "127.0.0.1:0", "-budget", "1/1m")
	if status, _ := getJSON(t, base+"/subscribedSkus"); status != 200 {
		t.Fatalf("first request: %d", status)
	}
	status, body := getJSON(t, base+"/subscribedSkus")
	if status != 429 || body["error"].(map[string]any)["code"] != "TooManyRequests" {
		t.Errorf("second request within a 1/1m budget: %d %v", status, body)
	}
	if err := stop(); err != nil {
		t.Error(err)
	}
}

func TestRealisticThrottling(t *testing.T) {
	base, stop, _ := start(t, "-addr", "127.0.0.1:0", "-users", "50", "-admins", "8", "-realistic-throttling")
	if status, _ := getJSON(t, base+"/identity/conditionalAccess/policies"); status != 200 {
		t.Fatalf("first CA read: %d", status)
	}
	res, err := http.Get(base + "/identity/conditionalAccess/policies")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 429 || res.Header.Get("Retry-After") != "" {
		t.Errorf("second CA read within a second: %d, Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
	if status, body := getJSON(t, base+"/roleManagement/directory/roleAssignments?$expand=principal"); status != 200 || len(body["value"].([]any)) == 0 {
		t.Errorf("role assignments: %d %v", status, body)
	}
	if err := stop(); err != nil {
		t.Error(err)
	}
}

func TestRejectsBadFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-addr", "0.0.0.0:0"}, "loopback"},
		{[]string{"-addr", "127.0.0.1:0", "-budget", "fast"}, "REQUESTS/DURATION"},
		{[]string{"-addr", "127.0.0.1:0", "-tenant", "testdata/missing.json"}, "no such file"},
		{[]string{"-addr", "127.0.0.1:0", "-log-level", "loud"}, "-log-level"},
		{[]string{"-addr", "127.0.0.1:0", "-sspr-scope", "some"}, "-sspr-scope"},
		{[]string{"-addr", "127.0.0.1:0", "-sku", "E99"}, "-sku"},
		{[]string{"extra"}, "unexpected arguments"},
	}
	for _, tc := range tests {
		var out, errOut bytes.Buffer
		err := run(context.Background(), tc.args, &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("run(%q) = %v, want an error mentioning %q", tc.args, err, tc.want)
		}
	}
}
