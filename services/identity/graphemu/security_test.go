package graphemu_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hybridkit/hybridkit/services/identity/graphemu"
)

const securityTenantID = "3a2b1c0d-9e8f-4a7b-8c6d-5e4f3a2b1c0d"

// securityTenant is a small generated tenant with everything the checks read.
func securityTenant(t *testing.T, sku string) *graphemu.Tenant {
	t.Helper()
	return graphemu.GenerateTenant(securityTenantID, "Tailspin Toys", graphemu.GenerateOptions{
		Users: 300, Seed: 7, SyncedPercent: 80, MFARegisteredPercent: 50, SSPRRegisteredPercent: 40,
		Admins: 20, Security: true, SignIns: 400, SSPRScope: "selected", SKU: sku,
	})
}

func q(s string) string { return url.QueryEscape(s) }

func TestFilterExpressions(t *testing.T) {
	t.Parallel()
	tn := securityTenant(t, "SPE_E5")
	srv := graphemu.Start(t, tn)
	since := time.Date(2025, 5, 20, 0, 0, 0, 0, time.UTC)
	count := func(pred func(graphemu.SignIn) bool) int {
		n := 0
		for _, s := range tn.SignIns {
			if pred(s) {
				n++
			}
		}
		return n
	}
	legacy := func(s graphemu.SignIn) bool { return s.ClientAppUsed == "IMAP4" || s.ClientAppUsed == "POP3" }
	tests := []struct {
		filter string
		want   int
	}{
		{"clientAppUsed eq 'imap4'", count(func(s graphemu.SignIn) bool { return s.ClientAppUsed == "IMAP4" })},
		{"createdDateTime ge 2025-05-20T00:00:00Z", count(func(s graphemu.SignIn) bool { return !s.CreatedDateTime.Before(since) })},
		{"createdDateTime lt 2025-05-20T00:00:00Z", count(func(s graphemu.SignIn) bool { return s.CreatedDateTime.Before(since) })},
		{"createdDateTime ge 2025-05-20T00:00:00Z and (clientAppUsed eq 'IMAP4' or clientAppUsed eq 'POP3')",
			count(func(s graphemu.SignIn) bool { return !s.CreatedDateTime.Before(since) && legacy(s) })},
		{"(clientAppUsed eq 'IMAP4' or clientAppUsed eq 'POP3') and createdDateTime ge 2025-05-20T00:00:00Z",
			count(func(s graphemu.SignIn) bool { return !s.CreatedDateTime.Before(since) && legacy(s) })},
		{"not (clientAppUsed eq 'Browser')", count(func(s graphemu.SignIn) bool { return s.ClientAppUsed != "Browser" })},
		{"clientAppUsed ne 'Browser' and clientAppUsed ne 'Mobile Apps and Desktop clients'",
			count(func(s graphemu.SignIn) bool {
				return s.ClientAppUsed != "Browser" && s.ClientAppUsed != "Mobile Apps and Desktop clients"
			})},
		{"userPrincipalName eq 'nobody@example.com' or isInteractive eq false", count(func(s graphemu.SignIn) bool { return !s.IsInteractive })},
	}
	for _, tc := range tests {
		if tc.want == 0 || tc.want == len(tn.SignIns) {
			t.Fatalf("%s: %d of %d sign-ins match; the fixture cannot tell a broken filter", tc.filter, tc.want, len(tn.SignIns))
		}
		r := get(t, srv.BaseURL()+"/auditLogs/signIns?$top=1000&$filter="+q(tc.filter))
		if r.status != http.StatusOK {
			t.Fatalf("%s: status %d %s", tc.filter, r.status, r.raw)
		}
		if got := len(values(t, r)); got != tc.want {
			t.Errorf("%s: %d sign-ins, want %d", tc.filter, got, tc.want)
		}
	}
	for _, tc := range []struct{ filter, code string }{
		{"startsWith(clientAppUsed,'IMAP')", "Request_UnsupportedQuery"},
		{"clientAppUsed eq", "BadRequest"},
		{"(clientAppUsed eq 'IMAP4'", "BadRequest"},
		{"clientAppUsed has 'IMAP4'", "Request_UnsupportedQuery"},
		{"shoeSize eq 3", "BadRequest"},
		{"isInteractive gt true", "Request_UnsupportedQuery"},
		{"clientAppUsed eq 'IMAP4", "BadRequest"},
	} {
		r := get(t, srv.BaseURL()+"/auditLogs/signIns?$filter="+q(tc.filter))
		if r.status != http.StatusBadRequest {
			t.Errorf("%s: status %d", tc.filter, r.status)
			continue
		}
		if code, _ := graphErr(t, r); code != tc.code {
			t.Errorf("%s: code %s, want %s", tc.filter, code, tc.code)
		}
	}
}

