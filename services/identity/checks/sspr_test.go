package checks_test

import (
	"slices"
	"testing"

	"github.com/hybridkit/hybridkit/services/identity/checks"
	"github.com/hybridkit/hybridkit/services/identity/graphemu"
)

func TestSSPR(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		tenant func(t *testing.T) *graphemu.Tenant
		want   []string
		scope  checks.InferredScope
		check  func(t *testing.T, r *checks.SSPRReport)
	}{
		{
			name:   "healthy: all users",
			tenant: func(t *testing.T) *graphemu.Tenant { return load(t, "healthy") },
			want:   []string{"sspr.scope-inferred:INFO"},
			scope:  checks.InferredScope{Scope: checks.ScopeAll, Inferred: true, Basis: "all 4 member users have isSsprEnabled = true"},
			check: func(t *testing.T, r *checks.SSPRReport) {
				if r.Members != 4 || r.Enabled != 4 || r.Registered != 4 || r.Capable != 4 || r.Admins != 5 || r.AdminsRegistered != 5 {
					t.Errorf("counts %+v", r)
				}
				if r.AdminSSPRAllowed == nil || !*r.AdminSSPRAllowed || r.MethodsPolicy.MigrationState != "migrationComplete" || r.MethodsPolicy.Campaign.State != "enabled" {
					t.Errorf("policies: admin SSPR %v, methods %+v", r.AdminSSPRAllowed, r.MethodsPolicy)
				}
			},
		},
		{
			name:   "problems: selected group, unregistered user, legacy policies",
			tenant: func(t *testing.T) *graphemu.Tenant { return load(t, "problems") },
			want: []string{"sspr.scope-inferred:INFO", "sspr.not-registered:MEDIUM", "sspr.admin-sspr-disabled:LOW",
				"sspr.methods-not-migrated:MEDIUM", "sspr.registration-campaign-off:LOW", "sspr.phone-email-only:LOW"},
			scope: checks.InferredScope{Scope: checks.ScopeSelected, Inferred: true, GroupID: "b1000000-0000-4000-8000-000000000003", GroupName: "SSPR Pilot",
				Exact: true, GroupMembers: 2, GroupEnabled: 2, Basis: "2 of 5 member users have isSsprEnabled = true"},
			check: func(t *testing.T, r *checks.SSPRReport) {
				if !slices.Equal(r.NotRegistered, []string{"sam.ray@fabrikam.com"}) || r.EnabledNotRegistered != 1 || r.Capable != 1 {
					t.Errorf("not registered %v (%d), capable %d", r.NotRegistered, r.EnabledNotRegistered, r.Capable)
				}
			},
		},
		{
			name: "nobody enabled",
			tenant: func(t *testing.T) *graphemu.Tenant {
				tn := load(t, "healthy")
				for i := range tn.UserRegistrationDetails {
					if !tn.UserRegistrationDetails[i].IsAdmin {
						tn.UserRegistrationDetails[i].IsSsprEnabled = false
						tn.UserRegistrationDetails[i].IsSsprCapable = false
					}
				}
				return tn
			},
			want:  []string{"sspr.disabled:MEDIUM"},
			scope: checks.InferredScope{Scope: checks.ScopeNone, Inferred: true, Basis: "none of 4 member users has isSsprEnabled = true"},
		},
		{
			name: "selected, but no group matches",
			tenant: func(t *testing.T) *graphemu.Tenant {
				tn := load(t, "problems")
				tn.Groups[2].Members = nil // SSPR Pilot emptied: the policy's group is gone from view
				return tn
			},
			want: []string{"sspr.scope-inferred:INFO", "sspr.not-registered:MEDIUM", "sspr.admin-sspr-disabled:LOW",
				"sspr.methods-not-migrated:MEDIUM", "sspr.registration-campaign-off:LOW", "sspr.phone-email-only:LOW"},
			scope: checks.InferredScope{Scope: checks.ScopeSelected, Inferred: true,
				Basis: "2 of 5 member users have isSsprEnabled = true; no group holds most of the sampled enabled users and few of the others"},
		},
		{
			name: "selected, closest group only",
			tenant: func(t *testing.T) *graphemu.Tenant {
				tn := load(t, "problems")
				// Lee joins the pilot group without being enabled: the group no longer matches exactly.
				tn.Groups[2].Members = append(tn.Groups[2].Members, "f0000000-0000-4000-8000-00000000000b")
				return tn
			},
			want: []string{"sspr.scope-inferred:INFO", "sspr.not-registered:MEDIUM", "sspr.admin-sspr-disabled:LOW",
				"sspr.methods-not-migrated:MEDIUM", "sspr.registration-campaign-off:LOW", "sspr.phone-email-only:LOW"},
			scope: checks.InferredScope{Scope: checks.ScopeSelected, Inferred: true, GroupID: "b1000000-0000-4000-8000-000000000003", GroupName: "SSPR Pilot",
				GroupMembers: 3, GroupEnabled: 2, Basis: "2 of 5 member users have isSsprEnabled = true"},
		},
		{
			name:   "no premium: the registration report needs P1",
			tenant: func(t *testing.T) *graphemu.Tenant { return load(t, "no-premium") },
			want:   []string{"sspr.registrations-unavailable:MEDIUM"},
			scope:  checks.InferredScope{Scope: checks.ScopeUnknown, Inferred: true},
			check: func(t *testing.T, r *checks.SSPRReport) {
				if len(r.Unavailable) != 1 || r.Unavailable[0].Licence != "P1" {
					t.Errorf("unavailable %+v", r.Unavailable)
				}
			},
		},
		{
			name: "no permission for the methods policy",
			tenant: func(t *testing.T) *graphemu.Tenant {
				return revoke(load(t, "healthy"), "Policy.Read.AuthenticationMethod")
			},
			want:  []string{"sspr.scope-inferred:INFO", "sspr.methods-policy-unavailable:LOW"},
			scope: checks.InferredScope{Scope: checks.ScopeAll, Inferred: true, Basis: "all 4 member users have isSsprEnabled = true"},
		},
		{
			name:   "no permission for the authorization policy",
			tenant: func(t *testing.T) *graphemu.Tenant { return revoke(load(t, "problems"), "Policy.Read.All") },
			want: []string{"sspr.scope-inferred:INFO", "sspr.not-registered:MEDIUM", "sspr.methods-not-migrated:MEDIUM",
				"sspr.registration-campaign-off:LOW", "sspr.phone-email-only:LOW", "sspr.authorization-policy-unavailable:LOW"},
			scope: checks.InferredScope{Scope: checks.ScopeSelected, Inferred: true, GroupID: "b1000000-0000-4000-8000-000000000003", GroupName: "SSPR Pilot",
				Exact: true, GroupMembers: 2, GroupEnabled: 2, Basis: "2 of 5 member users have isSsprEnabled = true"},
		},
		{
			name: "no permission for group memberships",
			tenant: func(t *testing.T) *graphemu.Tenant {
				return revoke(load(t, "problems"), "User.Read.All", "GroupMember.Read.All")
			},
			want: []string{"sspr.scope-inferred:INFO", "sspr.not-registered:MEDIUM", "sspr.admin-sspr-disabled:LOW",
				"sspr.methods-not-migrated:MEDIUM", "sspr.registration-campaign-off:LOW", "sspr.phone-email-only:LOW", "sspr.groups-unavailable:LOW"},
			scope: checks.InferredScope{Scope: checks.ScopeSelected, Inferred: true, Basis: "2 of 5 member users have isSsprEnabled = true"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, _ := start(t, tc.tenant(t))
			rep, fs, err := checks.SSPR(ctx(t), c, checks.SSPROptions{})
			if err != nil {
				t.Fatal(err)
			}
			wantFindings(t, fs, tc.want...)
			if rep.Scope != tc.scope {
				t.Errorf("scope:\n got  %+v\n want %+v", rep.Scope, tc.scope)
			}
			if tc.check != nil {
				tc.check(t, rep)
			}
		})
	}
}

