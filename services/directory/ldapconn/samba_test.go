package ldapconn_test

// Tests against the Samba AD DC of scripts/samba-test.sh (see
// internal/sambatest): they skip without it, and fail without it when CI=true.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/hybridkit/hybridkit/platform/secret"
	"github.com/hybridkit/hybridkit/services/directory/internal/sambatest"
	"github.com/hybridkit/hybridkit/services/directory/ldapconn"
	"github.com/hybridkit/hybridkit/services/directory/secdesc"
)

const usersFilter = "(&(objectCategory=person)(objectClass=user))"

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func TestDialLDAPS(t *testing.T) {
	t.Parallel()
	s := sambatest.Env(t)
	c := sambatest.Dial(t, s.Config())

	state, ok := c.TLSConnectionState()
	if !ok {
		t.Fatal("LDAPS connection is not TLS")
	}
	if state.Version < tls.VersionTLS12 {
		t.Errorf("TLS version %x, want 1.2 or later", state.Version)
	}
	if len(state.VerifiedChains) == 0 {
		t.Fatal("the server certificate was not verified")
	}
	if got := state.PeerCertificates[0].VerifyHostname(s.ServerName); got != nil {
		t.Errorf("server certificate does not name %s: %v", s.ServerName, got)
	}

	root, err := c.RootDSE(testContext(t))
	if err != nil {
		t.Fatalf("RootDSE: %v", err)
	}
	if !strings.EqualFold(root.DefaultNamingContext, s.BaseDN) {
		t.Errorf("defaultNamingContext %q, want %q", root.DefaultNamingContext, s.BaseDN)
	}
	if root.DomainSID != s.DomainSID {
		t.Errorf("domain SID %s, want %s", root.DomainSID, s.DomainSID)
	}
	wantNC := []string{s.BaseDN, "CN=Configuration," + s.BaseDN, "CN=Schema,CN=Configuration," + s.BaseDN}
	for _, nc := range wantNC {
		if !slices.ContainsFunc(root.NamingContexts, func(x string) bool { return strings.EqualFold(x, nc) }) {
			t.Errorf("namingContexts %q lack %q", root.NamingContexts, nc)
		}
	}
	if !strings.EqualFold(root.ConfigurationNamingContext, wantNC[1]) || !strings.EqualFold(root.SchemaNamingContext, wantNC[2]) {
		t.Errorf("configuration/schema naming contexts %q / %q", root.ConfigurationNamingContext, root.SchemaNamingContext)
	}
	if !strings.EqualFold(root.DNSHostName, s.ServerName) {
		t.Errorf("dnsHostName %q, want %q", root.DNSHostName, s.ServerName)
	}
	for _, oid := range []string{ldap.ControlTypePaging, ldap.ControlTypeMicrosoftSDFlags} {
		if !slices.Contains(root.SupportedControls, oid) {
			t.Errorf("the DC does not announce control %s", oid)
		}
	}
}

func TestDialStartTLS(t *testing.T) {
	t.Parallel()
	s := sambatest.Env(t)
	cfg := s.Config()
	cfg.URL, cfg.StartTLS = s.StartTLSURL, true
	c := sambatest.Dial(t, cfg)
	if state, ok := c.TLSConnectionState(); !ok || len(state.VerifiedChains) == 0 {
		t.Fatalf("StartTLS connection not encrypted and verified (ok=%v)", ok)
	}
	// Bound as Administrator: a subtree search of the domain works, which AD
	// refuses to anonymous connections.
	n := countUsers(t, c, s.BaseDN)
	if n < len(sambatest.Users) {
		t.Errorf("found %d users over StartTLS, want at least %d", n, len(sambatest.Users))
	}
}

func TestDialWrongCA(t *testing.T) {
	t.Parallel()
	s := sambatest.Env(t)
	cfg := s.Config()
	cfg.CAFile = writeOtherCA(t)
	_, err := ldapconn.Dial(testContext(t), cfg)
	if err == nil {
		t.Fatal("Dial trusted a certificate the configured CA did not issue")
	}
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		t.Fatalf("Dial = %v, want an x509.UnknownAuthorityError", err)
	}
	for _, want := range []string{"TLS handshake", "certificate signed by unknown authority", cfg.CAFile} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}

	// The same over StartTLS.
	cfg.URL, cfg.StartTLS = s.StartTLSURL, true
	if _, err := ldapconn.Dial(testContext(t), cfg); !errors.As(err, &unknown) {
		t.Fatalf("StartTLS Dial = %v, want an x509.UnknownAuthorityError", err)
	}
}

