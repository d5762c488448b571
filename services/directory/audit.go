package directory

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/go-ldap/ldap/v3"
	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc/codes"

	"github.com/hybridkit/hybridkit/platform/grpcserver"
	"github.com/hybridkit/hybridkit/platform/rpcerr"
	directoryv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/directory/v1"
	"github.com/hybridkit/hybridkit/services/directory/ldapconn"
	"github.com/hybridkit/hybridkit/services/directory/secdesc"
	"github.com/hybridkit/hybridkit/services/directory/writeback"
)

// Bounds of the request parameters.
const (
	// MaxCheckUsers is the most users one CheckUsers call takes with the basic view;
	// MaxCheckUsersFull with the full one (about 1 KB a user: 2,000 keep a response well under
	// gRPC's default 4 MiB limit of clients, the gateway's included).
	MaxCheckUsers      = 10000
	MaxCheckUsersFull  = 2000
	defaultMaxListed   = 100
	maxMaxListed       = 2000 // full verdicts, as MaxCheckUsersFull
	defaultPageSize    = 100
	maxPageSize        = 1000
	maxNameBytes       = 1024 // a DN, account name or SID; AD caps DNs far below this
	checkUsersParallel = 8    // user reads in flight on the one connection
)

// writebackValidators are the request checks of the writeback RPCs.
func writebackValidators() map[string]grpcserver.Validator {
	return map[string]grpcserver.Validator{
		directoryv1.DirectoryService_ListConnectorAccounts_FullMethodName: func(req any) error {
			r := req.(*directoryv1.ListConnectorAccountsRequest)
			var v []rpcerr.FieldViolation
			if n := r.GetPageSize(); n < 0 || n > maxPageSize {
				v = append(v, rpcerr.FieldViolation{Field: "page_size", Description: fmt.Sprintf("must be between 0 (the default, %d) and %d", defaultPageSize, maxPageSize)})
			}
			if _, err := decodePageToken(r.GetPageToken()); err != nil {
				v = append(v, rpcerr.FieldViolation{Field: "page_token", Description: err.Error()})
			}
			return violations(v)
		},
		directoryv1.DirectoryService_AuditScope_FullMethodName: func(req any) error {
			r := req.(*directoryv1.AuditScopeRequest)
			return violations(append(checkAccount("connector", r.GetConnector()), checkScope("scope", r.GetScope())...))
		},
		directoryv1.DirectoryService_CheckUsers_FullMethodName: func(req any) error {
			r := req.(*directoryv1.CheckUsersRequest)
			v := checkAccount("connector", r.GetConnector())
			switch n := len(r.GetUsers()); {
			case n == 0:
				v = append(v, rpcerr.FieldViolation{Field: "users", Description: "name at least one user"})
			case n > MaxCheckUsers:
				v = append(v, rpcerr.FieldViolation{Field: "users", Description: fmt.Sprintf("has %d entries; at most %d per call", n, MaxCheckUsers)})
			case n > MaxCheckUsersFull && r.GetView() != directoryv1.VerdictView_VERDICT_VIEW_BASIC:
				v = append(v, rpcerr.FieldViolation{Field: "users", Description: fmt.Sprintf("has %d entries; at most %d with the full view, %d with view VERDICT_VIEW_BASIC", n, MaxCheckUsersFull, MaxCheckUsers)})
			default:
				for i, u := range r.GetUsers() {
					field := fmt.Sprintf("users[%d]", i)
					if strings.TrimSpace(u) == "" {
						v = append(v, rpcerr.FieldViolation{Field: field, Description: "is empty"})
						continue
					}
					v = append(v, checkAccount(field, u)...)
					if len(v) >= 20 {
						break // enough to show what is wrong
					}
				}
			}
			if view := r.GetView(); view < 0 || view > directoryv1.VerdictView_VERDICT_VIEW_BASIC {
				v = append(v, rpcerr.FieldViolation{Field: "view", Description: fmt.Sprintf("unknown view %d", view)})
			}
			return violations(v)
		},
		directoryv1.DirectoryService_GetCoverage_FullMethodName: func(req any) error {
			r := req.(*directoryv1.GetCoverageRequest)
			v := append(checkAccount("connector", r.GetConnector()), checkScope("scope", r.GetScope())...)
			if n := r.GetMaxListed(); n < 0 || n > maxMaxListed {
				v = append(v, rpcerr.FieldViolation{Field: "max_listed", Description: fmt.Sprintf("must be between 0 (the default, %d) and %d", defaultMaxListed, maxMaxListed)})
			}
			return violations(v)
		},
	}
}

