package checks

import (
	"context"
	"fmt"
	"sort"
	"strings"

	identityv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/identity/v1"
	"github.com/hybridkit/hybridkit/services/identity/graphclient"
)

// SSPRReader reads what the SSPR check needs.
type SSPRReader interface {
	ListUserRegistrations(ctx context.Context, fn func(graphclient.UserRegistration) error) error
	AuthenticationMethodsPolicy(ctx context.Context) (*graphclient.MethodsPolicy, error)
	AuthorizationPolicy(ctx context.Context) (*graphclient.AuthorizationPolicy, error)
	TransitiveMemberOf(ctx context.Context, userIDs []string) (map[string][]graphclient.GroupRef, error)
	GroupMembers(ctx context.Context, groupID string, transitive bool, fn func(graphclient.Principal) error) error
}

// SSPR scopes, as the Entra admin center names them.
const (
	ScopeNone     = "None"
	ScopeSelected = "Selected"
	ScopeAll      = "All"
	ScopeUnknown  = "Unknown"
)

// SSPROptions tune the SSPR check; the zero value uses the defaults.
type SSPROptions struct {
	// MaxListed bounds the UPNs quoted in a finding's evidence (default 20).
	MaxListed int
	// Sample is how many SSPR-enabled and how many not-enabled users' groups are read to find
	// the scope group (default 5 of each: one $batch).
	Sample int
	// MaxCandidates bounds the candidate groups whose members are read (default 3).
	MaxCandidates int
}

// SSPRReport is the tenant's self-service password reset readiness.
type SSPRReport struct {
	// Members counts the member users (not guests, not admins) in the registration report;
	// the other counts are among them.
	Members              int
	Registered           int // isSsprRegistered
	Enabled              int // isSsprEnabled: in the SSPR policy's scope
	Capable              int // isSsprCapable: enabled and registered
	EnabledNotRegistered int
	// NotRegistered are the UPNs of enabled members who have not registered, sorted.
	NotRegistered []string
	// Admins counts the admin accounts in the report; admins follow the admin SSPR policy.
	Admins, AdminsRegistered int
	// Scope is the SSPR scope inferred from the users' isSsprEnabled: Graph does not expose the
	// SSPR policy itself.
	Scope InferredScope
	// MethodsPolicy is the authentication methods policy; nil when unreadable.
	MethodsPolicy *graphclient.MethodsPolicy
	// AdminSSPRAllowed is authorizationPolicy.allowedToUseSSPR; nil when unreadable.
	AdminSSPRAllowed *bool
	Unavailable      []Unavailable
}

// InferredScope is the SSPR scope as inferred from the users it covers.
type InferredScope struct {
	// Scope is None, Selected, All or Unknown (registration details unreadable).
	Scope string
	// Inferred is always true: the SSPR policy is not in Graph, so the scope is deduced.
	Inferred bool
	// GroupID and GroupName name the group whose members are the enabled users (Selected only);
	// empty when no group was identified.
	GroupID, GroupName string
	// Exact is true when the group's member users are exactly the enabled users.
	Exact bool
	// GroupMembers counts the group's member users (admins and guests excluded), GroupEnabled
	// how many of them are enabled.
	GroupMembers, GroupEnabled int
	// Basis says what the inference rests on.
	Basis string
}

