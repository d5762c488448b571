package identity_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	identityv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/identity/v1"
	"github.com/hybridkit/hybridkit/services/identity/graphemu"
)

func loadTenant(t *testing.T, name string) *graphemu.Tenant {
	t.Helper()
	tn, err := graphemu.LoadTenant("checks/testdata/tenants/" + name + ".json")
	if err != nil {
		t.Fatal(err)
	}
	return tn
}

func revoke(tn *graphemu.Tenant, perms ...string) *graphemu.Tenant {
	tn.GrantedPermissions = slices.DeleteFunc(tn.GrantedPermissions, func(p string) bool { return slices.Contains(perms, p) })
	return tn
}

func callCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// wantIDs compares the findings' id:SEVERITY list and checks each finding is complete.
func wantIDs(t *testing.T, rpc string, fs []*identityv1.Finding, want string) {
	t.Helper()
	if got := findingIDs(fs); got != want {
		t.Errorf("%s findings:\n got  %s\n want %s", rpc, got, want)
	}
	for _, f := range fs {
		if f.GetTitle() == "" || len(f.GetEvidence()) == 0 || (f.GetSeverity() > identityv1.Severity_SEVERITY_INFO && f.GetRemediation() == "") {
			t.Errorf("%s: finding %s lacks title, evidence or remediation", rpc, f.GetId())
		}
	}
}

func adminByName(t *testing.T, r *identityv1.AdminReport, upn string) *identityv1.Admin {
	t.Helper()
	for _, a := range r.GetAdmins() {
		if a.GetUserPrincipalName() == upn || a.GetDisplayName() == upn {
			return a
		}
	}
	t.Fatalf("no admin %s", upn)
	return nil
}

func controls(cs []*identityv1.MfaControl) []string {
	var out []string
	for _, c := range cs {
		out = append(out, strings.TrimPrefix(c.GetKind().String(), "MFA_CONTROL_KIND_")+" "+c.GetPolicyId()+" "+c.GetDetail())
	}
	return out
}

func unavailable(us []*identityv1.UnavailableSource) []string {
	var out []string
	for _, u := range us {
		why := u.GetPermission()
		if u.GetLicence() != identityv1.EntraLicence_ENTRA_LICENCE_UNSPECIFIED {
			why += strings.TrimPrefix(u.GetLicence().String(), "ENTRA_LICENCE_")
		}
		out = append(out, u.GetSource()+": "+why)
	}
	return out
}

// TestChecksHealthy runs every check on the healthy fixture over gRPC.
func TestChecksHealthy(t *testing.T) {
	t.Parallel()
	c := startIdentity(t, loadTenant(t, "healthy"))
	ctx := callCtx(t)

	lic, err := c.CheckLicences(ctx, &identityv1.CheckLicencesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	wantIDs(t, "licences", lic.GetFindings(), "licences.premium:SEVERITY_INFO")
	if r := lic.GetReport(); !r.GetP2() || r.GetP1Seats().GetEnabled() != 25 || r.GetP1Seats().GetConsumed() != 9 {
		t.Errorf("licences %v", r)
	}

	sync, err := c.CheckSync(ctx, &identityv1.CheckSyncRequest{})
	if err != nil {
		t.Fatal(err)
	}
	wantIDs(t, "sync", sync.GetFindings(), "sync.healthy:SEVERITY_INFO,sync.writeback-unverifiable:SEVERITY_INFO")
	sr := sync.GetReport()
	if !sr.GetEnabled() || sr.GetStale() || sr.GetSinceLastSync().AsDuration() != 18*time.Minute || sr.GetStaleAfter().AsDuration() != 3*time.Hour ||
		!sr.GetLastSyncTime().AsTime().Equal(fixtureNow.Add(-18*time.Minute)) {
		t.Errorf("sync enabled %v stale %v since %v after %v last %v", sr.GetEnabled(), sr.GetStale(), sr.GetSinceLastSync().AsDuration(), sr.GetStaleAfter().AsDuration(), sr.GetLastSyncTime().AsTime())
	}
	if u := sr.GetUsers(); u.GetTotal() != 10 || u.GetSynced() != 3 || u.GetCloudOnly() != 6 || u.GetGuests() != 1 {
		t.Errorf("users %v", u)
	}
	if cf := sr.GetConfiguration(); !cf.GetPasswordHashSync() || cf.GetAccidentalDeletionPrevention() != "enabledForCount" || cf.GetAccidentalDeletionThreshold() != 500 || len(cf.GetFeatures()) == 0 {
		t.Errorf("configuration %v", cf)
	}

	sspr, err := c.CheckSspr(ctx, &identityv1.CheckSsprRequest{})
	if err != nil {
		t.Fatal(err)
	}
	wantIDs(t, "sspr", sspr.GetFindings(), "sspr.scope-inferred:SEVERITY_INFO")
	if r := sspr.GetReport(); r.GetMembers() != 4 || r.GetEnabled() != 4 || r.GetCapable() != 4 || r.GetAdmins() != 5 ||
		r.GetInferredScope().GetScope() != identityv1.SsprScope_SSPR_SCOPE_ALL || !r.GetInferredScope().GetInferred() ||
		r.AdminSsprAllowed == nil || !r.GetAdminSsprAllowed() || r.GetMethodsPolicy().GetMigrationState() != "migrationComplete" ||
		r.GetMethodsPolicy().GetRegistrationCampaign().GetState() != "enabled" {
		t.Errorf("sspr %v", r)
	}

	adm, err := c.CheckAdmins(ctx, &identityv1.CheckAdminsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	wantIDs(t, "admins", adm.GetFindings(), "")
	ar := adm.GetReport()
	if len(ar.GetAdmins()) != 5 || ar.GetGlobalAdmins() != 3 || ar.SecurityDefaults == nil || ar.GetSecurityDefaults() || len(ar.GetConditionalAccessPolicies()) != 3 {
		t.Errorf("admins: %d admins, %d GAs, security defaults %v, %d policies", len(ar.GetAdmins()), ar.GetGlobalAdmins(), ar.SecurityDefaults, len(ar.GetConditionalAccessPolicies()))
	}
	bob := adminByName(t, ar, "bob.admin@contoso.onmicrosoft.com")
	if r := bob.GetRoles(); len(r) != 1 || r[0].GetState() != identityv1.RoleAssignmentState_ROLE_ASSIGNMENT_STATE_ELIGIBLE || r[0].GetRoleName() != "Global Administrator" || !bob.GetGlobalAdmin() {
		t.Errorf("bob's roles %v", r)
	}
	carol := adminByName(t, ar, "carol.admin@contoso.onmicrosoft.com")
	if r := carol.GetRoles(); len(r) != 1 || r[0].GetViaGroupName() != "Security Admins" || r[0].GetState() != identityv1.RoleAssignmentState_ROLE_ASSIGNMENT_STATE_ACTIVE {
		t.Errorf("carol's roles %v", r)
	}
	want := []string{
		"CONDITIONAL_ACCESS d0000000-0000-4000-8000-000000000001 role Security Administrator",
		"CONDITIONAL_ACCESS d0000000-0000-4000-8000-000000000003 all users",
	}
	if got := controls(carol.GetMfaEnforcedBy()); !slices.Equal(got, want) || !carol.GetPhishingResistant() || !carol.GetMfaRegistered() ||
		carol.GetPerUserMfa() != identityv1.PerUserMfaState_PER_USER_MFA_STATE_DISABLED || carol.GetType() != identityv1.PrincipalType_PRINCIPAL_TYPE_USER {
		t.Errorf("carol enforced by %q, %v", got, carol)
	}
	if p := carol.GetMfaEnforcedBy()[0]; p.GetPolicyName() != "Require phishing-resistant MFA for admins" || !strings.HasPrefix(p.GetDescription(), "Conditional Access ") {
		t.Errorf("control %v", p)
	}

	leg, err := c.CheckLegacyAuthentication(ctx, &identityv1.CheckLegacyAuthenticationRequest{})
	if err != nil {
		t.Fatal(err)
	}
	wantIDs(t, "legacy", leg.GetFindings(), "legacy-auth.blocked:SEVERITY_INFO,legacy-auth.no-sign-ins:SEVERITY_INFO")
	lr := leg.GetReport()
	if !lr.GetBlocked() || !lr.GetSignInsRead() || lr.GetSignIns() != 0 || len(lr.GetPolicies()) != 1 || !lr.GetPolicies()[0].GetAllUsers() ||
		lr.GetPolicies()[0].GetState() != identityv1.ConditionalAccessState_CONDITIONAL_ACCESS_STATE_ENABLED ||
		!lr.GetSinceTime().AsTime().Equal(fixtureNow.AddDate(0, 0, -30)) {
		t.Errorf("legacy %v", lr)
	}

	score, err := c.CheckSecureScore(ctx, &identityv1.CheckSecureScoreRequest{})
	if err != nil {
		t.Fatal(err)
	}
	wantIDs(t, "score", score.GetFindings(), "secure-score.summary:SEVERITY_INFO")
	if r := score.GetReport(); r.GetCurrentScore() != 201.5 || r.GetMaxScore() != 250 || r.GetPercentage() != 80.6 || r.GetChange() != 2 ||
		len(r.GetHistory()) != 2 || len(r.GetActions()) != 6 || r.GetSnapshotTime() == nil {
		t.Errorf("score %v", r)
	}
}

// TestChecksProblems runs every check on the fixture with problems everywhere, with request
// parameters.
func TestChecksProblems(t *testing.T) {
	t.Parallel()
	c := startIdentity(t, loadTenant(t, "problems"))
	ctx := callCtx(t)

	lic, err := c.CheckLicences(ctx, &identityv1.CheckLicencesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	wantIDs(t, "licences", lic.GetFindings(), "licences.premium:SEVERITY_INFO,licences.no-p2:SEVERITY_LOW")

	sync, err := c.CheckSync(ctx, &identityv1.CheckSyncRequest{})
	if err != nil {
		t.Fatal(err)
	}
	wantIDs(t, "sync", sync.GetFindings(), "sync.stale:SEVERITY_HIGH,sync.writeback-unverifiable:SEVERITY_INFO,sync.no-password-hash-sync:SEVERITY_LOW,sync.deletion-prevention-off:SEVERITY_LOW")
	if r := sync.GetReport(); !r.GetStale() || r.GetSinceLastSync().AsDuration() != 30*time.Hour || r.GetUsers().GetFormerlySynced() != 1 || r.GetConfiguration().GetPasswordHashSync() {
		t.Errorf("sync %v", r)
	}
	// The last sync is 30 hours old: not stale when 2 days are allowed.
	sync, err = c.CheckSync(ctx, &identityv1.CheckSyncRequest{StaleAfter: durationpb.New(48 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if r := sync.GetReport(); r.GetStale() || r.GetStaleAfter().AsDuration() != 48*time.Hour || sync.GetFindings()[0].GetId() != "sync.healthy" {
		t.Errorf("stale after 48h: stale %v, findings %s", r.GetStale(), findingIDs(sync.GetFindings()))
	}

	sspr, err := c.CheckSspr(ctx, &identityv1.CheckSsprRequest{})
	if err != nil {
		t.Fatal(err)
	}
	wantIDs(t, "sspr", sspr.GetFindings(), "sspr.scope-inferred:SEVERITY_INFO,sspr.not-registered:SEVERITY_MEDIUM,sspr.admin-sspr-disabled:SEVERITY_LOW,"+
		"sspr.methods-not-migrated:SEVERITY_MEDIUM,sspr.registration-campaign-off:SEVERITY_LOW,sspr.phone-email-only:SEVERITY_LOW")
	sr := sspr.GetReport()
	if s := sr.GetInferredScope(); s.GetScope() != identityv1.SsprScope_SSPR_SCOPE_SELECTED || !s.GetInferred() || s.GetGroupName() != "SSPR Pilot" ||
		s.GetGroupId() != "b1000000-0000-4000-8000-000000000003" || !s.GetExact() || s.GetBasis() != "2 of 5 member users have isSsprEnabled = true" {
		t.Errorf("scope %v", s)
	}
	if !slices.Equal(sr.GetNotRegistered(), []string{"sam.ray@fabrikam.com"}) || sr.GetEnabledNotRegistered() != 1 || sr.AdminSsprAllowed == nil || sr.GetAdminSsprAllowed() {
		t.Errorf("sspr %v", sr)
	}

	adm, err := c.CheckAdmins(ctx, &identityv1.CheckAdminsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	wantIDs(t, "admins", adm.GetFindings(), "admins.no-mfa:SEVERITY_CRITICAL,admins.mfa-not-enforced:SEVERITY_HIGH,admins.not-phishing-resistant:SEVERITY_MEDIUM,"+
		"admins.too-many-global-admins:SEVERITY_MEDIUM,admins.synced:SEVERITY_HIGH,admins.service-principals:SEVERITY_LOW,admins.pim-unavailable:SEVERITY_INFO")
	ar := adm.GetReport()
	if ar.GetGlobalAdmins() != 5 || len(ar.GetAdmins()) != 9 {
		t.Errorf("%d GAs, %d admins", ar.GetGlobalAdmins(), len(ar.GetAdmins()))
	}
	if got := unavailable(ar.GetUnavailable()); !slices.Equal(got, []string{"PIM-eligible role assignments: P2"}) {
		t.Errorf("unavailable %q", got)
	}
	ops1 := adminByName(t, ar, "ops1@fabrikam.onmicrosoft.com")
	if got, want := controls(ops1.GetMfaEnforcedBy()), []string{"CONDITIONAL_ACCESS d1000000-0000-4000-8000-000000000002 role Global Administrator", "PER_USER_MFA  enforced"}; !slices.Equal(got, want) {
		t.Errorf("ops1 enforced by %q, want %q", got, want)
	}
	if ops1.GetPerUserMfa() != identityv1.PerUserMfaState_PER_USER_MFA_STATE_ENFORCED {
		t.Errorf("ops1 per-user MFA %v", ops1.GetPerUserMfa())
	}
	ops2 := adminByName(t, ar, "ops2@fabrikam.onmicrosoft.com")
	if got, want := controls(ops2.GetMfaGaps()), []string{
		"CONDITIONAL_ACCESS d1000000-0000-4000-8000-000000000001 is report-only",
		"CONDITIONAL_ACCESS d1000000-0000-4000-8000-000000000002 excluded as a user",
	}; len(ops2.GetMfaEnforcedBy()) != 0 || !slices.Equal(got, want) {
		t.Errorf("ops2 enforced by %q, gaps %q", controls(ops2.GetMfaEnforcedBy()), got)
	}
	if root := adminByName(t, ar, "root@fabrikam.com"); !root.GetSynced() {
		t.Errorf("root not synced: %v", root)
	}
	if sp := adminByName(t, ar, "Provisioning Connector"); sp.GetType() != identityv1.PrincipalType_PRINCIPAL_TYPE_SERVICE_PRINCIPAL {
		t.Errorf("service principal %v", sp)
	}
	// Five Global Administrators are fine when up to six are allowed.
	adm, err = c.CheckAdmins(ctx, &identityv1.CheckAdminsRequest{MaxGlobalAdmins: 6})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(findingIDs(adm.GetFindings()), "too-many-global-admins") {
		t.Errorf("max 6: %s", findingIDs(adm.GetFindings()))
	}

	leg, err := c.CheckLegacyAuthentication(ctx, &identityv1.CheckLegacyAuthenticationRequest{MaxListed: 1})
	if err != nil {
		t.Fatal(err)
	}
	wantIDs(t, "legacy", leg.GetFindings(), "legacy-auth.not-blocked:SEVERITY_HIGH,legacy-auth.partial:SEVERITY_MEDIUM,legacy-auth.policy-not-enforced:SEVERITY_LOW,legacy-auth.sign-ins:SEVERITY_HIGH")
	lr := leg.GetReport()
	var clients []string
	for _, u := range lr.GetByClient() {
		clients = append(clients, u.GetName())
	}
	if lr.GetBlocked() || lr.GetSignIns() != 5 || lr.GetSuccessfulSignIns() != 4 || !slices.Equal(clients, []string{"IMAP4", "Authenticated SMTP", "Exchange ActiveSync", "POP3"}) {
		t.Errorf("legacy blocked %v, %d sign-ins, %d successful, clients %q", lr.GetBlocked(), lr.GetSignIns(), lr.GetSuccessfulSignIns(), clients)
	}
	if u := lr.GetByUser(); lr.GetUsers() < 2 || len(u) != 1 || u[0].GetName() != "scanner@fabrikam.com" || u[0].GetSignIns() != 3 ||
		!slices.Equal(u[0].GetClientApps(), []string{"Authenticated SMTP", "IMAP4"}) || u[0].GetLastSeenTime() == nil {
		t.Errorf("%d users, listed %v", lr.GetUsers(), u)
	}
	states := map[identityv1.ConditionalAccessState]int{}
	for _, p := range lr.GetPolicies() {
		states[p.GetState()]++
	}
	if states[identityv1.ConditionalAccessState_CONDITIONAL_ACCESS_STATE_REPORT_ONLY] != 1 || states[identityv1.ConditionalAccessState_CONDITIONAL_ACCESS_STATE_ENABLED] != 1 {
		t.Errorf("legacy policies %v", lr.GetPolicies())
	}

	score, err := c.CheckSecureScore(ctx, &identityv1.CheckSecureScoreRequest{MaxActions: 2, Days: 7})
	if err != nil {
		t.Fatal(err)
	}
	wantIDs(t, "score", score.GetFindings(), "secure-score.summary:SEVERITY_INFO,secure-score.declined:SEVERITY_LOW,"+
		"secure-score.action.AdminMFAV2:SEVERITY_MEDIUM,secure-score.action.BlockLegacyAuthentication:SEVERITY_MEDIUM")
	scr := score.GetReport()
	var ranked []string
	for _, a := range scr.GetActions() {
		ranked = append(ranked, a.GetId())
	}
	if want := []string{"AdminMFAV2", "BlockLegacyAuthentication", "SigninRiskPolicy", "MFARegistrationV2", "PasswordHashSync", "SelfServicePasswordReset", "OneAdmin"}; !slices.Equal(ranked, want) {
		t.Errorf("ranked %q, want %q", ranked, want)
	}
	if a := scr.GetActions()[0]; a.GetGap() != 8 || a.GetScore() != 2 || a.GetRemediation() != "Require MFA for every admin role & review exclusions." || scr.GetChange() != -9.5 {
		t.Errorf("first action %v, change %v", a, scr.GetChange())
	}
}

// TestChecksNoPremium runs every check on a tenant without Entra ID P1: the premium sources are
// reported unavailable, naming the licence.
func TestChecksNoPremium(t *testing.T) {
	t.Parallel()
	c := startIdentity(t, loadTenant(t, "no-premium"))
	ctx := callCtx(t)

	lic, err := c.CheckLicences(ctx, &identityv1.CheckLicencesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	wantIDs(t, "licences", lic.GetFindings(), "licences.no-premium:SEVERITY_HIGH")

	sync, err := c.CheckSync(ctx, &identityv1.CheckSyncRequest{})
	if err != nil {
		t.Fatal(err)
	}
	wantIDs(t, "sync", sync.GetFindings(), "sync.not-enabled:SEVERITY_INFO")
	if r := sync.GetReport(); r.GetEnabled() || r.GetLastSyncTime() != nil || r.GetSinceLastSync() != nil {
		t.Errorf("sync %v", r)
	}

	sspr, err := c.CheckSspr(ctx, &identityv1.CheckSsprRequest{})
	if err != nil {
		t.Fatal(err)
	}
	wantIDs(t, "sspr", sspr.GetFindings(), "sspr.registrations-unavailable:SEVERITY_MEDIUM")
	sr := sspr.GetReport()
	if got := unavailable(sr.GetUnavailable()); !slices.Equal(got, []string{"the authentication-method registration report: P1"}) ||
		sr.GetInferredScope().GetScope() != identityv1.SsprScope_SSPR_SCOPE_UNKNOWN || !sr.GetInferredScope().GetInferred() {
		t.Errorf("sspr unavailable %q, scope %v", got, sr.GetInferredScope())
	}
	if u := sr.GetUnavailable()[0]; !strings.Contains(u.GetReason(), "P1 or P2") || u.GetDetail() == "" {
		t.Errorf("unavailable %v", u)
	}

	adm, err := c.CheckAdmins(ctx, &identityv1.CheckAdminsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	wantIDs(t, "admins", adm.GetFindings(), "admins.too-few-global-admins:SEVERITY_MEDIUM,admins.pim-unavailable:SEVERITY_INFO,admins.registrations-unavailable:SEVERITY_MEDIUM")
	ar := adm.GetReport()
	if got := unavailable(ar.GetUnavailable()); !slices.Equal(got, []string{"PIM-eligible role assignments: P2", "the authentication-method registration report: P1"}) {
		t.Errorf("admins unavailable %q", got)
	}
	owner := adminByName(t, ar, "owner@northwindtraders.onmicrosoft.com")
	if got := controls(owner.GetMfaEnforcedBy()); len(got) != 1 || !strings.HasPrefix(got[0], "SECURITY_DEFAULTS ") || owner.GetRegistrationKnown() || !ar.GetSecurityDefaults() {
		t.Errorf("owner enforced by %q, %v", got, owner)
	}

	leg, err := c.CheckLegacyAuthentication(ctx, &identityv1.CheckLegacyAuthenticationRequest{})
	if err != nil {
		t.Fatal(err)
	}
	wantIDs(t, "legacy", leg.GetFindings(), "legacy-auth.blocked:SEVERITY_INFO,legacy-auth.sign-ins-unavailable:SEVERITY_LOW")
	if r := leg.GetReport(); r.GetSignInsRead() || !r.GetBlocked() || !slices.Equal(unavailable(r.GetUnavailable()), []string{"the sign-in logs: P1"}) {
		t.Errorf("legacy %v", r)
	}

	score, err := c.CheckSecureScore(ctx, &identityv1.CheckSecureScoreRequest{})
	if err != nil {
		t.Fatal(err)
	}
	wantIDs(t, "score", score.GetFindings(), "secure-score.summary:SEVERITY_INFO")
	if r := score.GetReport(); r.GetCurrentScore() != 40 || r.GetMaxScore() != 180 || len(r.GetHistory()) != 1 {
		t.Errorf("score %v", r)
	}
}

// errorInfo is the reason and metadata of err's ErrorInfo.
func errorInfo(err error) (string, map[string]string) {
	for _, d := range status.Convert(err).Details() {
		if ei, ok := d.(*errdetails.ErrorInfo); ok {
			return ei.GetReason(), ei.GetMetadata()
		}
	}
	return "", nil
}

// calls invokes each RPC with an empty request.
var calls = map[string]func(context.Context, identityv1.IdentityServiceClient) error{
	"CheckLicences": func(ctx context.Context, c identityv1.IdentityServiceClient) error {
		_, err := c.CheckLicences(ctx, &identityv1.CheckLicencesRequest{})
		return err
	},
	"CheckSync": func(ctx context.Context, c identityv1.IdentityServiceClient) error {
		_, err := c.CheckSync(ctx, &identityv1.CheckSyncRequest{})
		return err
	},
	"CheckSspr": func(ctx context.Context, c identityv1.IdentityServiceClient) error {
		_, err := c.CheckSspr(ctx, &identityv1.CheckSsprRequest{})
		return err
	},
	"CheckAdmins": func(ctx context.Context, c identityv1.IdentityServiceClient) error {
		_, err := c.CheckAdmins(ctx, &identityv1.CheckAdminsRequest{})
		return err
	},
	"CheckLegacyAuthentication": func(ctx context.Context, c identityv1.IdentityServiceClient) error {
		_, err := c.CheckLegacyAuthentication(ctx, &identityv1.CheckLegacyAuthenticationRequest{})
		return err
	},
	"CheckSecureScore": func(ctx context.Context, c identityv1.IdentityServiceClient) error {
		_, err := c.CheckSecureScore(ctx, &identityv1.CheckSecureScoreRequest{})
		return err
	},
}

// TestChecksPermissionDenied: a check whose core source the app may not read answers
// PermissionDenied naming the permission.
func TestChecksPermissionDenied(t *testing.T) {
	t.Parallel()
	// One tenant without any of the core permissions; the SSPR check has no core source and
	// reports what it could not read instead.
	c := startIdentity(t, revoke(loadTenant(t, "healthy"), "Organization.Read.All", "RoleManagement.Read.Directory", "Policy.Read.All", "SecurityEvents.Read.All"))
	for rpc, perm := range map[string]string{
		"CheckLicences":             "Organization.Read.All",
		"CheckSync":                 "Organization.Read.All",
		"CheckAdmins":               "RoleManagement.Read.Directory",
		"CheckLegacyAuthentication": "Policy.Read.All",
		"CheckSecureScore":          "SecurityEvents.Read.All",
	} {
		err := calls[rpc](callCtx(t), c)
		st := status.Convert(err)
		reason, md := errorInfo(err)
		if st.Code() != codes.PermissionDenied || !strings.Contains(st.Message(), perm) || reason != "GRAPH_PERMISSION_MISSING" || md["permission"] != perm {
			t.Errorf("%s: %v (reason %s, %v), want PermissionDenied for %s", rpc, err, reason, md, perm)
		}
	}
	resp, err := c.CheckSspr(callCtx(t), &identityv1.CheckSsprRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if got := unavailable(resp.GetReport().GetUnavailable()); !slices.Equal(got, []string{"the authorization policy: Policy.Read.All"}) {
		t.Errorf("sspr unavailable %q", got)
	}
}

func TestChecksNotConfigured(t *testing.T) {
	t.Parallel()
	c := startIdentity(t, nil)
	for rpc, call := range calls {
		err := call(callCtx(t), c)
		if reason, _ := errorInfo(err); status.Code(err) != codes.FailedPrecondition || reason != "GRAPH_NOT_CONFIGURED" {
			t.Errorf("%s: %v", rpc, err)
		}
	}
}

func TestChecksValidation(t *testing.T) {
	t.Parallel()
	// No tenant: a valid request would answer FailedPrecondition, so InvalidArgument shows the
	// validator ran first.
	c := startIdentity(t, nil)
	ctx := callCtx(t)
	for _, tc := range []struct {
		name  string
		call  func() error
		field string
	}{
		{"stale_after too short", func() error {
			_, err := c.CheckSync(ctx, &identityv1.CheckSyncRequest{StaleAfter: durationpb.New(time.Minute)})
			return err
		}, "stale_after"},
		{"stale_after invalid", func() error {
			_, err := c.CheckSync(ctx, &identityv1.CheckSyncRequest{StaleAfter: &durationpb.Duration{Seconds: 3600, Nanos: -1}})
			return err
		}, "stale_after"},
		{"sspr max_listed negative", func() error {
			_, err := c.CheckSspr(ctx, &identityv1.CheckSsprRequest{MaxListed: -1})
			return err
		}, "max_listed"},
		{"max below default min", func() error {
			_, err := c.CheckAdmins(ctx, &identityv1.CheckAdminsRequest{MaxGlobalAdmins: 1})
			return err
		}, "max_global_admins"},
		{"min too high", func() error {
			_, err := c.CheckAdmins(ctx, &identityv1.CheckAdminsRequest{MinGlobalAdmins: 101})
			return err
		}, "min_global_admins"},
		{"sign-in days beyond retention", func() error {
			_, err := c.CheckLegacyAuthentication(ctx, &identityv1.CheckLegacyAuthenticationRequest{Days: 31})
			return err
		}, "days"},
		{"legacy max_listed too high", func() error {
			_, err := c.CheckLegacyAuthentication(ctx, &identityv1.CheckLegacyAuthenticationRequest{MaxListed: 10001})
			return err
		}, "max_listed"},
		{"score days", func() error {
			_, err := c.CheckSecureScore(ctx, &identityv1.CheckSecureScoreRequest{Days: 91})
			return err
		}, "days"},
		{"score max_actions", func() error {
			_, err := c.CheckSecureScore(ctx, &identityv1.CheckSecureScoreRequest{MaxActions: -3})
			return err
		}, "max_actions"},
	} {
		err := tc.call()
		var fields []string
		for _, d := range status.Convert(err).Details() {
			if br, ok := d.(*errdetails.BadRequest); ok {
				for _, v := range br.GetFieldViolations() {
					fields = append(fields, v.GetField())
				}
			}
		}
		if status.Code(err) != codes.InvalidArgument || !slices.Equal(fields, []string{tc.field}) {
			t.Errorf("%s: %v (fields %q)", tc.name, err, fields)
		}
	}
	// The bounds themselves are accepted.
	_, err := c.CheckAdmins(ctx, &identityv1.CheckAdminsRequest{MinGlobalAdmins: 1, MaxGlobalAdmins: 1})
	if status.Code(err) != codes.FailedPrecondition {
		t.Errorf("min = max = 1: %v", err)
	}
}
