package writeback

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/go-ldap/ldap/v3"

	"github.com/hybridkit/hybridkit/platform/store"
	"github.com/hybridkit/hybridkit/services/directory/ldapconn"
	"github.com/hybridkit/hybridkit/services/directory/secdesc"
)

// Audit actions recorded for applied changes (store.AuditRecord.Action).
const (
	ActionGrant   = "directory.writeback.grant"
	ActionRevoke  = "directory.writeback.revoke"
	ActionRestore = "directory.writeback.restore"
)

// GrantRequest asks for the ACEs that give a principal the writeback rights.
type GrantRequest struct {
	// Principal receives the rights (the connector account). Required.
	Principal *Principal
	// Scope is the domain root or OU whose users need the rights: it gets
	// inherit-only ACEs for descendant user objects, as Microsoft's
	// AdSyncConfig module writes them (ScopeACE), and the domain root gets
	// Unexpire Password. Empty: no scope (AdminSDHolder only).
	Scope string
	// AdminSDHolder also grants on CN=AdminSDHolder,CN=System of the scope's
	// domain (the first configured one without a scope) in the "this object
	// only" form (ObjectACE), which SDProp copies onto protected accounts.
	AdminSDHolder bool
	// Rights to grant (default AllRights).
	Rights []Right
	// AllExplicit adds every ACE of the grant that is not there yet, even for
	// rights the principal already holds through other ACEs (Everyone's
	// Change password, Authenticated Users' Unexpire password). By default
	// only what is needed is added.
	AllExplicit bool
	// Apply writes the change. Without it the call is a dry run that reads
	// only.
	Apply bool
	// Actor, RunID and Reason go into the backups and audit records.
	Actor, RunID, Reason string
}

// Change is what a grant, revoke or restore does, or would do, to the
// objects involved.
type Change struct {
	DryRun  bool
	Objects []ObjectChange
}

// Changed reports whether any object was (or, in a dry run, would be)
// changed.
func (c *Change) Changed() bool {
	for i := range c.Objects {
		if !c.Objects[i].Unchanged {
			return true
		}
	}
	return false
}

// ObjectChange is the change of one object's DACL.
type ObjectChange struct {
	DN string
	// Add and Remove are the explicit ACEs added and removed, in SDDL.
	Add, Remove []string
	// Before is the descriptor as read (owner, group, DACL); After is what it
	// will be: the explicit ACEs written plus the inherited ones the DC keeps.
	Before, After string
	// Diff is a unified diff of Before and After, one ACE a line.
	Diff string
	// Unchanged: nothing to do; nothing is written and no backup is taken.
	Unchanged bool
	// Notes say what the change cannot fix (a right an explicit deny keeps
	// blocking) or what to expect (AdminSDHolder needs SDProp to run).
	Notes []string
	// BackupID is the backup of Before, taken before the write (applied
	// changes only).
	BackupID string
	// Written: the DC accepted the new DACL.
	Written bool
	// Verified: re-reading shows every explicit ACE expected, and for a
	// grant the rights now allowed.
	Verified bool
	// AuditID is the audit record of the write.
	AuditID string

	// What the write needs.
	nc      *namingContext
	raw     []byte
	sd      *secdesc.SecurityDescriptor
	write   *secdesc.SecurityDescriptor // explicit ACEs only
	added   []secdesc.ACE
	removed []secdesc.ACE
	verify  func(ctx context.Context) error
}

// target is one object a grant or revoke touches and the ACEs involved.
type target struct {
	dn     string
	kind   string // "scope", "domain root", "AdminSDHolder"
	rights []Right
	aces   []secdesc.ACE // the grant's ACEs, parallel to rights
}

