package checks_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	identityv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/identity/v1"
	"github.com/hybridkit/hybridkit/services/identity/graphclient"
	"github.com/hybridkit/hybridkit/services/identity/graphemu"
)

// testNow is "now" for the fixtures: their last syncs and sign-ins are dated around it.
var testNow = time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)

func clock() time.Time { return testNow }

func load(t testing.TB, name string) *graphemu.Tenant {
	t.Helper()
	tn, err := graphemu.LoadTenant("testdata/tenants/" + name + ".json")
	if err != nil {
		t.Fatal(err)
	}
	return tn
}

// start serves tenant and returns a client for it.
func start(t testing.TB, tenant *graphemu.Tenant, opts ...graphemu.Option) (*graphclient.Client, *graphemu.TestServer) {
	t.Helper()
	return startWith(t, tenant, graphclient.Config{}, opts...)
}

func startWith(t testing.TB, tenant *graphemu.Tenant, cfg graphclient.Config, opts ...graphemu.Option) (*graphclient.Client, *graphemu.TestServer) {
	t.Helper()
	srv := graphemu.Start(t, tenant, opts...)
	cfg.BaseURL = srv.BaseURL()
	c, err := graphclient.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, srv
}

func ctx(t testing.TB) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

// summary lists findings as id:SEVERITY, in order.
func summary(fs []*identityv1.Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.GetId() + ":" + strings.TrimPrefix(f.GetSeverity().String(), "SEVERITY_")
	}
	return out
}

func finding(t testing.TB, fs []*identityv1.Finding, id string) *identityv1.Finding {
	t.Helper()
	for _, f := range fs {
		if f.GetId() == id {
			return f
		}
	}
	t.Fatalf("no finding %s in %v", id, summary(fs))
	return nil
}

func wantFindings(t testing.TB, got []*identityv1.Finding, want ...string) {
	t.Helper()
	if s := summary(got); !slices.Equal(s, want) {
		t.Errorf("findings:\n got  %q\n want %q", s, want)
	}
	for _, f := range got {
		if f.GetTitle() == "" || len(f.GetEvidence()) == 0 {
			t.Errorf("%s: title %q, %d evidence lines", f.GetId(), f.GetTitle(), len(f.GetEvidence()))
		}
		if f.GetSeverity() > identityv1.Severity_SEVERITY_INFO && f.GetRemediation() == "" {
			t.Errorf("%s: %s finding without remediation", f.GetId(), f.GetSeverity())
		}
		for _, r := range f.GetReferences() {
			if !strings.HasPrefix(r, "https://") {
				t.Errorf("%s: reference %q", f.GetId(), r)
			}
		}
	}
}

// wantEvidence checks that a finding's evidence holds each line exactly.
func wantEvidence(t testing.TB, f *identityv1.Finding, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !slices.Contains(f.GetEvidence(), l) {
			t.Errorf("%s: evidence lacks %q; has:\n  %s", f.GetId(), l, strings.Join(f.GetEvidence(), "\n  "))
		}
	}
}

// revoke removes application permissions from a tenant's grants.
func revoke(tn *graphemu.Tenant, perms ...string) *graphemu.Tenant {
	tn.GrantedPermissions = slices.DeleteFunc(tn.GrantedPermissions, func(p string) bool { return slices.Contains(perms, p) })
	return tn
}

func sku(t testing.TB, part string, enabled, consumed int64) graphemu.SubscribedSKU {
	t.Helper()
	s, err := graphemu.CatalogSKU(part, enabled, consumed)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
