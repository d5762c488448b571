package directory_test

// The writeback RPCs over real gRPC (and once through the REST gateway) against the Samba AD DC
// of scripts/samba-test.sh (see internal/sambatest): they skip without it, and fail without it
// when CI=true. They only read. Other packages' tests (writeback, ldapconn) change DACLs for a
// moment while these run, and put them back: assertions on objects they touch wait for the
// seeded state (settle).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/hybridkit/hybridkit/gateway"
	"github.com/hybridkit/hybridkit/gateway/gatewaytest"
	"github.com/hybridkit/hybridkit/platform/grpcserver"
	"github.com/hybridkit/hybridkit/platform/grpctest"
	"github.com/hybridkit/hybridkit/platform/secret"
	directoryv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/directory/v1"
	"github.com/hybridkit/hybridkit/services/directory"
	"github.com/hybridkit/hybridkit/services/directory/internal/sambatest"
	"github.com/hybridkit/hybridkit/services/directory/secdesc"
)

// ldapConfig is the service's LDAP configuration for the test DC, bound as Administrator.
func ldapConfig(s sambatest.Settings) directory.LDAPConfig {
	return directory.LDAPConfig{
		URL:        s.URL,
		CAFile:     s.CAFile,
		ServerName: s.ServerName,
		BindDN:     s.BindDN,
		Password:   secret.New(s.Password),
		Timeout:    20 * time.Second,
	}
}

