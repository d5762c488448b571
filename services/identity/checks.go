package identity

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hybridkit/hybridkit/platform/grpcserver"
	"github.com/hybridkit/hybridkit/platform/rpcerr"
	identityv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/identity/v1"
	"github.com/hybridkit/hybridkit/services/identity/checks"
	"github.com/hybridkit/hybridkit/services/identity/graphclient"
)

// Bounds of the request parameters.
const (
	defaultMaxListed = 20
	maxMaxListed     = 10000
	minStaleAfter    = 30 * time.Minute // Entra Connect's default sync interval
	maxStaleAfter    = 30 * 24 * time.Hour
	maxSignInDays    = 30 // Entra keeps 30 days of sign-ins with P1 or P2
	maxScoreDays     = 90 // Secure Score keeps 90 days of history
	maxMaxActions    = 100
	maxGlobalAdmins  = 100
	defaultMinGAs    = 2
	defaultMaxGAs    = 4
)

// Validators returns the request checks the validation interceptor runs.
func (s *Service) Validators() map[string]grpcserver.Validator {
	return map[string]grpcserver.Validator{
		identityv1.IdentityService_CheckSync_FullMethodName: func(req any) error {
			d := req.(*identityv1.CheckSyncRequest).GetStaleAfter()
			if d == nil {
				return nil
			}
			if err := d.CheckValid(); err != nil || d.AsDuration() < minStaleAfter || d.AsDuration() > maxStaleAfter {
				return badField("stale_after", fmt.Sprintf("must be between %s and %s", minStaleAfter, maxStaleAfter))
			}
			return nil
		},
		identityv1.IdentityService_CheckSspr_FullMethodName: func(req any) error {
			return inRange("max_listed", req.(*identityv1.CheckSsprRequest).GetMaxListed(), maxMaxListed)
		},
		identityv1.IdentityService_CheckAdmins_FullMethodName: func(req any) error {
			r := req.(*identityv1.CheckAdminsRequest)
			if err := inRange("min_global_admins", r.GetMinGlobalAdmins(), maxGlobalAdmins); err != nil {
				return err
			}
			if err := inRange("max_global_admins", r.GetMaxGlobalAdmins(), maxGlobalAdmins); err != nil {
				return err
			}
			if lo, hi := orDefault(r.GetMinGlobalAdmins(), defaultMinGAs), orDefault(r.GetMaxGlobalAdmins(), defaultMaxGAs); hi < lo {
				return badField("max_global_admins", fmt.Sprintf("is %d (0 means %d), below min_global_admins %d", hi, defaultMaxGAs, lo))
			}
			return nil
		},
		identityv1.IdentityService_CheckLegacyAuthentication_FullMethodName: func(req any) error {
			r := req.(*identityv1.CheckLegacyAuthenticationRequest)
			if err := inRange("days", r.GetDays(), maxSignInDays); err != nil {
				return err
			}
			return inRange("max_listed", r.GetMaxListed(), maxMaxListed)
		},
		identityv1.IdentityService_CheckWritebackReadiness_FullMethodName: func(req any) error {
			return inRange("max_listed", req.(*identityv1.CheckWritebackReadinessRequest).GetMaxListed(), maxMaxListed)
		},
		identityv1.IdentityService_CheckSecureScore_FullMethodName: func(req any) error {
			r := req.(*identityv1.CheckSecureScoreRequest)
			if err := inRange("days", r.GetDays(), maxScoreDays); err != nil {
				return err
			}
			return inRange("max_actions", r.GetMaxActions(), maxMaxActions)
		},
	}
}

func badField(field, description string) error {
	return rpcerr.BadRequest(rpcerr.FieldViolation{Field: field, Description: description})
}

// inRange accepts 0 (the default) to hi.
func inRange(field string, v int32, hi int32) error {
	if v < 0 || v > hi {
		return badField(field, fmt.Sprintf("must be between 0 (the default) and %d", hi))
	}
	return nil
}

func orDefault(v int32, def int) int {
	if v == 0 {
		return def
	}
	return int(v)
}

