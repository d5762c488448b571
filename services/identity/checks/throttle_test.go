package checks_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	identityv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/identity/v1"
	"github.com/hybridkit/hybridkit/services/identity/checks"
	"github.com/hybridkit/hybridkit/services/identity/graphclient"
	"github.com/hybridkit/hybridkit/services/identity/graphemu"
)

func sameFindings(t *testing.T, got, want []*identityv1.Finding) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("findings %v, want %v", summary(got), summary(want))
	}
	for i := range got {
		if !proto.Equal(got[i], want[i]) {
			t.Errorf("finding %d differs:\n got  %v\n want %v", i, got[i], want[i])
		}
	}
}

// TestAdminsThrottled runs the admin check against a tenant whose budget runs out half-way:
// top-level requests and items inside $batch envelopes get 429 with Retry-After, and the
// report must come out exactly as without throttling.
func TestAdminsThrottled(t *testing.T) {
	t.Parallel()
	c, _ := start(t, load(t, "problems"))
	wantRep, want, err := checks.Admins(ctx(t), c, checks.AdminOptions{})
	if err != nil {
		t.Fatal(err)
	}

	tn := load(t, "problems")
	c, srv := startWith(t, tn, graphclient.Config{MaxRetries: 5},
		graphemu.WithBudget(graphemu.Budget{Requests: 20, Per: 2 * time.Second}))
	if err := srv.Fail(tn.ID, graphemu.Throttled(3, time.Second)); err != nil {
		t.Fatal(err)
	}
	rep, got, err := checks.Admins(ctx(t), c, checks.AdminOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sameFindings(t, got, want)
	if !slices.Equal(adminSummary(rep), adminSummary(wantRep)) {
		t.Errorf("admins differ:\n got  %q\n want %q", adminSummary(rep), adminSummary(wantRep))
	}
	var topLevel, inBatch int
	for _, r := range srv.Requests() {
		if r.Status == 429 {
			if r.RetryAfter == "" {
				t.Errorf("429 without Retry-After: %s %s", r.Method, r.Path)
			}
			if r.InBatch {
				inBatch++
			} else {
				topLevel++
			}
		}
	}
	st := c.Stats()
	if topLevel == 0 || inBatch == 0 || st.Retries < int64(topLevel+inBatch) || st.Throttled != int64(topLevel+inBatch) {
		t.Errorf("%d top-level and %d batched 429s; client stats %+v", topLevel, inBatch, st)
	}
	t.Logf("%d top-level and %d batched 429s, %d HTTP requests, %d batched, waited %s", topLevel, inBatch, st.Requests, st.Batched, st.RetryWait)
}

// TestConditionalAccessThrottledWithoutRetryAfter reads the CA policies twice within a second:
// Graph's CA endpoint answers the second with 429 and no Retry-After, and the client must back
// off on its own and get through.
func TestConditionalAccessThrottledWithoutRetryAfter(t *testing.T) {
	t.Parallel()
	c, _ := start(t, load(t, "healthy"))
	_, want, err := checks.Admins(ctx(t), c, checks.AdminOptions{})
	if err != nil {
		t.Fatal(err)
	}

	c, srv := start(t, load(t, "healthy"), graphemu.WithEndpointBudget(graphemu.ThrottleConditionalAccess, graphemu.Budget{Requests: 1, Per: time.Second}))
	if _, _, err := checks.LegacyAuth(ctx(t), c, checks.LegacyAuthOptions{Now: clock}); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	_, got, err := checks.Admins(ctx(t), c, checks.AdminOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sameFindings(t, got, want)
	var throttled []graphemu.Request
	for _, r := range srv.Requests() {
		if r.Status == 429 {
			throttled = append(throttled, r)
		}
	}
	if len(throttled) == 0 {
		t.Fatal("the second CA read was not throttled")
	}
	for _, r := range throttled {
		if r.Path != "/v1.0/identity/conditionalAccess/policies" || r.RetryAfter != "" {
			t.Errorf("throttled %s with Retry-After %q", r.Path, r.RetryAfter)
		}
	}
	if elapsed := time.Since(began); elapsed < 900*time.Millisecond {
		t.Errorf("the client retried after %s: it must back off about a second without Retry-After", elapsed)
	}
}

// TestReportsThrottled reads the registration report and the sign-in logs under the reports'
// own budget: the second read gets 429 with Retry-After and is retried.
func TestReportsThrottled(t *testing.T) {
	t.Parallel()
	c, srv := start(t, load(t, "problems"), graphemu.WithEndpointBudget(graphemu.ThrottleReports, graphemu.Budget{Requests: 1, Per: time.Second}))
	if _, _, err := checks.SSPR(ctx(t), c, checks.SSPROptions{}); err != nil {
		t.Fatal(err)
	}
	rep, _, err := checks.LegacyAuth(ctx(t), c, checks.LegacyAuthOptions{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	if rep.SignIns != 5 {
		t.Errorf("%d legacy sign-ins after the retry, want 5", rep.SignIns)
	}
	var retried bool
	for _, r := range srv.Requests() {
		retried = retried || (r.Status == 429 && r.Path == "/v1.0/auditLogs/signIns" && r.RetryAfter == "1")
	}
	if !retried {
		t.Error("the sign-in read was not throttled with Retry-After: 1")
	}
}

// TestThrottledBeyondRetries: when Graph keeps throttling, the check fails with the
// throttling error rather than reporting partial data.
func TestThrottledBeyondRetries(t *testing.T) {
	t.Parallel()
	tn := load(t, "problems")
	c, srv := startWith(t, tn, graphclient.Config{MaxRetries: 1, MaxConcurrency: 1})
	if err := srv.Fail(tn.ID, graphemu.Throttled(1, time.Second), graphemu.Throttled(2, time.Second)); err != nil {
		t.Fatal(err)
	}
	_, _, err := checks.Admins(ctx(t), c, checks.AdminOptions{Concurrency: 1})
	var gerr *graphclient.Error
	if !errors.As(err, &gerr) || !gerr.Throttled() || gerr.Attempts != 2 {
		t.Fatalf("err = %v, want a throttling error after 2 attempts", err)
	}
}
