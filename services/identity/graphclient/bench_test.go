package graphclient_test

import (
	"context"
	"testing"

	"github.com/hybridkit/hybridkit/services/identity/graphclient"
	"github.com/hybridkit/hybridkit/services/identity/graphemu"
)

// BenchmarkListUsers50k lists every user of a generated 50,000-user hybrid tenant through the
// client and the emulator, reporting requests and users per listing.
func BenchmarkListUsers50k(b *testing.B) {
	tenant := graphemu.GenerateTenant("5e4d3c2b-1a09-4f8e-8d7c-6b5a49382716", "Bench Corp",
		graphemu.GenerateOptions{Users: 50000, Seed: 1, SyncedPercent: 85, MFARegisteredPercent: 60})
	// 51 pages of 999 per listing; the bound only catches a runaway loop.
	srv := graphemu.Start(b, tenant, graphemu.WithRequestLimit(1<<30))
	c, err := graphclient.New(context.Background(), graphclient.Config{BaseURL: srv.BaseURL()})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	// Warm up: the emulator encodes the tenant's users on first use.
	if err := c.ListUsers(ctx, func(graphclient.User) error { return nil }); err != nil {
		b.Fatal(err)
	}
	warm := c.Stats().Requests
	b.ReportAllocs()
	var users, synced int
	for b.Loop() {
		users, synced = 0, 0
		err := c.ListUsers(ctx, func(u graphclient.User) error {
			users++
			if u.Synced() {
				synced++
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		if users != 50000 {
			b.Fatalf("listed %d users, want 50000", users)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(c.Stats().Requests-warm)/float64(b.N), "requests/op")
	b.ReportMetric(float64(users), "users/op")
	b.ReportMetric(float64(synced), "synced/op")
}
