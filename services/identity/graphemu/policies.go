package graphemu

import (
	"encoding/json"
	"time"
)

// OnPremisesDirectorySynchronization is Graph's onPremisesDirectorySynchronization resource
// (GET /directory/onPremisesSynchronization lists one per tenant).
type OnPremisesDirectorySynchronization struct {
	ID            string                      `json:"id"`
	Configuration OnPremisesSyncConfiguration `json:"configuration"`
	Features      OnPremisesSyncFeatures      `json:"features"`
}

// OnPremisesSyncConfiguration is Graph's onPremisesDirectorySynchronizationConfiguration.
type OnPremisesSyncConfiguration struct {
	AccidentalDeletionPrevention *AccidentalDeletionPrevention `json:"accidentalDeletionPrevention"`
	// SynchronizationInterval and CustomerRequestedSynchronizationInterval are ISO 8601
	// durations such as PT30M.
	SynchronizationInterval                  *string `json:"synchronizationInterval"`
	CustomerRequestedSynchronizationInterval *string `json:"customerRequestedSynchronizationInterval"`
}

// AccidentalDeletionPrevention is Graph's onPremisesAccidentalDeletionPrevention.
type AccidentalDeletionPrevention struct {
	// SynchronizationPreventionType is disabled, enabledForCount or enabledForPercentage.
	SynchronizationPreventionType string `json:"synchronizationPreventionType"`
	AlertThreshold                int    `json:"alertThreshold"`
}

// OnPremisesSyncFeatures is Graph's onPremisesDirectorySynchronizationFeature. Graph documents
// passwordWritebackEnabled as unused: it does not say whether writeback is on.
type OnPremisesSyncFeatures struct {
	BlockCloudObjectTakeoverThroughHardMatchEnabled  bool `json:"blockCloudObjectTakeoverThroughHardMatchEnabled"`
	BlockSoftMatchEnabled                            bool `json:"blockSoftMatchEnabled"`
	BypassDirSyncOverridesEnabled                    bool `json:"bypassDirSyncOverridesEnabled"`
	CloudPasswordPolicyForPasswordSyncedUsersEnabled bool `json:"cloudPasswordPolicyForPasswordSyncedUsersEnabled"`
	ConcurrentCredentialUpdateEnabled                bool `json:"concurrentCredentialUpdateEnabled"`
	ConcurrentOrgIDProvisioningEnabled               bool `json:"concurrentOrgIdProvisioningEnabled"`
	DeviceWritebackEnabled                           bool `json:"deviceWritebackEnabled"`
	DirectoryExtensionsEnabled                       bool `json:"directoryExtensionsEnabled"`
	FopeConflictResolutionEnabled                    bool `json:"fopeConflictResolutionEnabled"`
	GroupWriteBackEnabled                            bool `json:"groupWriteBackEnabled"`
	PasswordSyncEnabled                              bool `json:"passwordSyncEnabled"`
	PasswordWritebackEnabled                         bool `json:"passwordWritebackEnabled"`
	QuarantineUponProxyAddressesConflictEnabled      bool `json:"quarantineUponProxyAddressesConflictEnabled"`
	QuarantineUponUpnConflictEnabled                 bool `json:"quarantineUponUpnConflictEnabled"`
	SoftMatchOnUpnEnabled                            bool `json:"softMatchOnUpnEnabled"`
	SynchronizeUpnForManagedUsersEnabled             bool `json:"synchronizeUpnForManagedUsersEnabled"`
	UnifiedGroupWritebackEnabled                     bool `json:"unifiedGroupWritebackEnabled"`
	UserForcePasswordChangeOnLogonEnabled            bool `json:"userForcePasswordChangeOnLogonEnabled"`
	UserWritebackEnabled                             bool `json:"userWritebackEnabled"`
}

