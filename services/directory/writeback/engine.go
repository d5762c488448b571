package writeback

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/hybridkit/hybridkit/platform/store"
	"github.com/hybridkit/hybridkit/services/directory/ldapconn"
	"github.com/hybridkit/hybridkit/services/directory/secdesc"
)

// Sentinel errors; match them with errors.Is.
var (
	// ErrOutsideDomain: a DN is not inside one of the configured domain
	// naming contexts (or lies in another naming context below one, such as
	// CN=Configuration). See OutsideDomainError.
	ErrOutsideDomain = errors.New("outside the configured domain naming contexts")
	// ErrNotFound: an account or user named by DN, sAMAccountName,
	// userPrincipalName or SID does not exist (or is not visible).
	ErrNotFound = errors.New("not found")
	// ErrAmbiguous: a name matches more than one account.
	ErrAmbiguous = errors.New("ambiguous")
	// ErrNoStore: a change was asked for without a store to back up to.
	ErrNoStore = errors.New("no store configured for backups and audit records")
	// ErrConcurrentChange: the descriptor changed between planning and
	// writing; nothing was written. Plan again.
	ErrConcurrentChange = errors.New("the descriptor changed while the change was being made")
	// ErrNotScope: a scope names a leaf object (a user, computer, group or
	// contact) rather than the domain root, an OU or a container.
	ErrNotScope = errors.New("not a container")
	// ErrVerify: the DC accepted a write but reading it back does not show
	// what was written. The backup taken before allows Restore.
	ErrVerify = errors.New("verification after the write failed")
)

// OutsideDomainError is a DN that the engine refuses to audit or change.
type OutsideDomainError struct {
	DN             string
	NamingContexts []string // the configured ones
	Inside         string   // the other naming context that holds DN, if any
}

func (e *OutsideDomainError) Error() string {
	if e.Inside != "" {
		return fmt.Sprintf("writeback: %q is in naming context %q, not in a configured domain (%s)", e.DN, e.Inside, strings.Join(e.NamingContexts, "; "))
	}
	return fmt.Sprintf("writeback: %q is outside the configured domain naming contexts (%s)", e.DN, strings.Join(e.NamingContexts, "; "))
}

// Is makes errors.Is(err, ErrOutsideDomain) true.
func (e *OutsideDomainError) Is(target error) bool { return target == ErrOutsideDomain }

// Config configures an Engine.
type Config struct {
	// Conn is the connection to a domain controller, bound as an account that
	// may read the descriptors and tokenGroups involved and, to apply grants,
	// write DACLs (WRITE_DAC). Required.
	Conn *ldapconn.Conn
	// Store keeps descriptor backups and audit records. Required to apply
	// grants, revocations and restores; audits and dry runs work without.
	Store *store.Store
	// NamingContexts are the domain naming contexts (DNs of domain heads) the
	// engine may audit and change; every DN given to it must be inside one.
	// Empty means the DC's default naming context.
	NamingContexts []string
	// Logger gets a line per change written. Nil discards.
	Logger *slog.Logger
	// MaxCachedDACLs bounds the cache of evaluated distinct user DACLs that
	// Coverage keeps during a run (default 4096). Users mostly share a few
	// DACLs, so a run parses each distinct one once.
	MaxCachedDACLs int
	// PrincipalTTL is how long a resolved principal and its tokenGroups are
	// reused (default 5 minutes; negative disables the cache).
	PrincipalTTL time.Duration
	// Now replaces time.Now, for tests.
	Now func() time.Time
}

// Engine audits and grants the rights password writeback needs. It is safe
// for concurrent use, as is the Conn it uses.
type Engine struct {
	conn      *ldapconn.Conn
	store     *store.Store
	log       *slog.Logger
	ncs       []*namingContext
	otherNCs  []*ldap.DN // naming contexts of the DC that are not configured
	schemaNC  string
	cacheSize int
	ttl       time.Duration
	now       func() time.Time

	mu         sync.Mutex
	principals map[string]cachedPrincipal
	defaults   map[string]*defaultSD // defaultSecurityDescriptor by class, once read
}

// namingContext is a configured domain.
type namingContext struct {
	dn     string
	parsed *ldap.DN
	sid    secdesc.SID
	dns    string // DNS name, from the DC= components
	sddl   secdesc.SDDLOptions
}

type cachedPrincipal struct {
	p  *Principal
	at time.Time
}

type defaultSD struct {
	aces []secdesc.ACE
	err  error
}

