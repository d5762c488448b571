// Package checks turns what graphclient reads from a tenant into reports and findings: licences,
// directory sync, SSPR, admin MFA, legacy authentication and Secure Score.
//
// Each check is one function taking a narrow interface over *graphclient.Client and returning a
// typed report plus []*identityv1.Finding with stable ids (sync.stale, admins.no-mfa, ...),
// a severity, a one-line title, the evidence read (with UPNs), a remediation and
// learn.microsoft.com references.
//
// A check fails only when it cannot read its core source (say, the role assignments for the
// admin check) or when Graph keeps failing after retries. A missing permission or licence for a
// secondary source is reported instead: in the report's Unavailable list and as a
// "<check>.<source>-unavailable" finding naming the permission or licence.
package checks

import (
	"errors"
	"fmt"
	"strings"

	identityv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/identity/v1"
	"github.com/hybridkit/hybridkit/services/identity/graphclient"
)

const (
	sevInfo     = identityv1.Severity_SEVERITY_INFO
	sevLow      = identityv1.Severity_SEVERITY_LOW
	sevMedium   = identityv1.Severity_SEVERITY_MEDIUM
	sevHigh     = identityv1.Severity_SEVERITY_HIGH
	sevCritical = identityv1.Severity_SEVERITY_CRITICAL
)

// Unavailable is a source a check could not read because of a missing permission or licence.
type Unavailable struct {
	// Source names what could not be read, e.g. "PIM-eligible role assignments".
	Source string
	// Permission is the application permission to grant, when that is the cause.
	Permission string
	// Licence is the Entra ID plan the tenant lacks ("P1" or "P2"), when that is the cause.
	Licence string
	// Err is Graph's refusal.
	Err error
}

// Reason says in a few words why the source could not be read.
func (u Unavailable) Reason() string {
	switch {
	case u.Licence == "P2":
		return "the tenant has no Microsoft Entra ID P2 licence"
	case u.Licence != "":
		return "the tenant has no Microsoft Entra ID P1 or P2 licence"
	case u.Permission != "":
		return "the app lacks the " + u.Permission + " application permission"
	}
	return u.Err.Error()
}

// refusal recognises the errors that mean "not allowed to read this" rather than "failed".
func refusal(source string, err error) (Unavailable, bool) {
	var perm *graphclient.PermissionError
	var lic *graphclient.LicenceError
	switch {
	case errors.As(err, &perm):
		return Unavailable{Source: source, Permission: perm.Permission, Err: err}, true
	case errors.As(err, &lic):
		plan := lic.Plan
		if plan == "" {
			plan = "P1"
		}
		return Unavailable{Source: source, Licence: plan, Err: err}, true
	}
	return Unavailable{}, false
}