// SSPR checks self-service password reset: per-user registration and enablement from the
// registration report, the SSPR scope (inferred), the authentication methods policy and its
// migration, the registration campaign, and whether admins may use SSPR.
func SSPR(ctx context.Context, g SSPRReader, opts SSPROptions) (*SSPRReport, []*identityv1.Finding, error) {
	if opts.MaxListed <= 0 {
		opts.MaxListed = 20
	}
	if opts.Sample <= 0 {
		opts.Sample = 5
	}
	if opts.MaxCandidates <= 0 {
		opts.MaxCandidates = 3
	}
	rep := &SSPRReport{Scope: InferredScope{Scope: ScopeUnknown, Inferred: true}}
	var findings []*identityv1.Finding

	var enabledIDs, disabledIDs []string
	enabledSet, adminSet := map[string]bool{}, map[string]bool{}
	err := g.ListUserRegistrations(ctx, func(r graphclient.UserRegistration) error {
		if r.IsAdmin {
			adminSet[strings.ToLower(r.ID)] = true
			rep.Admins++
			if r.IsSsprRegistered {
				rep.AdminsRegistered++
			}
			return nil
		}
		if !strings.EqualFold(r.UserType, "member") {
			return nil
		}
		rep.Members++
		if r.IsSsprRegistered {
			rep.Registered++
		}
		if r.IsSsprCapable {
			rep.Capable++
		}
		if r.IsSsprEnabled {
			rep.Enabled++
			enabledSet[strings.ToLower(r.ID)] = true
			if len(enabledIDs) < opts.Sample {
				enabledIDs = append(enabledIDs, r.ID)
			}
			if !r.IsSsprRegistered {
				rep.EnabledNotRegistered++
				rep.NotRegistered = append(rep.NotRegistered, r.UserPrincipalName)
			}
		} else if len(disabledIDs) < opts.Sample {
			disabledIDs = append(disabledIDs, r.ID)
		}
		return nil
	})
	if u, ok := refusal("the authentication-method registration report", err); ok {
		rep.Unavailable = append(rep.Unavailable, u)
		findings = append(findings, unavailableFinding("sspr.registrations-unavailable", sevMedium, u,
			"per-user registration and the SSPR scope were not checked"))
	} else if err != nil {
		return nil, nil, err
	} else {
		sort.Strings(rep.NotRegistered)
		if err := inferScope(ctx, g, rep, enabledSet, adminSet, enabledIDs, disabledIDs, opts.MaxCandidates); err != nil {
			if u, ok := refusal("group memberships", err); ok {
				rep.Unavailable = append(rep.Unavailable, u)
				findings = append(findings, unavailableFinding("sspr.groups-unavailable", sevLow, u, "the group that SSPR is enabled for was not identified"))
			} else {
				return nil, nil, err
			}
		}
	}

	mp, err := g.AuthenticationMethodsPolicy(ctx)
	if u, ok := refusal("the authentication methods policy", err); ok {
		rep.Unavailable = append(rep.Unavailable, u)
		findings = append(findings, unavailableFinding("sspr.methods-policy-unavailable", sevLow, u,
			"the methods policy, its migration and the registration campaign were not checked"))
	} else if err != nil {
		return nil, nil, err
	} else {
		rep.MethodsPolicy = mp
	}

	ap, err := g.AuthorizationPolicy(ctx)
	if u, ok := refusal("the authorization policy", err); ok {
		rep.Unavailable = append(rep.Unavailable, u)
		findings = append(findings, unavailableFinding("sspr.authorization-policy-unavailable", sevLow, u, "whether admins may use SSPR was not checked"))
	} else if err != nil {
		return nil, nil, err
	} else {
		rep.AdminSSPRAllowed = &ap.AllowedToUseSSPR
	}
	return rep, append(ssprFindings(rep, opts.MaxListed), findings...), nil
}

