// Package sambatest gives tests the Samba AD DC that scripts/samba-test.sh
// runs, and describes the domain it seeds (testdata/samba).
//
//	scripts/samba-test.sh start; eval "$(scripts/samba-test.sh env)"
//	go test ./...
//
// Without the HYBRIDKIT_TEST_LDAP_* variables Env skips the test, or fails it
// when CI=true, so that CI cannot pass by skipping.
package sambatest

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hybridkit/hybridkit/platform/secret"
	"github.com/hybridkit/hybridkit/services/directory/ldapconn"
	"github.com/hybridkit/hybridkit/services/directory/secdesc"
)

// HowToStart is what to run when the DC's settings are missing.
const HowToStart = `run scripts/samba-test.sh start; eval "$(scripts/samba-test.sh env)"`

// Settings are the test DC's connection settings and well-known accounts,
// from the HYBRIDKIT_TEST_LDAP_* environment.
type Settings struct {
	URL         string // ldaps://127.0.0.2:636
	StartTLSURL string // ldap://127.0.0.2:389
	CAFile      string // the test CA that issued the DC's certificate
	ServerName  string // dc1.hybrid.test, a name in the DC's certificate

	BindDN   string // Administrator
	Password string
	Domain   string // NetBIOS domain name, for NTLM: HYBRID
	Realm    string // HYBRID.TEST

	BaseDN    string      // DC=hybrid,DC=test
	DomainSID secdesc.SID // fixed: S-1-5-21-2914541329-1306453702-1592347412

	ConnectorDN             string // CN=MSOL_0123456789ab,CN=Users,...
	ConnectorPassword       string
	CustomConnectorDN       string // CN=svc-aadconnect,OU=Service Accounts,...
	CustomConnectorPassword string
	UserPassword            string // every other seeded user's password
	GrantedOU               string // OU=Staff,...: the only scope with Entra Connect's grants

	// ExtraUsers is how many generated users samba-test.sh start --users
	// added under OU=Bulk,OU=Staff (200 per OU: OU=Bulk001,OU=Bulk,OU=Staff...).
	ExtraUsers int
}

// Env returns the test DC's settings. When they are not set it skips tb, or
// fails it if CI=true.
func Env(tb testing.TB) Settings {
	tb.Helper()
	get := func(name string) string { return os.Getenv("HYBRIDKIT_TEST_LDAP_" + name) }
	s := Settings{
		URL:                     get("URL"),
		StartTLSURL:             get("STARTTLS_URL"),
		CAFile:                  get("CA"),
		ServerName:              get("SERVER_NAME"),
		BindDN:                  get("BIND_DN"),
		Password:                get("PASSWORD"),
		Domain:                  get("DOMAIN"),
		Realm:                   get("REALM"),
		BaseDN:                  get("BASE_DN"),
		ConnectorDN:             get("CONNECTOR_DN"),
		ConnectorPassword:       get("CONNECTOR_PASSWORD"),
		CustomConnectorDN:       get("CUSTOM_CONNECTOR_DN"),
		CustomConnectorPassword: get("CUSTOM_CONNECTOR_PASSWORD"),
		UserPassword:            get("USER_PASSWORD"),
		GrantedOU:               get("GRANTED_OU"),
	}
	if s.URL == "" || s.BindDN == "" || s.Password == "" || s.BaseDN == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("the test Samba AD DC is not configured (HYBRIDKIT_TEST_LDAP_URL etc. unset) and CI=true: %s", HowToStart)
		}
		tb.Skipf("no test Samba AD DC: %s", HowToStart)
	}
	sid, err := secdesc.ParseSID(get("DOMAIN_SID"))
	if err != nil {
		tb.Fatalf("HYBRIDKIT_TEST_LDAP_DOMAIN_SID: %v", err)
	}
	s.DomainSID = sid
	if v := get("EXTRA_USERS"); v != "" {
		if s.ExtraUsers, err = strconv.Atoi(v); err != nil {
			tb.Fatalf("HYBRIDKIT_TEST_LDAP_EXTRA_USERS: %v", err)
		}
	}
	return s
}

