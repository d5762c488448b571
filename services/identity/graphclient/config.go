package graphclient

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/hybridkit/hybridkit/platform/secret"
)

// National clouds, as Config.Cloud names them.
const (
	CloudGlobal   = "global"
	CloudUSGov    = "usgov"    // GCC High
	CloudUSGovDoD = "usgovdod" // DoD
	CloudChina    = "china"    // operated by 21Vianet
)

// cloudHosts are each cloud's Graph and Entra ID login hosts. GCC (moderate) uses the global ones.
var cloudHosts = map[string]struct{ graph, login string }{
	CloudGlobal:   {"graph.microsoft.com", "login.microsoftonline.com"},
	CloudUSGov:    {"graph.microsoft.us", "login.microsoftonline.us"},
	CloudUSGovDoD: {"dod-graph.microsoft.us", "login.microsoftonline.us"},
	CloudChina:    {"microsoftgraph.chinacloudapi.cn", "login.chinacloudapi.cn"},
}

// Defaults for the zero values of Config.
const (
	DefaultTimeout        = 60 * time.Second
	DefaultMaxConcurrency = 4
	DefaultMaxRetries     = 3
	maxRetriesCap         = 10
)

// Config says how to reach Microsoft Graph and as whom.
//
// Exactly one credential may be set: ClientSecret, CertificatePath (with CertificatePassword for
// a protected PKCS#12 file), UseManagedIdentity, UseWorkloadIdentity or UseAzureCLI. With none,
// BaseURL must be set and requests go unauthenticated (the emulator). Secrets are
// [secret.Value]s, so printing or logging a Config never shows them.
type Config struct {
	// TenantID is the directory (tenant) id or a verified domain of the tenant.
	TenantID string
	// ClientID is the app registration's application id; for managed identity, the
	// user-assigned identity's client id (empty selects the system-assigned identity).
	ClientID string

	ClientSecret        secret.Value
	CertificatePath     string // PEM or PKCS#12 with the certificate and its private key
	CertificatePassword secret.Value
	UseManagedIdentity  bool
	UseWorkloadIdentity bool // AKS workload identity (AZURE_FEDERATED_TOKEN_FILE)
	UseAzureCLI         bool // the signed-in az CLI account; for development

	// Cloud selects the national cloud's hosts: global (default), usgov, usgovdod or china.
	Cloud string
	// GraphHost and LoginHost override the cloud's hosts (bare host names).
	GraphHost, LoginHost string
	// BaseURL replaces https://<GraphHost>/v1.0, e.g. an emulator's http://127.0.0.1:port/v1.0.
	// Plain http is accepted only for loopback hosts.
	BaseURL string

	// MaxConcurrency bounds the Graph requests in flight (default 4).
	MaxConcurrency int
	// MaxRetries bounds the retries of one request answered 429, 503 or 504 (default 3, at
	// most 10).
	MaxRetries int
	// Timeout bounds one Graph request, its retries and Retry-After waits included
	// (default 60s).
	Timeout time.Duration
	// Logger receives retries and throttling at Info; nil discards.
	Logger *slog.Logger
}

// credentialKind names the credential a Config selects.
func (c Config) credentialKind() (string, error) {
	var kinds []string
	if c.ClientSecret.IsSet() {
		kinds = append(kinds, "client secret")
	}
	if c.CertificatePath != "" {
		kinds = append(kinds, "certificate")
	}
	if c.UseManagedIdentity {
		kinds = append(kinds, "managed identity")
	}
	if c.UseWorkloadIdentity {
		kinds = append(kinds, "workload identity")
	}
	if c.UseAzureCLI {
		kinds = append(kinds, "Azure CLI")
	}
	switch len(kinds) {
	case 0:
		if c.BaseURL != "" {
			return "anonymous", nil
		}
		return "", errors.New("no Graph credential: set a client secret, a certificate, managed identity, workload identity or Azure CLI")
	case 1:
		return kinds[0], nil
	}
	return "", fmt.Errorf("more than one Graph credential set (%s): choose one", strings.Join(kinds, ", "))
}

// LogValue summarises the Config for slog without its secrets.
func (c Config) LogValue() slog.Value {
	kind, err := c.credentialKind()
	if err != nil {
		kind = "invalid"
	}
	s, _ := c.resolve()
	return slog.GroupValue(
		slog.String("tenant", c.TenantID),
		slog.String("client", c.ClientID),
		slog.String("credential", kind),
		slog.String("graph", s.baseURL),
		slog.String("login", s.loginHost),
	)
}

// String describes the Config without its secrets.
func (c Config) String() string {
	return c.LogValue().String()
}

// settings is a validated Config.
type settings struct {
	credential string
	graphHost  string
	loginHost  string
	baseURL    string // ends in /v1.0, no trailing slash
	validHosts []string
	maxConc    int
	maxRetries int
	timeout    time.Duration
}

func (c Config) resolve() (settings, error) {
	var s settings
	cloud := strings.ToLower(strings.TrimSpace(c.Cloud))
	if cloud == "" {
		cloud = CloudGlobal
	}
	hosts, ok := cloudHosts[cloud]
	if !ok {
		return s, fmt.Errorf("unknown cloud %q: want global, usgov, usgovdod or china", c.Cloud)
	}
	s.graphHost, s.loginHost = hosts.graph, hosts.login
	if c.GraphHost != "" {
		s.graphHost = c.GraphHost
	}
	if c.LoginHost != "" {
		s.loginHost = c.LoginHost
	}
	for name, h := range map[string]string{"GraphHost": s.graphHost, "LoginHost": s.loginHost} {
		if strings.Contains(h, "/") || strings.ContainsAny(h, " \t") {
			return s, fmt.Errorf("%s %q: want a bare host name such as graph.microsoft.com", name, h)
		}
	}
	s.baseURL = "https://" + s.graphHost + "/v1.0"
	s.validHosts = []string{hostOnly(s.graphHost)}
	if c.BaseURL != "" {
		u, err := url.Parse(strings.TrimRight(c.BaseURL, "/"))
		if err != nil || u.Host == "" {
			return s, fmt.Errorf("BaseURL %q: want an absolute URL such as https://graph.microsoft.com/v1.0", c.BaseURL)
		}
		switch {
		case u.Scheme == "https":
		case u.Scheme == "http" && isLoopback(u.Hostname()):
		default:
			return s, fmt.Errorf("BaseURL %q: want https (plain http only on a loopback address)", c.BaseURL)
		}
		if !strings.HasSuffix(u.Path, "/v1.0") {
			return s, fmt.Errorf("BaseURL %q: want a URL ending in /v1.0 (the beta API is not used)", c.BaseURL)
		}
		u.RawQuery, u.Fragment = "", ""
		s.baseURL = u.String()
		if h := u.Hostname(); h != s.validHosts[0] {
			s.validHosts = append(s.validHosts, h)
		}
	}
	kind, err := c.credentialKind()
	if err != nil {
		return s, err
	}
	s.credential = kind
	if (kind == "client secret" || kind == "certificate") && (c.TenantID == "" || c.ClientID == "") {
		return s, fmt.Errorf("a %s credential needs TenantID and ClientID", kind)
	}
	s.maxConc = c.MaxConcurrency
	if s.maxConc <= 0 {
		s.maxConc = DefaultMaxConcurrency
	}
	s.maxRetries = c.MaxRetries
	if s.maxRetries <= 0 {
		s.maxRetries = DefaultMaxRetries
	}
	s.maxRetries = min(s.maxRetries, maxRetriesCap)
	s.timeout = c.Timeout
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	return s, nil
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