// inferScope deduces the SSPR scope. None and All follow from the counts; for Selected, the
// groups shared by a sample of enabled users and by none of a sample of other users are the
// candidates, and a candidate whose member users are exactly the enabled ones is the scope group.
func inferScope(ctx context.Context, g SSPRReader, rep *SSPRReport, enabled, admins map[string]bool, enabledIDs, disabledIDs []string, maxCandidates int) error {
	s := &rep.Scope
	switch {
	case rep.Members == 0:
		s.Basis = "the registration report lists no member users"
		return nil
	case rep.Enabled == 0:
		s.Scope = ScopeNone
		s.Basis = fmt.Sprintf("none of %d member users has isSsprEnabled = true", rep.Members)
		return nil
	case rep.Enabled == rep.Members:
		s.Scope = ScopeAll
		s.Basis = fmt.Sprintf("all %d member users have isSsprEnabled = true", rep.Members)
		return nil
	}
	s.Scope = ScopeSelected
	s.Basis = fmt.Sprintf("%d of %d member users have isSsprEnabled = true", rep.Enabled, rep.Members)
	groups, err := g.TransitiveMemberOf(ctx, append(append([]string{}, enabledIDs...), disabledIDs...))
	if err != nil {
		return err
	}
	// Candidates: groups holding most sampled enabled users and few of the others.
	hits := map[string]int{}
	names := map[string]string{}
	for _, id := range enabledIDs {
		for _, gr := range groups[id] {
			hits[gr.ID]++
			names[gr.ID] = gr.DisplayName
		}
	}
	misses := map[string]int{}
	for _, id := range disabledIDs {
		for _, gr := range groups[id] {
			misses[gr.ID]++
		}
	}
	var candidates []string
	for id, n := range hits {
		if n*2 > len(enabledIDs) && misses[id]*2 < max(len(disabledIDs), 1) {
			candidates = append(candidates, id)
		}
	}
	sort.Slice(candidates, func(i, j int) bool {
		a, b := candidates[i], candidates[j]
		if sa, sb := hits[a]-misses[a], hits[b]-misses[b]; sa != sb {
			return sa > sb
		}
		return names[a] < names[b]
	})
	if len(candidates) > maxCandidates {
		candidates = candidates[:maxCandidates]
	}
	best := -1
	for _, id := range candidates {
		members, inScope := 0, 0
		err := g.GroupMembers(ctx, id, true, func(p graphclient.Principal) error {
			if p.Type != "user" {
				return nil
			}
			if strings.EqualFold(p.UserType, "Guest") || admins[strings.ToLower(p.ID)] {
				return nil // admins follow the admin policy; guests cannot use SSPR
			}
			members++
			if enabled[strings.ToLower(p.ID)] {
				inScope++
			}
			return nil
		})
		if err != nil {
			return err
		}
		exact := inScope == rep.Enabled && members == inScope
		score := inScope - (members - inScope)
		if exact || score > best {
			best = score
			s.GroupID, s.GroupName, s.GroupMembers, s.GroupEnabled, s.Exact = id, names[id], members, inScope, exact
		}
		if exact {
			break
		}
	}
	if s.GroupID == "" {
		s.Basis += "; no group holds most of the sampled enabled users and few of the others"
	}
	return nil
}

