package writeback_test

// Tests against the Samba AD DC of scripts/samba-test.sh (see
// internal/sambatest): they skip without it, and fail without it when CI=true.
//
// The read-only tests run in parallel. The tests that change DACLs do not:
// Go runs every sequential top-level test before the parallel ones, so the
// verdict tests always see the seeded domain, and each writing test puts back
// what it changed (and checks that it did).

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/go-ldap/ldap/v3"

	"github.com/hybridkit/hybridkit/platform/grpctest"
	"github.com/hybridkit/hybridkit/platform/secret"
	"github.com/hybridkit/hybridkit/platform/store"
	"github.com/hybridkit/hybridkit/services/directory/internal/sambatest"
	"github.com/hybridkit/hybridkit/services/directory/ldapconn"
	"github.com/hybridkit/hybridkit/services/directory/secdesc"
	"github.com/hybridkit/hybridkit/services/directory/writeback"
)

func testContext(tb testing.TB) context.Context {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	tb.Cleanup(cancel)
	return ctx
}

// fixture is an engine on the test DC bound as Administrator, with a fresh
// store, and the MSOL_ connector resolved.
type fixture struct {
	s         sambatest.Settings
	conn      *ldapconn.Conn
	store     *store.Store
	engine    *writeback.Engine
	connector *writeback.Principal
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	s := sambatest.Env(tb)
	f := &fixture{s: s, conn: sambatest.Dial(tb, s.Config()), store: grpctest.Store(tb)}
	var err error
	f.engine, err = writeback.New(testContext(tb), writeback.Config{Conn: f.conn, Store: f.store, Logger: grpctest.Logger(tb)})
	if err != nil {
		tb.Fatalf("writeback.New: %v", err)
	}
	f.connector, err = f.engine.Principal(testContext(tb), s.ConnectorDN)
	if err != nil {
		tb.Fatalf("Principal(connector): %v", err)
	}
	return f
}

// wantCause maps sambatest's verdicts to the engine's main reasons.
var wantCause = map[string]writeback.ReasonCode{
	sambatest.WritebackWorks:    "",
	sambatest.WritebackNoGrant:  writeback.ReasonMissing,
	sambatest.WritebackDenied:   writeback.ReasonDenied,
	sambatest.WritebackBlocked:  writeback.ReasonProtectedDACL,
	sambatest.WritebackProtects: writeback.ReasonAdminSDHolder,
}

func TestPrincipal(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := testContext(t)
	p := f.connector
	if p.SID != f.s.SID(sambatest.ConnectorRID) || p.SAMAccountName != "MSOL_0123456789ab" || !strings.EqualFold(p.DN, f.s.ConnectorDN) {
		t.Fatalf("connector resolved as %+v", p)
	}
	domainUsers := f.s.SID(secdesc.RIDDomainUsers)
	if !containsSID(p.Groups, domainUsers) || len(p.Groups) < 3 {
		t.Errorf("tokenGroups %v lack Domain Users or the nested groups", p.Groups)
	}
	sids := p.SIDs(false)
	for _, want := range []secdesc.SID{p.SID, secdesc.SIDEveryone, secdesc.SIDAuthenticatedUsers, domainUsers} {
		if !containsSID(sids, want) {
			t.Errorf("SIDs(false) lacks %s", want)
		}
	}
	if containsSID(sids, secdesc.SIDPrincipalSelf) || !containsSID(p.SIDs(true), secdesc.SIDPrincipalSelf) {
		t.Error("Principal Self must be in SIDs(true) only")
	}
	// Every way of naming it resolves to the same account, filters escaped.
	for _, id := range []string{"MSOL_0123456789ab", `HYBRID\MSOL_0123456789ab`, p.SID.String(), strings.ToUpper(f.s.ConnectorDN)} {
		q, err := f.engine.Principal(ctx, id)
		if err != nil || q.SID != p.SID {
			t.Errorf("Principal(%q) = %v, %v", id, q, err)
		}
	}
	for _, id := range []string{"MSOL_*", "*)(objectClass=*", "nobody", "S-1-5-21-1-2-3-4"} {
		if _, err := f.engine.Principal(ctx, id); !errors.Is(err, writeback.ErrNotFound) {
			t.Errorf("Principal(%q) = %v, want ErrNotFound", id, err)
		}
	}
}

