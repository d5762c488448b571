package graphclient

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/hybridkit/hybridkit/platform/secret"
	"github.com/hybridkit/hybridkit/services/identity/graphemu"
)

const testSecret = "s3cr3t~Q8Qx.NotARealClientSecret"

func TestResolve(t *testing.T) {
	t.Parallel()
	sec := secret.New(testSecret)
	tests := []struct {
		name       string
		cfg        Config
		wantErr    string
		credential string
		baseURL    string
		loginHost  string
		validHosts []string
	}{
		{
			name:       "global client secret",
			cfg:        Config{TenantID: "t", ClientID: "c", ClientSecret: sec},
			credential: "client secret", baseURL: "https://graph.microsoft.com/v1.0", loginHost: "login.microsoftonline.com",
			validHosts: []string{"graph.microsoft.com"},
		},
		{
			name:       "GCC High",
			cfg:        Config{Cloud: "usgov", UseManagedIdentity: true},
			credential: "managed identity", baseURL: "https://graph.microsoft.us/v1.0", loginHost: "login.microsoftonline.us",
			validHosts: []string{"graph.microsoft.us"},
		},
		{
			name:       "DoD",
			cfg:        Config{Cloud: "USGovDoD", UseWorkloadIdentity: true},
			credential: "workload identity", baseURL: "https://dod-graph.microsoft.us/v1.0", loginHost: "login.microsoftonline.us",
			validHosts: []string{"dod-graph.microsoft.us"},
		},
		{
			name:       "China",
			cfg:        Config{Cloud: "china", UseAzureCLI: true},
			credential: "Azure CLI", baseURL: "https://microsoftgraph.chinacloudapi.cn/v1.0", loginHost: "login.chinacloudapi.cn",
			validHosts: []string{"microsoftgraph.chinacloudapi.cn"},
		},
		{
			name:       "explicit hosts",
			cfg:        Config{GraphHost: "graph.example.test", LoginHost: "login.example.test", UseAzureCLI: true},
			credential: "Azure CLI", baseURL: "https://graph.example.test/v1.0", loginHost: "login.example.test",
			validHosts: []string{"graph.example.test"},
		},
		{
			name:       "emulator, anonymous",
			cfg:        Config{BaseURL: "http://127.0.0.1:8080/v1.0/"},
			credential: "anonymous", baseURL: "http://127.0.0.1:8080/v1.0", loginHost: "login.microsoftonline.com",
			validHosts: []string{"graph.microsoft.com", "127.0.0.1"},
		},
		{
			name:       "proxy with a credential",
			cfg:        Config{BaseURL: "https://graph-proxy.corp.test/v1.0", TenantID: "t", ClientID: "c", ClientSecret: sec},
			credential: "client secret", baseURL: "https://graph-proxy.corp.test/v1.0", loginHost: "login.microsoftonline.com",
			validHosts: []string{"graph.microsoft.com", "graph-proxy.corp.test"},
		},
		{name: "no credential", cfg: Config{TenantID: "t", ClientID: "c"}, wantErr: "no Graph credential"},
		{name: "two credentials", cfg: Config{TenantID: "t", ClientID: "c", ClientSecret: sec, UseAzureCLI: true}, wantErr: "more than one Graph credential set (client secret, Azure CLI)"},
		{name: "secret without ids", cfg: Config{ClientSecret: sec}, wantErr: "needs TenantID and ClientID"},
		{name: "unknown cloud", cfg: Config{Cloud: "germany", UseAzureCLI: true}, wantErr: `unknown cloud "germany"`},
		{name: "plain http off loopback", cfg: Config{BaseURL: "http://graph.example.test/v1.0"}, wantErr: "plain http only on a loopback"},
		{name: "beta base URL", cfg: Config{BaseURL: "https://graph.microsoft.com/beta"}, wantErr: "ending in /v1.0"},
		{name: "host with scheme", cfg: Config{GraphHost: "https://graph.microsoft.com", UseAzureCLI: true}, wantErr: "bare host name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := tc.cfg.resolve()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), testSecret) {
					t.Error("error shows the secret")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.credential != tc.credential || s.baseURL != tc.baseURL || s.loginHost != tc.loginHost || !slices.Equal(s.validHosts, tc.validHosts) {
				t.Errorf("settings = %+v", s)
			}
			if s.timeout != DefaultTimeout || s.maxConc != DefaultMaxConcurrency || s.maxRetries != DefaultMaxRetries {
				t.Errorf("defaults = %v %d %d", s.timeout, s.maxConc, s.maxRetries)
			}
		})
	}
}

