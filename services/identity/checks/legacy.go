package checks

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	identityv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/identity/v1"
	"github.com/hybridkit/hybridkit/services/identity/graphclient"
)

// LegacyAuthReader reads what the legacy-authentication check needs.
type LegacyAuthReader interface {
	ConditionalAccessPolicies(ctx context.Context) ([]graphclient.CAPolicy, error)
	SecurityDefaults(ctx context.Context) (bool, error)
	ListSignIns(ctx context.Context, q graphclient.SignInQuery, fn func(graphclient.SignIn) error) error
	Groups(ctx context.Context, groupIDs []string) (map[string]graphclient.GroupRef, error)
}

// LegacyAuthOptions tune the legacy-authentication check; the zero value uses the defaults.
type LegacyAuthOptions struct {
	// Days is how far back sign-ins are read (default 30; Entra keeps 30 days with P1/P2).
	Days int
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// MaxListed bounds the users quoted in evidence (default 20).
	MaxListed int
}

// LegacyAuthReport says whether legacy authentication is blocked and who still uses it.
type LegacyAuthReport struct {
	// SecurityDefaults is whether security defaults (which block legacy authentication) are on;
	// nil when unreadable.
	SecurityDefaults *bool
	// Policies are the Conditional Access policies that block legacy client types, in any state.
	Policies []LegacyPolicy
	// Blocked is true when security defaults or an enabled policy blocks both legacy client
	// types for all users and all apps (exclusions aside).
	Blocked bool
	// SignInsRead is false when the sign-in logs could not be read.
	SignInsRead bool
	Since       time.Time
	// SignIns and Successful count legacy sign-ins since Since (Successful: errorCode 0).
	SignIns, Successful int
	ByClient            []UsageCount
	ByUser              []UsageCount
	Unavailable         []Unavailable
}

// LegacyPolicy is a Conditional Access policy that blocks legacy client types.
type LegacyPolicy struct {
	ID, Name, State string
	// Types are the legacy client types blocked: exchangeActiveSync, other.
	Types    []string
	AllUsers bool
	// Gaps say why it does not block every legacy sign-in of every user (beyond exclusions).
	Gaps     []string
	Excluded []string
	Effect   string
}

// UsageCount counts legacy sign-ins for one client app or user.
type UsageCount struct {
	Name             string
	SignIns, Success int
	Clients          []string // ByUser: the client apps the user signed in with
	LastSeen         time.Time
}

