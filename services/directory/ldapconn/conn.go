// Package ldapconn is the directory service's LDAP connection to Active
// Directory (or Samba AD), on github.com/go-ldap/ldap/v3.
//
// It is encrypted unless told otherwise: LDAPS, or StartTLS on ldap://,
// verified against a CA file and server name; plain ldap:// needs
// Config.InsecurePlaintext. It binds with a simple bind or NTLM, and its
// errors never contain the password.
//
// Searches are paged (RFC 2696) and stream entries to a callback, so memory
// stays bounded by one page whatever the size of the directory. Security
// descriptors are read and written with the SD flags control, the DACL alone
// when writing, so owner, group and SACL are never touched.
//
// A Conn is safe for concurrent use. When the connection drops it dials and
// binds again on the next operation, and a read that failed because of the
// drop, before it delivered anything, is retried once on the new connection.
// Writes are not retried.
//
// Every DN a method takes is validated first (ValidateDN) and every value put
// into a filter is escaped (EqualityFilter), so neither can inject LDAP.
package ldapconn

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// Conn is a bound LDAP connection that reconnects when it drops.
type Conn struct {
	cfg Config
	ep  *endpoint

	mu     sync.Mutex
	lc     *ldap.Conn // nil after a drop until the next operation redials
	closed bool

	dials, retries, searches, pages, entries atomic.Int64
}

// Stats counts what a Conn has done since Dial.
type Stats struct {
	Dials    int64 // connections made and bound: 1 + reconnections
	Retries  int64 // reads run again after a dropped connection
	Searches int64 // searches started (each retry counts again)
	Pages    int64 // pages of results requested
	Entries  int64 // entries delivered to callbacks
}

// Stats returns the counters.
func (c *Conn) Stats() Stats {
	return Stats{
		Dials:    c.dials.Load(),
		Retries:  c.retries.Load(),
		Searches: c.searches.Load(),
		Pages:    c.pages.Load(),
		Entries:  c.entries.Load(),
	}
}

// Dial connects to cfg.URL, sets up TLS (LDAPS or StartTLS) and binds. ctx
// bounds the whole of it, as does cfg.Timeout.
func Dial(ctx context.Context, cfg Config) (*Conn, error) {
	ep, err := cfg.endpoint()
	if err != nil {
		return nil, err
	}
	c := &Conn{cfg: cfg, ep: ep}
	lc, err := c.dial(ctx)
	if err != nil {
		return nil, err
	}
	c.lc = lc
	c.dials.Add(1)
	return c, nil
}

// Close unbinds and closes the connection. Operations after Close fail with
// ErrClosed.
func (c *Conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	if c.lc == nil {
		return nil
	}
	lc := c.lc
	c.lc = nil
	if err := lc.Unbind(); err != nil {
		return lc.Close()
	}
	return nil
}

// URL returns the server's URL, for messages.
func (c *Conn) URL() string { return c.cfg.URL }

// TLSConnectionState returns the TLS state of the current connection; false
// when it is not encrypted or is down.
func (c *Conn) TLSConnectionState() (tls.ConnectionState, bool) {
	c.mu.Lock()
	lc := c.lc
	c.mu.Unlock()
	if lc == nil {
		return tls.ConnectionState{}, false
	}
	return lc.TLSConnectionState()
}

// dial opens, secures and binds one connection.
func (c *Conn) dial(ctx context.Context) (*ldap.Conn, error) {
	timeout := c.cfg.timeout()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	d := net.Dialer{}
	raw, err := d.DialContext(ctx, "tcp", c.ep.address)
	if err != nil {
		return nil, fmt.Errorf("ldapconn: connect to %s: %w", c.cfg.URL, err)
	}
	lc, err := c.setUp(ctx, raw)
	if err != nil {
		raw.Close()
		if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
			err = fmt.Errorf("%w (%v)", ctx.Err(), err)
		}
		return nil, err
	}
	return lc, nil
}

