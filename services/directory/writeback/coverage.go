package writeback

import (
	"context"
	"fmt"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/hybridkit/hybridkit/services/directory/ldapconn"
	"github.com/hybridkit/hybridkit/services/directory/secdesc"
)

// DefaultMaxFailing is how many failing users Coverage keeps by default.
const DefaultMaxFailing = 1000

// maxPending bounds the users Coverage holds until the end of its search to
// read their parents; past it they are judged without.
const maxPending = 10000

// CoverageOptions tune Coverage.
type CoverageOptions struct {
	// MaxFailing bounds Coverage.FailingUsers (default DefaultMaxFailing;
	// negative keeps none). Counts cover every user whatever the bound.
	MaxFailing int
	// OnUser, when set, is called with every user as it is evaluated, in the
	// order the DC returns them, except that users whose DACL is protected
	// without adminCount=1 and lacks rights come last (their verdict needs
	// their parent's DACL, read after the search). An error from it stops the
	// run and is returned. The UserCheck is the callback's to keep.
	OnUser func(*UserCheck) error
}

// Coverage is the writeback verdict over every user below a scope.
type Coverage struct {
	Scope     string
	Domain    string
	Principal string
	Users     int // users evaluated
	Working   int
	Failing   int
	// ByCause counts failing users by their main reason.
	ByCause map[ReasonCode]int
	// FailingUsers are the failing users, in the order OnUser sees them, up
	// to MaxFailing; FailingOmitted counts the rest.
	FailingUsers   []UserCheck
	FailingOmitted int
	// Unexpire is UnexpirePassword on the domain root.
	Unexpire Verdict
	// AdminSDHolder is what protected (adminCount=1) accounts get.
	AdminSDHolder *AdminSDHolderAudit
	// DistinctDACLs is how many distinct user DACLs were parsed.
	DistinctDACLs int
	Elapsed       time.Duration
}

// AdminSDHolderAudit says whether AdminSDHolder's DACL, which SDProp copies
// onto every protected account, gives the principal the writeback rights.
type AdminSDHolderAudit struct {
	DN string
	// Rights are UserRights on AdminSDHolder itself, as protected accounts
	// will get them ("this object only" ACEs count, inherit-only ones do not).
	Rights []Verdict
	Works  bool
	// InheritOnly lists the principal's ACEs on AdminSDHolder that would grant
	// a writeback right but are inherit-only: they never reach protected
	// accounts.
	InheritOnly []string
}

// AuditAdminSDHolder audits CN=AdminSDHolder,CN=System of domain (a
// configured naming context; "" for the first).
func (e *Engine) AuditAdminSDHolder(ctx context.Context, p *Principal, domain string) (*AdminSDHolderAudit, error) {
	nc := e.ncs[0]
	if domain != "" {
		var err error
		if nc, _, err = e.domainOf(domain); err != nil {
			return nil, err
		}
	}
	return e.auditAdminSDHolder(ctx, p, nc)
}

func adminSDHolderDN(nc *namingContext) string { return "CN=AdminSDHolder,CN=System," + nc.dn }

func (e *Engine) auditAdminSDHolder(ctx context.Context, p *Principal, nc *namingContext) (*AdminSDHolderAudit, error) {
	dn := adminSDHolderDN(nc)
	_, _, sd, err := e.readSD(ctx, dn, ldapconn.SDFlagsDACL)
	if err != nil {
		return nil, err
	}
	return adminSDHolderVerdict(dn, sd, p, nc.sddl), nil
}

func adminSDHolderVerdict(dn string, sd *secdesc.SecurityDescriptor, p *Principal, opts secdesc.SDDLOptions) *AdminSDHolderAudit {
	sids := p.SIDs(false)
	a := &AdminSDHolderAudit{DN: dn, Rights: Evaluate(sd, sids, secdesc.GUIDUserClass, UserRights, opts), Works: true}
	for i := range a.Rights {
		a.Works = a.Works && a.Rights[i].OK()
	}
	if sd.DACL != nil {
		for _, ace := range sd.DACL.ACEs {
			if ace.Flags&secdesc.FlagInheritOnly == 0 || !ace.Type.IsAllow() || !containsSID(sids, ace.SID) {
				continue
			}
			for _, r := range UserRights {
				if r.matches(&ace, secdesc.GUIDUserClass) {
					a.InheritOnly = append(a.InheritOnly, opts.FormatACE(ace))
					break
				}
			}
		}
	}
	return a
}

func containsSID(sids []secdesc.SID, s secdesc.SID) bool {
	for _, x := range sids {
		if x == s {
			return true
		}
	}
	return false
}

// Coverage evaluates every user below scope (subtree, the scope included),
// streaming them in pages so that memory stays bounded whatever their
// number, and reports how many will and will not get their password written
// back, with the failing users and why; plus Unexpire Password on the domain
// root and the state of AdminSDHolder.
func (e *Engine) Coverage(ctx context.Context, p *Principal, scope string, opt CoverageOptions) (*Coverage, error) {
	start := time.Now()
	nc, _, err := e.domainOf(scope)
	if err != nil {
		return nil, err
	}
	if opt.MaxFailing == 0 {
		opt.MaxFailing = DefaultMaxFailing
	}
	res := &Coverage{Scope: scope, Domain: nc.dn, Principal: p.DN, ByCause: map[ReasonCode]int{}}
	_, _, rootSD, err := e.readSD(ctx, nc.dn, ldapconn.SDFlagsDACL)
	if err != nil {
		return nil, err
	}
	res.Unexpire = Evaluate(rootSD, p.SIDs(false), guidDomainDNSClass, []Right{UnexpirePassword}, nc.sddl)[0]
	if res.Unexpire.Decision != Missing {
		res.Unexpire.Source = nc.dn
	}
	if res.AdminSDHolder, err = e.auditAdminSDHolder(ctx, p, nc); err != nil {
		return nil, err
	}

	c := e.newChecker(nc, p)
	count := func(u *UserCheck) error {
		res.Users++
		if u.Works {
			res.Working++
		} else {
			res.Failing++
			res.ByCause[u.Cause]++
			if len(res.FailingUsers) < opt.MaxFailing {
				res.FailingUsers = append(res.FailingUsers, *u)
			} else {
				res.FailingOmitted++
			}
		}
		if opt.OnUser != nil {
			return opt.OnUser(u)
		}
		return nil
	}
	// Users whose verdict needs their parent's DACL wait for the end of the
	// search: a read on the connection while the search streams could stall
	// it. They are rare (protected DACLs without adminCount=1), and bounded
	// by maxPending.
	var pending []*pendingUser
	ctrl := []ldap.Control{ldapconn.SDFlagsControl(ldapconn.SDFlagsDACL)}
	err = e.conn.Search(ctx, scope, ldapconn.ScopeSubtree, usersFilter, userAttrs, ctrl, func(en *ldap.Entry) error {
		u, pu, err := c.check(ctx, en, true)
		if err != nil {
			return err
		}
		switch {
		case pu == nil:
		case len(pending) < maxPending:
			pending = append(pending, pu)
			return nil
		default:
			c.finishReasons(ctx, pu, false)
		}
		return count(u)
	})
	if err != nil {
		return nil, fmt.Errorf("writeback: coverage of %q: %w", scope, err)
	}
	for _, pu := range pending {
		c.finish(ctx, pu)
		if err := count(pu.u); err != nil {
			return nil, fmt.Errorf("writeback: coverage of %q: %w", scope, err)
		}
	}
	res.DistinctDACLs = c.misses
	res.Elapsed = time.Since(start)
	return res, nil
}
