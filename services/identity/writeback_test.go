package identity_test

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/hybridkit/hybridkit/platform/auth"
	"github.com/hybridkit/hybridkit/platform/grpcserver"
	"github.com/hybridkit/hybridkit/platform/grpctest"
	directoryv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/directory/v1"
	identityv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/identity/v1"
	"github.com/hybridkit/hybridkit/services/identity"
	"github.com/hybridkit/hybridkit/services/identity/graphemu"
)

const sidPrefix = "S-1-5-21-1004336348-1177238915-682003330-"

// fakeDirectory answers CheckUsers from a table of verdicts by user name and records what it got.
type fakeDirectory struct {
	directoryv1.UnimplementedDirectoryServiceServer
	mu       sync.Mutex
	verdicts map[string]*directoryv1.UserCheck
	auth     []string
	calls    [][]string
	views    []directoryv1.VerdictView
}

func (f *fakeDirectory) CheckUsers(ctx context.Context, req *directoryv1.CheckUsersRequest) (*directoryv1.CheckUsersResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	md, _ := metadata.FromIncomingContext(ctx)
	f.auth = append(f.auth, md.Get("authorization")...)
	f.calls = append(f.calls, req.GetUsers())
	f.views = append(f.views, req.GetView())
	resp := &directoryv1.CheckUsersResponse{Connector: &directoryv1.Principal{Dn: "CN=MSOL_0123456789ab,CN=Users,DC=corp,DC=contoso,DC=com"}}
	for _, u := range req.GetUsers() {
		if c, ok := f.verdicts[u]; ok {
			resp.Results = append(resp.Results, &directoryv1.UserCheckResult{User: u, Status: directoryv1.LookupStatus_LOOKUP_STATUS_FOUND, Check: c})
		} else {
			resp.Results = append(resp.Results, &directoryv1.UserCheckResult{User: u, Status: directoryv1.LookupStatus_LOOKUP_STATUS_NOT_FOUND, Message: "no user matches " + u})
		}
	}
	return resp, nil
}

func startFakeDirectory(t *testing.T, f *fakeDirectory) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	directoryv1.RegisterDirectoryServiceServer(srv, f)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}

// writebackTenant is the sample tenant with four synced, SSPR-enabled users: Adele and Alex
// (by SID), Diego (no SID: joined by DN) and Grady (by SID, which the fake directory does not
// know: found by DN on the retry).
func writebackTenant() *graphemu.Tenant {
	tn := graphemu.SampleTenant()
	for i := range tn.UserRegistrationDetails {
		if i < 4 {
			tn.UserRegistrationDetails[i].IsSsprEnabled = true
		}
	}
	tn.Users[2].OnPremisesSecurityIdentifier = nil
	return tn
}

func startIdentityWith(t *testing.T, tenant *graphemu.Tenant, directoryAddr string) identityv1.IdentityServiceClient {
	t.Helper()
	cfg := identity.Config{DirectoryAddr: directoryAddr}
	cfg.BaseURL = graphemu.Start(t, tenant).BaseURL()
	cfg.Auth = "auto"
	st := grpctest.Store(t)
	addr := grpctest.Start(t, grpcserver.Deps{}, func(ctx context.Context, deps grpcserver.Deps) error {
		return identity.Run(ctx, identity.Options{Config: cfg, Deps: deps, Store: st, Now: func() time.Time { return fixtureNow }})
	})
	return identityv1.NewIdentityServiceClient(grpctest.Dial(t, addr))
}