func TestRoleAssignmentsExpandPrincipal(t *testing.T) {
	t.Parallel()
	tn := securityTenant(t, "SPE_E5")
	srv := graphemu.Start(t, tn)
	r := get(t, srv.BaseURL()+"/roleManagement/directory/roleAssignments?$filter="+q("roleDefinitionId eq '"+graphemu.RoleGlobalAdministrator+"'")+"&$expand=principal")
	if r.status != http.StatusOK || !strings.HasSuffix(r.body["@odata.context"].(string), "/v1.0/$metadata#roleManagement/directory/roleAssignments(principal())") {
		t.Fatalf("status %d, context %v", r.status, r.body["@odata.context"])
	}
	vs := values(t, r)
	if len(vs) != 3 {
		t.Fatalf("%d Global Administrator assignments, want 3 active", len(vs))
	}
	for _, v := range vs {
		p, _ := v["principal"].(map[string]any)
		if v["roleDefinitionId"] != graphemu.RoleGlobalAdministrator || v["directoryScopeId"] != "/" || p["@odata.type"] != "#microsoft.graph.user" || p["id"] != v["principalId"] || p["userPrincipalName"] == nil {
			t.Errorf("assignment %v", v)
		}
		if !slices.Contains(keys(v), "appScopeId") || v["appScopeId"] != nil {
			t.Errorf("appScopeId should be null: %v", v)
		}
	}
	if vs[0]["principal"].(map[string]any)["userPrincipalName"] != "breakglass1@tailspintoys.onmicrosoft.com" {
		t.Errorf("first Global Administrator %v", vs[0]["principal"])
	}

	// The Helpdesk Administrator role is held by a role-assignable group.
	r = get(t, srv.BaseURL()+"/roleManagement/directory/roleAssignments?$filter="+q("roleDefinitionId eq '"+graphemu.RoleHelpdeskAdministrator+"'")+"&$expand=principal")
	var group map[string]any
	for _, v := range values(t, r) {
		if p := v["principal"].(map[string]any); p["@odata.type"] == "#microsoft.graph.group" {
			group = p
		}
	}
	if group == nil || group["displayName"] != "Helpdesk Admins" || group["isAssignableToRole"] != true || slices.Contains(keys(group), "members") {
		t.Errorf("group principal %v", group)
	}

	// Without $expand, no principal.
	r = get(t, srv.BaseURL()+"/roleManagement/directory/roleAssignments?$filter="+q("principalId eq '"+tn.Users[0].ID+"'"))
	if vs := values(t, r); len(vs) != 1 || slices.Contains(keys(vs[0]), "principal") {
		t.Errorf("by principal: %v", vs)
	}
	r = get(t, srv.BaseURL()+"/roleManagement/directory/roleAssignments?$expand=roleDefinition")
	if code, _ := graphErr(t, r); r.status != http.StatusBadRequest || code != "Request_UnsupportedQuery" {
		t.Errorf("$expand=roleDefinition: %d %s", r.status, code)
	}
}

func TestRoleEligibilityNeedsP2(t *testing.T) {
	t.Parallel()
	p1 := graphemu.Start(t, securityTenant(t, "SPE_E3"))
	r := get(t, p1.BaseURL()+"/roleManagement/directory/roleEligibilityScheduleInstances?$expand=principal")
	code, msg := graphErr(t, r)
	if r.status != http.StatusBadRequest || code != graphemu.CodeP2Required || !strings.Contains(msg, "Microsoft Entra ID P2") {
		t.Errorf("P1 tenant: %d %s %q", r.status, code, msg)
	}
	p2 := graphemu.Start(t, securityTenant(t, "SPE_E5"))
	r = get(t, p2.BaseURL()+"/roleManagement/directory/roleEligibilityScheduleInstances?$expand=principal")
	vs := values(t, r)
	if r.status != http.StatusOK || len(vs) == 0 {
		t.Fatalf("P2 tenant: %d, %d eligibilities", r.status, len(vs))
	}
	for _, v := range vs {
		if v["memberType"] != "Direct" || v["endDateTime"] != nil || v["principal"].(map[string]any)["@odata.type"] != "#microsoft.graph.user" {
			t.Errorf("eligibility %v", v)
		}
	}
}

