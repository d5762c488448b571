package checks

import (
	"context"
	"fmt"
	"strings"
	"time"

	identityv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/identity/v1"
	"github.com/hybridkit/hybridkit/services/identity/graphclient"
)

// SyncReader reads the organization's sync state, the sync features and the users.
type SyncReader interface {
	SyncStatus(ctx context.Context) (*graphclient.SyncStatus, error)
	SyncFeatures(ctx context.Context) (*graphclient.SyncConfiguration, error)
	ListUsers(ctx context.Context, fn func(graphclient.User) error) error
}

// DefaultStaleAfter is how old the last directory sync may be before it is reported: Entra
// Connect syncs every 30 minutes by default, so several cycles have been missed.
const DefaultStaleAfter = 3 * time.Hour

// SyncOptions tune the sync check; the zero value uses the defaults.
type SyncOptions struct {
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// StaleAfter is the age of the last sync that makes it stale (DefaultStaleAfter when 0).
	StaleAfter time.Duration
}

// SyncReport is the tenant's directory synchronisation state.
type SyncReport struct {
	TenantID, DisplayName string
	// Enabled is organization.onPremisesSyncEnabled == true; Graph reports null for a tenant
	// that never synced and false once sync was switched off.
	Enabled bool
	// LastSync is organization.onPremisesLastSyncDateTime (zero when none) and SinceLastSync
	// its age when the check ran.
	LastSync      time.Time
	SinceLastSync time.Duration
	// Stale is true when sync is enabled and the last sync is older than StaleAfter.
	Stale bool
	// Configuration is the sync features and configuration; nil when unreadable.
	Configuration *graphclient.SyncConfiguration
	// Users counts users by origin; nil when the users could not be listed.
	Users       *UserCounts
	Unavailable []Unavailable
}

// UserCounts counts the tenant's users by origin.
type UserCounts struct {
	Total, Members, Guests int
	// Synced users have onPremisesSyncEnabled true; CloudOnly members never synced (null);
	// FormerlySynced members were synced and converted to cloud-only (false).
	Synced, CloudOnly, FormerlySynced int
	// DisabledSynced counts synced users whose account is disabled.
	DisabledSynced int
}

// Sync checks directory synchronisation: whether it is on, how old the last sync is, the sync
// features (password hash sync, accidental-deletion prevention; the password writeback flag is
// reported but not trusted), and how many users are synced or cloud-only.
func Sync(ctx context.Context, g SyncReader, opts SyncOptions) (*SyncReport, []*identityv1.Finding, error) {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	staleAfter := opts.StaleAfter
	if staleAfter <= 0 {
		staleAfter = DefaultStaleAfter
	}
	st, err := g.SyncStatus(ctx)
	if err != nil {
		return nil, nil, err
	}
	rep := &SyncReport{TenantID: st.TenantID, DisplayName: st.DisplayName, Enabled: st.Enabled, LastSync: st.LastSync}
	if !st.LastSync.IsZero() {
		rep.SinceLastSync = now().Sub(st.LastSync)
	}
	rep.Stale = rep.Enabled && !rep.LastSync.IsZero() && rep.SinceLastSync > staleAfter

	var findings []*identityv1.Finding
	cfg, err := g.SyncFeatures(ctx)
	if u, ok := refusal("the directory sync features", err); ok {
		rep.Unavailable = append(rep.Unavailable, u)
		findings = append(findings, unavailableFinding("sync.features-unavailable", sevLow, u,
			"password hash sync and accidental-deletion prevention were not checked"))
	} else if err != nil {
		return nil, nil, err
	} else {
		rep.Configuration = cfg
	}

	counts := &UserCounts{}
	err = g.ListUsers(ctx, func(u graphclient.User) error {
		counts.Total++
		if strings.EqualFold(u.UserType, "Guest") {
			counts.Guests++
		} else {
			counts.Members++
		}
		switch {
		case u.Synced():
			counts.Synced++
			if !u.AccountEnabled {
				counts.DisabledSynced++
			}
		case u.OnPremisesSyncEnabled != nil && !strings.EqualFold(u.UserType, "Guest"):
			counts.FormerlySynced++
		case !strings.EqualFold(u.UserType, "Guest"):
			counts.CloudOnly++
		}
		return nil
	})
	if u, ok := refusal("the users", err); ok {
		rep.Unavailable = append(rep.Unavailable, u)
		findings = append(findings, unavailableFinding("sync.users-unavailable", sevLow, u, "synced and cloud-only users were not counted"))
	} else if err != nil {
		return nil, nil, err
	} else {
		rep.Users = counts
	}

	return rep, append(syncFindings(rep, staleAfter), findings...), nil
}