// New checks cfg, reads the DC's RootDSE and the SIDs of the configured
// domains, and returns an Engine.
func New(ctx context.Context, cfg Config) (*Engine, error) {
	if cfg.Conn == nil {
		return nil, errors.New("writeback: Config.Conn is required")
	}
	root, err := cfg.Conn.RootDSE(ctx)
	if err != nil {
		return nil, fmt.Errorf("writeback: %w", err)
	}
	e := &Engine{
		conn:       cfg.Conn,
		store:      cfg.Store,
		log:        cfg.Logger,
		schemaNC:   root.SchemaNamingContext,
		cacheSize:  cfg.MaxCachedDACLs,
		ttl:        cfg.PrincipalTTL,
		now:        cfg.Now,
		principals: map[string]cachedPrincipal{},
		defaults:   map[string]*defaultSD{},
	}
	if e.log == nil {
		e.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if e.cacheSize <= 0 {
		e.cacheSize = 4096
	}
	if e.ttl == 0 {
		e.ttl = 5 * time.Minute
	}
	if e.now == nil {
		e.now = time.Now
	}
	wanted := cfg.NamingContexts
	if len(wanted) == 0 {
		wanted = []string{root.DefaultNamingContext}
	}
	held := make([]*ldap.DN, 0, len(root.NamingContexts))
	for _, nc := range root.NamingContexts {
		if d, err := ldap.ParseDN(nc); err == nil {
			held = append(held, d)
		}
	}
	for _, w := range wanted {
		if err := ldapconn.ValidateDN(w); err != nil {
			return nil, fmt.Errorf("writeback: naming context: %w", err)
		}
		d, _ := ldap.ParseDN(w)
		found := false
		for _, h := range held {
			found = found || h.EqualFold(d)
		}
		if !found {
			return nil, fmt.Errorf("writeback: %q is not a naming context of %s (it holds %s)", w, cfg.Conn.URL(), strings.Join(root.NamingContexts, "; "))
		}
		nc := &namingContext{dn: w, parsed: d, dns: dnsName(d)}
		if strings.EqualFold(w, root.DefaultNamingContext) && !root.DomainSID.IsZero() {
			nc.sid = root.DomainSID
		} else {
			head, err := cfg.Conn.SearchOne(ctx, w, []string{"objectSid"}, nil)
			if err != nil {
				return nil, fmt.Errorf("writeback: read the domain SID of %q: %w", w, err)
			}
			if nc.sid, err = secdesc.SIDFromBytes(head.GetEqualFoldRawAttributeValue("objectSid")); err != nil {
				return nil, fmt.Errorf("writeback: %q is not a domain head (objectSid: %v)", w, err)
			}
		}
		nc.sddl = secdesc.SDDLOptions{Domain: nc.sid}
		e.ncs = append(e.ncs, nc)
	}
	for _, h := range held {
		configured := false
		for _, nc := range e.ncs {
			configured = configured || nc.parsed.EqualFold(h)
		}
		if !configured {
			e.otherNCs = append(e.otherNCs, h)
		}
	}
	return e, nil
}

// NamingContexts returns the domain naming contexts the engine works in.
func (e *Engine) NamingContexts() []string {
	out := make([]string, len(e.ncs))
	for i, nc := range e.ncs {
		out[i] = nc.dn
	}
	return out
}

// dnsName turns DC=example,DC=com into example.com.
func dnsName(d *ldap.DN) string {
	var parts []string
	for _, r := range d.RDNs {
		for _, a := range r.Attributes {
			if strings.EqualFold(a.Type, "DC") {
				parts = append(parts, a.Value)
			}
		}
	}
	return strings.Join(parts, ".")
}

// domainOf returns the configured naming context dn is in, refusing DNs that
// do not parse, lie outside every configured domain, or lie in another
// naming context nested below one (CN=Configuration, DNS zones).
func (e *Engine) domainOf(dn string) (*namingContext, *ldap.DN, error) {
	if err := ldapconn.ValidateDN(dn); err != nil {
		return nil, nil, err
	}
	d, err := ldap.ParseDN(dn)
	if err != nil {
		return nil, nil, &ldapconn.DNError{DN: dn, Reason: err.Error()}
	}
	var best *namingContext
	for _, nc := range e.ncs {
		if nc.parsed.EqualFold(d) || nc.parsed.AncestorOfFold(d) {
			if best == nil || len(nc.parsed.RDNs) > len(best.parsed.RDNs) {
				best = nc
			}
		}
	}
	if best == nil {
		return nil, nil, &OutsideDomainError{DN: dn, NamingContexts: e.NamingContexts()}
	}
	for _, o := range e.otherNCs {
		if len(o.RDNs) > len(best.parsed.RDNs) && (o.EqualFold(d) || o.AncestorOfFold(d)) {
			return nil, nil, &OutsideDomainError{DN: dn, NamingContexts: e.NamingContexts(), Inside: o.String()}
		}
	}
	return best, d, nil
}

// parentDN returns the DN of d's parent.
func parentDN(d *ldap.DN) *ldap.DN { return &ldap.DN{RDNs: d.RDNs[1:]} }

// chainTo returns d, its parent, ... up to and including the naming context's head.
func chainTo(d *ldap.DN, nc *namingContext) []string {
	var out []string
	for cur := d; len(cur.RDNs) >= len(nc.parsed.RDNs); cur = parentDN(cur) {
		if len(cur.RDNs) == len(nc.parsed.RDNs) {
			out = append(out, nc.dn)
			break
		}
		out = append(out, cur.String())
	}
	return out
}

// readSD reads dn's nTSecurityDescriptor with flags, plus attrs.
func (e *Engine) readSD(ctx context.Context, dn string, flags ldapconn.SDFlags, attrs ...string) (*ldap.Entry, []byte, *secdesc.SecurityDescriptor, error) {
	all := append([]string{ldapconn.AttrSecurityDescriptor}, attrs...)
	entry, err := e.conn.SearchOne(ctx, dn, all, []ldap.Control{ldapconn.SDFlagsControl(flags)})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("writeback: read the descriptor of %q: %w", dn, err)
	}
	raw := entry.GetEqualFoldRawAttributeValue(ldapconn.AttrSecurityDescriptor)
	if len(raw) == 0 {
		return nil, nil, nil, &ldapconn.OpError{Op: "read nTSecurityDescriptor", DN: dn, Err: ldapconn.ErrNoSecurityDescriptor}
	}
	sd, err := secdesc.Parse(raw)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("writeback: the descriptor of %q: %w", dn, err)
	}
	return entry, raw, sd, nil
}