// AuthenticationMethodsPolicy is Graph's authenticationMethodsPolicy singleton.
type AuthenticationMethodsPolicy struct {
	ID                   string     `json:"id"`
	DisplayName          string     `json:"displayName"`
	Description          string     `json:"description"`
	LastModifiedDateTime *time.Time `json:"lastModifiedDateTime"`
	PolicyVersion        string     `json:"policyVersion"`
	// PolicyMigrationState is preMigration, migrationInProgress or migrationComplete.
	PolicyMigrationState               string                              `json:"policyMigrationState"`
	ReconfirmationInDays               *int                                `json:"reconfirmationInDays"`
	RegistrationEnforcement            *RegistrationEnforcement            `json:"registrationEnforcement"`
	AuthenticationMethodConfigurations []AuthenticationMethodConfiguration `json:"authenticationMethodConfigurations"`
}

// RegistrationEnforcement is Graph's registrationEnforcement.
type RegistrationEnforcement struct {
	AuthenticationMethodsRegistrationCampaign *RegistrationCampaign `json:"authenticationMethodsRegistrationCampaign"`
}

// RegistrationCampaign is Graph's authenticationMethodsRegistrationCampaign (the nudge to
// register the Authenticator app).
type RegistrationCampaign struct {
	SnoozeDurationInDays                   int  `json:"snoozeDurationInDays"`
	EnforceRegistrationAfterAllowedSnoozes bool `json:"enforceRegistrationAfterAllowedSnoozes"`
	// State is default (Microsoft managed), enabled or disabled.
	State          string                  `json:"state"`
	ExcludeTargets []ExcludeTarget         `json:"excludeTargets"`
	IncludeTargets []CampaignIncludeTarget `json:"includeTargets"`
}

// ExcludeTarget is Graph's excludeTarget.
type ExcludeTarget struct {
	ID         string `json:"id"`
	TargetType string `json:"targetType"` // user or group
}

// CampaignIncludeTarget is Graph's authenticationMethodsRegistrationCampaignIncludeTarget.
type CampaignIncludeTarget struct {
	ID                           string `json:"id"` // a group id or all_users
	TargetType                   string `json:"targetType"`
	TargetedAuthenticationMethod string `json:"targetedAuthenticationMethod"`
}

// AuthenticationMethodConfiguration is one entry of
// authenticationMethodsPolicy.authenticationMethodConfigurations.
type AuthenticationMethodConfiguration struct {
	// ODataType defaults from ID (Fido2 → #microsoft.graph.fido2AuthenticationMethodConfiguration).
	ODataType      string                       `json:"@odata.type"`
	ID             string                       `json:"id"` // Fido2, MicrosoftAuthenticator, Sms, ...
	State          string                       `json:"state"`
	ExcludeTargets []ExcludeTarget              `json:"excludeTargets"`
	IncludeTargets []AuthenticationMethodTarget `json:"includeTargets"`
}

// AuthenticationMethodTarget is Graph's authenticationMethodTarget.
type AuthenticationMethodTarget struct {
	ID                     string `json:"id"`
	TargetType             string `json:"targetType"`
	IsRegistrationRequired bool   `json:"isRegistrationRequired"`
}

var methodConfigTypes = map[string]string{
	"Fido2":                  "#microsoft.graph.fido2AuthenticationMethodConfiguration",
	"MicrosoftAuthenticator": "#microsoft.graph.microsoftAuthenticatorAuthenticationMethodConfiguration",
	"Sms":                    "#microsoft.graph.smsAuthenticationMethodConfiguration",
	"TemporaryAccessPass":    "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration",
	"SoftwareOath":           "#microsoft.graph.softwareOathAuthenticationMethodConfiguration",
	"Voice":                  "#microsoft.graph.voiceAuthenticationMethodConfiguration",
	"Email":                  "#microsoft.graph.emailAuthenticationMethodConfiguration",
	"X509Certificate":        "#microsoft.graph.x509CertificateAuthenticationMethodConfiguration",
}

