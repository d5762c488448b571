package checks

import "strings"

// Role is a privileged Microsoft Entra directory role.
type Role struct {
	// ID is the role's template id, the same in every tenant.
	ID   string
	Name string
	// SecurityDefaults is true when security defaults require MFA for the role at every
	// sign-in; other users get MFA only when Entra deems it necessary.
	SecurityDefaults bool
}

// Template ids of the privileged roles.
const (
	RoleGlobalAdministrator               = "62e90394-69f5-4237-9190-012177145e10"
	RolePrivilegedRoleAdministrator       = "e8611ab8-c189-46e8-94e1-60213ab1f814"
	RolePrivilegedAuthenticationAdmin     = "7be44c8a-adaf-4e2a-84d6-ab2649e08a13"
	RoleSecurityAdministrator             = "194ae4cb-b126-40b2-bd5b-6091b380977d"
	RoleExchangeAdministrator             = "29232cdf-9323-42fd-ade2-1d097af3e4de"
	RoleSharePointAdministrator           = "f28a1f50-f6e7-4571-818b-6a12f2af6b6c"
	RoleUserAdministrator                 = "fe930be7-5e62-47db-91af-98c3a49a38b1"
	RoleHelpdeskAdministrator             = "729827e3-9c14-49f7-bb1b-9608f156bbb8"
	RoleAuthenticationAdministrator       = "c4e39bd9-1100-46d3-8c65-fb160da0071f"
	RoleConditionalAccessAdministrator    = "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9"
	RoleHybridIdentityAdministrator       = "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2"
	RoleApplicationAdministrator          = "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"
	RoleCloudApplicationAdministrator     = "158c047a-c907-4556-b7ef-446551a6b5f7"
	RoleBillingAdministrator              = "b0f54661-2d74-4c50-afa3-1ec803f12efe"
	RoleIntuneAdministrator               = "3a2c62db-5318-420d-8d74-23affee5d9d5"
	RolePasswordAdministrator             = "966707d0-3269-4727-9be2-8c3a10f19b9d"
	RoleAuthenticationPolicyAdministrator = "0526716b-113d-4c15-b2c8-68e3c22b9f80"
)

// PrivilegedRoles are the roles the admin check reads, Global Administrator first.
var PrivilegedRoles = []Role{
	{RoleGlobalAdministrator, "Global Administrator", true},
	{RolePrivilegedRoleAdministrator, "Privileged Role Administrator", true},
	{RolePrivilegedAuthenticationAdmin, "Privileged Authentication Administrator", true},
	{RoleSecurityAdministrator, "Security Administrator", true},
	{RoleExchangeAdministrator, "Exchange Administrator", true},
	{RoleSharePointAdministrator, "SharePoint Administrator", true},
	{RoleUserAdministrator, "User Administrator", true},
	{RoleHelpdeskAdministrator, "Helpdesk Administrator", true},
	{RoleAuthenticationAdministrator, "Authentication Administrator", true},
	{RoleConditionalAccessAdministrator, "Conditional Access Administrator", true},
	{RoleHybridIdentityAdministrator, "Hybrid Identity Administrator", false},
	{RoleApplicationAdministrator, "Application Administrator", true},
	{RoleCloudApplicationAdministrator, "Cloud Application Administrator", true},
	{RoleBillingAdministrator, "Billing Administrator", true},
	{RoleIntuneAdministrator, "Intune Administrator", false},
	{RolePasswordAdministrator, "Password Administrator", true},
	{RoleAuthenticationPolicyAdministrator, "Authentication Policy Administrator", true},
}

// phishingResistant reports whether a methodsRegistered value is a phishing-resistant method:
// FIDO2 security keys and passkeys, Windows Hello for Business, certificate-based
// authentication and the macOS platform credential.
func phishingResistant(method string) bool {
	m := strings.ToLower(method)
	return strings.Contains(m, "fido2") || strings.Contains(m, "passkey") ||
		m == "windowshelloforbusiness" || strings.HasPrefix(m, "x509certificate") ||
		m == "macossecureenclavekey" || m == "platformcredential"
}