// setUp runs TLS, StartTLS and the bind on a fresh connection.
func (c *Conn) setUp(ctx context.Context, raw net.Conn) (*ldap.Conn, error) {
	// Until go-ldap takes over, the context's deadline is the connection's.
	if dl, ok := ctx.Deadline(); ok {
		raw.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { raw.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	isTLS := false
	handshake := func(what string) error {
		tc := tls.Client(raw, c.ep.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			return fmt.Errorf("ldapconn: %s with %s: %w", what, c.cfg.URL, explainTLS(err, c.ep.tls, c.cfg.CAFile))
		}
		raw, isTLS = tc, true
		return nil
	}
	if c.ep.scheme == "ldaps" {
		if err := handshake("TLS handshake"); err != nil {
			return nil, err
		}
	}
	w := &wire{conn: raw}
	if c.cfg.StartTLS {
		if err := w.startTLS(); err != nil {
			return nil, fmt.Errorf("ldapconn: StartTLS with %s: %w", c.cfg.URL, err)
		}
		if err := handshake("StartTLS handshake"); err != nil {
			return nil, err
		}
		w.conn = raw
	}
	pw := c.cfg.Password.Reveal()
	if c.cfg.NTLM {
		if err := w.ntlmBind(c.cfg.Domain, c.cfg.BindDN, pw); err != nil {
			user := c.cfg.BindDN
			if c.cfg.Domain != "" {
				user = c.cfg.Domain + `\` + user
			}
			return nil, newBindError("NTLM", user, pw, err)
		}
	}
	raw.SetDeadline(time.Time{})
	if !stop() {
		return nil, ctx.Err()
	}

	lc := ldap.NewConn(raw, isTLS)
	lc.SetTimeout(c.cfg.timeout())
	lc.Start()
	if c.cfg.BindDN != "" && !c.cfg.NTLM {
		// go-ldap's bind takes no context: close the connection if ctx
		// ends first, which makes it return.
		stop := context.AfterFunc(ctx, func() { lc.Close() })
		_, err := lc.SimpleBind(ldap.NewSimpleBindRequest(c.cfg.BindDN, pw, nil))
		stop()
		if err != nil {
			lc.Close()
			return nil, newBindError("simple", c.cfg.BindDN, pw, err)
		}
	}
	return lc, nil
}

// current returns the live connection, dialling a new one after a drop.
func (c *Conn) current(ctx context.Context) (*ldap.Conn, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	if c.lc != nil && !c.lc.IsClosing() {
		return c.lc, nil
	}
	if c.lc != nil {
		c.lc.Close()
		c.lc = nil
	}
	lc, err := c.dial(ctx)
	if err != nil {
		return nil, fmt.Errorf("ldapconn: reconnect: %w", err)
	}
	c.lc = lc
	c.dials.Add(1)
	return lc, nil
}

// discard forgets lc after a network error, so that the next operation
// dials again. Another goroutine may have replaced it already.
func (c *Conn) discard(lc *ldap.Conn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lc == lc {
		c.lc = nil
	}
	lc.Close()
}

// do runs op on the current connection. When op fails with a network error
// and retry says it is safe (nothing was delivered yet), it runs op once more
// on a new connection.
func (c *Conn) do(ctx context.Context, op func(*ldap.Conn) error, retry func() bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	lc, err := c.current(ctx)
	if err != nil {
		return err
	}
	err = op(lc)
	// go-ldap reports a connection the server closed with a plain error
	// ("unable to read LDAP response packet: EOF"): ask the connection.
	if err == nil || !(isNetworkError(err) || lc.IsClosing()) {
		return err
	}
	c.discard(lc)
	if ctx.Err() != nil || retry == nil || !retry() {
		return err
	}
	c.retries.Add(1)
	lc, rerr := c.current(ctx)
	if rerr != nil {
		return fmt.Errorf("%w (after %v)", rerr, err)
	}
	return op(lc)
}

// withTimeout is ctx bounded by the configured per-request timeout.
func (c *Conn) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, c.cfg.timeout())
}

// timeoutError tells a per-request timeout (a network failure: the server
// stopped answering) from the caller's own context ending.
func timeoutError(parent, req context.Context) error {
	if err := parent.Err(); err != nil {
		return err
	}
	if req.Err() != nil {
		return errRequestTimeout
	}
	return nil
}
