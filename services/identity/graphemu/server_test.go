package graphemu_test

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hybridkit/hybridkit/services/identity/graphemu"
)

const fabrikamID = "2f4a9c6e-1b3d-4e5f-8a7b-9c0d1e2f3a4b"

func fabrikam(t *testing.T) *graphemu.Tenant {
	t.Helper()
	tenant, err := graphemu.LoadTenant("testdata/fabrikam.json")
	if err != nil {
		t.Fatal(err)
	}
	return tenant
}

type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

func do(t *testing.T, method, rawURL string, body io.Reader, headers ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := response{status: res.StatusCode, header: res.Header, raw: raw}
	if err := json.Unmarshal(raw, &r.body); err != nil {
		t.Fatalf("%s %s: body is not a JSON object: %v\n%s", method, rawURL, err, raw)
	}
	return r
}

func get(t *testing.T, rawURL string, headers ...string) response {
	t.Helper()
	return do(t, http.MethodGet, rawURL, nil, headers...)
}

func values(t *testing.T, r response) []map[string]any {
	t.Helper()
	raw, ok := r.body["value"].([]any)
	if !ok {
		t.Fatalf("no value array in %s", r.raw)
	}
	out := make([]map[string]any, len(raw))
	for i, v := range raw {
		out[i] = v.(map[string]any)
	}
	return out
}

func keys(m map[string]any) []string {
	var k []string
	for key := range m {
		k = append(k, key)
	}
	slices.Sort(k)
	return k
}

