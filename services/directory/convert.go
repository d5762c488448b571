package directory

import (
	"cmp"
	"slices"
	"strings"

	"github.com/go-ldap/ldap/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	directoryv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/directory/v1"
	"github.com/hybridkit/hybridkit/services/directory/ldapconn"
	"github.com/hybridkit/hybridkit/services/directory/secdesc"
	"github.com/hybridkit/hybridkit/services/directory/writeback"
)

var rightProto = map[writeback.Right]directoryv1.WritebackRight{
	writeback.ResetPassword:    directoryv1.WritebackRight_WRITEBACK_RIGHT_RESET_PASSWORD,
	writeback.ChangePassword:   directoryv1.WritebackRight_WRITEBACK_RIGHT_CHANGE_PASSWORD,
	writeback.WriteLockoutTime: directoryv1.WritebackRight_WRITEBACK_RIGHT_WRITE_LOCKOUT_TIME,
	writeback.WritePwdLastSet:  directoryv1.WritebackRight_WRITEBACK_RIGHT_WRITE_PWD_LAST_SET,
	writeback.UnexpirePassword: directoryv1.WritebackRight_WRITEBACK_RIGHT_UNEXPIRE_PASSWORD,
}

var decisionProto = map[writeback.Decision]directoryv1.Decision{
	writeback.Allowed: directoryv1.Decision_DECISION_ALLOWED,
	writeback.Denied:  directoryv1.Decision_DECISION_DENIED,
	writeback.Missing: directoryv1.Decision_DECISION_MISSING,
}

var reasonProto = map[writeback.ReasonCode]directoryv1.FailureReason{
	writeback.ReasonAdminSDHolder: directoryv1.FailureReason_FAILURE_REASON_ADMIN_SD_HOLDER,
	writeback.ReasonDenied:        directoryv1.FailureReason_FAILURE_REASON_EXPLICIT_DENY,
	writeback.ReasonProtectedDACL: directoryv1.FailureReason_FAILURE_REASON_PROTECTED_DACL,
	writeback.ReasonMissing:       directoryv1.FailureReason_FAILURE_REASON_MISSING_RIGHT,
}

// verdictProto converts a verdict; source, when not empty, replaces the verdict's own.
func verdictProto(v writeback.Verdict, source string) *directoryv1.Verdict {
	out := &directoryv1.Verdict{
		Right:       rightProto[v.Right],
		RightName:   v.Right.String(),
		Decision:    decisionProto[v.Decision],
		Ace:         v.ACE,
		Inherited:   v.Inherited,
		Source:      v.Source,
		Description: v.Description,
	}
	if v.Decision != writeback.Missing && v.Index >= 0 {
		out.AceIndex = proto.Int32(int32(v.Index))
	}
	if source != "" {
		out.Source = source
	}
	return out
}

func verdictsProto(vs []writeback.Verdict) []*directoryv1.Verdict {
	out := make([]*directoryv1.Verdict, len(vs))
	for i, v := range vs {
		out[i] = verdictProto(v, "")
	}
	return out
}

func principalProto(p *writeback.Principal) *directoryv1.Principal {
	out := &directoryv1.Principal{Dn: p.DN, SamAccountName: p.SAMAccountName, Sid: p.SID.String()}
	for _, g := range p.Groups {
		out.Groups = append(out.Groups, trustee(g))
	}
	return out
}

func scopeAuditProto(a *writeback.ScopeAudit, p *writeback.Principal) *directoryv1.ScopeAudit {
	out := &directoryv1.ScopeAudit{
		Scope:     a.Scope,
		Domain:    a.Domain,
		Connector: principalProto(p),
		Protected: a.Protected,
		Rights:    verdictsProto(a.Rights),
		Unexpire:  verdictProto(a.Unexpire, ""),
		Works:     a.Works,
		Notes:     a.Notes,
	}
	// The engine names ancestors as go-ldap prints DNs (ou=Staff,dc=example,dc=com): give them
	// back as the scope and the domain spell them.
	for _, dn := range a.Chain {
		out.Chain = append(out.Chain, spelledAs(dn, a.Scope, a.Domain))
	}
	for _, v := range append(out.Rights, out.Unexpire) {
		if v.Source != "" {
			v.Source = spelledAs(v.Source, a.Scope, a.Domain)
		}
	}
	return out
}

// spelledAs returns dn as it is spelled in one of the DNs given, when dn is one of them or one of
// their ancestors (compared as DNs), else dn unchanged.
func spelledAs(dn string, spellings ...string) string {
	want, err := ldap.ParseDN(dn)
	if err != nil {
		return dn
	}
	for _, s := range spellings {
		for _, suffix := range dnSuffixes(s) {
			if d, err := ldap.ParseDN(suffix); err == nil && d.EqualFold(want) {
				return suffix
			}
		}
	}
	return dn
}

