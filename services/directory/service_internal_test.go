package directory

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	directoryv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/directory/v1"
	"github.com/hybridkit/hybridkit/services/directory/ldapconn"
	"github.com/hybridkit/hybridkit/services/directory/writeback"
)

func TestFlags(t *testing.T) {
	t.Parallel()
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	parse := func(t *testing.T, args ...string) *Config {
		t.Helper()
		var c Config
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		c.Flags(fs, "directory-")
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		return &c
	}
	c := parse(t, "--directory-ldap-url", "dc1.example.com", "--directory-ldap-bind-dn", `EXAMPLE\hybridkit`,
		"--directory-ldap-password-file", pwFile, "--directory-domains", "DC=example,DC=com; DC=child,DC=example,DC=com",
		"--directory-connector", "MSOL_abc, svc-sync", "--directory-connector", "other@example.com", "--directory-ldap-timeout", "7s")
	cc, err := c.LDAP.connConfig()
	if err != nil {
		t.Fatal(err)
	}
	if cc.URL != "ldaps://dc1.example.com" || cc.Password.Reveal() != "s3cret" || cc.Timeout != 7*time.Second || cc.BindDN != `EXAMPLE\hybridkit` {
		t.Errorf("ldapconn config %+v", cc)
	}
	if strings.Join(c.LDAP.Domains, "|") != "DC=example,DC=com|DC=child,DC=example,DC=com" || strings.Join(c.LDAP.Connectors, "|") != "MSOL_abc|svc-sync|other@example.com" {
		t.Errorf("domains %q, connectors %q", c.LDAP.Domains, c.LDAP.Connectors)
	}
	if s := fmt.Sprintf("%v %+v", c.LDAP, cc); strings.Contains(s, "s3cret") {
		t.Errorf("the password shows in %s", s)
	}

	for _, tc := range []struct {
		args []string
		want string // in the error; "" for none
	}{
		{[]string{"--directory-ldap-url", "ldap://dc1", "--directory-ldap-bind-dn", "x", "--directory-ldap-password", "p"}, "in clear"},
		{[]string{"--directory-ldap-url", "ldap://dc1", "--directory-ldap-bind-dn", "x", "--directory-ldap-password", "p", "--directory-ldap-insecure-plaintext"}, ""},
		{[]string{"--directory-ldap-url", "ldap://dc1", "--directory-ldap-bind-dn", "x", "--directory-ldap-password", "p", "--directory-ldap-starttls"}, ""},
		{[]string{"--directory-ldap-url", "ldaps://dc1", "--directory-ldap-bind-dn", "x", "--directory-ldap-password", "p", "--directory-ldap-starttls"}, "StartTLS"},
		{[]string{"--directory-ldap-url", "dc1"}, "--directory-ldap-bind-dn is required"},
		{[]string{"--directory-ldap-url", "dc1", "--directory-ldap-bind-dn", "x"}, "no password"},
		{[]string{"--directory-ldap-url", "dc1", "--directory-ldap-bind-dn", "x", "--directory-ldap-password", "p", "--directory-ldap-password-file", pwFile}, "both set"},
		{[]string{"--directory-ldap-url", "dc1", "--directory-ldap-bind-dn", "x", "--directory-ldap-password", "p", "--directory-ldap-ca-file", "/nonexistent"}, "CA file"},
	} {
		_, err := parse(t, tc.args...).LDAP.connConfig()
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%q: %v, want %q", tc.args, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "p\"") {
			t.Errorf("%q: the password shows in %v", tc.args, err)
		}
	}
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var bad Config
	bad.Flags(fs, "")
	if err := fs.Parse([]string{"--domains", "DC=example,,DC=com"}); err == nil {
		t.Error("a malformed --domains entry was accepted")
	}
}