func TestCheckWritebackReadinessWithDirectory(t *testing.T) {
	f := &fakeDirectory{verdicts: map[string]*directoryv1.UserCheck{
		sidPrefix + "1104": {Dn: "CN=Adele Vance,OU=Sales,DC=corp,DC=contoso,DC=com", Works: true},
		sidPrefix + "1105": {Dn: "CN=Alex Wilber,OU=Marketing,DC=corp,DC=contoso,DC=com", AdminCount: true, Protected: true,
			Cause:   directoryv1.FailureReason_FAILURE_REASON_ADMIN_SD_HOLDER,
			Reasons: []*directoryv1.Reason{{Code: directoryv1.FailureReason_FAILURE_REASON_ADMIN_SD_HOLDER, Detail: "adminCount=1"}}},
		"CN=Grady Archie,OU=Engineering,DC=corp,DC=contoso,DC=com": {Dn: "CN=Grady Archie,OU=Engineering,DC=corp,DC=contoso,DC=com",
			Cause:   directoryv1.FailureReason_FAILURE_REASON_EXPLICIT_DENY,
			Reasons: []*directoryv1.Reason{{Code: directoryv1.FailureReason_FAILURE_REASON_EXPLICIT_DENY, Right: directoryv1.WritebackRight_WRITEBACK_RIGHT_RESET_PASSWORD}}},
	}}
	c := startIdentityWith(t, writebackTenant(), startFakeDirectory(t, f))
	ctx := auth.OutgoingBearer(context.Background(), "the-callers-token")
	resp, err := c.CheckWritebackReadiness(ctx, &identityv1.CheckWritebackReadinessRequest{})
	if err != nil {
		t.Fatal(err)
	}
	r := resp.GetReport()
	if !r.GetDirectoryChecked() || r.GetDirectoryUnavailable() != "" {
		t.Fatalf("directory not checked: %q", r.GetDirectoryUnavailable())
	}
	if r.GetCandidates() != 4 || r.GetWorks() != 1 || r.GetFails() != 2 || r.GetNotFound() != 1 || r.GetNotJoined() != 0 || r.GetReady() {
		t.Errorf("counts: candidates %d works %d fails %d not found %d not joined %d ready %v",
			r.GetCandidates(), r.GetWorks(), r.GetFails(), r.GetNotFound(), r.GetNotJoined(), r.GetReady())
	}
	if !strings.HasPrefix(r.GetConnector(), "CN=MSOL_") {
		t.Errorf("connector %q", r.GetConnector())
	}
	if !r.GetLicences().GetP1() || !r.GetSync().GetEnabled() || r.GetSync().GetStale() || r.GetSspr() == nil {
		t.Errorf("cloud side: %v", r)
	}
	got := map[string]*identityv1.WritebackUserVerdict{}
	for _, v := range r.GetUsers() {
		got[v.GetUserPrincipalName()] = v
	}
	want := map[string]identityv1.WritebackVerdictReason{
		"adele.vance@contoso.com":     identityv1.WritebackVerdictReason_WRITEBACK_VERDICT_REASON_UNSPECIFIED,
		"alex.wilber@contoso.com":     identityv1.WritebackVerdictReason_WRITEBACK_VERDICT_REASON_ADMIN_SD_HOLDER,
		"diego.siciliani@contoso.com": identityv1.WritebackVerdictReason_WRITEBACK_VERDICT_REASON_NOT_FOUND_IN_AD,
		"grady.archie@contoso.com":    identityv1.WritebackVerdictReason_WRITEBACK_VERDICT_REASON_EXPLICIT_DENY,
	}
	for upn, reason := range want {
		v := got[upn]
		if v == nil {
			t.Errorf("%s not listed", upn)
			continue
		}
		if v.GetReason() != reason || v.GetWorks() != (reason == identityv1.WritebackVerdictReason_WRITEBACK_VERDICT_REASON_UNSPECIFIED) {
			t.Errorf("%s: reason %s works %v", upn, v.GetReason(), v.GetWorks())
		}
	}
	if d := got["diego.siciliani@contoso.com"]; d.GetJoinedBy() != "CN=Diego Siciliani,OU=HR,DC=corp,DC=contoso,DC=com" {
		t.Errorf("Diego joined by %q, want his DN", d.GetJoinedBy())
	}
	if d := got["alex.wilber@contoso.com"]; d.GetJoinedBy() != sidPrefix+"1105" || !d.GetFound() || d.GetDn() == "" {
		t.Errorf("Alex: %v", d)
	}
	if r.GetUsers()[3].GetUserPrincipalName() != "adele.vance@contoso.com" {
		t.Errorf("working users should come last: %v", r.GetUsers())
	}
	var fail *identityv1.Finding
	for _, fi := range resp.GetFindings() {
		if fi.GetId() == "writeback.users-will-fail" {
			fail = fi
		}
		if fi.GetId() == "writeback.directory-unavailable" || fi.GetId() == "writeback.no-licence" || fi.GetId() == "writeback.sync-stale" {
			t.Errorf("unexpected finding %s", fi.GetId())
		}
	}
	if fail == nil || len(fail.GetEvidence()) != 3 || !strings.Contains(strings.Join(fail.GetEvidence(), "\n"), "alex.wilber@contoso.com: adminsdholder") {
		t.Errorf("users-will-fail: %v", fail)
	}
	if d := got["grady.archie@contoso.com"]; d.GetJoinedBy() != "CN=Grady Archie,OU=Engineering,DC=corp,DC=contoso,DC=com" || !d.GetFound() {
		t.Errorf("Grady: %v", d)
	}
	// The first call has every user, the retry Grady's DN (Diego's DN already missed).
	if len(f.calls) != 2 || len(f.calls[0]) != 4 || len(f.calls[1]) != 1 || f.views[0] != directoryv1.VerdictView_VERDICT_VIEW_BASIC {
		t.Errorf("directory calls %v views %v", f.calls, f.views)
	}
	if len(f.auth) != 2 || f.auth[0] != "Bearer the-callers-token" {
		t.Errorf("authorization forwarded: %q", f.auth)
	}
}