func TestDialWrongServerName(t *testing.T) {
	t.Parallel()
	s := sambatest.Env(t)
	cfg := s.Config()
	cfg.ServerName = "dc7.elsewhere.test"
	_, err := ldapconn.Dial(testContext(t), cfg)
	var hostname x509.HostnameError
	if !errors.As(err, &hostname) {
		t.Fatalf("Dial = %v, want an x509.HostnameError", err)
	}
	if !strings.Contains(err.Error(), "set ServerName") {
		t.Errorf("error %q does not say what to fix", err)
	}
}

// TestPlaintext: without the flag ldap:// is refused before any packet is
// sent; with it the connection is made in clear, and the DC (like any AD DC
// that requires signing) refuses a simple bind on it.
func TestPlaintext(t *testing.T) {
	t.Parallel()
	s := sambatest.Env(t)
	cfg := s.Config()
	cfg.URL, cfg.CAFile, cfg.ServerName = s.StartTLSURL, "", ""
	if _, err := ldapconn.Dial(testContext(t), cfg); err == nil || !strings.Contains(err.Error(), "in clear") {
		t.Fatalf("Dial(ldap:// without StartTLS) = %v, want a refusal", err)
	}

	anon := ldapconn.Config{URL: s.StartTLSURL, InsecurePlaintext: true}
	c := sambatest.Dial(t, anon)
	if _, ok := c.TLSConnectionState(); ok {
		t.Error("InsecurePlaintext connection claims TLS")
	}
	root, err := c.RootDSE(testContext(t))
	if err != nil {
		t.Fatalf("anonymous RootDSE in clear: %v", err)
	}
	if !strings.EqualFold(root.DefaultNamingContext, s.BaseDN) {
		t.Errorf("defaultNamingContext %q", root.DefaultNamingContext)
	}

	cfg.InsecurePlaintext = true
	_, err = ldapconn.Dial(testContext(t), cfg)
	var be *ldapconn.BindError
	if !errors.As(err, &be) || be.ResultCode != ldap.LDAPResultStrongAuthRequired {
		t.Fatalf("simple bind in clear = %v, want result 8 (strong authentication required)", err)
	}
	if strings.Contains(err.Error(), s.Password) {
		t.Fatalf("error reveals the password: %v", err)
	}
}

func TestSimpleBind(t *testing.T) {
	t.Parallel()
	s := sambatest.Env(t)
	tests := []struct {
		name     string
		user     string
		password string
		wantErr  bool
	}{
		{"DN", s.BindDN, s.Password, false},
		{"UPN", "Administrator@" + strings.ToLower(s.Realm), s.Password, false},
		{"connector DN", s.ConnectorDN, s.ConnectorPassword, false},
		{"wrong password", s.BindDN, "Wr0ng-" + s.Password, true},
		{"connector with Administrator's password", s.ConnectorDN, s.Password, true},
		{"no such user", "CN=Nobody,CN=Users," + s.BaseDN, s.Password, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := s.Config()
			cfg.BindDN, cfg.Password = tt.user, secret.New(tt.password)
			c, err := ldapconn.Dial(testContext(t), cfg)
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("bind as %s: %v", tt.user, err)
				}
				defer c.Close()
				if n := countUsers(t, c, s.BaseDN); n < len(sambatest.Users) {
					t.Errorf("bound as %s, found %d users", tt.user, n)
				}
				return
			}
			if err == nil {
				c.Close()
				t.Fatalf("bind as %s with a wrong password succeeded", tt.user)
			}
			if !errors.Is(err, ldapconn.ErrInvalidCredentials) {
				t.Errorf("bind error %v, want ErrInvalidCredentials", err)
			}
			var be *ldapconn.BindError
			if !errors.As(err, &be) || be.User != tt.user || be.Mechanism != "simple" {
				t.Errorf("bind error %#v does not name the user and mechanism", err)
			}
			if strings.Contains(err.Error(), tt.password) || strings.Contains(fmtAll(err), tt.password) {
				t.Fatalf("bind error reveals the password: %v", err)
			}
		})
	}
}

