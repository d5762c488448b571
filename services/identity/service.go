package identity

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/hybridkit/hybridkit/platform/rpcerr"
	identityv1 "github.com/hybridkit/hybridkit/proto/gen/hybridkit/identity/v1"
	"github.com/hybridkit/hybridkit/services/identity/checks"
	"github.com/hybridkit/hybridkit/services/identity/graphclient"
)

// Service implements identityv1.IdentityServiceServer.
type Service struct {
	identityv1.UnimplementedIdentityServiceServer
	graph  *graphclient.Client
	logger *slog.Logger
	now    func() time.Time
	// directoryAddr is the directory service's gRPC address; empty when not configured.
	directoryAddr string
}

// NewService returns the service; a nil client means Graph is not configured.
func NewService(graph *graphclient.Client, logger *slog.Logger) *Service {
	return &Service{graph: graph, logger: logger, now: time.Now}
}

var errNotConfigured = rpcerr.WithReason(codes.FailedPrecondition, "GRAPH_NOT_CONFIGURED",
	"the identity service has no Microsoft Graph credentials: set --graph-tenant-id, --graph-client-id and a credential (see the README)", nil)

// CheckLicences reports the tenant's Entra ID premium licences.
func (s *Service) CheckLicences(ctx context.Context, _ *identityv1.CheckLicencesRequest) (*identityv1.CheckLicencesResponse, error) {
	if s.graph == nil {
		return nil, errNotConfigured
	}
	rep, findings, err := checks.Licences(ctx, s.graph)
	if err != nil {
		return nil, s.graphError(ctx, err)
	}
	return &identityv1.CheckLicencesResponse{Report: licenceReportProto(rep), Findings: findings}, nil
}

// graphError maps a Graph failure to a status that says what to do: a missing permission or
// licence is the administrator's to fix, not an internal error.
func (s *Service) graphError(ctx context.Context, err error) error {
	var perm *graphclient.PermissionError
	var lic *graphclient.LicenceError
	switch {
	case errors.As(err, &perm):
		return rpcerr.WithReason(codes.PermissionDenied, "GRAPH_PERMISSION_MISSING", perm.Error(), map[string]string{"permission": perm.Permission})
	case errors.As(err, &lic):
		plan := lic.Plan
		if plan == "" {
			plan = "P1"
		}
		return rpcerr.WithReason(codes.FailedPrecondition, "LICENCE_MISSING", lic.Error(), map[string]string{"licence": plan})
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return rpcerr.WithReason(codes.DeadlineExceeded, "GRAPH_TIMEOUT", fmt.Sprintf("Microsoft Graph did not answer in time: %v", err), nil)
	}
	return rpcerr.Internal(ctx, s.logger, err)
}