// Principal resolves an account (the connector) by DN, sAMAccountName
// (optionally DOMAIN\name), userPrincipalName or SID (S-1-5-...) and reads its
// tokenGroups. Results are cached for Config.PrincipalTTL.
func (e *Engine) Principal(ctx context.Context, identity string) (*Principal, error) {
	key := strings.ToLower(strings.TrimSpace(identity))
	if e.ttl > 0 {
		e.mu.Lock()
		c, ok := e.principals[key]
		e.mu.Unlock()
		if ok && e.now().Sub(c.at) < e.ttl {
			return c.p, nil
		}
	}
	entry, _, err := e.resolve(ctx, identity, "(objectSid=*)", []string{"sAMAccountName", "objectSid"})
	if err != nil {
		return nil, err
	}
	sid, err := secdesc.SIDFromBytes(entry.GetEqualFoldRawAttributeValue("objectSid"))
	if err != nil {
		return nil, fmt.Errorf("writeback: objectSid of %q: %w", entry.DN, err)
	}
	groups, err := e.conn.TokenGroups(ctx, entry.DN)
	if err != nil {
		return nil, fmt.Errorf("writeback: %w", err)
	}
	p := &Principal{DN: entry.DN, SAMAccountName: entry.GetEqualFoldAttributeValue("sAMAccountName"), SID: sid, Groups: groups}
	if e.ttl > 0 {
		e.mu.Lock()
		e.principals[key] = cachedPrincipal{p: p, at: e.now()}
		e.mu.Unlock()
	}
	return p, nil
}

// resolve finds the one object named by identity that matches filter: a DN
// (read directly), a SID, a userPrincipalName, or a sAMAccountName (DOMAIN\
// prefix allowed), searched in the configured domains with escaped filters.
func (e *Engine) resolve(ctx context.Context, identity, filter string, attrs []string) (*ldap.Entry, *namingContext, error) {
	return e.resolveWith(ctx, identity, filter, attrs, nil)
}