func TestNTLMBind(t *testing.T) {
	t.Parallel()
	s := sambatest.Env(t)
	cfg := s.Config()
	cfg.NTLM, cfg.Domain = true, s.Domain
	cfg.BindDN, cfg.Password = "MSOL_0123456789ab", secret.New(s.ConnectorPassword)
	c := sambatest.Dial(t, cfg)
	accounts, err := c.FindConnectorAccounts(testContext(t), s.BaseDN, nil)
	if err != nil {
		t.Fatalf("search as the NTLM-bound connector: %v", err)
	}
	if len(accounts) != 1 || accounts[0].SAMAccountName != "MSOL_0123456789ab" {
		t.Errorf("connector sees %+v", accounts)
	}

	cfg.Password = secret.New("Wr0ng-" + s.ConnectorPassword)
	_, err = ldapconn.Dial(testContext(t), cfg)
	if !errors.Is(err, ldapconn.ErrInvalidCredentials) {
		t.Fatalf("NTLM bind with a wrong password = %v, want ErrInvalidCredentials", err)
	}
	var be *ldapconn.BindError
	if !errors.As(err, &be) || be.Mechanism != "NTLM" || be.User != s.Domain+`\MSOL_0123456789ab` {
		t.Errorf("NTLM bind error %v does not name DOMAIN\\user", err)
	}
	if strings.Contains(fmtAll(err), cfg.Password.Reveal()) {
		t.Fatalf("NTLM bind error reveals the password: %v", err)
	}
}

func TestPagedSearchAllUsers(t *testing.T) {
	t.Parallel()
	s := sambatest.Env(t)
	cfg := s.Config()
	cfg.PageSize = 5
	c := sambatest.Dial(t, cfg)

	var (
		names          = map[string]bool{}
		pagesAtFirst   int64
		entriesAtFirst int64
	)
	err := c.Search(testContext(t), s.BaseDN, ldapconn.ScopeSubtree, usersFilter,
		[]string{"sAMAccountName"}, nil, func(e *ldap.Entry) error {
			if len(names) == 0 {
				st := c.Stats()
				pagesAtFirst, entriesAtFirst = st.Pages, st.Entries
			}
			names[strings.ToLower(e.GetAttributeValue("sAMAccountName"))] = true
			return nil
		})
	if err != nil {
		t.Fatalf("Search: %v", err)
	}
	want := len(sambatest.Users) + s.ExtraUsers
	if len(names) != want {
		t.Errorf("found %d distinct users, want %d (seeded %d + %d extra)", len(names), want, len(sambatest.Users), s.ExtraUsers)
	}
	for _, u := range sambatest.Users {
		if !names[strings.ToLower(u.SAMAccountName)] {
			t.Errorf("seeded user %s not found", u.SAMAccountName)
		}
	}
	st := c.Stats()
	minPages := int64((want + 4) / 5)
	if st.Pages < minPages || st.Pages > minPages+1 {
		t.Errorf("%d pages of 5 for %d users, want %d (or one more, empty)", st.Pages, want, minPages)
	}
	// Streamed: the first entry reached the callback while only the first
	// page had been asked for.
	if pagesAtFirst != 1 || entriesAtFirst != 1 {
		t.Errorf("at the first entry %d pages requested and %d entries delivered, want 1 and 1", pagesAtFirst, entriesAtFirst)
	}
}

func TestSearchStopsOnCallbackError(t *testing.T) {
	t.Parallel()
	s := sambatest.Env(t)
	cfg := s.Config()
	cfg.PageSize = 5
	c := sambatest.Dial(t, cfg)
	errEnough := errors.New("enough")
	seen := 0
	err := c.Search(testContext(t), s.BaseDN, ldapconn.ScopeSubtree, usersFilter, []string{"cn"}, nil,
		func(*ldap.Entry) error {
			seen++
			if seen == 7 {
				return errEnough
			}
			return nil
		})
	if err != errEnough {
		t.Fatalf("Search = %v, want the callback's own error", err)
	}
	if seen != 7 {
		t.Errorf("callback ran %d times after asking to stop at 7", seen)
	}
	if st := c.Stats(); st.Pages != 2 || st.Retries != 0 {
		t.Errorf("stats %+v: want 2 pages and no retry", st)
	}
	// The connection is still good.
	if n := countUsers(t, c, s.BaseDN); n != len(sambatest.Users)+s.ExtraUsers {
		t.Errorf("after a stopped search, a new one finds %d users", n)
	}
}

func TestSearchContextCancelled(t *testing.T) {
	t.Parallel()
	s := sambatest.Env(t)
	cfg := s.Config()
	cfg.PageSize = 5
	c := sambatest.Dial(t, cfg)
	ctx, cancel := context.WithCancel(testContext(t))
	seen := 0
	err := c.Search(ctx, s.BaseDN, ldapconn.ScopeSubtree, usersFilter, []string{"cn"}, nil,
		func(*ldap.Entry) error {
			seen++
			if seen == 3 {
				cancel()
			}
			return nil
		})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Search = %v after cancel, want context.Canceled", err)
	}
	if seen > 5 {
		t.Errorf("callback ran %d times, past the first page, after the context ended", seen)
	}
	if n := countUsers(t, c, s.BaseDN); n != len(sambatest.Users)+s.ExtraUsers {
		t.Errorf("after a cancelled search, a new one finds %d users", n)
	}
}

