package writeback_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"github.com/hybridkit/hybridkit/platform/store"
	"github.com/hybridkit/hybridkit/services/directory/secdesc"
	"github.com/hybridkit/hybridkit/services/directory/writeback"
)

// The scope the grant tests change: OU=Admins has no grant for the
// connector, one user that inherits (helpdesk01) and two protected admins,
// and no other package's tests look at its DACL.
const grantScope = "OU=Admins"

// snapshot is an object's descriptor as read (SD flags 7).
type snapshot struct {
	dn  string
	raw []byte
	sd  *secdesc.SecurityDescriptor
}

func takeSnapshot(t *testing.T, f *fixture, dn string) snapshot {
	t.Helper()
	raw, err := f.conn.ReadSecurityDescriptor(testContext(t), dn)
	if err != nil {
		t.Fatal(err)
	}
	sd, err := secdesc.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return snapshot{dn, raw, sd}
}

func explicitACEs(sd *secdesc.SecurityDescriptor) []secdesc.ACE {
	var out []secdesc.ACE
	for _, a := range sd.DACL.ACEs {
		if !a.IsInherited() {
			out = append(out, a)
		}
	}
	return out
}

// sameACESet reports whether a and b hold the same ACEs, in any order.
func sameACESet(a, b []secdesc.ACE) bool {
	if len(a) != len(b) {
		return false
	}
	used := make([]bool, len(b))
	for i := range a {
		found := false
		for j := range b {
			if !used[j] && a[i].Equal(&b[j]) {
				used[j], found = true, true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// keep makes sure the objects end the test with the explicit ACEs they had:
// it checks that the test put them back, and writes them back if not.
func keep(t *testing.T, f *fixture, dns ...string) map[string]snapshot {
	t.Helper()
	snaps := map[string]snapshot{}
	for _, dn := range dns {
		snaps[dn] = takeSnapshot(t, f, dn)
	}
	t.Cleanup(func() {
		for _, s := range snaps {
			now := takeSnapshot(t, f, s.dn)
			if sameACESet(explicitACEs(now.sd), explicitACEs(s.sd)) && now.sd.Control == s.sd.Control {
				continue
			}
			t.Errorf("%s was not put back; writing its DACL back", s.dn)
			w := &secdesc.SecurityDescriptor{Control: s.sd.Control, DACL: &secdesc.ACL{Revision: s.sd.DACL.Revision, ACEs: explicitACEs(s.sd)}}
			b, err := w.MarshalBinary()
			if err == nil {
				err = f.conn.WriteDACL(testContext(t), s.dn, b)
			}
			if err != nil {
				t.Errorf("restoring %s: %v", s.dn, err)
			}
		}
	})
	return snaps
}

func countBackups(t *testing.T, f *fixture) int {
	t.Helper()
	b, _, err := f.store.ListBackups(testContext(t), store.BackupQuery{PageSize: store.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	return len(b)
}

func auditRecords(t *testing.T, f *fixture) []store.AuditRecord {
	t.Helper()
	r, _, err := f.store.ListAudit(testContext(t), store.AuditQuery{PageSize: store.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func userWorks(t *testing.T, f *fixture, name string) *writeback.UserCheck {
	t.Helper()
	u, err := f.engine.CheckUser(testContext(t), f.connector, name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestGrantRevokeRestore walks a grant on a scope without rights from dry
// run to apply, proves with a real password reset as the connector that it
// works, checks that a second grant is a no-op, revokes, and restores from
// both backups.
func TestGrantRevokeRestore(t *testing.T) {
	f := newFixture(t)
	ctx := testContext(t)
	scope := f.s.DN(grantScope)
	snaps := keep(t, f, scope, f.s.BaseDN)
	orig := snaps[scope]
	helpdesk := f.s.DN("CN=Helpdesk Operator,OU=Admins")
	conn := connectorLDAP(t, f.s, f.s.ConnectorDN, f.s.ConnectorPassword)
	admin := connectorLDAP(t, f.s, f.s.BindDN, f.s.Password)
	sid := f.connector.SID
	wantAdd := []string{
		f.ace(writeback.ScopeACE(writeback.ResetPassword, sid)),
		f.ace(writeback.ScopeACE(writeback.WriteLockoutTime, sid)),
		f.ace(writeback.ScopeACE(writeback.WritePwdLastSet, sid)),
	}

	if u := userWorks(t, f, "helpdesk01"); u.Works || u.Cause != writeback.ReasonMissing {
		t.Fatalf("helpdesk01 before the grant: %+v", u)
	}
	if err := resetPassword(conn, helpdesk, newPassword); !ldap.IsErrorWithCode(err, ldap.LDAPResultInsufficientAccessRights) {
		t.Fatalf("reset before the grant: %v", err)
	}

	// Dry run, the default: a plan, nothing written.
	req := writeback.GrantRequest{Principal: f.connector, Scope: scope, Actor: "tester", RunID: "run-1", Reason: "test grant"}
	plan, err := f.engine.Grant(ctx, req)
	if err != nil {
		t.Fatalf("Grant (dry run): %v", err)
	}
	if !plan.DryRun || len(plan.Objects) != 2 {
		t.Fatalf("plan %+v", plan)
	}
	po := plan.Objects[0]
	// Change password is held through Everyone (the default for users) and
	// Unexpire password through Authenticated Users on the root: minimal
	// means neither is added.
	if !strings.EqualFold(po.DN, scope) || po.Unchanged || strings.Join(po.Add, "") != strings.Join(wantAdd, "") || len(po.Remove) != 0 || po.Written || po.BackupID != "" {
		t.Errorf("scope plan %+v\nwant add %q", po, wantAdd)
	}
	if ro := plan.Objects[1]; !strings.EqualFold(ro.DN, f.s.BaseDN) || !ro.Unchanged || ro.Diff != "" {
		t.Errorf("domain root plan %+v", ro)
	}
	for _, a := range wantAdd {
		if !strings.Contains(po.Diff, "\n+"+a+"\n") || strings.Contains(po.Before, a) || !strings.Contains(po.After, a) {
			t.Errorf("diff/before/after do not show %s:\n%s", a, po.Diff)
		}
	}
	if !strings.HasPrefix(po.Diff, "--- "+scope+" (before)\n+++ "+scope+" (after)\n@@ ") || strings.Count(po.Diff, "\n-") != 0 {
		t.Errorf("diff:\n%s", po.Diff)
	}
	if now := takeSnapshot(t, f, scope); string(now.raw) != string(orig.raw) {
		t.Fatal("the dry run changed the DACL")
	}
	if n := countBackups(t, f); n != 0 {
		t.Fatalf("the dry run took %d backups", n)
	}

	// Apply.
	req.Apply = true
	applied, err := f.engine.Grant(ctx, req)
	if err != nil {
		t.Fatalf("Grant: %v", err)
	}
	ao := applied.Objects[0]
	if applied.DryRun || !ao.Written || !ao.Verified || ao.BackupID == "" || ao.AuditID == "" || !applied.Objects[1].Unchanged || applied.Objects[1].Written {
		t.Fatalf("applied %+v", applied)
	}
	b, err := f.store.GetBackup(ctx, ao.BackupID)
	if err != nil {
		t.Fatal(err)
	}
	if string(b.Value) != string(orig.raw) || b.SDDL != po.Before || b.Actor != "tester" || b.RunID != "run-1" || b.Reason != "test grant" || b.Domain != strings.ToLower(f.s.Realm) || !strings.EqualFold(b.DN, scope) {
		t.Errorf("backup %+v", b)
	}
	recs := auditRecords(t, f)
	if len(recs) != 1 || recs[0].Action != writeback.ActionGrant || recs[0].Result != store.AuditOK || !strings.EqualFold(recs[0].Target, scope) ||
		recs[0].Actor != "tester" || !strings.Contains(recs[0].Detail, ao.BackupID) || !strings.Contains(recs[0].Detail, wantAdd[0]) {
		t.Errorf("audit %+v", recs)
	}
	granted := takeSnapshot(t, f, scope)
	wantExplicit := explicitACEs(orig.sd)
	for _, r := range []writeback.Right{writeback.ResetPassword, writeback.WriteLockoutTime, writeback.WritePwdLastSet} {
		wantExplicit = append(wantExplicit, writeback.ScopeACE(r, sid))
	}
	if !sameACESet(explicitACEs(granted.sd), wantExplicit) || granted.sd.Control != orig.sd.Control {
		t.Errorf("after the grant:\n%s", f.sddl(granted.sd))
	}

	// The users below now pass, and the DC agrees: the connector resets
	// helpdesk01's password. The protected admins still fail, and are refused.
	if u := userWorks(t, f, "helpdesk01"); !u.Works {
		t.Errorf("helpdesk01 after the grant: %+v", u)
	}
	if a, err := f.engine.AuditScope(ctx, f.connector, scope); err != nil || !a.Works || !strings.EqualFold(a.Rights[0].Source, scope) {
		t.Errorf("scope audit after the grant: %+v, %v", a, err)
	}
	if err := resetPassword(conn, helpdesk, newPassword); err != nil {
		t.Errorf("reset as the connector after the grant: %v", err)
	} else if err := resetPassword(admin, helpdesk, f.s.UserPassword); err != nil {
		t.Fatalf("putting helpdesk01's password back: %v", err)
	}
	if u := userWorks(t, f, "adm-alice"); u.Works || u.Cause != writeback.ReasonAdminSDHolder {
		t.Errorf("adm-alice after the grant: %+v", u)
	}
	if err := resetPassword(conn, f.s.DN("CN=Alice Archer (admin),OU=Admins"), newPassword); !ldap.IsErrorWithCode(err, ldap.LDAPResultInsufficientAccessRights) {
		t.Errorf("reset of a protected admin after the grant: %v", err)
	}

	// A second grant changes nothing: no write, no backup, no audit record.
	again, err := f.engine.Grant(ctx, req)
	if err != nil || again.Changed() {
		t.Fatalf("second grant: %+v, %v", again, err)
	}
	if n := countBackups(t, f); n != 1 || len(auditRecords(t, f)) != 1 {
		t.Errorf("second grant: %d backups, %d audit records", n, len(auditRecords(t, f)))
	}
	if now := takeSnapshot(t, f, scope); string(now.raw) != string(granted.raw) {
		t.Error("second grant changed the descriptor")
	}

	// Revoke: a dry run first, then for real.
	req.Apply = false
	rplan, err := f.engine.Revoke(ctx, req)
	if err != nil || len(rplan.Objects[0].Remove) != 3 || len(rplan.Objects[0].Add) != 0 || !rplan.Objects[1].Unchanged {
		t.Fatalf("revoke plan %+v, %v", rplan, err)
	}
	if now := takeSnapshot(t, f, scope); string(now.raw) != string(granted.raw) {
		t.Fatal("the revoke dry run changed the DACL")
	}
	req.Apply = true
	revoked, err := f.engine.Revoke(ctx, req)
	if err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	ro := revoked.Objects[0]
	if !ro.Written || !ro.Verified || ro.BackupID == "" {
		t.Fatalf("revoked %+v", ro)
	}
	afterRevoke := takeSnapshot(t, f, scope)
	if string(afterRevoke.raw) != string(orig.raw) {
		t.Errorf("after the revoke the descriptor differs from the original bytes:\n%s\nwant\n%s", f.sddl(afterRevoke.sd), f.sddl(orig.sd))
	}
	if !sameACESet(explicitACEs(afterRevoke.sd), explicitACEs(orig.sd)) || !sameACESet(afterRevoke.sd.DACL.ACEs, orig.sd.DACL.ACEs) {
		t.Errorf("revoke did not restore the original ACE set:\n%s\nwant\n%s", f.sddl(afterRevoke.sd), f.sddl(orig.sd))
	}
	if u := userWorks(t, f, "helpdesk01"); u.Works {
		t.Error("helpdesk01 still works after the revoke")
	}
	if err := resetPassword(conn, helpdesk, newPassword); !ldap.IsErrorWithCode(err, ldap.LDAPResultInsufficientAccessRights) {
		t.Errorf("reset after the revoke: %v", err)
	}
	if again, err := f.engine.Revoke(ctx, req); err != nil || again.Changed() {
		t.Errorf("second revoke: %+v, %v", again, err)
	}

	// Restore the revoke's backup (the granted DACL), then the grant's
	// backup (the original one).
	rs, err := f.engine.Restore(ctx, writeback.RestoreRequest{BackupID: ro.BackupID})
	if err != nil || len(rs.Add) != 3 || rs.Written {
		t.Fatalf("restore dry run %+v, %v", rs, err)
	}
	rs, err = f.engine.Restore(ctx, writeback.RestoreRequest{BackupID: ro.BackupID, Apply: true, Actor: "tester"})
	if err != nil || !rs.Verified || rs.BackupID == "" {
		t.Fatalf("restore of the revoke's backup: %+v, %v", rs, err)
	}
	if now := takeSnapshot(t, f, scope); !sameACESet(explicitACEs(now.sd), wantExplicit) {
		t.Errorf("restored granted DACL:\n%s", f.sddl(now.sd))
	}
	if u := userWorks(t, f, "helpdesk01"); !u.Works {
		t.Error("helpdesk01 does not work after restoring the granted DACL")
	}
	rs, err = f.engine.Restore(ctx, writeback.RestoreRequest{BackupID: ao.BackupID, Apply: true, Actor: "tester"})
	if err != nil || !rs.Verified || len(rs.Remove) != 3 {
		t.Fatalf("restore of the grant's backup: %+v, %v", rs, err)
	}
	final := takeSnapshot(t, f, scope)
	if string(final.raw) != string(orig.raw) {
		t.Errorf("after restoring the original:\n%s", f.sddl(final.sd))
	}
	if rs, err := f.engine.Restore(ctx, writeback.RestoreRequest{BackupID: ao.BackupID, Apply: true}); err != nil || !rs.Unchanged {
		t.Errorf("restoring again: %+v, %v", rs, err)
	}
	// Every write has its audit record: grant, revoke, two restores.
	var actions []string
	for _, r := range auditRecords(t, f) {
		actions = append(actions, r.Action)
	}
	if len(actions) != 4 {
		t.Errorf("audit actions %q", actions)
	}
	if _, err := f.engine.Restore(ctx, writeback.RestoreRequest{BackupID: "no-such-backup"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("restore of a missing backup: %v", err)
	}
}

// TestGrantAllExplicit adds every ACE of the grant, including Unexpire
// Password on the domain root, then revokes exactly them.
func TestGrantAllExplicit(t *testing.T) {
	f := newFixture(t)
	ctx := testContext(t)
	scope := f.s.DN(grantScope)
	snaps := keep(t, f, scope, f.s.BaseDN)
	sid := f.connector.SID

	req := writeback.GrantRequest{Principal: f.connector, Scope: scope, AllExplicit: true, Apply: true,
		Rights: []writeback.Right{writeback.ChangePassword, writeback.UnexpirePassword}}
	ch, err := f.engine.Grant(ctx, req)
	if err != nil {
		t.Fatalf("Grant: %v", err)
	}
	if len(ch.Objects) != 2 {
		t.Fatalf("objects %+v", ch.Objects)
	}
	wantScope := f.ace(writeback.ScopeACE(writeback.ChangePassword, sid))
	wantRoot := "(OA;;CR;ccc2dc7d-a6ad-4a7a-8846-c04e3cc53501;;" + sid.String() + ")"
	if o := ch.Objects[0]; !o.Verified || len(o.Add) != 1 || o.Add[0] != wantScope {
		t.Errorf("scope %+v", o)
	}
	if o := ch.Objects[1]; !o.Verified || len(o.Add) != 1 || o.Add[0] != wantRoot || !strings.EqualFold(o.DN, f.s.BaseDN) {
		t.Errorf("root %+v", o)
	}
	root := takeSnapshot(t, f, f.s.BaseDN)
	if !root.sd.DACL.Contains(writeback.ScopeACE(writeback.UnexpirePassword, sid)) {
		t.Error("the root lacks the Unexpire Password ACE")
	}
	// The ACEs that decided before (Authenticated Users on the root,
	// Everyone in the users' defaults) come first and still decide.
	if a, err := f.engine.AuditScope(ctx, f.connector, scope); err != nil || !a.Unexpire.OK() || !strings.HasSuffix(a.Unexpire.ACE, ";AU)") || !a.Rights[1].OK() {
		t.Errorf("audit after the grant: unexpire %+v change %+v, %v", a.Unexpire, a.Rights[1], err)
	}
	if again, err := f.engine.Grant(ctx, req); err != nil || again.Changed() {
		t.Errorf("second grant: %+v, %v", again, err)
	}
	rv, err := f.engine.Revoke(ctx, req)
	if err != nil || !rv.Objects[0].Verified || !rv.Objects[1].Verified {
		t.Fatalf("revoke %+v, %v", rv, err)
	}
	for dn, s := range snaps {
		if now := takeSnapshot(t, f, dn); string(now.raw) != string(s.raw) {
			t.Errorf("%s not back to its original descriptor:\n%s\nwant\n%s", dn, f.sddl(now.sd), f.sddl(s.sd))
		}
	}
}

// TestGrantAdminSDHolder grants "this object only" on AdminSDHolder.
func TestGrantAdminSDHolder(t *testing.T) {
	f := newFixture(t)
	ctx := testContext(t)
	dn := f.s.DN("CN=AdminSDHolder,CN=System")
	snaps := keep(t, f, dn)
	sid := f.connector.SID
	ch, err := f.engine.Grant(ctx, writeback.GrantRequest{Principal: f.connector, AdminSDHolder: true, Apply: true})
	if err != nil {
		t.Fatalf("Grant: %v", err)
	}
	o := ch.Objects[0]
	want := []string{
		"(OA;;CR;00299570-246d-11d0-a768-00aa006e0529;;" + sid.String() + ")",
		"(OA;;WP;28630ebf-41d5-11d1-a9c1-0000f80367c1;;" + sid.String() + ")",
		"(OA;;WP;bf967a0a-0de6-11d0-a285-00aa003049e2;;" + sid.String() + ")",
	}
	if len(ch.Objects) != 1 || !strings.EqualFold(o.DN, dn) || !o.Verified || strings.Join(o.Add, "") != strings.Join(want, "") || len(o.Notes) == 0 {
		t.Fatalf("AdminSDHolder grant %+v", ch.Objects)
	}
	a, err := f.engine.AuditAdminSDHolder(ctx, f.connector, "")
	if err != nil || !a.Works || a.Rights[0].ACE != want[0] || a.Rights[0].Inherited {
		t.Errorf("AdminSDHolder audit after the grant: %+v, %v", a, err)
	}
	if _, err := f.engine.Revoke(ctx, writeback.GrantRequest{Principal: f.connector, AdminSDHolder: true, Apply: true}); err != nil {
		t.Fatal(err)
	}
	if now := takeSnapshot(t, f, dn); string(now.raw) != string(snaps[dn].raw) {
		t.Errorf("AdminSDHolder not put back:\n%s", f.sddl(now.sd))
	}
}

// TestGrantBlockedByDeny: an explicit deny on the scope for descendant users
// comes before any allow there, so the grant leaves that right out and says
// which ACE blocks it.
func TestGrantBlockedByDeny(t *testing.T) {
	f := newFixture(t)
	ctx := testContext(t)
	scope := f.s.DN(grantScope)
	snaps := keep(t, f, scope)
	sid := f.connector.SID
	deny := writeback.ScopeACE(writeback.ResetPassword, sid)
	deny.Type = secdesc.ACETypeAccessDeniedObject
	w := &secdesc.SecurityDescriptor{Control: snaps[scope].sd.Control, DACL: &secdesc.ACL{Revision: snaps[scope].sd.DACL.Revision, ACEs: explicitACEs(snaps[scope].sd)}}
	w.DACL.Add(deny)
	b, _ := w.MarshalBinary()
	if err := f.conn.WriteDACL(ctx, scope, b); err != nil {
		t.Fatal(err)
	}
	defer func() {
		w.DACL.Remove(deny)
		b, _ := w.MarshalBinary()
		if err := f.conn.WriteDACL(ctx, scope, b); err != nil {
			t.Fatal(err)
		}
	}()
	plan, err := f.engine.Grant(ctx, writeback.GrantRequest{Principal: f.connector, Scope: scope})
	if err != nil {
		t.Fatal(err)
	}
	o := plan.Objects[0]
	denySDDL := f.ace(deny)
	if len(o.Add) != 2 || strings.Contains(strings.Join(o.Add, ""), "00299570") || len(o.Notes) != 1 || !strings.Contains(o.Notes[0], denySDDL) {
		t.Errorf("plan with a deny on the scope: add %q notes %q", o.Add, o.Notes)
	}
	a, err := f.engine.AuditScope(ctx, f.connector, scope)
	if err != nil || a.Rights[0].Decision != writeback.Denied || a.Rights[0].ACE != denySDDL || !strings.EqualFold(a.Rights[0].Source, scope) {
		t.Errorf("audit with a deny: %+v, %v", a.Rights[0], err)
	}
}

// TestApplyNeedsStore: without a store nothing is written.
func TestApplyNeedsStore(t *testing.T) {
	f := newFixture(t)
	ctx := testContext(t)
	scope := f.s.DN(grantScope)
	before := takeSnapshot(t, f, scope)
	e, err := writeback.New(ctx, writeback.Config{Conn: f.conn})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := e.Grant(ctx, writeback.GrantRequest{Principal: f.connector, Scope: scope})
	if err != nil || !plan.Changed() {
		t.Fatalf("dry run without a store: %+v, %v", plan, err)
	}
	if _, err := e.Grant(ctx, writeback.GrantRequest{Principal: f.connector, Scope: scope, Apply: true}); !errors.Is(err, writeback.ErrNoStore) {
		t.Fatalf("apply without a store: %v", err)
	}
	if now := takeSnapshot(t, f, scope); string(now.raw) != string(before.raw) {
		t.Fatal("written without a backup")
	}
	if _, err := e.Restore(ctx, writeback.RestoreRequest{BackupID: "x"}); !errors.Is(err, writeback.ErrNoStore) {
		t.Errorf("restore without a store: %v", err)
	}
}

// TestGrantPlanDomainRoot: a grant at the domain root is one change of one
// object, the scope ACEs and (with AllExplicit) Unexpire Password together.
// Dry runs only: the test may run beside others.
func TestGrantPlanDomainRoot(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := testContext(t)
	before := takeSnapshot(t, f, f.s.BaseDN)
	for _, scope := range []string{f.s.BaseDN, strings.ToLower(strings.ReplaceAll(f.s.BaseDN, ",", ", "))} {
		plan, err := f.engine.Grant(ctx, writeback.GrantRequest{Principal: f.connector, Scope: scope})
		if err != nil {
			t.Fatalf("Grant(%s): %v", scope, err)
		}
		if len(plan.Objects) != 1 || len(plan.Objects[0].Add) != 3 {
			t.Errorf("plan at %s: %+v", scope, plan.Objects)
		}
		plan, err = f.engine.Grant(ctx, writeback.GrantRequest{Principal: f.connector, Scope: scope, AllExplicit: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(plan.Objects) != 1 || len(plan.Objects[0].Add) != 5 || !strings.Contains(plan.Objects[0].Diff, "+(OA;;CR;ccc2dc7d-a6ad-4a7a-8846-c04e3cc53501;;"+f.connector.SID.String()+")") {
			t.Errorf("AllExplicit plan at %s: %+v", scope, plan.Objects)
		}
	}
	if now := takeSnapshot(t, f, f.s.BaseDN); string(now.raw) != string(before.raw) {
		t.Error("a dry run changed the domain root")
	}
}
