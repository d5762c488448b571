package identity

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	directoryv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/directory/v1"
	identityv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/identity/v1"
	"github.com/hybridkit/hybridkit/services/identity/checks"
	"github.com/hybridkit/hybridkit/services/identity/graphclient"
)

const (
	// checkUsersBatch is the most users per CheckUsers call (the directory allows 10,000 with the
	// basic view; smaller batches keep each response small).
	checkUsersBatch        = 2000
	defaultWritebackListed = 100
	directoryCallTimeout   = 2 * time.Minute
)

const ssprWritebackDocs = "https://learn.microsoft.com/entra/identity/authentication/tutorial-enable-sspr-writeback"

// candidate is a synced, SSPR-enabled user.
type candidate struct {
	user graphclient.User
	key  string // SID, else DN; empty when neither
}

// CheckWritebackReadiness reports whether SSPR with password writeback will work, the directory
// side included when the directory service can be reached.
func (s *Service) CheckWritebackReadiness(ctx context.Context, req *identityv1.CheckWritebackReadinessRequest) (*identityv1.CheckWritebackReadinessResponse, error) {
	if s.graph == nil {
		return nil, errNotConfigured
	}
	maxListed := orDefault(req.GetMaxListed(), defaultWritebackListed)
	lic, licFindings, err := checks.Licences(ctx, s.graph)
	if err != nil {
		return nil, s.graphError(ctx, err)
	}
	staleAfter := checks.DefaultStaleAfter
	syncRep, syncFindings, err := checks.Sync(ctx, s.graph, checks.SyncOptions{Now: s.now, StaleAfter: staleAfter})
	if err != nil {
		return nil, s.graphError(ctx, err)
	}
	ssprRep, ssprFindings, err := checks.SSPR(ctx, s.graph, checks.SSPROptions{MaxListed: defaultMaxListed})
	if err != nil {
		return nil, s.graphError(ctx, err)
	}
	// Without a premium licence (or the permission) the registration report is refused: the
	// users SSPR serves cannot be listed, and the answer says so rather than failing.
	var candidatesUnknown string
	cands, err := s.writebackCandidates(ctx)
	var perm *graphclient.PermissionError
	var licErr *graphclient.LicenceError
	switch {
	case errors.As(err, &perm), errors.As(err, &licErr):
		candidatesUnknown = err.Error()
		cands = nil
	case err != nil:
		return nil, s.graphError(ctx, err)
	}
	rep := &identityv1.WritebackReadinessReport{
		Licences:   licenceReportProto(lic),
		Sync:       syncReportProto(syncRep, staleAfter),
		Sspr:       ssprReportProto(ssprRep, defaultMaxListed),
		Candidates: int32(len(cands)),
	}
	verdicts := make([]*identityv1.WritebackUserVerdict, len(cands))
	var keys []string
	var keyed []int
	for i, c := range cands {
		verdicts[i] = &identityv1.WritebackUserVerdict{
			Id: c.user.ID, UserPrincipalName: c.user.UserPrincipalName,
			OnPremisesSecurityIdentifier: c.user.OnPremisesSecurityIdentifier,
			OnPremisesDistinguishedName:  c.user.OnPremisesDistinguishedName,
			JoinedBy:                     c.key,
		}
		if c.key == "" {
			rep.NotJoined++
			continue
		}
		keys = append(keys, c.key)
		keyed = append(keyed, i)
	}
	if len(keys) > 0 {
		results, connector, why := s.checkUsers(ctx, req.GetConnector(), keys)
		if why != "" {
			rep.DirectoryUnavailable = why
		} else {
			rep.DirectoryChecked = true
			rep.Connector = connector
			for j, r := range results {
				applyResult(verdicts[keyed[j]], r)
			}
			s.retryByDN(ctx, req.GetConnector(), cands, verdicts, keyed)
		}
	} else if s.directoryAddr == "" || candidatesUnknown != "" {
		rep.DirectoryUnavailable = "the directory service is not configured (--directory-addr)"
	} else {
		rep.DirectoryChecked = true
	}
	var failing []string
	for _, v := range verdicts {
		switch {
		case !rep.DirectoryChecked || v.JoinedBy == "":
		case v.Works:
			rep.Works++
		case v.Found:
			rep.Fails++
			failing = append(failing, fmt.Sprintf("%s: %s", v.UserPrincipalName, reasonWords(v.Reason)))
		default:
			rep.NotFound++
			failing = append(failing, fmt.Sprintf("%s: %s", v.UserPrincipalName, reasonWords(v.Reason)))
		}
	}
	sort.SliceStable(verdicts, func(i, j int) bool { return rank(verdicts[i]) < rank(verdicts[j]) })
	rep.Users = firstN(verdicts, maxListed)
	if candidatesUnknown != "" && s.directoryAddr != "" {
		rep.DirectoryUnavailable = "the SSPR-enabled users could not be listed, so none was checked in AD"
	}
	rep.Ready = candidatesUnknown == "" && (lic.P1 || lic.P2) && syncRep.Enabled && !syncRep.Stale && rep.DirectoryChecked &&
		rep.Fails == 0 && rep.NotFound == 0 && rep.NotJoined == 0
	findings := writebackFindings(rep, lic, syncRep, failing, maxListed)
	if candidatesUnknown != "" {
		findings = append(findings, &identityv1.Finding{
			Id: "writeback.users-unknown", Severity: identityv1.Severity_SEVERITY_MEDIUM,
			Title:       "The SSPR-enabled users could not be listed: no per-user writeback verdict",
			Evidence:    []string{candidatesUnknown},
			Remediation: "Grant the permission or licence named, then run the check again.",
		})
	}
	findings = append(findings, licFindings...)
	findings = append(findings, syncFindings...)
	findings = append(findings, ssprFindings...)
	return &identityv1.CheckWritebackReadinessResponse{Report: rep, Findings: findings}, nil
}