func TestGroupMembership(t *testing.T) {
	t.Parallel()
	const nested, parent = "b0000000-0000-4000-8000-000000000001", "b0000000-0000-4000-8000-000000000002"
	tn := fabrikam(t)
	u0, u1, u2 := tn.Users[0].ID, tn.Users[1].ID, tn.Users[2].ID
	tn.Groups = []graphemu.Group{
		{ID: nested, DisplayName: "Nested", SecurityEnabled: true, Members: []string{u1, u2}},
		{ID: parent, DisplayName: "Parent", SecurityEnabled: true, Members: []string{u0, nested}},
	}
	tn.GrantedPermissions = append(tn.GrantedPermissions, "GroupMember.Read.All")
	srv := graphemu.Start(t, tn, graphemu.WithPageSize(2))
	ids := func(vs []map[string]any) []string {
		var out []string
		for _, v := range vs {
			out = append(out, fmt.Sprint(v["@odata.type"], " ", v["id"]))
		}
		return out
	}
	all := func(path string) []map[string]any {
		var out []map[string]any
		next := srv.BaseURL() + path
		for next != "" {
			r := get(t, next)
			if r.status != http.StatusOK {
				t.Fatalf("%s: %d %s", next, r.status, r.raw)
			}
			if ctx := r.body["@odata.context"].(string); !strings.Contains(ctx, "$metadata#directoryObjects") {
				t.Errorf("context %s", ctx)
			}
			out = append(out, values(t, r)...)
			next, _ = r.body["@odata.nextLink"].(string)
		}
		return out
	}
	user, group := "#microsoft.graph.user ", "#microsoft.graph.group "
	if got, want := ids(all("/groups/"+parent+"/members")), []string{user + u0, group + nested}; !slices.Equal(got, want) {
		t.Errorf("members %q, want %q", got, want)
	}
	if got, want := ids(all("/groups/"+parent+"/transitiveMembers?$select=id,userPrincipalName")), []string{user + u0, group + nested, user + u1, user + u2}; !slices.Equal(got, want) {
		t.Errorf("transitive members %q, want %q", got, want)
	}
	if got, want := ids(all("/users/"+u1+"/memberOf")), []string{group + nested}; !slices.Equal(got, want) {
		t.Errorf("memberOf %q, want %q", got, want)
	}
	if got, want := ids(all("/users/"+tn.Users[1].UserPrincipalName+"/transitiveMemberOf")), []string{group + nested, group + parent}; !slices.Equal(got, want) {
		t.Errorf("transitiveMemberOf by UPN %q, want %q", got, want)
	}
	sel := all("/groups/" + parent + "/transitiveMembers?$select=id,userPrincipalName")
	if !slices.Equal(keys(sel[0]), []string{"@odata.type", "id", "userPrincipalName"}) || !slices.Equal(keys(sel[1]), []string{"@odata.type", "id"}) {
		t.Errorf("$select keeps @odata.type and the selected properties: %v / %v", keys(sel[0]), keys(sel[1]))
	}
	r := get(t, srv.BaseURL()+"/groups/"+nested+"?$select=id,displayName")
	if r.status != http.StatusOK || r.body["displayName"] != "Nested" || slices.Contains(keys(r.body), "members") || !strings.HasSuffix(r.body["@odata.context"].(string), "#groups(id,displayName)/$entity") {
		t.Errorf("GET group: %d %s", r.status, r.raw)
	}
	for _, path := range []string{"/groups/" + u0 + "/members", "/users/" + nested + "/memberOf", "/groups/00000000-0000-0000-0000-000000000000", "/users/nobody@fabrikam.com/transitiveMemberOf"} {
		r := get(t, srv.BaseURL()+path)
		if code, _ := graphErr(t, r); r.status != http.StatusNotFound || code != "Request_ResourceNotFound" {
			t.Errorf("%s: %d %s", path, r.status, code)
		}
	}
}