// DefaultAuthenticationMethodsPolicy is the policy of a tenant that never changed it: migrated,
// Microsoft-managed registration campaign, Authenticator, SMS and email on for all users.
func DefaultAuthenticationMethodsPolicy() *AuthenticationMethodsPolicy {
	all := []AuthenticationMethodTarget{{ID: "all_users", TargetType: "group"}}
	cfg := func(id, state string) AuthenticationMethodConfiguration {
		c := AuthenticationMethodConfiguration{ID: id, State: state, ExcludeTargets: []ExcludeTarget{}, IncludeTargets: []AuthenticationMethodTarget{}}
		if state == "enabled" {
			c.IncludeTargets = all
		}
		return c
	}
	return &AuthenticationMethodsPolicy{
		PolicyMigrationState: "migrationComplete",
		ReconfirmationInDays: ptr(180),
		RegistrationEnforcement: &RegistrationEnforcement{AuthenticationMethodsRegistrationCampaign: &RegistrationCampaign{
			SnoozeDurationInDays: 1, State: "default", ExcludeTargets: []ExcludeTarget{},
			IncludeTargets: []CampaignIncludeTarget{{ID: "all_users", TargetType: "group", TargetedAuthenticationMethod: "microsoftAuthenticator"}},
		}},
		AuthenticationMethodConfigurations: []AuthenticationMethodConfiguration{
			cfg("Fido2", "disabled"), cfg("MicrosoftAuthenticator", "enabled"), cfg("Sms", "enabled"),
			cfg("TemporaryAccessPass", "disabled"), cfg("SoftwareOath", "disabled"), cfg("Voice", "disabled"),
			cfg("Email", "enabled"), cfg("X509Certificate", "disabled"),
		},
	}
}

func (p *AuthenticationMethodsPolicy) normalize() {
	if p.ID == "" {
		p.ID = "authenticationMethodsPolicy"
	}
	if p.DisplayName == "" {
		p.DisplayName = "Authentication Methods Policy"
	}
	if p.Description == "" {
		p.Description = "The tenant-wide policy that controls which authentication methods are allowed in the tenant, authentication method registration requirements, and self-service password reset settings"
	}
	if p.PolicyVersion == "" {
		p.PolicyVersion = "1.5"
	}
	if p.LastModifiedDateTime == nil {
		p.LastModifiedDateTime = ptr(time.Date(2024, 11, 4, 9, 12, 0, 0, time.UTC))
	}
	if c := p.RegistrationEnforcement; c != nil && c.AuthenticationMethodsRegistrationCampaign != nil {
		rc := c.AuthenticationMethodsRegistrationCampaign
		if rc.ExcludeTargets == nil {
			rc.ExcludeTargets = []ExcludeTarget{}
		}
		if rc.IncludeTargets == nil {
			rc.IncludeTargets = []CampaignIncludeTarget{}
		}
	}
	if p.AuthenticationMethodConfigurations == nil {
		p.AuthenticationMethodConfigurations = []AuthenticationMethodConfiguration{}
	}
	for i := range p.AuthenticationMethodConfigurations {
		c := &p.AuthenticationMethodConfigurations[i]
		if c.ODataType == "" {
			c.ODataType = methodConfigTypes[c.ID]
			if c.ODataType == "" {
				c.ODataType = "#microsoft.graph.authenticationMethodConfiguration"
			}
		}
		if c.ExcludeTargets == nil {
			c.ExcludeTargets = []ExcludeTarget{}
		}
		if c.IncludeTargets == nil {
			c.IncludeTargets = []AuthenticationMethodTarget{}
		}
	}
}