// rank puts failing users first, then unchecked ones, then working ones.
func rank(v *identityv1.WritebackUserVerdict) int {
	switch {
	case v.Works:
		return 2
	case v.Reason != identityv1.WritebackVerdictReason_WRITEBACK_VERDICT_REASON_UNSPECIFIED:
		return 0
	}
	return 1
}

// writebackCandidates lists the synced users who are SSPR-enabled, joined to AD by SID else DN.
func (s *Service) writebackCandidates(ctx context.Context) ([]candidate, error) {
	enabled := map[string]bool{}
	if err := s.graph.ListUserRegistrations(ctx, func(r graphclient.UserRegistration) error {
		if r.IsSsprEnabled {
			enabled[r.ID] = true
		}
		return nil
	}); err != nil {
		return nil, err
	}
	var out []candidate
	if err := s.graph.ListUsers(ctx, func(u graphclient.User) error {
		if !u.Synced() || !enabled[u.ID] {
			return nil
		}
		key := u.OnPremisesSecurityIdentifier
		if key == "" {
			key = u.OnPremisesDistinguishedName
		}
		out = append(out, candidate{user: u, key: key})
		return nil
	}); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].user.UserPrincipalName < out[j].user.UserPrincipalName })
	return out, nil
}

// checkUsers asks the directory service for the users' verdicts, in batches, forwarding the
// caller's authorization. why is set, and results nil, when the directory could not answer.
func (s *Service) checkUsers(ctx context.Context, connector string, keys []string) (results []*directoryv1.UserCheckResult, connectorName, why string) {
	if s.directoryAddr == "" {
		return nil, "", "the directory service is not configured (--directory-addr)"
	}
	conn, err := grpc.NewClient(s.directoryAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, "", fmt.Sprintf("the directory service at %s cannot be dialled: %v", s.directoryAddr, err)
	}
	defer conn.Close()
	client := directoryv1.NewDirectoryServiceClient(conn)
	out := ctx
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if auth := md.Get("authorization"); len(auth) > 0 {
			out = metadata.AppendToOutgoingContext(ctx, "authorization", auth[0])
		}
	}
	for start := 0; start < len(keys); start += checkUsersBatch {
		end := min(start+checkUsersBatch, len(keys))
		cctx, cancel := context.WithTimeout(out, directoryCallTimeout)
		resp, err := client.CheckUsers(cctx, &directoryv1.CheckUsersRequest{
			Connector: connector, Users: keys[start:end], View: directoryv1.VerdictView_VERDICT_VIEW_BASIC,
		})
		cancel()
		if err != nil {
			st := status.Convert(err)
			return nil, "", fmt.Sprintf("the directory service at %s did not answer: %s: %s", s.directoryAddr, st.Code(), st.Message())
		}
		if len(resp.GetResults()) != end-start {
			return nil, "", fmt.Sprintf("the directory service at %s answered %d results for %d users", s.directoryAddr, len(resp.GetResults()), end-start)
		}
		results = append(results, resp.GetResults()...)
		if c := resp.GetConnector(); c != nil && connectorName == "" {
			connectorName = principalName(c)
		}
	}
	return results, connectorName, ""
}

