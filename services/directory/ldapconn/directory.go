package ldapconn

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-ldap/ldap/v3"

	"github.com/hybridkit/hybridkit/services/directory/secdesc"
)

// RootDSE is what a domain controller says about itself and its domain.
type RootDSE struct {
	DefaultNamingContext       string   // the domain's DN, e.g. DC=example,DC=com
	NamingContexts             []string // domain, configuration, schema, DNS zones...
	ConfigurationNamingContext string
	SchemaNamingContext        string
	RootDomainNamingContext    string // the forest root domain's DN
	DNSHostName                string
	SupportedControls          []string
	// DomainSID is the objectSid of the domain head (DefaultNamingContext);
	// zero on an anonymous connection, which may not read it.
	DomainSID secdesc.SID
}

// RootDSE reads the RootDSE and, when bound, the domain SID (the objectSid
// of the default naming context).
func (c *Conn) RootDSE(ctx context.Context) (*RootDSE, error) {
	attrs := []string{"defaultNamingContext", "namingContexts", "configurationNamingContext",
		"schemaNamingContext", "rootDomainNamingContext", "dnsHostName", "supportedControl"}
	e, err := c.SearchOne(ctx, "", attrs, nil)
	if err != nil {
		return nil, relabel(err, "read RootDSE")
	}
	r := &RootDSE{
		DefaultNamingContext:       e.GetEqualFoldAttributeValue("defaultNamingContext"),
		NamingContexts:             e.GetEqualFoldAttributeValues("namingContexts"),
		ConfigurationNamingContext: e.GetEqualFoldAttributeValue("configurationNamingContext"),
		SchemaNamingContext:        e.GetEqualFoldAttributeValue("schemaNamingContext"),
		RootDomainNamingContext:    e.GetEqualFoldAttributeValue("rootDomainNamingContext"),
		DNSHostName:                e.GetEqualFoldAttributeValue("dnsHostName"),
		SupportedControls:          e.GetEqualFoldAttributeValues("supportedControl"),
	}
	if r.DefaultNamingContext == "" {
		return nil, fmt.Errorf("ldapconn: %s: the RootDSE has no defaultNamingContext (not an AD domain controller?)", c.cfg.URL)
	}
	if c.cfg.BindDN == "" {
		return r, nil // AD lets anonymous connections read the RootDSE only
	}
	head, err := c.SearchOne(ctx, r.DefaultNamingContext, []string{"objectSid"}, nil)
	if err != nil {
		return nil, relabel(err, "read the domain SID of")
	}
	r.DomainSID, err = sidAttr(head, "objectSid")
	if err != nil {
		return nil, &OpError{Op: "read the domain SID of", DN: r.DefaultNamingContext, Err: err}
	}
	return r, nil
}

// TokenGroups returns the SIDs of every security group dn is a member of,
// directly or through nesting, from its constructed tokenGroups attribute
// (read with a base-scope search, the only way AD returns it). As in a logon
// token's group list it lacks the account's own SID, Everyone and
// Authenticated Users: an access check must add them.
func (c *Conn) TokenGroups(ctx context.Context, dn string) ([]secdesc.SID, error) {
	if err := ValidateDN(dn); err != nil {
		return nil, err
	}
	e, err := c.SearchOne(ctx, dn, []string{"tokenGroups"}, nil)
	if err != nil {
		return nil, relabel(err, "read tokenGroups of")
	}
	raw := e.GetEqualFoldRawAttributeValues("tokenGroups")
	if len(raw) == 0 {
		// Every account has at least its primary group.
		return nil, &OpError{Op: "read tokenGroups of", DN: dn, Err: errors.New("none returned: not a user or computer account, or the bind account may not read them")}
	}
	sids := make([]secdesc.SID, 0, len(raw))
	for i, b := range raw {
		sid, err := secdesc.SIDFromBytes(b)
		if err != nil {
			return nil, &OpError{Op: "read tokenGroups of", DN: dn, Err: fmt.Errorf("value %d: %w", i+1, err)}
		}
		sids = append(sids, sid)
	}
	return sids, nil
}