func TestSSPREvidence(t *testing.T) {
	t.Parallel()
	c, _ := start(t, load(t, "problems"))
	_, fs, err := checks.SSPR(ctx(t), c, checks.SSPROptions{})
	if err != nil {
		t.Fatal(err)
	}
	scope := finding(t, fs, "sspr.scope-inferred")
	if scope.GetTitle() != "Self-service password reset appears to be enabled for the group SSPR Pilot (inferred)" {
		t.Errorf("title %q", scope.GetTitle())
	}
	wantEvidence(t, scope,
		"group SSPR Pilot (b1000000-0000-4000-8000-000000000003): its member users are exactly the enabled users",
		"inferred from the users' isSsprEnabled: Graph does not expose the SSPR policy; confirm in the Entra admin center (Password reset → Properties)")
	wantEvidence(t, finding(t, fs, "sspr.not-registered"), "5 members: 2 enabled, 2 registered, 1 capable (enabled and registered)", "sam.ray@fabrikam.com")
	wantEvidence(t, finding(t, fs, "sspr.phone-email-only"), "enabled methods: Sms, Voice, Email")
}

// TestSSPRGeneratedScope infers a selected group among thousands of users, where the scope group
// is one of several groups the sampled users share.
func TestSSPRGeneratedScope(t *testing.T) {
	t.Parallel()
	tn := graphemu.GenerateTenant("7c6b5a49-3827-4165-8f4e-3d2c1b0a9f8e", "Northwind",
		graphemu.GenerateOptions{Users: 3000, Seed: 3, SyncedPercent: 90, MFARegisteredPercent: 60, SSPRRegisteredPercent: 70, GuestPercent: 5,
			Admins: 12, Security: true, SSPRScope: "selected"})
	c, _ := start(t, tn, graphemu.WithRequestLimit(5000))
	rep, fs, err := checks.SSPR(ctx(t), c, checks.SSPROptions{MaxListed: 2})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Scope.Scope != checks.ScopeSelected || rep.Scope.GroupName != "SSPR Users" || !rep.Scope.Exact {
		t.Errorf("scope %+v", rep.Scope)
	}
	if f := finding(t, fs, "sspr.not-registered"); len(f.GetEvidence()) != 4 {
		t.Errorf("evidence should list 2 users and a count of the rest: %q", f.GetEvidence())
	}
}
