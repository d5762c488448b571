package checks_test

import (
	"context"
	"slices"
	"testing"

	"github.com/hybridkit/hybridkit/services/identity/checks"
	"github.com/hybridkit/hybridkit/services/identity/graphclient"
	"github.com/hybridkit/hybridkit/services/identity/graphemu"
)

// bigTenant is a generated 50,000-user hybrid tenant with 60 admins: five Global
// Administrators, admins through a role-assignable group and through PIM, break-glass, synced
// admins, the CA policies of generateSecurity and per-user MFA states.
func bigTenant() *graphemu.Tenant {
	return graphemu.GenerateTenant("5e4d3c2b-1a09-4f8e-8d7c-6b5a49382716", "Bench Corp", graphemu.GenerateOptions{
		Users: 50000, Seed: 1, SyncedPercent: 85, MFARegisteredPercent: 60, SSPRRegisteredPercent: 40, GuestPercent: 3,
		Admins: 60, Security: true, SKU: "SPE_E5",
	})
}

// BenchmarkAdmins50k runs the admin check on a 50,000-user tenant, without throttling and
// under realistic budgets (the tenant's identity budget, the reports' 5 requests per 10
// seconds, Conditional Access's one request a second without Retry-After). It reports the
// HTTP requests, the Graph operations they carry ($batch items counted one by one), the 429s
// and the time spent waiting, and fails if the throttled run's report differs from the
// unthrottled one: no request may be lost. The realistic run takes about 15 seconds;
// run it with -benchtime 1x.
func BenchmarkAdmins50k(b *testing.B) {
	want, wantFindings := func() ([]string, []string) {
		c, _ := start(b, bigTenant(), graphemu.WithRequestLimit(1<<30))
		rep, fs, err := checks.Admins(context.Background(), c, checks.AdminOptions{})
		if err != nil {
			b.Fatal(err)
		}
		return adminSummary(rep), summary(fs)
	}()
	for _, bc := range []struct {
		name string
		opts []graphemu.Option
	}{
		{"unthrottled", nil},
		{"realistic", []graphemu.Option{
			graphemu.WithBudget(graphemu.RealisticTenantBudget),
			graphemu.WithEndpointBudget(graphemu.ThrottleReports, graphemu.RealisticReportsBudget),
			graphemu.WithEndpointBudget(graphemu.ThrottleConditionalAccess, graphemu.RealisticConditionalAccessBudget),
			graphemu.WithEndpointBudget(graphemu.ThrottleSecureScore, graphemu.RealisticSecureScoreBudget),
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			tn := bigTenant()
			c, srv := startWith(b, tn, graphclient.Config{MaxRetries: 10}, append([]graphemu.Option{graphemu.WithRequestLimit(1 << 30)}, bc.opts...)...)
			ctx := context.Background()
			// Warm up: the emulator encodes the tenant's users and registrations on first use.
			if _, _, err := checks.Admins(ctx, c, checks.AdminOptions{}); err != nil {
				b.Fatal(err)
			}
			var rep *checks.AdminReport
			var fs []string
			before := c.Stats()
			ops := 0
			for b.Loop() {
				srv.Reset() // a fresh budget for each run
				r, f, err := checks.Admins(ctx, c, checks.AdminOptions{})
				if err != nil {
					b.Fatal(err)
				}
				ops += srv.Count(tn.ID)
				rep, fs = r, summary(f)
			}
			b.StopTimer()
			if got := adminSummary(rep); !slices.Equal(got, want) || !slices.Equal(fs, wantFindings) {
				b.Fatalf("report differs from the unthrottled run:\n got  %q\n want %q\n findings %q, want %q", got, want, fs, wantFindings)
			}
			throttled := map[string]int{}
			for _, r := range srv.Requests() {
				if r.Status == 429 {
					throttled[r.Path]++
				}
			}
			if len(throttled) > 0 {
				b.Logf("429s by path over %d runs: %v", b.N, throttled)
			}
			st := c.Stats()
			n := float64(b.N)
			b.ReportMetric(float64(st.Requests-before.Requests)/n, "http-requests/op")
			b.ReportMetric(float64(ops)/n, "graph-ops/op")
			b.ReportMetric(float64(st.Throttled-before.Throttled)/n, "429s/op")
			b.ReportMetric((st.RetryWait-before.RetryWait).Seconds()/n, "wait-s/op")
			b.ReportMetric(float64(len(rep.Admins)), "admins")
		})
	}
}
