package writeback

import (
	"bytes"
	"context"
	"fmt"
	"hash/maphash"
	"strings"

	"github.com/go-ldap/ldap/v3"

	"github.com/hybridkit/hybridkit/services/directory/ldapconn"
	"github.com/hybridkit/hybridkit/services/directory/secdesc"
)

// ReasonCode says why writeback fails for a user.
type ReasonCode string

// Reasons, most specific first: Cause is the first that applies.
const (
	// ReasonAdminSDHolder: adminCount=1. SDProp gives the account
	// AdminSDHolder's DACL with inheritance disabled, so grants on OUs never
	// reach it (Entra Connect event 33004).
	ReasonAdminSDHolder ReasonCode = "adminsdholder"
	// ReasonDenied: a deny ACE decides a right (Reason.ACE names it).
	ReasonDenied ReasonCode = "explicit-deny"
	// ReasonProtectedDACL: the DACL is protected (control 0x1000,
	// inheritance disabled). As the Cause: what the parent passes on would
	// grant the missing rights.
	ReasonProtectedDACL ReasonCode = "protected-dacl"
	// ReasonMissing: no ACE grants a right.
	ReasonMissing ReasonCode = "missing-right"
)

// Reason is one reason writeback fails (or may fail) for a user.
type Reason struct {
	Code   ReasonCode
	Right  Right  // the right concerned; 0 for adminsdholder and protected-dacl
	ACE    string // the deny ACE, for explicit-deny
	Detail string // a sentence for people
}

// UserCheck is the writeback verdict for one user.
type UserCheck struct {
	DN                 string
	SAMAccountName     string
	SID                secdesc.SID
	AdminCount         bool   // adminCount=1
	UserAccountControl uint32 // as read
	Disabled           bool   // ACCOUNTDISABLE
	Protected          bool   // DACL_PROTECTED: inheritance disabled
	// Rights are UserRights as the user's DACL decides them for the principal.
	// Users with the same DACL share this slice: do not change it.
	Rights []Verdict
	// Works: every right in Rights is allowed.
	Works bool
	// Cause is the main reason writeback fails ("" when it works).
	Cause ReasonCode
	// Reasons lists every reason found, Cause first; a working user may
	// carry a warning (adminCount=1 on an unprotected DACL).
	Reasons []Reason
}

// usersFilter selects user accounts (not computers, contacts or groups).
const usersFilter = "(&(objectCategory=person)(objectClass=user))"

// userAttrs is what a user check reads. Not objectClass: every user is
// judged as class user (which matters only for an ACE whose object type is a
// class), which keeps the coverage read as small as the yardstick's.
var userAttrs = []string{"sAMAccountName", "objectSid", "adminCount", "userAccountControl", ldapconn.AttrSecurityDescriptor}

// daclEval is the evaluation of one distinct user DACL.
type daclEval struct {
	raw       []byte
	class     secdesc.GUID
	verdicts  []Verdict
	protected bool
	works     bool
	explicit  []secdesc.ACE // kept for protected DACLs that fail: the parent check needs them
}

// checker evaluates users for one principal during one call, caching what
// many users share: evaluated DACLs by their bytes and what each parent
// container passes on.
type checker struct {
	e       *Engine
	nc      *namingContext
	p       *Principal
	sids    []secdesc.SID
	seed    maphash.Seed
	cache   map[uint64][]*daclEval
	cached  int
	parents map[string]*parentGrant
	misses  int // DACLs parsed
}

type parentGrant struct {
	aces []secdesc.ACE // what a user under it inherits
	err  error
}

func (e *Engine) newChecker(nc *namingContext, p *Principal) *checker {
	return &checker{
		e: e, nc: nc, p: p, sids: p.SIDs(false), seed: maphash.MakeSeed(),
		cache: map[uint64][]*daclEval{}, parents: map[string]*parentGrant{},
	}
}