// dnSuffixes returns dn and each of its ancestors' DNs, cut at the commas between RDNs (not the
// escaped ones inside values).
func dnSuffixes(dn string) []string {
	out := []string{dn}
	for i := 0; i < len(dn); i++ {
		switch dn[i] {
		case '\\':
			i++ // the escaped character
		case ',':
			out = append(out, strings.TrimLeft(dn[i+1:], " "))
		}
	}
	return out
}

// userCheckProto converts a user's verdict. sources[i], when set, is where the deciding ACE of
// u.Rights[i] is explicit; an ACE that is not inherited is the user's own.
func userCheckProto(u *writeback.UserCheck, sources []string) *directoryv1.UserCheck {
	out := &directoryv1.UserCheck{
		Dn:                 u.DN,
		SamAccountName:     u.SAMAccountName,
		AdminCount:         u.AdminCount,
		UserAccountControl: u.UserAccountControl,
		Disabled:           u.Disabled,
		Protected:          u.Protected,
		Works:              u.Works,
		Cause:              reasonProto[u.Cause],
	}
	if !u.SID.IsZero() {
		out.Sid = u.SID.String()
	}
	for i, v := range u.Rights {
		src := ""
		switch {
		case v.Decision == writeback.Missing || v.ACE == "":
		case !v.Inherited:
			src = u.DN
		case i < len(sources):
			src = sources[i]
		}
		out.Rights = append(out.Rights, verdictProto(v, src))
	}
	for _, r := range u.Reasons {
		pr := &directoryv1.Reason{Code: reasonProto[r.Code], Ace: r.ACE, Detail: r.Detail}
		if r.Right != 0 {
			pr.Right = rightProto[r.Right]
		}
		out.Reasons = append(out.Reasons, pr)
	}
	return out
}

// basicUserCheck trims c to the basic view: decisions without ACE text, reasons without details.
func basicUserCheck(c *directoryv1.UserCheck) *directoryv1.UserCheck {
	for _, v := range c.Rights {
		v.RightName, v.Ace, v.Source, v.Description = "", "", "", ""
	}
	for _, r := range c.Reasons {
		r.Ace, r.Detail = "", ""
	}
	return c
}

func coverageProto(c *writeback.Coverage, p *writeback.Principal, failing []*directoryv1.UserCheck) *directoryv1.Coverage {
	out := &directoryv1.Coverage{
		Scope:          c.Scope,
		Domain:         c.Domain,
		Connector:      principalProto(p),
		Users:          int64(c.Users),
		Working:        int64(c.Working),
		Failing:        int64(c.Failing),
		FailingUsers:   failing,
		FailingOmitted: int64(c.FailingOmitted),
		Unexpire:       verdictProto(c.Unexpire, ""),
		DistinctDacls:  int64(c.DistinctDACLs),
		Elapsed:        durationpb.New(c.Elapsed),
	}
	for code, n := range c.ByCause {
		out.ByReason = append(out.ByReason, &directoryv1.ReasonCount{Reason: reasonProto[code], Users: int64(n)})
	}
	slices.SortFunc(out.ByReason, func(a, b *directoryv1.ReasonCount) int {
		return cmp.Or(cmp.Compare(b.GetUsers(), a.GetUsers()), cmp.Compare(a.GetReason(), b.GetReason()))
	})
	if h := c.AdminSDHolder; h != nil {
		ah := &directoryv1.AdminSdHolderAudit{Dn: h.DN, Rights: verdictsProto(h.Rights), Works: h.Works, InheritOnlyAces: h.InheritOnly}
		for _, v := range h.Rights {
			if !v.OK() {
				ah.GrantAces = append(ah.GrantAces, secdesc.SDDLOptions{}.FormatACE(writeback.ObjectACE(v.Right, p.SID)))
			}
		}
		for i, v := range ah.Rights {
			if v.GetAce() != "" && !v.GetInherited() {
				ah.Rights[i].Source = h.DN
			}
		}
		out.AdminSdHolder = ah
	}
	return out
}

func connectorAccountProto(a *ldapconn.ConnectorAccount) *directoryv1.ConnectorAccount {
	return &directoryv1.ConnectorAccount{
		Name:                    "connectorAccounts/" + a.SID.String(),
		Dn:                      a.DN,
		SamAccountName:          a.SAMAccountName,
		UserPrincipalName:       a.UserPrincipalName,
		Sid:                     a.SID.String(),
		Description:             a.Description,
		EntraConnectDescription: a.EntraConnectDescription,
		Msol:                    a.MSOL,
		Configured:              a.Configured,
		Disabled:                a.Disabled,
	}
}

// sameGrantSDDL reports whether two ACEs in SDDL are the same grant whatever their inheritance
// flags: an inherited copy (CIID) and the explicit ACE it comes from (CIIO).
func sameGrantSDDL(a, b string) bool {
	fa, fb := strings.Split(strings.Trim(a, "()"), ";"), strings.Split(strings.Trim(b, "()"), ";")
	if len(fa) != len(fb) || len(fa) < 6 {
		return false
	}
	for i := range fa {
		if i != 1 && !strings.EqualFold(fa[i], fb[i]) {
			return false
		}
	}
	return true
}