// EntraConnectDescription is how the description of an AD DS connector
// account that Entra Connect (Azure AD Connect) created begins.
const EntraConnectDescription = "Account created by Microsoft Azure Active Directory Connect"

// ConnectorAccount is a candidate Entra Connect AD DS connector account.
type ConnectorAccount struct {
	DN                string
	SAMAccountName    string
	UserPrincipalName string
	SID               secdesc.SID
	Description       string
	// EntraConnectDescription: Description starts like those of the
	// accounts Entra Connect creates (EntraConnectDescription).
	EntraConnectDescription bool
	// MSOL: the name is MSOL_..., as Entra Connect names the accounts it
	// creates.
	MSOL bool
	// Configured: the account is one of the names the caller gave.
	Configured bool
	// Disabled: userAccountControl has ACCOUNTDISABLE.
	Disabled bool
}

// FindConnectorAccounts searches base (subtree) for user accounts named
// MSOL_* (which Entra Connect creates) and for the accounts named in
// extraNames (custom connector accounts): each a sAMAccountName, DOMAIN\name
// or a userPrincipalName (name@suffix). Names are escaped, so wildcards in
// them match only themselves. Accounts come in the order the server returns
// them; names that match nothing are simply not there.
func (c *Conn) FindConnectorAccounts(ctx context.Context, base string, extraNames []string) ([]ConnectorAccount, error) {
	var or strings.Builder
	or.WriteString("(sAMAccountName=MSOL_*)")
	type want struct{ sam, upn string }
	wanted := make([]want, 0, len(extraNames))
	for _, n := range extraNames {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		if i := strings.LastIndexByte(n, '\\'); i >= 0 {
			n = n[i+1:]
		}
		if strings.Contains(n, "@") {
			or.WriteString(EqualityFilter("userPrincipalName", n))
			wanted = append(wanted, want{upn: n})
		} else {
			or.WriteString(EqualityFilter("sAMAccountName", n))
			wanted = append(wanted, want{sam: n})
		}
	}
	// sAMAccountType 805306368 (SAM_USER_OBJECT): user accounts, not
	// computers, gMSAs or groups.
	filter := "(&(sAMAccountType=805306368)(|" + or.String() + "))"
	attrs := []string{"sAMAccountName", "userPrincipalName", "objectSid", "description", "userAccountControl"}
	var out []ConnectorAccount
	err := c.Search(ctx, base, ScopeSubtree, filter, attrs, nil, func(e *ldap.Entry) error {
		a := ConnectorAccount{
			DN:                e.DN,
			SAMAccountName:    e.GetEqualFoldAttributeValue("sAMAccountName"),
			UserPrincipalName: e.GetEqualFoldAttributeValue("userPrincipalName"),
			Description:       e.GetEqualFoldAttributeValue("description"),
		}
		sid, err := sidAttr(e, "objectSid")
		if err != nil {
			return &OpError{Op: "read objectSid of", DN: e.DN, Err: err}
		}
		a.SID = sid
		a.MSOL = len(a.SAMAccountName) > 5 && strings.EqualFold(a.SAMAccountName[:5], "MSOL_")
		a.EntraConnectDescription = len(a.Description) >= len(EntraConnectDescription) &&
			strings.EqualFold(a.Description[:len(EntraConnectDescription)], EntraConnectDescription)
		for _, w := range wanted {
			if (w.sam != "" && strings.EqualFold(w.sam, a.SAMAccountName)) ||
				(w.upn != "" && strings.EqualFold(w.upn, a.UserPrincipalName)) {
				a.Configured = true
			}
		}
		if uac, err := strconv.ParseInt(e.GetEqualFoldAttributeValue("userAccountControl"), 10, 64); err == nil {
			a.Disabled = uac&0x2 != 0
		}
		out = append(out, a)
		return nil
	})
	if err != nil {
		return nil, relabel(err, "find connector accounts under", base)
	}
	return out, nil
}

func sidAttr(e *ldap.Entry, attr string) (secdesc.SID, error) {
	b := e.GetEqualFoldRawAttributeValue(attr)
	if len(b) == 0 {
		return secdesc.SID{}, errors.New("no " + attr)
	}
	return secdesc.SIDFromBytes(b)
}
