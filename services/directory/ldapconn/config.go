package ldapconn

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/hybridkit/hybridkit/platform/secret"
)

// Defaults for Config fields left zero.
const (
	DefaultTimeout  = 30 * time.Second
	DefaultPageSize = 500 // half of AD's default MaxPageSize (1000)
	// MaxPageSize is AD's default MaxPageSize: larger pages are cut to it by
	// the server anyway.
	MaxPageSize = 1000
)

// Config says how to reach and bind to a directory server.
//
// The zero security settings are the safe ones: an ldaps:// URL, or ldap://
// with StartTLS, verified against CAFile (or the system roots) for
// ServerName (or the URL's host). Plain ldap:// needs InsecurePlaintext.
type Config struct {
	// URL is ldaps://host[:port] (636 by default) or ldap://host[:port] (389).
	URL string
	// StartTLS upgrades an ldap:// connection to TLS before binding.
	StartTLS bool
	// CAFile is a PEM file of the CA certificates that may issue the
	// server's certificate; empty means the system's roots.
	CAFile string
	// ServerName is the name the server's certificate must carry; empty means
	// the URL's host. Set it when the URL names an IP address or an alias.
	ServerName string
	// InsecurePlaintext allows ldap:// without StartTLS, which sends the
	// password and everything read in clear. Never needed with AD, which
	// takes LDAPS or StartTLS.
	InsecurePlaintext bool

	// BindDN is who binds: for a simple bind a DN, a UPN (user@example.com) or
	// DOMAIN\name; for NTLM the account name (sAMAccountName). Empty means an
	// anonymous connection, which AD allows for the RootDSE only.
	BindDN string
	// Password is the bind password.
	Password secret.Value
	// NTLM binds with NTLM (the Sicily bind AD accepts) in Domain instead of
	// a simple bind.
	NTLM bool
	// Domain is the NetBIOS (or DNS) domain name of the account, for NTLM.
	Domain string

	// Timeout bounds dialling, binding, and each request or page of results.
	Timeout time.Duration
	// PageSize is the number of entries per page of a search (1 to 1000).
	PageSize int
}

// endpoint is a validated Config: where to dial and how.
type endpoint struct {
	scheme  string // "ldaps" or "ldap"
	address string // host:port
	tls     *tls.Config
}

func (c *Config) timeout() time.Duration {
	if c.Timeout <= 0 {
		return DefaultTimeout
	}
	return c.Timeout
}

func (c *Config) pageSize() int {
	if c.PageSize <= 0 {
		return DefaultPageSize
	}
	return c.PageSize
}

// Validate checks the configuration without touching the network: the URL,
// that the connection will be encrypted unless InsecurePlaintext says
// otherwise, that a password comes with a bind DN, and the page size.
func (c *Config) Validate() error {
	_, err := c.endpoint()
	return err
}

func (c *Config) endpoint() (*endpoint, error) {
	if c.URL == "" {
		return nil, errors.New("ldapconn: no URL")
	}
	u, err := url.Parse(c.URL)
	if err != nil {
		// url.Error repeats the URL, which may hold a password.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("ldapconn: unparseable URL: %w", err)
	}
	if u.User != nil {
		return nil, fmt.Errorf("ldapconn: URL %q: want %s://host[:port] only; give the user and password as BindDN and Password", u.Redacted(), u.Scheme)
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "ldaps" && scheme != "ldap" {
		return nil, fmt.Errorf("ldapconn: URL %q: scheme must be ldaps or ldap", c.URL)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("ldapconn: URL %q: want %s://host[:port] only", c.URL, scheme)
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		return nil, fmt.Errorf("ldapconn: URL %q has no host", c.URL)
	}
	if port == "" {
		port = "389"
		if scheme == "ldaps" {
			port = "636"
		}
	}
	switch {
	case scheme == "ldaps" && c.StartTLS:
		return nil, fmt.Errorf("ldapconn: URL %q: StartTLS is for ldap:// URLs; ldaps:// is TLS already", c.URL)
	case c.InsecurePlaintext && (scheme == "ldaps" || c.StartTLS):
		return nil, fmt.Errorf("ldapconn: URL %q: InsecurePlaintext contradicts TLS (ldaps:// or StartTLS); drop one", c.URL)
	case scheme == "ldap" && !c.StartTLS && !c.InsecurePlaintext:
		return nil, fmt.Errorf("ldapconn: URL %q would send the password and directory data in clear: "+
			"use ldaps://, set StartTLS, or set InsecurePlaintext if you really mean it", c.URL)
	}
	if c.Password.IsSet() && c.BindDN == "" {
		return nil, errors.New("ldapconn: a password without a bind DN or user")
	}
	if c.NTLM && c.BindDN == "" {
		return nil, errors.New("ldapconn: NTLM needs a user (BindDN)")
	}
	if c.BindDN != "" && !c.Password.IsSet() {
		// AD treats a simple bind with a DN and no password as an
		// unauthenticated bind that "succeeds" and grants nothing.
		return nil, fmt.Errorf("ldapconn: no password for %q", c.BindDN)
	}
	if c.PageSize < 0 || c.PageSize > MaxPageSize {
		return nil, fmt.Errorf("ldapconn: page size %d: want 1 to %d", c.PageSize, MaxPageSize)
	}
	ep := &endpoint{scheme: scheme, address: net.JoinHostPort(host, port)}
	if scheme == "ldaps" || c.StartTLS {
		ep.tls, err = c.tlsConfig(host)
		if err != nil {
			return nil, err
		}
	}
	return ep, nil
}

func (c *Config) tlsConfig(host string) (*tls.Config, error) {
	cfg := &tls.Config{
		MinVersion: tls.VersionTLS12,
		ServerName: c.ServerName,
	}
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("ldapconn: CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ldapconn: CA file %s holds no PEM certificate", c.CAFile)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}
