package graphemu

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
)

// Service plans that carry Microsoft Entra ID P1 and P2, as Graph reports them in
// subscribedSkus[].servicePlans.
const (
	PlanAADPremium     = "AAD_PREMIUM"
	PlanAADPremiumID   = "41781fb2-bc02-4b7c-bd55-b576c07bb09d"
	PlanAADPremiumP2   = "AAD_PREMIUM_P2"
	PlanAADPremiumP2ID = "eec0eb4f-6444-4f95-aba0-50c24d67f998"
)

// Values of subscribedSku.capabilityStatus and servicePlanInfo.provisioningStatus.
const (
	CapabilityEnabled   = "Enabled"
	CapabilityWarning   = "Warning"
	CapabilitySuspended = "Suspended"
	CapabilityDeleted   = "Deleted"
	CapabilityLockedOut = "LockedOut"

	ProvisioningSuccess           = "Success"
	ProvisioningDisabled          = "Disabled"
	ProvisioningPendingInput      = "PendingInput"
	ProvisioningPendingActivation = "PendingActivation"
	ProvisioningPendingProvision  = "PendingProvisioning"
)

// Tenant is one emulated Microsoft Entra tenant: what Graph would return for it and which
// application permissions the calling app has been granted. Its JSON form is the fixture format
// read by [LoadTenant]; the nested objects use Graph's own property names.
type Tenant struct {
	// ID is the tenant (directory) id; it is also the organization's id.
	ID string `json:"id"`
	// AppID is the calling application's client id, used in throttling messages.
	AppID string `json:"appId,omitempty"`
	// GrantedPermissions are the application permissions (app roles) consented for the app.
	GrantedPermissions []string `json:"grantedPermissions"`
	// Organization is the single object GET /organization returns.
	Organization Organization `json:"organization"`
	// SubscribedSKUs is what GET /subscribedSkus returns. A SKU whose servicePlans are omitted
	// and whose skuPartNumber is in the catalogue ([CatalogSKU]) gets the catalogue's plans.
	SubscribedSKUs []SubscribedSKU `json:"subscribedSkus"`
	// Users is what GET /users returns.
	Users []User `json:"users"`
	// UserRegistrationDetails is what GET /reports/authenticationMethods/userRegistrationDetails
	// returns. When nil, one record per user is derived with nothing registered.
	UserRegistrationDetails []UserRegistrationDetails `json:"userRegistrationDetails"`
	// OnPremisesSynchronization is what GET /directory/onPremisesSynchronization returns. When
	// nil, one object is derived: password hash sync and accidental-deletion prevention on for a
	// synced tenant, every feature off for a cloud-only one.
	OnPremisesSynchronization []OnPremisesDirectorySynchronization `json:"onPremisesSynchronization"`
	// AuthenticationMethodsPolicy is GET /policies/authenticationMethodsPolicy; nil serves
	// [DefaultAuthenticationMethodsPolicy].
	AuthenticationMethodsPolicy *AuthenticationMethodsPolicy `json:"authenticationMethodsPolicy,omitempty"`
	// AuthorizationPolicy is GET /policies/authorizationPolicy; nil serves
	// [DefaultAuthorizationPolicy].
	AuthorizationPolicy *AuthorizationPolicy `json:"authorizationPolicy,omitempty"`
	// SecurityDefaults is GET /policies/identitySecurityDefaultsEnforcementPolicy; nil serves
	// security defaults switched off.
	SecurityDefaults *SecurityDefaultsPolicy `json:"identitySecurityDefaultsEnforcementPolicy,omitempty"`
	// ConditionalAccessPolicies is GET /identity/conditionalAccess/policies.
	ConditionalAccessPolicies []ConditionalAccessPolicy `json:"conditionalAccessPolicies"`
	// Groups, with their direct members, serve /groups/{id}/members and transitiveMembers and
	// /users/{id}/memberOf and transitiveMemberOf.
	Groups []Group `json:"groups"`
	// ServicePrincipals can hold directory roles.
	ServicePrincipals []ServicePrincipal `json:"servicePrincipals"`
	// RoleAssignments are the active directory role assignments
	// (/roleManagement/directory/roleAssignments); ids are derived when empty.
	RoleAssignments []RoleAssignment `json:"roleAssignments"`
	// RoleEligibilities are the PIM-eligible assignments
	// (/roleManagement/directory/roleEligibilityScheduleInstances, P2 only).
	RoleEligibilities []RoleEligibility `json:"roleEligibilityScheduleInstances"`
	// PerUserMFA maps user ids to their legacy per-user MFA state (disabled, enabled,
	// enforced), served by the beta /users/{id}/authentication/requirements; absent is disabled.
	PerUserMFA map[string]string `json:"perUserMfaStates"`
	// SignIns is GET /auditLogs/signIns (P1), newest first.
	SignIns []SignIn `json:"signIns"`
	// SecureScores is GET /security/secureScores, newest first.
	SecureScores []SecureScore `json:"secureScores"`
	// SecureScoreControlProfiles is GET /security/secureScoreControlProfiles.
	SecureScoreControlProfiles []SecureScoreControlProfile `json:"secureScoreControlProfiles"`
	// Generate, when set, appends generated users (and their registration details) at load time,
	// so a fixture can describe a 50,000-user tenant in a few lines.
	Generate *GenerateOptions `json:"generate,omitempty"`
}

