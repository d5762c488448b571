// Package identity is the identity service: it checks an Entra ID tenant through Microsoft Graph.
package identity

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/hybridkit/hybridkit/platform/grpcserver"
	"github.com/hybridkit/hybridkit/platform/secret"
	"github.com/hybridkit/hybridkit/platform/store"
	identityv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/identity/v1"
	"github.com/hybridkit/hybridkit/services/identity/graphclient"
)

// DefaultAddr is the service's default gRPC address.
const DefaultAddr = "127.0.0.1:50051"

// Config is the service's configuration.
type Config struct {
	grpcserver.Config
	// Graph connection; the tenant and client ids plus a credential, or a base URL (emulator).
	TenantID, ClientID   string
	Auth                 string
	CertificatePath      string
	Cloud                string
	GraphHost, LoginHost string
	BaseURL              string
	Timeout              time.Duration
	// DirectoryAddr is the directory service's gRPC address, for the writeback readiness check;
	// empty: that check answers without the AD side.
	DirectoryAddr string
	clientSecret  secret.Source
	certPassword  secret.Source
}

// Flags registers the configuration's flags, prefixed by prefix.
func (c *Config) Flags(fs *flag.FlagSet, prefix string) {
	c.Config.Flags(fs, prefix, DefaultAddr)
	fs.StringVar(&c.TenantID, prefix+"graph-tenant-id", "", "Entra ID tenant id (GUID) to check")
	fs.StringVar(&c.ClientID, prefix+"graph-client-id", "", "application (client) id of hybridkit's app registration")
	fs.StringVar(&c.Auth, prefix+"graph-auth", "auto", "Graph credential: auto, client-secret, certificate, managed-identity, workload-identity or azure-cli")
	c.clientSecret.Flags(fs, prefix+"graph-client-secret", "the app registration's client secret")
	fs.StringVar(&c.CertificatePath, prefix+"graph-certificate", "", "PEM or PKCS#12 file with the app's certificate and private key")
	c.certPassword.Flags(fs, prefix+"graph-certificate-password", "the password of the PKCS#12 certificate")
	fs.StringVar(&c.Cloud, prefix+"graph-cloud", "global", "national cloud: global, usgov, usgovdod or china")
	fs.StringVar(&c.GraphHost, prefix+"graph-host", "", "Microsoft Graph host, overriding --graph-cloud")
	fs.StringVar(&c.LoginHost, prefix+"graph-login-host", "", "Entra ID login host, overriding --graph-cloud")
	fs.StringVar(&c.BaseURL, prefix+"graph-base-url", "", "Graph base URL ending in /v1.0, for the emulator (tests and demos)")
	fs.StringVar(&c.DirectoryAddr, prefix+"directory-addr", "", "gRPC address of the directory service, for the writeback readiness check (empty: cloud-side checks only)")
	fs.DurationVar(&c.Timeout, prefix+"graph-timeout", 60*time.Second, "longest wait for one Graph request, retries included")
}

// configured reports whether enough is set to reach Graph.
func (c *Config) configured() bool {
	return c.BaseURL != "" || (c.TenantID != "" && c.ClientID != "") || c.Auth == "managed-identity" || c.Auth == "azure-cli"
}

func (c *Config) graphConfig() (graphclient.Config, error) {
	secretValue, err := c.clientSecret.Load()
	if err != nil {
		return graphclient.Config{}, err
	}
	certPassword, err := c.certPassword.Load()
	if err != nil {
		return graphclient.Config{}, err
	}
	gc := graphclient.Config{
		TenantID:            c.TenantID,
		ClientID:            c.ClientID,
		ClientSecret:        secretValue,
		CertificatePath:     c.CertificatePath,
		CertificatePassword: certPassword,
		Cloud:               c.Cloud,
		GraphHost:           c.GraphHost,
		LoginHost:           c.LoginHost,
		BaseURL:             c.BaseURL,
		Timeout:             c.Timeout,
	}
	switch c.Auth {
	case "auto", "client-secret", "certificate":
	case "managed-identity":
		gc.UseManagedIdentity = true
	case "workload-identity":
		gc.UseWorkloadIdentity = true
	case "azure-cli":
		gc.UseAzureCLI = true
	default:
		return graphclient.Config{}, fmt.Errorf("--graph-auth %q: want auto, client-secret, certificate, managed-identity, workload-identity or azure-cli", c.Auth)
	}
	return gc, nil
}

// Options are the service's configuration and dependencies.
type Options struct {
	Config
	grpcserver.Deps
	// Store keeps assessments. Required.
	Store *store.Store
	// Now is the clock the checks date sync ages and sign-in windows by (time.Now when nil).
	Now func() time.Time
}

// NewFromConfig returns the service for cfg: with a Graph client when cfg says how to reach
// Graph, else one whose checks answer FailedPrecondition (GRAPH_NOT_CONFIGURED). The CLI calls
// its methods in-process; Run serves it.
func NewFromConfig(ctx context.Context, cfg Config, logger *slog.Logger) (*Service, error) {
	if !cfg.configured() {
		svc := NewService(nil, logger)
		svc.directoryAddr = cfg.DirectoryAddr
		return svc, nil
	}
	gc, err := cfg.graphConfig()
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	gc.Logger = logger
	client, err := graphclient.New(ctx, gc)
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	svc := NewService(client, logger)
	svc.directoryAddr = cfg.DirectoryAddr
	return svc, nil
}

// Run serves the service until ctx ends.
func Run(ctx context.Context, opts Options) error {
	if opts.Store == nil {
		return errors.New("identity: a store is required")
	}
	if !opts.configured() {
		opts.Logger.Warn("no Microsoft Graph credentials configured: checks will answer FailedPrecondition until --graph-tenant-id, --graph-client-id and a credential are set")
	}
	svc, err := NewFromConfig(ctx, opts.Config, opts.Logger)
	if err != nil {
		return err
	}
	if opts.Now != nil {
		svc.now = opts.Now
	}
	srv, err := grpcserver.New(grpcserver.Options{
		Config:     opts.Config.Config,
		Deps:       opts.Deps,
		Name:       "identity",
		Validators: svc.Validators(),
		Ready:      opts.Store.Ping,
	})
	if err != nil {
		return err
	}
	identityv1.RegisterIdentityServiceServer(srv.GRPC(), svc)
	return srv.Run(ctx)
}
