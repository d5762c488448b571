package main

// hybridkit directory against the Samba AD DC of scripts/samba-test.sh: the tests skip without
// it (HYBRIDKIT_TEST_LDAP_* unset), and fail without it when CI=true.
//
// TestDirectoryGrantRoundTrip changes a DACL and puts it back; it is not parallel, so Go runs it
// before every parallel test of the package and the read tests see the seeded domain.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/hybridkit/hybridkit/platform/grpcserver"
	"github.com/hybridkit/hybridkit/platform/grpctest"
	"github.com/hybridkit/hybridkit/platform/secret"
	"github.com/hybridkit/hybridkit/platform/store"
	directoryv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/directory/v1"
	"github.com/hybridkit/hybridkit/services/directory"
	"github.com/hybridkit/hybridkit/services/directory/ldapconn"
	"github.com/hybridkit/hybridkit/services/directory/secdesc"
	"github.com/hybridkit/hybridkit/services/directory/writeback"
)

// testDC is the test DC's settings, from the environment samba-test.sh env prints.
type testDC struct {
	url, ca, serverName, bindDN, password, baseDN, connectorDN, domainSID string
	extraUsers                                                            int
}

func dcFromEnv(t *testing.T) testDC {
	t.Helper()
	get := func(name string) string { return os.Getenv("HYBRIDKIT_TEST_LDAP_" + name) }
	d := testDC{url: get("URL"), ca: get("CA"), serverName: get("SERVER_NAME"), bindDN: get("BIND_DN"), password: get("PASSWORD"),
		baseDN: get("BASE_DN"), connectorDN: get("CONNECTOR_DN"), domainSID: get("DOMAIN_SID")}
	if d.url == "" || d.bindDN == "" || d.password == "" || d.baseDN == "" {
		const how = `run scripts/samba-test.sh start; eval "$(scripts/samba-test.sh env)"`
		if os.Getenv("CI") == "true" {
			t.Fatalf("the test Samba AD DC is not configured and CI=true: %s", how)
		}
		t.Skipf("no test Samba AD DC: %s", how)
	}
	if v := get("EXTRA_USERS"); v != "" {
		fmt.Sscan(v, &d.extraUsers)
	}
	return d
}

// args are the --ldap-* flags that reach the test DC as Administrator.
func (d testDC) args() []string {
	return []string{"--ldap-url", d.url, "--ldap-ca-file", d.ca, "--ldap-server-name", d.serverName, "--ldap-bind-dn", d.bindDN, "--ldap-password", d.password}
}

func (d testDC) dn(rel string) string { return rel + "," + d.baseDN }

func (d testDC) connectorSID() string { return d.domainSID + "-1105" }