func ssprFindings(r *SSPRReport, maxListed int) []*identityv1.Finding {
	var out []*identityv1.Finding
	const inferredNote = "inferred from the users' isSsprEnabled: Graph does not expose the SSPR policy; confirm in the Entra admin center (Password reset → Properties)"
	s := r.Scope
	switch s.Scope {
	case ScopeNone:
		out = append(out, &identityv1.Finding{
			Id:          "sspr.disabled",
			Severity:    sevMedium,
			Title:       "Self-service password reset appears to be off for every user (inferred)",
			Evidence:    []string{s.Basis, inferredNote},
			Remediation: "Enable SSPR for a pilot group, then for all users (Entra admin center → Password reset → Properties), and require registration at sign-in.",
			References:  []string{refSSPRDeploy, refSSPRHowItWorks},
		})
	case ScopeAll:
		out = append(out, &identityv1.Finding{
			Id:         "sspr.scope-inferred",
			Severity:   sevInfo,
			Title:      "Self-service password reset appears to be enabled for all users (inferred)",
			Evidence:   []string{s.Basis, inferredNote},
			References: []string{refSSPRHowItWorks},
		})
	case ScopeSelected:
		title := "Self-service password reset appears to be enabled for a selected group, which could not be identified (inferred)"
		evidence := []string{s.Basis}
		if s.GroupID != "" {
			match := "its member users are exactly the enabled users"
			if !s.Exact {
				match = fmt.Sprintf("closest match only: %d of its %d member users are enabled, of %d enabled users", s.GroupEnabled, s.GroupMembers, r.Enabled)
				title = fmt.Sprintf("Self-service password reset appears to be enabled for a selected group, probably %s (inferred)", s.GroupName)
			} else {
				title = fmt.Sprintf("Self-service password reset appears to be enabled for the group %s (inferred)", s.GroupName)
			}
			evidence = append(evidence, fmt.Sprintf("group %s (%s): %s", s.GroupName, s.GroupID, match))
		}
		out = append(out, &identityv1.Finding{
			Id:          "sspr.scope-inferred",
			Severity:    sevInfo,
			Title:       title,
			Evidence:    append(evidence, inferredNote),
			Remediation: "Users outside the group cannot reset their passwords; widen the scope to All when the pilot is done.",
			References:  []string{refSSPRDeploy, refSSPRHowItWorks},
		})
	}
	if r.EnabledNotRegistered > 0 {
		sev := sevLow
		if r.EnabledNotRegistered*10 >= r.Enabled {
			sev = sevMedium
		}
		out = append(out, &identityv1.Finding{
			Id:       "sspr.not-registered",
			Severity: sev,
			Title:    fmt.Sprintf("%s enabled for SSPR %s not registered a reset method (%d%% of enabled users)", plural(r.EnabledNotRegistered, "member", "members"), hasHave(r.EnabledNotRegistered), r.EnabledNotRegistered*100/max(r.Enabled, 1)),
			Evidence: append([]string{fmt.Sprintf("%d members: %d enabled, %d registered, %d capable (enabled and registered)", r.Members, r.Enabled, r.Registered, r.Capable)},
				listed(r.NotRegistered, maxListed)...),
			Remediation: "Require users to register when signing in (Password reset → Registration), use combined registration, and let the registration campaign nudge users to the Authenticator app.",
			References:  []string{refCombinedRegistration, refRegistrationCampaign, refRegistrationDetails},
		})
	}
	if r.AdminSSPRAllowed != nil && !*r.AdminSSPRAllowed {
		out = append(out, &identityv1.Finding{
			Id:          "sspr.admin-sspr-disabled",
			Severity:    sevLow,
			Title:       "Administrators cannot reset their own passwords (admin SSPR is off)",
			Evidence:    []string{"policies/authorizationPolicy allowedToUseSSPR = false", fmt.Sprintf("%d admin accounts in the registration report, %d registered for SSPR", r.Admins, r.AdminsRegistered)},
			Remediation: "Unless policy forbids it, allow admin SSPR (Update-MgPolicyAuthorizationPolicy -AllowedToUseSSPR:$true): admins always need two methods, and a locked-out admin otherwise needs another admin.",
			References:  []string{refSSPRPolicy},
		})
	}
	if p := r.MethodsPolicy; p != nil {
		if p.MigrationState != "" && p.MigrationState != "migrationComplete" {
			out = append(out, &identityv1.Finding{
				Id:          "sspr.methods-not-migrated",
				Severity:    sevMedium,
				Title:       fmt.Sprintf("Authentication methods are still managed by the legacy MFA and SSPR policies (migration state %s)", p.MigrationState),
				Evidence:    []string{"policies/authenticationMethodsPolicy policyMigrationState = " + p.MigrationState},
				Remediation: "Microsoft retired method management in the legacy MFA and SSPR policies on 30 September 2025: finish the migration to the authentication methods policy and set it to Migration Complete.",
				References:  []string{refMethodsMigration},
			})
		}
		if c := p.Campaign; c != nil && c.State == "disabled" {
			out = append(out, &identityv1.Finding{
				Id:          "sspr.registration-campaign-off",
				Severity:    sevLow,
				Title:       "The registration campaign that nudges users to the Authenticator app is disabled",
				Evidence:    []string{"registrationEnforcement.authenticationMethodsRegistrationCampaign.state = disabled"},
				Remediation: "Set the campaign to Microsoft managed or Enabled so users registered only for SMS or voice are prompted to set up a stronger method.",
				References:  []string{refRegistrationCampaign},
			})
		}
		var enabled []string
		for _, m := range p.Methods {
			if m.State == "enabled" {
				enabled = append(enabled, m.ID)
			}
		}
		strong := false
		for _, id := range []string{"MicrosoftAuthenticator", "Fido2", "SoftwareOath", "X509Certificate"} {
			strong = strong || p.Method(id) == "enabled"
		}
		if !strong && len(p.Methods) > 0 {
			if len(enabled) == 0 {
				enabled = []string{"none"}
			}
			out = append(out, &identityv1.Finding{
				Id:          "sspr.phone-email-only",
				Severity:    sevLow,
				Title:       "Only phone and email methods are enabled in the authentication methods policy",
				Evidence:    []string{"enabled methods: " + strings.Join(enabled, ", ")},
				Remediation: "Enable Microsoft Authenticator (and passkeys/FIDO2) for all users: SMS, voice and email are the weakest reset and MFA methods.",
				References:  []string{refMethodsManage},
			})
		}
	}
	return out
}

func hasHave(n int) string {
	if n == 1 {
		return "has"
	}
	return "have"
}