// Organization is Graph's organization resource (the subset the emulator serves).
type Organization struct {
	ID                         string           `json:"id"`
	DisplayName                string           `json:"displayName"`
	TenantType                 string           `json:"tenantType"`
	CountryLetterCode          string           `json:"countryLetterCode"`
	PreferredLanguage          string           `json:"preferredLanguage"`
	CreatedDateTime            *time.Time       `json:"createdDateTime"`
	OnPremisesSyncEnabled      *bool            `json:"onPremisesSyncEnabled"`
	OnPremisesLastSyncDateTime *time.Time       `json:"onPremisesLastSyncDateTime"`
	VerifiedDomains            []VerifiedDomain `json:"verifiedDomains"`
	BusinessPhones             []string         `json:"businessPhones"`
	TechnicalNotificationMails []string         `json:"technicalNotificationMails"`
}

// VerifiedDomain is an entry of organization.verifiedDomains.
type VerifiedDomain struct {
	Name         string `json:"name"`
	Type         string `json:"type"` // Managed or Federated
	IsDefault    bool   `json:"isDefault"`
	IsInitial    bool   `json:"isInitial"`
	Capabilities string `json:"capabilities"`
}

// SubscribedSKU is Graph's subscribedSku resource.
type SubscribedSKU struct {
	ID               string        `json:"id"`
	AccountID        string        `json:"accountId"`
	AccountName      string        `json:"accountName"`
	AppliesTo        string        `json:"appliesTo"`
	CapabilityStatus string        `json:"capabilityStatus"`
	ConsumedUnits    int64         `json:"consumedUnits"`
	PrepaidUnits     LicenseUnits  `json:"prepaidUnits"`
	ServicePlans     []ServicePlan `json:"servicePlans"`
	SkuID            string        `json:"skuId"`
	SkuPartNumber    string        `json:"skuPartNumber"`
	SubscriptionIDs  []string      `json:"subscriptionIds"`
}

// LicenseUnits is Graph's licenseUnitsDetail (subscribedSku.prepaidUnits).
type LicenseUnits struct {
	Enabled   int64 `json:"enabled"`
	LockedOut int64 `json:"lockedOut"`
	Suspended int64 `json:"suspended"`
	Warning   int64 `json:"warning"`
}

// ServicePlan is Graph's servicePlanInfo.
type ServicePlan struct {
	ServicePlanID      string `json:"servicePlanId"`
	ServicePlanName    string `json:"servicePlanName"`
	ProvisioningStatus string `json:"provisioningStatus"`
	AppliesTo          string `json:"appliesTo"`
}

// User is Graph's user resource (the subset the emulator serves). Without $select, GET /users
// returns only Graph's default property set; the onPremises* properties need $select.
type User struct {
	ID                           string     `json:"id"`
	UserPrincipalName            string     `json:"userPrincipalName"`
	DisplayName                  string     `json:"displayName"`
	GivenName                    *string    `json:"givenName"`
	Surname                      *string    `json:"surname"`
	Mail                         *string    `json:"mail"`
	JobTitle                     *string    `json:"jobTitle"`
	MobilePhone                  *string    `json:"mobilePhone"`
	OfficeLocation               *string    `json:"officeLocation"`
	PreferredLanguage            *string    `json:"preferredLanguage"`
	BusinessPhones               []string   `json:"businessPhones"`
	AccountEnabled               *bool      `json:"accountEnabled"`
	UserType                     string     `json:"userType"`
	CreatedDateTime              *time.Time `json:"createdDateTime"`
	OnPremisesSyncEnabled        *bool      `json:"onPremisesSyncEnabled"`
	OnPremisesLastSyncDateTime   *time.Time `json:"onPremisesLastSyncDateTime"`
	OnPremisesImmutableID        *string    `json:"onPremisesImmutableId"`
	OnPremisesDistinguishedName  *string    `json:"onPremisesDistinguishedName"`
	OnPremisesSamAccountName     *string    `json:"onPremisesSamAccountName"`
	OnPremisesSecurityIdentifier *string    `json:"onPremisesSecurityIdentifier"`
	OnPremisesUserPrincipalName  *string    `json:"onPremisesUserPrincipalName"`
	OnPremisesDomainName         *string    `json:"onPremisesDomainName"`
}