// evalDACL returns the evaluation of raw (a descriptor read with SD flags 4)
// for a user of class; self when the user is the principal itself.
func (c *checker) evalDACL(raw []byte, class secdesc.GUID, self bool) (*daclEval, error) {
	var h uint64
	if !self {
		h = maphash.Bytes(c.seed, raw)
		for _, d := range c.cache[h] {
			if d.class == class && bytes.Equal(d.raw, raw) {
				return d, nil
			}
		}
	}
	c.misses++
	sd, err := secdesc.Parse(raw)
	if err != nil {
		return nil, err
	}
	d := &daclEval{class: class, protected: sd.Control&secdesc.ControlDACLProtected != 0}
	d.verdicts = Evaluate(sd, c.p.SIDs(self), class, UserRights, c.nc.sddl)
	d.works = true
	for i := range d.verdicts {
		d.works = d.works && d.verdicts[i].OK()
	}
	if d.protected && !d.works && sd.DACL != nil {
		for _, a := range sd.DACL.ACEs {
			if !a.IsInherited() {
				d.explicit = append(d.explicit, a)
			}
		}
	}
	if !self && c.cached < c.e.cacheSize {
		d.raw = bytes.Clone(raw)
		c.cache[h] = append(c.cache[h], d)
		c.cached++
	}
	return d, nil
}

// parentPasses returns what a user of class under parent would inherit.
func (c *checker) parentPasses(ctx context.Context, parent string, class secdesc.GUID) ([]secdesc.ACE, error) {
	key := strings.ToLower(parent) + "|" + class.String()
	if g, ok := c.parents[key]; ok {
		return g.aces, g.err
	}
	g := &parentGrant{}
	_, _, sd, err := c.e.readSD(ctx, parent, ldapconn.SDFlagsDACL)
	if err != nil {
		g.err = err
	} else {
		g.aces, _ = inheritToChild(sd.DACL, class)
	}
	c.parents[key] = g
	return g.aces, g.err
}

// pendingUser is a failing user whose main reason depends on what its parent
// passes on: a DACL that is protected without adminCount=1.
type pendingUser struct {
	u       *UserCheck
	d       *daclEval
	missing []Right
}

// check builds the verdict for one user entry read with userAttrs. For a
// protected DACL that lacks rights the verdict needs the parent's DACL: with
// deferParent (inside a search, where another request on the connection
// could stall the search's stream) it returns the user unfinished as a
// pendingUser for finish; otherwise it reads the parent now.
func (c *checker) check(ctx context.Context, en *ldap.Entry, deferParent bool) (*UserCheck, *pendingUser, error) {
	u := &UserCheck{
		DN:                 en.DN,
		SAMAccountName:     en.GetEqualFoldAttributeValue("sAMAccountName"),
		AdminCount:         en.GetEqualFoldAttributeValue("adminCount") == "1",
		UserAccountControl: parseUint32(en.GetEqualFoldAttributeValue("userAccountControl")),
	}
	u.Disabled = u.UserAccountControl&uacDisabled != 0
	if b := en.GetEqualFoldRawAttributeValue("objectSid"); len(b) > 0 {
		sid, err := secdesc.SIDFromBytes(b)
		if err != nil {
			return nil, nil, fmt.Errorf("writeback: objectSid of %q: %w", en.DN, err)
		}
		u.SID = sid
	}
	raw := en.GetEqualFoldRawAttributeValue(ldapconn.AttrSecurityDescriptor)
	if len(raw) == 0 {
		return nil, nil, &ldapconn.OpError{Op: "read nTSecurityDescriptor", DN: en.DN, Err: ldapconn.ErrNoSecurityDescriptor}
	}
	d, err := c.evalDACL(raw, secdesc.GUIDUserClass, u.SID == c.p.SID)
	if err != nil {
		return nil, nil, fmt.Errorf("writeback: the descriptor of %q: %w", en.DN, err)
	}
	u.Rights, u.Protected, u.Works = d.verdicts, d.protected, d.works
	if u.Works {
		if u.AdminCount && !u.Protected {
			u.Reasons = []Reason{{Code: ReasonAdminSDHolder, Detail: "adminCount=1 on a DACL that still inherits: if the account is in a protected group, SDProp will replace its DACL with AdminSDHolder's within the hour"}}
		}
		return u, nil, nil
	}
	pu := &pendingUser{u: u, d: d}
	for i := range u.Rights {
		if u.Rights[i].Decision == Missing {
			pu.missing = append(pu.missing, u.Rights[i].Right)
		}
	}
	if u.Protected && !u.AdminCount && len(pu.missing) > 0 && deferParent {
		return u, pu, nil
	}
	c.finish(ctx, pu)
	return u, nil, nil
}

// finish sets the reasons of a failing user, reading its parent's DACL when
// its own is protected without adminCount=1.
func (c *checker) finish(ctx context.Context, pu *pendingUser) { c.finishReasons(ctx, pu, true) }

