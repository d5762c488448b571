package graphemu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"
)

// privilegedRoles are the roles generated admins hold, Global Administrator first.
var privilegedRoles = []string{
	RoleGlobalAdministrator, RolePrivilegedRoleAdministrator, RolePrivilegedAuthAdministrator,
	RoleSecurityAdministrator, RoleExchangeAdministrator, RoleSharePointAdministrator,
	RoleUserAdministrator, RoleHelpdeskAdministrator, RoleAuthenticationAdministrator,
	RoleConditionalAccessAdmin, RoleHybridIdentityAdministrator, RoleApplicationAdministrator,
	RoleCloudApplicationAdmin, RoleBillingAdministrator, RoleIntuneAdministrator,
}

// Legacy clientAppUsed values, as sign-in logs report them.
var legacyClients = []string{"Exchange ActiveSync", "IMAP4", "POP3", "Authenticated SMTP", "Other clients", "Exchange Web Services"}

// generateSecurity adds roles, groups, policies and reports to a generated tenant whose users
// from index first on were just generated. The first g.Admins of them are the admins; what each
// admin gets follows its index i so that every case the admin check knows appears:
//
//   - i < GlobalAdmins: Global Administrator (i == 0 is the break-glass account, excluded from
//     the admin MFA policy); the others cycle through the other privileged roles;
//   - i%5 == 4 (not a Global Administrator): the role is PIM-eligible, not active, and the
//     registration report does not flag the account as an admin;
//   - i%7 == 3: the role comes through the role-assignable group "Helpdesk Admins";
//   - i%6: 0 FIDO2 key, 1 Windows Hello, 2-3 Authenticator, 4 SMS only, 5 nothing registered;
//   - i%8: 2 per-user MFA enforced, 6 enabled;
//   - i%9 == 8: the account is synced from AD, the others cloud-only.
//
// Conditional Access requires MFA for the privileged roles except Billing and Intune
// Administrators (break-glass excluded), requires MFA for the Helpdesk Admins group, blocks
// legacy authentication for all users but a "Legacy Auth Exceptions" group, and has a
// report-only all-users MFA policy and a disabled phishing-resistant one.
func generateSecurity(t *Tenant, g GenerateOptions, first int) {
	rng := rand.New(rand.NewPCG(g.Seed, 0x5ec0a11))
	users := t.Users[first:]
	regs := t.UserRegistrationDetails[first:]
	admins := min(g.Admins, len(users))
	gaCount := g.GlobalAdmins
	if gaCount == 0 {
		gaCount = 2 + admins/20
	}
	gaCount = min(gaCount, admins)
	groupID := func(n int) string { return fmt.Sprintf("0a0a0a0a-%04x-4000-8000-%012x", n, g.Seed) }

	helpdesk := Group{ID: groupID(1), DisplayName: "Helpdesk Admins", SecurityEnabled: true, IsAssignableToRole: ptr(true),
		Description: ptr("Role-assignable group holding Helpdesk Administrator")}
	exceptions := Group{ID: groupID(2), DisplayName: "Legacy Auth Exceptions", SecurityEnabled: true,
		Description: ptr("Accounts allowed to use legacy protocols (scanners, old devices)")}
	var breakGlass string
	var caRoles []string
	for _, r := range privilegedRoles {
		if r != RoleBillingAdministrator && r != RoleIntuneAdministrator {
			caRoles = append(caRoles, r)
		}
	}
	t.RoleAssignments = append(t.RoleAssignments, RoleAssignment{PrincipalID: helpdesk.ID, RoleDefinitionID: RoleHelpdeskAdministrator})
	if t.PerUserMFA == nil {
		t.PerUserMFA = map[string]string{}
	}
	for i := range admins {
		u, r := &users[i], &regs[i]
		role := RoleGlobalAdministrator
		if i >= gaCount {
			role = privilegedRoles[1+(i-gaCount)%(len(privilegedRoles)-1)]
		}
		switch {
		case i == 0:
			breakGlass = u.ID
			u.DisplayName = "Break Glass 1"
			u.UserPrincipalName = "breakglass1@" + strings.TrimSuffix(domainOf(u.UserPrincipalName), ".com") + ".onmicrosoft.com"
			r.UserDisplayName, r.UserPrincipalName = u.DisplayName, u.UserPrincipalName
			t.RoleAssignments = append(t.RoleAssignments, RoleAssignment{PrincipalID: u.ID, RoleDefinitionID: role})
		case i >= gaCount && i%5 == 4:
			t.RoleEligibilities = append(t.RoleEligibilities, RoleEligibility{PrincipalID: u.ID, RoleDefinitionID: role})
		case i >= gaCount && i%7 == 3:
			helpdesk.Members = append(helpdesk.Members, u.ID)
		default:
			t.RoleAssignments = append(t.RoleAssignments, RoleAssignment{PrincipalID: u.ID, RoleDefinitionID: role})
		}
		// isAdmin in the report follows active roles; eligible-only admins are not flagged.
		r.IsAdmin = !(i >= gaCount && i%5 == 4)
		if i%9 != 8 {
			clearOnPremises(u)
		} else if u.OnPremisesSyncEnabled == nil {
			u.OnPremisesSyncEnabled = ptr(true)
			u.OnPremisesSamAccountName = ptr(fmt.Sprintf("adm%05d", i))
			u.OnPremisesLastSyncDateTime = ptr(generatedAt.Add(-20 * time.Minute))
		}
		setAdminMethods(r, i%6)
		switch i % 8 {
		case 2:
			t.PerUserMFA[u.ID] = PerUserMFAEnforced
		case 6:
			t.PerUserMFA[u.ID] = PerUserMFAEnabled
		}
	}
	// One more Global Administrator, eligible through PIM.
	if admins > gaCount {
		t.RoleEligibilities = append(t.RoleEligibilities, RoleEligibility{PrincipalID: users[gaCount].ID, RoleDefinitionID: RoleGlobalAdministrator})
	}

	// SSPR scope: every member by default; a group, or nobody, when asked.
	pilot := Group{ID: groupID(3), DisplayName: "SSPR Users", SecurityEnabled: true, Description: ptr("Users enabled for self-service password reset")}
	for i := range regs {
		if regs[i].IsAdmin {
			// Active admins follow the admin SSPR policy, not the users' scope.
			regs[i].IsSsprEnabled = t.AuthorizationPolicy == nil || t.AuthorizationPolicy.AllowedToUseSSPR
		} else if regs[i].UserType == "member" {
			switch g.SSPRScope {
			case "none":
				regs[i].IsSsprEnabled = false
			case "selected":
				regs[i].IsSsprEnabled = i%3 != 0
				if regs[i].IsSsprEnabled {
					pilot.Members = append(pilot.Members, users[i].ID)
				}
			}
		}
		regs[i].IsSsprCapable = regs[i].IsSsprEnabled && regs[i].IsSsprRegistered
	}
	for len(exceptions.Members) < 3 && len(users) > admins+3 {
		exceptions.Members = append(exceptions.Members, users[admins+1+len(exceptions.Members)*7%(len(users)-admins-1)].ID)
	}
	t.Groups = append(t.Groups, helpdesk, exceptions)
	if g.SSPRScope == "selected" {
		t.Groups = append(t.Groups, pilot)
	}

	mfa := &ConditionalAccessGrantControls{Operator: "OR", BuiltInControls: []string{"mfa"}}
	allApps := ConditionalAccessApplications{IncludeApplications: []string{"All"}}
	created := generatedAt.AddDate(-1, 0, 0)
	t.ConditionalAccessPolicies = append(t.ConditionalAccessPolicies,
		ConditionalAccessPolicy{
			ID: groupID(101), DisplayName: "Require MFA for administrators", State: CAStateEnabled, CreatedDateTime: &created,
			Conditions: ConditionalAccessConditions{Applications: allApps, ClientAppTypes: []string{"all"},
				Users: ConditionalAccessUsers{IncludeRoles: caRoles, ExcludeUsers: []string{breakGlass}}},
			GrantControls: mfa,
		},
		ConditionalAccessPolicy{
			ID: groupID(102), DisplayName: "Require MFA for Helpdesk Admins", State: CAStateEnabled, CreatedDateTime: &created,
			Conditions: ConditionalAccessConditions{Applications: allApps, ClientAppTypes: []string{"all"},
				Users: ConditionalAccessUsers{IncludeGroups: []string{helpdesk.ID}}},
			GrantControls: &ConditionalAccessGrantControls{Operator: "OR", AuthenticationStrength: ptr(StrengthMFA)},
		},
		ConditionalAccessPolicy{
			ID: groupID(103), DisplayName: "Block legacy authentication", State: CAStateEnabled, CreatedDateTime: &created,
			Conditions: ConditionalAccessConditions{Applications: allApps, ClientAppTypes: []string{"exchangeActiveSync", "other"},
				Users: ConditionalAccessUsers{IncludeUsers: []string{"All"}, ExcludeGroups: []string{exceptions.ID}}},
			GrantControls: &ConditionalAccessGrantControls{Operator: "OR", BuiltInControls: []string{"block"}},
		},
		ConditionalAccessPolicy{
			ID: groupID(104), DisplayName: "Require MFA for all users (pilot)", State: CAStateReportOnly, CreatedDateTime: &created,
			Conditions: ConditionalAccessConditions{Applications: allApps, ClientAppTypes: []string{"all"},
				Users: ConditionalAccessUsers{IncludeUsers: []string{"All"}}},
			GrantControls: mfa,
		},
		ConditionalAccessPolicy{
			ID: groupID(105), DisplayName: "Phishing-resistant MFA for Global Administrators", State: CAStateDisabled, CreatedDateTime: &created,
			Conditions: ConditionalAccessConditions{Applications: allApps, ClientAppTypes: []string{"all"},
				Users: ConditionalAccessUsers{IncludeRoles: []string{RoleGlobalAdministrator}}},
			GrantControls: &ConditionalAccessGrantControls{Operator: "OR", AuthenticationStrength: ptr(StrengthPhishingResistant)},
		},
	)

	t.SignIns = append(t.SignIns, generateSignIns(rng, users[admins:], exceptions.Members, g.SignIns)...)
	t.SecureScores = append(t.SecureScores, GenerateSecureScores(t.ID, generatedAt, 90, 96, 131, len(users))...)
	t.SecureScoreControlProfiles = append(t.SecureScoreControlProfiles, CatalogControlProfiles()...)
}