// graphErr checks the Graph error envelope and returns its code.
func graphErr(t *testing.T, r response) (code, message string) {
	t.Helper()
	e, ok := r.body["error"].(map[string]any)
	if !ok {
		t.Fatalf("status %d without a Graph error body: %s", r.status, r.raw)
	}
	inner, ok := e["innerError"].(map[string]any)
	if !ok {
		t.Fatalf("error without innerError: %s", r.raw)
	}
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$`).MatchString(fmt.Sprint(inner["date"])) {
		t.Errorf("innerError.date = %v, want Graph's zone-less timestamp", inner["date"])
	}
	if inner["request-id"] != r.header.Get("request-id") || inner["request-id"] == "" {
		t.Errorf("innerError.request-id = %v, header request-id = %q", inner["request-id"], r.header.Get("request-id"))
	}
	if inner["client-request-id"] == "" || inner["client-request-id"] == nil {
		t.Errorf("innerError.client-request-id missing: %s", r.raw)
	}
	return fmt.Sprint(e["code"]), fmt.Sprint(e["message"])
}

func TestUsersPagingFollowsNextLinks(t *testing.T) {
	t.Parallel()
	srv := graphemu.Start(t, fabrikam(t), graphemu.WithPageSize(3))

	var ids []string
	next := srv.BaseURL() + "/users"
	pages := 0
	for next != "" {
		pages++
		if pages > 10 {
			t.Fatal("paging does not terminate")
		}
		r := get(t, next)
		if r.status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", next, r.status, r.raw)
		}
		if got, want := r.body["@odata.context"], srv.URL+"/v1.0/$metadata#users"; got != want {
			t.Errorf("@odata.context = %v, want %v", got, want)
		}
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json;odata.metadata=minimal") {
			t.Errorf("Content-Type = %q", ct)
		}
		for _, u := range values(t, r) {
			ids = append(ids, u["id"].(string))
		}
		next, _ = r.body["@odata.nextLink"].(string)
		if next != "" && !strings.HasPrefix(next, srv.URL+"/v1.0/users?$skiptoken=") {
			t.Errorf("nextLink = %s, want an absolute link with $skiptoken", next)
		}
	}
	if pages != 3 {
		t.Errorf("7 users with page size 3 took %d pages, want 3", pages)
	}
	want := []string{"a1000000-0000-4000-8000-000000000001", "a1000000-0000-4000-8000-000000000002", "a1000000-0000-4000-8000-000000000003", "a1000000-0000-4000-8000-000000000004", "a1000000-0000-4000-8000-000000000005", "a1000000-0000-4000-8000-000000000006", "a1000000-0000-4000-8000-000000000007"}
	if !slices.Equal(ids, want) {
		t.Errorf("ids = %v, want %v", ids, want)
	}
	if n := srv.Count(fabrikamID); n != 3 {
		t.Errorf("Count = %d, want 3", n)
	}
}

func TestUsersTopAndSelect(t *testing.T) {
	t.Parallel()
	srv := graphemu.Start(t, fabrikam(t), graphemu.WithPageSize(4))
	tests := []struct {
		name         string
		query        string
		wantKeys     []string
		wantPage     int
		wantContext  string
		wantNextHave []string
	}{
		{
			name:         "default properties exclude onPremises",
			query:        "",
			wantKeys:     []string{"businessPhones", "displayName", "givenName", "id", "jobTitle", "mail", "mobilePhone", "officeLocation", "preferredLanguage", "surname", "userPrincipalName"},
			wantPage:     4,
			wantContext:  "#users",
			wantNextHave: []string{"$skiptoken="},
		},
		{
			name:         "select and small top",
			query:        "?$select=id,onPremisesSamAccountName,onPremisesSyncEnabled&$top=2",
			wantKeys:     []string{"id", "onPremisesSamAccountName", "onPremisesSyncEnabled"},
			wantPage:     2,
			wantContext:  "#users(id,onPremisesSamAccountName,onPremisesSyncEnabled)",
			wantNextHave: []string{"$select=id,onPremisesSamAccountName,onPremisesSyncEnabled", "$top=2", "$skiptoken="},
		},
		{
			name:         "top above the server page size is capped",
			query:        "?$top=999&$select=id",
			wantKeys:     []string{"id"},
			wantPage:     4,
			wantContext:  "#users(id)",
			wantNextHave: []string{"$top=999"},
		},
		{
			name:        "select without the dollar and in another case",
			query:       "?select=ID,userPrincipalName&top=7",
			wantKeys:    []string{"id", "userPrincipalName"},
			wantPage:    4,
			wantContext: "#users(id,userPrincipalName)",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := get(t, srv.BaseURL()+"/users"+tc.query)
			if r.status != http.StatusOK {
				t.Fatalf("status %d: %s", r.status, r.raw)
			}
			vs := values(t, r)
			if len(vs) != tc.wantPage {
				t.Errorf("page holds %d users, want %d", len(vs), tc.wantPage)
			}
			for _, v := range vs {
				if got := keys(v); !slices.Equal(got, tc.wantKeys) {
					t.Fatalf("properties = %v, want %v", got, tc.wantKeys)
				}
			}
			if ctx := r.body["@odata.context"].(string); !strings.HasSuffix(ctx, "/v1.0/$metadata"+tc.wantContext) {
				t.Errorf("@odata.context = %s, want suffix %s", ctx, tc.wantContext)
			}
			next, _ := r.body["@odata.nextLink"].(string)
			for _, s := range tc.wantNextHave {
				if !strings.Contains(next, s) {
					t.Errorf("nextLink %q lacks %q", next, s)
				}
			}
		})
	}

	// A synced user's onPremises* values come through $select, and null stays null.
	r := get(t, srv.BaseURL()+"/users?$select=userPrincipalName,onPremisesSecurityIdentifier,onPremisesSyncEnabled&$top=4")
	vs := values(t, r)
	if vs[0]["onPremisesSecurityIdentifier"] != "S-1-5-21-3623811015-3361044348-30300820-1101" || vs[0]["onPremisesSyncEnabled"] != true {
		t.Errorf("synced user = %v", vs[0])
	}
	if v, ok := vs[3]["onPremisesSyncEnabled"]; !ok || v != nil {
		t.Errorf("cloud-only user onPremisesSyncEnabled = %v (present %v), want null", v, ok)
	}
}

func TestQueryErrors(t *testing.T) {
	t.Parallel()
	srv := graphemu.Start(t, fabrikam(t))
	tests := []struct {
		path       string
		wantStatus int
		wantCode   string
	}{
		{"/users?$top=0", 400, "Request_UnsupportedQuery"},
		{"/users?$top=1000", 400, "Request_UnsupportedQuery"},
		{"/users?$top=ten", 400, "Request_UnsupportedQuery"},
		{"/users?$select=id,favouriteColour", 400, "Request_BadRequest"},
		{"/users?$skiptoken=not-a-token", 400, "Directory_ExpiredPageToken"},
		{"/users?$orderby=displayName", 400, "Request_UnsupportedQuery"},
		{"/subscribedSkus?$top=1", 400, "Request_UnsupportedQuery"},
		{"/reports/authenticationMethods/userRegistrationDetails?$filter=shoeSize%20eq%203", 400, "BadRequest"},
		{"/widgets", 400, "BadRequest"},
	}
	for _, tc := range tests {
		r := get(t, srv.BaseURL()+tc.path, "client-request-id", "9a1f6a56-5b1c-4a7e-9d7e-0c3f3e2b1a00")
		if r.status != tc.wantStatus {
			t.Errorf("GET %s: status %d, want %d", tc.path, r.status, tc.wantStatus)
			continue
		}
		if code, _ := graphErr(t, r); code != tc.wantCode {
			t.Errorf("GET %s: code %s, want %s", tc.path, code, tc.wantCode)
		}
		inner := r.body["error"].(map[string]any)["innerError"].(map[string]any)
		if inner["client-request-id"] != "9a1f6a56-5b1c-4a7e-9d7e-0c3f3e2b1a00" {
			t.Errorf("GET %s: client-request-id not echoed: %v", tc.path, inner)
		}
	}
	r := do(t, http.MethodPost, srv.BaseURL()+"/users", strings.NewReader("{}"))
	if r.status != http.StatusMethodNotAllowed {
		t.Errorf("POST /users: status %d, want 405", r.status)
	}
}

func TestOrganizationSelect(t *testing.T) {
	t.Parallel()
	srv := graphemu.Start(t, fabrikam(t))
	r := get(t, srv.BaseURL()+"/organization?$select=onPremisesSyncEnabled,onPremisesLastSyncDateTime")
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.raw)
	}
	if got := r.body["@odata.context"]; got != srv.URL+"/v1.0/$metadata#organization(onPremisesSyncEnabled,onPremisesLastSyncDateTime)" {
		t.Errorf("@odata.context = %v", got)
	}
	vs := values(t, r)
	if len(vs) != 1 {
		t.Fatalf("%d organizations", len(vs))
	}
	want := map[string]any{"onPremisesSyncEnabled": true, "onPremisesLastSyncDateTime": "2025-06-02T07:41:09Z"}
	if fmt.Sprint(vs[0]) != fmt.Sprint(want) {
		t.Errorf("organization = %v, want %v", vs[0], want)
	}
	full := values(t, get(t, srv.BaseURL()+"/organization"))[0]
	if full["id"] != fabrikamID || full["displayName"] != "Fabrikam" || full["tenantType"] != "AAD" {
		t.Errorf("organization without $select = %v", full)
	}
}

func TestSubscribedSkusCatalogueAndShape(t *testing.T) {
	t.Parallel()
	srv := graphemu.Start(t, fabrikam(t))
	r := get(t, srv.BaseURL()+"/subscribedSkus")
	vs := values(t, r)
	if len(vs) != 1 {
		t.Fatalf("%d SKUs", len(vs))
	}
	sku := vs[0]
	if sku["skuId"] != "05e9a617-0261-4cee-bb44-138d3ef5d965" || sku["id"] != fabrikamID+"_05e9a617-0261-4cee-bb44-138d3ef5d965" {
		t.Errorf("SPE_E3 ids = %v / %v", sku["skuId"], sku["id"])
	}
	if sku["capabilityStatus"] != "Enabled" || sku["consumedUnits"] != 5.0 || sku["prepaidUnits"].(map[string]any)["enabled"] != 10.0 {
		t.Errorf("SKU = %v", sku)
	}
	var p1 bool
	for _, p := range sku["servicePlans"].([]any) {
		plan := p.(map[string]any)
		if plan["servicePlanId"] == graphemu.PlanAADPremiumID && plan["servicePlanName"] == "AAD_PREMIUM" && plan["provisioningStatus"] == "Success" {
			p1 = true
		}
	}
	if !p1 {
		t.Errorf("SPE_E3 from the catalogue lacks a provisioned AAD_PREMIUM plan: %v", sku["servicePlans"])
	}
	if _, ok := r.body["@odata.nextLink"]; ok {
		t.Error("subscribedSkus is never paged")
	}
}

func TestPermissions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		granted []string
		roles   []string // when set, sent in a bearer token
		path    string
		want    int
	}{
		{"least privileged", []string{"User.Read.All"}, nil, "/users", 200},
		{"higher privileged", []string{"Directory.Read.All"}, nil, "/users", 200},
		{"missing", []string{"Organization.Read.All"}, nil, "/users", 403},
		{"licence assignment reads SKUs", []string{"LicenseAssignment.Read.All"}, nil, "/subscribedSkus", 200},
		{"user read cannot read SKUs", []string{"User.Read.All"}, nil, "/subscribedSkus", 403},
		{"reports need AuditLog", []string{"Directory.Read.All"}, nil, "/reports/authenticationMethods/userRegistrationDetails", 403},
		{"token roles replace the fixture", []string{"User.Read.All"}, []string{"Organization.Read.All"}, "/users", 403},
		{"token roles grant", nil, []string{"Organization.Read.All"}, "/organization", 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tenant := fabrikam(t)
			tenant.GrantedPermissions = tc.granted
			srv := graphemu.Start(t, tenant)
			var headers []string
			if tc.roles != nil {
				headers = []string{"Authorization", "Bearer " + fakeJWT(t, map[string]any{"tid": fabrikamID, "roles": tc.roles})}
			}
			r := get(t, srv.BaseURL()+tc.path, headers...)
			if r.status != tc.want {
				t.Fatalf("status %d, want %d: %s", r.status, tc.want, r.raw)
			}
			if tc.want == 403 {
				code, msg := graphErr(t, r)
				if code != graphemu.CodeAuthorizationRequestDenied || msg != "Insufficient privileges to complete the operation." {
					t.Errorf("error = %s %q", code, msg)
				}
			}
			if tc.roles != nil && srv.Requests()[0].Authorization == "" {
				t.Error("Authorization header not recorded")
			}
		})
	}
}

func TestNonPremiumTenant(t *testing.T) {
	t.Parallel()
	tenant := fabrikam(t)
	o365, err := graphemu.CatalogSKU("ENTERPRISEPACK", 10, 7)
	if err != nil {
		t.Fatal(err)
	}
	tenant.SubscribedSKUs = []graphemu.SubscribedSKU{o365}
	srv := graphemu.Start(t, tenant)
	r := get(t, srv.BaseURL()+"/reports/authenticationMethods/userRegistrationDetails")
	if r.status != http.StatusForbidden {
		t.Fatalf("status %d: %s", r.status, r.raw)
	}
	if code, msg := graphErr(t, r); code != graphemu.CodeNonPremiumTenant || msg != "Neither tenant is B2C or tenant doesn't have premium license" {
		t.Errorf("error = %s %q", code, msg)
	}
	// Directory reads do not need premium.
	if r := get(t, srv.BaseURL()+"/users"); r.status != 200 {
		t.Errorf("users on a non-premium tenant: %d", r.status)
	}
}

func TestRegistrationDetailsFilterAndPaging(t *testing.T) {
	t.Parallel()
	srv := graphemu.Start(t, fabrikam(t), graphemu.WithPageSize(2))
	var upns []string
	next := srv.BaseURL() + "/reports/authenticationMethods/userRegistrationDetails?$filter=" + url.QueryEscape("isMfaRegistered eq false and userType eq 'member'")
	for i := 0; next != ""; i++ {
		if i > 5 {
			t.Fatal("paging does not terminate")
		}
		r := get(t, next)
		if r.status != 200 {
			t.Fatalf("status %d: %s", r.status, r.raw)
		}
		for _, v := range values(t, r) {
			upns = append(upns, v["userPrincipalName"].(string))
			if v["isMfaRegistered"] != false || v["userType"] != "member" {
				t.Errorf("filter let through %v", v)
			}
		}
		next, _ = r.body["@odata.nextLink"].(string)
		if next != "" && !strings.Contains(next, "$filter=") {
			t.Errorf("nextLink drops $filter: %s", next)
		}
	}
	want := []string{"sam.ruiz@fabrikam.com", "lee.ong@fabrikam.com", "jo.beck@fabrikam.com"}
	if !slices.Equal(upns, want) {
		t.Errorf("members without MFA = %v, want %v", upns, want)
	}
}

// fakeClock is a settable clock for throttling tests.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestBudgetThrottlesPerTenant(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{now: time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)}
	srv := graphemu.Start(t, fabrikam(t), graphemu.WithBudget(graphemu.Budget{Requests: 2, Per: 10 * time.Second}), graphemu.WithClock(clock.Now))
	other := graphemu.GenerateTenant("0d9e8f7a-6b5c-4d3e-9f1a-2b3c4d5e6f70", "Other", graphemu.GenerateOptions{Users: 3})
	if err := srv.AddTenant(other); err != nil {
		t.Fatal(err)
	}
	otherToken := "Bearer " + fakeJWT(t, map[string]any{"tid": other.ID})

	status := func(headers ...string) (int, string) {
		r := get(t, srv.BaseURL()+"/organization", headers...)
		if r.status == 429 {
			code, msg := graphErr(t, r)
			if code != "TooManyRequests" || !strings.Contains(msg, "Too many requests") {
				t.Errorf("429 error = %s %q", code, msg)
			}
		}
		return r.status, r.header.Get("Retry-After")
	}
	for i := 1; i <= 2; i++ {
		if s, _ := status(); s != 200 {
			t.Fatalf("request %d within budget: %d", i, s)
		}
	}
	s, ra := status()
	if s != 429 || ra != "5" {
		t.Fatalf("third request: %d Retry-After %q, want 429 after 5s (one token at 2 per 10s)", s, ra)
	}
	// The other tenant has its own bucket.
	if s, _ := status("Authorization", otherToken); s != 200 {
		t.Errorf("other tenant throttled: %d", s)
	}
	clock.Advance(4 * time.Second)
	if s, ra := status(); s != 429 || ra != "1" {
		t.Errorf("after 4s: %d Retry-After %q, want 429 and 1", s, ra)
	}
	clock.Advance(1 * time.Second)
	if s, _ := status(); s != 200 {
		t.Errorf("after Retry-After: %d, want 200", s)
	}
	if n := srv.Count(fabrikamID); n != 5 {
		t.Errorf("Count = %d, want 5 (throttled requests count too)", n)
	}
}

func TestFaultsFailTheNthRequest(t *testing.T) {
	t.Parallel()
	srv := graphemu.Start(t, fabrikam(t))
	date := time.Date(2025, 6, 2, 9, 0, 3, 0, time.UTC).Format(http.TimeFormat)
	err := srv.Fail(fabrikamID,
		graphemu.Throttled(2, 3*time.Second),
		graphemu.Fault{Nth: 3, Status: 503, RetryAfter: date},
		graphemu.Fault{Nth: 5, Status: 500, Code: "generalException", Message: "boom"},
	)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		status     int
		retryAfter string
		code       string
	}{{200, "", ""}, {429, "3", "TooManyRequests"}, {503, date, "ServiceUnavailable"}, {200, "", ""}, {500, "", "generalException"}, {200, "", ""}}
	for i, w := range want {
		r := get(t, srv.BaseURL()+"/subscribedSkus")
		if r.status != w.status || r.header.Get("Retry-After") != w.retryAfter {
			t.Errorf("request %d: %d Retry-After %q, want %d %q", i+1, r.status, r.header.Get("Retry-After"), w.status, w.retryAfter)
		}
		if w.code != "" {
			if code, _ := graphErr(t, r); code != w.code {
				t.Errorf("request %d: code %s, want %s", i+1, code, w.code)
			}
		}
	}
	if err := srv.Fail(fabrikamID, graphemu.Fault{Nth: 0, Status: 500}); err == nil {
		t.Error("a fault without Nth was accepted")
	}
}

func TestBatch(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{now: time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)}
	srv := graphemu.Start(t, fabrikam(t), graphemu.WithBudget(graphemu.Budget{Requests: 3, Per: 30 * time.Second}), graphemu.WithClock(clock.Now))

	body := `{"requests":[
		{"id":"1","method":"GET","url":"/users?$select=id&$top=2"},
		{"id":"2","method":"GET","url":"organization?$select=onPremisesSyncEnabled"},
		{"id":"3","method":"GET","url":"/subscribedSkus"},
		{"id":"4","method":"GET","url":"/users/$count"},
		{"id":"5","method":"GET","url":"/organization","dependsOn":["4"]}
	]}`
	r := do(t, http.MethodPost, srv.BaseURL()+"/$batch", strings.NewReader(body), "Content-Type", "application/json")
	if r.status != 200 {
		t.Fatalf("envelope status %d: %s", r.status, r.raw)
	}
	var env struct {
		Responses []struct {
			ID      string            `json:"id"`
			Status  int               `json:"status"`
			Headers map[string]string `json:"headers"`
			Body    json.RawMessage   `json:"body"`
		} `json:"responses"`
	}
	if err := json.Unmarshal(r.raw, &env); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, it := range env.Responses {
		got[it.ID] = it.Status
	}
	want := map[string]int{"1": 200, "2": 200, "3": 200, "4": 429, "5": 424}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("item statuses = %v, want %v (budget of 3 exhausted at item 4)", got, want)
	}
	first := env.Responses[0]
	var page map[string]any
	if err := json.Unmarshal(first.Body, &page); err != nil {
		t.Fatal(err)
	}
	if len(page["value"].([]any)) != 2 || !strings.Contains(page["@odata.nextLink"].(string), "$skiptoken=") {
		t.Errorf("item 1 body = %s", first.Body)
	}
	if !strings.HasPrefix(first.Headers["Content-Type"], "application/json") {
		t.Errorf("item 1 headers = %v", first.Headers)
	}
	throttled := env.Responses[3]
	if throttled.Headers["Retry-After"] != "10" || !bytes.Contains(throttled.Body, []byte(`"code":"TooManyRequests"`)) {
		t.Errorf("throttled item = %v %s", throttled.Headers, throttled.Body)
	}
	// Items are counted one by one; the envelope is not.
	if n := srv.Count(fabrikamID); n != 4 {
		t.Errorf("Count = %d, want 4 (item 5 never ran)", n)
	}
	var inBatch int
	for _, req := range srv.Requests() {
		if req.InBatch {
			inBatch++
		}
	}
	if inBatch != 4 {
		t.Errorf("%d batch items logged, want 4", inBatch)
	}
}

func TestBatchEnvelopeErrors(t *testing.T) {
	t.Parallel()
	srv := graphemu.Start(t, fabrikam(t))
	var items []string
	for i := range 21 {
		items = append(items, fmt.Sprintf(`{"id":"%d","method":"GET","url":"/organization"}`, i))
	}
	tests := []struct {
		name string
		body string
	}{
		{"more than 20", `{"requests":[` + strings.Join(items, ",") + `]}`},
		{"empty", `{"requests":[]}`},
		{"not json", `requests`},
		{"duplicate ids", `{"requests":[{"id":"1","method":"GET","url":"/users"},{"id":"1","method":"GET","url":"/users"}]}`},
		{"unknown dependency", `{"requests":[{"id":"1","method":"GET","url":"/users","dependsOn":["9"]}]}`},
	}
	for _, tc := range tests {
		r := do(t, http.MethodPost, srv.BaseURL()+"/$batch", strings.NewReader(tc.body), "Content-Type", "application/json")
		if r.status != 400 {
			t.Errorf("%s: status %d, want 400", tc.name, r.status)
			continue
		}
		if code, _ := graphErr(t, r); code != "BadRequest" {
			t.Errorf("%s: code %s", tc.name, code)
		}
	}
	if n := srv.Count(fabrikamID); n != 0 {
		t.Errorf("rejected envelopes ran %d items", n)
	}

	// The Kiota compression handler gzips request bodies.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte(`{"requests":[{"id":"a","method":"GET","url":"/organization"}]}`))
	_ = zw.Close()
	r := do(t, http.MethodPost, srv.BaseURL()+"/$batch", &gz, "Content-Type", "application/json", "Content-Encoding", "gzip")
	if r.status != 200 || !strings.Contains(string(r.raw), `"status":200`) {
		t.Errorf("gzipped batch: %d %s", r.status, r.raw)
	}
}

func TestRequestLimit(t *testing.T) {
	t.Parallel()
	s := graphemu.NewServer(graphemu.WithRequestLimit(3))
	if err := s.AddTenant(fabrikam(t)); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s)
	defer hs.Close()
	var statuses []int
	for range 5 {
		statuses = append(statuses, get(t, hs.URL+"/v1.0/organization").status)
	}
	if !slices.Equal(statuses, []int{200, 200, 200, 500, 500}) {
		t.Errorf("statuses = %v", statuses)
	}
}

func TestTenantSelectedByTokenTid(t *testing.T) {
	t.Parallel()
	srv := graphemu.Start(t, fabrikam(t))
	second := graphemu.SampleTenant()
	if err := srv.AddTenant(second); err != nil {
		t.Fatal(err)
	}
	org := func(headers ...string) string {
		r := get(t, srv.BaseURL()+"/organization?$select=displayName", headers...)
		if r.status != 200 {
			t.Fatalf("status %d: %s", r.status, r.raw)
		}
		return values(t, r)[0]["displayName"].(string)
	}
	if got := org(); got != "Fabrikam" {
		t.Errorf("anonymous request served %s, want the first tenant", got)
	}
	if got := org("Authorization", "Bearer "+fakeJWT(t, map[string]any{"tid": second.ID})); got != "Contoso" {
		t.Errorf("tid request served %s", got)
	}
	r := get(t, srv.BaseURL()+"/organization", "Authorization", "Bearer "+fakeJWT(t, map[string]any{"tid": "00000000-0000-0000-0000-000000000bad"}))
	if r.status != 401 {
		t.Errorf("unknown tenant: %d", r.status)
	}
}

func TestLoadTenantRejectsUnknownFields(t *testing.T) {
	t.Parallel()
	_, err := graphemu.ParseTenant([]byte(`{"id":"x","organisation":{}}`))
	if err == nil || !strings.Contains(err.Error(), "organisation") {
		t.Errorf("err = %v, want unknown field organisation", err)
	}
	if _, err := graphemu.ParseTenant([]byte(`{"id":"x","subscribedSkus":[{"skuPartNumber":"MADE_UP"}]}`)); err == nil {
		t.Error("a SKU without skuId outside the catalogue was accepted")
	}
	if _, err := graphemu.CatalogSKU("MADE_UP", 1, 1); err == nil {
		t.Error("CatalogSKU accepted an unknown part number")
	}
}

func TestGeneratedFixture(t *testing.T) {
	t.Parallel()
	tenant, err := graphemu.LoadTenant("testdata/generated.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(tenant.Users) != 2000 || len(tenant.UserRegistrationDetails) != 2000 {
		t.Fatalf("%d users, %d registrations", len(tenant.Users), len(tenant.UserRegistrationDetails))
	}
	srv := graphemu.Start(t, tenant)
	total, synced, pages := 0, 0, 0
	next := srv.BaseURL() + "/users?$select=id,userPrincipalName,onPremisesSyncEnabled&$top=999"
	for next != "" && pages < 5 {
		pages++
		r := get(t, next)
		for _, u := range values(t, r) {
			total++
			if u["onPremisesSyncEnabled"] == true {
				synced++
			}
			if !strings.Contains(u["userPrincipalName"].(string), "@northwind.") {
				t.Fatalf("UPN %v outside the fixture's domain", u["userPrincipalName"])
			}
		}
		next, _ = r.body["@odata.nextLink"].(string)
	}
	if total != 2000 || pages != 3 {
		t.Errorf("listed %d users in %d pages, want 2000 in 3", total, pages)
	}
	// 90% synced among the 95% who are not guests.
	if synced < 1600 || synced > 1820 {
		t.Errorf("%d of 2000 synced, want about 1710", synced)
	}
}

func TestGenerateTenantIsDeterministicAndUnique(t *testing.T) {
	t.Parallel()
	opts := graphemu.GenerateOptions{Users: 50000, Seed: 7, SyncedPercent: 80, MFARegisteredPercent: 50, Admins: 5}
	a := graphemu.GenerateTenant("3a2b1c0d-9e8f-4a7b-8c6d-5e4f3a2b1c0d", "Tailspin Toys", opts)
	b := graphemu.GenerateTenant("3a2b1c0d-9e8f-4a7b-8c6d-5e4f3a2b1c0d", "Tailspin Toys", opts)
	if len(a.Users) != 50000 {
		t.Fatalf("%d users", len(a.Users))
	}
	ids, upns, sids := map[string]bool{}, map[string]bool{}, map[string]bool{}
	synced, admins, mfa := 0, 0, 0
	for i, u := range a.Users {
		if u.ID != b.Users[i].ID || u.UserPrincipalName != b.Users[i].UserPrincipalName {
			t.Fatalf("user %d differs between runs", i)
		}
		if ids[u.ID] || upns[u.UserPrincipalName] {
			t.Fatalf("duplicate user %s %s", u.ID, u.UserPrincipalName)
		}
		ids[u.ID], upns[u.UserPrincipalName] = true, true
		if u.OnPremisesSyncEnabled != nil && *u.OnPremisesSyncEnabled {
			synced++
			if sids[*u.OnPremisesSecurityIdentifier] {
				t.Fatalf("duplicate SID %s", *u.OnPremisesSecurityIdentifier)
			}
			sids[*u.OnPremisesSecurityIdentifier] = true
			if u.OnPremisesDistinguishedName == nil || !strings.HasSuffix(*u.OnPremisesDistinguishedName, "DC=corp,DC=tailspintoys,DC=com") {
				t.Fatalf("DN %v", u.OnPremisesDistinguishedName)
			}
		}
		r := a.UserRegistrationDetails[i]
		if r.ID != u.ID {
			t.Fatalf("registration %d is for %s, user is %s", i, r.ID, u.ID)
		}
		if r.IsAdmin {
			admins++
		}
		if r.IsMfaRegistered {
			mfa++
		}
	}
	if synced < 39000 || synced > 41000 || admins != 5 || mfa < 24000 || mfa > 26000 {
		t.Errorf("synced %d, admins %d, mfa %d", synced, admins, mfa)
	}
	if !a.HasPremium() || a.Organization.OnPremisesSyncEnabled == nil || !*a.Organization.OnPremisesSyncEnabled {
		t.Error("generated hybrid tenant should be premium (SPE_E3) and synced")
	}
}

func fakeJWT(t *testing.T, claims map[string]any) string {
	t.Helper()
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc(payload) + ".sig"
}