func TestPolicySingletons(t *testing.T) {
	t.Parallel()
	tn := securityTenant(t, "SPE_E5")
	srv := graphemu.Start(t, tn)
	r := get(t, srv.BaseURL()+"/policies/authenticationMethodsPolicy")
	if r.status != http.StatusOK || !strings.HasSuffix(r.body["@odata.context"].(string), "#policies/authenticationMethodsPolicy/$entity") ||
		r.body["id"] != "authenticationMethodsPolicy" || r.body["policyMigrationState"] != "migrationComplete" {
		t.Fatalf("methods policy: %d %s", r.status, r.raw)
	}
	configs := r.body["authenticationMethodConfigurations"].([]any)
	if c := configs[0].(map[string]any); c["@odata.type"] != "#microsoft.graph.fido2AuthenticationMethodConfiguration" || c["id"] != "Fido2" {
		t.Errorf("first method configuration %v", c)
	}
	camp := r.body["registrationEnforcement"].(map[string]any)["authenticationMethodsRegistrationCampaign"].(map[string]any)
	if camp["state"] != "default" || camp["snoozeDurationInDays"] != float64(1) {
		t.Errorf("campaign %v", camp)
	}
	r = get(t, srv.BaseURL()+"/policies/authorizationPolicy")
	if r.body["allowedToUseSSPR"] != true || r.body["id"] != "authorizationPolicy" {
		t.Errorf("authorization policy %s", r.raw)
	}
	r = get(t, srv.BaseURL()+"/policies/identitySecurityDefaultsEnforcementPolicy")
	if r.body["isEnabled"] != false || r.body["id"] != "00000000-0000-0000-0000-000000000005" {
		t.Errorf("security defaults %s", r.raw)
	}
	r = get(t, srv.BaseURL()+"/directory/onPremisesSynchronization")
	if vs := values(t, r); len(vs) != 1 || vs[0]["features"].(map[string]any)["passwordSyncEnabled"] != true {
		t.Errorf("sync %s", r.raw)
	}
	r = get(t, srv.BaseURL()+"/identity/conditionalAccess/policies")
	vs := values(t, r)
	if len(vs) != 5 {
		t.Fatalf("%d CA policies", len(vs))
	}
	users := vs[0]["conditions"].(map[string]any)["users"].(map[string]any)
	if !slices.Equal(keys(users), []string{"excludeGroups", "excludeGuestsOrExternalUsers", "excludeRoles", "excludeUsers", "includeGroups", "includeGuestsOrExternalUsers", "includeRoles", "includeUsers"}) {
		t.Errorf("conditions.users keys %v", keys(users))
	}
	if g := vs[1]["grantControls"].(map[string]any); g["authenticationStrength"].(map[string]any)["id"] != "00000000-0000-0000-0000-000000000002" {
		t.Errorf("grant controls %v", g)
	}

	// Policy.Read.All does not grant the methods policy; Policy.Read.AuthenticationMethod does.
	tn2 := securityTenant(t, "SPE_E5")
	tn2.GrantedPermissions = []string{"Policy.Read.All"}
	srv2 := graphemu.Start(t, tn2)
	r = get(t, srv2.BaseURL()+"/policies/authenticationMethodsPolicy")
	if code, _ := graphErr(t, r); r.status != http.StatusForbidden || code != graphemu.CodeAuthorizationRequestDenied {
		t.Errorf("methods policy with Policy.Read.All: %d %s", r.status, code)
	}
	for _, path := range []string{"/policies/authorizationPolicy", "/policies/identitySecurityDefaultsEnforcementPolicy", "/identity/conditionalAccess/policies"} {
		if r := get(t, srv2.BaseURL()+path); r.status != http.StatusOK {
			t.Errorf("%s with Policy.Read.All: %d", path, r.status)
		}
	}
}

