package identity_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/hybridkit/hybridkit/platform/grpcserver"
	"github.com/hybridkit/hybridkit/platform/grpctest"
	identityv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/identity/v1"
	"github.com/hybridkit/hybridkit/services/identity"
	"github.com/hybridkit/hybridkit/services/identity/graphemu"
)

// fixtureNow is "now" for the fixtures in checks/testdata/tenants and the sample tenant: their
// last syncs and sign-ins are dated around it.
var fixtureNow = time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)

// startIdentity runs the service against an emulated tenant (nil: Graph not configured), its
// clock at fixtureNow.
func startIdentity(t *testing.T, tenant *graphemu.Tenant) identityv1.IdentityServiceClient {
	t.Helper()
	var cfg identity.Config
	if tenant != nil {
		cfg.BaseURL = graphemu.Start(t, tenant).BaseURL()
		cfg.Auth = "auto"
	}
	st := grpctest.Store(t)
	addr := grpctest.Start(t, grpcserver.Deps{}, func(ctx context.Context, deps grpcserver.Deps) error {
		return identity.Run(ctx, identity.Options{Config: cfg, Deps: deps, Store: st, Now: func() time.Time { return fixtureNow }})
	})
	return identityv1.NewIdentityServiceClient(grpctest.Dial(t, addr))
}

func tenantWith(t *testing.T, skus ...graphemu.SubscribedSKU) *graphemu.Tenant {
	t.Helper()
	tn := graphemu.SampleTenant()
	tn.SubscribedSKUs = skus
	return tn
}

func sku(t *testing.T, part string, enabled, consumed int64) graphemu.SubscribedSKU {
	t.Helper()
	s, err := graphemu.CatalogSKU(part, enabled, consumed)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func findingIDs(fs []*identityv1.Finding) string {
	var ids []string
	for _, f := range fs {
		ids = append(ids, f.GetId()+":"+f.GetSeverity().String())
	}
	return strings.Join(ids, ",")
}

func TestCheckLicences(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name         string
		skus         func(t *testing.T) []graphemu.SubscribedSKU
		p1, p2       bool
		seats        int64
		consumed     int64
		wantFindings string
	}{
		{
			name: "P1 through EMS E3",
			skus: func(t *testing.T) []graphemu.SubscribedSKU {
				return []graphemu.SubscribedSKU{sku(t, "ENTERPRISEPACK", 10, 6), sku(t, "EMS", 5, 4)}
			},
			p1:           true,
			seats:        5,
			consumed:     4,
			wantFindings: "licences.premium:SEVERITY_INFO,licences.no-p2:SEVERITY_LOW",
		},
		{
			name: "P2 through Microsoft 365 E5, over-assigned",
			skus: func(t *testing.T) []graphemu.SubscribedSKU {
				return []graphemu.SubscribedSKU{sku(t, "SPE_E5", 200, 210)}
			},
			p1:           true,
			p2:           true,
			seats:        200,
			consumed:     210,
			wantFindings: "licences.premium:SEVERITY_INFO,licences.over-assigned:SEVERITY_MEDIUM",
		},
		{
			name: "Office only",
			skus: func(t *testing.T) []graphemu.SubscribedSKU {
				return []graphemu.SubscribedSKU{sku(t, "ENTERPRISEPACK", 10, 6)}
			},
			wantFindings: "licences.no-premium:SEVERITY_HIGH",
		},
		{
			name: "EMS suspended does not count",
			skus: func(t *testing.T) []graphemu.SubscribedSKU {
				s := sku(t, "EMS", 5, 4)
				s.CapabilityStatus = "Suspended"
				return []graphemu.SubscribedSKU{s}
			},
			wantFindings: "licences.no-premium:SEVERITY_HIGH",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := startIdentity(t, tenantWith(t, tc.skus(t)...))
			resp, err := c.CheckLicences(context.Background(), &identityv1.CheckLicencesRequest{})
			if err != nil {
				t.Fatal(err)
			}
			r := resp.GetReport()
			if r.GetP1() != tc.p1 || r.GetP2() != tc.p2 || r.GetP1Seats().GetEnabled() != tc.seats || r.GetP1Seats().GetConsumed() != tc.consumed {
				t.Errorf("report P1 %v P2 %v seats %v", r.GetP1(), r.GetP2(), r.GetP1Seats())
			}
			if got := findingIDs(resp.GetFindings()); got != tc.wantFindings {
				t.Errorf("findings %s, want %s", got, tc.wantFindings)
			}
			for _, f := range resp.GetFindings() {
				if f.GetTitle() == "" || len(f.GetReferences()) == 0 || (f.GetSeverity() >= identityv1.Severity_SEVERITY_MEDIUM && f.GetRemediation() == "") {
					t.Errorf("finding %s lacks title, references or remediation", f.GetId())
				}
			}
		})
	}
}

func TestCheckLicencesErrors(t *testing.T) {
	t.Parallel()
	t.Run("missing permission", func(t *testing.T) {
		t.Parallel()
		tn := graphemu.SampleTenant()
		tn.GrantedPermissions = []string{"User.Read.All"}
		_, err := startIdentity(t, tn).CheckLicences(context.Background(), &identityv1.CheckLicencesRequest{})
		st := status.Convert(err)
		if st.Code() != codes.PermissionDenied || !strings.Contains(st.Message(), "Organization.Read.All") {
			t.Fatalf("%v", err)
		}
		var reason string
		for _, d := range st.Details() {
			if ei, ok := d.(*errdetails.ErrorInfo); ok {
				reason = ei.GetReason() + " " + ei.GetMetadata()["permission"]
			}
		}
		if reason != "GRAPH_PERMISSION_MISSING Organization.Read.All" {
			t.Errorf("ErrorInfo %q", reason)
		}
	})
	t.Run("not configured", func(t *testing.T) {
		t.Parallel()
		_, err := startIdentity(t, nil).CheckLicences(context.Background(), &identityv1.CheckLicencesRequest{})
		if st := status.Convert(err); st.Code() != codes.FailedPrecondition || !strings.Contains(st.Message(), "--graph-tenant-id") {
			t.Fatalf("%v", err)
		}
	})
}