// resolveWith is resolve with controls sent along (the SD flags control).
func (e *Engine) resolveWith(ctx context.Context, identity, filter string, attrs []string, controls []ldap.Control) (*ldap.Entry, *namingContext, error) {
	id := strings.TrimSpace(identity)
	if id == "" {
		return nil, nil, errors.New("writeback: empty account name")
	}
	var idFilter string
	switch {
	case len(id) > 4 && strings.EqualFold(id[:4], "S-1-"):
		sid, err := secdesc.ParseSID(id)
		if err != nil {
			return nil, nil, fmt.Errorf("writeback: %q: %w", id, err)
		}
		b, _ := sid.MarshalBinary()
		idFilter = "(objectSid=" + escapeBinary(b) + ")"
	case strings.Contains(id, "=") && ldapconn.ValidateDN(id) == nil:
		nc, _, err := e.domainOf(id)
		if err != nil {
			return nil, nil, err
		}
		var entry *ldap.Entry
		err = e.conn.Search(ctx, id, ldapconn.ScopeBase, filter, attrs, controls, func(en *ldap.Entry) error {
			entry = en
			return nil
		})
		if errors.Is(err, ldapconn.ErrNoSuchObject) || (err == nil && entry == nil) {
			return nil, nil, fmt.Errorf("writeback: %q: %w", id, ErrNotFound)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("writeback: read %q: %w", id, err)
		}
		return entry, nc, nil
	case strings.Contains(id, "@"):
		idFilter = ldapconn.EqualityFilter("userPrincipalName", id)
	default:
		if i := strings.LastIndexByte(id, '\\'); i >= 0 {
			id = id[i+1:]
		}
		idFilter = ldapconn.EqualityFilter("sAMAccountName", id)
	}
	full := "(&" + filter + idFilter + ")"
	var (
		found []*ldap.Entry
		where *namingContext
	)
	for _, nc := range e.ncs {
		err := e.conn.Search(ctx, nc.dn, ldapconn.ScopeSubtree, full, attrs, controls, func(en *ldap.Entry) error {
			found = append(found, en)
			where = nc
			if len(found) > 1 {
				return ErrAmbiguous
			}
			return nil
		})
		if errors.Is(err, ErrAmbiguous) {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("writeback: find %q: %w", identity, err)
		}
	}
	switch len(found) {
	case 0:
		return nil, nil, fmt.Errorf("writeback: %q: %w", identity, ErrNotFound)
	case 1:
		return found[0], where, nil
	}
	return nil, nil, fmt.Errorf("writeback: %q matches %q and %q: %w", identity, found[0].DN, found[1].DN, ErrAmbiguous)
}

// escapeBinary writes every byte as \xx, as RFC 4515 allows for any value.
func escapeBinary(b []byte) string {
	const hex = "0123456789abcdef"
	out := make([]byte, 0, 3*len(b))
	for _, c := range b {
		out = append(out, '\\', hex[c>>4], hex[c&0xf])
	}
	return string(out)
}

// defaultACEs returns the explicit ACEs a new object of class (lDAPDisplayName)
// gets from the schema's defaultSecurityDescriptor, in canonical order.
func (e *Engine) defaultACEs(ctx context.Context, class string, nc *namingContext) ([]secdesc.ACE, error) {
	e.mu.Lock()
	d, ok := e.defaults[class]
	e.mu.Unlock()
	if ok {
		return d.aces, d.err
	}
	d = &defaultSD{}
	var sddl string
	err := e.conn.Search(ctx, e.schemaNC, ldapconn.ScopeOneLevel,
		"(&(objectClass=classSchema)"+ldapconn.EqualityFilter("lDAPDisplayName", class)+")",
		[]string{"defaultSecurityDescriptor"}, nil, func(en *ldap.Entry) error {
			sddl = en.GetEqualFoldAttributeValue("defaultSecurityDescriptor")
			return nil
		})
	switch {
	case err != nil:
		d.err = fmt.Errorf("writeback: read the defaultSecurityDescriptor of class %s: %w", class, err)
	case sddl == "":
		d.err = fmt.Errorf("writeback: class %s has no defaultSecurityDescriptor", class)
	default:
		sd, perr := nc.sddl.Parse(sddl)
		if perr != nil {
			d.err = fmt.Errorf("writeback: defaultSecurityDescriptor of class %s: %w", class, perr)
		} else if sd.DACL != nil {
			acl := sd.DACL.Clone()
			acl.Canonicalize()
			d.aces = acl.ACEs
		}
	}
	if d.err != nil && ctx.Err() != nil {
		return nil, d.err // do not remember a cancelled read
	}
	e.mu.Lock()
	e.defaults[class] = d
	e.mu.Unlock()
	return d.aces, d.err
}

// uacDisabled is ACCOUNTDISABLE in userAccountControl.
const uacDisabled = 0x2

func parseUint32(s string) uint32 {
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0
	}
	return uint32(v)
}