// unavailableFinding reports a source the check had to skip.
func unavailableFinding(id string, sev identityv1.Severity, u Unavailable, consequence string) *identityv1.Finding {
	f := &identityv1.Finding{
		Id:       id,
		Severity: sev,
		Title:    fmt.Sprintf("%s could not be read: %s", upperFirst(u.Source), u.Reason()),
		Evidence: []string{u.Err.Error(), consequence},
	}
	switch {
	case u.Permission != "":
		f.Remediation = fmt.Sprintf("Grant the app registration the %s application permission (Microsoft Graph) with admin consent, then run the check again.", u.Permission)
		f.References = []string{refGraphPermissions}
	case u.Licence == "P2":
		f.Remediation = "Microsoft Entra ID P2 (alone, or in Microsoft 365 E5 or EMS E5) is needed for this data; without it the check works from what it can read."
		f.References = []string{refLicensing}
	case u.Licence != "":
		f.Remediation = "Microsoft Entra ID P1 or P2 is needed for this data; without it the check works from what it can read."
		f.References = []string{refLicensing}
	}
	return f
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// listed quotes up to max items and says how many more there are.
func listed(items []string, max int) []string {
	if max <= 0 || len(items) <= max {
		return items
	}
	out := append([]string{}, items[:max]...)
	return append(out, fmt.Sprintf("… and %d more", len(items)-max))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// Documentation the findings point to.
const (
	refGraphPermissions = "https://learn.microsoft.com/graph/permissions-reference"
	refLicensing        = "https://learn.microsoft.com/entra/fundamentals/licensing"
	refSSPRLicensing    = "https://learn.microsoft.com/entra/identity/authentication/concept-sspr-licensing"
	refWriteback        = "https://learn.microsoft.com/entra/identity/authentication/concept-sspr-writeback"
	refWritebackEnable  = "https://learn.microsoft.com/entra/identity/authentication/tutorial-enable-sspr-writeback"
	refPIMLicensing     = "https://learn.microsoft.com/entra/id-governance/privileged-identity-management/subscription-requirements"

	refSyncScheduler   = "https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-sync-feature-scheduler"
	refSyncHealth      = "https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-health-sync"
	refPHS             = "https://learn.microsoft.com/entra/identity/hybrid/connect/whatis-phs"
	refDeletePrevent   = "https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-sync-feature-prevent-accidental-deletes"
	refSyncFeaturesAPI = "https://learn.microsoft.com/graph/api/resources/onpremisesdirectorysynchronizationfeature"
	refHybridChoose    = "https://learn.microsoft.com/entra/identity/hybrid/choose-ad-authn"

	refSSPRHowItWorks       = "https://learn.microsoft.com/entra/identity/authentication/concept-sspr-howitworks"
	refSSPRDeploy           = "https://learn.microsoft.com/entra/identity/authentication/howto-sspr-deployment"
	refSSPRPolicy           = "https://learn.microsoft.com/entra/identity/authentication/concept-sspr-policy"
	refCombinedRegistration = "https://learn.microsoft.com/entra/identity/authentication/concept-registration-mfa-sspr-combined"
	refRegistrationCampaign = "https://learn.microsoft.com/entra/identity/authentication/how-to-mfa-registration-campaign"
	refMethodsMigration     = "https://learn.microsoft.com/entra/identity/authentication/how-to-authentication-methods-manage"
	refMethodsManage        = "https://learn.microsoft.com/entra/identity/authentication/concept-authentication-methods-manage"
	refRegistrationDetails  = "https://learn.microsoft.com/graph/api/resources/userregistrationdetails"

	refAdminMFA          = "https://learn.microsoft.com/entra/identity/conditional-access/howto-conditional-access-policy-admin-mfa"
	refPhishResistantCA  = "https://learn.microsoft.com/entra/identity/conditional-access/how-to-policy-phish-resistant-admin-mfa"
	refPhishResistant    = "https://learn.microsoft.com/entra/identity/authentication/how-to-deploy-phishing-resistant-passwordless-authentication-overview"
	refAuthStrengths     = "https://learn.microsoft.com/entra/identity/authentication/concept-authentication-strengths"
	refSecurityDefaults  = "https://learn.microsoft.com/entra/fundamentals/security-defaults"
	refPerUserMFA        = "https://learn.microsoft.com/entra/identity/authentication/howto-mfa-userstates"
	refRoleBestPractices = "https://learn.microsoft.com/entra/identity/role-based-access-control/best-practices"
	refEmergencyAccess   = "https://learn.microsoft.com/entra/identity/role-based-access-control/security-emergency-access"
	refCloudOnlyAdmins   = "https://learn.microsoft.com/entra/architecture/protect-m365-from-on-premises-attacks"
	refReportOnly        = "https://learn.microsoft.com/entra/identity/conditional-access/concept-conditional-access-report-only"

	refBlockLegacy       = "https://learn.microsoft.com/entra/identity/conditional-access/block-legacy-authentication"
	refBlockLegacyPolicy = "https://learn.microsoft.com/entra/identity/conditional-access/howto-conditional-access-policy-block-legacy"
	refSignInLogs        = "https://learn.microsoft.com/entra/identity/monitoring-health/concept-sign-ins"

	refSecureScore        = "https://learn.microsoft.com/defender-xdr/microsoft-secure-score"
	refSecureScoreActions = "https://learn.microsoft.com/defender-xdr/microsoft-secure-score-improvement-actions"
)
