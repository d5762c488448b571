package checks_test

import (
	"errors"
	"testing"
	"time"

	"github.com/hybridkit/hybridkit/services/identity/checks"
	"github.com/hybridkit/hybridkit/services/identity/graphclient"
	"github.com/hybridkit/hybridkit/services/identity/graphemu"
)

func TestLicences(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		fixture string
		want    []string
	}{
		{"healthy", []string{"licences.premium:INFO"}},
		{"problems", []string{"licences.premium:INFO", "licences.no-p2:LOW"}},
		{"no-premium", []string{"licences.no-premium:HIGH"}},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			t.Parallel()
			c, _ := start(t, load(t, tc.fixture))
			rep, fs, err := checks.Licences(ctx(t), c)
			if err != nil {
				t.Fatal(err)
			}
			wantFindings(t, fs, tc.want...)
			if rep.P1 != (tc.fixture != "no-premium") {
				t.Errorf("P1 = %v", rep.P1)
			}
		})
	}
}

func TestSync(t *testing.T) {
	t.Parallel()
	at := func(s string) *time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return &v
	}
	tests := []struct {
		name    string
		tenant  func(t *testing.T) *graphemu.Tenant
		want    []string
		check   func(t *testing.T, r *checks.SyncReport)
		wantErr string
	}{
		{
			name:   "healthy",
			tenant: func(t *testing.T) *graphemu.Tenant { return load(t, "healthy") },
			want:   []string{"sync.healthy:INFO", "sync.writeback-unverifiable:INFO"},
			check: func(t *testing.T, r *checks.SyncReport) {
				if !r.Enabled || r.Stale || r.SinceLastSync != 18*time.Minute {
					t.Errorf("enabled %v stale %v since %v", r.Enabled, r.Stale, r.SinceLastSync)
				}
				want := checks.UserCounts{Total: 10, Members: 9, Guests: 1, Synced: 3, CloudOnly: 6}
				if *r.Users != want {
					t.Errorf("users = %+v, want %+v", *r.Users, want)
				}
				if !r.Configuration.PasswordHashSync || !r.Configuration.PasswordWritebackReported || r.Configuration.AccidentalDeletionPrevention != "enabledForCount" || r.Configuration.AccidentalDeletionThreshold != 500 {
					t.Errorf("configuration = %+v", r.Configuration)
				}
			},
		},
		{
			name:   "problems: stale for 30 hours, no PHS, no deletion prevention",
			tenant: func(t *testing.T) *graphemu.Tenant { return load(t, "problems") },
			want:   []string{"sync.stale:HIGH", "sync.writeback-unverifiable:INFO", "sync.no-password-hash-sync:LOW", "sync.deletion-prevention-off:LOW"},
			check: func(t *testing.T, r *checks.SyncReport) {
				want := checks.UserCounts{Total: 14, Members: 13, Guests: 1, Synced: 5, CloudOnly: 7, FormerlySynced: 1}
				if *r.Users != want {
					t.Errorf("users = %+v, want %+v", *r.Users, want)
				}
			},
		},
		{
			name: "stale for 5 hours",
			tenant: func(t *testing.T) *graphemu.Tenant {
				tn := load(t, "healthy")
				tn.Organization.OnPremisesLastSyncDateTime = at("2025-06-02T03:48:00Z")
				return tn
			},
			want: []string{"sync.stale:MEDIUM", "sync.writeback-unverifiable:INFO"},
		},
		{
			name: "stale for 8 days",
			tenant: func(t *testing.T) *graphemu.Tenant {
				tn := load(t, "healthy")
				tn.Organization.OnPremisesLastSyncDateTime = at("2025-05-25T09:00:00Z")
				return tn
			},
			want: []string{"sync.stale:CRITICAL", "sync.writeback-unverifiable:INFO"},
		},
		{
			name: "enabled, never synced",
			tenant: func(t *testing.T) *graphemu.Tenant {
				tn := load(t, "healthy")
				tn.Organization.OnPremisesLastSyncDateTime = nil
				return tn
			},
			want: []string{"sync.never-completed:HIGH", "sync.writeback-unverifiable:INFO"},
		},
		{
			name: "switched off",
			tenant: func(t *testing.T) *graphemu.Tenant {
				tn := load(t, "problems")
				tn.Organization.OnPremisesSyncEnabled = new(bool)
				return tn
			},
			want: []string{"sync.not-enabled:INFO"},
		},
		{
			name:   "cloud-only",
			tenant: func(t *testing.T) *graphemu.Tenant { return load(t, "no-premium") },
			want:   []string{"sync.not-enabled:INFO"},
		},
		{
			name: "enabled without synced users",
			tenant: func(t *testing.T) *graphemu.Tenant {
				tn := load(t, "no-premium")
				tn.Organization.OnPremisesSyncEnabled = ptr(true)
				tn.Organization.OnPremisesLastSyncDateTime = at("2025-06-02T08:30:00Z")
				tn.OnPremisesSynchronization = nil // derive a synced tenant's defaults again
				return tn
			},
			want: []string{"sync.healthy:INFO", "sync.writeback-unverifiable:INFO", "sync.no-synced-users:MEDIUM"},
		},
		{
			name: "no permission for the sync features",
			tenant: func(t *testing.T) *graphemu.Tenant {
				return revoke(load(t, "healthy"), "OnPremDirectorySynchronization.Read.All")
			},
			want: []string{"sync.healthy:INFO", "sync.features-unavailable:LOW"},
			check: func(t *testing.T, r *checks.SyncReport) {
				if r.Configuration != nil || len(r.Unavailable) != 1 || r.Unavailable[0].Permission != "OnPremDirectorySynchronization.Read.All" {
					t.Errorf("configuration %v, unavailable %+v", r.Configuration, r.Unavailable)
				}
			},
		},
		{
			name:   "no permission for users",
			tenant: func(t *testing.T) *graphemu.Tenant { return revoke(load(t, "healthy"), "User.Read.All") },
			want:   []string{"sync.healthy:INFO", "sync.writeback-unverifiable:INFO", "sync.users-unavailable:LOW"},
		},
		{
			name:    "no permission for the organization",
			tenant:  func(t *testing.T) *graphemu.Tenant { return revoke(load(t, "healthy"), "Organization.Read.All") },
			wantErr: "Organization.Read.All",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, _ := start(t, tc.tenant(t))
			rep, fs, err := checks.Sync(ctx(t), c, checks.SyncOptions{Now: clock})
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

func TestSyncEvidence(t *testing.T) {
	t.Parallel()
	c, _ := start(t, load(t, "problems"))
	_, fs, err := checks.Sync(ctx(t), c, checks.SyncOptions{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	stale := finding(t, fs, "sync.stale")
	if stale.GetTitle() != "The last directory sync was 30h ago (more than 3h)" {
		t.Errorf("title %q", stale.GetTitle())
	}
	wantEvidence(t, stale,
		"organization.onPremisesLastSyncDateTime = 2025-06-01T03:00:00Z (30h ago)",
		"14 users: 5 synced from AD, 7 cloud-only members, 1 formerly synced, 1 guests")
	wantEvidence(t, finding(t, fs, "sync.writeback-unverifiable"),
		"directory/onPremisesSynchronization features.passwordWritebackEnabled = false, which Graph documents as unused: it is not evidence either way",
		"features reported on: deviceWritebackEnabled")

	// A looser threshold turns the same tenant healthy.
	_, fs, err = checks.Sync(ctx(t), c, checks.SyncOptions{Now: clock, StaleAfter: 48 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if got := summary(fs)[0]; got != "sync.healthy:INFO" {
		t.Errorf("with a 48h threshold: %s", got)
	}
}

func ptr[T any](v T) *T { return &v }
