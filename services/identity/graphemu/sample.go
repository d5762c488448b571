package graphemu

import "time"

// SampleTenantID is the id of [SampleTenant].
const SampleTenantID = "8d3c1a52-6f0e-4b8e-9a51-2c7f0d6e4b10"

// SampleTenant is a small hybrid tenant: synced from on-premises AD, Office 365 E3 for everyone
// and EMS E3 (Entra ID P1) for part of the staff, two cloud-only accounts (a break-glass admin and
// a guest), a few users registered for MFA, two admins, two Conditional Access policies, a
// legacy sign-in and a month of Secure Score. It is what cmd/graphemu serves by default.
func SampleTenant() *Tenant {
	lastSync := time.Date(2025, 6, 2, 8, 13, 0, 0, time.UTC)
	created := time.Date(2019, 3, 4, 10, 0, 0, 0, time.UTC)
	o365, _ := CatalogSKU("ENTERPRISEPACK", 10, 6)
	ems, _ := CatalogSKU("EMS", 5, 4)
	synced := func(id, upn, display, sam, rid, ou string) User {
		return User{
			ID: id, UserPrincipalName: upn, DisplayName: display, Mail: ptr(upn),
			AccountEnabled: ptr(true), UserType: "Member", CreatedDateTime: ptr(created),
			OnPremisesSyncEnabled:        ptr(true),
			OnPremisesLastSyncDateTime:   ptr(lastSync),
			OnPremisesImmutableID:        ptr(sam + "=="),
			OnPremisesDistinguishedName:  ptr("CN=" + display + ",OU=" + ou + ",DC=corp,DC=contoso,DC=com"),
			OnPremisesSamAccountName:     ptr(sam),
			OnPremisesSecurityIdentifier: ptr("S-1-5-21-1004336348-1177238915-682003330-" + rid),
			OnPremisesUserPrincipalName:  ptr(sam + "@corp.contoso.com"),
			OnPremisesDomainName:         ptr("corp.contoso.com"),
		}
	}
	users := []User{
		synced("6e7b768e-07e2-4810-8459-485f84f8f204", "adele.vance@contoso.com", "Adele Vance", "avance", "1104", "Sales"),
		synced("87d349ed-44d7-43e1-9a83-5f2406dee5bd", "alex.wilber@contoso.com", "Alex Wilber", "awilber", "1105", "Marketing"),
		synced("5bde3e51-d13b-4db1-9948-fe4b109d11a7", "diego.siciliani@contoso.com", "Diego Siciliani", "dsiciliani", "1106", "HR"),
		synced("4782e723-f4f4-4af3-a76e-25e3bab0d896", "grady.archie@contoso.com", "Grady Archie", "garchie", "1107", "Engineering"),
		{
			ID: "c0e1a3b4-0a5d-4e8b-9f3c-7d2a1b6e5f40", UserPrincipalName: "breakglass@contoso.onmicrosoft.com", DisplayName: "Break Glass",
			AccountEnabled: ptr(true), UserType: "Member", CreatedDateTime: ptr(created),
		},
		{
			ID: "0b9c8d7e-6f5a-4b3c-8d2e-1f0a9b8c7d6e", UserPrincipalName: "megan_fabrikam.com#EXT#@contoso.onmicrosoft.com", DisplayName: "Megan Bowen (Fabrikam)",
			Mail: ptr("megan@fabrikam.com"), AccountEnabled: ptr(true), UserType: "Guest", CreatedDateTime: ptr(created),
		},
	}
	regs := registrationsFor(users)
	for i := range regs {
		switch i {
		case 0, 1:
			regs[i].IsMfaRegistered, regs[i].IsMfaCapable = true, true
			regs[i].IsSsprRegistered, regs[i].IsSsprEnabled, regs[i].IsSsprCapable = true, true, true
			regs[i].MethodsRegistered = []string{"microsoftAuthenticatorPush", "softwareOneTimePasscode", "mobilePhone"}
			regs[i].UserPreferredMethodForSecondaryAuthentication = "push"
		case 4:
			regs[i].IsAdmin = true
			regs[i].IsMfaRegistered, regs[i].IsMfaCapable, regs[i].IsPasswordlessCapable = true, true, true
			regs[i].MethodsRegistered = []string{"fido2"}
		}
	}
	breakGlass, adele := users[4].ID, users[0].ID
	allApps := ConditionalAccessApplications{IncludeApplications: []string{"All"}}
	return &Tenant{
		ID:    SampleTenantID,
		AppID: "3f1e2d4c-5b6a-4798-8a9b-0c1d2e3f4a5b",
		GrantedPermissions: []string{"Organization.Read.All", "User.Read.All", "AuditLog.Read.All", "OnPremDirectorySynchronization.Read.All",
			"Policy.Read.All", "Policy.Read.AuthenticationMethod", "RoleManagement.Read.Directory", "GroupMember.Read.All", "SecurityEvents.Read.All"},
		Organization: Organization{
			ID: SampleTenantID, DisplayName: "Contoso", TenantType: "AAD", CountryLetterCode: "GB", PreferredLanguage: "en",
			CreatedDateTime:            ptr(created),
			OnPremisesSyncEnabled:      ptr(true),
			OnPremisesLastSyncDateTime: ptr(lastSync),
			VerifiedDomains: []VerifiedDomain{
				{Name: "contoso.com", Type: "Managed", IsDefault: true, Capabilities: "Email, OfficeCommunicationsOnline"},
				{Name: "contoso.onmicrosoft.com", Type: "Managed", IsInitial: true, Capabilities: "Email, OfficeCommunicationsOnline"},
			},
			BusinessPhones:             []string{"+44 20 7946 0000"},
			TechnicalNotificationMails: []string{"it@contoso.com"},
		},
		SubscribedSKUs:          []SubscribedSKU{o365, ems},
		Users:                   users,
		UserRegistrationDetails: regs,
		// The break-glass account is the only Global Administrator; Adele, synced from AD, is an
		// Exchange Administrator whom no enabled policy requires MFA of.
		RoleAssignments: []RoleAssignment{
			{PrincipalID: breakGlass, RoleDefinitionID: RoleGlobalAdministrator},
			{PrincipalID: adele, RoleDefinitionID: RoleExchangeAdministrator},
		},
		ConditionalAccessPolicies: []ConditionalAccessPolicy{
			{
				ID: "5a0e1f2d-3c4b-4a69-8877-665544332211", DisplayName: "Require MFA for Global Administrators", State: CAStateEnabled,
				Conditions: ConditionalAccessConditions{Applications: allApps, Users: ConditionalAccessUsers{
					IncludeRoles: []string{RoleGlobalAdministrator}, ExcludeUsers: []string{breakGlass}}},
				GrantControls: &ConditionalAccessGrantControls{BuiltInControls: []string{"mfa"}},
			},
			{
				ID: "5a0e1f2d-3c4b-4a69-8877-665544332212", DisplayName: "Block legacy authentication (pilot)", State: CAStateReportOnly,
				Conditions: ConditionalAccessConditions{Applications: allApps, ClientAppTypes: []string{"exchangeActiveSync", "other"},
					Users: ConditionalAccessUsers{IncludeUsers: []string{"All"}}},
				GrantControls: &ConditionalAccessGrantControls{BuiltInControls: []string{"block"}},
			},
		},
		SignIns: []SignIn{
			{CreatedDateTime: lastSync.Add(-26 * time.Hour), UserID: users[2].ID, UserPrincipalName: users[2].UserPrincipalName, UserDisplayName: users[2].DisplayName,
				AppDisplayName: "Office 365 Exchange Online", ClientAppUsed: "IMAP4", IPAddress: "198.51.100.7"},
			{CreatedDateTime: lastSync.Add(-3 * time.Hour), UserID: users[1].ID, UserPrincipalName: users[1].UserPrincipalName, UserDisplayName: users[1].DisplayName,
				AppDisplayName: "Office 365 Exchange Online", ClientAppUsed: "Browser", IPAddress: "198.51.100.8", IsInteractive: true, ConditionalAccessStatus: "success"},
		},
		SecureScores:               GenerateSecureScores(SampleTenantID, lastSync, 30, 58, 71, len(users)),
		SecureScoreControlProfiles: CatalogControlProfiles(),
	}
}