func TestSearchErrors(t *testing.T) {
	t.Parallel()
	s := sambatest.Env(t)
	c := sambatest.Dial(t, s.Config())
	ctx := testContext(t)
	noop := func(*ldap.Entry) error { return nil }

	err := c.Search(ctx, "OU=Nowhere,"+s.BaseDN, ldapconn.ScopeSubtree, usersFilter, nil, nil, noop)
	if !errors.Is(err, ldapconn.ErrNoSuchObject) || !strings.Contains(err.Error(), "OU=Nowhere") {
		t.Errorf("search under a missing OU = %v, want ErrNoSuchObject naming it", err)
	}
	err = c.Search(ctx, s.BaseDN, ldapconn.ScopeSubtree, "(&(objectClass=user)", nil, nil, noop)
	if err == nil || !strings.Contains(err.Error(), "invalid filter") {
		t.Errorf("search with an unbalanced filter = %v", err)
	}
	err = c.Search(ctx, s.BaseDN, ldapconn.ScopeSubtree, usersFilter, nil, []ldap.Control{ldap.NewControlPaging(10)}, noop)
	if err == nil || !strings.Contains(err.Error(), "paging control") {
		t.Errorf("search with the caller's own paging control = %v", err)
	}
}

// TestFilterInjection: values are escaped, so a name made of filter syntax
// matches only an account literally named so (there is none).
func TestFilterInjection(t *testing.T) {
	t.Parallel()
	s := sambatest.Env(t)
	c := sambatest.Dial(t, s.Config())
	for _, name := range []string{"*)(objectClass=*", "*", "svc-*", `svc-aadconnect)(|(sAMAccountName=*`, "\x00"} {
		accounts, err := c.FindConnectorAccounts(testContext(t), s.BaseDN, []string{name})
		if err != nil {
			t.Fatalf("FindConnectorAccounts(%q): %v", name, err)
		}
		if len(accounts) != 1 || accounts[0].SAMAccountName != "MSOL_0123456789ab" || accounts[0].Configured {
			t.Errorf("FindConnectorAccounts(%q) = %d accounts (%v), want only the MSOL_ account", name, len(accounts), samNames(accounts))
		}
	}
	// And directly in a search.
	n := 0
	err := c.Search(testContext(t), s.BaseDN, ldapconn.ScopeSubtree,
		"(&(objectClass=user)"+ldapconn.EqualityFilter("sAMAccountName", "*)(objectClass=*")+")",
		[]string{"cn"}, nil, func(*ldap.Entry) error { n++; return nil })
	if err != nil || n != 0 {
		t.Errorf("escaped injection found %d entries (err %v), want none", n, err)
	}
}

