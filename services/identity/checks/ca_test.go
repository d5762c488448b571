package checks

import (
	"testing"
	"time"

	"github.com/hybridkit/hybridkit/services/identity/graphclient"
)

func TestCovers(t *testing.T) {
	t.Parallel()
	const me, group, other = "u1", "g1", "g2"
	admin := subject{id: me, roles: map[string]bool{RoleGlobalAdministrator: true, RoleExchangeAdministrator: true},
		activeRoles: map[string]bool{RoleGlobalAdministrator: true}, groups: map[string]bool{group: true}}
	unknownGroups := admin
	unknownGroups.groups = nil
	guest := subject{id: "u2", guest: true, roles: map[string]bool{}, activeRoles: map[string]bool{}, groups: map[string]bool{}}
	tests := []struct {
		name string
		p    graphclient.CAPolicy
		s    subject
		want scope
		why  string
	}{
		{"all users", graphclient.CAPolicy{IncludeUsers: []string{"All"}}, admin, inScope, "all users"},
		{"the user, in another case", graphclient.CAPolicy{IncludeUsers: []string{"U1"}}, admin, inScope, "the user"},
		{"nobody", graphclient.CAPolicy{IncludeUsers: []string{"None"}}, admin, outOfScope, ""},
		{"a role held", graphclient.CAPolicy{IncludeRoles: []string{RoleSecurityAdministrator, RoleGlobalAdministrator}}, admin, inScope, "role Global Administrator"},
		{"an eligible role counts for inclusion", graphclient.CAPolicy{IncludeRoles: []string{RoleExchangeAdministrator}}, admin, inScope, "role Exchange Administrator"},
		{"a role not held", graphclient.CAPolicy{IncludeRoles: []string{RoleBillingAdministrator}}, admin, outOfScope, ""},
		{"a group", graphclient.CAPolicy{IncludeGroups: []string{other, group}}, admin, inScope, "group Group One (g1)"},
		{"another group", graphclient.CAPolicy{IncludeGroups: []string{other}}, admin, outOfScope, ""},
		{"group membership unknown", graphclient.CAPolicy{IncludeGroups: []string{group}}, unknownGroups, scopeUnknown, "included groups (membership unknown)"},
		{"guests", graphclient.CAPolicy{IncludeUsers: []string{"GuestsOrExternalUsers"}}, guest, inScope, "guests"},
		{"guests, not members", graphclient.CAPolicy{IncludeUsers: []string{"GuestsOrExternalUsers"}}, admin, outOfScope, ""},
		{"excluded user", graphclient.CAPolicy{IncludeUsers: []string{"All"}, ExcludeUsers: []string{me}}, admin, excluded, "excluded as a user"},
		{"excluded active role", graphclient.CAPolicy{IncludeUsers: []string{"All"}, ExcludeRoles: []string{RoleGlobalAdministrator}}, admin, excluded, "excluded through role Global Administrator"},
		{"an eligible role does not exclude", graphclient.CAPolicy{IncludeUsers: []string{"All"}, ExcludeRoles: []string{RoleExchangeAdministrator}}, admin, inScope, "all users"},
		{"excluded group", graphclient.CAPolicy{IncludeRoles: []string{RoleGlobalAdministrator}, ExcludeGroups: []string{group}}, admin, excluded, "excluded through group Group One (g1)"},
		{"exclusion unknown", graphclient.CAPolicy{IncludeUsers: []string{"All"}, ExcludeGroups: []string{group}}, unknownGroups, scopeUnknown, "excluded groups (membership unknown)"},
	}
	names := groupNamer(map[string]string{"g1": "Group One"})
	for _, tc := range tests {
		got, why := covers(tc.p, tc.s, roleNamer(PrivilegedRoles), names)
		if got != tc.want || why != tc.why {
			t.Errorf("%s: %v %q, want %v %q", tc.name, got, why, tc.want, tc.why)
		}
	}
}

