package checks_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/hybridkit/hybridkit/services/identity/checks"
	"github.com/hybridkit/hybridkit/services/identity/graphclient"
	"github.com/hybridkit/hybridkit/services/identity/graphemu"
)

// adminSummary is one line per admin: name, roles and what enforces MFA.
func adminSummary(r *checks.AdminReport) []string {
	var out []string
	for _, a := range r.Admins {
		roles := make([]string, len(a.Roles))
		for i, h := range a.Roles {
			roles[i] = h.String()
		}
		line := a.Name() + " [" + strings.Join(roles, "; ") + "]"
		if a.Type == "user" {
			line += " by: " + strings.Join(a.EnforcedBy, ", ")
		}
		out = append(out, line)
	}
	return out
}

func TestAdmins(t *testing.T) {
	t.Parallel()
	const phishCA = `Conditional Access "Require phishing-resistant MFA for admins"`
	tests := []struct {
		name    string
		tenant  func(t *testing.T) *graphemu.Tenant
		want    []string
		admins  []string
		gas     int
		check   func(t *testing.T, r *checks.AdminReport)
		wantErr string
	}{
		{
			name:   "healthy",
			tenant: func(t *testing.T) *graphemu.Tenant { return load(t, "healthy") },
			want:   []string{},
			admins: []string{
				"alice.admin@contoso.onmicrosoft.com [Global Administrator] by: " + phishCA + " (role Global Administrator), " + `Conditional Access "Require MFA for all users" (all users)`,
				"bob.admin@contoso.onmicrosoft.com [Global Administrator (eligible)] by: " + phishCA + " (role Global Administrator), " + `Conditional Access "Require MFA for all users" (all users)`,
				"ivan.admin@contoso.onmicrosoft.com [Global Administrator] by: " + phishCA + " (role Global Administrator), " + `Conditional Access "Require MFA for all users" (all users)`,
				"carol.admin@contoso.onmicrosoft.com [Security Administrator (via group Security Admins)] by: " + phishCA + " (role Security Administrator), " + `Conditional Access "Require MFA for all users" (all users)`,
				"dave.admin@contoso.onmicrosoft.com [Helpdesk Administrator] by: " + phishCA + " (role Helpdesk Administrator), " + `Conditional Access "Require MFA for all users" (all users)`,
			},
			gas: 3,
			check: func(t *testing.T, r *checks.AdminReport) {
				for _, a := range r.Admins {
					if !a.RegistrationKnown || !a.MFARegistered || !a.PhishingResistant || a.Synced || a.PerUserMFA != "disabled" || !a.EnforcementKnown {
						t.Errorf("%s: %+v", a.Name(), a)
					}
				}
				if r.SecurityDefaults == nil || *r.SecurityDefaults || len(r.Policies) != 3 {
					t.Errorf("security defaults %v, %d policies", r.SecurityDefaults, len(r.Policies))
				}
			},
		},
		{
			name: "healthy without P2: eligible admins are not visible",
			tenant: func(t *testing.T) *graphemu.Tenant {
				tn := load(t, "healthy")
				tn.SubscribedSKUs = []graphemu.SubscribedSKU{sku(t, "SPE_E3", 25, 9)}
				return tn
			},
			want: []string{"admins.pim-unavailable:INFO"},
			gas:  2,
			check: func(t *testing.T, r *checks.AdminReport) {
				if len(r.Unavailable) != 1 || r.Unavailable[0].Licence != "P2" {
					t.Errorf("unavailable %+v", r.Unavailable)
				}
			},
		},
		{
			name: "one Global Administrator",
			tenant: func(t *testing.T) *graphemu.Tenant {
				tn := load(t, "healthy")
				tn.RoleAssignments = slices.DeleteFunc(tn.RoleAssignments, func(a graphemu.RoleAssignment) bool {
					return a.PrincipalID == "a0000000-0000-4000-8000-00000000000a"
				})
				tn.RoleEligibilities = nil
				return tn
			},
			want: []string{"admins.too-few-global-admins:MEDIUM"},
			gas:  1,
		},
		{
			name: "no Conditional Access, security defaults on",
			tenant: func(t *testing.T) *graphemu.Tenant {
				tn := load(t, "healthy")
				tn.ConditionalAccessPolicies = nil
				tn.SecurityDefaults.IsEnabled = true
				return tn
			},
			want: []string{},
			gas:  3,
			check: func(t *testing.T, r *checks.AdminReport) {
				for _, a := range r.Admins {
					if !slices.Equal(a.EnforcedBy, []string{"security defaults"}) {
						t.Errorf("%s enforced by %q", a.Name(), a.EnforcedBy)
					}
				}
			},
		},
		{
			name: "no Conditional Access, no security defaults",
			tenant: func(t *testing.T) *graphemu.Tenant {
				tn := load(t, "healthy")
				tn.ConditionalAccessPolicies = nil
				return tn
			},
			want: []string{"admins.mfa-not-enforced:HIGH"},
			gas:  3,
		},
		{
			name:   "problems",
			tenant: func(t *testing.T) *graphemu.Tenant { return load(t, "problems") },
			want: []string{"admins.no-mfa:CRITICAL", "admins.mfa-not-enforced:HIGH", "admins.not-phishing-resistant:MEDIUM",
				"admins.too-many-global-admins:MEDIUM", "admins.synced:HIGH", "admins.service-principals:LOW", "admins.pim-unavailable:INFO"},
			admins: []string{
				`ops1@fabrikam.onmicrosoft.com [Global Administrator] by: Conditional Access "Require MFA for Global Administrators" (role Global Administrator), per-user MFA (enforced)`,
				"ops2@fabrikam.onmicrosoft.com [Global Administrator] by: ",
				"ops3@fabrikam.onmicrosoft.com [Global Administrator] by: ",
				`ops4@fabrikam.onmicrosoft.com [Global Administrator] by: Conditional Access "Require MFA for Global Administrators" (role Global Administrator)`,
				`root@fabrikam.com [Global Administrator] by: Conditional Access "Require MFA for Global Administrators" (role Global Administrator)`,
				"billing@fabrikam.onmicrosoft.com [Billing Administrator] by: ",
				"connect@fabrikam.com [Hybrid Identity Administrator] by: per-user MFA (enabled)",
				"exch@fabrikam.onmicrosoft.com [Exchange Administrator (via group Exchange Admins)] by: ",
				"Provisioning Connector [Application Administrator]",
			},
			gas: 5,
			check: func(t *testing.T, r *checks.AdminReport) {
				gaps := map[string][]string{}
				for _, a := range r.Admins {
					gaps[a.Name()] = a.Gaps
				}
				want := map[string][]string{
					"ops2@fabrikam.onmicrosoft.com": {
						`Conditional Access "Require MFA for admins (pilot)" covers the account (role Global Administrator) but is report-only`,
						`Conditional Access "Require MFA for Global Administrators" would require MFA but the account is excluded as a user`,
					},
					"ops3@fabrikam.onmicrosoft.com": {
						`Conditional Access "Require MFA for admins (pilot)" covers the account (role Global Administrator) but is report-only`,
						`Conditional Access "Require MFA for Global Administrators" would require MFA but the account is excluded through group CA Exclusions (b1000000-0000-4000-8000-000000000001)`,
					},
					"billing@fabrikam.onmicrosoft.com": {
						`Conditional Access "Require MFA for admins (pilot)" covers the account (role Billing Administrator) but is report-only`,
						`Conditional Access "MFA or compliant device for billing" covers the account (role Billing Administrator) but accepts compliantDevice instead of MFA`,
					},
					"exch@fabrikam.onmicrosoft.com": {
						`Conditional Access "Require MFA for admins (pilot)" covers the account (role Exchange Administrator) but is report-only`,
						`Conditional Access "MFA for Exchange admins away from the office" covers the account (role Exchange Administrator) but applies only under conditions (locations)`,
					},
				}
				for name, w := range want {
					if !slices.Equal(gaps[name], w) {
						t.Errorf("%s gaps:\n got  %q\n want %q", name, gaps[name], w)
					}
				}
				// The structured controls mirror the lines and name the policies by id.
				for _, a := range r.Admins {
					if len(a.EnforcedByControls) != len(a.EnforcedBy) || len(a.GapControls) != len(a.Gaps) {
						t.Errorf("%s: %d/%d controls for %d/%d lines", a.Name(), len(a.EnforcedByControls), len(a.GapControls), len(a.EnforcedBy), len(a.Gaps))
						continue
					}
					for i, c := range a.GapControls {
						if c.Text != a.Gaps[i] {
							t.Errorf("%s gap %d: %q, line %q", a.Name(), i, c.Text, a.Gaps[i])
						}
					}
					if a.Name() != "ops1@fabrikam.onmicrosoft.com" {
						continue
					}
					want := []checks.MFAControl{
						{Kind: checks.ControlConditionalAccess, PolicyID: "d1000000-0000-4000-8000-000000000002", PolicyName: "Require MFA for Global Administrators",
							Detail: "role Global Administrator", Text: `Conditional Access "Require MFA for Global Administrators" (role Global Administrator)`},
						{Kind: checks.ControlPerUserMFA, Detail: "enforced", Text: "per-user MFA (enforced)"},
					}
					if !slices.Equal(a.EnforcedByControls, want) {
						t.Errorf("ops1 enforced by %+v, want %+v", a.EnforcedByControls, want)
					}
					if g := a.GapControls; len(g) != 1 || g[0].PolicyID != "d1000000-0000-4000-8000-000000000001" || g[0].Detail != "is report-only" {
						t.Errorf("ops1 gaps %+v", g)
					}
				}
			},
		},
		{
			name: "problems with a disabled Global Administrator",
			tenant: func(t *testing.T) *graphemu.Tenant {
				tn := load(t, "problems")
				tn.Users[2].AccountEnabled = new(bool) // ops2
				return tn
			},
			want: []string{"admins.no-mfa:CRITICAL", "admins.mfa-not-enforced:HIGH", "admins.not-phishing-resistant:MEDIUM",
				"admins.too-many-global-admins:MEDIUM", "admins.synced:HIGH", "admins.service-principals:LOW", "admins.pim-unavailable:INFO"},
			gas: 5,
		},
		{
			name:   "no premium: security defaults, registrations unreadable",
			tenant: func(t *testing.T) *graphemu.Tenant { return load(t, "no-premium") },
			want:   []string{"admins.too-few-global-admins:MEDIUM", "admins.pim-unavailable:INFO", "admins.registrations-unavailable:MEDIUM"},
			admins: []string{"owner@northwindtraders.onmicrosoft.com [Global Administrator] by: security defaults"},
			gas:    1,
			check: func(t *testing.T, r *checks.AdminReport) {
				if a := r.Admins[0]; a.RegistrationKnown || a.PerUserMFA != "disabled" {
					t.Errorf("owner %+v", a)
				}
			},
		},
		{
			name:   "problems without Policy.Read.All: enforcement unknown",
			tenant: func(t *testing.T) *graphemu.Tenant { return revoke(load(t, "problems"), "Policy.Read.All") },
			want: []string{"admins.no-mfa:CRITICAL", "admins.not-phishing-resistant:MEDIUM", "admins.too-many-global-admins:MEDIUM",
				"admins.synced:HIGH", "admins.service-principals:LOW", "admins.pim-unavailable:INFO", "admins.per-user-mfa-unavailable:LOW",
				"admins.conditional-access-unavailable:MEDIUM", "admins.security-defaults-unavailable:LOW"},
			gas: 5,
			check: func(t *testing.T, r *checks.AdminReport) {
				var perms []string
				for _, u := range r.Unavailable {
					perms = append(perms, u.Permission+u.Licence)
				}
				if !slices.Equal(perms, []string{"P2", "Policy.Read.All", "Policy.Read.All", "Policy.Read.All"}) {
					t.Errorf("unavailable because of %q", perms)
				}
			},
		},
		{
			name:   "problems without GroupMember.Read.All: group-held roles unknown",
			tenant: func(t *testing.T) *graphemu.Tenant { return revoke(load(t, "problems"), "GroupMember.Read.All") },
			want: []string{"admins.no-mfa:CRITICAL", "admins.mfa-not-enforced:HIGH", "admins.not-phishing-resistant:MEDIUM",
				"admins.too-many-global-admins:MEDIUM", "admins.synced:HIGH", "admins.service-principals:LOW", "admins.pim-unavailable:INFO",
				"admins.group-members-unavailable:MEDIUM"},
			gas: 5,
			check: func(t *testing.T, r *checks.AdminReport) {
				for _, a := range r.Admins {
					if strings.HasPrefix(a.Name(), "exch@") {
						t.Errorf("%s listed although group members are unreadable", a.Name())
					}
				}
			},
		},
		{
			name:   "problems without AuditLog.Read.All: methods unknown",
			tenant: func(t *testing.T) *graphemu.Tenant { return revoke(load(t, "problems"), "AuditLog.Read.All") },
			want: []string{"admins.mfa-not-enforced:HIGH", "admins.too-many-global-admins:MEDIUM", "admins.synced:HIGH",
				"admins.service-principals:LOW", "admins.pim-unavailable:INFO", "admins.registrations-unavailable:MEDIUM"},
			gas: 5,
		},
		{
			name: "no permission for role assignments",
			tenant: func(t *testing.T) *graphemu.Tenant {
				return revoke(load(t, "problems"), "RoleManagement.Read.Directory")
			},
			wantErr: "RoleManagement.Read.Directory",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, _ := start(t, tc.tenant(t))
			rep, fs, err := checks.Admins(ctx(t), c, checks.AdminOptions{})
			if tc.wantErr != "" {
				var perm *graphclient.PermissionError
				if !errors.As(err, &perm) || perm.Permission != tc.wantErr {
					t.Fatalf("err = %v, want a PermissionError for %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			wantFindings(t, fs, tc.want...)
			if rep.GlobalAdmins != tc.gas {
				t.Errorf("%d Global Administrators, want %d", rep.GlobalAdmins, tc.gas)
			}
			if tc.admins != nil {
				if got := adminSummary(rep); !slices.Equal(got, tc.admins) {
					t.Errorf("admins:\n got  %q\n want %q", got, tc.admins)
				}
			}
			if tc.check != nil {
				tc.check(t, rep)
			}
		})
	}
}

func TestAdminsEvidence(t *testing.T) {
	t.Parallel()
	c, _ := start(t, load(t, "problems"))
	_, fs, err := checks.Admins(ctx(t), c, checks.AdminOptions{})
	if err != nil {
		t.Fatal(err)
	}
	noMFA := finding(t, fs, "admins.no-mfa")
	if noMFA.GetTitle() != "1 admin in privileged roles has no MFA method registered" {
		t.Errorf("title %q", noMFA.GetTitle())
	}
	wantEvidence(t, noMFA, `root@fabrikam.com [Global Administrator] synced from AD; methods: none; MFA enforced by: Conditional Access "Require MFA for Global Administrators" (role Global Administrator)`)
	wantEvidence(t, finding(t, fs, "admins.mfa-not-enforced"),
		`ops3@fabrikam.onmicrosoft.com [Global Administrator]; methods: fido2SecurityKey; MFA enforced by: nothing; Conditional Access "Require MFA for admins (pilot)" covers the account (role Global Administrator) but is report-only; Conditional Access "Require MFA for Global Administrators" would require MFA but the account is excluded through group CA Exclusions (b1000000-0000-4000-8000-000000000001)`,
		`exch@fabrikam.onmicrosoft.com [Exchange Administrator (via group Exchange Admins)]; methods: microsoftAuthenticatorPush; MFA enforced by: nothing; Conditional Access "Require MFA for admins (pilot)" covers the account (role Exchange Administrator) but is report-only; Conditional Access "MFA for Exchange admins away from the office" covers the account (role Exchange Administrator) but applies only under conditions (locations)`)
	wantEvidence(t, finding(t, fs, "admins.too-many-global-admins"), "5 user accounts hold Global Administrator (active or eligible)", "root@fabrikam.com")
	wantEvidence(t, finding(t, fs, "admins.service-principals"), "Provisioning Connector [Application Administrator]")
	if got := len(finding(t, fs, "admins.not-phishing-resistant").GetEvidence()); got != 5 {
		t.Errorf("%d admins without phishing-resistant methods, want 5 (ops1, ops2, billing, connect, exch)", got)
	}
}

func TestAdminsDisabledAccount(t *testing.T) {
	t.Parallel()
	tn := load(t, "problems")
	tn.Users[2].AccountEnabled = new(bool) // ops2: cannot sign in, still a Global Administrator
	c, _ := start(t, tn)
	_, fs, err := checks.Admins(ctx(t), c, checks.AdminOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantEvidence(t, finding(t, fs, "admins.too-many-global-admins"), "ops2@fabrikam.onmicrosoft.com (disabled)")
	for _, id := range []string{"admins.mfa-not-enforced", "admins.not-phishing-resistant"} {
		for _, e := range finding(t, fs, id).GetEvidence() {
			if strings.HasPrefix(e, "ops2@") {
				t.Errorf("%s lists the disabled account: %s", id, e)
			}
		}
	}
}
