package graphclient

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/reports"
)

var (
	epSyncFeatures      = endpoint{http.MethodGet, "/directory/onPremisesSynchronization", "OnPremDirectorySynchronization.Read.All"}
	epMethodsPolicy     = endpoint{http.MethodGet, "/policies/authenticationMethodsPolicy", "Policy.Read.AuthenticationMethod"}
	epAuthorization     = endpoint{http.MethodGet, "/policies/authorizationPolicy", "Policy.Read.All"}
	epSecurityDefaults  = endpoint{http.MethodGet, "/policies/identitySecurityDefaultsEnforcementPolicy", "Policy.Read.All"}
	epConditionalAccess = endpoint{http.MethodGet, "/identity/conditionalAccess/policies", "Policy.Read.All"}
)

// SyncFeature is one of the directory synchronisation features Graph reports.
type SyncFeature struct {
	Name    string // Graph's property name, e.g. passwordSyncEnabled
	Enabled bool
}

// SyncConfiguration is the tenant's directory synchronisation configuration and features, from
// GET /directory/onPremisesSynchronization.
type SyncConfiguration struct {
	ID string
	// Features lists every feature flag Graph returned, in Graph's order.
	Features []SyncFeature
	// PasswordHashSync is features.passwordSyncEnabled.
	PasswordHashSync bool
	// PasswordWritebackReported is features.passwordWritebackEnabled as Graph returns it. Graph
	// documents the property as unused: it does not tell whether writeback is on, and the real
	// switch is not readable through Graph.
	PasswordWritebackReported bool
	// AccidentalDeletionPrevention is disabled, enabledForCount or enabledForPercentage, with
	// its threshold.
	AccidentalDeletionPrevention string
	AccidentalDeletionThreshold  int
}

// Feature reports whether the named feature is on.
func (s *SyncConfiguration) Feature(name string) bool {
	for _, f := range s.Features {
		if f.Name == name {
			return f.Enabled
		}
	}
	return false
}

// SyncFeatures reads the directory synchronisation features and configuration; nil when Graph
// returns no object. It needs OnPremDirectorySynchronization.Read.All.
func (c *Client) SyncFeatures(ctx context.Context) (*SyncConfiguration, error) {
	b := c.graph.Directory().OnPremisesSynchronization()
	var objs []models.OnPremisesDirectorySynchronizationable
	err := eachItem(ctx, c, epSyncFeatures,
		func(ctx context.Context) (models.OnPremisesDirectorySynchronizationCollectionResponseable, error) {
			return b.Get(ctx, nil)
		},
		func(ctx context.Context, link string) (models.OnPremisesDirectorySynchronizationCollectionResponseable, error) {
			return b.WithUrl(link).Get(ctx, nil)
		},
		func(o models.OnPremisesDirectorySynchronizationable) error { objs = append(objs, o); return nil })
	if err != nil || len(objs) == 0 {
		return nil, err
	}
	o := objs[0]
	s := &SyncConfiguration{ID: deref(o.GetId())}
	if f := o.GetFeatures(); f != nil {
		for _, x := range []struct {
			name string
			v    *bool
		}{
			{"blockCloudObjectTakeoverThroughHardMatchEnabled", f.GetBlockCloudObjectTakeoverThroughHardMatchEnabled()},
			{"blockSoftMatchEnabled", f.GetBlockSoftMatchEnabled()},
			{"bypassDirSyncOverridesEnabled", f.GetBypassDirSyncOverridesEnabled()},
			{"cloudPasswordPolicyForPasswordSyncedUsersEnabled", f.GetCloudPasswordPolicyForPasswordSyncedUsersEnabled()},
			{"concurrentCredentialUpdateEnabled", f.GetConcurrentCredentialUpdateEnabled()},
			{"concurrentOrgIdProvisioningEnabled", f.GetConcurrentOrgIdProvisioningEnabled()},
			{"deviceWritebackEnabled", f.GetDeviceWritebackEnabled()},
			{"directoryExtensionsEnabled", f.GetDirectoryExtensionsEnabled()},
			{"fopeConflictResolutionEnabled", f.GetFopeConflictResolutionEnabled()},
			{"groupWriteBackEnabled", f.GetGroupWriteBackEnabled()},
			{"passwordSyncEnabled", f.GetPasswordSyncEnabled()},
			{"passwordWritebackEnabled", f.GetPasswordWritebackEnabled()},
			{"quarantineUponProxyAddressesConflictEnabled", f.GetQuarantineUponProxyAddressesConflictEnabled()},
			{"quarantineUponUpnConflictEnabled", f.GetQuarantineUponUpnConflictEnabled()},
			{"softMatchOnUpnEnabled", f.GetSoftMatchOnUpnEnabled()},
			{"synchronizeUpnForManagedUsersEnabled", f.GetSynchronizeUpnForManagedUsersEnabled()},
			{"unifiedGroupWritebackEnabled", f.GetUnifiedGroupWritebackEnabled()},
			{"userForcePasswordChangeOnLogonEnabled", f.GetUserForcePasswordChangeOnLogonEnabled()},
			{"userWritebackEnabled", f.GetUserWritebackEnabled()},
		} {
			if x.v != nil {
				s.Features = append(s.Features, SyncFeature{Name: x.name, Enabled: *x.v})
			}
		}
		s.PasswordHashSync = deref(f.GetPasswordSyncEnabled())
		s.PasswordWritebackReported = deref(f.GetPasswordWritebackEnabled())
	}
	if cfg := o.GetConfiguration(); cfg != nil {
		if adp := cfg.GetAccidentalDeletionPrevention(); adp != nil {
			if t := adp.GetSynchronizationPreventionType(); t != nil {
				s.AccidentalDeletionPrevention = t.String()
			}
			s.AccidentalDeletionThreshold = int(deref(adp.GetAlertThreshold()))
		}
	}
	return s, nil
}