func domainOf(upn string) string {
	_, d, _ := strings.Cut(upn, "@")
	return d
}

func clearOnPremises(u *User) {
	u.OnPremisesSyncEnabled = nil
	u.OnPremisesLastSyncDateTime = nil
	u.OnPremisesImmutableID = nil
	u.OnPremisesDistinguishedName = nil
	u.OnPremisesSamAccountName = nil
	u.OnPremisesSecurityIdentifier = nil
	u.OnPremisesUserPrincipalName = nil
	u.OnPremisesDomainName = nil
}

// setAdminMethods gives an admin's registration record one of six method mixes.
func setAdminMethods(r *UserRegistrationDetails, kind int) {
	methods := map[int][]string{
		0: {"fido2SecurityKey", "microsoftAuthenticatorPush"},
		1: {"windowsHelloForBusiness", "microsoftAuthenticatorPush"},
		2: {"microsoftAuthenticatorPush", "softwareOneTimePasscode"},
		3: {"microsoftAuthenticatorPush", "softwareOneTimePasscode", "mobilePhone"},
		4: {"mobilePhone"},
		5: {},
	}[kind]
	r.MethodsRegistered = methods
	r.IsMfaRegistered = len(methods) > 0
	r.IsMfaCapable = r.IsMfaRegistered
	r.IsPasswordlessCapable = kind <= 1
	r.IsSsprRegistered = len(methods) > 0
	r.IsSystemPreferredAuthenticationMethodEnabled = true
	r.SystemPreferredAuthenticationMethods = []string{}
	r.UserPreferredMethodForSecondaryAuthentication = "none"
	switch kind {
	case 0, 1, 2, 3:
		r.SystemPreferredAuthenticationMethods = []string{"push"}
		r.UserPreferredMethodForSecondaryAuthentication = "push"
	case 4:
		r.SystemPreferredAuthenticationMethods = []string{"sms"}
		r.UserPreferredMethodForSecondaryAuthentication = "sms"
	}
}