func (e *Engine) targets(req *GrantRequest) (*namingContext, []target, error) {
	if req.Principal == nil || req.Principal.SID.IsZero() {
		return nil, nil, errors.New("writeback: the grant needs a principal")
	}
	rights := req.Rights
	if len(rights) == 0 {
		rights = AllRights
	}
	for _, r := range rights {
		if !r.valid() {
			return nil, nil, fmt.Errorf("writeback: unknown right %d", r)
		}
	}
	if req.Scope == "" && !req.AdminSDHolder {
		return nil, nil, errors.New("writeback: give a scope, AdminSDHolder, or both")
	}
	nc := e.ncs[0]
	var out []target
	if req.Scope != "" {
		var (
			err   error
			scope *ldap.DN
		)
		if nc, scope, err = e.domainOf(req.Scope); err != nil {
			return nil, nil, err
		}
		isRoot := nc.parsed.EqualFold(scope)
		st := target{dn: req.Scope, kind: "scope"}
		root := target{dn: nc.dn, kind: "domain root"}
		for _, r := range rights {
			t := &st
			if r.OnDomainRoot() {
				t = &root
			}
			t.rights = append(t.rights, r)
			t.aces = append(t.aces, ScopeACE(r, req.Principal.SID))
		}
		if isRoot {
			st.rights = append(st.rights, root.rights...)
			st.aces = append(st.aces, root.aces...)
			root.rights = nil
		}
		for _, t := range []target{st, root} {
			if len(t.rights) > 0 {
				out = append(out, t)
			}
		}
	}
	if req.AdminSDHolder {
		t := target{dn: adminSDHolderDN(nc), kind: "AdminSDHolder"}
		for _, r := range rights {
			if !r.OnDomainRoot() {
				t.rights = append(t.rights, r)
				t.aces = append(t.aces, ObjectACE(r, req.Principal.SID))
			}
		}
		if len(t.rights) > 0 {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return nil, nil, errors.New("writeback: nothing to grant: no right applies to the objects asked for")
	}
	return nc, out, nil
}

// Grant computes the ACEs that give req.Principal the writeback rights at
// req.Scope (and on AdminSDHolder if asked), and with req.Apply writes them:
// for each object it backs up the descriptor in the store (durably, before
// anything is written), writes the DACL alone (SD flags 4), re-reads it,
// checks that every explicit ACE that was there still is and the new ones
// are, and that the rights are now allowed, and records an audit entry.
// Without req.Apply it only reads and returns the plan: before and after
// SDDL and a diff. An object that needs nothing is left alone (no write, no
// backup), so a second grant changes nothing.
//
// On an error the returned Change says what was done so far.
func (e *Engine) Grant(ctx context.Context, req GrantRequest) (*Change, error) {
	nc, targets, err := e.targets(&req)
	if err != nil {
		return nil, err
	}
	res := &Change{DryRun: !req.Apply}
	for _, t := range targets {
		oc, err := e.planGrant(ctx, nc, &req, t)
		if err != nil {
			return res, err
		}
		res.Objects = append(res.Objects, *oc)
	}
	if req.Apply {
		return res, e.applyAll(ctx, res, ActionGrant, &req)
	}
	return res, nil
}

// Revoke removes the ACEs Grant adds (ScopeACE at the scope and the domain
// root, ObjectACE on AdminSDHolder if asked), matched by equality, with the
// same dry run, backup, verification and audit as Grant. ACEs the grant
// would not have written are left alone.
func (e *Engine) Revoke(ctx context.Context, req GrantRequest) (*Change, error) {
	nc, targets, err := e.targets(&req)
	if err != nil {
		return nil, err
	}
	res := &Change{DryRun: !req.Apply}
	for _, t := range targets {
		_, raw, sd, err := e.readSD(ctx, t.dn, ldapconn.SDFlagsRead)
		if err != nil {
			return res, err
		}
		var remove []secdesc.ACE
		for _, a := range t.aces {
			if sd.DACL != nil && sd.DACL.Contains(a) {
				remove = append(remove, a)
			}
		}
		oc := e.plan(nc, t.dn, raw, sd, nil, remove)
		oc.verify = func(context.Context) error { return nil }
		res.Objects = append(res.Objects, *oc)
	}
	if req.Apply {
		return res, e.applyAll(ctx, res, ActionRevoke, &req)
	}
	return res, nil
}

// planGrant decides which of t's ACEs the object needs.
func (e *Engine) planGrant(ctx context.Context, nc *namingContext, req *GrantRequest, t target) (*ObjectChange, error) {
	_, raw, sd, err := e.readSD(ctx, t.dn, ldapconn.SDFlagsRead)
	if err != nil {
		return nil, err
	}
	p := req.Principal
	present := func(a secdesc.ACE) bool { return sd.DACL != nil && sd.DACL.Contains(a) }

	// held reports, for each right of t, whether the principal has it now;
	// judge evaluates a candidate DACL the same way.
	var judge func(ctx context.Context, dacl *secdesc.ACL) ([]Verdict, error)
	switch t.kind {
	case "AdminSDHolder":
		judge = func(_ context.Context, dacl *secdesc.ACL) ([]Verdict, error) {
			c := *sd
			c.DACL = dacl
			return Evaluate(&c, p.SIDs(false), secdesc.GUIDUserClass, t.rights, nc.sddl), nil
		}
	default:
		judge = func(ctx context.Context, dacl *secdesc.ACL) ([]Verdict, error) {
			return e.judgeScope(ctx, nc, p, t.dn, sd.Control, dacl, t.rights)
		}
	}
	now, err := judge(ctx, sd.DACL)
	if err != nil {
		return nil, err
	}
	var add []secdesc.ACE
	var addRights []Right
	for k, r := range t.rights {
		if present(t.aces[k]) || (!req.AllExplicit && now[k].OK()) {
			continue
		}
		add = append(add, t.aces[k])
		addRights = append(addRights, r)
	}
	var notes []string
	if len(add) > 0 && !req.AllExplicit {
		// Keep only the ACEs that make a difference: one that a deny placed
		// before it would still block is left out, and said so.
		trial := withAdded(sd.DACL, add)
		after, err := judge(ctx, trial)
		if err != nil {
			return nil, err
		}
		var keep []secdesc.ACE
		var keepRights []Right
		for i, a := range add {
			k := slices.Index(t.rights, addRights[i])
			if after[k].OK() {
				keep = append(keep, a)
				keepRights = append(keepRights, addRights[i])
				continue
			}
			notes = append(notes, fmt.Sprintf("%s stays blocked for %s by %s (ACE %d of %s): remove that deny to let a grant work",
				addRights[i], p.DN, after[k].ACE, after[k].Index, orDN(after[k].Source, t.dn)))
		}
		add, addRights = keep, keepRights
	}
	oc := e.plan(nc, t.dn, raw, sd, add, nil)
	oc.Notes = append(oc.Notes, notes...)
	if t.kind == "AdminSDHolder" && len(add) > 0 {
		oc.Notes = append(oc.Notes, "protected accounts get AdminSDHolder's DACL when SDProp next runs (hourly on Windows; Samba does not run it)")
	}
	oc.verify = func(ctx context.Context) error {
		_, _, cur, err := e.readSD(ctx, t.dn, ldapconn.SDFlagsDACL)
		if err != nil {
			return err
		}
		v, err := judge(ctx, cur.DACL)
		if err != nil {
			return err
		}
		for _, r := range addRights {
			k := slices.Index(t.rights, r)
			if !v[k].OK() {
				return fmt.Errorf("%s on %s is %s after the write", r, t.dn, v[k].Decision)
			}
		}
		return nil
	}
	return oc, nil
}

func orDN(s, dflt string) string {
	if s == "" {
		return dflt
	}
	return s
}

// judgeScope evaluates rights at dn (the scope or the domain root) as if its
// DACL were dacl: user rights as a user below it gets them (AuditScope's
// rules), UnexpirePassword on the object itself.
func (e *Engine) judgeScope(ctx context.Context, nc *namingContext, p *Principal, dn string, ctl secdesc.Control, dacl *secdesc.ACL, rights []Right) ([]Verdict, error) {
	out := make([]Verdict, len(rights))
	var user []Right
	for k, r := range rights {
		if r.OnDomainRoot() {
			out[k] = Evaluate(&secdesc.SecurityDescriptor{Control: ctl, DACL: dacl}, p.SIDs(false), guidDomainDNSClass, []Right{r}, nc.sddl)[0]
		} else {
			user = append(user, r)
		}
	}
	if len(user) == 0 {
		return out, nil
	}
	a, err := e.auditScopeWith(ctx, p, dn, dacl)
	if err != nil {
		return nil, err
	}
	for k, r := range rights {
		if !r.OnDomainRoot() {
			out[k] = a.Rights[slices.Index(UserRights, r)]
		}
	}
	return out, nil
}

// withAdded returns a copy of dacl with aces added at their canonical place.
func withAdded(dacl *secdesc.ACL, aces []secdesc.ACE) *secdesc.ACL {
	c := dacl.Clone()
	if c == nil {
		c = &secdesc.ACL{}
	}
	c.Add(aces...)
	return c
}

// plan describes changing dn's DACL (sd, read as raw with SD flags 7) by
// adding add and removing remove.
func (e *Engine) plan(nc *namingContext, dn string, raw []byte, sd *secdesc.SecurityDescriptor, add, remove []secdesc.ACE) *ObjectChange {
	after := sd.Clone()
	if after.DACL == nil {
		after.DACL = &secdesc.ACL{}
	}
	for _, a := range remove {
		after.DACL.Remove(a)
	}
	after.DACL.Add(add...)
	oc := &ObjectChange{
		DN: dn, nc: nc, raw: raw, sd: sd, added: add, removed: remove,
		Unchanged: len(add) == 0 && len(remove) == 0,
		Before:    nc.sddl.Format(sd), After: nc.sddl.Format(after),
	}
	for _, a := range add {
		oc.Add = append(oc.Add, nc.sddl.FormatACE(a))
	}
	for _, a := range remove {
		oc.Remove = append(oc.Remove, nc.sddl.FormatACE(a))
	}
	oc.Diff = unifiedDiff(dn+" (before)", dn+" (after)", sddlLines(sd, nc.sddl), sddlLines(after, nc.sddl))
	oc.write = explicitOnly(after)
	return oc
}

// explicitOnly is sd's control and DACL without the inherited ACEs: what to
// write, since the DC computes inherited ACEs itself.
func explicitOnly(sd *secdesc.SecurityDescriptor) *secdesc.SecurityDescriptor {
	w := &secdesc.SecurityDescriptor{Control: sd.Control, DACL: &secdesc.ACL{}}
	if sd.DACL != nil {
		w.DACL.Revision = sd.DACL.Revision
		for _, a := range sd.DACL.ACEs {
			if !a.IsInherited() {
				w.DACL.ACEs = append(w.DACL.ACEs, a)
			}
		}
	}
	return w
}

// applyAll applies each changed object in order, stopping at the first
// failure.
func (e *Engine) applyAll(ctx context.Context, res *Change, action string, req *GrantRequest) error {
	for i := range res.Objects {
		oc := &res.Objects[i]
		if oc.Unchanged {
			continue
		}
		if err := e.apply(ctx, oc, action, req.Actor, req.RunID, req.Reason); err != nil {
			return err
		}
	}
	return nil
}

// apply writes oc: check the descriptor is still the one planned against,
// back it up durably, write the DACL alone, re-read and verify, audit.
func (e *Engine) apply(ctx context.Context, oc *ObjectChange, action, actor, runID, reason string) error {
	if e.store == nil {
		return fmt.Errorf("writeback: %s %q: %w", action, oc.DN, ErrNoStore)
	}
	// Read again: the backup must hold what is overwritten, and the change
	// was planned against the explicit ACEs and protection read then. (The
	// inherited ACEs may have moved with a parent written just before: the
	// DC recomputes those anyway.)
	_, raw, cur, err := e.readSD(ctx, oc.DN, ldapconn.SDFlagsRead)
	if err != nil {
		return err
	}
	if string(raw) != string(oc.raw) {
		planned, now := explicitOnly(oc.sd), explicitOnly(cur)
		if missing, extra := aceSetDiff(planned.DACL.ACEs, now.DACL.ACEs); len(missing)+len(extra) > 0 ||
			(planned.Control^now.Control)&secdesc.ControlDACLProtected != 0 {
			return fmt.Errorf("writeback: %q: %w; nothing was written", oc.DN, ErrConcurrentChange)
		}
		oc.raw, oc.sd, oc.Before = raw, cur, oc.nc.sddl.Format(cur)
	}
	if reason == "" {
		reason = "before " + action
	}
	b, err := e.store.PutBackup(ctx, store.Backup{
		DN: oc.DN, Domain: oc.nc.dns, Value: oc.raw, SDDL: oc.Before,
		Reason: reason, RunID: runID, Actor: actor,
	})
	if err != nil {
		return fmt.Errorf("writeback: back up %q (nothing was written): %w", oc.DN, err)
	}
	oc.BackupID = b.ID
	wire, err := oc.write.MarshalBinary()
	if err != nil {
		return fmt.Errorf("writeback: encode the DACL of %q: %w", oc.DN, err)
	}
	detail := describeChange(oc)
	if err := e.conn.WriteDACL(ctx, oc.DN, wire); err != nil {
		e.audit(ctx, oc, action, actor, runID, store.AuditError, detail+"; write failed: "+err.Error())
		return fmt.Errorf("writeback: %w", err)
	}
	oc.Written = true
	e.log.Info("writeback: DACL written", "action", action, "dn", oc.DN, "added", len(oc.added), "removed", len(oc.removed), "backup", oc.BackupID, "actor", actor)
	if err := e.verifyWrite(ctx, oc); err != nil {
		e.audit(ctx, oc, action, actor, runID, store.AuditError, detail+"; verification failed: "+err.Error())
		return fmt.Errorf("writeback: %q: %w: %v (backup %s)", oc.DN, ErrVerify, err, oc.BackupID)
	}
	oc.Verified = true
	e.audit(ctx, oc, action, actor, runID, store.AuditOK, detail)
	return nil
}

func describeChange(oc *ObjectChange) string {
	var b strings.Builder
	if len(oc.Add) > 0 {
		fmt.Fprintf(&b, "added %s", strings.Join(oc.Add, ""))
	}
	if len(oc.Remove) > 0 {
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "removed %s", strings.Join(oc.Remove, ""))
	}
	fmt.Fprintf(&b, "; backup %s", oc.BackupID)
	return b.String()
}