// MethodsPolicy is the tenant's authentication methods policy.
type MethodsPolicy struct {
	// MigrationState is preMigration, migrationInProgress or migrationComplete: whether the
	// legacy MFA and SSPR policies still govern methods.
	MigrationState       string
	ReconfirmationInDays int // 0 when not set
	LastModified         time.Time
	// Campaign is the registration campaign (the nudge to register Authenticator); nil when
	// Graph returns none.
	Campaign *RegistrationCampaign
	Methods  []MethodConfiguration
}

// RegistrationCampaign is authenticationMethodsRegistrationCampaign.
type RegistrationCampaign struct {
	State                string // default (Microsoft managed), enabled or disabled
	SnoozeDurationInDays int
	IncludeTargets       []CampaignTarget
	ExcludeTargets       []CampaignTarget
}

// CampaignTarget is a group or user a campaign includes or excludes ("all_users" for all).
type CampaignTarget struct {
	ID, TargetType, Method string
}

// MethodConfiguration is one authentication method's state in the policy.
type MethodConfiguration struct {
	ID    string // Fido2, MicrosoftAuthenticator, Sms, Voice, Email, SoftwareOath, TemporaryAccessPass, X509Certificate, ...
	State string // enabled or disabled
}

// Method returns the named method's state ("" when the policy does not list it).
func (p *MethodsPolicy) Method(id string) string {
	for _, m := range p.Methods {
		if m.ID == id {
			return m.State
		}
	}
	return ""
}

// AuthenticationMethodsPolicy reads the authentication methods policy. It needs
// Policy.Read.AuthenticationMethod.
func (c *Client) AuthenticationMethodsPolicy(ctx context.Context) (*MethodsPolicy, error) {
	actx, a := withAttempts(ctx)
	m, err := c.graph.Policies().AuthenticationMethodsPolicy().Get(actx, nil)
	if err != nil {
		return nil, c.mapError(epMethodsPolicy, err, a)
	}
	p := &MethodsPolicy{ReconfirmationInDays: int(deref(m.GetReconfirmationInDays()))}
	if s := m.GetPolicyMigrationState(); s != nil {
		p.MigrationState = s.String()
	}
	if t := m.GetLastModifiedDateTime(); t != nil {
		p.LastModified = t.UTC()
	}
	if re := m.GetRegistrationEnforcement(); re != nil {
		if rc := re.GetAuthenticationMethodsRegistrationCampaign(); rc != nil {
			camp := &RegistrationCampaign{SnoozeDurationInDays: int(deref(rc.GetSnoozeDurationInDays()))}
			if s := rc.GetState(); s != nil {
				camp.State = s.String()
			}
			for _, t := range rc.GetIncludeTargets() {
				ct := CampaignTarget{ID: deref(t.GetId()), Method: deref(t.GetTargetedAuthenticationMethod())}
				if tt := t.GetTargetType(); tt != nil {
					ct.TargetType = tt.String()
				}
				camp.IncludeTargets = append(camp.IncludeTargets, ct)
			}
			for _, t := range rc.GetExcludeTargets() {
				ct := CampaignTarget{ID: deref(t.GetId())}
				if tt := t.GetTargetType(); tt != nil {
					ct.TargetType = tt.String()
				}
				camp.ExcludeTargets = append(camp.ExcludeTargets, ct)
			}
			p.Campaign = camp
		}
	}
	for _, mc := range m.GetAuthenticationMethodConfigurations() {
		cfg := MethodConfiguration{ID: deref(mc.GetId())}
		if s := mc.GetState(); s != nil {
			cfg.State = s.String()
		}
		p.Methods = append(p.Methods, cfg)
	}
	return p, nil
}