func TestConfigNeverShowsSecrets(t *testing.T) {
	t.Parallel()
	cfg := Config{TenantID: "contoso.onmicrosoft.com", ClientID: "c", ClientSecret: secret.New(testSecret), CertificatePassword: secret.New(testSecret + "pw")}
	var out bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&out, nil))
	logger.Info("graph config", "cfg", cfg)
	logger.Info("graph config", "secret", cfg.ClientSecret)
	js, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), fmt.Sprintf("%s", cfg.ClientSecret),
		fmt.Sprintf("%q", cfg.ClientSecret), cfg.String(), out.String(), string(js),
	} {
		if strings.Contains(s, "s3cr3t") {
			t.Errorf("secret shown in %q", s)
		}
	}
	if !strings.Contains(out.String(), `"credential":"client secret"`) || !strings.Contains(out.String(), "contoso.onmicrosoft.com") {
		t.Errorf("LogValue lacks the useful parts: %s", out.String())
	}
}

// fakeCredential stands in for an azidentity credential.
type fakeCredential struct {
	mu     sync.Mutex
	scopes [][]string
	err    error
}

func (f *fakeCredential) GetToken(_ context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scopes = append(f.scopes, opts.Scopes)
	if f.err != nil {
		return azcore.AccessToken{}, f.err
	}
	return azcore.AccessToken{Token: "fake-access-token", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func TestTokenSentToEmulatorHost(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cloud     string
		wantScope string
	}{
		{"global", "https://graph.microsoft.com/.default"},
		{"usgov", "https://graph.microsoft.us/.default"},
		{"china", "https://microsoftgraph.chinacloudapi.cn/.default"},
	}
	for _, tc := range tests {
		t.Run(tc.cloud, func(t *testing.T) {
			t.Parallel()
			tenant, err := graphemu.LoadTenant("testdata/tenants/ems-p1.json")
			if err != nil {
				t.Fatal(err)
			}
			srv := graphemu.Start(t, tenant)
			cfg := Config{TenantID: tenant.ID, ClientID: "c", ClientSecret: secret.New(testSecret), Cloud: tc.cloud, BaseURL: srv.BaseURL()}
			s, err := cfg.resolve()
			if err != nil {
				t.Fatal(err)
			}
			cred := &fakeCredential{}
			c, err := newClient(context.Background(), cfg, s, cred)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.SyncStatus(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := srv.Requests()[0].Authorization; got != "Bearer fake-access-token" {
				t.Errorf("Authorization = %q: the emulator's host must be a valid host for the token", got)
			}
			if len(cred.scopes) != 1 || !slices.Equal(cred.scopes[0], []string{tc.wantScope}) {
				t.Errorf("scopes = %v, want [%s]", cred.scopes, tc.wantScope)
			}
		})
	}
}

func TestCredentialErrorsNeverShowSecrets(t *testing.T) {
	t.Parallel()
	srv := graphemu.Start(t, graphemu.SampleTenant())
	cfg := Config{TenantID: "t", ClientID: "c", ClientSecret: secret.New(testSecret), BaseURL: srv.BaseURL()}
	s, err := cfg.resolve()
	if err != nil {
		t.Fatal(err)
	}
	// A misbehaving credential that echoes the secret: the client must still not show it.
	cred := &fakeCredential{err: errors.New("AADSTS7000215: Invalid client secret provided: " + testSecret)}
	c, err := newClient(context.Background(), cfg, s, cred)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Licences(context.Background())
	if err == nil {
		t.Fatal("a failing credential produced no error")
	}
	if strings.Contains(err.Error(), testSecret) {
		t.Errorf("error shows the secret: %v", err)
	}
	if !strings.Contains(err.Error(), "AADSTS7000215") || !strings.Contains(err.Error(), "GET /subscribedSkus") {
		t.Errorf("error lost its useful parts: %v", err)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests reached Graph without a token", n)
	}
}

func TestNewBuildsEachCredential(t *testing.T) {
	// Not parallel: t.Setenv.
	dir := t.TempDir()
	certPath := filepath.Join(dir, "app.pem")
	if err := os.WriteFile(certPath, selfSignedPEM(t), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AZURE_FEDERATED_TOKEN_FILE", filepath.Join(dir, "token"))
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"client secret", Config{TenantID: "t", ClientID: "c", ClientSecret: secret.New(testSecret)}, ""},
		{"certificate", Config{TenantID: "t", ClientID: "c", CertificatePath: certPath}, ""},
		{"missing certificate", Config{TenantID: "t", ClientID: "c", CertificatePath: filepath.Join(dir, "nope.pem"), CertificatePassword: secret.New(testSecret)}, "certificate credential"},
		{"managed identity", Config{UseManagedIdentity: true, ClientID: "0f0e0d0c-0b0a-4909-8807-060504030201"}, ""},
		{"workload identity", Config{UseWorkloadIdentity: true, TenantID: "t", ClientID: "c"}, ""},
		{"Azure CLI", Config{UseAzureCLI: true}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(context.Background(), tc.cfg)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || strings.Contains(err.Error(), testSecret) {
					t.Fatalf("err = %v, want %q without the secret", err, tc.wantErr)
				}
				return
			}
			if err != nil || c == nil {
				t.Fatalf("New = %v, %v", c, err)
			}
		})
	}
}