func violations(v []rpcerr.FieldViolation) error {
	if len(v) == 0 {
		return nil
	}
	return rpcerr.BadRequest(v...)
}

// checkScope accepts "" (the domain root) or a well-formed DN.
func checkScope(field, dn string) []rpcerr.FieldViolation {
	if dn == "" {
		return nil
	}
	if len(dn) > maxNameBytes {
		return []rpcerr.FieldViolation{{Field: field, Description: fmt.Sprintf("is longer than %d bytes", maxNameBytes)}}
	}
	if err := ldapconn.ValidateDN(dn); err != nil {
		return []rpcerr.FieldViolation{{Field: field, Description: strings.TrimPrefix(err.Error(), "ldapconn: ")}}
	}
	return nil
}

// looksLikeDN matches what starts as a DN does: an attribute type (a name or an OID), then "=".
var looksLikeDN = regexp.MustCompile(`^\s*(?:[A-Za-z][A-Za-z0-9-]*|[0-9]+(?:\.[0-9]+)*)\s*=`)

// checkAccount accepts "" or an account named by DN, SID, UPN or sAMAccountName: what starts like
// a DN must parse as one, what starts like a SID (S-1-) too. Anything else is a name, which the
// engine escapes into its filters: "*)(objectClass=*" simply matches no account.
func checkAccount(field, id string) []rpcerr.FieldViolation {
	id = strings.TrimSpace(id)
	switch {
	case id == "":
		return nil
	case len(id) > maxNameBytes:
		return []rpcerr.FieldViolation{{Field: field, Description: fmt.Sprintf("is longer than %d bytes", maxNameBytes)}}
	case len(id) > 4 && strings.EqualFold(id[:4], "S-1-"):
		if _, err := secdesc.ParseSID(id); err != nil {
			return []rpcerr.FieldViolation{{Field: field, Description: fmt.Sprintf("%q is not a SID: %v", id, err)}}
		}
	case looksLikeDN.MatchString(id) && !strings.Contains(id, "@"):
		return checkScope(field, id)
	}
	return nil
}

// engine returns the writeback engine, connecting to the DC if need be, as a gRPC error when it
// cannot.
func (s *Service) engine(ctx context.Context) (*writeback.Engine, *ldapconn.Conn, error) {
	if s.dc == nil {
		return nil, nil, s.errNotConfigured()
	}
	e, c, err := s.dc.get(ctx)
	if err != nil {
		return nil, nil, s.connectError(ctx, err)
	}
	return e, c, nil
}

// Connect connects to the domain controller now rather than on first use. It fails with
// FailedPrecondition (LDAP_NOT_CONFIGURED) when none is configured.
func (s *Service) Connect(ctx context.Context) error {
	_, _, err := s.engine(ctx)
	return err
}

// Engine returns the writeback engine on the configured domain controller, for the CLI's local
// grants; errors are gRPC statuses.
func (s *Service) Engine(ctx context.Context) (*writeback.Engine, error) {
	e, _, err := s.engine(ctx)
	return e, err
}

// Connector resolves the connector account named by DN, sAMAccountName, UPN or SID, or when name
// is empty the default one (see ListConnectorAccountsResponse.default_connector).
func (s *Service) Connector(ctx context.Context, name string) (*writeback.Principal, error) {
	eng, conn, err := s.engine(ctx)
	if err != nil {
		return nil, err
	}
	return s.connector(ctx, eng, conn, name)
}