func TestValidators(t *testing.T) {
	t.Parallel()
	v := NewService(slog.Default()).Validators()
	many := make([]string, MaxCheckUsers+1)
	for i := range many {
		many[i] = "u"
	}
	for _, tc := range []struct {
		method string
		req    any
		field  string // "" when valid
	}{
		{directoryv1.DirectoryService_ListConnectorAccounts_FullMethodName, &directoryv1.ListConnectorAccountsRequest{}, ""},
		{directoryv1.DirectoryService_ListConnectorAccounts_FullMethodName, &directoryv1.ListConnectorAccountsRequest{PageSize: 1001}, "page_size"},
		{directoryv1.DirectoryService_ListConnectorAccounts_FullMethodName, &directoryv1.ListConnectorAccountsRequest{PageSize: -1}, "page_size"},
		{directoryv1.DirectoryService_ListConnectorAccounts_FullMethodName, &directoryv1.ListConnectorAccountsRequest{PageToken: encodePageToken(3)}, ""},
		{directoryv1.DirectoryService_ListConnectorAccounts_FullMethodName, &directoryv1.ListConnectorAccountsRequest{PageToken: "!!"}, "page_token"},
		{directoryv1.DirectoryService_AuditScope_FullMethodName, &directoryv1.AuditScopeRequest{}, ""},
		{directoryv1.DirectoryService_AuditScope_FullMethodName, &directoryv1.AuditScopeRequest{Scope: "OU=Staff,DC=example,DC=com", Connector: `EXAMPLE\MSOL_1`}, ""},
		{directoryv1.DirectoryService_AuditScope_FullMethodName, &directoryv1.AuditScopeRequest{Scope: "OU=Staff,,DC=example,DC=com"}, "scope"},
		{directoryv1.DirectoryService_AuditScope_FullMethodName, &directoryv1.AuditScopeRequest{Scope: "Staff"}, "scope"},
		{directoryv1.DirectoryService_AuditScope_FullMethodName, &directoryv1.AuditScopeRequest{Scope: "OU=" + strings.Repeat("x", 2000)}, "scope"},
		{directoryv1.DirectoryService_AuditScope_FullMethodName, &directoryv1.AuditScopeRequest{Connector: "S-1-5-x"}, "connector"},
		{directoryv1.DirectoryService_AuditScope_FullMethodName, &directoryv1.AuditScopeRequest{Connector: "CN=a,,DC=b"}, "connector"},
		{directoryv1.DirectoryService_AuditScope_FullMethodName, &directoryv1.AuditScopeRequest{Connector: "*)(cn=*"}, ""},
		{directoryv1.DirectoryService_AuditScope_FullMethodName, &directoryv1.AuditScopeRequest{Connector: "a=b@example.com"}, ""},
		{directoryv1.DirectoryService_CheckUsers_FullMethodName, &directoryv1.CheckUsersRequest{Users: []string{"a", "CN=b,DC=c", "S-1-5-21-1-2-3-500", "d@e"}}, ""},
		{directoryv1.DirectoryService_CheckUsers_FullMethodName, &directoryv1.CheckUsersRequest{}, "users"},
		{directoryv1.DirectoryService_CheckUsers_FullMethodName, &directoryv1.CheckUsersRequest{Users: many, View: directoryv1.VerdictView_VERDICT_VIEW_BASIC}, "users"},
		{directoryv1.DirectoryService_CheckUsers_FullMethodName, &directoryv1.CheckUsersRequest{Users: many[:MaxCheckUsers], View: directoryv1.VerdictView_VERDICT_VIEW_BASIC}, ""},
		{directoryv1.DirectoryService_CheckUsers_FullMethodName, &directoryv1.CheckUsersRequest{Users: many[:MaxCheckUsersFull+1]}, "users"},
		{directoryv1.DirectoryService_CheckUsers_FullMethodName, &directoryv1.CheckUsersRequest{Users: many[:MaxCheckUsersFull+1], View: directoryv1.VerdictView_VERDICT_VIEW_FULL}, "users"},
		{directoryv1.DirectoryService_CheckUsers_FullMethodName, &directoryv1.CheckUsersRequest{Users: many[:MaxCheckUsersFull]}, ""},
		{directoryv1.DirectoryService_CheckUsers_FullMethodName, &directoryv1.CheckUsersRequest{Users: []string{"a"}, View: 7}, "view"},
		{directoryv1.DirectoryService_CheckUsers_FullMethodName, &directoryv1.CheckUsersRequest{Users: []string{"a", " "}}, "users[1]"},
		{directoryv1.DirectoryService_CheckUsers_FullMethodName, &directoryv1.CheckUsersRequest{Users: []string{"a", "CN=x,=y"}}, "users[1]"},
		{directoryv1.DirectoryService_CheckUsers_FullMethodName, &directoryv1.CheckUsersRequest{Users: []string{"S-1-zz"}}, "users[0]"},
		{directoryv1.DirectoryService_GetCoverage_FullMethodName, &directoryv1.GetCoverageRequest{MaxListed: 2000}, ""},
		{directoryv1.DirectoryService_GetCoverage_FullMethodName, &directoryv1.GetCoverageRequest{MaxListed: 2001}, "max_listed"},
		{directoryv1.DirectoryService_GetCoverage_FullMethodName, &directoryv1.GetCoverageRequest{Scope: "DC="}, "scope"},
	} {
		err := v[tc.method](tc.req)
		st := status.Convert(err)
		switch {
		case tc.field == "" && err != nil:
			t.Errorf("%v: %v", tc.req, err)
		case tc.field != "" && (st.Code() != codes.InvalidArgument || !strings.HasPrefix(st.Message(), "invalid "+tc.field+":")):
			t.Errorf("%v: %v, want InvalidArgument about %s", tc.req, err, tc.field)
		}
	}
}