// LegacyAuth checks legacy authentication: the Conditional Access policies (or security
// defaults) that block it, and the legacy sign-ins of the last days by client app and user.
func LegacyAuth(ctx context.Context, g LegacyAuthReader, opts LegacyAuthOptions) (*LegacyAuthReport, []*identityv1.Finding, error) {
	if opts.Days <= 0 {
		opts.Days = 30
	}
	if opts.MaxListed <= 0 {
		opts.MaxListed = 20
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	rep := &LegacyAuthReport{Since: now().UTC().Add(-time.Duration(opts.Days) * 24 * time.Hour).Truncate(time.Second)}
	var findings []*identityv1.Finding
	roleName := roleNamer(PrivilegedRoles)

	policies, err := g.ConditionalAccessPolicies(ctx)
	if err != nil {
		return nil, nil, err
	}
	// Name the groups the blocking policies include or exclude.
	var groupIDs []string
	seen := map[string]bool{}
	for _, p := range policies {
		if legacyEffect(p, roleName, func(id string) string { return id }).blocks {
			for _, id := range append(append([]string{}, p.IncludeGroups...), p.ExcludeGroups...) {
				if !seen[strings.ToLower(id)] {
					seen[strings.ToLower(id)] = true
					groupIDs = append(groupIDs, id)
				}
			}
		}
	}
	names := map[string]string{}
	if len(groupIDs) > 0 {
		groups, err := g.Groups(ctx, groupIDs)
		if u, ok := refusal("the names of excluded groups", err); ok {
			rep.Unavailable = append(rep.Unavailable, u)
			findings = append(findings, unavailableFinding("legacy-auth.group-names-unavailable", sevInfo, u, "groups are shown by id"))
		} else if err != nil {
			return nil, nil, err
		}
		for id, gr := range groups {
			names[strings.ToLower(id)] = gr.DisplayName
		}
	}
	groupName := groupNamer(names)
	for _, p := range policies {
		b := legacyEffect(p, roleName, groupName)
		if !b.blocks {
			continue
		}
		lp := LegacyPolicy{ID: p.ID, Name: p.DisplayName, State: p.State, Types: b.types, AllUsers: b.allUsers, Gaps: b.gaps, Excluded: b.excluded, Effect: b.String()}
		rep.Policies = append(rep.Policies, lp)
		if p.State == graphclient.CAEnabled && len(b.gaps) == 0 {
			rep.Blocked = true
		}
	}
	sd, err := g.SecurityDefaults(ctx)
	if u, ok := refusal("the security defaults policy", err); ok {
		rep.Unavailable = append(rep.Unavailable, u)
		findings = append(findings, unavailableFinding("legacy-auth.security-defaults-unavailable", sevLow, u, "whether security defaults block legacy authentication is unknown"))
	} else if err != nil {
		return nil, nil, err
	} else {
		rep.SecurityDefaults = &sd
		rep.Blocked = rep.Blocked || sd
	}

	byClient := map[string]*UsageCount{}
	byUser := map[string]*UsageCount{}
	err = g.ListSignIns(ctx, graphclient.SignInQuery{Since: rep.Since, ClientApps: graphclient.LegacyClientApps}, func(s graphclient.SignIn) error {
		rep.SignIns++
		ok := s.ErrorCode == 0
		if ok {
			rep.Successful++
		}
		for _, m := range []struct {
			byKey map[string]*UsageCount
			key   string
		}{{byClient, s.ClientAppUsed}, {byUser, s.UserPrincipalName}} {
			c := m.byKey[m.key]
			if c == nil {
				c = &UsageCount{Name: m.key}
				m.byKey[m.key] = c
			}
			c.SignIns++
			if ok {
				c.Success++
			}
			if s.Created.After(c.LastSeen) {
				c.LastSeen = s.Created
			}
			if m.key == s.UserPrincipalName && !containsFold(c.Clients, s.ClientAppUsed) {
				c.Clients = append(c.Clients, s.ClientAppUsed)
			}
		}
		return nil
	})
	if u, ok := refusal("the sign-in logs", err); ok {
		rep.Unavailable = append(rep.Unavailable, u)
		findings = append(findings, unavailableFinding("legacy-auth.sign-ins-unavailable", sevLow, u,
			"who still signs in with legacy clients is unknown; Exchange Online's own reports or the Microsoft 365 admin center can help"))
	} else if err != nil {
		return nil, nil, err
	} else {
		rep.SignInsRead = true
		rep.ByClient = sortedUsage(byClient)
		rep.ByUser = sortedUsage(byUser)
		for i := range rep.ByUser {
			sort.Strings(rep.ByUser[i].Clients)
		}
	}
	return rep, append(legacyFindings(rep, opts), findings...), nil
}

func sortedUsage(m map[string]*UsageCount) []UsageCount {
	out := make([]UsageCount, 0, len(m))
	for _, c := range m {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].SignIns != out[j].SignIns {
			return out[i].SignIns > out[j].SignIns
		}
		return out[i].Name < out[j].Name
	})
	return out
}

