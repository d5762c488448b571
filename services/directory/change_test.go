package directory_test

// GrantWriteback, RevokeWriteback, RestoreBackup, ListBackups and GetBackup over gRPC against the
// Samba DC. They write only to an OU of their own, made for the test and deleted after it.

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
	"google.golang.org/grpc/codes"

	directoryv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/directory/v1"
	"github.com/hybridkit/hybridkit/services/directory"
	"github.com/hybridkit/hybridkit/services/directory/internal/sambatest"
)

// userRights are the rights granted at an OU: Unexpire Password would go to the domain root,
// which other tests read.
var userRights = []directoryv1.WritebackRight{
	directoryv1.WritebackRight_WRITEBACK_RIGHT_RESET_PASSWORD,
	directoryv1.WritebackRight_WRITEBACK_RIGHT_CHANGE_PASSWORD,
	directoryv1.WritebackRight_WRITEBACK_RIGHT_WRITE_LOCKOUT_TIME,
	directoryv1.WritebackRight_WRITEBACK_RIGHT_WRITE_PWD_LAST_SET,
}

// TempOU creates an empty OU below the domain root and deletes it when tb ends.
func TempOU(tb testing.TB, s sambatest.Settings, name string) string {
	tb.Helper()
	pem, err := os.ReadFile(s.CAFile)
	if err != nil {
		tb.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	c, err := ldap.DialURL(s.URL, ldap.DialWithTLSConfig(&tls.Config{RootCAs: pool, ServerName: s.ServerName, MinVersion: tls.VersionTLS12}))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	if err := c.Bind(s.BindDN, s.Password); err != nil {
		tb.Fatal(err)
	}
	dn := s.DN(fmt.Sprintf("OU=%s-%d", name, time.Now().UnixNano()))
	add := ldap.NewAddRequest(dn, nil)
	add.Attribute("objectClass", []string{"top", "organizationalUnit"})
	if err := c.Add(add); err != nil {
		tb.Fatalf("create %s: %v", dn, err)
	}
	tb.Cleanup(func() {
		if err := c.Del(ldap.NewDelRequest(dn, nil)); err != nil {
			tb.Errorf("delete %s: %v", dn, err)
		}
	})
	return dn
}

func TestGrantRevokeRestoreRPC(t *testing.T) {
	t.Parallel()
	s := sambatest.Env(t)
	ctx := testContext(t)
	ou := TempOU(t, s, "hk-grant-rpc")
	c, _ := startWithLDAP(t, ldapConfig(s))
	conn := sambatest.Dial(t, s.Config())
	readSD := func() []byte {
		t.Helper()
		b, err := conn.ReadSecurityDescriptor(ctx, ou)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	orig := readSD()
	grant := &directoryv1.GrantWritebackRequest{Scope: ou, Rights: userRights, AllExplicit: true, Reason: "test"}

	// Dry run: the plan, nothing written, no backup.
	dry, err := c.GrantWriteback(ctx, grant)
	if err != nil {
		t.Fatal(err)
	}
	if !dry.GetDryRun() || len(dry.GetObjects()) != 1 || !strings.EqualFold(dry.GetConnector().GetDn(), s.ConnectorDN) {
		t.Fatalf("dry run %v", dry)
	}
	o := dry.GetObjects()[0]
	if !strings.EqualFold(o.GetDn(), ou) || o.GetUnchanged() || len(o.GetAddedAces()) != 4 || o.GetWritten() || o.GetBackup() != "" ||
		o.GetBeforeSddl() == o.GetAfterSddl() || !strings.Contains(o.GetDiff(), "+") {
		t.Fatalf("dry run object %v", o)
	}
	if !bytes.Equal(readSD(), orig) {
		t.Fatal("the dry run changed the descriptor")
	}
	if l, err := c.ListBackups(ctx, &directoryv1.ListBackupsRequest{Dn: ou}); err != nil || len(l.GetBackups()) != 0 {
		t.Fatalf("backups after a dry run: %v, %v", l, err)
	}

	// Apply: backed up, written, verified, audited.
	grant.Apply = true
	applied, err := c.GrantWriteback(ctx, grant)
	if err != nil {
		t.Fatal(err)
	}
	o = applied.GetObjects()[0]
	if applied.GetDryRun() || !o.GetWritten() || !o.GetVerified() || o.GetAuditId() == "" || !strings.HasPrefix(o.GetBackup(), "backups/") ||
		!slicesEqual(o.GetAddedAces(), dry.GetObjects()[0].GetAddedAces()) {
		t.Fatalf("applied %v", applied)
	}
	granted := readSD()
	if bytes.Equal(granted, orig) {
		t.Fatal("the grant changed nothing")
	}
	b, err := c.GetBackup(ctx, &directoryv1.GetBackupRequest{Name: o.GetBackup()})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.GetBackup().GetValue(), orig) || !strings.EqualFold(b.GetBackup().GetDn(), ou) || b.GetBackup().GetReason() != "test" ||
		b.GetBackup().GetActor() == "" || b.GetBackup().GetCreateTime() == nil {
		t.Fatalf("backup %v", b.GetBackup())
	}
	grantBackup := o.GetBackup()

	// A second grant changes nothing.
	again, err := c.GrantWriteback(ctx, grant)
	if err != nil {
		t.Fatal(err)
	}
	if o := again.GetObjects()[0]; !o.GetUnchanged() || o.GetWritten() || o.GetBackup() != "" {
		t.Fatalf("second grant %v", again)
	}
	if !bytes.Equal(readSD(), granted) {
		t.Fatal("the second grant changed the descriptor")
	}

	// Revoke, dry run then applied: back to the original byte for byte.
	revoke := &directoryv1.RevokeWritebackRequest{Scope: ou, Rights: userRights}
	rdry, err := c.RevokeWriteback(ctx, revoke)
	if err != nil {
		t.Fatal(err)
	}
	if o := rdry.GetObjects()[0]; !rdry.GetDryRun() || len(o.GetRemovedAces()) != 4 || o.GetWritten() || !bytes.Equal(readSD(), granted) {
		t.Fatalf("revoke dry run %v", rdry)
	}
	revoke.Apply = true
	rev, err := c.RevokeWriteback(ctx, revoke)
	if err != nil {
		t.Fatal(err)
	}
	if o := rev.GetObjects()[0]; !o.GetWritten() || !o.GetVerified() || o.GetBackup() == "" {
		t.Fatalf("revoke %v", rev)
	}
	if got := readSD(); !bytes.Equal(got, orig) {
		t.Fatalf("after revoke the descriptor differs from the original:\n%x\n%x", got, orig)
	}

	// Restore the backup the grant took... of the original: nothing to do now.
	r, err := c.RestoreBackup(ctx, &directoryv1.RestoreBackupRequest{Name: grantBackup, Apply: true})
	if err != nil {
		t.Fatal(err)
	}
	if !r.GetObject().GetUnchanged() || r.GetObject().GetWritten() {
		t.Fatalf("restore of the original onto the original: %v", r)
	}
	// ...and the backup the revoke took (the granted descriptor): dry run, then applied.
	name := rev.GetObjects()[0].GetBackup()
	r, err = c.RestoreBackup(ctx, &directoryv1.RestoreBackupRequest{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	if !r.GetDryRun() || r.GetObject().GetUnchanged() || len(r.GetObject().GetAddedAces()) != 4 || !bytes.Equal(readSD(), orig) {
		t.Fatalf("restore dry run %v", r)
	}
	r, err = c.RestoreBackup(ctx, &directoryv1.RestoreBackupRequest{Name: name, Apply: true, Reason: "undo the revoke"})
	if err != nil {
		t.Fatal(err)
	}
	if !r.GetObject().GetWritten() || !r.GetObject().GetVerified() || r.GetObject().GetBackup() == "" {
		t.Fatalf("restore %v", r)
	}
	if !bytes.Equal(readSD(), granted) {
		t.Fatal("restore did not bring the granted descriptor back byte for byte")
	}

	// Three backups of the OU, newest first, paged.
	var names []string
	req := &directoryv1.ListBackupsRequest{Dn: strings.ToUpper(ou), PageSize: 2}
	for {
		l, err := c.ListBackups(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range l.GetBackups() {
			names = append(names, b.GetName())
		}
		if req.PageToken = l.GetNextPageToken(); req.PageToken == "" {
			break
		}
	}
	if len(names) != 3 || names[0] != r.GetObject().GetBackup() || names[2] != grantBackup {
		t.Fatalf("backups %v", names)
	}

	// Leave the OU as it was (it is deleted anyway).
	if _, err := c.RevokeWriteback(ctx, revoke); err != nil {
		t.Fatal(err)
	}

	// Errors.
	_, err = c.GrantWriteback(ctx, &directoryv1.GrantWritebackRequest{Scope: "OU=Elsewhere,DC=example,DC=org"})
	wantBadRequest(t, err, "scope")
	_, err = c.GrantWriteback(ctx, &directoryv1.GrantWritebackRequest{})
	wantBadRequest(t, err, "scope")
	_, err = c.RestoreBackup(ctx, &directoryv1.RestoreBackupRequest{Name: "backups/nonexistent"})
	wantCode(t, err, codes.NotFound, "backups/nonexistent")
	_, err = c.GetBackup(ctx, &directoryv1.GetBackupRequest{Name: "analyses/x"})
	wantBadRequest(t, err, "name")
	_, err = c.ListBackups(ctx, &directoryv1.ListBackupsRequest{PageToken: "garbage"})
	wantBadRequest(t, err, "page_token")
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Without a store, the change RPCs say so.
func TestChangeWithoutStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc := directory.NewService(slog.Default())
	_, err := svc.ListBackups(ctx, &directoryv1.ListBackupsRequest{})
	wantCode(t, err, codes.FailedPrecondition, "store")
}
