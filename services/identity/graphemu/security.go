package graphemu

import (
	"fmt"
	"strings"
	"time"
)

// normalizeSecurity fills the defaults of the policy, role, group and report fixtures and checks
// that every reference (role member, group member, per-user MFA entry) names a known object.
func (t *Tenant) normalizeSecurity() error {
	synced := t.Organization.OnPremisesSyncEnabled != nil && *t.Organization.OnPremisesSyncEnabled
	if t.OnPremisesSynchronization == nil {
		o := OnPremisesDirectorySynchronization{ID: t.ID}
		if synced {
			o.Configuration = OnPremisesSyncConfiguration{
				AccidentalDeletionPrevention: &AccidentalDeletionPrevention{SynchronizationPreventionType: "enabledForCount", AlertThreshold: 500},
				SynchronizationInterval:      ptr("PT30M"),
			}
			o.Features.PasswordSyncEnabled = true
			o.Features.BlockSoftMatchEnabled = false
			o.Features.QuarantineUponProxyAddressesConflictEnabled = true
			o.Features.QuarantineUponUpnConflictEnabled = true
			o.Features.SoftMatchOnUpnEnabled = true
		} else {
			o.Configuration.AccidentalDeletionPrevention = &AccidentalDeletionPrevention{SynchronizationPreventionType: "disabled"}
		}
		t.OnPremisesSynchronization = []OnPremisesDirectorySynchronization{o}
	}
	for i := range t.OnPremisesSynchronization {
		if t.OnPremisesSynchronization[i].ID == "" {
			t.OnPremisesSynchronization[i].ID = t.ID
		}
	}
	if t.AuthenticationMethodsPolicy == nil {
		t.AuthenticationMethodsPolicy = DefaultAuthenticationMethodsPolicy()
	}
	t.AuthenticationMethodsPolicy.normalize()
	if t.AuthorizationPolicy == nil {
		t.AuthorizationPolicy = DefaultAuthorizationPolicy()
	}
	t.AuthorizationPolicy.normalize()
	if t.SecurityDefaults == nil {
		t.SecurityDefaults = &SecurityDefaultsPolicy{}
	}
	t.SecurityDefaults.normalize()
	if t.ConditionalAccessPolicies == nil {
		t.ConditionalAccessPolicies = []ConditionalAccessPolicy{}
	}
	for i := range t.ConditionalAccessPolicies {
		p := &t.ConditionalAccessPolicies[i]
		if p.ID == "" || p.DisplayName == "" {
			return fmt.Errorf("conditionalAccessPolicies[%d]: id and displayName are required", i)
		}
		p.normalize()
	}

	known := make(map[string]string, len(t.Users)+len(t.Groups)+len(t.ServicePrincipals))
	for _, u := range t.Users {
		known[strings.ToLower(u.ID)] = "user"
	}
	for i := range t.ServicePrincipals {
		sp := &t.ServicePrincipals[i]
		if sp.ID == "" || sp.DisplayName == "" {
			return fmt.Errorf("servicePrincipals[%d]: id and displayName are required", i)
		}
		if sp.ServicePrincipalType == "" {
			sp.ServicePrincipalType = "Application"
		}
		known[strings.ToLower(sp.ID)] = "servicePrincipal"
	}
	for i := range t.Groups {
		g := &t.Groups[i]
		if g.ID == "" || g.DisplayName == "" {
			return fmt.Errorf("groups[%d]: id and displayName are required", i)
		}
		if _, dup := known[strings.ToLower(g.ID)]; dup {
			return fmt.Errorf("groups[%d]: id %s is already used", i, g.ID)
		}
		known[strings.ToLower(g.ID)] = "group"
		if g.GroupTypes == nil {
			g.GroupTypes = []string{}
		}
		if g.MailNickname == "" {
			g.MailNickname = strings.ToLower(strings.ReplaceAll(g.DisplayName, " ", "-"))
		}
		if g.CreatedDateTime == nil {
			g.CreatedDateTime = ptr(time.Date(2021, 5, 10, 9, 0, 0, 0, time.UTC))
		}
	}
	for _, g := range t.Groups {
		for _, m := range g.Members {
			if _, ok := known[strings.ToLower(m)]; !ok {
				return fmt.Errorf("group %s: unknown member %s", g.DisplayName, m)
			}
		}
	}
	for i := range t.RoleAssignments {
		a := &t.RoleAssignments[i]
		if a.PrincipalID == "" || a.RoleDefinitionID == "" {
			return fmt.Errorf("roleAssignments[%d]: principalId and roleDefinitionId are required", i)
		}
		if _, ok := known[strings.ToLower(a.PrincipalID)]; !ok {
			return fmt.Errorf("roleAssignments[%d]: unknown principal %s", i, a.PrincipalID)
		}
		if a.DirectoryScopeID == "" {
			a.DirectoryScopeID = "/"
		}
		if a.ID == "" {
			a.ID = assignmentID(a.RoleDefinitionID, a.PrincipalID, "-1")
		}
	}
	for i := range t.RoleEligibilities {
		e := &t.RoleEligibilities[i]
		if e.PrincipalID == "" || e.RoleDefinitionID == "" {
			return fmt.Errorf("roleEligibilityScheduleInstances[%d]: principalId and roleDefinitionId are required", i)
		}
		if _, ok := known[strings.ToLower(e.PrincipalID)]; !ok {
			return fmt.Errorf("roleEligibilityScheduleInstances[%d]: unknown principal %s", i, e.PrincipalID)
		}
		if e.DirectoryScopeID == "" {
			e.DirectoryScopeID = "/"
		}
		if e.ID == "" {
			e.ID = assignmentID(e.RoleDefinitionID, e.PrincipalID, "-1-e")
		}
		if e.MemberType == "" {
			e.MemberType = "Direct"
		}
		if e.StartDateTime == nil {
			e.StartDateTime = ptr(time.Date(2024, 2, 1, 9, 0, 0, 0, time.UTC))
		}
		if e.RoleEligibilityScheduleID == "" {
			e.RoleEligibilityScheduleID = e.ID
		}
	}
	for id, state := range t.PerUserMFA {
		if known[strings.ToLower(id)] != "user" {
			return fmt.Errorf("perUserMfaStates: unknown user %s", id)
		}
		switch state {
		case PerUserMFADisabled, PerUserMFAEnabled, PerUserMFAEnforced:
		default:
			return fmt.Errorf("perUserMfaStates[%s]: %q is not disabled, enabled or enforced", id, state)
		}
	}
	for i := range t.SignIns {
		s := &t.SignIns[i]
		if s.ID == "" {
			s.ID = fmt.Sprintf("%08x-0000-4000-8000-%012x", i+1, s.CreatedDateTime.Unix())
		}
		s.normalize()
	}
	for i := range t.SecureScores {
		s := &t.SecureScores[i]
		if s.AzureTenantID == "" {
			s.AzureTenantID = t.ID
		}
		if s.ID == "" {
			s.ID = t.ID + "_" + s.CreatedDateTime.UTC().Format("2006-01-02")
		}
		if s.EnabledServices == nil {
			s.EnabledServices = []string{"HasExchange", "HasSharePoint", "HasOD4B", "HasMDO"}
		}
		if s.AverageComparativeScores == nil {
			s.AverageComparativeScores = []AverageComparativeScore{}
		}
		if s.ControlScores == nil {
			s.ControlScores = []ControlScore{}
		}
		if s.VendorInformation.Vendor == "" {
			s.VendorInformation = secureScoreVendor
		}
	}
	for i := range t.SecureScoreControlProfiles {
		p := &t.SecureScoreControlProfiles[i]
		if p.ID == "" || p.Title == "" {
			return fmt.Errorf("secureScoreControlProfiles[%d]: id and title are required", i)
		}
		if p.AzureTenantID == "" {
			p.AzureTenantID = t.ID
		}
		if p.ComplianceInformation == nil {
			p.ComplianceInformation = []any{}
		}
		if p.ControlStateUpdates == nil {
			p.ControlStateUpdates = []ControlStateUpdate{}
		}
		if p.Threats == nil {
			p.Threats = []string{}
		}
		if p.VendorInformation.Vendor == "" {
			p.VendorInformation = secureScoreVendor
		}
	}
	return nil
}

