package writeback

import (
	"context"
	"fmt"
	"strings"

	"github.com/hybridkit/hybridkit/services/directory/ldapconn"
	"github.com/hybridkit/hybridkit/services/directory/secdesc"
)

// guidDomainDNSClass is the schemaIDGUID of class domainDNS, the class of a
// domain head.
var guidDomainDNSClass, _ = secdesc.ParseGUID("19195a5b-6da0-11d0-afd3-00c04fd930c9")

// SourceDefaultSD is Verdict.Source for an ACE from the schema's
// defaultSecurityDescriptor of class user, which every new user gets as
// explicit ACEs.
const SourceDefaultSD = "defaultSecurityDescriptor of user"

// ScopeAudit says whether the principal has the writeback rights on user
// objects below a scope (the domain root or an OU), judged from the ACEs a
// user created directly under the scope would get: the schema's default ACEs
// for users, then what the scope's DACL passes on (its explicit inheritable
// ACEs and those it inherited from its parents), without looking at any user.
type ScopeAudit struct {
	Scope     string
	Domain    string // the domain's naming context (domain root)
	Principal string // the principal's DN
	// Protected: the scope's DACL blocks inheritance, so nothing set above
	// the scope reaches its users.
	Protected bool
	// Rights are UserRights on a user directly under the scope.
	Rights []Verdict
	// Unexpire is UnexpirePassword on the domain root itself.
	Unexpire Verdict
	// Works: every right in Rights and Unexpire is allowed.
	Works bool
	// Chain lists the DNs whose DACLs were read: the scope first, up to the
	// domain root.
	Chain []string
	// Notes explain verdicts that need it (NP ACEs, a protected scope, a
	// default descriptor that could not be read).
	Notes []string
}

// inheritedEntry is an ACE a child gets from its parent, with where it
// comes from.
type inheritedEntry struct {
	ace    secdesc.ACE
	source string // DN holding it as an explicit ACE
	level  int    // source's position in the chain
	index  int    // its position in source's DACL
	np     bool   // no-propagate: reaches direct children only
}

// inheritToChild returns the ACEs a child object of class class gets from
// parent's DACL as effective (not inherit-only) ACEs, in order: those with CI
// whose InheritedObjectType is unset or class. Each copy is marked inherited;
// with NP it no longer propagates.
func inheritToChild(parent *secdesc.ACL, class secdesc.GUID) (aces []secdesc.ACE, from []int) {
	if parent == nil {
		return nil, nil
	}
	for i := range parent.ACEs {
		a := &parent.ACEs[i]
		if !a.Type.Decoded() || !a.InheritsTo(class) {
			continue
		}
		c := *a
		c.Flags = (c.Flags | secdesc.FlagInherited) &^ secdesc.FlagInheritOnly
		if c.Flags&secdesc.FlagNoPropagateInherit != 0 {
			c.Flags &^= secdesc.FlagContainerInherit | secdesc.FlagObjectInherit | secdesc.FlagNoPropagateInherit
		}
		aces = append(aces, c)
		from = append(from, i)
	}
	return aces, from
}

// sameGrant reports whether a and b grant or deny the same thing to the same
// SID, whatever their inheritance flags: how an inherited copy is matched to
// the explicit ACE it came from.
func sameGrant(a, b *secdesc.ACE) bool {
	return a.Type == b.Type && a.Mask == b.Mask && a.SID == b.SID &&
		guidEq(a.ObjectType, b.ObjectType) && guidEq(a.InheritedObjectType, b.InheritedObjectType)
}

func guidEq(a, b *secdesc.GUID) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// childEntries builds what a user created under chain[0] gets from chain[0]'s
// DACL (chain[0] first, then its parents, as read), naming for each ACE the
// object where it is explicit.
func childEntries(chain []string, dacls []*secdesc.ACL) []inheritedEntry {
	aces, from := inheritToChild(dacls[0], secdesc.GUIDUserClass)
	out := make([]inheritedEntry, len(aces))
	for k := range aces {
		src := &dacls[0].ACEs[from[k]]
		e := inheritedEntry{ace: aces[k], source: chain[0], index: from[k], np: src.Flags&secdesc.FlagNoPropagateInherit != 0}
		if src.IsInherited() {
		up:
			for level := 1; level < len(dacls); level++ {
				if dacls[level] == nil {
					break
				}
				for j := range dacls[level].ACEs {
					anc := &dacls[level].ACEs[j]
					if !anc.IsInherited() && anc.Flags&secdesc.FlagContainerInherit != 0 && sameGrant(anc, src) {
						e.source, e.level, e.index = chain[level], level, j
						break up
					}
				}
			}
		}
		out[k] = e
	}
	return out
}

