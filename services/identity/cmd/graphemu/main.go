// Command graphemu serves emulated Microsoft Graph tenants on a loopback port, for developing
// and demonstrating the identity service without a real tenant.
//
//	graphemu                                   # the sample hybrid tenant
//	graphemu -tenant fixture.json -addr 127.0.0.1:8089
//	graphemu -users 50000 -budget 2000/10s     # a generated tenant, throttled
//	graphemu -users 50000 -realistic-throttling # Graph's tenant, reports and CA budgets
//
// Point the identity service at the printed base URL (--graph-base-url). Requests need no
// token; a bearer JWT's tid claim selects among several tenants.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hybridkit/hybridkit/services/identity/graphemu"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "graphemu:", err)
		}
		os.Exit(2)
	}
}

// run serves until ctx ends. It prints one line per tenant and the base URL to stdout.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("graphemu", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		addr     = fs.String("addr", "127.0.0.1:8089", "loopback address to listen on (port 0 picks a free one)")
		users    = fs.Int("users", 0, "also serve a generated hybrid tenant with this many users")
		seed     = fs.Uint64("seed", 1, "seed of the generated tenant")
		synced   = fs.Int("synced-percent", 85, "share of generated users synced from AD")
		mfa      = fs.Int("mfa-percent", 60, "share of generated users registered for MFA")
		admins   = fs.Int("admins", 30, "admins of the generated tenant (roles, groups, PIM, methods, CA policies)")
		signIns  = fs.Int("sign-ins", 2000, "sign-in events of the generated tenant over 30 days, some by legacy clients")
		sku      = fs.String("sku", "SPE_E5", "licence of the generated tenant's users: SPE_E5 (Entra ID P2), SPE_E3 (P1 only), ...")
		ssprScop = fs.String("sspr-scope", "selected", "SSPR scope of the generated tenant: all, selected or none")
		pageSize = fs.Int("page-size", 0, "server page size for paged collections (0: Graph's defaults)")
		budget   = fs.String("budget", "", "per-tenant throttling budget as REQUESTS/DURATION, e.g. 5/10s (empty: none)")
		realist  = fs.Bool("realistic-throttling", false, "throttle like Graph: the tenant's identity budget, reports 5/10s, Conditional Access 1/s without Retry-After, Secure Score 150/min")
		level    = fs.String("log-level", "info", "debug logs every request; info logs error responses")
		tenants  []string
	)
	fs.Func("tenant", "JSON tenant fixture to serve (repeatable; the first serves requests without a token)", func(p string) error {
		tenants = append(tenants, p)
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*level)); err != nil {
		return fmt.Errorf("-log-level: %w", err)
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lvl}))

	opts := []graphemu.Option{graphemu.WithLogger(logger)}
	if *pageSize < 0 {
		return fmt.Errorf("-page-size %d: want 0 or more", *pageSize)
	}
	if *pageSize > 0 {
		opts = append(opts, graphemu.WithPageSize(*pageSize))
	}
	if *realist {
		opts = append(opts,
			graphemu.WithBudget(graphemu.RealisticTenantBudget),
			graphemu.WithEndpointBudget(graphemu.ThrottleReports, graphemu.RealisticReportsBudget),
			graphemu.WithEndpointBudget(graphemu.ThrottleConditionalAccess, graphemu.RealisticConditionalAccessBudget),
			graphemu.WithEndpointBudget(graphemu.ThrottleSecureScore, graphemu.RealisticSecureScoreBudget))
	}
	if *budget != "" {
		b, err := parseBudget(*budget)
		if err != nil {
			return err
		}
		opts = append(opts, graphemu.WithBudget(b))
	}
	switch *ssprScop {
	case "all", "selected", "none":
	default:
		return fmt.Errorf("-sspr-scope %q: want all, selected or none", *ssprScop)
	}
	if !slices.Contains(graphemu.CatalogSKUs(), *sku) {
		return fmt.Errorf("-sku %q: want one of %s", *sku, strings.Join(graphemu.CatalogSKUs(), ", "))
	}
	srv := graphemu.NewServer(opts...)

	var served []*graphemu.Tenant
	for _, p := range tenants {
		t, err := graphemu.LoadTenant(p)
		if err != nil {
			return err
		}
		served = append(served, t)
	}
	if *users > 0 {
		served = append(served, graphemu.GenerateTenant("6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d", "Generated",
			graphemu.GenerateOptions{Users: *users, Seed: *seed, SyncedPercent: *synced, MFARegisteredPercent: *mfa, SSPRRegisteredPercent: *mfa / 2, GuestPercent: 3,
				Admins: min(*admins, *users), Security: true, SignIns: *signIns, SKU: *sku, SSPRScope: *ssprScop}))
	}
	if len(served) == 0 {
		served = append(served, graphemu.SampleTenant())
	}
	for _, t := range served {
		if err := srv.AddTenant(t); err != nil {
			return err
		}
	}

	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		return fmt.Errorf("-addr %q: %w", *addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("-addr %q: graphemu serves fake data without authentication; listen on a loopback address", *addr)
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", *addr)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String() + "/v1.0"
	for _, t := range served {
		fmt.Fprintf(stdout, "tenant %s %q: %d users, %d SKUs, premium %v, P2 %v, %d role assignments, %d CA policies\n", t.ID, t.Organization.DisplayName,
			len(t.Users), len(t.SubscribedSKUs), t.HasPremium(), t.HasP2(), len(t.RoleAssignments), len(t.ConditionalAccessPolicies))
	}
	fmt.Fprintf(stdout, "serving Microsoft Graph at %s\n", base)

	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// parseBudget reads REQUESTS/DURATION, e.g. 5/10s.
func parseBudget(s string) (graphemu.Budget, error) {
	n, d, ok := strings.Cut(s, "/")
	requests, err := strconv.Atoi(n)
	if !ok || err != nil || requests < 1 {
		return graphemu.Budget{}, fmt.Errorf("-budget %q: want REQUESTS/DURATION such as 5/10s", s)
	}
	per, err := time.ParseDuration(d)
	if err != nil || per <= 0 {
		return graphemu.Budget{}, fmt.Errorf("-budget %q: want REQUESTS/DURATION such as 5/10s", s)
	}
	return graphemu.Budget{Requests: requests, Per: per}, nil
}