func TestMFAWeakness(t *testing.T) {
	t.Parallel()
	base := graphclient.CAPolicy{State: graphclient.CAEnabled, IncludeApplications: []string{"All"}, ClientAppTypes: []string{"all"}, GrantOperator: "OR", BuiltInControls: []string{"mfa"}}
	with := func(f func(p *graphclient.CAPolicy)) graphclient.CAPolicy {
		p := base
		f(&p)
		return p
	}
	tests := []struct {
		name string
		p    graphclient.CAPolicy
		want string
	}{
		{"enforces", base, ""},
		{"report-only", with(func(p *graphclient.CAPolicy) { p.State = graphclient.CAReportOnly }), "is report-only"},
		{"disabled", with(func(p *graphclient.CAPolicy) { p.State = graphclient.CADisabled }), "is disabled"},
		{"some apps", with(func(p *graphclient.CAPolicy) { p.IncludeApplications = []string{"Office365"} }), "covers only some applications (Office365)"},
		{"user actions", with(func(p *graphclient.CAPolicy) { p.IncludeApplications = nil }), "applies to user actions only"},
		{"browser only", with(func(p *graphclient.CAPolicy) { p.ClientAppTypes = []string{"browser"} }), "applies only to client apps browser"},
		{"both modern client types", with(func(p *graphclient.CAPolicy) { p.ClientAppTypes = []string{"browser", "mobileAppsAndDesktopClients"} }), ""},
		{"outside trusted locations", with(func(p *graphclient.CAPolicy) {
			p.IncludeLocations, p.ExcludeLocations = []string{"All"}, []string{"AllTrusted"}
		}), "applies only under conditions (locations)"},
		{"all locations", with(func(p *graphclient.CAPolicy) { p.IncludeLocations = []string{"All"} }), ""},
		{"risky sign-ins", with(func(p *graphclient.CAPolicy) { p.SignInRiskLevels = []string{"medium", "high"} }), "applies only under conditions (sign-in risk medium/high)"},
		{"some platforms", with(func(p *graphclient.CAPolicy) { p.IncludePlatforms = []string{"android"} }), "applies only under conditions (device platforms)"},
		{"MFA or compliant device", with(func(p *graphclient.CAPolicy) { p.BuiltInControls = []string{"mfa", "compliantDevice"} }), "accepts compliantDevice instead of MFA"},
		{"MFA and compliant device", with(func(p *graphclient.CAPolicy) {
			p.BuiltInControls, p.GrantOperator = []string{"mfa", "compliantDevice"}, "AND"
		}), ""},
		{"authentication strength", with(func(p *graphclient.CAPolicy) {
			p.BuiltInControls, p.AuthenticationStrength = nil, "Phishing-resistant MFA"
		}), ""},
	}
	for _, tc := range tests {
		if got := mfaWeakness(tc.p); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
		if !requiresMFA(tc.p) {
			t.Errorf("%s: requiresMFA false", tc.name)
		}
	}
	if requiresMFA(graphclient.CAPolicy{BuiltInControls: []string{"block"}}) {
		t.Error("a block policy requires MFA")
	}
}