// audit appends the record of a write. A failure to record is logged: the
// change is made and its backup kept, which is what matters to undo it.
func (e *Engine) audit(ctx context.Context, oc *ObjectChange, action, actor, runID string, result store.AuditResult, detail string) {
	rec, err := e.store.AppendAudit(ctx, store.AuditRecord{
		Actor: actor, Action: action, Target: oc.DN, Result: result, Detail: detail, RequestID: runID,
	})
	if err != nil {
		e.log.Error("writeback: audit record not written", "action", action, "dn", oc.DN, "err", err)
		return
	}
	oc.AuditID = rec.ID
}

// verifyWrite re-reads oc.DN and checks that its explicit ACEs are exactly
// the ones written (in any order: the DC may sort them), that protection is
// as written, and oc.verify.
func (e *Engine) verifyWrite(ctx context.Context, oc *ObjectChange) error {
	_, _, cur, err := e.readSD(ctx, oc.DN, ldapconn.SDFlagsRead)
	if err != nil {
		return err
	}
	got := explicitOnly(cur)
	if missing, extra := aceSetDiff(oc.write.DACL.ACEs, got.DACL.ACEs); len(missing)+len(extra) > 0 {
		return fmt.Errorf("explicit ACEs differ from those written: missing %s, unexpected %s", formatACEs(oc.nc, missing), formatACEs(oc.nc, extra))
	}
	if (cur.Control^oc.write.Control)&secdesc.ControlDACLProtected != 0 {
		return fmt.Errorf("DACL protection is %v, want %v", cur.Control&secdesc.ControlDACLProtected != 0, oc.write.Control&secdesc.ControlDACLProtected != 0)
	}
	if oc.verify != nil {
		return oc.verify(ctx)
	}
	return nil
}

