package checks

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hybridkit/hybridkit/services/identity/graphclient"
)

// subject is who a Conditional Access policy is evaluated for.
type subject struct {
	id    string
	guest bool
	// roles are the template ids of the roles held; activeRoles only those active (role
	// exclusions apply to active roles).
	roles, activeRoles map[string]bool
	// groups are the ids of the groups the user is in, directly or nested; nil when unknown.
	groups map[string]bool
}

// scope is whether a policy's users condition covers a subject.
type scope int

const (
	outOfScope scope = iota
	inScope
	excluded
	scopeUnknown // depends on group membership that could not be read
)

// covers evaluates a policy's users condition: included (All, the user, a role they hold, a
// group they are in) minus exclusions (the user, an active role, a group). why says which
// clause decided, for evidence.
func covers(p graphclient.CAPolicy, s subject, roleName, groupName func(string) string) (scope, string) {
	var why string
	switch {
	case containsFold(p.IncludeUsers, "All"):
		why = "all users"
	case containsFold(p.IncludeUsers, s.id):
		why = "the user"
	case s.guest && (p.IncludeGuestsOrExternal || containsFold(p.IncludeUsers, "GuestsOrExternalUsers")):
		why = "guests"
	}
	if why == "" {
		for _, r := range p.IncludeRoles {
			if s.roles[strings.ToLower(r)] {
				why = "role " + roleName(r)
				break
			}
		}
	}
	if why == "" && len(p.IncludeGroups) > 0 {
		if s.groups == nil {
			return scopeUnknown, "included groups (membership unknown)"
		}
		for _, g := range p.IncludeGroups {
			if s.groups[strings.ToLower(g)] {
				why = "group " + groupName(g)
				break
			}
		}
	}
	if why == "" {
		return outOfScope, ""
	}
	if containsFold(p.ExcludeUsers, s.id) {
		return excluded, "excluded as a user"
	}
	for _, r := range p.ExcludeRoles {
		if s.activeRoles[strings.ToLower(r)] {
			return excluded, "excluded through role " + roleName(r)
		}
	}
	if len(p.ExcludeGroups) > 0 {
		if s.groups == nil {
			return scopeUnknown, "excluded groups (membership unknown)"
		}
		for _, g := range p.ExcludeGroups {
			if s.groups[strings.ToLower(g)] {
				return excluded, "excluded through group " + groupName(g)
			}
		}
	}
	return inScope, why
}

// requiresMFA reports whether a policy's grant asks for MFA (the mfa control or an
// authentication strength).
func requiresMFA(p graphclient.CAPolicy) bool {
	return containsFold(p.BuiltInControls, "mfa") || p.AuthenticationStrength != ""
}

// mfaWeakness says why a policy that requires MFA and covers the user would still not enforce
// it at every sign-in; "" when it does.
func mfaWeakness(p graphclient.CAPolicy) string {
	switch p.State {
	case graphclient.CAReportOnly:
		return "is report-only"
	case graphclient.CADisabled:
		return "is disabled"
	}
	if !containsFold(p.IncludeApplications, "All") {
		if len(p.IncludeApplications) == 0 {
			return "applies to user actions only"
		}
		return "covers only some applications (" + strings.Join(p.IncludeApplications, ", ") + ")"
	}
	if !coversModernClients(p.ClientAppTypes) {
		return "applies only to client apps " + strings.Join(p.ClientAppTypes, ", ")
	}
	var conds []string
	if len(p.IncludeLocations) > 0 && !(len(p.IncludeLocations) == 1 && strings.EqualFold(p.IncludeLocations[0], "All") && len(p.ExcludeLocations) == 0) {
		conds = append(conds, "locations")
	}
	if len(p.IncludePlatforms) > 0 && !(len(p.IncludePlatforms) == 1 && strings.EqualFold(p.IncludePlatforms[0], "all") && len(p.ExcludePlatforms) == 0) {
		conds = append(conds, "device platforms")
	}
	if len(p.SignInRiskLevels) > 0 {
		conds = append(conds, "sign-in risk "+strings.Join(p.SignInRiskLevels, "/"))
	}
	if len(p.UserRiskLevels) > 0 {
		conds = append(conds, "user risk "+strings.Join(p.UserRiskLevels, "/"))
	}
	if len(conds) > 0 {
		return "applies only under conditions (" + strings.Join(conds, ", ") + ")"
	}
	if !strings.EqualFold(p.GrantOperator, "AND") {
		var others []string
		for _, c := range p.BuiltInControls {
			if !strings.EqualFold(c, "mfa") {
				others = append(others, c)
			}
		}
		if len(others) > 0 {
			return "accepts " + strings.Join(others, " or ") + " instead of MFA"
		}
	}
	return ""
}