func selfSignedPEM(t *testing.T) []byte {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048) // azidentity accepts only RSA keys
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "hybridkit-test"}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})...)
}

func TestMaxConcurrencyBoundsRequestsInFlight(t *testing.T) {
	t.Parallel()
	emu := graphemu.NewServer(graphemu.WithRequestLimit(100))
	if err := emu.AddTenant(graphemu.SampleTenant()); err != nil {
		t.Fatal(err)
	}
	var inFlight, peak atomic.Int64
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(50 * time.Millisecond)
		emu.ServeHTTP(w, r)
		inFlight.Add(-1)
	}))
	defer hs.Close()
	c, err := New(context.Background(), Config{BaseURL: hs.URL + "/v1.0", MaxConcurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			if _, err := c.SyncStatus(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if p := peak.Load(); p != 2 {
		t.Errorf("peak of %d requests in flight, want MaxConcurrency 2", p)
	}
	if got := c.Stats().Requests; got != 6 {
		t.Errorf("Stats.Requests = %d, want 6", got)
	}
}

func TestRetryDelay(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		header  string
		attempt int
		min     time.Duration
		max     time.Duration
	}{
		{"3", 1, 3 * time.Second, 3 * time.Second},
		{" 0 ", 1, 0, 0},
		{"Mon, 02 Jun 2025 09:00:07 GMT", 1, 7 * time.Second, 7 * time.Second},
		{"Mon, 02 Jun 2025 08:59:00 GMT", 1, 0, 0}, // a date in the past: retry now
		{"", 1, time.Second, 1250 * time.Millisecond},
		{"soon", 3, 4 * time.Second, 5 * time.Second},
		{"", 20, 32 * time.Second, 40 * time.Second},
	}
	for _, tc := range tests {
		if got := retryDelay(tc.header, tc.attempt, now); got < tc.min || got > tc.max {
			t.Errorf("retryDelay(%q, %d) = %v, want %v..%v", tc.header, tc.attempt, got, tc.min, tc.max)
		}
	}
}