func TestEngineErrorMapping(t *testing.T) {
	t.Parallel()
	s := &Service{logger: slog.New(slog.NewTextHandler(io.Discard, nil)), ldapCfg: LDAPConfig{prefix: "directory-"},
		dc: &dc{cfg: ldapconn.Config{URL: "ldaps://dc1.example.com", BindDN: "CN=reader,DC=example,DC=com"}}}
	ctx := context.Background()
	denied := &ldapconn.OpError{Op: "read the descriptor of", DN: "OU=Staff,DC=example,DC=com", Err: ldap.NewError(ldap.LDAPResultInsufficientAccessRights, errors.New("00002098: no"))}
	for _, tc := range []struct {
		name   string
		err    error
		code   codes.Code
		reason string
		in     []string // substrings of the message
		notIn  string
	}{
		{"outside", fmt.Errorf("wrap: %w", &writeback.OutsideDomainError{DN: "OU=X,DC=other,DC=com", NamingContexts: []string{"DC=example,DC=com", "DC=b,DC=example,DC=com"}}),
			codes.InvalidArgument, "", []string{"invalid scope:", "DC=example,DC=com; DC=b,DC=example,DC=com"}, ""},
		{"other naming context", &writeback.OutsideDomainError{DN: "CN=Schema,CN=Configuration,DC=example,DC=com", NamingContexts: []string{"DC=example,DC=com"}, Inside: "CN=Configuration,DC=example,DC=com"},
			codes.InvalidArgument, "", []string{"naming context", "CN=Configuration"}, ""},
		{"bad DN", &ldapconn.DNError{DN: "x", Reason: "empty"}, codes.InvalidArgument, "", []string{"invalid scope:"}, ""},
		{"not a scope", fmt.Errorf("writeback: scope %q is a user: %w", "CN=a", writeback.ErrNotScope), codes.InvalidArgument, "", []string{"is a user"}, "writeback:"},
		{"ambiguous", fmt.Errorf("writeback: %q matches a and b: %w", "bob", writeback.ErrAmbiguous), codes.InvalidArgument, "", []string{"by DN or objectSid"}, ""},
		{"not found", fmt.Errorf("writeback: %q: %w", "bob", writeback.ErrNotFound), codes.NotFound, "", []string{"bob"}, "writeback:"},
		{"no such object", &ldapconn.OpError{Op: "read", DN: "OU=Gone,DC=example,DC=com", Err: ldapconn.ErrNoSuchObject}, codes.NotFound, "", []string{"OU=Gone", "does not exist"}, ""},
		{"insufficient access", fmt.Errorf("writeback: %w", denied), codes.PermissionDenied, ReasonLDAPReadDenied, []string{"CN=reader,DC=example,DC=com", "OU=Staff", "Read permissions"}, ""},
		{"no descriptor", &ldapconn.OpError{Op: "read nTSecurityDescriptor", DN: "CN=u,DC=example,DC=com", Err: ldapconn.ErrNoSecurityDescriptor},
			codes.PermissionDenied, ReasonLDAPReadDenied, []string{"READ_CONTROL", "CN=reader"}, ""},
		{"tokenGroups", &ldapconn.OpError{Op: "read tokenGroups of", DN: "CN=c,DC=example,DC=com", Err: ldap.NewError(ldap.LDAPResultInsufficientAccessRights, errors.New("no"))},
			codes.PermissionDenied, ReasonLDAPReadDenied, []string{"Windows Authorization Access"}, ""},
		{"refused connection", fmt.Errorf("ldapconn: reconnect: %w", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}),
			codes.Unavailable, ReasonLDAPUnavailable, []string{"ldaps://dc1.example.com", "connection refused"}, "reconnect"},
		{"EOF", &ldapconn.OpError{Op: "search", Err: io.EOF}, codes.Unavailable, ReasonLDAPUnavailable, []string{"EOF"}, ""},
		{"network code", ldap.NewError(ldap.ErrorNetwork, errors.New("gone")), codes.Unavailable, ReasonLDAPUnavailable, nil, ""},
		{"closed", ldapconn.ErrClosed, codes.Unavailable, ReasonLDAPUnavailable, nil, ""},
		{"anything else", errors.New("secret internals"), codes.Internal, "", []string{"reference"}, "secret internals"},
	} {
		err := s.engineError(ctx, tc.err, "scope")
		st := status.Convert(err)
		msg := st.Message()
		if st.Code() != tc.code || reasonOf(err) != tc.reason || (tc.notIn != "" && strings.Contains(msg, tc.notIn)) {
			t.Errorf("%s: %v (reason %q), want %s %s", tc.name, err, reasonOf(err), tc.code, tc.reason)
		}
		for _, sub := range tc.in {
			if !strings.Contains(msg, sub) {
				t.Errorf("%s: %q lacks %q", tc.name, msg, sub)
			}
		}
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.engineError(cancelled, context.Canceled, "scope"); status.Code(err) != codes.Canceled {
		t.Errorf("cancelled: %v", err)
	}
	if err := s.connectError(ctx, &ldapconn.BindError{Mechanism: "simple", User: "CN=reader", ResultCode: 49, Reason: "wrong password or user"}); status.Code(err) != codes.FailedPrecondition ||
		reasonOf(err) != ReasonLDAPBindFailed || !strings.Contains(status.Convert(err).Message(), "--directory-ldap-password") {
		t.Errorf("bind refused: %v", err)
	}
	if err := s.connectError(ctx, errors.New(`writeback: "DC=x" is not a naming context of ldaps://dc1`)); status.Code(err) != codes.FailedPrecondition || reasonOf(err) != ReasonLDAPSetupFailed {
		t.Errorf("setup: %v", err)
	}
	if err := (&Service{ldapCfg: LDAPConfig{prefix: "directory-"}}).errNotConfigured(); status.Code(err) != codes.FailedPrecondition ||
		!strings.Contains(status.Convert(err).Message(), "--directory-ldap-url") || reasonOf(err) != ReasonLDAPNotConfigured {
		t.Errorf("not configured: %v", err)
	}
}

