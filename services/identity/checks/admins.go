package checks

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"golang.org/x/sync/errgroup"

	identityv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/identity/v1"
	"github.com/hybridkit/hybridkit/services/identity/graphclient"
)

// AdminReader reads what the admin check needs.
type AdminReader interface {
	RoleAssignments(ctx context.Context, roleDefinitionID string) ([]graphclient.RoleAssignment, error)
	RoleEligibilities(ctx context.Context) ([]graphclient.RoleAssignment, error)
	GroupMembers(ctx context.Context, groupID string, transitive bool, fn func(graphclient.Principal) error) error
	ListUserRegistrationsWhere(ctx context.Context, filter string, fn func(graphclient.UserRegistration) error) error
	UserRegistrationsByID(ctx context.Context, userIDs []string) (map[string]graphclient.UserRegistration, error)
	PerUserMFAStates(ctx context.Context, userIDs []string) (map[string]string, error)
	TransitiveMemberOf(ctx context.Context, userIDs []string) (map[string][]graphclient.GroupRef, error)
	ConditionalAccessPolicies(ctx context.Context) ([]graphclient.CAPolicy, error)
	SecurityDefaults(ctx context.Context) (bool, error)
}

// AdminOptions tune the admin check; the zero value uses the defaults.
type AdminOptions struct {
	// Roles are the roles whose holders are checked, Global Administrator first
	// (PrivilegedRoles when nil).
	Roles []Role
	// Concurrency bounds the role-assignment reads in flight (default 4).
	Concurrency int
	// MinGlobalAdmins and MaxGlobalAdmins bound the healthy number of Global Administrators
	// (defaults 2 and 4: Microsoft recommends fewer than five, and more than one).
	MinGlobalAdmins, MaxGlobalAdmins int
}

// AdminReport lists the holders of privileged roles and what protects them.
type AdminReport struct {
	// Admins are the users and service principals holding a checked role (actively, through
	// PIM eligibility or through a role-assignable group): Global Administrators first, then by
	// name.
	Admins []*Admin
	// GlobalAdmins counts the user accounts holding Global Administrator, active or eligible.
	GlobalAdmins int
	// SecurityDefaults is whether security defaults are on; nil when unreadable.
	SecurityDefaults *bool
	// Policies are the Conditional Access policies read (nil when unreadable).
	Policies    []graphclient.CAPolicy
	Unavailable []Unavailable
}

// Admin is one holder of privileged roles.
type Admin struct {
	ID, UserPrincipalName, DisplayName string
	// Type is user or servicePrincipal.
	Type           string
	AccountEnabled bool
	// Synced is true for an account synchronised from on-premises AD.
	Synced bool
	Roles  []HeldRole
	// RegistrationKnown is false when the registration report could not be read for the user.
	RegistrationKnown bool
	MFARegistered     bool
	Methods           []string
	PhishingResistant bool
	// PerUserMFA is disabled, enabled or enforced; "" when unknown.
	PerUserMFA string
	// EnforcementKnown is false when Conditional Access or security defaults could not be read.
	EnforcementKnown bool
	// EnforcedBy lists what requires MFA at the admin's every sign-in; Gaps lists what would
	// but does not (report-only or disabled policies, exclusions, narrowed conditions).
	EnforcedBy, Gaps []string
	// EnforcedByControls and GapControls are EnforcedBy and Gaps as structured values, in the
	// same order, naming the Conditional Access policy by id.
	EnforcedByControls, GapControls []MFAControl
}

// Kinds of MFAControl.
const (
	ControlSecurityDefaults  = "securityDefaults"
	ControlConditionalAccess = "conditionalAccess"
	ControlPerUserMFA        = "perUserMfa"
)

// MFAControl is something that requires MFA of an admin, or would but does not.
type MFAControl struct {
	// Kind is ControlSecurityDefaults, ControlConditionalAccess or ControlPerUserMFA.
	Kind string
	// PolicyID and PolicyName name the Conditional Access policy.
	PolicyID, PolicyName string
	// Detail says why it covers the admin, or why it falls short.
	Detail string
	// Text is the line in EnforcedBy or Gaps.
	Text string
}