func syncFindings(r *SyncReport, staleAfter time.Duration) []*identityv1.Finding {
	var evidence []string
	if r.Enabled {
		evidence = append(evidence, "organization.onPremisesSyncEnabled = true")
	}
	if !r.LastSync.IsZero() {
		evidence = append(evidence, fmt.Sprintf("organization.onPremisesLastSyncDateTime = %s (%s ago)", r.LastSync.Format(time.RFC3339), roundAge(r.SinceLastSync)))
	}
	if u := r.Users; u != nil {
		evidence = append(evidence, fmt.Sprintf("%d users: %d synced from AD, %d cloud-only members, %d formerly synced, %d guests",
			u.Total, u.Synced, u.CloudOnly, u.FormerlySynced, u.Guests))
	}

	if !r.Enabled {
		state := "null (the tenant never synced)"
		if r.Users != nil && (r.Users.FormerlySynced > 0 || r.Users.Synced > 0) {
			state = "false (sync was switched off)"
		}
		return []*identityv1.Finding{{
			Id:          "sync.not-enabled",
			Severity:    sevInfo,
			Title:       "Directory synchronisation is not enabled: password writeback does not apply",
			Evidence:    append([]string{"organization.onPremisesSyncEnabled = " + state}, evidence...),
			Remediation: "Password writeback needs Microsoft Entra Connect Sync or Cloud Sync; cloud-only users can use SSPR without it.",
			References:  []string{refWriteback, refHybridChoose},
		}}
	}

	var out []*identityv1.Finding
	switch {
	case r.LastSync.IsZero():
		out = append(out, &identityv1.Finding{
			Id:          "sync.never-completed",
			Severity:    sevHigh,
			Title:       "Directory synchronisation is enabled but Graph reports no completed sync",
			Evidence:    evidence,
			Remediation: "On the Entra Connect (or Cloud Sync agent) server, check that the sync service runs and that Get-ADSyncScheduler shows SyncCycleEnabled True; look at the Synchronization Service Manager's run history for errors.",
			References:  []string{refSyncScheduler, refSyncHealth},
		})
	case r.Stale:
		sev := sevMedium
		switch {
		case r.SinceLastSync >= 7*24*time.Hour:
			sev = sevCritical
		case r.SinceLastSync >= 24*time.Hour:
			sev = sevHigh
		}
		out = append(out, &identityv1.Finding{
			Id:          "sync.stale",
			Severity:    sev,
			Title:       fmt.Sprintf("The last directory sync was %s ago (more than %s)", roundAge(r.SinceLastSync), roundAge(staleAfter)),
			Evidence:    evidence,
			Remediation: "Entra Connect syncs every 30 minutes by default. On the Connect server check the ADSync service, Get-ADSyncScheduler (SyncCycleEnabled, StagingModeEnabled: a server in staging mode does not export) and the run history; Connect Health alerts on this too. Password writeback depends on a healthy Connect server.",
			References:  []string{refSyncScheduler, refSyncHealth},
		})
	default:
		out = append(out, &identityv1.Finding{
			Id:         "sync.healthy",
			Severity:   sevInfo,
			Title:      fmt.Sprintf("Directory synchronisation is on; the last sync was %s ago", roundAge(r.SinceLastSync)),
			Evidence:   evidence,
			References: []string{refSyncScheduler},
		})
	}

	if c := r.Configuration; c != nil {
		var on []string
		for _, f := range c.Features {
			if f.Enabled {
				on = append(on, f.Name)
			}
		}
		if len(on) == 0 {
			on = []string{"none"}
		}
		out = append(out, &identityv1.Finding{
			Id:       "sync.writeback-unverifiable",
			Severity: sevInfo,
			Title:    "Graph cannot tell whether password writeback is enabled: check it on the Entra Connect server",
			Evidence: []string{
				fmt.Sprintf("directory/onPremisesSynchronization features.passwordWritebackEnabled = %v, which Graph documents as unused: it is not evidence either way", c.PasswordWritebackReported),
				"features reported on: " + strings.Join(on, ", "),
			},
			Remediation: "Confirm writeback in the Entra Connect wizard (Optional features → Password writeback) or with Get-ADSyncAADPasswordResetConfiguration on the Connect server, and in the Entra admin center (Password reset → On-premises integration).",
			References:  []string{refSyncFeaturesAPI, refWritebackEnable},
		})
		if !c.PasswordHashSync {
			out = append(out, &identityv1.Finding{
				Id:          "sync.no-password-hash-sync",
				Severity:    sevLow,
				Title:       "Password hash synchronisation is off",
				Evidence:    []string{"features.passwordSyncEnabled = false"},
				Remediation: "Turn on password hash sync in Entra Connect, even alongside federation or pass-through authentication: it enables leaked-credential detection and is a fallback when on-premises authentication is down.",
				References:  []string{refPHS},
			})
		}
		if c.AccidentalDeletionPrevention == "disabled" {
			out = append(out, &identityv1.Finding{
				Id:          "sync.deletion-prevention-off",
				Severity:    sevLow,
				Title:       "Accidental-deletion prevention is off for directory sync",
				Evidence:    []string{"configuration.accidentalDeletionPrevention.synchronizationPreventionType = disabled"},
				Remediation: "Enable it (Enable-ADSyncExportDeletionThreshold, default 500 objects) so a wrong OU filter cannot delete cloud accounts in bulk.",
				References:  []string{refDeletePrevent},
			})
		}
	}
	if u := r.Users; u != nil && u.Synced == 0 {
		out = append(out, &identityv1.Finding{
			Id:          "sync.no-synced-users",
			Severity:    sevMedium,
			Title:       "Directory synchronisation is enabled but no user is synced from AD",
			Evidence:    evidence,
			Remediation: "Check the Entra Connect OU and group filtering: no synced user means no one can use password writeback.",
			References:  []string{refSyncScheduler},
		})
	}
	return out
}

// roundAge prints a duration the way an admin reads it: 17m, 5h12m, 3d4h.
func roundAge(d time.Duration) string {
	switch {
	case d < time.Minute:
		return d.Round(time.Second).String()
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		h := int(d.Hours())
		if m := int(d.Minutes()) - h*60; m > 0 {
			return fmt.Sprintf("%dh%02dm", h, m)
		}
		return fmt.Sprintf("%dh", h)
	}
	days := int(d.Hours()) / 24
	if h := int(d.Hours()) - days*24; h > 0 {
		return fmt.Sprintf("%dd%dh", days, h)
	}
	return fmt.Sprintf("%dd", days)
}
