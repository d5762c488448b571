// Package graphclient reads what the identity service needs from Microsoft Graph through
// msgraph-sdk-go: licences, directory sync and its features, users, authentication-method
// registration, the methods, authorization and security defaults policies, Conditional Access,
// role assignments and PIM eligibility, group membership, sign-in logs, Secure Score, and the
// beta per-user MFA state (raw requests: the beta SDK is not used).
//
// Per-user reads (per-user MFA, memberships, registrations by id, groups by id) go in $batch
// requests of 20 within the concurrency bound; items throttled inside a batch are sent again
// after their Retry-After.
//
// It maps Graph's failures to errors an administrator can act on ([PermissionError] names the
// missing application permission, [LicenceError] the missing Entra ID P1/P2 licence), retries
// throttled requests honouring Retry-After within a bound, and never puts secrets in errors or
// logs. Tests run it against the graphemu emulator.
package graphclient

import (
	"context"
	"crypto"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/microsoft/kiota-abstractions-go/authentication"
	kiotaazure "github.com/microsoft/kiota-authentication-azure-go"
	khttp "github.com/microsoft/kiota-http-go"
	msgraph "github.com/microsoftgraph/msgraph-sdk-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
)

// Client reads a tenant through Microsoft Graph. It is safe for concurrent use.
type Client struct {
	graph   *msgraph.GraphServiceClient
	logger  *slog.Logger
	stats   *counters
	secrets []string
	set     settings
}

// New returns a Client for cfg. It does not contact Graph or Entra ID: a wrong credential shows
// up on the first request.
func New(ctx context.Context, cfg Config) (*Client, error) {
	s, err := cfg.resolve()
	if err != nil {
		return nil, fmt.Errorf("graphclient: %w", err)
	}
	cred, err := newCredential(cfg, s)
	if err != nil {
		return nil, fmt.Errorf("graphclient: %s credential: %w", s.credential, err)
	}
	return newClient(ctx, cfg, s, cred)
}

// newClient builds the SDK stack around cred (nil for anonymous requests).
func newClient(_ context.Context, cfg Config, s settings, cred azcore.TokenCredential) (*Client, error) {
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	c := &Client{logger: logger, stats: &counters{}, set: s}
	for _, sec := range []string{cfg.ClientSecret.Reveal(), cfg.CertificatePassword.Reveal()} {
		if sec != "" {
			c.secrets = append(c.secrets, sec)
		}
	}

	var auth authentication.AuthenticationProvider = &authentication.AnonymousAuthenticationProvider{}
	if cred != nil {
		// A host missing from the valid hosts silently gets no token, so the emulator's or
		// proxy's host is added next to the cloud's Graph host.
		p, err := kiotaazure.NewAzureIdentityAuthenticationProviderWithScopesAndValidHosts(
			cred, []string{"https://" + s.graphHost + "/.default"}, s.validHosts)
		if err != nil {
			return nil, fmt.Errorf("graphclient: auth provider: %w", err)
		}
		auth = p
	}

	options := msgraph.GetDefaultClientOptions()
	pol := &callPolicy{
		sem:        make(chan struct{}, s.maxConc),
		maxRetries: s.maxRetries,
		timeout:    s.timeout,
		logger:     logger,
		stats:      c.stats,
		now:        time.Now,
	}
	// Graph's default pipeline with our policy in place of Kiota's retry handler.
	httpClient := khttp.GetDefaultClient(
		msgraphcore.NewGraphTelemetryHandler(&options),
		pol,
		khttp.NewRedirectHandler(),
		khttp.NewCompressionHandler(),
		khttp.NewParametersNameDecodingHandler(),
		khttp.NewUserAgentHandler(),
		khttp.NewHeadersInspectionHandler(),
	)
	httpClient.Timeout = 0 // the policy times each request, retries included
	adapter, err := msgraph.NewGraphRequestAdapterWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(auth, nil, nil, httpClient)
	if err != nil {
		return nil, fmt.Errorf("graphclient: request adapter: %w", err)
	}
	// Before building the service client, which otherwise fixes the global endpoint.
	adapter.SetBaseUrl(s.baseURL)
	// msgraph.NewGraphServiceClient would also store its backing-store factory in a Kiota global
	// on every call, racing with any other client parsing a response. A nil factory skips that
	// write; the global already holds the same default (an in-memory store).
	c.graph = &msgraph.GraphServiceClient{GraphBaseServiceClient: *msgraph.NewGraphBaseServiceClient(adapter, nil)}
	return c, nil
}

func newCredential(cfg Config, s settings) (azcore.TokenCredential, error) {
	opts := azcore.ClientOptions{Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: "https://" + s.loginHost + "/"}}
	switch s.credential {
	case "anonymous":
		return nil, nil
	case "client secret":
		return azidentity.NewClientSecretCredential(cfg.TenantID, cfg.ClientID, cfg.ClientSecret.Reveal(),
			&azidentity.ClientSecretCredentialOptions{ClientOptions: opts})
	case "certificate":
		certs, key, err := loadCertificate(cfg.CertificatePath, cfg.CertificatePassword.Reveal())
		if err != nil {
			return nil, err
		}
		return azidentity.NewClientCertificateCredential(cfg.TenantID, cfg.ClientID, certs, key,
			&azidentity.ClientCertificateCredentialOptions{ClientOptions: opts})
	case "managed identity":
		o := &azidentity.ManagedIdentityCredentialOptions{ClientOptions: opts}
		if cfg.ClientID != "" {
			o.ID = azidentity.ClientID(cfg.ClientID)
		}
		return azidentity.NewManagedIdentityCredential(o)
	case "workload identity":
		return azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
			ClientOptions: opts, ClientID: cfg.ClientID, TenantID: cfg.TenantID,
		})
	case "Azure CLI":
		return azidentity.NewAzureCLICredential(&azidentity.AzureCLICredentialOptions{TenantID: cfg.TenantID})
	}
	return nil, fmt.Errorf("unsupported credential %q", s.credential)
}

func loadCertificate(path, password string) ([]*x509.Certificate, crypto.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	var pw []byte
	if password != "" {
		pw = []byte(password)
	}
	certs, key, err := azidentity.ParseCertificates(data, pw)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return certs, key, nil
}

// Stats returns the client's traffic counters.
func (c *Client) Stats() Stats {
	return Stats{
		Requests:  c.stats.requests.Load(),
		Retries:   c.stats.retries.Load(),
		Throttled: c.stats.throttled.Load(),
		RetryWait: time.Duration(c.stats.retryWait.Load()),
		Batched:   c.stats.batched.Load(),
	}
}