// AuditScope reports whether p has the writeback rights on the users of
// scope (a DN in a configured domain: the domain root, an OU or a container),
// and Unexpire Password on the domain root.
func (e *Engine) AuditScope(ctx context.Context, p *Principal, scope string) (*ScopeAudit, error) {
	return e.auditScopeWith(ctx, p, scope, nil)
}

// auditScopeWith is AuditScope with the scope's DACL replaced by override
// when it is not nil: how a grant judges a DACL before writing it.
func (e *Engine) auditScopeWith(ctx context.Context, p *Principal, scope string, override *secdesc.ACL) (*ScopeAudit, error) {
	nc, d, err := e.domainOf(scope)
	if err != nil {
		return nil, err
	}
	chain := chainTo(d, nc)
	// dacls[i] is the DACL of chain[i]; above a protected DACL nothing is
	// inherited, so those levels stay nil and unread.
	dacls := make([]*secdesc.ACL, len(chain))
	res := &ScopeAudit{Scope: scope, Domain: nc.dn, Principal: p.DN}
	var rootSD *secdesc.SecurityDescriptor
	for i, dn := range chain {
		var attrs []string
		if i == 0 {
			attrs = []string{"objectClass"}
		}
		en, _, sd, err := e.readSD(ctx, dn, ldapconn.SDFlagsDACL, attrs...)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			for _, c := range en.GetEqualFoldAttributeValues("objectClass") {
				switch strings.ToLower(c) {
				case "user", "computer", "group", "contact":
					return nil, fmt.Errorf("writeback: scope %q is a %s: %w; give the domain root, an OU or a container", scope, c, ErrNotScope)
				}
			}
		}
		if i == 0 && override != nil {
			sd.DACL = override
		}
		dacls[i] = sd.DACL
		res.Chain = append(res.Chain, dn)
		if i == 0 {
			res.Protected = sd.Control&secdesc.ControlDACLProtected != 0
		}
		if i == len(chain)-1 {
			rootSD = sd
		} else if sd.Control&secdesc.ControlDACLProtected != 0 {
			root := chain[len(chain)-1]
			if _, _, rootSD, err = e.readSD(ctx, root, ldapconn.SDFlagsDACL); err != nil {
				return nil, err
			}
			res.Chain = append(res.Chain, root)
			break
		}
	}
	if res.Protected {
		res.Notes = append(res.Notes, fmt.Sprintf("the DACL of %s is protected: nothing granted above it reaches its users", scope))
	}
	defaults, derr := e.defaultACEs(ctx, "user", nc)
	if derr != nil {
		res.Notes = append(res.Notes, derr.Error()+"; judged without the default ACEs")
	}
	inherited := childEntries(chain, dacls)
	aces := make([]secdesc.ACE, 0, len(defaults)+len(inherited))
	aces = append(aces, defaults...)
	for i := range inherited {
		aces = append(aces, inherited[i].ace)
	}
	idx, allow := decide(aces, p.SIDs(false), secdesc.GUIDUserClass, UserRights)
	res.Rights = make([]Verdict, len(UserRights))
	for k, r := range UserRights {
		v := verdictFor(r, idx[k], allow[k], aces, nc.sddl)
		switch i := idx[k]; {
		case i < 0:
		case i < len(defaults):
			v.Source = SourceDefaultSD
		default:
			ie := &inherited[i-len(defaults)]
			v.Source, v.Index, v.Inherited = ie.source, ie.index, true
			v.ACE = nc.sddl.FormatACE(dacls[ie.level].ACEs[ie.index]) // as its source holds it
			if ie.np && v.Decision != Missing {
				res.Notes = append(res.Notes, fmt.Sprintf("%s is decided by a no-propagate ACE of %s: it holds for users directly under %s only", r, ie.source, scope))
			}
		}
		res.Rights[k] = v
	}
	res.Unexpire = Evaluate(rootSD, p.SIDs(false), guidDomainDNSClass, []Right{UnexpirePassword}, nc.sddl)[0]
	if res.Unexpire.Decision != Missing {
		res.Unexpire.Source = nc.dn
	}
	res.Works = res.Unexpire.OK()
	for i := range res.Rights {
		res.Works = res.Works && res.Rights[i].OK()
	}
	return res, nil
}