// AuthorizationPolicy is Graph's authorizationPolicy singleton. AllowedToUseSSPR says whether
// administrators may use self-service password reset (it does not apply to other users).
type AuthorizationPolicy struct {
	ID                                        string                     `json:"id"`
	DisplayName                               string                     `json:"displayName"`
	Description                               string                     `json:"description"`
	AllowInvitesFrom                          string                     `json:"allowInvitesFrom"`
	AllowedToSignUpEmailBasedSubscriptions    bool                       `json:"allowedToSignUpEmailBasedSubscriptions"`
	AllowedToUseSSPR                          bool                       `json:"allowedToUseSSPR"`
	AllowEmailVerifiedUsersToJoinOrganization bool                       `json:"allowEmailVerifiedUsersToJoinOrganization"`
	AllowUserConsentForRiskyApps              *bool                      `json:"allowUserConsentForRiskyApps"`
	BlockMsolPowerShell                       bool                       `json:"blockMsolPowerShell"`
	GuestUserRoleID                           string                     `json:"guestUserRoleId"`
	DefaultUserRolePermissions                DefaultUserRolePermissions `json:"defaultUserRolePermissions"`
}

// DefaultUserRolePermissions is Graph's defaultUserRolePermissions.
type DefaultUserRolePermissions struct {
	AllowedToCreateApps                      bool     `json:"allowedToCreateApps"`
	AllowedToCreateSecurityGroups            bool     `json:"allowedToCreateSecurityGroups"`
	AllowedToCreateTenants                   *bool    `json:"allowedToCreateTenants"`
	AllowedToReadBitlockerKeysForOwnedDevice *bool    `json:"allowedToReadBitlockerKeysForOwnedDevice"`
	AllowedToReadOtherUsers                  bool     `json:"allowedToReadOtherUsers"`
	PermissionGrantPoliciesAssigned          []string `json:"permissionGrantPoliciesAssigned"`
}

// DefaultAuthorizationPolicy is the policy of a tenant with default settings (admin SSPR on).
func DefaultAuthorizationPolicy() *AuthorizationPolicy {
	return &AuthorizationPolicy{
		AllowInvitesFrom:                          "everyone",
		AllowedToSignUpEmailBasedSubscriptions:    true,
		AllowedToUseSSPR:                          true,
		AllowEmailVerifiedUsersToJoinOrganization: false,
		DefaultUserRolePermissions: DefaultUserRolePermissions{
			AllowedToCreateApps: true, AllowedToCreateSecurityGroups: true, AllowedToCreateTenants: ptr(true),
			AllowedToReadBitlockerKeysForOwnedDevice: ptr(true), AllowedToReadOtherUsers: true,
		},
	}
}

func (p *AuthorizationPolicy) normalize() {
	if p.ID == "" {
		p.ID = "authorizationPolicy"
	}
	if p.DisplayName == "" {
		p.DisplayName = "Authorization Policy"
	}
	if p.Description == "" {
		p.Description = "Used to manage authorization related settings across the company."
	}
	if p.AllowInvitesFrom == "" {
		p.AllowInvitesFrom = "everyone"
	}
	if p.GuestUserRoleID == "" {
		p.GuestUserRoleID = "10dae51f-b6af-4016-8d66-8c2a99b929b3" // Guest User
	}
	if p.DefaultUserRolePermissions.PermissionGrantPoliciesAssigned == nil {
		p.DefaultUserRolePermissions.PermissionGrantPoliciesAssigned = []string{"ManagePermissionGrantsForSelf.microsoft-user-default-low"}
	}
}

// SecurityDefaultsPolicy is Graph's identitySecurityDefaultsEnforcementPolicy singleton.
type SecurityDefaultsPolicy struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
	Description string `json:"description"`
	IsEnabled   bool   `json:"isEnabled"`
}

func (p *SecurityDefaultsPolicy) normalize() {
	if p.ID == "" {
		p.ID = "00000000-0000-0000-0000-000000000005"
	}
	if p.DisplayName == "" {
		p.DisplayName = "Security Defaults"
	}
	if p.Description == "" {
		p.Description = "Security defaults is a set of basic identity security mechanisms recommended by Microsoft. When enabled, these recommendations will be automatically enforced in your organization. Administrators and users will be better protected from common identity related attacks."
	}
}

// Values of conditionalAccessPolicy.state.
const (
	CAStateEnabled    = "enabled"
	CAStateDisabled   = "disabled"
	CAStateReportOnly = "enabledForReportingButNotEnforced"
)