func TestPerUserMFABeta(t *testing.T) {
	t.Parallel()
	tn := securityTenant(t, "SPE_E5")
	srv := graphemu.Start(t, tn)
	var enforced string
	for id, s := range tn.PerUserMFA {
		if s == graphemu.PerUserMFAEnforced {
			enforced = id
			break
		}
	}
	r := get(t, srv.URL+"/beta/users/"+enforced+"/authentication/requirements")
	if r.status != http.StatusOK || r.body["perUserMfaState"] != "enforced" ||
		r.body["@odata.context"] != srv.URL+"/beta/$metadata#users('"+enforced+"')/authentication/requirements" {
		t.Errorf("enforced user: %d %s", r.status, r.raw)
	}
	r = get(t, srv.URL+"/beta/users/"+tn.Users[len(tn.Users)-1].UserPrincipalName+"/authentication/requirements")
	if r.body["perUserMfaState"] != "disabled" {
		t.Errorf("by UPN: %s", r.raw)
	}
	if r := get(t, srv.URL+"/beta/users/nobody/authentication/requirements"); r.status != http.StatusNotFound {
		t.Errorf("unknown user: %d", r.status)
	}
	if r := get(t, srv.BaseURL()+"/users/"+enforced+"/authentication/requirements"); r.status != http.StatusBadRequest {
		t.Errorf("v1.0 has no requirements: %d", r.status)
	}

	// A beta $batch takes URLs relative to /beta.
	body := `{"requests":[{"id":"1","method":"GET","url":"/users/` + enforced + `/authentication/requirements"},{"id":"2","method":"GET","url":"users/nobody/authentication/requirements"}]}`
	r = do(t, http.MethodPost, srv.URL+"/beta/$batch", strings.NewReader(body), "Content-Type", "application/json")
	resp := r.body["responses"].([]any)
	first, second := resp[0].(map[string]any), resp[1].(map[string]any)
	if r.status != http.StatusOK || first["status"] != float64(200) || first["body"].(map[string]any)["perUserMfaState"] != "enforced" || second["status"] != float64(404) {
		t.Errorf("beta batch: %d %s", r.status, r.raw)
	}
}

func TestEndpointBudgets(t *testing.T) {
	t.Parallel()
	tn := securityTenant(t, "SPE_E5")
	srv := graphemu.Start(t, tn,
		graphemu.WithEndpointBudget(graphemu.ThrottleConditionalAccess, graphemu.Budget{Requests: 1, Per: time.Minute}),
		graphemu.WithEndpointBudget(graphemu.ThrottleReports, graphemu.Budget{Requests: 1, Per: 20 * time.Second}))
	for i, want := range []int{200, 429, 429} {
		r := get(t, srv.BaseURL()+"/identity/conditionalAccess/policies")
		if r.status != want {
			t.Fatalf("CA read %d: %d, want %d", i, r.status, want)
		}
		if want == 429 {
			if code, _ := graphErr(t, r); code != graphemu.CodeTooManyRequests || r.header.Get("Retry-After") != "" {
				t.Errorf("CA 429: code %s, Retry-After %q (Graph sends none)", code, r.header.Get("Retry-After"))
			}
		}
	}
	if r := get(t, srv.BaseURL()+"/reports/authenticationMethods/userRegistrationDetails?$top=1"); r.status != 200 {
		t.Fatalf("first report read: %d", r.status)
	}
	r := get(t, srv.BaseURL()+"/auditLogs/signIns?$top=1")
	if r.status != 429 || r.header.Get("Retry-After") != "20" {
		t.Errorf("second report read: %d, Retry-After %q", r.status, r.header.Get("Retry-After"))
	}
	// Other endpoints have no class budget.
	for range 3 {
		if r := get(t, srv.BaseURL()+"/policies/authorizationPolicy"); r.status != 200 {
			t.Fatalf("authorization policy: %d", r.status)
		}
	}
	if err := srv.SetEndpointBudget(tn.ID, graphemu.ThrottleConditionalAccess, graphemu.Budget{}); err != nil {
		t.Fatal(err)
	}
	if r := get(t, srv.BaseURL()+"/identity/conditionalAccess/policies"); r.status != 200 {
		t.Errorf("CA after the budget is lifted: %d", r.status)
	}
	srv.Reset()
	if r := get(t, srv.BaseURL()+"/auditLogs/signIns?$top=1"); r.status != 200 {
		t.Errorf("reports after Reset: %d", r.status)
	}
}