// Close releases the connection to the domain controller.
func (s *Service) Close() error {
	if s.dc == nil {
		return nil
	}
	return s.dc.close()
}

func (s *Service) connector(ctx context.Context, eng *writeback.Engine, conn *ldapconn.Conn, name string) (*writeback.Principal, error) {
	if strings.TrimSpace(name) == "" {
		accounts, err := s.findAccounts(ctx, eng, conn)
		if err != nil {
			return nil, err
		}
		dn, err := s.defaultConnector(accounts, eng.NamingContexts())
		if err != nil {
			return nil, err
		}
		name = dn
	}
	p, err := eng.Principal(ctx, name)
	if err != nil {
		return nil, s.engineError(ctx, err, "connector")
	}
	return p, nil
}

// findAccounts lists the candidate connector accounts of every configured domain.
func (s *Service) findAccounts(ctx context.Context, eng *writeback.Engine, conn *ldapconn.Conn) ([]ldapconn.ConnectorAccount, error) {
	var all []ldapconn.ConnectorAccount
	for _, nc := range eng.NamingContexts() {
		found, err := conn.FindConnectorAccounts(ctx, nc, s.ldapCfg.Connectors)
		if err != nil {
			return nil, s.engineError(ctx, err, "connector")
		}
		all = append(all, found...)
	}
	return all, nil
}

// defaultConnector picks the account the RPCs use when none is named: the one --connector names,
// else the only MSOL_ account (the only enabled one when there are several).
func (s *Service) defaultConnector(accounts []ldapconn.ConnectorAccount, namingContexts []string) (string, error) {
	domains := strings.Join(namingContexts, "; ")
	if names := s.ldapCfg.Connectors; len(names) > 0 {
		if len(names) > 1 {
			return "", rpcerr.WithReason(codes.FailedPrecondition, ReasonConnectorAmbiguous,
				fmt.Sprintf("%d connector accounts are configured (%s): name one in connector", len(names), strings.Join(names, ", ")), nil)
		}
		for _, a := range accounts {
			if a.Configured {
				return a.DN, nil
			}
		}
		return "", rpcerr.WithReason(codes.FailedPrecondition, ReasonConnectorNotFound,
			fmt.Sprintf("the configured connector account %q is not a user account in %s: check %s", names[0], domains, s.ldapCfg.flag("connector")), nil)
	}
	pick := func(enabledOnly bool) []ldapconn.ConnectorAccount {
		var out []ldapconn.ConnectorAccount
		for _, a := range accounts {
			if a.MSOL && (!enabledOnly || !a.Disabled) {
				out = append(out, a)
			}
		}
		return out
	}
	msol := pick(false)
	if len(msol) > 1 {
		if enabled := pick(true); len(enabled) == 1 {
			msol = enabled
		}
	}
	switch len(msol) {
	case 1:
		return msol[0].DN, nil
	case 0:
		return "", rpcerr.WithReason(codes.FailedPrecondition, ReasonConnectorNotFound,
			fmt.Sprintf("no MSOL_ account in %s: name the connector account in connector, or configure it with %s", domains, s.ldapCfg.flag("connector")), nil)
	}
	names := make([]string, len(msol))
	for i, a := range msol {
		names[i] = a.SAMAccountName
	}
	return "", rpcerr.WithReason(codes.FailedPrecondition, ReasonConnectorAmbiguous,
		fmt.Sprintf("%d MSOL_ accounts (%s): name the connector account in connector", len(msol), strings.Join(names, ", ")), nil)
}

