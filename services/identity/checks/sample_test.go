package checks_test

import (
	"testing"

	"github.com/hybridkit/hybridkit/services/identity/checks"
	"github.com/hybridkit/hybridkit/services/identity/graphemu"
)

// TestSampleTenant runs every check on the tenant cmd/graphemu serves by default, so a demo
// of the service shows each check working.
func TestSampleTenant(t *testing.T) {
	t.Parallel()
	c, _ := start(t, graphemu.SampleTenant())
	_, fs, err := checks.Sync(ctx(t), c, checks.SyncOptions{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	wantFindings(t, fs, "sync.healthy:INFO", "sync.writeback-unverifiable:INFO")
	_, fs, err = checks.SSPR(ctx(t), c, checks.SSPROptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Adele and Alex are enabled and registered; Diego and Grady are neither.
	wantFindings(t, fs, "sspr.scope-inferred:INFO")
	_, fs, err = checks.Admins(ctx(t), c, checks.AdminOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Break-glass is excluded from the only MFA policy, which does not cover Adele's role;
	// Adele has push only and is synced.
	wantFindings(t, fs, "admins.mfa-not-enforced:HIGH", "admins.not-phishing-resistant:MEDIUM", "admins.too-few-global-admins:MEDIUM", "admins.synced:HIGH", "admins.pim-unavailable:INFO")
	_, fs, err = checks.LegacyAuth(ctx(t), c, checks.LegacyAuthOptions{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	wantFindings(t, fs, "legacy-auth.not-blocked:HIGH", "legacy-auth.policy-not-enforced:LOW", "legacy-auth.sign-ins:HIGH")
	_, fs, err = checks.SecureScore(ctx(t), c, checks.SecureScoreOptions{MaxActions: 1})
	if err != nil {
		t.Fatal(err)
	}
	wantFindings(t, fs, "secure-score.summary:INFO", "secure-score.action.SigninRiskPolicy:MEDIUM")
}