// Config is an LDAPS configuration that binds as Administrator.
func (s Settings) Config() ldapconn.Config {
	return ldapconn.Config{
		URL:        s.URL,
		CAFile:     s.CAFile,
		ServerName: s.ServerName,
		BindDN:     s.BindDN,
		Password:   secret.New(s.Password),
		Timeout:    20 * time.Second,
	}
}

// ConnectorConfig is an LDAPS configuration that binds as the MSOL_ connector
// account.
func (s Settings) ConnectorConfig() ldapconn.Config {
	c := s.Config()
	c.BindDN, c.Password = s.ConnectorDN, secret.New(s.ConnectorPassword)
	return c
}

// Dial connects with cfg and closes the connection when tb ends.
func Dial(tb testing.TB, cfg ldapconn.Config) *ldapconn.Conn {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := ldapconn.Dial(ctx, cfg)
	if err != nil {
		tb.Fatalf("dial %s: %v", cfg.URL, err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// DN returns rel (a DN relative to the domain, such as "OU=Staff") with the
// base DN appended.
func (s Settings) DN(rel string) string {
	if rel == "" {
		return s.BaseDN
	}
	return rel + "," + s.BaseDN
}

// SID returns the SID of the domain account with relative ID rid.
func (s Settings) SID(rid uint32) secdesc.SID {
	sid, err := s.DomainSID.Child(rid)
	if err != nil {
		panic(err) // a domain SID has 4 sub-authorities: Child cannot fail
	}
	return sid
}

// Why a seeded user's password writeback will or will not work for the MSOL_
// connector (see testdata/samba/README.md).
const (
	WritebackWorks    = "works"
	WritebackNoGrant  = "no grant in scope"
	WritebackDenied   = "explicit deny"
	WritebackBlocked  = "inheritance blocked"
	WritebackProtects = "AdminSDHolder (adminCount=1)"
)

// User is a seeded user account.
type User struct {
	SAMAccountName string
	RDN            string // DN relative to the domain
	AdminCount     bool   // adminCount=1
	Protected      bool   // DACL_PROTECTED (control 0x9404)
	Writeback      string // Writeback* constant: what the audit should conclude
}

// Users are the seeded accounts (testdata/samba/20-users.ldif and acl.txt)
// and the ones provisioning creates, in no particular order.
var Users = []User{
	{"svc-backup", "CN=svc-backup,OU=Service Accounts", false, false, WritebackNoGrant},
	{"svc-aadconnect", "CN=svc-aadconnect,OU=Service Accounts", false, false, WritebackNoGrant},
	{"quinn.quigley", "CN=Quinn Quigley,CN=Users", false, false, WritebackNoGrant},
	{"MSOL_0123456789ab", "CN=MSOL_0123456789ab,CN=Users", false, false, WritebackNoGrant},
	{"kiosk.reception", "CN=Kiosk Reception,CN=Users", false, false, WritebackNoGrant},
	{"alice.archer", "CN=Alice Archer,OU=Staff", false, false, WritebackWorks},
	{"bob.baker", "CN=Bob Baker,OU=Staff", false, false, WritebackWorks},
	{"carol.chen", "CN=Carol Chen,OU=Staff", false, false, WritebackWorks},
	{"dave.doyle", "CN=Dave Doyle,OU=Staff", false, true, WritebackBlocked},
	{"erin.evans", "CN=Erin Evans,OU=Staff", false, false, WritebackDenied},
	{"frank.foster", "CN=Frank Foster,OU=Staff", false, false, WritebackWorks},
	{"grace.green", "CN=Grace Green,OU=Staff", true, true, WritebackProtects},
	{"henry.hill", "CN=Henry Hill,OU=Staff", false, false, WritebackWorks},
	{"ivy.irwin", "CN=Ivy Irwin,OU=Sales,OU=Staff", false, false, WritebackWorks},
	{"jack.jones", "CN=Jack Jones,OU=Sales,OU=Staff", false, false, WritebackWorks},
	{"kate.king", "CN=Kate King,OU=Sales,OU=Staff", false, false, WritebackWorks},
	{"liam.lopez", "CN=Liam Lopez,OU=Sales,OU=Staff", false, false, WritebackWorks},
	{"mia.moore", "CN=Mia Moore,OU=Sales,OU=Staff", false, false, WritebackWorks},
	{"noah.nash", "CN=Noah Nash,OU=Sales,OU=Staff", false, false, WritebackWorks},
	{"olivia.owens", "CN=Olivia Owens,OU=Sales,OU=Staff", false, false, WritebackWorks},
	{"paul.parker", "CN=Paul Parker,OU=Sales,OU=Staff", false, false, WritebackWorks},
	{"helpdesk01", "CN=Helpdesk Operator,OU=Admins", false, false, WritebackNoGrant},
	{"adm-alice", "CN=Alice Archer (admin),OU=Admins", true, true, WritebackProtects},
	{"adm-bob", "CN=Bob Baker (admin),OU=Admins", true, true, WritebackProtects},
	// Made by provisioning.
	{"Administrator", "CN=Administrator,CN=Users", true, true, WritebackProtects},
	{"krbtgt", "CN=krbtgt,CN=Users", true, true, WritebackProtects},
	{"Guest", "CN=Guest,CN=Users", false, false, WritebackNoGrant},
	{"dns-DC1", "CN=dns-DC1,CN=Users", false, false, WritebackNoGrant},
}

// ConnectorRID is the relative ID of MSOL_0123456789ab in a fresh
// provision, the same as in secdesc's constructed fixtures.
const ConnectorRID = 1105

// Group is a seeded group and its direct members (RDNs).
type Group struct {
	Name    string // sAMAccountName
	RDN     string
	Members []string
}

// Groups are the seeded groups (testdata/samba/30-groups.ldif). Domain
// Admins also holds adm-alice and Tier 0 Admins.
var Groups = []Group{
	{"Entra Connect Accounts", "CN=Entra Connect Accounts,OU=Service Accounts",
		[]string{"CN=MSOL_0123456789ab,CN=Users", "CN=svc-aadconnect,OU=Service Accounts"}},
	{"Directory Sync Operators", "CN=Directory Sync Operators,OU=Service Accounts",
		[]string{"CN=Entra Connect Accounts,OU=Service Accounts"}},
	{"Tier 0 Admins", "CN=Tier 0 Admins,OU=Admins", []string{"CN=Bob Baker (admin),OU=Admins"}},
	{"Sales Team", "CN=Sales Team,OU=Sales,OU=Staff", []string{
		"CN=Ivy Irwin,OU=Sales,OU=Staff", "CN=Jack Jones,OU=Sales,OU=Staff",
		"CN=Kate King,OU=Sales,OU=Staff", "CN=Liam Lopez,OU=Sales,OU=Staff",
		"CN=Mia Moore,OU=Sales,OU=Staff", "CN=Noah Nash,OU=Sales,OU=Staff",
		"CN=Olivia Owens,OU=Sales,OU=Staff", "CN=Paul Parker,OU=Sales,OU=Staff"}},
	{"All Staff", "CN=All Staff,OU=Staff", []string{
		"CN=Alice Archer,OU=Staff", "CN=Bob Baker,OU=Staff", "CN=Carol Chen,OU=Staff",
		"CN=Dave Doyle,OU=Staff", "CN=Erin Evans,OU=Staff", "CN=Frank Foster,OU=Staff",
		"CN=Grace Green,OU=Staff", "CN=Henry Hill,OU=Staff", "CN=Sales Team,OU=Sales,OU=Staff"}},
	{"Helpdesk", "CN=Helpdesk,OU=Admins", []string{"CN=Helpdesk Operator,OU=Admins"}},
}

// SeededUser returns the seeded user with that sAMAccountName.
func SeededUser(tb testing.TB, sam string) User {
	tb.Helper()
	for _, u := range Users {
		if strings.EqualFold(u.SAMAccountName, sam) {
			return u
		}
	}
	tb.Fatalf("no seeded user %q", sam)
	return User{}
}