// generateSignIns makes n sign-ins over the 30 days before generatedAt, newest first. About one
// in twenty is by a legacy client, from a handful of users; the legacy sign-ins of users outside
// the exceptions group fail (Conditional Access blocks them).
func generateSignIns(rng *rand.Rand, users []User, exceptions []string, n int) []SignIn {
	if n == 0 || len(users) == 0 {
		return nil
	}
	excepted := map[string]bool{}
	for _, id := range exceptions {
		excepted[id] = true
	}
	var legacyUsers []User
	for _, u := range users {
		if excepted[u.ID] {
			legacyUsers = append(legacyUsers, u)
		}
	}
	for i := 0; len(legacyUsers) < len(exceptions)+5 && i < len(users); i += 1 + len(users)/7 {
		legacyUsers = append(legacyUsers, users[i])
	}
	step := 30 * 24 * time.Hour / time.Duration(n)
	out := make([]SignIn, 0, n)
	for i := range n {
		at := generatedAt.Add(-time.Duration(i)*step - time.Duration(rng.IntN(int(step/time.Second)+1))*time.Second)
		s := SignIn{
			CreatedDateTime: at.Truncate(time.Second), AppID: "00000002-0000-0ff1-ce00-000000000000", AppDisplayName: "Office 365 Exchange Online",
			IPAddress: fmt.Sprintf("203.0.113.%d", 1+rng.IntN(254)), ClientAppUsed: "Browser", IsInteractive: true,
			ResourceDisplayName: "Office 365 Exchange Online", ResourceID: "00000002-0000-0ff1-ce00-000000000000",
			CorrelationID: fmt.Sprintf("%08x-0000-4000-8000-%012x", i, rng.Uint64()&0xffffffffffff),
			DeviceDetail:  DeviceDetail{OperatingSystem: "Windows10", Browser: "Edge 124.0.0"},
			Location:      SignInLocation{City: "London", CountryOrRegion: "GB"},
		}
		var u User
		if rng.IntN(20) == 0 {
			u = legacyUsers[rng.IntN(len(legacyUsers))]
			s.ClientAppUsed = legacyClients[rng.IntN(len(legacyClients))]
			s.IsInteractive = false
			s.DeviceDetail = DeviceDetail{}
			if !excepted[u.ID] {
				s.Status = SignInStatus{ErrorCode: 53003, FailureReason: ptr("Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.")}
				s.ConditionalAccessStatus = "failure"
			} else {
				s.ConditionalAccessStatus = "notApplied"
			}
		} else {
			u = users[rng.IntN(len(users))]
			if rng.IntN(2) == 0 {
				s.ClientAppUsed = "Mobile Apps and Desktop clients"
			}
			s.ConditionalAccessStatus = "success"
		}
		s.UserID, s.UserPrincipalName, s.UserDisplayName = u.ID, u.UserPrincipalName, u.DisplayName
		out = append(out, s)
	}
	return out
}