// CheckSync reports directory synchronisation.
func (s *Service) CheckSync(ctx context.Context, req *identityv1.CheckSyncRequest) (*identityv1.CheckSyncResponse, error) {
	if s.graph == nil {
		return nil, errNotConfigured
	}
	staleAfter := checks.DefaultStaleAfter
	if d := req.GetStaleAfter(); d != nil {
		staleAfter = d.AsDuration()
	}
	rep, findings, err := checks.Sync(ctx, s.graph, checks.SyncOptions{Now: s.now, StaleAfter: staleAfter})
	if err != nil {
		return nil, s.graphError(ctx, err)
	}
	return &identityv1.CheckSyncResponse{Report: syncReportProto(rep, staleAfter), Findings: findings}, nil
}

// CheckSspr reports self-service password reset readiness.
func (s *Service) CheckSspr(ctx context.Context, req *identityv1.CheckSsprRequest) (*identityv1.CheckSsprResponse, error) {
	if s.graph == nil {
		return nil, errNotConfigured
	}
	maxListed := orDefault(req.GetMaxListed(), defaultMaxListed)
	rep, findings, err := checks.SSPR(ctx, s.graph, checks.SSPROptions{MaxListed: maxListed})
	if err != nil {
		return nil, s.graphError(ctx, err)
	}
	return &identityv1.CheckSsprResponse{Report: ssprReportProto(rep, maxListed), Findings: findings}, nil
}

// CheckAdmins reports the holders of privileged roles and what protects them.
func (s *Service) CheckAdmins(ctx context.Context, req *identityv1.CheckAdminsRequest) (*identityv1.CheckAdminsResponse, error) {
	if s.graph == nil {
		return nil, errNotConfigured
	}
	rep, findings, err := checks.Admins(ctx, s.graph, checks.AdminOptions{
		MinGlobalAdmins: orDefault(req.GetMinGlobalAdmins(), defaultMinGAs),
		MaxGlobalAdmins: orDefault(req.GetMaxGlobalAdmins(), defaultMaxGAs),
	})
	if err != nil {
		return nil, s.graphError(ctx, err)
	}
	return &identityv1.CheckAdminsResponse{Report: adminReportProto(rep), Findings: findings}, nil
}

// CheckLegacyAuthentication reports whether legacy authentication is blocked and who uses it.
func (s *Service) CheckLegacyAuthentication(ctx context.Context, req *identityv1.CheckLegacyAuthenticationRequest) (*identityv1.CheckLegacyAuthenticationResponse, error) {
	if s.graph == nil {
		return nil, errNotConfigured
	}
	maxListed := orDefault(req.GetMaxListed(), defaultMaxListed)
	rep, findings, err := checks.LegacyAuth(ctx, s.graph, checks.LegacyAuthOptions{Days: int(req.GetDays()), Now: s.now, MaxListed: maxListed})
	if err != nil {
		return nil, s.graphError(ctx, err)
	}
	return &identityv1.CheckLegacyAuthenticationResponse{Report: legacyReportProto(rep, maxListed), Findings: findings}, nil
}

// CheckSecureScore reports Microsoft Secure Score and the identity improvement actions.
func (s *Service) CheckSecureScore(ctx context.Context, req *identityv1.CheckSecureScoreRequest) (*identityv1.CheckSecureScoreResponse, error) {
	if s.graph == nil {
		return nil, errNotConfigured
	}
	rep, findings, err := checks.SecureScore(ctx, s.graph, checks.SecureScoreOptions{Days: int(req.GetDays()), MaxActions: int(req.GetMaxActions())})
	if err != nil {
		return nil, s.graphError(ctx, err)
	}
	return &identityv1.CheckSecureScoreResponse{Report: scoreReportProto(rep), Findings: findings}, nil
}