func coversModernClients(types []string) bool {
	if len(types) == 0 || containsFold(types, "all") {
		return true
	}
	return containsFold(types, "browser") && containsFold(types, "mobileAppsAndDesktopClients")
}

// blocksLegacy describes a policy's effect on legacy authentication: which legacy client types
// it blocks for whom, and what keeps it from blocking them for everyone.
type legacyBlock struct {
	blocks   bool     // grant is block and clientAppTypes name legacy clients
	types    []string // exchangeActiveSync, other
	allUsers bool
	gaps     []string // why it does not block every legacy sign-in of every user
	excluded []string // exclusions, as "user <id>", "group <id>", "role <name>"
}

func legacyEffect(p graphclient.CAPolicy, roleName, groupName func(string) string) legacyBlock {
	var b legacyBlock
	if !containsFold(p.BuiltInControls, "block") {
		return b
	}
	for _, t := range []string{"exchangeActiveSync", "other"} {
		if containsFold(p.ClientAppTypes, t) {
			b.types = append(b.types, t)
		}
	}
	if len(b.types) == 0 {
		return b
	}
	b.blocks = true
	b.allUsers = containsFold(p.IncludeUsers, "All")
	if !b.allUsers {
		var who []string
		for _, u := range p.IncludeUsers {
			who = append(who, "user "+u)
		}
		for _, g := range p.IncludeGroups {
			who = append(who, "group "+groupName(g))
		}
		for _, r := range p.IncludeRoles {
			who = append(who, "role "+roleName(r))
		}
		b.gaps = append(b.gaps, "covers only "+strings.Join(who, ", "))
	}
	if len(b.types) < 2 {
		missing := "other"
		if b.types[0] == "other" {
			missing = "exchangeActiveSync"
		}
		b.gaps = append(b.gaps, "does not cover client type "+missing)
	}
	if !containsFold(p.IncludeApplications, "All") {
		b.gaps = append(b.gaps, "covers only some applications")
	}
	if len(p.IncludeLocations) > 0 || len(p.IncludePlatforms) > 0 {
		b.gaps = append(b.gaps, "applies only to some locations or platforms")
	}
	for _, u := range p.ExcludeUsers {
		b.excluded = append(b.excluded, "user "+u)
	}
	for _, g := range p.ExcludeGroups {
		b.excluded = append(b.excluded, "group "+groupName(g))
	}
	for _, r := range p.ExcludeRoles {
		b.excluded = append(b.excluded, "role "+roleName(r))
	}
	return b
}

func (b legacyBlock) String() string {
	s := fmt.Sprintf("blocks %s", strings.Join(b.types, " and "))
	if len(b.gaps) > 0 {
		s += "; " + strings.Join(b.gaps, "; ")
	}
	if len(b.excluded) > 0 {
		s += "; excludes " + strings.Join(b.excluded, ", ")
	}
	return s
}

func roleNamer(roles []Role) func(string) string {
	return func(id string) string {
		i := slices.IndexFunc(roles, func(r Role) bool { return strings.EqualFold(r.ID, id) })
		if i >= 0 {
			return roles[i].Name
		}
		for _, r := range PrivilegedRoles {
			if strings.EqualFold(r.ID, id) {
				return r.Name
			}
		}
		return id
	}
}

// groupNamer names groups "Display Name (id)" when the name is known, else by id.
func groupNamer(names map[string]string) func(string) string {
	return func(id string) string {
		if n := names[strings.ToLower(id)]; n != "" {
			return n + " (" + id + ")"
		}
		return id
	}
}