func TestMalformedDN(t *testing.T) {
	t.Parallel()
	s := sambatest.Env(t)
	c := sambatest.Dial(t, s.Config())
	ctx := testContext(t)
	before := c.Stats()
	for _, dn := range []string{"", "CN=Alice Archer,,OU=Staff," + s.BaseDN, "Alice Archer", "CN=Alice Archer,OU=Staff," + s.BaseDN + `\`, "*)(objectClass=*"} {
		checks := map[string]error{}
		_, checks["ReadSecurityDescriptor"] = c.ReadSecurityDescriptor(ctx, dn)
		checks["WriteDACL"] = c.WriteDACL(ctx, dn, nil)
		_, checks["TokenGroups"] = c.TokenGroups(ctx, dn)
		_, checks["FindConnectorAccounts"] = c.FindConnectorAccounts(ctx, dn, nil)
		checks["Search"] = c.Search(ctx, dn, ldapconn.ScopeSubtree, "(objectClass=*)", nil, nil, func(*ldap.Entry) error { return nil })
		for op, err := range checks {
			if !errors.Is(err, ldapconn.ErrInvalidDN) {
				t.Errorf("%s(%q) = %v, want ErrInvalidDN", op, dn, err)
				continue
			}
			if !strings.Contains(err.Error(), "invalid DN") || !strings.Contains(err.Error(), strings.TrimSpace(dn)) {
				t.Errorf("%s(%q): unclear error %q", op, dn, err)
			}
		}
	}
	if after := c.Stats(); after.Searches != before.Searches {
		t.Errorf("malformed DNs reached the server: %d searches", after.Searches-before.Searches)
	}
	// Well formed but absent is a different error.
	_, err := c.ReadSecurityDescriptor(ctx, "CN=Nobody,OU=Staff,"+s.BaseDN)
	if !errors.Is(err, ldapconn.ErrNoSuchObject) || errors.Is(err, ldapconn.ErrInvalidDN) {
		t.Errorf("ReadSecurityDescriptor(missing) = %v, want ErrNoSuchObject", err)
	}
}

// TestSecurityDescriptors reads real descriptors and checks that secdesc
// reproduces them byte for byte, and what they say.
func TestSecurityDescriptors(t *testing.T) {
	t.Parallel()
	s := sambatest.Env(t)
	c := sambatest.Dial(t, s.Config())
	ctx := testContext(t)
	connector := s.SID(sambatest.ConnectorRID)
	domainAdmins := s.SID(secdesc.RIDDomainAdmins)

	tests := []struct {
		rdn       string
		control   secdesc.Control
		owner     secdesc.SID
		wantACEs  []string // SDDL of ACEs the DACL must hold
		forbidSID *secdesc.SID
	}{
		{rdn: "", control: 0x8404, owner: secdesc.SIDBuiltinAdministrators},
		{rdn: "OU=Staff", control: 0x8404, owner: domainAdmins, wantACEs: []string{
			"(OA;CIIO;CR;00299570-246d-11d0-a768-00aa006e0529;bf967aba-0de6-11d0-a285-00aa003049e2;" + connector.String() + ")",
			"(OA;CIIO;WP;28630ebf-41d5-11d1-a9c1-0000f80367c1;bf967aba-0de6-11d0-a285-00aa003049e2;" + connector.String() + ")",
			"(OA;CIIO;WP;bf967a0a-0de6-11d0-a285-00aa003049e2;bf967aba-0de6-11d0-a285-00aa003049e2;" + connector.String() + ")",
		}},
		// Samba marks owner and group "defaulted" (0x8407) on objects created
		// without a descriptor, until their DACL is first written (0x8404).
		{rdn: "CN=Alice Archer,OU=Staff", control: 0x8407, owner: domainAdmins, wantACEs: []string{
			// The grants on OU=Staff, inherited.
			"(OA;CIID;CR;00299570-246d-11d0-a768-00aa006e0529;bf967aba-0de6-11d0-a285-00aa003049e2;" + connector.String() + ")",
		}},
		{rdn: "CN=Erin Evans,OU=Staff", control: 0x8404, owner: domainAdmins, wantACEs: []string{
			"(OD;;CR;00299570-246d-11d0-a768-00aa006e0529;;" + connector.String() + ")",
		}},
		{rdn: "CN=Dave Doyle,OU=Staff", control: 0x9404, owner: domainAdmins, forbidSID: &connector},
		{rdn: "CN=Grace Green,OU=Staff", control: 0x9404, owner: domainAdmins, forbidSID: &connector, wantACEs: []string{
			"(OA;;CR;ab721a53-1e2f-11d0-9819-00aa0040529b;;WD)", // AdminSDHolder's Everyone: Change Password
		}},
		{rdn: "CN=Alice Archer (admin),OU=Admins", control: 0x9404, owner: domainAdmins, forbidSID: &connector},
	}
	for _, tt := range tests {
		t.Run(tt.rdn, func(t *testing.T) {
			t.Parallel()
			dn := s.DN(tt.rdn)
			raw, err := c.ReadSecurityDescriptor(ctx, dn)
			if err != nil {
				t.Fatalf("ReadSecurityDescriptor(%s): %v", dn, err)
			}
			sd, err := secdesc.Parse(raw)
			if err != nil {
				t.Fatalf("Parse(%s): %v", dn, err)
			}
			again, err := sd.MarshalBinary()
			if err != nil {
				t.Fatalf("MarshalBinary: %v", err)
			}
			if string(again) != string(raw) {
				t.Fatalf("round trip of %s differs:\nread    % x\nwritten % x", dn, raw, again)
			}
			if sd.Control != tt.control {
				t.Errorf("control %#04x (%s), want %#04x", uint16(sd.Control), sd.Control, uint16(tt.control))
			}
			if sd.Owner == nil || *sd.Owner != tt.owner {
				t.Errorf("owner %v, want %s", sd.Owner, tt.owner)
			}
			if sd.SACL != nil {
				t.Error("SACL returned although SD flags asked for owner, group and DACL only")
			}
			if sd.DACL == nil {
				t.Fatal("no DACL")
			}
			opts := secdesc.SDDLOptions{Domain: s.DomainSID}
			for _, want := range tt.wantACEs {
				ace, err := secdesc.ParseACE(want)
				if err != nil {
					t.Fatalf("ParseACE(%s): %v", want, err)
				}
				if !sd.DACL.Contains(ace) {
					t.Errorf("DACL lacks %s:\n%s", want, opts.Format(sd))
				}
			}
			if tt.forbidSID != nil {
				for _, a := range sd.DACL.ACEs {
					if a.SID == *tt.forbidSID {
						t.Errorf("protected DACL has an ACE for the connector: %s", a)
					}
				}
			}
		})
	}
}

// TestWriteDACL writes a DACL back unchanged, with an owner that differs
// from the object's: SD flags 4 must replace the DACL only.
func TestWriteDACL(t *testing.T) {
	t.Parallel()
	s := sambatest.Env(t)
	c := sambatest.Dial(t, s.Config())
	ctx := testContext(t)
	for _, rdn := range []string{"CN=Erin Evans,OU=Staff", "CN=Dave Doyle,OU=Staff", "OU=Sales,OU=Staff"} {
		dn := s.DN(rdn)
		before, err := c.ReadSecurityDescriptor(ctx, dn)
		if err != nil {
			t.Fatal(err)
		}
		sd, err := secdesc.Parse(before)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.WriteDACL(ctx, dn, before); err != nil {
			t.Fatalf("WriteDACL(%s, unchanged): %v", dn, err)
		}
		after, err := c.ReadSecurityDescriptor(ctx, dn)
		if err != nil {
			t.Fatal(err)
		}
		if string(after) != string(before) {
			t.Errorf("%s changed after writing its own DACL back:\nbefore % x\nafter  % x", dn, before, after)
		}

		// Same DACL, another owner and group: only the DACL may be applied.
		other := sd.Clone()
		everyone := secdesc.SIDEveryone
		other.Owner, other.Group = &everyone, &everyone
		otherBytes, err := other.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.WriteDACL(ctx, dn, otherBytes); err != nil {
			t.Fatalf("WriteDACL(%s, other owner): %v", dn, err)
		}
		final, err := c.ReadSecurityDescriptor(ctx, dn)
		if err != nil {
			t.Fatal(err)
		}
		if string(final) != string(before) {
			got, _ := secdesc.Parse(final)
			t.Errorf("WriteDACL changed more than the DACL of %s: owner %v group %v", dn, got.Owner, got.Group)
		}
	}

	if err := c.WriteDACL(ctx, s.DN("OU=Staff"), []byte{1, 0, 4, 0x80}); err == nil || !strings.Contains(err.Error(), "not a valid security descriptor") {
		t.Errorf("WriteDACL(garbage) = %v", err)
	}
	nullDACL, _ := (&secdesc.SecurityDescriptor{Control: secdesc.ControlSelfRelative | secdesc.ControlDACLPresent}).MarshalBinary()
	if err := c.WriteDACL(ctx, s.DN("OU=Staff"), nullDACL); err == nil || !strings.Contains(err.Error(), "NULL DACL") {
		t.Errorf("WriteDACL(NULL DACL) = %v", err)
	}
}

// TestConnectorCannotWriteDACL: the connector account has no WRITE_DAC; the
// error says so.
func TestConnectorCannotWriteDACL(t *testing.T) {
	t.Parallel()
	s := sambatest.Env(t)
	admin := sambatest.Dial(t, s.Config())
	conn := sambatest.Dial(t, s.ConnectorConfig())
	ctx := testContext(t)
	dn := s.DN("CN=Henry Hill,OU=Staff")
	sd, err := admin.ReadSecurityDescriptor(ctx, dn)
	if err != nil {
		t.Fatal(err)
	}
	err = conn.WriteDACL(ctx, dn, sd)
	if !errors.Is(err, ldapconn.ErrInsufficientAccess) || !strings.Contains(err.Error(), "write DACL") {
		t.Fatalf("connector WriteDACL = %v, want ErrInsufficientAccess", err)
	}
	// It can read the DACL of a user (READ_CONTROL for Authenticated Users).
	if _, err := conn.ReadSecurityDescriptor(ctx, dn); err != nil {
		t.Errorf("connector ReadSecurityDescriptor: %v", err)
	}
}

func TestTokenGroups(t *testing.T) {
	t.Parallel()
	s := sambatest.Env(t)
	c := sambatest.Dial(t, s.Config())
	ctx := testContext(t)
	sids, err := c.TokenGroups(ctx, s.ConnectorDN)
	if err != nil {
		t.Fatalf("TokenGroups: %v", err)
	}
	groupSID := func(rdn string) secdesc.SID {
		e, err := c.SearchOne(ctx, s.DN(rdn), []string{"objectSid"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		sid, err := secdesc.SIDFromBytes(e.GetRawAttributeValue("objectSid"))
		if err != nil {
			t.Fatal(err)
		}
		return sid
	}
	want := map[string]secdesc.SID{
		"Domain Users":                          s.SID(secdesc.RIDDomainUsers),
		"Entra Connect Accounts (direct)":       groupSID("CN=Entra Connect Accounts,OU=Service Accounts"),
		"Directory Sync Operators (nested)":     groupSID("CN=Directory Sync Operators,OU=Service Accounts"),
		"BUILTIN\\Users (through Domain Users)": secdesc.SIDBuiltinUsers,
	}
	for name, sid := range want {
		if !slices.Contains(sids, sid) {
			t.Errorf("tokenGroups lack %s %s: %v", name, sid, sids)
		}
	}
	for name, sid := range map[string]secdesc.SID{
		"the account itself":  s.SID(sambatest.ConnectorRID),
		"Everyone":            secdesc.SIDEveryone,
		"Authenticated Users": secdesc.SIDAuthenticatedUsers,
		"Domain Admins":       s.SID(secdesc.RIDDomainAdmins),
	} {
		if slices.Contains(sids, sid) {
			t.Errorf("tokenGroups hold %s %s", name, sid)
		}
	}

	if _, err := c.TokenGroups(ctx, s.DN("OU=Staff")); err == nil || !strings.Contains(err.Error(), "not a user or computer account") {
		t.Errorf("TokenGroups(an OU) = %v, want an error saying it is not an account", err)
	}

	// adm-bob is a Domain Admin only through Tier 0 Admins.
	bob, err := c.TokenGroups(ctx, s.DN("CN=Bob Baker (admin),OU=Admins"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(bob, s.SID(secdesc.RIDDomainAdmins)) || !slices.Contains(bob, groupSID("CN=Tier 0 Admins,OU=Admins")) {
		t.Errorf("adm-bob's tokenGroups lack Domain Admins or Tier 0 Admins: %v", bob)
	}
}

func TestFindConnectorAccounts(t *testing.T) {
	t.Parallel()
	s := sambatest.Env(t)
	c := sambatest.Dial(t, s.Config())
	ctx := testContext(t)

	for _, custom := range []string{"svc-aadconnect", "SVC-AADCONNECT", s.Domain + `\svc-aadconnect`, "svc-aadconnect@" + strings.ToLower(s.Realm)} {
		accounts, err := c.FindConnectorAccounts(ctx, s.BaseDN, []string{custom, "no-such-account"})
		if err != nil {
			t.Fatalf("FindConnectorAccounts: %v", err)
		}
		if len(accounts) != 2 {
			t.Fatalf("with %q found %v, want MSOL_0123456789ab and svc-aadconnect", custom, samNames(accounts))
		}
		byName := map[string]ldapconn.ConnectorAccount{}
		for _, a := range accounts {
			byName[a.SAMAccountName] = a
		}
		msol, svc := byName["MSOL_0123456789ab"], byName["svc-aadconnect"]
		if !strings.EqualFold(msol.DN, s.ConnectorDN) || msol.SID != s.SID(sambatest.ConnectorRID) ||
			!msol.MSOL || !msol.EntraConnectDescription || msol.Configured || msol.Disabled ||
			!strings.HasPrefix(msol.Description, "Account created by Microsoft Azure Active Directory Connect with installation identifier") {
			t.Errorf("MSOL_ account: %+v", msol)
		}
		if !strings.EqualFold(svc.DN, s.CustomConnectorDN) || svc.SID.IsZero() || svc.MSOL ||
			svc.EntraConnectDescription || !svc.Configured || svc.Disabled || svc.Description == "" {
			t.Errorf("custom connector account (%q): %+v", custom, svc)
		}
		if parent, _ := svc.SID.Parent(); parent != s.DomainSID {
			t.Errorf("custom connector SID %s is not in the domain %s", svc.SID, s.DomainSID)
		}
	}

	// Scoped: nothing under OU=Staff.
	accounts, err := c.FindConnectorAccounts(ctx, s.DN("OU=Staff"), []string{"svc-aadconnect"})
	if err != nil || len(accounts) != 0 {
		t.Errorf("under OU=Staff: %v, %v; want none", samNames(accounts), err)
	}
}

// TestReconnect puts a TCP relay between the client and the DC and cuts
// the connection at different moments.
func TestReconnect(t *testing.T) {
	t.Parallel()
	s := sambatest.Env(t)
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	relay := newRelay(t, u.Host)
	cfg := s.Config()
	cfg.URL = "ldaps://" + relay.addr()
	cfg.ServerName = s.ServerName
	cfg.PageSize = 5
	c := sambatest.Dial(t, cfg)
	ctx := testContext(t)

	if _, err := c.RootDSE(ctx); err != nil {
		t.Fatal(err)
	}

	t.Run("dropped while idle", func(t *testing.T) {
		relay.cut()
		root, err := c.RootDSE(ctx)
		if err != nil || !strings.EqualFold(root.DefaultNamingContext, s.BaseDN) {
			t.Fatalf("RootDSE after the server dropped the connection: %v, %v", root, err)
		}
		if st := c.Stats(); st.Dials != 2 {
			t.Errorf("%d dials, want 2", st.Dials)
		}
	})

	t.Run("dropped during a read", func(t *testing.T) {
		if _, err := c.RootDSE(ctx); err != nil { // a live connection to cut
			t.Fatal(err)
		}
		before := c.Stats()
		relay.cutOnNextRequest()
		raw, err := c.ReadSecurityDescriptor(ctx, s.DN("OU=Staff"))
		if err != nil {
			t.Fatalf("ReadSecurityDescriptor with a drop mid-request: %v", err)
		}
		if _, err := secdesc.Parse(raw); err != nil {
			t.Fatal(err)
		}
		st := c.Stats()
		if st.Retries != before.Retries+1 || st.Dials != before.Dials+1 {
			t.Errorf("retries %d→%d, dials %d→%d: want one retry on one new connection", before.Retries, st.Retries, before.Dials, st.Dials)
		}
	})

	t.Run("dropped during a write", func(t *testing.T) {
		dn := s.DN("CN=Henry Hill,OU=Staff")
		sd, err := c.ReadSecurityDescriptor(ctx, dn)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.RootDSE(ctx); err != nil {
			t.Fatal(err)
		}
		before := c.Stats()
		relay.cutOnNextRequest()
		err = c.WriteDACL(ctx, dn, sd)
		if err == nil {
			t.Fatal("WriteDACL succeeded although its request never reached the server")
		}
		if st := c.Stats(); st.Retries != before.Retries {
			t.Error("a write was retried")
		}
		// The next one reconnects.
		if err := c.WriteDACL(ctx, dn, sd); err != nil {
			t.Fatalf("WriteDACL after the drop: %v", err)
		}
	})

	t.Run("dropped in the middle of a paged search", func(t *testing.T) {
		seen := 0
		err := c.Search(ctx, s.BaseDN, ldapconn.ScopeSubtree, usersFilter, []string{"cn"}, nil,
			func(*ldap.Entry) error {
				seen++
				if seen == 3 {
					relay.cut()
				}
				return nil
			})
		if err == nil {
			t.Fatalf("a search cut after %d entries reported success", seen)
		}
		if seen >= len(sambatest.Users) {
			t.Errorf("saw %d entries: entries were delivered twice", seen)
		}
		// Not retried (the callback had seen entries); the next search works.
		if n := countUsers(t, c, s.BaseDN); n != len(sambatest.Users)+s.ExtraUsers {
			t.Errorf("after the cut, a new search finds %d users", n)
		}
	})
}

func TestClosed(t *testing.T) {
	t.Parallel()
	s := sambatest.Env(t)
	c, err := ldapconn.Dial(testContext(t), s.Config())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if _, err := c.RootDSE(testContext(t)); !errors.Is(err, ldapconn.ErrClosed) {
		t.Errorf("RootDSE after Close = %v, want ErrClosed", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func countUsers(t *testing.T, c *ldapconn.Conn, base string) int {
	t.Helper()
	n := 0
	err := c.Search(testContext(t), base, ldapconn.ScopeSubtree, usersFilter, []string{"1.1"}, nil,
		func(*ldap.Entry) error { n++; return nil })
	if err != nil {
		t.Fatalf("count users: %v", err)
	}
	return n
}

func samNames(accounts []ldapconn.ConnectorAccount) []string {
	var out []string
	for _, a := range accounts {
		out = append(out, a.SAMAccountName)
	}
	return out
}

// fmtAll prints err every way a log might.
func fmtAll(err error) string {
	var b strings.Builder
	for e := err; e != nil; e = errors.Unwrap(e) {
		b.WriteString(e.Error())
		b.WriteString("\n")
	}
	var be *ldapconn.BindError
	if errors.As(err, &be) {
		b.WriteString(be.Diagnostic + be.Reason)
	}
	return b.String()
}

// writeOtherCA writes a CA certificate that did not issue the DC's.
func writeOtherCA(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(42),
		Subject:               pkix.Name{CommonName: "some other CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "other-ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
