package graphclient

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/microsoftgraph/msgraph-sdk-go/auditlogs"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/security"
)

var (
	epSecureScores    = endpoint{http.MethodGet, "/security/secureScores", "SecurityEvents.Read.All"}
	epControlProfiles = endpoint{http.MethodGet, "/security/secureScoreControlProfiles", "SecurityEvents.Read.All"}
	epSignIns         = endpoint{http.MethodGet, "/auditLogs/signIns", "AuditLog.Read.All"}
)

// errStop ends a listing early without an error.
var errStop = errors.New("stop listing")

// SecureScore is one daily Microsoft Secure Score snapshot.
type SecureScore struct {
	Created                            time.Time
	CurrentScore, MaxScore             float64
	ActiveUserCount, LicensedUserCount int
	EnabledServices                    []string
	// Comparative are the averages of other tenants by basis (AllTenants, TotalSeats,
	// IndustryTypes).
	Comparative []ComparativeScore
	Controls    []ControlScore
}

// Percentage is CurrentScore as a share of MaxScore, 0-100.
func (s SecureScore) Percentage() float64 {
	if s.MaxScore == 0 {
		return 0
	}
	return s.CurrentScore / s.MaxScore * 100
}

// ComparativeScore is an average Secure Score of comparable tenants.
type ComparativeScore struct {
	Basis        string
	AverageScore float64
}

// ControlScore is one control's points in a snapshot.
type ControlScore struct {
	Name, Category, Description string
	Score                       float64
	// ScoreInPercentage and ImplementationStatus are open properties Graph adds; zero when absent.
	ScoreInPercentage    float64
	ImplementationStatus string
}

// SecureScores returns the newest top daily snapshots, newest first. It needs
// SecurityEvents.Read.All.
func (c *Client) SecureScores(ctx context.Context, top int) ([]SecureScore, error) {
	t := int32(top)
	cfg := &security.SecureScoresRequestBuilderGetRequestConfiguration{
		QueryParameters: &security.SecureScoresRequestBuilderGetQueryParameters{Top: &t},
	}
	b := c.graph.Security().SecureScores()
	var out []SecureScore
	err := eachItem(ctx, c, epSecureScores,
		func(ctx context.Context) (models.SecureScoreCollectionResponseable, error) { return b.Get(ctx, cfg) },
		func(ctx context.Context, link string) (models.SecureScoreCollectionResponseable, error) {
			return b.WithUrl(link).Get(ctx, nil)
		},
		func(m models.SecureScoreable) error {
			if len(out) >= top {
				return errStop
			}
			out = append(out, secureScoreFrom(m))
			return nil
		})
	if err != nil && !errors.Is(err, errStop) {
		return nil, err
	}
	return out, nil
}

func secureScoreFrom(m models.SecureScoreable) SecureScore {
	s := SecureScore{
		CurrentScore: deref(m.GetCurrentScore()), MaxScore: deref(m.GetMaxScore()),
		ActiveUserCount: int(deref(m.GetActiveUserCount())), LicensedUserCount: int(deref(m.GetLicensedUserCount())),
		EnabledServices: m.GetEnabledServices(),
	}
	if t := m.GetCreatedDateTime(); t != nil {
		s.Created = t.UTC()
	}
	for _, a := range m.GetAverageComparativeScores() {
		s.Comparative = append(s.Comparative, ComparativeScore{Basis: deref(a.GetBasis()), AverageScore: deref(a.GetAverageScore())})
	}
	for _, cs := range m.GetControlScores() {
		ctl := ControlScore{
			Name: deref(cs.GetControlName()), Category: deref(cs.GetControlCategory()),
			Description: deref(cs.GetDescription()), Score: deref(cs.GetScore()),
		}
		extra := cs.GetAdditionalData()
		ctl.ScoreInPercentage = number(extra["scoreInPercentage"])
		if v, ok := extra["implementationStatus"].(*string); ok && v != nil {
			ctl.ImplementationStatus = *v
		}
		s.Controls = append(s.Controls, ctl)
	}
	return s
}

// number reads a numeric open property as the JSON parse node leaves it.
func number(v any) float64 {
	switch n := v.(type) {
	case *float64:
		return deref(n)
	case *float32:
		return float64(deref(n))
	case *int64:
		return float64(deref(n))
	case *int32:
		return float64(deref(n))
	case float64:
		return n
	}
	return 0
}

// ControlProfile is a Secure Score improvement action.
type ControlProfile struct {
	ID, Title          string
	Category           string // Identity, Data, Device, Apps, Infrastructure
	Service            string // AzureAD, EXO, MDO, ...
	ActionType         string
	ActionURL          string
	MaxScore           float64
	Rank               int
	ImplementationCost string // Low, Moderate, High
	UserImpact         string // Low, Moderate, High
	Remediation        string // HTML, as Graph returns it
	RemediationImpact  string
	Tier               string
	Threats            []string
	Deprecated         bool
	// State is the latest controlStateUpdates state (Default, Ignored, ThirdParty, Reviewed),
	// "" when never updated.
	State string
}

