// Package writeback audits and grants the Active Directory permissions that
// Entra Connect password writeback needs: Reset password, Change password,
// write lockoutTime and write pwdLastSet on the users, and Unexpire password
// on the domain root, for the AD DS connector account.
//
// The access check (Evaluate) follows the one a DC runs for a single right:
// it walks the DACL in order, skips inherit-only ACEs, matches the account's
// SID, its tokenGroups, Everyone and Authenticated Users (and Principal Self
// on the account's own object), expands GenericAll and GenericWrite, and
// takes an object ACE when its object type is absent, the right or attribute
// itself, a property set holding the attribute, or the object's class. The
// first ACE that matches decides, allow or deny; every Verdict names it.
//
// An Engine works against a domain controller through an ldapconn.Conn:
//
//   - AuditScope: the rights on users below a scope, from what a user created
//     there would get (the schema's default ACEs for users and what the scope
//     passes on, each ACE traced to the object that sets it), without looking
//     at any user;
//   - CheckUsers: the verdict on named users, with the reasons writeback
//     fails (adminCount=1, an explicit deny, a protected DACL, a missing
//     right);
//   - Coverage: every user below a scope, streamed in pages with each
//     distinct DACL evaluated once, plus AdminSDHolder and Unexpire password;
//   - Grant, Revoke, Restore: the minimal explicit ACEs in the form
//     Microsoft's AdSyncConfig module writes (ScopeACE, and ObjectACE for
//     AdminSDHolder), as a dry run unless asked to apply; an applied change
//     is backed up in the store first, writes the DACL alone, is read back
//     and verified, and is recorded in the audit log.
//
// Every DN must lie in one of the configured domain naming contexts.
package writeback