// ConditionalAccessPolicy is Graph's conditionalAccessPolicy.
type ConditionalAccessPolicy struct {
	ID               string     `json:"id"`
	TemplateID       *string    `json:"templateId"`
	DisplayName      string     `json:"displayName"`
	CreatedDateTime  *time.Time `json:"createdDateTime"`
	ModifiedDateTime *time.Time `json:"modifiedDateTime"`
	// State is enabled, disabled or enabledForReportingButNotEnforced.
	State           string                          `json:"state"`
	SessionControls json.RawMessage                 `json:"sessionControls"`
	Conditions      ConditionalAccessConditions     `json:"conditions"`
	GrantControls   *ConditionalAccessGrantControls `json:"grantControls"`
}

// ConditionalAccessConditions is Graph's conditionalAccessConditionSet.
type ConditionalAccessConditions struct {
	UserRiskLevels             []string `json:"userRiskLevels"`
	SignInRiskLevels           []string `json:"signInRiskLevels"`
	ServicePrincipalRiskLevels []string `json:"servicePrincipalRiskLevels"`
	// ClientAppTypes: all, browser, mobileAppsAndDesktopClients, exchangeActiveSync, other.
	ClientAppTypes     []string                      `json:"clientAppTypes"`
	Platforms          *ConditionalAccessPlatforms   `json:"platforms"`
	Locations          *ConditionalAccessLocations   `json:"locations"`
	Devices            json.RawMessage               `json:"devices"`
	ClientApplications json.RawMessage               `json:"clientApplications"`
	Applications       ConditionalAccessApplications `json:"applications"`
	Users              ConditionalAccessUsers        `json:"users"`
}

// ConditionalAccessPlatforms is Graph's conditionalAccessPlatforms.
type ConditionalAccessPlatforms struct {
	IncludePlatforms []string `json:"includePlatforms"`
	ExcludePlatforms []string `json:"excludePlatforms"`
}

// ConditionalAccessLocations is Graph's conditionalAccessLocations.
type ConditionalAccessLocations struct {
	IncludeLocations []string `json:"includeLocations"`
	ExcludeLocations []string `json:"excludeLocations"`
}

// ConditionalAccessApplications is Graph's conditionalAccessApplications.
type ConditionalAccessApplications struct {
	IncludeApplications                         []string        `json:"includeApplications"`
	ExcludeApplications                         []string        `json:"excludeApplications"`
	IncludeUserActions                          []string        `json:"includeUserActions"`
	IncludeAuthenticationContextClassReferences []string        `json:"includeAuthenticationContextClassReferences"`
	ApplicationFilter                           json.RawMessage `json:"applicationFilter"`
}

// ConditionalAccessUsers is Graph's conditionalAccessUsers: includeUsers may hold All, None or
// GuestsOrExternalUsers besides user ids; includeRoles holds role template ids.
type ConditionalAccessUsers struct {
	IncludeUsers                 []string        `json:"includeUsers"`
	ExcludeUsers                 []string        `json:"excludeUsers"`
	IncludeGroups                []string        `json:"includeGroups"`
	ExcludeGroups                []string        `json:"excludeGroups"`
	IncludeRoles                 []string        `json:"includeRoles"`
	ExcludeRoles                 []string        `json:"excludeRoles"`
	IncludeGuestsOrExternalUsers json.RawMessage `json:"includeGuestsOrExternalUsers"`
	ExcludeGuestsOrExternalUsers json.RawMessage `json:"excludeGuestsOrExternalUsers"`
}

// ConditionalAccessGrantControls is Graph's conditionalAccessGrantControls.
type ConditionalAccessGrantControls struct {
	Operator string `json:"operator"` // AND or OR
	// BuiltInControls: block, mfa, compliantDevice, domainJoinedDevice, approvedApplication,
	// compliantApplication, passwordChange.
	BuiltInControls             []string                      `json:"builtInControls"`
	CustomAuthenticationFactors []string                      `json:"customAuthenticationFactors"`
	TermsOfUse                  []string                      `json:"termsOfUse"`
	AuthenticationStrength      *AuthenticationStrengthPolicy `json:"authenticationStrength"`
}