// directory is a tenant's directory objects encoded once, with group membership indexes, for
// $expand=principal and the membership endpoints.
type directory struct {
	objects  map[string]entity   // lower-case id → object with its @odata.type
	members  map[string][]string // lower-case group id → direct member ids
	memberOf map[string][]string // lower-case object id → ids of groups it is a direct member of
}

func buildDirectory(t *Tenant) (*directory, error) {
	d := &directory{
		objects:  make(map[string]entity, len(t.Users)+len(t.Groups)+len(t.ServicePrincipals)),
		members:  map[string][]string{},
		memberOf: map[string][]string{},
	}
	add := func(odataType, id string, v any) error {
		e, err := encodeEntity(v)
		if err != nil {
			return err
		}
		typed := make(entity, 0, len(e)+1)
		typed = append(typed, field{name: "@odata.type", raw: []byte(`"` + odataType + `"`)})
		for _, f := range e {
			if f.name != "members" {
				typed = append(typed, f)
			}
		}
		d.objects[strings.ToLower(id)] = typed
		return nil
	}
	for i := range t.Users {
		if err := add("#microsoft.graph.user", t.Users[i].ID, &t.Users[i]); err != nil {
			return nil, err
		}
	}
	for i := range t.Groups {
		g := &t.Groups[i]
		if err := add("#microsoft.graph.group", g.ID, g); err != nil {
			return nil, err
		}
		key := strings.ToLower(g.ID)
		for _, m := range g.Members {
			d.members[key] = append(d.members[key], m)
			mk := strings.ToLower(m)
			d.memberOf[mk] = append(d.memberOf[mk], g.ID)
		}
	}
	for i := range t.ServicePrincipals {
		if err := add("#microsoft.graph.servicePrincipal", t.ServicePrincipals[i].ID, &t.ServicePrincipals[i]); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// closure walks a membership index from id, breadth first, each object once (Entra allows
// nesting cycles only through mistakes, which must not hang the emulator).
func closure(index map[string][]string, id string) []string {
	var out []string
	seen := map[string]bool{strings.ToLower(id): true}
	queue := []string{id}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, next := range index[strings.ToLower(cur)] {
			k := strings.ToLower(next)
			if seen[k] {
				continue
			}
			seen[k] = true
			out = append(out, next)
			queue = append(queue, next)
		}
	}
	return out
}