// HeldRole is a role an admin holds.
type HeldRole struct {
	RoleID, RoleName string
	Eligible         bool   // through PIM, to be activated
	ViaGroup         string // the role-assignable group it comes through, if any
	Scope            string // directoryScopeId: "/" for the tenant, or an administrative unit
}

func (h HeldRole) String() string {
	s := h.RoleName
	var notes []string
	if h.Eligible {
		notes = append(notes, "eligible")
	}
	if h.ViaGroup != "" {
		notes = append(notes, "via group "+h.ViaGroup)
	}
	if h.Scope != "" && h.Scope != "/" {
		notes = append(notes, "scope "+h.Scope)
	}
	if len(notes) > 0 {
		s += " (" + strings.Join(notes, ", ") + ")"
	}
	return s
}

// GlobalAdmin reports whether the admin holds Global Administrator, active or eligible.
func (a *Admin) GlobalAdmin() bool {
	for _, r := range a.Roles {
		if strings.EqualFold(r.RoleID, RoleGlobalAdministrator) {
			return true
		}
	}
	return false
}

// Name is the UPN, or the display name of a service principal.
func (a *Admin) Name() string {
	if a.UserPrincipalName != "" {
		return a.UserPrincipalName
	}
	return a.DisplayName
}

// Admins checks the holders of privileged roles: who they are (active, PIM-eligible, through
// role-assignable groups), their registered MFA methods and whether any is phishing-resistant,
// and what enforces MFA for each (security defaults, enabled Conditional Access policies that
// cover them, per-user MFA); plus the number of Global Administrators and synced admin accounts.
func Admins(ctx context.Context, g AdminReader, opts AdminOptions) (*AdminReport, []*identityv1.Finding, error) {
	roles := opts.Roles
	if roles == nil {
		roles = PrivilegedRoles
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 4
	}
	if opts.MinGlobalAdmins <= 0 {
		opts.MinGlobalAdmins = 2
	}
	if opts.MaxGlobalAdmins <= 0 {
		opts.MaxGlobalAdmins = 4
	}
	roleName := roleNamer(roles)
	rep := &AdminReport{}
	var findings []*identityv1.Finding
	skip := func(id string, sev identityv1.Severity, u Unavailable, consequence string) {
		rep.Unavailable = append(rep.Unavailable, u)
		findings = append(findings, unavailableFinding(id, sev, u, consequence))
	}

	// Active assignments, one filtered request per role.
	perRole := make([][]graphclient.RoleAssignment, len(roles))
	eg, ectx := errgroup.WithContext(ctx)
	eg.SetLimit(opts.Concurrency)
	for i, r := range roles {
		eg.Go(func() error {
			as, err := g.RoleAssignments(ectx, r.ID)
			perRole[i] = as
			return err
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, nil, err
	}
	var assignments []graphclient.RoleAssignment
	for _, as := range perRole {
		assignments = append(assignments, as...)
	}
	wanted := map[string]bool{}
	for _, r := range roles {
		wanted[strings.ToLower(r.ID)] = true
	}
	eligible, err := g.RoleEligibilities(ctx)
	if u, ok := refusal("PIM-eligible role assignments", err); ok {
		sev := sevLow
		if u.Licence != "" {
			sev = sevInfo
		}
		skip("admins.pim-unavailable", sev, u, "admins who are only eligible for a role (through Privileged Identity Management) are not listed")
	} else if err != nil {
		return nil, nil, err
	}
	for _, e := range eligible {
		if wanted[strings.ToLower(e.RoleDefinitionID)] {
			assignments = append(assignments, e)
		}
	}

	// Principals, with role-assignable groups expanded to their members.
	byID := map[string]*Admin{}
	var order []string
	admin := func(p graphclient.Principal) *Admin {
		key := strings.ToLower(p.ID)
		if a, ok := byID[key]; ok {
			return a
		}
		a := &Admin{ID: p.ID, UserPrincipalName: p.UserPrincipalName, DisplayName: p.DisplayName, Type: p.Type,
			AccountEnabled: p.AccountEnabled == nil || *p.AccountEnabled, Synced: p.Synced()}
		byID[key] = a
		order = append(order, key)
		return a
	}
	groupMembers := map[string][]graphclient.Principal{}
	var groupsUnreadable bool
	for _, as := range assignments {
		held := HeldRole{RoleID: as.RoleDefinitionID, RoleName: roleName(as.RoleDefinitionID), Eligible: as.Eligible, Scope: as.DirectoryScopeID}
		p := as.Principal
		if p.ID == "" {
			p.ID, p.Type = as.PrincipalID, "unknown"
		}
		if p.Type != "group" {
			a := admin(p)
			a.Roles = append(a.Roles, held)
			continue
		}
		key := strings.ToLower(p.ID)
		members, read := groupMembers[key]
		if !read && !groupsUnreadable {
			err := g.GroupMembers(ctx, p.ID, true, func(m graphclient.Principal) error {
				if m.Type != "group" {
					members = append(members, m)
				}
				return nil
			})
			if u, ok := refusal("members of role-assignable groups", err); ok {
				groupsUnreadable = true
				skip("admins.group-members-unavailable", sevMedium, u, "admins who hold roles through groups are not listed")
			} else if err != nil {
				return nil, nil, err
			}
			groupMembers[key] = members
		}
		held.ViaGroup = p.DisplayName
		for _, m := range members {
			a := admin(m)
			a.Roles = append(a.Roles, held)
		}
	}
	var userIDs []string
	for _, key := range order {
		a := byID[key]
		if a.Type == "user" {
			userIDs = append(userIDs, a.ID)
		}
	}

	// Registered methods: the admins the report flags, then the others one by one.
	regs := map[string]graphclient.UserRegistration{}
	err = g.ListUserRegistrationsWhere(ctx, "isAdmin eq true", func(r graphclient.UserRegistration) error {
		if _, ok := byID[strings.ToLower(r.ID)]; ok {
			regs[strings.ToLower(r.ID)] = r
		}
		return nil
	})
	if err == nil {
		var missing []string
		for _, id := range userIDs {
			if _, ok := regs[strings.ToLower(id)]; !ok {
				missing = append(missing, id)
			}
		}
		if len(missing) > 0 {
			var more map[string]graphclient.UserRegistration
			more, err = g.UserRegistrationsByID(ctx, missing)
			for id, r := range more {
				regs[strings.ToLower(id)] = r
			}
		}
	}
	if u, ok := refusal("the authentication-method registration report", err); ok {
		skip("admins.registrations-unavailable", sevMedium, u, "the admins' registered MFA methods are unknown")
	} else if err != nil {
		return nil, nil, err
	}

	perUser := map[string]string{}
	if len(userIDs) > 0 {
		states, err := g.PerUserMFAStates(ctx, userIDs)
		if u, ok := refusal("per-user MFA states", err); ok {
			skip("admins.per-user-mfa-unavailable", sevLow, u, "legacy per-user MFA was not considered as enforcing MFA")
		} else if err != nil {
			return nil, nil, err
		}
		for id, s := range states {
			perUser[strings.ToLower(id)] = s
		}
	}

	enforcementKnown := true
	policies, err := g.ConditionalAccessPolicies(ctx)
	if u, ok := refusal("Conditional Access policies", err); ok {
		enforcementKnown = false
		skip("admins.conditional-access-unavailable", sevMedium, u, "whether Conditional Access enforces MFA for admins is unknown")
	} else if err != nil {
		return nil, nil, err
	} else {
		rep.Policies = policies
	}
	sd, err := g.SecurityDefaults(ctx)
	if u, ok := refusal("the security defaults policy", err); ok {
		enforcementKnown = false
		skip("admins.security-defaults-unavailable", sevLow, u, "whether security defaults enforce MFA for admins is unknown")
	} else if err != nil {
		return nil, nil, err
	} else {
		rep.SecurityDefaults = &sd
	}

	// Group memberships, only when a policy targets or excludes groups.
	var memberships map[string][]graphclient.GroupRef
	needGroups := false
	for _, p := range policies {
		needGroups = needGroups || (requiresMFA(p) && (len(p.IncludeGroups) > 0 || len(p.ExcludeGroups) > 0))
	}
	if needGroups && len(userIDs) > 0 {
		memberships, err = g.TransitiveMemberOf(ctx, userIDs)
		if u, ok := refusal("admins' group memberships", err); ok {
			skip("admins.memberships-unavailable", sevLow, u, "Conditional Access policies that include or exclude groups could not be evaluated for admins")
		} else if err != nil {
			return nil, nil, err
		}
	}

	groupNames := map[string]string{}
	for _, refs := range memberships {
		for _, gr := range refs {
			groupNames[strings.ToLower(gr.ID)] = gr.DisplayName
		}
	}
	groupName := groupNamer(groupNames)
	sdRoles := map[string]bool{}
	for _, r := range PrivilegedRoles {
		if r.SecurityDefaults {
			sdRoles[strings.ToLower(r.ID)] = true
		}
	}
	for _, key := range order {
		a := byID[key]
		if a.Type != "user" {
			continue
		}
		if r, ok := regs[key]; ok {
			a.RegistrationKnown = true
			a.MFARegistered = r.IsMfaRegistered
			a.Methods = r.MethodsRegistered
			for _, m := range r.MethodsRegistered {
				a.PhishingResistant = a.PhishingResistant || phishingResistant(m)
			}
		}
		a.PerUserMFA = perUser[key]
		a.EnforcementKnown = enforcementKnown
		evaluateEnforcement(a, rep.SecurityDefaults, policies, memberships, needGroups, sdRoles, roleName, groupName)
	}

	for _, key := range order {
		rep.Admins = append(rep.Admins, byID[key])
	}
	sort.SliceStable(rep.Admins, func(i, j int) bool {
		a, b := rep.Admins[i], rep.Admins[j]
		if a.GlobalAdmin() != b.GlobalAdmin() {
			return a.GlobalAdmin()
		}
		return strings.ToLower(a.Name()) < strings.ToLower(b.Name())
	})
	for _, a := range rep.Admins {
		if a.Type == "user" && a.GlobalAdmin() {
			rep.GlobalAdmins++
		}
	}
	return rep, append(adminFindings(rep, opts), findings...), nil
}

// evaluateEnforcement fills what enforces MFA for an admin, and what would but does not.
func evaluateEnforcement(a *Admin, sd *bool, policies []graphclient.CAPolicy, memberships map[string][]graphclient.GroupRef, needGroups bool, sdRoles map[string]bool, roleName, groupName func(string) string) {
	s := subject{id: a.ID, roles: map[string]bool{}, activeRoles: map[string]bool{}}
	for _, r := range a.Roles {
		s.roles[strings.ToLower(r.RoleID)] = true
		if !r.Eligible {
			s.activeRoles[strings.ToLower(r.RoleID)] = true
		}
	}
	if groups, ok := memberships[a.ID]; ok || !needGroups {
		s.groups = map[string]bool{}
		for _, g := range groups {
			s.groups[strings.ToLower(g.ID)] = true
		}
	}
	enforce := func(c MFAControl) {
		a.EnforcedBy = append(a.EnforcedBy, c.Text)
		a.EnforcedByControls = append(a.EnforcedByControls, c)
	}
	gap := func(c MFAControl) {
		a.Gaps = append(a.Gaps, c.Text)
		a.GapControls = append(a.GapControls, c)
	}
	if sd != nil && *sd {
		covered := false
		for r := range s.roles {
			covered = covered || sdRoles[r]
		}
		if covered {
			enforce(MFAControl{Kind: ControlSecurityDefaults, Detail: "holds a role security defaults always protect", Text: "security defaults"})
		} else {
			gap(MFAControl{Kind: ControlSecurityDefaults, Detail: "only when Entra deems it necessary",
				Text: "security defaults require MFA for this account's roles only when Entra deems it necessary"})
		}
	}
	for _, p := range policies {
		if !requiresMFA(p) {
			continue
		}
		ca := MFAControl{Kind: ControlConditionalAccess, PolicyID: p.ID, PolicyName: p.DisplayName}
		sc, why := covers(p, s, roleName, groupName)
		switch sc {
		case outOfScope:
			continue
		case excluded:
			ca.Detail = why
			ca.Text = fmt.Sprintf("Conditional Access %q would require MFA but the account is %s", p.DisplayName, why)
			gap(ca)
			continue
		case scopeUnknown:
			ca.Detail = "targets " + why
			ca.Text = fmt.Sprintf("Conditional Access %q targets %s", p.DisplayName, why)
			gap(ca)
			continue
		}
		if weak := mfaWeakness(p); weak != "" {
			ca.Detail = weak
			ca.Text = fmt.Sprintf("Conditional Access %q covers the account (%s) but %s", p.DisplayName, why, weak)
			gap(ca)
			continue
		}
		ca.Detail = why
		ca.Text = fmt.Sprintf("Conditional Access %q (%s)", p.DisplayName, why)
		enforce(ca)
	}
	switch a.PerUserMFA {
	case "enabled", "enforced":
		enforce(MFAControl{Kind: ControlPerUserMFA, Detail: a.PerUserMFA, Text: "per-user MFA (" + a.PerUserMFA + ")"})
	}
}

func adminLine(a *Admin) string {
	roles := make([]string, len(a.Roles))
	for i, r := range a.Roles {
		roles[i] = r.String()
	}
	s := fmt.Sprintf("%s [%s]", a.Name(), strings.Join(roles, "; "))
	if a.Synced {
		s += " synced from AD"
	}
	switch {
	case !a.RegistrationKnown:
		s += "; methods: unknown"
	case len(a.Methods) == 0:
		s += "; methods: none"
	default:
		s += "; methods: " + strings.Join(a.Methods, ", ")
	}
	switch {
	case !a.EnforcementKnown && len(a.EnforcedBy) == 0:
		s += "; MFA enforced by: unknown"
	case len(a.EnforcedBy) == 0:
		s += "; MFA enforced by: nothing"
	default:
		s += "; MFA enforced by: " + strings.Join(a.EnforcedBy, ", ")
	}
	if len(a.Gaps) > 0 && len(a.EnforcedBy) == 0 {
		s += "; " + strings.Join(a.Gaps, "; ")
	}
	return s
}

func adminFindings(r *AdminReport, opts AdminOptions) []*identityv1.Finding {
	var out []*identityv1.Finding
	var noMFA, notEnforced, notPhish, synced, sps []string
	noMFAGlobal := false
	var gas []string
	for _, a := range r.Admins {
		if a.Type == "servicePrincipal" {
			roles := make([]string, len(a.Roles))
			for i, h := range a.Roles {
				roles[i] = h.String()
			}
			sps = append(sps, fmt.Sprintf("%s [%s]", a.Name(), strings.Join(roles, "; ")))
			continue
		}
		if a.Type != "user" {
			continue
		}
		if a.GlobalAdmin() {
			line := a.Name()
			if !a.AccountEnabled {
				line += " (disabled)"
			}
			gas = append(gas, line)
		}
		if a.Synced {
			synced = append(synced, adminLine(a))
		}
		if !a.AccountEnabled {
			continue // cannot sign in
		}
		switch {
		case a.RegistrationKnown && !a.MFARegistered:
			noMFA = append(noMFA, adminLine(a))
			noMFAGlobal = noMFAGlobal || a.GlobalAdmin()
		case a.EnforcementKnown && len(a.EnforcedBy) == 0:
			notEnforced = append(notEnforced, adminLine(a))
		}
		if a.RegistrationKnown && a.MFARegistered && !a.PhishingResistant {
			notPhish = append(notPhish, adminLine(a))
		}
	}
	if len(noMFA) > 0 {
		sev := sevHigh
		if noMFAGlobal {
			sev = sevCritical
		}
		out = append(out, &identityv1.Finding{
			Id:          "admins.no-mfa",
			Severity:    sev,
			Title:       fmt.Sprintf("%s in privileged roles %s no MFA method registered", plural(len(noMFA), "admin", "admins"), hasHave(len(noMFA))),
			Evidence:    noMFA,
			Remediation: "Have each admin register a phishing-resistant method (FIDO2 security key, passkey or Windows Hello for Business) now, using a Temporary Access Pass if needed, and require MFA for every admin role with Conditional Access.",
			References:  []string{refAdminMFA, refPhishResistant},
		})
	}
	if len(notEnforced) > 0 {
		out = append(out, &identityv1.Finding{
			Id:          "admins.mfa-not-enforced",
			Severity:    sevHigh,
			Title:       fmt.Sprintf("Nothing enforces MFA for %s in privileged roles", plural(len(notEnforced), "admin", "admins")),
			Evidence:    notEnforced,
			Remediation: "Create an enabled Conditional Access policy for all cloud apps that includes every privileged directory role and requires MFA (preferably the phishing-resistant authentication strength), excluding only one or two monitored emergency-access accounts; without Entra ID P1, turn on security defaults. Report-only policies enforce nothing.",
			References:  []string{refAdminMFA, refSecurityDefaults, refReportOnly, refEmergencyAccess},
		})
	}
	if len(notPhish) > 0 {
		out = append(out, &identityv1.Finding{
			Id:          "admins.not-phishing-resistant",
			Severity:    sevMedium,
			Title:       fmt.Sprintf("%s in privileged roles %s no phishing-resistant method", plural(len(notPhish), "admin", "admins"), hasHave(len(notPhish))),
			Evidence:    notPhish,
			Remediation: "Register a FIDO2 security key, passkey, Windows Hello for Business or certificate-based authentication for each admin, then require the Phishing-resistant MFA authentication strength for admin roles.",
			References:  []string{refPhishResistantCA, refAuthStrengths, refPhishResistant},
		})
	}
	switch {
	case r.GlobalAdmins < opts.MinGlobalAdmins:
		out = append(out, &identityv1.Finding{
			Id:          "admins.too-few-global-admins",
			Severity:    sevMedium,
			Title:       fmt.Sprintf("Only %s: the tenant depends on too few accounts", plural(r.GlobalAdmins, "Global Administrator", "Global Administrators")),
			Evidence:    append([]string{fmt.Sprintf("%s Global Administrator (active or eligible)", plural(r.GlobalAdmins, "user account holds", "user accounts hold"))}, gas...),
			Remediation: "Keep at least two Global Administrators, and two cloud-only emergency-access accounts, so the tenant is not locked out when one account is unavailable.",
			References:  []string{refRoleBestPractices, refEmergencyAccess},
		})
	case r.GlobalAdmins > opts.MaxGlobalAdmins:
		out = append(out, &identityv1.Finding{
			Id:          "admins.too-many-global-admins",
			Severity:    sevMedium,
			Title:       fmt.Sprintf("%d Global Administrators: Microsoft recommends fewer than five", r.GlobalAdmins),
			Evidence:    append([]string{fmt.Sprintf("%s Global Administrator (active or eligible)", plural(r.GlobalAdmins, "user account holds", "user accounts hold"))}, gas...),
			Remediation: "Move Global Administrators who do not need every permission to least-privileged roles (User, Exchange, Security Administrator, ...) and make the rest eligible through PIM.",
			References:  []string{refRoleBestPractices},
		})
	}
	if len(synced) > 0 {
		out = append(out, &identityv1.Finding{
			Id:          "admins.synced",
			Severity:    sevHigh,
			Title:       fmt.Sprintf("%s in privileged roles %s synced from on-premises AD", plural(len(synced), "admin account", "admin accounts"), isAre(len(synced))),
			Evidence:    synced,
			Remediation: "Use cloud-only accounts for Entra ID admin roles, so that a compromise of on-premises AD (or of the Entra Connect server) does not hand over the tenant.",
			References:  []string{refCloudOnlyAdmins, refRoleBestPractices},
		})
	}
	if len(sps) > 0 {
		out = append(out, &identityv1.Finding{
			Id:          "admins.service-principals",
			Severity:    sevLow,
			Title:       fmt.Sprintf("%s privileged roles: MFA cannot protect them", plural(len(sps), "service principal holds", "service principals hold")),
			Evidence:    sps,
			Remediation: "Review that each application needs the role; protect its credentials (certificates over secrets, short lifetimes) and prefer narrower Graph permissions to directory roles.",
			References:  []string{refRoleBestPractices},
		})
	}
	return out
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}