// finishReasons is finish, reading the parent only when readParent.
func (c *checker) finishReasons(ctx context.Context, pu *pendingUser, readParent bool) {
	u := pu.u
	if u.AdminCount {
		u.Reasons = append(u.Reasons, Reason{Code: ReasonAdminSDHolder,
			Detail: "adminCount=1: the account gets AdminSDHolder's DACL with inheritance disabled, so grants on its OU do not reach it"})
	}
	for i := range u.Rights {
		if v := &u.Rights[i]; v.Decision == Denied {
			u.Reasons = append(u.Reasons, Reason{Code: ReasonDenied, Right: v.Right, ACE: v.ACE,
				Detail: fmt.Sprintf("%s is denied by ACE %d %s", v.Right, v.Index, v.ACE)})
		}
	}
	var protected *Reason
	if u.Protected {
		protected = &Reason{Code: ReasonProtectedDACL, Detail: "the DACL is protected (inheritance disabled)"}
		cause := false
		if !u.AdminCount && len(pu.missing) > 0 && !readParent {
			// Too many to hold until the parents can be read: the protection
			// is the likely cause (inheritance disabled by hand).
			protected.Detail += "; its parent's DACL was not read"
			cause = true
		} else if !u.AdminCount && len(pu.missing) > 0 {
			switch ok, err := c.parentWouldGrant(ctx, u.DN, pu.d, pu.missing); {
			case err != nil:
				protected.Detail += fmt.Sprintf("; what its parent would pass on could not be read: %v", err)
			case ok:
				protected.Detail += ": its parent would pass on the missing rights"
				cause = true
			default:
				protected.Detail += "; its parent would not grant the missing rights either"
			}
		}
		if cause {
			u.Reasons = append(u.Reasons, *protected)
			protected = nil
		}
	}
	for _, m := range pu.missing {
		u.Reasons = append(u.Reasons, Reason{Code: ReasonMissing, Right: m, Detail: m.String() + ": no ACE grants it"})
	}
	if protected != nil {
		u.Reasons = append(u.Reasons, *protected)
	}
	u.Cause = u.Reasons[0].Code
}

// parentWouldGrant reports whether the user's explicit ACEs plus what its
// parent passes on would allow every right in missing.
func (c *checker) parentWouldGrant(ctx context.Context, dn string, d *daclEval, missing []Right) (bool, error) {
	pd, err := ldap.ParseDN(dn)
	if err != nil || len(pd.RDNs) < 2 {
		return false, err
	}
	from, err := c.parentPasses(ctx, parentDN(pd).String(), d.class)
	if err != nil {
		return false, err
	}
	aces := make([]secdesc.ACE, 0, len(d.explicit)+len(from))
	aces = append(append(aces, d.explicit...), from...)
	idx, allow := decide(aces, c.sids, d.class, missing)
	for k := range missing {
		if idx[k] < 0 || !allow[k] {
			return false, nil
		}
	}
	return true, nil
}

// CheckUsers gives the writeback verdict of p on each user, named by DN,
// sAMAccountName (DOMAIN\ prefix allowed), userPrincipalName or objectSid
// (S-1-5-21-...). It reads each user's DACL (SD flags 4), adminCount and
// userAccountControl. A name that matches no user fails the call with
// ErrNotFound, one that matches several with ErrAmbiguous.
func (e *Engine) CheckUsers(ctx context.Context, p *Principal, users []string) ([]UserCheck, error) {
	checkers := map[*namingContext]*checker{}
	out := make([]UserCheck, 0, len(users))
	ctrl := []ldap.Control{ldapconn.SDFlagsControl(ldapconn.SDFlagsDACL)}
	for _, id := range users {
		en, nc, err := e.resolveWith(ctx, id, usersFilter, userAttrs, ctrl)
		if err != nil {
			return nil, err
		}
		c := checkers[nc]
		if c == nil {
			c = e.newChecker(nc, p)
			checkers[nc] = c
		}
		u, _, err := c.check(ctx, en, false)
		if err != nil {
			return nil, err
		}
		out = append(out, *u)
	}
	return out, nil
}

// CheckUser is CheckUsers for one user.
func (e *Engine) CheckUser(ctx context.Context, p *Principal, user string) (*UserCheck, error) {
	out, err := e.CheckUsers(ctx, p, []string{user})
	if err != nil {
		return nil, err
	}
	return &out[0], nil
}