// AuthorizationPolicy is the part of the tenant's authorization policy the checks read.
type AuthorizationPolicy struct {
	// AllowedToUseSSPR says whether administrators may reset their own passwords; it does not
	// apply to other users.
	AllowedToUseSSPR    bool
	BlockMsolPowerShell bool
	AllowInvitesFrom    string
}

// AuthorizationPolicy reads the authorization policy. It needs Policy.Read.All.
func (c *Client) AuthorizationPolicy(ctx context.Context) (*AuthorizationPolicy, error) {
	actx, a := withAttempts(ctx)
	m, err := c.graph.Policies().AuthorizationPolicy().Get(actx, nil)
	if err != nil {
		return nil, c.mapError(epAuthorization, err, a)
	}
	p := &AuthorizationPolicy{AllowedToUseSSPR: deref(m.GetAllowedToUseSSPR()), BlockMsolPowerShell: deref(m.GetBlockMsolPowerShell())}
	if v := m.GetAllowInvitesFrom(); v != nil {
		p.AllowInvitesFrom = v.String()
	}
	return p, nil
}

// SecurityDefaults reports whether security defaults are enabled. It needs Policy.Read.All.
func (c *Client) SecurityDefaults(ctx context.Context) (bool, error) {
	actx, a := withAttempts(ctx)
	m, err := c.graph.Policies().IdentitySecurityDefaultsEnforcementPolicy().Get(actx, nil)
	if err != nil {
		return false, c.mapError(epSecurityDefaults, err, a)
	}
	return deref(m.GetIsEnabled()), nil
}

// Values of CAPolicy.State.
const (
	CAEnabled    = "enabled"
	CADisabled   = "disabled"
	CAReportOnly = "enabledForReportingButNotEnforced"
)

// CAPolicy is a Conditional Access policy, flattened.
type CAPolicy struct {
	ID, DisplayName string
	// State is enabled, disabled or enabledForReportingButNotEnforced (report-only, which
	// enforces nothing).
	State string
	// Users: includeUsers may hold All, None and GuestsOrExternalUsers besides user ids; roles
	// are role template ids.
	IncludeUsers, ExcludeUsers   []string
	IncludeGroups, ExcludeGroups []string
	IncludeRoles, ExcludeRoles   []string
	IncludeGuestsOrExternal      bool
	ExcludeGuestsOrExternal      bool
	// Applications: includeApplications may hold All, Office365 or app ids.
	IncludeApplications, ExcludeApplications []string
	IncludeUserActions                       []string
	// ClientAppTypes: all, browser, mobileAppsAndDesktopClients, exchangeActiveSync, other.
	ClientAppTypes []string
	// Narrowing conditions: when any is set the policy applies only in those circumstances.
	IncludeLocations, ExcludeLocations []string
	IncludePlatforms, ExcludePlatforms []string
	UserRiskLevels, SignInRiskLevels   []string
	// Grant: operator AND or OR; builtInControls block, mfa, compliantDevice, ...
	GrantOperator   string
	BuiltInControls []string
	// AuthenticationStrength is the required strength's display name ("" when none), with the
	// method combinations it allows.
	AuthenticationStrength       string
	AuthenticationStrengthID     string
	AuthenticationStrengthCombos []string
}