func TestSignInsAndScoresPaging(t *testing.T) {
	t.Parallel()
	tn := securityTenant(t, "SPE_E5")
	srv := graphemu.Start(t, tn)
	if r := get(t, srv.BaseURL()+"/auditLogs/signIns?$top=1001"); r.status != http.StatusBadRequest {
		t.Errorf("$top=1001: %d", r.status)
	}
	filter := q("clientAppUsed eq 'Browser'")
	r := get(t, srv.BaseURL()+"/auditLogs/signIns?$top=50&$filter="+filter)
	next, _ := r.body["@odata.nextLink"].(string)
	if len(values(t, r)) != 50 || !strings.Contains(next, "$filter=clientAppUsed+eq+'Browser'") {
		t.Errorf("next link %q keeps the filter", next)
	}
	r = get(t, srv.BaseURL()+"/security/secureScores?$top=7")
	vs := values(t, r)
	if len(vs) != 7 || vs[0]["createdDateTime"] != "2025-06-02T00:00:00Z" || vs[0]["currentScore"] != float64(131) || vs[0]["azureTenantId"] != tn.ID {
		t.Errorf("newest score %v", vs[0])
	}
	r = get(t, srv.BaseURL()+"/security/secureScoreControlProfiles")
	if vs := values(t, r); len(vs) != 13 || vs[0]["id"] != "AdminMFAV2" || vs[0]["controlCategory"] != "Identity" {
		t.Errorf("profiles %d: %v", len(vs), vs[0])
	}
}

func TestGenerateSecurity(t *testing.T) {
	t.Parallel()
	a, b := securityTenant(t, "SPE_E5"), securityTenant(t, "SPE_E5")
	if len(a.RoleAssignments) != len(b.RoleAssignments) || a.ConditionalAccessPolicies[0].ID != b.ConditionalAccessPolicies[0].ID || a.SignIns[10].ID != b.SignIns[10].ID {
		t.Fatal("generation is not deterministic")
	}
	roles := map[string]int{}
	for _, r := range a.RoleAssignments {
		roles[r.RoleDefinitionID]++
	}
	if roles[graphemu.RoleGlobalAdministrator] != 3 || len(a.RoleEligibilities) != 5 || len(a.ConditionalAccessPolicies) != 5 || len(a.Groups) != 3 ||
		len(a.SignIns) != 400 || len(a.SecureScores) != 90 || len(a.SecureScoreControlProfiles) != 13 {
		t.Errorf("GA %d, eligible %d, CA %d, groups %d, sign-ins %d, scores %d, profiles %d",
			roles[graphemu.RoleGlobalAdministrator], len(a.RoleEligibilities), len(a.ConditionalAccessPolicies), len(a.Groups), len(a.SignIns), len(a.SecureScores), len(a.SecureScoreControlProfiles))
	}
	for i := 1; i < len(a.SignIns); i++ {
		if a.SignIns[i].CreatedDateTime.After(a.SignIns[i-1].CreatedDateTime) {
			t.Fatalf("sign-ins are not newest first at %d", i)
		}
	}
	if a.Users[0].UserPrincipalName != "breakglass1@tailspintoys.onmicrosoft.com" || a.Users[0].OnPremisesSyncEnabled != nil {
		t.Errorf("break-glass account %+v", a.Users[0])
	}
}

func TestSecurityFixtureValidation(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, json, want string }{
		{"unknown role principal", `"roleAssignments":[{"principalId":"00000000-0000-0000-0000-0000000000ff","roleDefinitionId":"62e90394-69f5-4237-9190-012177145e10"}]`, "unknown principal"},
		{"unknown group member", `"groups":[{"id":"b0000000-0000-4000-8000-000000000001","displayName":"G","members":["nobody"]}]`, "unknown member"},
		{"bad per-user MFA state", `"perUserMfaStates":{"u1":"sometimes"}`, "is not disabled, enabled or enforced"},
		{"CA policy without a name", `"conditionalAccessPolicies":[{"id":"x"}]`, "id and displayName are required"},
	} {
		data := `{"id":"11111111-2222-4333-8444-555555555555","grantedPermissions":[],"organization":{"displayName":"T"},"subscribedSkus":[],
			"users":[{"id":"u1","userPrincipalName":"u1@t.com","displayName":"U1"}],` + tc.json + `}`
		if _, err := graphemu.ParseTenant([]byte(data)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want %q", tc.name, err, tc.want)
		}
	}
}