// SecureScoreControlProfiles lists the Secure Score improvement actions. It needs
// SecurityEvents.Read.All.
func (c *Client) SecureScoreControlProfiles(ctx context.Context) ([]ControlProfile, error) {
	b := c.graph.Security().SecureScoreControlProfiles()
	var out []ControlProfile
	err := eachItem(ctx, c, epControlProfiles,
		func(ctx context.Context) (models.SecureScoreControlProfileCollectionResponseable, error) {
			return b.Get(ctx, nil)
		},
		func(ctx context.Context, link string) (models.SecureScoreControlProfileCollectionResponseable, error) {
			return b.WithUrl(link).Get(ctx, nil)
		},
		func(m models.SecureScoreControlProfileable) error {
			p := ControlProfile{
				ID: deref(m.GetId()), Title: deref(m.GetTitle()), Category: deref(m.GetControlCategory()), Service: deref(m.GetService()),
				ActionType: deref(m.GetActionType()), ActionURL: deref(m.GetActionUrl()), MaxScore: deref(m.GetMaxScore()),
				Rank: int(deref(m.GetRank())), ImplementationCost: deref(m.GetImplementationCost()), UserImpact: deref(m.GetUserImpact()),
				Remediation: deref(m.GetRemediation()), RemediationImpact: deref(m.GetRemediationImpact()), Tier: deref(m.GetTier()),
				Threats: m.GetThreats(), Deprecated: deref(m.GetDeprecated()),
			}
			var latest time.Time
			for _, u := range m.GetControlStateUpdates() {
				if t := u.GetUpdatedDateTime(); t != nil && !t.Before(latest) {
					latest, p.State = *t, deref(u.GetState())
				}
			}
			out = append(out, p)
			return nil
		})
	return out, err
}

// LegacyClientApps are the clientAppUsed values of sign-ins by legacy authentication clients.
var LegacyClientApps = []string{
	"AutoDiscover", "Exchange ActiveSync", "Exchange Online PowerShell", "Exchange Web Services", "IMAP4",
	"MAPI Over HTTP", "Offline Address Book", "Other clients", "Outlook Anywhere (RPC over HTTP)", "POP3",
	"Reporting Web Services", "Authenticated SMTP", "Outlook Service", "Universal Outlook",
}

// SignIn is one sign-in event.
type SignIn struct {
	ID                string
	Created           time.Time
	UserID            string
	UserPrincipalName string
	UserDisplayName   string
	AppDisplayName    string
	ClientAppUsed     string
	IPAddress         string
	// ErrorCode is status.errorCode: 0 for a successful sign-in.
	ErrorCode               int
	FailureReason           string
	ConditionalAccessStatus string // success, failure, notApplied
}

// SignInQuery selects sign-ins: since a time, and by client app (none: every client).
type SignInQuery struct {
	Since      time.Time
	ClientApps []string
}

func (q SignInQuery) filter() string {
	var parts []string
	if !q.Since.IsZero() {
		parts = append(parts, "createdDateTime ge "+q.Since.UTC().Format(time.RFC3339))
	}
	if len(q.ClientApps) > 0 {
		var apps []string
		for _, a := range q.ClientApps {
			apps = append(apps, "clientAppUsed eq '"+strings.ReplaceAll(a, "'", "''")+"'")
		}
		parts = append(parts, "("+strings.Join(apps, " or ")+")")
	}
	return strings.Join(parts, " and ")
}

// ListSignIns calls fn for each sign-in the query selects, newest first. Sign-in logs need
// AuditLog.Read.All and Entra ID P1 or P2 ([LicenceError] otherwise).
func (c *Client) ListSignIns(ctx context.Context, q SignInQuery, fn func(SignIn) error) error {
	top := int32(1000)
	qp := &auditlogs.SignInsRequestBuilderGetQueryParameters{Top: &top}
	if f := q.filter(); f != "" {
		qp.Filter = &f
	}
	cfg := &auditlogs.SignInsRequestBuilderGetRequestConfiguration{QueryParameters: qp}
	b := c.graph.AuditLogs().SignIns()
	return eachItem(ctx, c, epSignIns,
		func(ctx context.Context) (models.SignInCollectionResponseable, error) { return b.Get(ctx, cfg) },
		func(ctx context.Context, link string) (models.SignInCollectionResponseable, error) {
			return b.WithUrl(link).Get(ctx, nil)
		},
		func(m models.SignInable) error {
			s := SignIn{
				ID: deref(m.GetId()), UserID: deref(m.GetUserId()), UserPrincipalName: deref(m.GetUserPrincipalName()),
				UserDisplayName: deref(m.GetUserDisplayName()), AppDisplayName: deref(m.GetAppDisplayName()),
				ClientAppUsed: deref(m.GetClientAppUsed()), IPAddress: deref(m.GetIpAddress()),
			}
			if t := m.GetCreatedDateTime(); t != nil {
				s.Created = t.UTC()
			}
			if st := m.GetStatus(); st != nil {
				s.ErrorCode = int(deref(st.GetErrorCode()))
				s.FailureReason = deref(st.GetFailureReason())
			}
			if cs := m.GetConditionalAccessStatus(); cs != nil {
				s.ConditionalAccessStatus = cs.String()
			}
			return fn(s)
		})
}
