package graphclient_test

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hybridkit/hybridkit/services/identity/graphclient"
	"github.com/hybridkit/hybridkit/services/identity/graphemu"
)

func securityTenant(t testing.TB, sku string) *graphemu.Tenant {
	t.Helper()
	return graphemu.GenerateTenant("3a2b1c0d-9e8f-4a7b-8c6d-5e4f3a2b1c0d", "Tailspin Toys", graphemu.GenerateOptions{
		Users: 300, Seed: 7, SyncedPercent: 80, MFARegisteredPercent: 50, SSPRRegisteredPercent: 40,
		Admins: 30, Security: true, SignIns: 400, SSPRScope: "selected", SKU: sku,
	})
}

func userIDs(tn *graphemu.Tenant, n int) []string {
	var ids []string
	for _, u := range tn.Users[:n] {
		ids = append(ids, u.ID)
	}
	return ids
}

// TestBatchRetriesThrottledItems asks for 45 users' per-user MFA states (three beta $batch
// envelopes) under a budget that throttles most items: every item must come back, retried
// after its Retry-After.
func TestBatchRetriesThrottledItems(t *testing.T) {
	t.Parallel()
	tn := securityTenant(t, "SPE_E5")
	c, srv := newClient(t, tn, graphclient.Config{MaxRetries: 5}, graphemu.WithBudget(graphemu.Budget{Requests: 20, Per: time.Second}))
	ids := userIDs(tn, 45)
	states, err := c.PerUserMFAStates(ctx(t), ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(states) != 45 {
		t.Fatalf("%d states, want 45", len(states))
	}
	for _, id := range ids {
		want := tn.PerUserMFA[id]
		if want == "" {
			want = "disabled"
		}
		if states[id] != want {
			t.Errorf("%s: %q, want %q", id, states[id], want)
		}
	}
	var envelopes, items, throttled int
	for _, r := range srv.Requests() {
		switch {
		case r.Path == "/beta/$batch":
			envelopes++
		case r.InBatch:
			items++
			if r.Status == 429 {
				throttled++
				if r.RetryAfter != "1" {
					t.Errorf("throttled item with Retry-After %q", r.RetryAfter)
				}
			}
		}
	}
	st := c.Stats()
	if throttled == 0 || items != 45+throttled || st.Batched != int64(items) || st.Throttled != int64(throttled) || st.Retries != int64(throttled) || envelopes < 4 {
		t.Errorf("%d envelopes, %d items, %d throttled; stats %+v", envelopes, items, throttled, st)
	}
}

func TestBatchItemsThrottledBeyondRetries(t *testing.T) {
	t.Parallel()
	tn := securityTenant(t, "SPE_E5")
	c, srv := newClient(t, tn, graphclient.Config{MaxRetries: 1})
	if err := srv.Fail(tn.ID, graphemu.Throttled(1, time.Second), graphemu.Throttled(2, time.Second)); err != nil {
		t.Fatal(err)
	}
	_, err := c.PerUserMFAStates(ctx(t), userIDs(tn, 1))
	var gerr *graphclient.Error
	if !errors.As(err, &gerr) || !gerr.Throttled() || gerr.Attempts != 2 || gerr.RetryAfter != time.Second ||
		gerr.Path != "/beta/users/{id}/authentication/requirements" {
		t.Fatalf("err = %#v", err)
	}
}

func TestBatchRefusalsAndMissingObjects(t *testing.T) {
	t.Parallel()
	tn := securityTenant(t, "SPE_E5")
	tn.GrantedPermissions = slices.DeleteFunc(tn.GrantedPermissions, func(p string) bool { return strings.HasPrefix(p, "Policy.") })
	c, _ := newClient(t, tn, graphclient.Config{})
	_, err := c.PerUserMFAStates(ctx(t), userIDs(tn, 3))
	var perm *graphclient.PermissionError
	if !errors.As(err, &perm) || perm.Permission != "Policy.Read.All" || perm.Path != "/beta/users/{id}/authentication/requirements" {
		t.Errorf("per-user MFA without Policy.Read.All: %v", err)
	}

	// Objects Graph does not know are left out, not errors.
	ids := append(userIDs(tn, 2), "00000000-0000-4000-8000-0000000000ff")
	regs, err := c.UserRegistrationsByID(ctx(t), ids)
	if err != nil || len(regs) != 2 || regs[ids[0]].UserPrincipalName != tn.Users[0].UserPrincipalName || !regs[ids[0]].IsAdmin {
		t.Errorf("registrations %v, %v", regs, err)
	}
	groups, err := c.Groups(ctx(t), []string{tn.Groups[0].ID, "00000000-0000-4000-8000-0000000000ff"})
	if err != nil || len(groups) != 1 || groups[tn.Groups[0].ID] != (graphclient.GroupRef{ID: tn.Groups[0].ID, DisplayName: "Helpdesk Admins", IsAssignableToRole: true}) {
		t.Errorf("groups %v, %v", groups, err)
	}

	free := loadTenant(t, "no-premium")
	c, _ = newClient(t, free, graphclient.Config{})
	_, err = c.UserRegistrationsByID(ctx(t), []string{free.Users[0].ID})
	var lic *graphclient.LicenceError
	if !errors.As(err, &lic) || lic.Plan != "P1" {
		t.Errorf("registrations in a free tenant: %v", err)
	}
}

func TestRoleAssignmentsAndEligibility(t *testing.T) {
	t.Parallel()
	tn := securityTenant(t, "SPE_E5")
	c, srv := newClient(t, tn, graphclient.Config{}, graphemu.WithPageSize(2))
	gas, err := c.RoleAssignments(ctx(t), graphemu.RoleGlobalAdministrator)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range gas {
		if a.RoleDefinitionID != graphemu.RoleGlobalAdministrator || a.Eligible || a.Principal.Type != "user" || a.PrincipalID != a.Principal.ID {
			t.Errorf("assignment %+v", a)
		}
		names = append(names, a.Principal.UserPrincipalName)
	}
	if len(names) != 3 || names[0] != "breakglass1@tailspintoys.onmicrosoft.com" {
		t.Errorf("Global Administrators %q (page size 2: the client follows nextLink)", names)
	}
	var query string
	for _, r := range srv.Requests() {
		if r.Path == "/v1.0/roleManagement/directory/roleAssignments" {
			query = r.RawQuery
			break
		}
	}
	if v, _ := url.ParseQuery(query); v.Get("$filter") != "roleDefinitionId eq '"+graphemu.RoleGlobalAdministrator+"'" || v.Get("$expand") != "principal" {
		t.Errorf("query %q", query)
	}
	helpdesk, err := c.RoleAssignments(ctx(t), graphemu.RoleHelpdeskAdministrator)
	if err != nil {
		t.Fatal(err)
	}
	if p := helpdesk[0].Principal; p.Type != "group" || !p.IsAssignableToRole || p.DisplayName != "Helpdesk Admins" {
		t.Errorf("group principal %+v", p)
	}
	eligible, err := c.RoleEligibilities(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(eligible) != len(tn.RoleEligibilities) || !eligible[0].Eligible || eligible[0].Start.IsZero() || !eligible[0].End.IsZero() {
		t.Errorf("%d eligibilities, first %+v", len(eligible), eligible[0])
	}

	c, _ = newClient(t, securityTenant(t, "SPE_E3"), graphclient.Config{})
	_, err = c.RoleEligibilities(ctx(t))
	var lic *graphclient.LicenceError
	if !errors.As(err, &lic) || lic.Plan != "P2" || !strings.Contains(err.Error(), "Microsoft Entra ID P2") || lic.Err.StatusCode != 400 {
		t.Errorf("eligibility without P2: %v", err)
	}
}

func TestMembership(t *testing.T) {
	t.Parallel()
	tn := securityTenant(t, "SPE_E5")
	// A user in four groups, read with a page size of 2: the batch item's body has a next link.
	extra := []graphemu.Group{
		{ID: "c0000000-0000-4000-8000-000000000001", DisplayName: "Outer", SecurityEnabled: true, Members: []string{"c0000000-0000-4000-8000-000000000002"}},
		{ID: "c0000000-0000-4000-8000-000000000002", DisplayName: "Inner", SecurityEnabled: true, Members: []string{tn.Users[3].ID}},
	}
	tn.Groups = append(tn.Groups, extra...)
	c, _ := newClient(t, tn, graphclient.Config{}, graphemu.WithPageSize(2))
	of, err := c.TransitiveMemberOf(ctx(t), []string{tn.Users[3].ID, "00000000-0000-4000-8000-0000000000ff"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, g := range of[tn.Users[3].ID] {
		names = append(names, g.DisplayName)
	}
	slices.Sort(names)
	if want := []string{"Helpdesk Admins", "Inner", "Outer"}; !slices.Equal(names, want) || len(of) != 1 {
		t.Errorf("groups of user 3: %q, want %q (of %v)", names, want, of)
	}
	var members []string
	err = c.GroupMembers(ctx(t), extra[0].ID, true, func(p graphclient.Principal) error {
		members = append(members, p.Type+" "+p.Name())
		return nil
	})
	if err != nil || !slices.Equal(members, []string{"group Inner", "user " + tn.Users[3].UserPrincipalName}) {
		t.Errorf("transitive members %q, %v", members, err)
	}
}

func TestPoliciesAndSync(t *testing.T) {
	t.Parallel()
	tn := securityTenant(t, "SPE_E5")
	tn.AuthorizationPolicy = &graphemu.AuthorizationPolicy{AllowedToUseSSPR: false, BlockMsolPowerShell: true}
	c, _ := newClient(t, tn, graphclient.Config{})
	ap, err := c.AuthorizationPolicy(ctx(t))
	if err != nil || ap.AllowedToUseSSPR || !ap.BlockMsolPowerShell || ap.AllowInvitesFrom != "everyone" {
		t.Errorf("authorization policy %+v, %v", ap, err)
	}
	mp, err := c.AuthenticationMethodsPolicy(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if mp.MigrationState != "migrationComplete" || mp.ReconfirmationInDays != 180 || mp.Campaign.State != "default" ||
		mp.Campaign.IncludeTargets[0] != (graphclient.CampaignTarget{ID: "all_users", TargetType: "group", Method: "microsoftAuthenticator"}) ||
		mp.Method("MicrosoftAuthenticator") != "enabled" || mp.Method("Fido2") != "disabled" || mp.Method("Nope") != "" {
		t.Errorf("methods policy %+v", mp)
	}
	sd, err := c.SecurityDefaults(ctx(t))
	if err != nil || sd {
		t.Errorf("security defaults %v, %v", sd, err)
	}
	sync, err := c.SyncFeatures(ctx(t))
	if err != nil || !sync.PasswordHashSync || sync.PasswordWritebackReported || !sync.Feature("quarantineUponUpnConflictEnabled") ||
		sync.AccidentalDeletionPrevention != "enabledForCount" || sync.AccidentalDeletionThreshold != 500 || len(sync.Features) != 19 {
		t.Errorf("sync %+v, %v", sync, err)
	}
	policies, err := c.ConditionalAccessPolicies(ctx(t))
	if err != nil || len(policies) != 5 {
		t.Fatalf("%d policies, %v", len(policies), err)
	}
	admins, strength, legacy, pilot := policies[0], policies[1], policies[2], policies[3]
	if admins.State != graphclient.CAEnabled || !slices.Contains(admins.IncludeRoles, graphemu.RoleGlobalAdministrator) ||
		!slices.Equal(admins.ExcludeUsers, []string{tn.Users[0].ID}) || !slices.Equal(admins.BuiltInControls, []string{"mfa"}) ||
		admins.GrantOperator != "OR" || !slices.Equal(admins.ClientAppTypes, []string{"all"}) || !slices.Equal(admins.IncludeApplications, []string{"All"}) {
		t.Errorf("admin policy %+v", admins)
	}
	if strength.AuthenticationStrength != "Multifactor authentication" || strength.AuthenticationStrengthID != "00000000-0000-0000-0000-000000000002" || len(strength.AuthenticationStrengthCombos) == 0 {
		t.Errorf("strength policy %+v", strength)
	}
	if !slices.Equal(legacy.ClientAppTypes, []string{"exchangeActiveSync", "other"}) || !slices.Equal(legacy.BuiltInControls, []string{"block"}) || len(legacy.ExcludeGroups) != 1 {
		t.Errorf("legacy policy %+v", legacy)
	}
	if pilot.State != graphclient.CAReportOnly {
		t.Errorf("pilot state %q", pilot.State)
	}
}

func TestSignInsAndSecureScore(t *testing.T) {
	t.Parallel()
	tn := securityTenant(t, "SPE_E5")
	c, srv := newClient(t, tn, graphclient.Config{}, graphemu.WithPageSize(3))
	since := time.Date(2025, 5, 20, 0, 0, 0, 0, time.UTC)
	var got []graphclient.SignIn
	err := c.ListSignIns(ctx(t), graphclient.SignInQuery{Since: since, ClientApps: []string{"IMAP4", "O'Brien's client"}}, func(s graphclient.SignIn) error {
		got = append(got, s)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, s := range tn.SignIns {
		if s.ClientAppUsed == "IMAP4" && !s.CreatedDateTime.Before(since) {
			want++
		}
	}
	if len(got) != want || want == 0 || got[0].ClientAppUsed != "IMAP4" || got[0].UserPrincipalName == "" {
		t.Errorf("%d sign-ins, want %d: %+v", len(got), want, got)
	}
	var filter string
	for _, r := range srv.Requests() {
		if r.Path == "/v1.0/auditLogs/signIns" {
			v, _ := url.ParseQuery(r.RawQuery)
			filter = v.Get("$filter")
			break
		}
	}
	if filter != "createdDateTime ge 2025-05-20T00:00:00Z and (clientAppUsed eq 'IMAP4' or clientAppUsed eq 'O''Brien''s client')" {
		t.Errorf("filter %q", filter)
	}

	scores, err := c.SecureScores(ctx(t), 5)
	if err != nil || len(scores) != 5 {
		t.Fatalf("%d scores, %v", len(scores), err)
	}
	s := scores[0]
	if s.CurrentScore != 131 || s.MaxScore != 250 || fmt.Sprintf("%.1f", s.Percentage()) != "52.4" || s.Comparative[0] != (graphclient.ComparativeScore{Basis: "AllTenants", AverageScore: 38.92}) ||
		s.Controls[0].Name != "AdminMFAV2" || s.Controls[0].Score != 8 || s.Controls[0].ScoreInPercentage != 80 {
		t.Errorf("newest score %+v", s)
	}
	profiles, err := c.SecureScoreControlProfiles(ctx(t))
	if err != nil || len(profiles) != 13 {
		t.Fatalf("%d profiles, %v", len(profiles), err)
	}
	if p := profiles[0]; p.ID != "AdminMFAV2" || p.MaxScore != 10 || p.Rank != 1 || p.Category != "Identity" || p.UserImpact != "Low" || !strings.Contains(p.Remediation, "Conditional Access") {
		t.Errorf("first profile %+v", p)
	}
}
