package graphclient_test

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hybridkit/hybridkit/services/identity/graphclient"
	"github.com/hybridkit/hybridkit/services/identity/graphemu"
)

func loadTenant(t testing.TB, name string) *graphemu.Tenant {
	t.Helper()
	tenant, err := graphemu.LoadTenant("testdata/tenants/" + name + ".json")
	if err != nil {
		t.Fatal(err)
	}
	return tenant
}

// newClient starts an emulator for tenant and returns an anonymous client against it.
func newClient(t testing.TB, tenant *graphemu.Tenant, cfg graphclient.Config, opts ...graphemu.Option) (*graphclient.Client, *graphemu.TestServer) {
	t.Helper()
	srv := graphemu.Start(t, tenant, opts...)
	cfg.BaseURL = srv.BaseURL()
	c, err := graphclient.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, srv
}

func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestLicences(t *testing.T) {
	t.Parallel()
	type sku struct {
		part, status       string
		enabled, consumed  int64
		warning, suspended int64
		plans              []string // name:status:counts
	}
	tests := []struct {
		fixture          string
		p1, p2           bool
		p1Seats, p2Seats graphclient.Seats
		skus             []sku
	}{
		{
			fixture: "ems-p1", p1: true,
			p1Seats: graphclient.Seats{Enabled: 50, Consumed: 42},
			skus: []sku{
				{part: "ENTERPRISEPACK", status: "Enabled", enabled: 150, consumed: 120},
				{part: "EMS", status: "Enabled", enabled: 50, consumed: 42, plans: []string{"AAD_PREMIUM:Success:true"}},
			},
		},
		{
			fixture: "spe-e5", p1: true, p2: true,
			p1Seats: graphclient.Seats{Enabled: 200, Consumed: 180},
			p2Seats: graphclient.Seats{Enabled: 200, Consumed: 180},
			skus: []sku{
				{part: "SPE_E5", status: "Enabled", enabled: 200, consumed: 180, plans: []string{"AAD_PREMIUM:Success:true", "AAD_PREMIUM_P2:Success:true"}},
			},
		},
		{
			// Business Premium (P1) plus a few standalone P2 seats: every premium seat is in
			// P1Seats once, the P2 ones also in P2Seats.
			fixture: "mixed-p1-p2", p1: true, p2: true,
			p1Seats: graphclient.Seats{Enabled: 80, Consumed: 64},
			p2Seats: graphclient.Seats{Enabled: 5, Consumed: 4},
			skus: []sku{
				{part: "SPB", status: "Enabled", enabled: 75, consumed: 60, plans: []string{"AAD_PREMIUM:Success:true"}},
				{part: "AAD_PREMIUM_P2", status: "Enabled", enabled: 5, consumed: 4, plans: []string{"AAD_PREMIUM:Success:true", "AAD_PREMIUM_P2:Success:true"}},
			},
		},
		{
			fixture: "pending-activation",
			skus: []sku{
				{part: "AAD_PREMIUM", status: "Enabled", enabled: 25, plans: []string{"AAD_PREMIUM:PendingActivation:false"}},
			},
		},
		{
			fixture: "suspended-warning",
			skus: []sku{
				{part: "EMS", status: "Suspended", consumed: 30, suspended: 30, plans: []string{"AAD_PREMIUM:Success:false"}},
				{part: "EMSPREMIUM", status: "Warning", consumed: 10, warning: 10, plans: []string{"AAD_PREMIUM:Success:false", "AAD_PREMIUM_P2:Success:false"}},
				{part: "ENTERPRISEPACK", status: "Enabled", enabled: 40, consumed: 38},
			},
		},
		{
			fixture: "no-premium",
			skus: []sku{
				{part: "ENTERPRISEPACK", status: "Enabled", enabled: 10, consumed: 9},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.fixture, func(t *testing.T) {
			t.Parallel()
			c, srv := newClient(t, loadTenant(t, tc.fixture), graphclient.Config{})
			rep, err := c.Licences(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			if rep.P1 != tc.p1 || rep.P2 != tc.p2 {
				t.Errorf("P1 %v P2 %v, want P1 %v P2 %v", rep.P1, rep.P2, tc.p1, tc.p2)
			}
			if rep.P1Seats != tc.p1Seats || rep.P2Seats != tc.p2Seats {
				t.Errorf("seats P1 %+v P2 %+v, want P1 %+v P2 %+v", rep.P1Seats, rep.P2Seats, tc.p1Seats, tc.p2Seats)
			}
			if len(rep.SKUs) != len(tc.skus) {
				t.Fatalf("%d SKUs, want %d: %+v", len(rep.SKUs), len(tc.skus), rep.SKUs)
			}
			for i, want := range tc.skus {
				got := rep.SKUs[i]
				if got.SkuPartNumber != want.part || got.CapabilityStatus != want.status || got.Enabled != want.enabled ||
					got.Consumed != want.consumed || got.Warning != want.warning || got.Suspended != want.suspended {
					t.Errorf("SKU %d = %+v, want %+v", i, got, want)
				}
				if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`).MatchString(got.SkuID) {
					t.Errorf("SKU %d id %q", i, got.SkuID)
				}
				var plans []string
				for _, p := range got.Plans {
					plans = append(plans, p.Name+":"+p.ProvisioningStatus+":"+map[bool]string{true: "true", false: "false"}[p.Counts])
					if (p.Name == graphclient.PlanP1Name) != (p.ID == graphclient.PlanP1ID) {
						t.Errorf("plan %s has id %s", p.Name, p.ID)
					}
				}
				if !slices.Equal(plans, want.plans) {
					t.Errorf("SKU %s premium plans = %v, want %v", got.SkuPartNumber, plans, want.plans)
				}
			}
			reqs := srv.Requests()
			if len(reqs) != 1 || reqs[0].Path != "/v1.0/subscribedSkus" || reqs[0].Status != 200 {
				t.Errorf("requests = %+v, want one GET /v1.0/subscribedSkus", reqs)
			}
		})
	}
}

func TestSyncStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fixture  string
		enabled  bool
		lastSync time.Time
		name     string
	}{
		{"ems-p1", true, time.Date(2025, 6, 2, 7, 58, 12, 0, time.UTC), "Contoso EMS"},
		{"no-premium", false, time.Time{}, "Tailwind"},
	}
	for _, tc := range tests {
		t.Run(tc.fixture, func(t *testing.T) {
			t.Parallel()
			tenant := loadTenant(t, tc.fixture)
			c, srv := newClient(t, tenant, graphclient.Config{})
			st, err := c.SyncStatus(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			want := graphclient.SyncStatus{TenantID: tenant.ID, DisplayName: tc.name, Enabled: tc.enabled, LastSync: tc.lastSync}
			if *st != want {
				t.Errorf("SyncStatus = %+v, want %+v", *st, want)
			}
			q := srv.Requests()[0].RawQuery
			if !strings.Contains(q, "select=id,displayName,onPremisesSyncEnabled,onPremisesLastSyncDateTime") {
				t.Errorf("organization query %q does not $select the sync properties", q)
			}
		})
	}
}

func TestListUsersFollowsPages(t *testing.T) {
	t.Parallel()
	c, srv := newClient(t, loadTenant(t, "hybrid-users"), graphclient.Config{}, graphemu.WithPageSize(3))
	var got []graphclient.User
	err := c.ListUsers(ctx(t), func(u graphclient.User) error {
		got = append(got, u)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 7 {
		t.Fatalf("%d users, want 7", len(got))
	}
	pat := got[0]
	if pat.UserPrincipalName != "pat.kim@fabrikam.com" || !pat.Synced() || pat.OnPremisesSamAccountName != "pkim" ||
		pat.OnPremisesSecurityIdentifier != "S-1-5-21-3623811015-3361044348-30300820-1101" ||
		pat.OnPremisesDistinguishedName != "CN=Pat Kim,OU=Staff,DC=corp,DC=fabrikam,DC=com" ||
		pat.OnPremisesImmutableID != "dGhpc2lzcGF0" || pat.OnPremisesDomainName != "corp.fabrikam.com" ||
		!pat.OnPremisesLastSync.Equal(time.Date(2025, 6, 2, 7, 41, 9, 0, time.UTC)) || !pat.AccountEnabled {
		t.Errorf("synced user = %+v", pat)
	}
	if got[2].AccountEnabled {
		t.Errorf("%s is disabled in the fixture", got[2].UserPrincipalName)
	}
	admin := got[3]
	if admin.Synced() || admin.OnPremisesSyncEnabled != nil || admin.OnPremisesSamAccountName != "" {
		t.Errorf("cloud-only user = %+v", admin)
	}
	if got[5].UserType != "Guest" {
		t.Errorf("guest user type %q", got[5].UserType)
	}

	reqs := srv.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests for 7 users at 3 per page, want 3", len(reqs))
	}
	if !strings.Contains(reqs[0].RawQuery, "top=999") || !strings.Contains(reqs[0].RawQuery, "onPremisesSecurityIdentifier") {
		t.Errorf("first page query %q lacks $top=999 or the onPremises $select", reqs[0].RawQuery)
	}
	for _, r := range reqs[1:] {
		if !strings.Contains(r.RawQuery, "skiptoken=") || !strings.Contains(r.RawQuery, "select=") {
			t.Errorf("next page query %q should follow the nextLink", r.RawQuery)
		}
	}

	// An error from the callback stops the listing without fetching further pages.
	srv.Reset()
	stop := errors.New("enough")
	n := 0
	err = c.ListUsers(ctx(t), func(graphclient.User) error {
		if n++; n == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || len(srv.Requests()) != 1 {
		t.Errorf("err %v after %d requests, want the callback's error after 1", err, len(srv.Requests()))
	}
}

func TestListUserRegistrations(t *testing.T) {
	t.Parallel()
	c, _ := newClient(t, loadTenant(t, "hybrid-users"), graphclient.Config{}, graphemu.WithPageSize(4))
	var regs []graphclient.UserRegistration
	if err := c.ListUserRegistrations(ctx(t), func(r graphclient.UserRegistration) error {
		regs = append(regs, r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(regs) != 7 {
		t.Fatalf("%d registrations", len(regs))
	}
	pat, admin, guest := regs[0], regs[3], regs[5]
	if !pat.IsMfaRegistered || !pat.IsSsprRegistered || !pat.IsSsprCapable || pat.IsAdmin ||
		!slices.Equal(pat.MethodsRegistered, []string{"microsoftAuthenticatorPush", "mobilePhone"}) || pat.UserType != "member" ||
		!pat.LastUpdated.Equal(time.Date(2025, 5, 30, 11, 0, 0, 0, time.UTC)) {
		t.Errorf("pat = %+v", pat)
	}
	if !admin.IsAdmin || !admin.IsPasswordlessCapable || admin.IsSsprRegistered {
		t.Errorf("admin = %+v", admin)
	}
	if guest.UserType != "guest" || guest.IsMfaRegistered {
		t.Errorf("guest = %+v", guest)
	}
}

func TestRetryHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		retryAfter func() string
		minWait    time.Duration
	}{
		{"seconds", func() string { return "1" }, time.Second},
		// An HTTP date has one-second resolution: three seconds ahead waits over one even on a slow run.
		{"HTTP date", func() string { return time.Now().Add(3 * time.Second).UTC().Format(http.TimeFormat) }, time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tenant := loadTenant(t, "ems-p1")
			c, srv := newClient(t, tenant, graphclient.Config{})
			if err := srv.Fail(tenant.ID, graphemu.Fault{Nth: 1, Status: 429, RetryAfter: tc.retryAfter()}); err != nil {
				t.Fatal(err)
			}
			rep, err := c.Licences(ctx(t))
			if err != nil {
				t.Fatalf("throttled once, then: %v", err)
			}
			if !rep.P1 {
				t.Error("the retried response was not used")
			}
			reqs := srv.Requests()
			if len(reqs) != 2 || reqs[0].Status != 429 || reqs[1].Status != 200 {
				t.Fatalf("requests = %+v, want 429 then 200", reqs)
			}
			if gap := reqs[1].Time.Sub(reqs[0].Time); gap < tc.minWait {
				t.Errorf("retried after %v, before Retry-After %q", gap, reqs[0].RetryAfter)
			}
			if got := reqs[1].Header.Get("Retry-Attempt"); got != "1" {
				t.Errorf("Retry-Attempt = %q, want 1", got)
			}
			st := c.Stats()
			if st.Requests != 2 || st.Retries != 1 || st.Throttled != 1 || st.RetryWait < tc.minWait {
				t.Errorf("Stats = %+v", st)
			}
		})
	}
}

func TestRetryOn503And504(t *testing.T) {
	t.Parallel()
	tenant := loadTenant(t, "ems-p1")
	c, srv := newClient(t, tenant, graphclient.Config{})
	if err := srv.Fail(tenant.ID,
		graphemu.Fault{Nth: 1, Status: 503, RetryAfter: "0"},
		graphemu.Fault{Nth: 2, Status: 504, RetryAfter: "0"},
	); err != nil {
		t.Fatal(err)
	}
	st, err := c.SyncStatus(ctx(t))
	if err != nil || !st.Enabled {
		t.Fatalf("SyncStatus = %+v, %v", st, err)
	}
	if n := srv.Count(tenant.ID); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
}

func TestRetriesAreBounded(t *testing.T) {
	t.Parallel()
	tenant := loadTenant(t, "ems-p1")
	c, srv := newClient(t, tenant, graphclient.Config{MaxRetries: 2})
	for n := 1; n <= 5; n++ {
		if err := srv.Fail(tenant.ID, graphemu.Fault{Nth: n, Status: 429, RetryAfter: "0"}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := c.Licences(ctx(t))
	var gerr *graphclient.Error
	if !errors.As(err, &gerr) {
		t.Fatalf("err = %v, want *graphclient.Error", err)
	}
	if gerr.StatusCode != 429 || gerr.Code != "TooManyRequests" || !gerr.Throttled() || gerr.Attempts != 3 {
		t.Errorf("error = %+v, want 429 TooManyRequests after 3 attempts", gerr)
	}
	if n := srv.Count(tenant.ID); n != 3 {
		t.Errorf("emulator saw %d requests, want 3 (1 + MaxRetries)", n)
	}
	if !strings.Contains(err.Error(), "after 3 attempts") {
		t.Errorf("message %q does not say retries were exhausted", err)
	}
}

func TestRetryAfterBeyondTimeoutFailsFast(t *testing.T) {
	t.Parallel()
	tenant := loadTenant(t, "ems-p1")
	c, srv := newClient(t, tenant, graphclient.Config{Timeout: 2 * time.Second})
	if err := srv.Fail(tenant.ID, graphemu.Throttled(1, 30*time.Second)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := c.Licences(ctx(t))
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("waited %v although Retry-After exceeds the timeout", elapsed)
	}
	var gerr *graphclient.Error
	if !errors.As(err, &gerr) || gerr.StatusCode != 429 || gerr.RetryAfter != 30*time.Second || gerr.Attempts != 1 {
		t.Fatalf("err = %#v", err)
	}
}

func TestPermissionErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		granted []string
		call    func(context.Context, *graphclient.Client) error
		want    string
		perm    string
	}{
		{
			name:    "licences",
			granted: []string{"User.Read.All"},
			call:    func(ctx context.Context, c *graphclient.Client) error { _, err := c.Licences(ctx); return err },
			want:    "Graph denied GET /subscribedSkus: the app needs the Organization.Read.All application permission",
			perm:    "Organization.Read.All",
		},
		{
			name:    "sync status",
			granted: []string{"User.Read.All"},
			call:    func(ctx context.Context, c *graphclient.Client) error { _, err := c.SyncStatus(ctx); return err },
			want:    "Graph denied GET /organization: the app needs the Organization.Read.All application permission",
			perm:    "Organization.Read.All",
		},
		{
			name:    "users",
			granted: []string{"Organization.Read.All"},
			call: func(ctx context.Context, c *graphclient.Client) error {
				return c.ListUsers(ctx, func(graphclient.User) error { return nil })
			},
			want: "Graph denied GET /users: the app needs the User.Read.All application permission",
			perm: "User.Read.All",
		},
		{
			name:    "registration details",
			granted: []string{"Directory.Read.All"},
			call: func(ctx context.Context, c *graphclient.Client) error {
				return c.ListUserRegistrations(ctx, func(graphclient.UserRegistration) error { return nil })
			},
			want: "Graph denied GET /reports/authenticationMethods/userRegistrationDetails: the app needs the AuditLog.Read.All application permission",
			perm: "AuditLog.Read.All",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tenant := loadTenant(t, "ems-p1")
			tenant.GrantedPermissions = tc.granted
			c, srv := newClient(t, tenant, graphclient.Config{})
			err := tc.call(ctx(t), c)
			var perm *graphclient.PermissionError
			if !errors.As(err, &perm) {
				t.Fatalf("err = %v, want *PermissionError", err)
			}
			if err.Error() != tc.want || perm.Permission != tc.perm {
				t.Errorf("error %q (permission %q), want %q", err, perm.Permission, tc.want)
			}
			var gerr *graphclient.Error
			if !errors.As(err, &gerr) || gerr.StatusCode != 403 || gerr.Code != "Authorization_RequestDenied" || gerr.RequestID == "" {
				t.Errorf("underlying error = %+v", gerr)
			}
			if n := srv.Count(tenant.ID); n != 1 {
				t.Errorf("a 403 was sent %d times; it must not be retried", n)
			}
		})
	}
}

func TestNonPremiumTenant(t *testing.T) {
	t.Parallel()
	c, _ := newClient(t, loadTenant(t, "no-premium"), graphclient.Config{})
	err := c.ListUserRegistrations(ctx(t), func(graphclient.UserRegistration) error {
		t.Error("a non-premium tenant returned registration details")
		return nil
	})
	var lic *graphclient.LicenceError
	if !errors.As(err, &lic) {
		t.Fatalf("err = %v, want *LicenceError", err)
	}
	want := "Graph refused GET /reports/authenticationMethods/userRegistrationDetails: the tenant needs a Microsoft Entra ID P1 or P2 licence"
	if err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	var gerr *graphclient.Error
	if !errors.As(err, &gerr) || gerr.StatusCode != 403 || gerr.Code != "Authentication_RequestFromNonPremiumTenantOrB2CTenant" {
		t.Errorf("underlying error = %+v", gerr)
	}
	var perm *graphclient.PermissionError
	if errors.As(err, &perm) {
		t.Error("a licence error must not read as a permission error")
	}
}

func TestServerError(t *testing.T) {
	t.Parallel()
	tenant := loadTenant(t, "ems-p1")
	c, srv := newClient(t, tenant, graphclient.Config{})
	if err := srv.Fail(tenant.ID, graphemu.Fault{Nth: 1, Status: 500, Code: "generalException", Message: "An unexpected error occurred."}); err != nil {
		t.Fatal(err)
	}
	_, err := c.Licences(ctx(t))
	var gerr *graphclient.Error
	if !errors.As(err, &gerr) {
		t.Fatalf("err = %v, want *graphclient.Error", err)
	}
	if gerr.StatusCode != 500 || gerr.Code != "generalException" || gerr.Message != "An unexpected error occurred." || gerr.Throttled() || gerr.Attempts != 1 {
		t.Errorf("error = %+v", gerr)
	}
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	if !uuid.MatchString(gerr.RequestID) || !uuid.MatchString(gerr.ClientRequestID) {
		t.Errorf("request ids %q / %q", gerr.RequestID, gerr.ClientRequestID)
	}
	want := "Graph GET /subscribedSkus failed: 500 generalException: An unexpected error occurred. [request-id " + gerr.RequestID + "]"
	if err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
	if n := srv.Count(tenant.ID); n != 1 {
		t.Errorf("a 500 was sent %d times; only 429/503/504 are retried", n)
	}
}

func TestContextCancellationInterruptsRetryWait(t *testing.T) {
	t.Parallel()
	tenant := loadTenant(t, "ems-p1")
	c, srv := newClient(t, tenant, graphclient.Config{})
	if err := srv.Fail(tenant.ID, graphemu.Throttled(1, 2*time.Second)); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	_, err := c.Licences(cctx)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled visible through errors.Is", err)
	}
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("cancellation took %v to interrupt a 2s Retry-After", elapsed)
	}
	if n := srv.Count(tenant.ID); n != 1 {
		t.Errorf("%d requests after cancellation, want 1", n)
	}
}