// UserRegistrationDetails is Graph's userRegistrationDetails resource.
type UserRegistrationDetails struct {
	ID                                            string    `json:"id"`
	UserPrincipalName                             string    `json:"userPrincipalName"`
	UserDisplayName                               string    `json:"userDisplayName"`
	UserType                                      string    `json:"userType"` // member or guest
	IsAdmin                                       bool      `json:"isAdmin"`
	IsSsprRegistered                              bool      `json:"isSsprRegistered"`
	IsSsprEnabled                                 bool      `json:"isSsprEnabled"`
	IsSsprCapable                                 bool      `json:"isSsprCapable"`
	IsMfaRegistered                               bool      `json:"isMfaRegistered"`
	IsMfaCapable                                  bool      `json:"isMfaCapable"`
	IsPasswordlessCapable                         bool      `json:"isPasswordlessCapable"`
	IsSystemPreferredAuthenticationMethodEnabled  bool      `json:"isSystemPreferredAuthenticationMethodEnabled"`
	MethodsRegistered                             []string  `json:"methodsRegistered"`
	SystemPreferredAuthenticationMethods          []string  `json:"systemPreferredAuthenticationMethods"`
	UserPreferredMethodForSecondaryAuthentication string    `json:"userPreferredMethodForSecondaryAuthentication"`
	LastUpdatedDateTime                           time.Time `json:"lastUpdatedDateTime"`
}

// LoadTenant reads a JSON tenant fixture.
func LoadTenant(path string) (*Tenant, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("graphemu: load tenant: %w", err)
	}
	t, err := ParseTenant(data)
	if err != nil {
		return nil, fmt.Errorf("graphemu: load tenant %s: %w", path, err)
	}
	return t, nil
}

// ParseTenant decodes a JSON tenant fixture, rejecting unknown fields so a typo in a fixture
// fails loudly instead of silently serving a default.
func ParseTenant(data []byte) (*Tenant, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var t Tenant
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("decode tenant: %w", err)
	}
	if err := t.normalize(); err != nil {
		return nil, err
	}
	return &t, nil
}