// TestSeededVerdicts: the engine's verdict on every seeded user is the one
// sambatest records (testdata/samba/README.md).
func TestSeededVerdicts(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := testContext(t)
	names := make([]string, len(sambatest.Users))
	for i, u := range sambatest.Users {
		names[i] = u.SAMAccountName
	}
	checks, err := f.engine.CheckUsers(ctx, f.connector, names)
	if err != nil {
		t.Fatalf("CheckUsers: %v", err)
	}
	for i, u := range sambatest.Users {
		c := checks[i]
		if c.SAMAccountName != u.SAMAccountName || !strings.EqualFold(c.DN, f.s.DN(u.RDN)) {
			t.Errorf("%s: checked %s (%s)", u.SAMAccountName, c.SAMAccountName, c.DN)
			continue
		}
		want := wantCause[u.Writeback]
		if c.Works != (want == "") || c.Cause != want {
			t.Errorf("%s: works=%v cause %q, want %q (%s); reasons %+v", u.SAMAccountName, c.Works, c.Cause, want, u.Writeback, c.Reasons)
		}
		if c.AdminCount != u.AdminCount || c.Protected != u.Protected {
			t.Errorf("%s: adminCount=%v protected=%v, want %v %v", u.SAMAccountName, c.AdminCount, c.Protected, u.AdminCount, u.Protected)
		}
		if len(c.Rights) != len(writeback.UserRights) {
			t.Fatalf("%s: %d verdicts", u.SAMAccountName, len(c.Rights))
		}
	}
}

// TestUserVerdictDetails checks the ACEs named behind verdicts.
func TestUserVerdictDetails(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := testContext(t)
	connector := f.connector.SID.String()
	check := func(id string) *writeback.UserCheck {
		t.Helper()
		c, err := f.engine.CheckUser(ctx, f.connector, id)
		if err != nil {
			t.Fatalf("CheckUser(%s): %v", id, err)
		}
		return c
	}

	alice := check("alice.archer")
	wantACE := map[writeback.Right]string{
		writeback.ResetPassword:    "(OA;CIID;CR;00299570-246d-11d0-a768-00aa006e0529;bf967aba-0de6-11d0-a285-00aa003049e2;" + connector + ")",
		writeback.ChangePassword:   "(OA;;CR;ab721a53-1e2f-11d0-9819-00aa0040529b;;WD)",
		writeback.WriteLockoutTime: "(OA;CIID;WP;28630ebf-41d5-11d1-a9c1-0000f80367c1;bf967aba-0de6-11d0-a285-00aa003049e2;" + connector + ")",
		writeback.WritePwdLastSet:  "(OA;CIID;WP;bf967a0a-0de6-11d0-a285-00aa003049e2;bf967aba-0de6-11d0-a285-00aa003049e2;" + connector + ")",
	}
	for _, v := range alice.Rights {
		if v.Decision != writeback.Allowed || v.ACE != wantACE[v.Right] || v.Index < 0 || v.Inherited != (v.Right != writeback.ChangePassword) {
			t.Errorf("alice %s: %+v, want allowed by %s", v.Right, v, wantACE[v.Right])
		}
	}

	// Named by SID and by DN, with the deny ACE at position 0.
	erin := check(sidOf(t, f, "CN=Erin Evans,OU=Staff").String())
	if erin.SAMAccountName != "erin.evans" || erin.Cause != writeback.ReasonDenied {
		t.Fatalf("erin: %+v", erin)
	}
	deny := "(OD;;CR;00299570-246d-11d0-a768-00aa006e0529;;" + connector + ")"
	if v := erin.Rights[0]; v.Right != writeback.ResetPassword || v.Decision != writeback.Denied || v.ACE != deny || v.Index != 0 || v.Inherited {
		t.Errorf("erin reset: %+v", v)
	}
	if r := erin.Reasons[0]; r.ACE != deny || r.Right != writeback.ResetPassword {
		t.Errorf("erin reason %+v", r)
	}
	for _, v := range erin.Rights[1:] {
		if !v.OK() {
			t.Errorf("erin %s: %+v", v.Right, v)
		}
	}

	dave := check(f.s.DN("CN=Dave Doyle,OU=Staff"))
	if dave.Cause != writeback.ReasonProtectedDACL || !strings.Contains(dave.Reasons[0].Detail, "parent would pass on") {
		t.Errorf("dave: %+v", dave.Reasons)
	}
	grace := check("grace.green@" + strings.ToLower(f.s.Realm))
	if grace.SAMAccountName != "grace.green" || grace.Cause != writeback.ReasonAdminSDHolder || grace.Rights[1].Decision != writeback.Allowed || grace.Rights[0].Decision != writeback.Missing {
		t.Errorf("grace: %+v", grace)
	}

	// The connector's own account: Principal Self applies to it.
	self := check("MSOL_0123456789ab")
	if v := self.Rights[1]; !v.OK() || !strings.HasSuffix(v.ACE, ";PS)") && !strings.HasSuffix(v.ACE, ";WD)") {
		t.Errorf("connector's own Change password: %+v", v)
	}

	for _, bad := range []string{"nobody.here", "*", "OU=Staff," + f.s.BaseDN} {
		if _, err := f.engine.CheckUser(ctx, f.connector, bad); !errors.Is(err, writeback.ErrNotFound) {
			t.Errorf("CheckUser(%q) = %v, want ErrNotFound", bad, err)
		}
	}
}

