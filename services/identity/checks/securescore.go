package checks

import (
	"context"
	"fmt"
	"html"
	"math"
	"regexp"
	"sort"
	"strings"
	"time"

	identityv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/identity/v1"
	"github.com/hybridkit/hybridkit/services/identity/graphclient"
)

// SecureScoreReader reads Secure Score and its improvement actions.
type SecureScoreReader interface {
	SecureScores(ctx context.Context, top int) ([]graphclient.SecureScore, error)
	SecureScoreControlProfiles(ctx context.Context) ([]graphclient.ControlProfile, error)
}

// SecureScoreOptions tune the Secure Score check; the zero value uses the defaults.
type SecureScoreOptions struct {
	// Days is how many daily snapshots make the history (default 30).
	Days int
	// MaxActions bounds the identity improvement actions reported as findings (default 10);
	// the report lists them all.
	MaxActions int
}

// SecureScoreReport is the tenant's Microsoft Secure Score and its identity improvement actions.
type SecureScoreReport struct {
	// Current, Max and Percentage are from the newest snapshot, taken at Date.
	Current, Max, Percentage float64
	Date                     time.Time
	// History is the daily score, newest first.
	History []ScorePoint
	// Change is the newest score minus the oldest in History.
	Change      float64
	Comparative []graphclient.ComparativeScore
	// Actions are the identity improvement actions ranked by the points still to gain, then by
	// Microsoft's rank; nil when the control profiles could not be read.
	Actions     []ScoreAction
	Unavailable []Unavailable
}

// ScorePoint is one day's score.
type ScorePoint struct {
	Date       time.Time
	Score, Max float64
}

// ScoreAction is an improvement action with the tenant's progress on it.
type ScoreAction struct {
	ID, Title                      string
	Score, MaxScore, Gap           float64
	Rank                           int
	UserImpact, ImplementationCost string
	// Remediation is the profile's remediation text with its HTML removed.
	Remediation string
	Service     string
	Threats     []string
	// State is the admin's status for the action (Default, Ignored, ThirdParty, Reviewed).
	State     string
	ActionURL string
}

// SecureScore reads Secure Score (current, maximum, history over Days, comparison with other
// tenants) and ranks the identity improvement actions by the points still available.
func SecureScore(ctx context.Context, g SecureScoreReader, opts SecureScoreOptions) (*SecureScoreReport, []*identityv1.Finding, error) {
	if opts.Days <= 0 {
		opts.Days = 30
	}
	if opts.MaxActions <= 0 {
		opts.MaxActions = 10
	}
	scores, err := g.SecureScores(ctx, opts.Days)
	if err != nil {
		return nil, nil, err
	}
	rep := &SecureScoreReport{}
	var findings []*identityv1.Finding
	if len(scores) == 0 {
		return rep, []*identityv1.Finding{{
			Id:         "secure-score.no-data",
			Severity:   sevInfo,
			Title:      "Microsoft Secure Score has no snapshot for this tenant yet",
			Evidence:   []string{"security/secureScores returned no snapshot"},
			References: []string{refSecureScore},
		}}, nil
	}
	sort.SliceStable(scores, func(i, j int) bool { return scores[i].Created.After(scores[j].Created) })
	latest := scores[0]
	rep.Current, rep.Max, rep.Percentage, rep.Date = latest.CurrentScore, latest.MaxScore, round2(latest.Percentage()), latest.Created
	rep.Comparative = latest.Comparative
	for _, s := range scores {
		rep.History = append(rep.History, ScorePoint{Date: s.Created, Score: s.CurrentScore, Max: s.MaxScore})
	}
	rep.Change = round2(latest.CurrentScore - scores[len(scores)-1].CurrentScore)

	profiles, err := g.SecureScoreControlProfiles(ctx)
	if u, ok := refusal("the Secure Score improvement actions", err); ok {
		rep.Unavailable = append(rep.Unavailable, u)
		findings = append(findings, unavailableFinding("secure-score.actions-unavailable", sevLow, u, "the identity improvement actions were not ranked"))
	} else if err != nil {
		return nil, nil, err
	} else {
		current := map[string]float64{}
		for _, c := range latest.Controls {
			current[strings.ToLower(c.Name)] = c.Score
		}
		rep.Actions = []ScoreAction{}
		for _, p := range profiles {
			if !strings.EqualFold(p.Category, "Identity") || p.Deprecated {
				continue
			}
			score := current[strings.ToLower(p.ID)]
			rep.Actions = append(rep.Actions, ScoreAction{
				ID: p.ID, Title: p.Title, Score: score, MaxScore: p.MaxScore, Gap: round2(math.Max(p.MaxScore-score, 0)), Rank: p.Rank,
				UserImpact: p.UserImpact, ImplementationCost: p.ImplementationCost, Remediation: stripHTML(p.Remediation),
				Service: p.Service, Threats: p.Threats, State: p.State, ActionURL: p.ActionURL,
			})
		}
		sort.SliceStable(rep.Actions, func(i, j int) bool {
			a, b := rep.Actions[i], rep.Actions[j]
			if a.Gap != b.Gap {
				return a.Gap > b.Gap
			}
			return a.Rank < b.Rank
		})
	}
	return rep, append(scoreFindings(rep, opts), findings...), nil
}