// normalize fills derived values (organization id, SKU ids, catalogue plans, generated users,
// registration records) and validates the tenant. It is idempotent.
func (t *Tenant) normalize() error {
	if t.ID == "" {
		return errors.New("tenant id is empty")
	}
	if t.Organization.ID == "" {
		t.Organization.ID = t.ID
	}
	if !strings.EqualFold(t.Organization.ID, t.ID) {
		return fmt.Errorf("organization id %s differs from tenant id %s", t.Organization.ID, t.ID)
	}
	if t.Organization.TenantType == "" {
		t.Organization.TenantType = "AAD"
	}
	for i := range t.SubscribedSKUs {
		s := &t.SubscribedSKUs[i]
		if s.ServicePlans == nil {
			if c, ok := catalogue[s.SkuPartNumber]; ok {
				s.ServicePlans = c.plans()
				if s.SkuID == "" {
					s.SkuID = c.skuID
				}
			}
		}
		if s.SkuID == "" || s.SkuPartNumber == "" {
			return fmt.Errorf("subscribedSkus[%d]: skuId and skuPartNumber are required", i)
		}
		if s.ID == "" {
			s.ID = t.ID + "_" + s.SkuID
		}
		if s.AccountID == "" {
			s.AccountID = t.ID
		}
		if s.AccountName == "" {
			s.AccountName = t.Organization.DisplayName
		}
		if s.AppliesTo == "" {
			s.AppliesTo = "User"
		}
		if s.CapabilityStatus == "" {
			s.CapabilityStatus = CapabilityEnabled
		}
		if s.SubscriptionIDs == nil {
			s.SubscriptionIDs = []string{}
		}
		for j := range s.ServicePlans {
			p := &s.ServicePlans[j]
			if p.ProvisioningStatus == "" {
				p.ProvisioningStatus = ProvisioningSuccess
			}
			if p.AppliesTo == "" {
				p.AppliesTo = "User"
			}
		}
	}
	if t.Generate != nil {
		g := *t.Generate
		t.Generate = nil
		domain := t.defaultDomain()
		users, regs := generateUsers(g, domain, len(t.Users))
		if t.UserRegistrationDetails == nil {
			t.UserRegistrationDetails = registrationsFor(t.Users)
		}
		first := len(t.Users)
		t.Users = append(t.Users, users...)
		t.UserRegistrationDetails = append(t.UserRegistrationDetails, regs...)
		if g.Security {
			generateSecurity(t, g, first)
		}
	}
	seen := make(map[string]bool, len(t.Users))
	for i := range t.Users {
		u := &t.Users[i]
		if u.ID == "" || u.UserPrincipalName == "" {
			return fmt.Errorf("users[%d]: id and userPrincipalName are required", i)
		}
		if seen[u.ID] {
			return fmt.Errorf("users[%d]: duplicate id %s", i, u.ID)
		}
		seen[u.ID] = true
		if u.UserType == "" {
			u.UserType = "Member"
		}
		if u.BusinessPhones == nil {
			u.BusinessPhones = []string{}
		}
	}
	if t.UserRegistrationDetails == nil {
		t.UserRegistrationDetails = registrationsFor(t.Users)
	}
	if err := t.normalizeSecurity(); err != nil {
		return err
	}
	for i := range t.UserRegistrationDetails {
		r := &t.UserRegistrationDetails[i]
		if r.MethodsRegistered == nil {
			r.MethodsRegistered = []string{}
		}
		if r.SystemPreferredAuthenticationMethods == nil {
			r.SystemPreferredAuthenticationMethods = []string{}
		}
		if r.UserPreferredMethodForSecondaryAuthentication == "" {
			r.UserPreferredMethodForSecondaryAuthentication = "none"
		}
	}
	return nil
}

func (t *Tenant) defaultDomain() string {
	for _, d := range t.Organization.VerifiedDomains {
		if d.IsDefault {
			return d.Name
		}
	}
	if len(t.Organization.VerifiedDomains) > 0 {
		return t.Organization.VerifiedDomains[0].Name
	}
	return "contoso.onmicrosoft.com"
}

// registrationsFor derives one "nothing registered" record per user, which is what Graph reports
// for users who never registered a method.
func registrationsFor(users []User) []UserRegistrationDetails {
	regs := make([]UserRegistrationDetails, 0, len(users))
	for _, u := range users {
		userType := "member"
		if strings.EqualFold(u.UserType, "Guest") {
			userType = "guest"
		}
		regs = append(regs, UserRegistrationDetails{
			ID:                  u.ID,
			UserPrincipalName:   u.UserPrincipalName,
			UserDisplayName:     u.DisplayName,
			UserType:            userType,
			LastUpdatedDateTime: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		})
	}
	return regs
}

// HasPremium reports whether the tenant owns Microsoft Entra ID P1 or P2, which premium-only
// endpoints require: a SKU that is Enabled or in its Warning grace period carrying an
// AAD_PREMIUM or AAD_PREMIUM_P2 plan whose provisioning succeeded.
func (t *Tenant) HasPremium() bool {
	for _, s := range t.SubscribedSKUs {
		if s.CapabilityStatus != CapabilityEnabled && s.CapabilityStatus != CapabilityWarning {
			continue
		}
		for _, p := range s.ServicePlans {
			if p.ProvisioningStatus != ProvisioningSuccess {
				continue
			}
			if strings.EqualFold(p.ServicePlanID, PlanAADPremiumID) || strings.EqualFold(p.ServicePlanID, PlanAADPremiumP2ID) {
				return true
			}
		}
	}
	return false
}

// catalogueSKU is a licence bundle as Graph lists it; only the plans relevant to the identity
// service and a few neighbours are listed.
type catalogueSKU struct {
	skuID     string
	planNames []string
}

