package checks_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/hybridkit/hybridkit/services/identity/checks"
	"github.com/hybridkit/hybridkit/services/identity/graphclient"
	"github.com/hybridkit/hybridkit/services/identity/graphemu"
)

func TestLegacyAuth(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		tenant  func(t *testing.T) *graphemu.Tenant
		want    []string
		check   func(t *testing.T, r *checks.LegacyAuthReport)
		wantErr string
	}{
		{
			name:   "healthy: blocked, no legacy sign-ins",
			tenant: func(t *testing.T) *graphemu.Tenant { return load(t, "healthy") },
			want:   []string{"legacy-auth.blocked:INFO", "legacy-auth.no-sign-ins:INFO"},
			check: func(t *testing.T, r *checks.LegacyAuthReport) {
				if !r.Blocked || !r.SignInsRead || r.SignIns != 0 || len(r.Policies) != 1 || !r.Policies[0].AllUsers {
					t.Errorf("report %+v", r)
				}
				if want := time.Date(2025, 5, 3, 9, 0, 0, 0, time.UTC); !r.Since.Equal(want) {
					t.Errorf("since %v, want %v", r.Since, want)
				}
			},
		},
		{
			name:   "problems: report-only block, partial block, successful legacy sign-ins",
			tenant: func(t *testing.T) *graphemu.Tenant { return load(t, "problems") },
			want:   []string{"legacy-auth.not-blocked:HIGH", "legacy-auth.partial:MEDIUM", "legacy-auth.policy-not-enforced:LOW", "legacy-auth.sign-ins:HIGH"},
			check: func(t *testing.T, r *checks.LegacyAuthReport) {
				if r.Blocked || r.SignIns != 5 || r.Successful != 4 {
					t.Errorf("blocked %v, %d sign-ins, %d successful", r.Blocked, r.SignIns, r.Successful)
				}
				var clients []string
				for _, c := range r.ByClient {
					clients = append(clients, c.Name)
				}
				if !slices.Equal(clients, []string{"IMAP4", "Authenticated SMTP", "Exchange ActiveSync", "POP3"}) {
					t.Errorf("clients %q", clients)
				}
				if u := r.ByUser[0]; u.Name != "scanner@fabrikam.com" || u.SignIns != 3 || u.Success != 3 || !slices.Equal(u.Clients, []string{"Authenticated SMTP", "IMAP4"}) {
					t.Errorf("top user %+v", u)
				}
			},
		},
		{
			name: "blocked with exclusions; legacy sign-ins fail",
			tenant: func(t *testing.T) *graphemu.Tenant {
				tn := load(t, "healthy")
				p := &tn.ConditionalAccessPolicies[1]
				p.Conditions.Users.ExcludeGroups = []string{"b0000000-0000-4000-8000-000000000001"}
				p.Conditions.Users.ExcludeUsers = []string{"a0000000-0000-4000-8000-000000000008"}
				tn.SignIns = append(tn.SignIns, graphemu.SignIn{
					CreatedDateTime: time.Date(2025, 5, 31, 10, 0, 0, 0, time.UTC), UserPrincipalName: "grace.kim@contoso.com",
					ClientAppUsed: "POP3", Status: graphemu.SignInStatus{ErrorCode: 53003},
				})
				return tn
			},
			want: []string{"legacy-auth.blocked:INFO", "legacy-auth.exclusions:LOW", "legacy-auth.sign-ins:LOW"},
		},
		{
			name:   "no premium: security defaults block, sign-in logs need P1",
			tenant: func(t *testing.T) *graphemu.Tenant { return load(t, "no-premium") },
			want:   []string{"legacy-auth.blocked:INFO", "legacy-auth.sign-ins-unavailable:LOW"},
			check: func(t *testing.T, r *checks.LegacyAuthReport) {
				if r.SecurityDefaults == nil || !*r.SecurityDefaults || r.SignInsRead || r.Unavailable[0].Licence != "P1" {
					t.Errorf("report %+v", r)
				}
			},
		},
		{
			name:   "no permission for the sign-in logs",
			tenant: func(t *testing.T) *graphemu.Tenant { return revoke(load(t, "healthy"), "AuditLog.Read.All") },
			want:   []string{"legacy-auth.blocked:INFO", "legacy-auth.sign-ins-unavailable:LOW"},
		},
		{
			name:    "no permission for Conditional Access",
			tenant:  func(t *testing.T) *graphemu.Tenant { return revoke(load(t, "healthy"), "Policy.Read.All") },
			wantErr: "Policy.Read.All",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, _ := start(t, tc.tenant(t))
			rep, fs, err := checks.LegacyAuth(ctx(t), c, checks.LegacyAuthOptions{Now: clock})
			if tc.wantErr != "" {
				var perm *graphclient.PermissionError
				if !errors.As(err, &perm) || perm.Permission != tc.wantErr {
					t.Fatalf("err = %v, want a PermissionError for %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			wantFindings(t, fs, tc.want...)
			if tc.check != nil {
				tc.check(t, rep)
			}
		})
	}
}

func TestLegacyAuthEvidence(t *testing.T) {
	t.Parallel()
	tn := load(t, "healthy")
	tn.ConditionalAccessPolicies[1].Conditions.Users.ExcludeGroups = []string{"b0000000-0000-4000-8000-000000000001"}
	c, _ := start(t, tn)
	_, fs, err := checks.LegacyAuth(ctx(t), c, checks.LegacyAuthOptions{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	wantEvidence(t, finding(t, fs, "legacy-auth.exclusions"), "group Security Admins (b0000000-0000-4000-8000-000000000001)")

	c, _ = start(t, load(t, "problems"))
	_, fs, err = checks.LegacyAuth(ctx(t), c, checks.LegacyAuthOptions{Now: clock, MaxListed: 1})
	if err != nil {
		t.Fatal(err)
	}
	signIns := finding(t, fs, "legacy-auth.sign-ins")
	if signIns.GetTitle() != "5 sign-ins by legacy clients since 2025-05-03 (4 successful)" {
		t.Errorf("title %q", signIns.GetTitle())
	}
	wantEvidence(t, signIns,
		"5 legacy sign-ins since 2025-05-03, 4 successful, by 3 users",
		"client IMAP4: 2 sign-ins, 2 successful, last 2025-06-01T23:10:00Z",
		"user scanner@fabrikam.com: 3 sign-ins, 3 successful (Authenticated SMTP, IMAP4), last 2025-06-01T23:10:00Z",
		"… and 2 more")
	wantEvidence(t, finding(t, fs, "legacy-auth.partial"),
		"blocks exchangeActiveSync; covers only group Sales (b1000000-0000-4000-8000-000000000004); does not cover client type other")

	// The April sign-in is outside 30 days but inside 60.
	_, fs, err = checks.LegacyAuth(ctx(t), c, checks.LegacyAuthOptions{Now: clock, Days: 60})
	if err != nil {
		t.Fatal(err)
	}
	if got := finding(t, fs, "legacy-auth.sign-ins").GetTitle(); got != "6 sign-ins by legacy clients since 2025-04-03 (5 successful)" {
		t.Errorf("60 days: %q", got)
	}
}

func TestSecureScore(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		tenant  func(t *testing.T) *graphemu.Tenant
		opts    checks.SecureScoreOptions
		want    []string
		check   func(t *testing.T, r *checks.SecureScoreReport)
		wantErr string
	}{
		{
			name:   "healthy",
			tenant: func(t *testing.T) *graphemu.Tenant { return load(t, "healthy") },
			want:   []string{"secure-score.summary:INFO"},
			check: func(t *testing.T, r *checks.SecureScoreReport) {
				if r.Current != 201.5 || r.Max != 250 || r.Percentage != 80.6 || r.Change != 2 || len(r.History) != 2 || len(r.Actions) != 6 {
					t.Errorf("report %+v", r)
				}
			},
		},
		{
			name:   "problems: declining, identity actions ranked by points to gain",
			tenant: func(t *testing.T) *graphemu.Tenant { return load(t, "problems") },
			want: []string{"secure-score.summary:INFO", "secure-score.declined:LOW", "secure-score.action.AdminMFAV2:MEDIUM",
				"secure-score.action.BlockLegacyAuthentication:MEDIUM", "secure-score.action.MFARegistrationV2:MEDIUM",
				"secure-score.action.PasswordHashSync:MEDIUM", "secure-score.action.SelfServicePasswordReset:LOW"},
			check: func(t *testing.T, r *checks.SecureScoreReport) {
				var ranked []string
				for _, a := range r.Actions {
					ranked = append(ranked, a.ID)
				}
				want := []string{"AdminMFAV2", "BlockLegacyAuthentication", "SigninRiskPolicy", "MFARegistrationV2", "PasswordHashSync", "SelfServicePasswordReset", "OneAdmin"}
				if !slices.Equal(ranked, want) {
					t.Errorf("ranked %q, want %q", ranked, want)
				}
				if a := r.Actions[0]; a.Gap != 8 || a.Score != 2 || a.Remediation != "Require MFA for every admin role & review exclusions." {
					t.Errorf("first action %+v", a)
				}
				if r.Actions[2].State != "Ignored" || r.Change != -9.5 {
					t.Errorf("ignored action %+v, change %v", r.Actions[2], r.Change)
				}
			},
		},
		{
			name:   "problems, two actions at most",
			tenant: func(t *testing.T) *graphemu.Tenant { return load(t, "problems") },
			opts:   checks.SecureScoreOptions{MaxActions: 2},
			want: []string{"secure-score.summary:INFO", "secure-score.declined:LOW", "secure-score.action.AdminMFAV2:MEDIUM",
				"secure-score.action.BlockLegacyAuthentication:MEDIUM"},
		},
		{
			name:   "no premium: a score, no profiles",
			tenant: func(t *testing.T) *graphemu.Tenant { return load(t, "no-premium") },
			want:   []string{"secure-score.summary:INFO"},
		},
		{
			name: "no snapshot yet",
			tenant: func(t *testing.T) *graphemu.Tenant {
				tn := load(t, "no-premium")
				tn.SecureScores = nil
				return tn
			},
			want: []string{"secure-score.no-data:INFO"},
		},
		{
			name:    "no permission",
			tenant:  func(t *testing.T) *graphemu.Tenant { return revoke(load(t, "healthy"), "SecurityEvents.Read.All") },
			wantErr: "SecurityEvents.Read.All",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, _ := start(t, tc.tenant(t))
			rep, fs, err := checks.SecureScore(ctx(t), c, tc.opts)
			if tc.wantErr != "" {
				var perm *graphclient.PermissionError
				if !errors.As(err, &perm) || perm.Permission != tc.wantErr {
					t.Fatalf("err = %v, want a PermissionError for %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			wantFindings(t, fs, tc.want...)
			if tc.check != nil {
				tc.check(t, rep)
			}
		})
	}
}

func TestSecureScoreEvidence(t *testing.T) {
	t.Parallel()
	c, _ := start(t, load(t, "problems"))
	_, fs, err := checks.SecureScore(ctx(t), c, checks.SecureScoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantEvidence(t, finding(t, fs, "secure-score.summary"),
		"2025-06-02: 80.50 of 250.00 points (32.20%)",
		"2025-05-05: 90.00 points; change since: -9.50",
		"average of comparable tenants (AllTenants): 38.92%")
	a := finding(t, fs, "secure-score.action.PasswordHashSync")
	if a.GetTitle() != "Enable password hash sync if hybrid (+5.00 points available)" || a.GetRemediation() != "Turn on password hash sync." {
		t.Errorf("%q / %q", a.GetTitle(), a.GetRemediation())
	}
	wantEvidence(t, a, "0.00 of 5.00 points; 5.00 to gain", "user impact Low; implementation cost Low; Microsoft rank 9", "threats: PasswordCracking")
	if a.GetReferences()[0] != "https://entra.microsoft.com/" {
		t.Errorf("references %q", a.GetReferences())
	}
}