// GenerateSecureScores makes days daily Secure Score snapshots ending at now, newest first, the
// score rising from start to end points (of a maximum of 250), with the identity controls'
// scores rising with it.
func GenerateSecureScores(tenantID string, now time.Time, days int, start, end float64, users int) []SecureScore {
	profiles := CatalogControlProfiles()
	out := make([]SecureScore, 0, days)
	day := now.UTC().Truncate(24 * time.Hour)
	for i := range days {
		frac := 1.0
		if days > 1 {
			frac = float64(days-1-i) / float64(days-1)
		}
		score := math.Round((start+(end-start)*frac)*100) / 100
		s := SecureScore{
			AzureTenantID: tenantID, ActiveUserCount: users, LicensedUserCount: users,
			CreatedDateTime: day.AddDate(0, 0, -i), CurrentScore: score, MaxScore: 250,
			AverageComparativeScores: []AverageComparativeScore{{Basis: "AllTenants", AverageScore: 38.92}, {Basis: "TotalSeats", AverageScore: 44.1}},
		}
		for _, p := range profiles {
			cs := ControlScore{ControlCategory: p.ControlCategory, ControlName: p.ID, Description: p.Title, ImplementationStatus: "", LastSynced: s.CreatedDateTime.Format(time.RFC3339)}
			cs.Score = math.Round(p.MaxScore*controlProgress[p.ID]*frac*100) / 100
			if p.MaxScore > 0 {
				cs.ScoreInPercentage = math.Round(cs.Score/p.MaxScore*10000) / 100
			}
			s.ControlScores = append(s.ControlScores, cs)
		}
		out = append(out, s)
	}
	return out
}

// controlProgress is how much of each catalogue control the generated tenant achieves today.
var controlProgress = map[string]float64{
	"AdminMFAV2": 0.8, "MFARegistrationV2": 0.6, "BlockLegacyAuthentication": 1, "SelfServicePasswordReset": 1,
	"PasswordHashSync": 1, "OneAdmin": 1, "SigninRiskPolicy": 0, "UserRiskPolicy": 0, "IntegratedApps": 0.5,
	"PWAgePolicyNew": 1, "RoleOverlap": 1, "mdo_safelinksforOfficeApps": 1, "exo_mailtipsenabled": 0,
}