// startWithLDAP runs the service on the test DC and returns a client and its address.
func startWithLDAP(t *testing.T, cfg directory.LDAPConfig) (directoryv1.DirectoryServiceClient, string) {
	t.Helper()
	st := grpctest.Store(t)
	addr := grpctest.Start(t, grpcserver.Deps{}, func(ctx context.Context, deps grpcserver.Deps) error {
		return directory.Run(ctx, directory.Options{Config: directory.Config{LDAP: cfg}, Deps: deps, Store: st})
	})
	return directoryv1.NewDirectoryServiceClient(grpctest.Dial(t, addr)), addr
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// settle retries check until it passes or a minute is up: for assertions on objects that other
// packages' tests change for a moment and put back.
func settle(t *testing.T, check func() error) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for tries := 1; ; tries++ {
		err := check()
		if err == nil {
			if tries > 1 {
				t.Logf("the seeded state showed after %d tries", tries)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// wantCause maps sambatest's verdicts to the API's main reasons.
var wantCause = map[string]directoryv1.FailureReason{
	sambatest.WritebackWorks:    directoryv1.FailureReason_FAILURE_REASON_UNSPECIFIED,
	sambatest.WritebackNoGrant:  directoryv1.FailureReason_FAILURE_REASON_MISSING_RIGHT,
	sambatest.WritebackDenied:   directoryv1.FailureReason_FAILURE_REASON_EXPLICIT_DENY,
	sambatest.WritebackBlocked:  directoryv1.FailureReason_FAILURE_REASON_PROTECTED_DACL,
	sambatest.WritebackProtects: directoryv1.FailureReason_FAILURE_REASON_ADMIN_SD_HOLDER,
}

const (
	resetGUID     = "00299570-246d-11d0-a768-00aa006e0529"
	changeGUID    = "ab721a53-1e2f-11d0-9819-00aa0040529b"
	unexpireGUID  = "ccc2dc7d-a6ad-4a7a-8846-c04e3cc53501"
	lockoutGUID   = "28630ebf-41d5-11d1-a9c1-0000f80367c1"
	pwdLastGUID   = "bf967a0a-0de6-11d0-a285-00aa003049e2"
	userClassGUID = "bf967aba-0de6-11d0-a285-00aa003049e2"
)

func TestListConnectorAccounts(t *testing.T) {
	t.Parallel()
	s := sambatest.Env(t)
	ctx := testContext(t)

	t.Run("MSOL only", func(t *testing.T) {
		t.Parallel()
		c, _ := startWithLDAP(t, ldapConfig(s))
		resp, err := c.ListConnectorAccounts(ctx, &directoryv1.ListConnectorAccountsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.GetConnectorAccounts()) != 1 || !strings.EqualFold(resp.GetDefaultConnector(), s.ConnectorDN) || resp.GetNextPageToken() != "" {
			t.Fatalf("accounts %v, default %q", resp.GetConnectorAccounts(), resp.GetDefaultConnector())
		}
		a := resp.GetConnectorAccounts()[0]
		want := s.SID(sambatest.ConnectorRID).String()
		if a.GetSamAccountName() != "MSOL_0123456789ab" || a.GetSid() != want || a.GetName() != "connectorAccounts/"+want ||
			!a.GetMsol() || !a.GetEntraConnectDescription() || a.GetConfigured() || a.GetDisabled() || !strings.EqualFold(a.GetDn(), s.ConnectorDN) {
			t.Errorf("MSOL_ account %v", a)
		}
	})

	t.Run("configured custom connector, paged", func(t *testing.T) {
		t.Parallel()
		cfg := ldapConfig(s)
		cfg.Connectors = []string{"svc-aadconnect"}
		c, _ := startWithLDAP(t, cfg)
		var got []*directoryv1.ConnectorAccount
		req := &directoryv1.ListConnectorAccountsRequest{PageSize: 1}
		for pages := 0; ; pages++ {
			resp, err := c.ListConnectorAccounts(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.GetConnectorAccounts()) != 1 || pages > 2 {
				t.Fatalf("page %d: %v", pages, resp)
			}
			// The only configured account is the default, MSOL_ or not.
			if !strings.EqualFold(resp.GetDefaultConnector(), s.CustomConnectorDN) {
				t.Errorf("default connector %q, want %s", resp.GetDefaultConnector(), s.CustomConnectorDN)
			}
			got = append(got, resp.GetConnectorAccounts()...)
			if req.PageToken = resp.GetNextPageToken(); req.PageToken == "" {
				break
			}
		}
		byName := map[string]*directoryv1.ConnectorAccount{}
		for _, a := range got {
			byName[a.GetSamAccountName()] = a
		}
		custom, msol := byName["svc-aadconnect"], byName["MSOL_0123456789ab"]
		if len(got) != 2 || custom == nil || msol == nil || !custom.GetConfigured() || custom.GetMsol() || custom.GetEntraConnectDescription() ||
			!strings.EqualFold(custom.GetDn(), s.CustomConnectorDN) || msol.GetConfigured() {
			t.Errorf("accounts %v", got)
		}
		_, err := c.ListConnectorAccounts(ctx, &directoryv1.ListConnectorAccountsRequest{PageToken: "bm90IG91cnM"})
		wantBadRequest(t, err, "page_token")
	})
}

func TestAuditScopeRPC(t *testing.T) {
	t.Parallel()
	s := sambatest.Env(t)
	c, _ := startWithLDAP(t, ldapConfig(s))
	ctx := testContext(t)
	connector := s.SID(sambatest.ConnectorRID).String()
	staff := s.DN("OU=Staff")

	audit := func(t *testing.T, req *directoryv1.AuditScopeRequest) *directoryv1.ScopeAudit {
		t.Helper()
		resp, err := c.AuditScope(ctx, req)
		if err != nil {
			t.Fatalf("AuditScope(%v): %v", req, err)
		}
		a := resp.GetAudit()
		if got := rightsOf(a.GetRights()); got != "RESET_PASSWORD,CHANGE_PASSWORD,WRITE_LOCKOUT_TIME,WRITE_PWD_LAST_SET" {
			t.Fatalf("rights %s", got)
		}
		if a.GetConnector().GetSid() != connector || len(a.GetConnector().GetGroups()) < 3 {
			t.Errorf("connector %v", a.GetConnector())
		}
		return a
	}

	t.Run("OU=Staff granted", func(t *testing.T) {
		t.Parallel()
		a := audit(t, &directoryv1.AuditScopeRequest{Scope: staff})
		if !a.GetWorks() || a.GetProtected() || a.GetDomain() != s.BaseDN || strings.Join(a.GetChain(), "|") != staff+"|"+s.BaseDN {
			t.Errorf("audit %v", a)
		}
		for _, tc := range []struct {
			i    int
			mask string
			guid string
		}{{0, "CR", resetGUID}, {2, "WP", lockoutGUID}, {3, "WP", pwdLastGUID}} {
			want := fmt.Sprintf("(OA;CIIO;%s;%s;%s;%s)", tc.mask, tc.guid, userClassGUID, connector)
			v := a.GetRights()[tc.i]
			if v.GetDecision() != directoryv1.Decision_DECISION_ALLOWED || v.GetAce() != want || !v.GetInherited() ||
				v.GetSource() != staff || v.AceIndex == nil || v.GetDescription() == "" || v.GetRightName() == "" {
				t.Errorf("%s: %v, want allowed by %s from %s", v.GetRight(), v, want, staff)
			}
		}
		if v := a.GetRights()[0]; v.GetAceIndex() != 9 {
			t.Errorf("Reset password decided by ACE %d of OU=Staff, want 9", v.GetAceIndex())
		}
		// Change password: Everyone, from the schema's default for users.
		if v := a.GetRights()[1]; v.GetDecision() != directoryv1.Decision_DECISION_ALLOWED || v.GetAce() != "(OA;;CR;"+changeGUID+";;WD)" ||
			v.GetSource() != "defaultSecurityDescriptor of user" || v.GetInherited() {
			t.Errorf("change password %v", v)
		}
	})

	t.Run("CN=Users missing, connector by name", func(t *testing.T) {
		t.Parallel()
		a := audit(t, &directoryv1.AuditScopeRequest{Scope: s.DN("CN=Users"), Connector: "MSOL_0123456789ab"})
		if a.GetWorks() {
			t.Errorf("CN=Users works: %v", a)
		}
		for _, i := range []int{0, 2, 3} {
			v := a.GetRights()[i]
			if v.GetDecision() != directoryv1.Decision_DECISION_MISSING || v.GetAce() != "" || v.AceIndex != nil || v.GetSource() != "" {
				t.Errorf("%s: %v, want missing", v.GetRight(), v)
			}
		}
	})

	t.Run("domain root, connector by SID", func(t *testing.T) {
		t.Parallel()
		settle(t, func() error {
			a := audit(t, &directoryv1.AuditScopeRequest{Connector: connector}) // empty scope: the domain root
			u := a.GetUnexpire()
			if !strings.EqualFold(a.GetScope(), s.BaseDN) || len(a.GetChain()) != 1 || a.GetWorks() ||
				u.GetRight() != directoryv1.WritebackRight_WRITEBACK_RIGHT_UNEXPIRE_PASSWORD || u.GetDecision() != directoryv1.Decision_DECISION_ALLOWED ||
				u.GetAce() != "(OA;;CR;"+unexpireGUID+";;AU)" || u.AceIndex == nil || u.GetInherited() || !strings.EqualFold(u.GetSource(), s.BaseDN) {
				return fmt.Errorf("domain root audit %v; unexpire %v", a, u)
			}
			if v := a.GetRights()[0]; v.GetDecision() != directoryv1.Decision_DECISION_MISSING {
				return fmt.Errorf("reset password on the domain root: %v", v)
			}
			return nil
		})
	})

	t.Run("errors", func(t *testing.T) {
		t.Parallel()
		_, err := c.AuditScope(ctx, &directoryv1.AuditScopeRequest{Scope: "OU=Staff,DC=elsewhere,DC=test"})
		if wantBadRequest(t, err, "scope"); err != nil && !strings.Contains(status.Convert(err).Message(), s.BaseDN) {
			t.Errorf("outside the domain: %v does not name the allowed domain", err)
		}
		_, err = c.AuditScope(ctx, &directoryv1.AuditScopeRequest{Scope: "CN=Configuration," + s.BaseDN})
		wantBadRequest(t, err, "scope")
		_, err = c.AuditScope(ctx, &directoryv1.AuditScopeRequest{Scope: "OU=Staff,," + s.BaseDN})
		wantBadRequest(t, err, "scope")
		_, err = c.AuditScope(ctx, &directoryv1.AuditScopeRequest{Scope: s.DN("CN=Alice Archer,OU=Staff")})
		wantBadRequest(t, err, "scope")
		_, err = c.AuditScope(ctx, &directoryv1.AuditScopeRequest{Scope: s.DN("OU=Nowhere")})
		wantCode(t, err, codes.NotFound, "does not exist")
		for _, who := range []string{"nobody", "MSOL_*", "*)(objectClass=*", "S-1-5-21-1-2-3-4"} {
			_, err = c.AuditScope(ctx, &directoryv1.AuditScopeRequest{Connector: who, Scope: staff})
			wantCode(t, err, codes.NotFound, "connector")
		}
		_, err = c.AuditScope(ctx, &directoryv1.AuditScopeRequest{Connector: "S-1-5-oops", Scope: staff})
		wantBadRequest(t, err, "connector")
	})
}

func TestCheckUsersRPC(t *testing.T) {
	t.Parallel()
	s := sambatest.Env(t)
	c, _ := startWithLDAP(t, ldapConfig(s))
	ctx := testContext(t)
	connector := s.SID(sambatest.ConnectorRID).String()

	// Every seeded user, named three ways; the verdicts are the seeded ones.
	conn := sambatest.Dial(t, s.Config())
	var bySAM, byDN, bySID []string
	for _, u := range sambatest.Users {
		dn := s.DN(u.RDN)
		e, err := conn.SearchOne(ctx, dn, []string{"objectSid"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		sid, err := secdesc.SIDFromBytes(e.GetRawAttributeValue("objectSid"))
		if err != nil {
			t.Fatal(err)
		}
		bySAM, byDN, bySID = append(bySAM, u.SAMAccountName), append(byDN, dn), append(bySID, sid.String())
	}
	for name, users := range map[string][]string{"sAMAccountName": bySAM, "DN": byDN, "objectSid": bySID} {
		t.Run("by "+name, func(t *testing.T) {
			t.Parallel()
			settle(t, func() error {
				resp, err := c.CheckUsers(ctx, &directoryv1.CheckUsersRequest{Users: users})
				if err != nil {
					t.Fatal(err)
				}
				if resp.GetConnector().GetSid() != connector || len(resp.GetResults()) != len(users) {
					t.Fatalf("connector %v, %d results", resp.GetConnector(), len(resp.GetResults()))
				}
				var errs []string
				for i, u := range sambatest.Users {
					r := resp.GetResults()[i]
					ch := r.GetCheck()
					if r.GetUser() != users[i] || r.GetStatus() != directoryv1.LookupStatus_LOOKUP_STATUS_FOUND || ch.GetSamAccountName() != u.SAMAccountName ||
						!strings.EqualFold(ch.GetDn(), byDN[i]) || ch.GetSid() != bySID[i] {
						t.Fatalf("%s: result %v", users[i], r)
					}
					want := wantCause[u.Writeback]
					if ch.GetWorks() != (want == directoryv1.FailureReason_FAILURE_REASON_UNSPECIFIED) || ch.GetCause() != want ||
						ch.GetAdminCount() != u.AdminCount || ch.GetProtected() != u.Protected || len(ch.GetRights()) != 4 {
						errs = append(errs, fmt.Sprintf("%s: works=%v cause %s adminCount=%v protected=%v, want %s (%s)",
							u.SAMAccountName, ch.GetWorks(), ch.GetCause(), ch.GetAdminCount(), ch.GetProtected(), want, u.Writeback))
					}
					if !ch.GetWorks() && (len(ch.GetReasons()) == 0 || ch.GetReasons()[0].GetCode() != ch.GetCause() || ch.GetReasons()[0].GetDetail() == "") {
						errs = append(errs, fmt.Sprintf("%s: reasons %v", u.SAMAccountName, ch.GetReasons()))
					}
				}
				if len(errs) > 0 {
					return errors.New(strings.Join(errs, "\n"))
				}
				return nil
			})
		})
	}

	t.Run("verdict details", func(t *testing.T) {
		t.Parallel()
		resp, err := c.CheckUsers(ctx, &directoryv1.CheckUsersRequest{
			Connector: s.ConnectorDN,
			Users:     []string{"alice.archer", "HYBRID\\erin.evans", "grace.green@" + strings.ToLower(s.Realm), s.DN("CN=Dave Doyle,OU=Staff")},
		})
		if err != nil {
			t.Fatal(err)
		}
		alice, erin, grace, dave := resp.GetResults()[0].GetCheck(), resp.GetResults()[1].GetCheck(), resp.GetResults()[2].GetCheck(), resp.GetResults()[3].GetCheck()
		// Inherited from OU=Staff's inherit-only grant, traced there.
		reset := alice.GetRights()[0]
		if reset.GetDecision() != directoryv1.Decision_DECISION_ALLOWED || !reset.GetInherited() || reset.AceIndex == nil ||
			reset.GetAce() != fmt.Sprintf("(OA;CIID;CR;%s;%s;%s)", resetGUID, userClassGUID, connector) || reset.GetSource() != s.DN("OU=Staff") {
			t.Errorf("alice reset %v", reset)
		}
		// Explicit on the user: the user is the source.
		if ch := alice.GetRights()[1]; ch.GetAce() != "(OA;;CR;"+changeGUID+";;WD)" || ch.GetInherited() || !strings.EqualFold(ch.GetSource(), alice.GetDn()) {
			t.Errorf("alice change %v", ch)
		}
		deny := fmt.Sprintf("(OD;;CR;%s;;%s)", resetGUID, connector)
		if v := erin.GetRights()[0]; v.GetDecision() != directoryv1.Decision_DECISION_DENIED || v.GetAce() != deny || v.GetAceIndex() != 0 || v.AceIndex == nil ||
			v.GetInherited() || !strings.EqualFold(v.GetSource(), erin.GetDn()) || !strings.Contains(strings.ToLower(v.GetDescription()), "deny") {
			t.Errorf("erin reset %v", v)
		}
		if r := erin.GetReasons()[0]; r.GetCode() != directoryv1.FailureReason_FAILURE_REASON_EXPLICIT_DENY || r.GetAce() != deny ||
			r.GetRight() != directoryv1.WritebackRight_WRITEBACK_RIGHT_RESET_PASSWORD {
			t.Errorf("erin reason %v", r)
		}
		if grace.GetCause() != directoryv1.FailureReason_FAILURE_REASON_ADMIN_SD_HOLDER || !grace.GetAdminCount() || grace.GetRights()[0].GetDecision() != directoryv1.Decision_DECISION_MISSING {
			t.Errorf("grace %v", grace)
		}
		if dave.GetCause() != directoryv1.FailureReason_FAILURE_REASON_PROTECTED_DACL || !dave.GetProtected() || !strings.Contains(dave.GetReasons()[0].GetDetail(), "parent") {
			t.Errorf("dave %v", dave)
		}
	})

	// 10,000 users, the most one call takes, in the basic view: decisions only, in one response
	// that a client with gRPC's default limits receives.
	t.Run("10,000 users, basic view", func(t *testing.T) {
		t.Parallel()
		users := make([]string, directory.MaxCheckUsers)
		for i := range users {
			users[i] = bySID[i%len(bySID)]
		}
		start := time.Now()
		resp, err := c.CheckUsers(ctx, &directoryv1.CheckUsersRequest{Users: users, View: directoryv1.VerdictView_VERDICT_VIEW_BASIC})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%d users checked in %s", len(users), time.Since(start))
		for i, r := range resp.GetResults() {
			u := sambatest.Users[i%len(sambatest.Users)]
			ch := r.GetCheck()
			// (Not the causes of users without a grant: the writeback package's tests grant on
			// OU=Admins for a moment.)
			if ch.GetSamAccountName() != u.SAMAccountName || ch.GetCause() != wantCause[u.Writeback] && u.Writeback != sambatest.WritebackNoGrant {
				t.Fatalf("%d: %s: %v", i, u.SAMAccountName, ch)
			}
			for _, v := range ch.GetRights() {
				if v.GetAce() != "" || v.GetDescription() != "" || v.GetSource() != "" || v.GetDecision() == directoryv1.Decision_DECISION_UNSPECIFIED ||
					(v.GetDecision() != directoryv1.Decision_DECISION_MISSING) != (v.AceIndex != nil) {
					t.Fatalf("%s: basic verdict %v", u.SAMAccountName, v)
				}
			}
		}
		if len(resp.GetResults()) != len(users) {
			t.Fatalf("%d results", len(resp.GetResults()))
		}
	})

	t.Run("names that find nothing", func(t *testing.T) {
		t.Parallel()
		names := []string{"nobody.here", "*", "*)(objectClass=*", "alice.archer)(|(sAMAccountName=*", "MSOL_*", "S-1-5-21-1-2-3-4", s.DN("OU=Staff"), s.DN("CN=Nobody,OU=Staff")}
		resp, err := c.CheckUsers(ctx, &directoryv1.CheckUsersRequest{Users: names})
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range resp.GetResults() {
			if r.GetUser() != names[i] || r.GetStatus() != directoryv1.LookupStatus_LOOKUP_STATUS_NOT_FOUND || r.GetCheck() != nil || r.GetMessage() == "" {
				t.Errorf("%q: %v", names[i], r)
			}
		}
	})

	t.Run("refused", func(t *testing.T) {
		t.Parallel()
		_, err := c.CheckUsers(ctx, &directoryv1.CheckUsersRequest{Users: []string{"alice.archer", "CN=Jane,OU=Staff,DC=elsewhere,DC=test"}})
		if wantBadRequest(t, err, "users[1]"); err != nil && !strings.Contains(status.Convert(err).Message(), s.BaseDN) {
			t.Errorf("outside the domain: %v does not name the allowed domain", err)
		}
		_, err = c.CheckUsers(ctx, &directoryv1.CheckUsersRequest{Users: []string{"CN=Jane,,OU=Staff"}})
		wantBadRequest(t, err, "users[0]")
		_, err = c.CheckUsers(ctx, &directoryv1.CheckUsersRequest{})
		wantBadRequest(t, err, "users")
		_, err = c.CheckUsers(ctx, &directoryv1.CheckUsersRequest{Users: make([]string, directory.MaxCheckUsers+1), View: directoryv1.VerdictView_VERDICT_VIEW_BASIC})
		wantBadRequest(t, err, "users")
		_, err = c.CheckUsers(ctx, &directoryv1.CheckUsersRequest{Users: make([]string, directory.MaxCheckUsersFull+1)})
		wantBadRequest(t, err, "users")
		_, err = c.CheckUsers(ctx, &directoryv1.CheckUsersRequest{Users: []string{"alice.archer", ""}})
		wantBadRequest(t, err, "users[1]")
	})
}

func TestCoverageRPC(t *testing.T) {
	t.Parallel()
	s := sambatest.Env(t)
	c, addr := startWithLDAP(t, ldapConfig(s))
	ctx := testContext(t)
	connector := s.SID(sambatest.ConnectorRID).String()

	t.Run("domain", func(t *testing.T) {
		t.Parallel()
		settle(t, func() error {
			resp, err := c.GetCoverage(ctx, &directoryv1.GetCoverageRequest{})
			if err != nil {
				t.Fatal(err)
			}
			cov := resp.GetCoverage()
			wantBy := map[directoryv1.FailureReason]int64{directoryv1.FailureReason_FAILURE_REASON_ADMIN_SD_HOLDER: int64(s.ExtraUsers / 50)}
			working := int64(0)
			for _, u := range sambatest.Users {
				if want := wantCause[u.Writeback]; want != directoryv1.FailureReason_FAILURE_REASON_UNSPECIFIED {
					wantBy[want]++
				} else {
					working++
				}
			}
			var problems []string
			if cov.GetUsers() != int64(len(sambatest.Users)+s.ExtraUsers) || cov.GetWorking() != working+int64(s.ExtraUsers-s.ExtraUsers/50) ||
				cov.GetWorking()+cov.GetFailing() != cov.GetUsers() || cov.GetElapsed().AsDuration() <= 0 || cov.GetDistinctDacls() == 0 {
				problems = append(problems, fmt.Sprintf("%d users, %d working, %d failing", cov.GetUsers(), cov.GetWorking(), cov.GetFailing()))
			}
			last := int64(1 << 62)
			for _, rc := range cov.GetByReason() {
				if rc.GetUsers() != wantBy[rc.GetReason()] || rc.GetUsers() > last {
					problems = append(problems, fmt.Sprintf("by reason %v, want %v", cov.GetByReason(), wantBy))
				}
				last = rc.GetUsers()
			}
			if len(cov.GetByReason()) != 4 {
				problems = append(problems, fmt.Sprintf("by reason %v", cov.GetByReason()))
			}
			// Every failing seeded user is listed, with why.
			listed := map[string]*directoryv1.UserCheck{}
			for _, u := range cov.GetFailingUsers() {
				listed[u.GetSamAccountName()] = u
			}
			for _, u := range sambatest.Users {
				want := wantCause[u.Writeback]
				l := listed[u.SAMAccountName]
				switch {
				case want == directoryv1.FailureReason_FAILURE_REASON_UNSPECIFIED && l != nil:
					problems = append(problems, u.SAMAccountName+" listed as failing")
				case want != directoryv1.FailureReason_FAILURE_REASON_UNSPECIFIED && (l == nil || l.GetCause() != want):
					problems = append(problems, fmt.Sprintf("%s: %v, want cause %s", u.SAMAccountName, l, want))
				}
			}
			if q := listed["quinn.quigley"]; q != nil {
				if r := q.GetReasons()[0]; r.GetCode() != directoryv1.FailureReason_FAILURE_REASON_MISSING_RIGHT || r.GetRight() != directoryv1.WritebackRight_WRITEBACK_RIGHT_RESET_PASSWORD {
					problems = append(problems, fmt.Sprintf("quinn's first reason %v", r))
				}
			}
			if e := listed["erin.evans"]; e != nil && e.GetReasons()[0].GetAce() != fmt.Sprintf("(OD;;CR;%s;;%s)", resetGUID, connector) {
				problems = append(problems, fmt.Sprintf("erin's reason %v", e.GetReasons()[0]))
			}
			// Unexpire: Authenticated Users on the root. AdminSDHolder: only Change password
			// (Everyone); a working grant there adds the three object ACEs.
			if u := cov.GetUnexpire(); u.GetDecision() != directoryv1.Decision_DECISION_ALLOWED || u.GetAce() != "(OA;;CR;"+unexpireGUID+";;AU)" {
				problems = append(problems, fmt.Sprintf("unexpire %v", u))
			}
			h := cov.GetAdminSdHolder()
			wantGrant := []string{
				fmt.Sprintf("(OA;;CR;%s;;%s)", resetGUID, connector),
				fmt.Sprintf("(OA;;WP;%s;;%s)", lockoutGUID, connector),
				fmt.Sprintf("(OA;;WP;%s;;%s)", pwdLastGUID, connector),
			}
			if h.GetWorks() || !strings.EqualFold(h.GetDn(), s.DN("CN=AdminSDHolder,CN=System")) || strings.Join(h.GetGrantAces(), "") != strings.Join(wantGrant, "") ||
				h.GetRights()[1].GetDecision() != directoryv1.Decision_DECISION_ALLOWED || !strings.EqualFold(h.GetRights()[1].GetSource(), h.GetDn()) {
				problems = append(problems, fmt.Sprintf("AdminSDHolder %v", h))
			}
			if len(problems) > 0 {
				return errors.New(strings.Join(problems, "\n"))
			}
			return nil
		})
	})

	t.Run("OU=Staff, one listed", func(t *testing.T) {
		t.Parallel()
		resp, err := c.GetCoverage(ctx, &directoryv1.GetCoverageRequest{Scope: s.DN("OU=Staff"), MaxListed: 1, Connector: "MSOL_0123456789ab"})
		if err != nil {
			t.Fatal(err)
		}
		cov := resp.GetCoverage()
		bulkAdmins := int64(s.ExtraUsers / 50)
		if cov.GetUsers() != 16+int64(s.ExtraUsers) || cov.GetFailing() != 3+bulkAdmins || len(cov.GetFailingUsers()) != 1 || cov.GetFailingOmitted() != 2+bulkAdmins {
			t.Errorf("OU=Staff: %d users, %d failing, %d listed, %d omitted", cov.GetUsers(), cov.GetFailing(), len(cov.GetFailingUsers()), cov.GetFailingOmitted())
		}
	})

	t.Run("errors", func(t *testing.T) {
		t.Parallel()
		_, err := c.GetCoverage(ctx, &directoryv1.GetCoverageRequest{Scope: "DC=elsewhere,DC=test"})
		wantBadRequest(t, err, "scope")
		_, err = c.GetCoverage(ctx, &directoryv1.GetCoverageRequest{MaxListed: 2001})
		wantBadRequest(t, err, "max_listed")
	})

	t.Run("REST", func(t *testing.T) {
		t.Parallel()
		base := gatewaytest.Start(t, gateway.Config{DirectoryAddr: addr, IdentityAddr: addr, TLSAnalysisAddr: addr})
		post := func(body string) (int, map[string]any) {
			t.Helper()
			resp, err := http.Post(base+"/v1/writeback:coverage", "application/json", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			var out map[string]any
			if err := json.Unmarshal(b, &out); err != nil {
				t.Fatalf("%d %s", resp.StatusCode, b)
			}
			return resp.StatusCode, out
		}
		code, out := post(fmt.Sprintf(`{"scope": %q, "max_listed": 5}`, s.DN("OU=Staff")))
		cov, _ := out["coverage"].(map[string]any)
		failing, _ := cov["failing_users"].([]any)
		if code != http.StatusOK || cov["users"] != fmt.Sprint(16+s.ExtraUsers) || len(failing) != min(5, 3+s.ExtraUsers/50) {
			t.Fatalf("POST /v1/writeback:coverage: %d %v", code, out)
		}
		first, _ := failing[0].(map[string]any)
		if first["cause"] == nil || !strings.HasPrefix(fmt.Sprint(first["cause"]), "FAILURE_REASON_") || first["rights"] == nil {
			t.Errorf("failing user %v", first)
		}
		if code, out := post(`{"scope": "OU=Staff,DC=elsewhere,DC=test"}`); code != http.StatusBadRequest || !strings.Contains(fmt.Sprint(out["message"]), s.BaseDN) {
			t.Errorf("outside the domain: %d %v", code, out)
		}
		// The scope audit takes its DN in the body, as the README's curl example does.
		getJSON := func(resp *http.Response, err error) (int, map[string]any) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var out map[string]any
			if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
				t.Fatalf("%s: %v", resp.Request.URL, err)
			}
			return resp.StatusCode, out
		}
		code, out = getJSON(http.Post(base+"/v1/writeback:auditScope", "application/json", strings.NewReader(`{"scope":"OU=Staff,`+s.BaseDN+`"}`)))
		if a, _ := out["audit"].(map[string]any); code != http.StatusOK || a["works"] != true || !strings.EqualFold(fmt.Sprint(a["scope"]), s.DN("OU=Staff")) {
			t.Errorf("POST /v1/writeback:auditScope: %d %v", code, out)
		}
		code, out = getJSON(http.Get(base + "/v1/connectorAccounts?page_size=10"))
		accounts, _ := out["connector_accounts"].([]any)
		if code != http.StatusOK || len(accounts) != 1 || fmt.Sprint(accounts[0].(map[string]any)["name"]) != "connectorAccounts/"+connector {
			t.Errorf("GET /v1/connectorAccounts: %d %v", code, out)
		}
	})
}

// TestLDAPNotConfigured: without a domain controller the writeback RPCs say which flags to set,
// and decoding still works.
func TestLDAPNotConfigured(t *testing.T) {
	t.Parallel()
	c := startDirectory(t)
	ctx := testContext(t)
	calls := map[string]func() error{
		"ListConnectorAccounts": func() error {
			_, err := c.ListConnectorAccounts(ctx, &directoryv1.ListConnectorAccountsRequest{})
			return err
		},
		"AuditScope": func() error {
			_, err := c.AuditScope(ctx, &directoryv1.AuditScopeRequest{Scope: "OU=Staff,DC=example,DC=com"})
			return err
		},
		"CheckUsers": func() error {
			_, err := c.CheckUsers(ctx, &directoryv1.CheckUsersRequest{Users: []string{"alice"}})
			return err
		},
		"GetCoverage": func() error {
			_, err := c.GetCoverage(ctx, &directoryv1.GetCoverageRequest{})
			return err
		},
	}
	for name, call := range calls {
		err := call()
		if wantCode(t, err, codes.FailedPrecondition, "--ldap-url"); reasonOf(err) != directory.ReasonLDAPNotConfigured {
			t.Errorf("%s: %v (reason %q)", name, err, reasonOf(err))
		}
	}
	if _, err := c.DecodeSecurityDescriptor(ctx, &directoryv1.DecodeSecurityDescriptorRequest{
		Source: &directoryv1.DecodeSecurityDescriptorRequest_Sddl{Sddl: "D:(A;;GA;;;WD)"}}); err != nil {
		t.Errorf("decode without LDAP: %v", err)
	}
}

// TestDCUnreachable: the service starts and serves while the DC does not answer, and says so.
func TestDCUnreachable(t *testing.T) {
	t.Parallel()
	cfg := directory.LDAPConfig{URL: "127.0.0.1:1", BindDN: "CN=x,DC=example,DC=com", Password: secret.New("pw"), Timeout: 5 * time.Second}
	c, _ := startWithLDAP(t, cfg) // waits for SERVING
	_, err := c.AuditScope(testContext(t), &directoryv1.AuditScopeRequest{})
	if wantCode(t, err, codes.Unavailable, "ldaps://127.0.0.1:1"); reasonOf(err) != directory.ReasonLDAPUnavailable {
		t.Errorf("reason %q", reasonOf(err))
	}
}

// TestBindRefused: a bind account the DC refuses is a configuration problem, said as such.
func TestBindRefused(t *testing.T) {
	t.Parallel()
	s := sambatest.Env(t)
	cfg := ldapConfig(s)
	cfg.BindDN = s.DN("CN=Nobody,CN=Users")
	c, _ := startWithLDAP(t, cfg)
	_, err := c.ListConnectorAccounts(testContext(t), &directoryv1.ListConnectorAccountsRequest{})
	if wantCode(t, err, codes.FailedPrecondition, "--ldap-password"); reasonOf(err) != directory.ReasonLDAPBindFailed || strings.Contains(err.Error(), s.Password) {
		t.Errorf("reason %q: %v", reasonOf(err), err)
	}
}

func rightsOf(vs []*directoryv1.Verdict) string {
	var out []string
	for _, v := range vs {
		out = append(out, strings.TrimPrefix(v.GetRight().String(), "WRITEBACK_RIGHT_"))
	}
	return strings.Join(out, ",")
}

// wantCode checks err's code and that its message contains substr.
func wantCode(t *testing.T, err error, code codes.Code, substr string) {
	t.Helper()
	st := status.Convert(err)
	if st.Code() != code || !strings.Contains(st.Message(), substr) {
		t.Errorf("got %v, want %s mentioning %q", err, code, substr)
	}
}

// wantBadRequest checks that err is InvalidArgument about field.
func wantBadRequest(t *testing.T, err error, field string) {
	t.Helper()
	st := status.Convert(err)
	if st.Code() != codes.InvalidArgument || !strings.HasPrefix(st.Message(), "invalid "+field+":") {
		t.Errorf("got %v, want InvalidArgument about %s", err, field)
	}
}

func reasonOf(err error) string {
	for _, d := range status.Convert(err).Details() {
		if ei, ok := d.(*errdetails.ErrorInfo); ok {
			return ei.GetReason()
		}
	}
	return ""
}