// ListConnectorAccounts lists the MSOL_ accounts and the configured connector accounts.
func (s *Service) ListConnectorAccounts(ctx context.Context, req *directoryv1.ListConnectorAccountsRequest) (*directoryv1.ListConnectorAccountsResponse, error) {
	eng, conn, err := s.engine(ctx)
	if err != nil {
		return nil, err
	}
	accounts, err := s.findAccounts(ctx, eng, conn)
	if err != nil {
		return nil, err
	}
	start, err := decodePageToken(req.GetPageToken())
	if err != nil {
		return nil, rpcerr.BadRequest(rpcerr.FieldViolation{Field: "page_token", Description: err.Error()})
	}
	size := int(req.GetPageSize())
	if size == 0 {
		size = defaultPageSize
	}
	resp := &directoryv1.ListConnectorAccountsResponse{}
	if dn, err := s.defaultConnector(accounts, eng.NamingContexts()); err == nil {
		resp.DefaultConnector = dn
	}
	end := min(len(accounts), start+size)
	for i := min(start, end); i < end; i++ {
		resp.ConnectorAccounts = append(resp.ConnectorAccounts, connectorAccountProto(&accounts[i]))
	}
	if end < len(accounts) {
		resp.NextPageToken = encodePageToken(end)
	}
	return resp, nil
}

// Page tokens are an opaque offset: the account list is small and read whole on every call.
const pageTokenPrefix = "connectorAccounts:"

func encodePageToken(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(pageTokenPrefix + strconv.Itoa(offset)))
}

func decodePageToken(tok string) (int, error) {
	if tok == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err == nil && strings.HasPrefix(string(b), pageTokenPrefix) {
		if n, err := strconv.Atoi(strings.TrimPrefix(string(b), pageTokenPrefix)); err == nil && n >= 0 {
			return n, nil
		}
	}
	return 0, errors.New("is not a token this service returned")
}

// scopeOrRoot is scope, or the first configured domain's root when it is empty.
func scopeOrRoot(eng *writeback.Engine, scope string) string {
	if strings.TrimSpace(scope) == "" {
		return eng.NamingContexts()[0]
	}
	return scope
}

// AuditScope audits the connector's writeback rights on the users below a scope.
func (s *Service) AuditScope(ctx context.Context, req *directoryv1.AuditScopeRequest) (*directoryv1.AuditScopeResponse, error) {
	eng, conn, err := s.engine(ctx)
	if err != nil {
		return nil, err
	}
	p, err := s.connector(ctx, eng, conn, req.GetConnector())
	if err != nil {
		return nil, err
	}
	a, err := eng.AuditScope(ctx, p, scopeOrRoot(eng, req.GetScope()))
	if err != nil {
		return nil, s.engineError(ctx, err, "scope")
	}
	return &directoryv1.AuditScopeResponse{Audit: scopeAuditProto(a, p)}, nil
}