func principalName(p *directoryv1.Principal) string {
	for _, n := range []string{p.GetDn(), p.GetSid()} {
		if n != "" {
			return n
		}
	}
	return ""
}

var reasonFromDirectory = map[directoryv1.FailureReason]identityv1.WritebackVerdictReason{
	directoryv1.FailureReason_FAILURE_REASON_ADMIN_SD_HOLDER: identityv1.WritebackVerdictReason_WRITEBACK_VERDICT_REASON_ADMIN_SD_HOLDER,
	directoryv1.FailureReason_FAILURE_REASON_EXPLICIT_DENY:   identityv1.WritebackVerdictReason_WRITEBACK_VERDICT_REASON_EXPLICIT_DENY,
	directoryv1.FailureReason_FAILURE_REASON_PROTECTED_DACL:  identityv1.WritebackVerdictReason_WRITEBACK_VERDICT_REASON_PROTECTED_DACL,
	directoryv1.FailureReason_FAILURE_REASON_MISSING_RIGHT:   identityv1.WritebackVerdictReason_WRITEBACK_VERDICT_REASON_MISSING_RIGHT,
}

func applyResult(v *identityv1.WritebackUserVerdict, r *directoryv1.UserCheckResult) {
	if r.GetStatus() != directoryv1.LookupStatus_LOOKUP_STATUS_FOUND || r.GetCheck() == nil {
		v.Reason = identityv1.WritebackVerdictReason_WRITEBACK_VERDICT_REASON_NOT_FOUND_IN_AD
		v.Detail = r.GetMessage()
		if v.Detail == "" {
			v.Detail = "no account in AD matches " + v.JoinedBy
		}
		return
	}
	c := r.GetCheck()
	v.Found, v.Dn, v.Works = true, c.GetDn(), c.GetWorks()
	if c.GetWorks() {
		return
	}
	cause := c.GetCause()
	if cause == directoryv1.FailureReason_FAILURE_REASON_UNSPECIFIED && len(c.GetReasons()) > 0 {
		cause = c.GetReasons()[0].GetCode()
	}
	v.Reason = reasonFromDirectory[cause]
	if v.Reason == identityv1.WritebackVerdictReason_WRITEBACK_VERDICT_REASON_UNSPECIFIED {
		v.Reason = identityv1.WritebackVerdictReason_WRITEBACK_VERDICT_REASON_MISSING_RIGHT
	}
	var details []string
	for _, r := range c.GetReasons() {
		d := r.GetDetail()
		if d == "" {
			d = strings.ToLower(strings.TrimPrefix(r.GetCode().String(), "FAILURE_REASON_"))
			if r.GetRight() != directoryv1.WritebackRight_WRITEBACK_RIGHT_UNSPECIFIED {
				d += " (" + strings.ToLower(strings.TrimPrefix(r.GetRight().String(), "WRITEBACK_RIGHT_")) + ")"
			}
		}
		details = append(details, d)
	}
	v.Detail = strings.Join(details, "; ")
}

func reasonWords(r identityv1.WritebackVerdictReason) string {
	switch r {
	case identityv1.WritebackVerdictReason_WRITEBACK_VERDICT_REASON_ADMIN_SD_HOLDER:
		return "adminsdholder (adminCount=1)"
	case identityv1.WritebackVerdictReason_WRITEBACK_VERDICT_REASON_EXPLICIT_DENY:
		return "explicit-deny"
	case identityv1.WritebackVerdictReason_WRITEBACK_VERDICT_REASON_PROTECTED_DACL:
		return "protected-dacl"
	case identityv1.WritebackVerdictReason_WRITEBACK_VERDICT_REASON_MISSING_RIGHT:
		return "missing-right"
	case identityv1.WritebackVerdictReason_WRITEBACK_VERDICT_REASON_NOT_FOUND_IN_AD:
		return "not found in AD"
	}
	return "unknown"
}