func legacyFindings(r *LegacyAuthReport, opts LegacyAuthOptions) []*identityv1.Finding {
	var out []*identityv1.Finding
	var evidence []string
	if r.SecurityDefaults != nil {
		evidence = append(evidence, fmt.Sprintf("security defaults enabled = %v", *r.SecurityDefaults))
	}
	var enabled, inactive, partial []LegacyPolicy
	for _, p := range r.Policies {
		evidence = append(evidence, fmt.Sprintf("Conditional Access %q (%s): %s", p.Name, p.State, p.Effect))
		switch {
		case p.State != graphclient.CAEnabled:
			inactive = append(inactive, p)
		case len(p.Gaps) > 0:
			partial = append(partial, p)
		default:
			enabled = append(enabled, p)
		}
	}
	if len(r.Policies) == 0 {
		evidence = append(evidence, "no Conditional Access policy blocks the exchangeActiveSync or other client types")
	}
	switch {
	case r.Blocked:
		out = append(out, &identityv1.Finding{
			Id:         "legacy-auth.blocked",
			Severity:   sevInfo,
			Title:      "Legacy authentication is blocked for all users",
			Evidence:   evidence,
			References: []string{refBlockLegacy},
		})
	case r.SecurityDefaults == nil && len(enabled) == 0:
		// Security defaults unreadable: it may block legacy authentication; the unavailable
		// finding says so.
	default:
		out = append(out, &identityv1.Finding{
			Id:          "legacy-auth.not-blocked",
			Severity:    sevHigh,
			Title:       "Legacy authentication is not blocked for all users: it bypasses MFA",
			Evidence:    evidence,
			Remediation: "Create a Conditional Access policy for all users and all cloud apps, client apps Exchange ActiveSync and Other clients, grant Block access; start it report-only, check the sign-ins below, then enable it. Without Entra ID P1, security defaults block legacy authentication.",
			References:  []string{refBlockLegacyPolicy, refBlockLegacy, refSecurityDefaults},
		})
	}
	for _, p := range enabled {
		if len(p.Excluded) > 0 {
			out = append(out, &identityv1.Finding{
				Id:          "legacy-auth.exclusions",
				Severity:    sevLow,
				Title:       fmt.Sprintf("Conditional Access %q excludes %s from the legacy-authentication block", p.Name, plural(len(p.Excluded), "principal", "principals")),
				Evidence:    p.Excluded,
				Remediation: "Review each exclusion: accounts that still need a legacy protocol (SMTP relays, old devices) should move to modern authentication or a dedicated, restricted path.",
				References:  []string{refBlockLegacyPolicy},
			})
		}
	}
	for _, p := range partial {
		out = append(out, &identityv1.Finding{
			Id:          "legacy-auth.partial",
			Severity:    sevMedium,
			Title:       fmt.Sprintf("Conditional Access %q blocks legacy authentication only partly", p.Name),
			Evidence:    []string{p.Effect},
			Remediation: "Target all users, all cloud apps, and both the Exchange ActiveSync and Other clients client-app types.",
			References:  []string{refBlockLegacyPolicy},
		})
	}
	for _, p := range inactive {
		title := fmt.Sprintf("Conditional Access %q would block legacy authentication but is report-only", p.Name)
		if p.State == graphclient.CADisabled {
			title = fmt.Sprintf("Conditional Access %q would block legacy authentication but is disabled", p.Name)
		}
		out = append(out, &identityv1.Finding{
			Id:          "legacy-auth.policy-not-enforced",
			Severity:    sevLow,
			Title:       title,
			Evidence:    []string{p.Effect, "state = " + p.State},
			Remediation: "Check its report-only results in the sign-in logs, then switch it to On.",
			References:  []string{refReportOnly, refBlockLegacyPolicy},
		})
	}

	if !r.SignInsRead {
		return out
	}
	since := r.Since.Format("2006-01-02")
	if r.SignIns == 0 {
		return append(out, &identityv1.Finding{
			Id:         "legacy-auth.no-sign-ins",
			Severity:   sevInfo,
			Title:      fmt.Sprintf("No sign-ins by legacy clients since %s", since),
			Evidence:   []string{fmt.Sprintf("auditLogs/signIns since %s with clientAppUsed one of the %d legacy clients (%s)", since, len(graphclient.LegacyClientApps), strings.Join(graphclient.LegacyClientApps, ", "))},
			References: []string{refSignInLogs},
		})
	}
	sev := sevLow
	if r.Successful > 0 {
		sev = sevMedium
		if !r.Blocked {
			sev = sevHigh
		}
	}
	ev := []string{fmt.Sprintf("%s since %s, %d successful, by %s", plural(r.SignIns, "legacy sign-in", "legacy sign-ins"), since, r.Successful, plural(len(r.ByUser), "user", "users"))}
	for _, c := range r.ByClient {
		ev = append(ev, fmt.Sprintf("client %s: %s, %d successful, last %s", c.Name, plural(c.SignIns, "sign-in", "sign-ins"), c.Success, c.LastSeen.Format(time.RFC3339)))
	}
	var users []string
	for _, u := range r.ByUser {
		users = append(users, fmt.Sprintf("user %s: %s, %d successful (%s), last %s", u.Name, plural(u.SignIns, "sign-in", "sign-ins"), u.Success, strings.Join(u.Clients, ", "), u.LastSeen.Format(time.RFC3339)))
	}
	return append(out, &identityv1.Finding{
		Id:          "legacy-auth.sign-ins",
		Severity:    sev,
		Title:       fmt.Sprintf("%s by legacy clients since %s (%d successful)", plural(r.SignIns, "sign-in", "sign-ins"), since, r.Successful),
		Evidence:    append(ev, listed(users, opts.MaxListed)...),
		Remediation: "Move these users and devices to modern authentication (Outlook, the mail apps' OAuth support, SMTP AUTH with OAuth or a relay), then block legacy authentication for everyone.",
		References:  []string{refBlockLegacy, refSignInLogs},
	})
}
