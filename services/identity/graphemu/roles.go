package graphemu

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"
)

// Role template ids of privileged Microsoft Entra built-in roles.
const (
	RoleGlobalAdministrator          = "62e90394-69f5-4237-9190-012177145e10"
	RolePrivilegedRoleAdministrator  = "e8611ab8-c189-46e8-94e1-60213ab1f814"
	RolePrivilegedAuthAdministrator  = "7be44c8a-adaf-4e2a-84d6-ab2649e08a13"
	RoleSecurityAdministrator        = "194ae4cb-b126-40b2-bd5b-6091b380977d"
	RoleExchangeAdministrator        = "29232cdf-9323-42fd-ade2-1d097af3e4de"
	RoleSharePointAdministrator      = "f28a1f50-f6e7-4571-818b-6a12f2af6b6c"
	RoleUserAdministrator            = "fe930be7-5e62-47db-91af-98c3a49a38b1"
	RoleHelpdeskAdministrator        = "729827e3-9c14-49f7-bb1b-9608f156bbb8"
	RoleAuthenticationAdministrator  = "c4e39bd9-1100-46d3-8c65-fb160da0071f"
	RoleConditionalAccessAdmin       = "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9"
	RoleHybridIdentityAdministrator  = "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2"
	RoleApplicationAdministrator     = "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"
	RoleCloudApplicationAdmin        = "158c047a-c907-4556-b7ef-446551a6b5f7"
	RoleBillingAdministrator         = "b0f54661-2d74-4c50-afa3-1ec803f12efe"
	RoleIntuneAdministrator          = "3a2c62db-5318-420d-8d74-23affee5d9d5"
	RolePasswordAdministrator        = "966707d0-3269-4727-9be2-8c3a10f19b9d"
	RoleAuthenticationPolicyAdmin    = "0526716b-113d-4c15-b2c8-68e3c22b9f80"
	RoleDirectorySynchronizationAcct = "d29b2b05-8046-44ba-8758-1e26182fcf32"
)

// Group is Graph's group resource (the subset the emulator serves).
type Group struct {
	ID                    string     `json:"id"`
	DisplayName           string     `json:"displayName"`
	Description           *string    `json:"description"`
	CreatedDateTime       *time.Time `json:"createdDateTime"`
	GroupTypes            []string   `json:"groupTypes"`
	IsAssignableToRole    *bool      `json:"isAssignableToRole"`
	Mail                  *string    `json:"mail"`
	MailEnabled           bool       `json:"mailEnabled"`
	MailNickname          string     `json:"mailNickname"`
	OnPremisesSyncEnabled *bool      `json:"onPremisesSyncEnabled"`
	SecurityEnabled       bool       `json:"securityEnabled"`
	Visibility            *string    `json:"visibility"`
	// Members are the ids of the group's direct members (users, groups, service principals).
	// It is fixture data, served through /groups/{id}/members, not a property of the group.
	Members []string `json:"members,omitempty"`
}

// ServicePrincipal is Graph's servicePrincipal resource (the subset the emulator serves).
type ServicePrincipal struct {
	ID                   string `json:"id"`
	AppID                string `json:"appId"`
	DisplayName          string `json:"displayName"`
	AccountEnabled       bool   `json:"accountEnabled"`
	ServicePrincipalType string `json:"servicePrincipalType"`
}

// RoleAssignment is Graph's unifiedRoleAssignment (an active directory role assignment).
type RoleAssignment struct {
	ID               string  `json:"id"`
	PrincipalID      string  `json:"principalId"`
	RoleDefinitionID string  `json:"roleDefinitionId"`
	DirectoryScopeID string  `json:"directoryScopeId"`
	AppScopeID       *string `json:"appScopeId"`
	Condition        *string `json:"condition"`
}

// RoleEligibility is Graph's unifiedRoleEligibilityScheduleInstance: a PIM-eligible assignment.
type RoleEligibility struct {
	ID                        string     `json:"id"`
	PrincipalID               string     `json:"principalId"`
	RoleDefinitionID          string     `json:"roleDefinitionId"`
	DirectoryScopeID          string     `json:"directoryScopeId"`
	AppScopeID                *string    `json:"appScopeId"`
	StartDateTime             *time.Time `json:"startDateTime"`
	EndDateTime               *time.Time `json:"endDateTime"`
	MemberType                string     `json:"memberType"` // Direct, Group or Inherited
	RoleEligibilityScheduleID string     `json:"roleEligibilityScheduleId"`
}

// Values of strongAuthenticationRequirements.perUserMfaState.
const (
	PerUserMFADisabled = "disabled"
	PerUserMFAEnabled  = "enabled"
	PerUserMFAEnforced = "enforced"
)

// HasP2 reports whether the tenant owns Microsoft Entra ID P2, which PIM endpoints require.
func (t *Tenant) HasP2() bool {
	for _, s := range t.SubscribedSKUs {
		if s.CapabilityStatus != CapabilityEnabled && s.CapabilityStatus != CapabilityWarning {
			continue
		}
		for _, p := range s.ServicePlans {
			if p.ProvisioningStatus == ProvisioningSuccess && strings.EqualFold(p.ServicePlanID, PlanAADPremiumP2ID) {
				return true
			}
		}
	}
	return false
}

// assignmentID builds an id the way Graph's look: the role's and the principal's GUIDs, base64url.
func assignmentID(roleID, principalID, suffix string) string {
	return base64.RawURLEncoding.EncodeToString(append(guidBytes(roleID), guidBytes(principalID)...)) + suffix
}

// guidBytes is a GUID in Microsoft's mixed-endian byte order; malformed input hashes to zeros.
func guidBytes(s string) []byte {
	raw, err := hex.DecodeString(strings.ReplaceAll(s, "-", ""))
	if err != nil || len(raw) != 16 {
		return make([]byte, 16)
	}
	b := make([]byte, 16)
	b[0], b[1], b[2], b[3] = raw[3], raw[2], raw[1], raw[0]
	b[4], b[5] = raw[5], raw[4]
	b[6], b[7] = raw[7], raw[6]
	copy(b[8:], raw[8:])
	return b
}