// timestamp is unset for the zero time, which the reports use for "none".
func timestamp(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func optBool(b *bool) *bool {
	if b == nil {
		return nil
	}
	v := *b
	return &v
}

func firstN[T any](items []T, n int) []T {
	if len(items) > n {
		return items[:n]
	}
	return items
}

func unavailableProto(us []checks.Unavailable) []*identityv1.UnavailableSource {
	out := make([]*identityv1.UnavailableSource, 0, len(us))
	for _, u := range us {
		p := &identityv1.UnavailableSource{Source: u.Source, Permission: u.Permission, Reason: u.Reason()}
		switch u.Licence {
		case "P2":
			p.Licence = identityv1.EntraLicence_ENTRA_LICENCE_P2
		case "":
		default:
			p.Licence = identityv1.EntraLicence_ENTRA_LICENCE_P1
		}
		if u.Err != nil {
			p.Detail = u.Err.Error()
		}
		out = append(out, p)
	}
	return out
}

func syncReportProto(r *checks.SyncReport, staleAfter time.Duration) *identityv1.SyncReport {
	out := &identityv1.SyncReport{
		TenantId:     r.TenantID,
		DisplayName:  r.DisplayName,
		Enabled:      r.Enabled,
		Stale:        r.Stale,
		StaleAfter:   durationpb.New(staleAfter),
		LastSyncTime: timestamp(r.LastSync),
		Unavailable:  unavailableProto(r.Unavailable),
	}
	if !r.LastSync.IsZero() {
		out.SinceLastSync = durationpb.New(r.SinceLastSync)
	}
	if c := r.Configuration; c != nil {
		pc := &identityv1.SyncConfiguration{
			Id:                           c.ID,
			PasswordHashSync:             c.PasswordHashSync,
			PasswordWritebackReported:    c.PasswordWritebackReported,
			AccidentalDeletionPrevention: c.AccidentalDeletionPrevention,
			AccidentalDeletionThreshold:  int32(c.AccidentalDeletionThreshold),
		}
		for _, f := range c.Features {
			pc.Features = append(pc.Features, &identityv1.SyncFeature{Name: f.Name, Enabled: f.Enabled})
		}
		out.Configuration = pc
	}
	if u := r.Users; u != nil {
		out.Users = &identityv1.UserCounts{
			Total: int32(u.Total), Members: int32(u.Members), Guests: int32(u.Guests),
			Synced: int32(u.Synced), CloudOnly: int32(u.CloudOnly), FormerlySynced: int32(u.FormerlySynced),
			DisabledSynced: int32(u.DisabledSynced),
		}
	}
	return out
}

var ssprScopes = map[string]identityv1.SsprScope{
	checks.ScopeUnknown:  identityv1.SsprScope_SSPR_SCOPE_UNKNOWN,
	checks.ScopeNone:     identityv1.SsprScope_SSPR_SCOPE_NONE,
	checks.ScopeSelected: identityv1.SsprScope_SSPR_SCOPE_SELECTED,
	checks.ScopeAll:      identityv1.SsprScope_SSPR_SCOPE_ALL,
}

func ssprReportProto(r *checks.SSPRReport, maxListed int) *identityv1.SsprReport {
	s := r.Scope
	out := &identityv1.SsprReport{
		Members:              int32(r.Members),
		Registered:           int32(r.Registered),
		Enabled:              int32(r.Enabled),
		Capable:              int32(r.Capable),
		EnabledNotRegistered: int32(r.EnabledNotRegistered),
		NotRegistered:        firstN(r.NotRegistered, maxListed),
		Admins:               int32(r.Admins),
		AdminsRegistered:     int32(r.AdminsRegistered),
		InferredScope: &identityv1.InferredSsprScope{
			Scope:        ssprScopes[s.Scope],
			Inferred:     true, // whatever the check says: the SSPR policy is never read
			GroupId:      s.GroupID,
			GroupName:    s.GroupName,
			Exact:        s.Exact,
			GroupMembers: int32(s.GroupMembers),
			GroupEnabled: int32(s.GroupEnabled),
			Basis:        s.Basis,
		},
		AdminSsprAllowed: optBool(r.AdminSSPRAllowed),
		Unavailable:      unavailableProto(r.Unavailable),
	}
	if p := r.MethodsPolicy; p != nil {
		mp := &identityv1.AuthenticationMethodsPolicy{
			MigrationState:       p.MigrationState,
			ReconfirmationInDays: int32(p.ReconfirmationInDays),
			LastModifiedTime:     timestamp(p.LastModified),
		}
		if c := p.Campaign; c != nil {
			mp.RegistrationCampaign = &identityv1.RegistrationCampaign{
				State:                c.State,
				SnoozeDurationInDays: int32(c.SnoozeDurationInDays),
				IncludeTargets:       campaignTargets(c.IncludeTargets),
				ExcludeTargets:       campaignTargets(c.ExcludeTargets),
			}
		}
		for _, m := range p.Methods {
			mp.Methods = append(mp.Methods, &identityv1.AuthenticationMethodState{Id: m.ID, State: m.State})
		}
		out.MethodsPolicy = mp
	}
	return out
}

func campaignTargets(ts []graphclient.CampaignTarget) []*identityv1.CampaignTarget {
	var out []*identityv1.CampaignTarget
	for _, t := range ts {
		out = append(out, &identityv1.CampaignTarget{Id: t.ID, TargetType: t.TargetType, TargetMethod: t.Method})
	}
	return out
}

var (
	principalTypes = map[string]identityv1.PrincipalType{
		"user":             identityv1.PrincipalType_PRINCIPAL_TYPE_USER,
		"servicePrincipal": identityv1.PrincipalType_PRINCIPAL_TYPE_SERVICE_PRINCIPAL,
		"unknown":          identityv1.PrincipalType_PRINCIPAL_TYPE_UNSPECIFIED,
	}
	perUserStates = map[string]identityv1.PerUserMfaState{
		"disabled": identityv1.PerUserMfaState_PER_USER_MFA_STATE_DISABLED,
		"enabled":  identityv1.PerUserMfaState_PER_USER_MFA_STATE_ENABLED,
		"enforced": identityv1.PerUserMfaState_PER_USER_MFA_STATE_ENFORCED,
	}
	controlKinds = map[string]identityv1.MfaControlKind{
		checks.ControlSecurityDefaults:  identityv1.MfaControlKind_MFA_CONTROL_KIND_SECURITY_DEFAULTS,
		checks.ControlConditionalAccess: identityv1.MfaControlKind_MFA_CONTROL_KIND_CONDITIONAL_ACCESS,
		checks.ControlPerUserMFA:        identityv1.MfaControlKind_MFA_CONTROL_KIND_PER_USER_MFA,
	}
	caStates = map[string]identityv1.ConditionalAccessState{
		graphclient.CAEnabled:    identityv1.ConditionalAccessState_CONDITIONAL_ACCESS_STATE_ENABLED,
		graphclient.CADisabled:   identityv1.ConditionalAccessState_CONDITIONAL_ACCESS_STATE_DISABLED,
		graphclient.CAReportOnly: identityv1.ConditionalAccessState_CONDITIONAL_ACCESS_STATE_REPORT_ONLY,
	}
)

func adminReportProto(r *checks.AdminReport) *identityv1.AdminReport {
	out := &identityv1.AdminReport{
		GlobalAdmins:     int32(r.GlobalAdmins),
		SecurityDefaults: optBool(r.SecurityDefaults),
		Unavailable:      unavailableProto(r.Unavailable),
	}
	for _, a := range r.Admins {
		out.Admins = append(out.Admins, adminProto(a))
	}
	for _, p := range r.Policies {
		out.ConditionalAccessPolicies = append(out.ConditionalAccessPolicies, &identityv1.ConditionalAccessPolicy{
			Id:                     p.ID,
			DisplayName:            p.DisplayName,
			State:                  caStates[p.State],
			IncludeUsers:           p.IncludeUsers,
			ExcludeUsers:           p.ExcludeUsers,
			IncludeGroups:          p.IncludeGroups,
			ExcludeGroups:          p.ExcludeGroups,
			IncludeRoles:           p.IncludeRoles,
			ExcludeRoles:           p.ExcludeRoles,
			IncludeApplications:    p.IncludeApplications,
			ClientAppTypes:         p.ClientAppTypes,
			GrantOperator:          p.GrantOperator,
			BuiltInControls:        p.BuiltInControls,
			AuthenticationStrength: p.AuthenticationStrength,
		})
	}
	return out
}

func adminProto(a *checks.Admin) *identityv1.Admin {
	typ, ok := principalTypes[a.Type]
	if !ok {
		typ = identityv1.PrincipalType_PRINCIPAL_TYPE_OTHER
	}
	out := &identityv1.Admin{
		Id:                a.ID,
		UserPrincipalName: a.UserPrincipalName,
		DisplayName:       a.DisplayName,
		Type:              typ,
		AccountEnabled:    a.AccountEnabled,
		Synced:            a.Synced,
		GlobalAdmin:       a.GlobalAdmin(),
		RegistrationKnown: a.RegistrationKnown,
		MfaRegistered:     a.MFARegistered,
		Methods:           a.Methods,
		PhishingResistant: a.PhishingResistant,
		PerUserMfa:        perUserStates[a.PerUserMFA],
		EnforcementKnown:  a.EnforcementKnown,
		MfaEnforcedBy:     mfaControls(a.EnforcedByControls),
		MfaGaps:           mfaControls(a.GapControls),
	}
	for _, h := range a.Roles {
		state := identityv1.RoleAssignmentState_ROLE_ASSIGNMENT_STATE_ACTIVE
		if h.Eligible {
			state = identityv1.RoleAssignmentState_ROLE_ASSIGNMENT_STATE_ELIGIBLE
		}
		out.Roles = append(out.Roles, &identityv1.HeldRole{RoleId: h.RoleID, RoleName: h.RoleName, State: state, ViaGroupName: h.ViaGroup, DirectoryScopeId: h.Scope})
	}
	return out
}

func mfaControls(cs []checks.MFAControl) []*identityv1.MfaControl {
	var out []*identityv1.MfaControl
	for _, c := range cs {
		out = append(out, &identityv1.MfaControl{Kind: controlKinds[c.Kind], PolicyId: c.PolicyID, PolicyName: c.PolicyName, Detail: c.Detail, Description: c.Text})
	}
	return out
}

func legacyReportProto(r *checks.LegacyAuthReport, maxListed int) *identityv1.LegacyAuthenticationReport {
	out := &identityv1.LegacyAuthenticationReport{
		SecurityDefaults:  optBool(r.SecurityDefaults),
		Blocked:           r.Blocked,
		SignInsRead:       r.SignInsRead,
		SinceTime:         timestamp(r.Since),
		SignIns:           int32(r.SignIns),
		SuccessfulSignIns: int32(r.Successful),
		ByClient:          usageProto(r.ByClient),
		Users:             int32(len(r.ByUser)),
		ByUser:            usageProto(firstN(r.ByUser, maxListed)),
		Unavailable:       unavailableProto(r.Unavailable),
	}
	for _, p := range r.Policies {
		out.Policies = append(out.Policies, &identityv1.LegacyBlockPolicy{
			Id: p.ID, DisplayName: p.Name, State: caStates[p.State], ClientAppTypes: p.Types,
			AllUsers: p.AllUsers, Gaps: p.Gaps, Excluded: p.Excluded, Effect: p.Effect,
		})
	}
	return out
}

func usageProto(us []checks.UsageCount) []*identityv1.LegacyUsage {
	var out []*identityv1.LegacyUsage
	for _, u := range us {
		out = append(out, &identityv1.LegacyUsage{Name: u.Name, SignIns: int32(u.SignIns), SuccessfulSignIns: int32(u.Success), ClientApps: u.Clients, LastSeenTime: timestamp(u.LastSeen)})
	}
	return out
}

func scoreReportProto(r *checks.SecureScoreReport) *identityv1.SecureScoreReport {
	out := &identityv1.SecureScoreReport{
		CurrentScore: r.Current,
		MaxScore:     r.Max,
		Percentage:   r.Percentage,
		SnapshotTime: timestamp(r.Date),
		Change:       r.Change,
		Unavailable:  unavailableProto(r.Unavailable),
	}
	for _, p := range r.History {
		out.History = append(out.History, &identityv1.SecureScorePoint{Time: timestamp(p.Date), Score: p.Score, MaxScore: p.Max})
	}
	for _, c := range r.Comparative {
		out.Comparative = append(out.Comparative, &identityv1.ComparativeScore{Basis: c.Basis, AverageScore: c.AverageScore})
	}
	for _, a := range r.Actions {
		out.Actions = append(out.Actions, &identityv1.SecureScoreAction{
			Id: a.ID, Title: a.Title, Score: a.Score, MaxScore: a.MaxScore, Gap: a.Gap, Rank: int32(a.Rank),
			UserImpact: a.UserImpact, ImplementationCost: a.ImplementationCost, Remediation: a.Remediation,
			Service: a.Service, Threats: a.Threats, State: a.State, ActionUrl: a.ActionURL,
		})
	}
	return out
}