func TestLegacyEffect(t *testing.T) {
	t.Parallel()
	id := func(s string) string { return s }
	roles := roleNamer(PrivilegedRoles)
	tests := []struct {
		name string
		p    graphclient.CAPolicy
		want string // "" when the policy does not block legacy clients
	}{
		{"full block", graphclient.CAPolicy{IncludeUsers: []string{"All"}, IncludeApplications: []string{"All"}, ClientAppTypes: []string{"exchangeActiveSync", "other"}, BuiltInControls: []string{"block"}},
			"blocks exchangeActiveSync and other"},
		{"with exclusions", graphclient.CAPolicy{IncludeUsers: []string{"All"}, IncludeApplications: []string{"All"}, ClientAppTypes: []string{"exchangeActiveSync", "other"},
			BuiltInControls: []string{"block"}, ExcludeUsers: []string{"u1"}, ExcludeGroups: []string{"g1"}, ExcludeRoles: []string{RoleGlobalAdministrator}},
			"blocks exchangeActiveSync and other; excludes user u1, group g1, role Global Administrator"},
		{"one type, some users", graphclient.CAPolicy{IncludeGroups: []string{"g1"}, IncludeApplications: []string{"All"}, ClientAppTypes: []string{"other"}, BuiltInControls: []string{"block"}},
			"blocks other; covers only group g1; does not cover client type exchangeActiveSync"},
		{"some apps and locations", graphclient.CAPolicy{IncludeUsers: []string{"All"}, IncludeApplications: []string{"Office365"}, IncludeLocations: []string{"All"},
			ClientAppTypes: []string{"exchangeActiveSync", "other"}, BuiltInControls: []string{"block"}},
			"blocks exchangeActiveSync and other; covers only some applications; applies only to some locations or platforms"},
		{"MFA, not block", graphclient.CAPolicy{IncludeUsers: []string{"All"}, ClientAppTypes: []string{"exchangeActiveSync", "other"}, BuiltInControls: []string{"mfa"}}, ""},
		{"block, modern clients", graphclient.CAPolicy{IncludeUsers: []string{"All"}, ClientAppTypes: []string{"browser"}, BuiltInControls: []string{"block"}}, ""},
	}
	for _, tc := range tests {
		b := legacyEffect(tc.p, roles, id)
		got := ""
		if b.blocks {
			got = b.String()
		}
		if got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestPhishingResistant(t *testing.T) {
	t.Parallel()
	for _, m := range []string{"fido2SecurityKey", "fido2", "passKeyDeviceBound", "passKeyDeviceBoundAuthenticator", "passKeyDeviceBoundWindowsHello",
		"windowsHelloForBusiness", "x509CertificateMultiFactor", "x509CertificateSingleFactor", "macOsSecureEnclaveKey"} {
		if !phishingResistant(m) {
			t.Errorf("%s is phishing-resistant", m)
		}
	}
	for _, m := range []string{"microsoftAuthenticatorPush", "microsoftAuthenticatorPasswordless", "softwareOneTimePasscode", "hardwareOneTimePasscode",
		"mobilePhone", "alternateMobilePhone", "officePhone", "email", "securityQuestion", "temporaryAccessPass", ""} {
		if phishingResistant(m) {
			t.Errorf("%s is not phishing-resistant", m)
		}
	}
}

func TestRoundAge(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		42 * time.Second:                 "42s",
		17*time.Minute + 30*time.Second:  "17m",
		3 * time.Hour:                    "3h",
		5*time.Hour + 12*time.Minute:     "5h12m",
		30 * time.Hour:                   "30h",
		3*24*time.Hour + 4*time.Hour:     "3d4h",
		8 * 24 * time.Hour:               "8d",
		8*24*time.Hour + 59*time.Minute:  "8d",
		47*time.Hour + 59*time.Minute:    "47h59m",
		48*time.Hour + 1*time.Hour:       "2d1h",
		3*time.Hour + 30*time.Second:     "3h",
		59*time.Minute + 59*time.Second:  "59m",
		time.Hour + 5*time.Minute + 59e9: "1h05m",
	} {
		if got := roundAge(d); got != want {
			t.Errorf("roundAge(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestStripHTML(t *testing.T) {
	t.Parallel()
	in := "<p>Create a policy:</p>\n<ol><li>Go to <b>Protection</b> &gt; Conditional Access</li><li>Require&nbsp;MFA</li></ol>"
	if got, want := stripHTML(in), "Create a policy: Go to Protection > Conditional Access Require MFA"; got != want {
		t.Errorf("stripHTML = %q, want %q", got, want)
	}
}