// ConditionalAccessPolicies lists the Conditional Access policies. Graph throttles this
// endpoint hard (about one request per second) and without Retry-After; the client backs off
// on its own. It needs Policy.Read.All.
func (c *Client) ConditionalAccessPolicies(ctx context.Context) ([]CAPolicy, error) {
	b := c.graph.Identity().ConditionalAccess().Policies()
	var out []CAPolicy
	err := eachItem(ctx, c, epConditionalAccess,
		func(ctx context.Context) (models.ConditionalAccessPolicyCollectionResponseable, error) {
			return b.Get(ctx, nil)
		},
		func(ctx context.Context, link string) (models.ConditionalAccessPolicyCollectionResponseable, error) {
			return b.WithUrl(link).Get(ctx, nil)
		},
		func(m models.ConditionalAccessPolicyable) error { out = append(out, caPolicyFrom(m)); return nil })
	return out, err
}

func enumStrings[T fmt.Stringer](vs []T) []string {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		out = append(out, v.String())
	}
	return out
}

func caPolicyFrom(m models.ConditionalAccessPolicyable) CAPolicy {
	p := CAPolicy{ID: deref(m.GetId()), DisplayName: deref(m.GetDisplayName())}
	if s := m.GetState(); s != nil {
		p.State = s.String()
	}
	if cond := m.GetConditions(); cond != nil {
		if u := cond.GetUsers(); u != nil {
			p.IncludeUsers, p.ExcludeUsers = u.GetIncludeUsers(), u.GetExcludeUsers()
			p.IncludeGroups, p.ExcludeGroups = u.GetIncludeGroups(), u.GetExcludeGroups()
			p.IncludeRoles, p.ExcludeRoles = u.GetIncludeRoles(), u.GetExcludeRoles()
			p.IncludeGuestsOrExternal = u.GetIncludeGuestsOrExternalUsers() != nil
			p.ExcludeGuestsOrExternal = u.GetExcludeGuestsOrExternalUsers() != nil
		}
		if a := cond.GetApplications(); a != nil {
			p.IncludeApplications, p.ExcludeApplications = a.GetIncludeApplications(), a.GetExcludeApplications()
			p.IncludeUserActions = a.GetIncludeUserActions()
		}
		p.ClientAppTypes = enumStrings(cond.GetClientAppTypes())
		if l := cond.GetLocations(); l != nil {
			p.IncludeLocations, p.ExcludeLocations = l.GetIncludeLocations(), l.GetExcludeLocations()
		}
		if pl := cond.GetPlatforms(); pl != nil {
			p.IncludePlatforms, p.ExcludePlatforms = enumStrings(pl.GetIncludePlatforms()), enumStrings(pl.GetExcludePlatforms())
		}
		p.UserRiskLevels = enumStrings(cond.GetUserRiskLevels())
		p.SignInRiskLevels = enumStrings(cond.GetSignInRiskLevels())
	}
	if g := m.GetGrantControls(); g != nil {
		p.GrantOperator = deref(g.GetOperator())
		p.BuiltInControls = enumStrings(g.GetBuiltInControls())
		if s := g.GetAuthenticationStrength(); s != nil {
			p.AuthenticationStrength = deref(s.GetDisplayName())
			p.AuthenticationStrengthID = deref(s.GetId())
			p.AuthenticationStrengthCombos = enumStrings(s.GetAllowedCombinations())
		}
	}
	return p
}

// ListUserRegistrationsWhere is [Client.ListUserRegistrations] with a $filter on the report's
// properties, such as "isAdmin eq true" or "isSsprRegistered eq false" ("" for none).
func (c *Client) ListUserRegistrationsWhere(ctx context.Context, filter string, fn func(UserRegistration) error) error {
	top := int32(999)
	q := &reports.AuthenticationMethodsUserRegistrationDetailsRequestBuilderGetQueryParameters{Top: &top}
	if filter != "" {
		q.Filter = &filter
	}
	cfg := &reports.AuthenticationMethodsUserRegistrationDetailsRequestBuilderGetRequestConfiguration{QueryParameters: q}
	b := c.graph.Reports().AuthenticationMethods().UserRegistrationDetails()
	return eachItem(ctx, c, epRegistrations,
		func(ctx context.Context) (models.UserRegistrationDetailsCollectionResponseable, error) {
			return b.Get(ctx, cfg)
		},
		func(ctx context.Context, link string) (models.UserRegistrationDetailsCollectionResponseable, error) {
			return b.WithUrl(link).Get(ctx, nil)
		},
		func(m models.UserRegistrationDetailsable) error { return fn(registrationFrom(m)) })
}