func (d testDC) conn(t *testing.T) *ldapconn.Conn {
	t.Helper()
	c, err := ldapconn.Dial(context.Background(), ldapconn.Config{URL: d.url, CAFile: d.ca, ServerName: d.serverName,
		BindDN: d.bindDN, Password: secret.New(d.password), Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func runDirectoryT(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := runDirectory(ctx, args, &stdout, &stderr)
	if stderr.Len() > 0 {
		t.Logf("stderr:\n%s", stderr.String())
	}
	return stdout.String(), err
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, err := runDirectoryT(t, args...)
	if err != nil {
		t.Fatalf("hybridkit directory %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// tableRow returns the cells of the first line of out that starts with first (cells are separated
// by two spaces or more), or nil.
func tableRow(out, first string) []string {
	for _, line := range strings.Split(out, "\n") {
		cells := regexp.MustCompile(`\s{2,}`).Split(strings.TrimSpace(line), -1)
		if len(cells) > 0 && cells[0] == first {
			return cells
		}
	}
	return nil
}

// TestDirectoryGrantRoundTrip: on a scope without the rights, a grant dry run changes nothing; the
// grant applied makes the scope work, a second grant changes nothing, revoke puts the DACL back
// byte for byte, and restoring the backups replays the change and undoes it.
func TestDirectoryGrantRoundTrip(t *testing.T) {
	d := dcFromEnv(t)
	scope := d.dn("OU=Service Accounts")
	conn := d.conn(t)
	ctx := context.Background()
	read := func() []byte {
		t.Helper()
		b, err := conn.ReadSecurityDescriptor(ctx, scope)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	original := read()
	t.Cleanup(func() {
		if now, err := conn.ReadSecurityDescriptor(ctx, scope); err == nil && !bytes.Equal(now, original) {
			t.Errorf("%s was left changed: putting the original DACL back", scope)
			if err := conn.WriteDACL(ctx, scope, original); err != nil {
				t.Errorf("putting the DACL of %s back: %v", scope, err)
			}
		}
	})
	storePath := filepath.Join(t.TempDir(), "hybridkit.db")
	withStore := append(d.args(), "--store", "sqlite:"+storePath)
	connector := d.connectorSID()
	wantAdd := []string{
		fmt.Sprintf("(OA;CIIO;CR;00299570-246d-11d0-a768-00aa006e0529;bf967aba-0de6-11d0-a285-00aa003049e2;%s)", connector),
		fmt.Sprintf("(OA;CIIO;WP;28630ebf-41d5-11d1-a9c1-0000f80367c1;bf967aba-0de6-11d0-a285-00aa003049e2;%s)", connector),
		fmt.Sprintf("(OA;CIIO;WP;bf967a0a-0de6-11d0-a285-00aa003049e2;bf967aba-0de6-11d0-a285-00aa003049e2;%s)", connector),
	}

	if out := mustRun(t, append([]string{"audit", scope}, d.args()...)...); !strings.Contains(out, "writeback FAILS") {
		t.Fatalf("audit before the grant:\n%s", out)
	}

	// The dry run: the plan and its diff, nothing written, no store created.
	out := mustRun(t, append([]string{"grant", scope}, withStore...)...)
	if !strings.Contains(out, "Dry run: nothing was written") || !strings.Contains(out, scope+": add 3 ACE(s), remove 0") || !strings.Contains(out, "--- "+scope+" (before)") {
		t.Errorf("dry run:\n%s", out)
	}
	for _, a := range wantAdd {
		if !strings.Contains(out, "  + "+a+"\n") || !strings.Contains(out, "  +"+a+"\n") { // listed, and in the diff
			t.Errorf("dry run lacks %s:\n%s", a, out)
		}
	}
	if !bytes.Equal(read(), original) {
		t.Fatal("the dry run changed the DACL")
	}
	if _, err := os.Stat(storePath); !os.IsNotExist(err) {
		t.Errorf("the dry run created the store: %v", err)
	}

	// Applied: backed up, written, verified; the scope now works.
	out = mustRun(t, append([]string{"grant", scope, "--apply", "--reason", "test"}, withStore...)...)
	grantBackup := backupID(t, out)
	if !strings.Contains(out, "Applied") || !strings.Contains(out, "written: yes, verified: yes") {
		t.Fatalf("grant --apply:\n%s", out)
	}
	if out := mustRun(t, append([]string{"audit", scope}, d.args()...)...); !strings.Contains(out, "writeback works") {
		t.Errorf("audit after the grant:\n%s", out)
	}
	if out := mustRun(t, append([]string{"grant", scope, "--apply"}, withStore...)...); !strings.Contains(out, "Nothing to change") {
		t.Errorf("second grant:\n%s", out)
	}

	// Revoke: exactly the grant's ACEs go, and the descriptor is the original byte for byte.
	out = mustRun(t, append([]string{"revoke", scope, "--apply", "-o", "json"}, withStore...)...)
	var revoked writeback.Change
	if err := json.Unmarshal([]byte(out), &revoked); err != nil {
		t.Fatalf("%v in:\n%s", err, out)
	}
	// The scope loses the three ACEs; the domain root, which had no grant of Unexpire password to
	// revoke (Authenticated Users hold it), stays as it is.
	if len(revoked.Objects) != 2 || revoked.Objects[0].DN != scope || strings.Join(revoked.Objects[0].Remove, "") != strings.Join(wantAdd, "") ||
		!revoked.Objects[0].Verified || revoked.Objects[0].BackupID == "" || !revoked.Objects[1].Unchanged || revoked.Objects[1].BackupID != "" {
		t.Errorf("revoke: %+v", revoked.Objects)
	}
	if !bytes.Equal(read(), original) {
		t.Fatalf("after grant and revoke the descriptor differs:\n%x\n%x", read(), original)
	}

	// Restore replays: the revoke's backup brings the grant back, the grant's backup removes it.
	if out := mustRun(t, append([]string{"restore", revoked.Objects[0].BackupID}, withStore...)...); !strings.Contains(out, "Dry run") || !strings.Contains(out, "add 3 ACE(s)") {
		t.Errorf("restore dry run:\n%s", out)
	}
	mustRun(t, append([]string{"restore", revoked.Objects[0].BackupID, "--apply"}, withStore...)...)
	if bytes.Equal(read(), original) {
		t.Error("restoring the revoke's backup changed nothing")
	}
	out = mustRun(t, append([]string{"restore", grantBackup, "--apply"}, withStore...)...)
	if !strings.Contains(out, "remove 3") {
		t.Errorf("restore of the grant's backup:\n%s", out)
	}
	if !bytes.Equal(read(), original) {
		t.Fatal("after restoring the grant's backup the descriptor differs from the original")
	}

	// Refused: outside the domain, and over the network.
	if _, err := runDirectoryT(t, append([]string{"grant", "OU=X,DC=elsewhere,DC=test", "--apply"}, withStore...)...); err == nil || !strings.Contains(err.Error(), d.baseDN) {
		t.Errorf("grant outside the domain: %v", err)
	}
	if _, err := runDirectoryT(t, "grant", scope, "--server", "127.0.0.1:1"); err == nil || !strings.Contains(err.Error(), "Unavailable") {
		t.Errorf("grant --server with no server there: %v", err)
	}
}

// TestDirectoryGrantOverREST grants, lists backups and restores through the real `hybridkit
// serve`: a reader is refused the grant (403), an operator's is applied and audited under its
// token, and `hybridkit directory restore --server` puts the original DACL back. Like
// TestDirectoryGrantRoundTrip it changes OU=Service Accounts for a moment and is not parallel.
func TestDirectoryGrantOverREST(t *testing.T) {
	d := dcFromEnv(t)
	scope := d.dn("OU=Service Accounts")
	conn := d.conn(t)
	ctx := context.Background()
	read := func() []byte {
		t.Helper()
		b, err := conn.ReadSecurityDescriptor(ctx, scope)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	original := read()
	t.Cleanup(func() {
		if now, err := conn.ReadSecurityDescriptor(ctx, scope); err == nil && !bytes.Equal(now, original) {
			t.Errorf("%s was left changed: putting the original DACL back", scope)
			if err := conn.WriteDACL(ctx, scope, original); err != nil {
				t.Errorf("putting the DACL of %s back: %v", scope, err)
			}
		}
	})
	p := startServe(t, "--directory-ldap-url", d.url, "--directory-ldap-ca-file", d.ca, "--directory-ldap-server-name", d.serverName,
		"--directory-ldap-bind-dn", d.bindDN, "--directory-ldap-password", d.password)
	base := "http://" + p.gateway
	body := func() io.Reader {
		b, _ := json.Marshal(map[string]any{"scope": scope, "apply": true, "reason": "REST test", "rights": []string{
			"WRITEBACK_RIGHT_RESET_PASSWORD", "WRITEBACK_RIGHT_CHANGE_PASSWORD", "WRITEBACK_RIGHT_WRITE_LOCKOUT_TIME", "WRITEBACK_RIGHT_WRITE_PWD_LAST_SET"}})
		return bytes.NewReader(b)
	}

	// A reader may not grant: 403, nothing written.
	if code, e := httpDoAs(t, p.reader, "POST", base+"/v1/writeback:grant", "application/json", body()); code != http.StatusForbidden {
		t.Fatalf("reader's grant: %d %v", code, e)
	}
	if !bytes.Equal(read(), original) {
		t.Fatal("a refused grant changed the descriptor")
	}

	// An operator's dry run (apply omitted) writes nothing.
	code, dry := httpDoAs(t, p.operator, "POST", base+"/v1/writeback:grant", "application/json", strings.NewReader(`{"scope":"`+scope+`"}`))
	if code != http.StatusOK || dig(dry, "dry_run") != true || !bytes.Equal(read(), original) {
		t.Fatalf("operator's dry run: %d %v", code, dry)
	}

	// An operator's applied grant: written, verified, backed up, audited.
	code, g := httpDoAs(t, p.operator, "POST", base+"/v1/writeback:grant", "application/json", body())
	if code != http.StatusOK {
		t.Fatalf("operator's grant: %d %v", code, g)
	}
	obj, _ := dig(g, "objects", 0).(map[string]any)
	if dig(g, "dry_run") == true || obj == nil || obj["written"] != true || obj["verified"] != true || obj["audit_id"] == nil || obj["backup"] == nil {
		t.Fatalf("operator's grant: %v", g)
	}
	if bytes.Equal(read(), original) {
		t.Fatal("the operator's grant changed nothing")
	}
	backup := obj["backup"].(string)

	st, err := store.Open(ctx, p.store)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	recs, _, err := st.ListAudit(ctx, store.AuditQuery{PageSize: store.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	var rpcAudit, engineAudit bool
	for _, r := range recs {
		switch {
		case r.Action == "/hybridkit.directory.v1.DirectoryService/GrantWriteback" && r.Result == store.AuditOK && strings.HasPrefix(r.Actor, "token:"):
			rpcAudit = true
		case r.Action == writeback.ActionGrant && r.Result == store.AuditOK && strings.HasPrefix(r.Actor, "token:") && r.ID == obj["audit_id"]:
			engineAudit = true
		}
	}
	if !rpcAudit || !engineAudit {
		t.Errorf("audit records of the grant (call %v, change %v): %+v", rpcAudit, engineAudit, recs)
	}

	// A reader lists and reads the backups.
	code, list := httpDoAs(t, p.reader, "GET", base+"/v1/backups?dn="+url.QueryEscape(scope), "", nil)
	if code != http.StatusOK || dig(list, "backups", 0, "name") != backup {
		t.Fatalf("list backups: %d %v", code, list)
	}
	code, b := httpDoAs(t, p.reader, "GET", base+"/v1/"+backup, "", nil)
	if code != http.StatusOK || dig(b, "backup", "reason") != "REST test" {
		t.Fatalf("get backup: %d %v", code, b)
	}
	if code, e := httpDoAs(t, p.reader, "POST", base+"/v1/"+backup+":restore", "application/json", strings.NewReader(`{"apply":true}`)); code != http.StatusForbidden {
		t.Fatalf("reader's restore: %d %v", code, e)
	}

	// The CLI over gRPC: a grant is now a no-op; restore puts the original back byte for byte.
	out, err := runDirectoryT(t, "grant", scope, "--server", p.directory, "--token", p.operator)
	if err != nil || !strings.Contains(out, "Connector:") {
		t.Fatalf("grant --server: %v\n%s", err, out)
	}
	if _, err := runDirectoryT(t, "restore", backup, "--apply", "--server", p.directory, "--token", p.reader); err == nil || !strings.Contains(err.Error(), "PermissionDenied") {
		t.Errorf("restore --server as a reader: %v", err)
	}
	out, err = runDirectoryT(t, "restore", strings.TrimPrefix(backup, "backups/"), "--apply", "--server", p.directory, "--token", p.operator)
	if err != nil || !strings.Contains(out, "Applied") || !strings.Contains(out, "remove 3") {
		t.Fatalf("restore --server: %v\n%s", err, out)
	}
	if !bytes.Equal(read(), original) {
		t.Fatal("after the restore over the network the descriptor differs from the original")
	}
}

var backupLine = regexp.MustCompile(`backup (\S+) \(hybridkit directory restore`)

func backupID(t *testing.T, out string) string {
	t.Helper()
	m := backupLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no backup id in:\n%s", out)
	}
	return m[1]
}

func TestDirectoryReadCommands(t *testing.T) {
	t.Parallel()
	d := dcFromEnv(t)
	connector := d.connectorSID()
	staff := d.dn("OU=Staff")

	t.Run("accounts", func(t *testing.T) {
		t.Parallel()
		out := mustRun(t, append([]string{"accounts"}, d.args()...)...)
		row := tableRow(out, "MSOL_0123456789ab")
		if len(row) != 5 || row[1] != connector || row[2] != "yes" || row[3] != "MSOL_ name, Entra Connect description" ||
			!strings.Contains(out, "Connector used when none is named: "+d.connectorDN) {
			t.Errorf("accounts:\n%s", out)
		}
		out = mustRun(t, append([]string{"accounts", "--connector", "svc-aadconnect"}, d.args()...)...)
		if row := tableRow(out, "svc-aadconnect"); len(row) != 5 || row[3] != "--connector" {
			t.Errorf("accounts --connector svc-aadconnect:\n%s", out)
		}
	})

	t.Run("audit", func(t *testing.T) {
		t.Parallel()
		// Flags before and after the positional SCOPE.
		out := mustRun(t, append(append([]string{"--connector", "MSOL_0123456789ab", "audit"}, d.args()...), staff)...)
		reset := tableRow(out, "Reset password")
		want := []string{"Reset password", "allowed", "9", "yes", staff,
			fmt.Sprintf("(OA;CIIO;CR;00299570-246d-11d0-a768-00aa006e0529;bf967aba-0de6-11d0-a285-00aa003049e2;%s)", connector)}
		if strings.Join(reset, "|") != strings.Join(want, "|") || !strings.Contains(out, "writeback works") {
			t.Errorf("audit OU=Staff: reset row %q\n%s", reset, out)
		}
		if row := tableRow(out, "Change password"); len(row) != 6 || row[4] != "defaultSecurityDescriptor of user" {
			t.Errorf("change password row %q", row)
		}
		out = mustRun(t, append([]string{"audit", d.dn("CN=Users")}, d.args()...)...)
		if row := tableRow(out, "Reset password"); strings.Join(row, "|") != "Reset password|missing|-|-|-|no ACE grants it" || !strings.Contains(out, "writeback FAILS") ||
			!strings.Contains(out, "To fix: hybridkit directory grant") {
			t.Errorf("audit CN=Users:\n%s", out)
		}
		// The domain root by default; Unexpire password from Authenticated Users.
		out = mustRun(t, append([]string{"audit"}, d.args()...)...)
		if row := tableRow(out, "Unexpire password"); len(row) != 6 || row[1] != "allowed" || row[4] != d.baseDN || row[5] != "(OA;;CR;ccc2dc7d-a6ad-4a7a-8846-c04e3cc53501;;AU)" {
			t.Errorf("audit of the domain root: unexpire row %q\n%s", row, out)
		}
	})

	t.Run("coverage", func(t *testing.T) {
		t.Parallel()
		out := mustRun(t, append([]string{"coverage", "--max-listed", "50"}, d.args()...)...)
		users := 28 + d.extraUsers
		if !strings.Contains(out, fmt.Sprintf("Users:      %d evaluated: %d working, %d failing", users, 13+d.extraUsers-d.extraUsers/50, 15+d.extraUsers/50)) {
			t.Errorf("coverage counts:\n%s", out)
		}
		for reason, n := range map[string]int{"missing right": 8, "AdminSDHolder (adminCount=1)": 5 + d.extraUsers/50, "explicit deny": 1, "inheritance blocked": 1} {
			if row := tableRow(out, reason); len(row) != 2 || row[1] != fmt.Sprint(n) {
				t.Errorf("%s: row %q", reason, row)
			}
		}
		if row := tableRow(out, "erin.evans"); len(row) != 4 || row[1] != "explicit deny" || !strings.Contains(row[2], "(OD;;CR;00299570-246d-11d0-a768-00aa006e0529;;"+connector+")") {
			t.Errorf("erin.evans row %q", row)
		}
		if !strings.Contains(out, "protected (adminCount=1) accounts do NOT get the writeback rights") ||
			!strings.Contains(out, "    (OA;;CR;00299570-246d-11d0-a768-00aa006e0529;;"+connector+")\n") {
			t.Errorf("AdminSDHolder:\n%s", out)
		}

		out = mustRun(t, append([]string{"coverage", staff, "-o", "json", "--max-listed", "2"}, d.args()...)...)
		var resp directoryv1.GetCoverageResponse
		if err := protojson.Unmarshal([]byte(out), &resp); err != nil {
			t.Fatalf("%v in:\n%s", err, out)
		}
		if c := resp.GetCoverage(); c.GetUsers() != int64(16+d.extraUsers) || len(c.GetFailingUsers()) != 2 || !strings.Contains(out, `"failing_users"`) {
			t.Errorf("coverage json: %d users, %d listed", c.GetUsers(), len(c.GetFailingUsers()))
		}
	})

	t.Run("check", func(t *testing.T) {
		t.Parallel()
		out := mustRun(t, append([]string{"check", "alice.archer", "erin.evans", d.dn("CN=Dave Doyle,OU=Staff"), "*)(objectClass=*", "-v"}, d.args()...)...)
		for user, want := range map[string]string{
			"alice.archer": "works|allowed|allowed|allowed|allowed",
			"erin.evans":   "FAILS|denied|allowed|allowed|allowed",
			"dave.doyle":   "FAILS|missing|allowed|missing|missing",
		} {
			if row := tableRow(out, user); len(row) != 7 || strings.Join(row[1:6], "|") != want {
				t.Errorf("%s: row %q, want %s", user, row, want)
			}
		}
		if row := tableRow(out, "*)(objectClass=*"); len(row) < 2 || row[1] != "NOT FOUND" {
			t.Errorf("injection-looking name: row %q\n%s", row, out)
		}
		if !strings.Contains(out, "erin.evans ("+d.dn("CN=Erin Evans,OU=Staff")+"): explicit deny") ||
			!strings.Contains(out, "dave.doyle ("+d.dn("CN=Dave Doyle,OU=Staff")+"): inheritance blocked") {
			t.Errorf("reasons:\n%s", out)
		}
		// -v: alice's Reset password comes from OU=Staff's grant, through inheritance.
		if !regexp.MustCompile(`(?m)^  Reset password\s+allowed\s+\d+\s+yes\s+` + regexp.QuoteMeta(staff) + `\s+\(OA;CIID;CR;00299570`).MatchString(out) {
			t.Errorf("alice's traced verdict:\n%s", out)
		}
	})

	t.Run("check @file, basic view", func(t *testing.T) {
		t.Parallel()
		file := filepath.Join(t.TempDir(), "users.txt")
		lines := []string{"# every seeded user of OU=Staff, over and over"}
		for i := 0; i < 2800; i++ {
			lines = append(lines, []string{"alice.archer", "erin.evans", "", "grace.green"}[i%4])
		}
		if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
			t.Fatal(err)
		}
		out := mustRun(t, append([]string{"check", "@" + file, "-o", "json"}, d.args()...)...)
		var resp directoryv1.CheckUsersResponse
		if err := protojson.Unmarshal([]byte(out), &resp); err != nil {
			t.Fatalf("%v in:\n%.500s", err, out)
		}
		r := resp.GetResults()
		if len(r) != 2100 || r[0].GetUser() != "alice.archer" || !r[0].GetCheck().GetWorks() || r[0].GetCheck().GetRights()[0].GetAce() != "" ||
			r[1].GetCheck().GetCause() != directoryv1.FailureReason_FAILURE_REASON_EXPLICIT_DENY || r[2].GetUser() != "grace.green" {
			t.Errorf("%d results; first %v", len(r), r[:min(3, len(r))])
		}
	})

	t.Run("remote", func(t *testing.T) {
		t.Parallel()
		st := grpctest.Store(t)
		cfg := directory.Config{LDAP: directory.LDAPConfig{URL: d.url, CAFile: d.ca, ServerName: d.serverName, BindDN: d.bindDN, Password: secret.New(d.password)}}
		// The service wants a bearer token; the CLI sends --token.
		const token = "hk_test_directory-cli"
		authenticate := func(ctx context.Context) (context.Context, error) {
			if md, _ := metadata.FromIncomingContext(ctx); strings.Join(md.Get("authorization"), "") != "Bearer "+token {
				return nil, status.Error(codes.Unauthenticated, "missing bearer token")
			}
			return ctx, nil
		}
		addr := grpctest.Start(t, grpcserver.Deps{Authenticate: authenticate}, func(ctx context.Context, deps grpcserver.Deps) error {
			return directory.Run(ctx, directory.Options{Config: cfg, Deps: deps, Store: st})
		})
		if _, err := runDirectoryT(t, "accounts", "--server", addr); err == nil || !strings.Contains(err.Error(), "Unauthenticated") {
			t.Errorf("without a token: %v", err)
		}
		// No --ldap-* flags: the service holds the credentials.
		out := mustRun(t, "check", "--server", addr, "--token", token, "-o", "json", "alice.archer", "nobody.here")
		var resp directoryv1.CheckUsersResponse
		if err := protojson.Unmarshal([]byte(out), &resp); err != nil {
			t.Fatalf("%v in:\n%s", err, out)
		}
		if r := resp.GetResults(); len(r) != 2 || !r[0].GetCheck().GetWorks() || r[1].GetStatus() != directoryv1.LookupStatus_LOOKUP_STATUS_NOT_FOUND {
			t.Errorf("remote check: %v", r)
		}
		if out := mustRun(t, "audit", staff, "--server", addr, "--token", token); tableRow(out, "Reset password") == nil {
			t.Errorf("remote audit:\n%s", out)
		}
		if _, err := runDirectoryT(t, "audit", "OU=Staff,DC=elsewhere,DC=test", "--server", addr, "--token", token); err == nil || !strings.Contains(err.Error(), "InvalidArgument") || !strings.Contains(err.Error(), d.baseDN) {
			t.Errorf("remote audit outside the domain: %v", err)
		}
	})
}

func TestDirectoryDecodeAndErrors(t *testing.T) {
	t.Parallel()
	const sddl = "O:SYG:SYD:PAI(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;SY)(OA;CIIO;CR;00299570-246d-11d0-a768-00aa006e0529;bf967aba-0de6-11d0-a285-00aa003049e2;S-1-5-21-1-2-3-1105)"
	out := mustRun(t, "decode", sddl)
	if !strings.Contains(out, "SDDL:     "+sddl) || !strings.Contains(out, "DACL (2 entries):") {
		t.Errorf("decode SDDL:\n%s", out)
	}
	if row := tableRow(out, "1"); strings.Join(row, "|") != "1|ACCESS_ALLOWED_OBJECT|CONTAINER_INHERIT,INHERIT_ONLY|S-1-5-21-1-2-3-1105|Control access|Reset Password on user|"+
		"Allow S-1-5-21-1-2-3-1105: Control access (Reset Password) on descendant user objects" {
		t.Errorf("ACE row %q\n%s", row, out)
	}
	if row := tableRow(out, "0"); len(row) != 7 || row[4] != "0xf01ff (13 rights)" || row[6] != "Allow SYSTEM: Full control on this object only" {
		t.Errorf("full control row %q", row)
	}
	sd, err := secdesc.ParseSDDL(sddl)
	if err != nil {
		t.Fatal(err)
	}
	bin, err := sd.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "sd.bin")
	if err := os.WriteFile(file, bin, 0o600); err != nil {
		t.Fatal(err)
	}
	if out := mustRun(t, "decode", "@"+file); !strings.Contains(out, "SDDL:     "+sddl) {
		t.Errorf("decode @file:\n%s", out)
	}

	// Without a DC: the LDAP commands say which flags to set.
	for _, args := range [][]string{{"audit"}, {"accounts"}, {"check", "alice"}, {"coverage"}} {
		if _, err := runDirectoryT(t, args...); err == nil || !strings.Contains(err.Error(), "--ldap-url") || !strings.Contains(err.Error(), "FailedPrecondition") {
			t.Errorf("%v without LDAP: %v", args, err)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "no COMMAND"},
		{[]string{"frobnicate"}, "unknown command"},
		{[]string{"check"}, "at least one USER"},
		{[]string{"audit", "a", "b"}, "one SCOPE at most"},
		{[]string{"audit", "OU=x,,DC=y"}, "invalid scope"},
		{[]string{"audit", "-o", "yaml"}, "-o"},
		{[]string{"grant"}, "give a SCOPE"},
		{[]string{"restore"}, "BACKUP-ID"},
		{[]string{"audit", "--connector", "a,b"}, "one connector"},
		{[]string{"decode", "D:(A;;ZZ;;;WD)"}, "invalid sddl"},
	} {
		if _, err := runDirectoryT(t, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.args, err, tc.want)
		}
	}
}