var planIDs = map[string]string{
	PlanAADPremium:          PlanAADPremiumID,
	PlanAADPremiumP2:        PlanAADPremiumP2ID,
	"MFA_PREMIUM":           "8a256a2b-b617-496d-b51b-e76466e88db0",
	"INTUNE_A":              "c1ec4a95-1f05-45b3-a911-aa3fa01094f5",
	"RMS_S_PREMIUM":         "6c57d4b6-3b23-47a5-9bc9-69f17b4947b3",
	"RMS_S_PREMIUM2":        "5689bec4-755d-4753-8b61-40975025187c",
	"EXCHANGE_S_ENTERPRISE": "efb87545-963c-4e0d-99df-69c6916d9eb0",
	"SHAREPOINTENTERPRISE":  "5dbe027f-2339-4123-9542-606e4d348a72",
}

var catalogue = map[string]catalogueSKU{
	"EMS":            {"efccb6f7-5641-4e0e-bd10-b4976e1bf68e", []string{PlanAADPremium, "MFA_PREMIUM", "INTUNE_A", "RMS_S_PREMIUM"}},
	"EMSPREMIUM":     {"b05e124f-c7cc-45a0-a6aa-8cf78c946968", []string{PlanAADPremium, PlanAADPremiumP2, "MFA_PREMIUM", "INTUNE_A", "RMS_S_PREMIUM", "RMS_S_PREMIUM2"}},
	"SPE_E3":         {"05e9a617-0261-4cee-bb44-138d3ef5d965", []string{PlanAADPremium, "MFA_PREMIUM", "INTUNE_A", "RMS_S_PREMIUM", "EXCHANGE_S_ENTERPRISE", "SHAREPOINTENTERPRISE"}},
	"SPE_E5":         {"06ebc4ee-1bb5-47dd-8120-11324bc54e06", []string{PlanAADPremium, PlanAADPremiumP2, "MFA_PREMIUM", "INTUNE_A", "RMS_S_PREMIUM", "RMS_S_PREMIUM2", "EXCHANGE_S_ENTERPRISE", "SHAREPOINTENTERPRISE"}},
	"SPB":            {"cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46", []string{PlanAADPremium, "MFA_PREMIUM", "INTUNE_A", "RMS_S_PREMIUM", "EXCHANGE_S_ENTERPRISE", "SHAREPOINTENTERPRISE"}},
	"ENTERPRISEPACK": {"6fd2c87f-b296-42f0-b197-1e91e994b900", []string{"EXCHANGE_S_ENTERPRISE", "SHAREPOINTENTERPRISE"}},
	"AAD_PREMIUM":    {"078d2b04-f1bd-4111-bbd4-b4b1b354cef4", []string{PlanAADPremium, "MFA_PREMIUM"}},
	"AAD_PREMIUM_P2": {"84a661c4-e949-4bd2-a560-ed7766fcaf2b", []string{PlanAADPremium, PlanAADPremiumP2, "MFA_PREMIUM"}},
}

func (c catalogueSKU) plans() []ServicePlan {
	plans := make([]ServicePlan, 0, len(c.planNames))
	for _, name := range c.planNames {
		plans = append(plans, ServicePlan{
			ServicePlanID:      planIDs[name],
			ServicePlanName:    name,
			ProvisioningStatus: ProvisioningSuccess,
			AppliesTo:          "User",
		})
	}
	return plans
}

// CatalogSKUs lists the skuPartNumbers [CatalogSKU] knows.
func CatalogSKUs() []string {
	names := make([]string, 0, len(catalogue))
	for name := range catalogue {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// CatalogSKU returns an Enabled SKU with its real skuId and service plans (all provisioned),
// enabled prepaid seats and consumed seats. Tests adjust the result (statuses, plans) to build
// edge cases.
func CatalogSKU(partNumber string, enabled, consumed int64) (SubscribedSKU, error) {
	c, ok := catalogue[partNumber]
	if !ok {
		return SubscribedSKU{}, fmt.Errorf("graphemu: SKU %q is not in the catalogue (known: %s)", partNumber, strings.Join(CatalogSKUs(), ", "))
	}
	return SubscribedSKU{
		CapabilityStatus: CapabilityEnabled,
		ConsumedUnits:    consumed,
		PrepaidUnits:     LicenseUnits{Enabled: enabled},
		ServicePlans:     c.plans(),
		SkuID:            c.skuID,
		SkuPartNumber:    partNumber,
		SubscriptionIDs:  []string{},
	}, nil
}