// AuthenticationStrengthPolicy is Graph's authenticationStrengthPolicy.
type AuthenticationStrengthPolicy struct {
	ID                    string     `json:"id"`
	CreatedDateTime       *time.Time `json:"createdDateTime"`
	ModifiedDateTime      *time.Time `json:"modifiedDateTime"`
	DisplayName           string     `json:"displayName"`
	Description           string     `json:"description"`
	PolicyType            string     `json:"policyType"` // builtIn or custom
	RequirementsSatisfied string     `json:"requirementsSatisfied"`
	AllowedCombinations   []string   `json:"allowedCombinations"`
}

// Built-in authentication strengths.
var (
	StrengthMFA = AuthenticationStrengthPolicy{
		ID: "00000000-0000-0000-0000-000000000002", DisplayName: "Multifactor authentication", PolicyType: "builtIn", RequirementsSatisfied: "mfa",
		Description:         "Combinations of methods that satisfy strong authentication, such as a password + SMS",
		AllowedCombinations: []string{"windowsHelloForBusiness", "fido2", "x509CertificateMultiFactor", "deviceBasedPush", "temporaryAccessPassOneTime", "temporaryAccessPassMultiUse", "password,microsoftAuthenticatorPush", "password,softwareOath", "password,hardwareOath", "password,sms", "password,voice", "federatedMultiFactor", "microsoftAuthenticatorPush,federatedSingleFactor", "softwareOath,federatedSingleFactor", "hardwareOath,federatedSingleFactor", "sms,federatedSingleFactor", "voice,federatedSingleFactor"},
	}
	StrengthPhishingResistant = AuthenticationStrengthPolicy{
		ID: "00000000-0000-0000-0000-000000000004", DisplayName: "Phishing-resistant MFA", PolicyType: "builtIn", RequirementsSatisfied: "mfa",
		Description:         "Phishing-resistant, Passwordless methods for the strongest authentication, such as a FIDO2 security key",
		AllowedCombinations: []string{"windowsHelloForBusiness", "fido2", "x509CertificateMultiFactor"},
	}
)

func (p *ConditionalAccessPolicy) normalize() {
	if p.State == "" {
		p.State = CAStateEnabled
	}
	if p.CreatedDateTime == nil {
		p.CreatedDateTime = ptr(time.Date(2023, 3, 14, 10, 0, 0, 0, time.UTC))
	}
	c := &p.Conditions
	for _, s := range []*[]string{&c.UserRiskLevels, &c.SignInRiskLevels, &c.ServicePrincipalRiskLevels,
		&c.Applications.IncludeApplications, &c.Applications.ExcludeApplications, &c.Applications.IncludeUserActions,
		&c.Applications.IncludeAuthenticationContextClassReferences,
		&c.Users.IncludeUsers, &c.Users.ExcludeUsers, &c.Users.IncludeGroups, &c.Users.ExcludeGroups, &c.Users.IncludeRoles, &c.Users.ExcludeRoles} {
		if *s == nil {
			*s = []string{}
		}
	}
	if c.ClientAppTypes == nil {
		c.ClientAppTypes = []string{"all"}
	}
	if g := p.GrantControls; g != nil {
		if g.Operator == "" {
			g.Operator = "OR"
		}
		for _, s := range []*[]string{&g.BuiltInControls, &g.CustomAuthenticationFactors, &g.TermsOfUse} {
			if *s == nil {
				*s = []string{}
			}
		}
		if a := g.AuthenticationStrength; a != nil && a.CreatedDateTime == nil {
			a.CreatedDateTime = ptr(time.Date(2022, 11, 1, 0, 0, 0, 0, time.UTC))
			a.ModifiedDateTime = a.CreatedDateTime
		}
	}
}