func sidOf(t *testing.T, f *fixture, rdn string) secdesc.SID {
	t.Helper()
	e, err := f.conn.SearchOne(testContext(t), f.s.DN(rdn), []string{"objectSid"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	sid, err := secdesc.SIDFromBytes(e.GetRawAttributeValue("objectSid"))
	if err != nil {
		t.Fatal(err)
	}
	return sid
}

func containsSID(sids []secdesc.SID, s secdesc.SID) bool {
	for _, x := range sids {
		if x == s {
			return true
		}
	}
	return false
}

func TestAuditScope(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := testContext(t)
	staff := f.s.DN("OU=Staff")
	connector := f.connector.SID.String()
	tests := []struct {
		rdn        string
		works      bool
		resetFrom  string // Source of Reset password, "" when missing
		resetACE   string
		chainLen   int
		resetIndex int
	}{
		{"OU=Staff", true, staff, "(OA;CIIO;CR;00299570-246d-11d0-a768-00aa006e0529;bf967aba-0de6-11d0-a285-00aa003049e2;" + connector + ")", 2, 9},
		{"OU=Sales,OU=Staff", true, staff, "(OA;CIIO;CR;00299570-246d-11d0-a768-00aa006e0529;bf967aba-0de6-11d0-a285-00aa003049e2;" + connector + ")", 3, 9},
		{"", false, "", "", 1, -1},
		{"CN=Users", false, "", "", 2, -1},
		{"OU=Admins", false, "", "", 2, -1},
	}
	for _, tt := range tests {
		t.Run(tt.rdn, func(t *testing.T) {
			t.Parallel()
			a, err := f.engine.AuditScope(ctx, f.connector, f.s.DN(tt.rdn))
			if err != nil {
				t.Fatal(err)
			}
			if a.Works != tt.works || len(a.Chain) != tt.chainLen || !strings.EqualFold(a.Chain[len(a.Chain)-1], f.s.BaseDN) {
				t.Errorf("works=%v chain %q", a.Works, a.Chain)
			}
			reset := a.Rights[0]
			if reset.Right != writeback.ResetPassword {
				t.Fatalf("first right %s", reset.Right)
			}
			if tt.resetFrom == "" {
				if reset.Decision != writeback.Missing || reset.ACE != "" || reset.Index != -1 {
					t.Errorf("reset %+v, want missing", reset)
				}
			} else if reset.Decision != writeback.Allowed || !strings.EqualFold(reset.Source, tt.resetFrom) || reset.ACE != tt.resetACE || reset.Index != tt.resetIndex || !reset.Inherited {
				t.Errorf("reset %+v, want allowed by %s ACE %d %s", reset, tt.resetFrom, tt.resetIndex, tt.resetACE)
			}
			// Change password comes from the schema's default for users
			// (Everyone), everywhere.
			if c := a.Rights[1]; c.Decision != writeback.Allowed || c.Source != writeback.SourceDefaultSD || c.ACE != "(OA;;CR;ab721a53-1e2f-11d0-9819-00aa0040529b;;WD)" {
				t.Errorf("change password %+v", c)
			}
			// Authenticated Users hold Unexpire Password on the root by default.
			if u := a.Unexpire; u.Decision != writeback.Allowed || u.ACE != "(OA;;CR;ccc2dc7d-a6ad-4a7a-8846-c04e3cc53501;;AU)" || !strings.EqualFold(u.Source, f.s.BaseDN) {
				t.Errorf("unexpire %+v", u)
			}
		})
	}

	// The scope audit of each user's parent agrees with the user's own
	// verdict wherever the user inherits (not protected, no explicit deny).
	for _, u := range sambatest.Users {
		if u.Protected || u.Writeback == sambatest.WritebackDenied {
			continue
		}
		parent := f.s.DN(u.RDN[strings.Index(u.RDN, ",")+1:])
		a, err := f.engine.AuditScope(ctx, f.connector, parent)
		if err != nil {
			t.Fatal(err)
		}
		if a.Works != (u.Writeback == sambatest.WritebackWorks) {
			t.Errorf("scope %s says works=%v, %s is %q", parent, a.Works, u.SAMAccountName, u.Writeback)
		}
	}
}

func TestAdminSDHolderAudit(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a, err := f.engine.AuditAdminSDHolder(testContext(t), f.connector, "")
	if err != nil {
		t.Fatal(err)
	}
	if a.Works || !strings.EqualFold(a.DN, f.s.DN("CN=AdminSDHolder,CN=System")) || len(a.InheritOnly) != 0 {
		t.Errorf("AdminSDHolder audit %+v", a)
	}
	if a.Rights[0].Decision != writeback.Missing || a.Rights[1].ACE != "(OA;;CR;ab721a53-1e2f-11d0-9819-00aa0040529b;;WD)" {
		t.Errorf("rights %+v", a.Rights)
	}
}

func TestCoverage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := testContext(t)
	seen := map[string]*writeback.UserCheck{}
	cov, err := f.engine.Coverage(ctx, f.connector, f.s.BaseDN, writeback.CoverageOptions{
		OnUser: func(u *writeback.UserCheck) error {
			seen[strings.ToLower(u.SAMAccountName)] = u
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantUsers := len(sambatest.Users) + f.s.ExtraUsers
	if cov.Users != wantUsers || len(seen) != wantUsers || cov.Working+cov.Failing != cov.Users {
		t.Fatalf("coverage counted %d users (%d working, %d failing), saw %d; want %d", cov.Users, cov.Working, cov.Failing, len(seen), wantUsers)
	}
	// The generated users (OU=Bulk,OU=Staff) inherit OU=Staff's grants, but
	// one in 50 has adminCount=1 and AdminSDHolder's DACL.
	wantByCause := map[writeback.ReasonCode]int{writeback.ReasonAdminSDHolder: f.s.ExtraUsers / 50}
	for _, u := range sambatest.Users {
		c := seen[strings.ToLower(u.SAMAccountName)]
		if c == nil {
			t.Errorf("%s not evaluated", u.SAMAccountName)
			continue
		}
		if want := wantCause[u.Writeback]; c.Cause != want {
			t.Errorf("%s: cause %q, want %q", u.SAMAccountName, c.Cause, want)
		} else if want != "" {
			wantByCause[want]++
		}
	}
	failing := 0
	for cause, n := range wantByCause {
		failing += n
		if cov.ByCause[cause] != n {
			t.Errorf("ByCause[%s] = %d, want %d", cause, cov.ByCause[cause], n)
		}
	}
	if cov.Failing != failing || len(cov.FailingUsers) != min(failing, writeback.DefaultMaxFailing) || cov.FailingOmitted != failing-len(cov.FailingUsers) {
		t.Errorf("%d failing, %d listed, %d omitted; want %d failing", cov.Failing, len(cov.FailingUsers), cov.FailingOmitted, failing)
	}
	// Users share DACLs: far fewer parsed than users.
	if cov.DistinctDACLs == 0 || cov.DistinctDACLs >= cov.Users {
		t.Errorf("%d distinct DACLs parsed for %d users", cov.DistinctDACLs, cov.Users)
	}
	if !cov.Unexpire.OK() || cov.AdminSDHolder == nil || cov.AdminSDHolder.Works {
		t.Errorf("unexpire %+v, AdminSDHolder %+v", cov.Unexpire, cov.AdminSDHolder)
	}

	// OU=Staff only, with the failing list capped at 1.
	cov, err = f.engine.Coverage(ctx, f.connector, f.s.DN("OU=Staff"), writeback.CoverageOptions{MaxFailing: 1})
	if err != nil {
		t.Fatal(err)
	}
	bulkAdmins := f.s.ExtraUsers / 50
	if cov.Users != 16+f.s.ExtraUsers || cov.Working != 13+f.s.ExtraUsers-bulkAdmins || cov.Failing != 3+bulkAdmins || len(cov.FailingUsers) != 1 || cov.FailingOmitted != 2+bulkAdmins {
		t.Errorf("OU=Staff: %d users, %d working, %d failing, %d listed + %d omitted", cov.Users, cov.Working, cov.Failing, len(cov.FailingUsers), cov.FailingOmitted)
	}

	// The callback stops the run.
	stop := errors.New("stop")
	n := 0
	_, err = f.engine.Coverage(ctx, f.connector, f.s.BaseDN, writeback.CoverageOptions{OnUser: func(*writeback.UserCheck) error {
		n++
		if n == 3 {
			return stop
		}
		return nil
	}})
	if !errors.Is(err, stop) || n != 3 {
		t.Errorf("stopped coverage: %v after %d users", err, n)
	}
}

// TestOutsideDomain: DNs outside the domain naming context, or in another
// naming context below it, are refused before anything is read or written.
func TestOutsideDomain(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := testContext(t)
	for _, dn := range []string{
		"OU=Staff,DC=elsewhere,DC=test",
		"DC=test",
		"CN=Configuration," + f.s.BaseDN,
		"CN=Partitions,CN=Configuration," + f.s.BaseDN,
		"CN=Schema,CN=Configuration," + f.s.BaseDN,
	} {
		_, err := f.engine.Grant(ctx, writeback.GrantRequest{Principal: f.connector, Scope: dn, Apply: true})
		var oe *writeback.OutsideDomainError
		if !errors.Is(err, writeback.ErrOutsideDomain) || !errors.As(err, &oe) || !strings.Contains(err.Error(), f.s.BaseDN) {
			t.Errorf("Grant(%s) = %v, want ErrOutsideDomain", dn, err)
		}
		if _, err := f.engine.AuditScope(ctx, f.connector, dn); !errors.Is(err, writeback.ErrOutsideDomain) {
			t.Errorf("AuditScope(%s) = %v", dn, err)
		}
		if _, err := f.engine.Coverage(ctx, f.connector, dn, writeback.CoverageOptions{}); !errors.Is(err, writeback.ErrOutsideDomain) {
			t.Errorf("Coverage(%s) = %v", dn, err)
		}
	}
	// A scope must be a container.
	if _, err := f.engine.AuditScope(ctx, f.connector, f.s.DN("CN=Alice Archer,OU=Staff")); !errors.Is(err, writeback.ErrNotScope) {
		t.Errorf("AuditScope(a user) = %v, want ErrNotScope", err)
	}
	if _, err := f.engine.Grant(ctx, writeback.GrantRequest{Principal: f.connector, Scope: f.s.DN("CN=Sales Team,OU=Sales,OU=Staff")}); !errors.Is(err, writeback.ErrNotScope) {
		t.Errorf("Grant(a group) = %v, want ErrNotScope", err)
	}
	// Case does not matter; bad DNs are refused as such.
	if _, err := f.engine.AuditScope(ctx, f.connector, strings.ToLower("ou=staff,"+f.s.BaseDN)); err != nil {
		t.Errorf("lower-case DN: %v", err)
	}
	if _, err := f.engine.AuditScope(ctx, f.connector, "OU=Staff,,"+f.s.BaseDN); !errors.Is(err, ldapconn.ErrInvalidDN) {
		t.Errorf("malformed DN: %v", err)
	}
	if backups, _, err := f.store.ListBackups(ctx, store.BackupQuery{}); err != nil || len(backups) != 0 {
		t.Errorf("backups after refused grants: %d, %v", len(backups), err)
	}
}

// connectorLDAP is a plain go-ldap connection bound as the connector over
// LDAPS, to do what Entra Connect does: reset a password.
func connectorLDAP(t *testing.T, s sambatest.Settings, dn, password string) *ldap.Conn {
	t.Helper()
	pem, err := os.ReadFile(s.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	l, err := ldap.DialURL(s.URL, ldap.DialWithTLSConfig(&tls.Config{RootCAs: pool, ServerName: s.ServerName, MinVersion: tls.VersionTLS12}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	if err := l.Bind(dn, password); err != nil {
		t.Fatalf("bind as %s: %v", dn, err)
	}
	return l
}

// unicodePwd is a password as AD's unicodePwd takes it: quoted, UTF-16LE.
func unicodePwd(p string) string {
	u := utf16.Encode([]rune(`"` + p + `"`))
	b := make([]byte, 2*len(u))
	for i, v := range u {
		binary.LittleEndian.PutUint16(b[2*i:], v)
	}
	return string(b)
}

// resetPassword replaces dn's password, as a password reset does.
func resetPassword(l *ldap.Conn, dn, password string) error {
	req := ldap.NewModifyRequest(dn, nil)
	req.Replace("unicodePwd", []string{unicodePwd(password)})
	return l.Modify(req)
}

// canBind reports whether dn binds with password.
func canBind(t *testing.T, s sambatest.Settings, dn, password string) bool {
	t.Helper()
	cfg := s.Config()
	cfg.BindDN = dn
	cfg.Password = secret.New(password)
	c, err := ldapconn.Dial(testContext(t), cfg)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

const newPassword = "Wr1teback.Reset-Test"

// TestDCEnforcesVerdicts: bound as the connector, resetting the password of
// users the engine says work succeeds, and of users it says fail is refused
// by the DC with insufficient access.
func TestDCEnforcesVerdicts(t *testing.T) {
	f := newFixture(t)
	ctx := testContext(t)
	conn := connectorLDAP(t, f.s, f.s.ConnectorDN, f.s.ConnectorPassword)
	admin := connectorLDAP(t, f.s, f.s.BindDN, f.s.Password)
	for _, name := range []string{"frank.foster", "jack.jones", "erin.evans", "dave.doyle", "grace.green", "quinn.quigley", "helpdesk01", "adm-bob"} {
		u, err := f.engine.CheckUser(ctx, f.connector, name)
		if err != nil {
			t.Fatal(err)
		}
		err = resetPassword(conn, u.DN, newPassword)
		if u.Works {
			if err != nil {
				t.Errorf("%s: the engine says writeback works, the DC refused the reset: %v", name, err)
				continue
			}
			if !canBind(t, f.s, u.DN, newPassword) {
				t.Errorf("%s: reset accepted but the new password does not bind", name)
			}
			// Put the seeded password back.
			if err := resetPassword(admin, u.DN, f.s.UserPassword); err != nil {
				t.Fatalf("%s: restoring the password: %v", name, err)
			}
			if !canBind(t, f.s, u.DN, f.s.UserPassword) {
				t.Fatalf("%s: the seeded password no longer binds", name)
			}
			continue
		}
		if !ldap.IsErrorWithCode(err, ldap.LDAPResultInsufficientAccessRights) {
			t.Errorf("%s: the engine says %s, the DC answered the reset with %v", name, u.Cause, err)
			if err == nil {
				_ = resetPassword(admin, u.DN, f.s.UserPassword)
			}
		}
	}
}

// ace formats a in SDDL with the test domain's aliases, as the engine does.
func (f *fixture) ace(a secdesc.ACE) string {
	return secdesc.SDDLOptions{Domain: f.s.DomainSID}.FormatACE(a)
}

// sddl formats sd with the test domain's aliases.
func (f *fixture) sddl(sd *secdesc.SecurityDescriptor) string {
	return secdesc.SDDLOptions{Domain: f.s.DomainSID}.Format(sd)
}