func TestCheckWritebackReadinessPartial(t *testing.T) {
	for name, addr := range map[string]string{"not configured": "", "unreachable": "127.0.0.1:1"} {
		t.Run(name, func(t *testing.T) {
			tn := writebackTenant()
			c := startIdentityWith(t, tn, addr)
			resp, err := c.CheckWritebackReadiness(context.Background(), &identityv1.CheckWritebackReadinessRequest{})
			if err != nil {
				t.Fatal(err)
			}
			r := resp.GetReport()
			if r.GetDirectoryChecked() || r.GetDirectoryUnavailable() == "" || r.GetReady() {
				t.Fatalf("want partial: checked %v, unavailable %q", r.GetDirectoryChecked(), r.GetDirectoryUnavailable())
			}
			if name == "not configured" && !strings.Contains(r.GetDirectoryUnavailable(), "--directory-addr") {
				t.Errorf("reason %q", r.GetDirectoryUnavailable())
			}
			if r.GetCandidates() != 4 || len(r.GetUsers()) != 4 || r.GetWorks()+r.GetFails()+r.GetNotFound() != 0 {
				t.Errorf("candidates %d users %d", r.GetCandidates(), len(r.GetUsers()))
			}
			if r.GetSync() == nil || !r.GetSync().GetEnabled() || !r.GetLicences().GetP1() || r.GetSspr().GetEnabled() == 0 {
				t.Errorf("cloud side missing: %v", r)
			}
			ids := findingIDs(resp.GetFindings())
			for _, id := range []string{"writeback.directory-unavailable"} {
				if !strings.Contains(ids, id) {
					t.Errorf("findings %s lack %s", ids, id)
				}
			}
		})
	}
}

func TestCheckWritebackReadinessStaleSync(t *testing.T) {
	tn := writebackTenant()
	old := fixtureNow.Add(-48 * time.Hour)
	tn.Organization.OnPremisesLastSyncDateTime = &old
	c := startIdentityWith(t, tn, "")
	resp, err := c.CheckWritebackReadiness(context.Background(), &identityv1.CheckWritebackReadinessRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if ids := findingIDs(resp.GetFindings()); !strings.Contains(ids, "writeback.sync-stale") {
		t.Errorf("findings %s lack writeback.sync-stale", ids)
	}
}

func TestCheckWritebackReadinessNoLicence(t *testing.T) {
	tn := writebackTenant()
	tn.SubscribedSKUs = nil
	c := startIdentityWith(t, tn, startFakeDirectory(t, &fakeDirectory{}))
	resp, err := c.CheckWritebackReadiness(context.Background(), &identityv1.CheckWritebackReadinessRequest{})
	if err != nil {
		t.Fatal(err)
	}
	r := resp.GetReport()
	if r.GetReady() || r.GetLicences().GetP1() || r.GetCandidates() != 0 {
		t.Errorf("report %v", r)
	}
	ids := findingIDs(resp.GetFindings())
	for _, id := range []string{"writeback.no-licence", "writeback.users-unknown", "writeback.directory-unavailable"} {
		if !strings.Contains(ids, id) {
			t.Errorf("findings %s lack %s", ids, id)
		}
	}
}