// aceSetDiff compares two ACE lists as multisets: what want has that got
// lacks, and what got has beyond want.
func aceSetDiff(want, got []secdesc.ACE) (missing, extra []secdesc.ACE) {
	used := make([]bool, len(got))
	for i := range want {
		found := false
		for j := range got {
			if !used[j] && want[i].Equal(&got[j]) {
				used[j], found = true, true
				break
			}
		}
		if !found {
			missing = append(missing, want[i])
		}
	}
	for j := range got {
		if !used[j] {
			extra = append(extra, got[j])
		}
	}
	return missing, extra
}

func formatACEs(nc *namingContext, aces []secdesc.ACE) string {
	if len(aces) == 0 {
		return "none"
	}
	var b strings.Builder
	for _, a := range aces {
		b.WriteString(nc.sddl.FormatACE(a))
	}
	return b.String()
}

// RestoreRequest asks to put back a backed-up DACL.
type RestoreRequest struct {
	BackupID string
	// Apply writes; without it the call is a dry run.
	Apply                bool
	Actor, RunID, Reason string
}

// Restore puts back the DACL of a backup (its explicit ACEs and protection;
// the DC recomputes inherited ACEs), after backing up the current one, and
// verifies it. Without req.Apply it returns the plan. The backup's DN must be
// in a configured domain.
func (e *Engine) Restore(ctx context.Context, req RestoreRequest) (*ObjectChange, error) {
	if e.store == nil {
		return nil, fmt.Errorf("writeback: restore: %w", ErrNoStore)
	}
	b, err := e.store.GetBackup(ctx, req.BackupID)
	if err != nil {
		return nil, fmt.Errorf("writeback: restore: %w", err)
	}
	if !strings.EqualFold(b.Attribute, ldapconn.AttrSecurityDescriptor) {
		return nil, fmt.Errorf("writeback: backup %s holds %s, not a security descriptor", b.ID, b.Attribute)
	}
	nc, _, err := e.domainOf(b.DN)
	if err != nil {
		return nil, err
	}
	old, err := secdesc.Parse(b.Value)
	if err != nil {
		return nil, fmt.Errorf("writeback: backup %s: %w", b.ID, err)
	}
	if old.DACL == nil {
		return nil, fmt.Errorf("writeback: backup %s of %q has no DACL", b.ID, b.DN)
	}
	_, raw, cur, err := e.readSD(ctx, b.DN, ldapconn.SDFlagsRead)
	if err != nil {
		return nil, err
	}
	want := explicitOnly(old)
	have := explicitOnly(cur)
	add, remove := aceSetDiff(want.DACL.ACEs, have.DACL.ACEs)
	protChange := (cur.Control^old.Control)&secdesc.ControlDACLProtected != 0

	// After: the backup's explicit ACEs, then the inherited ones the DC
	// keeps (none if the backup's DACL is protected).
	after := cur.Clone()
	after.Control = cur.Control&^secdesc.ControlDACLProtected | old.Control&secdesc.ControlDACLProtected
	after.DACL = want.DACL.Clone()
	if after.Control&secdesc.ControlDACLProtected == 0 && cur.DACL != nil {
		for _, a := range cur.DACL.ACEs {
			if a.IsInherited() {
				after.DACL.ACEs = append(after.DACL.ACEs, a)
			}
		}
	}
	oc := &ObjectChange{
		DN: b.DN, nc: nc, raw: raw, sd: cur, added: add, removed: remove,
		Unchanged: len(add) == 0 && len(remove) == 0 && !protChange,
		Before:    nc.sddl.Format(cur), After: nc.sddl.Format(after),
	}
	for _, a := range add {
		oc.Add = append(oc.Add, nc.sddl.FormatACE(a))
	}
	for _, a := range remove {
		oc.Remove = append(oc.Remove, nc.sddl.FormatACE(a))
	}
	if protChange {
		oc.Notes = append(oc.Notes, fmt.Sprintf("DACL protection goes back to %v", old.Control&secdesc.ControlDACLProtected != 0))
	}
	oc.Diff = unifiedDiff(b.DN+" (current)", b.DN+" (backup "+b.ID+")", sddlLines(cur, nc.sddl), sddlLines(after, nc.sddl))
	oc.write = &secdesc.SecurityDescriptor{Control: after.Control, DACL: want.DACL}
	if !req.Apply || oc.Unchanged {
		return oc, nil
	}
	reason := req.Reason
	if reason == "" {
		reason = "before restoring backup " + b.ID
	}
	return oc, e.apply(ctx, oc, ActionRestore, req.Actor, req.RunID, reason)
}
