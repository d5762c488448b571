package directory

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/hybridkit/hybridkit/platform/store"
	"github.com/hybridkit/hybridkit/services/directory/ldapconn"
	"github.com/hybridkit/hybridkit/services/directory/writeback"
)

// dc is the service's domain controller: one connection and engine, made on first use so that
// the service starts while the DC is down. Once made, ldapconn reconnects after drops by itself.
type dc struct {
	cfg     ldapconn.Config
	domains []string
	store   *store.Store
	logger  *slog.Logger
	sem     chan struct{} // one connection attempt at a time; waiting honours the context

	mu      sync.Mutex
	conn    *ldapconn.Conn
	engine  *writeback.Engine
	closed  bool
	lastErr error     // the last failed attempt, answered again until retryAt
	retryAt time.Time // so that a dead DC or a wrong password is not hammered by every call
	now     func() time.Time
}

// How long a failed connection attempt is answered from memory: briefly for an unreachable DC
// (a call that could not connect must not make the next one wait out the timeout again), longer
// for a refused bind, since repeating a wrong password can lock the bind account out.
const (
	retryUnreachable = 5 * time.Second
	retryBindRefused = time.Minute
)

// get returns the engine, connecting first if need be.
func (d *dc) get(ctx context.Context) (*writeback.Engine, *ldapconn.Conn, error) {
	if e, c, ok := d.current(); ok {
		return e, c, nil
	}
	select {
	case d.sem <- struct{}{}:
		defer func() { <-d.sem }()
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
	if e, c, ok := d.current(); ok {
		return e, c, nil // another call connected while this one waited
	}
	d.mu.Lock()
	lastErr, retryAt := d.lastErr, d.retryAt
	d.mu.Unlock()
	if lastErr != nil && d.clock().Before(retryAt) {
		return nil, nil, lastErr
	}
	eng, conn, err := d.connect(ctx)
	d.mu.Lock()
	defer d.mu.Unlock()
	if err != nil {
		if ctx.Err() == nil { // a call's own deadline says nothing about the DC
			d.lastErr, d.retryAt = err, d.clock().Add(retryUnreachable)
			if be := (*ldapconn.BindError)(nil); errors.As(err, &be) && be.ResultCode != 0 {
				d.retryAt = d.clock().Add(retryBindRefused)
			}
		}
		return nil, nil, err
	}
	if d.closed {
		conn.Close()
		return nil, nil, ldapconn.ErrClosed
	}
	d.conn, d.engine, d.lastErr = conn, eng, nil
	d.logger.Info("connected to the domain controller", "url", d.cfg.URL, "bind", d.cfg.BindDN, "domains", fmt.Sprint(eng.NamingContexts()))
	return eng, conn, nil
}

func (d *dc) connect(ctx context.Context) (*writeback.Engine, *ldapconn.Conn, error) {
	conn, err := ldapconn.Dial(ctx, d.cfg)
	if err != nil {
		return nil, nil, err
	}
	eng, err := writeback.New(ctx, writeback.Config{Conn: conn, Store: d.store, NamingContexts: d.domains, Logger: d.logger})
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	return eng, conn, nil
}

func (d *dc) clock() time.Time {
	if d.now != nil {
		return d.now()
	}
	return time.Now()
}

func (d *dc) current() (*writeback.Engine, *ldapconn.Conn, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.engine, d.conn, d.engine != nil
}

func (d *dc) close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closed = true
	if d.conn == nil {
		return nil
	}
	return d.conn.Close()
}
