package ldapconn

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-ldap/ldap/v3"
)

// Search scopes (RFC 4511), as go-ldap numbers them.
const (
	ScopeBase     = ldap.ScopeBaseObject
	ScopeOneLevel = ldap.ScopeSingleLevel
	ScopeSubtree  = ldap.ScopeWholeSubtree
)

// resultBuffer is how many entries go-ldap may hold ahead of the callback.
const resultBuffer = 64

// Search runs a paged search (RFC 2696, pages of Config.PageSize) and calls
// fn with each entry as it arrives; only about one page is in memory at a
// time. An error from fn stops the search and is returned as is.
//
// base must be a valid DN (or "" with ScopeBase, for the RootDSE); filter is
// an RFC 4515 filter, whose values the caller must escape (EqualityFilter,
// ldap.EscapeFilter). controls are sent with every page, e.g.
// SDFlagsControl(SDFlagsDACL) to read nTSecurityDescriptor; the paging
// control is added here. Referrals (AD returns some for the other naming
// contexts of a forest) are not followed.
//
// If the connection drops before the first entry, the search is retried once
// on a new connection; after that the error is returned, since the caller
// has seen part of the result.
func (c *Conn) Search(ctx context.Context, base string, scope int, filter string, attrs []string, controls []ldap.Control, fn func(*ldap.Entry) error) error {
	if base != "" || scope != ScopeBase {
		if err := ValidateDN(base); err != nil {
			return err
		}
	}
	if scope != ScopeBase && scope != ScopeOneLevel && scope != ScopeSubtree {
		return fmt.Errorf("ldapconn: search %q: unknown scope %d", base, scope)
	}
	if _, err := ldap.CompileFilter(filter); err != nil {
		return &OpError{Op: "search", DN: base, Err: fmt.Errorf("invalid filter %q: %w", filter, err)}
	}
	if ldap.FindControl(controls, ldap.ControlTypePaging) != nil {
		return fmt.Errorf("ldapconn: search %q: the paging control is added by Search; do not pass one", base)
	}
	delivered := false
	err := c.do(ctx, func(lc *ldap.Conn) error {
		return c.pagedSearch(ctx, lc, base, scope, filter, attrs, controls, func(e *ldap.Entry) error {
			delivered = true
			return fn(e)
		})
	}, func() bool { return !delivered })
	var cbErr callbackError
	if errors.As(err, &cbErr) {
		return cbErr.err
	}
	if err != nil && !isOpError(err) && !errors.Is(err, ErrClosed) && ctx.Err() == nil {
		return &OpError{Op: "search", DN: base, Err: err}
	}
	return err
}

// callbackError carries the callback's own error through do, which must not
// mistake it for a network error.
type callbackError struct{ err error }

func (e callbackError) Error() string { return e.err.Error() }

func isOpError(err error) bool {
	var oe *OpError
	return errors.As(err, &oe)
}

func (c *Conn) pagedSearch(ctx context.Context, lc *ldap.Conn, base string, scope int, filter string, attrs []string, controls []ldap.Control, fn func(*ldap.Entry) error) error {
	c.searches.Add(1)
	paging := ldap.NewControlPaging(uint32(c.cfg.pageSize()))
	ctrls := append(append(make([]ldap.Control, 0, len(controls)+1), controls...), paging)
	for {
		req := ldap.NewSearchRequest(base, scope, ldap.NeverDerefAliases, 0, 0, false, filter, attrs, ctrls)
		c.pages.Add(1)
		pageCtx, cancel := c.withTimeout(ctx)
		resp := lc.SearchAsync(pageCtx, req, resultBuffer)
		var stop error
		for resp.Next() {
			e := resp.Entry()
			if e == nil {
				continue // a referral, or the final result's controls
			}
			if err := pageCtx.Err(); err != nil {
				break
			}
			c.entries.Add(1)
			if err := fn(e); err != nil {
				stop = err
				break
			}
		}
		err := resp.Err()
		respControls := resp.Controls()
		if stop != nil {
			cancel()
			abandonPaging(lc, req, paging)
			return callbackError{stop}
		}
		if err == nil {
			err = timeoutError(ctx, pageCtx)
		}
		cancel()
		if err != nil {
			return err
		}
		pc, ok := ldap.FindControl(respControls, ldap.ControlTypePaging).(*ldap.ControlPaging)
		if !ok && lc.IsClosing() {
			// go-ldap ends a search on a closed connection without an
			// error; only the missing final result tells.
			return ldap.NewError(ldap.ErrorNetwork, errors.New("connection lost before the end of the search"))
		}
		if !ok || len(pc.Cookie) == 0 {
			return nil // the last page (or a server that ignored paging)
		}
		paging.SetCookie(pc.Cookie)
	}
}

// abandonPaging tells the server to drop a paged search the caller stopped
// early (RFC 2696: a page size of 0 with the cookie), so it frees its state.
func abandonPaging(lc *ldap.Conn, req *ldap.SearchRequest, paging *ldap.ControlPaging) {
	if len(paging.Cookie) == 0 {
		return
	}
	paging.PagingSize = 0
	_, _ = lc.Search(req)
}

// SearchOne reads one object (a base-scope search of dn) and returns it.
// It returns an error matching ErrNoSuchObject when there is none.
func (c *Conn) SearchOne(ctx context.Context, dn string, attrs []string, controls []ldap.Control) (*ldap.Entry, error) {
	var entry *ldap.Entry
	err := c.Search(ctx, dn, ScopeBase, "(objectClass=*)", attrs, controls, func(e *ldap.Entry) error {
		entry = e
		return nil
	})
	if err != nil {
		return nil, err
	}
	if entry == nil {
		return nil, &OpError{Op: "read", DN: dn, Err: ErrNoSuchObject}
	}
	return entry, nil
}