// CheckUsers gives the connector's writeback verdict on each user.
func (s *Service) CheckUsers(ctx context.Context, req *directoryv1.CheckUsersRequest) (*directoryv1.CheckUsersResponse, error) {
	eng, conn, err := s.engine(ctx)
	if err != nil {
		return nil, err
	}
	p, err := s.connector(ctx, eng, conn, req.GetConnector())
	if err != nil {
		return nil, err
	}
	users := req.GetUsers()
	checks := make([]*writeback.UserCheck, len(users))
	results := make([]*directoryv1.UserCheckResult, len(users))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(checkUsersParallel)
	for i, name := range users {
		g.Go(func() error {
			r := &directoryv1.UserCheckResult{User: name}
			results[i] = r
			u, err := eng.CheckUser(gctx, p, name)
			switch {
			case err == nil:
				r.Status, checks[i] = directoryv1.LookupStatus_LOOKUP_STATUS_FOUND, u
			case errors.Is(err, writeback.ErrNotFound):
				r.Status, r.Message = directoryv1.LookupStatus_LOOKUP_STATUS_NOT_FOUND, "no user account matches "+strconv.Quote(name)
			case errors.Is(err, writeback.ErrAmbiguous):
				r.Status, r.Message = directoryv1.LookupStatus_LOOKUP_STATUS_AMBIGUOUS, trimPrefixes(err)+": name it by DN or objectSid"
			case gctx.Err() != nil:
				return gctx.Err() // another user's failure stopped this one: that error is returned
			default:
				return s.engineError(ctx, err, fmt.Sprintf("users[%d]", i))
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	basic := req.GetView() == directoryv1.VerdictView_VERDICT_VIEW_BASIC
	tr := newTracer(eng, p)
	for i, u := range checks {
		switch {
		case u == nil:
		case basic:
			results[i].Check = basicUserCheck(userCheckProto(u, nil))
		default:
			results[i].Check = userCheckProto(u, tr.sources(ctx, u))
		}
	}
	return &directoryv1.CheckUsersResponse{Connector: principalProto(p), Results: results}, nil
}

// GetCoverage evaluates every user below a scope.
func (s *Service) GetCoverage(ctx context.Context, req *directoryv1.GetCoverageRequest) (*directoryv1.GetCoverageResponse, error) {
	eng, conn, err := s.engine(ctx)
	if err != nil {
		return nil, err
	}
	p, err := s.connector(ctx, eng, conn, req.GetConnector())
	if err != nil {
		return nil, err
	}
	maxListed := int(req.GetMaxListed())
	if maxListed == 0 {
		maxListed = defaultMaxListed
	}
	cov, err := eng.Coverage(ctx, p, scopeOrRoot(eng, req.GetScope()), writeback.CoverageOptions{MaxFailing: maxListed})
	if err != nil {
		return nil, s.engineError(ctx, err, "scope")
	}
	tr := newTracer(eng, p)
	failing := make([]*directoryv1.UserCheck, len(cov.FailingUsers))
	for i := range cov.FailingUsers {
		failing[i] = userCheckProto(&cov.FailingUsers[i], tr.sources(ctx, &cov.FailingUsers[i]))
	}
	return &directoryv1.GetCoverageResponse{Coverage: coverageProto(cov, p, failing)}, nil
}

// tracer finds where the inherited ACEs that decide users' verdicts are explicit, from the scope
// audit of each user's parent (one per distinct parent). A verdict whose ACE the parent's audit
// does not name the same way keeps no source.
type tracer struct {
	eng    *writeback.Engine
	p      *writeback.Principal
	mu     sync.Mutex
	audits map[string]*writeback.ScopeAudit // by lower-case parent DN; nil when it failed
}

func newTracer(eng *writeback.Engine, p *writeback.Principal) *tracer {
	return &tracer{eng: eng, p: p, audits: map[string]*writeback.ScopeAudit{}}
}

// sources returns, parallel to u.Rights, the DN holding each inherited deciding ACE ("" when
// not inherited or not traced), or nil when nothing needs tracing.
func (t *tracer) sources(ctx context.Context, u *writeback.UserCheck) []string {
	var out []string
	for i, v := range u.Rights {
		if !v.Inherited || v.Decision == writeback.Missing {
			continue
		}
		a := t.parentAudit(ctx, u.DN)
		if a == nil {
			return out
		}
		for _, pv := range a.Rights {
			if pv.Right == v.Right && pv.Decision == v.Decision && pv.Inherited && sameGrantSDDL(pv.ACE, v.ACE) {
				if out == nil {
					out = make([]string, len(u.Rights))
				}
				out[i] = spelledAs(pv.Source, u.DN)
			}
		}
	}
	return out
}

func (t *tracer) parentAudit(ctx context.Context, dn string) *writeback.ScopeAudit {
	d, err := ldap.ParseDN(dn)
	if err != nil || len(d.RDNs) < 2 {
		return nil
	}
	parent := (&ldap.DN{RDNs: d.RDNs[1:]}).String()
	key := strings.ToLower(parent)
	t.mu.Lock()
	defer t.mu.Unlock()
	if a, ok := t.audits[key]; ok {
		return a
	}
	a, err := t.eng.AuditScope(ctx, t.p, parent)
	if err != nil {
		a = nil // the verdict stands without its source
	}
	t.audits[key] = a
	return a
}