// CatalogControlProfiles returns a set of Secure Score improvement actions shaped like Graph's,
// the identity ones the checks rank plus a few from other categories.
func CatalogControlProfiles() []SecureScoreControlProfile {
	modified := time.Date(2025, 4, 14, 0, 0, 0, 0, time.UTC)
	p := func(id, title, category string, maxScore float64, rank int, cost, impact, service, remediation string, threats ...string) SecureScoreControlProfile {
		return SecureScoreControlProfile{
			ID: id, Title: title, ControlCategory: category, MaxScore: maxScore, Rank: rank,
			ActionType: "Config", ActionURL: "https://entra.microsoft.com/", ImplementationCost: cost, UserImpact: impact,
			Service: service, Tier: "Core", Remediation: remediation, RemediationImpact: "Users in scope are affected as described.",
			Threats: threats, LastModifiedDateTime: &modified, ComplianceInformation: []any{}, ControlStateUpdates: []ControlStateUpdate{},
			VendorInformation: secureScoreVendor,
		}
	}
	return []SecureScoreControlProfile{
		p("AdminMFAV2", "Ensure multifactor authentication is enabled for all users in administrative roles", "Identity", 10, 1, "Low", "Low", "AzureAD",
			"<p>Create a Conditional Access policy that requires multifactor authentication for every directory role.</p>", "AccountBreach", "ElevationOfPrivilege"),
		p("MFARegistrationV2", "Ensure multifactor authentication is enabled for all users", "Identity", 9, 2, "Moderate", "Moderate", "AzureAD",
			"<p>Require multifactor authentication for all users with Conditional Access and run a registration campaign.</p>", "AccountBreach", "PasswordCracking"),
		p("BlockLegacyAuthentication", "Enable Conditional Access policies to block legacy authentication", "Identity", 8, 3, "Moderate", "Moderate", "AzureAD",
			"<p>Create a Conditional Access policy for all users and the client apps Exchange ActiveSync and Other clients, with the grant control Block access.</p>", "PasswordSpray", "AccountBreach"),
		p("SelfServicePasswordReset", "Enable self-service password reset", "Identity", 1, 8, "Low", "Moderate", "AzureAD",
			"<p>Enable self-service password reset for all users and require two methods to reset.</p>", "AccountBreach"),
		p("PasswordHashSync", "Enable password hash sync if hybrid", "Identity", 5, 9, "Low", "Low", "AzureAD",
			"<p>Turn on password hash synchronization in Microsoft Entra Connect so leaked credentials are detected.</p>", "PasswordCracking"),
		p("OneAdmin", "Designate more than one global admin", "Identity", 1, 10, "Low", "Low", "AzureAD",
			"<p>Assign a second Global Administrator so the tenant is not locked out when one account is unavailable.</p>", "AccountBreach"),
		p("RoleOverlap", "Use least privileged administrative roles", "Identity", 1, 11, "Low", "Low", "AzureAD",
			"<p>Replace Global Administrator assignments with narrower roles where the holder does not need every permission.</p>", "ElevationOfPrivilege"),
		p("SigninRiskPolicy", "Ensure sign-in risk policy is enabled", "Identity", 7, 4, "Moderate", "Moderate", "AzureAD",
			"<p>Create a Conditional Access policy that requires multifactor authentication for medium and high sign-in risk.</p>", "AccountBreach"),
		p("UserRiskPolicy", "Ensure user risk policy is enabled", "Identity", 7, 5, "Moderate", "Moderate", "AzureAD",
			"<p>Create a Conditional Access policy that requires a secure password change for high user risk.</p>", "AccountBreach"),
		p("IntegratedApps", "Do not allow users to grant consent to unreliable applications", "Identity", 4, 6, "Moderate", "Moderate", "AzureAD",
			"<p>Allow user consent only for verified publishers and low-risk permissions.</p>", "DataExfiltration"),
		p("PWAgePolicyNew", "Ensure the password expiration policy is set to never expire", "Identity", 8, 7, "Low", "Low", "AzureAD",
			"<p>Set passwords to never expire, as recommended when multifactor authentication is in place.</p>", "PasswordCracking"),
		p("mdo_safelinksforOfficeApps", "Ensure Safe Links for Office applications is enabled", "Apps", 9, 12, "Low", "Low", "MDO",
			"<p>Turn on Safe Links for Office applications in Microsoft Defender for Office 365.</p>", "Phishing"),
		p("exo_mailtipsenabled", "Ensure MailTips are enabled for end users", "Data", 8, 13, "Low", "Low", "EXO",
			"<p>Enable MailTips with Set-OrganizationConfig.</p>", "DataSpillage"),
	}
}