func writebackFindings(rep *identityv1.WritebackReadinessReport, lic *graphclient.LicenceReport, sync *checks.SyncReport, failing []string, maxListed int) []*identityv1.Finding {
	var out []*identityv1.Finding
	if !lic.P1 && !lic.P2 {
		out = append(out, &identityv1.Finding{
			Id: "writeback.no-licence", Severity: identityv1.Severity_SEVERITY_HIGH,
			Title:       "Password writeback needs Entra ID P1 or P2, and the tenant has neither",
			Evidence:    []string{"No enabled, provisioned AAD_PREMIUM or AAD_PREMIUM_P2 service plan"},
			Remediation: "License the users who will reset their passwords with Entra ID P1 (or a suite that includes it).",
			References:  []string{ssprWritebackDocs},
		})
	}
	switch {
	case !sync.Enabled:
		out = append(out, &identityv1.Finding{
			Id: "writeback.sync-disabled", Severity: identityv1.Severity_SEVERITY_HIGH,
			Title:       "Directory synchronisation is not enabled: there is nothing to write back to",
			Remediation: "Install and configure Entra Connect (or Cloud Sync) with password writeback.",
			References:  []string{ssprWritebackDocs},
		})
	case sync.Stale:
		out = append(out, &identityv1.Finding{
			Id: "writeback.sync-stale", Severity: identityv1.Severity_SEVERITY_HIGH,
			Title:       "The last directory sync is stale: the connector that writes passwords back may be down",
			Evidence:    []string{fmt.Sprintf("Last sync %s (%s ago)", sync.LastSync.UTC().Format(time.RFC3339), sync.SinceLastSync.Round(time.Minute))},
			Remediation: "Check the Entra Connect server and its sync scheduler; writeback goes through the same service.",
			References:  []string{ssprWritebackDocs},
		})
	}
	if rep.DirectoryUnavailable != "" {
		out = append(out, &identityv1.Finding{
			Id: "writeback.directory-unavailable", Severity: identityv1.Severity_SEVERITY_MEDIUM,
			Title: "Partial answer: the connector's rights on the users in AD were not checked",
			Evidence: []string{rep.DirectoryUnavailable,
				fmt.Sprintf("%d synced, SSPR-enabled %s not checked in AD", rep.Candidates, plural(int(rep.Candidates), "user", "users"))},
			Remediation: "Run the directory service and point the identity service at it with --directory-addr (hybridkit serve does this itself).",
		})
	}
	if len(failing) > 0 {
		out = append(out, &identityv1.Finding{
			Id: "writeback.users-will-fail", Severity: identityv1.Severity_SEVERITY_HIGH,
			Title:    fmt.Sprintf("Password writeback will fail for %d SSPR-enabled %s", len(failing), plural(len(failing), "user", "users")),
			Evidence: firstN(failing, maxListed),
			Remediation: "Grant the connector account Reset password, Change password and Write lockoutTime/pwdLastSet where the users are " +
				"(hybridkit directory grant); for adminCount=1 users grant on AdminSDHolder or keep them out of SSPR; remove the deny ACEs.",
			References: []string{"https://learn.microsoft.com/entra/identity/authentication/troubleshoot-sspr-writeback"},
		})
	}
	if rep.NotJoined > 0 {
		out = append(out, &identityv1.Finding{
			Id: "writeback.users-not-joined", Severity: identityv1.Severity_SEVERITY_LOW,
			Title:       fmt.Sprintf("%d synced %s carry neither onPremisesSecurityIdentifier nor onPremisesDistinguishedName", rep.NotJoined, plural(int(rep.NotJoined), "user", "users")),
			Remediation: "Check the sync rules: these attributes normally flow from AD.",
		})
	}
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// retryByDN asks again, by onPremisesDistinguishedName, for the users whose SID matched no
// account (a SID that changed, for example after a migration with SID history). A failed retry
// leaves the SID's verdict.
func (s *Service) retryByDN(ctx context.Context, connector string, cands []candidate, verdicts []*identityv1.WritebackUserVerdict, keyed []int) {
	var dns []string
	var idx []int
	for _, i := range keyed {
		v, c := verdicts[i], cands[i].user
		if !v.Found && v.JoinedBy == c.OnPremisesSecurityIdentifier && c.OnPremisesDistinguishedName != "" {
			dns = append(dns, c.OnPremisesDistinguishedName)
			idx = append(idx, i)
		}
	}
	if len(dns) == 0 {
		return
	}
	results, _, why := s.checkUsers(ctx, connector, dns)
	if why != "" {
		return
	}
	for j, r := range results {
		if r.GetStatus() == directoryv1.LookupStatus_LOOKUP_STATUS_FOUND && r.GetCheck() != nil {
			v := verdicts[idx[j]]
			v.Reason, v.Detail, v.JoinedBy = identityv1.WritebackVerdictReason_WRITEBACK_VERDICT_REASON_UNSPECIFIED, "", dns[j]
			applyResult(v, r)
		}
	}
}