// TestConnectBackoff: a failed connection is answered from memory for a while, so calls do not
// each wait for a dead DC or repeat a refused password.
func TestConnectBackoff(t *testing.T) {
	t.Parallel()
	now := time.Unix(1000, 0)
	d := &dc{cfg: ldapconn.Config{URL: "ldaps://127.0.0.1:1", Timeout: 2 * time.Second}, sem: make(chan struct{}, 1),
		logger: slog.New(slog.NewTextHandler(io.Discard, nil)), now: func() time.Time { return now }}
	ctx := context.Background()
	_, _, first := d.get(ctx)
	if first == nil || !isNetworkError(first) {
		t.Fatalf("first attempt: %v", first)
	}
	if _, _, again := d.get(ctx); again != first {
		t.Errorf("within the back-off: %v, want the remembered %v", again, first)
	}
	now = now.Add(retryUnreachable + time.Second)
	if _, _, later := d.get(ctx); later == nil || later == first {
		t.Errorf("after the back-off: %v, want a new attempt", later)
	}
}

func TestDefaultConnector(t *testing.T) {
	t.Parallel()
	msol := func(name string, disabled bool) ldapconn.ConnectorAccount {
		return ldapconn.ConnectorAccount{DN: "CN=" + name + ",CN=Users,DC=x", SAMAccountName: name, MSOL: true, Disabled: disabled}
	}
	custom := ldapconn.ConnectorAccount{DN: "CN=svc,DC=x", SAMAccountName: "svc", Configured: true}
	for _, tc := range []struct {
		name       string
		configured []string
		accounts   []ldapconn.ConnectorAccount
		want       string // DN, or the error reason
	}{
		{"one MSOL", nil, []ldapconn.ConnectorAccount{msol("MSOL_1", false)}, "CN=MSOL_1,CN=Users,DC=x"},
		{"none", nil, nil, ReasonConnectorNotFound},
		{"two MSOL", nil, []ldapconn.ConnectorAccount{msol("MSOL_1", false), msol("MSOL_2", false)}, ReasonConnectorAmbiguous},
		{"two MSOL, one enabled", nil, []ldapconn.ConnectorAccount{msol("MSOL_1", true), msol("MSOL_2", false)}, "CN=MSOL_2,CN=Users,DC=x"},
		{"configured wins", []string{"svc"}, []ldapconn.ConnectorAccount{msol("MSOL_1", false), custom}, "CN=svc,DC=x"},
		{"configured, absent", []string{"svc"}, []ldapconn.ConnectorAccount{msol("MSOL_1", false)}, ReasonConnectorNotFound},
		{"two configured", []string{"svc", "svc2"}, []ldapconn.ConnectorAccount{custom}, ReasonConnectorAmbiguous},
	} {
		s := &Service{ldapCfg: LDAPConfig{Connectors: tc.configured}}
		dn, err := s.defaultConnector(tc.accounts, nil)
		got := dn
		if err != nil {
			if status.Code(err) != codes.FailedPrecondition {
				t.Errorf("%s: %v", tc.name, err)
			}
			got = reasonOf(err)
		}
		if got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestSameGrantSDDL(t *testing.T) {
	t.Parallel()
	const src = "(OA;CIIO;CR;00299570-246d-11d0-a768-00aa006e0529;bf967aba-0de6-11d0-a285-00aa003049e2;S-1-5-21-1-2-3-1105)"
	for _, tc := range []struct {
		a    string
		want bool
	}{
		{"(OA;CIID;CR;00299570-246d-11d0-a768-00aa006e0529;bf967aba-0de6-11d0-a285-00aa003049e2;S-1-5-21-1-2-3-1105)", true},
		{"(OA;ID;CR;00299570-246d-11d0-a768-00aa006e0529;bf967aba-0de6-11d0-a285-00aa003049e2;S-1-5-21-1-2-3-1105)", true},
		{"(OD;CIID;CR;00299570-246d-11d0-a768-00aa006e0529;bf967aba-0de6-11d0-a285-00aa003049e2;S-1-5-21-1-2-3-1105)", false},
		{"(OA;CIID;CR;00299570-246d-11d0-a768-00aa006e0529;;S-1-5-21-1-2-3-1105)", false},
		{"(OA;CIID;CR;00299570-246d-11d0-a768-00aa006e0529;bf967aba-0de6-11d0-a285-00aa003049e2;S-1-5-21-1-2-3-1106)", false},
		{"(A;;GA;;;WD)", false},
	} {
		if got := sameGrantSDDL(src, tc.a); got != tc.want {
			t.Errorf("%s: %v", tc.a, got)
		}
	}
}

func TestPageTokens(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 999} {
		if got, err := decodePageToken(encodePageToken(n)); err != nil || got != n {
			t.Errorf("%d: %d, %v", n, got, err)
		}
	}
	for _, bad := range []string{"x", encodePageToken(1)[:4], "Y29ubmVjdG9yQWNjb3VudHM6LTE"} { // the last is offset -1
		if _, err := decodePageToken(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
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

func TestSpelledAs(t *testing.T) {
	t.Parallel()
	const user = `CN=Doe\, Jane,OU=Sales,OU=Staff,DC=example,DC=com`
	for _, tc := range []struct{ dn, want string }{
		{"ou=Staff,dc=example,dc=com", "OU=Staff,DC=example,DC=com"},
		{"ou=sales,ou=staff,dc=example,dc=com", "OU=Sales,OU=Staff,DC=example,DC=com"},
		{"cn=doe\\, jane,ou=sales,ou=staff,dc=example,dc=com", user},
		{"dc=example,dc=com", "DC=example,DC=com"},
		{"ou=Elsewhere,dc=example,dc=com", "ou=Elsewhere,dc=example,dc=com"},
		{"not a DN", "not a DN"},
	} {
		if got := spelledAs(tc.dn, user); got != tc.want {
			t.Errorf("spelledAs(%q) = %q, want %q", tc.dn, got, tc.want)
		}
	}
}