func scoreFindings(r *SecureScoreReport, opts SecureScoreOptions) []*identityv1.Finding {
	evidence := []string{fmt.Sprintf("%s: %.2f of %.2f points (%.2f%%)", r.Date.Format("2006-01-02"), r.Current, r.Max, r.Percentage)}
	if n := len(r.History); n > 1 {
		oldest := r.History[n-1]
		evidence = append(evidence, fmt.Sprintf("%s: %.2f points; change since: %+.2f", oldest.Date.Format("2006-01-02"), oldest.Score, r.Change))
	}
	for _, c := range r.Comparative {
		evidence = append(evidence, fmt.Sprintf("average of comparable tenants (%s): %.2f%%", c.Basis, c.AverageScore))
	}
	out := []*identityv1.Finding{{
		Id:         "secure-score.summary",
		Severity:   sevInfo,
		Title:      fmt.Sprintf("Microsoft Secure Score is %.2f of %.2f (%.2f%%)", r.Current, r.Max, r.Percentage),
		Evidence:   evidence,
		References: []string{refSecureScore},
	}}
	if r.Change < 0 {
		out = append(out, &identityv1.Finding{
			Id:          "secure-score.declined",
			Severity:    sevLow,
			Title:       fmt.Sprintf("Secure Score fell by %.2f points since %s", -r.Change, r.History[len(r.History)-1].Date.Format("2006-01-02")),
			Evidence:    evidence,
			Remediation: "Look at the score history in the Microsoft Defender portal for the actions whose points dropped: a changed policy or new users out of scope.",
			References:  []string{refSecureScore},
		})
	}
	listed := 0
	for _, a := range r.Actions {
		if listed >= opts.MaxActions {
			break
		}
		if a.Gap <= 0 || a.State == "Ignored" || a.State == "ThirdParty" {
			continue
		}
		listed++
		sev := sevLow
		if a.Gap >= 5 {
			sev = sevMedium
		}
		ev := []string{
			fmt.Sprintf("%.2f of %.2f points; %.2f to gain", a.Score, a.MaxScore, a.Gap),
			fmt.Sprintf("user impact %s; implementation cost %s; Microsoft rank %d", a.UserImpact, a.ImplementationCost, a.Rank),
		}
		if len(a.Threats) > 0 {
			ev = append(ev, "threats: "+strings.Join(a.Threats, ", "))
		}
		refs := []string{refSecureScoreActions}
		if a.ActionURL != "" {
			refs = append([]string{a.ActionURL}, refs...)
		}
		out = append(out, &identityv1.Finding{
			Id:          "secure-score.action." + a.ID,
			Severity:    sev,
			Title:       fmt.Sprintf("%s (+%.2f points available)", a.Title, a.Gap),
			Evidence:    ev,
			Remediation: a.Remediation,
			References:  refs,
		})
	}
	return out
}

var htmlTag = regexp.MustCompile(`<[^>]*>`)

// stripHTML turns the profiles' HTML remediation into plain text.
func stripHTML(s string) string {
	// Fields also splits on the non-breaking spaces &nbsp; becomes.
	return strings.Join(strings.Fields(html.UnescapeString(htmlTag.ReplaceAllString(s, " "))), " ")
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }
