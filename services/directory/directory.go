// Package directory is the directory service: it audits and grants the Active Directory permissions
// that Entra Connect password writeback needs.
package directory

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc/status"

	"github.com/hybridkit/hybridkit/platform/grpcserver"
	"github.com/hybridkit/hybridkit/platform/secret"
	"github.com/hybridkit/hybridkit/platform/store"
	directoryv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/directory/v1"
	"github.com/hybridkit/hybridkit/services/directory/ldapconn"
)

// DefaultAddr is the service's default gRPC address.
const DefaultAddr = "127.0.0.1:50052"

// Config is the service's configuration.
type Config struct {
	grpcserver.Config
	// LDAP says how to reach a domain controller; without a URL the writeback RPCs answer
	// FailedPrecondition (LDAP_NOT_CONFIGURED).
	LDAP LDAPConfig
}

// LDAPConfig is the connection to a domain controller and what the service may look at there.
type LDAPConfig struct {
	// URL is ldaps://host[:port]; a bare host[:port] means ldaps://. ldap:// needs StartTLS or
	// InsecurePlaintext.
	URL               string
	StartTLS          bool
	InsecurePlaintext bool
	CAFile            string
	ServerName        string
	// BindDN is a DN, a UPN or DOMAIN\name for a simple bind; the account name with NTLM.
	BindDN string
	// Password, when set, wins over the --ldap-password flags (for programs and tests).
	Password secret.Value
	NTLM     bool
	Domain   string
	Timeout  time.Duration
	// Domains are the domain naming contexts the service may audit; empty means the DC's default
	// naming context.
	Domains []string
	// Connectors are the names (sAMAccountName or UPN) of the Entra Connect AD DS connector
	// accounts: listed with the MSOL_ accounts, and the default connector when there is one.
	Connectors []string

	password secret.Source
	prefix   string // of the flags, for messages
}

// Flags registers the configuration's flags, prefixed by prefix.
func (c *Config) Flags(fs *flag.FlagSet, prefix string) {
	c.Config.Flags(fs, prefix, DefaultAddr)
	c.LDAP.Flags(fs, prefix)
}

// Flags registers the LDAP flags, prefixed by prefix.
func (c *LDAPConfig) Flags(fs *flag.FlagSet, prefix string) {
	c.prefix = prefix
	fs.StringVar(&c.URL, prefix+"ldap-url", "", "domain controller: ldaps://dc.example.com[:636] (a bare host means ldaps://); empty: the writeback RPCs are off")
	fs.BoolVar(&c.StartTLS, prefix+"ldap-starttls", false, "upgrade an ldap:// URL with StartTLS")
	fs.BoolVar(&c.InsecurePlaintext, prefix+"ldap-insecure-plaintext", false, "allow ldap:// without TLS: the password and directory data travel in clear")
	fs.StringVar(&c.CAFile, prefix+"ldap-ca-file", "", "PEM file of the CAs that issue the DC's certificate (default: the system's roots)")
	fs.StringVar(&c.ServerName, prefix+"ldap-server-name", "", "name the DC's certificate must carry (default: the URL's host)")
	fs.StringVar(&c.BindDN, prefix+"ldap-bind-dn", "", "account to bind as: a DN, user@domain or DOMAIN\\name (the account name with --"+prefix+"ldap-ntlm)")
	c.password.Flags(fs, prefix+"ldap-password", "the bind account's password")
	fs.BoolVar(&c.NTLM, prefix+"ldap-ntlm", false, "bind with NTLM instead of a simple bind")
	fs.StringVar(&c.Domain, prefix+"ldap-domain", "", "NetBIOS or DNS domain of the bind account, for NTLM")
	fs.DurationVar(&c.Timeout, prefix+"ldap-timeout", ldapconn.DefaultTimeout, "longest wait for connecting, binding and each LDAP request")
	fs.Func(prefix+"domains", "domain naming contexts the service may audit, separated by ';' (e.g. DC=example,DC=com); default: the DC's default naming context", func(v string) error {
		for _, d := range strings.Split(v, ";") {
			if d = strings.TrimSpace(d); d != "" {
				if err := ldapconn.ValidateDN(d); err != nil {
					return err
				}
				c.Domains = append(c.Domains, d)
			}
		}
		return nil
	})
	fs.Func(prefix+"connector", "Entra Connect AD DS connector account names (sAMAccountName or UPN), comma-separated; default: the MSOL_ account", func(v string) error {
		for _, n := range strings.Split(v, ",") {
			if n = strings.TrimSpace(n); n != "" {
				c.Connectors = append(c.Connectors, n)
			}
		}
		return nil
	})
}

// flag names a flag as the user gives it, with the prefix the flags were registered with.
func (c *LDAPConfig) flag(name string) string { return "--" + c.prefix + name }

// configured reports whether a domain controller is named.
func (c *LDAPConfig) configured() bool { return strings.TrimSpace(c.URL) != "" }

// connConfig is the ldapconn configuration, validated (without touching the network).
func (c *LDAPConfig) connConfig() (ldapconn.Config, error) {
	pw := c.Password
	if !pw.IsSet() {
		var err error
		if pw, err = c.password.Load(); err != nil {
			return ldapconn.Config{}, err
		}
	}
	url := strings.TrimSpace(c.URL)
	if !strings.Contains(url, "://") {
		url = "ldaps://" + url
	}
	cc := ldapconn.Config{
		URL:               url,
		StartTLS:          c.StartTLS,
		CAFile:            c.CAFile,
		ServerName:        c.ServerName,
		InsecurePlaintext: c.InsecurePlaintext,
		BindDN:            c.BindDN,
		Password:          pw,
		NTLM:              c.NTLM,
		Domain:            c.Domain,
		Timeout:           c.Timeout,
	}
	if cc.BindDN == "" {
		return ldapconn.Config{}, fmt.Errorf("%s is required with %s: AD shows anonymous connections nothing but the RootDSE", c.flag("ldap-bind-dn"), c.flag("ldap-url"))
	}
	if err := cc.Validate(); err != nil {
		return ldapconn.Config{}, fmt.Errorf("%s: %w", c.flag("ldap-url"), err)
	}
	for _, d := range c.Domains {
		if err := ldapconn.ValidateDN(d); err != nil {
			return ldapconn.Config{}, fmt.Errorf("%s: %w", c.flag("domains"), err)
		}
	}
	return cc, nil
}

// Options are the service's configuration and dependencies.
type Options struct {
	Config
	grpcserver.Deps
	// Store keeps descriptor backups and audit records. Required.
	Store *store.Store
}

// NewFromConfig returns the service for cfg. When cfg names a domain controller the service
// connects to it on first use (Connect connects now) and reconnects after a drop; without one
// its writeback RPCs answer FailedPrecondition (LDAP_NOT_CONFIGURED) and DecodeSecurityDescriptor
// works alone. st keeps the backups of the engine's changes and may be nil for reads. The CLI
// calls the methods in-process; Run serves them. Close releases the connection.
func NewFromConfig(_ context.Context, cfg Config, st *store.Store, logger *slog.Logger) (*Service, error) {
	s := NewService(logger)
	s.ldapCfg = cfg.LDAP
	s.store = st
	if !cfg.LDAP.configured() {
		return s, nil
	}
	cc, err := cfg.LDAP.connConfig()
	if err != nil {
		return nil, fmt.Errorf("directory: %w", err)
	}
	s.dc = &dc{cfg: cc, domains: cfg.LDAP.Domains, store: st, logger: logger, sem: make(chan struct{}, 1)}
	return s, nil
}

// Run serves the service until ctx ends. It starts whether or not the domain controller
// answers: health reports SERVING once the store does, and the writeback RPCs answer
// Unavailable, saying why, until the DC can be reached.
func Run(ctx context.Context, opts Options) error {
	if opts.Store == nil {
		return errors.New("directory: a store is required")
	}
	svc, err := NewFromConfig(ctx, opts.Config, opts.Store, opts.Logger)
	if err != nil {
		return err
	}
	defer svc.Close()
	var wg sync.WaitGroup
	if svc.dc == nil {
		opts.Logger.Warn("no domain controller configured: the writeback RPCs answer FailedPrecondition until " +
			opts.LDAP.flag("ldap-url") + ", " + opts.LDAP.flag("ldap-bind-dn") + " and " + opts.LDAP.flag("ldap-password") + " are set")
	} else {
		// Connect now so that a wrong setting shows in the log at start; calls retry on their own.
		wg.Go(func() {
			if err := svc.Connect(ctx); err != nil && ctx.Err() == nil {
				opts.Logger.Warn("the domain controller cannot be used yet: the writeback RPCs will try again", "url", svc.dc.cfg.URL,
					"code", status.Code(err).String(), "err", status.Convert(err).Message())
			}
		})
	}
	defer wg.Wait()
	srv, err := grpcserver.New(grpcserver.Options{
		Config:     opts.Config.Config,
		Deps:       opts.Deps,
		Name:       "directory",
		Validators: svc.Validators(),
		Ready:      opts.Store.Ping,
	})
	if err != nil {
		return err
	}
	directoryv1.RegisterDirectoryServiceServer(srv.GRPC(), svc)
	return srv.Run(ctx)
}
